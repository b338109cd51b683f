#!/bin/sh
# The offline check CLI contract: output, sort order, exit codes 0/1/2, and
# invalid input that names the field on stderr with nothing on stdout.
set -eu
cd "$(dirname "$0")/../.."
B=build/deconflict
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# conflicts: exit 1, exact JSON shape and order
set +e
$B check --airspace examples/airspace.json --candidate examples/candidate.json >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "expected exit 1, got $rc"
grep -q '"candidate_volume":0,"with":"iran-diyala-1","volume":0' "$T/out" || fail "missing diyala conflict: $(cat "$T/out")"
grep -q '"candidate_volume":1,"with":"baghdad","volume":0' "$T/out" || fail "missing baghdad conflict"
[ "$(grep -o '"with"' "$T/out" | wc -l)" -eq 2 ] || fail "unexpected conflicts: $(cat "$T/out")"

# clear: shift the candidate a day later; the Baghdad restriction is permanent,
# so keep only the first volume
python3 - "$T" <<'PY'
import json, sys
c = json.load(open("examples/candidate.json"))
c["volumes"] = c["volumes"][:1]
c["volumes"][0]["time_start"] = "2014-12-03T07:00:00Z"
c["volumes"][0]["time_end"] = "2014-12-03T08:30:00Z"
json.dump(c, open(sys.argv[1] + "/clear.json", "w"))
# the same operator as the stored one: own volumes never conflict
c = json.load(open("examples/candidate.json"))
c["operator"] = "iran"; c["volumes"] = c["volumes"][:1]
json.dump(c, open(sys.argv[1] + "/own.json", "w"))
PY
$B check --airspace examples/airspace.json --candidate "$T/clear.json" >"$T/out" || fail "clear candidate: exit $?"
[ "$(cat "$T/out")" = '{"conflicts":[]}' ] || fail "clear output: $(cat "$T/out")"
$B check --airspace examples/airspace.json --candidate "$T/own.json" >"$T/out" || fail "own volumes conflicted"

# --h: with H large enough the shifted candidate's corridor reaches the orbit? use a
# tiny H to turn a near miss into clear
set +e
$B check --airspace examples/airspace.json --candidate examples/candidate.json --t 0 --v 0 --h 0.5 >"$T/out"
rc=$?
set -e
[ $rc -eq 1 ] || fail "overlaps must conflict with any H"

# invalid input: exit 2, field on stderr, nothing on stdout
bad() {
  printf '%s' "$1" >"$T/bad.json"
  set +e
  $B check --airspace examples/airspace.json --candidate "$T/bad.json" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "expected exit 2 for $1, got $rc"
  [ ! -s "$T/out" ] || fail "stdout not empty for $1"
  grep -q "$2" "$T/err" || fail "stderr lacks '$2': $(cat "$T/err")"
}
V='"altitude_lower_m":0,"altitude_upper_m":100,"time_start":"2014-12-02T06:00:00Z","time_end":"2014-12-02T07:00:00Z"'
bad '{"operator":"x","volumes":[{"footprint":{"type":"Polygon","coordinates":[[[44,33],[45,33],[44,34],[45,34],[44,33]]]},'"$V"'}]}' 'volumes\[0\].footprint.coordinates\[0\]\[[0-9]\]: ring self-intersects'
bad '{"operator":"x","volumes":[]}' 'volumes: needs at least one volume'
bad '{"volumes":[]}' 'operator'
bad '{"operator":"x","volumes":[{"footprint":{"type":"Point","coordinates":[44,95],"radius_m":5},'"$V"'}]}' 'latitude'
bad 'not json' 'line 1'
bad '{"operator":"x","volumes":[{"footprint":{"type":"Point","coordinates":[44,33],"radius_m":5},"altitude_lower_m":0,"altitude_upper_m":100,"time_start":"2014-12-02T06:00:00Z","time_end":"2014-12-22T07:00:00Z"}]}' 'volumes\[0\].time_end'
set +e
$B check --airspace /nonexistent --candidate examples/candidate.json >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing file"
$B check --airspace examples/airspace.json --candidate examples/candidate.json --h -1 >/dev/null 2>&1; [ $? -eq 2 ] || fail "negative H"
$B check --airspace examples/airspace.json >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing candidate"
set -e
$B check --help | grep -q "usage" || fail "help"
echo "check CLI: ok"
