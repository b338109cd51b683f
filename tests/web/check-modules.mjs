// The page's modules that need no browser, run in node: the alert book
// (web/js/alerts.js) folds a clear into its raise by the `alert` ref, and
// the SSE reader (web/js/streams.js) parses events split anywhere across
// chunks, with CRLF, comments and retry:. check-web.sh runs this first.
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

console.log(failures ? failures + ' failed' : 'modules: all passed');
process.exit(failures ? 1 : 0);
