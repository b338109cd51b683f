/* Label placement with no two labels overlapping: boxes are placed greedily,
 * each at the first free candidate position, and a grid of cells finds the
 * boxes a candidate could touch. Track labels try a ring of eight
 * positions next to the aircraft, then rings further out, drawn with a
 * leader line back to it; a label keeps last frame's position while that
 * is free, so labels do not jump about as aircraft move. No DOM here:
 * tests/web/check-modules.mjs runs it in node. */

const CELL = 64;

/** Boxes placed so far; free() tells whether a box touches none of them. */
export class Placer {
  constructor() { this.cells = new Map(); this.boxes = []; }

  *cellsOf(b) {
    for (let cx = Math.floor(b.x / CELL); cx <= Math.floor((b.x + b.w) / CELL); cx++)
      for (let cy = Math.floor(b.y / CELL); cy <= Math.floor((b.y + b.h) / CELL); cy++) yield cx + ',' + cy;
  }

  free(b) {
    for (const k of this.cellsOf(b)) {
      const list = this.cells.get(k);
      if (list && list.some((o) => overlap(o, b))) return false;
    }
    return true;
  }

  add(b) {
    this.boxes.push(b);
    for (const k of this.cellsOf(b)) {
      const list = this.cells.get(k);
      if (list) list.push(b); else this.cells.set(k, [b]);
    }
  }
}

/** Boxes {x, y, w, h} overlap when they share more than an edge. */
export function overlap(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/* Rings of candidate positions: distance from the aircraft to the box's
 * nearest side, then eight directions, upper right first (where a label
 * sits by default). */
const RINGS = [10, 24, 40, 58, 80, 106, 136];
const DIRS = [[1, -1], [1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1]];
export const CANDIDATES = RINGS.length * DIRS.length;

/** The box of candidate i for a w x h label of an aircraft at (x, y). */
export function candidate(i, x, y, w, h) {
  const r = RINGS[Math.floor(i / DIRS.length)], d = DIRS[i % DIRS.length];
  const ax = x + d[0] * r * (d[1] ? 0.8 : 1), ay = y + d[1] * r * (d[0] ? 0.7 : 1);
  return {
    x: d[0] > 0 ? ax : d[0] < 0 ? ax - w : ax - w / 2,
    y: d[1] > 0 ? ay : d[1] < 0 ? ay - h : ay - h / 2,
    w, h, ring: Math.floor(i / DIRS.length)
  };
}

/**
 * Places one label per aircraft, in the order given (put those that matter
 * most first). items: {key, x, y, text, w}; prev: Map key -> candidate index
 * of last frame (updated); W, H: the visible area; h: the label height.
 * Returns {placed: [{key, text, x, y, w, h, ax, ay, ring, leader}], hidden: n}:
 * a label that fits nowhere is left out (hidden), never drawn over another;
 * leader: anywhere but the default place (upper right), where a line to its
 * aircraft tells whose it is.
 */
export function placeLabels(items, prev, W, H, h) {
  const placer = new Placer();
  /* Each aircraft's own symbol is kept clear of labels (a box of 12 px). */
  items.forEach((it) => placer.add({ x: it.x - 6, y: it.y - 6, w: 12, h: 12, symbol: true }));
  const inside = (b) => b.x >= 0 && b.y >= 0 && b.x + b.w <= W && b.y + b.h <= H;
  const placed = [];
  let hidden = 0;
  const fits = (b) => inside(b) && placer.free(b);
  for (const it of items) {
    let best = null, bi = -1;
    const was = prev.get(it.key);
    if (was !== undefined) {
      const b = candidate(was, it.x, it.y, it.w, h);
      if (fits(b)) { best = b; bi = was; }
    }
    for (let i = 0; !best && i < CANDIDATES; i++) {
      const b = candidate(i, it.x, it.y, it.w, h);
      if (fits(b)) { best = b; bi = i; }
    }
    if (!best) { hidden++; prev.delete(it.key); continue; }
    prev.set(it.key, bi);
    placer.add(best);
    placed.push({ key: it.key, text: it.text, x: best.x, y: best.y, w: best.w, h: best.h, ax: it.x, ay: it.y, ring: best.ring, leader: bi !== 0 });
  }
  /* Forget aircraft no longer given (off the map, or gone). */
  if (prev.size > items.length) {
    const keys = new Set(items.map((it) => it.key));
    prev.forEach((v, k) => { if (!keys.has(k)) prev.delete(k); });
  }
  return { placed, hidden };
}

/** The point of box b nearest to (x, y): where a leader line ends. */
export function nearestPoint(b, x, y) {
  return { x: Math.max(b.x, Math.min(b.x + b.w, x)), y: Math.max(b.y, Math.min(b.y + b.h, y)) };
}
