"""An operator's aircraft tied to the host's surveillance by Mode S address
(issue 16, docs/feeds.md), over real HTTP against the real binary with a live
SBS-1 feed served by this test on 127.0.0.1 (ports 28000-28999):

- the authority registers addresses to operators (PUT/GET
  /v1/operators/{id}/mode_s); an address is one operator's: registering A's
  to B is refused; an operator reads its own register only;
- an operation declares only addresses registered to its submitter: an
  unregistered address and another operator's get the same 400 naming
  mode_s[i], so the answer never tells whether someone else holds it;
- the feed reports A's declared address outside A's active operation: A gets
  the nonconforming alert on track "modes:<address>", the authority sees it
  tied (A's track linked to the operation, its alert "per" surveillance),
  B sees nothing; an undeclared address stays the authority's unknown
  traffic; no one may post a "modes:" track id;
- the register and the declaration survive a restart.
"""
import os
import socket
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import Server  # noqa: E402

TICK = 0.2


class SbsFeed:
    """Serves SBS-1 MSG,3 lines (position and altitude) of the aircraft in
    self.aircraft to every connection, five times a second, as dump1090
    serves port 30003."""

    def __init__(self, port):
        self.aircraft = {}  # hex -> (lat, lon, alt_ft)
        self.stop = False
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", port))  # 0: the kernel picks a free one
        self.port = self.srv.getsockname()[1]
        self.srv.listen(4)
        self.srv.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            while not self.stop:
                now = time.time()
                d = time.strftime("%Y/%m/%d", time.gmtime(now))
                t = time.strftime("%H:%M:%S", time.gmtime(now)) + ".%03d" % (now % 1 * 1000)
                lines = "".join(
                    "MSG,3,1,1,%s,1,%s,%s,%s,%s,,%d,,,%.5f,%.5f,,,0,0,0,0\r\n" %
                    (h, d, t, d, t, alt, lat, lon)
                    for h, (lat, lon, alt) in list(self.aircraft.items()))
                if lines:
                    conn.sendall(lines.encode())
                time.sleep(0.2)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop = True
        self.srv.close()


@pytest.fixture(scope="module")
def feed():
    f = SbsFeed(0)
    yield f
    f.close()


@pytest.fixture(scope="module")
def srv(feed):
    s = Server({"probe_limit": 0, "tick_s": TICK, "conf_dwell_s": 1,
                "feeds": [{"name": "adsb", "type": "sbs",
                           "connect": "127.0.0.1:%d" % feed.port}]})
    yield s
    assert s.stop() == 0, "server did not shut down cleanly"


@pytest.fixture(scope="module")
def ops(srv):
    return srv.operator("tied_a"), srv.operator("other_b")


def auth(srv, method, path, body=None):
    return srv.request(method, path, srv.authority_key, body, label="authority")


def circle_now(lon, lat, radius_m, lower=3000, upper=7000):
    now = int(time.time())
    fmt = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
    return {"footprint": {"type": "Point", "coordinates": [lon, lat], "radius_m": radius_m},
            "altitude_lower_m": lower, "altitude_upper_m": upper,
            "time_start": fmt(now - 600), "time_end": fmt(now + 3 * 3600)}


def wait_for(fn, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(TICK)
    return fn()


def alerts(who):
    r = who.req("GET", "/v1/alerts?limit=1000")
    assert r.status == 200, r
    return r.json["alerts"]


def test_register_is_the_authoritys_and_one_operators(srv, ops):
    a, b = ops
    path = "/v1/operators/%s/mode_s" % a.id
    r = auth(srv, "PUT", path, {"addresses": ["abc123", "ABC12F"]})
    assert r.status == 200 and r.json == {"operator": a.id, "addresses": ["ABC123", "ABC12F"]}, r
    r = auth(srv, "PUT", path, {"addresses": ["ABC123"]})  # replaces the set
    assert r.status == 200 and r.json["addresses"] == ["ABC123"], r
    assert auth(srv, "GET", path).json["addresses"] == ["ABC123"]
    assert a.req("GET", path).json["addresses"] == ["ABC123"]  # its own
    assert b.req("GET", path).status == 404  # not another's
    assert a.req("PUT", path, {"addresses": ["ABC124"]}).status == 403
    for bad in (["ABC12"], ["ABC1234"], ["GHIJKL"], [123456], ["ABC124", "abc124"]):
        r = auth(srv, "PUT", path, {"addresses": bad})
        assert r.status == 400 and r.json["field"].startswith("addresses["), (bad, r)
    assert auth(srv, "PUT", path, {"addresses": "ABC123"}).status == 400
    assert auth(srv, "PUT", path, {"addresses": ["ABC123"], "extra": 1}).status == 400
    # A's address cannot be registered to B as well.
    r = auth(srv, "PUT", "/v1/operators/%s/mode_s" % b.id, {"addresses": ["ABC129", "ABC123"]})
    assert r.status == 409 and r.json["field"] == "addresses[1]", r
    assert auth(srv, "GET", "/v1/operators/%s/mode_s" % b.id).json["addresses"] == []
    assert auth(srv, "PUT", "/v1/operators/opr_nosuch/mode_s", {"addresses": []}).status == 404
    r = auth(srv, "GET", "/v1/audit?limit=1000")
    assert [e for e in r.json["entries"] if e["entry"]["action"] == "mode_s_register" and
            e["entry"]["subject"] == a.id], r


def test_declaring_needs_the_address_registered_to_you(srv, ops):
    a, b = ops
    vol = [circle_now(30.0, 0.0, 10000)]
    # B declares A's address; A declares an address nobody holds: the same words.
    rb = b.req("POST", "/v1/operations", {"volumes": vol, "mode_s": ["ABC123"]})
    ra = a.req("POST", "/v1/operations", {"volumes": vol, "mode_s": ["ABC124"]})
    for r in (rb, ra):
        assert r.status == 400 and r.json["field"] == "mode_s[0]", r
    assert rb.json == ra.json, (rb.json, ra.json)
    assert "not registered to you" in ra.json["reason"]
    assert "ABC123" not in rb.text and a.id not in rb.text
    r = a.req("POST", "/v1/operations", {"volumes": vol, "mode_s": ["ZZZ"]})
    assert r.status == 400 and r.json["field"] == "mode_s[0]", r
    r = a.req("POST", "/v1/operations", {"volumes": vol, "mode_s": "ABC123"})
    assert r.status == 400 and r.json["field"] == "mode_s", r
    # Nothing was approved by any of these.
    assert not a.req("GET", "/v1/operations").json["operations"]
    assert not b.req("GET", "/v1/operations").json["operations"]


def test_feed_track_is_tied_and_judged_on_what_the_host_sees(srv, ops, feed):
    a, b = ops
    r = a.req("POST", "/v1/operations",
              {"volumes": [circle_now(30.0, 0.0, 10000)], "mode_s": ["ABC123"]})
    assert r.status == 201 and r.json["mode_s"] == ["ABC123"], r
    op = r.json["id"]
    a0, b0 = len(alerts(a)), len(alerts(b))
    auth0 = len(auth(srv, "GET", "/v1/alerts?limit=1000").json["alerts"])

    def authority_tracks():
        return {t["track_id"]: t for t in auth(srv, "GET", "/v1/tracks").json["tracks"]}
    # The host sees A's aircraft 55 km east of its volume, at 5,000 m; and
    # another aircraft nobody declared. Before the operation is active A's
    # aircraft is unknown traffic like any other.
    feed.aircraft["ABC123"] = (0.0, 30.5, 16404)
    feed.aircraft["DEF456"] = (0.0, 31.0, 16404)
    before = wait_for(lambda: authority_tracks().get("ABC123"))
    assert before and before["operator"] is None and "operation_id" not in before, before
    assert "modes:ABC123" not in authority_tracks()
    assert a.req("POST", "/v1/operations/%s/activate" % op).status == 200

    def nonconforming():
        return [x for x in alerts(a)[a0:] if x["kind"] == "nonconforming"]
    got = wait_for(nonconforming)
    assert got, alerts(a)[a0:]
    x = got[0]
    assert (x["track_id"], x["operation_id"], x.get("per")) == ("modes:ABC123", op,
                                                                "surveillance"), x
    assert a.req("GET", "/v1/operations/" + op).json["state"] == "nonconforming"
    mine = auth(srv, "GET", "/v1/alerts?limit=1000").json["alerts"][auth0:]
    nc = [y for y in mine if y["kind"] == "nonconforming"]
    assert nc and nc[0]["operator"]["id"] == a.id and nc[0]["per"] == "surveillance", mine
    assert nc[0]["track_id"] == "modes:ABC123" and nc[0]["operation_id"] == op
    # The authority's picture: the tie, and the other aircraft as unknown traffic.
    tracks = wait_for(lambda: "modes:ABC123" in authority_tracks() and authority_tracks())
    tied = tracks["modes:ABC123"]
    assert tied["operator"]["id"] == a.id and tied["operation_id"] == op, tied
    assert abs(tied["lat"] - 0.0) < 1e-6 and abs(tied["lon"] - 30.5) < 1e-6, tied
    unknown = wait_for(lambda: authority_tracks().get("DEF456"))
    assert unknown["operator"] is None and "operation_id" not in unknown
    # A sees its own aircraft; B nothing of either, in alerts or tracks.
    assert "modes:ABC123" in {t["track_id"] for t in a.req("GET", "/v1/tracks").json["tracks"]}
    assert "DEF456" not in a.req("GET", "/v1/tracks").text
    rb = b.req("GET", "/v1/tracks")
    assert "ABC123" not in rb.text and "DEF456" not in rb.text and op not in rb.text
    assert not [x for x in alerts(b)[b0:] if x["kind"] in ("nonconforming", "conforming")]
    for x in alerts(b)[b0:]:
        assert "ABC123" not in str(x) and op not in str(x), x
    feeds = auth(srv, "GET", "/v1/feeds").json["feeds"]
    assert feeds[0]["tied"] > 0, feeds
    assert 'deconflict_feed_tied_total{feed="adsb",type="sbs"}' in \
        auth(srv, "GET", "/metrics").text
    # The unknown track of before the tie is the same aircraft, not an intruder.
    assert not [x for x in alerts(a)[a0:] if x["kind"] == "raised"], alerts(a)[a0:]
    assert not [y for y in auth(srv, "GET", "/v1/alerts?limit=1000").json["alerts"][auth0:]
                if y["kind"] == "raised"]
    # The audit says why the operation changed state.
    r = auth(srv, "GET", "/v1/audit?limit=1000")
    why = [e["entry"] for e in r.json["entries"] if e["entry"]["subject"] == op and
           e["entry"]["action"] == "nonconforming"]
    assert why and "per surveillance" in str(why[-1]), why
    # Back inside: conforming again, on the host's word.
    feed.aircraft["ABC123"] = (0.0, 30.0, 16404)
    assert wait_for(lambda: a.req("GET", "/v1/operations/" + op).json["state"] == "active")
    feed.aircraft.clear()


def test_surveillance_track_ids_cannot_be_posted(srv, ops):
    a, _ = ops
    ops_a = a.req("GET", "/v1/operations?state=active").json["operations"]
    rep = {"track_id": "modes:ABC123", "time": time.time(), "lat": 0.0, "lon": 30.0,
           "alt_m": 5000, "ground_speed_mps": 0, "track_deg": 0, "vertical_rate_mps": 0}
    if ops_a:
        rep["operation_id"] = ops_a[0]["id"]
    r = a.req("POST", "/v1/tracks", {"reports": [rep]})
    assert r.status == 400 and r.json["field"] == "reports[0].track_id", r
    rep.pop("operation_id", None)
    r = auth(srv, "POST", "/v1/tracks", {"reports": [rep]})
    assert r.status == 400, r


def test_register_and_declaration_survive_a_restart(srv, ops):
    a, _ = ops
    srv.restart()
    assert auth(srv, "GET", "/v1/operators/%s/mode_s" % a.id).json["addresses"] == ["ABC123"]
    declared = [o for o in a.req("GET", "/v1/operations").json["operations"] if "mode_s" in o]
    assert declared and declared[0]["mode_s"] == ["ABC123"], declared
