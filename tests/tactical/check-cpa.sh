#!/bin/sh
# The offline `deconflict cpa` contract on the real binary: output shape,
# a < b and sort order, values of a hand-made head-on encounter, options,
# staleness, and exit codes 0/1/2 (invalid input names line and field on
# stderr, with nothing on stdout).
set -eu
cd "$(dirname "$0")/../.."
B=build/deconflict
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

rep() { # operator track time lat lon alt gs trk vz
  printf '{"operator":"%s","track_id":"%s","time":%s,"lat":%s,"lon":%s,"alt_m":%s,"ground_speed_mps":%s,"track_deg":%s,"vertical_rate_mps":%s}\n' "$@"
}
# Head-on on the equator, 60 km apart at 200 m/s each: loss at
# (60000 - 9260) / 400 = 126.85 s, CPA at 150 s, 0 m. C flies beside A 5 km
# north (separation lost now); B and C share an operator; D is far away.
{
  rep zulu A '"2024-05-01T12:00:00Z"' 0 0 9000 200 90 0
  rep alpha B 1714564800 0 0.5389957 9000 200 270 0
  echo
  rep alpha C 1714564800 0.0452 0 9100 200 90 0
  rep zulu D 1714564800 20 20 9000 200 90 0
} >"$T/tracks.jsonl"

set +e
$B cpa --tracks "$T/tracks.jsonl" >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "expected exit 1, got $rc: $(cat "$T/err")"
python3 - "$T/out" <<'PY' || fail "output: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["conflicts"]
assert list(d) == ["conflicts"], d
assert [(x["a"], x["b"]) for x in c] == [("alpha/B", "zulu/A"), ("alpha/C", "zulu/A")], c
for x in c:
    assert list(x) == ["a", "b", "t_in_s", "t_cpa_s", "d_cpa_m", "d_cpa_nm", "los_now"], x
    assert abs(x["d_cpa_nm"] - x["d_cpa_m"] / 1852) < 0.01, x
h, s = c
assert abs(h["t_in_s"] - 126.85) < 0.2 and abs(h["t_cpa_s"] - 150) < 0.2, h
assert h["d_cpa_m"] < 30 and h["los_now"] is False, h
assert s["los_now"] is True and s["t_in_s"] == 0 and abs(s["d_cpa_m"] - 5000) < 10, s
PY
[ ! -s "$T/err" ] || fail "stderr not empty: $(cat "$T/err")"

# Options: a short look-ahead misses the head-on; a small H misses C.
head -2 "$T/tracks.jsonl" >"$T/two.jsonl"
$B cpa --tracks "$T/two.jsonl" --lookahead 100 >"$T/out" || fail "--lookahead 100: exit $?"
[ "$(cat "$T/out")" = '{"conflicts":[]}' ] || fail "clear output: $(cat "$T/out")"
set +e
$B cpa --tracks "$T/tracks.jsonl" --h 4000 --v 305 >"$T/out"
rc=$?
set -e
[ $rc -eq 1 ] || fail "--h 4000: exit $rc"
grep -q '"alpha/C"' "$T/out" && fail "--h 4000 still reports C: $(cat "$T/out")"
grep -q '"alpha/B"' "$T/out" || fail "--h 4000 lost the head-on"
$B cpa --tracks "$T/tracks.jsonl" --v 50 --h 4000 >/dev/null && fail "--v 50 cleared the head-on"

# Staleness: A reported 31 s before the latest report is dropped.
{
  rep zulu A 1714564769 0 0 9000 0 0 0
  rep alpha B 1714564800 0 0.01 9000 0 0 0
} >"$T/stale.jsonl"
$B cpa --tracks "$T/stale.jsonl" >"$T/out" || fail "stale track not dropped"
set +e
$B cpa --tracks "$T/stale.jsonl" --stale 60 >/dev/null
rc=$?
set -e
[ $rc -eq 1 ] || fail "--stale 60: exit $rc"

# Empty input is clear.
: >"$T/empty.jsonl"
[ "$($B cpa --tracks "$T/empty.jsonl")" = '{"conflicts":[]}' ] || fail "empty input"

# Invalid input: exit 2, line and field on stderr, nothing on stdout.
bad() { # expected-stderr-fragment, then the file's lines
  want=$1
  shift
  printf '%s\n' "$@" >"$T/bad.jsonl"
  set +e
  $B cpa --tracks "$T/bad.jsonl" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "expected exit 2 for '$want', got $rc"
  [ ! -s "$T/out" ] || fail "stdout not empty for '$want': $(cat "$T/out")"
  grep -qF "$want" "$T/err" || fail "stderr lacks '$want': $(cat "$T/err")"
}
good=$(head -1 "$T/tracks.jsonl")
bad "line 2: lat" "$good" "$(rep alpha B 0 91 0 9000 200 0 0)"
bad "line 1: operator" '{"track_id":"X","time":0,"lat":0,"lon":0,"alt_m":0,"ground_speed_mps":0,"track_deg":0,"vertical_rate_mps":0}'
bad "line 3: invalid JSON" "$good" "$good" '{"operator":'
bad "line 1: time" '{"operator":"x","track_id":"X","time":"noon","lat":0,"lon":0,"alt_m":0,"ground_speed_mps":0,"track_deg":0,"vertical_rate_mps":0}'
bad "line 2: ground_speed_mps" "$good" "$(rep alpha B 0 0 0 9000 -1 0 0)"
bad "line 1: track_id" '{"operator":"x","track_id":"","time":0,"lat":0,"lon":0,"alt_m":0,"ground_speed_mps":0,"track_deg":0,"vertical_rate_mps":0}'

set +e
$B cpa --tracks "$T/missing.jsonl" >"$T/out" 2>/dev/null
rc1=$?
$B cpa --tracks "$T/tracks.jsonl" --h x >/dev/null 2>&1
rc2=$?
$B cpa --tracks "$T/tracks.jsonl" --h 0 >/dev/null 2>&1
rc3=$?
$B cpa >/dev/null 2>&1
rc4=$?
set -e
[ "$rc1$rc2$rc3$rc4" = 2222 ] || fail "bad invocations: exits $rc1 $rc2 $rc3 $rc4"
[ ! -s "$T/out" ] || fail "stdout not empty for a missing file"
$B cpa --help | grep -q 'deconflict cpa --tracks' || fail "--help"
echo "check-cpa: ok"
