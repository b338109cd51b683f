"""Issue 13: a 409 listed its conflicts in the order of the hidden
operation ids and /v1/notices in creation order; both follow the notice
ids now (an HMAC per requester, so the order says nothing)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import Server, circle  # noqa: E402

START, END = "2030-06-01T10:00:00Z", "2030-06-01T11:00:00Z"


@pytest.fixture(scope="module")
def srv():
    s = Server({"probe_limit": 0})
    yield s
    assert s.stop() == 0, "server did not shut down cleanly"


def test_conflicts_and_notices_in_notice_id_order(srv):
    a, b = srv.operator("owner_oq1"), srv.operator("asker_oq2")
    for i in range(6):
        r = a.req("POST", "/v1/operations",
                  {"volumes": [circle(10.0 + 0.2 * i, 10.0, 2000, start=START, end=END)]})
        assert r.status == 201, r
    r = b.req("GET", "/v1/notices?bbox=9,9,12,11&from=%s&to=%s" % (START, END))
    ids = [n["id"] for n in r.json["notices"]]
    assert len(ids) == 6 and ids == sorted(ids), ids
    wide = {"type": "Polygon", "coordinates": [[[9.8, 9.9], [11.2, 9.9], [11.2, 10.1],
                                                [9.8, 10.1], [9.8, 9.9]]]}
    r = b.req("POST", "/v1/operations", {"volumes": [{
        "footprint": wide, "altitude_lower_m": 1000, "altitude_upper_m": 2000,
        "time_start": START, "time_end": END}]})
    assert r.status == 409, r
    got = [c["id"] for c in r.json["conflicts"]]
    assert len(got) == 6 and got == sorted(got), got
