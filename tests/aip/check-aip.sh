#!/bin/sh
# The host's published airspace in and out, checked against data and tools
# that no one here wrote (tests/aip/data/SOURCES.md):
#  - every ED-318 example imports, InvalidExample_* is refused;
#  - every openAIP OpenAir fixture with an expected result imports, footprint
#    within the stated tolerance (compare_openair.py), limits and activation
#    times equal; the invalid fixtures are refused with a reason;
#  - Donlon.xml (ICAO AIXM 5.1 sample) imports its restricting airspaces with
#    the published vertical limits;
#  - our ED-318 export passes ajv against the published schemas, our KML
#    opens in GDAL's ogrinfo (LIBKML/KML drivers), our GeoJSON parses;
#  - through a real server: an import creates, a re-import replaces (no
#    duplicates), a refused file posts nothing, notices export as KML/ED-318.
set -eu
cd "$(dirname "$0")/../.."
B=${DC_BIN:-build/deconflict}
D=tests/aip/data
T=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "check-aip: $*" >&2; exit 1; }

# --- ED-318 examples
for f in $D/ed318/examples/Example_*.json; do
  $B airspace import --format ed318 --dry-run "$f" > "$T/out" || fail "$f was not imported: $(cat "$T/out")"
done
for f in $D/ed318/examples/InvalidExample_*.json; do
  rc=0; $B airspace import --format ed318 --dry-run "$f" 2> "$T/err" || rc=$?
  [ $rc -eq 1 ] || fail "$f: exit $rc, expected 1 (refused)"
  grep -q "^refused ed318 metadata" "$T/err" || fail "$f: no refusal named: $(cat "$T/err")"
done
echo "check-aip: ED-318 examples imported, the invalid example refused"

# --- OpenAir: expected results, then the fixtures that must be refused
python3 tests/aip/compare_openair.py > "$T/oa" || { cat "$T/oa"; fail "OpenAir footprints differ"; }
tail -1 "$T/oa"
for f in activation-times-invalid activation-times-invalid-with-none activation-times-invalid-with-none-none \
         ceiling-definitions-al-greater-ah ceiling-definitions-duplicate circular-invalid \
         coordinate-minutes-60 coordinate-seconds-60 empty-name flight-level-missing-number \
         ignored-only insufficient-coordinates invalid-coordinates missing-ah-al self-intersecting \
         transponder-code-invalid without-ac; do
  rc=0; $B airspace import --format openair --dry-run "$D/openair/fixtures/$f.txt" > /dev/null 2> "$T/err" || rc=$?
  [ $rc -eq 1 ] || fail "$f.txt: exit $rc, expected 1 (refused)"
  grep -q "^refused openair" "$T/err" || fail "$f.txt: no refused item named"
done
echo "check-aip: 17 invalid OpenAir fixtures refused, each item named"

# --- AIXM: Donlon's restricting airspaces with their vertical limits
$B airspace import --format aixm --dry-run --json $D/aixm/Donlon.xml > "$T/donlon.json"
python3 - "$T/donlon.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
got = {r["name"].split(" ", 1)[1]: r for r in d["restrictions"]}
# designator/name: (floor m, ceiling m) from Donlon.xml (terrain 0: SFC = 0 m)
want = {"EAP2_VAARDNOR (P)": (0, 20000 * 0.3048),          # GND - 20000 FT
        "EAR1_BRAVO (R)": (0, 1525),                        # GND - 1525 M SFC
        "EAR3_BURGENVALK (R)": (230 * 30.48, 360 * 30.48),  # FL230 - FL360
        "EAR5_WINSWUK (R)": (0, 360 * 30.48),               # GND - FL360
        "EAD4_HORSHAM (D)": (0, 360 * 30.48),
        "EAD6_DONLON (D)": (0, 360 * 30.48),
        "EAR0003-12 (R)": (0, 60000 * 0.3048),              # 0 FT SFC - 60000 FT MSL
        "ACR001 (R)": (0, 30000)}                            # no limits published: whole column
assert set(got) == set(want), sorted(got)
for k, (lo, hi) in want.items():
    for v in got[k]["volumes"]:
        assert abs(v["altitude_lower_m"] - lo) < 0.01 and abs(v["altitude_upper_m"] - hi) < 0.01, (k, v)
assert len(d["skipped"]) == 5, d["skipped"]
assert got["ACR001 (R)"]["volumes"][0]["footprint"]["half_width_m"] == 150000
print("check-aip: Donlon.xml: %d restrictions with their vertical limits, %d skipped (FIR, TMA, CTA, PART)"
      % (len(got), len(d["skipped"])))
PY

# --- Export: ED-318 through ajv, KML through GDAL, GeoJSON through python
(cd tests/aip && [ -d node_modules/ajv-formats ] || npm ci --no-audit --no-fund --loglevel=error)
$B airspace import --format openair --dry-run --json $D/openair/fixtures/arc-cw-ccw.txt > "$T/oa.json"
$B airspace import --format ed318 --dry-run --json $D/ed318/examples/Example_Collection.json > "$T/ed.json"
for x in donlon oa ed; do
  $B airspace export --format ed318 --in "$T/$x.json" --out "$T/$x.ed318.json"
  $B airspace export --format kml --in "$T/$x.json" --out "$T/$x.kml"
  $B airspace export --format geojson --in "$T/$x.json" --out "$T/$x.geojson"
done
node tests/aip/validate_ed318.js "$T/donlon.ed318.json" "$T/oa.ed318.json" "$T/ed.ed318.json" > "$T/ajv" \
  || { cat "$T/ajv"; fail "our ED-318 export does not validate"; }
echo "check-aip: ED-318 export valid against the published schemas (ajv)"
n=$(python3 -c "import json,sys; print(sum(len(r['volumes']) for r in json.load(open(sys.argv[1]))['restrictions']))" "$T/donlon.json")
k=$(ogrinfo -ro -al -so "$T/donlon.kml" | sed -n 's/^Feature Count: //p')
[ "$k" = "$n" ] || fail "ogrinfo reads $k placemarks from the KML, expected $n"
ogrinfo -ro -al "$T/oa.kml" | grep -q "POLYGON" || fail "ogrinfo finds no polygon in the KML"
python3 -c "
import json,sys
g=json.load(open(sys.argv[1])); assert g['type']=='FeatureCollection' and len(g['features'])==$n
assert all(f['geometry']['type'] in ('Polygon','MultiPolygon') for f in g['features'])" "$T/donlon.geojson"
echo "check-aip: KML read by GDAL ogrinfo ($k placemarks), GeoJSON parses"

# --- Through a real server
$B init --store "$T/store.db" --authority hostcell --key-file "$T/authority.key" > /dev/null 2>&1
echo '{}' > "$T/config.json"
$B serve --store "$T/store.db" --listen 127.0.0.1:0 --config "$T/config.json" > "$T/url" 2> "$T/serve.log" &
PID=$!
i=0; while [ ! -s "$T/url" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
URL=$(head -1 "$T/url")
export DECONFLICT_URL="$URL"
unset DECONFLICT_KEY
A="--key-file $T/authority.key"
$B airspace import --format aixm $A $D/aixm/Donlon.xml > "$T/imp1"
grep -q "imported 8 restriction(s), replacing 0" "$T/imp1" || fail "first import: $(cat "$T/imp1")"
$B airspace import --format aixm $A $D/aixm/Donlon.xml > "$T/imp2"
grep -q "imported 8 restriction(s), replacing 8" "$T/imp2" || fail "re-import: $(cat "$T/imp2")"
$B airspace import --format openair $A $D/openair/fixtures/polygon.txt > /dev/null
rc=0; $B airspace import --format ed318 $A $D/ed318/examples/InvalidExample_GeoZone_2_Layers.json 2> /dev/null || rc=$?
[ $rc -eq 1 ] || fail "a refused import exits $rc, expected 1"
c=$($B restriction list $A --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)['restrictions']))")
[ "$c" = 9 ] || fail "$c restrictions in force, expected 9 (8 AIXM + 1 OpenAir, no duplicates)"
echo "check-aip: server: import 8, re-import replaced 8, refused file posted nothing, 9 in force"
# The endpoint itself: a file with a bad item is refused whole, naming it;
# dry_run decides without changing anything; a bad format is named.
python3 - "$URL" "$T/authority.key" $D/openair/fixtures <<'PY'
import json, sys, urllib.request, urllib.error
url, key, fix = sys.argv[1], open(sys.argv[2]).read().strip(), sys.argv[3]
def call(method, path, body=None):
    req = urllib.request.Request(url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + key,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
before = len(call("GET", "/v1/restrictions")[1]["restrictions"])
good = open(fix + "/polygon.txt").read()
bad = good + open(fix + "/coordinate-minutes-60.txt").read()
st, ans = call("POST", "/v1/restrictions:import", {"format": "openair", "content": bad})
assert st == 400 and ans["field"].startswith("openair:PYRENNEES DP"), (st, ans)
assert [x["item"] for x in ans["refused"]] == ["openair:PYRENNEES"], ans
st, ans = call("POST", "/v1/restrictions:import", {"format": "openair", "content": good, "dry_run": True})
assert st == 200 and ans["dry_run"] and len(ans["restrictions"]) == 1, (st, ans)
st, ans = call("POST", "/v1/restrictions:import", {"format": "gpx", "content": good})
assert st == 400 and ans["field"] == "format", (st, ans)
st, ans = call("POST", "/v1/restrictions:import", {"format": "openair", "content": good, "terrain_m": -1})
assert st == 400 and ans["field"] == "terrain_m", (st, ans)
st, ans = call("POST", "/v1/restrictions:import", {"format": "openair", "content": good})
assert st == 201 and len(ans["created"]) == 1 and len(ans["replaced"]) == 1, (st, ans)
after = len(call("GET", "/v1/restrictions")[1]["restrictions"])
assert after == before, (before, after)
print("check-aip: POST /v1/restrictions:import refuses a file whole naming the item, dry_run, re-import replaces")
PY
$B operator add pilot --key-out "$T/pilot.key" $A > /dev/null
$B notices --key-file "$T/pilot.key" --bbox 9,53,12,56 --format ed318 --out "$T/n.ed318.json"
$B notices --key-file "$T/pilot.key" --bbox 9,53,12,56 --format kml --out "$T/n.kml"
$B notices --key-file "$T/pilot.key" --bbox 9,53,12,56 --format geojson --out "$T/n.geojson"
$B restriction list $A --format ed318 --out "$T/r.ed318.json"
node tests/aip/validate_ed318.js "$T/n.ed318.json" "$T/r.ed318.json" > "$T/ajv" \
  || { cat "$T/ajv"; fail "the notices' or restrictions' ED-318 does not validate"; }
nn=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['features']))" "$T/n.geojson")
[ "$nn" -ge 1 ] || fail "the pilot sees no notice of the OpenAir restriction"
k=$(ogrinfo -ro -al -so "$T/n.kml" | sed -n 's/^Feature Count: //p')
[ "$k" = "$nn" ] || fail "ogrinfo reads $k notices from the KML, expected $nn"
echo "check-aip: notices as ED-318 (ajv-valid), KML ($k placemarks, ogrinfo) and GeoJSON"
echo "check-aip: ok"
