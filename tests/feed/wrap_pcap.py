#!/usr/bin/env python3
"""Wraps raw ASTERIX blocks (a .raw/.ast recording) into a classic pcap of
UDP datagrams, one data block per datagram, so that tshark's asterix
dissector can read them. The recording's bytes are copied unchanged.
usage: wrap_pcap.py IN OUT PORT"""
import struct, sys

def main():
    data = open(sys.argv[1], 'rb').read()
    port = int(sys.argv[3])
    out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    off, n = 0, 0
    while off + 3 <= len(data):
        blen = int.from_bytes(data[off + 1:off + 3], 'big')
        if blen < 3 or off + blen > len(data):
            sys.exit('wrap_pcap: bad block length at byte %d' % off)
        payload = data[off:off + blen]
        udp = struct.pack('>HHHH', 40000, port, 8 + len(payload), 0) + payload
        tot = 20 + len(udp)
        ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, tot, n & 0xffff, 0, 64, 17, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
        csum = sum(struct.unpack('>10H', ip))
        csum = (csum & 0xffff) + (csum >> 16)
        csum = (csum & 0xffff) + (csum >> 16)
        ip = ip[:10] + struct.pack('>H', ~csum & 0xffff) + ip[12:]
        frame = b'\x02\x00\x00\x00\x00\x02' + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x00' + ip + udp
        out.append(struct.pack('<IIII', 1000000000 + n, 0, len(frame), len(frame)) + frame)
        off += blen
        n += 1
    if off != len(data):
        sys.exit('wrap_pcap: %d trailing bytes' % (len(data) - off))
    open(sys.argv[2], 'wb').write(b''.join(out))

main()
