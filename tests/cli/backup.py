"""`deconflict backup` against a live server (tests/cli/check-backup.sh).

Operators and the authority build an airspace over HTTP; a first backup is
taken while a writer thread keeps submitting (the copy must still be a
consistent store: its audit chain verifies), a second once the writes are
quiet, then more writes follow on the live server. The second copy, served
by a new server, must answer exactly what the live server answered when it
was taken (operations, restrictions, notices, audit) and nothing written
after; `deconflict audit verify` must pass on both copies."""
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from dcserver import BIN, Operator, Server, circle  # noqa: E402

# A day around now: the operations are activated, so their window must hold
# the server's clock (issue 18).
DAY = tuple(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time()) + d))
            for d in (-3600, 23 * 3600))
NOTICES = "/v1/notices?bbox=44,33,46,35&from=%s&to=%s" % DAY


T0 = int(time.time()) - 600  # vol(0) is flying now


def vol(i, lower=1000, upper=2000):
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + 3600 * (i % 12)))
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + 3600 * (i % 12) + 1800))
    return circle(44.2 + 0.03 * (i % 20), 33.2 + 0.03 * (i // 20), 800, lower, upper, start, end)


def by_id(doc):
    """Lists of records sorted by id: a restarted server lists the records
    of one second in store order, the live one in insertion order."""
    return {k: sorted(v, key=lambda x: x.get("id", "")) if isinstance(v, list) else v
            for k, v in doc.items()}


def view(srv, a, b):
    """What the airspace looks like to each party, as comparable values."""
    def get(key, path):
        r = srv.request("GET", path, key)
        assert r.status == 200, (path, r)
        return by_id(r.json)
    return {
        "a_operations": get(a.key, "/v1/operations"),
        "b_operations": get(b.key, "/v1/operations"),
        "authority_operations": get(srv.authority_key, "/v1/operations"),
        "restrictions": get(srv.authority_key, "/v1/restrictions"),
        "a_notices": get(a.key, NOTICES),
        "b_notices": get(b.key, NOTICES),
        "audit": get(srv.authority_key, "/v1/audit?limit=1000"),
    }


def backup(store, dest):
    out = subprocess.run([BIN, "backup", "--store", store, dest], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert os.path.getsize(dest) > 0


def audit_verify(store):
    out = subprocess.run([BIN, "audit", "verify", "--store", store], capture_output=True,
                         text=True)
    assert out.returncode == 0 and "audit chain OK" in out.stdout, out.stdout + out.stderr
    return out.stdout.strip()


def main():
    servers = [Server({"probe_limit": 0})]
    try:
        run(servers)
    finally:  # also on failure: no server left running, no files left
        for s in servers:
            s.stop()
        shutil.rmtree(servers[0].tmp, ignore_errors=True)


def run(servers):
    srv = servers[0]
    tmp = srv.tmp
    a, b = srv.operator("alpha_bk1"), srv.operator("bravo_bk2")
    ids = []
    for i in range(30):
        r = a.req("POST", "/v1/operations", {"priority": 10, "volumes": [vol(i)]})
        assert r.status == 201, r
        ids.append(r.json["id"])
    r = b.req("POST", "/v1/operations", {"volumes": [vol(3)]})
    assert r.status == 409, r  # a's airspace, refused
    r = b.req("POST", "/v1/operations", {"volumes": [vol(3, 3000, 3500)]})
    assert r.status == 201, r
    assert a.req("POST", "/v1/operations/%s/activate" % ids[0]).status == 200
    assert a.req("DELETE", "/v1/operations/" + ids[1]).status == 200
    rs = {"name": "Range", "exempt": [b.id],
          "volumes": [circle(45.5, 34.5, 5000, 0, 6000, *DAY)]}
    assert srv.request("POST", "/v1/restrictions", srv.authority_key, rs).status == 201

    # Backup 1: under a stream of writes.
    stop = threading.Event()
    written = []

    def writer():
        i = 100
        while not stop.is_set() and i < 400:
            r = b.req("POST", "/v1/operations", {"volumes": [vol(i, 4000 + i, 4100 + i)]})
            assert r.status == 201, r
            written.append(r.json["id"])
            i += 1
    t = threading.Thread(target=writer)
    t.start()
    while len(written) < 5:
        t.join(0.01)
    busy = os.path.join(tmp, "busy-backup.db")
    backup(srv.store, busy)
    stop.set()
    t.join()
    assert len(written) >= 5
    print("check-backup: backup under writes: %s (%d writes around it)"
          % (audit_verify(busy), len(written)), flush=True)

    # Backup 2: quiet; then the live server moves on.
    before = view(srv, a, b)
    copy = os.path.join(tmp, "backup.db")
    backup(srv.store, copy)
    r = subprocess.run([BIN, "backup", "--store", srv.store, copy], capture_output=True,
                       text=True)
    assert r.returncode == 1 and "never overwrites" in r.stderr, r
    r = subprocess.run([BIN, "backup", "--store", "postgresql://127.0.0.1:1/none", copy + "2"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "pg_dump" in r.stderr and not os.path.exists(copy + "2"), r
    late = a.req("POST", "/v1/operations", {"volumes": [vol(35)]})
    assert late.status == 201, late
    assert view(srv, a, b) != before
    assert srv.stop() == 0, "server did not stop cleanly"
    authority_key = srv.authority_key

    # The copy, moved elsewhere, serves the same airspace.
    restored = os.path.join(tmp, "restored.db")
    os.rename(copy, restored)
    rsrv = Server({"probe_limit": 0}, store=restored, tmp=tmp)
    servers.append(rsrv)
    rsrv.authority_key = authority_key
    a, b = (Operator(rsrv, o.id, o.name, o.key) for o in (a, b))  # same keys, new server
    after = view(rsrv, a, b)
    for k in before:
        assert after[k] == before[k], "restored %s differs:\n%.2000r\n%.2000r" % (
            k, before[k], after[k])
    assert late.json["id"] not in [o["id"] for o in after["a_operations"]["operations"]]
    assert b.req("POST", "/v1/operations", {"volumes": [vol(3)]}).status == 409  # still held
    assert rsrv.stop() == 0
    print("check-backup: restored copy: %s; %d operations, %d notices for bravo, same answers"
          % (audit_verify(restored), len(after["authority_operations"]["operations"]),
             len(after["b_notices"]["notices"])))


if __name__ == "__main__":
    main()
