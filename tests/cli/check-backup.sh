#!/bin/sh
# `deconflict backup` on a store that a real server is using: the copies
# are consistent and a restored copy serves the same airspace and verifies
# (tests/cli/backup.py).
set -eu
cd "$(dirname "$0")/../.."
python3 tests/cli/backup.py
echo "check-backup: ok"
