#!/usr/bin/env python3
"""Tactical monitoring across instances (issue 6, item 3) against real
`deconflict serve` processes sharing one PostgreSQL database.

Two instances. Operator A reports its aircraft to instance 0, operator B
reports a converging aircraft to instance 1: exactly one instance (the
lease holder) detects, and each side's alert appears, once and numbered
alike, in /v1/alerts on both instances and on an SSE stream opened on the
instance that does not hold the lease; a stream resumed with Last-Event-ID on
the other instance continues from the same record. Blind: nothing an
operator got names the other side. Then the lease holder is SIGKILLed while
both keep reporting to the survivor and a second converging pair starts: the
survivor must hold the lease and raise the new pair's alerts (and still show
the first pair alerted) within 5 s of the kill; the figures are printed.
The store must already be initialised; the authority key comes from --key."""
import argparse
import http.client
import json
import os
import re
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from torture import Client, Instance  # noqa: E402

BAR_S = 5.0


def metric(port, key, name):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics", headers={"Authorization": "Bearer " + key})
    text = c.getresponse().read().decode()
    c.close()
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def rep(track, lat, lon, trk, t):
    return {"track_id": track, "time": t, "lat": lat, "lon": lon, "alt_m": 5000,
            "ground_speed_mps": 200.0, "track_deg": trk, "vertical_rate_mps": 0.0}


def alerts(cl, port):
    st, js = cl.req(port, "GET", "/v1/alerts?since=0&limit=1000")
    assert st == 200, (st, js)
    return js["alerts"]


class Stream:
    """An SSE consumer in a thread: events as (id, json)."""

    def __init__(self, port, key, last_id=None):
        self.events, self.raw = [], []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        hdrs = {"Authorization": "Bearer " + key, "Accept": "text/event-stream"}
        if last_id is not None:
            hdrs["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", "/v1/alerts/stream", headers=hdrs)
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200, self.resp.status
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        ev_id = None
        try:
            while True:
                line = self.resp.fp.readline()
                if not line:
                    return
                line = line.decode().rstrip("\n")
                self.raw.append(line)
                if line.startswith("id: "):
                    ev_id = int(line[4:])
                elif line.startswith("data: "):
                    self.events.append((ev_id, json.loads(line[6:])))
        except (OSError, ValueError, AttributeError):  # closed under us
            return

    def close(self):
        self.conn.close()


def wait_for(fn, timeout, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


def pair_records(recs, track):
    return [r for r in recs if r.get("track_id") == track and r["kind"] in ("raised", "cleared")]


def run(args, inst):
    failures = []
    auth = Client(args.key)
    pid = os.getpid()
    names = ["coalition_t%d" % pid, "iran_t%d" % pid]
    ops = []
    for n in names:
        st, js = auth.req(inst[0].port, "POST", "/v1/operators", {"name": n})
        assert st == 201, (st, js)
        ops.append({"name": n, "id": js["id"], "key": js["api_key"]})
    ca, cb = Client(ops[0]["key"]), Client(ops[1]["key"])
    ports = [i.port for i in inst]

    held = wait_for(lambda: [i for i, p in enumerate(ports)
                             if metric(p, args.key, "deconflict_monitor_lease_held") == 1], 10)
    if len(held) != 1:
        return ["expected exactly one lease holder, got instances %r" % held]
    holder = held[0]
    other = 1 - holder
    print("lease holder: instance %d" % holder)
    sse = Stream(ports[other], ops[0]["key"])  # operator A, on the non-holder

    # Pair 1: head-on at 5,000 m, 36 km apart, closing at 400 m/s (CPA ~90 s).
    # A reports to instance 0, B to instance 1.
    stop = threading.Event()
    pairs = [("CQX-11", "IZV-22", 35.0, 40.0, 40.4)]
    targets = [[ports[0], ports[1]]]

    def feeder():
        t0 = time.time()
        while not stop.is_set():
            now = time.time()
            for k, (ta, tb, lat, lon_a, lon_b) in enumerate(list(pairs)):
                shift = 200.0 * (now - t0) / 91000.0  # degrees of lon flown
                pa, pb = targets[k]
                for cl, port, r in ((ca, pa, rep(ta, lat, lon_a + shift, 90, now)),
                                    (cb, pb, rep(tb, lat, lon_b - shift, 270, now))):
                    st, js = cl.req(port, "POST", "/v1/tracks", {"reports": [r]})
                    if st not in (202, None):
                        failures.append("POST /v1/tracks to %d: %r %r" % (port, st, js))
            stop.wait(0.25)

    th = threading.Thread(target=feeder, daemon=True)
    th.start()
    try:
        def both_sides_everywhere():
            for p in ports:
                if not pair_records(alerts(ca, p), "CQX-11") or \
                        not pair_records(alerts(cb, p), "IZV-22"):
                    return False
            return True

        t_start = time.time()
        if not wait_for(both_sides_everywhere, 15):
            return failures + ["pair 1 alert not on both instances for both sides"]
        print("pair 1 alerted on both instances in %.2f s" % (time.time() - t_start))
        for cl, track in ((ca, "CQX-11"), (cb, "IZV-22")):
            lists = [alerts(cl, p) for p in ports]
            recs = pair_records(lists[0], track)
            if [r["kind"] for r in recs] != ["raised"]:
                failures.append("%s: expected one raised record, got %r" % (track, recs))
            if lists[0] != lists[1]:
                failures.append("%s: instances disagree on the alert list:\n%r\n%r"
                                % (track, lists[0], lists[1]))
        first = pair_records(alerts(ca, ports[0]), "CQX-11")[0]
        if not wait_for(lambda: [e for e in sse.events if e[1].get("track_id") == "CQX-11"], 5):
            failures.append("the SSE stream on the non-holder got no alert")
        else:
            got = [e for e in sse.events if e[1].get("track_id") == "CQX-11"][0]
            if got[0] != first["seq"] or got[1] != first:
                failures.append("SSE on the non-holder %r differs from /v1/alerts %r"
                                % (got, first))
        # Resume on the holder from just before that record.
        resumed = Stream(ports[holder], ops[0]["key"], last_id=first["seq"] - 1)
        r0 = wait_for(lambda: resumed.events, 5)
        resumed.close()
        if not r0 or r0[0][0] != first["seq"] or r0[0][1] != first:
            failures.append("Last-Event-ID resume on the other instance gave %r, want %r"
                            % (r0[:1], first))

        # Failover: SIGKILL the holder; everyone reports to the survivor.
        targets[0] = [ports[other], ports[other]]
        inst[holder].kill()
        t_kill = time.time()
        pairs.append(("CQX-31", "IZV-42", 35.5, 40.0, 40.4))
        targets.append([ports[other], ports[other]])
        t_lease = wait_for(lambda: metric(ports[other], args.key,
                                          "deconflict_monitor_lease_held") == 1 and time.time(),
                           10, step=0.02)
        t_alert = wait_for(lambda: (pair_records(alerts(ca, ports[other]), "CQX-31") and
                                    pair_records(alerts(cb, ports[other]), "IZV-42") and
                                    time.time()), 10, step=0.02)
        if not t_lease or not t_alert:
            failures.append("no takeover within 10 s (lease %r, alerts %r)" % (t_lease, t_alert))
        else:
            lease_s, alert_s = t_lease - t_kill, t_alert - t_kill
            print("failover: survivor holds the lease %.2f s after SIGKILL, raises the new "
                  "pair's alerts %.2f s after it (bar %.0f s)" % (lease_s, alert_s, BAR_S))
            if alert_s >= BAR_S:
                failures.append("failover took %.2f s (bar %.0f s)" % (alert_s, BAR_S))
        # Pair 1 is still alerted on the survivor (kept or raised again).
        for cl, track in ((ca, "CQX-11"), (cb, "IZV-22")):
            recs = pair_records(alerts(cl, ports[other]), track)
            if not recs or recs[-1]["kind"] != "raised":
                failures.append("%s: not alerted after failover: %r" % (track, recs))
        if not wait_for(lambda: [e for e in sse.events if e[1].get("track_id") == "CQX-31"], 5):
            failures.append("the SSE stream on the survivor got no alert after failover")
    finally:
        stop.set()
        th.join()
        sse.close()

    # Blind: nothing operator A got names B, and the other way round.
    for me, you, cl in ((ops[0], ops[1], ca), (ops[1], ops[0], cb)):
        text = json.dumps(alerts(cl, ports[other]))
        if me is ops[0]:
            text += "\n".join(sse.raw)
        theirs = [you["name"], you["id"]] + (["IZV-22", "IZV-42"] if me is ops[0]
                                             else ["CQX-11", "CQX-31"])
        leaked = [s for s in theirs if s in text]
        if leaked:
            failures.append("%s's alerts name the other side: %r" % (me["name"], leaked))
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--key", required=True, help="the authority's API key")
    args = ap.parse_args()
    args.tmp = tempfile.mkdtemp(prefix="dc-tactical-")
    args.config = os.path.join(args.tmp, "config.json")
    with open(args.config, "w") as f:
        json.dump({"probe_limit": 0, "threads": 4, "sse_heartbeat_s": 1}, f)
    inst = [Instance(args, i) for i in range(2)]
    failures = []
    try:
        for i in inst:
            i.start()
        failures = run(args, inst)
    finally:
        for i in inst:
            try:
                i.stop()
            except SystemExit as e:
                failures.append(str(e))
    if failures:
        print("FAILED:\n" + "\n".join(failures))
        sys.exit(1)
    print("tactical: ok")


if __name__ == "__main__":
    main()
