#!/bin/sh
# Error messages a person can act on (issue 18): an unreadable file says so
# (never "line -1"), a refused connection says so, an unknown option is
# named, a config typo is named; and `audit verify` tells a missing store
# (exit 2) from a broken chain (exit 1). Uses 127.0.0.1:22999, where
# nothing listens.
set -eu
cd "$(dirname "$0")/../.."
B=$(pwd)/build/deconflict
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
CLOSED=http://127.0.0.1:22999

# expect RC PATTERN CMD...: exit status RC and stderr matching PATTERN, no "line -1".
expect() {
  want=$1 pat=$2
  shift 2
  set +e
  "$@" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
  [ "$rc" -eq "$want" ] || fail "$*: exit $rc, want $want: $(cat "$T/err")"
  grep -q -- "$pat" "$T/err" || fail "$*: stderr lacks '$pat': $(cat "$T/err")"
  if grep -q "line -1" "$T/err"; then fail "$*: says line -1: $(cat "$T/err")"; fi
  echo "ok: $* -> $(head -1 "$T/err")"
}

expect 2 "cannot read $T/nope.json: No such file" \
  "$B" check --airspace examples/airspace.json --candidate "$T/nope.json"
expect 2 "cannot read $T/missing.json: No such file" \
  "$B" serve --store "$T/s.db" --config "$T/missing.json"
echo '{"ceiling_metres": 5000}' >"$T/typo.json"
expect 2 '"ceiling_metres": unknown configuration key' \
  "$B" serve --store "$T/s.db" --config "$T/typo.json"
expect 1 "connection refused" env DECONFLICT_KEY=k "$B" simulate --url "$CLOSED"
DECONFLICT_KEY=k expect 6 "connection refused" "$B" operations --url "$CLOSED"
expect 2 "unknown option '--bogus'" "$B" check --bogus 1
expect 2 "unknown option '--bogus'" "$B" submit --bogus examples/plan.json
expect 2 "unknown option '--bogus'" "$B" demo --bogus
expect 2 "unknown option '--bogus'" "$B" simulate --bogus
expect 2 "unknown option '--bogus'" "$B" operations --bogus
expect 2 "option --h: invalid value 'x'" "$B" check --h x
expect 2 "option --speed: invalid value '0'" "$B" demo --speed 0

# audit verify: 2 without a store, 0 on a sound one, 1 on a broken chain.
expect 2 "cannot open the store" "$B" audit verify --store "$T/none.db"
"$B" init --store "$T/a.db" --authority iraq >/dev/null
"$B" audit verify --store "$T/a.db" >/dev/null || fail "audit verify of a fresh store"
python3 - "$T/a.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
seq, entry = db.execute("SELECT seq, entry FROM audit ORDER BY seq LIMIT 1").fetchone()
db.execute("UPDATE audit SET entry = ? WHERE seq = ?", (entry.replace('"', "'", 1), seq))
db.commit()
PY
set +e
"$B" audit verify --store "$T/a.db" >"$T/out" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "broken chain: exit $rc, want 1: $(cat "$T/out")"
grep -q "BROKEN" "$T/out" || fail "broken chain not named: $(cat "$T/out")"
echo "check-errors: ok"
