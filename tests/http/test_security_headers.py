"""The three security headers on every response (issue 13, item 6): the
page, its scripts, JSON answers, errors (401, 404) and the alert stream all
carry Content-Security-Policy (with frame-ancestors 'none') and
X-Content-Type-Options: nosniff."""
import http.client
import os
import sys
import urllib.parse

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import Server  # noqa: E402


@pytest.fixture(scope="module")
def srv():
    s = Server({"probe_limit": 0})
    yield s
    assert s.stop() == 0, "server did not shut down cleanly"


def check(headers):
    csp = headers.get("Content-Security-Policy") or ""
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, csp
    assert headers.get("X-Content-Type-Options") == "nosniff"


def test_every_response_carries_the_headers(srv):
    for path, key, status in (("/", None, 200), ("/js/main.js", None, 200),
                              ("/healthz", None, 200), ("/v1/operations", None, 401),
                              ("/v1/operations", srv.authority_key, 200),
                              ("/v1/nothing", srv.authority_key, 404)):
        r = srv.request("GET", path, key)
        assert r.status == status, (path, r.status)
        check(r.headers)
    u = urllib.parse.urlparse(srv.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", "/v1/alerts/stream", headers={"Authorization": "Bearer " + srv.authority_key})
    resp = conn.getresponse()
    assert resp.status == 200
    check(resp.headers)
    conn.close()
