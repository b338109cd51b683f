#!/bin/sh
# Tactical monitoring across two `deconflict serve` instances on one real
# PostgreSQL (issue 6, item 3): reports to either instance, one detector (the
# lease holder), alerts on both instances' lists and streams, blind, and the
# failover time after SIGKILLing the holder (printed; its 5 s bar is enforced
# by make bench with DC_BENCH_STRICT=1). tests/pg/tactical.py.
set -eu
cd "$(dirname "$0")/../.."
BIN=${DC_BIN:-$(pwd)/build/deconflict}
dir=$(mktemp -d /tmp/dc-pgtactical-XXXXXX)
trap 'tests/support/pgcluster.sh stop "$dir"' EXIT INT TERM
tests/support/pgcluster.sh start "$dir" >/dev/null
port=$(cat "$dir/port")
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE tactical"
uri="postgresql://postgres@127.0.0.1:$port/tactical"
key=$("$BIN" init --store "$uri" --authority hostcell)
python3 tests/pg/tactical.py --bin "$BIN" --store "$uri" --key "$key"
