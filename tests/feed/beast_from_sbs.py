#!/usr/bin/env python3
"""Makes a Beast binary capture (dump1090 port 30005 framing) from an SBS-1
recording: each MSG,1 callsign becomes a DF17 identification message, each
MSG,3 position an even and an odd DF17 airborne position (CPR-encoded per
DO-260B, 25 ft altitude coding), each MSG,4 an airborne velocity (subtype 1).
Written here, independently of src/feed/adsb.c, so that the decoder and
dump1090-mutability can be checked against the recording's own values.
usage: beast_from_sbs.py SBS.txt OUT.beast OUT.jsonl   (JSONL: what was encoded)"""
import json, math, sys

POLY = 0xFFF409


def crc24(data):
    crc = 0
    for b in data:
        crc ^= b << 16
        for _ in range(8):
            crc = ((crc << 1) ^ POLY) if crc & 0x800000 else crc << 1
    return crc & 0xFFFFFF


def frame(icao, me):
    m = bytes([0x8D]) + icao.to_bytes(3, 'big') + me
    return m + crc24(m).to_bytes(3, 'big')


def nl(lat):
    if abs(lat) < 1e-9:
        return 59
    if abs(lat) >= 87:
        return 1 if abs(lat) > 87 else 2
    a = 1 - math.cos(math.pi / 30)
    return int(math.floor(2 * math.pi / math.acos(1 - a / math.cos(math.pi / 180 * abs(lat)) ** 2)))


def cpr(lat, lon, odd):
    dlat = 360.0 / (60 - odd)
    yz = math.floor(131072 * ((lat % dlat) / dlat) + 0.5)
    rlat = dlat * (yz / 131072 + math.floor(lat / dlat))
    dlon = 360.0 / max(nl(rlat) - odd, 1)
    xz = math.floor(131072 * ((lon % dlon) / dlon) + 0.5)
    return yz & 0x1FFFF, xz & 0x1FFFF


def position(icao, lat, lon, alt_ft, odd):
    n = int(round((alt_ft + 1000) / 25))
    ac = ((n & 0x7F0) << 1) | 0x10 | (n & 0x0F)
    y, x = cpr(lat, lon, odd)
    me = bytes([11 << 3, ac >> 4, ((ac & 15) << 4) | (odd << 2) | (y >> 15), (y >> 7) & 0xFF,
                ((y & 0x7F) << 1) | (x >> 16), (x >> 8) & 0xFF, x & 0xFF])
    return frame(icao, me)


CHARS = '#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######'


def ident(icao, cs):
    cs = (cs + '        ')[:8]
    v = 0
    for c in cs:
        v = v << 6 | CHARS.index(c if c in CHARS and c != '#' else ' ')
    return frame(icao, bytes([4 << 3]) + v.to_bytes(6, 'big'))


def velocity(icao, gs_kt, trk_deg, vr_fpm):
    vx, vy = gs_kt * math.sin(math.radians(trk_deg)), gs_kt * math.cos(math.radians(trk_deg))
    vew, vns = int(round(abs(vx))) + 1, int(round(abs(vy))) + 1
    vr = int(round(abs(vr_fpm) / 64)) + 1
    bits = (19 << 51) | (1 << 48) | ((vx < 0) << 42) | (vew << 32) | ((vy < 0) << 31) | (vns << 21)
    bits |= (1 << 20) | ((vr_fpm < 0) << 19) | (vr << 10)
    return frame(icao, bits.to_bytes(7, 'big')), vx, vy


def beast(msg, t_s):
    ts = int(t_s * 12e6).to_bytes(6, 'big')
    body = ts + b'\xff' + msg
    return b'\x1a3' + body.replace(b'\x1a', b'\x1a\x1a')


def main():
    out, exp, t = [], [], 0.0
    for line in open(sys.argv[1]):
        f = line.rstrip('\r\n').split(',')
        if f[0] != 'MSG':
            continue
        f += [''] * (22 - len(f))
        icao = int(f[4], 16)
        if f[1] == '1' and f[10].strip():
            out.append(beast(ident(icao, f[10].strip()), t))
            exp.append({'mode_s': f[4].upper(), 'callsign': f[10].strip()})
        elif f[1] == '3' and f[14] and f[11]:
            lat, lon, alt = float(f[14]), float(f[15]), float(f[11])
            for odd in (0, 1):
                out.append(beast(position(icao, lat, lon, alt, odd), t))
                t += 0.05
            exp.append({'mode_s': f[4].upper(), 'lat': lat, 'lon': lon, 'alt_ft': alt})
        elif f[1] == '4' and f[12] and f[13]:
            vr = float(f[16] or 0)
            m, vx, vy = velocity(icao, float(f[12]), float(f[13]), vr)
            out.append(beast(m, t))
            exp.append({'mode_s': f[4].upper(), 'vx_kt': vx, 'vy_kt': vy, 'vr_fpm': vr})
        t += 0.1
    open(sys.argv[2], 'wb').write(b''.join(out))
    with open(sys.argv[3], 'w') as o:
        for e in exp:
            o.write(json.dumps(e) + '\n')


main()
