"""test_idp.py: the embedded user pool (POST /idp) through both web servers.

Users are shared across cases through server.cache (each sign-up costs an
Argon2 hash).  Cases that lock accounts use their own users.
"""

import base64
import json
import re
import time

from harness import Skip


def b64json(seg):
    return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))


def claims(tok):
    h, p, _ = tok.split(".")
    return b64json(h), b64json(p)


def client(server):
    return server.conf()["client_id"]


def err(r, typ, status=400):
    assert r.status == status, "want %d %s, got %r" % (status, typ, r)
    j = r.json()
    assert j.get("__type") == typ, "want %s, got %r" % (typ, j)
    assert r.headers.get("x-amzn-ErrorType", "").startswith(typ), r.headers
    assert isinstance(j.get("message"), str) and j["message"], j
    return j


def code_from(server, to, after):
    text = server.mail_text(server.wait_mail(to=to, after=after))
    m = re.search(r"\b(\d{6})\b", text)
    assert m, text
    return m.group(1)


def sign_up(server, email, password="Correct-Horse-42", attrs=None, meta=None):
    body = {"ClientId": client(server), "Username": email, "Password": password,
            "UserAttributes": [{"Name": "email", "Value": email}] + (attrs or [])}
    if meta is not None:
        body["ClientMetadata"] = meta
    return server.idp("SignUp", body)


def login(server, email, password):
    return server.idp("InitiateAuth", {
        "ClientId": client(server), "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": email, "PASSWORD": password}})


def setup(server):
    if not server.program_built("idp"):
        raise Skip("idp not built")
    server.cache["u"] = server.new_user()


def test_new_user_tokens(server):
    u = server.cache["u"]
    conf = server.conf()
    iss = "%s/idp/%s" % (server.base, conf["user_pool_id"])
    h, idc = claims(u["id_token"])
    assert h["alg"] == "RS256" and h.get("kid"), h
    assert idc["iss"] == iss, idc
    assert idc["aud"] == conf["client_id"], idc
    assert idc["token_use"] == "id" and idc["email"] == u["email"], idc
    assert idc["email_verified"] is True, idc
    assert idc["custom:role"] == "customer", idc
    for k in ("sub", "iat", "exp", "auth_time", "jti", "origin_jti",
              "cognito:username"):
        assert k in idc, (k, idc)
    assert idc["exp"] - idc["iat"] == 3600, idc
    _, ac = claims(u["access_token"])
    assert ac["token_use"] == "access" and ac["client_id"] == conf["client_id"], ac
    assert ac["scope"] == "aws.cognito.signin.user.admin", ac
    assert ac["sub"] == idc["sub"] and ac["origin_jti"] == idc["origin_jti"], ac
    assert ac["username"] and ac["iss"] == iss, ac
    assert u["refresh_token"] and u["refresh_token"].count(".") == 0


def test_success_shape(server):
    u = server.cache["u"]
    r = login(server, u["email"].upper(), u["password"])  # case-insensitive
    assert r.status == 200, r
    assert r.headers.get("Content-Type").startswith("application/x-amz-json-1.1"), r.headers
    j = r.json()
    assert j["ChallengeParameters"] == {}, j
    ar = j["AuthenticationResult"]
    assert ar["TokenType"] == "Bearer" and ar["ExpiresIn"] == 3600, ar
    assert ar["IdToken"] and ar["AccessToken"] and ar["RefreshToken"], ar


def test_refresh(server):
    u = server.cache["u"]
    r = server.idp("InitiateAuth", {
        "ClientId": client(server), "AuthFlow": "REFRESH_TOKEN_AUTH",
        "AuthParameters": {"REFRESH_TOKEN": u["refresh_token"]}})
    assert r.status == 200, r
    ar = r.json()["AuthenticationResult"]
    assert "RefreshToken" not in ar, ar
    _, old = claims(u["id_token"])
    _, new = claims(ar["IdToken"])
    assert new["origin_jti"] == old["origin_jti"] and new["jti"] != old["jti"]
    assert new["auth_time"] == old["auth_time"], (new, old)
    r = server.idp("InitiateAuth", {
        "ClientId": client(server), "AuthFlow": "REFRESH_TOKEN_AUTH",
        "AuthParameters": {"REFRESH_TOKEN": u["refresh_token"][:-2] + "AA"}})
    err(r, "NotAuthorizedException")
    r = server.idp("InitiateAuth", {
        "ClientId": client(server), "AuthFlow": "REFRESH_TOKEN_AUTH",
        "AuthParameters": {"REFRESH_TOKEN": "garbage"}})
    err(r, "NotAuthorizedException")


def test_user_item_and_enrolment(server):
    email = "enrol-%d@example.com" % time.time_ns()
    seen = len(server.mails())
    r = sign_up(server, email, attrs=[{"Name": "custom:role", "Value": "partner"},
                                      {"Name": "custom:company", "Value": "Tech Corp"},
                                      {"Name": "name", "Value": "Ann Example"}])
    assert r.status == 200, r
    j = r.json()
    assert j["UserConfirmed"] is False and j["UserSub"], j
    d = j["CodeDeliveryDetails"]
    assert d["DeliveryMedium"] == "EMAIL" and d["AttributeName"] == "email", d
    assert "***" in d["Destination"] and email not in d["Destination"], d
    code = code_from(server, email, seen)
    r = server.idp("ConfirmSignUp", {"ClientId": client(server), "Username": email,
                                     "ConfirmationCode": code,
                                     "ClientMetadata": {"application_id": "marketplace"}})
    assert r.status == 200 and r.json() == {}, r
    out = server.gatehouse("user", "list").stdout
    line = [l for l in out.splitlines() if email in l]
    assert line and "partner" in line[0] and "active" in line[0], out
    r = login(server, email, "Correct-Horse-42")
    assert r.status == 200, r
    _, idc = claims(r.json()["AuthenticationResult"]["IdToken"])
    assert idc["custom:role"] == "partner" and idc["custom:company"] == "Tech Corp", idc
    assert idc["sub"] == j["UserSub"], idc
    # A second confirmation is refused (the answer of an unknown user: no
    # live code); the code was single-use anyway.
    r = server.idp("ConfirmSignUp", {"ClientId": client(server), "Username": email,
                                     "ConfirmationCode": code})
    err(r, "ExpiredCodeException")
    server.cache["partner"] = {"email": email, "sub": j["UserSub"]}


def test_stored_role_wins(server):
    u = server.new_user()
    server.gatehouse("user", "set-role", u["email"], "admin")
    r = login(server, u["email"], u["password"])
    assert r.status == 200, r
    _, idc = claims(r.json()["AuthenticationResult"]["IdToken"])
    assert idc["custom:role"] == "admin", idc


def test_suspended_user_cannot_sign_in(server):
    u = server.new_user()
    server.gatehouse("user", "set-status", u["email"], "suspended")
    r = login(server, u["email"], u["password"])
    j = err(r, "NotAuthorizedException")
    assert "disabled" in j["message"], j
    j = err(server.idp("GetUser", {"AccessToken": u["access_token"]}), "NotAuthorizedException")
    assert "disabled" in j["message"], j
    r = server.idp("InitiateAuth", {
        "ClientId": client(server), "AuthFlow": "REFRESH_TOKEN_AUTH",
        "AuthParameters": {"REFRESH_TOKEN": u["refresh_token"]}})
    err(r, "NotAuthorizedException")


def test_admin_role_refused_at_sign_up(server):
    r = sign_up(server, "admin-%d@example.com" % time.time_ns(),
                attrs=[{"Name": "custom:role", "Value": "admin"}])
    err(r, "InvalidParameterException")


def test_sign_up_errors(server):
    r = sign_up(server, server.cache["u"]["email"].upper())
    err(r, "UsernameExistsException")
    r = sign_up(server, "not-an-email")
    err(r, "InvalidParameterException")
    r = sign_up(server, "weak-%d@example.com" % time.time_ns(), password="password")
    err(r, "InvalidPasswordException")
    r = sign_up(server, "short-%d@example.com" % time.time_ns(), password="Ab1!")
    err(r, "InvalidPasswordException")
    r = sign_up(server, "long-%d@example.com" % time.time_ns(), password="a" * 257)
    err(r, "InvalidPasswordException")
    r = sign_up(server, "wide-%d@example.com" % time.time_ns(), password="\u00e9\u20ac" * 128)
    assert r.status == 200, r   # 256 characters, 640 bytes: allowed
    r = sign_up(server, "attr-%d@example.com" % time.time_ns(),
                attrs=[{"Name": "custom:nope", "Value": "x"}])
    err(r, "InvalidParameterException")
    r = sign_up(server, "phone-%d@example.com" % time.time_ns(),
                attrs=[{"Name": "phone_number", "Value": "0123"}])
    j = err(r, "InvalidParameterException")
    assert "phone" in j["message"], j
    r = server.idp("SignUp", {"ClientId": "wrong", "Username": "a@example.com",
                              "Password": "Correct-Horse-42"})
    err(r, "ResourceNotFoundException")
    r = server.idp("SignUp", {"ClientId": client(server), "Password": "x"})
    err(r, "InvalidParameterException")



def test_password_field_bad_inputs(server):
    """A password that is empty, over 1024 bytes or not a string is refused
    by the field check of every operation that takes one, before anything
    runs (one with a NUL already by the JSON parser); 1024 bytes reach the
    policy."""
    tok = server.cache["u"]["access_token"]
    for bad, want in (("", "InvalidParameterException"),
                      ("a" * 1025, "InvalidParameterException"),
                      (12, "InvalidParameterException"),
                      ("a\u0000b", "SerializationException")):
        bodies = {
            "SignUp": {"ClientId": client(server), "Username":
                       "pw-%d@example.com" % time.time_ns(), "Password": bad},
            "ChangePassword": {"PreviousPassword": bad, "ProposedPassword":
                               "Correct-Horse-43", "AccessToken": tok},
            "ConfirmForgotPassword": {"ClientId": client(server), "Username":
                                      server.cache["u"]["email"],
                                      "ConfirmationCode": "123456",
                                      "Password": bad},
        }
        for op, body in bodies.items():
            r = server.idp(op, body)
            err(r, want)
    r = sign_up(server, "pw1024-%d@example.com" % time.time_ns(), password="a" * 1024)
    err(r, "InvalidPasswordException")

def test_no_enumeration_on_sign_in(server):
    u = server.cache["u"]
    r1 = login(server, "nobody-%d@example.com" % time.time_ns(), "Whatever-123")
    j1 = err(r1, "NotAuthorizedException")
    r2 = login(server, u["email"], "Wrong-password-1")
    j2 = err(r2, "NotAuthorizedException")
    assert j1["message"] == j2["message"] == "Incorrect username or password.", (j1, j2)
    assert dict(r1.headers).keys() == dict(r2.headers).keys()
    # Same cost: an unknown user runs one dummy Argon2 verification.  The
    # programs' own durations (log lines), medians of three: without the
    # dummy an unknown user answers some 20 times faster.
    unknown, wrong = [], []
    for i in range(3):
        r = login(server, "nobody-%d-%d@example.com" % (i, time.time_ns()), "Whatever-123")
        unknown.append(server.log_for(r)["ms"])
        r = login(server, u["email"], "Wrong-password-%d" % i)
        wrong.append(server.log_for(r)["ms"])
    assert login(server, u["email"], u["password"]).status == 200   # clears the count
    mu, mw = sorted(unknown)[1], sorted(wrong)[1]
    assert 0.5 < mu / mw < 2.0, (unknown, wrong)


def test_odd_usernames(server):
    # Long, non-ASCII or not e-mail at all: the answer of a wrong password, never a 500.
    for name in ("x" * 5000, "\u00e9" * 300 + "@example.com", "not an email", "\u2603"):
        j = err(login(server, name, "Whatever-123"), "NotAuthorizedException")
        assert j["message"] == "Incorrect username or password.", j
    r = server.idp("ForgotPassword", {"ClientId": client(server), "Username": "\u00e9" * 128})
    err(r, "InvalidParameterException")


def test_unconfirmed_and_codes(server):
    email = "codes-%d@example.com" % time.time_ns()
    seen = len(server.mails())
    assert sign_up(server, email).status == 200
    first = code_from(server, email, seen)
    r = login(server, email, "Correct-Horse-42")
    err(r, "UserNotConfirmedException")
    # A resend replaces the old code.
    seen = len(server.mails())
    r = server.idp("ResendConfirmationCode", {"ClientId": client(server), "Username": email})
    assert r.status == 200 and r.json()["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL", r
    second = code_from(server, email, seen)
    if first != second:
        r = server.idp("ConfirmSignUp", {"ClientId": client(server), "Username": email,
                                         "ConfirmationCode": first})
        err(r, "CodeMismatchException")
    wrong = "%06d" % ((int(second) + 1) % 1000000)
    for _ in range(4 if first != second else 5):
        r = server.idp("ConfirmSignUp", {"ClientId": client(server), "Username": email,
                                         "ConfirmationCode": wrong})
        err(r, "CodeMismatchException")
    # Five wrong tries: the code is dead, even the right one.
    r = server.idp("ConfirmSignUp", {"ClientId": client(server), "Username": email,
                                     "ConfirmationCode": second})
    err(r, "ExpiredCodeException")
    # Unknown users look like an account with no live code; resend for them "succeeds".
    r = server.idp("ConfirmSignUp", {"ClientId": client(server),
                                     "Username": "ghost@example.com",
                                     "ConfirmationCode": "123456"})
    err(r, "ExpiredCodeException")
    r = server.idp("ResendConfirmationCode", {"ClientId": client(server),
                                              "Username": "ghost@example.com"})
    assert r.status == 200, r


def test_mail_file(server):
    msgs = server.mails()
    assert msgs, "no mail"
    m = msgs[-1]
    for h in ("From", "To", "Subject", "Date", "Message-ID"):
        assert m[h], (h, m)
    assert m.path.endswith(".eml")
    raw = open(m.path, "rb").read()
    assert b"\r\n\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), raw[:200]
    assert "gatehouse mail: to " in open(server.log_path, errors="replace").read()


def test_lockout(server):
    u = server.new_user()
    msgs = []
    for i in range(5):
        msgs.append(err(login(server, u["email"], "Wrong-%d-xx" % i),
                        "NotAuthorizedException")["message"])
    assert all(m == "Incorrect username or password." for m in msgs), msgs
    j = err(login(server, u["email"], u["password"]), "NotAuthorizedException")
    assert j["message"] == "Password attempts exceeded", j
    time.sleep(1.2)
    r = login(server, u["email"], u["password"])
    assert r.status == 200, r
    # Unknown usernames lock the same way (no enumeration through the lock).
    ghost = "ghost-%d@example.com" % time.time_ns()
    for i in range(5):
        err(login(server, ghost, "Wrong-%d-xx" % i), "NotAuthorizedException")
    j = err(login(server, ghost, "x"), "NotAuthorizedException")
    assert j["message"] == "Password attempts exceeded", j


def test_protocol_errors(server):
    r = server.request("POST", "/idp", body="{}", headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminDeleteUser"})
    err(r, "UnknownOperationException")
    r = server.request("POST", "/idp/", body="{}", headers={
        "Content-Type": "application/x-amz-json-1.1"})
    err(r, "UnknownOperationException")
    r = server.request("POST", "/idp", body="{nope", headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp"})
    err(r, "SerializationException")
    r = server.request("POST", "/idp", body="{}", headers={
        "Content-Type": "text/plain",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp"})
    assert r.status == 415, r
    r = server.idp("InitiateAuth", {"ClientId": client(server), "AuthFlow": "CUSTOM_AUTH",
                                    "AuthParameters": {}})
    err(r, "InvalidParameterException")


def test_wellknown(server):
    conf = server.conf()
    pool = conf["user_pool_id"]
    r = server.get("/idp/%s/.well-known/openid-configuration" % pool)
    assert r.status == 200, r
    j = r.json()
    _, idc = claims(server.cache["u"]["id_token"])
    assert j["issuer"] == idc["iss"], (j, idc)
    assert j["jwks_uri"] == idc["iss"] + "/.well-known/jwks.json", j
    r = server.get("/idp/%s/.well-known/jwks.json" % pool)
    assert r.status == 200, r
    keys = r.json()["keys"]
    h, _ = claims(server.cache["u"]["id_token"])
    assert any(k["kid"] == h["kid"] and k["kty"] == "RSA" for k in keys), keys
    assert server.get("/idp/other_pool/.well-known/jwks.json").status == 404
    assert server.get("/idp/%s/.well-known/nope" % pool).status == 404


# --- signed-in operations -------------------------------------------------

def get_user(server, access):
    return server.idp("GetUser", {"AccessToken": access})


def attrs_of(r):
    return {a["Name"]: a["Value"] for a in r.json()["UserAttributes"]}


def test_get_and_update_user(server):
    u = server.cache["u"]
    r = get_user(server, u["access_token"])
    assert r.status == 200, r
    a = attrs_of(r)
    _, idc = claims(u["id_token"])
    assert r.json()["Username"] == idc["cognito:username"], r.json()
    assert a["email"] == u["email"] and a["sub"] == idc["sub"], a
    assert a["custom:role"] == "customer" and a["email_verified"] == "true", a
    r = server.idp("UpdateUserAttributes", {"AccessToken": u["access_token"], "UserAttributes": [
        {"Name": "name", "Value": "Zoe Q"}, {"Name": "custom:company", "Value": "Acme"},
        {"Name": "phone_number", "Value": "+14155550123"},
        {"Name": "custom:accepts_marketing", "Value": "true"}]})
    assert r.status == 200 and r.json() == {"CodeDeliveryDetailsList": []}, r
    a = attrs_of(get_user(server, u["access_token"]))
    assert a["name"] == "Zoe Q" and a["custom:company"] == "Acme", a
    assert a["phone_number"] == "+14155550123" and a["custom:accepts_marketing"] == "true", a
    # The User item follows (the next id token carries the stored profile).
    r = login(server, u["email"], u["password"])
    _, idc = claims(r.json()["AuthenticationResult"]["IdToken"])
    assert idc["custom:company"] == "Acme" and idc["name"] == "Zoe Q", idc


def test_update_refusals(server):
    u = server.cache["u"]
    r = server.idp("UpdateUserAttributes", {"AccessToken": u["access_token"],
                                            "UserAttributes": [{"Name": "custom:role", "Value": "admin"}]})
    err(r, "NotAuthorizedException")
    r = server.idp("UpdateUserAttributes", {"AccessToken": u["access_token"],
                                            "UserAttributes": [{"Name": "custom:role", "Value": "partner"}]})
    err(r, "NotAuthorizedException")
    assert attrs_of(get_user(server, u["access_token"]))["custom:role"] == "customer"
    r = server.idp("UpdateUserAttributes", {"AccessToken": u["access_token"],
                                            "UserAttributes": [{"Name": "phone_number", "Value": "12"}]})
    err(r, "InvalidParameterException")
    r = server.idp("UpdateUserAttributes", {"AccessToken": u["access_token"],
                                            "UserAttributes": [{"Name": "email", "Value": "x@example.org"}]})
    err(r, "InvalidParameterException")


def test_bad_access_tokens(server):
    u = server.cache["u"]
    err(get_user(server, "not.a.token"), "NotAuthorizedException")
    err(get_user(server, u["id_token"]), "NotAuthorizedException")  # id, not access
    h, p, s = u["access_token"].split(".")
    pay = b64json(p)
    pay["sub"] = "00000000-0000-4000-8000-000000000000"
    forged = h + "." + base64.urlsafe_b64encode(json.dumps(pay).encode()).decode().rstrip("=") + "." + s
    err(get_user(server, forged), "NotAuthorizedException")
    err(server.idp("GetUser", {}), "InvalidParameterException")


def test_global_sign_out(server):
    u = server.new_user()
    other = login(server, u["email"], u["password"]).json()["AuthenticationResult"]
    assert get_user(server, u["access_token"]).status == 200
    r = server.idp("GlobalSignOut", {"AccessToken": u["access_token"]})
    assert r.status == 200 and r.json() == {}, r
    for tok in (u["access_token"], other["AccessToken"]):
        j = err(get_user(server, tok), "NotAuthorizedException")
        assert "revoked" in j["message"], j
    for rt in (u["refresh_token"], other["RefreshToken"]):
        r = server.idp("InitiateAuth", {"ClientId": client(server), "AuthFlow": "REFRESH_TOKEN_AUTH",
                                        "AuthParameters": {"REFRESH_TOKEN": rt}})
        err(r, "NotAuthorizedException")
    # A new sign-in works again.
    r = login(server, u["email"], u["password"])
    assert r.status == 200, r
    assert get_user(server, r.json()["AuthenticationResult"]["AccessToken"]).status == 200


def test_revoke_token(server):
    u = server.new_user()
    r = server.idp("RevokeToken", {"ClientId": client(server), "Token": u["access_token"]})
    err(r, "UnsupportedTokenTypeException")
    r = server.idp("RevokeToken", {"ClientId": "other", "Token": u["refresh_token"]})
    err(r, "ResourceNotFoundException")
    r = server.idp("RevokeToken", {"ClientId": client(server), "Token": u["refresh_token"]})
    assert r.status == 200 and r.json() == {}, r
    r = server.idp("InitiateAuth", {"ClientId": client(server), "AuthFlow": "REFRESH_TOKEN_AUTH",
                                    "AuthParameters": {"REFRESH_TOKEN": u["refresh_token"]}})
    err(r, "NotAuthorizedException")
    err(get_user(server, u["access_token"]), "NotAuthorizedException")
    # Revoking again is fine (nothing left to revoke).
    r = server.idp("RevokeToken", {"ClientId": client(server), "Token": u["refresh_token"]})
    assert r.status == 200, r


def test_change_password(server):
    u = server.new_user()
    r = server.idp("ChangePassword", {"AccessToken": u["access_token"],
                                      "PreviousPassword": "Wrong-old-pw-1",
                                      "ProposedPassword": "Another-Good-Pw-7"})
    j = err(r, "NotAuthorizedException")
    assert j["message"] == "Incorrect username or password.", j
    r = server.idp("ChangePassword", {"AccessToken": u["access_token"],
                                      "PreviousPassword": u["password"],
                                      "ProposedPassword": "iloveyou"})
    err(r, "InvalidPasswordException")
    r = server.idp("ChangePassword", {"AccessToken": u["access_token"],
                                      "PreviousPassword": u["password"],
                                      "ProposedPassword": "Another-Good-Pw-7"})
    assert r.status == 200 and r.json() == {}, r
    err(login(server, u["email"], u["password"]), "NotAuthorizedException")
    assert login(server, u["email"], "Another-Good-Pw-7").status == 200
    # Every earlier sign-in ended.
    err(get_user(server, u["access_token"]), "NotAuthorizedException")
    r = server.idp("InitiateAuth", {"ClientId": client(server), "AuthFlow": "REFRESH_TOKEN_AUTH",
                                    "AuthParameters": {"REFRESH_TOKEN": u["refresh_token"]}})
    err(r, "NotAuthorizedException")


def test_forgot_password(server):
    u = server.new_user()
    seen = len(server.mails())
    r = server.idp("ForgotPassword", {"ClientId": client(server), "Username": u["email"]})
    assert r.status == 200, r
    d = r.json()["CodeDeliveryDetails"]
    assert d["DeliveryMedium"] == "EMAIL", d
    msg = server.wait_mail(to=u["email"], after=seen)
    assert "reset" in str(msg["Subject"]).lower(), msg["Subject"]
    code = code_from(server, u["email"], seen)
    # Unknown users get the same answer (and no mail).
    n = len(server.mails())
    r = server.idp("ForgotPassword", {"ClientId": client(server), "Username": "ghost@example.com"})
    assert r.status == 200 and "CodeDeliveryDetails" in r.json(), r
    time.sleep(0.2)
    assert len(server.mails()) == n
    base = {"ClientId": client(server), "Username": u["email"]}
    r = server.idp("ConfirmForgotPassword", dict(base, ConfirmationCode=code, Password="abc"))
    err(r, "InvalidPasswordException")
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    r = server.idp("ConfirmForgotPassword", dict(base, ConfirmationCode=wrong, Password="Reset-Pw-Good-9"))
    err(r, "CodeMismatchException")
    r = server.idp("ConfirmForgotPassword", dict(base, Username="ghost@example.com",
                                                 ConfirmationCode=code, Password="Reset-Pw-Good-9"))
    err(r, "ExpiredCodeException")
    r = server.idp("ConfirmForgotPassword", dict(base, ConfirmationCode=code, Password="Reset-Pw-Good-9"))
    assert r.status == 200 and r.json() == {}, r
    # Single use.
    r = server.idp("ConfirmForgotPassword", dict(base, ConfirmationCode=code, Password="Reset-Pw-Good-10"))
    err(r, "ExpiredCodeException")
    assert login(server, u["email"], "Reset-Pw-Good-9").status == 200
    err(login(server, u["email"], u["password"]), "NotAuthorizedException")
    err(get_user(server, u["access_token"]), "NotAuthorizedException")


def test_cors_preflight(server):
    origin = "http://app.example.test"
    with server.variant(cors_origins=origin) as v:
        r = v.request("OPTIONS", "/idp", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent"})
        assert r.status in (200, 204), r
        assert r.headers.get("Access-Control-Allow-Origin") == origin, r.headers
        allowed = r.headers.get("Access-Control-Allow-Headers", "").lower()
        for h in ("content-type", "x-amz-target", "x-amz-user-agent", "cache-control",
                  "amz-sdk-invocation-id", "amz-sdk-request"):
            assert h in allowed, (h, allowed)
        assert "POST" in r.headers.get("Access-Control-Allow-Methods", ""), r.headers
        r = v.idp("GetUser", {"AccessToken": "x"}, headers={"Origin": origin})
        assert r.headers.get("Access-Control-Allow-Origin") == origin, r.headers
        r = v.idp("GetUser", {"AccessToken": "x"}, headers={"Origin": "http://evil.test"})
        assert r.headers.get("Access-Control-Allow-Origin") is None, r.headers
        assert r.headers.get("Access-Control-Allow-Origin") != "*"


def test_ip_throttle(server):
    with server.variant(throttle_ip_limit="3", throttle_ip_window="300") as v:
        cid = v.conf()["client_id"]
        def attempt(i):
            return v.idp("InitiateAuth", {"ClientId": cid, "AuthFlow": "USER_PASSWORD_AUTH",
                                          "AuthParameters": {"USERNAME": "t%d@example.com" % i,
                                                             "PASSWORD": "Wrong-pw-123"}})
        for i in range(3):
            err(attempt(i), "NotAuthorizedException")
        err(attempt(9), "TooManyRequestsException", status=429)
        r = v.idp("ConfirmSignUp", {"ClientId": cid, "Username": "t1@example.com",
                                    "ConfirmationCode": "123456"})
        err(r, "TooManyRequestsException", status=429)


def test_simultaneous_sign_ups_one_wins(server):
    import threading
    email = "race-%d@example.com" % time.time_ns()
    results = []

    def go(i):
        # Different case, same user: the lookup is case-insensitive.
        addr = email.upper() if i % 2 else email
        results.append(sign_up(server, addr, password="Race-Pw-%d-long" % i))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if r.status == 200]
    assert len(ok) == 1, results
    for r in results:
        if r.status != 200:
            err(r, "UsernameExistsException")


def test_key_rotation_keeps_tokens(server):
    u = server.new_user()
    old_kid = claims(u["id_token"])[0]["kid"]
    server.gatehouse("keys", "rotate")
    assert get_user(server, u["access_token"]).status == 200  # old key still served
    r = login(server, u["email"], u["password"])
    assert r.status == 200, r
    ar = r.json()["AuthenticationResult"]
    assert claims(ar["IdToken"])[0]["kid"] != old_kid
    assert get_user(server, ar["AccessToken"]).status == 200
    kids = [k["kid"] for k in server.get("/idp/%s/.well-known/jwks.json" %
                                         server.conf()["user_pool_id"]).json()["keys"]]
    assert old_kid in kids and claims(ar["IdToken"])[0]["kid"] in kids, kids


def test_log_lines_hold_no_secrets(server):
    u = server.cache["u"]
    text = open(server.log_path, errors="replace").read()
    for secret in (u["password"], u["refresh_token"], u["access_token"][-40:]):
        assert secret not in text, "a secret in the server log"
    assert not re.search(r"verification code is \d{6}", text)
    lines = [l for l in server.log_lines() if l.get("app") == "idp"]
    assert lines and all("op" in l for l in lines if l.get("status") == 200), lines[:3]


def test_code_mail_limit(server):
    email = "flood-%d@example.com" % time.time_ns()
    assert sign_up(server, email).status == 200          # code 1
    for _ in range(4):                                    # codes 2..5
        r = server.idp("ResendConfirmationCode", {"ClientId": client(server), "Username": email})
        assert r.status == 200, r
    r = server.idp("ResendConfirmationCode", {"ClientId": client(server), "Username": email})
    err(r, "LimitExceededException")
    # ForgotPassword floods are dropped silently (the answer of an unknown user).
    u = server.new_user()
    for i in range(5):
        assert server.idp("ForgotPassword", {"ClientId": client(server),
                                             "Username": u["email"]}).status == 200
    n = len(server.mails())
    r = server.idp("ForgotPassword", {"ClientId": client(server), "Username": u["email"]})
    assert r.status == 200 and "CodeDeliveryDetails" in r.json(), r
    time.sleep(0.2)
    assert len(server.mails()) == n, "a sixth reset mail within the hour"


def test_lifetimes(server):
    # (TTLs are whole seconds: a 2 s code lives 1 to 2 s)
    with server.variant(signup_code_ttl="2", reset_code_ttl="2", access_token_ttl="1",
                        id_token_ttl="1") as v:
        cid = v.conf()["client_id"]
        email = "ttl-%d@example.com" % time.time_ns()
        seen = len(v.mails())
        r = v.idp("SignUp", {"ClientId": cid, "Username": email, "Password": "Ttl-Test-Pw-42"})
        assert r.status == 200, r
        code = code_from(v, email, seen)
        time.sleep(3.1)
        r = v.idp("ConfirmSignUp", {"ClientId": cid, "Username": email, "ConfirmationCode": code})
        err(r, "ExpiredCodeException")
        seen = len(v.mails())
        assert v.idp("ResendConfirmationCode", {"ClientId": cid, "Username": email}).status == 200
        r = v.idp("ConfirmSignUp", {"ClientId": cid, "Username": email,
                                    "ConfirmationCode": code_from(v, email, seen)})
        assert r.status == 200, r
        r = v.idp("InitiateAuth", {"ClientId": cid, "AuthFlow": "USER_PASSWORD_AUTH",
                                   "AuthParameters": {"USERNAME": email, "PASSWORD": "Ttl-Test-Pw-42"}})
        ar = r.json()["AuthenticationResult"]
        assert ar["ExpiresIn"] == 1, ar
        _, idc = claims(ar["IdToken"])
        assert idc["exp"] - idc["iat"] == 1, idc
        seen = len(v.mails())
        assert v.idp("ForgotPassword", {"ClientId": cid, "Username": email}).status == 200
        reset = code_from(v, email, seen)
        time.sleep(3.1)
        j = err(v.idp("GetUser", {"AccessToken": ar["AccessToken"]}), "NotAuthorizedException")
        assert "expired" in j["message"], j
        r = v.idp("ConfirmForgotPassword", {"ClientId": cid, "Username": email,
                                            "ConfirmationCode": reset, "Password": "Ttl-Test-Pw-43"})
        err(r, "ExpiredCodeException")
        # The refresh token outlives the access token.
        r = v.idp("InitiateAuth", {"ClientId": cid, "AuthFlow": "REFRESH_TOKEN_AUTH",
                                   "AuthParameters": {"REFRESH_TOKEN": ar["RefreshToken"]}})
        assert r.status == 200, r
