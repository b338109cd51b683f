#!/usr/bin/env python3
"""The authority's surveillance feeds in a running server (issue 16, items
2-4; run by check-live.sh). Ports come from 24000-24999.

1. The Los Angeles SBS-1 recording replayed over TCP by replay_sbs.py, at
   200 lines/s and then as fast as TCP takes it (into a restarted server):
   every aircraft with a position in the recording is in the authority's
   GET /v1/tracks at its last recorded position and altitude, and no other
   track comes from the feed. The replayer listens only after the server
   started, so the feed's first connection fails and it reconnects.
2. A malformed ASTERIX datagram, then one holding a malformed block and the
   real CAT062 block of cat062cat065.raw: both errors are counted and the
   real block's tracks appear.
3. A feed that goes silent raises the authority's "feed_silent" alert (and
   "feed_resumed" when it speaks again); no operator sees either, and an
   operator's GET /v1/feeds is 403.
4. /metrics carries the per-feed counters.
5. Debian's dump1090-mutability (net-only) relays the recording, encoded as
   Beast, to the server's beast feed while the SBS feed reads the replay:
   the same picture, one track per aircraft.
6. An ingest buffer of one report: the feed drops and counts, and reads on.

  live_feeds.py BIN TMPDIR
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

BIN, T = sys.argv[1], sys.argv[2]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
DATA = os.path.join(ROOT, 'tests', 'feed', 'data')


def free_port(kind):
    """A loopback port free at this moment (the kernel's choice), so two runs
    or other tests on the machine never collide on a fixed number."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


SBS_PORT, UDP_PORT = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM)
procs = []


def fail(msg):
    sys.exit('check-live: FAIL: ' + msg)


def call(url, key, path, body=None):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode() if body else None,
                                 headers={'Authorization': 'Bearer ' + key,
                                          'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read().decode()
            return r.status, (json.loads(data) if data.startswith('{') else data)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or '{}')


def serve(store, cfg):
    out = open(os.path.join(T, 'url'), 'w+')
    p = subprocess.Popen([BIN, 'serve', '--store', store, '--listen', '127.0.0.1:0', '--config',
                          cfg], stdout=out, stderr=open(os.path.join(T, 'serve.log'), 'a'))
    procs.append(p)
    for _ in range(300):
        out.seek(0)
        line = out.readline().strip()
        if line:
            return p, line
        if p.poll() is not None:
            fail('server exited: ' + open(os.path.join(T, 'serve.log')).read()[-500:])
        time.sleep(0.05)
    fail('server did not start')


def stop(p):
    p.terminate()
    if p.wait(20) != 0:  # a sanitizer's report makes it non-zero
        fail('server exit status %d: %s' % (p.returncode,
                                           open(os.path.join(T, 'serve.log')).read()[-2000:]))


def wait_for(what, fn, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.25)
    fail('timed out waiting for ' + what)


def recording():
    """Each aircraft's last position and altitude in the recording."""
    last, lines = {}, 0
    for l in open(os.path.join(DATA, 'sbs', 'msgs.txt')):
        if not l.strip():
            continue
        lines += 1
        f = l.strip().split(',')
        if f[0] == 'MSG' and f[1] == '3' and len(f) > 15 and f[14] and f[15] and f[11]:
            last[f[4].upper()] = (float(f[14]), float(f[15]), float(f[11]) * 0.3048)
    return last, lines


def feed_tracks(url, key, ids):
    st, body = call(url, key, '/v1/tracks')
    if st != 200:
        fail('GET /v1/tracks: %d %s' % (st, body))
    return {t['track_id']: t for t in body['tracks'] if t['track_id'] in ids or
            (t['operator'] is None and len(t['track_id']) == 6)}


def check_picture(url, key, expect, label):
    def ready():
        got = feed_tracks(url, key, expect)
        if set(got) != set(expect):
            return None
        for icao, (lat, lon, alt) in expect.items():
            t = got[icao]
            if abs(t['lat'] - lat) > 1e-6 or abs(t['lon'] - lon) > 1e-6 or \
                    abs(t['alt_m'] - alt) > 0.06:
                return None
        return got
    try:
        got = wait_for(label, ready, 60)
    except SystemExit:
        got = feed_tracks(url, key, expect)
        fail('%s: the authority sees %s, the recording has %s' % (label, sorted(got),
                                                                  sorted(expect)))
    for t in got.values():
        if t['operator'] is not None:
            fail('%s: a feed track has an operator: %s' % (label, t))
    print('check-live: %s: all %d aircraft with a position are in the authority\'s view at '
          'their last recorded position and altitude, none invented' % (label, len(expect)))


def replay(rate):
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, 'tests', 'feed', 'replay_sbs.py'),
                          os.path.join(DATA, 'sbs', 'msgs.txt'), str(SBS_PORT), rate],
                         stdout=subprocess.PIPE, text=True)
    procs.append(p)
    return p


def alerts(url, key):
    st, body = call(url, key, '/v1/alerts?limit=1000')
    if st != 200:
        fail('GET /v1/alerts: %d' % st)
    return body['alerts']


def feeds(url, key):
    st, body = call(url, key, '/v1/feeds')
    if st != 200:
        fail('GET /v1/feeds: %d %s' % (st, body))
    return {f['name']: f for f in body['feeds']}


def main():
    store = os.path.join(T, 'store.db')
    subprocess.run([BIN, 'init', '--store', store, '--authority', 'host', '--key-file',
                    os.path.join(T, 'host.key')], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    auth = open(os.path.join(T, 'host.key')).read().strip()
    cfg = os.path.join(T, 'config.json')
    json.dump({'feed_silence_s': 3, 'feeds': [
        {'name': 'la-adsb', 'type': 'sbs', 'connect': '127.0.0.1:%d' % SBS_PORT},
        {'name': 'radar', 'type': 'asterix', 'listen': 'udp://127.0.0.1:%d' % UDP_PORT,
         'clock': 'arrival', 'silence_s': 2}]}, open(cfg, 'w'))
    expect, n_lines = recording()

    # 1. At speed: the replayer starts after the server, so the first connect fails.
    srv, url = serve(store, cfg)
    st, op = call(url, auth, '/v1/operators', {'name': 'coalition'})
    if st != 201:
        fail('operator: %d %s' % (st, op))
    opkey = op['api_key']
    # A second server cannot bind the same UDP port: it refuses to start, naming the field.
    subprocess.run([BIN, 'init', '--store', os.path.join(T, 'other.db'), '--authority', 'x',
                    '--key-file', os.path.join(T, 'other.key')], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = subprocess.run([BIN, 'serve', '--store', os.path.join(T, 'other.db'), '--listen',
                        '127.0.0.1:0', '--config', cfg], capture_output=True, text=True,
                       timeout=20)
    if r.returncode == 0 or 'feeds[1].listen' not in r.stderr:
        fail('a second server on the same UDP port: exit %d, %s' % (r.returncode, r.stderr))
    time.sleep(1.2)
    rp = replay('200')
    call(url, auth, '/v1/tracks')  # the track view is fed while someone reads it
    if rp.stdout.readline().strip() == '':
        fail('replay at speed')
    check_picture(url, auth, expect, 'replay at 200 lines/s')
    f = feeds(url, auth)['la-adsb']
    if f['messages'] != n_lines or f['decode_errors'] != 0 or f['reconnects'] < 1:
        fail('la-adsb after the replay: %s (expected %d messages, 0 errors, a reconnect)' %
             (f, n_lines))
    print('check-live: la-adsb: %d lines, %d track reports, %d reconnects, 0 decode errors' %
          (f['messages'], f['reports'], f['reconnects']))

    # 3. Silence: the replay ended; the feed's silence is the authority's alone.
    # (It may have been silent at the start too, before the replayer listened.)
    ended = max([a['seq'] for a in alerts(url, auth)] + [0])

    def silent():
        return [a for a in alerts(url, auth) if a.get('kind') == 'feed_silent' and
                a['feed']['name'] == 'la-adsb' and a['seq'] > ended]
    a = wait_for('la-adsb feed_silent alert', silent, 20)[0]
    if not feeds(url, auth)['la-adsb']['silent']:
        fail('GET /v1/feeds does not show la-adsb silent')
    st, _ = call(url, opkey, '/v1/feeds')
    if st != 403:
        fail("an operator's GET /v1/feeds answered %d, not 403" % st)
    for al in alerts(url, opkey):
        if 'feed' in json.dumps(al):
            fail('an operator sees a feed alert: %s' % al)
    print('check-live: silence: the authority got %s after %.1f s; the operator sees no feed '
          'alert and GET /v1/feeds answers it 403' % (a['kind'], a['silent_s']))

    # 2. ASTERIX: a malformed datagram, then the real CAT062 blocks.
    raw = open(os.path.join(DATA, 'asterix', 'cat062cat065.raw'), 'rb').read()
    blocks, off = [], 0
    while off + 3 <= len(raw):
        n = int.from_bytes(raw[off + 1:off + 3], 'big')
        blocks.append(raw[off:off + n])
        off += n
    cat062 = [b for b in blocks if b[0] == 62][0]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bad = bytes([62, 0x00, 0x40]) + cat062[3:20]  # its length runs past the datagram
    u.sendto(bad, ('127.0.0.1', UDP_PORT))
    time.sleep(0.3)
    # A refused block (an empty FSPEC) before the real one in one datagram.
    u.sendto(bytes([62, 0, 6, 0, 0, 0]) + cat062, ('127.0.0.1', UDP_PORT))
    ids = {'062-25-100-4980', '3C0A55'}
    wait_for('the CAT062 tracks after a malformed datagram',
             lambda: ids <= set(feed_tracks(url, auth, ids)), 20)
    r = feeds(url, auth)['radar']
    if r['decode_errors'] != 2 or r['messages'] != 2 or not r['last_error']:
        fail('radar: %s' % r)
    resumed = [a for a in alerts(url, auth) if a.get('kind') == 'feed_resumed' and
               a['feed']['name'] == 'radar']
    if not resumed:
        fail('no feed_resumed alert for radar')
    print('check-live: asterix: a malformed datagram refused, then a malformed block (%s) and the '
          'real one in the next datagram: its tracks %s in the authority\'s view; the radar feed '
          'was silent then resumed' % (r['last_error'], sorted(ids)))

    # The CLI: `deconflict feed status`, the authority's; an operator's key exits 3.
    env = dict(os.environ, DECONFLICT_URL=url)
    env.pop('DECONFLICT_KEY', None)
    r = subprocess.run([BIN, 'feed', 'status', '--key-file', os.path.join(T, 'host.key')],
                       capture_output=True, text=True, env=env, timeout=20)
    lines = r.stdout.splitlines()
    if r.returncode != 0 or not any(l.startswith('la-adsb ') and 'SILENT' in l for l in lines) \
            or not any(l.startswith('radar ') and '2 decode errors' in l for l in lines):
        fail('feed status: exit %d: %s %s' % (r.returncode, r.stdout, r.stderr))
    env['DECONFLICT_KEY'] = opkey
    r = subprocess.run([BIN, 'feed', 'status'], capture_output=True, text=True, env=env,
                       timeout=20)
    if r.returncode != 3:
        fail("an operator's feed status exited %d, not 3" % r.returncode)
    print('check-live: deconflict feed status:\n  ' + '\n  '.join(lines))

    # 4. /metrics
    st, text = call(url, auth, '/metrics')
    for name in ('messages_total', 'reports_total', 'decode_errors_total', 'reconnects_total',
                 'last_message_age_seconds'):
        if 'deconflict_feed_%s{feed="la-adsb",type="sbs"}' % name not in text:
            fail('/metrics lacks deconflict_feed_%s for la-adsb' % name)
    if 'deconflict_feed_decode_errors_total{feed="radar",type="asterix"} 2' not in text:
        fail('/metrics: radar decode errors')
    stop(srv)

    # 1b. As fast as TCP: a restarted server, a fresh picture.
    rp.wait(10)
    srv, url = serve(store, cfg)
    rp = replay('0')
    call(url, auth, '/v1/tracks')
    if rp.stdout.readline().strip() == '':
        fail('replay at full speed')
    check_picture(url, auth, expect, 'replay at full speed')
    f = feeds(url, auth)['la-adsb']
    if f['messages'] != n_lines or f['decode_errors'] != 0:
        fail('la-adsb at full speed: %s' % f)
    stop(srv)
    rp.wait(10)
    full_buffer(store, n_lines)
    dump1090(store, expect)


def full_buffer(store, n_lines):
    """6. An ingest buffer that holds one report: the feed drops and counts
    what does not fit, and goes on reading (it never waits for the tick)."""
    cfg = os.path.join(T, 'config-full.json')
    json.dump({'track_buffer_reports': 1, 'feeds': [
        {'name': 'la-adsb', 'type': 'sbs', 'connect': '127.0.0.1:%d' % SBS_PORT}]}, open(cfg, 'w'))
    srv, url = serve(store, cfg)
    auth = open(os.path.join(T, 'host.key')).read().strip()
    rp = replay('0')
    rp.wait(20)
    f = wait_for('the whole recording read with a full buffer',
                 lambda: (lambda f: f if f['messages'] == n_lines else None)(
                     feeds(url, auth)['la-adsb']), 20)
    if f['dropped'] == 0 or f['decode_errors'] != 0:
        fail('a full ingest buffer: %s' % f)
    stop(srv)
    print('check-live: an ingest buffer of one report: all %d lines read, %d reports handed on, '
          '%d dropped and counted (the feed never waits)' % (f['messages'], f['reports'],
                                                             f['dropped']))


def dump1090(store, expect):
    """5. Debian's dump1090-mutability in net-only mode as a real source: the
    recording encoded as Beast (beast_from_sbs.py) goes into its Beast input,
    and the server's beast feed reads its Beast output; at the same time the
    SBS feed gets the recording from the replayer. Fusion: each aircraft,
    seen on both feeds, is one track."""
    beast = os.path.join(T, 'la.beast')
    subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'feed', 'beast_from_sbs.py'),
                    os.path.join(DATA, 'sbs', 'msgs.txt'), beast, os.path.join(T, 'src.jsonl')],
                   check=True)
    bi, bo = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM)
    d = subprocess.Popen(['dump1090-mutability', '--net-only', '--net-bind-address', '127.0.0.1',
                          '--net-bi-port', str(bi), '--net-bo-port', str(bo), '--net-sbs-port',
                          '0', '--net-ri-port', '0', '--net-ro-port', '0', '--quiet'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(d)
    cfg = os.path.join(T, 'config-dump1090.json')
    json.dump({'feeds': [{'name': 'dump1090', 'type': 'beast', 'connect': '127.0.0.1:%d' % bo},
                         {'name': 'la-adsb', 'type': 'sbs',
                          'connect': '127.0.0.1:%d' % SBS_PORT}]}, open(cfg, 'w'))
    srv, url = serve(store, cfg)
    auth = open(os.path.join(T, 'host.key')).read().strip()
    wait_for('the beast feed connected to dump1090',
             lambda: feeds(url, auth)['dump1090']['state'] == 'connected', 20)
    call(url, auth, '/v1/tracks')
    rp = replay('0')
    inp = socket.create_connection(('127.0.0.1', bi), timeout=5)
    inp.sendall(open(beast, 'rb').read())

    def ready():
        got = feed_tracks(url, auth, expect)
        if set(got) != set(expect):
            return None
        for icao, (lat, lon, alt) in expect.items():
            t = got[icao]  # CPR's quantum is about 5e-5 deg; altitude 25 ft
            if abs(t['lat'] - lat) > 1e-4 or abs(t['lon'] - lon) > 1e-4 or \
                    abs(t['alt_m'] - alt) > 7.7:
                return None
        return got
    try:
        wait_for('dump1090 picture', ready, 30)
    except SystemExit:
        fail('through dump1090 the authority sees %s, expected %s' %
             (feed_tracks(url, auth, expect), expect))
    rp.wait(20)
    fs = feeds(url, auth)
    f, s = fs['dump1090'], fs['la-adsb']
    if f['reports'] == 0 or s['reports'] == 0:
        fail('fusion: a feed gave no report: %s' % fs)
    st, body = call(url, auth, '/v1/feeds')
    if body['aircraft'] != len(expect):
        fail('fusion: %d aircraft from two feeds, expected %d' % (body['aircraft'], len(expect)))
    inp.close()
    stop(srv)
    d.terminate()
    d.wait(10)
    print('check-live: dump1090-mutability (net-only, Beast in and out) as a source beside the '
          'SBS replay: %d frames, %d decode errors; %d + %d reports (%d + %d superseded) fused '
          'into %d aircraft, each one track at its last recorded position (to the CPR quantum), '
          'none invented' % (f['messages'], f['decode_errors'], f['reports'], s['reports'],
                             f['superseded'], s['superseded'], body['aircraft']))


try:
    main()
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
print('check-live: passed')
