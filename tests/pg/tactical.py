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
survivor must hold the lease and raise the new pair's alerts (within 10 s in
make test; the 5 s bar is enforced only by make bench, DC_BENCH_STRICT=1);
the figures are printed.

Alerts open at the kill are inherited, not raised again: pair 1 stays
alerted under its one reference and, once it separates after the takeover,
is cleared once under that reference; a third pair alerted before the kill
whose aircraft stopped reporting (stale by the takeover, but not yet when
the holder died) is cleared by the survivor after its grace passes, under
its reference. Each side and the authority see exactly one "raised" and one
"cleared" per pair over the whole run. A track outside its operation's
volume, reported nonconforming before the kill, is not reported again.
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
from torture import Client, Instance, iso  # noqa: E402

BAR_S = 5.0
STALE_S = 30  # the server's default stale_s


def metric(port, key, name):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics", headers={"Authorization": "Bearer " + key})
    text = c.getresponse().read().decode()
    c.close()
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def rep(track, lat, lon, trk, t, alt=5000):
    return {"track_id": track, "time": t, "lat": lat, "lon": lon, "alt_m": alt,
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


def authority_records(recs, ta, tb):
    return [r for r in recs if r["kind"] in ("raised", "cleared") and
            {r["a"]["track_id"], r["b"]["track_id"]} == {ta, tb}]


def raised_then_cleared(recs):
    """One raise and one clear under one reference (else a message)."""
    kinds = [r["kind"] for r in recs]
    if kinds != ["raised", "cleared"]:
        return "expected raised then cleared, got %r" % recs
    if recs[0]["alert"] != recs[1]["alert"]:
        return "cleared under %s, raised under %s" % (recs[1]["alert"], recs[0]["alert"])
    return None


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

    # A's operation, and a track of it parked 45 km outside (conf_dwell_s 2).
    now = int(time.time())
    st, js = ca.req(ports[0], "POST", "/v1/operations", {"volumes": [{
        "footprint": {"type": "Point", "coordinates": [30.0, 0.0], "radius_m": 10000},
        "altitude_lower_m": 3000, "altitude_upper_m": 7000,
        "time_start": iso(now - 600), "time_end": iso(now + 3600)}]})
    assert st == 201, (st, js)
    nc_op = js["id"]

    # The pairs' own operations (only a live operation's aircraft raise an
    # operator's alerts, issue 13): A west of 40.15 E, B east of 40.25 E; the
    # aircraft fly a few km past their edge, within conf_h_tol_m.
    pair_ops = []
    for cl, lo0, lo1 in ((ca, 39.0, 40.15), (cb, 40.25, 41.4)):
        ring = [[lo0, 34.5], [lo1, 34.5], [lo1, 36.5], [lo0, 36.5], [lo0, 34.5]]
        st, js = cl.req(ports[0], "POST", "/v1/operations", {"volumes": [{
            "footprint": {"type": "Polygon", "coordinates": [ring]},
            "altitude_lower_m": 3000, "altitude_upper_m": 7000,
            "time_start": iso(now - 600), "time_end": iso(now + 3600)}]})
        assert st == 201, (st, js)
        pair_ops.append(js["id"])

    # Pair 1: head-on at 5,000 m, 36 km apart, closing at 400 m/s (CPA ~90 s).
    # A reports to instance 0, B to instance 1. Pair 3 (the same, further
    # north) reports times STALE_S - 4 s old, so its tracks go stale 4 s
    # after its last report; both its aircraft report to the survivor-to-be.
    stop = threading.Event()
    pairs = [dict(ta="CQX-11", tb="IZV-22", lat=35.0, lon_a=40.0, lon_b=40.4,
                  ports=[ports[0], ports[1]], back=0, alt_b=5000, on=True),
             dict(ta="CQX-51", tb="IZV-62", lat=36.0, lon_a=40.0, lon_b=40.4,
                  ports=[ports[other], ports[other]], back=STALE_S - 4, alt_b=5000, on=True)]
    pair3 = pairs[1]

    # The feeder reports through its own Clients: sharing the main thread's
    # keep-alive connections made their requests close each other's, and a
    # GET then failed twice against a healthy server (issue 11).
    fa, fb = Client(ops[0]["key"]), Client(ops[1]["key"])

    def feeder():
        t0 = time.time()
        while not stop.is_set():
            r = dict(rep("CQX-71", 0.0, 30.4, 90, time.time()), ground_speed_mps=0.0,
                     operation_id=nc_op)
            st, js = fa.req(ports[other], "POST", "/v1/tracks", {"reports": [r]})
            if st not in (202, None):
                failures.append("POST /v1/tracks (CQX-71): %r %r" % (st, js))
            for p in list(pairs):
                if not p["on"]:
                    continue
                t = time.time() - p["back"]
                shift = 200.0 * (t - t0) / 91000.0  # degrees of lon flown
                pa, pb = p["ports"]
                ra = dict(rep(p["ta"], p["lat"], p["lon_a"] + shift, 90, t),
                          operation_id=pair_ops[0])
                rb = dict(rep(p["tb"], p["lat"], p["lon_b"] - shift, 270, t, p["alt_b"]),
                          operation_id=pair_ops[1])
                for cl, port, r in ((fa, pa, ra), (fb, pb, rb)):
                    st, js = cl.req(port, "POST", "/v1/tracks", {"reports": [r]})
                    if st not in (202, None):
                        failures.append("POST /v1/tracks to %d: %r %r" % (port, st, js))
                    p["last_t"] = t
            stop.wait(0.25)

    th = threading.Thread(target=feeder, daemon=True)
    th.start()
    try:
        def nonconforming(recs):
            return [r for r in recs if r["kind"] in ("nonconforming", "conforming") and
                    r.get("track_id") == "CQX-71"]

        def both_sides_everywhere():
            for p in ports:
                if not nonconforming(alerts(ca, p)) or \
                        not pair_records(alerts(ca, p), "CQX-11") or \
                        not pair_records(alerts(cb, p), "IZV-22") or \
                        not authority_records(alerts(auth, p), "CQX-51", "IZV-62"):
                    return False
            return True

        t_start = time.time()
        if not wait_for(both_sides_everywhere, 15):
            return failures + ["pair 1 or CQX-71 not alerted on both instances"]
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

        # Pair 3 stops reporting; its tracks go stale 4 s after its last
        # report. Kill the holder 0.5 s before that, so it cannot clear them,
        # and the survivor, which cannot take the lease until 1 s after the
        # kill (3 s expiry, renewed at least every 2 s), no longer sees them.
        pair3["on"] = False
        time.sleep(0.3)  # a report in flight
        stale_at = pair3["last_t"] + STALE_S
        time.sleep(max(0.0, stale_at - 0.5 - time.time()))
        for cl, track in ((ca, "CQX-51"), (cb, "IZV-62")):
            recs = pair_records(alerts(cl, ports[other]), track)
            if [r["kind"] for r in recs] != ["raised"]:
                failures.append("%s: expected only raised before the kill, got %r"
                                % (track, recs))

        # Failover: SIGKILL the holder; everyone reports to the survivor.
        pairs[0]["ports"] = [ports[other], ports[other]]
        inst[holder].kill()
        t_kill = time.time()
        if t_kill >= stale_at:
            failures.append("killed the holder %.2f s after pair 3 went stale"
                            % (t_kill - stale_at))
        time.sleep(0.4)  # the old holder's last records reach the survivor
        if len(pair_records(alerts(ca, ports[other]), "CQX-51")) != 1:
            failures.append("the holder cleared pair 3 before it died (test timing)")
        pairs.append(dict(ta="CQX-31", tb="IZV-42", lat=35.5, lon_a=40.0, lon_b=40.4,
                          ports=[ports[other], ports[other]], back=0, alt_b=5000, on=True))
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
            if alert_s >= BAR_S and os.environ.get("DC_BENCH_STRICT"):
                failures.append("failover took %.2f s (bar %.0f s)" % (alert_s, BAR_S))
        if not wait_for(lambda: [e for e in sse.events if e[1].get("track_id") == "CQX-31"], 5):
            failures.append("the SSE stream on the survivor got no alert after failover")

        def cleared(ta, tb):
            """When both sides and the authority have a second record."""
            return lambda: all(len(recs) >= 2 for recs in (
                pair_records(alerts(ca, ports[other]), ta),
                pair_records(alerts(cb, ports[other]), tb),
                authority_records(alerts(auth, ports[other]), ta, tb))) and time.time()

        # Pair 3, stale at the takeover: cleared by the survivor once its
        # grace passes are over, under the reference it was raised with.
        t_clear3 = wait_for(cleared("CQX-51", "IZV-62"), 10, step=0.1)
        if not t_clear3:
            failures.append("pair 3 (stale at the takeover) was not cleared")
        else:
            print("pair 3 (stale at the takeover) cleared %.2f s after the kill"
                  % (t_clear3 - t_kill))
        # Pair 1, inherited: still alerted by the one record raised before.
        for cl, track in ((ca, "CQX-11"), (cb, "IZV-22")):
            recs = pair_records(alerts(cl, ports[other]), track)
            if [r["kind"] for r in recs] != ["raised"]:
                failures.append("%s: expected the one raise after takeover, got %r"
                                % (track, recs))
        # Pair 1 separates (B climbs 500 m, within the kinematic check's
        # slack for one report): cleared once, same reference.
        pairs[0]["alt_b"] = 5500
        t_sep = time.time()
        t_clear1 = wait_for(cleared("CQX-11", "IZV-22"), 10, step=0.1)
        if not t_clear1:
            failures.append("pair 1 was not cleared after separating")
        else:
            print("pair 1 (inherited) cleared %.2f s after separating" % (t_clear1 - t_sep))
        time.sleep(1.5)  # anything raised again would be in by now

        # Over the whole run: one raise and one clear per pair, per party.
        a_list, b_list, auth_list = (alerts(c, ports[other]) for c in (ca, cb, auth))
        for name, ta, tb in (("pair 1", "CQX-11", "IZV-22"), ("pair 3", "CQX-51", "IZV-62")):
            for who, recs in (("A", pair_records(a_list, ta)), ("B", pair_records(b_list, tb)),
                              ("authority", authority_records(auth_list, ta, tb))):
                msg = raised_then_cleared(recs)
                if msg:
                    failures.append("%s, %s: %s" % (name, who, msg))
            refs = {r["alert"] for r in pair_records(a_list, ta) + pair_records(b_list, tb) +
                    authority_records(auth_list, ta, tb)}
            if len(refs) != 1:
                failures.append("%s: parties disagree on the reference: %r" % (name, refs))
        for who, recs in (("A", nonconforming(a_list)), ("authority", nonconforming(auth_list))):
            if [r["kind"] for r in recs] != ["nonconforming"]:
                failures.append("CQX-71, %s: expected one nonconforming record, got %r"
                                % (who, recs))
        st, js = ca.req(ports[other], "GET", "/v1/operations/" + nc_op)
        if st != 200 or js["state"] != "nonconforming":
            failures.append("CQX-71's operation after failover: %r %r" % (st, js))
        sse_1 = [e[1]["kind"] for e in sse.events if e[1].get("track_id") == "CQX-11"]
        if sse_1 != ["raised", "cleared"]:
            failures.append("SSE on the survivor, pair 1: %r" % sse_1)
    finally:
        stop.set()
        th.join()
        sse.close()

    # Blind: nothing operator A got names B, and the other way round.
    for me, you, cl in ((ops[0], ops[1], ca), (ops[1], ops[0], cb)):
        text = json.dumps(alerts(cl, ports[other]))
        if me is ops[0]:
            text += "\n".join(sse.raw)
        theirs = [you["name"], you["id"]] + (["IZV-22", "IZV-42", "IZV-62"] if me is ops[0]
                                             else ["CQX-11", "CQX-31", "CQX-51", "CQX-71",
                                                   nc_op])
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
        json.dump({"probe_limit": 0, "threads": 4, "sse_heartbeat_s": 1, "conf_dwell_s": 2,
                   "conf_h_tol_m": 20000}, f)
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
