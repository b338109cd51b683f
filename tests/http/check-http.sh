#!/bin/sh
# The API over real HTTP on 127.0.0.1 against the real binary (pytest from
# Debian's python3-pytest, stdlib urllib only). DC_BIN picks the binary;
# by default the sanitizer build when present, so leaks and UB fail too.
set -eu
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if [ -z "${DC_BIN:-}" ] && [ -x build/asan/deconflict ]; then
  DC_BIN=$(pwd)/build/asan/deconflict
fi
export DC_BIN="${DC_BIN:-$(pwd)/build/deconflict}"
exec "$PY" -m pytest -q -p no:cacheprovider tests/http "$@"
