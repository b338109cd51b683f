"""Per-recipient alert rings over real HTTP (issue 13, item 4): with a ring
of 16 records, one operator's flood of alerts evicts only its own records;
another operator's record stays, and its cursor is not `missed`."""
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import Server  # noqa: E402
from test_tracks import alerts, circle_now, post, rep, wait_for  # noqa: E402

TICK = 0.2


@pytest.fixture(scope="module")
def srv():
    s = Server({"probe_limit": 0, "tick_s": TICK, "alert_ring": 16})
    yield s
    assert s.stop() == 0, "server did not shut down cleanly"


def unknown(srv, track, lat, lon, t):
    r = srv.request("POST", "/v1/tracks", srv.authority_key,
                    {"unknown": True, "reports": [rep(track, lat, lon, gs=0, t=t)]})
    assert r.status == 202, r


def test_flood_does_not_evict_another_operators_alerts(srv):
    victim, flooder = srv.operator("victim_rq1"), srv.operator("flooder_rq2")
    rv = victim.req("POST", "/v1/operations", {"volumes": [circle_now(30.0, 10.0, 20000)]})
    rf = flooder.req("POST", "/v1/operations", {"volumes": [circle_now(31.0, 10.0, 20000)]})
    assert rv.status == 201 and rf.status == 201, (rv, rf)
    now = time.time()
    # The victim's one alert: its aircraft near unknown traffic.
    assert post(victim, [rep("VIC-1", 10.0, 30.0, gs=0, t=now, op=rv.json["id"])]).status == 202
    unknown(srv, "RDR-V", 10.0, 30.02, now)
    got = wait_for(lambda: [x for x in alerts(victim) if x["kind"] == "raised"])
    assert len(got) == 1, got
    # The flood: 60 of the flooder's aircraft among 60 unknown contacts (an
    # intruder gives advisories to at most 2 of one operator's tracks).
    now = time.time()
    r = srv.request("POST", "/v1/tracks", srv.authority_key,
                    {"unknown": True, "reports": [rep("RDR-F%02d" % i, 10.0 + i * 1e-4, 31.0,
                                                      gs=0, t=now) for i in range(60)]})
    assert r.status == 202, r
    assert post(flooder, [rep("FLD-%02d" % i, 10.0 + i * 1e-4, 31.01, gs=0, t=now,
                              op=rf.json["id"]) for i in range(60)]).status == 202
    wait_for(lambda: flooder.req("GET", "/v1/alerts?since=0").json["missed"])
    r = flooder.req("GET", "/v1/alerts?since=0&limit=1000")
    assert r.json["missed"] is True and len(r.json["alerts"]) == 16, r.json
    # The victim lost nothing, and is not told of the flood.
    r = victim.req("GET", "/v1/alerts?since=0&limit=1000")
    assert r.status == 200 and r.json["missed"] is False, r.json
    assert [x["seq"] for x in r.json["alerts"]] == [1], r.json
    assert r.json["alerts"][0]["track_id"] == "VIC-1"
