"""test_cognito_mode.py: idp = cognito through both web servers.

The frontends' runtime configuration points at Cognito's endpoint (AWS's
regional one, or the stand-in named by cognito_endpoint), and the embedded
pool's programs answer 404 saying the pool is off.  The full flows against
a Cognito stand-in (cognito-local) are tests/suites/cognito-local.sh.
"""
from harness import Skip

COGNITO = {"idp": "cognito", "cognito_region": "eu-west-1",
           "cognito_user_pool_id": "eu-west-1_Gh7Test", "cognito_client_id": "ghtestclient123"}


def test_config_json_points_at_aws_cognito(server):
    with server.variant(cognito_endpoint="", **COGNITO) as v:
        for path in ("/config.json", "/sso/config.json"):
            r = v.get(path)
            assert r.status == 200, r
            c = r.json()
            assert c["idpEndpoint"] == "https://cognito-idp.eu-west-1.amazonaws.com/", c
            assert (c["region"], c["userPoolId"], c["clientId"]) == (
                "eu-west-1", "eu-west-1_Gh7Test", "ghtestclient123"), c
            assert c["ssoUrl"] == v.base + "/sso/", c
        # The embedded pool is off in the same server (once its programs exist).
        for prog, method, path, body, hdrs in (
                ("idp", "POST", "/idp", b"{}", {
                    "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp"}),
                ("idp-wellknown", "GET", "/idp/%s/.well-known/jwks.json" %
                 server.conf()["user_pool_id"], None, {})):
            if not v.program_built(prog):
                continue
            r = v.request(method, path, body=body, headers=hdrs)
            assert r.status == 404, (prog, r)
            assert "pool is off" in r.json().get("message", ""), (prog, r.json())


def test_config_json_points_at_a_stand_in(server):
    with server.variant(cognito_endpoint="http://127.0.0.1:9229", **COGNITO) as v:
        c = v.get("/config.json").json()
        assert c["idpEndpoint"] == "http://127.0.0.1:9229", c
        assert c["userPoolId"] == "eu-west-1_Gh7Test", c


def test_embedded_mode_unchanged(server):
    if server.cognito is not None:
        raise Skip("the server runs in Cognito mode (run.py --idp cognito)")
    c = server.get("/config.json").json()
    assert c["idpEndpoint"] == server.base + "/idp", c
    if not server.program_built("idp-wellknown"):
        raise Skip("idp-wellknown not built yet")
    r = server.get("/idp/%s/.well-known/jwks.json" % server.conf()["user_pool_id"])
    assert r.status == 200, r
