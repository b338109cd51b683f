/* The map: one canvas. A base layer (basemap.js: graticule with degree
 * labels, country outlines, airports, place names) redrawn when the view
 * changes, a static layer (base plus every volume, faint
 * outside its time window) redrawn when the data or the selected time
 * change, and a per-frame layer of tracks (extrapolated linearly from their
 * last report) and active alerts, drawn from ImageBitmap sprites so that
 * thousands of tracks stay smooth. What is circled is also written to the
 * canvas's data-circled attribute (alert refs, space separated), and the
 * labels drawn are in state.labels: the picture itself cannot be asserted
 * on. Track labels are placed by labels.js, never over one another, with a
 * leader line when set off from their aircraft. The scale bar (#scalebar)
 * and the zoom buttons are HTML over the canvas. */
import { state, selTime, nowS, trackKey, ownerName, STALE_S, DAY_S } from './state.js';
import { seconds } from './api.js';
import { DEG, M_PER_DEG, decodeTopo, footprintShape, shapePoints, inShape } from './geo.js';
import { utc, mft, dist, fl, FT_PER_M, KT_PER_MPS, M_PER_NM } from './format.js';
import { renderBase as paintBase, setCountries, loadPlaces, haloText } from './basemap.js';
import { placeLabels, nearestPoint } from './labels.js';

export const STATE_COLOURS = {
  approved: '#4f8ef7', active: '#35c46a', nonconforming: '#ff9f1a',
  preempted: '#b36bff', ended: '#607080', withdrawn: '#607080',
  restriction: '#ff4d4d', notice: '#c0c8d0'
};
export const ALERT_COLOUR = '#ff3b3b';

/* Live tracks move a fraction of a pixel a frame at any useful zoom, so
 * the map is repainted at most every TRACK_FRAME_MS while only they move
 * (half the raster work of 60 Hz, on a CPU-only canvas the bulk of a
 * frame); a change of view, data or time is painted on the next frame. */
const TRACK_FRAME_MS = 33;

let canvas, ctx, tip;
const staticCanvas = document.createElement('canvas'), sctx = staticCanvas.getContext('2d');
const baseCanvas = document.createElement('canvas'), bctx = baseCanvas.getContext('2d');
let W = 0, H = 0, DPR = 1;
let items = [];        /* drawable volumes of the plans, rebuilt with the static layer */
let inTimeSig = '';    /* which of them are in their window at the painted time */
let drawnAt = 0;
const sprites = new Map(); /* colour -> 36 track sprites, one per 10 degrees */

/* ---- performance counters, for window.dc.perf() ---- */

export const perf = { deltas: [], last: 0, longTasks: 0, longest: 0, drawMax: 0, lastDraw: 0, sections: {} };

/* Longest time spent in each part of the page's work. */
function timed(name, fn) {
  const t0 = performance.now();
  const r = fn();
  const dt = performance.now() - t0, sec = perf.sections;
  if (!sec[name] || sec[name] < dt) sec[name] = dt;
  return r;
}

export function perfSummary() {
  const d = perf.deltas.slice().sort((a, b) => a - b);
  return {
    frames: d.length, tracks: state.tracks.size,
    max_frame_ms: d.length ? d[d.length - 1] : 0,
    p50_frame_ms: d.length ? d[Math.floor(d.length * 0.5)] : 0,
    p99_frame_ms: d.length ? d[Math.floor(d.length * 0.99)] : 0,
    max_draw_ms: perf.drawMax, long_tasks: perf.longTasks, longest_task_ms: perf.longest,
    sections_max_ms: perf.sections
  };
}

export function resetPerf() {
  Object.assign(perf, { deltas: [], last: 0, longTasks: 0, longest: 0, drawMax: 0, sections: {} });
}

/* ---- projection: equirectangular scaled by cos(latitude) at the centre ---- */

const V = state.view;
function px(lon) { return (lon - V.lon) * V.ppd * V.k + W / 2; }
function py(lat) { return H / 2 - (lat - V.lat) * V.ppd; }
function unproject(x, y) { return { lon: V.lon + (x - W / 2) / (V.ppd * V.k), lat: V.lat + (H / 2 - y) / V.ppd }; }
function mPerPx() { return M_PER_DEG / V.ppd; }
const P = { px, py, unproject, W: 0, H: 0, ppd: 0, k: 1 };
const MIN_PPD = 2, MAX_PPD = 5000;
function viewChanged() {
  V.lat = Math.max(-80, Math.min(80, V.lat));
  V.lon = ((V.lon + 540) % 360 + 360) % 360 - 180;
  V.k = Math.cos(V.lat * DEG);
  state.dirty.base = state.dirty.static = true;
  scaleBar();
}

/* ---- scale bar: the longest round distance in NM and in km under 120 px ---- */

const NICE = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
function scaleBar() {
  const el = document.getElementById('scalebar');
  if (!el || !W) return;
  const row = (unitM, unit) => {
    const n = NICE.filter((v) => v * unitM / mPerPx() <= 120).pop() || NICE[0];
    const w = Math.round(n * unitM / mPerPx());
    return '<div class="row"><div class="bar" style="width:' + w + 'px" data-px="' + w + '"></div><span>' + n + ' ' + unit + '</span></div>';
  };
  el.innerHTML = row(M_PER_NM, 'NM') + row(1000, 'km');
}

/** Zooms by factor f about the canvas point (x, y), the centre by default. */
export function zoomBy(f, x, y) {
  if (x === undefined) { x = W / 2; y = H / 2; }
  const before = unproject(x, y);
  V.ppd = Math.max(MIN_PPD, Math.min(MAX_PPD, V.ppd * f));
  const after = unproject(x, y);
  V.lon += before.lon - after.lon;
  V.lat += before.lat - after.lat;
  viewChanged();
}

export function resize() {
  const r = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  if (dpr !== DPR) sprites.clear();
  DPR = dpr;
  W = Math.max(1, r.width); H = Math.max(1, r.height);
  P.W = W; P.H = H;
  canvas.width = staticCanvas.width = baseCanvas.width = Math.round(W * DPR);
  canvas.height = staticCanvas.height = baseCanvas.height = Math.round(H * DPR);
  viewChanged();
}

/* ---- static layers ---- */

function traceShape(c, sh) {
  c.beginPath();
  if (sh.kind === 'circle') {
    c.arc(px(sh.lon), py(sh.lat), Math.max(2, sh.r / mPerPx()), 0, 2 * Math.PI);
  } else if (sh.kind === 'polygon') {
    sh.rings.forEach((ring) => {
      ring.forEach((p, i) => { if (i) c.lineTo(px(p[0]), py(p[1])); else c.moveTo(px(p[0]), py(p[1])); });
      c.closePath();
    });
  } else {
    sh.pts.forEach((p, i) => { if (i) c.lineTo(px(p[0]), py(p[1])); else c.moveTo(px(p[0]), py(p[1])); });
  }
}

function drawShape(c, sh, colour, alpha, dashed) {
  c.save();
  c.globalAlpha = alpha;
  c.setLineDash(dashed ? [6, 4] : []);
  traceShape(c, sh);
  if (sh.kind === 'corridor') {
    c.lineCap = 'round'; c.lineJoin = 'round';
    c.strokeStyle = colour;
    c.globalAlpha = alpha * 0.35;
    c.lineWidth = Math.max(3, 2 * sh.hw / mPerPx());
    c.stroke();
    c.globalAlpha = alpha;
    c.lineWidth = 1.2;
    c.stroke();
  } else {
    c.fillStyle = colour;
    c.globalAlpha = alpha * 0.22;
    c.fill();
    c.globalAlpha = alpha;
    c.strokeStyle = colour;
    c.lineWidth = 1.5;
    c.stroke();
  }
  c.restore();
}

/**
 * Every drawable volume with what its tooltip says.
 * @typedef {{what: 'restriction'|'notice'|'operation', title: string, id: string, owner: string,
 *            state: string, priority?: number, reason?: string, lower: number, upper: number,
 *            sh: object, ts: number, te: number}} Item
 * @returns {Item[]}
 */
function volumeItems() {
  const out = [];
  state.restrictions.forEach((r) => r.volumes.forEach((v) => out.push({
    what: 'restriction', title: 'Restriction ' + (r.name || r.id), name: r.name || '', id: r.id, owner: '', state: 'restriction',
    lower: v.altitude_lower_m, upper: v.altitude_upper_m, sh: footprintShape(v.footprint),
    ts: seconds(v.time_start), te: seconds(v.time_end)
  })));
  state.notices.forEach((n) => out.push({
    what: 'notice', title: n.kind === 'restriction' && n.name ? 'Restriction ' + n.name : 'Unavailable airspace (' + n.kind + ')',
    name: n.kind === 'restriction' && n.name ? n.name : '', id: n.id, owner: '',
    state: n.kind === 'restriction' ? 'restriction' : 'notice',
    lower: n.altitude_lower_m, upper: n.altitude_upper_m, sh: footprintShape(n.footprint),
    ts: seconds(n.time_start), te: seconds(n.time_end)
  }));
  state.operations.forEach((o) => o.volumes.forEach((v, i) => out.push({
    what: 'operation', title: 'Operation ' + (o.name ? o.name + ' (' + o.id + ')' : o.id) + (o.volumes.length > 1 ? ' #' + (i + 1) : ''),
    name: '', id: o.id, owner: ownerName(o), state: o.state, priority: o.priority, reason: o.reason,
    lower: v.altitude_lower_m, upper: v.altitude_upper_m, sh: footprintShape(v.footprint),
    ts: seconds(v.time_start), te: seconds(v.time_end)
  })));
  return out;
}

/* Which volumes are in their window at t: the static layer is redrawn
 * when this changes, not every second. */
function timeSig(t) { return items.map((it) => (t >= it.ts && t < it.te ? 1 : 0)).join(''); }

/** Called every second: repaint the volumes when one entered or left its window. */
export function tick() {
  if (state.live && timeSig(nowS()) !== inTimeSig) state.dirty.static = true;
}

function renderBase() {
  const c = bctx;
  c.setTransform(DPR, 0, 0, DPR, 0, 0);
  P.ppd = V.ppd; P.k = V.k;
  state.labels.places = paintBase(c, P);
  state.dirty.base = false;
}

/* Restriction names over their shapes, drawn once a name. */
function restrictionNames(c, t) {
  const seen = new Set();
  c.font = '600 11px system-ui, sans-serif';
  c.textAlign = 'center';
  items.forEach((it) => {
    if (!it.name || seen.has(it.name)) return;
    seen.add(it.name);
    /* Above the shape, centred: its middle often holds a place of the same name. */
    const pts = shapePoints(it.sh);
    let x = 0, y = Infinity;
    pts.forEach((p) => { x += px(p[0]); y = Math.min(y, py(p[1])); });
    x /= pts.length;
    if (it.sh.kind === 'circle') y -= it.sh.r / mPerPx();
    y = Math.max(14, y - 5);
    if (x < 0 || y > H || x > W) return;
    haloText(c, it.name, x, y, t >= it.ts && t < it.te ? '#ff9b9b' : '#b07a7a');
  });
  c.textAlign = 'left';
}

function renderStatic() {
  const c = sctx;
  if (state.dirty.base) timed('base', renderBase);
  c.setTransform(1, 0, 0, 1, 0, 0);
  c.drawImage(baseCanvas, 0, 0);
  c.setTransform(DPR, 0, 0, DPR, 0, 0);
  const t = selTime();
  items = volumeItems();
  inTimeSig = timeSig(t);
  items.forEach((it) => {
    if (it.state === 'ended' || it.state === 'withdrawn') return;
    const inTime = t >= it.ts && t < it.te;
    drawShape(c, it.sh, STATE_COLOURS[it.state] || '#888', inTime ? 1 : 0.22,
      (it.what === 'notice' && it.state !== 'restriction') || it.state === 'preempted');
  });
  restrictionNames(c, t);
  state.dirty.static = false;
}

/* ---- per-frame layer: tracks and alerts ---- */

/* Where a track is at t, written into tr.cur (one object per track,
 * reused every frame: no garbage from the per-frame layer). */
function trackPos(tr, t) {
  const dt = Math.max(0, Math.min(STALE_S, t - tr.t));
  const d = tr.gs * dt, a = tr.trk * DEG, p = tr.cur || (tr.cur = { lat: 0, lon: 0, alt: 0 });
  p.lat = tr.lat + d * Math.cos(a) / M_PER_DEG;
  p.lon = tr.lon + d * Math.sin(a) / (M_PER_DEG * Math.cos(tr.lat * DEG));
  p.alt = tr.alt + tr.vr * dt;
  return p;
}

/* One pre-drawn sprite per colour and 10-degree heading, kept as an
 * ImageBitmap: blitting a bitmap is cheap, whereas drawing from a canvas
 * element makes chromium snapshot the source canvas on every call (2,000
 * snapshots a frame, then rasterised one by one at commit). */
function makeSprite(colour, b) {
  const n = Math.ceil(18 * DPR), off = typeof OffscreenCanvas === 'function';
  const sp = off ? new OffscreenCanvas(n, n) : document.createElement('canvas');
  sp.width = sp.height = n;
  const c = sp.getContext('2d'), a = b * 10 * DEG, sn = Math.sin(a), cs = Math.cos(a);
  c.scale(DPR, DPR);
  c.translate(9, 9);
  c.beginPath();
  c.moveTo(7 * sn, -7 * cs);
  c.lineTo(-4 * sn + 4 * cs, 4 * cs + 4 * sn);
  c.lineTo(-4 * sn - 4 * cs, 4 * cs - 4 * sn);
  c.closePath();
  c.fillStyle = colour;
  c.fill();
  c.strokeStyle = 'rgba(0,0,0,0.6)';
  c.lineWidth = 0.8;
  c.stroke();
  return off && sp.transferToImageBitmap ? sp.transferToImageBitmap() : sp;
}

function spritesOf(colour) {
  let set = sprites.get(colour);
  if (!set) sprites.set(colour, set = new Array(36));
  return set;
}

function drawTracks(t) {
  const labels = state.tracks.size <= 300 && V.ppd >= 40, screen = state.screen;
  screen.length = 0;
  state.tracks.forEach((tr) => {
    const p = trackPos(tr, t), x = px(p.lon), y = py(p.lat);
    tr.x = x; tr.y = y;
    if (x < -20 || y < -20 || x > W + 20 || y > H + 20) return;
    screen.push(tr);
    const set = spritesOf(tr.colour), b = Math.round(tr.trk / 10) % 36;
    /* Whole device pixels: an unscaled, unfiltered blit is the cheapest
     * draw a CPU canvas has (a subpixel one is resampled). */
    ctx.drawImage(set[b] || (set[b] = makeSprite(tr.colour, b)),
      Math.round((x - 9) * DPR) / DPR, Math.round((y - 9) * DPR) / DPR, 18, 18);
  });
  if (labels) drawLabels(screen);
  else { state.labels.tracks = []; state.labels.hidden = 0; }
}

const LABEL_H = 14;
const labelSpot = new Map();   /* track key -> candidate used last frame */
const widths = new Map();      /* label text -> its width */

/* Callsign and flight level beside each aircraft, never over another
 * label: the selected and alerted aircraft are placed first. */
function drawLabels(screen) {
  ctx.font = '11px system-ui, sans-serif';
  const first = new Set(state.selected);
  state.alerts.entries.forEach((e) => {
    if (!e.active || !e.raised) return;
    const a = e.raised;
    if (a.a) { first.add(trackKey(a.a.operator, a.a.track_id)); first.add(trackKey(a.b.operator, a.b.track_id)); }
    else if (a.track_id) first.add(trackKey(a.operator || null, a.track_id));
  });
  const list = screen.map((tr) => {
    const text = tr.id + ' ' + fl(tr.cur.alt);
    let w = widths.get(text);
    if (w === undefined) {
      if (widths.size > 5000) widths.clear();
      widths.set(text, w = Math.ceil(ctx.measureText(text).width) + 6);
    }
    return { key: tr.key, x: tr.x, y: tr.y, text, w, pri: first.has(tr.key) ? 0 : 1 };
  });
  list.sort((a, b) => a.pri - b.pri || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const { placed, hidden } = placeLabels(list, labelSpot, W, H, LABEL_H);
  ctx.strokeStyle = 'rgba(200,214,230,0.7)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  placed.forEach((l) => {
    if (!l.leader) return;
    const e = nearestPoint(l, l.ax, l.ay), d = Math.hypot(e.x - l.ax, e.y - l.ay) || 1;
    ctx.moveTo(l.ax + (e.x - l.ax) * 7 / d, l.ay + (e.y - l.ay) * 7 / d);
    ctx.lineTo(e.x, e.y);
  });
  ctx.stroke();
  placed.forEach((l) => {
    ctx.fillStyle = 'rgba(11,20,32,0.72)';
    ctx.fillRect(l.x, l.y, l.w, l.h);
    ctx.fillStyle = '#e8eef5';
    ctx.fillText(l.text, l.x + 3, l.y + 11);
  });
  state.labels.tracks = placed;
  state.labels.hidden = hidden;
}

/* A white ring around each aircraft of the alert clicked last. */
function drawSelected() {
  const shown = [];
  if (state.selected.length) {
    ctx.save();
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 1.5;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    state.selected.forEach((k) => {
      const tr = state.tracks.get(k);
      if (!tr || !Number.isFinite(tr.x)) return;
      shown.push(k);
      ctx.moveTo(tr.x + 17, tr.y);
      ctx.arc(tr.x, tr.y, 17, 0, 2 * Math.PI);
    });
    ctx.stroke();
    ctx.restore();
  }
  const v = shown.join(' ');
  if (canvas.dataset.selected !== v) canvas.dataset.selected = v;
}

function drawnTrack(operator, trackId) {
  const tr = state.tracks.get(trackKey(operator, trackId));
  return tr && Number.isFinite(tr.x) ? tr : null;
}

/* Rings each active pair alert's aircraft: the authority's both sides and
 * a line between them; an operator's own aircraft and a short tick towards
 * the intruder's sector (all it is told: no distance). Records the refs. */
const SECTOR_DEG = { N: 0, NE: 45, E: 90, SE: 135, S: 180, SW: 225, W: 270, NW: 315 };

function drawAlerts() {
  const circled = [];
  ctx.save();
  ctx.strokeStyle = ALERT_COLOUR;
  ctx.lineWidth = 2;
  state.alerts.entries.forEach((e) => {
    if (!e.active || e.kind !== 'pair' || !e.raised) return;
    const a = e.raised;
    const own = a.a ? drawnTrack(a.a.operator, a.a.track_id) : drawnTrack(null, a.track_id);
    const other = a.b ? drawnTrack(a.b.operator, a.b.track_id) : null;
    if (!own) return;
    circled.push(e.key);
    ctx.beginPath();
    ctx.arc(own.x, own.y, 12, 0, 2 * Math.PI);
    if (other) {
      ctx.moveTo(other.x + 12, other.y);
      ctx.arc(other.x, other.y, 12, 0, 2 * Math.PI);
      ctx.moveTo(own.x, own.y);
      ctx.lineTo(other.x, other.y);
    } else if ((e.revised || a).intruder && (e.revised || a).intruder.sector) {
      const b = SECTOR_DEG[(e.revised || a).intruder.sector] * DEG, L = 30; /* the newest picture */
      ctx.moveTo(own.x + 12 * Math.sin(b), own.y - 12 * Math.cos(b));
      ctx.lineTo(own.x + L * Math.sin(b), own.y - L * Math.cos(b));
    }
    ctx.stroke();
  });
  ctx.restore();
  setCircled(circled);
}

function setCircled(refs) {
  const was = state.circled;
  if (refs.length === was.length && refs.every((r, i) => r === was[i])) return;
  state.circled = refs;
  canvas.dataset.circled = refs.join(' ');
}

function frame(ts) {
  requestAnimationFrame(frame);
  if (perf.last) {
    perf.deltas.push(ts - perf.last);
    if (perf.deltas.length > 3000) perf.deltas.shift();
  }
  perf.last = ts;
  const t0 = performance.now();
  if (state.dirty.lists && onFrame) timed('lists', onFrame);
  if (!state.dirty.static && !(state.live && ts - drawnAt >= TRACK_FRAME_MS - 4)) return;
  drawnAt = ts;
  if (state.dirty.static) timed('static', renderStatic);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(staticCanvas, 0, 0);
  ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
  if (state.live) {
    const t = nowS();
    timed('tracks', () => drawTracks(t));
    timed('alerts', drawAlerts);
    drawSelected();
  } else {
    state.screen.length = 0;
    setCircled([]);
  }
  perf.drawMax = Math.max(perf.drawMax, performance.now() - t0);
  perf.lastDraw = performance.now() - t0;
}

/* ---- tooltip and interaction ---- */

function tooltip(x, y) {
  let best = null, bd = 10;
  state.screen.forEach((tr) => {
    const d = Math.hypot(tr.x - x, tr.y - y);
    if (d < bd) { bd = d; best = tr; }
  });
  const lines = [];
  if (best) {
    const p = best.cur;
    lines.push('Track ' + best.id + (best.operatorName ? ' (' + best.operatorName + ')' : ''));
    if (best.operation) {
      const op = state.operations.find((o) => o.id === best.operation);
      lines.push('operation ' + (op && op.name ? op.name + ' (' + best.operation + ')' : best.operation));
    }
    lines.push(fl(p.alt) + ', altitude ' + mft(p.alt));
    lines.push('ground speed ' + Math.round(best.gs * KT_PER_MPS) + ' kt (' + Math.round(best.gs) + ' m/s), track ' + Math.round(best.trk) + '\u00b0');
    lines.push('vertical rate ' + Math.round(best.vr * FT_PER_M * 60) + ' ft/min (' + best.vr.toFixed(1) + ' m/s)');
    lines.push(p.lat.toFixed(4) + ', ' + p.lon.toFixed(4) + '  report ' + utc(best.t));
  } else {
    const g = unproject(x, y), t = selTime();
    items.forEach((it) => {
      if (lines.length > 24 || it.state === 'ended' || it.state === 'withdrawn' || !inShape(it.sh, g.lon, g.lat)) return;
      if (lines.length) lines.push('');
      lines.push(it.title + (it.owner ? ' \u00b7 ' + it.owner : '') + ' \u00b7 ' + it.state +
        (t >= it.ts && t < it.te ? '' : ' (not at this time)'));
      lines.push(mft(it.lower) + ' to ' + mft(it.upper));
      lines.push(utc(it.ts) + ' to ' + utc(it.te));
      if (it.sh.kind === 'circle') lines.push('circle radius ' + dist(it.sh.r));
      if (it.sh.kind === 'corridor') lines.push('corridor half width ' + dist(it.sh.hw));
      if (it.priority !== undefined) lines.push('priority ' + it.priority + (it.reason ? ', ' + it.reason : ''));
    });
  }
  if (!lines.length) { tip.hidden = true; return; }
  tip.textContent = lines.join('\n');
  tip.hidden = false;
  tip.style.left = Math.min(x + 14, W - 300) + 'px';
  tip.style.top = Math.min(y + 14, H - 120) + 'px';
}

function setupInteraction() {
  let drag = null;
  canvas.addEventListener('mousedown', (e) => {
    drag = { x: e.clientX, y: e.clientY, lon: V.lon, lat: V.lat };
    canvas.classList.add('drag');
  });
  window.addEventListener('mouseup', () => { drag = null; canvas.classList.remove('drag'); });
  canvas.addEventListener('mousemove', (e) => {
    const r = canvas.getBoundingClientRect();
    if (drag) {
      V.lon = drag.lon - (e.clientX - drag.x) / (V.ppd * V.k);
      V.lat = drag.lat + (e.clientY - drag.y) / V.ppd;
      viewChanged();
      tip.hidden = true;
      return;
    }
    tooltip(e.clientX - r.left, e.clientY - r.top);
  });
  canvas.addEventListener('mouseleave', () => { tip.hidden = true; });
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    zoomBy(Math.pow(1.0015, -e.deltaY), x, y);
  }, { passive: false });
  /* Zoom buttons, and + and - on the keyboard (not while typing). */
  const btn = (id, fn) => { const b = document.getElementById(id); if (b) b.addEventListener('click', fn); };
  btn('zoom-in', () => zoomBy(2));
  btn('zoom-out', () => zoomBy(0.5));
  btn('zoom-fit', () => fitView());
  window.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test((e.target && e.target.tagName) || '')) return;
    if (e.key === '+' || e.key === '=') { zoomBy(2); e.preventDefault(); }
    else if (e.key === '-' || e.key === '_') { zoomBy(0.5); e.preventDefault(); }
  });
  window.addEventListener('resize', resize);
}

/* The extent [minlon, minlat, maxlon, maxlat] of shapes, circles and
 * corridors with their radius or half width. */
function extent(shapes) {
  const b = [180, 90, -180, -90];
  shapes.forEach((sh) => {
    const m = sh.kind === 'circle' ? sh.r : sh.kind === 'corridor' ? sh.hw : 0;
    shapePoints(sh).forEach((p) => {
      const dy = m / M_PER_DEG, dx = dy / Math.max(0.05, Math.cos(p[1] * DEG));
      b[0] = Math.min(b[0], p[0] - dx); b[1] = Math.min(b[1], p[1] - dy);
      b[2] = Math.max(b[2], p[0] + dx); b[3] = Math.max(b[3], p[1] + dy);
    });
  });
  return b[0] <= b[2] ? b : null;
}

/* Shows the extent b with a margin; spans under minDeg are shown as minDeg. */
function showExtent(b, minDeg) {
  V.lon = (b[0] + b[2]) / 2;
  V.lat = (b[1] + b[3]) / 2;
  V.k = Math.cos(V.lat * DEG);
  const spanX = Math.max(minDeg, b[2] - b[0]) * V.k, spanY = Math.max(minDeg, b[3] - b[1]);
  V.ppd = Math.max(MIN_PPD, Math.min(MAX_PPD, W / (spanX * 1.25), H / (spanY * 1.25)));
  viewChanged();
}

/** Frames the data: the extent of operations and notices, else Iraq. */
export function fitView() {
  const b = extent(volumeItems().filter((it) => it.what !== 'restriction' && it.state !== 'ended' &&
    it.state !== 'withdrawn').map((it) => it.sh));
  showExtent(b || [38.5, 29, 48.5, 37.5], 0.5);
}

/** Zooms to the extent of an operation's volumes (and, off live, selects its start). */
export function zoomTo(op) {
  showExtent(extent(op.volumes.map((v) => footprintShape(v.footprint))), 0.05);
  if (!state.live) state.tSel = Math.max(state.t0, Math.min(state.t0 + DAY_S, seconds(op.volumes[0].time_start)));
}

/** Centres on tracks (keys) without changing the zoom; false when none is drawn. */
export function centreOnTracks(keys) {
  const trs = keys.map((k) => state.tracks.get(k)).filter((t) => t && t.cur);
  if (!trs.length) return false;
  V.lon = trs.reduce((a, t) => a + t.cur.lon, 0) / trs.length;
  V.lat = trs.reduce((a, t) => a + t.cur.lat, 0) / trs.length;
  viewChanged();
  return true;
}

let onFrame = null;

/**
 * Starts drawing on canvasEl; tipEl shows what is under the pointer;
 * beforeFrame() runs in the frame callback whenever state.dirty.lists is set.
 */
export function start(canvasEl, tipEl, beforeFrame) {
  canvas = canvasEl;
  ctx = canvas.getContext('2d');
  tip = tipEl;
  onFrame = beforeFrame;
  canvas.dataset.circled = '';
  resize();
  setupInteraction();
  if ('PerformanceObserver' in window) {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach((e) => {
        perf.longTasks++;
        perf.longest = Math.max(perf.longest, e.duration);
      })).observe({ entryTypes: ['longtask'] });
    } catch (e) { /* not supported */ }
  }
  fetch('vendor/world-atlas/countries-50m.json').then((r) => r.json()).then((topo) => {
    setCountries(decodeTopo(topo));
    viewChanged();
  }).catch(() => {});
  loadPlaces().then(viewChanged);
  requestAnimationFrame(frame);
}
