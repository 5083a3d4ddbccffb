"""test_security.py: regression tests of the security review (audit branch).

Each case feeds the running servers one attack that once worked: racing
guesses of a code, answers that told which accounts exist.  Users are shared
through server.cache where a case does not use one up.
"""

import re
import threading
import time

from harness import Skip


def client(server):
    return server.conf()["client_id"]


def kind(r):
    """The Cognito error name of r, or "ok"."""
    if r.status == 200:
        return "ok"
    return r.json().get("__type")


def code_from(server, to, after):
    text = server.mail_text(server.wait_mail(to=to, after=after))
    m = re.search(r"\b(\d{6})\b", text)
    assert m, text
    return m.group(1)


def setup(server):
    if not server.program_built("idp"):
        raise Skip("idp not built")
    if getattr(server, "cognito", None) is not None:
        raise Skip("embedded pool only")
    server.cache["u"] = server.new_user()


def parallel(n, fn):
    """Runs fn() n times at once (released together); returns the results."""
    out = [None] * n
    go = threading.Event()

    def run(i):
        go.wait()
        out[i] = fn()

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    go.set()
    for t in ts:
        t.join()
    return out


def test_racing_codes(server):
    # On a server of its own without the per-address throttle: the guesses
    # would use up the shared server's budget for 127.0.0.1.
    with server.variant(throttle_ip_limit="0") as v:
        racing_wrong_codes_each_count(v)
        racing_right_codes_one_wins(v)


def racing_wrong_codes_each_count(server):
    # 24 wrong guesses at once: every one is a try, so the code is dead
    # afterwards.  (Each guess used to read the count, and of those that read
    # the same count only one was recorded: parallel requests got far more
    # than 5 guesses.)
    email = "race-%d@example.com" % time.time_ns()
    seen = len(server.mails())
    r = server.idp("SignUp", {"ClientId": client(server), "Username": email,
                              "Password": "Race-Codes-Pw-42"})
    assert r.status == 200, r
    code = code_from(server, email, seen)
    wrong = ["%06d" % ((int(code) + k) % 1000000) for k in range(1, 25)]
    it = iter(wrong)
    lock = threading.Lock()

    def guess():
        with lock:
            c = next(it)
        return server.idp("ConfirmSignUp", {"ClientId": client(server), "Username": email,
                                            "ConfirmationCode": c})

    got = [kind(r) for r in parallel(len(wrong), guess)]
    assert set(got) <= {"CodeMismatchException", "ExpiredCodeException"}, got
    assert got.count("CodeMismatchException") <= 5, got
    r = server.idp("ConfirmSignUp", {"ClientId": client(server), "Username": email,
                                     "ConfirmationCode": code})
    assert kind(r) == "ExpiredCodeException", (r, got)


def racing_right_codes_one_wins(server):
    email = "race2-%d@example.com" % time.time_ns()
    seen = len(server.mails())
    r = server.idp("SignUp", {"ClientId": client(server), "Username": email,
                              "Password": "Race-Codes-Pw-43"})
    assert r.status == 200, r
    code = code_from(server, email, seen)
    got = [kind(r) for r in parallel(4, lambda: server.idp(
        "ConfirmSignUp", {"ClientId": client(server), "Username": email,
                          "ConfirmationCode": code}))]
    assert got.count("ok") == 1, got


def test_confirm_forgot_tells_nothing(server):
    # A known address and an unknown one get the same answer to a guess,
    # with a weak password (the policy used to be checked only for accounts
    # that exist) and with a good one (no reset code pending looked unlike
    # an unknown user).
    u = server.cache["u"]
    for pw in ("abc", "Good-Reset-Pw-77"):
        answers = []
        for name in (u["email"], "nobody-%d@example.com" % time.time_ns()):
            r = server.idp("ConfirmForgotPassword", {
                "ClientId": client(server), "Username": name,
                "ConfirmationCode": "123456", "Password": pw})
            answers.append((r.status, kind(r), r.json().get("message")))
        assert answers[0] == answers[1], answers


def test_confirmed_user_looks_unknown(server):
    # ConfirmSignUp and ResendConfirmationCode of a confirmed account used to
    # say so (NotAuthorized "Current status is CONFIRMED", "User is already
    # confirmed."), unlike an unknown address.
    u = server.cache["u"]
    ghost = "ghost-%d@example.com" % time.time_ns()
    answers = []
    for name in (u["email"], ghost):
        r = server.idp("ConfirmSignUp", {"ClientId": client(server), "Username": name,
                                         "ConfirmationCode": "123456"})
        answers.append((r.status, kind(r), r.json().get("message")))
    assert answers[0] == answers[1], answers
    n = len(server.mails())
    answers = []
    for name in (u["email"], ghost):
        r = server.idp("ResendConfirmationCode", {"ClientId": client(server),
                                                  "Username": name})
        assert r.status == 200, r
        answers.append(sorted(r.json()["CodeDeliveryDetails"]))
    assert answers[0] == answers[1], answers
    time.sleep(0.2)
    assert len(server.mails()) == n, "a code mailed to a confirmed account"


def test_id_tokens_end_at_sign_out(server):
    # GlobalSignOut and a password change end the sign-in: not only its
    # refresh and access tokens (the pool's own checks) but also the ID
    # tokens of before, at every API route, at once rather than at exp.
    u = server.new_user()
    old = u["id_token"]
    bearer = lambda t: {"Authorization": "Bearer " + t}   # noqa: E731
    assert server.get("/api/user/profile", headers=bearer(old)).status == 200
    # Tokens carry whole seconds: one of the very second of the sign-out
    # passes (see signed_out() in http.c), so the sign-out comes later.
    time.sleep(1.1)
    r = server.idp("GlobalSignOut", {"AccessToken": u["access_token"]})
    assert r.status == 200, r
    for path in ("/api/user/profile", "/api/orders", "/api/catalog"):
        r = server.get(path, headers=bearer(old))
        assert r.status == 401, "%s with a signed-out ID token: %r" % (path, r)
        assert r.json()["error"] == "token_revoked", r.json()
    r = server.post("/sso/api/check-app-user", headers=bearer(old),
                    json={"application_id": "marketplace"})
    assert r.status == 401, r
    # A sign-in right after the sign-out (the same second, as after a
    # password reset) opens the API again.
    r = server.idp("InitiateAuth", {"ClientId": client(server),
                                    "AuthFlow": "USER_PASSWORD_AUTH",
                                    "AuthParameters": {"USERNAME": u["email"],
                                                       "PASSWORD": u["password"]}})
    assert r.status == 200, r
    new = r.json()["AuthenticationResult"]["IdToken"]
    assert server.get("/api/user/profile", headers=bearer(new)).status == 200
    assert server.get("/api/user/profile", headers=bearer(old)).status == 401
