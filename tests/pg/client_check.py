#!/usr/bin/env python3
"""The PostgreSQL tests' HTTP Client (torture.py) refuses to be shared by two
live threads (issue 11): two threads on one keep-alive connection closed it
under each other, and tactical.py's GET /v1/alerts got (None, None) from a
healthy server. Against a local stand-in server, no PostgreSQL needed:
sharing raises at once, handing a Client to a later thread (as the race
test's rounds do) works."""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
from torture import Client  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = json.dumps({"alerts": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def in_thread(fn):
    out = {}

    def run():
        try:
            out["value"] = fn()
        except RuntimeError as e:
            out["error"] = str(e)
    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    failures = []

    shared = Client("key")
    if shared.req(port, "GET", "/v1/alerts") != (200, {"alerts": []}):
        failures.append("the main thread's request failed")
    got = in_thread(lambda: shared.req(port, "GET", "/v1/alerts"))
    if "error" not in got:
        failures.append("a second live thread used the main thread's Client: %r" % got)

    handed = Client("key")
    first = in_thread(lambda: handed.req(port, "GET", "/v1/alerts"))
    second = in_thread(lambda: handed.req(port, "GET", "/v1/alerts"))
    if first.get("value") != (200, {"alerts": []}) or second.get("value") != (200, {"alerts": []}):
        failures.append("a Client handed to a later thread failed: %r %r" % (first, second))

    srv.shutdown()
    if failures:
        print("FAILED:\n" + "\n".join(failures))
        sys.exit(1)
    print("client: ok (sharing between live threads refused: %s)" % got["error"])


if __name__ == "__main__":
    main()
