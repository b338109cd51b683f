#!/usr/bin/env python3
"""Serves an SBS-1 recording over TCP the way dump1090 serves port 30003:
listens on 127.0.0.1:PORT and, for each of the RATES given, accepts one
connection, writes every line of FILE to it at RATE lines per second (0: as
fast as TCP takes them), then closes it. Prints "served N lines" per
connection on stdout.

  replay_sbs.py FILE PORT RATE [RATE ...]
"""
import socket
import sys
import time


def main():
    path, port, rates = sys.argv[1], int(sys.argv[2]), [float(r) for r in sys.argv[3:]]
    lines = [l.rstrip('\r\n') + '\r\n' for l in open(path) if l.strip()]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', port))
    srv.listen(4)
    for rate in rates:
        conn, _ = srv.accept()
        start = time.monotonic()
        if rate <= 0:
            conn.sendall(''.join(lines).encode())
        else:
            for i, line in enumerate(lines):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                conn.sendall(line.encode())
        conn.shutdown(socket.SHUT_WR)
        time.sleep(0.5)
        conn.close()
        print('served %d lines at %s lines/s' % (len(lines), rate or 'full speed'), flush=True)
    srv.close()


main()
