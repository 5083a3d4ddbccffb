"""runtime_api.py: a small stand-in for the AWS Lambda Runtime API, enough
to drive a custom runtime's bootstrap in a test.

It serves, on a free loopback port:
  GET  /2018-06-01/runtime/invocation/next   the next queued event (body as
       given, headers Lambda-Runtime-Aws-Request-Id, -Deadline-Ms,
       -Invoked-Function-Arn, -Trace-Id); once the queue is empty, 410, which
       makes the bootstrap exit (the real API would block instead)
  POST /2018-06-01/runtime/invocation/{id}/response   recorded in .results
  POST /2018-06-01/runtime/invocation/{id}/error      recorded in .results
  POST /2018-06-01/runtime/init/error                 recorded in .init_errors
An unknown request id, a second answer to one invocation or any other path
is recorded in .protocol_errors and answered 400/404, like the real API.
"""
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime/"


class RuntimeAPI:
    def __init__(self, events, deadline_ms=30000):
        # events: list of bytes (sent as is) or objects (sent as JSON)
        self.queue = [e if isinstance(e, bytes) else json.dumps(e).encode()
                      for e in events]
        self.ids = []			# request ids, in order handed out
        self.results = {}		# id -> ("response"|"error", body bytes, headers)
        self.init_errors = []
        self.protocol_errors = []
        self.deadline_ms = deadline_ms
        self.lock = threading.Lock()
        api = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != PREFIX + "invocation/next":
                    api.protocol_errors.append("GET " + self.path)
                    return self.reply(404)
                with api.lock:
                    ev = api.queue.pop(0) if api.queue else None
                    rid = str(uuid.uuid4())
                    if ev is not None:
                        api.ids.append(rid)
                if ev is None:
                    return self.reply(410, b'{"errorType":"NoMoreEvents"}')
                deadline = int(time.time() * 1000) + api.deadline_ms
                self.reply(200, ev, [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", rid),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn",
                     "arn:aws:lambda:us-east-1:123456789012:function:test"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
                ])

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                p = self.path
                if p == PREFIX + "init/error":
                    api.init_errors.append(body)
                    return self.reply(202, b'{"status":"OK"}')
                parts = p[len(PREFIX):].split("/") if p.startswith(PREFIX) else []
                if len(parts) != 3 or parts[0] != "invocation" or \
                        parts[2] not in ("response", "error"):
                    api.protocol_errors.append("POST " + p)
                    return self.reply(404)
                rid, kind = parts[1], parts[2]
                with api.lock:
                    if rid not in api.ids or rid in api.results:
                        api.protocol_errors.append("POST %s (unknown or answered)" % p)
                        return self.reply(400, b'{"errorType":"InvalidRequestID"}')
                    api.results[rid] = (kind, body, dict(self.headers))
                self.reply(202, b'{"status":"OK"}')

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.address = "127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self.httpd.shutdown()
        self.httpd.server_close()

    def result(self, i):
        """(kind, parsed body or raw bytes) of the i-th invocation, or None."""
        if i >= len(self.ids) or self.ids[i] not in self.results:
            return None
        kind, body, _ = self.results[self.ids[i]]
        try:
            return kind, json.loads(body)
        except ValueError:
            return kind, body
