#!/bin/sh
# Runs every benchmark binary (build/bench/bench_*, built by `make bench` from
# bench/bench_*.c) in turn from the repository root; each prints its own table
# (progress on stderr), then the display's frame-time check. Fails when any
# benchmark fails, after running them all.
set -u
cd "$(dirname "$0")/.."
status=0
found=0
for b in build/bench/bench_*; do
  [ -x "$b" ] || continue
  found=1
  echo "== $b"
  "$b" || { echo "bench: $b failed" >&2; status=1; }
done
[ "$found" -eq 1 ] || { echo "bench: no build/bench/bench_* binaries (run make bench)" >&2; exit 1; }
# The display's frame times with 2,000 live tracks, from chromium's own
# performance trace (the browser test enforces the 100 ms bar only here).
echo "== display: 2,000 live tracks, chromium performance trace"
DC_WEB_PERF_STRICT=1 sh tests/web/check-web.sh | grep -E "trace of|smooth|passed|FAIL" ||
  { echo "bench: display check failed" >&2; status=1; }
exit $status
