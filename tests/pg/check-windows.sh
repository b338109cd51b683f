#!/bin/sh
# Operations end by themselves once their window has passed, on two
# `deconflict serve` instances sharing one real PostgreSQL (issue 18):
# tests/pg/windows.py.
set -eu
cd "$(dirname "$0")/../.."
BIN=${DC_BIN:-build/deconflict}
dir=$(mktemp -d /tmp/dc-pgwindows-XXXXXX)
trap 'tests/support/pgcluster.sh stop "$dir"' EXIT INT TERM
tests/support/pgcluster.sh start "$dir" >/dev/null
port=$(cat "$dir/port")
uri="postgresql://postgres@127.0.0.1:$port/postgres"
key=$("$BIN" init --store "$uri" --authority hostcell)
python3 tests/pg/windows.py --bin "$BIN" --store "$uri" --key "$key"
