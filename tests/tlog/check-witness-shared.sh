#!/bin/sh
# Witness cosignatures across two `deconflict serve` instances on one real
# PostgreSQL (tests/tlog/witness_shared.py): a witness that cosigns the
# checkpoint of one instance and posts to it is served by the other, and
# `deconflict verify --min-witnesses 1` against the other passes.
# DC_BIN picks the binary (default: the sanitized build).
set -eu
cd "$(dirname "$0")/../.."
export DC_BIN="${DC_BIN:-$(pwd)/build/asan/deconflict}"
dir=$(mktemp -d /tmp/dc-witness-pg-XXXXXX)
trap 'tests/support/pgcluster.sh stop "$dir"' EXIT INT TERM
tests/support/pgcluster.sh start "$dir" >/dev/null
/usr/bin/python3 tests/tlog/witness_shared.py \
  "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres" "$dir"
