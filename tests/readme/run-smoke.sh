#!/bin/sh
# The README's `make run`, as a user runs it: started in the background on a
# free loopback port, it must print the URL, the scenario clock and the keys;
# /healthz answers, the page is served, the scenario's restriction and plans
# are loaded; a second `make run` refuses and leaves the live store alone; and
# Ctrl-C (SIGINT) stops the server and the simulator. Used by check-readme.sh
# and by scripts/fresh-debian-check.sh in a brand-new Debian root.
# run-smoke.sh [SCRIPT]: also runs SCRIPT (sh, from the repository root) while
# `make run` serves, and fails when it fails.
set -eu
EXTRA=${1:+$(cd "$(dirname "$1")" && pwd)/$(basename "$1")}
cd "$(dirname "$0")/../.."
# A free loopback port without python3 (a fresh machine has it only once
# `make run` has installed the packages): listening ports are in /proc/net/tcp.
PORT=$((20000 + $$ % 20000))
while grep -qi ":$(printf '%04X' "$PORT") .* 0A " /proc/net/tcp 2>/dev/null; do PORT=$((PORT + 1)); done
OUT=$(mktemp -d /tmp/dc-run-smoke.XXXXXX)
RUNPID=""
fail() { echo "run-smoke: FAIL: $*" >&2; echo "--- make run said:" >&2; cat "$OUT/run.out" >&2 || true; exit 1; }
cleanup() {
  [ -n "$RUNPID" ] && kill -INT "-$RUNPID" 2>/dev/null || true
  [ -n "$RUNPID" ] && sleep 1 && kill -KILL "-$RUNPID" 2>/dev/null || true
  rm -rf "$OUT"
}
trap cleanup EXIT
# Command lines of every process (no procps in a minbase root).
cmdlines() { for f in /proc/[0-9]*/cmdline; do { tr '\0' ' ' < "$f"; } 2>/dev/null; echo; done; }

# A process group of its own, so Ctrl-C can be sent to it as a terminal would;
# SIGINT back to its default (a shell starts background jobs with it ignored).
# perl is in every Debian root (python3 may not be yet).
DC_LISTEN="127.0.0.1:$PORT" perl -e '$SIG{INT} = "DEFAULT"; setpgrp(0, 0); exec "make", "run" or die' \
  > "$OUT/run.out" 2>&1 &
RUNPID=$!
i=0
until grep -q "^operator key: iran" "$OUT/run.out" 2>/dev/null; do
  i=$((i + 1))
  # A fresh machine installs its packages first: allow 30 minutes for that.
  [ $i -le 18000 ] || fail "make run printed no operator keys in 30 minutes"
  kill -0 "$RUNPID" 2>/dev/null || fail "make run exited early"
  sleep 0.1
done
URL="http://127.0.0.1:$PORT"
grep -q "^deconflict: $URL/" "$OUT/run.out" || fail "no URL line for $URL"
grep -Eq "^scenario clock: 06:55 of the scenario day is [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z UTC" "$OUT/run.out" ||
  fail "no scenario clock line"
KEY=$(sed -n 's/^authority (iraq) key: //p' "$OUT/run.out")
[ -n "$KEY" ] || fail "no authority key printed"
echo "$KEY" > "$OUT/key"   # grep -f: the key must not stand on grep's own command line
cmdlines | grep -qF -f "$OUT/key" && fail "the authority key is on a command line"

[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200 ] || fail "/healthz"
curl -sf "$URL/" | grep -qi "<html" || fail "the web page is not served at /"
curl -sf -H "Authorization: Bearer $KEY" "$URL/v1/restrictions" > "$OUT/rs.json" || fail "GET /v1/restrictions"
curl -sf -H "Authorization: Bearer $KEY" "$URL/v1/operations" > "$OUT/ops.json" || fail "GET /v1/operations"
python3 - "$OUT/rs.json" "$OUT/ops.json" <<'EOF' || fail "the scenario is not loaded"
import json, sys
rs = json.load(open(sys.argv[1]))
ops = json.load(open(sys.argv[2]))
rs = rs.get("restrictions", rs) if isinstance(rs, dict) else rs
ops = ops.get("operations", ops) if isinstance(ops, dict) else ops
assert len(rs) >= 1, "no restriction"
approved = [o for o in ops if o.get("state") in ("approved", "active", "nonconforming")]
assert len(approved) >= 3, "only %d approved operations" % len(approved)
print("run-smoke: %d restriction(s), %d operations in flight" % (len(rs), len(approved)))
EOF

if [ -n "$EXTRA" ]; then
  sh "$EXTRA" || fail "$EXTRA failed while make run served"
fi

# A second make run must refuse and leave the live store and server alone.
before=$(stat -c %i build/run/store.db)
if DC_LISTEN="127.0.0.1:$PORT" make run > "$OUT/second.out" 2>&1; then
  fail "a second make run did not refuse"
fi
grep -q "another 'make run'" "$OUT/second.out" || fail "the second make run gave no reason: $(cat "$OUT/second.out")"
[ "$(stat -c %i build/run/store.db)" = "$before" ] || fail "the second make run replaced the live store"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200 ] || fail "the server died after the second make run"

# Ctrl-C: everything stops, the port closes.
kill -INT "-$RUNPID"
i=0
while kill -0 "$RUNPID" 2>/dev/null; do
  i=$((i + 1))
  [ $i -le 100 ] || fail "make run did not stop within 10 s of SIGINT"
  sleep 0.1
done
RUNPID=""
sleep 0.2
curl -s -o /dev/null "$URL/healthz" && fail "the server still answers after Ctrl-C"
cmdlines | grep -Eq "deconflict (serve|simulate) .*127.0.0.1:$PORT" && fail "a child survived Ctrl-C"
echo "run-smoke: make run served the scenario on $URL and stopped on Ctrl-C"
