// Browser check of the web situational display: a real server with the
// scenario loaded (`deconflict simulate`), Debian's chromium driven by
// playwright-core. Asserts what each party sees, that a track moves, that an
// alert is raised, circled, then cleared and gone from the active list and
// the map (the canvas lists what it circles in #map[data-circled]), and that
// 2,000 live tracks draw with no frame over 100 ms in chromium's performance
// trace (trace-frames.js reads it; enforced with DC_WEB_PERF_STRICT=1, as
// `make bench` runs it). display-checks.js adds what a duty officer reads
// (issue 18): labels apart at 1024x640, place names, the scale bar, zoom,
// live countdowns, operation names and the ended state. Screenshots and
// the trace (trace-2000.json) go to build/screenshots/ for a person to
// look at.
'use strict';
const { chromium } = require('playwright-core');
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const trace = require('./trace-frames');
const display = require('./display-checks');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = process.env.DC_BIN || path.join(ROOT, 'build', 'deconflict');
const SHOTS = path.join(ROOT, 'build', 'screenshots');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-web-'));
const children = [];
let failures = 0, passes = 0, skips = 0;

function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (ok) passes++; else failures++;
}
function skip(what) { console.log('skip ' + what); skips++; }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startServer() {
  const store = path.join(TMP, 'store.db');
  const key = execFileSync(BIN, ['init', '--store', store, '--authority', 'iraq']).toString().trim();
  const proc = spawn(BIN, ['serve', '--store', store, '--listen', '127.0.0.1:0', '--web-dir', path.join(ROOT, 'web')],
    { stdio: ['ignore', 'pipe', fs.openSync(path.join(TMP, 'serve.log'), 'a')] });
  children.push(proc);
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/^(http:\/\/\S+)\n/);
      if (m) resolve({ url: m[1], key });
    });
    proc.on('exit', () => reject(new Error('server exited; see ' + TMP + '/serve.log')));
  });
}

async function api(base, key, method, p, body) {
  const res = await fetch(base + p, {
    method, headers: Object.assign({ Authorization: 'Bearer ' + key }, body ? { 'Content-Type': 'application/json' } : {}),
    body: body ? JSON.stringify(body) : undefined
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function waitFor(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(250);
  }
}

/* Like waitFor, but null on timeout: the caller checks the verdict. */
async function within(fn, ms) {
  try { return await waitFor(fn, ms, ''); } catch (e) { return null; }
}

/* Alert refs in a page's active list, ended list and map. */
const activeRefs = (page) => page.$$eval('#alerts li[data-alert]', (l) => l.map((x) => x.dataset.alert));
const pastRefs = (page) => page.$$eval('#alerts-past li[data-alert]', (l) => l.map((x) => x.dataset.alert));
const circledRefs = (page) => page.$eval('#map', (c) => (c.dataset.circled || '').split(' ').filter(Boolean));

/* The names an operator's page and every API response it received must not
 * hold (the page's static files are the same for everyone: the place names
 * of web/vendor/places/ hold "Iranshahr"). */
async function leaks(O, forbidden) {
  const texts = [await O.page.content()].concat(O.bodies.filter((b) => new URL(b.url).pathname.startsWith('/v1/')).map((b) => b.text));
  return forbidden.filter((f) => texts.some((t) => t.toLowerCase().includes(f.toLowerCase())));
}

async function signIn(browser, url, key, label, viewport) {
  const ctx = await browser.newContext({ viewport: viewport || { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const bodies = [];
  page.on('response', async (res) => {
    try { bodies.push({ url: res.url(), text: (await res.body()).toString('utf8') }); } catch (e) { /* streaming */ }
  });
  page.on('pageerror', (e) => { console.log('page error (' + label + '): ' + e.message); failures++; });
  await page.goto(url + '/');
  await page.fill('#key', key);
  await page.click('#signin-form button');
  await page.waitForSelector('#app:not([hidden])', { timeout: 15000 });
  return { ctx, page, bodies };
}

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const srv = await startServer();
  const keysFile = path.join(TMP, 'keys');
  // The key from the environment: never on a command line, which ps shows.
  const sim = spawn(BIN, ['simulate', '--url', srv.url, '--scenario',
    path.join(ROOT, 'examples', 'scenario', 'iraq.json'), '--at', '06:55', '--speed', '4', '--keys-out', keysFile],
  { stdio: ['ignore', 'ignore', fs.openSync(path.join(TMP, 'simulate.log'), 'a')],
    env: { ...process.env, DECONFLICT_KEY: srv.key } });
  children.push(sim);
  await waitFor(() => fs.existsSync(keysFile) && fs.readFileSync(keysFile, 'utf8').split('\n').length >= 3, 30000, 'the simulator');
  const keys = {};
  fs.readFileSync(keysFile, 'utf8').trim().split('\n').forEach((l) => { const [n, k] = l.split(' '); keys[n] = k; });

  // What the authority's API says exists, to know what each operator must not see.
  const ops = (await api(srv.url, srv.key, 'GET', '/v1/operations')).body.operations;
  const operators = (await api(srv.url, srv.key, 'GET', '/v1/operators')).body.operators;
  const opsOf = (name) => ops.filter((o) => o.owner.name === name);
  const callsigns = { coalition: ['VIPER2', 'HAWK1', 'SHELL7', 'REAPER4'], iran: ['IRN11', 'IRN12', 'IRN21', 'IRN31'] };

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-quic', '--no-first-run', '--disable-sync'] // playwright gives each launch a fresh profile
  });
  try {
    const forbiddenFor = (other) => [other, operators.find((o) => o.name === other).id]
      .concat(opsOf(other).map((o) => o.id), callsigns[other]);

    // ---- the authority, and the coalition's page open through the alert ----
    const A = await signIn(browser, srv.url, srv.key, 'authority');
    const C = await signIn(browser, srv.url, keys.coalition, 'coalition (live)');
    const opsText = await waitFor(async () => {
      const t = await A.page.textContent('#ops');
      return t.includes('coalition') && t.includes('iran') ? t : null;
    }, 15000, "both operators' operations in the authority's list");
    check(opsText.includes('coalition') && opsText.includes('iran'), "authority sees both operators' operations");
    const nOps = await A.page.$$eval('#ops li', (l) => l.length);
    check(nOps === ops.length, 'authority lists every operation (' + nOps + '/' + ops.length + ')');
    const restr = await A.page.evaluate(() => window.dc.state.restrictions.length);
    check(restr === 1, 'authority sees the Baghdad restriction');
    await waitFor(() => A.page.evaluate(() => window.dc.state.tracks.size > 0), 15000, 'live tracks');
    const pick = await A.page.evaluate(() => {
      // The fastest track: at the default zoom a slow one moves well under a
      // pixel in a few seconds, which made this check flaky.
      const t = [...window.dc.state.tracks.values()].sort((a, b) => b.gs - a.gs)[0];
      return t && { id: t.id, x: t.x, y: t.y };
    });
    await A.page.screenshot({ path: path.join(SHOTS, 'authority-1.png') });
    const shot1 = await A.page.screenshot({ clip: { x: 0, y: 36, width: 940, height: 724 } });
    const where = (id) => A.page.evaluate((tid) => {
      const t = [...window.dc.state.tracks.values()].find((x) => x.id === tid);
      return t && { x: t.x, y: t.y };
    }, id);
    let moved = null;
    await waitFor(async () => {
      moved = await where(pick.id);
      return moved && Math.hypot(moved.x - pick.x, moved.y - pick.y) > 2 ? moved : null;
    }, 30000, 'track ' + pick.id + ' to move');
    await sleep(500);
    await A.page.screenshot({ path: path.join(SHOTS, 'authority-2.png') });
    const shot2 = await A.page.screenshot({ clip: { x: 0, y: 36, width: 940, height: 724 } });
    const dist = Math.hypot(moved.x - pick.x, moved.y - pick.y);
    check(dist > 0.5 && !shot1.equals(shot2), 'track ' + pick.id + ' moved ' + dist.toFixed(1) + ' px between two screenshots');
    const alertText = await waitFor(async () => {
      const t = await A.page.textContent('#alerts');
      return /IRN12/.test(t) && /VIPER2/.test(t) ? t : null;
    }, 90000, 'the converging pair alert');
    check(/loss of separation/i.test(alertText), 'an alert naming IRN12 and VIPER2 appears for the authority');
    await A.page.screenshot({ path: path.join(SHOTS, 'authority-alert.png') });
    const t = { check, skip, signIn, browser, url: srv.url, key: srv.key, keys, api, shots: SHOTS, callsigns, leaks, waitFor, within };
    await display.readable(t);

    // ---- that alert, raised then cleared: gone from the active list and the map ----
    const ref = await A.page.$$eval('#alerts li[data-alert]', (l) => {
      const li = l.find((x) => /IRN12/.test(x.textContent) && /VIPER2/.test(x.textContent));
      return li && li.dataset.alert;
    });
    check(/^al_[0-9a-f]+$/.test(ref || ''), 'the authority lists the alert under its server ref (' + ref + ')');
    const circledA = await within(async () => (await circledRefs(A.page)).includes(ref), 10000);
    check(circledA, "the authority's map circles " + ref);
    const raisedC = await within(async () => (await activeRefs(C.page)).includes(ref) &&
      (await circledRefs(C.page)).includes(ref), 10000);
    check(raisedC, "the coalition's page lists " + ref + ' as active and its map circles it');
    await C.page.screenshot({ path: path.join(SHOTS, 'coalition-alert.png') });
    const gone = async (page) => !(await activeRefs(page)).includes(ref) && !(await circledRefs(page)).includes(ref) &&
      (await pastRefs(page)).includes(ref);
    const goneA = await within(() => gone(A.page), 150000);
    const recs = (await api(srv.url, srv.key, 'GET', '/v1/alerts?since=0&limit=1000')).body.alerts;
    const clearedAt = recs.filter((r) => r.alert === ref).map((r) => r.kind).join(',');
    check(clearedAt === 'raised,cleared', 'the server raised and then cleared ' + ref + ' (' + clearedAt + ')');
    check(goneA, 'after the clear, ' + ref + " is gone from the authority's active list and map, and listed as ended");
    await A.page.screenshot({ path: path.join(SHOTS, 'authority-cleared.png') });
    const goneC = await within(() => gone(C.page), 10000);
    check(goneC, 'after the clear, ' + ref + " is gone from the coalition's active list and map, and listed as ended");
    await C.page.screenshot({ path: path.join(SHOTS, 'coalition-cleared.png') });
    const leaksC = await leaks(C, forbiddenFor('iran'));
    check(leaksC.length === 0, "the coalition's live page and its " + C.bodies.length + ' responses name no one else' +
      (leaksC.length ? ' (found ' + leaksC.join(', ') + ')' : ''));
    // A key rotated while its page is open: the page goes back to sign-in.
    const rotated = await api(srv.url, srv.key, 'POST', '/v1/operators/' + operators.find((o) => o.name === 'coalition').id + '/keys');
    keys.coalition = rotated.body.api_key;
    const signedOut = await within(async () => (await C.page.isVisible('#signin')) &&
      /revoked or rotated/.test(await C.page.textContent('#signin-error')), 15000);
    check(rotated.status === 201 && signedOut, "the coalition's page returns to sign-in when its key is rotated");
    await C.ctx.close();

    // ---- each operator: own operations, notices, no one else's name ----
    for (const [me, other] of [['iran', 'coalition'], ['coalition', 'iran']]) {
      const O = await signIn(browser, srv.url, keys[me], me);
      await waitFor(async () => (await O.page.$$eval('#ops li', (l) => l.length)) > 0, 15000, me + "'s operations");
      await waitFor(() => O.page.evaluate(() => window.dc.state.notices.length > 0 && window.dc.state.tracks.size > 0), 15000, me + "'s notices and tracks");
      // Active or ended: the pair alert is cleared by now (checked above).
      await waitFor(async () => (await O.page.$$eval('#alerts li, #alerts-past li', (l) => l.length)) > 0, 60000, me + "'s alert");
      await sleep(1500);
      const st = await O.page.evaluate(() => ({
        ops: window.dc.state.operations.map((o) => o.id), notices: window.dc.state.notices.length,
        tracks: [...window.dc.state.tracks.values()].map((t) => t.id), role: window.dc.state.role
      }));
      const mine = opsOf(me).map((o) => o.id).sort();
      check(st.role === 'operator' && JSON.stringify(st.ops.slice().sort()) === JSON.stringify(mine),
        me + ' sees exactly its own ' + mine.length + ' operations');
      check(st.notices > 0, me + ' sees ' + st.notices + ' blind notices');
      check(st.tracks.length > 0 && st.tracks.every((t) => callsigns[me].includes(t)), me + ' sees only its own tracks (' + st.tracks.join(', ') + ')');
      await O.page.screenshot({ path: path.join(SHOTS, me + '.png') });
      // The backlog (GET /v1/alerts) holds the raise and its clear: folded, not active.
      const foldO = !(await activeRefs(O.page)).includes(ref) && !(await circledRefs(O.page)).includes(ref) &&
        (await pastRefs(O.page)).includes(ref);
      check(foldO, me + "'s page, opened after the clear, lists " + ref + ' as ended only (not active, not circled)');
      const found = await leaks(O, forbiddenFor(other));
      check(found.length === 0, me + "'s page and its " + O.bodies.length + ' responses name no one else' + (found.length ? ' (found ' + found.join(', ') + ')' : ''));
      await O.ctx.close();
    }

    // ---- operation names, whoami and the ended state ----
    await display.namesAndEnded({ check, skip, signIn, browser, url: srv.url, key: srv.key, keys, api, shots: SHOTS, leaks, waitFor, within });

    // ---- 2,000 live tracks ----
    const syn = (await api(srv.url, srv.key, 'POST', '/v1/operators', { name: 'synthetic' })).body;
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    const fleet = Array.from({ length: 2000 }, (_, i) => ({
      track_id: 'S' + i, lat: 29.5 + 8 * rnd(), lon: 39 + 9 * rnd(), alt_m: 1000 + 12000 * rnd(),
      ground_speed_mps: 60 + 190 * rnd(), track_deg: 360 * rnd(), vertical_rate_mps: 0
    }));
    let feeding = true;
    const feed = (async () => {
      while (feeding) {
        const time = new Date().toISOString();
        await api(srv.url, syn.api_key, 'POST', '/v1/tracks', { reports: fleet.map((f) => Object.assign({ time }, f)) });
        await sleep(1000);
      }
    })();
    await waitFor(() => A.page.evaluate(() => window.dc.state.tracks.size >= 2000), 20000, '2,000 tracks on the authority display');
    // Ten seconds of chromium's own performance trace (what DevTools records),
    // kept for a person to open in Perfetto (ui.perfetto.dev) or chrome://tracing.
    // The measured window is marked in the trace, starting a second in:
    // starting the trace stalls the page itself (V8 starts its profiler).
    await browser.startTracing(A.page, { categories: trace.CATEGORIES });
    await sleep(1000);
    await A.page.evaluate(() => { performance.mark('dc-measure-start'); window.dc.resetPerf(); });
    await sleep(10000);
    const perf = await A.page.evaluate(() => { performance.mark('dc-measure-end'); return window.dc.perf(); });
    const traceFile = path.join(SHOTS, 'trace-2000.json');
    fs.writeFileSync(traceFile, await browser.stopTracing());
    await A.page.screenshot({ path: path.join(SHOTS, 'authority-2000-tracks.png') });
    feeding = false;
    await feed;
    const fr = trace.analyse(JSON.parse(fs.readFileSync(traceFile, 'utf8')));
    console.log('trace of ' + perf.tracks + ' tracks (' + path.relative(ROOT, traceFile) + '): ' + trace.summary(fr));
    console.log('in the page: ' + perf.frames + ' requestAnimationFrame callbacks, longest gap ' + perf.max_frame_ms.toFixed(1) +
      ' ms, longest draw ' + perf.max_draw_ms.toFixed(1) + ' ms ' + JSON.stringify(perf.sections_max_ms) + ', ' +
      perf.long_tasks + ' long tasks (longest ' + perf.longest_task_ms.toFixed(0) + ' ms)');
    // Frame times are a benchmark figure, not a test verdict: these machines
    // are shared and one descheduled frame would fail CI. `make bench` runs
    // this with DC_WEB_PERF_STRICT=1, which enforces the 100 ms bar.
    const smooth = perf.tracks >= 2000 && fr.frames >= 100 && fr.max_ms < 100 && fr.longest_task_ms < 100;
    if (!smooth && !process.env.DC_WEB_PERF_STRICT)
      console.log('note: frame bar missed on this run (reported, not enforced outside make bench)');
    check(smooth || !process.env.DC_WEB_PERF_STRICT,
      (smooth ? '' : 'NOT ') + 'smooth with ' + perf.tracks + ' live tracks in the performance trace: ' + fr.frames + ' frames in ' +
      fr.span_s.toFixed(1) + ' s, median ' + fr.median_ms.toFixed(1) + ' ms, p99 ' + fr.p99_ms.toFixed(1) + ' ms, max ' +
      fr.max_ms.toFixed(1) + ' ms, longest main-thread task ' + fr.longest_task_ms.toFixed(1) + ' ms');
    await A.ctx.close();
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.log('FAIL ' + e.message); failures++; }).finally(() => {
  children.forEach((c) => { try { c.kill('SIGTERM'); } catch (e) { /* gone */ } });
  console.log(passes + ' passed, ' + failures + ' failed' + (skips ? ', ' + skips + ' skipped' : ''));
  setTimeout(() => {
    if (!failures) fs.rmSync(TMP, { recursive: true, force: true });
    else console.log('kept ' + TMP);
    process.exit(failures ? 1 : 0);
  }, 500);
});
