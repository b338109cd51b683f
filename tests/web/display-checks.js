// What a duty officer reads on the map (issue 18), checked in the browser
// by check-web.js against its running scenario:
//   readable(): at 1024x640, while the converging pair is close, no two
//     track labels overlap (their boxes, from window.dc.state.labels, over
//     several frames), every aircraft on the map has its label with "FL",
//     place names and the scale bar (NM and km) are there, + and - zoom;
//     an alert's countdown moves and a click on it rings its aircraft.
//   namesAndEnded(): an operation's name shows for its owner and for the
//     authority and never for the other operator (page and responses), and
//     an operation whose window has passed shows as ended. Skipped, saying
//     so, when the server has no GET /v1/whoami (a server before issue 18).
// Screenshots go to build/screenshots/.
'use strict';
const path = require('path');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function overlaps(boxes) {
  const out = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) out.push(a.text + ' / ' + b.text);
    }
  }
  return out;
}

/* What the map drew last frame: labels, the aircraft on it, the view. */
const drawn = (page) => page.evaluate(() => {
  const s = window.dc.state;
  return {
    labels: s.labels.tracks.map((l) => ({ text: l.text, x: l.x, y: l.y, w: l.w, h: l.h })),
    hidden: s.labels.hidden, places: s.labels.places.slice(), onMap: s.screen.map((t) => t.id), ppd: s.view.ppd,
    scale: [...document.querySelectorAll('#scalebar .row')].map((r) => ({ text: r.textContent, px: Number(r.querySelector('.bar').dataset.px) })),
    selected: (document.getElementById('map').dataset.selected || '').split(' ').filter(Boolean)
  };
});

async function readable(t) {
  const { check, signIn, browser, url, key, shots, callsigns } = t;
  const R = await signIn(browser, url, key, 'authority at 1024x640', { width: 1024, height: 640 });
  try {
    await t.waitFor(() => R.page.evaluate(() => window.dc.state.screen.length >= 3 && window.dc.state.labels.places.length > 0), 20000,
      'aircraft and place names on the 1024x640 map');
    const samples = [];
    for (let i = 0; i < 6; i++) { samples.push(await drawn(R.page)); await sleep(400); }
    await R.page.screenshot({ path: path.join(shots, '1024x640-authority.png') });
    const clashes = [...new Set(samples.flatMap((s) => overlaps(s.labels)))];
    const last = samples[samples.length - 1];
    check(clashes.length === 0, 'at 1024x640 no two track labels overlap in ' + samples.length + ' frames (' +
      last.labels.length + ' labels: ' + last.labels.map((l) => l.text).join(', ') + ')' + (clashes.length ? ': ' + clashes.join('; ') : ''));
    const unlabelled = samples.filter((s) => s.hidden > 0 || s.labels.length !== s.onMap.length).length;
    check(unlabelled === 0, 'at 1024x640 every aircraft on the map has its label (' + last.onMap.length + ' aircraft)');
    const pair = ['VIPER2', 'IRN12', 'IRN11'].filter((id) => last.labels.some((l) => l.text.startsWith(id + ' ')));
    check(pair.length === 3, 'VIPER2, IRN12 and IRN11, converging, each have their own label (' + pair.join(', ') + ')');
    check(last.labels.length > 0 && last.labels.every((l) => / FL\d{3}$/.test(l.text)), 'track labels read "callsign FLnnn" (' + (last.labels[0] || {}).text + ')');
    const known = ['Baghdad', 'Samarra', 'Baqubah', 'Kirkuk', 'Tikrit', 'ORBI'];
    check(last.places.length >= 5 && known.some((n) => last.places.includes(n)),
      'place names and airports on the map (' + last.places.length + ': ' + last.places.slice(0, 8).join(', ') + ', ...)');
    check(last.scale.length === 2 && /^[\d.]+ NM$/.test(last.scale[0].text) && /^[\d.]+ km$/.test(last.scale[1].text) &&
      last.scale.every((r) => r.px > 20 && r.px <= 120), 'a scale bar in NM and km (' + last.scale.map((r) => r.text + ' = ' + r.px + ' px').join(', ') + ')');
    // Zoom: + on the keyboard doubles the scale, the - button halves it.
    await R.page.click('#map', { position: { x: 5, y: 300 } });
    await R.page.keyboard.press('+');
    const zin = await drawn(R.page);
    await R.page.click('#zoom-out');
    const zout = await drawn(R.page);
    const bar = (d) => d.scale[0].text + ' = ' + d.scale[0].px + ' px';
    check(Math.abs(zin.ppd / last.ppd - 2) < 1e-6 && Math.abs(zout.ppd / last.ppd - 1) < 1e-6 && bar(zin) !== bar(last) && bar(zout) === bar(last),
      'the + key zooms in twice (scale bar ' + bar(zin) + '), the - button back (' + bar(zout) + ')');

    // A click on an operation zooms to its extent: centred on it, its volumes filling the view.
    const op = await R.page.evaluate(() => {
      const o = window.dc.state.operations.find((x) => x.volumes.length === 1 && x.volumes[0].footprint.type === 'Point');
      return o && { id: o.id, c: o.volumes[0].footprint.coordinates, r: o.volumes[0].footprint.radius_m };
    });
    if (op) {
      await R.page.click('#ops li[data-op="' + op.id + '"]');
      const v = await R.page.evaluate(() => Object.assign({}, window.dc.state.view, { h: document.getElementById('map').clientHeight }));
      const spanPx = 2 * op.r / 111320 * v.ppd;
      check(Math.abs(v.lon - op.c[0]) < 1e-6 && Math.abs(v.lat - op.c[1]) < 1e-6 && spanPx > v.h * 0.5 && spanPx <= v.h,
        'a click on an operation zooms to it (its circle ' + Math.round(spanPx) + ' px across in a map ' + v.h + ' px high)');
      await R.page.click('#zoom-fit');
    }

    // The converging pair's alert: its countdown moves; a click rings VIPER2 and IRN12.
    const li = '#alerts li[data-alert]';
    const cd = () => R.page.$$eval(li + ' .cd', (l) => l.map((x) => x.textContent));
    const c1 = await t.waitFor(async () => { const v = await cd(); return v.length ? v : null; }, 15000, 'a live countdown');
    await sleep(2500);
    const c2 = await cd();
    check(c1.join() !== c2.join(), "an alert's countdown moves (" + c1[0] + ' then ' + c2[0] + ')');
    const text = await R.page.$$eval(li, (l) => l.map((x) => x.textContent));
    const n = text.findIndex((x) => /VIPER2/.test(x) && /IRN12/.test(x));
    await R.page.click(li + ':nth-child(' + (n + 1) + ')');
    const sel = await t.within(async () => { const d = await drawn(R.page); return d.selected.length === 2 ? d.selected : null; }, 5000);
    check(sel && sel.some((k) => k.endsWith('/VIPER2')) && sel.some((k) => k.endsWith('/IRN12')),
      'a click on the alert rings its aircraft (' + (sel || []).join(', ') + ')');
    await R.page.screenshot({ path: path.join(shots, '1024x640-alert-selected.png') });
    void callsigns;
  } finally {
    await R.ctx.close();
  }
}

async function namesAndEnded(t) {
  const { check, skip, signIn, browser, url, key, keys, api, shots, leaks } = t;
  const who = await api(url, keys.coalition, 'GET', '/v1/whoami');
  if (who.status === 404) {
    skip('operation names and the ended state: this server has no GET /v1/whoami (issue 18 item 1-2 not in this build)');
    return;
  }
  check(who.status === 200 && who.body.name === 'coalition' && who.body.role === 'operator', 'GET /v1/whoami tells coalition who it is');
  const name = 'Dawn patrol ' + Date.now().toString(36);
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  // A small circle in the western desert, far from the scenario, for 10 s.
  const body = {
    name, priority: 10,
    volumes: [{ footprint: { type: 'Point', coordinates: [39.6, 30.2], radius_m: 1500 }, altitude_lower_m: 100, altitude_upper_m: 300,
      time_start: iso(now + 2000), time_end: iso(now + 12000) }]
  };
  const made = await api(url, keys.coalition, 'POST', '/v1/operations', body);
  check(made.status === 201 && made.body.name === name, 'coalition submits "' + name + '" (' + made.status + ')');
  if (made.status !== 201) return;
  const id = made.body.id;
  const C = await signIn(browser, url, keys.coalition, 'coalition (names)');
  const A = await signIn(browser, url, key, 'authority (names)');
  const I = await signIn(browser, url, keys.iran, 'iran (names)');
  try {
    check(/coalition/.test(await C.page.textContent('#who')), "the coalition's header names it (" + (await C.page.textContent('#who')) + ')');
    check(!C.bodies.some((b) => /\/v1\/operators/.test(b.url)), "the coalition's page never asks /v1/operators");
    const shows = (P) => t.within(async () => ((await P.page.textContent('#ops')) || '').includes(name), 15000);
    check(await shows(C), "the operation's name shows on its owner's page");
    check(await shows(A), "the operation's name shows on the authority's page");
    await t.waitFor(async () => (await I.page.$$eval('#ops li', (l) => l.length)) > 0, 15000, "iran's operations");
    // The ended state: past its window, the server ends it and every page that sees it says so.
    const ended = (P) => t.within(() => P.page.$eval('#ops li[data-op="' + id + '"]', (li) => li.dataset.state === 'ended' &&
      /ended/.test(li.textContent)).catch(() => false), 90000);
    check(await ended(C), 'past its window the operation shows as ended on its owner\'s page');
    check(await ended(A), "and on the authority's");
    await C.page.screenshot({ path: path.join(shots, 'coalition-ended.png') });
    const found = await leaks(I, [name, id]);
    check(found.length === 0, "iran's page and its " + I.bodies.length + ' responses never hold the operation\'s name or id' +
      (found.length ? ' (found ' + found.join(', ') + ')' : ''));
  } finally {
    await Promise.all([C.ctx.close(), A.ctx.close(), I.ctx.close()]);
  }
}

module.exports = { readable, namesAndEnded, overlaps };
