"""`deconflict verify` against a real server (issue 14's bars): an honest
log verifies run after run; each of a rewritten record, a truncated log, a
fork and a bad signature is detected with its own exit code; `audit verify`
catches a removed tail against the latest checkpoint. Tampering is done on
the SQLite store between server runs, as a host holding the database (and
the log key) could."""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from dcserver import BIN, Server, circle  # noqa: E402

OK, SIGNATURE, TRUNCATED, FORK, REWRITTEN = 0, 10, 11, 12, 13
FAST = {"log_interval_s": 0.2, "log_block": 4, "probe_limit": 0}
SLOW = {"log_interval_s": 3600, "log_block": 4, "probe_limit": 0}


def verify(url, evidence, keyfile):
    args = [BIN, "verify", "--dir", evidence]
    if url:
        args += ["--url", url, "--key-file", keyfile]
    out = subprocess.run(args, capture_output=True, text=True)
    return out.returncode, out.stdout + out.stderr


def wait_checkpoint(srv, above=0):
    for _ in range(100):
        r = srv.request("GET", "/v1/log/checkpoint")
        if r.status == 200 and int(r.text.split("\n")[1]) > above:
            return int(r.text.split("\n")[1])
        time.sleep(0.1)
    raise AssertionError("no checkpoint above %d" % above)


def honest_day(tmp):
    """The reference scenario's whole day (00:00-23:59 at 3000x) played by
    `deconflict demo` against a server while the authority runs verify
    every second, as from cron: every run must accept the log. The demo's
    own checks are not asserted here (at 3000x its timing-based ones may
    miss); only that it played through."""
    d = os.path.join(tmp, "day")
    os.mkdir(d)
    srv = Server({"log_interval_s": 0.5, "log_block": 16, "probe_limit": 0}, tmp=d)
    key = os.path.join(d, "authority.key")
    with open(key, "w") as f:
        f.write(srv.authority_key + "\n")
    ev = os.path.join(d, "evidence")
    demo = subprocess.Popen([BIN, "demo", "--url", srv.url, "--key-file", key, "--from", "00:00",
                             "--to", "23:59", "--speed", "3000"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    runs = 0
    while demo.poll() is None:
        code, out = verify(srv.url, ev, key)
        assert code == OK, out
        runs += 1
        time.sleep(1)
    out = demo.stdout.read()
    assert "checks:" in out, out
    time.sleep(1.2)
    code, out = verify(srv.url, ev, key)
    assert code == OK, out
    assert srv.stop() == 0
    n = len(os.listdir(os.path.join(ev, "checkpoints")))
    print("check-verify: honest scenario day -> %d verify runs, %d checkpoints, %d receipts: OK"
          % (runs + 1, n, len(os.listdir(os.path.join(ev, "receipts")))))


def main():
    tmp = tempfile.mkdtemp(prefix="dc-verify-")
    try:
        run(tmp)
        honest_day(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("check-verify: all scenarios detected")


def run(tmp):
    base = os.path.join(tmp, "base")
    os.mkdir(base)
    srv = Server(FAST, tmp=base)
    a = srv.operator("verify_a")
    keyfile = os.path.join(tmp, "a.key")
    with open(keyfile, "w") as f:
        f.write(a.key + "\n")
    ev = os.path.join(tmp, "evidence")
    # Honest: several rounds of decisions, verify after each.
    for rnd in range(3):
        for i in range(3):
            r = a.req("POST", "/v1/operations", {"volumes": [circle(10 + rnd, 10 + i, 300)]})
            assert r.status == 201, r
        size = wait_checkpoint(srv)
        wait_checkpoint(srv, size)
        code, out = verify(srv.url, ev, keyfile)
        assert code == OK, out
    assert len(os.listdir(os.path.join(ev, "receipts"))) == 9
    # One more checkpoint with no record since the last: its block is all
    # padding, a tail that holds no record (records take random slots, so
    # the block with the last record may end on it).
    wait_checkpoint(srv, wait_checkpoint(srv))
    assert srv.stop() == 0
    store = srv.store
    audit = subprocess.run([BIN, "audit", "verify", "--store", store], capture_output=True,
                           text=True)
    assert audit.returncode == 0 and "transparency log OK" in audit.stdout, audit.stdout

    def scenario(name, tamper, config, want):
        d = os.path.join(tmp, name)
        os.mkdir(d)
        s = os.path.join(d, "store.db")
        shutil.copy(store, s)
        e = os.path.join(d, "evidence")
        shutil.copytree(ev, e)
        db = sqlite3.connect(s)
        tamper(db, e)
        db.commit()
        db.close()
        srv2 = Server(config, store=s, tmp=d)
        if config is FAST:
            wait_checkpoint(srv2, max_size(s))
        code, out = verify(srv2.url, e, keyfile)
        srv2.stop()
        assert code == want, "%s: exit %d, expected %d\n%s" % (name, code, want, out)
        tag = {OK: "transparency log OK", SIGNATURE: "BAD SIGNATURE", TRUNCATED: "TRUNCATED",
               FORK: "FORK", REWRITTEN: "REWRITTEN"}[want]
        line = [x for x in out.splitlines() if x.startswith(tag)]
        assert line, out
        print("check-verify: %s -> exit %d: %s" % (name, code, line[0]))

    def max_size(s):
        db = sqlite3.connect(s)
        n = db.execute("SELECT coalesce(max(size), 0) FROM tlog_checkpoints").fetchone()[0]
        db.close()
        return n

    def a_leaf(db):
        return db.execute("SELECT min(idx) FROM tlog_leaves WHERE party > 1").fetchone()[0]

    def rewrite(db, e):
        # One of A's records changed, its leaf recomputed, checkpoints re-signed.
        i = a_leaf(db)
        db.execute("UPDATE tlog_leaves SET hash = randomblob(32) WHERE idx = ?", (i,))
        db.execute("DELETE FROM tlog_checkpoints")

    def truncate(db, e):
        # The last records and leaves removed, with the checkpoints that covered them.
        n = db.execute("SELECT max(size) FROM tlog_checkpoints").fetchone()[0]
        keep = db.execute("SELECT max(size) FROM tlog_checkpoints WHERE size < ?",
                          (n - 8,)).fetchone()[0]
        last_seq = db.execute("SELECT max(seq) FROM tlog_leaves WHERE idx < ?",
                              (keep,)).fetchone()[0]
        db.execute("DELETE FROM tlog_leaves WHERE idx >= ?", (keep,))
        db.execute("DELETE FROM audit WHERE seq > ?", (last_seq,))
        db.execute("DELETE FROM tlog_checkpoints WHERE size > ?", (keep,))

    def fork(db, e):
        # A padding leaf replaced: a different tree that keeps every receipt.
        i = db.execute("SELECT min(idx) FROM tlog_leaves WHERE seq = 0").fetchone()[0]
        db.execute("UPDATE tlog_leaves SET hash = randomblob(32) WHERE idx = ?", (i,))
        db.execute("DELETE FROM tlog_checkpoints")

    def bad_signature(db, e):
        d = os.path.join(e, "checkpoints")
        name = sorted(os.listdir(d))[0]
        with open(os.path.join(d, name)) as f:
            text = f.read()
        body, sig = text.rsplit(" ", 1)
        sig = ("B" if sig[10] != "B" else "C").join([sig[:10], sig[11:]])
        with open(os.path.join(d, name), "w") as f:
            f.write(body + " " + sig)

    scenario("honest", lambda db, e: None, FAST, OK)
    scenario("rewrite", rewrite, FAST, REWRITTEN)
    scenario("truncate", truncate, SLOW, TRUNCATED)
    scenario("fork", fork, FAST, FORK)
    scenario("bad_signature", bad_signature, FAST, SIGNATURE)

    # audit verify: the tree's tail gone (the trailing padding, so the chain
    # and every record's leaf still hold) but the checkpoint that covered it kept.
    t = os.path.join(tmp, "tail.db")
    shutil.copy(store, t)
    db = sqlite3.connect(t)
    last = db.execute("SELECT max(idx) FROM tlog_leaves WHERE seq > 0").fetchone()[0]
    db.execute("DELETE FROM tlog_leaves WHERE idx > ?", (last,))
    db.commit()
    db.close()
    audit = subprocess.run([BIN, "audit", "verify", "--store", t], capture_output=True, text=True)
    assert audit.returncode == 1 and "truncated" in audit.stdout, audit.stdout
    print("check-verify: audit verify -> %s" % audit.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
