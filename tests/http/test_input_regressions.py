"""Regressions of hostile input over real HTTP (issue 7). A time whose
offset carried it past 9999-12-31 (or before 1900) was approved, stored as
"10000-01-01T..." and then refused when the store was loaded: the next
restart of the server failed for everyone. Such times are now refused with
a 400 naming the field, and the server restarts."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import Server, circle  # noqa: E402


def test_times_outside_the_writable_range_are_refused_and_restart_works():
    s = Server({"probe_limit": 0})
    try:
        a = s.operator("edge_times")
        for start, end, field in (
                ("9999-12-31T23:00:00-05:00", "9999-12-31T23:30:00-05:00", "time_start"),
                ("9999-12-31T22:00:00Z", "9999-12-31T23:59:60Z", "time_end"),
                ("1900-01-01T00:00:00+01:00", "1900-01-01T02:00:00+01:00", "time_start")):
            r = a.req("POST", "/v1/operations",
                      {"volumes": [circle(10, 10, 100, start=start, end=end)]})
            assert r.status == 400, r
            assert r.json["field"] == "volumes[0].%s" % field and r.json["reason"], r
        # The edges themselves are fine and survive a restart.
        r = a.req("POST", "/v1/operations", {"volumes": [circle(
            10, 10, 100, start="9999-12-31T22:00:00Z", end="9999-12-31T23:59:59Z")]})
        assert r.status == 201, r
        # The earliest edge parses, but a plan there ends in the past
        # (issue 18): a restriction, which may, keeps it over a restart.
        early = circle(20, 10, 100, start="1900-01-01T00:00:00Z", end="1900-01-01T01:00:00Z")
        r = a.req("POST", "/v1/operations", {"volumes": [early]})
        assert r.status == 400 and r.json["field"] == "volumes[0].time_end", r
        r = s.request("POST", "/v1/restrictions", s.authority_key,
                      {"name": "edge", "volumes": [early]}, label="authority")
        assert r.status == 201, r
        s.restart()
        assert len(a.req("GET", "/v1/operations").json["operations"]) == 1
        r = s.request("GET", "/v1/restrictions", s.authority_key, label="authority")
        assert [x["volumes"][0]["time_start"] for x in r.json["restrictions"]] == [
            "1900-01-01T00:00:00Z"], r
    finally:
        assert s.stop() == 0


def test_restriction_over_an_operation_hit_by_several_volumes():
    """fuzz_http found a use-after-free: a new restriction preempted an
    operation on its first conflicting volume, which freed the id string that
    the same operation's later hits still pointed to. Run against the
    sanitizer build, this crashed the server."""
    s = Server({"probe_limit": 0})
    try:
        a = s.operator("multi_volume")
        r = a.req("POST", "/v1/operations", {"volumes": [
            circle(44.0, 33.0, 2000), circle(44.05, 33.0, 2000),
            circle(44.10, 33.0, 2000, lower=3000, upper=4000)]})
        assert r.status == 201, r
        op = r.json["id"]
        r = s.request("POST", "/v1/restrictions", s.authority_key, {
            "name": "wide", "volumes": [
                circle(44.05, 33.0, 20000, lower=0, upper=6000,
                       start="2030-01-01T00:00:00Z", end="2030-01-02T00:00:00Z"),
                circle(44.0, 33.0, 5000, lower=0, upper=6000,
                       start="2030-01-01T00:00:00Z", end="2030-01-02T00:00:00Z")]},
            label="authority")
        assert r.status == 201, r
        assert r.json["preempted"] == [op], r
        r = a.req("GET", "/v1/operations/" + op)
        assert r.status == 200 and r.json["state"] == "preempted", r
        assert s.request("GET", "/healthz").status == 200
    finally:
        assert s.stop() == 0
