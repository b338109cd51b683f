"""A witness (issue 14, Deliver item 6) against a real server: `deconflict
witness` cosigns the log's checkpoints (C2SP tlog-cosignature), the server
serves them, `deconflict verify` with one required witness accepts the log
and with two (one of which never cosigned) exits 14; a forged cosignature
and one by a key the server does not name are refused (400); the witness
refuses to cosign a smaller tree (11) or another root for a size it
cosigned (12), keeping the evidence. Checkpoints for the refusals are
signed with the log key taken from the store, as a host could. The lines
are stored: a request with a forged line stores nothing, and after a
restart on the same store the checkpoint is served cosigned and verify
k=1 passes with no witness posting again."""
import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from dcserver import BIN, Server, circle  # noqa: E402
from test_log import gocheck_binary  # noqa: E402

OK, SIGNATURE, ROLLBACK, FORK, WITNESSES = 0, 10, 11, 12, 14
DASH = "\u2014 "


def run(*args):
    out = subprocess.run([BIN] + list(args), capture_output=True, text=True)
    return out.returncode, out.stdout + out.stderr


def keygen(tmp, name):
    path = os.path.join(tmp, name.replace("/", "_") + ".key")
    code, out = run("witness", "keygen", "--name", name, "--out", path)
    assert code == OK, out
    vkey = out.strip()
    n, h, k = vkey.split("+", 2)
    raw = base64.b64decode(k)
    assert n == name and raw[0] == 4 and len(raw) == 33, vkey
    # key id = SHA-256(name || "\n" || 0x04 || pubkey)[:4] (C2SP tlog-cosignature)
    assert hashlib.sha256(name.encode() + b"\n\x04" + raw[1:]).digest()[:4].hex() == h
    return path, vkey


def check_cosignature(note, vkey):
    """An independent check of one witness's line: Python's Ed25519 over
    "cosignature/v1\\ntime T\\n" || checkpoint text."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    name, h, k = vkey.split("+", 2)
    text, _, sigs = note.partition("\n\n")
    for line in sigs.splitlines():
        if line.startswith(DASH + name + " "):
            raw = base64.b64decode(line.split(" ")[2])
            if raw[:4].hex() != h:
                continue
            t = int.from_bytes(raw[4:12], "big")
            msg = ("cosignature/v1\ntime %d\n" % t).encode() + text.encode() + b"\n"
            Ed25519PublicKey.from_public_bytes(base64.b64decode(k)[1:]).verify(raw[12:], msg)
            assert abs(t - time.time()) < 600, t
            return True
    return False


def log_signer(store):
    db = sqlite3.connect(store)
    meta = dict(db.execute("SELECT key, value FROM meta WHERE key LIKE 'tlog_%'"))
    db.close()
    return meta["tlog_origin"], Ed25519PrivateKey.from_private_bytes(bytes.fromhex(meta["tlog_key"]))


def sign_checkpoint(origin, key, size, root):
    from cryptography.hazmat.primitives import serialization
    pub = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    kh = hashlib.sha256(origin.encode() + b"\n\x01" + pub).digest()[:4]
    text = "%s\n%d\n%s\n" % (origin, size, base64.b64encode(root).decode())
    sig = base64.b64encode(kh + key.sign(text.encode())).decode()
    return text + "\n" + DASH + origin + " " + sig + "\n"


def wait_cosigned(srv, k):
    for _ in range(100):
        r = srv.request("GET", "/v1/log/checkpoint?witnesses=%d" % k)
        if r.status == 200:
            return r.text
        time.sleep(0.1)
    raise AssertionError("no checkpoint cosigned by %d witnesses" % k)


def cosign(keyfile, note, t):
    """A witness's line over note, made here from its key file
    ("PRIVATE+KEY+name+keyid+base64(0x04 || seed)")."""
    name, h, k = open(keyfile).read().strip()[len("PRIVATE+KEY+"):].split("+", 2)
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(k)[1:])
    text = note.partition("\n\n")[0] + "\n"
    sig = key.sign(("cosignature/v1\ntime %d\n" % t).encode() + text.encode())
    raw = bytes.fromhex(h) + t.to_bytes(8, "big") + sig
    return DASH + name + " " + base64.b64encode(raw).decode() + "\n"


def stored_rows(srv, line):
    db = sqlite3.connect(srv.store)
    rows = db.execute("SELECT size, witness FROM tlog_cosignatures WHERE line = ?",
                      (line,)).fetchall()
    db.close()
    return rows


def stored_whole(srv, key1, vkey1, forged):
    """A request is stored whole or not at all: a valid line posted with a
    forged one is refused (400) and not stored; posted alone it is stored
    under its checkpoint's size and the witness's key before the 200."""
    note = srv.request("GET", "/v1/log/checkpoint").text
    fresh = cosign(key1, note, int(time.time()) + 1)
    assert check_cosignature(note.partition("\n\n")[0] + "\n\n" + fresh, vkey1)
    r = srv.request("POST", "/v1/log/cosignature", body={"checkpoint": note,
                                                         "cosignature": fresh + forged})
    assert r.status == 400 and not stored_rows(srv, fresh), r
    r = srv.request("POST", "/v1/log/cosignature", body={"checkpoint": note, "cosignature": fresh})
    assert r.status == 200, r
    assert stored_rows(srv, fresh) == [(int(note.split("\n")[1]), vkey1)]
    print("check-witness: a request with a forged line stores nothing; a valid one is stored "
          "before its 200")


def restarted(srv, ev, keyfile, vkey1, vkey2):
    """The cosignatures are in the store: after a restart the checkpoint is
    served cosigned and verify with one required witness passes, with no
    witness posting again. Each line is checked again against the keys
    configured at start: a witness listed in another place still counts,
    one no longer listed is not served."""
    srv.config["log_interval_s"] = 3600  # no new checkpoint pushes it out
    srv.config["witnesses"] = [vkey2, vkey1]
    srv.restart()
    r = srv.request("GET", "/v1/log/checkpoint?witnesses=1")
    assert r.status == 200 and check_cosignature(r.text, vkey1), r
    code, out = run("verify", "--dir", ev, "--url", srv.url, "--key-file", keyfile,
                    "--witness-key", vkey1, "--min-witnesses", "1")
    assert code == OK, out
    print("check-witness: after a restart the checkpoint is served cosigned and verify k=1 "
          "passes, no witness posting again")
    srv.config["witnesses"] = [vkey2]
    srv.restart()
    r = srv.request("GET", "/v1/log/checkpoint?witnesses=1")
    assert r.status == 404, r
    assert "witness.example/w1" not in srv.request("GET", "/v1/log/checkpoint").text
    print("check-witness: a stored line of a witness no longer configured is not served")


def main():
    tmp = tempfile.mkdtemp(prefix="dc-witness-")
    try:
        key1, vkey1 = keygen(tmp, "witness.example/w1")
        key2, vkey2 = keygen(tmp, "witness.example/w2")
        code, out = run("witness", "keygen", "--name", "x", "--out", key1)
        assert code != OK, "keygen overwrote a key"
        srv = Server({"log_interval_s": 0.3, "log_block": 4, "probe_limit": 0,
                      "witnesses": [vkey1]}, tmp=tmp)
        a = srv.operator("wit_a")
        assert a.req("POST", "/v1/operations", {"volumes": [circle(5, 5, 500)]}).status == 201
        wdir = os.path.join(tmp, "w1")
        w = subprocess.Popen([BIN, "witness", "--url", srv.url, "--key", key1, "--dir", wdir,
                              "--interval", "0.2"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        note = wait_cosigned(srv, 1)
        assert check_cosignature(note, vkey1), note
        print("check-witness: the server serves the witness's cosignature, and it verifies")
        go = gocheck_binary(tmp)
        if go:
            lines = "log %s 0\ncp %s\ncosig %s %s\n" % (
                srv.request("GET", "/v1/log/key").text.strip(),
                base64.b64encode(note.encode()).decode(), vkey1,
                base64.b64encode(note.encode()).decode())
            out = subprocess.run([go], input=lines, capture_output=True, text=True)
            assert out.returncode == 0 and "checks passed" in out.stdout, out
            print("check-witness: Go's crypto/ed25519 verifies the cosignature "
                  "(x/mod note takes no type 0x04 key)")

        keyfile = os.path.join(tmp, "a.key")
        with open(keyfile, "w") as f:
            f.write(a.key + "\n")
        ev = os.path.join(tmp, "evidence")
        for _ in range(3):
            code, out = run("verify", "--dir", ev, "--url", srv.url, "--key-file", keyfile,
                            "--witness-key", vkey1, "--min-witnesses", "1")
            assert code == OK, out
            time.sleep(0.4)
        code, out = run("verify", "--dir", ev, "--url", srv.url, "--key-file", keyfile,
                        "--witness-key", vkey1, "--witness-key", vkey2, "--min-witnesses", "2")
        assert code == WITNESSES and "NOT ENOUGH WITNESSES" in out, (code, out)
        code, out = run("verify", "--dir", ev, "--url", srv.url, "--min-witnesses", "1")
        assert code == 2, (code, out)  # K witnesses need K keys
        print("check-witness: verify k=1 accepts, k=2 exits %d" % WITNESSES)

        # Forged: a w1 line over another time; and a line by w2, unnamed.
        text = note.partition("\n\n")[0] + "\n"
        line = [x for x in note.splitlines() if x.startswith(DASH + "witness.example/w1 ")][0]
        raw = bytearray(base64.b64decode(line.split(" ")[2]))
        raw[11] ^= 1  # the timestamp no longer matches the signature
        forged = DASH + "witness.example/w1 " + base64.b64encode(bytes(raw)).decode() + "\n"
        r = srv.request("POST", "/v1/log/cosignature", body={"checkpoint": note,
                                                             "cosignature": forged})
        assert r.status == 400 and r.json["field"] == "cosignature", r
        w2dir = os.path.join(tmp, "w2")
        code, out = run("witness", "--url", srv.url, "--key", key2, "--dir", w2dir, "--once")
        assert code == 1 and "no valid cosignature by a configured witness" in out, (code, out)
        r = srv.request("POST", "/v1/log/cosignature", body={"checkpoint": text + "\n",
                                                             "cosignature": "nothing\n"})
        assert r.status == 400, r
        r = srv.request("POST", "/v1/log/cosignature", body={"checkpoint": note,
                                                             "cosignature": forged * 100})
        assert r.status == 400 and "lines" in r.json["reason"], r
        print("check-witness: a forged cosignature and an unnamed witness's are refused (400)")
        stored_whole(srv, key1, vkey1, forged)

        w.terminate()
        w.wait()
        assert "cosigned" in w.stdout.read()
        # The witness stopped: the log's latest checkpoint (saved by a run
        # that needs no witness) is newer than the newest cosigned one, and
        # that is no truncation: the saved one must extend the cosigned one.
        time.sleep(1)
        code, out = run("verify", "--dir", ev, "--url", srv.url, "--key-file", keyfile)
        assert code == OK, out
        code, out = run("verify", "--dir", ev, "--url", srv.url, "--key-file", keyfile,
                        "--witness-key", vkey1)
        assert code == OK, out
        print("check-witness: a checkpoint newer than the newest cosigned is no truncation")
        # The host shows the witness a smaller tree, then another root for
        # the size it cosigned: both refused, nothing cosigned.
        origin, lk = log_signer(srv.store)
        cur = open(os.path.join(wdir, "checkpoint")).read()
        size = int(cur.split("\n")[1])
        for fake, want in ((sign_checkpoint(origin, lk, size + 1000, os.urandom(32)), ROLLBACK),
                           (sign_checkpoint(origin, lk, size, os.urandom(32)), FORK)):
            with open(os.path.join(wdir, "checkpoint"), "w") as f:
                f.write(fake)
            code, out = run("witness", "--url", srv.url, "--key", key1, "--dir", wdir, "--once")
            assert code == want and "REFUSED" in out, (want, code, out)
        assert len([f for f in os.listdir(wdir) if f.startswith("refused-")]) == 2, os.listdir(wdir)
        with open(os.path.join(wdir, "checkpoint"), "w") as f:
            f.write(cur)
        code, out = run("witness", "--url", srv.url, "--key", key1, "--dir", wdir, "--once")
        assert code == OK and "cosigned" in out, out
        print("check-witness: the witness refuses a smaller tree (%d) and a fork (%d)"
              % (ROLLBACK, FORK))
        restarted(srv, ev, keyfile, vkey1, vkey2)
        assert srv.stop() == 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("check-witness: OK")


if __name__ == "__main__":
    main()
