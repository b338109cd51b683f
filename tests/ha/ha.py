#!/usr/bin/env python3
"""Failover under load (issue 15) against a real Patroni cluster
(contrib/ha/cluster.sh: 3 etcd, 3 PostgreSQL 15, synchronous) and two
`deconflict serve` instances on its multi-host connection string.

  ha.py --bin B --cluster DIR --key K --events kill,stop,switchover

Clients submit, modify and withdraw operations in a few hot cells through
both instances all along. Each event strikes the primary: `kill` SIGKILLs
its postmaster, `stop` SIGSTOPs it and its backends (a hung primary; they
are resumed once a new primary approves), `switchover` asks Patroni for a
planned switchover. After each, once the cluster has a primary and two
streaming standbys again, the clients pause and the checker of
tests/pg/torture.py runs: no two live operations of different operators
conflict (PostGIS), every acknowledged approval is in the database with
its acknowledged version, each instance lists what the database holds,
`audit verify` passes. Every answer must be one a healthy server could
give (201/200, 409, 412 on a stale If-Match, 429 when shedding); anything
else (500, 400, 404, 401 or 403 to a valid key...) is a wrong answer. 503
(with Retry-After) and lost connections are the allowed failures. The
tactical monitor must resume: exactly one instance holds the lease and a
new converging pair raises its alerts. Per event it prints the time from
the strike to the first approval of a request sent after it, the requests
failed meanwhile and approvals/s before and after."""
import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pg"))
from torture import (Client, Instance, check, finish, make_operators,  # noqa: E402
                     random_volume, settle, stop_all)
from tactical import alerts, iso, metric, rep  # noqa: E402

# Answers a client may get during a failover; any other is a wrong answer.
ALLOWED = (200, 201, 409, 412, 429, 503, None)
CLUSTER = os.path.join(HERE, "..", "..", "contrib", "ha", "cluster.sh")


def cluster(args, *cmd):
    out = subprocess.run(["sh", CLUSTER, cmd[0], args.cluster] + list(cmd[1:]),
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("cluster.sh %s: %s" % (cmd[0], out.stderr.strip()))
    return out.stdout.strip()


def leader(args, other_than=None, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            name = cluster(args, "leader")
        except RuntimeError:
            name = ""
        if name and name != other_than:
            return name
        time.sleep(0.2)
    return None


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


class Load:
    """Worker threads; every answer is logged as (sent, received, status)."""

    def __init__(self, args, instances, keys):
        self.args, self.instances, self.keys = args, instances, keys
        self.acked, self.maybe, self.lock = {}, set(), threading.Lock()
        self.log, self.wrong = [], []
        self.stop, self.run = threading.Event(), threading.Event()
        self.idle = [threading.Event() for _ in range(args.clients)]
        self.run.set()
        self.threads = [threading.Thread(target=self.worker, args=(i,), daemon=True)
                        for i in range(args.clients)]
        for t in self.threads:
            t.start()

    def pause(self):
        self.run.clear()
        for e in self.idle:
            e.wait(90)

    def resume(self):
        for e in self.idle:
            e.clear()
        self.run.set()

    def worker(self, ci):
        rng = random.Random(self.args.seed * 1000 + ci)
        cl = Client(self.keys[ci % len(self.keys)])
        mine = {}
        while not self.stop.is_set():
            if not self.run.is_set():
                self.idle[ci].set()
                self.run.wait(1)
                continue
            port = rng.choice(self.instances).port
            roll = rng.random()
            t0 = time.time()
            if roll < 0.7 or not mine:
                st, js = cl.req(port, "POST", "/v1/operations", {"volumes": [random_volume(rng)]})
                kind = "submit"
                if st == 201:
                    mine[js["id"]] = js["version"]
                    with self.lock:
                        self.acked[js["id"]] = (js["version"], js["state"])
            else:
                op_id = rng.choice(list(mine))
                hdr = {"If-Match": '"%d"' % mine[op_id]}
                if roll < 0.9:
                    kind = "modify"
                    st, js = cl.req(port, "PUT", "/v1/operations/" + op_id,
                                    {"volumes": [random_volume(rng)]}, hdr)
                else:
                    kind = "withdraw"
                    st, js = cl.req(port, "DELETE", "/v1/operations/" + op_id, None, hdr)
                # 503 too: a commit whose outcome could not be read back in time
                settle(cl, port, op_id, st, js, mine, self.acked, self.maybe, self.lock,
                       unknown=(None, 503))
            t1 = time.time()
            with self.lock:
                self.log.append((t0, t1, kind, st))
                if st not in ALLOWED:
                    self.wrong.append((kind, st, js))
            if st in (None, 503):
                time.sleep(0.2)  # Retry-After is 1 s; retry sooner to time the recovery

    def approvals(self, t0, t1):
        with self.lock:
            return sum(1 for s, r, k, st in self.log if t0 <= r < t1 and st in (200, 201))


class Tactical:
    """Two operators with adjacent areas; a new converging pair per check."""

    def __init__(self, args, instances):
        self.args, self.instances, self.n = args, instances, 0
        auth = Client(args.key)
        self.ops = []
        for name in ("ha_a%d" % os.getpid(), "ha_b%d" % os.getpid()):
            st, js = auth.req(instances[0].port, "POST", "/v1/operators", {"name": name})
            assert st == 201, (st, js)
            self.ops.append(js["api_key"])
        now = int(time.time())
        self.opids = []
        # Circles (the checker of torture.py reads point footprints), 17 km apart.
        for key, lon in ((self.ops[0], 39.5), (self.ops[1], 40.9)):
            st, js = Client(key).req(instances[0].port, "POST", "/v1/operations", {"volumes": [{
                "footprint": {"type": "Point", "coordinates": [lon, 35.1], "radius_m": 55000},
                "altitude_lower_m": 3000, "altitude_upper_m": 7000,
                "time_start": iso(now - 600), "time_end": iso(now + 86400)}]})
            assert st == 201, (st, js)
            self.opids.append(js["id"])

    def resumes(self):
        """None when one instance holds the lease and a new pair is alerted."""
        ports = [i.port for i in self.instances]
        end = time.time() + 20
        held = []
        while time.time() < end:
            held = [p for p in ports if metric(p, self.args.key,
                                               "deconflict_monitor_lease_held") == 1]
            if len(held) == 1:
                break
            time.sleep(0.25)
        if len(held) != 1:
            return "lease held by %d instances" % len(held)
        self.n += 1
        lat = 35.0 + 0.02 * (self.n % 10)
        ta, tb = "HAA-%d" % self.n, "HAB-%d" % self.n
        ca, cb = Client(self.ops[0]), Client(self.ops[1])
        t0 = time.time()
        while time.time() < t0 + 20:
            t = time.time()
            shift = 200.0 * (t - t0) / 91000.0
            for cl, port, r, op in ((ca, ports[0], rep(ta, lat, 40.0 + shift, 90, t), 0),
                                    (cb, ports[1], rep(tb, lat, 40.4 - shift, 270, t), 1)):
                r["operation_id"] = self.opids[op]
                st, js = cl.req(port, "POST", "/v1/tracks", {"reports": [r]})
                if st != 202:
                    return "POST /v1/tracks: %r %r" % (st, js)
            got = [a for a in alerts(ca, ports[1]) if a.get("track_id") == ta
                   and a["kind"] == "raised"]
            if got:
                print("ha: tactical monitor resumed: pair %s/%s alerted %.1f s after its first "
                      "report" % (ta, tb, time.time() - t0))
                return None
            time.sleep(0.25)
        return "no alert for the new pair %s/%s in 20 s" % (ta, tb)


def strike(args, load, kind, old):
    """Strikes the primary `old`; returns figures, or raises on failure."""
    pm = int(cluster(args, "pid", old))
    t_ev = time.time()
    stopped = []
    if kind == "kill":
        os.kill(pm, signal.SIGKILL)
    elif kind == "stop":
        stopped = [pm] + children(pm)
        for p in stopped:
            os.kill(p, signal.SIGSTOP)
    else:
        out = subprocess.run(["patronictl", "-c", os.path.join(args.cluster, "pg1.yml"),
                              "switchover", "--leader", old, "--force"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("switchover: " + out.stdout + out.stderr)
    new = leader(args, other_than=old, timeout=90)
    # The first approval on the new primary: of a request sent once Patroni
    # names it (a switchover's old primary approves until it is demoted).
    t_new = time.time()
    first = None
    end = time.time() + 90
    while first is None and time.time() < end:
        with load.lock:
            ok = [r for s, r, k, st in load.log if s > t_new and st in (200, 201)]
        first = min(ok) if ok else None
        time.sleep(0.05)
    for p in stopped:
        try:
            os.kill(p, signal.SIGCONT)
        except ProcessLookupError:
            pass
    if first is None:
        raise RuntimeError("%s: no approval within 90 s of the strike" % kind)
    time.sleep(max(0.0, first + args.window - time.time()))
    with load.lock:
        failed = [st for s, r, k, st in load.log if t_ev <= r <= first and st not in (200, 201, 409, 412)]
    w = args.window
    before = load.approvals(t_ev - w, t_ev) / w
    after = load.approvals(first, first + w) / w
    other = sorted(set(st for st in failed if st not in (503, None)), key=str)
    return {"kind": kind, "old": old, "new": new, "recovery_s": first - t_ev,
            "failed": len(failed), "f503": failed.count(503), "fnone": failed.count(None),
            "other": " ".join("%s: %d" % (st, failed.count(st)) for st in other),
            "before": before, "after": after}


def store_metrics(args, instances):
    names = ["deconflict_store_reconnects_total", "deconflict_store_resyncs_total",
             'deconflict_store_commit_unknown_total{outcome="committed"}',
             'deconflict_store_commit_unknown_total{outcome="rolled_back"}',
             'deconflict_store_commit_unknown_total{outcome="unresolved"}']
    tot = {}
    for inst in instances:
        for n in names:
            tot[n] = tot.get(n, 0) + (metric(inst.port, args.key, n) or 0)
    return " ".join("%s=%d" % (n.replace("deconflict_store_", ""), v) for n, v in tot.items())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--cluster", required=True, help="the directory of cluster.sh start")
    ap.add_argument("--key", required=True, help="the authority's API key")
    ap.add_argument("--events", default="kill,stop,switchover")
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-check", action="store_true", help="bench: figures only")
    ap.add_argument("--window", type=float, default=3.0,
                    help="seconds of load measured before each strike and after recovery")
    args = ap.parse_args()
    args.store = open(os.path.join(args.cluster, "uri")).read().strip()
    args.tmp = tempfile.mkdtemp(prefix="dc-ha-")
    args.config = os.path.join(args.tmp, "config.json")
    with open(args.config, "w") as f:
        json.dump({"probe_limit": 0, "threads": 4}, f)
    instances = [Instance(args, i) for i in range(2)]
    failures, figures = [], []
    load = None
    try:
        for inst in instances:
            inst.start()
        tac = Tactical(args, instances)
        load = Load(args, instances, make_operators(args, instances[0].port, 4))
        time.sleep(args.window)
        for n, kind in enumerate(args.events.split(",")):
            old = leader(args)
            try:
                fig = strike(args, load, kind, old)
            except RuntimeError as e:
                failures.append(str(e))
                break
            figures.append(fig)
            print("ha: %2d %-10s %s -> %s: first approval %.2f s after, %d requests failed "
                  "meanwhile (503: %d, no answer: %d%s), approvals/s %.0f before, %.0f after"
                  % (n + 1, kind, fig["old"], fig["new"], fig["recovery_s"], fig["failed"],
                     fig["f503"], fig["fnone"], fig["other"] and ", " + fig["other"],
                     fig["before"], fig["after"]), flush=True)
            try:
                cluster(args, "wait", "360")
            except RuntimeError as e:
                failures.append("after %s: %s" % (kind, e))
                break
            if args.no_check:
                continue
            load.pause()
            with load.lock:
                acked, maybe = dict(load.acked), set(load.maybe)
            fs = check(args, instances, acked, maybe)
            err = tac.resumes()
            if err:
                fs.append("tactical monitor: " + err)
            if load.wrong:
                fs.append("wrong answers: %r" % load.wrong[:5])
            print("ha: store metrics (both instances): " + store_metrics(args, instances))
            failures += ["after %s %d: %s" % (kind, n + 1, f) for f in fs]
            if fs:
                break
            load.resume()
            time.sleep(args.window)  # the "before" figure: load on the healthy cluster
    finally:
        if load:
            load.stop.set()
            load.run.set()
            for t in load.threads:
                t.join(60)
        stop_all(instances, failures)
    if figures:
        kills = [f["recovery_s"] for f in figures if f["kind"] == "kill"]
        allr = [f["recovery_s"] for f in figures]
        print("failover: %d events; strike to first approval median %.2f s (kills: median %s), "
              "max %.2f s; bar: median kill <= 15 s" % (
                  len(figures), statistics.median(allr),
                  "%.2f s" % statistics.median(kills) if kills else "n/a", max(allr)))
        print("failover: requests failed per event median %d; approvals/s median %.0f before, "
              "%.0f after" % (statistics.median(f["failed"] for f in figures),
                              statistics.median(f["before"] for f in figures),
                              statistics.median(f["after"] for f in figures)))
        if kills and os.environ.get("DC_BENCH_STRICT") == "1" and statistics.median(kills) > 15:
            failures.append("median kill-to-approval %.2f s over the 15 s bar"
                            % statistics.median(kills))
    finish(failures, "ha")


if __name__ == "__main__":
    main()
