#!/bin/sh
# The main job. For now: the offline check of the example candidate against
# the example airspace (the server replaces this once it lands).
set -u
cd "$(dirname "$0")/.."
echo "deconflict check --airspace examples/airspace.json --candidate examples/candidate.json"
build/deconflict check --airspace examples/airspace.json --candidate examples/candidate.json
rc=$?
[ $rc -le 1 ] && exit 0 || exit $rc
