"""test_dynamodb.py: two web hosts on one DynamoDB.

Runs with `run.py --store dynamodb` (tests/suites/dynamodb.sh); skipped on
SQLite, where one file cannot be shared between hosts.  A second server of
the same kind is set up as README.md's "Several web hosts on one DynamoDB"
says: the first server's tables, signing keys and public URL, its own var/
otherwise.  What one host does, the other sees: a user signed up through one
signs in through the other, each host accepts the other's tokens, and a
global sign-out through one ends them on both.
"""

import os

import harness
from harness import Skip


def second_host(server):
    if harness.STORE != "dynamodb":
        raise Skip("needs run.py --store dynamodb (tests/suites/dynamodb.sh)")
    if not server.program_built("idp"):
        raise Skip("needs the embedded user pool (idp)")
    c = server.conf()
    keys = os.path.join(server.var, c.get("keys_dir", "keys"))
    return server.variant(dynamodb_table=c["dynamodb_table"],
                          dynamodb_orders_table=c["dynamodb_orders_table"],
                          keys_dir=keys, public_url=server.base)


def sign_in(host, client, email, password):
    return host.idp("InitiateAuth", {
        "ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": email, "PASSWORD": password}})


def get_user(host, access):
    return host.idp("GetUser", {"AccessToken": access})


def test_two_hosts_share_users_sessions_and_sign_out(server):
    with second_host(server) as b:
        assert b.conf()["dynamodb_table"] == server.conf()["dynamodb_table"]
        client = server.conf()["client_id"]
        u = server.new_user()

        # Signed up on A: B signs the user in from the shared store.
        r = sign_in(b, client, u["email"], u["password"])
        assert r.status == 200, "sign-in on the second host: %r" % r
        ar = r.json()["AuthenticationResult"]

        # Each host accepts the other's tokens (shared keys, one issuer).
        r = get_user(b, u["access_token"])
        assert r.status == 200, "A's access token on B: %r" % r
        names = {a["Name"]: a["Value"] for a in r.json()["UserAttributes"]}
        assert names.get("email") == u["email"], names
        r = get_user(server, ar["AccessToken"])
        assert r.status == 200, "B's access token on A: %r" % r

        # A refresh token from A works on B.
        r = b.idp("InitiateAuth", {
            "ClientId": client, "AuthFlow": "REFRESH_TOKEN_AUTH",
            "AuthParameters": {"REFRESH_TOKEN": u["refresh_token"]}})
        assert r.status == 200, "A's refresh token on B: %r" % r

        # A global sign-out through B ends the tokens on A too.
        r = b.idp("GlobalSignOut", {"AccessToken": ar["AccessToken"]})
        assert r.status == 200, r
        for host in (server, b):
            for tok in (u["access_token"], ar["AccessToken"]):
                r = get_user(host, tok)
                assert r.status == 400 and \
                    r.json().get("__type") == "NotAuthorizedException", \
                    "a signed-out token on %s: %r" % (host.base, r)

        # The log lines count the DynamoDB requests of each HTTP request.
        line = b.log_for(sign_in(b, client, u["email"], u["password"]))
        assert line is not None and line.get("store_ops", 0) >= 1, line
