#!/bin/sh
# The reference scenario's day (examples/scenario/iraq.json) driven through
# the CLI alone, party by party, against a real `deconflict serve` on
# 127.0.0.1 (no curl): the authority adds the operators and the restriction
# and imports published airspace; each operator submits its plans (iran's
# as GeoJSON FeatureCollections; the blind rejection prints the notices in
# the way and a suggestion, which --take-suggestion then takes); notices come out as KML and ED-318; a new
# restriction preempts; operations are listed; a converging pair raises an
# alert that `alerts --follow` and `alerts` print. Exit codes are checked.
# Scenario files are written by scenario_files.py (absolute times).
set -eu
cd "$(dirname "$0")/../.."
B=${DC_BIN:-build/deconflict}
T=$(mktemp -d)
PID=""; FPID=""
cleanup() {
  [ -n "$FPID" ] && kill "$FPID" 2>/dev/null
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "check-cli-day: $*" >&2; [ -f "$T/serve.log" ] && tail -5 "$T/serve.log" >&2; exit 1; }
expect() { # expect CODE COMMAND...: runs it, output in $T/out, and checks the exit code
  want=$1; shift
  rc=0; "$@" > "$T/out" 2> "$T/err" || rc=$?
  [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $(cat "$T/out" "$T/err")"
}

$B init --store "$T/store.db" --authority iraq --key-file "$T/iraq.key" > /dev/null 2>&1
echo '{}' > "$T/config.json"
$B serve --store "$T/store.db" --listen 127.0.0.1:0 --config "$T/config.json" > "$T/url" 2> "$T/serve.log" &
PID=$!
i=0; while [ ! -s "$T/url" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
export DECONFLICT_URL="$(head -1 "$T/url")"
python3 tests/cli/scenario_files.py examples/scenario/iraq.json "$T"

# Every party's subcommand explains itself, with examples and the exit codes.
for c in "airspace import" operator restriction submit notices operations tracks alerts; do
  # shellcheck disable=SC2086
  expect 0 $B $c --help
  grep -q "^examples:" "$T/out" && grep -q "^exit codes:" "$T/out" || fail "'$c --help' lacks examples or exit codes"
done

# Nobody without a key; the key never on the command line.
unset DECONFLICT_KEY
expect 3 $B operations
expect 2 $B operations --key "$(cat "$T/iraq.key")"

# The authority (key from the environment).
export DECONFLICT_KEY="$(cat "$T/iraq.key")"
expect 0 $B operator add coalition --key-out "$T/coalition.key"
expect 0 $B operator add iran --key-out "$T/iran.key"
expect 1 $B operator add iran --key-out "$T/dup.key"   # 409: exists
expect 0 $B operator list
grep -q coalition "$T/out" && grep -q iran "$T/out" || fail "operator list: $(cat "$T/out")"
for f in "$T"/restriction-*.json; do expect 0 $B restriction add "$f"; done
expect 0 $B airspace import --format openair tests/aip/data/openair/fixtures/polygon.txt
grep -q "imported 1 restriction" "$T/out" || fail "import: $(cat "$T/out")"
expect 0 $B restriction list
[ "$(wc -l < "$T/out")" = 2 ] || fail "restriction list: $(cat "$T/out")"
unset DECONFLICT_KEY

# The operators submit their plans, in the scenario's order.
rejected=0
while read -r who ref exp; do
  if [ "$exp" = reject_then_retry ]; then
    expect 1 $B submit --key-file "$T/$who.key" "$T/plan-$ref.json"
    grep -q "^rejected" "$T/out" || fail "$ref: $(cat "$T/out")"
    grep -q "in the way: operation ntc_" "$T/out" || fail "$ref: no notice in the way: $(cat "$T/out")"
    grep -q "^suggestion: shift by" "$T/out" || fail "$ref: no suggestion: $(cat "$T/out")"
    if grep -q "iran\|IRN\|coalition" "$T/out"; then fail "$ref: the rejection names a party"; fi
    cat "$T/out"
    expect 0 $B submit --key-file "$T/$who.key" --take-suggestion --json "$T/plan-$ref.json"
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['decision']=='approved' and d['took_suggestion'], d" "$T/out"
    rejected=$((rejected+1))
  else
    plan="$T/plan-$ref.json"
    [ "$who" = iran ] && plan="$T/plan-$ref.geojson"   # iran plans in a GIS tool
    expect 0 $B submit --key-file "$T/$who.key" --name "plan $ref" "$plan"
    grep -q "^approved op_" "$T/out" || fail "$ref: $(cat "$T/out")"
  fi
done < "$T/plans.txt"
[ $rejected = 1 ] || fail "expected one blind rejection, saw $rejected"
expect 0 $B operations --key-file "$T/iran.key"
[ "$(grep -c approved "$T/out")" = 3 ] || fail "iran's operations: $(cat "$T/out")"
grep -q '"plan iran-diyala"' "$T/out" || fail "iran's operations lack their names: $(cat "$T/out")"
if grep -q '"plan coalition' "$T/out"; then fail "iran sees a coalition operation's name"; fi
expect 0 $B operations --key-file "$T/iraq.key" --json
python3 -c "import json,sys; assert len(json.load(open(sys.argv[1]))['operations'])==8" "$T/out"

# Notices: what coalition cannot use, for planning tools.
expect 0 $B notices --key-file "$T/coalition.key" --bbox 42,31,47,37 --from "$(date -u +%Y-%m-%dT%H:00:00Z)" \
  --to "$(date -u -d '+14 hours' +%Y-%m-%dT%H:00:00Z)" --format kml --out "$T/notices.kml"
grep -q "<Placemark>" "$T/notices.kml" || fail "no notice in the KML"
expect 0 $B notices --key-file "$T/coalition.key" --bbox 42,31,47,37 --format ed318 --out "$T/notices.json"

# The authority restricts Jurf al-Sakhar: iran's operation there is preempted.
cat > "$T/jurf.json" <<J
{"volumes": [{"footprint": {"type": "Point", "coordinates": [44.20, 32.87], "radius_m": 15000},
  "altitude_lower_m": 0, "altitude_upper_m": 6000,
  "time_start": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "time_end": "$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)"}]}
J
expect 0 $B restriction add "$T/jurf.json" --name "Jurf al-Sakhar" --key-file "$T/iraq.key"
grep -q "preempted: op_" "$T/out" || fail "no preemption: $(cat "$T/out")"
rs=$(cut -d' ' -f1 "$T/out")
expect 0 $B operations --key-file "$T/iran.key" --state preempted
[ "$(grep -c preempted "$T/out")" = 1 ] || fail "iran sees no preempted operation: $(cat "$T/out")"
expect 0 $B restriction delete "$rs" --key-file "$T/iraq.key"
expect 4 $B restriction delete rs_nosuchthing --key-file "$T/iraq.key"

# Tracks: a converging pair; coalition follows its alerts live.
$B alerts --key-file "$T/coalition.key" --follow --max 1 > "$T/follow" 2>&1 &
FPID=$!
sleep 1 # let the stream open (not a timed assertion: the poll below waits for the alert)
for who in coalition iran; do
  expect 0 $B submit --key-file "$T/$who.key" "$T/plan-desert-$who.json"
  op=$(sed -n 's/^approved \(op_[0-9a-f]*\).*/\1/p' "$T/out")
  [ -n "$op" ] || fail "$who's desert operation was not approved: $(cat "$T/out")"
  sed -i "s/OP_ID/$op/" "$T/reports-$who.json"
done
expect 0 $B tracks --key-file "$T/coalition.key" "$T/reports-coalition.json"
expect 0 $B tracks --key-file "$T/iran.key" "$T/reports-iran.json"
i=0; while ! grep -q raised "$T/out" 2>/dev/null && [ $i -lt 100 ]; do
  $B alerts --key-file "$T/coalition.key" > "$T/out" 2> /dev/null || true
  sleep 0.3; i=$((i+1))
done
grep -q '"kind":"raised"' "$T/out" || fail "coalition got no alert: $(cat "$T/out")"
if grep -q "IRN\|iran" "$T/out"; then fail "coalition's alert names the other party"; fi
# The same alert for a person: the intruder's distance band in NM (km beside).
expect 0 $B alerts --key-file "$T/coalition.key" --text
grep -q "raised: own .* NM (.* km)" "$T/out" || fail "alerts --text: $(cat "$T/out")"
if grep -q "IRN\|iran" "$T/out"; then fail "coalition's alert text names the other party"; fi
i=0; while kill -0 "$FPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.3; i=$((i+1)); done
grep -q '"kind"' "$T/follow" || fail "alerts --follow printed no alert: $(cat "$T/follow")"
FPID=""
echo "check-cli-day: ok (8 plans, 1 blind rejection taken at the suggestion, notices as KML and ED-318, a preemption, an alert followed live)"
