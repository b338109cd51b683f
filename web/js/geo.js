/* Geometry in degrees, for drawing and hit-testing: country outlines from
 * TopoJSON, the server's three footprint forms as shapes, point-in-shape
 * tests (local flat-earth: good to a few metres at the scale of a pointer). */

export const DEG = Math.PI / 180;
export const M_PER_DEG = 111320;

/* A ring that crosses the antimeridian jumps by 360 degrees of longitude
 * (drawn as is, a line across the whole world). Made continuous instead:
 * longitudes may then run past +-180 and the map draws such a ring once
 * more, 360 degrees over. A ring around a pole (Antarctica's) ends 360
 * degrees from where it began: it is closed along the pole. */
export function unwrap(pts) {
  let off = 0;
  for (let i = 2; i < pts.length; i += 2) {
    const d = pts[i] + off - pts[i - 2];
    if (d > 180) off -= 360; else if (d < -180) off += 360;
    pts[i] += off;
  }
  const n = pts.length;
  if (n >= 4 && Math.abs(pts[n - 2] - pts[0]) > 180) {
    let lat = 0;
    for (let i = 1; i < n; i += 2) lat += pts[i];
    const pole = lat > 0 ? 90 : -90;
    pts.push(pts[n - 2], pole, pts[0], pole);
  }
  return pts;
}

/** TopoJSON (quantized arcs) to rings: {p: Float64Array [lon, lat, ...], b: [minlon, minlat, maxlon, maxlat]}. */
export function decodeTopo(topo) {
  const tf = topo.transform;
  const arcs = topo.arcs.map((arc) => {
    let x = 0, y = 0;
    const out = new Float64Array(arc.length * 2);
    for (let i = 0; i < arc.length; i++) {
      x += arc[i][0]; y += arc[i][1];
      out[2 * i] = x * tf.scale[0] + tf.translate[0];
      out[2 * i + 1] = y * tf.scale[1] + tf.translate[1];
    }
    return out;
  });
  const rings = [];
  const ring = (idx) => {
    const pts = [];
    idx.forEach((a) => {
      const arc = arcs[a < 0 ? ~a : a], n = arc.length / 2;
      for (let i = 0; i < n; i++) {
        const j = a < 0 ? n - 1 - i : i;
        if (i === 0 && pts.length) continue;
        pts.push(arc[2 * j], arc[2 * j + 1]);
      }
    });
    unwrap(pts);
    const r = new Float64Array(pts), b = [Infinity, 90, -Infinity, -90];
    for (let i = 0; i < r.length; i += 2) {
      b[0] = Math.min(b[0], r[i]); b[2] = Math.max(b[2], r[i]);
      b[1] = Math.min(b[1], r[i + 1]); b[3] = Math.max(b[3], r[i + 1]);
    }
    rings.push({ p: r, b });
  };
  Object.keys(topo.objects).forEach((name) => {
    (topo.objects[name].geometries || []).forEach((g) => {
      if (g.type === 'Polygon') g.arcs.forEach(ring);
      else if (g.type === 'MultiPolygon') g.arcs.forEach((p) => p.forEach(ring));
    });
  });
  return rings;
}

/**
 * A footprint as the server renders it (Polygon, Point + radius_m,
 * LineString + half_width_m) as a shape to draw.
 * @param {import('./api.js').Footprint} fp
 * @returns {{kind: 'polygon', rings: number[][][]} | {kind: 'circle', lon: number, lat: number, r: number}
 *         | {kind: 'corridor', pts: number[][], hw: number}}
 */
export function footprintShape(fp) {
  switch (fp.type) {
    case 'Point': return { kind: 'circle', lon: fp.coordinates[0], lat: fp.coordinates[1], r: fp.radius_m };
    case 'LineString': return { kind: 'corridor', pts: fp.coordinates, hw: fp.half_width_m };
    case 'Polygon': return { kind: 'polygon', rings: fp.coordinates };
    default: throw new Error('footprint type ' + fp.type + ' is not one the API answers');
  }
}

/** The shape's points worth framing or centring on ([lon, lat]). */
export function shapePoints(sh) {
  return sh.kind === 'circle' ? [[sh.lon, sh.lat]] : sh.kind === 'polygon' ? sh.rings[0] : sh.pts;
}

function pointInRing(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i], b = ring[j];
    if ((a[1] > lat) !== (b[1] > lat) && lon < (b[0] - a[0]) * (lat - a[1]) / (b[1] - a[1]) + a[0]) inside = !inside;
  }
  return inside;
}

function metres(lon1, lat1, lon2, lat2) {
  const k = Math.cos((lat1 + lat2) / 2 * DEG);
  return Math.hypot((lon2 - lon1) * k, lat2 - lat1) * M_PER_DEG;
}

function segDist(lon, lat, a, b) {
  const k = Math.cos(lat * DEG);
  const ax = (a[0] - lon) * k, ay = a[1] - lat, bx = (b[0] - lon) * k, by = b[1] - lat;
  const dx = bx - ax, dy = by - ay, L = dx * dx + dy * dy;
  const u = L ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / L)) : 0;
  return Math.hypot(ax + u * dx, ay + u * dy) * M_PER_DEG;
}

export function inShape(sh, lon, lat) {
  if (sh.kind === 'circle') return metres(lon, lat, sh.lon, sh.lat) <= sh.r;
  if (sh.kind === 'polygon') return sh.rings.some((r) => pointInRing(lon, lat, r));
  for (let i = 1; i < sh.pts.length; i++) if (segDist(lon, lat, sh.pts[i - 1], sh.pts[i]) <= sh.hw) return true;
  return false;
}
