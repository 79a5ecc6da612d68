#!/usr/bin/env python3
"""http_receiver.py - a small HTTP receiver for the channel tests.

    http_receiver.py PORT LOG [--fail-first N] [--status S]

Listens on 127.0.0.1:PORT only.  Every request (any method) is appended
to LOG as one JSON line: method, path, headers, body (text).  The first N
requests are answered with status S (default 500), the rest with 200.
Touches LOG.ready once it is listening.
"""
import http.server
import json
import sys
import threading

port = int(sys.argv[1])
log = sys.argv[2]
fail_first = 0
fail_status = 500
args = sys.argv[3:]
while args:
    a = args.pop(0)
    if a == "--fail-first":
        fail_first = int(args.pop(0))
    elif a == "--status":
        fail_status = int(args.pop(0))
lock = threading.Lock()
seen = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    def _any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        with lock:
            seen[0] += 1
            k = seen[0]
            with open(log, "a") as f:
                f.write(json.dumps({"n": k, "method": self.command, "path": self.path,
                                    "headers": dict(self.headers.items()),
                                    "body": body}) + "\n")
        status = fail_status if k <= fail_first else 200
        out = b'{"ok":true}' if status == 200 else b'{"error":"try later"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_POST = do_PUT = do_GET = _any

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
open(log + ".ready", "w").close()
srv.serve_forever()
