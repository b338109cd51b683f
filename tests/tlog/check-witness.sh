#!/bin/sh
# A witness against a real server (tests/tlog/witness_scenarios.py):
# cosignatures served and verified, verify k=1 passes and k=2 exits 14,
# forged cosignatures refused (and not stored), the witness refuses
# rollbacks and forks, the stored cosignatures served after a restart.
# DC_BIN picks the binary.
set -eu
cd "$(dirname "$0")/../.."
export DC_BIN="${DC_BIN:-$(pwd)/build/deconflict}"
exec /usr/bin/python3 tests/tlog/witness_scenarios.py
