// The page's modules that need no browser, run in node: the alert book
// (web/js/alerts.js) folds a clear into its raise by the `alert` ref, the
// SSE reader (web/js/streams.js) parses events split anywhere across
// chunks, with CRLF, comments and retry:, label placement (labels.js) puts
// no label over another however crowded the aircraft, rings across the
// antimeridian are made continuous (geo.js), and times carry their date
// when not today, levels "FL" and distances NM (format.js). check-web.sh
// runs this first.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';

/* A copy beside a package.json of type module: node before 20.19 (Debian's
 * 18) reads a .js file outside such a package as CommonJS. */
const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-web-modules-'));
fs.cpSync(path.join(here, '..', '..', 'web', 'js'), tmp, { recursive: true });
fs.writeFileSync(path.join(tmp, 'package.json'), '{"type": "module"}\n');
const load = (name) => import(pathToFileURL(path.join(tmp, name)).href);
const { AlertBook } = await load('alerts.js');
const { readEvents } = await load('streams.js');
const { placeLabels, overlap } = await load('labels.js');
const { unwrap } = await load('geo.js');
const fmt = await load('format.js');
fs.rmSync(tmp, { recursive: true, force: true });

let failures = 0;
function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures++;
}

const book = new AlertBook();
const t = (s) => '2026-12-02T01:50:' + String(s).padStart(2, '0') + 'Z';
book.apply({ seq: 1, kind: 'raised', alert: 'al_a', time: t(0), track_id: 'VIPER2', intruder: {} });
book.apply({ seq: 2, kind: 'raised', alert: 'al_b', time: t(1), track_id: 'HAWK1', intruder: {} });
book.apply({ seq: 3, kind: 'nonconforming', time: t(2), track_id: 'IRN11', operation_id: 'op_1' });
check(book.list(true).map((e) => e.key).join() === 'conformance//IRN11/op_1,al_b,al_a', 'three active alerts, newest first');
book.apply({ seq: 4, kind: 'cleared', alert: 'al_a', time: t(9), track_id: 'VIPER2' });
book.apply({ seq: 5, kind: 'conforming', time: t(10), track_id: 'IRN11', operation_id: 'op_1' });
check(book.list(true).map((e) => e.key).join() === 'al_b', 'a clear ends its raise, conforming ends nonconforming');
const ended = book.list(false).find((e) => e.key === 'al_a');
check(ended && ended.raised.seq === 1 && ended.ended.seq === 4 && ended.tEnd - ended.t === 9, 'the ended alert keeps its raise and its clear');
book.apply({ seq: 6, kind: 'cleared', alert: 'al_c', time: t(11), track_id: 'X' });
check(!book.list(true).some((e) => e.key === 'al_c') && book.list(false).some((e) => e.key === 'al_c'),
  'a clear whose raise is no longer kept is listed as ended');
book.apply({ seq: 7, kind: 'probing', time: t(12), operator: { id: 'opr_1', name: 'x' }, area: [0, 0, 1, 1], rejections: 20, window_s: 60 });
const at = Date.parse(t(12)) / 1000;
check(!book.expire(at + 59) && book.list(true).length === 2, 'a probing alert is active within its window');
check(book.expire(at + 60) && book.list(true).length === 1, 'and ends with it');
check(!book.apply({ seq: 8, kind: 'something_new', time: t(13) }), 'an unknown kind is not folded in');
book.apply({ seq: 9, kind: 'revised', alert: 'al_b', time: t(14), track_id: 'HAWK1', intruder: {}, revision: 1 });
const rev = book.list(true).find((e) => e.key === 'al_b');
check(rev && rev.raised.seq === 2 && rev.revised.seq === 9 && book.list(true).length === 1,
  'a revised advisory joins its open alert (the raise kept, one entry)');
book.apply({ seq: 10, kind: 'cleared', alert: 'al_b', time: t(15), track_id: 'HAWK1' });
check(!book.list(true).some((e) => e.key === 'al_b'), 'the clear ends the revised alert');

const text = ': deconflict alerts\r\nretry: 2000\r\n\r\nid: 1\r\ndata: {"seq":1}\r\n\r\n: heartbeat\n\nid: 2\ndata: {"seq":\ndata: 2}\n\n';
const bytes = new TextEncoder().encode(text);
for (const size of [1, 3, 7, bytes.length]) {
  const body = new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
      c.close();
    }
  });
  const events = [], retries = [];
  await readEvents(body, (ev) => events.push(ev), (ms) => retries.push(ms));
  check(events.length === 2 && events[0].id === '1' && events[0].data === '{"seq":1}' &&
    events[1].id === '2' && events[1].data === '{"seq":\n2}' && retries.join() === '2000',
  'SSE read in chunks of ' + size + ' bytes: two events, retry 2000');
}

// Labels: 40 aircraft within 60 px (the knot of a converging pair, and worse).
let seed2 = 7;
const rnd2 = () => { seed2 = (seed2 * 1103515245 + 12345) % 2147483648; return seed2 / 2147483648; };
const knot = Array.from({ length: 40 }, (_, i) => ({ key: 'k' + i, x: 500 + 60 * rnd2(), y: 300 + 60 * rnd2(), text: 'T' + i + ' FL100', w: 70 }));
const spots = new Map();
const lab = placeLabels(knot, spots, 1024, 640, 14);
const clash = lab.placed.some((a, i) => lab.placed.some((b, j) => j > i && overlap(a, b)));
check(!clash && lab.placed.length + lab.hidden === 40 && lab.placed.length >= 30,
  'labels of 40 aircraft within 60 px: ' + lab.placed.length + ' placed, ' + lab.hidden + ' left out, none over another');
check(lab.placed.every((l) => l.x >= 0 && l.y >= 0 && l.x + l.w <= 1024 && l.y + l.h <= 640), 'every label inside the map');
const three = [{ key: 'VIPER2', x: 300, y: 200, text: 'VIPER2 FL110', w: 80 }, { key: 'IRN12', x: 304, y: 203, text: 'IRN12 FL108', w: 76 },
  { key: 'IRN11', x: 298, y: 207, text: 'IRN11 FL098', w: 76 }];
const l3 = placeLabels(three, new Map(), 1024, 640, 14);
check(l3.hidden === 0 && !l3.placed.some((a, i) => l3.placed.some((b, j) => j > i && overlap(a, b))) && l3.placed.filter((l) => l.leader).length >= 2,
  'three aircraft on top of one another: three labels apart, set off with leader lines');
const moved = three.map((t) => Object.assign({}, t, { x: t.x + 1 }));
const before = new Map(), a1 = placeLabels(three, before, 1024, 640, 14), a2 = placeLabels(moved, before, 1024, 640, 14);
check(a1.placed.every((l, i) => Math.abs(a2.placed[i].x - l.x - 1) < 1e-9 && a2.placed[i].y === l.y), 'labels keep their place as aircraft move a little');
placeLabels(moved.slice(0, 1), before, 1024, 640, 14);
check(before.size === 1, 'an aircraft gone from the map is forgotten by the placer');

// Antimeridian: a ring from 179 E to 179 W is continuous; one around the pole is closed along it.
const r1 = unwrap([179, 60, -179, 60, -179, 61, 179, 61, 179, 60]);
check(r1.every((v, i) => i % 2 || v >= 179) && Math.max(...r1.filter((v, i) => !(i % 2))) === 181, 'a ring across the antimeridian runs on past 180');
const r2 = unwrap([-180, -80, -60, -75, 60, -75, 180, -80]);
check(r2.length === 12 && r2[9] === -90 && r2[11] === -90, 'a ring around the south pole is closed along it');

// Text: dates when not today, FL, NM.
const now = Date.parse('2026-12-02T12:00:00Z') / 1000;
const ts = (s) => Date.parse(s) / 1000;
check(fmt.span(ts('2026-12-02T10:00:00Z'), ts('2026-12-02T12:00:00Z'), now) === '10:00Z\u201312:00Z', 'a window today has no date');
check(fmt.span(ts('2020-05-01T10:00:00Z'), ts('2020-05-01T12:00:00Z'), now) === '2020-05-01 10:00Z\u201312:00Z', 'a window of 2020 has its date');
check(fmt.span(ts('2026-12-02T22:00:00Z'), ts('2026-12-03T02:00:00Z'), now) === '22:00Z\u20132026-12-03 02:00Z', 'an end tomorrow has its date');
check(fmt.fl(3352.8) === 'FL110' && fmt.fl(300) === 'FL010', 'flight levels read FL110, FL010');
check(fmt.dist(1342) === '0.72 NM (1.3 km)' && fmt.mft(3352.8) === '11000 ft (3353 m)', 'distances in NM with km, heights in ft with m');

console.log(failures ? failures + ' failed' : 'modules: all passed');
process.exit(failures ? 1 : 0);
