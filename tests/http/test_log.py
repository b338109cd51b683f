"""The transparency log over real HTTP (issue 14): receipts of one's own
records prove inclusion in signed checkpoints, every pair of checkpoints is
consistent, tree sizes follow the block schedule, another party's leaf
answers exactly like a missing one, and Go's sumdb/note and sumdb/tlog
(when Debian's golang-go and golang-golang-x-mod-dev are installed) accept
what a live server serves."""
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import BIN, ROOT, Server, circle  # noqa: E402

BLOCK = 8


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 section 2.1.3.2."""
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def parse_checkpoint(note):
    text, _, sigs = note.partition("\n\n")
    origin, size, root = text.split("\n")[:3]
    assert sigs.startswith("\u2014 " + origin + " "), note
    return origin, int(size), base64.b64decode(root)


def leaf_hash(receipt):
    data = hashlib.sha256(bytes.fromhex(receipt["salt"]) + receipt["entry"].encode()).digest()
    return hashlib.sha256(b"\x00" + data).digest()


@pytest.fixture(scope="module")
def srv():
    s = Server({"log_interval_s": 0.2, "log_block": BLOCK, "probe_limit": 0})
    yield s
    assert s.stop() == 0


def checkpoint(srv):
    for _ in range(100):
        r = srv.request("GET", "/v1/log/checkpoint")
        if r.status == 200:
            return r.text
        time.sleep(0.1)
    raise AssertionError("no checkpoint: %r" % r)


def wait_size_above(srv, size):
    for _ in range(100):
        note = checkpoint(srv)
        if parse_checkpoint(note)[1] > size:
            return note
        time.sleep(0.1)
    raise AssertionError("the log did not grow past %d" % size)


def test_receipts_inclusion_consistency_and_blocks(srv):
    a, b = srv.operator("log_a"), srv.operator("log_b")
    vkey = srv.request("GET", "/v1/log/key").text.strip()
    # name+hash+key (C2SP signed-note verifier key); the base64 key may
    # itself hold a '+', so split at the first two only.
    name, keyhash, key64 = vkey.split("+", 2)
    assert name and len(keyhash) == 8 and int(keyhash, 16) >= 0, vkey
    raw = base64.b64decode(key64, validate=True)
    assert len(raw) == 33 and raw[0] == 1, vkey  # Ed25519 algorithm byte + 32-byte key
    for i, op in enumerate((a, b, a)):
        r = op.req("POST", "/v1/operations", {"volumes": [circle(10 + i, 10, 500)]})
        assert r.status == 201, r
    first = parse_checkpoint(checkpoint(srv))
    notes = [wait_size_above(srv, first[1])]
    notes.append(wait_size_above(srv, parse_checkpoint(notes[-1])[1]))
    cps = [parse_checkpoint(n) for n in notes]
    for origin, size, _ in cps:
        assert origin == vkey.split("+")[0]
        assert size % BLOCK == 0, "sizes follow the block schedule"
    # A's receipts: its two records, nobody else's.
    r = a.req("GET", "/v1/log/receipts")
    assert r.status == 200, r
    recs = r.json["receipts"]
    assert len(recs) == 2 and all(a.id in x["entry"] and b.id not in x["entry"] for x in recs)
    _, size, root = parse_checkpoint(r.json["checkpoint"])
    for x in recs:
        p = a.req("GET", "/v1/log/proof/inclusion?index=%d&size=%d" % (x["index"], size))
        assert p.status == 200, p
        proof = [base64.b64decode(h) for h in p.json["proof"]]
        assert verify_inclusion(x["index"], size, leaf_hash(x), proof, root)
        assert not verify_inclusion(x["index"], size, leaf_hash(dict(x, salt="00" * 32)), proof,
                                    root)
    # B cannot read A's leaves: the same 404 as an index past the end.
    for x in recs:
        got = b.req("GET", "/v1/log/leaves/%d" % x["index"])
        ref = b.req("GET", "/v1/log/leaves/%d" % (10 ** 9))
        assert got.status == ref.status == 404 and got.text == ref.text
        assert a.req("GET", "/v1/log/leaves/%d" % x["index"]).json == x
    # Consistency between every pair seen.
    for i in range(len(cps)):
        for j in range(i, len(cps)):
            m, n = cps[i][1], cps[j][1]
            c = srv.request("GET", "/v1/log/proof/consistency?from=%d&to=%d" % (m, n))
            assert c.status == 200, c
    bad = srv.request("GET", "/v1/log/proof/consistency?from=2&to=%d" % (10 ** 9))
    assert bad.status == 400


def gocheck_binary(tmp):
    if not shutil.which("go") or not os.path.isdir("/usr/share/gocode/src/golang.org/x/mod"):
        return None
    src = os.path.join(tmp, "gopath", "src", "gocheck")
    os.makedirs(src)
    shutil.copy(os.path.join(ROOT, "tests", "tlog", "gocheck", "main.go"), src)
    env = dict(os.environ, GO111MODULE="off", GOFLAGS="", GOPROXY="off",
               GOPATH=os.path.join(tmp, "gopath") + ":/usr/share/gocode",
               GOCACHE=os.path.join(tmp, "cache"))
    out = os.path.join(tmp, "gocheck")
    subprocess.run(["go", "build", "-o", out, "."], cwd=src, env=env, check=True)
    return out


def test_go_accepts_a_live_servers_log(srv):
    tmp = tempfile.mkdtemp(prefix="dc-gocheck-")
    try:
        go = gocheck_binary(tmp)
        if not go:
            pytest.skip("golang-go and golang-golang-x-mod-dev are not installed")
        a = srv.operator("log_go")
        for i in range(5):
            assert a.req("POST", "/v1/operations",
                         {"volumes": [circle(20 + i, 20, 500)]}).status == 201
        vkey = srv.request("GET", "/v1/log/key").text.strip()
        notes = [checkpoint(srv)]
        notes.append(wait_size_above(srv, parse_checkpoint(notes[0])[1]))
        lines = ["log %s 0" % vkey]
        lines += ["cp " + base64.b64encode(n.encode()).decode() for n in notes]
        size = parse_checkpoint(notes[-1])[1]
        for x in a.req("GET", "/v1/log/receipts").json["receipts"]:
            p = a.req("GET", "/v1/log/proof/inclusion?index=%d&size=%d" % (x["index"], size)).json
            hs = ",".join(base64.b64decode(h).hex() for h in p["proof"]) or "-"
            lines.append("inclh %d %d %s %s" % (x["index"], size, leaf_hash(x).hex(), hs))
        m = parse_checkpoint(notes[0])[1]
        c = srv.request("GET", "/v1/log/proof/consistency?from=%d&to=%d" % (m, size)).json
        hs = ",".join(base64.b64decode(h).hex() for h in c["proof"]) or "-"
        lines.append("cons %d %d %s" % (m, size, hs))
        out = subprocess.run([go], input="\n".join(lines) + "\n", capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "checks passed" in out.stdout
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_every_decision_answer_carries_the_callers_receipt(srv):
    """Submit, modify, activate, end and withdraw answer with the receipt of
    the decision's own leaf; a rejection (409) with the receipt of the
    rejected party's own record, which names no other party's operation."""
    a, b = srv.operator("rc_a"), srv.operator("rc_b")
    # A window open now: activation is allowed only within it (issue 18).
    now = int(time.time())
    span = {"start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 600)),
            "end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 7200))}
    r = a.req("POST", "/v1/operations", {"volumes": [circle(40, 40, 500, **span)]})
    assert r.status == 201, r
    op = r.json["id"]
    seen = [r.json["receipt"]]
    r = a.req("PUT", "/v1/operations/" + op, {"volumes": [circle(40, 40, 600, **span)]},
              headers={"If-Match": '"1"'})
    assert r.status == 200, r
    seen.append(r.json["receipt"])
    r = a.req("POST", "/v1/operations/%s/activate" % op)
    assert r.status == 200, r
    seen.append(r.json["receipt"])
    r = a.req("POST", "/v1/operations/%s/end" % op)
    assert r.status == 200, r
    seen.append(r.json["receipt"])
    r = a.req("POST", "/v1/operations", {"volumes": [circle(41, 40, 500)]})
    op2 = r.json["id"]
    seen.append(r.json["receipt"])
    r = a.req("DELETE", "/v1/operations/" + op2)
    assert r.status == 200, r
    seen.append(r.json["receipt"])
    actions = ['"approve"', '"modify"', '"activate"', '"end"', '"approve"', '"withdraw"']
    for x, action in zip(seen, actions):
        assert set(x) == {"index", "seq", "salt", "entry"}, x
        assert action in x["entry"] and a.id in x["entry"], x
    assert len({x["index"] for x in seen}) == len(seen)
    # B is rejected by A's live operation: its receipt holds its own id,
    # the notice ids its 409 shows, and nothing of A.
    live = a.req("POST", "/v1/operations", {"volumes": [circle(42, 40, 500)]}).json["id"]
    r = b.req("POST", "/v1/operations", {"volumes": [circle(42, 40, 500)]})
    assert r.status == 409, r
    rec = r.json["receipt"]
    assert set(rec) == {"index", "seq", "salt", "entry"}, rec
    assert live not in r.text and a.id not in r.text and "op_" not in rec["entry"]
    assert b.id in rec["entry"] and '"rejected"' in rec["entry"]
    for n in r.json["conflicts"]:
        assert n["id"] in rec["entry"]
    # Every receipt in an answer is the one GET /v1/log/receipts gives later.
    note = wait_size_above(srv, max(x["index"] for x in seen + [rec]))
    _, size, root = parse_checkpoint(note)
    for op_, x in [(a, y) for y in seen] + [(b, rec)]:
        assert op_.req("GET", "/v1/log/leaves/%d" % x["index"]).json == x
        p = op_.req("GET", "/v1/log/proof/inclusion?index=%d&size=%d" % (x["index"], size))
        proof = [base64.b64decode(h) for h in p.json["proof"]]
        assert verify_inclusion(x["index"], size, leaf_hash(x), proof, root)
    # A cannot read B's rejection record.
    got = a.req("GET", "/v1/log/leaves/%d" % rec["index"])
    assert got.status == 404


def test_restriction_answers_carry_the_authoritys_receipt(srv):
    auth = srv.authority_key
    r = srv.request("POST", "/v1/restrictions", auth, {"volumes": [circle(60, 60, 500)]})
    assert r.status == 201, r
    assert '"restriction_create"' in r.json["receipt"]["entry"], r.json
    r = srv.request("DELETE", "/v1/restrictions/" + r.json["id"], auth)
    assert r.status == 200, r
    assert '"restriction_delete"' in r.json["receipt"]["entry"], r.json


def test_own_indices_do_not_count_others_records():
    """Issue 14, item 3: A decides, B makes K decisions, A decides again.
    Leaves appended in order made A's index gap always K + 1, the count of
    B's records; a record now takes a random free slot of the open block,
    so the gap varies (and is often negative). Then the server restarts
    with the open block partly filled: it is reloaded with its holes, no
    slot is given twice, and every receipt proves inclusion once a
    checkpoint seals the block."""
    tmp = tempfile.mkdtemp(prefix="dc-shuffle-")
    try:
        s = Server({"log_interval_s": 3600, "log_block": 16, "probe_limit": 0}, tmp=tmp)
        a, b = s.operator("gap_a"), s.operator("gap_b")
        K, gaps, mine = 3, [], []

        def decide(op, i):
            r = op.req("POST", "/v1/operations", {"volumes": [circle(70 + i % 50, 10, 300)]})
            assert r.status == 201, r
            return r.json["receipt"]

        n = 0
        for _ in range(8):
            first = decide(a, n)
            for _ in range(K):
                decide(b, n + 1)
                n += 1
            second = decide(a, n + 1)
            n += 2
            mine += [first, second]
            gaps.append(second["index"] - first["index"])
        print("A's index gaps around %d of B's records: %r" % (K, gaps))
        assert len(set(gaps)) > 1, "the index gap counts B's records: %r" % gaps
        assert any(g != K + 1 for g in gaps), gaps
        # No checkpoint yet (hourly): the open block is partly filled.
        assert s.request("GET", "/v1/log/checkpoint").status == 404
        s.stop()
        # ... and log_block made smaller: the open block keeps its leaves
        # where they are, and is sealed whole.
        s.config = {"log_interval_s": 0.2, "log_block": 4, "probe_limit": 0}
        s.start()
        last = decide(a, n + 1)
        mine.append(last)
        assert len({x["index"] for x in mine}) == len(mine), "a slot was given twice"
        note = wait_size_above(s, max(x["index"] for x in mine))
        _, size, root = parse_checkpoint(note)
        assert size % 4 == 0
        for x in mine:
            assert a.req("GET", "/v1/log/leaves/%d" % x["index"]).json == x
            p = a.req("GET", "/v1/log/proof/inclusion?index=%d&size=%d" % (x["index"], size))
            proof = [base64.b64decode(h) for h in p.json["proof"]]
            assert verify_inclusion(x["index"], size, leaf_hash(x), proof, root)
        assert s.stop() == 0
        audit = subprocess.run([BIN, "audit", "verify", "--store", s.store], capture_output=True,
                               text=True)
        assert audit.returncode == 0 and "transparency log OK" in audit.stdout, audit.stdout
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
