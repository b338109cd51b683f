"""A strict API (issue 18): an unknown member anywhere in a request body is
refused with 400 naming its path, a missing one says "is required", an
operation above the ceiling is refused in words that mention feet, a 409
names which of the caller's own volumes conflicted, and a 405 carries Allow.
Real HTTP against the real binary."""
import copy
import json
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import BIN, Server, circle  # noqa: E402


@pytest.fixture(scope="module")
def srv():
    """One server for the module; no probing limit, as most answers here are refusals."""
    s = Server({"probe_limit": 0})
    try:
        yield s
    finally:
        assert s.stop() == 0, "server did not shut down cleanly"


@pytest.fixture(scope="module")
def ops(srv):
    return srv.operator("strict_a"), srv.operator("strict_b")


def refused(r, field, reason="unknown field"):
    assert r.status == 400, r
    assert r.json["error"] == "invalid" and r.json["field"] == field, r
    assert reason in r.json["reason"], r


def vol(**kw):
    return circle(44.0, 30.0, 1000, start="2030-05-01T10:00:00Z", end="2030-05-01T11:00:00Z", **kw)


def astm_vol():
    return {"volume": {"outline_circle": {"center": {"lat": 30.0, "lng": 44.5},
                                          "radius": {"value": 500, "units": "M"}},
                       "altitude_lower": {"value": 100, "reference": "W84", "units": "M"},
                       "altitude_upper": {"value": 200, "reference": "W84", "units": "M"}},
            "time_start": {"value": "2030-05-02T10:00:00Z", "format": "RFC3339"},
            "time_end": {"value": "2030-05-02T11:00:00Z", "format": "RFC3339"}}


def feature_vol():
    return {"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [44.9, 30.0]},
            "properties": {"radius_m": 400, "altitude_lower_m": 100, "altitude_upper_m": 200,
                           "time_start": "2030-05-03T10:00:00Z",
                           "time_end": "2030-05-03T11:00:00Z"}}


def test_typo_at_the_top_is_refused_and_nothing_stored(srv, ops):
    a, _ = ops
    before = len(a.req("GET", "/v1/operations").json["operations"])
    r = a.req("POST", "/v1/operations", {"volumes": [vol()], "priorty": 90})
    refused(r, "priorty")
    assert len(a.req("GET", "/v1/operations").json["operations"]) == before


def test_unknown_fields_at_every_level_are_named(srv, ops):
    a, _ = ops
    cases = []
    v = vol(); v["altitude_uper_m"] = 5
    cases.append((v, "volumes[0].altitude_uper_m"))
    v = vol(); v["footprint"]["radius"] = 5
    cases.append((v, "volumes[0].footprint.radius"))
    v = vol(); v["footprint"]["half_width_m"] = 5  # a circle has no half width
    cases.append((v, "volumes[0].footprint.half_width_m"))
    v = astm_vol(); v["volume"]["outline_circle"]["radius"]["unit"] = "M"
    cases.append((v, "volumes[0].volume.outline_circle.radius.unit"))
    v = astm_vol(); v["volume"]["altitude_lower"]["datum"] = "W84"
    cases.append((v, "volumes[0].volume.altitude_lower.datum"))
    v = astm_vol(); v["time_end"]["fmt"] = "RFC3339"
    cases.append((v, "volumes[0].time_end.fmt"))
    v = astm_vol(); v["volume"]["outline_radius"] = 1
    cases.append((v, "volumes[0].volume.outline_radius"))
    v = feature_vol(); v["properties"]["altitude_uper_m"] = v["properties"].pop("altitude_upper_m")
    cases.append((v, "volumes[0].properties.altitude_upper_m"))  # free-form, but required
    v = feature_vol(); v["geomtry"] = {}
    cases.append((v, "volumes[0].geomtry"))
    for bad, field in cases:
        refused(a.req("POST", "/v1/operations", {"volumes": [bad]}), field,
                "is required" if "properties" in field else "unknown field")
    # The same members, spelled right, are approved: the forms are accepted.
    for good in (vol(), astm_vol(), feature_vol()):
        r = a.req("POST", "/v1/operations", {"volumes": [good], "priority": 10, "name": "ok"})
        assert r.status == 201, r


def test_modify_restriction_operator_and_tracks_bodies_are_strict(srv, ops):
    a, _ = ops
    r = a.req("POST", "/v1/operations", {"volumes": [vol(lower=3000, upper=3100)]})
    assert r.status == 201, r
    oid, ver = r.json["id"], r.json["version"]
    refused(a.req("PUT", "/v1/operations/" + oid, {"volumes": [vol()], "overide": True},
                  headers={"If-Match": '"%d"' % ver}), "overide")
    auth = srv.authority_key
    refused(srv.request("POST", "/v1/restrictions", auth,
                        {"name": "R", "volumes": [vol()], "exmpt": []}), "exmpt")
    refused(srv.request("POST", "/v1/operators", auth, {"name": "x_y", "role": "operator"}),
            "role")
    refused(srv.request("POST", "/v1/restrictions:import", auth,
                        {"format": "openair", "content": "", "dryrun": True}), "dryrun")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rep = {"track_id": "T1", "time": now, "lat": 30, "lon": 44, "alt_m": 1000,
           "ground_speed_mps": 100, "track_deg": 90, "vertical_rate_mps": 0}
    refused(a.req("POST", "/v1/tracks", {"reports": [rep], "unknwn": False}), "unknwn")
    bad = dict(rep, heading_deg=90)
    refused(a.req("POST", "/v1/tracks", {"reports": [bad]}), "reports[0].heading_deg")
    missing = dict(rep)
    del missing["ground_speed_mps"]
    refused(a.req("POST", "/v1/tracks", {"reports": [missing]}),
            "reports[0].ground_speed_mps", "is required")
    refused(a.req("POST", "/v1/tracks", {}), "reports", "is required")


def test_notices_without_bbox_say_it_is_required(srv, ops):
    refused(ops[0].req("GET", "/v1/notices"), "bbox", "is required")


def test_ceiling_refuses_feet_typed_as_metres(srv, ops):
    a, _ = ops
    r = a.req("POST", "/v1/operations", {"volumes": [vol(), vol(lower=25000, upper=30000)]})
    refused(r, "volumes[1].altitude_upper_m", "ceiling 20000 m (65617 ft)")
    assert "feet" in r.json["reason"] and "30000" in r.json["reason"], r
    # FL500 = 15240 m is below the ceiling; altitude_upper_ft is accepted.
    v = vol()
    del v["altitude_lower_m"], v["altitude_upper_m"]
    v.update(altitude_lower_fl=400, altitude_upper_fl=500)
    assert a.req("POST", "/v1/operations", {"volumes": [v]}).status == 201
    # The host's restrictions are not capped (published airspace reaches FL660).
    r = srv.request("POST", "/v1/restrictions", srv.authority_key,
                    {"name": "high", "volumes": [circle(10, -40, 500, lower=0, upper=21000,
                                                        start="2030-05-01T00:00:00Z",
                                                        end="2030-05-02T00:00:00Z")]})
    assert r.status == 201, r


def test_ceiling_is_configurable(tmp_path):
    s = Server({"ceiling_m": 5000})
    try:
        o = s.operator("ceil_a")
        refused(o.req("POST", "/v1/operations", {"volumes": [vol(lower=100, upper=6000)]}),
                "volumes[0].altitude_upper_m", "ceiling 5000 m (16404 ft)")
        assert o.req("POST", "/v1/operations", {"volumes": [vol(lower=100, upper=4000)]}).status \
            == 201
    finally:
        assert s.stop() == 0
    # A typo in the config file is refused naming the key.
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"ceiling_metres": 5000}))
    out = subprocess.run([BIN, "serve", "--store", str(tmp_path / "s.db"), "--config", str(cfg)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "ceiling_metres" in out.stderr, out.stderr


def test_conflict_names_the_candidate_volume(srv, ops):
    a, b = ops
    mine = circle(46.0, 31.0, 2000, start="2030-06-01T10:00:00Z", end="2030-06-01T11:00:00Z")
    assert a.req("POST", "/v1/operations", {"volumes": [mine]}).status == 201
    clear = circle(20.0, -30.0, 500, start="2030-06-01T10:00:00Z", end="2030-06-01T11:00:00Z")
    r = b.req("POST", "/v1/operations", {"volumes": [clear, copy.deepcopy(clear), mine]})
    assert r.status == 409, r
    (n,) = r.json["conflicts"]
    assert n["candidate_volume"] == 2 and n["candidate_volumes"] == [2], n
    assert "volumes[2]" in r.json["reason"], r
    # Nothing of a's: no operator name or id, no operation id.
    assert a.id not in r.text and a.name not in r.text


def test_405_names_the_allowed_methods(srv, ops):
    a, _ = ops
    r = a.req("PATCH", "/v1/operations")
    assert r.status == 405, r
    assert set(m.strip() for m in r.headers["Allow"].split(",")) == {"GET", "POST"}, r.headers
    assert "GET" in r.json["reason"] and r.json["field"] == "method", r
    r = a.req("PUT", "/v1/notices")
    assert r.status == 405 and r.headers["Allow"] == "GET", r.headers
    r = srv.request("DELETE", "/healthz")
    assert r.status == 405 and r.headers["Allow"] == "GET", r.headers
