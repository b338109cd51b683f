"""Only real, own aircraft raise an operator's alerts (issue 13, item 1),
over real HTTP against the real binary: made-up tracks (not linked to a live
operation of the caller) and implausible ones (a jump, a climb no aircraft
makes) are kept for the authority's picture only and raise no operator
alert, neither to their poster nor to the operator they approach; reports
for an operation that is not live are refused (400); each operator's reports
per second are limited (429 with Retry-After) by operator, so rotating the
key does not refill the bucket; live tracks per operator are capped."""
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import Server  # noqa: E402
from test_tracks import alerts, circle_now, metric, post, rep, wait_for  # noqa: E402

TICK = 0.2
RATE = 200


@pytest.fixture(scope="module")
def srv():
    s = Server({"probe_limit": 0, "tick_s": TICK, "track_rate_per_s": RATE,
                "max_track_reports": 200, "max_tracks_per_operator": 40})
    yield s
    assert s.stop() == 0, "server did not shut down cleanly"


def raised(who, since=0):
    return [x for x in alerts(who, since) if x["kind"] == "raised"]


def auth_raised(srv, track):
    return [y for y in alerts(srv, key=srv.authority_key) if y["kind"] == "raised" and
            track in (y["a"]["track_id"], y["b"]["track_id"])]


def test_made_up_and_implausible_tracks_alert_the_authority_only(srv):
    victim, attacker = srv.operator("victim_ta1"), srv.operator("attacker_ta2")
    rv = victim.req("POST", "/v1/operations", {"volumes": [circle_now(40.0, 20.0, 20000)]})
    ra = attacker.req("POST", "/v1/operations", {"volumes": [circle_now(41.0, 20.0, 20000)]})
    assert rv.status == 201 and ra.status == 201, (rv, ra)
    v_op, a_op = rv.json["id"], ra.json["id"]
    for _ in range(3):
        now = time.time()
        assert post(victim, [rep("REAL-1", 20.0, 40.0, gs=0, t=now, op=v_op)]).status == 202
        # Made up: no operation; and a linked one that teleported 100 km.
        assert post(attacker, [rep("FAKE-1", 20.0, 40.02, gs=0, t=now)]).status == 202
        time.sleep(TICK * 1.5)
    now = time.time()
    assert post(attacker, [rep("JUMP-1", 20.0, 41.0, gs=0, t=now - 2, op=a_op)]).status == 202
    assert post(attacker, [rep("JUMP-1", 20.0, 40.03, gs=0, t=now, op=a_op)]).status == 202
    # A climb rate no aircraft flies, next to the victim too.
    assert post(attacker, [rep("CLIMB-1", 20.0, 39.98, vr=250, gs=0, t=now, op=a_op)]
                ).status == 202
    for track in ("FAKE-1", "JUMP-1", "CLIMB-1"):
        got = wait_for(lambda: auth_raised(srv, track))
        assert len(got) == 1, (track, got)
        assert got[0]["authority_only"] is True, got
    time.sleep(TICK * 3)
    assert raised(victim) == [] and raised(attacker) == [], (raised(victim), raised(attacker))
    victim.req("POST", "/v1/operations/%s/end" % v_op)
    attacker.req("POST", "/v1/operations/%s/end" % a_op)


def test_reports_for_an_operation_that_is_not_live_are_refused(srv):
    d = srv.operator("ender_ta3")
    r = d.req("POST", "/v1/operations", {"volumes": [circle_now(-50.0, -20.0, 20000)]})
    assert r.status == 201
    op = r.json["id"]
    assert d.req("POST", "/v1/operations/%s/end" % op).status == 200
    r = post(d, [rep("GONE-1", -20.0, -50.0, op=op)])
    assert r.status == 400 and r.json == {"error": "invalid", "field": "reports[0].operation_id",
                                          "reason": "operation is not live"}, r


def test_report_rate_is_per_operator_and_survives_key_rotation(srv):
    e = srv.operator("flooder_ta4")
    batch = [rep("RT-%03d" % i, -30.0, -60.0 + i * 0.001, gs=0) for i in range(RATE)]
    assert post(e, batch).status == 202
    r = post(e, batch)
    assert r.status == 429 and r.json["field"] == "reports", r
    assert int(r.headers["Retry-After"]) >= 1
    # Another operator is not held up.
    assert post(srv.operator("other_ta5"), batch[:10]).status == 202
    # A new key for the same operator starts from the same empty bucket.
    k = srv.request("POST", "/v1/operators/%s/keys" % e.id, srv.authority_key)
    assert k.status in (200, 201), k
    e.key = k.json["api_key"]
    r = post(e, batch)
    assert r.status == 429, r
    # The authority's surveillance is not limited.
    r = srv.request("POST", "/v1/tracks", srv.authority_key,
                    {"unknown": True, "reports": batch})
    assert r.status == 202, r


def test_live_tracks_per_operator_are_capped(srv):
    f = srv.operator("many_ta6")
    now = time.time()
    r = post(f, [rep("MANY-%03d" % i, 50.0, 50.0 + i * 0.01, gs=0, t=now) for i in range(100)])
    assert r.status == 202, r

    def mine():
        return [t for t in f.req("GET", "/v1/tracks").json["tracks"]]
    f.req("GET", "/v1/tracks")  # the view is fed from the next tick on
    wait_for(lambda: len(mine()) >= 40)
    time.sleep(TICK * 3)
    assert len(mine()) == 40
    assert metric(srv, "deconflict_track_reports_over_quota_total") >= 60
