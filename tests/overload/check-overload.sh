#!/bin/sh
# Overload and slow clients (issue 7): capacity, then >= 10x that offered
# load with the authority measured on its own connection, then a slowloris
# and slow bodies, with the server's RSS sampled against a stated bound
# (tests/overload/overload.py prints the figures; the speed bars are enforced
# only by make bench, DC_BENCH_STRICT=1). About 40 s; the plain
# build, since the sanitizers would change the capacity being measured.
set -eu
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# DC_BENCH_STRICT=1 (make bench) also enforces the speed bars.
exec "$PY" tests/overload/overload.py --seconds "${OVERLOAD_SECONDS:-12}" \
  --bin "${DC_BIN:-$(pwd)/build/deconflict}" ${DC_BENCH_STRICT:+--bars}
