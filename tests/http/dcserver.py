"""Helpers for the HTTP tests: start the real `deconflict serve` binary on a
free port with a fresh store, talk to it with urllib only, and keep every
response each operator received so the blindness scan can read them all."""
import json
import math
import os
import signal
import subprocess
import tempfile
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("DC_BIN", os.path.join(ROOT, "build", "deconflict"))

# (requester label, status, headers text, body text) of every response.
RESPONSES = []


class Response:
    def __init__(self, status, headers, text):
        self.status = status
        self.headers = headers
        self.text = text
        try:
            self.json = json.loads(text) if text else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.text[:300])


class Server:
    def __init__(self, config=None, store=None, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="dc-http-")
        self.store = store or os.path.join(self.tmp, "store.db")
        self.config = config or {}
        self.proc = None
        if not os.path.exists(self.store):
            out = subprocess.run([BIN, "init", "--store", self.store, "--authority", "hostcell_iq"],
                                 check=True, capture_output=True, text=True)
            lines = out.stdout.splitlines()
            assert len(lines) == 1, out.stdout
            self.authority_key = lines[0]
        self.start()

    def start(self):
        cfg = os.path.join(self.tmp, "config.json")
        with open(cfg, "w") as f:
            json.dump(self.config, f)
        self.proc = subprocess.Popen(
            [BIN, "serve", "--store", self.store, "--listen", "127.0.0.1:0", "--config", cfg],
            stdout=subprocess.PIPE, stderr=open(os.path.join(self.tmp, "serve.log"), "a"),
            text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("http://"), "server did not start: %r" % line
        self.url = line

    def stop(self, sig=signal.SIGTERM):
        if self.proc:
            self.proc.send_signal(sig)
            rc = self.proc.wait(timeout=30)
            self.proc = None
            return rc
        return 0

    def restart(self):
        self.stop()
        self.start()

    def request(self, method, path, key=None, body=None, headers=None, label=None, raw=None):
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if key:
            hdrs["Authorization"] = "Bearer " + key
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                resp = Response(r.status, r.headers, r.read().decode())
        except urllib.error.HTTPError as e:
            resp = Response(e.code, e.headers, e.read().decode())
        RESPONSES.append((label, resp.status, str(resp.headers), resp.text))
        return resp

    def operator(self, name):
        r = self.request("POST", "/v1/operators", self.authority_key, {"name": name},
                         label="authority")
        assert r.status == 201, r
        return Operator(self, r.json["id"], name, r.json["api_key"])


class Operator:
    def __init__(self, server, id_, name, key):
        self.server, self.id, self.name, self.key = server, id_, name, key

    def req(self, method, path, body=None, headers=None, raw=None):
        return self.server.request(method, path, self.key, body, headers, label=self.name, raw=raw)


def circle(lon, lat, radius_m, lower=1000, upper=2000, start="2030-01-01T10:00:00Z",
           end="2030-01-01T11:00:00Z"):
    return {"footprint": {"type": "Point", "coordinates": [lon, lat], "radius_m": radius_m},
            "altitude_lower_m": lower, "altitude_upper_m": upper,
            "time_start": start, "time_end": end}


# WGS84 meridian arc, for placing probes at exact geodesic distances due north.
A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)


def meridian_arc_m(lat1, lat2, steps=2000):
    h = (lat2 - lat1) / steps
    total = 0.0
    for i in range(steps + 1):
        phi = math.radians(lat1 + i * h)
        m = A * (1 - E2) / (1 - E2 * math.sin(phi) ** 2) ** 1.5
        w = 1 if i in (0, steps) else (4 if i % 2 else 2)
        total += w * m
    return abs(total * math.radians(h) / 3)


def lat_north_of(lat, dist_m):
    """Latitude dist_m due north of lat along the meridian."""
    lo, hi = lat, lat + dist_m / 100000.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if meridian_arc_m(lat, mid, 200) < dist_m:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def lat_south_of(lat, dist_m):
    lo, hi = lat - dist_m / 100000.0, lat
    for _ in range(80):
        mid = (lo + hi) / 2
        if meridian_arc_m(mid, lat, 200) < dist_m:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def envelope_box(notice):
    ring = notice["footprint"]["coordinates"][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return min(lons), min(lats), max(lons), max(lats)
