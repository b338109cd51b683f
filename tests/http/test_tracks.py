"""Tactical monitoring over real HTTP against the real binary: POST /v1/tracks
validation (all or nothing, fields named, 10,001 reports refused), a
converging pair of two operators alerted once to each side and cleared once,
blind (every byte an operator got, streams included, is scanned for the other
side's name, id, track id and operation id), conformance transitions with
their audit records, SSE with Last-Event-ID resume, and unknown traffic from
the authority. The tick is 0.2 s and conformance uses report times spread
over the last half minute, so the suite runs in seconds."""
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import RESPONSES, Server  # noqa: E402

TICK = 0.2
CONFIG = {"probe_limit": 0, "tick_s": TICK, "sse_heartbeat_s": 0.5}


@pytest.fixture(scope="module")
def srv():
    s = Server(CONFIG)
    yield s
    assert s.stop() == 0, "server did not shut down cleanly"


@pytest.fixture(scope="module")
def ops(srv):
    return srv.operator("coalition_tq4"), srv.operator("iran_tw8"), srv.operator("drones_tz2")


def rep(track, lat, lon, alt=5000, gs=200.0, trk=90.0, vr=0.0, t=None, op=None):
    r = {"track_id": track, "time": time.time() if t is None else t, "lat": lat, "lon": lon,
         "alt_m": alt, "ground_speed_mps": gs, "track_deg": trk, "vertical_rate_mps": vr}
    if op:
        r["operation_id"] = op
    return r


def post(who, reports, **extra):
    body = dict(extra, reports=reports)
    return who.req("POST", "/v1/tracks", body)


def circle_now(lon, lat, radius_m, lower=3000, upper=7000, hours=3):
    now = int(time.time())
    fmt = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
    return {"footprint": {"type": "Point", "coordinates": [lon, lat], "radius_m": radius_m},
            "altitude_lower_m": lower, "altitude_upper_m": upper,
            "time_start": fmt(now - 600), "time_end": fmt(now + hours * 3600)}


def alerts(who, since=0, key=None):
    if key:
        r = who.request("GET", "/v1/alerts?since=%d&limit=1000" % since, key, label="authority")
    else:
        r = who.req("GET", "/v1/alerts?since=%d&limit=1000" % since)
    assert r.status == 200, r
    return r.json["alerts"]


def wait_for(fn, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(TICK / 2)
    return fn()


def metric(srv, name):
    text = srv.request("GET", "/metrics", srv.authority_key).text
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


class Stream:
    """An SSE consumer on its own connection: every byte kept in .raw."""

    def __init__(self, server, key, last_event_id=None, label=None):
        u = urllib.parse.urlparse(server.url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        hdrs = {"Authorization": "Bearer " + key, "Accept": "text/event-stream"}
        if last_event_id is not None:
            hdrs["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/v1/alerts/stream", headers=hdrs)
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        assert self.resp.getheader("Content-Type").startswith("text/event-stream")
        self.raw = b""
        self.label = label
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while not self.done:
                chunk = self.resp.read1(65536)
                if not chunk:
                    break
                self.raw += chunk
        except Exception:  # closed under us
            pass

    def events(self):
        out = []
        for block in self.raw.decode().split("\n\n"):
            ev = {}
            for line in block.split("\n"):
                if line.startswith("id: "):
                    ev["id"] = int(line[4:])
                elif line.startswith("data: "):
                    ev["data"] = json.loads(line[6:])
            if "data" in ev:
                out.append(ev)
        return out

    def close(self):
        self.done = True
        try:
            self.conn.sock.shutdown(2)
        except OSError:
            pass
        self.conn.close()
        self.thread.join(5)
        if self.label:
            RESPONSES.append((self.label, 200, "", self.raw.decode()))


# ---------------------------------------------------------------- ingestion

def test_ingest_validation_all_or_nothing(srv, ops):
    a, b, _ = ops
    before = metric(srv, 'deconflict_track_reports_total{outcome="accepted"}')
    lat, lon = -40.0, -100.0
    r = post(a, [rep("V1", lat, lon), rep("V2", 91, lon)])
    assert r.status == 400 and r.json["field"] == "reports[1].lat", r
    r = post(a, [rep("V1", lat, lon), {k: v for k, v in rep("V2", lat, lon).items()
                                       if k != "track_deg"}])
    assert r.status == 400 and r.json["field"] == "reports[1].track_deg", r
    r = post(a, [rep("V1", lat, lon), rep("", lat, lon)])
    assert r.status == 400 and r.json["field"] == "reports[1].track_id", r
    r = post(a, [rep("V1", lat, lon, t=time.time() + 3600)])
    assert r.status == 400 and r.json["field"] == "reports[0].time", r
    assert post(a, []).status == 400
    r = a.req("POST", "/v1/tracks", raw=b"{", headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json["field"] == "body", r
    # Nothing of any refused batch was queued.
    assert metric(srv, 'deconflict_track_reports_total{outcome="accepted"}') == before
    # Unknown traffic is the authority's alone, and has no operation.
    r = post(a, [rep("R1", lat, lon)], unknown=True)
    assert r.status == 403 and r.json["field"] == "unknown", r
    r = srv.request("POST", "/v1/tracks", srv.authority_key,
                    {"unknown": True, "reports": [rep("R1", lat, lon, op="op_x")]})
    assert r.status == 400 and r.json["field"] == "reports[0].operation_id", r
    # Stale reports are dropped, not refused.
    r = post(a, [rep("V1", lat, lon, t=time.time() - 100), rep("V2", lat, lon + 1)])
    assert r.status == 202 and r.json == {"accepted": 1, "stale": 1}, r


def test_operation_id_must_be_the_callers_own(srv, ops):
    a, b, _ = ops
    r = b.req("POST", "/v1/operations", {"volumes": [circle_now(-60.0, -30.0, 20000)]})
    assert r.status == 201, r
    b_op = r.json["id"]
    theirs = post(a, [rep("V1", -30.0, -60.0), rep("V2", -30.0, -60.0, op=b_op)])
    nothing = post(a, [rep("V1", -30.0, -60.0), rep("V2", -30.0, -60.0,
                                                     op="op_" + "0" * 20)])
    assert theirs.status == nothing.status == 400
    assert theirs.json == nothing.json == {"error": "invalid", "field": "reports[1].operation_id",
                                           "reason": "unknown operation"}
    # The refused report did not activate b's operation either.
    assert b.req("GET", "/v1/operations/" + b_op).json["state"] == "approved"
    b.req("DELETE", "/v1/operations/" + b_op)


def test_batch_limits(srv, ops):
    a = ops[0]
    now = time.time()
    big = [rep("B%05d" % i, -45 + (i % 100) * 0.01, -120 + (i // 100) * 0.01, t=now)
           for i in range(10001)]
    r = post(a, big)
    assert r.status == 413 and r.json["field"] == "reports", r
    r = post(a, big[:10000])
    assert r.status == 202 and r.json["accepted"] == 10000, r
    wait_for(lambda: (metric(srv, "deconflict_live_tracks") or 0) >= 10000)
    assert metric(srv, "deconflict_live_tracks") >= 10000


# ---------------------------------------------------------------- pair alerts

def pair_alerts(who, since=0):
    return [x for x in alerts(who, since) if x["kind"] in ("raised", "cleared")]


def test_converging_pair_alerts_each_side_once_and_blind(srv, ops):
    a, b, _ = ops
    # Each operator's own operation around its own aircraft, well apart.
    ra = a.req("POST", "/v1/operations", {"volumes": [circle_now(39.8, 35.0, 30000)]})
    rb = b.req("POST", "/v1/operations", {"volumes": [circle_now(40.6, 35.0, 30000)]})
    assert ra.status == 201 and rb.status == 201, (ra, rb)
    a_op, b_op = ra.json["id"], rb.json["id"]
    sa = Stream(srv, a.key, label=a.name)
    sb = Stream(srv, b.key, label=b.name)
    a0, b0 = len(pair_alerts(a)), len(pair_alerts(b))
    auth0 = len(alerts(srv, key=srv.authority_key))
    # Head-on at the same altitude, 36 km apart, closing at 400 m/s.
    for _ in range(8):
        now = time.time()
        dt = 0.0
        ar = post(a, [rep("CQX-11", 35.0, 40.0, trk=90, t=now, op=a_op)])
        br = post(b, [rep("IZV-22", 35.0, 40.4, trk=270, t=now, op=b_op)])
        assert ar.status == 202 and br.status == 202, (ar, br)
        time.sleep(TICK * 1.5 + dt)
    ga = wait_for(lambda: pair_alerts(a)[a0:])
    gb = wait_for(lambda: pair_alerts(b)[b0:])
    # Raised once each, not every tick.
    assert [x["kind"] for x in ga] == ["raised"], ga
    assert [x["kind"] for x in gb] == ["raised"], gb
    x = ga[0]
    assert x["track_id"] == "CQX-11" and x["operation_id"] == a_op
    # An advisory, not a radar: a coarse picture and a turn for its own aircraft.
    assert x["intruder"] == {"sector": "E", "distance_band": "20-50 km", "vertical": "level"}, x
    assert x["los_now"] is False and x["t_los_s"] % 30 == 0 and 0 <= x["t_los_s"] < 90, x
    assert x["advisory"]["maneuver"] == "turn" and 10 <= x["advisory"]["turn_deg"] <= 90, x
    assert gb[0]["track_id"] == "IZV-22" and gb[0]["intruder"]["sector"] == "W"
    assert gb[0]["advisory"]["maneuver"] == "turn"
    # The operator views carry nothing of the other side, and no exact geometry.
    assert set(x) == {"seq", "kind", "alert", "time", "track_id", "operation_id", "intruder",
                      "t_los_s", "advisory", "los_now"}
    # The authority's names both operators and both tracks, with positions.
    auth = [y for y in alerts(srv, key=srv.authority_key)[auth0:] if y["kind"] == "raised"]
    assert len(auth) == 1, auth
    sides = {auth[0]["a"]["track_id"]: auth[0]["a"], auth[0]["b"]["track_id"]: auth[0]["b"]}
    assert sides["CQX-11"]["operator"] == {"id": a.id, "name": a.name}
    assert sides["IZV-22"]["operator"] == {"id": b.id, "name": b.name}
    assert sides["IZV-22"]["operation_id"] == b_op
    assert abs(sides["IZV-22"]["position"]["lon"] - 40.4) < 1e-6

    # They turn away from each other: cleared once, under the same alert ref.
    for _ in range(4):
        now = time.time()
        post(a, [rep("CQX-11", 35.0, 40.0, trk=270, t=now, op=a_op)])
        post(b, [rep("IZV-22", 35.0, 40.4, trk=90, t=now, op=b_op)])
        time.sleep(TICK * 1.5)
    ga = wait_for(lambda: len(pair_alerts(a)[a0:]) >= 2 and pair_alerts(a)[a0:])
    gb = wait_for(lambda: len(pair_alerts(b)[b0:]) >= 2 and pair_alerts(b)[b0:])
    assert [x["kind"] for x in ga] == ["raised", "cleared"], ga
    assert [x["kind"] for x in gb] == ["raised", "cleared"], gb
    assert ga[0]["alert"] == ga[1]["alert"] and ga[1]["track_id"] == "CQX-11"
    assert ga[0]["alert"] == gb[0]["alert"]

    # The streams carried the same records, and nothing of the other side.
    time.sleep(TICK * 2)
    sa.close()
    sb.close()
    kinds = [e["data"]["kind"] for e in sa.events() if e["data"]["kind"] in ("raised", "cleared")]
    assert kinds == ["raised", "cleared"], sa.raw
    for stream, other, track, op in ((sa, b, "IZV-22", b_op), (sb, a, "CQX-11", a_op)):
        for secret in (other.name, other.id, track, op):
            assert secret.encode() not in stream.raw, (secret, stream.raw[:400])
    for who, other, track, op in ((a, b, "IZV-22", b_op), (b, a, "CQX-11", a_op)):
        text = json.dumps(alerts(who))
        for secret in (other.name, other.id, track, op):
            assert secret not in text
    # Both operations became active with their first reports.
    assert a.req("GET", "/v1/operations/" + a_op).json["state"] == "active"
    a.req("POST", "/v1/operations/%s/end" % a_op)
    b.req("POST", "/v1/operations/%s/end" % b_op)


def test_unknown_traffic_alerts_the_operator(srv, ops):
    c = ops[2]
    c0 = len(pair_alerts(c))
    # Only an operator's own aircraft of a live operation raise its alerts.
    rc = c.req("POST", "/v1/operations", {"volumes": [circle_now(10.0, 20.0, 20000, lower=2000)]})
    assert rc.status == 201, rc
    for _ in range(3):
        now = time.time()
        assert post(c, [rep("DRN-7", 20.0, 10.0, alt=3000, gs=60, trk=0, t=now,
                            op=rc.json["id"])]).status == 202
        r = srv.request("POST", "/v1/tracks", srv.authority_key,
                        {"unknown": True, "reports": [rep("RDR-991", 20.05, 10.0, alt=3100,
                                                          gs=100, trk=180, t=now)]},
                        label="authority")
        assert r.status == 202, r
        time.sleep(TICK * 1.5)
    got = wait_for(lambda: pair_alerts(c)[c0:])
    assert [x["kind"] for x in got] == ["raised"], got
    assert got[0]["track_id"] == "DRN-7" and got[0]["intruder"]["sector"] in (None, "N"), got
    assert got[0]["intruder"]["vertical"] == "level" and "advisory" in got[0], got
    assert "RDR-991" not in json.dumps(got)
    auth = [y for y in alerts(srv, key=srv.authority_key) if y["kind"] == "raised" and
            "RDR-991" in (y["a"]["track_id"], y["b"]["track_id"])]
    assert len(auth) == 1
    unknown = auth[0]["a"] if auth[0]["a"]["track_id"] == "RDR-991" else auth[0]["b"]
    assert unknown["operator"] is None and unknown["operation_id"] is None


# ---------------------------------------------------------------- conformance

def audit_actions(srv, subject):
    out, after = [], 0
    while True:
        r = srv.request("GET", "/v1/audit?after=%d&limit=1000" % after, srv.authority_key)
        out += [(e["entry"]["action"], e["entry"]["actor"]) for e in r.json["entries"]
                if e["entry"]["subject"] == subject]
        if r.json["next_after"] is None:
            return out
        after = r.json["next_after"]


def test_conformance_transitions(srv, ops):
    a, b, _ = ops
    r = a.req("POST", "/v1/operations", {"volumes": [circle_now(30.0, 0.0, 10000)]})
    assert r.status == 201
    op = r.json["id"]
    n0 = len(alerts(a))
    auth0 = len(alerts(srv, key=srv.authority_key))
    b0 = len(alerts(b))
    now = time.time()
    inside, outside = (0.0, 30.0), (0.0, 30.5)  # centre; 55 km east

    def send(where, t):
        # Each report judged in a pass of its own: wait for two passes to
        # begin after the post (one may have started before it).
        n = metric(srv, "deconflict_tactical_pass_seconds_count")
        assert post(a, [rep("CQX-51", where[0], where[1], gs=0, t=t, op=op)]).status == 202
        assert wait_for(lambda: metric(srv, "deconflict_tactical_pass_seconds_count") >= n + 2)

    def state():
        return a.req("GET", "/v1/operations/" + op).json

    send(inside, now - 28)
    assert state()["state"] == "active"  # its first report activated it
    v_active = state()["version"]
    send(outside, now - 26)
    send(outside, now - 20)  # 6 s outside: not yet
    assert state()["state"] == "active"
    send(outside, now - 15)  # 11 s outside
    st = wait_for(lambda: state()["state"] == "nonconforming" and state())
    assert st and st["version"] == v_active + 1, st
    send(inside, now - 14)
    send(inside, now - 6)  # 8 s inside: not yet
    assert state()["state"] == "nonconforming"
    send(inside, now - 3)  # 11 s inside
    st = wait_for(lambda: state()["state"] == "active" and state())
    assert st and st["version"] == v_active + 2, st
    got = [x for x in alerts(a)[n0:]]
    assert [(x["kind"], x["track_id"], x["operation_id"]) for x in got] == [
        ("nonconforming", "CQX-51", op), ("conforming", "CQX-51", op)], got
    assert got[0]["operation_state"] == "nonconforming" and got[1]["operation_state"] == "active"
    auth = [y for y in alerts(srv, key=srv.authority_key)[auth0:]
            if y["kind"] in ("nonconforming", "conforming")]
    assert [(y["kind"], y["operator"]["id"]) for y in auth] == [
        ("nonconforming", a.id), ("conforming", a.id)], auth
    assert not [x for x in alerts(b)[b0:] if x["kind"] in ("nonconforming", "conforming")]
    acts = audit_actions(srv, op)
    assert ("activate", a.id) in acts
    assert acts[-2:] == [("nonconforming", "monitor"), ("active", "monitor")], acts
    a.req("POST", "/v1/operations/%s/end" % op)


# ---------------------------------------------------------------- streams

def test_sse_resume_with_last_event_id_and_heartbeat(srv, ops):
    c = ops[2]
    everything = alerts(c)
    assert len(everything) >= 1  # from the unknown-traffic test
    s = Stream(srv, c.key, last_event_id=0)
    time.sleep(1.2)  # at least one heartbeat at 0.5 s
    s.close()
    ids = [e["id"] for e in s.events()]
    assert ids == [x["seq"] for x in everything], (ids, everything)
    assert [e["data"] for e in s.events()] == everything
    assert b": heartbeat" in s.raw
    s = Stream(srv, c.key, last_event_id=ids[0])
    time.sleep(0.5)
    s.close()
    assert [e["id"] for e in s.events()] == ids[1:]
    # Without Last-Event-ID only what comes next.
    s = Stream(srv, c.key)
    time.sleep(0.3)
    s.close()
    assert s.events() == []
    r = c.req("GET", "/v1/alerts/stream", headers={"Last-Event-ID": "x"})
    assert r.status == 400 and r.json["field"] == "Last-Event-ID"
    r = c.req("GET", "/v1/alerts?since=-1")
    assert r.status == 400 and r.json["field"] == "since"


def test_stream_ends_when_its_key_is_revoked(srv):
    d = srv.operator("rotating_tk5")
    s = Stream(srv, d.key)
    r = srv.request("POST", "/v1/operators/%s/keys" % d.id, srv.authority_key, label="authority")
    assert r.status in (200, 201), r
    s.thread.join(5)  # the next heartbeat (0.5 s) finds the key revoked
    assert not s.thread.is_alive()
    s.close()


def test_alert_paging(srv, ops):
    a = ops[0]
    allx = alerts(a)
    assert len(allx) >= 4
    r = a.req("GET", "/v1/alerts?since=0&limit=2")
    assert [x["seq"] for x in r.json["alerts"]] == [1, 2] and r.json["next"] == 2
    r = a.req("GET", "/v1/alerts?since=%d" % r.json["next"])
    assert [x["seq"] for x in r.json["alerts"]] == [x["seq"] for x in allx[2:]]
    assert r.json["next"] == allx[-1]["seq"] and r.json["missed"] is False


def test_slow_consumer_never_blocks_detection(srv, ops):
    """A stream that reads nothing while alerts keep coming: ingestion and
    ticks go on (the pass counter advances, posts answer at once)."""
    c = ops[2]
    u = urllib.parse.urlparse(srv.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", "/v1/alerts/stream", headers={"Authorization": "Bearer " + c.key})
    resp = conn.getresponse()
    assert resp.status == 200
    passes0 = metric(srv, "deconflict_tactical_pass_seconds_count")
    end, i = time.time() + 2.0, 0
    while time.time() < end:
        t0 = time.time()
        assert post(c, [rep("SLOW-%d" % i, 25.0, 15.0 + i * 0.01, trk=0, t=time.time())]
                    ).status == 202
        assert time.time() - t0 < 1.0
        time.sleep(TICK)
        i += 1
    # 10 ticks of 0.2 s went by; a loaded machine may stretch some.
    assert metric(srv, "deconflict_tactical_pass_seconds_count") >= passes0 + 3
    conn.close()


def test_track_view_is_seeded_on_first_read(srv, ops):
    """GET /v1/tracks's view is fed only while read; the first read after a
    pause seeds it from the whole track table at the next tick."""
    c = ops[2]
    assert post(c, [rep("VIEW-1", 22.0, 12.0, gs=0, t=time.time() + 20)]).status == 202
    time.sleep(TICK * 2.5)
    c.req("GET", "/v1/tracks")
    got = wait_for(lambda: [t for t in c.req("GET", "/v1/tracks").json["tracks"]
                            if t["track_id"] == "VIEW-1"])
    assert got and got[0]["lat"] == 22.0, got


def test_zz_blindness_scan_of_every_operator_response(srv, ops):
    """Every response and stream byte an operator got in this module: no
    other operator's name or id, no operation id but its own."""
    everyone = srv.request("GET", "/v1/operators", srv.authority_key).json["operators"]
    all_ops = srv.request("GET", "/v1/operations", srv.authority_key).json["operations"]
    owner_of = {o["id"]: o["owner"]["id"] for o in all_ops}
    mine = {o.name for o in ops}
    by_name = {o["name"]: o for o in everyone}
    scanned = 0
    for label, status, headers, text in RESPONSES:
        if label not in mine:
            continue
        me = by_name[label]
        blob = headers + text
        for other in everyone:
            if other["id"] != me["id"]:
                assert other["id"] not in blob and other["name"] not in blob, (label, text[:300])
        for oid in re.findall(r"op_[0-9a-f]{20}", blob):
            assert owner_of.get(oid) in (me["id"], None), (label, oid)
        scanned += 1
    assert scanned > 30


# ---------------------------------------------------------------- finite numbers

def strict_json(text):
    def refuse(name):
        raise ValueError("non-finite number %s in %r" % (name, text[:200]))
    return json.loads(text, parse_constant=refuse)


def test_same_velocity_pairs_answer_finite_json(srv, ops):
    """Stationary and formation pairs are in loss of separation for ever: the
    end of the loss is null, and GET /v1/alerts stays JSON for everyone."""
    a, b, _ = ops
    ra = a.req("POST", "/v1/operations", {"volumes": [circle_now(50.0, -10.0, 30000, upper=9000)]})
    rb = b.req("POST", "/v1/operations", {"volumes": [circle_now(50.8, -10.0, 30000, upper=9000)]})
    assert ra.status == 201 and rb.status == 201, (ra, rb)
    a_op, b_op = ra.json["id"], rb.json["id"]
    auth0 = len(alerts(srv, key=srv.authority_key))
    for _ in range(3):
        now = time.time()
        # Stationary pair, 1.8 km apart; a formation 2 km apart at 150 m/s.
        assert post(a, [rep("FIN-S1", -10.0, 50.0, gs=0, t=now, op=a_op),
                        rep("FIN-F1", -10.1, 50.0, alt=8000, gs=150, trk=45, t=now, op=a_op)]
                    ).status == 202
        assert post(b, [rep("FIN-S2", -10.0, 50.0166, gs=0, t=now, op=b_op),
                        rep("FIN-F2", -10.1, 50.018, alt=8000, gs=150, trk=45, t=now, op=b_op)]
                    ).status == 202
        time.sleep(TICK * 1.5)
    got = wait_for(lambda: [y for y in alerts(srv, key=srv.authority_key)[auth0:]
                            if y["kind"] == "raised" and y["a"]["track_id"].startswith("FIN")])
    assert len(got) == 2, got
    for y in got:
        if y["a"]["track_id"] == "FIN-S1" or y["b"]["track_id"] == "FIN-S1":
            assert y["t_out_s"] is None, y
        else:  # the earth's curvature leaves a formation a tiny relative speed
            assert y["t_out_s"] is None or y["t_out_s"] > 300, y
    for who, key in ((srv, srv.authority_key), (a, None), (b, None)):
        r = who.request("GET", "/v1/alerts?since=0&limit=1000", key) if key else \
            who.req("GET", "/v1/alerts?since=0&limit=1000")
        assert r.status == 200
        strict_json(r.text)
    a.req("POST", "/v1/operations/%s/end" % a_op)
    b.req("POST", "/v1/operations/%s/end" % b_op)
