"""test_foundation.py: the stack end to end, through lighttpd and Apache.

Health and its store status, the contract's JSON errors (404, 405 + Allow,
413 without reading the body, 400 on malformed JSON, 415), the static root's
security headers and history-mode fallback, and which program answers which
path (matched through the request id in the program's log line).
"""

import json
import os
import time

from harness import Skip

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
       "base-uri 'self'; form-action 'self'")


def json_error(r, status):
    """Asserts r is the contract's {"error", "message"} with status."""
    assert r.status == status, "status %d, want %d: %.200s" % (
        r.status, status, r.text)
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("message"), str), body
    return body


def no_store(r):
    cc = r.headers.get_all("Cache-Control") or []
    assert cc == ["no-store"], "Cache-Control %r on %d" % (cc, r.status)


# --- health -------------------------------------------------------------------

def test_health_ok(server):
    r = server.get("/api/health")
    assert r.status == 200, r
    body = r.json()
    assert body.get("status") == "ok", body
    assert body.get("store") == server.conf().get("store", "sqlite"), body
    no_store(r)


def test_health_head(server):
    r = server.request("HEAD", "/api/health")
    assert r.status in (200, 405), r
    assert r.body == b"", "HEAD answered a body: %r" % r.body[:100]


def test_health_store_unavailable_503(server):
    # A server whose database cannot be opened: a path under a missing
    # directory (root ignores file modes, so no chmod trick).
    bad = os.path.join(server.dir, "no-such-dir", "gatehouse.db")
    with server.variant(sqlite_path=bad) as v:
        r = v.get("/api/health")
        json_error(r, 503)
        no_store(r)
        # and it stays 503 (no crash loop turning it into 502)
        r = v.get("/api/health")
        json_error(r, 503)
    assert not os.path.exists(bad)


# --- errors of the contract ---------------------------------------------------------

def test_unknown_api_path_404(server):
    for path in ("/api/no-such-thing", "/api/health/extra", "/api/",
                 "/sso/api/no-such-thing", "/api/x?y=1"):
        r = server.get(path)
        json_error(r, 404)
        no_store(r)


def test_wrong_method_405(server):
    for method in ("DELETE", "PUT", "POST"):
        r = server.request(method, "/api/health", body=b"{}",
                           headers={"Content-Type": "application/json"})
        json_error(r, 405)
        allow = r.headers.get("Allow", "")
        assert "GET" in [m.strip() for m in allow.split(",")], \
            "Allow %r" % allow


def test_body_over_limit_413_fast(server):
    limit = int(server.conf().get("max_body", "65536"))
    for declared in (limit + 1, 100 * 1024 * 1024):
        # Declares more than the limit, sends a few bytes and then nothing:
        # the answer must come from the headers alone, not after a read.
        head = ("POST /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % declared).encode()
        t0 = time.monotonic()
        out = server.raw(head + b'{"a":', timeout=5, wait_close=True)
        took = time.monotonic() - t0
        status = out.split(b"\r\n", 1)[0]
        assert b" 413 " in status, "declared %d: %r" % (declared, out[:200])
        assert took < 2.0, "413 took %.2fs (read the body?)" % took
        body = out.split(b"\r\n\r\n", 1)[1]
        if b"transfer-encoding: chunked" in out.lower().split(b"\r\n\r\n")[0]:
            body = body.split(b"\r\n", 1)[1]
        err = json.loads(body[:body.rindex(b"}") + 1])
        assert err.get("error") and "message" in err, err


def test_body_at_limit_not_413(server):
    limit = int(server.conf().get("max_body", "65536"))
    r = server.post("/api/health", body=b" " * limit,
                    headers={"Content-Type": "application/json"})
    assert r.status != 413, "a body of exactly max_body got 413"
    json_error(r, 405)


def test_chunked_body_gets_its_length_or_411(server):
    # lighttpd buffers a chunked body and passes CONTENT_LENGTH; Apache's
    # mod_proxy_fcgi would stream it without, so apache.conf answers 411.
    req = (b"POST /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
           b"Connection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
    out = server.raw(req, timeout=5)
    status = out.split(b"\r\n", 1)[0]
    want = b" 411 " if server.name == "apache" else b" 405 "
    assert want in status, out[:300]
    assert b'"error"' in out, out[:300]


# Routes that take a JSON body (method, path, extra headers), in the order
# they are tried: the first one built is used.
JSON_ROUTES = [
    ("sso-get-session", "/sso/api/get-session", {}),
    ("sso-check-app-user", "/sso/api/check-app-user", {}),
    ("sso-init-session", "/sso/api/init-session", {}),
    ("orders", "/api/orders", {}),
    ("user-profile", "/api/user/profile", {}),
    # The user pool: Cognito's content type and error shape.
    ("idp", "/idp", {"Content-Type": "application/x-amz-json-1.1",
                     "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp"}),
]


def bad_request(prog, r, status=400):
    if prog != "idp":
        return json_error(r, status)
    assert r.status == status, "status %d, want %d: %.200s" % (
        r.status, status, r.text)
    assert r.json().get("__type"), r.text
    assert r.headers.get("x-amzn-ErrorType"), r.headers


def json_route(server):
    for prog, path, hdrs in JSON_ROUTES:
        if server.program_built(prog):
            return prog, path, hdrs
    raise Skip("no JSON POST route built yet (%s)" %
               ", ".join(p for p, _, _ in JSON_ROUTES))


def test_malformed_json_400(server):
    prog, path, hdrs = json_route(server)
    method = "PUT" if prog == "user-profile" else "POST"
    depth = int(server.conf().get("json_max_depth", "16"))
    bad = [b'{"session_id":', b"{'a': 1}", b'{"a":1} trailing', b"[1,2",
           b'{"a":"\xff\xfe"}', b'{"a":' * (depth + 2) + b"1" + b"}" * (depth + 2),
           b"", b"not json"]
    for body in bad:
        h = {"Content-Type": "application/json"}
        h.update(hdrs)
        r = server.request(method, path, body=body, headers=h)
        bad_request(prog, r)
        no_store(r)


def test_wrong_content_type_415(server):
    prog, path, hdrs = json_route(server)
    method = "PUT" if prog == "user-profile" else "POST"
    h = dict(hdrs)
    h["Content-Type"] = "text/plain"
    r = server.request(method, path, body=b'{"a":1}', headers=h)
    bad_request(prog, r, 415 if prog != "idp" else r.status)
    assert r.status in (400, 415), r


# --- routing: which program answers ----------------------------------------------------

# (path, program): the contract's URL layout, exact and "+ /..." forms.
ROUTES = [
    ("/api/health", "health"),
    ("/api/health/x", "health"),
    ("/api/unknown", "health"),
    ("/sso/api/unknown", "health"),
    ("/config.json", "config"),
    ("/sso/config.json", "config"),
    ("/support/config.json", "config"),
    ("/idp", "idp"),
    ("/idp/", "idp"),
    ("/idp/pool/.well-known/jwks.json", "idp-wellknown"),
    ("/idp/pool/.well-known/openid-configuration", "idp-wellknown"),
    ("/sso/api/authorize", "sso-authorize"),
    ("/sso/api/check-app-user", "sso-check-app-user"),
    ("/sso/api/init-session", "sso-init-session"),
    ("/sso/api/get-session", "sso-get-session"),
    ("/api/orders", "orders"),
    ("/api/catalog", "catalog"),
    ("/api/user/profile", "user-profile"),
    ("/api/partner/app", "partner-app"),
    ("/api/partner/solutions", "partner-solutions"),
    ("/api/partner/solutions/abc", "partner-solutions"),
    ("/api/admin/users", "admin-users"),
    ("/api/admin/users/abc", "admin-users"),
    ("/api/admin/apps", "admin-apps"),
    ("/api/admin/apps/abc", "admin-apps"),
]


def test_routing_reaches_the_right_program(server):
    # The program's own log line (found by X-Request-Id) names its app,
    # which is the program's name.  Programs not built yet are skipped.
    checked = 0
    for path, prog in ROUTES:
        if not server.program_built(prog):
            continue
        r = server.get(path)
        assert r.status < 500, "%s: %r" % (path, r)
        line = server.log_for(r)
        assert line.get("app") == prog, "%s answered by %r, want %s" % (
            path, line.get("app"), prog)
        assert line.get("path") == path.split("?")[0], line
        checked += 1
    assert checked >= 2, "fewer than two programs built"


def test_api_paths_never_fall_back_to_html(server):
    for path in ("/api/zzz", "/sso/api/zzz", "/idp/zzz/x"):
        r = server.get(path)
        ctype = r.headers.get("Content-Type", "")
        assert "html" not in ctype, "%s: %s %r" % (path, ctype, r)
        assert r.status >= 400 or path.startswith("/idp"), r


# --- static root -----------------------------------------------------------------

def security_headers(r):
    assert r.headers.get_all("Content-Security-Policy") == [CSP], \
        r.headers.get_all("Content-Security-Policy")
    assert r.headers.get_all("X-Content-Type-Options") == ["nosniff"], r.headers
    assert r.headers.get_all("X-Frame-Options") == ["DENY"], r.headers
    assert r.headers.get_all("Referrer-Policy") == ["no-referrer"], r.headers


def test_static_security_headers(server):
    for path in ("/", "/index.html", "/sso/", "/support/", "/success?session_id=x",
                 "/sso/login"):
        r = server.get(path)
        assert r.status == 200, "%s: %r" % (path, r)
        assert r.headers.get("Content-Type", "").startswith("text/html"), \
            "%s: %s" % (path, r.headers.get("Content-Type"))
        security_headers(r)


def test_api_security_headers(server):
    r = server.get("/api/health")
    security_headers(r)
    no_store(r)
    r = server.get("/config.json")
    if r.status != 404:
        no_store(r)


def test_history_fallback(server):
    root = server.get("/index.html").body
    sso = server.get("/sso/index.html").body
    support = server.get("/support/index.html").body
    assert root != sso and root != support, "test pages are not distinct"
    cases = [("/success?session_id=abc", root), ("/orders", root),
             ("/admin/users/42", root), ("/ssox", root), ("/apix", root),
             ("/sso/login", sso), ("/sso/confirm/x/y", sso),
             ("/support/tickets/1", support), ("/sso/", sso),
             ("/support/", support), ("/", root)]
    for path, want in cases:
        r = server.get(path)
        assert r.status == 200, "%s: %r" % (path, r)
        assert r.body == want, "%s served %.80r" % (path, r.body)


def test_missing_asset_is_404_not_a_page(server):
    # A stale page asking for an old bundle must get a 404, never the HTML
    # of index.html served as a script (the fallback skips assets/).
    for path in ("/assets/no-such-bundle.js", "/sso/assets/gone.css",
                 "/support/assets/x.js"):
        r = server.get(path)
        assert r.status == 404, "%s: %r" % (path, r)
        assert not r.body.lstrip().lower().startswith(b"<!doctype"), \
            "%s served a page: %.80r" % (path, r.body)


def test_app_roots_redirect_to_slash(server):
    for path in ("/sso", "/support"):
        r = server.get(path)
        assert r.status in (301, 302, 308), "%s: %r" % (path, r)
        loc = r.headers.get("Location", "")
        assert loc.endswith(path + "/"), "%s -> %s" % (path, loc)


def test_static_file_served_as_is(server):
    p = os.path.join(server.htdocs, "e2e-asset.js")
    if not os.path.exists(p):
        with open(p, "w") as f:
            f.write("/* e2e */\n")
        os.chmod(p, 0o644)
    r = server.get("/e2e-asset.js")
    assert r.status == 200 and r.body == b"/* e2e */\n", r
    assert r.headers.get("Content-Type", "").startswith("text/javascript"), \
        r.headers.get("Content-Type")
    security_headers(r)


def test_dotfiles_denied(server):
    p = os.path.join(server.htdocs, ".secret")
    if not os.path.exists(p):
        with open(p, "w") as f:
            f.write("secret\n")
        os.chmod(p, 0o644)
    r = server.get("/.secret")
    assert r.status in (403, 404), r
    assert b"secret" not in r.body, r


# --- Authorization reaches the programs (Apache needs CGIPassAuth On) -------

def test_bearer_token_reaches_programs(server):
    for prog in ("idp", "user-profile"):
        if not server.program_built(prog):
            raise Skip("needs idp and user-profile")
    user = server.cache.get("auth-user") or server.new_user()
    server.cache["auth-user"] = user
    r = server.get("/api/user/profile",
                   headers={"Authorization": "Bearer " + user["id_token"]})
    assert r.status == 200, "with a valid id token: %r" % r
    r = server.get("/api/user/profile")
    json_error(r, 401)
