#!/usr/bin/env python3
"""Crash safety of `deconflict serve` on SQLite (issue 7, item 1).

Each cycle starts the real server on one store, runs a submission load from
several threads (new operations, modifications with If-Match, withdrawals;
three operators competing for a small piece of sky) and SIGKILLs the server
at a random moment. Then, before and after restarting it:

  * every acknowledged change is present: the operation exists with the last
    acknowledged version, state and volumes (a request that was in flight at
    the kill may or may not have happened, but wholly);
  * nothing unacknowledged is half-there: every stored operation has its
    volumes and an audit record carrying its digest and version, every audit
    record about an operation has its row (checked in the SQLite file);
  * no two live operations of different operators conflict under DESIGN
    section 3, by an all-pairs brute force here (Vincenty on WGS84, written
    independently of the engine);
  * `deconflict audit verify` passes.

Usage: crash_driver.py [--cycles N] [--seed S] [--bin PATH] [--keep]
Prints one line per 10 cycles and a summary; exit 0 when every cycle held.
"""
import argparse
import http.client
import json
import math
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

H_M, V_M, T_S = 1852.0, 305.0, 300
# The engine promises distances within 1 m or 0.1 % (docs/design.md section 2); a
# pair is a violation only when it is closer than H by more than that.
TOL_M = max(1.0, 0.001 * H_M) + 0.5

LIVE = ("approved", "active")


# ---------------------------------------------------------------- geodesy

A_WGS = 6378137.0
F_WGS = 1 / 298.257223563
B_WGS = A_WGS * (1 - F_WGS)


def vincenty_m(lat1, lon1, lat2, lon2):
    """WGS84 geodesic distance (Vincenty's inverse; the points here are never
    near-antipodal)."""
    if lat1 == lat2 and lon1 == lon2:
        return 0.0
    f, a, b = F_WGS, A_WGS, B_WGS
    L = math.radians(lon2 - lon1)
    U1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    U2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    sinU1, cosU1, sinU2, cosU2 = math.sin(U1), math.cos(U1), math.sin(U2), math.cos(U2)
    lam = L
    for _ in range(200):
        sinl, cosl = math.sin(lam), math.cos(lam)
        sin_sig = math.hypot(cosU2 * sinl, cosU1 * sinU2 - sinU1 * cosU2 * cosl)
        if sin_sig == 0:
            return 0.0
        cos_sig = sinU1 * sinU2 + cosU1 * cosU2 * cosl
        sig = math.atan2(sin_sig, cos_sig)
        sin_alpha = cosU1 * cosU2 * sinl / sin_sig
        cos2_alpha = 1 - sin_alpha ** 2
        cos2sm = cos_sig - 2 * sinU1 * sinU2 / cos2_alpha if cos2_alpha else 0.0
        C = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        lam_prev = lam
        lam = L + (1 - C) * f * sin_alpha * (
            sig + C * sin_sig * (cos2sm + C * cos_sig * (-1 + 2 * cos2sm ** 2)))
        if abs(lam - lam_prev) < 1e-12:
            break
    u2 = cos2_alpha * (a * a - b * b) / (b * b)
    A_ = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)))
    B_ = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)))
    dsig = B_ * sin_sig * (cos2sm + B_ / 4 * (
        cos_sig * (-1 + 2 * cos2sm ** 2) - B_ / 6 * cos2sm * (-3 + 4 * sin_sig ** 2) *
        (-3 + 4 * cos2sm ** 2)))
    return b * A_ * (sig - dsig)


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_time(s):
    return int(time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))) - time.timezone


def vol_key(v):
    """What decides a conflict, from a volume as the API returns it."""
    fp = v["footprint"]
    assert fp["type"] == "Point", fp
    lon, lat = fp["coordinates"]
    return (lat, lon, fp["radius_m"], v["altitude_lower_m"], v["altitude_upper_m"],
            parse_time(v["time_start"]), parse_time(v["time_end"]))


def gap(a0, a1, b0, b1):
    return max(0.0, max(a0, b0) - min(a1, b1))


def conflicts(ops):
    """All pairs of live operations of different owners that conflict by
    docs/design.md section 3 (strict <), beyond the engine's tolerance."""
    vols = []
    for op in ops:
        for v in op["volumes"]:
            vols.append((op["owner"], op["id"], vol_key(v)))
    vols.sort(key=lambda x: x[2][5])  # by start time: sweep on time
    bad = []
    for i, (oi, idi, a) in enumerate(vols):
        for oj, idj, b in vols[i + 1:]:
            if b[5] - a[6] >= T_S:
                break  # sorted by start: every later volume is as far in time
            if oi == oj:
                continue
            if gap(a[5], a[6], b[5], b[6]) >= T_S:
                continue
            if gap(a[3], a[4], b[3], b[4]) >= V_M:
                continue
            # Cheap spherical bound first (the sphere is within 0.6 % of WGS84).
            dlat = math.radians(b[0] - a[0])
            dlon = math.radians(b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
            approx = 6371008.8 * math.hypot(dlat, dlon)
            if approx * 0.99 - a[2] - b[2] >= H_M + 50:
                continue
            d = vincenty_m(a[0], a[1], b[0], b[1]) - a[2] - b[2]
            if d < H_M - TOL_M:
                bad.append((idi, idj, round(d, 2)))
    return bad


# ---------------------------------------------------------------- server

class Server:
    def __init__(self, binary, tmp):
        self.bin, self.tmp = binary, tmp
        self.store = os.path.join(tmp, "store.db")
        self.proc = None
        self.port = None
        out = subprocess.run([binary, "init", "--store", self.store, "--authority", "crash_auth"],
                             check=True, capture_output=True, text=True)
        self.authority_key = out.stdout.strip()
        self.log = open(os.path.join(tmp, "serve.log"), "a")

    def start(self, disclosure):
        cfg = os.path.join(self.tmp, "config.json")
        with open(cfg, "w") as f:
            json.dump({"probe_limit": 0, "disclosure": disclosure}, f)
        self.proc = subprocess.Popen(
            [self.bin, "serve", "--store", self.store, "--listen", "127.0.0.1:0", "--config", cfg],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            raise RuntimeError("server did not start: %r (see %s)" % (line, self.log.name))
        self.port = int(line.rsplit(":", 1)[1])

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()
        self.proc = None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc = None
        return rc


class Client:
    """One keep-alive connection; any transport error raises."""

    def __init__(self, port, key):
        self.port, self.key = port, key
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        hdrs = {"Authorization": "Bearer " + self.key}
        hdrs.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=hdrs)
            r = self.conn.getresponse()
            text = r.read().decode()
        except Exception:
            self.conn.close()
            self.conn = None
            raise
        return r.status, r.getheader("ETag"), (json.loads(text) if text else None)

    def close(self):
        if self.conn:
            self.conn.close()


# ---------------------------------------------------------------- model

class Model:
    """What clients were told. acked[id] = (version, state, volumes, owner);
    pending[id] = the kinds of change in flight at the kill; new_in_flight
    counts submissions whose answer never came."""

    def __init__(self):
        self.mu = threading.Lock()
        self.acked = {}
        self.pending = {}
        self.new_in_flight = 0
        self.acks = 0

    def ack(self, op, owner):
        with self.mu:
            old = self.acked.get(op["id"])
            if old is None or old[0] < op["version"]:
                self.acked[op["id"]] = (op["version"], op["state"], op["volumes"], owner)
            self.acks += 1


def random_volume(rng, day0):
    lat = 34.0 + rng.uniform(0, 0.15)
    lon = 44.0 + rng.uniform(0, 0.15)
    lower = rng.randrange(0, 6000, 250)
    start = day0 + rng.randrange(0, 6 * 3600, 600)
    return {"footprint": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)],
                          "radius_m": rng.randrange(200, 2500, 50)},
            "altitude_lower_m": lower, "altitude_upper_m": lower + rng.randrange(200, 1500, 100),
            "time_start": rfc3339(start), "time_end": rfc3339(start + rng.randrange(600, 7200, 300))}


def worker(port, key, owner, model, mine, rng, stop, day0):
    c = Client(port, key)
    while not stop.is_set():
        live = [oid for oid in mine if model.acked[oid][1] in LIVE]
        roll = rng.random()
        kind, oid = "submit", None
        if live and roll < 0.25:
            kind, oid = "modify", rng.choice(live)
        elif live and roll < 0.55:
            kind, oid = "withdraw", rng.choice(live)
        try:
            if kind == "submit":
                body = {"priority": rng.randrange(0, 50),
                        "volumes": [random_volume(rng, day0) for _ in range(rng.choice((1, 1, 2)))]}
                with model.mu:
                    model.new_in_flight += 1
                st, _, js = c.request("POST", "/v1/operations", body)
                with model.mu:
                    model.new_in_flight -= 1
                if st == 201:
                    mine.append(js["id"])
                    model.ack(js, owner)
            else:
                ver = model.acked[oid][0]
                with model.mu:
                    model.pending.setdefault(oid, []).append(kind)
                if kind == "modify":
                    body = {"volumes": [random_volume(rng, day0)]}
                    st, _, js = c.request("PUT", "/v1/operations/" + oid, body,
                                          {"If-Match": '"%d"' % ver})
                else:
                    st, _, js = c.request("DELETE", "/v1/operations/" + oid, None,
                                          {"If-Match": '"%d"' % ver})
                if st == 200:
                    model.ack(js, owner)
                with model.mu:
                    model.pending[oid].remove(kind)
                    if not model.pending[oid]:
                        del model.pending[oid]
            if st >= 500:
                raise RuntimeError("server answered %d: %s" % (st, js))
        except (OSError, http.client.HTTPException, ValueError):
            # The server died under this request: its fate is unknown, and
            # the model keeps it in new_in_flight / pending.
            if stop.wait(0.01):
                break
            continue
    c.close()


# ---------------------------------------------------------------- checks

def store_checks(store):
    """The SQLite file, read directly after the kill."""
    db = sqlite3.connect(store)
    try:
        rows = {r[0]: r[1:] for r in db.execute(
            "SELECT id, state, version, volumes FROM entries WHERE is_restriction = 0")}
        last = {}
        for (entry,) in db.execute("SELECT entry FROM audit ORDER BY seq"):
            e = json.loads(entry)
            d = e.get("detail") or {}
            if isinstance(d, dict) and "entry_sha256" in d:
                last[e["subject"]] = (d.get("version"), d.get("state"))
    finally:
        db.close()
    errs = []
    for oid, (state, version, volumes) in rows.items():
        v = json.loads(volumes)
        if not isinstance(v, list) or not v:
            errs.append("%s stored without volumes" % oid)
        if last.get(oid) != (version, state):
            errs.append("%s v%d %s: last audit record says %s" % (oid, version, state, last.get(oid)))
    for subj in last:
        if subj.startswith("op_") and subj not in rows:
            errs.append("audit record for %s, which is not stored" % subj)
    return errs, len(rows)


def reconcile(model, ops_by_id, owner_of_opr):
    """Compares the server's operations (after restart) with the model and
    adopts what in-flight requests did. Returns a list of errors."""
    errs = []
    with model.mu:
        for oid, (ver, state, vols, owner) in list(model.acked.items()):
            got = ops_by_id.get(oid)
            if got is None:
                errs.append("acknowledged %s v%d is missing" % (oid, ver))
                continue
            if got["version"] == ver:
                if got["state"] != state or got["volumes"] != vols:
                    errs.append("%s v%d differs from its acknowledgement" % (oid, ver))
            elif oid in model.pending and ver < got["version"] <= ver + len(model.pending[oid]):
                model.acked[oid] = (got["version"], got["state"], got["volumes"], owner)
            else:
                errs.append("%s: acknowledged v%d, stored v%d" % (oid, ver, got["version"]))
        model.pending.clear()
        unknown = [o for oid, o in ops_by_id.items() if oid not in model.acked]
        if len(unknown) > model.new_in_flight:
            errs.append("%d unacknowledged operations stored, only %d submissions in flight"
                        % (len(unknown), model.new_in_flight))
        for o in unknown:
            if o["version"] != 1 or not o["volumes"]:
                errs.append("unacknowledged %s is half-there: %s" % (o["id"], o))
            model.acked[o["id"]] = (o["version"], o["state"], o["volumes"],
                                    owner_of_opr[o["owner"]["id"]])
        model.new_in_flight = 0
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--threads", type=int, default=6)
    ap.add_argument("--bin", default=os.environ.get("DC_BIN", os.path.join(ROOT, "build", "deconflict")))
    ap.add_argument("--keep", action="store_true", help="keep the store directory")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print("crash: %d cycles, seed %d, %d load threads" % (args.cycles, seed, args.threads))
    tmp = tempfile.mkdtemp(prefix="dc-crash-")
    # A private copy: a concurrent rebuild must not swap the binary mid-run.
    shutil.copy2(args.bin, os.path.join(tmp, "deconflict"))
    args.bin = os.path.join(tmp, "deconflict")
    srv = Server(args.bin, tmp)
    srv.start("exact")
    admin = Client(srv.port, srv.authority_key)
    operators = []
    for name in ("crash_op_a", "crash_op_b", "crash_op_c"):
        st, _, js = admin.request("POST", "/v1/operators", {"name": name})
        assert st == 201, (st, js)
        operators.append((js["id"], js["api_key"]))
    admin.close()
    owner_of_opr = {oid: i for i, (oid, _) in enumerate(operators)}
    srv.stop()

    model = Model()
    mine = [[] for _ in range(args.threads)]
    day0 = parse_time("2031-03-01T00:00:00Z")
    t_start = time.time()
    failures = []
    totals = {"live": 0, "stored": 0, "pairs": 0}
    for cycle in range(args.cycles):
        srv.start("exact" if cycle % 2 == 0 else "blind")
        stop = threading.Event()
        threads = []
        for i in range(args.threads):
            opr = i % len(operators)
            # A thread's operations are its own: no two threads race on one.
            threads.append(threading.Thread(
                target=worker, args=(srv.port, operators[opr][1], opr, model, mine[i],
                                     random.Random(rng.random()), stop, day0)))
        for t in threads:
            t.start()
        # A random moment: mostly mid-load, sometimes right after start.
        time.sleep(rng.uniform(0, 0.05) if rng.random() < 0.1 else rng.uniform(0.1, 1.0))
        srv.kill()
        stop.set()
        for t in threads:
            t.join()

        errs, n_stored = store_checks(srv.store)
        out = subprocess.run([args.bin, "audit", "verify", "--store", srv.store],
                             capture_output=True, text=True)
        if out.returncode != 0:
            errs.append("audit verify: " + (out.stdout + out.stderr).strip())
        srv.start("exact")
        admin = Client(srv.port, srv.authority_key)
        st, _, js = admin.request("GET", "/v1/operations")
        admin.close()
        if st != 200:
            errs.append("listing after restart: %d" % st)
            js = {"operations": []}
        ops_by_id = {o["id"]: o for o in js["operations"]}
        errs += reconcile(model, ops_by_id, owner_of_opr)
        live = [o for o in js["operations"] if o["state"] in LIVE]
        bad = conflicts(live)
        if bad:
            errs.append("%d conflicting pairs approved, e.g. %s" % (len(bad), bad[:3]))
        if srv.stop() != 0:
            errs.append("clean stop after the checks failed")
        totals["live"], totals["stored"] = len(live), n_stored
        if errs:
            failures.append((cycle, errs))
            print("cycle %d FAILED:\n  %s" % (cycle, "\n  ".join(errs[:20])))
            break
        if (cycle + 1) % 10 == 0:
            print("  %3d cycles, %6d acknowledgements, %4d stored operations, %3d live, %.0f s"
                  % (cycle + 1, model.acks, n_stored, len(live), time.time() - t_start))
            sys.stdout.flush()
    done = cycle + 1 - len(failures)
    print("crash: %d/%d kill cycles survived, %d acknowledgements checked, 0 lost, "
          "%d stored operations, %.0f s (seed %d)"
          % (done, args.cycles, model.acks, totals["stored"], time.time() - t_start, seed)
          if not failures else "crash: FAILED at cycle %d (seed %d, store in %s)"
          % (failures[0][0], seed, tmp))
    if not failures and not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
