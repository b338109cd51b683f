/* Text for people, in aviation units: horizontal distances in NM with km
 * beside, heights in ft with m beside, flight levels as "FL350", times in
 * UTC with the date whenever it is not today's; HTML escaping. */

export const FT_PER_M = 3.28084;
export const KT_PER_MPS = 1.943844;
export const M_PER_NM = 1852;

function pad(n) { return (n < 10 ? '0' : '') + n; }

function ymd(d) { return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()); }

/** "2026-12-02 01:50:10Z" for seconds UTC. */
export function utc(s) {
  const d = new Date(s * 1000);
  return ymd(d) + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + 'Z';
}

/** "01:50Z" for seconds UTC. */
export function hm(s) {
  const d = new Date(s * 1000);
  return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + 'Z';
}

/** True when s (seconds UTC) falls on the UTC day of nowS. */
export function isToday(s, nowS) { return ymd(new Date(s * 1000)) === ymd(new Date(nowS * 1000)); }

/** "01:50Z" today, "2020-05-01 01:50Z" on any other day. */
export function when(s, nowS) { return (isToday(s, nowS) ? '' : ymd(new Date(s * 1000)) + ' ') + hm(s); }

/** A window: "10:00Z\u201312:00Z" today; the date before each end that is not today. */
export function span(ts, te, nowS) {
  const sameDay = ymd(new Date(ts * 1000)) === ymd(new Date(te * 1000));
  return when(ts, nowS) + '\u2013' + (sameDay && !isToday(ts, nowS) ? hm(te) : when(te, nowS));
}

/** A flight level: "FL350" (hundreds of feet, three digits). */
export function fl(m) { return 'FL' + String(Math.max(0, Math.round(m * FT_PER_M / 100))).padStart(3, '0'); }

/** A height: "10991 ft (3350 m)". */
export function mft(m) { return Math.round(m * FT_PER_M) + ' ft (' + Math.round(m) + ' m)'; }

/** A horizontal distance: "0.72 NM (1.3 km)"; NM to two decimals under 10. */
export function dist(m) {
  const nm = m / M_PER_NM;
  return nm.toFixed(nm < 10 ? 2 : 1) + ' NM (' + (m / 1000).toFixed(1) + ' km)';
}

/** A duration in words: "4 min 28 s", "45 s". */
export function dur(s) {
  const r = Math.max(0, Math.round(s));
  return r >= 60 ? Math.floor(r / 60) + ' min ' + pad(r % 60) + ' s' : r + ' s';
}

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(s) { return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]); }

/* Operators' track colours: none red, pink, orange or green, which the
 * map keeps for alerts, restrictions, nonconformance and active volumes. */
export const PALETTE = ['#3fd0e0', '#f4d35e', '#b9a4ff', '#7fb3ff', '#5fe0b0', '#d9b99b', '#c6e377', '#9ecbd6'];
/** Traffic with no operator (the authority's view of unknown aircraft). */
export const UNKNOWN_COLOUR = '#ffffff';
