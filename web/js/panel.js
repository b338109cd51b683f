/* The side panel: active alerts, ended ones, operations, and the notices
 * (operator) or restrictions and parties (authority); and the map's legend.
 * Rendered from state when state.dirty.lists is set. Each alert's <li>
 * carries data-alert (its key: the `alert` ref for a pair). */
import { state, ownerName } from './state.js';
import { seconds } from './api.js';
import { STATE_COLOURS, ALERT_COLOUR } from './map.js';
import { utc, hm, dist, esc, FT_PER_M } from './format.js';

const $ = (id) => document.getElementById(id);
const PAST_SHOWN = 50;

function badge(text, colour) {
  return '<span class="badge" style="background:' + colour + '">' + esc(text) + '</span>';
}

function sideName(side) {
  return (side.operator ? side.operator.name : 'unknown') + '/' + side.track_id;
}

/** What an alert says, one line per element (the first is its title). */
function alertLines(e) {
  const a = e.raised, lines = [];
  if (e.kind === 'probing') {
    lines.push('Probing suspected: ' + a.operator.name);
    lines.push(a.rejections + ' rejections within ' + a.window_s + ' s in ' +
      a.area.map((x) => x.toFixed(2)).join(', ') + ' (lon/lat box)');
  } else if (e.kind === 'conformance') {
    const rec = e.ended || a;
    lines.push((e.active ? 'Nonconforming: ' : 'Conforming again: ') +
      (rec.operator ? rec.operator.name + '/' : '') + rec.track_id + (rec.operation_id ? ' (' + rec.operation_id + ')' : ''));
  } else if (!a) {
    /* Only the clear was kept by the server. */
    const c = e.ended;
    lines.push('Predicted loss of separation: ' + (c.a ? sideName(c.a) + ' \u2194 ' + sideName(c.b) : 'own ' + c.track_id));
  } else if (a.intruder) {
    const rel = a.intruder;
    lines.push('Predicted loss of separation: own ' + a.track_id);
    lines.push('intruder ' + (rel.sector || 'close') + ', ' + rel.distance_band + ', ' + rel.vertical);
    lines.push('loss in ' + Math.round(a.t_los_s) + '+ s' + (a.los_now ? ', LOSS NOW' : ''));
    const v = a.advisory || {};
    lines.push('advisory: ' + (v.maneuver === 'turn'
      ? 'turn ' + v.direction + ' ' + v.turn_deg + '\u00b0 to ' + v.heading_deg + '\u00b0'
      : v.maneuver + ' to ' + Math.round(v.altitude_m) + ' m (' + Math.round(v.altitude_m * FT_PER_M) + ' ft)'));
  } else {
    lines.push('Predicted loss of separation: ' + sideName(a.a) + ' \u2194 ' + sideName(a.b));
    lines.push('CPA in ' + Math.round(a.t_cpa_s) + ' s at ' + dist(a.d_cpa_m) +
      ', loss in ' + Math.round(a.t_in_s) + ' s' + (a.los_now ? ', LOSS NOW' : ''));
  }
  return lines;
}

function alertItem(e) {
  const lines = alertLines(e);
  const label = e.active ? (e.kind === 'pair' ? 'raised' : e.kind) : e.kind === 'pair' ? 'cleared' : 'ended';
  const colour = !e.active ? '#607080' : e.kind === 'pair' ? ALERT_COLOUR : '#ff9f1a';
  const when = e.active ? utc(e.t) : utc(e.t) + ' \u2013 ' + utc(e.tEnd);
  return '<li class="alert' + (e.active ? '' : ' cleared') + '" data-alert="' + esc(e.key) + '">' +
    badge(label, colour) + esc(lines[0]) + '<div class="sub">' +
    lines.slice(1).map((l) => esc(l) + '<br>').join('') + when + '</div></li>';
}

function opItem(o) {
  const lo = Math.min(...o.volumes.map((v) => v.altitude_lower_m));
  const hi = Math.max(...o.volumes.map((v) => v.altitude_upper_m));
  const ts = seconds(o.volumes[0].time_start), te = seconds(o.volumes[o.volumes.length - 1].time_end);
  return '<li data-op="' + esc(o.id) + '">' + badge(o.state, STATE_COLOURS[o.state] || '#888') +
    (o.owner ? '<b>' + esc(ownerName(o)) + '</b> ' : '') + esc(o.id) +
    '<div class="sub">' + hm(ts) + '\u2013' + hm(te) +
    ' \u00b7 ' + Math.round(lo) + '\u2013' + Math.round(hi) + ' m (' + Math.round(lo * FT_PER_M) + '\u2013' +
    Math.round(hi * FT_PER_M) + ' ft) \u00b7 p' + o.priority + (o.reason ? ' \u00b7 ' + esc(o.reason) : '') + '</div></li>';
}

export function render() {
  state.dirty.lists = false;
  const ops = state.operations.slice().sort((a, b) => seconds(a.volumes[0].time_start) - seconds(b.volumes[0].time_start));
  $('op-count').textContent = '(' + ops.length + ')';
  $('ops').innerHTML = ops.slice(0, 300).map(opItem).join('');

  const active = state.alerts.list(true), past = state.alerts.list(false);
  $('alert-count').textContent = '(' + active.length + ')';
  $('alerts').innerHTML = active.map(alertItem).join('');
  $('past-count').textContent = '(' + past.length + ')';
  $('alerts-past').innerHTML = past.slice(0, PAST_SHOWN).map(alertItem).join('');

  let extra;
  if (state.role === 'operator') {
    extra = '<h2>Notices <span class="count">(' + state.notices.length + ')</span></h2>' +
      '<div class="sub">Airspace unavailable to you (blind: no owner, grown and coarsened).</div>';
  } else {
    extra = '<h2>Restrictions <span class="count">(' + state.restrictions.length + ')</span></h2>' +
      state.restrictions.map((r) => '<div class="sub">' + esc(r.name || r.id) + '</div>').join('') +
      '<h2 style="margin-top:8px">Parties</h2><div class="sub">' + [...state.operators.values()].map(esc).join(', ') + '</div>';
  }
  $('extra').innerHTML = extra;
}

export function legend() {
  const keys = state.role === 'authority'
    ? ['restriction', 'approved', 'active', 'nonconforming', 'preempted']
    : ['notice', 'restriction', 'approved', 'active', 'nonconforming', 'preempted'];
  $('legend').innerHTML = keys.map((k) => '<span><i style="background:' + STATE_COLOURS[k] + '"></i>' + k + '</span>').join('') +
    '<span><i style="background:' + ALERT_COLOUR + '"></i>alert</span>';
}

/** onOperation(op) when an operation of the list is clicked. */
export function setup(onOperation) {
  $('ops').addEventListener('click', (e) => {
    const li = e.target.closest('li[data-op]');
    const o = li && state.operations.find((x) => x.id === li.dataset.op);
    if (o) onOperation(o);
  });
}
