"""The clock of operations over HTTP (issue 18; the rules themselves are
tested without HTTP in tests/airspace/test_time_rules.c): a plan that ends
in the past is refused naming its time_end; activation only from 5 minutes
before the window opens until it ends, by the API and by a first track
report alike; an operation whose window passes ends by itself (stored,
audited as the system's, version bumped). And a restriction reaches an
operator exactly as published, with its name."""
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import Server, circle  # noqa: E402
from test_tracks import wait_for  # noqa: E402


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@pytest.fixture(scope="module")
def srv():
    s = Server({"probe_limit": 0, "tick_s": 0.2})
    yield s
    assert s.stop() == 0, "server did not shut down cleanly"


@pytest.fixture(scope="module")
def a(srv):
    return srv.operator("planner_tq4")


def audit_of(srv, subject):
    r = srv.request("GET", "/v1/audit?limit=1000", srv.authority_key)
    return [e["entry"] for e in r.json["entries"] if e["entry"]["subject"] == subject]


def test_plan_in_the_past_is_refused(srv, a):
    now = int(time.time())
    old = circle(10.0, 10.0, 1000, start="2020-01-01T10:00:00Z", end="2020-01-01T12:00:00Z")
    r = a.req("POST", "/v1/operations", {"volumes": [old]})
    assert r.status == 400 and r.json["field"] == "volumes[0].time_end", r
    assert "future" in r.json["reason"]
    just = circle(10.0, 10.0, 1000, start=rfc3339(now - 3600), end=rfc3339(now - 1))
    r = a.req("POST", "/v1/operations", {"volumes": [just]})
    assert r.status == 400 and r.json["field"] == "volumes[0].time_end", r
    # A modification cannot move a plan into the past either.
    ok = circle(10.0, 10.0, 1000, start=rfc3339(now + 3600), end=rfc3339(now + 7200))
    r = a.req("POST", "/v1/operations", {"volumes": [ok]})
    assert r.status == 201, r
    r = a.req("PUT", "/v1/operations/" + r.json["id"], {"volumes": [old]},
              headers={"If-Match": '"1"'})
    assert r.status == 400 and r.json["field"] == "volumes[0].time_end", r


def test_activation_only_within_the_window(srv, a):
    now = int(time.time())
    later = circle(11.0, 10.0, 1000, start=rfc3339(now + 3600), end=rfc3339(now + 7200))
    oid = a.req("POST", "/v1/operations", {"volumes": [later]}).json["id"]
    r = a.req("POST", "/v1/operations/%s/activate" % oid)
    assert r.status == 409 and r.json["error"] == "outside_window", r
    assert r.json["field"] == "time_start" and rfc3339(now + 3600) in r.json["reason"], r
    # A first track report does not activate it either: it stays approved.
    rep = {"track_id": "EARLY-1", "time": time.time(), "lat": 10.0, "lon": 11.0, "alt_m": 1500,
           "ground_speed_mps": 50.0, "track_deg": 0.0, "vertical_rate_mps": 0.0,
           "operation_id": oid}
    assert a.req("POST", "/v1/tracks", {"reports": [rep]}).status == 202
    assert a.req("GET", "/v1/operations/" + oid).json["state"] == "approved"
    # Up to 5 minutes early is allowed.
    soon = circle(12.0, 10.0, 1000, start=rfc3339(now + 240), end=rfc3339(now + 3600))
    oid = a.req("POST", "/v1/operations", {"volumes": [soon]}).json["id"]
    r = a.req("POST", "/v1/operations/%s/activate" % oid)
    assert r.status == 200 and r.json["state"] == "active", r


def test_a_past_window_ends_by_itself(srv, a):
    now = int(time.time())
    short = circle(13.0, 10.0, 1000, start=rfc3339(now - 60), end=rfc3339(now + 2))
    r = a.req("POST", "/v1/operations", {"name": "short hop", "volumes": [short]})
    assert r.status == 201, r
    oid = r.json["id"]
    assert a.req("POST", "/v1/operations/%s/activate" % oid).json["state"] == "active"
    got = wait_for(lambda: (lambda o: o["state"] == "ended" and o)(
        a.req("GET", "/v1/operations/" + oid).json), timeout=10.0)
    assert got, a.req("GET", "/v1/operations/" + oid).json
    assert got["version"] == 3 and got["reason"] == "its time window ended", got
    assert got["name"] == "short hop"
    assert oid in [o["id"] for o in
                   a.req("GET", "/v1/operations?state=ended").json["operations"]]
    # The audit record is read from the store: it follows the commit.
    last = wait_for(lambda: (lambda e: e["action"] == "end" and e)(audit_of(srv, oid)[-1]))
    assert last and last["actor"] == "system", audit_of(srv, oid)
    assert last["detail"]["state"] == "ended" and last["detail"]["version"] == 3
    # Its airspace is free again, and it cannot be activated any more.
    r = a.req("POST", "/v1/operations/%s/activate" % oid)
    assert r.status == 409 and r.json["field"] == "state", r


def test_restrictions_reach_operators_exact_and_named(srv, a):
    now = int(time.time())
    zone = circle(44.366, 33.315, 30000, lower=0, upper=6000, start=rfc3339(now - 86400),
                  end=rfc3339(now + 86400 * 365))
    r = srv.request("POST", "/v1/restrictions", srv.authority_key,
                    {"name": "Baghdad", "volumes": [zone]})
    assert r.status == 201, r
    got = a.req("GET", "/v1/notices?bbox=43,32,46,35").json["notices"]
    rs = [n for n in got if n["kind"] == "restriction"]
    assert len(rs) == 1, got
    n = rs[0]
    assert n["name"] == "Baghdad"
    assert n["footprint"] == {"type": "Point", "coordinates": [44.366, 33.315],
                              "radius_m": 30000}, n
    assert (n["altitude_lower_m"], n["altitude_upper_m"]) == (0, 6000)
    assert n["time_start"] == zone["time_start"] and n["time_end"] == zone["time_end"]
    fc = a.req("GET", "/v1/notices?bbox=43,32,46,35&format=geojson").json["features"]
    assert [f["properties"]["name"] for f in fc if f["properties"]["kind"] == "restriction"] \
        == ["Baghdad"]
    for fmt in ("kml", "ed318"):
        r = a.req("GET", "/v1/notices?bbox=43,32,46,35&format=" + fmt)
        assert r.status == 200 and "Baghdad" in r.text, (fmt, r)


def test_imported_restriction_shows_its_published_name(srv, a):
    air = ("AC R\nAN Range Kilo\nAL GND\nAH FL100\nDP 10:00:00 S 020:00:00 W\n"
           "DP 10:10:00 S 020:00:00 W\nDP 10:10:00 S 020:10:00 W\n")
    r = srv.request("POST", "/v1/restrictions:import", srv.authority_key,
                    {"format": "openair", "content": air})
    assert r.status == 201, r
    got = a.req("GET", "/v1/notices?bbox=-21,-11,-19,-9").json["notices"]
    assert [n["name"] for n in got if n["kind"] == "restriction"] == ["Range Kilo"], got
