/* deconflict situational display: sign-in and the page's clock. The API key
 * is kept in sessionStorage and sent as a Bearer header. Plans are polled
 * every 5 s, live tracks every second (GET /v1/tracks), alerts arrive on
 * the SSE stream (streams.js). What an operator sees is exactly what the API
 * gives its key: this page adds none. window.dc is the test hook: the state,
 * dc.perf() and dc.resetPerf() (tests/web/check-web.js).
 *
 * Modules (ES modules, no build step; dependencies run downwards):
 *   main.js     sign-in, polling, timers
 *   panel.js    side lists and legend       map.js    the canvas and pointer
 *   basemap.js  outlines, places, grid      labels.js label placement
 *   streams.js  SSE over fetch              state.js  the state object, tracks
 *   alerts.js   the alert book              geo.js    shapes and hit tests
 *   api.js      the /v1 client and shapes   format.js text for people
 *   feeds.js    the authority's surveillance feeds */
import { Client } from './api.js';
import { followAlerts } from './streams.js';
import { state, nowS, selTime, ingestTrack, pruneTracks, setPlans, operatorColour, DAY_S } from './state.js';
import * as map from './map.js';
import * as panel from './panel.js';
import { utc } from './format.js';
import { followFeeds } from './feeds.js';

const $ = (id) => document.getElementById(id);
let client = null;
let abort = null;

window.dc = { state, perf: map.perfSummary, resetPerf: map.resetPerf };

function showSignin(msg) {
  $('signin').hidden = false;
  $('app').hidden = true;
  $('signin-error').textContent = msg || '';
}

/* The authority's parties: names, and track colours in name order. */
function setOperators(list) {
  list.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).forEach((o) => {
    state.operators.set(o.id, o.name);
    if (o.role === 'authority') state.me = state.me || o.name;
    else operatorColour(o.id);
  });
}

/* Who the key is: GET /v1/whoami. A server without it (404) is asked the
 * old way: /v1/operators answers the authority only (an operator's
 * header then shows its key's prefix). */
async function identify(key) {
  const me = await client.whoami();
  if (me.ok && me.body && (me.body.role === 'authority' || me.body.role === 'operator')) {
    state.hasWhoami = true;
    state.role = me.body.role;
    state.me = me.body.name;
    if (state.role === 'authority') {
      const who = await client.operators();
      if (who.ok) setOperators(who.body.operators);
    }
    return;
  }
  if (me.status !== 404) throw new Error('server answered ' + me.status + ' to GET /v1/whoami');
  const who = await client.operators();
  if (who.ok) {
    state.role = 'authority';
    setOperators(who.body.operators);
  } else {
    state.role = 'operator';
    state.me = 'operator ' + key.slice(0, 12) + '\u2026';
  }
}

async function signin(key) {
  abort = new AbortController();
  client = new Client(key, abort.signal);
  const ops = await client.operations();
  if (ops.status === 401) throw new Error('invalid or revoked key');
  if (!ops.ok) throw new Error('server answered ' + ops.status);
  await identify(key);
  sessionStorage.setItem('dc.key', key);
  /* A key revoked or rotated while signed in (a stream ends at its next
   * event, and every poll answers 401): back to the sign-in form. */
  client.onUnauthorized = () => {
    sessionStorage.removeItem('dc.key');
    sessionStorage.setItem('dc.note', 'The key was revoked or rotated: sign in with the new one.');
    location.reload();
  };
  $('signin').hidden = true;
  $('app').hidden = false;
  $('who').textContent = state.role === 'authority' ? 'authority: ' + state.me : state.me;
  $('ops-title').firstChild.textContent = state.role === 'authority' ? 'Operations ' : 'My operations ';
  start();
}

function signout() {
  sessionStorage.removeItem('dc.key');
  location.reload();
}

async function refreshPlans() {
  try {
    if (state.role === 'authority') {
      const [o, r, p] = await Promise.all([client.operations(), client.restrictions(), client.operators()]);
      if (!o.ok || !r.ok || !p.ok) return;
      setOperators(p.body.operators);
      setPlans(o.body.operations, r.body.restrictions, []);
    } else {
      const [o, n] = await Promise.all([client.operations(), client.notices(state.t0, state.t0 + DAY_S)]);
      if (!o.ok || !n.ok) return;
      setPlans(o.body.operations, [], n.body.notices);
    }
  } catch (e) { /* network: the next poll retries */ }
}

async function pollTracks() {
  try {
    const r = await client.tracks();
    if (r.ok) {
      const t0 = performance.now();
      r.body.tracks.forEach(ingestTrack);
      const dt = performance.now() - t0, sec = map.perf.sections;
      if (!sec.ingest || sec.ingest < dt) sec.ingest = dt;
    }
  } catch (e) { /* network: the next poll retries */ }
}

function onAlert(rec) {
  if (!state.alerts.apply(rec)) return;
  /* Conformance changes an operation's state. */
  if (rec.kind === 'nonconforming' || rec.kind === 'conforming') refreshPlans();
  state.dirty.lists = true;
}

function feedNote() {
  $('feed').textContent = (state.feed.connected ? 'alert stream connected' : 'alert stream reconnecting\u2026') +
    (state.feed.missed ? ' \u00b7 older alerts were no longer kept' : '');
}

function syncSlider() {
  const t = selTime();
  if (state.live) $('time').value = String(Math.round((t - state.t0) / 60));
  $('time-label').textContent = utc(t) + (state.live ? ' live' : '');
}

function every(fn, ms) { fn(); setInterval(fn, ms); }

function start() {
  state.t0 = Math.floor(nowS() / 60) * 60 - DAY_S / 2;
  $('time').max = String(DAY_S / 60);
  panel.legend();
  panel.setup((op) => { map.zoomTo(op); syncSlider(); }, (entry) => {
    /* An alert clicked: its aircraft ringed, and centred when drawn. */
    state.selected = panel.alertTracks(entry);
    map.centreOnTracks(state.selected);
    state.dirty.lists = true;
  });
  map.start($('map'), $('tip'), panel.render);
  $('time').addEventListener('input', () => {
    state.live = false;
    state.tSel = state.t0 + Number($('time').value) * 60;
    $('live').classList.remove('on');
    state.dirty.static = true;
    syncSlider();
  });
  $('live').addEventListener('click', () => {
    state.live = true;
    $('live').classList.add('on');
    state.dirty.static = true;
    syncSlider();
  });
  refreshPlans().then(map.fitView);
  every(refreshPlans, 5000);
  feedNote();
  followAlerts(client, abort.signal, onAlert, (st) => { Object.assign(state.feed, st); feedNote(); });
  every(pollTracks, 1000);
  if (state.role === 'authority') followFeeds(client);
  every(pruneTracks, 2000);
  every(() => {
    $('clock').textContent = utc(nowS());
    syncSlider();
    $('stats').textContent = state.tracks.size + ' tracks \u00b7 draw ' + map.perf.lastDraw.toFixed(1) + ' ms';
    if (state.alerts.expire(nowS())) state.dirty.lists = true;
    panel.tick();
    map.tick();
  }, 1000);
}

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const key = $('key').value.trim();
  if (key) signin(key).catch((err) => showSignin(err.message));
});
$('signout').addEventListener('click', signout);

const saved = sessionStorage.getItem('dc.key');
const note = sessionStorage.getItem('dc.note');
sessionStorage.removeItem('dc.note');
if (saved) signin(saved).catch((err) => showSignin(err.message));
else showSignin(note || '');
