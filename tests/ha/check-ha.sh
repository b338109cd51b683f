#!/bin/sh
# Failover under load (issue 15): a Patroni cluster (contrib/ha/cluster.sh:
# 3 etcd, 3 synchronous PostgreSQL 15), two deconflict instances on its
# multi-host conninfo, clients through both; then the primary is SIGKILLed,
# SIGSTOPped (hung) and switched over, each followed by the PostGIS checker
# of tests/pg/torture.py, audit verify and a tactical-monitor check
# (tests/ha/ha.py). make test runs one of each; `make soak` (DC_SOAK=1) runs
# 20 in a row; `make bench` (DC_HA_BENCH=1) times 5 kills and prints the
# median next to its 15 s bar. Ports 26100-26199.
set -eu
cd "$(dirname "$0")/../.."
# The sanitized build by default: a use-after-free in a failover path then
# fails the test at once (the plain build crashes only by chance). The
# bench times the plain build.
if [ "${DC_HA_BENCH:-0}" = 1 ]; then
  BIN=${DC_BIN:-$(pwd)/build/deconflict}
else
  BIN=${DC_BIN:-$(pwd)/build/asan/deconflict}
fi
command -v patroni >/dev/null || { echo "failover: patroni missing (scripts/install-deps.sh)" >&2; exit 1; }
if [ "${DC_SOAK:-0}" = 1 ]; then
  EVENTS=kill,stop,switchover,kill,stop,switchover,kill,stop,switchover,kill,stop,switchover,kill,stop,switchover,kill,stop,switchover,kill,switchover
  MODE=""
elif [ "${DC_HA_BENCH:-0}" = 1 ]; then
  EVENTS=kill,kill,kill,kill,kill
  MODE="--no-check --window 5"
else
  EVENTS=kill,stop,switchover
  MODE=""
fi
dir=$(mktemp -d /tmp/dc-ha-XXXXXX)
rmdir "$dir"
# DC_HA_KEEP=1 keeps the cluster of a failed run for a post-mortem.
trap '[ "${DC_HA_KEEP:-0}" = 1 ] && [ "$ok" = 0 ] && echo "failover: cluster kept in $dir" || contrib/ha/cluster.sh stop "$dir"' EXIT INT TERM
ok=0
contrib/ha/cluster.sh start "$dir" "${DC_HA_BASE_PORT:-26100}" >/dev/null
echo "cluster: ttl=${HA_TTL:-10} s loop_wait=${HA_LOOP_WAIT:-1} s retry_timeout=${HA_RETRY_TIMEOUT:-3} s synchronous_mode=on strict=on; $(cat "$dir/conninfo")"
key=$("$BIN" init --store "$(cat "$dir/uri")" --authority ha)
# shellcheck disable=SC2086
python3 tests/ha/ha.py --bin "$BIN" --cluster "$dir" --key "$key" --events "$EVENTS" $MODE
ok=1
