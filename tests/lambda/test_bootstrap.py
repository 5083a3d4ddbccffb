#!/usr/bin/env python3
"""test_bootstrap.py BOOTSTRAP GATEHOUSE: the Lambda custom runtime
(src/tools/lambda-bootstrap.c) against tests/lambda/runtime_api.py.

BOOTSTRAP is the program to test, GATEHOUSE the admin tool (to create a
throwaway SQLite store).  GH_BOOTSTRAP_LD_PATH, if set, is the bootstrap's
LD_LIBRARY_PATH (tests/suites/lambda.sh: Lambda's, for the unpacked zip).
Prints one line per case and, last, "N passed, N failed".
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runtime_api import RuntimeAPI  # noqa: E402

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)
    sys.stdout.flush()


def event(source, attrs, meta=None, username=None):
    return {
        "version": "1", "region": "us-east-1", "userPoolId": "us-east-1_TEST",
        "userName": username or attrs.get("sub", "x"),
        "callerContext": {"awsSdkVersion": "aws-sdk-js-3", "clientId": "testclient"},
        "triggerSource": source,
        "request": {"userAttributes": attrs, "clientMetadata": meta or {}},
        "response": {},
    }


def run_bootstrap(prog, api, env, cwd, timeout=60):
    e = dict(os.environ)
    e.update(env)
    e["AWS_LAMBDA_RUNTIME_API"] = api.address
    if os.environ.get("GH_BOOTSTRAP_LD_PATH"):	# Lambda's library path
        e["LD_LIBRARY_PATH"] = os.environ["GH_BOOTSTRAP_LD_PATH"]
    p = subprocess.run([os.path.abspath(prog)], env=e, cwd=cwd, capture_output=True,
                       timeout=timeout)
    return p.returncode, p.stderr.decode(errors="replace")


def item(db, pk, sk):
    c = sqlite3.connect(db)
    try:
        row = c.execute("SELECT item FROM main WHERE pk = ? AND sk = ?", (pk, sk)).fetchone()
    finally:
        c.close()
    return json.loads(row[0]) if row else None


def main():
    prog, tool = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="gh-lambda-", dir=os.environ.get("GH_WORK"))
    conf = os.path.join(work, "gatehouse.conf")
    r = subprocess.run([tool, "-c", conf, "init"], capture_output=True, text=True)
    check(r.returncode == 0, "a throwaway SQLite store (gatehouse init)" +
          ("" if r.returncode == 0 else ": " + r.stderr.strip()))
    env = {"GATEHOUSE_CONFIG": conf, "GATEHOUSE_STORE": "", "GATEHOUSE_IDP": ""}

    sub = str(uuid.uuid4())
    email = "lambda-%s@example.com" % sub[:8]
    attrs = {"sub": sub, "email": email, "email_verified": "true",
             "cognito:user_status": "CONFIRMED", "custom:role": "customer",
             "given_name": "Ada", "family_name": "Lovelace"}
    confirm = event("PostConfirmation_ConfirmSignUp", attrs, {"application_id": "marketplace"})
    events = [
        confirm,
        b"this is not JSON",
        event("NoSuchTrigger_Source", attrs),
        b"[1, 2, 3]",
        confirm,			# a retry: PostConfirmation is idempotent
    ]
    bad_role = dict(attrs, **{"custom:role": "admin", "sub": str(uuid.uuid4())})
    events.append(event("PreSignUp_SignUp", bad_role))
    with RuntimeAPI(events) as api:
        rc, err = run_bootstrap(prog, api, env, work)
        check(rc == 1 and "GET next: status 410" in err,
              "the loop ends when the Runtime API fails (exit %d)" % rc)
        check(len(api.ids) == len(events) and len(api.results) == len(events),
              "every invocation answered exactly once (%d of %d)" % (len(api.results), len(events)))
        check(not api.protocol_errors and not api.init_errors,
              "no protocol errors %r, no init error" % (api.protocol_errors,))
        res = api.result(0)
        check(res is not None and res[0] == "response" and isinstance(res[1], dict) and
              res[1].get("triggerSource") == "PostConfirmation_ConfirmSignUp" and
              isinstance(res[1].get("response"), dict),
              "PostConfirmation: /response with the event and its response object")
        for i, what in ((1, "not JSON"), (2, "an unknown triggerSource"), (3, "a JSON array")):
            res = api.result(i)
            check(res is not None and res[0] == "error" and isinstance(res[1], dict) and
                  res[1].get("errorType") == "InvalidEvent" and
                  isinstance(res[1].get("errorMessage"), str) and res[1]["errorMessage"],
                  "%s: /error with errorType InvalidEvent and a message, no crash (%r)"
                  % (what, res and res[1]))
        res = api.result(4)
        check(res is not None and res[0] == "response",
              "the same PostConfirmation again (a retry): /response")
        res = api.result(5)
        check(res is not None and res[0] == "error" and
              res[1].get("errorType") == "TriggerDenied" and res[1].get("errorMessage"),
              "PreSignUp with role admin: /error TriggerDenied (%r)" % (res and res[1],))
        check(email not in err and "Lovelace" not in err,
              "the log lines hold no attribute of the event")
        lines = [l for l in err.splitlines() if l.startswith('{"lambda":"invocation"')]
        check(len(lines) == len(events) and all(json.loads(l)["remaining_ms"] > 0 for l in lines),
              "one JSON log line per invocation, with the time left before the deadline")

    db = os.path.join(work, "gatehouse.db")
    u = item(db, "user-" + sub, "user")
    check(u is not None and u.get("email") == email and u.get("role") == "customer" and
          u.get("status") == "active",
          "the User item (user-{sub}/user) in the SQLite store: %r" %
          ({k: u.get(k) for k in ("email", "role", "status")} if u else None))
    au = item(db, "user-" + sub, "app-marketplace")
    check(au is not None, "the App-User item (user-{sub}/app-marketplace)")
    check(item(db, "user-" + bad_role["sub"], "user") is None,
          "the refused PreSignUp wrote nothing")

    # An unreachable DynamoDB (a closed port): PreSignUp still answers, as its
    # function's role grants no DynamoDB action (deploy/gatehouse.yaml), and
    # PostConfirmation reports the store on /error, to be retried.
    if os.path.exists(os.path.join(os.path.dirname(__file__), "..", "..",
                                                "src", "lib", "store_dynamodb.c")):
        ddb = os.path.join(work, "ddb.conf")
        with open(ddb, "w") as f:
            f.write("store = dynamodb\ndynamodb_endpoint = http://127.0.0.1:9\n")
        ok_attrs = dict(attrs, sub=str(uuid.uuid4()))
        with RuntimeAPI([event("PreSignUp_SignUp", ok_attrs), confirm]) as api:
            rc, err = run_bootstrap(prog, api, dict(env, GATEHOUSE_CONFIG=ddb), work)
            pre, post = api.result(0), api.result(1)
            check(pre is not None and pre[0] == "response" and
                  isinstance(pre[1].get("response"), dict),
                  "store unreachable: PreSignUp answers without it (%r)" % (pre and pre[0],))
            check(post is not None and post[0] == "error" and
                  post[1].get("errorType") == "StoreUnavailable",
                  "store unreachable: PostConfirmation on /error, StoreUnavailable (%r)"
                  % (post and post[1],))

    # A request id that could not be answered safely: no post, exit.
    for rid, what in (("../../init/error", "a request id with a path in it"),
                      ("a" * 200, "an overlong request id")):
        with RuntimeAPI([(confirm, rid)]) as api:
            rc, err = run_bootstrap(prog, api, env, work)
            check(rc == 1 and not api.results and not api.init_errors and
                  not api.protocol_errors and "Request-Id" in err,
                  "%s: nothing posted, exit 1 (%r)" % (what, api.protocol_errors))

    # Initialisation failure: /runtime/init/error, then exit.
    broken = os.path.join(work, "broken.conf")
    with open(broken, "w") as f:
        f.write("no_such_key = 1\n")
    with RuntimeAPI([confirm]) as api:
        rc, err = run_bootstrap(prog, api, dict(env, GATEHOUSE_CONFIG=broken), work)
        body = json.loads(api.init_errors[0]) if len(api.init_errors) == 1 else {}
        check(rc == 1 and body.get("errorType") == "InitError" and
              "no_such_key" in body.get("errorMessage", "") and not api.ids,
              "a bad configuration: /runtime/init/error naming it, no event taken (%r)" % body)
    # No configuration file at all (as in Lambda): defaults + environment.
    with RuntimeAPI([]) as api:
        rc, err = run_bootstrap(prog, api, dict(env, GATEHOUSE_CONFIG=os.path.join(work, "none", "x.conf"),
                                                GATEHOUSE_STORE="sqlite"), work)
        check(rc == 1 and not api.init_errors and "GET next: status 410" in err,
              "no configuration file: starts on defaults and the environment")
    with RuntimeAPI([]) as api:
        e = dict(os.environ)
        e.pop("AWS_LAMBDA_RUNTIME_API", None)
        p = subprocess.run([prog], env=e, capture_output=True, timeout=30)
        check(p.returncode == 1 and b"AWS_LAMBDA_RUNTIME_API" in p.stderr,
              "without AWS_LAMBDA_RUNTIME_API: exit 1 with a message")
    if failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("kept for inspection: " + work)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
