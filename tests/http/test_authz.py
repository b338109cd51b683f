"""Authorization matrix (issue 7): every route and method the server lists
(`deconflict serve --list-routes`) x {no key, malformed key, revoked key,
operator A, operator B, authority}, each cell on fresh resources owned by A:
the expected status; B reaching A's resources gets the same 404 as a
nonexistent id; and nothing A receives (bodies, headers, error messages,
the alert stream) holds B's name, operator id, operation ids and names,
track ids or exact coordinates (and the reverse).

A route the table below does not know fails the test: add its row (what it
needs and who may use it) when adding the route."""
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import BIN, Server  # noqa: E402

PRINCIPALS = ("none", "malformed", "revoked", "A", "B", "authority")
TICK = 0.2
# B flies at coordinates no grid, notice or rounding produces: their digits
# must never reach A. Same for A's towards B.
B_LON, B_LAT = 47.4837261, 29.7162839
A_LON, A_LAT = 36.5193847, 12.3871592
# Where the two aircraft converge (converge()): B's position is as secret.
A_CONV, B_CONV = (40.0, 35.0), (40.3019263, 35.0004817)
# The names the operators give their operations (issue 18): their owner's
# and the authority's only.
A_OP_NAME, B_OP_NAME = "Alpha sortie Kx27", "Bravo strike Qz91"


def fmt_time(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def vol(lon, lat, radius_m=3000, start=None, hours=3):
    t0 = int(time.time()) - 600 if start is None else start
    return {"footprint": {"type": "Point", "coordinates": [lon, lat], "radius_m": radius_m},
            "altitude_lower_m": 1000, "altitude_upper_m": 3000,
            "time_start": fmt_time(t0), "time_end": fmt_time(t0 + hours * 3600)}


def coord_strings(lon, lat):
    """Spellings of an exact coordinate that a leak would contain."""
    out = set()
    for x in (lon, lat):
        for nd in (4, 5, 6, 7):
            out.add(("%.*f" % (nd, x)).rstrip("0"))
    return out


class World:
    """The fixture's parties; received[label] is every byte each got."""

    def __init__(self, srv):
        self.srv = srv
        self.received = {"A": [], "B": []}
        self.k = 0
        a = srv.operator("alpha_mx3")
        b = srv.operator("bravo_qz8")
        self.a_id, self.a_name, self.b_id, self.b_name = a.id, a.name, b.id, b.name
        # The revoked key: A's first one, replaced by rotation.
        r = srv.request("POST", "/v1/operators/%s/keys" % a.id, srv.authority_key)
        assert r.status == 201, r
        self.keys = {"none": None, "malformed": "dck_not-a-key!", "revoked": a.key,
                     "A": r.json["api_key"], "B": b.key, "authority": srv.authority_key}
        self.b_ops = [self.call("B", "POST", "/v1/operations",
                                {"name": B_OP_NAME, "volumes": [vol(B_LON, B_LAT)]}).json["id"]]
        self.a_ops = [self.call("A", "POST", "/v1/operations",
                                {"name": A_OP_NAME, "volumes": [vol(A_LON, A_LAT)]}).json["id"]]
        self.b_tracks = ["BRV-7731x"]
        self.a_tracks = ["ALF-1142q"]

    def call(self, who, method, path, body=None, headers=None):
        hdrs = dict(headers or {})
        key = self.keys[who]
        if key is not None:
            hdrs["Authorization"] = "Bearer " + key
        r = self.srv.request(method, path, None, body, hdrs, label="matrix-" + who)
        if who in self.received:
            self.received[who].append("%d\n%s\n%s" % (r.status, r.headers, r.text))
        return r

    def spot(self):
        """A fresh place far from everything, for one cell's resources."""
        self.k += 1
        return -60.0 + (self.k % 40) * 0.5, -40.0 + (self.k // 40) * 0.5

    def a_operation(self, state="approved"):
        lon, lat = self.spot()
        r = self.call("A", "POST", "/v1/operations",
                      {"name": A_OP_NAME, "volumes": [vol(lon, lat, 1000)]})
        assert r.status == 201, r
        self.a_ops.append(r.json["id"])
        return r.json["id"]

    def restriction(self):
        lon, lat = self.spot()
        r = self.call("authority", "POST", "/v1/restrictions",
                      {"name": "matrix", "volumes": [vol(lon, lat, 500)]})
        assert r.status == 201, r
        return r.json["id"]

    def op_body(self):
        lon, lat = self.spot()
        return {"volumes": [vol(lon, lat, 1000)]}

    def tracks_body(self, who):
        now = time.time()
        if who == "B":
            tid, lon, lat, op = self.b_tracks[0], B_LON, B_LAT, self.b_ops[0]
        else:
            tid, lon, lat, op = self.a_tracks[0], A_LON, A_LAT, self.a_ops[0]
        rep = {"track_id": tid, "time": now, "lat": lat, "lon": lon, "alt_m": 2000,
               "ground_speed_mps": 100.0, "track_deg": 90.0, "vertical_rate_mps": 0.0}
        if who in ("A", "B"):
            rep["operation_id"] = op
        else:
            body = {"unknown": True, "reports": [dict(rep, track_id="UNK-%d" % self.k)]}
            return body
        return {"reports": [rep]}


def _ok(code):
    return {"A": code, "B": code, "authority": code}


def _owned(code):  # A's resource: its owner and the authority, never B
    return {"A": code, "B": 404, "authority": code}


def _authority(code):
    return {"A": 403, "B": 403, "authority": code}


def _noop(w, who):
    return None, None, None


def _op_id(w, who):
    return w.a_operation(), None, None


def _op_put(w, who):
    return w.a_operation(), w.op_body(), {"If-Match": '"1"'}


def _operator_body(w, who):
    w.spot()
    return None, {"name": "matrix_%d_%s" % (w.k, who)}, None


def _rs_id(w, who):
    return w.restriction(), None, None


# A restricted area in the open Atlantic, far from every other row's airspace.
OPENAIR_SEA = ("AC R\nAN Matrix sea\nAL GND\nAH FL100\nDP 10:00:00 S 020:00:00 W\n"
               "DP 10:10:00 S 020:00:00 W\nDP 10:10:00 S 020:10:00 W\n")


def _a_leaf(w, who):
    """The index of a leaf of A's own record, once a checkpoint covers one."""
    for _ in range(100):
        r = w.call("A", "GET", "/v1/log/receipts")
        if r.status == 200 and r.json["receipts"]:
            return str(r.json["receipts"][0]["index"]), None, None
        time.sleep(0.1)
    raise AssertionError("no receipt for A: %r" % r)


# (method, path) -> (prepare(world, principal) -> (id, body, headers), query,
#                    expected status for the authenticated principals)
ROWS = {
    ("GET", "/healthz"): (_noop, "", None),  # public: 200 for everyone
    ("GET", "/metrics"): (_noop, "", _authority(200)),
    ("GET", "/v1/feeds"): (_noop, "", _authority(200)),
    ("POST", "/v1/operators"): (_operator_body, "", _authority(201)),
    ("GET", "/v1/operators"): (_noop, "", _authority(200)),
    ("GET", "/v1/whoami"): (_noop, "", _ok(200)),
    ("POST", "/v1/operators/{id}/keys"): (lambda w, who: (w.a_id, None, None), "", _owned(201)),
    ("GET", "/v1/operators/{id}/mode_s"): (lambda w, who: (w.a_id, None, None), "", _owned(200)),
    ("PUT", "/v1/operators/{id}/mode_s"):
        (lambda w, who: (w.a_id, {"addresses": []}, None), "", _authority(200)),
    ("POST", "/v1/operations"): (lambda w, who: (None, w.op_body(), None), "", _ok(201)),
    ("GET", "/v1/operations"): (_noop, "", _ok(200)),
    ("GET", "/v1/operations/{id}"): (_op_id, "", _owned(200)),
    ("PUT", "/v1/operations/{id}"): (_op_put, "", _owned(200)),
    ("DELETE", "/v1/operations/{id}"): (_op_id, "", _owned(200)),
    ("POST", "/v1/operations/{id}/activate"): (_op_id, "", _owned(200)),
    ("POST", "/v1/operations/{id}/end"): (_op_id, "", _owned(200)),
    ("POST", "/v1/restrictions"):
        (lambda w, who: (None, {"volumes": [vol(*w.spot(), 300)]}, None), "", _authority(201)),
    ("POST", "/v1/restrictions:import"):
        (lambda w, who: (None, {"format": "openair", "content": OPENAIR_SEA}, None), "",
         _authority(201)),
    ("GET", "/v1/restrictions"): (_noop, "", _authority(200)),
    ("GET", "/v1/restrictions/{id}"): (_rs_id, "", _authority(200)),
    ("DELETE", "/v1/restrictions/{id}"): (_rs_id, "", _authority(200)),
    ("GET", "/v1/notices"): (_noop, "?bbox=30,0,50,40", _ok(200)),
    ("GET", "/v1/audit"): (_noop, "?limit=1000", _authority(200)),
    ("GET", "/v1/log/key"): (_noop, "", None),  # public
    ("GET", "/v1/log/checkpoint"): (_noop, "", None),  # public
    ("GET", "/v1/log/proof/consistency"): (_noop, "?from=1&to=1", None),  # public
    # public: anyone may post, only a configured witness's cosignature is kept
    ("POST", "/v1/log/cosignature"):
        (lambda w, who: (None, {"checkpoint": "x\n1\nAA==\n\n", "cosignature": "x\n"}, None),
         "", None),
    ("GET", "/v1/log/proof/inclusion"): (_noop, "?index=0&size=1", _ok(200)),
    ("GET", "/v1/log/receipts"): (_noop, "", _ok(200)),
    ("GET", "/v1/log/leaves/{id}"): (_a_leaf, "", _owned(200)),
    ("POST", "/v1/tracks"): (lambda w, who: (None, w.tracks_body(who), None), "", _ok(202)),
    ("GET", "/v1/tracks"): (_noop, "", _ok(200)),
    ("GET", "/v1/alerts"): (_noop, "?limit=1000", _ok(200)),
    ("GET", "/v1/alerts/stream"): (_noop, "", _ok(200)),
}
PUBLIC = {("GET", "/healthz"), ("GET", "/v1/log/key"), ("GET", "/v1/log/checkpoint"),
          ("GET", "/v1/log/proof/consistency")}
# Public, and refused for everyone alike: this server names no witnesses.
PUBLIC_400 = {("POST", "/v1/log/cosignature")}
STREAMS = {("GET", "/v1/alerts/stream")}


def served_routes():
    out = subprocess.run([BIN, "serve", "--list-routes"], check=True, capture_output=True,
                         text=True).stdout
    return [tuple(line.split(" ", 1)) for line in out.splitlines()]


@pytest.fixture(scope="module")
def world():
    s = Server({"probe_limit": 0, "tick_s": TICK, "sse_heartbeat_s": 0.5,
                "log_interval_s": 0.2})
    yield World(s)
    assert s.stop() == 0, "server did not shut down cleanly"


def read_stream(w, who, seconds=1.0):
    """GET /v1/alerts/stream for `seconds`: (status, headers and bytes)."""
    u = urllib.parse.urlparse(w.srv.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=seconds)
    hdrs = {"Accept": "text/event-stream"}
    if w.keys[who] is not None:
        hdrs["Authorization"] = "Bearer " + w.keys[who]
    conn.request("GET", "/v1/alerts/stream", headers=hdrs)
    resp = conn.getresponse()
    raw, end = b"", time.time() + seconds
    try:
        while time.time() < end:
            chunk = resp.read1(65536)
            if not chunk:
                break
            raw += chunk
    except (OSError, http.client.HTTPException):
        pass  # the timeout ends an idle stream
    conn.close()
    text = "%d\n%s\n%s" % (resp.status, resp.headers, raw.decode(errors="replace"))
    if who in w.received:
        w.received[who].append(text)
    return resp.status, text


def test_every_route_has_a_row():
    missing = [r for r in served_routes() if r not in ROWS]
    assert not missing, "add rows to tests/http/test_authz.py for %s" % missing


def converge(w):
    """A's and B's aircraft head-on, so both get pair alerts (the stream and
    the list then carry events about the other side)."""
    a_op, b_op = w.a_ops[0], w.b_ops[0]
    for _ in range(6):
        now = time.time()
        ra = w.call("A", "POST", "/v1/tracks", {"reports": [
            {"track_id": w.a_tracks[0], "time": now, "lat": A_CONV[1], "lon": A_CONV[0],
             "alt_m": 5000,
             "ground_speed_mps": 200.0, "track_deg": 90.0, "vertical_rate_mps": 0.0,
             "operation_id": a_op}]})
        rb = w.call("B", "POST", "/v1/tracks", {"reports": [
            {"track_id": w.b_tracks[0], "time": now, "lat": B_CONV[1], "lon": B_CONV[0],
             "alt_m": 5000,
             "ground_speed_mps": 200.0, "track_deg": 270.0, "vertical_rate_mps": 0.0,
             "operation_id": b_op}]})
        assert ra.status == 202 and rb.status == 202, (ra, rb)
        time.sleep(TICK * 1.5)


def test_matrix(world):
    w = world
    routes = served_routes()
    converge(w)
    cells, failures = 0, []
    for method, path in routes:
        prepare, query, expect = ROWS[(method, path)]
        for who in PRINCIPALS:
            rid, body, headers = prepare(w, who)
            url = path.replace("{id}", rid) + query if rid else path + query
            if (method, path) in STREAMS:
                status, text = read_stream(w, who)
            else:
                r = w.call(who, method, url, body, headers)
                status, text = r.status, r.text
            if (method, path) in PUBLIC:
                want = 200
            elif (method, path) in PUBLIC_400:
                want = 400
            elif who in ("none", "malformed", "revoked"):
                want = 401
            else:
                want = expect[who]
            cells += 1
            if status != want:
                failures.append("%s %s as %s: %d, expected %d: %s"
                                % (method, url, who, status, want, text[:200]))
            if status == 401 and "unauthorized" not in text:
                failures.append("%s %s as %s: 401 without its error body" % (method, url, who))
            if who == "authority" and (method, path) == ("POST", "/v1/operators/{id}/keys"):
                w.keys["A"] = json.loads(text)["api_key"]  # A's key was rotated
            if who == "A" and (method, path) == ("POST", "/v1/operators/{id}/keys") \
                    and status == 201:
                w.keys["A"] = json.loads(text)["api_key"]
    print("\nauthorization matrix: %d routes x %d principals = %d cells"
          % (len(routes), len(PRINCIPALS), cells))
    assert not failures, "\n".join(failures)
    assert cells == len(routes) * len(PRINCIPALS)


def test_other_operators_resources_are_not_found(world):
    """Each of B's operations, to A, answers exactly like a made-up id."""
    w = world
    made_up = "op_" + "0" * 20
    for oid in w.b_ops:
        for method, suffix, headers, body in (
                ("GET", "", None, None), ("PUT", "", {"If-Match": '"1"'}, w.op_body()),
                ("DELETE", "", None, None), ("POST", "/activate", None, None),
                ("POST", "/end", None, None)):
            got = w.call("A", method, "/v1/operations/" + oid + suffix, body, headers)
            ref = w.call("A", method, "/v1/operations/" + made_up + suffix, body, headers)
            assert got.status == ref.status == 404, (got, ref)
            assert got.text == ref.text
    r = w.call("A", "POST", "/v1/operators/%s/keys" % w.b_id)
    assert r.status == 404
    r = w.call("A", "POST", "/v1/tracks", {"reports": [
        {"track_id": "X-1", "time": time.time(), "lat": 1.0, "lon": 1.0, "alt_m": 100,
         "ground_speed_mps": 1.0, "track_deg": 0.0, "vertical_rate_mps": 0.0,
         "operation_id": w.b_ops[0]}]})
    assert r.status == 400 and "unknown operation" in r.text, r
    lst = w.call("A", "GET", "/v1/operations").json["operations"]
    assert not {o["id"] for o in lst} & set(w.b_ops)


def test_zz_nothing_of_the_other_operator_reaches_either(world):
    w = world
    all_ops = w.call("authority", "GET", "/v1/operations").json["operations"]
    ops_of = {w.a_id: set(), w.b_id: set()}
    for o in all_ops:
        if o.get("owner") and o["owner"]["id"] in ops_of:
            ops_of[o["owner"]["id"]].add(o["id"])
    secrets = {
        "A": [w.b_name, w.b_id, B_OP_NAME] + sorted(ops_of[w.b_id]) + w.b_tracks
        + sorted(coord_strings(B_LON, B_LAT) | coord_strings(*B_CONV)),
        "B": [w.a_name, w.a_id, A_OP_NAME] + sorted(ops_of[w.a_id]) + w.a_tracks
        + sorted(coord_strings(A_LON, A_LAT)),
    }
    scanned = 0
    for who in ("A", "B"):
        for text in w.received[who]:
            for secret in secrets[who]:
                assert secret not in text, (who, secret, text[:400])
            scanned += 1
    # The alert records really were about the other side (the scan above
    # is not vacuous).
    got = "\n".join(w.received["A"])
    assert re.search(r'"intruder":\{"sector"', got), ("A saw no pair alert", [t for t in w.received["A"] if "alerts" in t])
    assert re.search(r'\{"notices":\[\{"id"', got), "A saw no notice of B's operation"
    # Each sees its own operation's name (so the scan above would catch it).
    assert A_OP_NAME in got and B_OP_NAME in "\n".join(w.received["B"])
    assert scanned > 90


def test_whoami_and_operation_names(world):
    """Each caller learns its own name and role; an operation's name goes to
    its owner and the authority, and B's to nobody else."""
    w = world
    assert w.call("A", "GET", "/v1/whoami").json == {
        "name": w.a_name, "role": "operator", "id": w.a_id}
    assert w.call("B", "GET", "/v1/whoami").json["name"] == w.b_name
    me = w.call("authority", "GET", "/v1/whoami").json
    assert me["role"] == "authority" and me["name"]
    assert w.call("none", "GET", "/v1/whoami").status == 401
    assert w.call("B", "GET", "/v1/operations/" + w.b_ops[0]).json["name"] == B_OP_NAME
    by_auth = {o["id"]: o for o in
               w.call("authority", "GET", "/v1/operations").json["operations"]}
    assert by_auth[w.b_ops[0]]["name"] == B_OP_NAME
    assert by_auth[w.a_ops[0]]["name"] == A_OP_NAME
    # A rejected submission over B's operation answers blind: no name.
    r = w.call("A", "POST", "/v1/operations", {"volumes": [vol(B_LON, B_LAT)]})
    assert r.status == 409 and B_OP_NAME not in r.text, r
    for bad, why in ((7, "string"), ("x" * 81, "80"), ("tab\there", "control")):
        r = w.call("A", "POST", "/v1/operations", {"name": bad, "volumes": [vol(10, 10)]})
        assert r.status == 400 and r.json["field"] == "name" and why in r.json["reason"], r
