"""runtime_api.py: a small stand-in for AWS Lambda around a custom runtime's
bootstrap, for tests (Python standard library only).

It serves, on a free loopback port, the Lambda Runtime API the bootstrap
polls:
  GET  /2018-06-01/runtime/invocation/next   the next event (headers
       Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn,
       -Trace-Id).  With a fixed list of events (RuntimeAPI(events)), 410
       once they are used up, which makes the bootstrap exit; as an endpoint
       (RuntimeAPI(block=True)) it waits for the next invocation, as Lambda
       does.
  POST /2018-06-01/runtime/invocation/{id}/response   recorded in .results
  POST /2018-06-01/runtime/invocation/{id}/error      recorded in .results
  POST /2018-06-01/runtime/init/error                 recorded in .init_errors
and, with invoke_api=True, the part of the Lambda service API that AWS
Cognito (or cognito-local) calls:
  POST /2015-03-31/functions/{name}/invocations  the body is the event: it is
       handed to the bootstrap, and its response (200) or error (200 with
       X-Amz-Function-Error: Unhandled and the error document) is the answer.
An unknown request id, a second answer to one invocation or any other path
is recorded in .protocol_errors and answered 400/404, like the real API.
"""
import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime/"
INVOKE = "/2015-03-31/functions/"


class RuntimeAPI:
    def __init__(self, events=(), deadline_ms=30000, block=False, invoke_api=False,
                 invoke_timeout=10):
        self.queue = queue.Queue()
        for e in events:	# an event, or (event, the request id to give it)
            e, rid = e if isinstance(e, tuple) else (e, None)
            self.queue.put((e if isinstance(e, bytes) else json.dumps(e).encode(), rid))
        self.block = block
        self.ids = []			# request ids, in order handed out
        self.results = {}		# id -> ("response"|"error", body bytes, headers)
        self.waiting = {}		# id -> threading.Event of an Invoke call
        self.invocations = []		# function names invoked through the Invoke API
        self.init_errors = []
        self.protocol_errors = []
        self.deadline_ms = deadline_ms
        self.invoke_timeout = invoke_timeout
        self.lock = threading.Lock()
        self.closing = False
        api = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, status, body=b"", headers=()):
                try:
                    self.send_response(status)
                    for k, v in headers:
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass	# the client went away (a bootstrap being stopped)

            def do_GET(self):
                if self.path != PREFIX + "invocation/next":
                    api.protocol_errors.append("GET " + self.path)
                    return self.reply(404)
                item = None
                while item is None and not api.closing:
                    try:
                        item = api.queue.get(timeout=0.5 if api.block else 0)
                    except queue.Empty:
                        if not api.block:
                            break
                if item is None:
                    return self.reply(410, b'{"errorType":"NoMoreEvents"}')
                ev, rid = item
                rid = rid or str(uuid.uuid4())
                with api.lock:
                    api.ids.append(rid)
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
                if invoke_api and p.startswith(INVOKE) and p.endswith("/invocations"):
                    return self.invoke(p[len(INVOKE):-len("/invocations")], body)
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
                    done = api.waiting.pop(rid, None)
                if done is not None:
                    done.set()
                self.reply(202, b'{"status":"OK"}')

            def invoke(self, name, body):
                rid = str(uuid.uuid4())
                done = threading.Event()
                with api.lock:
                    api.waiting[rid] = done
                    api.invocations.append(name)
                api.queue.put((body, rid))
                if not done.wait(api.invoke_timeout):
                    # As Lambda on a timeout: an Unhandled function error.
                    return self.reply(200, json.dumps({
                        "errorMessage": "Task timed out", "errorType": "TimeoutError"}).encode(),
                        [("X-Amz-Function-Error", "Unhandled"),
                         ("Content-Type", "application/json")])
                kind, out, _ = api.results[rid]
                hdrs = [("Content-Type", "application/json"),
                        ("X-Amz-Executed-Version", "$LATEST")]
                if kind == "error":
                    hdrs.append(("X-Amz-Function-Error", "Unhandled"))
                self.reply(200, out, hdrs)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.address = "127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.closing = True
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()

    def result(self, i):
        """(kind, parsed body or raw bytes) of the i-th invocation, or None."""
        if i >= len(self.ids) or self.ids[i] not in self.results:
            return None
        kind, body, _ = self.results[self.ids[i]]
        try:
            return kind, json.loads(body)
        except ValueError:
            return kind, body
