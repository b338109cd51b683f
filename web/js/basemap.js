/* The base layer under the volumes: sea, graticule with degree labels,
 * country outlines, airports and place names. Drawn when the view changes
 * (map.js), through the projection P = {px, py, unproject, W, H, ppd, k}.
 * Places and airports ship in web/vendor/places/ (scripts/web-data): names
 * are placed largest first and never over one another, so a zoomed-out
 * view shows capitals and a zoomed-in one towns. */
import { Placer } from './labels.js';

let countries = null;
let places = null;   /* [lon, lat, name, population], largest first */
let airports = null; /* [lon, lat, code, name, large] */

export function setCountries(rings) { countries = rings; }

/** Loads places and airports; resolves when both are in (or failed). */
export function loadPlaces() {
  const get = (f) => fetch('vendor/places/' + f).then((r) => (r.ok ? r.json() : null)).catch(() => null);
  return Promise.all([get('places.json'), get('airports.json')]).then(([p, a]) => {
    places = p;
    airports = a;
  });
}

/* Graticule spacing: the finest step leaving at least 70 px between lines. */
const STEPS = [0.25, 0.5, 1, 2, 5, 10, 15, 30];
function gridStep(pxPerDeg) { return STEPS.find((s) => s * pxPerDeg >= 70) || 30; }

function degLabel(v, pos, neg) {
  const a = Math.abs(v), t = Number.isInteger(a) ? String(a) : a.toFixed(2).replace(/0+$/, '');
  return t + '\u00b0' + (a === 180 || !v ? '' : v > 0 ? pos : neg);
}

/* Longitude in (-180, 180]. */
function wrapLon(lo) { return ((lo + 540) % 360 + 360) % 360 - 180 || (lo > 0 ? 180 : 0); }

function graticule(c, P) {
  const tl = P.unproject(0, 0), br = P.unproject(P.W, P.H);
  const sx = gridStep(P.ppd * P.k), sy = gridStep(P.ppd);
  c.strokeStyle = 'rgba(120,150,190,0.16)'; c.lineWidth = 1; c.beginPath();
  for (let lo = Math.ceil(tl.lon / sx) * sx; lo <= br.lon; lo += sx) { c.moveTo(P.px(lo), 0); c.lineTo(P.px(lo), P.H); }
  for (let la = Math.max(-90, Math.ceil(br.lat / sy) * sy); la <= Math.min(90, tl.lat); la += sy) { c.moveTo(0, P.py(la)); c.lineTo(P.W, P.py(la)); }
  c.stroke();
  c.font = '10px system-ui, sans-serif';
  c.fillStyle = '#7d95b0';
  c.textBaseline = 'top';
  for (let lo = Math.ceil(tl.lon / sx) * sx; lo <= br.lon; lo += sx) c.fillText(degLabel(wrapLon(lo), 'E', 'W'), P.px(lo) + 3, 3);
  c.textBaseline = 'bottom';
  for (let la = Math.max(-90, Math.ceil(br.lat / sy) * sy); la <= Math.min(90, tl.lat); la += sy) {
    if (P.py(la) > 14) c.fillText(degLabel(la, 'N', 'S'), 3, P.py(la) - 2);
  }
  c.textBaseline = 'alphabetic';
}

/* Country outlines; a ring reaching past +-180 is drawn again 360 degrees
 * over. */
function outlines(c, P) {
  const tl = P.unproject(0, 0), br = P.unproject(P.W, P.H);
  c.beginPath();
  countries.forEach((r) => {
    const b = r.b, p = r.p;
    for (const off of [-360, 0, 360]) {
      if (b[2] + off < tl.lon || b[0] + off > br.lon || b[3] < br.lat || b[1] > tl.lat) continue;
      /* Points under a pixel from the last one drawn are skipped: at world
       * zoom that leaves a tenth of the path to fill. */
      let lx = P.px(p[0] + off), ly = P.py(p[1]);
      c.moveTo(lx, ly);
      for (let i = 2; i < p.length; i += 2) {
        const x = P.px(p[i] + off), y = P.py(p[i + 1]);
        if (Math.abs(x - lx) + Math.abs(y - ly) < 0.8 && i < p.length - 2) continue;
        c.lineTo(x, y);
        lx = x; ly = y;
      }
      c.closePath();
    }
  });
  c.fillStyle = '#132033'; c.fill('evenodd');
  c.strokeStyle = '#46607f'; c.lineWidth = 0.8; c.stroke();
}

/* A label with a dark halo, so it reads over outlines and volumes. */
export function haloText(c, text, x, y, colour) {
  c.lineWidth = 3;
  c.strokeStyle = 'rgba(8,14,22,0.85)';
  c.strokeText(text, x, y);
  c.fillStyle = colour;
  c.fillText(text, x, y);
}

/**
 * Airports (when zoomed in enough) and places, each with its name where
 * the name fits; returns the names drawn.
 */
function names(c, P) {
  const drawn = [], placer = new Placer();
  const maxLabels = Math.round(P.W * P.H / 9000);
  const minPop = P.ppd >= 200 ? 0 : 2e7 / Math.pow(P.ppd, 1.5);
  const inView = (lon, lat) => { const x = P.px(lon), y = P.py(lat); return x > -2 && y > -2 && x < P.W + 2 && y < P.H + 2; };
  const put = (x, y, text, font, colour, dot) => {
    c.font = font;
    const w = c.measureText(text).width;
    const cand = [{ x: x + 5, y: y - 7, w, h: 12 }, { x: x - 5 - w, y: y - 7, w, h: 12 }, { x: x - w / 2, y: y + 4, w, h: 12 },
      { x: x - w / 2, y: y - 17, w, h: 12 }];
    const b = cand.find((k) => k.x >= 0 && k.y >= 0 && k.x + w <= P.W && k.y + 12 <= P.H && placer.free(k));
    if (!b) return false;
    placer.add(b);
    dot();
    haloText(c, text, b.x, b.y + 10, colour);
    drawn.push(text);
    return true;
  };
  const place = (p) => {
    const x = P.px(p[0]), y = P.py(p[1]), big = p[3] >= 1e6;
    return put(x, y, p[2], (big ? '600 11px' : '10px') + ' system-ui, sans-serif', big ? '#c9d6e3' : '#9fb1c4', () => {
      c.fillStyle = '#c9d6e3';
      c.fillRect(x - 1.5, y - 1.5, 3, 3);
    });
  };
  const airport = (a) => {
    const x = P.px(a[0]), y = P.py(a[1]);
    return put(x, y, a[2], '10px system-ui, sans-serif', '#8fd0ff', () => {
      c.strokeStyle = '#8fd0ff'; c.lineWidth = 1.2;
      c.beginPath(); c.arc(x, y, 3.5, 0, 2 * Math.PI);
      c.moveTo(x - 5.5, y); c.lineTo(x + 5.5, y); c.moveTo(x, y - 5.5); c.lineTo(x, y + 5.5);
      c.stroke();
    });
  };
  /* Cities of a million first, then airports, then the rest by size. */
  const list = [];
  if (places) places.forEach((p) => { if (p[3] >= Math.max(minPop, 1e6) && inView(p[0], p[1])) list.push(() => place(p)); });
  if (airports && P.ppd >= 25) {
    airports.forEach((a) => { if ((a[4] || P.ppd >= 60) && inView(a[0], a[1])) list.push(() => airport(a)); });
  }
  if (places) places.forEach((p) => { if (p[3] < 1e6 && p[3] >= minPop && inView(p[0], p[1])) list.push(() => place(p)); });
  for (const f of list) {
    if (drawn.length >= maxLabels) break;
    f();
  }
  return drawn;
}

/** Paints the base layer; returns the place and airport names drawn. */
export function renderBase(c, P) {
  c.fillStyle = '#0b1420';
  c.fillRect(0, 0, P.W, P.H);
  if (countries) outlines(c, P);
  graticule(c, P);
  return names(c, P);
}
