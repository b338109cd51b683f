/* Text for people: times in UTC, metres with feet beside them, HTML escaping. */

export const FT_PER_M = 3.28084;
export const KT_PER_MPS = 1.943844;

function pad(n) { return (n < 10 ? '0' : '') + n; }

/** "2026-12-02 01:50:10Z" for seconds UTC. */
export function utc(s) {
  const d = new Date(s * 1000);
  return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
    pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + 'Z';
}

/** "01:50Z" for seconds UTC. */
export function hm(s) {
  const d = new Date(s * 1000);
  return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + 'Z';
}

/** A height: "3350 m (10991 ft)". */
export function mft(m) { return Math.round(m) + ' m (' + Math.round(m * FT_PER_M) + ' ft)'; }

/** A horizontal distance: km and NM from 10 km up, else m and ft. */
export function dist(m) {
  return m >= 10000 ? (m / 1000).toFixed(1) + ' km (' + (m / 1852).toFixed(1) + ' NM)'
    : Math.round(m) + ' m (' + Math.round(m * FT_PER_M) + ' ft)';
}

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(s) { return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]); }

/** A stable colour for an operator's name. */
export function hue(name) {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return 'hsl(' + (h % 360) + ',75%,62%)';
}
