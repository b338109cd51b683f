#!/bin/sh
# Several `deconflict serve` instances on one real PostgreSQL (issue 6):
# the race test (two conflicting submissions at once to two instances,
# exactly one approval per round) and the torture test (32 clients, hot
# cells, modifications and withdrawals, one instance SIGKILLed midway), each
# ending with the independent PostGIS checker of tests/pg/torture.py.
# Short by default; `make soak` sets DC_SOAK=1 for 10,000 rounds and minutes.
set -eu
cd "$(dirname "$0")/../.."
BIN=${DC_BIN:-$(pwd)/build/deconflict}
if [ "${DC_SOAK:-0}" = 1 ]; then
  ROUNDS=10000 SECONDS_T=300 INSTANCES=4
else
  ROUNDS=1000 SECONDS_T=20 INSTANCES=3
fi
dir=$(mktemp -d /tmp/dc-pgtorture-XXXXXX)
trap 'tests/support/pgcluster.sh stop "$dir"' EXIT INT TERM
tests/support/pgcluster.sh start "$dir" >/dev/null
port=$(cat "$dir/port")
run() { # name, then torture.py arguments
  db=$1
  shift
  psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE $db"
  uri="postgresql://postgres@127.0.0.1:$port/$db"
  key=$("$BIN" init --store "$uri" --authority hostcell)
  python3 tests/pg/torture.py --bin "$BIN" --store "$uri" --key "$key" "$@"
}
echo "== race: $ROUNDS rounds, 2 instances"
run race --instances 2 race --rounds "$ROUNDS"
echo "== torture: ${SECONDS_T} s, $INSTANCES instances, 32 clients"
run torture --instances "$INSTANCES" torture --seconds "$SECONDS_T" --clients 32
