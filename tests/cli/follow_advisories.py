"""Advisories that work (issue 13): the reference scenario played by
`deconflict simulate` against two fresh servers at once, from AT for RUN_S
real seconds: once on its plans, once with --follow-advisories. Every second
the authority's GET /v1/tracks gives IRN12 and VIPER2; `deconflict cpa
--lookahead 0` (the server's own detection) says whether they have lost
separation at that instant. On the plans they do (around 07:00:30); following
the advisories they do not, and the simulator followed at least one.

usage: follow_advisories.py BIN PORT_PLAN PORT_FOLLOW"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

AT = "06:59"
RUN_S = 120
PAIR = ("IRN12", "VIPER2")


def get(url, key):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + key})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)


def start(b, tmp, name, port):
    d = os.path.join(tmp, name)
    os.mkdir(d)
    key = os.path.join(d, "iraq.key")
    subprocess.run([b, "init", "--store", d + "/store.db", "--authority", "iraq",
                    "--key-file", key], check=True, capture_output=True)
    with open(d + "/config.json", "w") as f:
        f.write("{}")
    url = "http://127.0.0.1:%d" % port
    serve = subprocess.Popen([b, "serve", "--store", d + "/store.db", "--listen",
                              "127.0.0.1:%d" % port, "--config", d + "/config.json"],
                             stdout=subprocess.DEVNULL, stderr=open(d + "/serve.log", "w"))
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return d, key, url, serve


def lost(b, d, snap):
    """1 when the pair is in loss of separation in this snapshot."""
    path = os.path.join(d, "snap.jsonl")
    with open(path, "w") as f:
        for t in snap:
            f.write(json.dumps({k: t[k] for k in (
                "track_id", "time", "lat", "lon", "alt_m", "ground_speed_mps",
                "track_deg", "vertical_rate_mps")} | {"operator": t["track_id"]}) + "\n")
    r = subprocess.run([b, "cpa", "--tracks", path, "--lookahead", "0"],
                       capture_output=True, text=True)
    if r.returncode == 2:
        sys.exit("follow_advisories: cpa refused a snapshot: " + r.stderr)
    return any(c["los_now"] for c in json.loads(r.stdout or '{"conflicts":[]}')["conflicts"])


def main():
    b, ports = sys.argv[1], (int(sys.argv[2]), int(sys.argv[3]))
    tmp = tempfile.mkdtemp()
    runs, procs = {}, []
    try:
        for name, port in zip(("plans", "follow"), ports):
            d, key, url, serve = start(b, tmp, name, port)
            procs.append(serve)
            args = [b, "simulate", "--url", url, "--key-file", key, "--at", AT]
            if name == "follow":
                args.append("--follow-advisories")
            sim = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                   stderr=open(d + "/simulate.log", "w"))
            procs.append(sim)
            runs[name] = {"d": d, "key": open(key).read().strip(), "url": url, "sim": sim,
                          "snaps": [], "seen": set()}
        t_end = time.time() + RUN_S
        while time.time() < t_end:
            for r in runs.values():
                try:
                    tracks = get(r["url"] + "/v1/tracks", r["key"])["tracks"]
                except OSError:
                    continue
                snap = [t for t in tracks if t["track_id"] in PAIR]
                if len(snap) == 2 and snap[0]["time"] == snap[1]["time"] and \
                        snap[0]["time"] not in r["seen"]:
                    r["seen"].add(snap[0]["time"])
                    r["snaps"].append(snap)
            time.sleep(0.5)
        for r in runs.values():
            r["sim"].send_signal(signal.SIGTERM)
            r["sim"].wait(timeout=10)
        result = {}
        for name, r in runs.items():
            losses = sum(lost(b, r["d"], s) for s in r["snaps"])
            result[name] = losses
            print("follow_advisories: %s: %d seconds observed, %d in loss of separation "
                  "(IRN12/VIPER2)" % (name, len(r["snaps"]), losses))
        log = open(runs["follow"]["d"] + "/simulate.log").read()
        print("follow_advisories: simulate --follow-advisories: " + log.strip().splitlines()[-1])
        ok = True
        if len(runs["plans"]["snaps"]) < RUN_S // 2 or len(runs["follow"]["snaps"]) < RUN_S // 2:
            print("follow_advisories: FAIL: too few snapshots"), sys.exit(1)
        if result["plans"] == 0:
            print("follow_advisories: FAIL: on its plans the pair never lost separation")
            ok = False
        if result["follow"] != 0:
            print("follow_advisories: FAIL: following advisories, the pair lost separation")
            ok = False
        if " 0 advisories followed" in log:
            print("follow_advisories: FAIL: no advisory was followed")
            ok = False
        sys.exit(0 if ok else 1)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    main()
