#!/bin/sh
# The shared store suite (tests/store/test_store.c) against a real
# PostgreSQL 15: starts a throwaway cluster, runs the plain and sanitized
# test binaries with DC_TEST_PG set (SQLite runs in the same binaries too).
set -eu
cd "$(dirname "$0")/../.."
dir=$(mktemp -d /tmp/dc-pgstore-XXXXXX)
trap 'tests/support/pgcluster.sh stop "$dir"' EXIT INT TERM
tests/support/pgcluster.sh start "$dir" >/dev/null
export DC_TEST_PG="postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
for t in build/tests/store/test_store build/asan-tests/store/test_store; do
  [ -x "$t" ] || { echo "check-store: $t missing (make unit-test)" >&2; exit 1; }
  echo "== $t (sqlite + postgresql)"
  "$t"
done
