"""test_cognito_local.py: the triggers behind a Cognito stand-in
(run.py --idp cognito; skipped otherwise).

cognito-local invokes PreSignUp and PostConfirmation through the Lambda
Invoke API; the Lambda stand-in hands each event to the real bootstrap
(bin/lambda-bootstrap), which writes to this server's store.  So a sign-up
through "Cognito" creates the same User item as one through the embedded
pool, and a refused attribute comes back as Cognito's UserLambdaValidationException.
"""
import json
import os

import harness
from harness import Skip


def setup(server):
    if server.cognito is not None:	# else every case skips itself
        server.cache["u"] = server.new_user()


def _need_cognito(server):
    if server.cognito is None:
        raise Skip("not in Cognito mode (run.py --idp cognito)")


def test_sign_up_runs_both_triggers(server):
    _need_cognito(server)
    names = server.cognito.api.invocations
    assert "gatehouse-pre-sign-up" in names and "gatehouse-post-confirmation" in names, names


def test_post_confirmation_wrote_the_user(server):
    _need_cognito(server)
    u = server.cache["u"]
    out = server.gatehouse("user", "list").stdout
    line = [l for l in out.splitlines() if u["email"] in l]
    assert line and "customer" in line[0] and "active" in line[0], out


def test_tokens_are_the_stand_ins(server):
    _need_cognito(server)
    import base64
    tok = server.cache["u"]["id_token"]
    claims = json.loads(base64.urlsafe_b64decode(tok.split(".")[1] + "=="))
    assert claims["iss"] == "%s/%s" % (server.cognito.base, server.cognito.pool_id), claims
    assert claims["aud"] == server.cognito.client_id, claims


def test_pre_sign_up_refuses_an_admin_role(server):
    _need_cognito(server)
    c = server.cognito
    email = "admin-wannabe-%d@example.com" % os.getpid()
    r = server.idp("SignUp", {"ClientId": c.client_id, "Username": email,
                              "Password": "Pw-long-enough-1!",
                              "UserAttributes": [{"Name": "email", "Value": email},
                                                 {"Name": "custom:role", "Value": "admin"}]})
    assert r.status == 400, r
    body = r.json()
    assert body.get("__type", body.get("code", "")).endswith("UserLambdaValidationException"), body
    assert "custom:role must be customer or partner" in body.get("message", ""), body
    assert email not in server.gatehouse("user", "list").stdout


def test_confirm_with_application_enrols(server):
    _need_cognito(server)
    c = server.cognito
    email = "enrol-%d@example.com" % os.getpid()
    r = server.idp("SignUp", {"ClientId": c.client_id, "Username": email,
                              "Password": "Pw-long-enough-2!",
                              "UserAttributes": [{"Name": "email", "Value": email},
                                                 {"Name": "custom:role", "Value": "partner"},
                                                 {"Name": "custom:company", "Value": "ACME"}]})
    assert r.status == 200, r
    code = c.wait_code(email)
    r = server.idp("ConfirmSignUp", {"ClientId": c.client_id, "Username": email,
                                     "ConfirmationCode": code,
                                     "ClientMetadata": {"application_id": "marketplace"}})
    assert r.status == 200, r
    out = server.gatehouse("user", "list").stdout
    line = [l for l in out.splitlines() if email in l]
    assert line and "partner" in line[0], out


def test_the_embedded_pool_is_off(server):
    _need_cognito(server)
    if not server.program_built("idp"):
        raise Skip("idp not built yet")
    r = server.request("POST", "/idp", body=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp"})
    assert r.status == 404 and "pool is off" in r.json().get("message", ""), r
