#!/usr/bin/env python3
"""imds-server.py: a loopback stand-in for the EC2 instance metadata service
(IMDSv2 only) and the ECS container credentials endpoint, for
tests/test-awscreds.c (Python standard library only).

Usage: imds-server.py SECRET TOKEN [AUTH].  It listens on 127.0.0.1 (a free
port, printed on stdout as "PORT n").

IMDSv2 as EC2 enforces it:
  PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds in
      1..21600 (else 400); a PUT carrying X-Forwarded-For is refused (403);
      answers a fresh random token.
  GET /latest/meta-data/... without a token it handed out: 401.
  GET /latest/meta-data/iam/security-credentials/        the role name
  GET /latest/meta-data/iam/security-credentials/<role>  the credentials:
      AccessKeyId "ASIAIMDS<generation>" (one more each time), the
      SecretAccessKey and Token given on the command line, Expiration now +
      EXPIRES seconds (3600 unless set), ISO 8601.
The container endpoint: GET /container/creds, the same document, needing
"Authorization: AUTH" when AUTH is given (else 401).

Control (no token): GET /control/expires/N sets EXPIRES; GET /control/mode/M
sets how the credentials (and container) answers misbehave:
  ok          as above
  malformed   200 with a body that is not JSON
  notoken     the document without Token
  badexp      Expiration "tomorrow"
  expired     Expiration an hour ago
  codefail    "Code": "AssumeRoleUnauthorizedAccess"
  ctrl        a Token holding CR LF (a header injection attempt)
  redirect    302 to /control/redirected (counted: must stay 0)
  huge        200 with 100 KiB of JSON padding
  slow        the answer after 5 s
  slowish     every IMDS answer (token, role, credentials) after 0.8 s
  norole      404 on the role list
GET /control/stats: {"put", "role", "creds", "container", "refused",
"redirected"} counts as JSON.
"""

import http.server
import json
import secrets
import sys
import threading
import time

SECRET = sys.argv[1] if len(sys.argv) > 1 else "secret"
TOKEN = sys.argv[2] if len(sys.argv) > 2 else "token"
AUTH = sys.argv[3] if len(sys.argv) > 3 else ""
ROLE = "gatehouse-web-role"
PREFIX = "/latest/meta-data/iam/security-credentials/"
lock = threading.Lock()
state = {"expires": 3600, "mode": "ok", "gen": 0, "tokens": set()}
stats = {"put": 0, "role": 0, "creds": 0, "container": 0, "refused": 0,
         "redirected": 0}


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def count(what):
    with lock:
        stats[what] += 1


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body=b"", ctype="text/plain", extra=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def do_PUT(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        if self.path != "/latest/api/token":
            return self.answer(404, "not found")
        if self.headers.get("X-Forwarded-For") is not None:
            return self.answer(403, "forbidden")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.answer(400, "bad ttl")
        tok = secrets.token_urlsafe(32)
        with lock:
            state["tokens"].add(tok)
            stats["put"] += 1
        self.slowish()
        return self.answer(200, tok)

    def slowish(self):
        # After the counting, so that counts never lag behind the client.
        if state["mode"] == "slowish":
            time.sleep(0.8)

    def document(self):
        mode = state["mode"]
        with lock:
            state["gen"] += 1
            gen = state["gen"]
        doc = {"Code": "Success", "LastUpdated": iso(time.time()),
               "Type": "AWS-HMAC", "AccessKeyId": "ASIAIMDS%06d" % gen,
               "SecretAccessKey": SECRET, "Token": TOKEN,
               "Expiration": iso(time.time() + state["expires"])}
        if mode == "malformed":
            return self.answer(200, "<html>not json</html>")
        if mode == "notoken":
            del doc["Token"]
        if mode == "badexp":
            doc["Expiration"] = "tomorrow"
        if mode == "expired":
            doc["Expiration"] = iso(time.time() - 3600)
        if mode == "codefail":
            doc["Code"] = "AssumeRoleUnauthorizedAccess"
        if mode == "ctrl":
            doc["Token"] = TOKEN + "\r\nX-Injected: 1"
        if mode == "redirect":
            return self.answer(302, "", extra=[("Location",
                                                "/control/redirected")])
        if mode == "huge":
            doc["Padding"] = "x" * (100 * 1024)
        if mode == "slow":
            time.sleep(5)
        return self.answer(200, json.dumps(doc), "application/json")

    def do_GET(self):
        p = self.path
        if p.startswith("/control/"):
            parts = p.split("/")
            if p == "/control/stats":
                with lock:
                    return self.answer(200, json.dumps(stats),
                                       "application/json")
            if p == "/control/redirected":
                count("redirected")
                return self.answer(200, "{}", "application/json")
            if len(parts) == 4 and parts[2] == "expires":
                state["expires"] = int(parts[3])
                return self.answer(200, "ok")
            if len(parts) == 4 and parts[2] == "mode":
                state["mode"] = parts[3]
                return self.answer(200, "ok")
            return self.answer(404, "no such control")
        if p == "/container/creds":
            count("container")
            if AUTH and self.headers.get("Authorization") != AUTH:
                count("refused")
                return self.answer(401, "unauthorized")
            return self.document()
        if not p.startswith("/latest/"):
            return self.answer(404, "not found")
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with lock:
            valid = tok in state["tokens"]
        if not valid:
            count("refused")
            return self.answer(401, "unauthorized")
        if p == PREFIX:
            count("role")
            self.slowish()
            if state["mode"] == "norole":
                return self.answer(404, "not found")
            return self.answer(200, ROLE)
        if p == PREFIX + ROLE:
            count("creds")
            self.slowish()
            return self.document()
        return self.answer(404, "not found")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up (the "slow" case): expected, not news.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
