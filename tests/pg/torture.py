#!/usr/bin/env python3
"""Multi-instance torture and race tests (issue 6) against real `deconflict
serve` processes sharing one PostgreSQL database.

  torture.py --bin B --store URI race --rounds N
      N rounds of two conflicting submissions by two operators sent at the
      same instant to two different instances: exactly one 201 per round.
  torture.py --bin B --store URI torture --seconds S [--instances 3] [--clients 32]
      32 clients submit random operations in a few hot cells, modify them
      (PUT with If-Match) and withdraw them, against 2-4 instances; one
      instance is SIGKILLed and restarted midway.

Both end with the independent checker: it reads the entries table (not any
engine) and asks PostGIS for every pair of live operations of different
operators that conflicts by docs/design.md section 3 (H, V, T); there must be none.
Every 201/200 a client saw must be in the database with its last
acknowledged version and state, each instance's listing must match the
database (followers caught up), and `deconflict audit verify` must pass.
The store must already be initialised; the authority key comes from --key."""
import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

H_M, V_M, T_S = 1852.0, 305.0, 300
LIVE = ("approved", "active", "nonconforming")
HOT = [(45.17, 34.27), (45.12, 34.19), (43.49, 34.93)]  # Jalawla, Saadiya, Baiji
BASE_T = 1893456000  # 2030-01-01T00:00:00Z


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Instance:
    def __init__(self, args, idx):
        self.args, self.idx, self.proc, self.port = args, idx, None, None
        self.log = os.path.join(args.tmp, "serve-%d.log" % idx)

    def start(self):
        listen = "127.0.0.1:%d" % (self.port or 0)
        self.proc = subprocess.Popen(
            [self.args.bin, "serve", "--store", self.args.store, "--listen", listen,
             "--config", self.args.config],
            stdout=subprocess.PIPE, stderr=open(self.log, "a"), text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            raise SystemExit("instance %d did not start: %r (see %s)" % (self.idx, line, self.log))
        self.port = int(line.rsplit(":", 1)[1])

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.proc.wait(timeout=60)
            if rc != 0:
                raise SystemExit("instance %d exited with %d (see %s)" % (self.idx, rc, self.log))


class Client:
    """One keep-alive connection per instance, for one thread at a time.

    http.client connections are not thread-safe: a second thread's request
    on a connection that carries one finds it busy, closes it under the
    first, and both can get (None, None) from a healthy server (issue 11).
    So a Client belongs to the thread that last used it while that thread
    lives; use from another thread meanwhile raises at once. Hand-offs to
    a later thread (race rounds) are fine."""

    def __init__(self, key):
        self.key, self.conns, self.owner = key, {}, None

    def _claim(self):
        me = threading.current_thread()
        if self.owner is not me:
            if self.owner is not None and self.owner.is_alive():
                raise RuntimeError("Client used by %s while %s still owns it: give each "
                                   "thread its own Client" % (me.name, self.owner.name))
            self.owner = me

    def req(self, port, method, path, body=None, headers=None):
        """(status, json) or (None, None) when the outcome is unknown."""
        self._claim()
        hdrs = {"Authorization": "Bearer " + self.key}
        hdrs.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            c = self.conns.get(port)
            if c is None:
                c = self.conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                c.request(method, path, body=data, headers=hdrs)
                r = c.getresponse()
                text = r.read()
                return r.status, (json.loads(text) if text else None)
            except (OSError, http.client.HTTPException):
                c.close()
                self.conns.pop(port, None)
                if attempt == 0 and method == "GET":
                    continue
                return None, None
        return None, None


def circle(lon, lat, r, lo, hi, t0, t1):
    return {"footprint": {"type": "Point", "coordinates": [lon, lat], "radius_m": r},
            "altitude_lower_m": lo, "altitude_upper_m": hi,
            "time_start": iso(t0), "time_end": iso(t1)}


def random_volume(rng):
    lon, lat = rng.choice(HOT)
    lo = rng.choice(range(0, 6000, 300))
    t0 = BASE_T + rng.randrange(0, 12) * 1800
    return circle(lon + rng.uniform(-0.04, 0.04), lat + rng.uniform(-0.04, 0.04),
                  rng.uniform(300, 3000), lo, lo + rng.choice((300, 600, 1200)),
                  t0, t0 + rng.choice((600, 1800, 3600)))


def psql(args, sql):
    out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", args.store, "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def psql_rollback(args, setup, query):
    """Runs setup then query in one transaction that is rolled back."""
    script = "BEGIN;\n%s\n%s;\nROLLBACK;\n" % (setup, query.strip())
    out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", args.store],
                         input=script, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def make_operators(args, port, n):
    auth = Client(args.key)
    keys = []
    for i in range(n):
        st, js = auth.req(port, "POST", "/v1/operators", {"name": "opr%d_%d" % (i, os.getpid())})
        assert st == 201, (st, js)
        keys.append(js["api_key"])
    return keys


# ---------------------------------------------------------------- checker

CONFLICTS_SQL = """
WITH v AS (
  SELECT e.id, e.owner,
         (vol->'footprint'->'coordinates'->>0)::float8 AS lon,
         (vol->'footprint'->'coordinates'->>1)::float8 AS lat,
         (vol->'footprint'->>'radius_m')::float8 AS r,
         (vol->>'altitude_lower_m')::float8 AS lo, (vol->>'altitude_upper_m')::float8 AS hi,
         extract(epoch FROM (vol->>'time_start')::timestamptz) AS ts,
         extract(epoch FROM (vol->>'time_end')::timestamptz) AS te
  FROM entries e, jsonb_array_elements(e.volumes::jsonb) vol
  WHERE NOT e.is_restriction AND e.state IN ('approved', 'active', 'nonconforming'))
SELECT a.id || ' ' || b.id || ' gap_m=' ||
       round((ST_Distance(geography(ST_MakePoint(a.lon, a.lat)),
                          geography(ST_MakePoint(b.lon, b.lat))) - a.r - b.r)::numeric, 1)
FROM v a JOIN v b ON a.id < b.id AND a.owner <> b.owner
WHERE greatest(a.lo, b.lo) - least(a.hi, b.hi) < %(v)s
  AND greatest(a.ts, b.ts) - least(a.te, b.te) < %(t)s
  AND ST_DWithin(geography(ST_MakePoint(a.lon, a.lat)), geography(ST_MakePoint(b.lon, b.lat)),
                 a.r + b.r + %(h)s - 1.0)
"""


def check(args, instances, acked, maybe):
    """Independent checks over the database contents; returns failures."""
    failures = []
    psql(args, "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS postgis")
    pairs = psql(args, CONFLICTS_SQL % {"h": H_M, "v": V_M, "t": T_S})
    live = int(psql(args, "SELECT count(*) FROM entries WHERE NOT is_restriction AND state IN "
                          "('approved', 'active', 'nonconforming')"))
    total = int(psql(args, "SELECT count(*) FROM entries WHERE NOT is_restriction"))
    print("checker: %d operations in the database, %d live; conflicting live pairs: %d"
          % (total, live, len(pairs.splitlines()) if pairs else 0))
    if pairs:
        failures.append("conflicting approved pairs:\n" + pairs)
    # Negative control: a conflicting copy of a live operation, planted under
    # another owner in a transaction that is rolled back, must be found, or
    # the checker above proves nothing.
    planted = psql_rollback(args, (
        "INSERT INTO entries SELECT 'op_planted_control', is_restriction, owner + 1000000,"
        " priority, state, version, volumes, exempt, note, created, updated, change_seq"
        " FROM entries WHERE NOT is_restriction AND state IN ('approved', 'active',"
        " 'nonconforming') ORDER BY id LIMIT 1;"), CONFLICTS_SQL % {"h": H_M, "v": V_M, "t": T_S})
    found = sum(1 for line in planted.splitlines() if "op_planted_control" in line)
    print("checker: negative control (planted conflicting copy) found %d pair(s)" % found)
    if live and not found:
        failures.append("negative control: the checker missed a planted conflicting pair")
    rows = {}
    for line in psql(args, "SELECT id || ' ' || version || ' ' || state FROM entries").splitlines():
        i, v, s = line.split()
        rows[i] = (int(v), s)
    lost = 0
    for op_id, (ver, state) in acked.items():
        got = rows.get(op_id)
        ok = got is not None and (got == (ver, state) or (op_id in maybe and got[0] >= ver))
        if not ok:
            lost += 1
            if lost <= 10:
                failures.append("acknowledged %s v%d %s, database has %r" % (op_id, ver, state, got))
    print("checker: %d acknowledged operations, %d lost or changed" % (len(acked), lost))
    # Every instance's memory follows the database (within a second).
    time.sleep(1.2)
    auth = Client(args.key)
    for inst in instances:
        st, js = auth.req(inst.port, "GET", "/v1/operations")
        seen = {o["id"]: (o["version"], o["state"]) for o in js["operations"]} if st == 200 else {}
        diff = sum(1 for i, v in rows.items() if i.startswith("op_") and seen.get(i) != v)
        print("checker: instance %d lists %d operations, %d differ from the database"
              % (inst.idx, len(seen), diff))
        if st != 200 or diff:
            failures.append("instance %d is not caught up (%d differ)" % (inst.idx, diff))
    out = subprocess.run([args.bin, "audit", "verify", "--store", args.store],
                         capture_output=True, text=True)
    print("checker: " + (out.stdout + out.stderr).strip())
    if out.returncode != 0:
        failures.append("audit verify failed")
    return failures


# ---------------------------------------------------------------- race

def race(args, instances):
    a, b = instances[0], instances[1]
    k1, k2 = make_operators(args, a.port, 2)
    c1, c2 = Client(k1), Client(k2)
    barrier = threading.Barrier(2)
    results = [None, None]
    acked = {}
    bad = 0

    def send(i, client, port, body):
        barrier.wait()
        results[i] = client.req(port, "POST", "/v1/operations", body)

    t_start = time.time()
    for rnd in range(args.rounds):
        t0 = BASE_T + 86400 * 30 + rnd * 3600  # one hour per round: rounds never interact
        lon, lat = HOT[rnd % len(HOT)]
        body = {"volumes": [circle(lon, lat, 1000, 1000, 2000, t0, t0 + 600)]}
        # Alternate which operator goes to which instance.
        pair = [(c1, a.port), (c2, b.port)] if rnd % 2 == 0 else [(c1, b.port), (c2, a.port)]
        th = [threading.Thread(target=send, args=(i, cl, port, body))
              for i, (cl, port) in enumerate(pair)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        codes = sorted(r[0] for r in results)
        if codes != [201, 409]:
            bad += 1
            if bad <= 10:
                print("race: round %d answered %r" % (rnd, codes))
        for st, js in results:
            if st == 201:
                acked[js["id"]] = (js["version"], js["state"])
    dt = time.time() - t_start
    print("race: %d rounds in %.1f s, %d rounds without exactly one approval"
          % (args.rounds, dt, bad))
    failures = ["%d race rounds without exactly one approval" % bad] if bad else []
    return failures + check(args, instances, acked, set())


# ---------------------------------------------------------------- torture

def settle(cl, port, op_id, st, js, mine, acked, maybe, lock, unknown=(None,)):
    """Books the answer st to a modification or withdrawal of op_id: an
    acknowledgement, an outcome in `unknown` (it may have committed), or a
    stale If-Match (the current version is read back)."""
    if st == 200:
        with lock:
            acked[op_id] = (js["version"], js["state"])
        if js["state"] in LIVE:
            mine[op_id] = js["version"]
        else:
            del mine[op_id]
    elif st in unknown:
        with lock:
            maybe.add(op_id)  # the outcome is unknown: it may have committed
        mine.pop(op_id, None)
    elif st == 412:
        st2, js2 = cl.req(port, "GET", "/v1/operations/" + op_id)
        if st2 == 200 and js2["state"] in LIVE:
            mine[op_id] = js2["version"]
        else:
            mine.pop(op_id, None)


def stop_all(instances, failures):
    """SIGTERM each instance; a bad exit is added to failures."""
    for inst in instances:
        try:
            inst.stop()
        except SystemExit as e:
            failures.append(str(e))


def finish(failures, name):
    """Prints the failures and exits 1, or prints "name: ok"."""
    if failures:
        print("FAILED:\n" + "\n".join(failures))
        sys.exit(1)
    print("%s: ok" % name)


def torture(args, instances):
    keys = make_operators(args, instances[0].port, args.operators)
    acked, maybe, lock = {}, set(), threading.Lock()
    counts = {}
    stop_at = time.time() + args.seconds
    down = set()

    def bump(k):
        with lock:
            counts[k] = counts.get(k, 0) + 1

    def worker(ci):
        rng = random.Random(args.seed * 1000 + ci)
        cl = Client(keys[ci % len(keys)])
        mine = {}  # op id -> version (live, as last acknowledged)
        while time.time() < stop_at:
            live = [i for i in instances if i.idx not in down]
            port = rng.choice(live).port
            roll = rng.random()
            if roll < 0.65 or not mine:
                st, js = cl.req(port, "POST", "/v1/operations",
                                {"volumes": [random_volume(rng)]})
                if st == 201:
                    mine[js["id"]] = js["version"]
                    with lock:
                        acked[js["id"]] = (js["version"], js["state"])
                bump("submit_%s" % st)
                continue
            op_id = rng.choice(list(mine))
            hdr = {"If-Match": '"%d"' % mine[op_id]}
            if roll < 0.85:
                st, js = cl.req(port, "PUT", "/v1/operations/" + op_id,
                                {"volumes": [random_volume(rng)]}, hdr)
                bump("modify_%s" % st)
            else:
                st, js = cl.req(port, "DELETE", "/v1/operations/" + op_id, None, hdr)
                bump("withdraw_%s" % st)
            settle(cl, port, op_id, st, js, mine, acked, maybe, lock)

    def killer():
        time.sleep(args.seconds * 0.4)
        victim = instances[-1]
        down.add(victim.idx)
        victim.kill()
        print("torture: SIGKILLed instance %d at t=%.1f s" % (victim.idx, args.seconds * 0.4))
        time.sleep(1.0)
        victim.start()
        down.discard(victim.idx)
        print("torture: restarted instance %d on port %d" % (victim.idx, victim.port))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
    threads.append(threading.Thread(target=killer))
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.time() - t0
    approvals = counts.get("submit_201", 0) + counts.get("modify_200", 0)
    print("torture: %.1f s, %d instances, %d clients: %s" % (
        dt, len(instances), args.clients,
        " ".join("%s=%d" % kv for kv in sorted(counts.items()))))
    print("torture: %d approvals (%.0f/s)" % (approvals, approvals / dt))
    failures = []
    unexpected = [k for k in counts if k.endswith(("_500", "_400", "_404"))]
    if unexpected:
        failures.append("unexpected answers: %s" % unexpected)
    if approvals == 0:
        failures.append("nothing was approved")
    return failures + check(args, instances, acked, maybe)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--key", required=True, help="the authority's API key")
    ap.add_argument("--instances", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("race")
    r.add_argument("--rounds", type=int, default=1000)
    t = sub.add_parser("torture")
    t.add_argument("--seconds", type=float, default=20)
    t.add_argument("--clients", type=int, default=32)
    t.add_argument("--operators", type=int, default=4)
    args = ap.parse_args()
    args.tmp = tempfile.mkdtemp(prefix="dc-torture-")
    args.config = os.path.join(args.tmp, "config.json")
    with open(args.config, "w") as f:
        json.dump({"probe_limit": 0, "threads": 4}, f)
    instances = [Instance(args, i) for i in range(max(2, args.instances))]
    failures = []
    try:
        for inst in instances:
            inst.start()
        failures = race(args, instances) if args.cmd == "race" else torture(args, instances)
    finally:
        stop_all(instances, failures)
    finish(failures, args.cmd)


if __name__ == "__main__":
    main()
