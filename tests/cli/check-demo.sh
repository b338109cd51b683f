#!/bin/sh
# `deconflict demo` end to end: it starts its own server on a temporary
# store, plays the reference scenario and must exit 0 (every expected event
# happened: blind rejection, suggestion and retry, notices, the converging
# pair's alerts to all three parties, the nonconformance, audit verify) and
# tell the story in under 60 lines.
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! build/deconflict demo > "$out"; then
  cat "$out"
  echo "check-demo: deconflict demo failed" >&2
  exit 1
fi
cat "$out"
lines=$(wc -l < "$out")
if [ "$lines" -ge 60 ]; then
  echo "check-demo: the printout has $lines lines (60 or more)" >&2
  exit 1
fi
grep -q "checks: 12/12 passed" "$out"
grep -q "409 conflict" "$out"
echo "check-demo: ok ($lines lines)"
