#!/bin/sh
# Runs every benchmark binary (build/bench/bench_*, built by `make bench` from
# bench/bench_*.c) in turn from the repository root; each prints its own table
# (progress on stderr). Fails when any benchmark fails, after running them all.
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
exit $status
