#!/usr/bin/env python3
"""ddb-fault-server.py: a tiny DynamoDB JSON 1.0 endpoint that misbehaves on
purpose, for tests/test-dynamodb.c (Python standard library only).

It listens on 127.0.0.1 (a free port, printed on stdout as "PORT n") and
checks every request as DynamoDB would: POST /, Content-Type
application/x-amz-json-1.0, X-Amz-Target DynamoDB_20120810.<Op>, and a valid
SigV4 Authorization (recomputed here from the signed headers, with the
secret given on the command line; a session token must be sent and signed).
A bad request gets 400 with DynamoDB's error shape.

What it answers is chosen by the request's TableName:
  throttle-N[-x]   ThrottlingException for the first N requests, then success
  ptee-N[-x]       ProvisionedThroughputExceededException the same way
  limit-N[-x]      RequestLimitExceeded the same way
  e500-N[-x]       HTTP 500 InternalServerError the same way
  e503-N[-x]       HTTP 503 ServiceUnavailable the same way
  ccf[-x]          ConditionalCheckFailedException
  validation[-x]   ValidationException
  missing[-x]      ResourceNotFoundException
  garbage[-x]      200 with a body that is not JSON
  huge[-x]         200 with a 40 MiB body
  deep[-x]         GetItem: an item with an attribute nested 31 levels deep
  unproc-N[-x]     BatchGetItem: every key unprocessed N times, then found
  exptoken-N[-x]   ExpiredTokenException for the first N requests, then
                   success
  unrecog-N[-x]    UnrecognizedClientException the same way
  sigecho[-x]      InvalidSignatureException whose message quotes the
                   canonical request with the session token, as AWS's does
  ok[-x]           success
(N "always" = forever.)  Success: GetItem returns an item made from the key,
BatchGetItem the items of its keys, anything else {}.  GetItem on table
"stats" with PK = a table name returns {"n": requests seen for that table,
"conns": TCP connections accepted so far}.
"""

import hashlib
import hmac
import http.server
import json
import re
import threading
import sys

SECRET = sys.argv[1] if len(sys.argv) > 1 else "secret"
TOKEN = sys.argv[2] if len(sys.argv) > 2 else ""
seen = {}
conns = [0]
lock = threading.Lock()


def sigv4_ok(method, path, headers, body):
    auth = headers.get("Authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/"
                 r"dynamodb/aws4_request, SignedHeaders=([a-z0-9;-]+), "
                 r"Signature=([0-9a-f]{64})$", auth)
    if not m:
        return "malformed Authorization"
    _, date, region, signed, sig = m.groups()
    names = signed.split(";")
    for need in ("host", "x-amz-date", "x-amz-target", "content-type"):
        if need not in names:
            return "%s not signed" % need
    if TOKEN and ("x-amz-security-token" not in names or
                  headers.get("X-Amz-Security-Token") != TOKEN):
        return "session token missing or not signed"
    amzdate = headers.get("X-Amz-Date", "")
    if not amzdate.startswith(date):
        return "X-Amz-Date does not match the credential scope"
    canon = "".join("%s:%s\n" % (n, " ".join(
        (headers.get(n) or "").split())) for n in names)
    creq = "\n".join([method, path, "", canon, signed,
                      hashlib.sha256(body).hexdigest()])
    sts = "\n".join(["AWS4-HMAC-SHA256", amzdate,
                     "%s/%s/dynamodb/aws4_request" % (date, region),
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + SECRET).encode()
    for part in (date, region, "dynamodb", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(want, sig) else "signature mismatch"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        with lock:
            conns[0] += 1
        super().setup()

    def log_message(self, *a):
        pass

    def answer(self, status, obj=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def error(self, status, typ, msg=""):
        self.answer(status, {"__type": "com.amazonaws.dynamodb.v20120810#"
                             + typ, "message": msg})

    def do_GET(self):
        self.error(400, "SerializationException", "GET")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        if self.path != "/" or self.headers.get("Content-Type") != \
                "application/x-amz-json-1.0":
            return self.error(400, "SerializationException", "bad request")
        target = self.headers.get("X-Amz-Target", "")
        if not target.startswith("DynamoDB_20120810."):
            return self.error(400, "UnknownOperationException", target)
        why = sigv4_ok("POST", self.path, self.headers, body)
        if why:
            return self.error(400, "InvalidSignatureException", why)
        op = target.split(".", 1)[1]
        try:
            req = json.loads(body)
        except ValueError:
            return self.error(400, "SerializationException", "not JSON")
        table = req.get("TableName")
        if table is None and "RequestItems" in req:
            table = next(iter(req["RequestItems"]))
        table = table or ""
        with lock:
            count = seen.get(table, 0) + 1
            seen[table] = count
        if table == "stats" and op == "GetItem":
            name = req["Key"]["PK"]["S"]
            return self.answer(200, {"Item": {
                "PK": {"S": name}, "SK": {"S": "stats"},
                "version": {"N": "1"},
                "n": {"N": str(seen.get(name, 0))},
                "conns": {"N": str(conns[0])}}})
        kind, _, rest = table.partition("-")
        times = rest.split("-", 1)[0]
        limit = 10 ** 9 if times == "always" else \
            int(times) if times.isdigit() else 0
        faults = {"throttle": (400, "ThrottlingException"),
                  "ptee": (400, "ProvisionedThroughputExceededException"),
                  "limit": (400, "RequestLimitExceeded"),
                  "e500": (500, "InternalServerError"),
                  "e503": (503, "ServiceUnavailable")}
        if kind in faults and count <= limit:
            return self.error(*faults[kind], "fault %d" % count)
        if kind == "exptoken" and count <= limit:
            return self.error(400, "ExpiredTokenException", "The security "
                              "token included in the request is expired")
        if kind == "unrecog" and count <= limit:
            return self.error(400, "UnrecognizedClientException", "The "
                              "security token included in the request is "
                              "invalid.")
        if kind == "sigecho":
            return self.error(400, "InvalidSignatureException",
                              "The request signature we calculated does not "
                              "match the signature you provided. The "
                              "Canonical String for this request should "
                              "have been 'POST\n/\n\nx-amz-security-token:"
                              "%s\n' (%s; secret %s)" % (
                                  self.headers.get("X-Amz-Security-Token"),
                                  self.headers.get("Authorization", ""),
                                  SECRET))
        if kind == "ccf":
            return self.error(400, "ConditionalCheckFailedException",
                              "The conditional request failed")
        if kind == "validation":
            return self.error(400, "ValidationException", "nope")
        if kind == "missing":
            return self.error(400, "ResourceNotFoundException", "no table")
        if kind == "garbage":
            return self.answer(200, raw=b"<html>not json</html>")
        if kind == "huge":
            return self.answer(200, raw=b" " * (40 * 1024 * 1024))
        if kind == "deep" and op == "GetItem":
            v = {"N": "7"}
            for _ in range(31):
                v = {"M": {"d": v}}
            return self.answer(200, {"Item": dict(req["Key"], deep=v,
                                                  version={"N": "1"})})
        if op == "GetItem":
            key = req["Key"]
            return self.answer(200, {"Item": dict(key, version={"N": "3"},
                                                  n={"N": "42"})})
        if op == "BatchGetItem":
            t, spec = next(iter(req["RequestItems"].items()))
            if kind == "unproc" and count <= limit:
                return self.answer(200, {"Responses": {t: []},
                                         "UnprocessedKeys": {t: spec}})
            return self.answer(200, {"Responses": {t: [
                dict(k, version={"N": "1"}) for k in spec["Keys"]]},
                "UnprocessedKeys": {}})
        return self.answer(200, {})


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
