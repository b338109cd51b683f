#!/usr/bin/env python3
"""Operations that end by themselves on a shared PostgreSQL store (issue 18):
two `deconflict serve` instances; an operator names an operation with a
window that closes in a few seconds on instance 0. Instance 1 sees it, name
included (the change feed carries the name), and both then show it `ended`
by itself, version 2, with exactly one audit record "end" by "system" in the
chain (one sweep wins the decision window; the other finds it ended). The
store must already be initialised; the authority key comes from --key."""
import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from torture import Client, Instance, circle, iso, make_operators  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--key", required=True, help="the authority's API key")
    args = ap.parse_args()
    args.tmp = tempfile.mkdtemp(prefix="dc-windows-")
    args.config = os.path.join(args.tmp, "config.json")
    with open(args.config, "w") as f:
        json.dump({"probe_limit": 0, "tick_s": 0.2}, f)
    inst = [Instance(args, i) for i in range(2)]
    try:
        for i in inst:
            i.start()
        p0, p1 = inst[0].port, inst[1].port
        op = Client(make_operators(args, p0, 1)[0])
        now = int(time.time())
        st, js = op.req(p0, "POST", "/v1/operations", {"name": "last light", "volumes": [
            circle(45.0, 34.0, 1000, 1000, 2000, now - 60, now + 3)]})
        assert st == 201, (st, js)
        oid = js["id"]
        st, js = op.req(p1, "GET", "/v1/operations/" + oid)
        assert st == 200 and js["name"] == "last light", (st, js)
        end = time.time() + 15
        states = {}
        while time.time() < end:
            states = {p: op.req(p, "GET", "/v1/operations/" + oid)[1] for p in (p0, p1)}
            if all(s["state"] == "ended" for s in states.values()):
                break
            time.sleep(0.2)
        for p, s in states.items():
            assert s["state"] == "ended" and s["version"] == 2, (p, s)
            assert s["reason"] == "its time window ended" and s["name"] == "last light", (p, s)
        auth = Client(args.key)
        ends = []
        for _ in range(50):
            st, js = auth.req(p1, "GET", "/v1/audit?limit=1000")
            ends = [e["entry"] for e in js["entries"]
                    if e["entry"]["subject"] == oid and e["entry"]["action"] == "end"]
            if ends:
                break
            time.sleep(0.1)
        assert [e["actor"] for e in ends] == ["system"], ends
        print("windows: ok (ended by itself on both instances, one audit record, until %s)"
              % iso(now + 3))
    finally:
        for i in inst:
            i.stop()


if __name__ == "__main__":
    main()
