#!/bin/sh
# Runs the libFuzzer targets built by `make fuzz-build` (build/fuzz/bin/).
#   fuzz/run.sh --seconds S [TARGET...]   fuzz each target S seconds (make fuzz)
#   fuzz/run.sh --runs N [TARGET...]      N executions each (make test)
# Each target starts from its seed corpus fuzz/corpus/<target>/ (read-only:
# new inputs go to build/fuzz/corpus/<target>/) and first replays every
# reproducer in fuzz/regressions/<target>/. Crashes are written to
# build/fuzz/artifacts/<target>/. Prints one summary line per target and
# exits nonzero if any target crashed. One process at a time, by design.
set -u
cd "$(dirname "$0")/.."
mode="$1"; amount="$2"; shift 2
case "$mode" in
  --seconds) limit="-max_total_time=$amount" ;;
  --runs) limit="-runs=$amount" ;;
  *) echo "usage: fuzz/run.sh --seconds S|--runs N [TARGET...]" >&2; exit 2 ;;
esac
targets="$*"
[ -n "$targets" ] || targets=$(ls fuzz/fuzz_*.c | sed 's|fuzz/||; s|\.c$||')
failed=""
for t in $targets; do
  bin="build/fuzz/bin/$t"
  [ -x "$bin" ] || { echo "fuzz: $bin missing (make fuzz-build)" >&2; failed="$failed $t"; continue; }
  work="build/fuzz/corpus/$t"; art="build/fuzz/artifacts/$t"; log="build/fuzz/logs/$t.log"
  mkdir -p "$work" "$art" build/fuzz/logs
  opts="-timeout=20 -rss_limit_mb=2048 -artifact_prefix=$art/"
  case "$t" in
    fuzz_footprint) ;;
    # The server keeps state across inputs (operations, keys, buckets), so
    # nearly every input allocates more than it frees and libFuzzer's
    # per-input leak check would scan the heap each time (6x slower) only to
    # find it reachable. Leaks are checked when the server is stopped and
    # the process exits (LeakSanitizer at exit stays on).
    fuzz_http) opts="$opts -detect_leaks=0 -dict=fuzz/json.dict" ;;
    fuzz_time) opts="$opts -dict=fuzz/time.dict" ;;
    # The CLI prints every rejection on stderr: silence it (libFuzzer keeps
    # its own reports; replay an artifact without this to see the reason).
    fuzz_check_cli) opts="$opts -close_fd_mask=2 -dict=fuzz/json.dict" ;;
    *) opts="$opts -dict=fuzz/json.dict" ;;
  esac
  regs=$(ls -d fuzz/regressions/"$t"/* 2>/dev/null || true)
  if [ -n "$regs" ]; then
    # shellcheck disable=SC2086
    if ! "$bin" -timeout=20 $regs >"$log.regressions" 2>&1; then
      echo "fuzz: $t: a regression input crashes; see $log.regressions" >&2
      tail -40 "$log.regressions" >&2
      failed="$failed $t"
      continue
    fi
  fi
  seeds="fuzz/corpus/$t"; [ -d "$seeds" ] || seeds=""
  lim="$limit"
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$bin" $opts $lim -print_final_stats=1 "$work" $seeds >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  nregs=$(echo "$regs" | grep -c . || true)
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $t: CRASH after ${execs:-?} executions ($log):" >&2
    grep -E "^==[0-9]+==ERROR|SUMMARY|fuzz property failed|Test unit written" "$log" | head -8 >&2
    failed="$failed $t"
  fi
  printf 'fuzz: %-20s %10s execs %5ss %s regressions replayed %s\n' "$t" "${execs:-?}" "$secs" \
    "$nregs" "$([ "$rc" -eq 0 ] && echo ok || echo FAILED)"
done
[ -z "$failed" ] || { echo "fuzz: failed:$failed" >&2; exit 1; }
