"""The server's log (issue 11): one logfmt line per request and one per
decision on stderr, over real HTTP. Each request line names the route's
pattern, the status, a finite latency and the caller's own public id, and
its req= is the X-Request-Id the client got; a decision line carries the
req= of the request that made it; no API key, no body and nothing of
another operator stands in an operator's lines. Request ids are random (a
counter would tell an operator how many requests the others make)."""
import math
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import Server, circle  # noqa: E402


def parse(line):
    """A logfmt line as a dict (quoted values unescaped)."""
    out = {}
    for m in re.finditer(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)', line):
        v = m.group(2)
        if v.startswith('"'):
            v = re.sub(r"\\(.)", r"\1", v[1:-1])
        out[m.group(1)] = v
    return out


@pytest.fixture(scope="module")
def run():
    s = Server({"probe_limit": 0})
    a = s.operator("coalition_lg1")
    b = s.operator("iran_lg2")
    got = []
    got.append(s.request("GET", "/healthz"))
    got.append(a.req("POST", "/v1/operations", {"volumes": [circle(45.0, 34.0, 3000)]}))
    op_a = got[-1].json["id"]
    # B's plan over A's: a blind rejection.
    got.append(b.req("POST", "/v1/operations", {"volumes": [circle(45.0, 34.0, 3000)]}))
    got.append(b.req("GET", "/v1/operations/" + op_a))  # A's id: 404 to B
    got.append(s.request("GET", "/v1/operations", key="dck_" + "0" * 64))  # unknown key: 401
    got.append(b.req("GET", "/v1/nowhere"))
    assert [r.status for r in got] == [200, 201, 409, 404, 401, 404], got
    s.stop()
    lines = open(os.path.join(s.tmp, "serve.log")).read().splitlines()
    return s, a, b, op_a, got, lines


def test_one_line_per_request_with_its_request_id(run):
    s, a, b, op_a, got, lines = run
    reqs = [parse(l) for l in lines if "event=request" in l]
    by_id = {r["req"]: r for r in reqs}
    for resp in got:
        rid = resp.headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{16}", rid), rid
        assert rid in by_id, (rid, lines)
        line = by_id[rid]
        assert line["status"] == str(resp.status), line
        assert math.isfinite(float(line["ms"])) and float(line["ms"]) >= 0, line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["ts"]), line
    assert len({r["req"] for r in reqs}) == len(reqs), "request ids repeat"
    submit = by_id[got[1].headers["X-Request-Id"]]
    assert (submit["method"], submit["route"], submit["who"]) == ("POST", "/v1/operations", a.id)
    # The route's pattern, never the raw path with an id in it.
    peek = by_id[got[3].headers["X-Request-Id"]]
    assert peek["route"] == "/v1/operations/{id}" and op_a not in lines[0], peek
    assert by_id[got[4].headers["X-Request-Id"]]["who"] == "-"
    assert by_id[got[5].headers["X-Request-Id"]]["route"] == "unmatched"


def test_decisions_carry_their_request(run):
    s, a, b, op_a, got, lines = run
    decisions = [parse(l) for l in lines if "event=decision" in l]
    approve = [d for d in decisions if d["action"] == "approve" and d["subject"] == op_a]
    assert len(approve) == 1, decisions
    assert approve[0]["req"] == got[1].headers["X-Request-Id"]
    assert approve[0]["actor"] == a.id
    reject = [d for d in decisions if d.get("req") == got[2].headers["X-Request-Id"]]
    # The authority's record, then the rejected party's own (its receipt).
    assert [d["action"] for d in reject] == ["reject", "rejected"], decisions
    created = [d for d in decisions if d["action"] == "operator_create"]
    assert {d["subject"] for d in created} >= {a.id, b.id}, decisions


def test_no_key_body_or_other_operator_in_an_operators_lines(run):
    s, a, b, op_a, got, lines = run
    text = "\n".join(lines)
    for key in (s.authority_key, a.key, b.key, "dck_" + "0" * 64):
        assert key not in text
    assert "45.0" not in text and "radius" not in text, "a body reached the log"
    for l in lines:
        d = parse(l)
        if d.get("req") in (got[2].headers["X-Request-Id"], got[3].headers["X-Request-Id"]):
            # B's rejected submission and B's look at A's id: nothing of A.
            assert a.id not in l and a.name not in l and op_a not in l, l
