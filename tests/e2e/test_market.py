"""test_market.py: the marketplace API through lighttpd and Apache.

Every route x {no token, bad token, customer, partner, admin} against the
contract's matrix; a role change and a suspension taking effect on the very
next request; applying to be a partner and an admin's approval; the
solution life cycle; orders priced from the catalog (a price in the request
is refused); paging to the end of a list; each route's bad inputs; the
admin tool's user commands.  Users sign up and in through the embedded
pool (server.new_user) and are shared through server.cache.
"""

import json
import threading

from harness import Skip

PROGRAMS = ("catalog", "user-profile", "orders", "partner-app",
            "partner-solutions", "admin-users", "admin-apps")
ALL = ("customer", "partner", "admin")
PA = ("partner", "admin")
A = ("admin",)


def auth(u):
    return {"Authorization": "Bearer " + u["id_token"]}


def call(server, method, path, u=None, body=None, headers=None):
    h = dict(headers or {})
    if u is not None:
        h.update(auth(u))
    if body is not None:
        return server.request(method, path, json=body, headers=h)
    return server.request(method, path, headers=h)


def ok(r, status=200):
    assert r.status == status, "status %d, want %d: %.300s" % (
        r.status, status, r.text)
    return r.json()


def err(r, status, code=None):
    assert r.status == status, "status %d, want %d: %.300s" % (
        r.status, status, r.text)
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("message"), str), body
    if code is not None:
        assert body["error"] == code, "error %r, want %r" % (body["error"], code)
    return body


def sub_of(server, u):
    if "sub" not in u:
        u["sub"] = ok(call(server, "GET", "/api/user/profile", u))["user_id"]
    return u["sub"]


def user(server, name, role=None):
    """The suite's shared user `name` (server.cache is shared by every suite)."""
    key = "market:" + name
    if key not in server.cache:
        server.cache[key] = server.new_user(role=role)
    return server.cache[key]


def new_solution(server, u, name="Kit", category="test-tools", amount=1250,
                 currency="USD", publish=True):
    s = ok(call(server, "POST", "/api/partner/solutions", u, {
        "name": name, "description": "made by test_market", "category": category,
        "pricing": {"amount": amount, "currency": currency}}), 201)
    assert s["status"] == "draft", s
    if publish:
        s = ok(call(server, "PUT", "/api/partner/solutions/" + s["solution_id"], u,
                    {"status": "published"}))
    return s


def setup(server):
    for p in PROGRAMS:
        if not server.program_built(p):
            raise Skip(p + " not built")
    if not server.program_built("idp"):
        raise Skip("the embedded pool (idp) is not built: no real sign-in")
    user(server, "customer")
    user(server, "partner", "partner")
    user(server, "admin", "admin")


# --- the matrix -------------------------------------------------------------

def matrix_rows(server):
    target = user(server, "target")
    return [
        ("GET", "/api/catalog", None, ALL),
        ("GET", "/api/catalog?category=security", None, ALL),
        ("GET", "/api/user/profile", None, ALL),
        ("PUT", "/api/user/profile", {"accepts_marketing": False}, ALL),
        ("GET", "/api/orders", None, ALL),
        ("POST", "/api/orders", {"items": [{"solution_id": "demo-uptime", "quantity": 1}]}, ALL),
        ("GET", "/api/partner/app", None, ALL),
        ("POST", "/api/partner/app", {"company_name": "Matrix Ltd", "details": "x"}, ALL),
        ("GET", "/api/partner/solutions", None, PA),
        ("POST", "/api/partner/solutions", {"name": "Matrix", "category": "matrix",
                                            "pricing": {"amount": 1, "currency": "USD"}}, PA),
        ("PUT", "/api/partner/solutions/demo-uptime", {"status": "published"}, PA),
        ("GET", "/api/admin/users", None, A),
        ("PUT", "/api/admin/users/" + sub_of(server, target), {"status": "active"}, A),
        ("GET", "/api/admin/apps", None, A),
        ("PUT", "/api/admin/apps/no-such-app", {"status": "approved"}, A),
    ]


def test_access_matrix(server):
    rows = matrix_rows(server)
    users = {r: user(server, r) for r in ALL}
    bad = dict(users["customer"])
    bad["id_token"] = bad["id_token"][:-4] + ("AAAA" if not bad["id_token"].endswith("AAAA") else "BBBB")
    problems = []
    for method, path, body, allowed in rows:
        for who in ("none", "bad") + ALL:
            u = None if who == "none" else bad if who == "bad" else users[who]
            r = call(server, method, path, u, body)
            if who in ("none", "bad"):
                want = "401"
                good = r.status == 401
            elif who in allowed:
                want = "allowed"
                good = r.status not in (401, 403) and r.status < 500
            else:
                want = "403"
                good = r.status == 403 and r.json().get("error") == "forbidden"
            if not good:
                problems.append("%s %s as %s: %d (want %s) %.120s" % (
                    method, path, who, r.status, want, r.text))
    assert not problems, "\n".join(problems)


# --- roles and status take effect at once -----------------------------------

def test_role_change_takes_effect_at_once(server):
    u = user(server, "mover")
    err(call(server, "GET", "/api/partner/solutions", u), 403, "forbidden")
    server.gatehouse("user", "set-role", u["email"], "partner")
    ok(call(server, "GET", "/api/partner/solutions", u))
    assert ok(call(server, "GET", "/api/user/profile", u))["role"] == "partner"
    server.gatehouse("user", "set-role", u["email"], "admin")
    ok(call(server, "GET", "/api/admin/users", u))
    server.gatehouse("user", "set-role", u["email"], "customer")
    err(call(server, "GET", "/api/admin/users", u), 403, "forbidden")
    err(call(server, "GET", "/api/partner/solutions", u), 403, "forbidden")
    # the RoleIndex follows the stored role
    admin = user(server, "admin")
    items = list_all(server, admin, "/api/admin/users?role=customer")
    assert u["email"] in [i["email"] for i in items]
    items = list_all(server, admin, "/api/admin/users?role=partner")
    assert u["email"] not in [i["email"] for i in items]


def test_suspension_is_refused_everywhere(server):
    u = user(server, "suspendee", "partner")
    admin = user(server, "admin")
    sub = sub_of(server, u)
    r = ok(call(server, "PUT", "/api/admin/users/" + sub, admin, {"status": "suspended"}))
    assert r["status"] == "suspended" and r["user_id"] == sub, r
    for method, path, body, _ in matrix_rows(server):
        r = call(server, method, path, u, body)
        assert r.status == 403 and r.json()["error"] == "account_suspended", \
            "%s %s: %d %.200s" % (method, path, r.status, r.text)
    items = list_all(server, admin, "/api/admin/users?status=suspended")
    assert sub in [i["user_id"] for i in items]
    ok(call(server, "PUT", "/api/admin/users/" + sub, admin, {"status": "active"}))
    ok(call(server, "GET", "/api/partner/solutions", u))
    # the admin tool does the same
    server.gatehouse("user", "set-status", u["email"], "suspended")
    err(call(server, "GET", "/api/catalog", u), 403, "account_suspended")
    server.gatehouse("user", "set-status", u["email"], "active")
    ok(call(server, "GET", "/api/catalog", u))


def test_admin_user_edits_are_bounded_and_logged(server):
    admin = user(server, "admin")
    target = user(server, "target")
    sub = sub_of(server, target)
    # nobody becomes admin through the API; admins are managed by the tool
    err(call(server, "PUT", "/api/admin/users/" + sub, admin, {"role": "admin"}), 400, "invalid_field")
    err(call(server, "PUT", "/api/admin/users/" + sub_of(server, admin), admin,
             {"status": "suspended"}), 403, "admin_managed")
    err(call(server, "PUT", "/api/admin/users/no-such-user", admin, {"role": "partner"}), 404)
    err(call(server, "PUT", "/api/admin/users/" + sub, admin, {}), 400, "missing_field")
    r = call(server, "PUT", "/api/admin/users/" + sub, admin, {"role": "partner"})
    assert ok(r)["role"] == "partner"
    line = server.log_for(r)
    assert line.get("actor") == sub_of(server, admin), line
    assert "role=partner" in line.get("action", ""), line
    assert line.get("target") == sub, line
    assert admin["id_token"] not in json.dumps(line)
    ok(call(server, "PUT", "/api/admin/users/" + sub, admin, {"role": "customer"}))


# --- partner applications ---------------------------------------------------

def test_partner_application_and_approval(server):
    u = user(server, "applicant")
    admin = user(server, "admin")
    body = {"company_name": "Avery Apps", "details": "Backup tools.",
            "website": "https://avery.example"}
    a = ok(call(server, "POST", "/api/partner/app", u, body), 201)
    assert a["status"] == "pending" and a["company_name"] == "Avery Apps", a
    assert a["user_id"] == sub_of(server, u) and a["email"] == u["email"], a
    err(call(server, "POST", "/api/partner/app", u, body), 409, "application_open")
    mine = ok(call(server, "GET", "/api/partner/app", u))
    assert [x["app_id"] for x in mine["items"]] == [a["app_id"]], mine
    pend = list_all(server, admin, "/api/admin/apps?status=pending")
    assert a["app_id"] in [x["app_id"] for x in pend]
    err(call(server, "GET", "/api/partner/solutions", u), 403, "forbidden")
    r = call(server, "PUT", "/api/admin/apps/" + a["app_id"], admin,
             {"status": "approved", "note": "Welcome aboard."})
    d = ok(r)
    assert d["status"] == "approved" and d["note"] == "Welcome aboard.", d
    assert d["reviewer"] == sub_of(server, admin), d
    line = server.log_for(r)
    assert line.get("actor") == sub_of(server, admin) and "approved" in line.get("action", ""), line
    # the very next request sees the partner
    ok(call(server, "GET", "/api/partner/solutions", u))
    assert ok(call(server, "GET", "/api/user/profile", u))["role"] == "partner"
    partners = list_all(server, admin, "/api/admin/users?role=partner")
    assert u["email"] in [x["email"] for x in partners]
    assert a["app_id"] in [x["app_id"] for x in list_all(server, admin, "/api/admin/apps?status=approved")]
    assert a["app_id"] not in [x["app_id"] for x in list_all(server, admin, "/api/admin/apps?status=pending")]
    # the same decision again is a no-op; the other one is refused
    ok(call(server, "PUT", "/api/admin/apps/" + a["app_id"], admin, {"status": "approved"}))
    err(call(server, "PUT", "/api/admin/apps/" + a["app_id"], admin, {"status": "rejected"}),
        409, "already_decided")
    err(call(server, "POST", "/api/partner/app", u, body), 409, "already_partner")


def test_rejected_applicant_may_apply_again(server):
    u = server.new_user()
    admin = user(server, "admin")
    a = ok(call(server, "POST", "/api/partner/app", u, {"company_name": "R", "details": "d"}), 201)
    ok(call(server, "PUT", "/api/admin/apps/" + a["app_id"], admin, {"status": "rejected", "note": "No."}))
    err(call(server, "GET", "/api/partner/solutions", u), 403)
    assert ok(call(server, "GET", "/api/user/profile", u))["role"] == "customer"
    b = ok(call(server, "POST", "/api/partner/app", u, {"company_name": "R2", "details": "d"}), 201)
    mine = ok(call(server, "GET", "/api/partner/app", u))["items"]
    assert [x["app_id"] for x in mine] == [b["app_id"], a["app_id"]], mine
    assert mine[1]["status"] == "rejected" and mine[1]["note"] == "No."


def test_one_open_application_under_concurrency(server):
    u = server.new_user()
    statuses = []

    def one(i):
        r = call(server, "POST", "/api/partner/app", u, {"company_name": "C%d" % i, "details": "d"})
        statuses.append(r.status)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(statuses) == [201] + [409] * 7, statuses
    mine = ok(call(server, "GET", "/api/partner/app", u))["items"]
    assert len([x for x in mine if x["status"] == "pending"]) == 1, mine


# --- solutions ----------------------------------------------------------------

def test_solution_life_cycle(server):
    p = user(server, "partner")
    other = user(server, "partner2", "partner")
    admin = user(server, "admin")
    cust = user(server, "customer")
    s = new_solution(server, p, name="Life Cycle Kit", category="life-cycle", publish=False)
    sid = s["solution_id"]
    assert s["partner_id"] == sub_of(server, p) and s["pricing"] == {"amount": 1250, "currency": "USD"}, s
    cat = lambda: [x["solution_id"] for x in list_all(server, cust, "/api/catalog?category=life-cycle")]
    assert sid not in cat(), "a draft is in the catalog"
    assert sid in [x["solution_id"] for x in list_all(server, p, "/api/partner/solutions")]
    assert sid not in [x["solution_id"] for x in list_all(server, other, "/api/partner/solutions")]
    err(call(server, "PUT", "/api/partner/solutions/" + sid, other, {"status": "published"}), 404)
    s = ok(call(server, "PUT", "/api/partner/solutions/" + sid, p, {"status": "published"}))
    assert s["status"] == "published"
    assert sid in cat()
    assert sid in [x["solution_id"] for x in list_all(server, cust, "/api/catalog")]
    s = ok(call(server, "PUT", "/api/partner/solutions/" + sid, p,
                {"name": "Life Cycle Kit 2", "pricing": {"amount": 990, "currency": "EUR"}}))
    assert s["name"] == "Life Cycle Kit 2" and s["pricing"]["amount"] == 990 and s["status"] == "published"
    ok(call(server, "PUT", "/api/partner/solutions/" + sid, p, {"status": "draft"}))
    assert sid not in cat()
    ok(call(server, "PUT", "/api/partner/solutions/" + sid, p, {"status": "retired"}))
    err(call(server, "PUT", "/api/partner/solutions/" + sid, p, {"status": "draft"}), 409, "invalid_transition")
    err(call(server, "PUT", "/api/partner/solutions/" + sid, p, {"name": "x"}), 409, "retired")
    err(call(server, "PUT", "/api/partner/solutions/" + sid, admin, {"status": "published"}), 409, "invalid_transition")
    assert sid in [x["solution_id"] for x in list_all(server, admin, "/api/partner/solutions?status=retired")]
    r = call(server, "PUT", "/api/partner/solutions/" + sid, admin, {"status": "draft"})
    assert ok(r)["status"] == "draft"
    assert server.log_for(r).get("actor") == sub_of(server, admin)
    assert sid in [x["solution_id"] for x in list_all(server, admin, "/api/partner/solutions?status=draft")]
    assert sid in [x["solution_id"] for x in list_all(server, p, "/api/partner/solutions?status=draft")]
    err(call(server, "PUT", "/api/partner/solutions/" + sid, cust, {"status": "published"}), 403)


def test_demo_catalog_is_seeded_idempotently(server):
    cust = user(server, "customer")
    before = list_all(server, cust, "/api/catalog")
    demo = [x for x in before if x["solution_id"].startswith("demo-")]
    assert len(demo) >= 3, before
    for x in demo:
        assert x["status"] == "published" and x["partner_id"] == "demo-partner", x
        assert isinstance(x["pricing"]["amount"], int) and len(x["pricing"]["currency"]) == 3, x
        for k in ("PK", "SK", "GSI1PK", "version"):
            assert k not in x, x
    server.gatehouse("seed-demo")
    after = list_all(server, cust, "/api/catalog")
    assert sorted(x["solution_id"] for x in after) == sorted(x["solution_id"] for x in before)


# --- orders -------------------------------------------------------------------

def test_order_priced_from_the_catalog(server):
    p = user(server, "partner")
    buyer = server.new_user()
    a = new_solution(server, p, name="Priced A", amount=1999)
    b = new_solution(server, p, name="Priced B", amount=500)
    o = ok(call(server, "POST", "/api/orders", buyer, {"items": [
        {"solution_id": a["solution_id"], "quantity": 2},
        {"solution_id": b["solution_id"], "quantity": 3}]}), 201)
    d = o["order_details"]
    assert d["amount"] == 2 * 1999 + 3 * 500 and d["currency"] == "USD", o
    assert [(i["solution_id"], i["quantity"], i["price"], i["name"]) for i in d["items"]] == [
        (a["solution_id"], 2, 1999, "Priced A"), (b["solution_id"], 3, 500, "Priced B")], d
    assert o["status"] == "placed" and o["order_id"] and o["created_at"], o
    got = ok(call(server, "GET", "/api/orders", buyer))
    assert got["items"][0]["order_id"] == o["order_id"] and got["items"][0]["order_details"] == d
    # a later price change leaves the order as it was
    ok(call(server, "PUT", "/api/partner/solutions/" + a["solution_id"], p,
            {"pricing": {"amount": 1, "currency": "USD"}}))
    assert ok(call(server, "GET", "/api/orders", buyer))["items"][0]["order_details"]["amount"] == 5498
    # someone else's orders are not visible
    assert o["order_id"] not in [x["order_id"] for x in list_all(server, user(server, "customer"), "/api/orders")]


def test_price_tampering_is_refused(server):
    p = user(server, "partner")
    buyer = user(server, "customer")
    s = new_solution(server, p, name="Tamper", amount=10000)
    sid = s["solution_id"]
    n = len(list_all(server, buyer, "/api/orders"))
    for body in (
        {"items": [{"solution_id": sid, "quantity": 1, "price": 1}]},
        {"items": [{"solution_id": sid, "quantity": 1}], "amount": 1},
        {"items": [{"solution_id": sid, "quantity": 1}], "order_details": {"amount": 1}},
        {"items": [{"solution_id": sid, "quantity": 1, "pricing": {"amount": 1, "currency": "USD"}}]},
        {"items": [{"solution_id": sid, "quantity": 1}], "currency": "JPY"},
    ):
        r = call(server, "POST", "/api/orders", buyer, body)
        assert r.status == 400 and r.json()["error"] in ("unknown_field", "invalid_field"), (body, r.text)
    assert len(list_all(server, buyer, "/api/orders")) == n, "a refused order was stored"


def test_order_bad_items(server):
    p = user(server, "partner")
    buyer = user(server, "customer")
    pub = new_solution(server, p, name="Pub", amount=100)["solution_id"]
    draft = new_solution(server, p, name="Draft", publish=False)["solution_id"]
    eur = new_solution(server, p, name="Euro", currency="EUR")["solution_id"]
    line = lambda sid=pub, q=1: {"solution_id": sid, "quantity": q}
    cases = [
        ({}, 400, "missing_field"),
        ({"items": []}, 400, "invalid_field"),
        ({"items": {}}, 400, "invalid_field"),
        ({"items": "x"}, 400, "invalid_field"),
        ({"items": [line(q=0)]}, 400, "invalid_field"),
        ({"items": [line(q=101)]}, 400, "invalid_field"),
        ({"items": [line(q=-1)]}, 400, "invalid_field"),
        ({"items": [line(q="2")]}, 400, "invalid_field"),
        ({"items": [line(q=2.5)]}, 400, "invalid_field"),
        ({"items": [line(q=True)]}, 400, "invalid_field"),
        ({"items": [line(q=10 ** 30)]}, 400, None),
        ({"items": [{"solution_id": pub}]}, 400, "invalid_field"),
        ({"items": [{"quantity": 1}]}, 400, "invalid_field"),
        ({"items": [line(sid=5)]}, 400, "invalid_field"),
        ({"items": [line(sid="")]}, 400, "invalid_field"),
        ({"items": [line(sid="a/b")]}, 400, "invalid_field"),
        ({"items": [line(sid="x" * 200)]}, 400, "invalid_field"),
        ({"items": [line(sid="\u00e9t\u00e9")]}, 400, "invalid_field"),
        ({"items": [line(), line()]}, 400, "invalid_field"),
        ({"items": [line(sid="s%d" % i) for i in range(21)]}, 400, "invalid_field"),
        ({"items": [line(sid="no-such-solution")]}, 400, "solution_unavailable"),
        ({"items": [line(sid=draft)]}, 400, "solution_unavailable"),
        ({"items": [line(), line(sid=eur)]}, 400, "mixed_currency"),
        ({"items": [line(), line(sid=draft)]}, 400, "solution_unavailable"),
    ]
    for body, status, code in cases:
        r = call(server, "POST", "/api/orders", buyer, body)
        assert r.status == status, (body, r.status, r.text)
        if code:
            assert r.json()["error"] == code, (body, r.text)
    # odd bytes and shapes of the body itself
    for raw, status in ((b"{", 400), (b"[]", 400), (b'{"items": [] ,}', 400),
                        (b'{"items":[{"solution_id":"a\\u0000b","quantity":1}]}', 400),
                        (b'\xff\xfe', 400), (b'{"items": 1, "items": 2}', 400)):
        r = server.request("POST", "/api/orders", body=raw,
                           headers=dict(auth(buyer), **{"Content-Type": "application/json"}))
        assert r.status == status, (raw, r.status, r.text)
    r = server.request("POST", "/api/orders", body=b'{"items":[]}',
                       headers=dict(auth(buyer), **{"Content-Type": "text/plain"}))
    err(r, 415)
    big = json.dumps({"items": [line()], "pad": "x" * 70000}).encode()
    r = server.request("POST", "/api/orders", body=big,
                       headers=dict(auth(buyer), **{"Content-Type": "application/json"}))
    assert r.status == 413, (r.status, r.text[:200])
    r = server.request("GET", "/api/orders", body=b'{"items":[]}',
                       headers=dict(auth(buyer), **{"Content-Type": "application/json"}))
    assert r.status == 400, (r.status, r.text[:200])   # lighttpd refuses it itself
    # 20 distinct lines are fine
    many = [new_solution(server, p, name="M%d" % i, amount=100)["solution_id"] for i in range(19)]
    o = ok(call(server, "POST", "/api/orders", buyer,
                {"items": [line(sid=x, q=100) for x in many + [pub]]}), 201)
    assert o["order_details"]["amount"] == 20 * 100 * 100


def test_paging_to_the_end(server):
    buyer = server.new_user()
    ids = []
    for i in range(5):
        ids.append(ok(call(server, "POST", "/api/orders", buyer,
                           {"items": [{"solution_id": "demo-uptime", "quantity": i + 1}]}), 201)["order_id"])
    seen, cursor, pages = [], None, 0
    while True:
        path = "/api/orders?limit=2" + ("&cursor=" + cursor if cursor else "")
        page = ok(call(server, "GET", path, buyer))
        assert set(page) == {"items", "next_cursor"}, page
        seen += [x["order_id"] for x in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert seen == list(reversed(ids)), (seen, ids)
    assert pages >= 3
    # the catalog pages the same way
    cust = user(server, "customer")
    full = list_all(server, cust, "/api/catalog", limit=1)
    assert len(full) == len({x["solution_id"] for x in full}) >= 4
    # cursors are opaque and bound to their list
    first = ok(call(server, "GET", "/api/orders?limit=1", buyer))
    err(call(server, "GET", "/api/catalog?cursor=" + first["next_cursor"], cust), 400, "invalid_cursor")
    other = user(server, "customer")
    err(call(server, "GET", "/api/orders?cursor=" + first["next_cursor"], other), 400, "invalid_cursor")
    for bad in ("zzzz", "AAAA", "%00", "a+b", "x" * 3000, "", "%ff"):
        r = call(server, "GET", "/api/orders?cursor=" + bad, buyer)
        assert r.status in (400, 414), (bad, r.status, r.text)
    for bad in ("0", "101", "-1", "x", "1.5", "", "99999999999999999999"):
        err(call(server, "GET", "/api/orders?limit=" + bad, buyer), 400)


def list_all(server, u, path, limit=100):
    out, cursor = [], None
    sep = "&" if "?" in path else "?"
    for _ in range(200):
        p = path + sep + "limit=%d" % limit + ("&cursor=" + cursor if cursor else "")
        page = ok(call(server, "GET", p, u))
        out += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out
    raise AssertionError("no end to " + path)


# --- profile --------------------------------------------------------------------

def test_profile_read_and_write(server):
    u = user(server, "profiled")
    p = ok(call(server, "GET", "/api/user/profile", u))
    assert p["email"] == u["email"] and p["role"] == "customer" and p["status"] == "active", p
    assert p["user_id"] and "PK" not in p and "version" not in p, p
    p = ok(call(server, "PUT", "/api/user/profile", u, {
        "name": "Casey Q. Customer", "phone": "+14155550123", "company": "Q Ltd",
        "accepts_marketing": True}))
    assert (p["name"], p["phone_number"], p["company"], p["accepts_marketing"]) == (
        "Casey Q. Customer", "+14155550123", "Q Ltd", True), p
    p = ok(call(server, "PUT", "/api/user/profile", u, {"phone": "", "company": ""}))
    assert "phone_number" not in p and "company" not in p and p["name"] == "Casey Q. Customer", p
    assert ok(call(server, "GET", "/api/user/profile", u))["name"] == "Casey Q. Customer"
    for body, code in (
        ({"role": "admin"}, "unknown_field"), ({"email": "x@example.com"}, "unknown_field"),
        ({"status": "active"}, "unknown_field"), ({"sub": "x"}, "unknown_field"),
        ({"user_id": "x"}, "unknown_field"), ({}, "missing_field"),
        ({"name": 5}, "invalid_field"), ({"name": "x" * 201}, "invalid_field"),
        ({"name": "a\u0001b"}, "invalid_field"), ({"phone": "555"}, "invalid_field"),
        ({"phone": "+0123456789"}, "invalid_field"), ({"accepts_marketing": "yes"}, "invalid_field"),
        ({"accepts_marketing": 1}, "invalid_field"),
        ({"phone": "+14155550123", "phone_number": "+14155550123"}, "invalid_field"),
    ):
        err(call(server, "PUT", "/api/user/profile", u, body), 400, code)
    assert ok(call(server, "GET", "/api/user/profile", u))["role"] == "customer"


# --- bad inputs of the other routes ---------------------------------------------

def test_bad_inputs(server):
    cust = user(server, "badin")
    p = user(server, "partner")
    admin = user(server, "admin")
    sid = new_solution(server, p, name="BadIn", publish=False)["solution_id"]
    sol = {"name": "N", "category": "cat", "pricing": {"amount": 100, "currency": "USD"}}
    cases = [
        (cust, "GET", "/api/catalog?category=Not%20A%20Slug", None, 400),
        (cust, "GET", "/api/catalog?category=" + "a" * 49, None, 400),
        (cust, "GET", "/api/catalog?category=a&category=b", None, 400),
        (cust, "GET", "/api/catalog?category=%ff", None, 400),
        (cust, "GET", "/api/catalog?limit=0", None, 400),
        (cust, "GET", "/api/catalog?cursor=!!", None, 400),
        (cust, "POST", "/api/catalog", {}, 405),
        (cust, "POST", "/api/partner/app", {"details": "d"}, 400),
        (cust, "POST", "/api/partner/app", {"company_name": "", "details": "d"}, 400),
        (cust, "POST", "/api/partner/app", {"company_name": "c", "details": ""}, 400),
        (cust, "POST", "/api/partner/app", {"company_name": "c"}, 400),
        (cust, "POST", "/api/partner/app", {"company_name": 1, "details": "d"}, 400),
        (cust, "POST", "/api/partner/app", {"company_name": "c" * 201, "details": "d"}, 400),
        (cust, "POST", "/api/partner/app", {"company_name": "c", "details": "d" * 4001}, 400),
        (cust, "POST", "/api/partner/app", {"company_name": "c", "details": "d", "website": "javascript:x"}, 400),
        (cust, "POST", "/api/partner/app", {"company_name": "c", "details": "d", "status": "approved"}, 400),
        (cust, "POST", "/api/partner/app", {"company_name": "c\u0000", "details": "d"}, 400),
        (p, "POST", "/api/partner/solutions", dict(sol, name=""), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, category="Has Space"), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, category="-x"), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, pricing={"amount": 1.5, "currency": "USD"}), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, pricing={"amount": "100", "currency": "USD"}), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, pricing={"amount": -1, "currency": "USD"}), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, pricing={"amount": 10 ** 12, "currency": "USD"}), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, pricing={"amount": 1, "currency": "usd"}), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, pricing={"amount": 1, "currency": "US"}), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, pricing={"amount": 1}), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, pricing={"amount": 1, "currency": "USD", "x": 1}), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, pricing=100), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, status="published"), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, partner_id="someone"), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, solution_id="mine"), 400),
        (p, "POST", "/api/partner/solutions", dict(sol, description="d" * 4001), 400),
        (p, "POST", "/api/partner/solutions", {"name": "N", "category": "c"}, 400),
        (p, "PUT", "/api/partner/solutions/" + sid, {}, 400),
        (p, "PUT", "/api/partner/solutions/" + sid, {"status": "gone"}, 400),
        (p, "PUT", "/api/partner/solutions/" + sid, {"status": 1}, 400),
        (p, "PUT", "/api/partner/solutions/" + sid, {"partner_id": "x"}, 400),
        (p, "PUT", "/api/partner/solutions/no-such", {"status": "published"}, 404),
        (p, "PUT", "/api/partner/solutions/a%2Fb", {"status": "published"}, (404, 400)),
        (p, "PUT", "/api/partner/solutions/%00", {"status": "published"}, (404, 400)),
        (p, "PUT", "/api/partner/solutions/" + "x" * 200, {"status": "published"}, 404),
        (p, "PUT", "/api/partner/solutions", {"status": "published"}, 405),
        (p, "GET", "/api/partner/solutions?status=nope", None, 400),
        (admin, "GET", "/api/admin/users?role=root", None, 400),
        (admin, "GET", "/api/admin/users?status=gone", None, 400),
        (admin, "PUT", "/api/admin/users/" + sub_of(server, cust), {"role": "root"}, 400),
        (admin, "PUT", "/api/admin/users/" + sub_of(server, cust), {"status": "deleted"}, 400),
        (admin, "PUT", "/api/admin/users/" + sub_of(server, cust), {"email": "a@b.example"}, 400),
        (admin, "PUT", "/api/admin/users/%3Cx%3E", {"status": "active"}, 404),
        (admin, "GET", "/api/admin/apps?status=maybe", None, 400),
        (admin, "PUT", "/api/admin/apps/x", {}, 400),
        (admin, "PUT", "/api/admin/apps/x", {"status": "pending"}, 400),
        (admin, "PUT", "/api/admin/apps/x", {"status": "approved", "note": 5}, 400),
        (admin, "PUT", "/api/admin/apps/x", {"status": "approved", "note": "n" * 4001}, 400),
        (admin, "PUT", "/api/admin/apps/x", {"status": "approved"}, 404),
        (admin, "DELETE", "/api/admin/apps/x", None, 405),
    ]
    problems = []
    for u, method, path, body, status in cases:
        r = call(server, method, path, u, body)
        if r.status not in (status if isinstance(status, tuple) else (status,)):
            problems.append("%s %s %r: %d, want %s: %.150s" % (method, path, body, r.status, status, r.text))
            continue
        # Bytes the web server refuses itself (an encoded NUL or slash in
        # Apache's paths) get its JSON error document: the shape holds too.
        b = r.json()
        if not (isinstance(b.get("error"), str) and isinstance(b.get("message"), str)):
            problems.append("%s %s: not an error body: %.150s" % (method, path, r.text))
    assert not problems, "\n".join(problems)
    # nothing half-written: the draft is as it was
    s = [x for x in list_all(server, p, "/api/partner/solutions") if x["solution_id"] == sid][0]
    assert s["status"] == "draft" and s["partner_id"] == sub_of(server, p), s


# --- the admin tool -------------------------------------------------------------

def test_admin_tool_user_commands(server):
    for cmd in (("user", "list"), ("user", "set-role"), ("user", "set-status"), ("seed-demo",)):
        r = server.gatehouse(*cmd, "--help")
        assert "usage: gatehouse" in r.stdout, (cmd, r.stdout)
    u = user(server, "customer")
    r = server.gatehouse("user", "list")
    assert u["email"] in r.stdout
    r = server.gatehouse("user", "list", "--role", "admin")
    assert user(server, "admin")["email"] in r.stdout and u["email"] not in r.stdout
    r = server.gatehouse("user", "set-role", "nobody@example.com", "partner", check=False)
    assert r.returncode == 1 and "no user" in r.stderr, r
    r = server.gatehouse("user", "set-role", u["email"], "root", check=False)
    assert r.returncode == 2 and "customer, partner or admin" in r.stderr, r
    r = server.gatehouse("user", "set-role", u["email"], check=False)
    assert r.returncode == 2 and "usage" in r.stderr, r
    r = server.gatehouse("user", "set-status", u["email"], "gone", check=False)
    assert r.returncode == 2 and "active or suspended" in r.stderr, r
    r = server.gatehouse("user", "list", "--role", "root", check=False)
    assert r.returncode == 2 and "customer, partner or admin" in r.stderr, r
    r = server.gatehouse("user", "list", "--status", "gone", check=False)
    assert r.returncode == 2 and "active or suspended" in r.stderr, r
    r = server.gatehouse("user", "list", "extra", check=False)
    assert r.returncode == 2 and "usage" in r.stderr, r
    r = server.gatehouse("user", "list", "--status", "suspended")
    assert u["email"] not in r.stdout
    r = server.gatehouse("user", "set-role", u["email"].upper(), "customer")
    assert r.returncode == 0
