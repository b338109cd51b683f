#!/bin/sh
# The reference day as `make run` plays it keeps the server's clock (issue
# 18): `deconflict simulate --at 06:29 --speed 4` against a real server.
# Iran's transit (05:30-06:30) is flying and must end by itself within a minute,
# audited as the system's; at no check is an operation active outside its
# window (5 minutes' tolerance before it; after it, the sweep's tick), and
# every activation in the audit chain happened within its operation's
# window, whatever --speed.
set -eu
cd "$(dirname "$0")/../.."
B=${DC_BIN:-build/deconflict}
T=$(mktemp -d)
PID=""; SIM=""
cleanup() {
  [ -n "$SIM" ] && kill "$SIM" 2>/dev/null
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "check-simulate-clock: $*" >&2; tail -n 5 "$T/serve.log" "$T/sim.log" >&2 || true; exit 1; }

$B init --store "$T/store.db" --authority iraq --key-file "$T/iraq.key" > /dev/null 2>&1
echo '{"tick_s": 0.5}' > "$T/config.json"
$B serve --store "$T/store.db" --listen 127.0.0.1:0 --config "$T/config.json" > "$T/url" 2> "$T/serve.log" &
PID=$!
i=0; while [ ! -s "$T/url" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
URL=$(head -1 "$T/url")
$B simulate --url "$URL" --key-file "$T/iraq.key" --at 06:29 --speed 4 > "$T/clock" 2> "$T/sim.log" &
SIM=$!
python3 - "$URL" "$T/iraq.key" <<'PY' || fail "the day broke the clock"
import calendar, json, sys, time, urllib.request
url, key = sys.argv[1], open(sys.argv[2]).read().split()[0]

def get(path):
    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + key})
    return json.load(urllib.request.urlopen(req, timeout=10))

def t(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))

def window(o):
    return (min(t(v["time_start"]) for v in o["volumes"]),
            max(t(v["time_end"]) for v in o["volumes"]))

deadline, transit, checks = time.time() + 120, None, 0
while time.time() < deadline:
    try:
        ops = get("/v1/operations")["operations"]
    except OSError:
        time.sleep(0.5)
        continue
    now = time.time()
    for o in ops:
        t0, t1 = window(o)
        # The sweep runs on the detection tick: allow it one tick and a commit.
        assert not (o["state"] == "active" and not t0 - 300 <= now < t1 + 2), \
            ("active outside its window", o["id"], now)
        assert not (o["state"] in ("approved", "active", "nonconforming") and t1 <= now - 3), \
            ("a past window is still live", o["id"], o["state"], now)
        if t0 < now < t1 and t1 - now < 90:
            transit = o["id"]
    checks += 1
    if transit and any(o["id"] == transit and o["state"] == "ended" for o in ops) and checks > 5:
        break
    time.sleep(0.5)
assert transit, "no operation's window was closing"
ops = {o["id"]: o for o in get("/v1/operations")["operations"]}
assert ops[transit]["state"] == "ended", ops[transit]
assert len(ops) >= 7, len(ops)
entries, after = [], 0
while True:
    page = get("/v1/audit?limit=1000&after=%d" % after)
    entries += [e["entry"] for e in page["entries"]]
    if page["next_after"] is None:
        break
    after = page["next_after"]
acts = [e for e in entries if e["action"] == "activate"]
assert acts, "nothing was activated"
for e in acts:
    t0, t1 = window(ops[e["subject"]])
    assert t0 - 300 <= e["time"] < t1, ("activated outside its window", e)
ends = [e for e in entries if e["subject"] == transit and e["action"] == "end"]
assert [e["actor"] for e in ends] == ["system"], ends
print("check-simulate-clock: ok (%d checks, %d activations within their windows, %s ended by itself)"
      % (checks, len(acts), transit))
PY
