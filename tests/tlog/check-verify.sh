#!/bin/sh
# `deconflict verify` and `audit verify` against tampered copies of a real
# server's store (tests/tlog/verify_scenarios.py). DC_BIN picks the binary.
set -eu
cd "$(dirname "$0")/../.."
export DC_BIN="${DC_BIN:-$(pwd)/build/deconflict}"
exec python3 tests/tlog/verify_scenarios.py
