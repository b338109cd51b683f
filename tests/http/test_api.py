"""The deconfliction API over real HTTP against the real binary: every route,
every role, the 4xx paths, durability across restarts and kill -9, the
audit chain, and blindness (the last test scans every response an operator
received for the other operators' names, ids and operation ids)."""
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import (BIN, RESPONSES, ROOT, Server, circle, envelope_box,  # noqa: E402
                      lat_north_of)

NO_PROBE_LIMIT = {"probe_limit": 0}


@pytest.fixture(scope="module")
def srv():
    s = Server(NO_PROBE_LIMIT)
    yield s
    assert s.stop() == 0, "server did not shut down cleanly"


@pytest.fixture(scope="module")
def ops(srv):
    return srv.operator("coalition_qx7"), srv.operator("iran_zv3"), srv.operator("drones_kp9")


def assert_error(r, status, field=None):
    assert r.status == status, r
    assert set(r.json) >= {"error", "field", "reason"}, r
    assert r.json["reason"], r
    if field is not None:
        assert r.json["field"].startswith(field), r


# ---------------------------------------------------------------- routes

def openapi_routes():
    routes, path = set(), None
    with open(os.path.join(ROOT, "docs", "openapi.yaml")) as f:
        for line in f:
            m = re.match(r"^  (/\S*):\s*$", line)
            if m:
                path = m.group(1)
                continue
            m = re.match(r"^    (get|put|post|delete|patch):\s*$", line)
            if m and path:
                routes.add((m.group(1).upper(), path))
            elif re.match(r"^\S", line):
                path = None
    return routes


def test_routes_match_openapi():
    out = subprocess.run([BIN, "serve", "--list-routes"], check=True, capture_output=True,
                         text=True).stdout
    served = {tuple(line.split(" ", 1)) for line in out.splitlines()}
    assert served == openapi_routes()


def test_unknown_route_and_method(srv):
    assert_error(srv.request("GET", "/v1/nothing", srv.authority_key), 404, "path")
    assert_error(srv.request("PATCH", "/v1/operations", srv.authority_key), 405, "method")
    assert_error(srv.request("GET", "/v1/operations/bad$id", srv.authority_key), 404)


def test_healthz_and_metrics(srv, ops):
    r = srv.request("GET", "/healthz")
    assert r.status == 200 and r.json == {"status": "ok"}
    assert_error(srv.request("GET", "/metrics"), 401, "Authorization")
    assert_error(ops[0].req("GET", "/metrics"), 403)
    r = srv.request("GET", "/metrics", srv.authority_key)
    assert r.status == 200
    for name in ("deconflict_http_requests_total", "deconflict_decisions_total",
                 "deconflict_check_seconds_bucket", "deconflict_notice_area_km2",
                 "deconflict_blind_only_rejections_total"):
        assert name in r.text


# ---------------------------------------------------------------- auth and operators

def test_authentication_errors(srv):
    assert_error(srv.request("GET", "/v1/operations"), 401, "Authorization")
    assert_error(srv.request("GET", "/v1/operations", "dck_" + "0" * 64), 401)
    assert_error(srv.request("GET", "/v1/operations", "not-a-key"), 401)
    r = srv.request("GET", "/v1/operations", headers={"Authorization": "Basic abc"})
    assert_error(r, 401)


def test_operators(srv, ops):
    r = srv.request("GET", "/v1/operators", srv.authority_key)
    assert r.status == 200
    names = {o["name"] for o in r.json["operators"]}
    assert {"hostcell_iq", "coalition_qx7", "iran_zv3"} <= names
    assert_error(srv.request("POST", "/v1/operators", srv.authority_key, {"name": "iran_zv3"}),
                 409, "name")
    assert_error(srv.request("POST", "/v1/operators", srv.authority_key, {"name": ""}), 400, "name")
    assert_error(srv.request("POST", "/v1/operators", srv.authority_key, {"name": 5}), 400, "name")
    assert_error(srv.request("POST", "/v1/operators", srv.authority_key, {"name": "a b"}), 400)
    assert_error(ops[0].req("POST", "/v1/operators", {"name": "x1"}), 403)
    assert_error(ops[0].req("GET", "/v1/operators"), 403)


def test_key_rotation(srv):
    op = srv.operator("rotator_1")
    r = srv.request("POST", "/v1/operators/%s/keys" % op.id, srv.authority_key)
    assert r.status == 201 and r.json["id"] == op.id
    assert_error(op.req("GET", "/v1/operations"), 401)  # revoked at once
    op.key = r.json["api_key"]
    assert op.req("GET", "/v1/operations").status == 200
    r = op.req("POST", "/v1/operators/%s/keys" % op.id)  # an operator rotates its own
    assert r.status == 201
    assert_error(op.req("GET", "/v1/operations"), 401)
    op.key = r.json["api_key"]
    other = srv.operator("rotator_2")
    assert_error(op.req("POST", "/v1/operators/%s/keys" % other.id), 404, "id")
    assert_error(op.req("POST", "/v1/operators/opr_doesnotexist/keys"), 404)


# ---------------------------------------------------------------- operations

def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_operation_lifecycle(srv, ops):
    a, b, _ = ops
    # A window open now: activation is allowed only within it (issue 18).
    now = int(time.time())
    vol = circle(43.49, 34.93, 3000, start=rfc3339(now - 600), end=rfc3339(now + 7200))
    r = a.req("POST", "/v1/operations", {"priority": 20, "volumes": [vol]})
    assert r.status == 201, r
    op = r.json
    assert op["state"] == "approved" and op["version"] == 1 and op["priority"] == 20
    assert r.headers["ETag"] == '"1"'
    oid = op["id"]
    assert a.req("GET", "/v1/operations/" + oid).json["id"] == oid
    assert oid in [o["id"] for o in a.req("GET", "/v1/operations").json["operations"]]
    assert oid not in [o["id"] for o in b.req("GET", "/v1/operations").json["operations"]]
    assert a.req("GET", "/v1/operations?state=approved").status == 200
    assert_error(a.req("GET", "/v1/operations?state=bogus"), 400, "state")
    # Another operator: 404 on every route, never 403.
    for method, path in (("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/activate"),
                         ("POST", "/end")):
        r = b.req(method, "/v1/operations/" + oid + path, {"volumes": [vol]},
                  headers={"If-Match": "1"})
        assert_error(r, 404, "id")
    # Authority sees it with its owner.
    r = srv.request("GET", "/v1/operations/" + oid, srv.authority_key)
    assert r.json["owner"]["id"] == a.id
    # Modify: If-Match required, stale version 412.
    vol2 = dict(vol, altitude_upper_m=2500)
    assert_error(a.req("PUT", "/v1/operations/" + oid, {"volumes": [vol2]}), 428, "If-Match")
    assert_error(a.req("PUT", "/v1/operations/" + oid, {"volumes": [vol2]},
                       headers={"If-Match": "7"}), 412, "If-Match")
    assert_error(a.req("PUT", "/v1/operations/" + oid, {"volumes": [vol2]},
                       headers={"If-Match": "x"}), 400, "If-Match")
    r = a.req("PUT", "/v1/operations/" + oid, {"volumes": [vol2]}, headers={"If-Match": '"1"'})
    assert r.status == 200 and r.json["version"] == 2, r
    assert r.json["volumes"][0]["altitude_upper_m"] == 2500
    assert_error(a.req("POST", "/v1/operations/%s/activate" % oid, headers={"If-Match": "1"}), 412)
    r = a.req("POST", "/v1/operations/%s/activate" % oid)
    assert r.status == 200 and r.json["state"] == "active"
    assert_error(a.req("POST", "/v1/operations/%s/activate" % oid), 409, "state")
    r = a.req("POST", "/v1/operations/%s/end" % oid)
    assert r.status == 200 and r.json["state"] == "ended"
    assert_error(a.req("DELETE", "/v1/operations/" + oid), 409, "state")
    assert_error(a.req("PUT", "/v1/operations/" + oid, {"volumes": [vol2]},
                       headers={"If-Match": "4"}), 409, "state")
    # Withdraw frees the airspace.
    r = a.req("POST", "/v1/operations", {"volumes": [vol]})
    assert r.status == 201
    oid2 = r.json["id"]
    assert b.req("POST", "/v1/operations", {"volumes": [vol]}).status == 409
    r = a.req("DELETE", "/v1/operations/" + oid2)
    assert r.status == 200 and r.json["state"] == "withdrawn"
    r = b.req("POST", "/v1/operations", {"volumes": [vol]})
    assert r.status == 201
    b.req("DELETE", "/v1/operations/" + r.json["id"])


def test_conflict_is_blind_with_suggestion(srv, ops):
    a, b, _ = ops
    vol = circle(45.17, 34.27, 5000, start="2030-03-01T10:00:00Z", end="2030-03-01T11:00:00Z")
    r = a.req("POST", "/v1/operations", {"volumes": [vol]})
    assert r.status == 201
    r = b.req("POST", "/v1/operations", {"volumes": [vol]})
    assert r.status == 409
    body = r.json
    assert body["error"] == "conflict" and body["field"] == "volumes" and body["reason"]
    (n,) = body["conflicts"]
    # The notice, plus which of b's own volumes met it (b's plan: no leak).
    assert set(n) == {"id", "kind", "footprint", "altitude_lower_m", "altitude_upper_m",
                      "time_start", "time_end", "candidate_volume", "candidate_volumes"}
    assert n["candidate_volume"] == 0 and n["candidate_volumes"] == [0]
    assert n["id"].startswith("ntc_") and n["kind"] == "operation"
    # Coarsened outward: 0.01 degree grid, 300 m, 5 min.
    for lon, lat in n["footprint"]["coordinates"][0]:
        assert abs(lon * 100 - round(lon * 100)) < 1e-6 and abs(lat * 100 - round(lat * 100)) < 1e-6
    assert n["altitude_lower_m"] % 300 == 0 and n["altitude_upper_m"] % 300 == 0
    assert n["altitude_lower_m"] <= 1000 - 305 and n["altitude_upper_m"] >= 2000 + 305
    assert n["time_start"] <= "2030-03-01T09:55:00Z" and n["time_end"] >= "2030-03-01T11:05:00Z"
    s = body["suggestion"]
    assert s and s["kind"] == "time_shift" and abs(s["time_shift_s"]) % 300 == 0
    r = b.req("POST", "/v1/operations", {"volumes": s["volumes"]})
    assert r.status == 201, r
    # The same notice id for the same requester; another requester gets another id.
    q = "/v1/notices?bbox=44,33,46,35&from=2030-03-01T00:00:00Z&to=2030-03-02T00:00:00Z"
    ids_b = {x["id"] for x in b.req("GET", q).json["notices"]}
    assert n["id"] in ids_b
    ids_c = {x["id"] for x in ops[2].req("GET", q).json["notices"]}
    assert n["id"] not in ids_c and ids_c


def test_altitude_suggestion(srv, ops):
    a, b, _ = ops
    # A blocks the whole 6 h either side, so only another altitude band helps.
    vol = circle(42.0, 36.0, 2000, lower=3000, upper=3500, start="2030-04-01T00:00:00Z",
                 end="2030-04-05T00:00:00Z")
    assert a.req("POST", "/v1/operations", {"volumes": [vol]}).status == 201
    probe = circle(42.0, 36.0, 2000, lower=3000, upper=3300, start="2030-04-02T10:00:00Z",
                   end="2030-04-02T11:00:00Z")
    r = b.req("POST", "/v1/operations", {"volumes": [probe]})
    assert r.status == 409
    s = r.json["suggestion"]
    assert s["kind"] == "altitude_shift" and s["altitude_shift_m"] % 300 == 0
    assert b.req("POST", "/v1/operations", {"volumes": s["volumes"]}).status == 201


def count_ops(srv):
    return len(srv.request("GET", "/v1/operations", srv.authority_key).json["operations"])


BAD_BODIES = [
    (b"{not json", "body"),
    (b"[1, 2]", "body"),
    (b"", "body"),
    (json.dumps({"volumes": "x"}).encode(), "volumes"),
    (json.dumps({"priority": 0}).encode(), "volumes"),
    (json.dumps({"volumes": []}).encode(), "volumes"),
    (json.dumps({"priority": "high", "volumes": [circle(10, 10, 100)]}).encode(), "priority"),
    (json.dumps({"priority": 101, "volumes": [circle(10, 10, 100)]}).encode(), "priority"),
    (json.dumps({"override": "yes", "volumes": [circle(10, 10, 100)]}).encode(), "override"),
    (json.dumps({"volumes": [circle(10, 95, 100)]}).encode(), "volumes[0]"),
    (json.dumps({"volumes": [circle(10, 10, -5)]}).encode(), "volumes[0]"),
    (json.dumps({"volumes": [circle(10, 10, 100, lower=500, upper=100)]}).encode(), "volumes[0]"),
    (json.dumps({"volumes": [circle(10, 10, 100, start="2030-01-01T10:00:00Z",
                                    end="2030-01-01T09:00:00Z")]}).encode(), "volumes[0]"),
    (json.dumps({"volumes": [circle(10, 10, 100, start="2030-01-01T00:00:00Z",
                                    end="2030-01-09T00:00:00Z")]}).encode(), "volumes[0]"),
    (json.dumps({"volumes": [circle(10, 10, 100, start="yesterday")]}).encode(), "volumes[0]"),
    (json.dumps({"volumes": [{"footprint": {"type": "Polygon", "coordinates": [
        [[10, 10], [11, 11], [11, 10], [10, 11], [10, 10]]]}, "altitude_lower_m": 0,
        "altitude_upper_m": 100, "time_start": "2030-01-01T00:00:00Z",
        "time_end": "2030-01-01T01:00:00Z"}]}).encode(), "volumes[0]"),
    (json.dumps({"volumes": [{"footprint": {"type": "Polygon", "coordinates": [
        [[10, 10], [10, 10], [10, 10]]]}, "altitude_lower_m": 0, "altitude_upper_m": 100,
        "time_start": "2030-01-01T00:00:00Z", "time_end": "2030-01-01T01:00:00Z"}]}).encode(),
     "volumes[0]"),
    (json.dumps({"volumes": [{"altitude_lower_m": 0}]}).encode(), "volumes[0]"),
    (b'{"volumes": [{"footprint": {"type": "Point", "coordinates": [NaN, 1]}}]}', "body"),
]


@pytest.mark.parametrize("raw,field", BAD_BODIES)
def test_invalid_bodies_are_rejected_and_not_stored(srv, ops, raw, field):
    before = count_ops(srv)
    r = ops[0].req("POST", "/v1/operations", raw=raw,
                   headers={"Content-Type": "application/json"})
    assert_error(r, 400, field)
    assert count_ops(srv) == before


def test_ten_megabyte_body(srv, ops):
    before = count_ops(srv)
    raw = b'{"volumes": [' + b" " * (10 << 20) + b"]}"
    assert_error(ops[0].req("POST", "/v1/operations", raw=raw), 413, "body")
    assert_error(srv.request("POST", "/v1/restrictions", srv.authority_key, raw=raw), 413, "body")
    assert count_ops(srv) == before


def test_too_many_volumes(srv, ops):
    vols = [circle(10 + i * 0.1, 10, 100) for i in range(65)]
    assert_error(ops[0].req("POST", "/v1/operations", {"volumes": vols}), 400, "volumes")


def test_antimeridian_is_rejected_clearly(srv, ops):
    r = ops[0].req("POST", "/v1/operations", {"volumes": [circle(179.99, 10, 100)]})
    assert_error(r, 400, "volumes[0]")
    assert "antimeridian" in r.json["reason"]


def test_astm_volume4d(srv, ops):
    v = {"volume": {"outline_circle": {"center": {"lng": 20.0, "lat": 20.0},
                                       "radius": {"value": 500, "units": "M"}},
                    "altitude_lower": {"value": 100, "reference": "W84", "units": "M"},
                    "altitude_upper": {"value": 300, "reference": "W84", "units": "M"}},
         "time_start": {"value": "2030-05-01T00:00:00Z", "format": "RFC3339"},
         "time_end": {"value": "2030-05-01T01:00:00Z", "format": "RFC3339"}}
    r = ops[0].req("POST", "/v1/operations", {"volumes": [v]})
    assert r.status == 201, r


# ---------------------------------------------------------------- restrictions, override

def test_restrictions_preempt_and_exempt(srv, ops):
    a, b, c = ops
    va = circle(44.366, 33.315, 2000, start="2030-06-01T10:00:00Z", end="2030-06-01T11:00:00Z")
    vb = circle(44.40, 33.33, 2000, lower=2500, upper=3000, start="2030-06-01T10:00:00Z",
                end="2030-06-01T11:00:00Z")
    ra = a.req("POST", "/v1/operations", {"volumes": [va]})
    rb = b.req("POST", "/v1/operations", {"volumes": [vb]})
    assert ra.status == 201 and rb.status == 201
    rs = {"name": "Baghdad", "exempt": [b.id],
          "volumes": [circle(44.366, 33.315, 30000, lower=0, upper=6000,
                             start="2030-01-01T00:00:00Z", end="2099-01-01T00:00:00Z")]}
    assert_error(a.req("POST", "/v1/restrictions", rs), 403)
    assert_error(a.req("GET", "/v1/restrictions"), 403)
    assert_error(srv.request("POST", "/v1/restrictions", srv.authority_key,
                             dict(rs, exempt=["opr_nope"])), 400, "exempt[0]")
    assert_error(srv.request("POST", "/v1/restrictions", srv.authority_key,
                             dict(rs, exempt="x")), 400, "exempt")
    r = srv.request("POST", "/v1/restrictions", srv.authority_key, rs)
    assert r.status == 201, r
    rid = r.json["id"]
    assert r.json["preempted"] == [ra.json["id"]]
    assert r.json["exempt"] == [b.id]
    got = a.req("GET", "/v1/operations/" + ra.json["id"]).json
    assert got["state"] == "preempted" and "restricted" in got["reason"]
    assert b.req("GET", "/v1/operations/" + rb.json["id"]).json["state"] == "approved"
    # Restrictions are decided exactly and appear in the notices of those they bind.
    r = c.req("POST", "/v1/operations", {"volumes": [va]})
    assert r.status == 409 and r.json["conflicts"][0]["kind"] == "restriction"
    assert r.json["suggestion"] is None or r.json["suggestion"]["kind"] == "altitude_shift"
    q = "/v1/notices?bbox=44,33,45,34&from=2030-06-01T00:00:00Z&to=2030-06-02T00:00:00Z"
    assert any(n["kind"] == "restriction" for n in c.req("GET", q).json["notices"])
    assert not any(n["kind"] == "restriction" for n in b.req("GET", q).json["notices"])
    r = b.req("POST", "/v1/operations", {"volumes": [va]})  # exempt: approved
    assert r.status == 201, r
    assert b.req("DELETE", "/v1/operations/" + r.json["id"]).status == 200
    r = srv.request("GET", "/v1/restrictions", srv.authority_key)
    assert rid in [x["id"] for x in r.json["restrictions"]]
    assert srv.request("GET", "/v1/restrictions/" + rid, srv.authority_key).json["name"] == "Baghdad"
    assert_error(srv.request("GET", "/v1/restrictions/rs_nope", srv.authority_key), 404)
    r = srv.request("DELETE", "/v1/restrictions/" + rid, srv.authority_key)
    assert r.status == 200 and r.json["state"] == "deleted"
    assert_error(srv.request("DELETE", "/v1/restrictions/" + rid, srv.authority_key), 409)
    assert rid not in [x["id"] for x in
                       srv.request("GET", "/v1/restrictions", srv.authority_key).json["restrictions"]]
    assert c.req("POST", "/v1/operations", {"volumes": [va]}).status == 201


def test_authority_override(srv, ops):
    a, b, _ = ops
    v = circle(43.0, 30.0, 3000, start="2030-07-01T10:00:00Z", end="2030-07-01T11:00:00Z")
    low = a.req("POST", "/v1/operations", {"priority": 10, "volumes": [v]})
    assert low.status == 201
    assert_error(b.req("POST", "/v1/operations", {"override": True, "volumes": [v]}), 403,
                 "override")
    r = srv.request("POST", "/v1/operations", srv.authority_key, {"priority": 50, "volumes": [v]})
    assert r.status == 409
    r = srv.request("POST", "/v1/operations", srv.authority_key,
                    {"priority": 50, "override": True, "volumes": [v]})
    assert r.status == 201 and r.json["preempted"] == [low.json["id"]]
    got = a.req("GET", "/v1/operations/" + low.json["id"]).json
    assert got["state"] == "preempted" and "authority" in got["reason"]
    # The authority's operation now binds operators through a notice.
    assert b.req("POST", "/v1/operations", {"volumes": [v]}).status == 409


# ---------------------------------------------------------------- notices

def test_notices_forms_and_errors(srv, ops):
    a, b, _ = ops
    q = "/v1/notices?bbox=44,33,46,35&from=2030-03-01T00:00:00Z&to=2030-03-02T00:00:00Z"
    r = b.req("GET", q, headers={"Accept": "application/geo+json"})
    assert r.status == 200 and r.json["type"] == "FeatureCollection"
    f = r.json["features"][0]
    assert f["type"] == "Feature" and f["geometry"]["type"] == "Polygon"
    assert {"altitude_lower_m", "time_start"} <= set(f["properties"])
    assert r.headers["Content-Type"].startswith("application/geo+json")
    for bad in ("", "?bbox=1,2,3", "?bbox=5,5,4,4", "?bbox=a,b,c,d", "?bbox=0,0,1,1&from=x",
                "?bbox=0,0,1,1&from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z"):
        assert_error(b.req("GET", "/v1/notices" + bad), 400)
    # Own operations are not notices.
    own = a.req("GET", q).json["notices"]
    aops = [o for o in a.req("GET", "/v1/operations").json["operations"]
            if o["volumes"][0]["time_start"].startswith("2030-03-01")]
    assert aops and len(own) < len(b.req("GET", q).json["notices"]) + 1


def box_outside(notices, lon, lat, dlon, dlat, lo, hi, t0, t1):
    """True when the candidate lies outside every notice in one dimension."""
    for n in notices:
        nlon0, nlat0, nlon1, nlat1 = envelope_box(n)
        horiz = (lon + dlon < nlon0 or lon - dlon > nlon1 or lat + dlat < nlat0
                 or lat - dlat > nlat1)
        vert = hi <= n["altitude_lower_m"] or lo >= n["altitude_upper_m"]
        tim = t1 <= n["time_start"] or t0 >= n["time_end"]
        if not (horiz or vert or tim):
            return False
    return True


def test_property_random_volumes_outside_notices_are_approved(srv):
    rnd = random.Random(20301)
    hider = srv.operator("hider_p1")
    seeker = srv.operator("seeker_p2")
    # Dense hidden traffic in a 1 x 1 degree box over one day.
    for i in range(60):
        lon, lat = 40 + rnd.random(), 30 + rnd.random()
        h = rnd.randrange(0, 20)
        v = circle(lon, lat, rnd.uniform(200, 4000), lower=rnd.choice([0, 1000, 3000]),
                   upper=rnd.choice([500, 2000, 6000]) + 6000,
                   start="2030-08-01T%02d:00:00Z" % h, end="2030-08-01T%02d:30:00Z" % (h + 1))
        assert hider.req("POST", "/v1/operations", {"volumes": [v]}).status == 201
    notices = seeker.req("GET", "/v1/notices?bbox=39,29,42,32&from=2030-08-01T00:00:00Z"
                                "&to=2030-08-02T00:00:00Z").json["notices"]
    assert len(notices) == 60
    approved = 0
    while approved < 1000:
        lon, lat = 39.9 + rnd.random() * 1.2, 29.9 + rnd.random() * 1.2
        radius = rnd.uniform(10, 1500)
        lo = rnd.choice([0, 3000, 6000, 12000, 13000])
        hi = lo + rnd.choice([100, 299, 900])
        h = rnd.randrange(0, 23)
        t0, t1 = "2030-08-01T%02d:%02d:00Z" % (h, rnd.randrange(60)), "2030-08-01T%02d:59:00Z" % h
        if t1 <= t0:
            continue
        # Degree extents of the circle, padded by 10 m.
        dlat = (radius + 10) / 110574.0
        dlon = (radius + 10) / (111319.0 * 0.85)
        if not box_outside(notices, lon, lat, dlon, dlat, lo, hi, t0, t1):
            continue
        r = seeker.req("POST", "/v1/operations",
                       {"volumes": [circle(lon, lat, radius, lo, hi, t0, t1)]})
        assert r.status == 201, (lon, lat, radius, lo, hi, t0, t1, r)
        approved += 1


# ---------------------------------------------------------------- blind vs exact probing

def probe_series(server, hidden_lat, hidden_lon, radius, probe_r, north_edge, start, end):
    """Submits probes north of the hidden volume; returns status by offset."""
    p = server.operator("prober_%d" % random.randrange(10 ** 9))
    out = {}
    for off in north_edge:
        lat = off
        r = p.req("POST", "/v1/operations", {"volumes": [
            circle(hidden_lon, lat, probe_r, start=start, end=end)]})
        assert r.status in (201, 409), r
        out[off] = r.status
    return out


def test_blind_answers_change_exactly_at_the_notice_boundary():
    s = Server(NO_PROBE_LIMIT)
    try:
        hider = s.operator("hidden_b1")
        prober = s.operator("prober_b2")
        answers = []
        # Two hidden volumes that share one notice envelope but sit 300 m apart.
        for k, dlat in enumerate((0.0, 0.0027)):
            start, end = "2030-09-0%dT10:00:00Z" % (k + 1), "2030-09-0%dT11:00:00Z" % (k + 1)
            hv = circle(44.005, 33.005 + dlat, 300, start=start, end=end)
            assert hider.req("POST", "/v1/operations", {"volumes": [hv]}).status == 201
            q = "/v1/notices?bbox=43,32,45,34&from=%s&to=%s" % (start, end)
            (n,) = prober.req("GET", q).json["notices"]
            lon0, lat0, lon1, lat1 = envelope_box(n)
            row = {}
            for off in (-30, -12, -8, 8, 12, 30):
                # Probe circle of 10 m: touches the edge when its centre is
                # within 10 m of it; off is the signed clearance in metres.
                lat = lat_north_of(lat1, off + 10) if off + 10 >= 0 else None
                if lat is None:
                    from dcserver import lat_south_of
                    lat = lat_south_of(lat1, -(off + 10))
                r = prober.req("POST", "/v1/operations", {"volumes": [
                    circle(44.005, lat, 10, start=start, end=end)]})
                row[off] = r.status
            answers.append(((lon0, lat0, lon1, lat1), row))
            assert row == {-30: 409, -12: 409, -8: 409, 8: 201, 12: 201, 30: 201}, row
        assert answers[0] == answers[1]  # the hidden position inside is not learnt
    finally:
        assert s.stop() == 0


def test_exact_answers_change_at_the_true_h_boundary():
    s = Server(dict(NO_PROBE_LIMIT, disclosure="exact"))
    try:
        hider = s.operator("hidden_e1")
        prober = s.operator("prober_e2")
        start, end = "2030-10-01T10:00:00Z", "2030-10-01T11:00:00Z"
        R, r_probe, H = 300.0, 10.0, 1852.0
        hv = circle(44.005, 33.005, R, start=start, end=end)
        assert hider.req("POST", "/v1/operations", {"volumes": [hv]}).status == 201
        for gap, want in ((H - 3, 409), (H - 1.5, 409), (H + 1.5, 201), (H + 3, 201),
                          (H + 400, 201)):
            lat = lat_north_of(33.005, R + r_probe + gap)
            r = prober.req("POST", "/v1/operations", {"volumes": [
                circle(44.005, lat, r_probe, start=start, end=end)]})
            assert r.status == want, (gap, r)
        # Blind mode would have refused the last one: it is inside the notice.
        (n,) = prober.req("GET", "/v1/notices?bbox=43,32,45,34&from=%s&to=%s" %
                          (start, end)).json["notices"]
        assert envelope_box(n)[3] > lat_north_of(33.005, R + r_probe + H + 400)
    finally:
        assert s.stop() == 0


# ---------------------------------------------------------------- atomicity, durability, audit

def test_concurrent_conflicting_submissions():
    s = Server(NO_PROBE_LIMIT)
    try:
        a, b = s.operator("conc_a"), s.operator("conc_b")
        results = []

        def submit(op, k):
            v = circle(30 + k * 0.5, 10, 1000, start="2030-11-01T10:00:00Z",
                       end="2030-11-01T11:00:00Z")
            results.append((k, op.req("POST", "/v1/operations", {"volumes": [v]}).status))

        threads = [threading.Thread(target=submit, args=(op, k)) for k in range(40)
                   for op in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for k in range(40):
            got = sorted(st for kk, st in results if kk == k)
            assert got == [201, 409], (k, got)
    finally:
        assert s.stop() == 0


def test_restart_and_kill9_keep_acknowledged_operations():
    s = Server(NO_PROBE_LIMIT)
    a, b = s.operator("dur_a"), s.operator("dur_b")
    acked = []
    stop = threading.Event()

    def writer(k0):
        k = k0
        while not stop.is_set() and k < k0 + 400:
            v = circle(20 + (k % 100) * 0.1, 40 + (k // 100) * 0.1, 500,
                       start="2030-12-01T10:00:00Z", end="2030-12-01T11:00:00Z")
            try:
                r = a.req("POST", "/v1/operations", {"volumes": [v]})
            except Exception:
                return
            if r.status == 201:
                acked.append(r.json["id"])
            k += 1

    threads = [threading.Thread(target=writer, args=(i * 400,)) for i in range(4)]
    for t in threads:
        t.start()
    while len(acked) < 200:
        pass
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    s.proc = None
    stop.set()
    for t in threads:
        t.join()
    s.start()
    have = {o["id"] for o in s.request("GET", "/v1/operations", s.authority_key).json["operations"]}
    assert set(acked) <= have
    # The engine was rebuilt: the same airspace is still taken.
    v = circle(20, 40, 500, start="2030-12-01T10:00:00Z", end="2030-12-01T11:00:00Z")
    assert b.req("POST", "/v1/operations", {"volumes": [v]}).status == 409
    assert s.stop() == 0
    out = subprocess.run([BIN, "audit", "verify", "--store", s.store], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_audit_route_and_tampering():
    s = Server(NO_PROBE_LIMIT)
    a, b = s.operator("aud_a"), s.operator("aud_b")
    v = circle(10, 10, 1000)
    oid = a.req("POST", "/v1/operations", {"volumes": [v]}).json["id"]
    assert b.req("POST", "/v1/operations", {"volumes": [v]}).status == 409  # rejection audited
    assert_error(a.req("GET", "/v1/audit"), 403)
    r = s.request("GET", "/v1/audit?limit=3", s.authority_key)
    assert r.status == 200 and len(r.json["entries"]) == 3 and r.json["next_after"] == 3
    r = s.request("GET", "/v1/audit?after=3&limit=1000", s.authority_key)
    actions = [e["entry"]["action"] for e in r.json["entries"]]
    assert "approve" in actions and "reject" in actions and "key_issue" in actions
    assert_error(s.request("GET", "/v1/audit?limit=0", s.authority_key), 400, "limit")
    assert_error(s.request("GET", "/v1/audit?after=-1", s.authority_key), 400, "after")
    assert s.stop() == 0
    verify = [BIN, "audit", "verify", "--store", s.store]
    assert subprocess.run(verify, capture_output=True).returncode == 0
    # One byte of one audit entry.
    db = sqlite3.connect(s.store)
    entry, = db.execute("SELECT entry FROM audit WHERE seq = 5").fetchone()
    i = entry.index('"time":') + 8
    db.execute("UPDATE audit SET entry = ? WHERE seq = 5",
               (entry[:i] + chr(ord(entry[i]) ^ 1) + entry[i + 1:],))
    db.commit()
    out = subprocess.run(verify, capture_output=True, text=True)
    assert out.returncode == 1 and "record 5" in out.stdout, out.stdout
    db.execute("UPDATE audit SET entry = ? WHERE seq = 5", (entry,))
    db.commit()
    assert subprocess.run(verify, capture_output=True).returncode == 0
    # One byte of an operation row.
    vols, = db.execute("SELECT volumes FROM entries WHERE id = ?", (oid,)).fetchone()
    db.execute("UPDATE entries SET volumes = ? WHERE id = ?", (vols.replace("1000", "1001", 1), oid))
    db.commit()
    out = subprocess.run(verify, capture_output=True, text=True)
    assert out.returncode == 1 and oid in out.stdout, out.stdout
    db.close()
    # No store at that path is not a broken chain: exit 2, not 1.
    out = subprocess.run([BIN, "audit", "verify", "--store", "/nonexistent/x.db"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "cannot open the store" in out.stderr, out.stderr


def test_init_refuses_an_initialised_store(srv):
    out = subprocess.run([BIN, "init", "--store", srv.store], capture_output=True, text=True)
    assert out.returncode == 1 and out.stdout == ""


def test_help():
    for cmd in (["serve"], ["init"], ["audit"]):
        assert subprocess.run([BIN] + cmd + ["--help"], capture_output=True).returncode == 0


# ---------------------------------------------------------------- blindness

def test_zz_blindness_scan_of_every_operator_response(srv):
    """Every response an operator got in this module: no other operator's
    name or id, and no operation id that is not its own."""
    everyone = srv.request("GET", "/v1/operators", srv.authority_key).json["operators"]
    all_ops = srv.request("GET", "/v1/operations", srv.authority_key).json["operations"]
    owner_of = {o["id"]: o["owner"]["id"] for o in all_ops}
    by_name = {o["name"]: o for o in everyone}
    scanned = 0
    for label, status, headers, text in RESPONSES:
        if label is None or label == "authority" or label not in by_name:
            continue
        me = by_name[label]
        blob = headers + text
        for other in everyone:
            if other["id"] == me["id"]:
                continue
            assert other["id"] not in blob, (label, status, text[:300])
            assert other["name"] not in blob, (label, status, text[:300])
        for oid in re.findall(r"op_[0-9a-f]{20}", blob):
            assert owner_of.get(oid) == me["id"], (label, oid)
        scanned += 1
    assert scanned > 100
