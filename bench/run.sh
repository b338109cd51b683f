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
  case $b in */bench_advise) continue ;; esac # below, with its bar
  echo "== $b"
  "$b" || { echo "bench: $b failed" >&2; status=1; }
done
[ "$found" -eq 1 ] || { echo "bench: no build/bench/bench_* binaries (run make bench)" >&2; exit 1; }
# bar NAME PATTERN CMD...: runs CMD, prints its lines matching PATTERN, and
# fails the bench when CMD fails (a missed bar fails the script).
bar() {
  name=$1; pat=$2; shift 2
  out=$(mktemp)
  if "$@" > "$out" 2>&1; then grep -E "$pat" "$out"; else
    grep -E "$pat|FAIL" "$out"; echo "bench: $name failed" >&2; status=1
  fi
  rm -f "$out"
}
# The display's frame times with 2,000 live tracks, from chromium's own
# performance trace (the browser test enforces the 100 ms bar only here).
echo "== display: 2,000 live tracks, chromium performance trace"
# The speed bars that make test only prints (its tests assert behaviour, not
# speed): overload shedding and the authority's latency under it, and the
# tactical failover time on PostgreSQL. Each figure is printed next to its bar.
bar display "trace of|smooth|passed" env DC_WEB_PERF_STRICT=1 sh tests/web/check-web.sh
echo "== overload: offered load >= 10x capacity, authority p99 <= 500 ms"
bar overload "bar:" env DC_BENCH_STRICT=1 sh tests/overload/check-overload.sh
# Advisories that work (issue 13): seeded random traffic flown on its plans
# and following the advisories; the bar is at most 5 % of the losses left.
echo "== advisories followed: losses of separation left <= 5 %"
bar advisories "^(set|dense)|bar:" build/bench/bench_advise
echo "== tactical failover on PostgreSQL: new alerts < 5 s after SIGKILL of the lease holder"
bar "tactical failover" "failover:" env DC_BENCH_STRICT=1 sh tests/pg/check-tactical.sh
echo "== PostgreSQL failover (Patroni, synchronous): SIGKILL of the primary to the first approval on the new one, median of 5 <= 15 s"
bar "database failover" "^cluster:|^ha: |^failover:" env DC_BENCH_STRICT=1 DC_HA_BENCH=1 sh tests/ha/check-ha.sh
exit $status
