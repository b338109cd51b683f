"""Witness cosignatures on a shared PostgreSQL store: two instances, a
witness that pulls from and posts to instance A only. Instance B serves
the checkpoint cosigned (folding in the store's newer checkpoints and
cosignature lines at its next window), the line verifies independently,
and `deconflict verify --witness-key K --min-witnesses 1` against B
passes. Then A is restarted and serves the line from the store. B
signs less often than A, so what it serves is mostly a checkpoint that
only A signed."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from witness_scenarios import BIN, OK, check_cosignature, keygen, run  # noqa: E402


def serve(uri, tmp, name, config):
    cfg = os.path.join(tmp, name + ".json")
    with open(cfg, "w") as f:
        json.dump(config, f)
    p = subprocess.Popen([BIN, "serve", "--store", uri, "--listen", "127.0.0.1:0",
                          "--config", cfg], stdout=subprocess.PIPE,
                         stderr=open(os.path.join(tmp, name + ".log"), "a"), text=True)
    url = p.stdout.readline().strip()
    assert url.startswith("http://"), "%s did not start" % name
    return p, url


def get(url, path):
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url + path, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_cosigned(url, what):
    for _ in range(300):  # the other instance's next window: within a log interval
        st, text = get(url, "/v1/log/checkpoint?witnesses=1")
        if st == 200:
            return text
        time.sleep(0.1)
    raise AssertionError("%s serves no cosigned checkpoint" % what)


def stop(p):
    p.terminate()
    assert p.wait(timeout=30) == 0


def main():
    uri, tmp = sys.argv[1], sys.argv[2]
    code, out = run("init", "--store", uri, "--authority", "host")
    assert code == OK, out
    keyfile = os.path.join(tmp, "authority.key")
    with open(keyfile, "w") as f:
        f.write(out.strip().splitlines()[-1] + "\n")
    key, vkey = keygen(tmp, "witness.example/w1")
    config = {"log_interval_s": 0.5, "log_block": 4, "probe_limit": 0, "witnesses": [vkey]}
    a, url_a = serve(uri, tmp, "a", config)
    # B signs less often: the checkpoint A's witness cosigns is mostly one B
    # never signed, and B adopts it from the store with its line.
    b, url_b = serve(uri, tmp, "b", dict(config, log_interval_s=2))
    try:
        st, _ = get(url_b, "/v1/log/checkpoint?witnesses=1")
        assert st == 404, st
        for _ in range(100):
            if get(url_a, "/v1/log/checkpoint")[0] == 200:
                break
            time.sleep(0.1)
        code, out = run("witness", "--url", url_a, "--key", key, "--dir",
                        os.path.join(tmp, "w1"), "--once")
        assert code == OK and "cosigned" in out, out
        cosigned = open(os.path.join(tmp, "w1", "checkpoint")).read()
        note = wait_cosigned(url_b, "instance B")
        assert check_cosignature(note, vkey), note
        assert note.startswith(cosigned.partition("\n\n")[0]), (note, cosigned)
        print("check-witness-shared: a cosignature posted to instance A is served by instance B")
        code, out = run("verify", "--dir", os.path.join(tmp, "ev"), "--url", url_b,
                        "--key-file", keyfile, "--witness-key", vkey, "--min-witnesses", "1")
        assert code == OK, out
        print("check-witness-shared: verify --min-witnesses 1 against instance B passes")
        stop(a)
        a, url_a = serve(uri, tmp, "a", dict(config, log_interval_s=3600))
        st, text = get(url_a, "/v1/log/checkpoint?witnesses=1")
        assert st == 200 and check_cosignature(text, vkey), (st, text)
        print("check-witness-shared: restarted, instance A serves the line from the store")
        stop(a)
        stop(b)  # exit 0: the sanitized build found nothing
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)
    print("check-witness-shared: OK")


if __name__ == "__main__":
    main()
