#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ (run from anywhere; the
files are committed, this script only documents and regenerates them).
Seeds are small valid inputs of every accepted form plus edge cases the
validators must reject; libFuzzer mutates from there."""
import json, os, struct, shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
T0, T1 = "2030-12-02T06:00:00Z", "2030-12-02T09:00:00Z"


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(",", ":"))
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def band(lo=1500, hi=4500, t0=T0, t1=T1):
    return {"altitude_lower_m": lo, "altitude_upper_m": hi, "time_start": t0, "time_end": t1}


SQUARE = [[45.05, 34.15], [45.30, 34.15], [45.30, 34.35], [45.05, 34.35], [45.05, 34.15]]
poly = dict(footprint={"type": "Polygon", "coordinates": [SQUARE]}, **band())
circle = dict(footprint={"type": "Point", "coordinates": [44.19, 32.87], "radius_m": 15000}, **band())
corridor = dict(footprint={"type": "LineString", "coordinates": [[45.75, 33.45], [45.4, 33.9], [45.17, 34.27]],
                           "half_width_m": 5000}, **band(3000, 6000))
feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [44.5, 33.5]},
           "properties": dict(radius_m=5000, **band())}
feature_poly = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
                "properties": {"altitude_lower_ft": 5000, "altitude_upper_fl": 150,
                               "time_start": "2014-12-02T06:00:00.5+03:00", "time_end": "2014-12-02T09:00:00.25-01:30"}}
astm_circle = {"volume": {"outline_circle": {"center": {"lat": 33.5, "lng": 44.5},
                                             "radius": {"value": 5000, "units": "M"}},
                          "altitude_lower": {"value": 1000, "reference": "W84", "units": "M"},
                          "altitude_upper": {"value": 10000, "reference": "W84", "units": "FT"}},
               "time_start": {"value": T0, "format": "RFC3339"}, "time_end": {"value": T1, "format": "RFC3339"}}
astm_poly = {"volume": {"outline_polygon": {"vertices": [{"lat": p[1], "lng": p[0]} for p in SQUARE[:-1]]},
                        "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
                        "altitude_upper": {"value": 3000, "reference": "W84", "units": "M"}},
             "time_start": {"value": T0, "format": "RFC3339"}, "time_end": {"value": T1, "format": "RFC3339"}}

vj = "fuzz_volume_json"
for name, v in [("poly", poly), ("circle", circle), ("corridor", corridor), ("feature", feature),
                ("feature_poly_ft_fl", feature_poly), ("astm_circle", astm_circle), ("astm_poly", astm_poly)]:
    put(vj, name + ".json", v)
put(vj, "array.json", [poly, circle, corridor, feature, astm_circle])
put(vj, "operation.json", {"operator": "coalition", "priority": 60, "volumes": [astm_poly, corridor]})
edge = {
    "bowtie": dict(footprint={"type": "Polygon", "coordinates": [[[44, 33], [45, 34], [45, 33], [44, 34], [44, 33]]]}, **band()),
    "two_points": dict(footprint={"type": "Polygon", "coordinates": [[[44, 33], [45, 34], [44, 33]]]}, **band()),
    "antimeridian": dict(footprint={"type": "LineString", "coordinates": [[179.5, 10], [-179.5, 10]], "half_width_m": 100}, **band()),
    "polar": dict(footprint={"type": "Point", "coordinates": [0, 89.9], "radius_m": 100}, **band()),
    "hole": dict(footprint={"type": "Polygon", "coordinates": [SQUARE, SQUARE]}, **band()),
    "inverted_band": dict(footprint=circle["footprint"], **band(5000, 100)),
    "empty_window": dict(footprint=circle["footprint"], **band(t0=T1, t1=T0)),
    "long_window": dict(footprint=circle["footprint"], **band(t1="2030-12-20T00:00:00Z")),
    "leap_second": dict(footprint=circle["footprint"], **band(t0="2016-12-31T23:59:60Z", t1="2017-01-01T00:00:00.000001Z")),
    "zero_radius": dict(footprint={"type": "Point", "coordinates": [44, 33], "radius_m": 0}, **band()),
    "huge_radius": dict(footprint={"type": "Point", "coordinates": [44, 33], "radius_m": 1e9}, **band()),
    "collinear": dict(footprint={"type": "Polygon", "coordinates": [[[44, 33], [44.5, 33], [45, 33], [44, 33]]]}, **band()),
    "tiny": dict(footprint={"type": "Polygon", "coordinates": [[[44, 33], [44.0000001, 33], [44, 33.0000001]]]}, **band()),
    "both_outlines": {"volume": dict(astm_poly["volume"], outline_circle=astm_circle["volume"]["outline_circle"]),
                      "time_start": T0, "time_end": T1},
}
for name, v in edge.items():
    put(vj, name + ".json", v)

tm = "fuzz_time"
for i, s in enumerate(["2014-12-02T06:00:00Z", "2014-12-02t06:00:00z", "2014-12-02 06:00:00+03:30",
                       "2016-12-31T23:59:60Z", "2000-02-29T00:00:00.999999999-23:59", "1900-01-01T00:00:00+00:01",
                       "9999-12-31T23:59:59-23:59", "2001-02-29T00:00:00Z", "2014-13-02T06:00:00Z",
                       "2014-12-02T06:00:00.Z", "2014-12-02T06:00:00+0300", "2014-12-02T24:00:00Z"]):
    put(tm, "t%02d" % i, s)

# Footprint: kind, flags, n, [n], scale, centre u16 x2, [near], points, radius
def fp(kind, flags, n, scale, clat, clon, pts, radius=(1000, 3), near=None):
    b = bytes([kind, flags, n, scale]) + struct.pack(">HH", clat, clon)
    if near is not None:
        b += struct.pack(">hh", *near)
    for la, lo in pts:
        b += struct.pack(">hh", la, lo)
    return b + struct.pack(">H", radius[0]) + bytes([radius[1]])

sq = [(0, 0), (0, 20000), (20000, 20000), (20000, 0)]
A = fp(0, 0, 3, 4, 40000, 45000, sq)                     # polygon, 0.3 deg
B = fp(1, 0x10, 0, 4, 0, 0, [(0, 0)], (5000, 3), near=(30000, 30000))  # circle near A
C = fp(2, 0x10, 2, 3, 0, 0, [(-30000, 0), (30000, 100)], (100, 3), near=(100, 100))
put("fuzz_footprint", "poly_circle", A + B + struct.pack(">H", 2000) + b"\x03")
put("fuzz_footprint", "poly_corridor", A + C + struct.pack(">H", 1) + b"\x05")
put("fuzz_footprint", "circle_circle", fp(1, 0, 0, 2, 40000, 45000, [(0, 0)]) + fp(1, 0x10, 0, 0, 0, 0, [(1, 1)], near=(5, 5)))
put("fuzz_footprint", "raw_nan", bytes([0, 1, 3, 0]) + b"\x00" * 4 + b"\x7f\xf8" + b"\x00" * 60)
put("fuzz_footprint", "tiny_poly", fp(0, 0, 3, 0, 40000, 45000, sq) + fp(0, 0x30, 3, 1, 0, 0, sq, near=(0, 0)))

tr = "fuzz_tracks"
def rep(tid, t, lat, lon, alt=3000, gs=200, trk=90, vs=0, op=None):
    r = {"track_id": tid, "time": t, "lat": lat, "lon": lon, "alt_m": alt, "ground_speed_mps": gs,
         "track_deg": trk, "vertical_rate_mps": vs}
    if op:
        r["operation_id"] = op
    return r
put(tr, "one.json", {"reports": [rep("IRN11", "2014-12-02T06:05:00Z", 34.2, 45.1, op="iran-diyala")]})
put(tr, "converging.json", {"reports": [rep("A", 1417500000, 34.0, 45.0, trk=90), rep("B", 1417500000, 34.0, 45.5, trk=270),
                                        rep("C", 1417500000.5, 34.01, 45.25, trk=0, vs=-5), rep("D", 1417499990, 34.0, 45.26, gs=0)]})
put(tr, "fractional.json", {"reports": [rep("A", "2014-12-02T06:05:00.123456Z", 33.3, 44.4, op="op-1"),
                                        rep("A", "2014-12-02T06:05:01+00:00", 33.3, 44.41, op="x-unknown"),
                                        rep("B", "2014-12-02T06:05:01.5Z", 33.31, 44.4, trk=360, op=None)]})
put(tr, "edges.json", {"reports": [rep("N", 0, 90, 180, -1000, 1500, 0, 300), rep("S", 0, -90, -180, 50000, 0, 360, -300),
                                   rep("E", 0, 0, 179.999, gs=1500, trk=90), rep("W", 0, 0, -179.999, gs=1500, trk=270)]})
put(tr, "bad.json", {"reports": [rep("", 0, 0, 0), {"track_id": 5}]})
put(tr, "many.json", {"reports": [rep("T%d" % i, 1417500000 + i % 7, 33 + i * 0.01, 44 + (i % 5) * 0.02, 3000 + 50 * i, 150, (37 * i) % 360) for i in range(40)]})

sc = "fuzz_scenario"
os.makedirs(os.path.join(ROOT, sc), exist_ok=True)
shutil.copy(os.path.join(os.path.dirname(ROOT), "..", "examples", "scenario", "iraq.json"), os.path.join(ROOT, sc, "iraq.json"))
small = {"authority": "iraq", "operators": ["a", "b"],
         "restrictions": [{"ref": "r", "name": "R", "exempt": ["iraq"], "volumes": [dict(circle, time_start="-240:00", time_end="+8760:00")]}],
         "operations": [{"ref": "o1", "operator": "a", "priority": 5, "volumes": [dict(poly, time_start="06:00", time_end="09:30:15")]}],
         "aircraft": [
             {"callsign": "W1", "operator": "a", "operation": "o1", "waypoints": [{"t": "06:00", "lat": 34.2, "lon": 45.1, "alt_m": 3000},
                                                                              {"t": "06:10:30", "lat": 34.3, "lon": 45.2, "alt_m": 3500}]},
             {"callsign": "O1", "operator": "b", "orbit": {"lat": 33, "lon": 41, "radius_m": 20000, "alt_m": 8000,
                                                            "start": "05:00", "end": "12:00", "speed_mps": 200}},
             {"callsign": "R1", "operator": "b", "racetrack": {"coordinates": [[40.5, 33.0], [41.5, 33.0], [41.5, 33.2], [40.5, 33.2], [40.5, 33.0]],
                                                                "alt_m": 9000, "start": "-01:00", "end": "+30:00", "speed_mps": 220}}]}
put(sc, "small.json", small)
put(sc, "zero_racetrack.json", dict(small, aircraft=[{"callsign": "R", "operator": "b", "racetrack": {"coordinates": [[40, 33], [40, 33]], "alt_m": 1, "start": "00:00", "end": "01:00", "speed_mps": 1}}]))
put(sc, "bad_times.json", dict(small, aircraft=[{"callsign": "W", "operator": "a", "waypoints": [{"t": "06:00", "lat": 1, "lon": 1, "alt_m": 1}, {"t": "05:00", "lat": 1, "lon": 1, "alt_m": 1}]}]))
put(sc, "no_aircraft.json", {"authority": "x", "operators": [], "operations": []})

ck = "fuzz_check_cli"
ex = os.path.join(os.path.dirname(ROOT), "..", "examples")
put(ck, "example", open(os.path.join(ex, "airspace.json")).read().rstrip("\n") + "\n=====\n" + open(os.path.join(ex, "candidate.json")).read())
air = {"operations": [{"id": "a1", "operator": "iran", "priority": 50, "volumes": [poly, corridor]}],
       "restrictions": [{"id": "baghdad", "exempt": ["iraq"], "volumes": [dict(circle, time_end="2030-01-01T00:00:00Z")]}]}
put(ck, "small", json.dumps(air) + "\n=====\n" + json.dumps({"operator": "coalition", "volumes": [feature, astm_circle]}))
put(ck, "own", json.dumps(air) + "\n=====\n" + json.dumps({"operator": "iran", "volumes": [poly]}))
put(ck, "dup_ids", json.dumps({"operations": [air["operations"][0], air["operations"][0]]}) + "\n=====\n{}")
put(ck, "no_candidate", json.dumps(air))

# fuzz_http: raw requests; @AUTH@ / @OPER@ become the authority's and an
# operator's API key inside the target.
def req(method, path, key=None, body=None, extra=""):
    h = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method, path)
    if key:
        h += "Authorization: Bearer %s\r\n" % key
    h += extra
    if body is not None:
        b = json.dumps(body, separators=(",", ":"))
        h += "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(b), b)
    else:
        h += "\r\n"
    return h

op = {"priority": 50, "volumes": [poly]}
ht = "fuzz_http"
for name, r in {
    "healthz": req("GET", "/healthz"),
    "metrics": req("GET", "/metrics", "@AUTH@"),
    "submit": req("POST", "/v1/operations", "@OPER@", op),
    "submit_astm": req("POST", "/v1/operations", "@OPER@", {"priority": 10, "volumes": [astm_circle, feature]}),
    "list_state": req("GET", "/v1/operations?state=approved&all=1", "@AUTH@"),
    "get_missing": req("GET", "/v1/operations/op_0000", "@OPER@"),
    "modify": req("PUT", "/v1/operations/op_1", "@OPER@", op, "If-Match: \"3\"\r\n"),
    "withdraw": req("DELETE", "/v1/operations/op_1/", "@OPER@"),
    "activate": req("POST", "/v1/operations/op_1/activate", "@OPER@"),
    "restriction": req("POST", "/v1/restrictions", "@AUTH@", {"name": "Baghdad", "exempt": ["iraq"], "volumes": [dict(circle, time_end="2030-01-01T00:00:00Z")]}),
    "operator": req("POST", "/v1/operators", "@AUTH@", {"name": "iran"}),
    "rotate": req("POST", "/v1/operators/opr_1/keys", "@OPER@"),
    "notices": req("GET", "/v1/notices?bbox=33,44,35,46&from=2030-12-02T00:00:00Z&to=2030-12-03T00:00:00Z", "@OPER@", extra="Accept: application/geo+json\r\n"),
    "audit": req("GET", "/v1/audit?after=0&limit=1000", "@AUTH@"),
    "bad_bearer": req("GET", "/v1/operations", "dc_notakey.xxxxxxxx"),
    "no_scheme": "GET /v1/operations HTTP/1.1\r\nAuthorization: Basic Zm9vOmJhcg==\r\n\r\n",
    "big_length": "POST /v1/operations HTTP/1.1\r\nAuthorization: Bearer @OPER@\r\nContent-Length: 99999999999\r\n\r\n{}",
    "chunked": "POST /v1/operations HTTP/1.1\r\nAuthorization: Bearer @OPER@\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n",
    "pipelined": req("GET", "/healthz") + req("GET", "/v1/operations", "@OPER@"),
}.items():
    put(ht, name, r)
