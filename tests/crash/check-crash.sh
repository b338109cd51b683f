#!/bin/sh
# Crash safety (issue 7): SIGKILL `deconflict serve` on SQLite at random
# moments under a submission load, CRASH_CYCLES times (default 100, about
# 2.5 minutes; `make soak` runs 1000), and check after each kill that every
# acknowledged change survived whole, nothing unacknowledged is half-there,
# no two live operations conflict and the audit chain verifies
# (tests/crash/crash_driver.py). CRASH_SEED replays a run. The plain build is
# used: the sanitizer build would cut the cycles per minute by five.
set -eu
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
exec "$PY" tests/crash/crash_driver.py --cycles "${CRASH_CYCLES:-100}" \
  ${CRASH_SEED:+--seed "$CRASH_SEED"} --bin "${DC_BIN:-$(pwd)/build/deconflict}"
