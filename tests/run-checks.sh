#!/bin/sh
# Runs every integration check script (tests/*/check-*.sh) in name order;
# stops at the first failure. Each script starts the real parts it needs.
set -eu
cd "$(dirname "$0")/.."
for s in $(ls tests/*/check-*.sh 2>/dev/null | sort); do
  echo "== $s"
  sh "$s"
done
echo "all checks passed"
