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


def test_racing_wrong_codes_each_count(server):
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


def test_racing_right_codes_one_wins(server):
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
