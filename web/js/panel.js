/* The side panel: active alerts, ended ones, operations, and the notices
 * (operator) or restrictions and parties (authority); and the map's legend.
 * Rendered from state when state.dirty.lists is set; the countdowns of
 * active alerts (.cd, data-at: seconds UTC of the event) are rewritten every
 * second by tick(). Each alert's <li> carries data-alert (its key: the
 * `alert` ref for a pair), each operation's data-op. */
import { state, ownerName, trackKey, nowS, OWN_COLOUR } from './state.js';
import { seconds } from './api.js';
import { STATE_COLOURS, ALERT_COLOUR } from './map.js';
import { utc, when, span, dist, dur, esc, fl, mft, UNKNOWN_COLOUR } from './format.js';

const $ = (id) => document.getElementById(id);
const PAST_SHOWN = 50;

function badge(text, colour) {
  return '<span class="badge" style="background:' + colour + '">' + esc(text) + '</span>';
}

function sideName(side) {
  return (side.operator ? side.operator.name : 'unknown') + '/' + side.track_id;
}

/* A countdown to seconds UTC `at`, live while the alert is active, else
 * the figure as raised. Marked by control characters that esc() keeps,
 * turned into a <span class="cd"> by alertItem. */
function cd(at, asRaised, live) { return live ? '\u0001' + at + '\u0002' : dur(asRaised); }
function countdownText(at, now) { return at - now > 0.5 ? dur(at - now) : 'now'; }

/** What an alert says, one line per element (the first is its title). */
function alertLines(e) {
  const a = e.raised, lines = [], live = e.active;
  if (e.kind === 'probing') {
    lines.push('Probing suspected: ' + a.operator.name);
    lines.push(a.rejections + ' rejections within ' + a.window_s + ' s in ' +
      a.area.map((x) => x.toFixed(2)).join(', ') + ' (lon/lat box)');
  } else if (e.kind === 'conformance') {
    const rec = e.ended || a;
    lines.push((e.active ? 'Nonconforming: ' : 'Conforming again: ') +
      (rec.operator ? rec.operator.name + '/' : '') + rec.track_id + (rec.operation_id ? ' (' + opName(rec.operation_id) + ')' : ''));
  } else if (!a) {
    /* Only the clear was kept by the server. */
    const c = e.ended;
    lines.push('Predicted loss of separation: ' + (c.a ? sideName(c.a) + ' \u2194 ' + sideName(c.b) : 'own ' + c.track_id));
  } else if (a.intruder) {
    /* The newest advisory: a revision's picture and manoeuvre replace the raise's. */
    const r = e.revised || a, tr = e.revised ? seconds(r.time) : e.t, rel = r.intruder;
    lines.push('Predicted loss of separation: own ' + a.track_id);
    lines.push('intruder ' + (rel.sector || 'close') + ', ' + rel.distance_band + ', ' + rel.vertical);
    lines.push((live ? 'loss in ' : 'loss was predicted in ') + cd(tr + r.t_los_s, r.t_los_s, live) + (r.los_now ? ', LOSS NOW' : ''));
    const v = r.advisory || {};
    lines.push((r.kind === 'revised' ? 'revised advisory (' + r.revision + '): ' : 'advisory: ') + (v.maneuver === 'turn'
      ? 'turn ' + v.direction + ' ' + v.turn_deg + '\u00b0 to ' + v.heading_deg + '\u00b0'
      : v.maneuver + ' to ' + fl(v.altitude_m) + ' (' + mft(v.altitude_m) + ')'));
  } else {
    lines.push('Predicted loss of separation: ' + sideName(a.a) + ' \u2194 ' + sideName(a.b));
    lines.push((live ? 'CPA in ' : 'CPA was predicted in ') + cd(e.t + a.t_cpa_s, a.t_cpa_s, live) + ' at ' + dist(a.d_cpa_m) +
      ', loss in ' + cd(e.t + a.t_in_s, a.t_in_s, live) + (a.los_now ? ', LOSS NOW' : ''));
  }
  return lines;
}

function opName(id) {
  const o = state.operations.find((x) => x.id === id);
  return o && o.name ? o.name : id;
}

function alertItem(e, now) {
  const lines = alertLines(e);
  const label = e.active ? (e.kind === 'pair' ? 'raised' : e.kind) : e.kind === 'pair' ? 'cleared' : 'ended';
  const colour = !e.active ? '#607080' : e.kind === 'pair' ? ALERT_COLOUR : '#ff9f1a';
  const t = e.active ? 'raised ' + when(e.t, now) : when(e.t, now) + ' \u2013 ' + when(e.tEnd, now);
  const html = (l) => esc(l).replace(/\u0001([-\d.e]+)\u0002/g, (m, at) =>
    '<span class="cd" data-at="' + at + '">' + countdownText(Number(at), now) + '</span>');
  return '<li class="alert' + (e.active ? '' : ' cleared') + (sameKeys(alertTracks(e), state.selected) ? ' sel' : '') +
    '" data-alert="' + esc(e.key) + '">' + badge(label, colour) + html(lines[0]) + '<div class="sub">' +
    lines.slice(1).map((l) => html(l) + '<br>').join('') + t + '</div></li>';
}

function sameKeys(a, b) { return a.length > 0 && a.length === b.length && a.every((k, i) => k === b[i]); }

/** The track keys of an alert's aircraft (own first). */
export function alertTracks(e) {
  const a = e.raised || e.ended;
  if (!a) return [];
  if (a.a && a.b) return [trackKey(a.a.operator, a.a.track_id), trackKey(a.b.operator, a.b.track_id)];
  return a.track_id ? [trackKey(a.operator || null, a.track_id)] : [];
}

function opItem(o, now) {
  const lo = Math.min(...o.volumes.map((v) => v.altitude_lower_m));
  const hi = Math.max(...o.volumes.map((v) => v.altitude_upper_m));
  const ts = seconds(o.volumes[0].time_start), te = Math.max(...o.volumes.map((v) => seconds(v.time_end)));
  return '<li data-op="' + esc(o.id) + '" data-state="' + esc(o.state) + '">' + badge(o.state, STATE_COLOURS[o.state] || '#888') +
    (o.owner ? '<b>' + esc(ownerName(o)) + '</b> ' : '') +
    (o.name ? '<span class="opname">' + esc(o.name) + '</span> <span class="opid">' + esc(o.id) + '</span>' : esc(o.id)) +
    '<div class="sub">' + span(ts, te, now) + ' \u00b7 ' + fl(lo) + '\u2013' + fl(hi) +
    ' (' + Math.round(lo) + '\u2013' + Math.round(hi) + ' m) \u00b7 p' + o.priority + (o.reason ? ' \u00b7 ' + esc(o.reason) : '') + '</div></li>';
}

export function render() {
  state.dirty.lists = false;
  const now = nowS();
  const ops = state.operations.slice().sort((a, b) => seconds(a.volumes[0].time_start) - seconds(b.volumes[0].time_start));
  $('op-count').textContent = '(' + ops.length + ')';
  $('ops').innerHTML = ops.slice(0, 300).map((o) => opItem(o, now)).join('');

  const active = state.alerts.list(true), past = state.alerts.list(false);
  $('alert-count').textContent = '(' + active.length + ')';
  $('alerts').innerHTML = active.map((e) => alertItem(e, now)).join('');
  $('past-count').textContent = '(' + past.length + ')';
  $('alerts-past').innerHTML = past.slice(0, PAST_SHOWN).map((e) => alertItem(e, now)).join('');

  let extra;
  if (state.role === 'operator') {
    const named = state.notices.filter((n) => n.kind === 'restriction' && n.name).map((n) => n.name);
    extra = '<h2>Notices <span class="count">(' + state.notices.length + ')</span></h2>' +
      [...new Set(named)].map((n) => '<div class="sub">Restriction ' + esc(n) + '</div>').join('') +
      '<div class="sub">Airspace unavailable to you: restrictions exact, other operations blind (no owner, grown and coarsened).</div>';
  } else {
    extra = '<h2>Restrictions <span class="count">(' + state.restrictions.length + ')</span></h2>' +
      state.restrictions.map((r) => '<div class="sub">' + esc(r.name || r.id) + '</div>').join('') +
      '<h2 style="margin-top:8px">Parties</h2><div class="sub">' + [...state.operators.values()].map(esc).join(', ') + '</div>';
  }
  $('extra').innerHTML = extra;
  legend();
}

/** Rewrites the live countdowns (every second). */
export function tick() {
  const now = nowS();
  document.querySelectorAll('#alerts .cd').forEach((el) => {
    const t = countdownText(Number(el.dataset.at), now);
    if (el.textContent !== t) el.textContent = t;
  });
}

let legendSig = '';
/** Volume states, alerts, and whose aircraft each colour is. */
export function legend() {
  const keys = state.role === 'authority'
    ? ['restriction', 'approved', 'active', 'nonconforming', 'preempted']
    : ['notice', 'restriction', 'approved', 'active', 'nonconforming', 'preempted'];
  const sw = (colour, text, cls) => '<span' + (cls ? ' class="' + cls + '"' : '') + '><i style="background:' + colour + '"></i>' + esc(text) + '</span>';
  let html = keys.map((k) => sw(STATE_COLOURS[k], k)).join('') + sw(ALERT_COLOUR, 'alert');
  if (state.role === 'authority') {
    const ops = [...state.palette.entries()].map(([id, c]) => sw(c, state.operators.get(id) || id, 'aircraft')).join('');
    html += '<br>aircraft: ' + ops + sw(UNKNOWN_COLOUR, 'no operator', 'aircraft');
  } else {
    html += '<br>' + sw(OWN_COLOUR, 'own aircraft', 'aircraft');
  }
  if (html !== legendSig) { legendSig = html; $('legend').innerHTML = html; }
}

/** onOperation(op) when an operation of the list is clicked; onAlert(entry) for an alert. */
export function setup(onOperation, onAlert) {
  $('ops').addEventListener('click', (e) => {
    const li = e.target.closest('li[data-op]');
    const o = li && state.operations.find((x) => x.id === li.dataset.op);
    if (o) onOperation(o);
  });
  const alertClick = (e) => {
    const li = e.target.closest('li[data-alert]');
    const entry = li && state.alerts.entries.get(li.dataset.alert);
    if (entry) onAlert(entry);
  };
  $('alerts').addEventListener('click', alertClick);
  $('alerts-past').addEventListener('click', alertClick);
}
