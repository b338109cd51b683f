#!/bin/sh
# The Mode S register across two `deconflict serve` instances on one real
# PostgreSQL (docs/feeds.md): the mode_s rows are not in the change feed, so
# each instance reads them again when it folds in the other's commit. An
# address registered on one instance may be declared on the other; moved to
# another operator on one, the old owner's declaration is refused on the
# other, and registering it back there is a conflict; an operation's
# declaration survives the other instance's change of its state. Ports 28201-28202.
set -eu
cd "$(dirname "$0")/../.."
# The sanitized build: a row of the change feed kept past its visitor (the
# name was) is a use-after-free that the plain build may not show.
BIN=${DC_BIN:-$(pwd)/build/asan/deconflict}
dir=$(mktemp -d /tmp/dc-pgmodes-XXXXXX)
trap 'kill $P1 $P2 2>/dev/null; tests/support/pgcluster.sh stop "$dir"' EXIT INT TERM
tests/support/pgcluster.sh start "$dir" >/dev/null
port=$(cat "$dir/port")
uri="postgresql://postgres@127.0.0.1:$port/postgres"
key=$("$BIN" init --store "$uri" --authority host)
"$BIN" serve --store "$uri" --listen 127.0.0.1:28201 > $dir/s1.log 2>&1 & P1=$!
"$BIN" serve --store "$uri" --listen 127.0.0.1:28202 > $dir/s2.log 2>&1 & P2=$!
for p in 28201 28202; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$p/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
done
python3 - "$key" <<'PY'
import json, sys, time, urllib.request, urllib.error
key = sys.argv[1]
def call(port, k, m, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=m,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": "Bearer " + k, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
st, a = call(28201, key, "POST", "/v1/operators", {"name": "a"}); assert st == 201, a
st, b = call(28201, key, "POST", "/v1/operators", {"name": "b"}); assert st == 201, b
now = int(time.time())
fmt = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
vol = [{"footprint": {"type": "Point", "coordinates": [30, 0], "radius_m": 1000},
        "altitude_lower_m": 100, "altitude_upper_m": 200,
        "time_start": fmt(now - 600), "time_end": fmt(now + 3600)}]  # open now: it can be activated
# Registered on instance 1, declared on instance 2.
st, r = call(28201, key, "PUT", "/v1/operators/%s/mode_s" % a["id"], {"addresses": ["ABC123"]}); assert st == 200, r
# Named too: instance 1 folds the row in from the change feed and writes it
# back on activation; the name must survive that (it was written as garbage).
NAME = "Diyala transit \u03a9"
st, r = call(28202, a["api_key"], "POST", "/v1/operations",
             {"volumes": vol, "mode_s": ["ABC123"], "name": NAME})
print("declare on the other instance:", st, r.get("mode_s"), r.get("reason"))
assert st == 201
op = r["id"]
# Activated on instance 1: instance 2 folds the new row in and keeps the declaration.
st, r = call(28201, a["api_key"], "POST", "/v1/operations/%s/activate" % op); assert st == 200, r
for _ in range(50):
    st, r = call(28202, a["api_key"], "GET", "/v1/operations/" + op)
    if r.get("state") == "active":
        break
    time.sleep(0.1)
print("activated on instance 1, seen on instance 2:", r.get("state"), r.get("mode_s"))
assert r["state"] == "active" and r.get("mode_s") == ["ABC123"], r
for port in (28201, 28202):
    st, r = call(port, a["api_key"], "GET", "/v1/operations/" + op)
    assert st == 200 and r.get("name") == NAME, (port, r.get("name"))
print("the name kept across the instances:", NAME)
# Moved to B on instance 2: A may no longer declare it on instance 1.
st, r = call(28202, key, "PUT", "/v1/operators/%s/mode_s" % a["id"], {"addresses": []}); assert st == 200, r
st, r = call(28202, key, "PUT", "/v1/operators/%s/mode_s" % b["id"], {"addresses": ["ABC123"]}); assert st == 200, r
vol[0]["footprint"]["coordinates"] = [31, 0]
st, r = call(28201, a["api_key"], "POST", "/v1/operations", {"volumes": vol, "mode_s": ["ABC123"]})
print("A declares after the move, on instance 1:", st, r.get("field"), r.get("reason"))
assert st == 400 and r["field"] == "mode_s[0]"
st, r = call(28201, b["api_key"], "POST", "/v1/operations", {"volumes": vol, "mode_s": ["ABC123"]})
print("B declares on instance 1:", st)
assert st == 201
st, r = call(28201, key, "PUT", "/v1/operators/%s/mode_s" % a["id"], {"addresses": ["ABC123"]})
print("register B's address to A on instance 1:", st, r.get("field"), r.get("reason"))
assert st == 409
print("check-mode-s: passed")
PY
