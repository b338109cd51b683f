#!/bin/sh
# Beast / ADS-B decoding (src/feed/adsb.c) against the Los Angeles SBS-1
# recording and against Debian's dump1090-mutability as an independent
# decoder (issue 16 item 4): tests/feed/beast_from_sbs.py encodes the
# recording's callsigns, positions (CPR even + odd), altitudes and velocities
# as DF17 messages in Beast framing; `deconflict feed decode` must give back
# the recording's values (to the CPR and 1-kt quantisation), and dump1090 in
# net-only mode (Beast in on TCP, SBS-1 out) must agree with ours message by
# message. Positions only one of the two decodes are counted and bounded:
# they come from the CPR strategies (dump1090 pairs by wall-clock arrival and
# speed-checks; we pair by Beast timestamps, 10 s, then decode locally).
set -eu
cd "$(dirname "$0")/../.."
B=build/deconflict
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v dump1090-mutability >/dev/null || fail "dump1090-mutability missing (scripts/install-deps.sh)"
python3 tests/feed/beast_from_sbs.py tests/feed/data/sbs/msgs.txt "$T/la.beast" "$T/src.jsonl"
$B feed decode "$T/la.beast" >"$T/ours.jsonl" 2>"$T/err" || fail "decode: $(cat "$T/err")"
python3 - "$T/la.beast" "$T/dump1090.sbs" <<'PY'
import socket, subprocess, sys, time
def free_port():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p
bi, sbs = free_port(), free_port()
proc = subprocess.Popen(['dump1090-mutability', '--net-only', '--net-bind-address', '127.0.0.1',
                         '--net-bi-port', str(bi), '--net-sbs-port', str(sbs), '--net-ri-port', '0',
                         '--net-ro-port', '0', '--net-bo-port', '0', '--quiet'],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(200):
        try:
            out = socket.create_connection(('127.0.0.1', sbs), timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    else:
        sys.exit('dump1090-mutability did not listen')
    inp = socket.create_connection(('127.0.0.1', bi), timeout=5)
    inp.sendall(open(sys.argv[1], 'rb').read())
    out.settimeout(0.5)
    buf, quiet = b'', 0
    while quiet < 4:  # until 2 s without a line
        try:
            d = out.recv(65536)
            if not d:
                break
            buf, quiet = buf + d, 0
        except socket.timeout:
            quiet += 1
    open(sys.argv[2], 'wb').write(buf)
finally:
    proc.terminate()
    proc.wait(10)
PY
python3 - "$T/src.jsonl" "$T/ours.jsonl" "$T/dump1090.sbs" <<'PY'
import json, math, sys
src = [json.loads(l) for l in open(sys.argv[1])]
ours = [json.loads(l) for l in open(sys.argv[2])]
d = [l.strip().split(',') for l in open(sys.argv[3]) if l.startswith('MSG,')]
KT = 1852 / 3600
# 1. ours against the recording
o_id = [o for o in ours if 'callsign' in o]
o_pos = [o for o in ours if 'flight_level' in o]  # one per position message
o_vel = [o for o in ours if 'ground_speed_mps' in o]
s_id = [s for s in src if 'callsign' in s]
s_pos = [s for s in src if 'lat' in s]
s_vel = [s for s in src if 'vx_kt' in s]
assert [(o['mode_s'], o['callsign']) for o in o_id] == [(s['mode_s'], s['callsign']) for s in s_id]
assert len(o_pos) == 2 * len(s_pos), (len(o_pos), len(s_pos))
npos = 0
for k, s in enumerate(s_pos):
    for o in o_pos[2 * k:2 * k + 2]:
        assert o['mode_s'] == s['mode_s'] and abs(o['flight_level'] * 100 - s['alt_ft']) < 1e-6, (o, s)
        if 'lat' in o:
            npos += 1
            assert abs(o['lat'] - s['lat']) < 1e-4 and abs(o['lon'] - s['lon']) < 1e-4, (o, s)
    assert 'lat' in o_pos[2 * k + 1], ('odd message of a fresh pair not decoded', s)
assert len(o_vel) == len(s_vel)
for o, s in zip(o_vel, s_vel):
    vx = o['ground_speed_mps'] / KT * math.sin(math.radians(o['track_deg']))
    vy = o['ground_speed_mps'] / KT * math.cos(math.radians(o['track_deg']))
    assert abs(vx - s['vx_kt']) <= 0.51 and abs(vy - s['vy_kt']) <= 0.51, (o, s)
    assert abs(o['vertical_rate_mps'] / 0.3048 * 60 - s['vr_fpm']) <= 32.01, (o, s)
print('beast: %d identifications, %d of %d position messages decoded (each within 1e-4 deg of the '
      'recording), %d velocities equal to the recording' % (len(o_id), npos, len(o_pos), len(o_vel)))
# 2. ours against dump1090-mutability
d_id = [(f[4], f[10].strip()) for f in d if f[1] == '1']
assert d_id == [(o['mode_s'], o['callsign']) for o in o_id], d_id
d_pos = [f for f in d if f[1] == '3']
assert len(d_pos) == len(o_pos), (len(d_pos), len(o_pos))
both = only_ours = only_d = 0
for o, f in zip(o_pos, d_pos):
    assert o['mode_s'] == f[4] and abs(o['flight_level'] * 100 - float(f[11])) < 1e-6, (o, f)
    if 'lat' in o and f[14]:
        both += 1
        assert abs(o['lat'] - float(f[14])) <= 6e-6 and abs(o['lon'] - float(f[15])) <= 6e-6, (o, f)
    elif 'lat' in o:
        only_ours += 1
    elif f[14]:
        only_d += 1
assert both >= 0.9 * (both + only_d), (both, only_d)
d_vel = [f for f in d if f[1] == '4']
# dump1090 prints whole knots and degrees from its own arithmetic (1.5 deg
# apart at most here) and may interleave aircraft: compare per aircraft.
matched = skipped = 0
for icao in sorted({o['mode_s'] for o in o_vel}):
    dl = [f for f in d_vel if f[4] == icao]
    i = 0
    for o in [o for o in o_vel if o['mode_s'] == icao]:
        f = dl[i] if i < len(dl) else None
        if f and abs(float(f[12]) - o['ground_speed_mps'] / KT) <= 1 and \
                abs((float(f[13]) - o['track_deg'] + 180) % 360 - 180) <= 1.5 and \
                abs(float(f[16]) - o['vertical_rate_mps'] / 0.3048 * 60) <= 1:
            i += 1
        else:
            skipped += 1
    assert i == len(dl), (icao, i, len(dl))
    matched += i
assert matched == len(d_vel) and skipped <= 2, (matched, len(d_vel), skipped)
i = matched
print('dump1090-mutability: %d callsigns and %d altitudes equal; %d positions equal (to its 5 '
      'decimals), %d decoded by us only, %d by dump1090 only; %d velocities equal, %d not output by it'
      % (len(d_id), len(d_pos), both, only_ours, only_d, i, skipped))
PY
echo "check-beast: passed"
