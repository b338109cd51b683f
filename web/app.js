/* deconflict situational display. Plain JS over the /v1 API: the API key is
 * kept in sessionStorage and sent as a Bearer header (fetch, so the alert
 * stream is read with fetch too: EventSource cannot send headers). The map
 * is one canvas: a cached static layer (country outlines, volumes, notices)
 * redrawn only when the view, the data or the selected time change, and a
 * per-frame layer of tracks (extrapolated linearly from their last report)
 * and alerts, drawn in batches so thousands of tracks stay smooth. What an
 * operator sees is exactly what the API gives its key: this page adds none. */
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };
  var FT = 3.28084, KT = 1.943844, DAY = 86400, STALE_S = 30;
  var STATE_COLOURS = {
    approved: '#4f8ef7', active: '#35c46a', nonconforming: '#ff9f1a',
    preempted: '#b36bff', ended: '#607080', withdrawn: '#607080',
    restriction: '#ff4d4d', notice: '#c0c8d0'
  };
  var OWN_COLOUR = '#3fd0e0';

  var S = {
    key: null, role: null, me: '', operators: {}, restrictions: [], operations: [],
    notices: [], tracks: new Map(), alerts: new Map(), alertOrder: [], alertCursor: null,
    tracksApi: true, alertsApi: true, live: true, tSel: 0, t0: 0,
    view: { lon: 44.0, lat: 33.5, ppd: 90, k: Math.cos(33.5 * Math.PI / 180) },
    staticDirty: true, listsDirty: true, hover: null, mouse: null,
    abort: null, timers: [], countries: null,
    perf: { deltas: [], last: 0, longTasks: 0, longest: 0, drawMax: 0, sections: {} }
  };
  window.dc = { state: S, perf: perfSummary };

  /* Longest time spent in each part of the page's work, for dc.perf(). */
  function timed(name, fn) {
    var t0 = performance.now();
    var r = fn();
    var dt = performance.now() - t0, sec = S.perf.sections;
    if (!sec[name] || sec[name] < dt) sec[name] = dt;
    return r;
  }

  /* ---- formatting ---- */

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function utc(t) {
    var d = new Date(t * 1000);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + 'Z';
  }
  function hm(t) { var d = new Date(t * 1000); return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + 'Z'; }
  function parseT(v) { return typeof v === 'number' ? v : Date.parse(v) / 1000; }
  function mft(m) { return Math.round(m) + ' m (' + Math.round(m * FT) + ' ft)'; }
  function dist(m) {
    return m >= 10000 ? (m / 1000).toFixed(1) + ' km (' + (m / 1852).toFixed(1) + ' NM)'
      : Math.round(m) + ' m (' + Math.round(m * FT) + ' ft)';
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function hue(name) {
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return 'hsl(' + (h % 360) + ',75%,62%)';
  }
  function nowS() { return Date.now() / 1000; }

  /* ---- API ---- */

  function api(path, opts) {
    opts = opts || {};
    var headers = Object.assign({ Authorization: 'Bearer ' + S.key }, opts.headers || {});
    return fetch(path, { method: opts.method || 'GET', headers: headers, signal: S.abort && S.abort.signal })
      .then(function (res) {
        return res.text().then(function (txt) {
          var body = null;
          try { body = txt ? JSON.parse(txt) : null; } catch (e) { body = null; }
          return { status: res.status, ok: res.ok, body: body };
        });
      });
  }

  /* ---- sign in ---- */

  function showSignin(msg) {
    $('signin').hidden = false;
    $('app').hidden = true;
    $('signin-error').textContent = msg || '';
  }

  function signin(key) {
    S.key = key;
    S.abort = new AbortController();
    return api('/v1/operations').then(function (r) {
      if (r.status === 401) throw new Error('invalid or revoked key');
      if (!r.ok) throw new Error('server answered ' + r.status);
      return api('/v1/operators');
    }).then(function (r) {
      if (r.ok) {
        S.role = 'authority';
        (r.body.operators || []).forEach(function (o) {
          S.operators[o.id] = o.name;
          if (o.role === 'authority') S.me = o.name;
        });
      } else {
        S.role = 'operator';
        S.me = 'operator ' + key.slice(0, 12) + '\u2026';
      }
      sessionStorage.setItem('dc.key', key);
      $('signin').hidden = true;
      $('app').hidden = false;
      $('who').textContent = S.role === 'authority' ? 'authority: ' + S.me : S.me;
      $('ops-title').firstChild.textContent = S.role === 'authority' ? 'Operations ' : 'My operations ';
      start();
    });
  }

  function signout() {
    sessionStorage.removeItem('dc.key');
    location.reload();
  }

  /* ---- data ---- */

  function refreshPlans() {
    var jobs = [api('/v1/operations').then(function (r) {
      if (r.ok) S.operations = r.body.operations || [];
    })];
    if (S.role === 'authority') {
      jobs.push(api('/v1/restrictions').then(function (r) {
        if (r.ok) S.restrictions = r.body.restrictions || [];
      }));
      jobs.push(api('/v1/operators').then(function (r) {
        if (r.ok) (r.body.operators || []).forEach(function (o) { S.operators[o.id] = o.name; });
      }));
    } else {
      var from = new Date(S.t0 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      var to = new Date((S.t0 + DAY) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      jobs.push(api('/v1/notices?bbox=-180,-90,180,90&from=' + from + '&to=' + to).then(function (r) {
        if (r.ok) S.notices = r.body.notices || [];
      }));
    }
    return Promise.all(jobs).then(function () {
      var sig = JSON.stringify([S.operations, S.restrictions, S.notices]);
      if (sig !== S.plansSig) {
        S.plansSig = sig;
        S.staticDirty = true;
        S.listsDirty = true;
      }
    }).catch(function () {});
  }

  function ownerName(o) {
    if (!o) return '';
    if (typeof o === 'string') return S.operators[o] || o;
    return o.name || S.operators[o.id] || o.id || '';
  }

  function trackKey(r) {
    var op = r.operator ? (typeof r.operator === 'string' ? r.operator : (r.operator.name || r.operator.id)) : '';
    return op + '/' + r.track_id;
  }

  function ingestTrack(r) {
    if (!r || r.track_id === undefined || typeof r.lat !== 'number') return;
    var t = parseT(r.time);
    var k = trackKey(r);
    var old = S.tracks.get(k);
    if (old && old.t > t) return;
    var tr = old || {};
    tr.id = r.track_id;
    tr.op = r.operator ? ownerName(r.operator) : '';
    tr.operation = r.operation_id || null;
    tr.t = t;
    tr.lat = r.lat; tr.lon = r.lon; tr.alt = r.alt_m || 0;
    tr.gs = r.ground_speed_mps || 0; tr.trk = r.track_deg || 0; tr.vr = r.vertical_rate_mps || 0;
    tr.colour = S.role === 'authority' ? (tr.op ? hue(tr.op) : '#ffffff') : OWN_COLOUR;
    if (!old) S.tracks.set(k, tr);
  }

  function pollTracks() {
    if (!S.tracksApi) return;
    api('/v1/tracks').then(function (r) {
      if (r.status === 404 || r.status === 405) { S.tracksApi = false; feedNote(); return; }
      if (!r.ok || !r.body) return;
      var list = r.body.tracks || r.body.reports || [];
      timed('ingest', function () { list.forEach(ingestTrack); });
    }).catch(function () {});
  }

  function pruneTracks() {
    var lim = nowS() - STALE_S;
    S.tracks.forEach(function (tr, k) { if (tr.t < lim) S.tracks.delete(k); });
  }

  /* Alerts: the authority's name both sides; an operator's name its own
   * track and give the intruder relatively. Shapes are read tolerantly. */
  function alertId(a) { return String(a.id !== undefined ? a.id : (a.alert_id !== undefined ? a.alert_id : JSON.stringify(a))); }

  function ingestAlert(a, evType) {
    if (!a || typeof a !== 'object') return;
    var id = alertId(a);
    var kind = a.kind || a.type || evType || 'alert';
    var prev = S.alerts.get(id);
    if (/clear/.test(kind) || a.cleared === true || a.state === 'cleared') {
      if (prev) { prev.cleared = true; prev.clearedAt = parseT(a.time || a.cleared_at) || nowS(); }
      else S.alerts.set(id, { id: id, kind: kind, raw: a, cleared: true, t: parseT(a.time) || nowS() });
    } else if (!prev) {
      S.alerts.set(id, { id: id, kind: kind, raw: a, cleared: false, t: parseT(a.time || a.raised_at) || nowS() });
      S.alertOrder.unshift(id);
      if (S.alertOrder.length > 500) S.alerts.delete(S.alertOrder.pop());
    } else {
      prev.raw = a;
      prev.kind = kind;
      if (a.cleared === false || a.state === 'active' || a.state === 'raised') prev.cleared = false;
    }
    if (/conform/.test(kind)) refreshPlans();
    S.listsDirty = true;
  }

  function sideName(x) {
    if (!x) return '?';
    if (typeof x === 'string') return x;
    var op = x.operator ? ownerName(x.operator) : (x.operator_name || '');
    return (op ? op + '/' : '') + (x.track_id || x.track || '?');
  }

  function alertText(al) {
    var a = al.raw, lines = [];
    var rel = a.intruder || a.relative || null;
    if (/conform/.test(al.kind)) {
      lines.push((/nonconform/.test(al.kind) ? 'Nonconforming: ' : 'Conforming again: ') +
        sideName(a.track || a.a || a) + (a.operation_id ? ' (' + a.operation_id + ')' : ''));
    } else if (rel) {
      lines.push('Predicted loss of separation: own ' + (a.track_id || sideName(a.own || a.track || a.a)));
      lines.push('intruder bearing ' + Math.round(rel.bearing_deg) + '\u00b0, ' + dist(rel.distance_m) +
        ', rel. alt ' + Math.round(rel.rel_alt_m) + ' m (' + Math.round(rel.rel_alt_m * FT) + ' ft)');
      lines.push('CPA in ' + Math.round(rel.t_cpa_s) + ' s at ' + dist(rel.d_cpa_m));
    } else if (a.a || a.b) {
      lines.push('Predicted loss of separation: ' + sideName(a.a) + ' \u2194 ' + sideName(a.b));
      if (a.d_cpa_m !== undefined)
        lines.push('CPA in ' + Math.round(a.t_cpa_s) + ' s at ' + dist(a.d_cpa_m) +
          (a.t_in_s !== undefined ? ', loss in ' + Math.round(a.t_in_s) + ' s' : '') + (a.los_now ? ', LOSS NOW' : ''));
    } else {
      lines.push(al.kind + ': ' + JSON.stringify(a).slice(0, 160));
    }
    return lines;
  }

  function loadAlerts() {
    return api('/v1/alerts').then(function (r) {
      if (r.status === 404 || r.status === 405) { S.alertsApi = false; feedNote(); return; }
      if (!r.ok || !r.body) return;
      (r.body.alerts || r.body.events || []).slice().reverse().forEach(function (a) { ingestAlert(a); });
      if (r.body.cursor !== undefined) S.alertCursor = r.body.cursor;
      else if (r.body.next !== undefined) S.alertCursor = r.body.next;
    }).catch(function () {});
  }

  function handleSse(ev) {
    if (!ev.data) return;
    var d;
    try { d = JSON.parse(ev.data); } catch (e) { return; }
    if (ev.id) S.alertCursor = ev.id;
    if (ev.event === 'track' || ev.event === 'tracks' || (d && (d.reports || d.tracks))) {
      (d.reports || d.tracks || [d]).forEach(ingestTrack);
      return;
    }
    if (ev.event === 'ping' || ev.event === 'heartbeat') return;
    ingestAlert(d, ev.event && ev.event !== 'message' ? ev.event : null);
  }

  function streamAlerts() {
    if (!S.alertsApi) return;
    var headers = { Authorization: 'Bearer ' + S.key, Accept: 'text/event-stream' };
    if (S.alertCursor !== null) headers['Last-Event-ID'] = String(S.alertCursor);
    fetch('/v1/alerts/stream', { headers: headers, signal: S.abort.signal }).then(function (res) {
      if (res.status === 404 || res.status === 405) { S.alertsApi = false; feedNote(); return null; }
      if (!res.ok || !res.body) throw new Error('stream ' + res.status);
      S.streaming = true;
      feedNote();
      var reader = res.body.getReader(), dec = new TextDecoder(), buf = '';
      function pump() {
        return reader.read().then(function (x) {
          if (x.done) throw new Error('stream ended');
          buf += dec.decode(x.value, { stream: true }).replace(/\r\n?/g, '\n');
          var i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            var block = buf.slice(0, i), ev = { event: 'message', data: '', id: null };
            buf = buf.slice(i + 2);
            block.split('\n').forEach(function (line) {
              var c = line.indexOf(':');
              if (c === 0) return;
              var f = c < 0 ? line : line.slice(0, c), v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
              if (f === 'data') ev.data += (ev.data ? '\n' : '') + v;
              else if (f === 'event') ev.event = v;
              else if (f === 'id') ev.id = v;
            });
            handleSse(ev);
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      S.streaming = false;
      feedNote();
      if (!S.abort.signal.aborted) setTimeout(streamAlerts, 2000);
    });
  }

  function feedNote() {
    var parts = [];
    if (!S.tracksApi && !S.streaming) parts.push('no live track feed on this server');
    if (!S.alertsApi) parts.push('no alert feed on this server');
    else parts.push(S.streaming ? 'alert stream connected' : 'alert stream reconnecting\u2026');
    $('feed').textContent = parts.join(' \u00b7 ');
  }

  /* ---- map projection and geometry ---- */

  var canvas = $('map'), ctx = canvas.getContext('2d');
  var staticCanvas = document.createElement('canvas'), sctx = staticCanvas.getContext('2d');
  var baseCanvas = document.createElement('canvas'), bctx = baseCanvas.getContext('2d');
  var W = 0, H = 0, DPR = 1;
  var sprites = new Map(); /* colour -> 36 track sprites, one per 10 degrees */

  function px(lon, lat) { return (lon - S.view.lon) * S.view.ppd * S.view.k + W / 2; }
  function py(lat) { return H / 2 - (lat - S.view.lat) * S.view.ppd; }
  function unproject(x, y) {
    return { lon: S.view.lon + (x - W / 2) / (S.view.ppd * S.view.k), lat: S.view.lat + (H / 2 - y) / S.view.ppd };
  }
  function mPerPx() { return 111320 / S.view.ppd; }

  function resize() {
    var r = canvas.getBoundingClientRect();
    var dpr = window.devicePixelRatio || 1;
    if (dpr !== DPR) sprites.clear();
    DPR = dpr;
    W = Math.max(1, r.width); H = Math.max(1, r.height);
    canvas.width = staticCanvas.width = baseCanvas.width = Math.round(W * DPR);
    canvas.height = staticCanvas.height = baseCanvas.height = Math.round(H * DPR);
    S.baseDirty = S.staticDirty = true;
  }

  /* TopoJSON (quantized arcs) to rings of [lon, lat]. */
  function decodeTopo(topo) {
    var tf = topo.transform, arcs = topo.arcs.map(function (arc) {
      var x = 0, y = 0, out = new Float64Array(arc.length * 2);
      for (var i = 0; i < arc.length; i++) {
        x += arc[i][0]; y += arc[i][1];
        out[2 * i] = x * tf.scale[0] + tf.translate[0];
        out[2 * i + 1] = y * tf.scale[1] + tf.translate[1];
      }
      return out;
    });
    var rings = [];
    function ring(idx) {
      var pts = [];
      idx.forEach(function (a) {
        var arc = arcs[a < 0 ? ~a : a], n = arc.length / 2;
        for (var i = 0; i < n; i++) {
          var j = a < 0 ? n - 1 - i : i;
          if (i === 0 && pts.length) continue;
          pts.push(arc[2 * j], arc[2 * j + 1]);
        }
      });
      var r = new Float64Array(pts), b = [180, 90, -180, -90];
      for (var i = 0; i < r.length; i += 2) {
        b[0] = Math.min(b[0], r[i]); b[2] = Math.max(b[2], r[i]);
        b[1] = Math.min(b[1], r[i + 1]); b[3] = Math.max(b[3], r[i + 1]);
      }
      rings.push({ p: r, b: b });
    }
    Object.keys(topo.objects).forEach(function (name) {
      (topo.objects[name].geometries || []).forEach(function (g) {
        if (g.type === 'Polygon') g.arcs.forEach(ring);
        else if (g.type === 'MultiPolygon') g.arcs.forEach(function (p) { p.forEach(ring); });
      });
    });
    return rings;
  }

  /* A volume's footprint as screen-space drawing: polygon rings, circle or
   * corridor (polyline with a half width). */
  function fpShape(fp) {
    if (!fp) return null;
    if (fp.type === 'Point') return { kind: 'circle', lon: fp.coordinates[0], lat: fp.coordinates[1], r: fp.radius_m || 0 };
    if (fp.type === 'LineString') return { kind: 'corridor', pts: fp.coordinates, hw: fp.half_width_m || 0 };
    if (fp.type === 'Polygon') return { kind: 'polygon', rings: fp.coordinates };
    if (fp.type === 'MultiPolygon') return { kind: 'polygon', rings: [].concat.apply([], fp.coordinates) };
    if (fp.outline_circle) {
      var c = fp.outline_circle;
      return { kind: 'circle', lon: c.center.lng, lat: c.center.lat, r: c.radius.value };
    }
    return null;
  }

  function traceShape(c, sh) {
    c.beginPath();
    if (sh.kind === 'circle') {
      c.arc(px(sh.lon, sh.lat), py(sh.lat), Math.max(2, sh.r / mPerPx()), 0, 2 * Math.PI);
    } else if (sh.kind === 'polygon') {
      sh.rings.forEach(function (ring) {
        ring.forEach(function (p, i) {
          if (i) c.lineTo(px(p[0], p[1]), py(p[1])); else c.moveTo(px(p[0], p[1]), py(p[1]));
        });
        c.closePath();
      });
    } else {
      sh.pts.forEach(function (p, i) {
        if (i) c.lineTo(px(p[0], p[1]), py(p[1])); else c.moveTo(px(p[0], p[1]), py(p[1]));
      });
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

  /* Every drawable volume with what its tooltip says. */
  function volumeItems() {
    var items = [];
    S.restrictions.forEach(function (r) {
      (r.volumes || []).forEach(function (v) {
        items.push({ what: 'restriction', title: 'Restriction ' + (r.name || r.id), id: r.id, state: 'restriction',
          v: v, sh: fpShape(v.footprint), ts: parseT(v.time_start), te: parseT(v.time_end) });
      });
    });
    S.notices.forEach(function (n) {
      items.push({ what: 'notice', title: 'Unavailable airspace (' + (n.kind || 'notice') + ')', id: n.id,
        state: n.kind === 'restriction' ? 'restriction' : 'notice', v: n, sh: fpShape(n.footprint),
        ts: parseT(n.time_start), te: parseT(n.time_end) });
    });
    S.operations.forEach(function (o) {
      (o.volumes || []).forEach(function (v, i) {
        items.push({ what: 'operation', title: 'Operation ' + o.id + (o.volumes.length > 1 ? ' #' + (i + 1) : ''),
          id: o.id, owner: ownerName(o.owner), state: o.state, priority: o.priority, reason: o.reason,
          v: v, sh: fpShape(v.footprint), ts: parseT(v.time_start), te: parseT(v.time_end) });
      });
    });
    return items.filter(function (it) { return it.sh; });
  }

  function selTime() { return S.live ? nowS() : S.tSel; }

  /* Which volumes are in their window at t: the static layer is redrawn
   * when this changes, not every second. */
  function inTimeSig(t) {
    return (S.items || []).map(function (it) { return t >= it.ts && t < it.te ? 1 : 0; }).join('');
  }

  /* Graticule and country outlines: redrawn only when the view changes. */
  function renderBase() {
    var c = bctx;
    c.setTransform(DPR, 0, 0, DPR, 0, 0);
    c.fillStyle = '#0b1420';
    c.fillRect(0, 0, W, H);
    var tl = unproject(0, 0), br = unproject(W, H);
    /* graticule */
    c.strokeStyle = '#16263a'; c.lineWidth = 1; c.beginPath();
    var step = S.view.ppd > 60 ? 1 : S.view.ppd > 12 ? 5 : 15;
    for (var lo = Math.ceil(tl.lon / step) * step; lo <= br.lon; lo += step) { c.moveTo(px(lo), 0); c.lineTo(px(lo), H); }
    for (var la = Math.ceil(br.lat / step) * step; la <= tl.lat; la += step) { c.moveTo(0, py(la)); c.lineTo(W, py(la)); }
    c.stroke();
    if (S.countries) {
      c.beginPath();
      S.countries.forEach(function (r) {
        var b = r.b;
        if (b[2] < tl.lon || b[0] > br.lon || b[3] < br.lat || b[1] > tl.lat) return;
        var p = r.p;
        c.moveTo(px(p[0]), py(p[1]));
        for (var i = 2; i < p.length; i += 2) c.lineTo(px(p[i]), py(p[i + 1]));
        c.closePath();
      });
      c.fillStyle = '#132033'; c.fill('evenodd');
      c.strokeStyle = '#46607f'; c.lineWidth = 0.8; c.stroke();
    }
    S.baseDirty = false;
  }

  /* The base plus every volume, faint outside its time window. */
  function renderStatic() {
    var c = sctx;
    if (S.baseDirty) timed('base', renderBase);
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.drawImage(baseCanvas, 0, 0);
    c.setTransform(DPR, 0, 0, DPR, 0, 0);
    var t = selTime();
    S.items = volumeItems();
    S.inTimeSig = inTimeSig(t);
    S.items.forEach(function (it) {
      var inTime = t >= it.ts && t < it.te;
      var colour = STATE_COLOURS[it.state] || '#888';
      if (it.state === 'ended' || it.state === 'withdrawn') return;
      drawShape(c, it.sh, colour, inTime ? 1 : 0.22, it.what === 'notice' || it.state === 'preempted');
    });
    S.staticDirty = false;
  }

  /* ---- per-frame layer: tracks and alerts ---- */

  var DEG = Math.PI / 180;

  /* Where a track is at t, written into tr.cur (one object per track,
   * reused every frame: no garbage from the per-frame layer). */
  function trackPos(tr, t) {
    var dt = Math.max(0, Math.min(STALE_S, t - tr.t));
    var d = tr.gs * dt, a = tr.trk * DEG, p = tr.cur || (tr.cur = { lat: 0, lon: 0, alt: 0 });
    p.lat = tr.lat + d * Math.cos(a) / 111320;
    p.lon = tr.lon + d * Math.sin(a) / (111320 * Math.cos(tr.lat * DEG));
    p.alt = tr.alt + tr.vr * dt;
    return p;
  }

  /* One pre-drawn sprite per colour and 10-degree heading, kept as an
   * ImageBitmap: blitting a bitmap is cheap, whereas drawing from a canvas
   * element makes chromium snapshot the source canvas on every call (2,000
   * snapshots a frame, then rasterised one by one at commit). */
  function makeSprite(colour, b) {
    var n = Math.ceil(18 * DPR), off = typeof OffscreenCanvas === 'function';
    var sp = off ? new OffscreenCanvas(n, n) : document.createElement('canvas');
    sp.width = sp.height = n;
    var c = sp.getContext('2d'), a = b * 10 * DEG, sn = Math.sin(a), cs = Math.cos(a);
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
    var set = sprites.get(colour);
    if (!set) sprites.set(colour, set = new Array(36));
    return set;
  }

  function drawTracks(t) {
    var labels = S.tracks.size <= 300 && S.view.ppd >= 40, screen = S.screen || (S.screen = []);
    screen.length = 0;
    S.tracks.forEach(function (tr) {
      var p = trackPos(tr, t), x = px(p.lon), y = py(p.lat);
      tr.x = x; tr.y = y;
      if (x < -20 || y < -20 || x > W + 20 || y > H + 20) return;
      screen.push(tr);
      var set = spritesOf(tr.colour), b = Math.round(tr.trk / 10) % 36;
      /* Whole device pixels: an unscaled, unfiltered blit is the cheapest
       * draw a CPU canvas has (a subpixel one is resampled). */
      ctx.drawImage(set[b] || (set[b] = makeSprite(tr.colour, b)),
        Math.round((x - 9) * DPR) / DPR, Math.round((y - 9) * DPR) / DPR, 18, 18);
    });
    if (labels) {
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillStyle = '#e8eef5';
      screen.forEach(function (tr) {
        ctx.fillText(tr.id + ' ' + Math.round(tr.cur.alt * FT / 100).toString().padStart(3, '0'), tr.x + 8, tr.y - 6);
      });
    }
  }

  function findTrack(side) {
    if (!side) return null;
    if (typeof side === 'string') {
      var found = null;
      S.tracks.forEach(function (tr) { if (!found && (tr.id === side || (tr.op + '/' + tr.id) === side)) found = tr; });
      return found;
    }
    var op = side.operator ? ownerName(side.operator) : '';
    return S.tracks.get(op + '/' + (side.track_id || side.track)) || findTrack(side.track_id || side.track);
  }

  function drawAlerts() {
    ctx.save();
    ctx.strokeStyle = '#ff3b3b';
    ctx.lineWidth = 2;
    S.alerts.forEach(function (al) {
      if (al.cleared || /conform/.test(al.kind)) return;
      var a = al.raw, ta = findTrack(a.a || a.own || a.track || a.track_id), tb = findTrack(a.b);
      if (!ta || ta.x === undefined) return;
      ctx.beginPath();
      ctx.arc(ta.x, ta.y, 12, 0, 2 * Math.PI);
      if (tb && tb.x !== undefined) {
        ctx.moveTo(tb.x + 12, tb.y);
        ctx.arc(tb.x, tb.y, 12, 0, 2 * Math.PI);
        ctx.moveTo(ta.x, ta.y);
        ctx.lineTo(tb.x, tb.y);
      } else if (a.intruder || a.relative) {
        var rel = a.intruder || a.relative, b = rel.bearing_deg * DEG, L = rel.distance_m / mPerPx();
        ctx.moveTo(ta.x, ta.y);
        ctx.lineTo(ta.x + L * Math.sin(b), ta.y - L * Math.cos(b));
      }
      ctx.stroke();
    });
    ctx.restore();
  }

  /* Live tracks move a fraction of a pixel a frame at any useful zoom, so
   * the map is repainted at most every TRACK_FRAME_MS while only they move
   * (half the raster work of 60 Hz, on a CPU-only canvas the bulk of a
   * frame); a change of view, data or time is painted on the next frame. */
  var TRACK_FRAME_MS = 33;

  function frame(ts) {
    requestAnimationFrame(frame);
    var p = S.perf;
    if (p.last) {
      p.deltas.push(ts - p.last);
      if (p.deltas.length > 3000) p.deltas.shift();
    }
    p.last = ts;
    var t0 = performance.now();
    if (S.listsDirty) timed('lists', renderLists);
    if (!S.staticDirty && !(S.live && ts - (S.drawnAt || 0) >= TRACK_FRAME_MS - 4)) return;
    S.drawnAt = ts;
    if (S.staticDirty) timed('static', renderStatic);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(staticCanvas, 0, 0);
    ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
    if (S.live) {
      var t = nowS();
      timed('tracks', function () { drawTracks(t); });
      timed('alerts', drawAlerts);
    } else {
      S.screen = [];
    }
    p.drawMax = Math.max(p.drawMax, performance.now() - t0);
    p.lastDraw = performance.now() - t0;
  }

  function perfSummary() {
    var d = S.perf.deltas.slice().sort(function (a, b) { return a - b; });
    return {
      frames: d.length, tracks: S.tracks.size,
      max_frame_ms: d.length ? d[d.length - 1] : 0,
      p50_frame_ms: d.length ? d[Math.floor(d.length * 0.5)] : 0,
      p99_frame_ms: d.length ? d[Math.floor(d.length * 0.99)] : 0,
      max_draw_ms: S.perf.drawMax, long_tasks: S.perf.longTasks, longest_task_ms: S.perf.longest,
      sections_max_ms: S.perf.sections
    };
  }
  window.dc.resetPerf = function () {
    S.perf.deltas = []; S.perf.last = 0; S.perf.longTasks = 0; S.perf.longest = 0; S.perf.drawMax = 0;
    S.perf.sections = {};
  };

  /* ---- side panel ---- */

  function badge(state) {
    return '<span class="badge" style="background:' + (STATE_COLOURS[state] || '#888') + '">' + esc(state) + '</span>';
  }

  function renderLists() {
    S.listsDirty = false;
    var ops = S.operations.slice().sort(function (a, b) {
      return parseT(a.volumes[0].time_start) - parseT(b.volumes[0].time_start);
    });
    $('op-count').textContent = '(' + ops.length + ')';
    $('ops').innerHTML = ops.slice(0, 300).map(function (o) {
      var v = o.volumes[0], lo = Math.min.apply(null, o.volumes.map(function (x) { return x.altitude_lower_m; })),
        hi = Math.max.apply(null, o.volumes.map(function (x) { return x.altitude_upper_m; }));
      return '<li data-op="' + esc(o.id) + '">' + badge(o.state) +
        (o.owner ? '<b>' + esc(ownerName(o.owner)) + '</b> ' : '') + esc(o.id) +
        '<div class="sub">' + hm(parseT(v.time_start)) + '\u2013' + hm(parseT(o.volumes[o.volumes.length - 1].time_end)) +
        ' \u00b7 ' + Math.round(lo) + '\u2013' + Math.round(hi) + ' m (' + Math.round(lo * FT) + '\u2013' +
        Math.round(hi * FT) + ' ft) \u00b7 p' + o.priority + (o.reason ? ' \u00b7 ' + esc(o.reason) : '') + '</div></li>';
    }).join('');
    var alerts = S.alertOrder.map(function (id) { return S.alerts.get(id); }).filter(Boolean);
    var activeN = alerts.filter(function (a) { return !a.cleared; }).length;
    $('alert-count').textContent = '(' + activeN + ' active, ' + alerts.length + ')';
    $('alerts').innerHTML = alerts.slice(0, 200).map(function (al) {
      var lines = alertText(al);
      return '<li class="alert' + (al.cleared ? ' cleared' : '') + '" data-alert="' + esc(al.id) + '">' +
        '<span class="badge" style="background:' + (al.cleared ? '#607080' : /conform/.test(al.kind) ? '#ff9f1a' : '#ff4d4d') +
        '">' + (al.cleared ? 'cleared' : esc(al.kind.replace(/_/g, ' '))) + '</span>' + esc(lines[0]) +
        '<div class="sub">' + lines.slice(1).map(esc).join('<br>') + (lines.length > 1 ? '<br>' : '') + utc(al.t) + '</div></li>';
    }).join('');
    var extra = '';
    if (S.role === 'operator') {
      extra = '<h2>Notices <span class="count">(' + S.notices.length + ')</span></h2>' +
        '<div class="sub">Airspace unavailable to you (blind: no owner, grown and coarsened).</div>';
    } else {
      var names = Object.keys(S.operators).map(function (k) { return S.operators[k]; });
      extra = '<h2>Restrictions <span class="count">(' + S.restrictions.length + ')</span></h2>' +
        S.restrictions.map(function (r) { return '<div class="sub">' + esc(r.name || r.id) + '</div>'; }).join('') +
        '<h2 style="margin-top:8px">Parties</h2><div class="sub">' + names.map(esc).join(', ') + '</div>';
    }
    $('extra').innerHTML = extra;
  }

  /* ---- tooltip and interaction ---- */

  function pointInRing(lon, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var a = ring[i], b = ring[j];
      if ((a[1] > lat) !== (b[1] > lat) && lon < (b[0] - a[0]) * (lat - a[1]) / (b[1] - a[1]) + a[0]) inside = !inside;
    }
    return inside;
  }

  function metres(lon1, lat1, lon2, lat2) {
    var k = Math.cos((lat1 + lat2) / 2 * DEG);
    return Math.hypot((lon2 - lon1) * k, lat2 - lat1) * 111320;
  }

  function segDist(p, a, b) {
    var k = Math.cos(p[1] * DEG), ax = (a[0] - p[0]) * k, ay = a[1] - p[1], bx = (b[0] - p[0]) * k, by = b[1] - p[1];
    var dx = bx - ax, dy = by - ay, L = dx * dx + dy * dy, u = L ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / L)) : 0;
    return Math.hypot(ax + u * dx, ay + u * dy) * 111320;
  }

  function hitVolume(it, lon, lat) {
    var sh = it.sh;
    if (sh.kind === 'circle') return metres(lon, lat, sh.lon, sh.lat) <= sh.r;
    if (sh.kind === 'polygon') return sh.rings.some(function (r) { return pointInRing(lon, lat, r); });
    for (var i = 1; i < sh.pts.length; i++) if (segDist([lon, lat], sh.pts[i - 1], sh.pts[i]) <= sh.hw) return true;
    return false;
  }

  function tooltip(x, y) {
    var tip = $('tip'), best = null, bd = 10;
    (S.screen || []).forEach(function (tr) {
      var d = Math.hypot(tr.x - x, tr.y - y);
      if (d < bd) { bd = d; best = tr; }
    });
    var lines = [];
    if (best) {
      var p = best.cur;
      lines.push('Track ' + best.id + (best.op ? ' (' + best.op + ')' : ''));
      if (best.operation) lines.push('operation ' + best.operation);
      lines.push('altitude ' + mft(p.alt) + ', FL' + Math.round(p.alt * FT / 100));
      lines.push('ground speed ' + Math.round(best.gs) + ' m/s (' + Math.round(best.gs * KT) + ' kt), track ' + Math.round(best.trk) + '\u00b0');
      lines.push('vertical rate ' + best.vr.toFixed(1) + ' m/s (' + Math.round(best.vr * FT * 60) + ' ft/min)');
      lines.push(p.lat.toFixed(4) + ', ' + p.lon.toFixed(4) + '  report ' + utc(best.t));
    } else {
      var g = unproject(x, y), t = selTime();
      (S.items || []).forEach(function (it) {
        if (lines.length > 24 || it.state === 'ended' || it.state === 'withdrawn' || !hitVolume(it, g.lon, g.lat)) return;
        var v = it.v;
        if (lines.length) lines.push('');
        lines.push(it.title + (it.owner ? ' \u00b7 ' + it.owner : '') + ' \u00b7 ' + it.state +
          (t >= it.ts && t < it.te ? '' : ' (not at this time)'));
        lines.push(mft(v.altitude_lower_m) + ' to ' + mft(v.altitude_upper_m));
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
    var drag = null;
    canvas.addEventListener('mousedown', function (e) { drag = { x: e.clientX, y: e.clientY, lon: S.view.lon, lat: S.view.lat }; canvas.classList.add('drag'); });
    window.addEventListener('mouseup', function () { drag = null; canvas.classList.remove('drag'); });
    canvas.addEventListener('mousemove', function (e) {
      var r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
      if (drag) {
        S.view.lon = drag.lon - (e.clientX - drag.x) / (S.view.ppd * S.view.k);
        S.view.lat = drag.lat + (e.clientY - drag.y) / S.view.ppd;
        S.baseDirty = S.staticDirty = true;
        $('tip').hidden = true;
        return;
      }
      tooltip(x, y);
    });
    canvas.addEventListener('mouseleave', function () { $('tip').hidden = true; });
    canvas.addEventListener('wheel', function (e) {
      e.preventDefault();
      var r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
      var before = unproject(x, y);
      S.view.ppd = Math.max(2, Math.min(5000, S.view.ppd * Math.pow(1.0015, -e.deltaY)));
      var after = unproject(x, y);
      S.view.lon += before.lon - after.lon;
      S.view.lat += before.lat - after.lat;
      S.baseDirty = S.staticDirty = true;
    }, { passive: false });
    $('ops').addEventListener('click', function (e) {
      var li = e.target.closest('li[data-op]');
      var o = li && S.operations.find(function (x) { return x.id === li.dataset.op; });
      if (!o) return;
      var sh = fpShape(o.volumes[0].footprint);
      var c = sh.kind === 'circle' ? [sh.lon, sh.lat] : sh.kind === 'polygon' ? sh.rings[0][0] : sh.pts[0];
      S.view.lon = c[0]; S.view.lat = c[1];
      if (!S.live) { S.tSel = Math.max(S.t0, Math.min(S.t0 + DAY, parseT(o.volumes[0].time_start))); syncSlider(); }
      S.baseDirty = S.staticDirty = true;
    });
    $('time').addEventListener('input', function () {
      S.live = false;
      S.tSel = S.t0 + Number($('time').value) * 60;
      $('live').classList.remove('on');
      S.staticDirty = true;
      syncSlider();
    });
    $('live').addEventListener('click', function () {
      S.live = true;
      $('live').classList.add('on');
      S.staticDirty = true;
      syncSlider();
    });
    window.addEventListener('resize', resize);
  }

  function syncSlider() {
    var t = selTime();
    if (S.live) $('time').value = String(Math.round((t - S.t0) / 60));
    $('time-label').textContent = utc(t) + (S.live ? ' live' : '');
  }

  function legend() {
    var keys = S.role === 'authority'
      ? ['restriction', 'approved', 'active', 'nonconforming', 'preempted']
      : ['notice', 'restriction', 'approved', 'active', 'nonconforming', 'preempted'];
    $('legend').innerHTML = keys.map(function (k) {
      return '<span><i style="background:' + STATE_COLOURS[k] + '"></i>' + k + '</span>';
    }).join('') + '<span><i style="background:#ff3b3b"></i>alert</span>';
  }

  /* Frames the data: the extent of operations, else of notices, else Iraq. */
  function fitView() {
    var b = [180, 90, -180, -90], n = 0;
    (S.items || volumeItems()).forEach(function (it) {
      if (it.what === 'restriction') return;
      var sh = it.sh, pts = sh.kind === 'circle' ? [[sh.lon, sh.lat]] : sh.kind === 'polygon' ? sh.rings[0] : sh.pts;
      pts.forEach(function (p) {
        b[0] = Math.min(b[0], p[0]); b[1] = Math.min(b[1], p[1]); b[2] = Math.max(b[2], p[0]); b[3] = Math.max(b[3], p[1]);
        n++;
      });
    });
    if (!n) b = [38.5, 29, 48.5, 37.5];
    S.view.lon = (b[0] + b[2]) / 2;
    S.view.lat = (b[1] + b[3]) / 2;
    S.view.k = Math.cos(S.view.lat * DEG);
    var spanX = Math.max(0.5, b[2] - b[0]) * S.view.k, spanY = Math.max(0.5, b[3] - b[1]);
    S.view.ppd = Math.max(2, Math.min(W / (spanX * 1.25), H / (spanY * 1.25)));
    S.baseDirty = S.staticDirty = true;
  }

  /* ---- start ---- */

  function every(fn, ms) { fn(); S.timers.push(setInterval(fn, ms)); }

  function start() {
    S.t0 = Math.floor(nowS() / 60) * 60 - DAY / 2;
    $('time').max = String(DAY / 60);
    resize();
    legend();
    setupInteraction();
    if ('PerformanceObserver' in window) {
      try {
        new PerformanceObserver(function (list) {
          list.getEntries().forEach(function (e) {
            S.perf.longTasks++;
            S.perf.longest = Math.max(S.perf.longest, e.duration);
          });
        }).observe({ entryTypes: ['longtask'] });
      } catch (e) { /* not supported */ }
    }
    fetch('vendor/world-atlas/countries-50m.json').then(function (r) { return r.json(); }).then(function (topo) {
      S.countries = decodeTopo(topo);
      S.baseDirty = S.staticDirty = true;
    }).catch(function () {});
    refreshPlans().then(fitView);
    every(refreshPlans, 5000);
    loadAlerts().then(streamAlerts);
    every(pollTracks, 1000);
    every(pruneTracks, 2000);
    every(function () {
      $('clock').textContent = utc(nowS());
      syncSlider();
      $('stats').textContent = S.tracks.size + ' tracks \u00b7 draw ' + (S.perf.lastDraw || 0).toFixed(1) + ' ms';
      if (S.live && inTimeSig(nowS()) !== S.inTimeSig) S.staticDirty = true;
    }, 1000);
    requestAnimationFrame(frame);
  }

  $('signin-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var key = $('key').value.trim();
    if (!key) return;
    signin(key).catch(function (err) { showSignin(err.message); });
  });
  $('signout').addEventListener('click', signout);

  var saved = sessionStorage.getItem('dc.key');
  if (saved) signin(saved).catch(function (err) { showSignin(err.message); });
  else showSignin('');
})();
