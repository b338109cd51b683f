#!/bin/sh
# Fails when the #include "folder/..." lines of src/ form a cycle between
# folders (src/airspace including src/http while src/http includes
# src/airspace, or any longer loop), or a cycle between files. The layers
# are meant to run one way: util <- airspace <- monitor <- http <- api <-
# server (see each folder's header). Uses tsort(1), which reports a loop.
#   scripts/check-layers.sh [ROOT]     check ROOT/src (default: the repo)
#   scripts/check-layers.sh --self-test   prove it fails on a synthetic cycle
set -eu

# Prints "from to" pairs: folder edges when $2 is "dirs", file edges else.
edges() {
  (cd "$1/src" && grep -H '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]*/' */*.[ch] 2>/dev/null) |
    sed 's|^\([^:]*\):.*include[[:space:]]*"\([^"]*\)".*|\1 \2|' |
    while read -r file inc; do
      if [ "$2" = dirs ]; then
        from=${file%%/*} to=${inc%%/*}
        [ "$from" = "$to" ] || echo "$from $to"
      else
        echo "$file $inc"
      fi
    done
}

check() {
  for kind in dirs files; do
    if ! edges "$1" $kind | tsort >/dev/null 2>"$1.tsort.$$"; then
      echo "check-layers: include cycle between $kind of $1/src:" >&2
      sed 's/^tsort: //' "$1.tsort.$$" >&2
      rm -f "$1.tsort.$$"
      return 1
    fi
    rm -f "$1.tsort.$$"
  done
}

if [ "${1:-}" = --self-test ]; then
  t=$(mktemp -d)
  trap 'rm -rf "$t"' EXIT
  mkdir -p "$t/src/low" "$t/src/high"
  printf '#include "low/low.h"\n' >"$t/src/high/high.c"
  printf '#include <stdio.h>\n' >"$t/src/low/low.h"
  check "$t" || { echo "check-layers: self-test: a one-way tree was refused" >&2; exit 1; }
  printf '#include "high/high.h"\n' >"$t/src/low/low.c"
  if check "$t" 2>/dev/null; then
    echo "check-layers: self-test: a cycle between folders was not caught" >&2
    exit 1
  fi
  echo "check-layers: self-test ok"
  exit 0
fi

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
check "$root"
echo "check-layers: no include cycle in $root/src"
