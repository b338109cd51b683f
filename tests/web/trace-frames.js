// Frame times and main-thread tasks of one page, read from a Chromium
// performance trace (the JSON of playwright-core's browser.stopTracing(), or
// a DevTools "Save profile"). Used by check-web.js; also a command:
//   node tests/web/trace-frames.js build/screenshots/trace-2000.json
//
// A frame is the time between two consecutive DrawFrame events of the page's
// layer tree on its renderer's compositor thread: how long the screen showed
// the same picture while the page was animating (its tracks move every
// requestAnimationFrame, so every frame has something to draw). The window
// measured runs between the page's performance.mark('dc-measure-start') and
// performance.mark('dc-measure-end') when it made them (else from the
// compositor's first to its last BeginFrame); the first and last frames run
// from and to its edges, so a stall at either end is not lost. Marking a
// start a moment after tracing begins leaves out the stall that starting the
// trace itself causes (V8 enabling its sampling profiler: ~100 ms). Tasks are the
// renderer main thread's RunTask events (ThreadControllerImpl::RunTask when
// the devtools.timeline categories are off), with their thread CPU time: a
// long task with little CPU time was waiting for a processor, not working.
'use strict';
const fs = require('fs');

/* Categories that give DrawFrame/BeginFrame, RunTask, the JS call that ran
 * in each task and a sampled JS profile (DevTools and Perfetto show it). */
const CATEGORIES = [
  'devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame',
  'toplevel', 'v8.execute', 'blink.user_timing', 'disabled-by-default-v8.cpu_profiler', 'gpu'
];

/* Work inside a task worth naming when saying what made it long. */
const WORK = new Set(['FunctionCall', 'FireAnimationFrame', 'TimerFire', 'EventDispatch', 'Commit', 'Paint',
  'Layout', 'UpdateLayoutTree', 'PrePaint', 'MajorGC', 'MinorGC', 'V8.GC_MARK_COMPACTOR', 'ParseHTML',
  'v8.compile', 'v8.compileModule', 'EvaluateScript', 'XHRReadyStateChange', 'ResourceReceivedData',
  'RunMicrotasks', 'ProxyMain::BeginMainFrame::commit', 'LayerTreeHost::DoUpdateLayers']);

function pct(sorted, q) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] : 0; }

function describe(e) {
  const d = e.args && e.args.data;
  if (e.name === 'FunctionCall' && d) {
    const file = (d.url || '').replace(/^.*\//, '');
    return 'FunctionCall ' + (d.functionName || '(anonymous)') + (file ? ' ' + file + ':' + (d.lineNumber + 1) : '');
  }
  return e.name;
}

function analyse(trace) {
  const ev = Array.isArray(trace) ? trace : trace.traceEvents;
  const started = ev.find((e) => e.name === 'TracingStartedInBrowser');
  const main = started && started.args.data.frames.find((f) => f.isOutermostMainFrame) || (started && started.args.data.frames[0]);
  if (!main) throw new Error('no TracingStartedInBrowser event naming the page');
  const pid = main.processId;
  const threads = {};
  ev.forEach((e) => { if (e.ph === 'M' && e.name === 'thread_name' && e.pid === pid) threads[e.tid] = e.args.name; });
  const tree = ev.filter((e) => e.name === 'SetLayerTreeId' && e.pid === pid && e.args.data && e.args.data.frame === main.frame)
    .map((e) => e.args.data.layerTreeId).pop();
  const ofPage = (e) => e.pid === pid && (tree === undefined || !e.args || e.args.layerTreeId === undefined || e.args.layerTreeId === tree);

  const mark = (name) => {
    const m = ev.find((e) => e.name === name && e.pid === pid && e.cat === 'blink.user_timing');
    return m ? m.ts : undefined;
  };
  const allBegins = ev.filter((e) => e.name === 'BeginFrame' && ofPage(e)).map((e) => e.ts).sort((a, b) => a - b);
  const from = mark('dc-measure-start') !== undefined ? mark('dc-measure-start') : allBegins[0];
  const to = mark('dc-measure-end') !== undefined ? mark('dc-measure-end') : allBegins[allBegins.length - 1];
  if (from === undefined || to === undefined) throw new Error('no frames of the page in the trace');
  const inside = (ts) => ts >= from && ts <= to;
  const begins = allBegins.filter(inside);
  const draws = ev.filter((e) => e.name === 'DrawFrame' && ofPage(e) && inside(e.ts)).map((e) => e.ts).sort((a, b) => a - b);
  const dropped = ev.filter((e) => e.name === 'DroppedFrame' && ofPage(e) && inside(e.ts)).length;
  const edges = [from].concat(draws.filter((ts) => ts > from && ts < to), to);
  const frames = [];
  for (let i = 1; i < edges.length; i++) frames.push({ ms: (edges[i] - edges[i - 1]) / 1000, at: edges[i - 1] });
  const sorted = frames.map((f) => f.ms).sort((a, b) => a - b);
  const worst = frames.reduce((w, f) => (!w || f.ms > w.ms ? f : w), null);

  const mainTid = Object.keys(threads).find((t) => threads[t] === 'CrRendererMain');
  const onMain = ev.filter((e) => e.pid === pid && String(e.tid) === mainTid && e.ph === 'X');
  const overlaps = (e) => e.ts + e.dur > from && e.ts < to;
  let tasks = onMain.filter((e) => e.name === 'RunTask' && overlaps(e));
  if (!tasks.length) tasks = onMain.filter((e) => e.name === 'ThreadControllerImpl::RunTask' && overlaps(e));
  const longest = tasks.reduce((w, t) => (!w || t.dur > w.dur ? t : w), null);
  let why = '';
  if (longest) {
    const parts = onMain.filter((e) => e !== longest && WORK.has(e.name) && e.ts >= longest.ts && e.ts + e.dur <= longest.ts + longest.dur);
    /* The innermost piece of work holding at least half the task, else the biggest. */
    const half = parts.filter((e) => e.dur >= longest.dur / 2);
    const top = half.length ? half.reduce((w, e) => (e.dur < w.dur ? e : w))
      : parts.reduce((w, e) => (!w || e.dur > w.dur ? e : w), null);
    if (top) {
      why = describe(top) + ' ' + (top.dur / 1000).toFixed(1) + ' ms' +
        (top.tdur !== undefined ? ' (' + (top.tdur / 1000).toFixed(1) + ' ms CPU)' : '');
    }
  }
  const t0 = from;
  return {
    frames: frames.length, drawn: draws.length, dropped, begin_frames: begins.length,
    span_s: to !== undefined ? (to - from) / 1e6 : 0,
    median_ms: pct(sorted, 0.5), p99_ms: pct(sorted, 0.99), max_ms: worst ? worst.ms : 0,
    worst_at_s: worst ? (worst.at - t0) / 1e6 : 0,
    over_100ms: sorted.filter((x) => x > 100).length,
    tasks: tasks.length, tasks_over_50ms: tasks.filter((t) => t.dur > 50000).length,
    longest_task_ms: longest ? longest.dur / 1000 : 0,
    longest_task_cpu_ms: longest && longest.tdur !== undefined ? longest.tdur / 1000 : null,
    longest_task_at_s: longest ? (longest.ts - t0) / 1e6 : 0,
    longest_task_in: why
  };
}

function summary(a) {
  return a.frames + ' frames (' + a.drawn + ' drawn, ' + a.dropped + ' dropped of ' + a.begin_frames + ' BeginFrames in ' +
    a.span_s.toFixed(1) + ' s): median ' + a.median_ms.toFixed(1) + ' ms, p99 ' + a.p99_ms.toFixed(1) + ' ms, max ' +
    a.max_ms.toFixed(1) + ' ms at ' + a.worst_at_s.toFixed(2) + ' s; ' + a.tasks + ' main-thread tasks, ' +
    a.tasks_over_50ms + ' over 50 ms, longest ' + a.longest_task_ms.toFixed(1) + ' ms' +
    (a.longest_task_cpu_ms !== null ? ' (' + a.longest_task_cpu_ms.toFixed(1) + ' ms CPU)' : '') +
    ' at ' + a.longest_task_at_s.toFixed(2) + ' s' + (a.longest_task_in ? ', mostly ' + a.longest_task_in : '');
}

module.exports = { CATEGORIES, analyse, summary };

if (require.main === module) {
  if (process.argv.length !== 3) {
    console.error('usage: node trace-frames.js TRACE.json');
    process.exit(2);
  }
  const a = analyse(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));
  console.log(summary(a));
  process.exit(a.max_ms < 100 ? 0 : 1);
}
