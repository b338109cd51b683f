"""Probing limits over real HTTP (issue 7): per-key token buckets on
submissions and notice queries (429 + Retry-After, the authority exempt),
probing alerts raised to the authority (audit record, metric, alert), and a
scripted prober that spends its whole budget binary-searching another
operator's footprint and learns no more than the notice grid shows. Also the
config file's error naming (a fuzz_config regression)."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import BIN, Server, circle, lat_north_of  # noqa: E402

GRID = 0.01  # the default notice grid, degrees
START, END = "2030-05-01T10:00:00Z", "2030-05-01T11:00:00Z"
NOTICES_Q = "/v1/notices?bbox=44,33,45,34&from=2030-05-01T00:00:00Z&to=2030-05-02T00:00:00Z"


def metric(srv, name):
    for line in srv.request("GET", "/metrics", srv.authority_key).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def test_submission_bucket_429_with_retry_after_and_authority_exempt():
    s = Server({"probe_limit": 1000, "rate_submit_per_min": 60, "rate_submit_burst": 5})
    try:
        a = s.operator("bucket_a")
        got = []
        for k in range(8):
            r = a.req("POST", "/v1/operations",
                      {"volumes": [circle(10 + k * 0.5, 10, 500, start=START, end=END)]})
            got.append(r.status)
        assert got[:5] == [201] * 5 and got[5:] == [429] * 3, got
        assert r.json["error"] == "rate_limited" and r.json["field"] and r.json["reason"], r
        assert int(r.headers["Retry-After"]) >= 1, r.headers
        # Nothing of a refused submission was stored.
        assert len(a.req("GET", "/v1/operations").json["operations"]) == 5
        # One token a second: after Retry-After the next one goes through.
        time.sleep(int(r.headers["Retry-After"]) + 0.1)
        r = a.req("POST", "/v1/operations",
                  {"volumes": [circle(20, 10, 500, start=START, end=END)]})
        assert r.status == 201, r
        # The authority is never rate limited.
        for k in range(8):
            r = s.request("POST", "/v1/operations", s.authority_key,
                          {"volumes": [circle(30 + k * 0.5, 10, 500, start=START, end=END)]})
            assert r.status == 201, r
        # Another key has its own bucket.
        b = s.operator("bucket_b")
        r = b.req("POST", "/v1/operations", {"volumes": [circle(40, 10, 500, start=START, end=END)]})
        assert r.status == 201, r
        assert metric(s, 'deconflict_rate_limited_total{limit="submit"}') == 3
    finally:
        assert s.stop() == 0


def test_notice_bucket_and_probe_limit_zero_turns_rates_off():
    s = Server({"probe_limit": 1000, "rate_notices_per_min": 6, "rate_notices_burst": 3})
    try:
        a = s.operator("notices_a")
        got = [a.req("GET", NOTICES_Q).status for _ in range(5)]
        assert got == [200, 200, 200, 429, 429], got
        r = a.req("GET", NOTICES_Q)
        assert r.status == 429 and int(r.headers["Retry-After"]) >= 1
        assert all(s.request("GET", NOTICES_Q, s.authority_key).status == 200 for _ in range(5))
    finally:
        assert s.stop() == 0
    s = Server({"probe_limit": 0, "rate_notices_per_min": 6, "rate_notices_burst": 3})
    try:
        a = s.operator("notices_b")
        assert all(a.req("GET", NOTICES_Q).status == 200 for _ in range(8))
    finally:
        assert s.stop() == 0


def test_scripted_prober_learns_no_more_than_the_notice_grid():
    """Victim A flies a 2 km circle. Prober B binary-searches its north and
    east edges with 10 m probes until its submission budget runs out. The
    edges it finds are the notice's grid lines, not A's footprint (+ H)."""
    budget = 40
    s = Server({"probe_limit": 1000, "rate_submit_per_min": 6, "rate_submit_burst": budget,
                "probe_alert_rejections": 10, "probe_window_s": 600, "probe_area_deg": 0.1,
                "tick_s": 0.2})
    try:
        a, b = s.operator("victim_kx2"), s.operator("prober_wq5")
        lon0, lat0, radius = 44.5371, 33.4329, 2000.0
        r = a.req("POST", "/v1/operations",
                  {"volumes": [circle(lon0, lat0, radius, start=START, end=END)]})
        assert r.status == 201, r
        spent = [0]

        def probe(lon, lat):
            """True when the sky at (lon, lat) is taken; None when refused."""
            r = b.req("POST", "/v1/operations",
                      {"volumes": [circle(lon, lat, 10, start=START, end=END)]})
            if r.status == 429:
                return None
            spent[0] += 1
            if r.status == 201:
                assert b.req("DELETE", "/v1/operations/" + r.json["id"]).status == 200
                return False
            assert r.status == 409, r
            return True

        def edge(coord0, span, make):
            """Binary search of the taken/free transition in [coord0, coord0 + span]."""
            lo, hi = coord0, coord0 + span
            steps = 0
            while True:
                mid = (lo + hi) / 2
                taken = probe(*make(mid))
                if taken is None:
                    return lo, hi, steps
                steps += 1
                if taken:
                    lo = mid
                else:
                    hi = mid

        n_lo, n_hi, n_steps = edge(lat0, 0.2, lambda x: (lon0, x))
        assert n_steps >= 15, "the budget should allow a fine search"
        e_lo, e_hi, e_steps = edge(lon0, 0.2, lambda x: (x, lat0))
        assert spent[0] == budget, spent  # the bucket, and only it, stopped the prober
        # Stopped with a 429 naming when to retry.
        r = b.req("POST", "/v1/operations", {"volumes": [circle(lon0, lat0, 10, start=START, end=END)]})
        assert r.status == 429 and int(r.headers["Retry-After"]) >= 1, r

        # What B can read anyway: its notices (it may query them).
        notices = b.req("GET", NOTICES_Q).json["notices"]
        assert len(notices) == 1, notices
        ring = notices[0]["footprint"]["coordinates"][0]
        n_lat_max = max(p[1] for p in ring)
        n_lon_max = max(p[0] for p in ring)
        # The found edges are the notice's edges (to the probe's own 10 m
        # radius and the search's last interval), both on the grid ...
        probe_deg = 10 / 111000.0 * 2
        assert abs(n_lo - n_lat_max) < probe_deg + (n_hi - n_lo), (n_lo, n_hi, n_lat_max)
        assert abs(e_lo - n_lon_max) < probe_deg * 1.3 + (e_hi - e_lo), (e_lo, e_hi, n_lon_max)
        for v in (n_lat_max, n_lon_max):
            assert abs(v / GRID - round(v / GRID)) < 1e-6, v
        # ... and not A's footprint grown by H: that edge lies strictly
        # inside the notice cell the prober stopped at.
        true_north = lat_north_of(lat0, radius + 1852.0)
        assert true_north < n_lat_max - 0.001, (true_north, n_lat_max)
        assert n_lat_max - true_north < GRID + 0.001  # one grid step of coarsening at most
        print("\nprober: %d probes; north edge found %.6f (notice %.2f, true edge + H %.6f)"
              % (spent[0], n_lo, n_lat_max, true_north))

        # The authority was told: an audit record, a metric and an alert.
        entries = s.request("GET", "/v1/audit?limit=1000", s.authority_key).json["entries"]
        alerts = [e["entry"] for e in entries if e["entry"]["action"] == "probing_alert"]
        assert len(alerts) == 1 and alerts[0]["subject"] == b.id, alerts
        area = alerts[0]["detail"]["area"]
        assert area[0] <= lon0 <= area[2] and area[1] <= lat0 <= area[3], area
        assert metric(s, "deconflict_probing_alerts_total") == 1
        auth_alerts = s.request("GET", "/v1/alerts?limit=1000", s.authority_key).json["alerts"]
        probing = [x for x in auth_alerts if x["kind"] == "probing"]
        assert len(probing) == 1 and probing[0]["operator"] == {"id": b.id, "name": b.name}
        # Neither operator hears of it.
        for who in (a, b):
            assert not [x for x in who.req("GET", "/v1/alerts?limit=1000").json["alerts"]
                        if x["kind"] == "probing"]
    finally:
        assert s.stop() == 0


def test_config_errors_name_a_field():
    """Regression (fuzz_config): an empty key was refused without a field."""
    d = tempfile.mkdtemp(prefix="dc-limits-")
    for bad, field in (({"": 1}, "config"), ({"rate_submit_burst": 0}, "rate_submit_burst"),
                       ({"max_inflight": "x"}, "max_inflight")):
        path = os.path.join(d, "c.json")
        with open(path, "w") as f:
            json.dump(bad, f)
        out = subprocess.run([BIN, "serve", "--store", os.path.join(d, "none.db"), "--config",
                              path], capture_output=True, text=True)
        assert out.returncode == 2, out
        # The file itself ("--config: ...") or the key, quoted (issue 18 wording).
        want = "--config: " if field == "config" else 'key "%s": ' % field
        assert want in out.stderr, out.stderr


def test_decoyed_probes_raise_a_probing_alert():
    """Issue 13: 15 rejected probes at one spot, each with a decoy first
    volume elsewhere, counted only the decoys' areas and raised nothing.
    Every volume's area counts now."""
    s = Server({"probe_limit": 1000, "rate_submit_per_min": 600, "rate_submit_burst": 100,
                "probe_alert_rejections": 10, "probe_window_s": 600, "probe_area_deg": 0.1})
    try:
        a, b = s.operator("victim_dq1"), s.operator("prober_dq2")
        lon0, lat0 = 44.5371, 33.4329
        r = a.req("POST", "/v1/operations",
                  {"volumes": [circle(lon0, lat0, 2000, start=START, end=END)]})
        assert r.status == 201, r
        for i in range(15):
            decoy = circle(30.0 + i * 0.5, 10.0 + i * 0.5, 10, start=START, end=END)
            probe = circle(lon0 + 0.001 * i, lat0, 10, start=START, end=END)
            r = b.req("POST", "/v1/operations", {"volumes": [decoy, probe]})
            assert r.status == 409, r
        assert metric(s, "deconflict_probing_alerts_total") == 1
        auth = s.request("GET", "/v1/alerts?limit=1000", s.authority_key).json["alerts"]
        probing = [x for x in auth if x["kind"] == "probing"]
        assert len(probing) == 1 and probing[0]["operator"]["id"] == b.id, probing
        area = probing[0]["area"]
        assert area[0] <= lon0 <= area[2] and area[1] <= lat0 <= area[3], area
    finally:
        assert s.stop() == 0


def test_key_rotation_does_not_reset_the_rate():
    """Issue 13: buckets were keyed by the API key, so rotating one's own
    key refilled them. They are kept by operator now."""
    s = Server({"probe_limit": 1000, "rate_submit_per_min": 6, "rate_submit_burst": 3})
    try:
        b = s.operator("rotator_kr1")
        for i in range(3):
            r = b.req("POST", "/v1/operations",
                      {"volumes": [circle(20.0 + i, 10.0, 100, start=START, end=END)]})
            assert r.status == 201, r
        body = {"volumes": [circle(25.0, 10.0, 100, start=START, end=END)]}
        assert b.req("POST", "/v1/operations", body).status == 429
        k = s.request("POST", "/v1/operators/%s/keys" % b.id, s.authority_key)
        assert k.status in (200, 201), k
        b.key = k.json["api_key"]
        r = b.req("POST", "/v1/operations", body)
        assert r.status == 429 and int(r.headers["Retry-After"]) >= 1, r
    finally:
        assert s.stop() == 0


def test_own_key_rotation_is_rate_limited_and_old_keys_are_forgotten():
    """Issue 13: rotation itself was not rate-limited, and every rotated
    key's admission state stayed for the server's life. An operator rotates
    its own key 3 times at once (then 12 an hour, by operator); the old keys
    stop working and are dropped; the authority is exempt."""
    s = Server({})
    try:
        b = s.operator("rotator_kr2")
        old = []
        for i in range(3):
            r = b.req("POST", "/v1/operators/%s/keys" % b.id)
            assert r.status == 201, r
            old.append(b.key)
            b.key = r.json["api_key"]
        r = b.req("POST", "/v1/operators/%s/keys" % b.id)
        assert r.status == 429 and int(r.headers["Retry-After"]) >= 1, r
        assert r.json["error"] == "rate_limited", r
        assert b.req("GET", "/v1/operations").status == 200
        for k in old:
            assert s.request("GET", "/v1/operations", k).status == 401
        assert metric(s, 'deconflict_rate_limited_total{limit="keys"}') == 1
        for i in range(4):
            r = s.request("POST", "/v1/operators/%s/keys" % b.id, s.authority_key)
            assert r.status == 201, r
            b.key = r.json["api_key"]
        assert b.req("GET", "/v1/operations").status == 200
    finally:
        assert s.stop() == 0


def test_blind_only_rejection_counted_after_the_answer():
    """Issue 13: the exact check behind deconflict_blind_only_rejections_total
    ran on a blind rejection's answer path, longer near the other volume than
    far (a timing channel). It runs once the answer has gone; the metric
    still counts a rejection the exact rule would have approved, and not one
    it would have refused."""
    s = Server({})
    try:
        a, b = s.operator("blind_a"), s.operator("blind_b")
        lat0, lon0 = 33.5, 44.5
        r = a.req("POST", "/v1/operations", {"volumes": [circle(lon0, lat0, 500)]})
        assert r.status == 201, r
        # 500 + 1852 + 300 m from A's centre: clear exactly, inside A's notice.
        near = lat_north_of(lat0, 500 + 1852 + 300 + 100)
        r = b.req("POST", "/v1/operations", {"volumes": [circle(lon0, near, 100)]})
        assert r.status == 409, r
        name = "deconflict_blind_only_rejections_total"
        for _ in range(50):
            if metric(s, name) == 1:
                break
            time.sleep(0.05)
        assert metric(s, name) == 1
        r = b.req("POST", "/v1/operations", {"volumes": [circle(lon0, lat0, 100)]})
        assert r.status == 409, r
        time.sleep(0.3)
        assert metric(s, name) == 1
    finally:
        assert s.stop() == 0
