#!/usr/bin/env python3
"""Compares deconflict's ASTERIX decoder with Debian's tshark on every record
of a pcap: positions, altitudes, Mode S addresses, callsigns, track numbers,
SAC/SIC, velocities and CAT048 polar positions (docs/feeds.md, "Testing").

usage: compare_tshark.py DECONFLICT PCAP PORT [deconflict options...]

The pcap is split into UDP datagrams here (a plain reader of the classic
format, independent of both decoders); each datagram is decoded by
`deconflict feed decode --format asterix` and matched with tshark's packet of
the same number (`tshark -d udp.port==PORT,asterix -T json`, CAT062 pinned to
edition 1.18, CAT021 to 2.6, CAT048 to 1.27: the editions our tables follow
where they agree with tshark's; see docs/feeds.md). A datagram tshark calls
malformed must be refused by us, and the other way round. Tolerances: lat/lon
1e-6 deg (we print 7 decimals), altitudes and flight levels 0.01 (FL or m),
speeds 0.01 m/s, track 0.01 deg, rho 0.01 m. Callsigns: a 6-bit code with no
character is ' ' in tshark and '#' in ours (as dump1090 writes it), and both
sides drop trailing spaces. Prints one line per file and exits 1 on any
difference, listing them."""
import json, os, re, struct, subprocess, sys, tempfile

FT = 0.3048
NM = 1852.0


def pcap_payloads(path):
    data = open(path, 'rb').read()
    magic = data[:4]
    e = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    link = struct.unpack(e + 'I', data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        assert link == 1, 'Ethernet captures only'
        h = 12
        while frame[h:h + 2] in (b'\x81\x00', b'\x88\xa8'):
            h += 4
        if frame[h:h + 2] != b'\x08\x00':
            out.append(None)
            continue
        ip = frame[h + 2:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 17:
            out.append(None)
            continue
        udp = ip[ihl:]
        ulen = struct.unpack('>H', udp[4:6])[0]
        out.append(udp[8:ulen])
    return out


def hook(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            if isinstance(d[k], Multi):
                d[k].append(v)
            else:
                d[k] = Multi([d[k], v])
        else:
            d[k] = v
    return d


class Multi(list):
    pass


def as_list(v):
    if v is None:
        return []
    return list(v) if isinstance(v, Multi) or isinstance(v, list) else [v]


def flatten(obj, out):
    """All leaf values by their key, edition tag removed: 062_V1_18_105_LAT -> 062_105_LAT."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            k2 = re.sub(r'_V\d+_\d+_', '_', k.replace('asterix.', ''))
            if isinstance(v, (dict, list)):
                flatten(v, out)
            else:
                out.setdefault(k2, v)
    elif isinstance(obj, list):
        for v in obj:
            flatten(v, out)


def callsign(s):
    s = ''.join(c if 0x20 <= ord(c) < 0x7f and c not in '"\\' else '?' for c in s[:8])
    return s.rstrip(' ').replace(' ', '#')


def lenient(blocks):
    """tshark passes over a record whose FSPEC is empty (a stray 0 byte) or
    names a spare FRN (taken as 0 bytes); we refuse such a block."""
    for blk in blocks:
        for m in as_list(blk.get('asterix.message')):
            if isinstance(m, dict) and (set(m) == {'asterix.fspec'} or 'asterix.spare' in m):
                return True
    return False


def expected(cat, msg):
    f = {}
    flatten(msg, f)
    g = lambda k: f.get('%03d_%s' % (cat, k))
    e = {}
    if g('010_SAC') is not None:
        e['sac'] = int(g('010_SAC'), 0)
        e['sic'] = int(g('010_SIC'), 0)
    if cat == 62:
        if g('105_LAT') is not None:
            la, lo = float(g('105_LAT')), float(g('105_LON'))
            if abs(la) <= 90 and abs(lo) <= 180:
                e['lat'], e['lon'] = la, lo
        if g('040_VALUE') is not None:
            e['track_number'] = int(g('040_VALUE'), 0)
        if g('136_VALUE') is not None:
            e['flight_level'] = float(g('136_VALUE'))
        if g('130_VALUE') is not None:
            e['geo_alt_m'] = float(g('130_VALUE')) * FT
        if g('135_CTB') is not None:
            e['calc_flight_level'] = float(g('135_CTB'))
        if g('220_VALUE') is not None:
            e['vertical_rate_mps'] = float(g('220_VALUE')) * FT / 60
        if g('185_VX') is not None:
            import math
            vx, vy = float(g('185_VX')), float(g('185_VY'))
            e['ground_speed_mps'] = math.hypot(vx, vy)
        if g('380_ADR_VALUE') is not None:
            e['mode_s'] = '%06X' % int(g('380_ADR_VALUE'), 0)
        cs = g('245_CHR') or g('380_ID_VALUE') or g('390_CSN_VALUE') or g('390_CS_VALUE')
        if cs is not None and callsign(cs):
            e['callsign'] = callsign(cs)
    elif cat == 21:
        for item, lsb in (('131', 1), ('130', 1)):
            if g(item + '_LAT') is not None:
                e['lat'], e['lon'] = float(g(item + '_LAT')), float(g(item + '_LON'))
                break
        if g('080_VALUE') is not None:
            e['mode_s'] = '%06X' % int(g('080_VALUE'), 0)
        if g('161_TRN') is not None:
            e['track_number'] = int(g('161_TRN'), 0)
        if g('145_VALUE') is not None:
            e['flight_level'] = float(g('145_VALUE'))
        if g('140_VALUE') is not None:
            e['geo_alt_m'] = float(g('140_VALUE')) * FT
        if g('170_VALUE') is not None and callsign(g('170_VALUE')):
            e['callsign'] = callsign(g('170_VALUE'))
    elif cat == 48:
        if g('040_RHO') is not None:
            e['rho_m'] = float(g('040_RHO')) * NM
            e['theta_deg'] = float(g('040_THETA'))
        if g('090_FL') is not None:
            e['flight_level'] = float(g('090_FL'))
        if g('220_VALUE') is not None:
            e['mode_s'] = '%06X' % int(g('220_VALUE'), 0)
        if g('161_TRN') is not None:
            e['track_number'] = int(g('161_TRN'), 0)
        if g('240_VALUE') is not None and callsign(g('240_VALUE')):
            e['callsign'] = callsign(g('240_VALUE'))
        if g('200_GSP') is not None:
            e['ground_speed_mps'] = float(g('200_GSP')) * NM
            e['track_deg'] = float(g('200_HDG'))
    return e


TOL = {'lat': 1e-6, 'lon': 1e-6, 'flight_level': 0.01, 'calc_flight_level': 0.01,
       'geo_alt_m': 0.01, 'vertical_rate_mps': 0.01, 'ground_speed_mps': 0.01,
       'track_deg': 0.01, 'rho_m': 0.01, 'theta_deg': 1e-5}


def main():
    exe, pcap, port = sys.argv[1], sys.argv[2], sys.argv[3]
    opts = sys.argv[4:]
    prefs = ['-o', 'asterix.i062_version:Version 1.18', '-o', 'asterix.i021_version:Version 2.6',
             '-o', 'asterix.i048_version:Version 1.27']
    tj = subprocess.run(['tshark', '-n'] + prefs + ['-r', pcap, '-d', 'udp.port==%s,asterix' % port,
                        '-T', 'json'], capture_output=True, check=True).stdout
    packets = json.loads(tj, object_pairs_hook=hook)
    payloads = pcap_payloads(pcap)
    assert len(packets) == len(payloads), 'tshark saw %d packets, the pcap has %d' % (
        len(packets), len(payloads))
    diffs = []
    stats = {'datagrams': 0, 'records': 0, 'fields': 0, 'both_refused': 0, 'strict': 0}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (pk, pl) in enumerate(zip(packets, payloads), 1):
            if pl is None:
                continue
            stats['datagrams'] += 1
            L = pk['_source']['layers']
            malformed = '_ws.malformed' in L
            path = os.path.join(tmp, 'd.bin')
            open(path, 'wb').write(pl)
            r = subprocess.run([exe, 'feed', 'decode', '--format', 'asterix', path] + opts,
                               capture_output=True, text=True)
            if r.returncode not in (0, 1):
                diffs.append('datagram %d: deconflict exit %d: %s' % (i, r.returncode, r.stderr))
                continue
            ours = [json.loads(x) for x in r.stdout.splitlines()]
            refused = r.returncode == 1
            if malformed or refused:
                if malformed and refused:
                    stats['both_refused'] += 1
                elif refused and lenient(as_list(L.get('asterix'))) and (
                        'empty FSPEC' in r.stderr or 'which has no item' in r.stderr):
                    stats['strict'] += 1
                else:
                    diffs.append('datagram %d: tshark %s, deconflict %s' % (
                        i, 'malformed' if malformed else 'ok',
                        'refused: ' + r.stderr.strip() if refused else 'decoded'))
                continue
            exp = []
            for blk in as_list(L.get('asterix')):
                cat = int(blk['asterix.category'])
                if cat not in (21, 48, 62):
                    continue
                for m in as_list(blk.get('asterix.message')):
                    exp.append((cat, expected(cat, m)))
            if len(exp) != len(ours):
                diffs.append('datagram %d: tshark %d records, deconflict %d' % (i, len(exp), len(ours)))
                continue
            for k, ((cat, e), o) in enumerate(zip(exp, ours)):
                stats['records'] += 1
                if o.get('category') != cat:
                    diffs.append('datagram %d record %d: category %s vs %s' % (i, k, cat, o.get('category')))
                keys = set(e) | {x for x in o if x in TOL or x in (
                    'sac', 'sic', 'track_number', 'mode_s', 'callsign')}
                if cat == 48 and 'lat' in o:  # our WGS84 position, tshark has none
                    keys -= {'lat', 'lon'}
                if cat == 62 and 'track_deg' in o and 'track_deg' not in e:
                    keys.discard('track_deg')  # derived from I185 (checked through speed)
                for key in sorted(keys):
                    stats['fields'] += 1
                    a, b = e.get(key), o.get(key)
                    if a is None or b is None:
                        ok = a is None and b is None
                    elif key == 'callsign':
                        ok = a == callsign(b)
                    elif key in TOL:
                        ok = abs(float(a) - float(b)) <= TOL[key]
                    else:
                        ok = a == b
                    if not ok:
                        diffs.append('datagram %d record %d (CAT%03d) %s: tshark %r, deconflict %r' % (
                            i, k, cat, key, a, b))
    print('compare %s: %d datagrams, %d records, %d fields equal to tshark, %d datagrams refused by '
          'both, %d refused by us only for an empty FSPEC or a spare FRN (tshark skips those)' % (
              os.path.basename(pcap), stats['datagrams'], stats['records'],
              stats['fields'] - len(diffs), stats['both_refused'], stats['strict']))
    for d in diffs[:40]:
        print('  DIFF ' + d)
    sys.exit(1 if diffs else 0)


main()
