#!/usr/bin/env python3
"""setup.py BASE_URL VAR_DIR OUT_DIR: the benchmark's data, made through the
public HTTP API of a running gatehouse (stdlib only).

Registers a user with the embedded pool (SignUp, the code from var/mail,
ConfirmSignUp, InitiateAuth USER_PASSWORD_AUTH) or, with GH_FIXTURE set to
build/<B>/tests/e2e-fixture (run.sh does when the pool is not built), gets
the user and tokens from that fixture (tests/e2e/fixture.c: tokens of the
pool's shape signed with the server's own key).  Then, when GH_ORDERS=1,
places 10 orders (POST /api/orders {items: [{solution_id, quantity}]} for
solutions of GET /api/catalog).
Writes, in OUT_DIR:
  tokens.json   {"id_token", "access_token", "refresh_token"}
  orders.ok     present when the user has 10 orders (GET /api/orders checked)
Prints what it could not do and why; exits 0 if the tokens were obtained.
"""

import email
import email.policy
import glob
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

BASE, VAR, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
U = urllib.parse.urlsplit(BASE)


def conf():
    c = {}
    with open(os.path.join(VAR, "gatehouse.conf")) as f:
        for line in f:
            if "=" in line and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                c[k.strip()] = v.strip()
    return c


def call(method, path, body=None, headers=None):
    h = {"Connection": "close"}
    h.update(headers or {})
    data = json.dumps(body).encode() if body is not None else None
    if data is not None and "Content-Type" not in h:
        h["Content-Type"] = "application/json"
    c = http.client.HTTPConnection(U.hostname, U.port, timeout=30)
    try:
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        raw = r.read()
        try:
            return r.status, json.loads(raw) if raw else None
        except ValueError:
            return r.status, raw[:200]
    finally:
        c.close()


def idp(op, body):
    return call("POST", "/idp", body, {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService." + op})


def code_from_mail(to, deadline):
    mdir = os.path.join(VAR, conf().get("mail_dir", "mail"))
    while time.time() < deadline:
        for p in sorted(glob.glob(os.path.join(mdir, "*.eml")),
                        key=os.path.getmtime, reverse=True):
            with open(p, "rb") as f:
                m = email.message_from_binary_file(f, policy=email.policy.default)
            if to in str(m["To"]):
                part = m.get_body(preferencelist=("plain", "html"))
                text = part.get_content() if part else ""
                found = re.search(r"\b(\d{6})\b", text)
                if found:
                    return found.group(1)
        time.sleep(0.1)
    return None


def fixture_tokens():
    import subprocess
    sub = "bench-%d" % int(time.time() * 1000)
    p = subprocess.run([os.environ["GH_FIXTURE"],
                        os.path.join(VAR, "gatehouse.conf"), "tokens", sub,
                        sub + "@example.com"], capture_output=True, text=True)
    if p.returncode != 0:
        print("setup: e2e-fixture failed: %s" % p.stderr.strip())
        return None
    t = json.loads(p.stdout)
    return {k: t[k] for k in ("id_token", "access_token", "refresh_token")}


def pool_tokens():
    c = conf()
    client = c["client_id"]
    user = "bench-%d@example.com" % int(time.time() * 1000)
    password = "Bench-%d-pass!" % os.getpid()
    st, r = idp("SignUp", {"ClientId": client, "Username": user,
                           "Password": password, "UserAttributes": [
                               {"Name": "email", "Value": user}]})
    if st != 200:
        print("setup: SignUp answered %d: %s" % (st, r))
        return None
    code = code_from_mail(user, time.time() + 10)
    if code is None:
        print("setup: no confirmation code in var/mail")
        return None
    st, r = idp("ConfirmSignUp", {"ClientId": client, "Username": user,
                                  "ConfirmationCode": code})
    if st != 200:
        print("setup: ConfirmSignUp answered %d: %s" % (st, r))
        return None
    st, r = idp("InitiateAuth", {"ClientId": client,
                                 "AuthFlow": "USER_PASSWORD_AUTH",
                                 "AuthParameters": {"USERNAME": user,
                                                    "PASSWORD": password}})
    if st != 200 or "AuthenticationResult" not in (r or {}):
        print("setup: InitiateAuth answered %d: %s" % (st, r))
        return None
    ar = r["AuthenticationResult"]
    return {"id_token": ar["IdToken"], "access_token": ar["AccessToken"],
            "refresh_token": ar.get("RefreshToken", "")}


def main():
    tokens = fixture_tokens() if os.environ.get("GH_FIXTURE") else pool_tokens()
    if tokens is None:
        return 1
    with open(os.path.join(OUT, "tokens.json"), "w") as f:
        json.dump(tokens, f)

    print("setup: a user with tokens (%s)" % (
        "e2e-fixture" if os.environ.get("GH_FIXTURE") else "embedded pool"))
    if os.environ.get("GH_ORDERS") != "1":
        return 0
    auth = {"Authorization": "Bearer " + tokens["id_token"]}
    st, cat = call("GET", "/api/catalog", headers=auth)
    items = []
    if st == 200 and isinstance(cat, dict):
        for v in cat.values():
            if isinstance(v, list):
                items = v
                break
    elif st == 200 and isinstance(cat, list):
        items = cat
    ids = [i.get("solution_id") or i.get("id") for i in items
           if isinstance(i, dict)]
    ids = [i for i in ids if i]
    if not ids:
        print("setup: no solution in GET /api/catalog (%d); orders skipped" % st)
        return 0
    for n in range(10):
        st, r = call("POST", "/api/orders", {"items": [
            {"solution_id": ids[n % len(ids)], "quantity": 1}]}, auth)
        if st not in (200, 201):
            print("setup: POST /api/orders answered %d: %s" % (st, r))
            return 0
    st, r = call("GET", "/api/orders", headers=auth)
    orders = r.get("items", r.get("orders")) if isinstance(r, dict) else r
    if st != 200 or not isinstance(orders, list) or len(orders) != 10:
        print("setup: GET /api/orders answered %d, not 10 orders: %.200s" % (st, r))
        return 0
    open(os.path.join(OUT, "orders.ok"), "w").close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
