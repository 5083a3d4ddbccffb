"""test_idp_clients.py: AWS's own clients against the embedded pool, through
both web servers: awscli (`aws cognito-idp ... --no-sign-request
--endpoint-url .../idp`), boto3 (Debian's python3-boto3 under
/usr/bin/python3) and amazon-cognito-identity-js (USER_PASSWORD_AUTH, in
tests/node_modules) and the AWS JS SDK v3 the frontends use, each driving sign-up -> code from var/mail -> confirm
-> sign-in -> refresh -> get-user -> update attributes -> forgot/confirm
password -> global sign-out; the JS client's tokens are verified with
node's jose against the served JWKS.
"""

import json
import os
import re
import shutil
import subprocess
import time

from harness import ROOT, Skip

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_MODULES = os.path.join(ROOT, "tests", "node_modules")
AWS = "/usr/bin/aws"
PY = "/usr/bin/python3"


def setup(server):
    if not server.program_built("idp"):
        raise Skip("idp not built")


def flow_args(server, tag):
    conf = server.conf()
    addr = "%s-%d@example.com" % (tag, time.time_ns())
    return [server.base + "/idp", conf["user_pool_id"], conf["client_id"],
            server.mail_dir(), addr, "Client-Flow-Pw-%d" % os.getpid()]


def run_flow(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    out = p.stdout.strip().splitlines()
    assert p.returncode == 0 and out and out[-1] == "done", \
        "%s: status %d\n%s\n%s" % (os.path.basename(cmd[1]), p.returncode,
                                   p.stdout[-2000:], p.stderr[-2000:])
    return out


def test_amazon_cognito_identity_js(server):
    if not os.path.isdir(os.path.join(NODE_MODULES, "amazon-cognito-identity-js")) or \
            shutil.which("node") is None:
        raise Skip("node or tests/node_modules missing (npm ci in tests/)")
    out = run_flow(["node", os.path.join(HERE, "clients", "cognito-identity-js.mjs")] +
                   flow_args(server, "js"))
    assert "step authenticateUser+jose" in out and "step globalSignOut" in out, out


def test_aws_sdk_js_v3(server):
    """The frontends' client (web/src/shared/cognito.js), no AWS credentials."""
    if not os.path.isdir(os.path.join(NODE_MODULES, "@aws-sdk", "client-cognito-identity-provider")) or \
            shutil.which("node") is None:
        raise Skip("node or tests/node_modules missing (npm ci in tests/)")
    env = dict(os.environ)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(k, None)
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    p = subprocess.run(["node", os.path.join(HERE, "clients", "sdk-v3.mjs")] +
                       flow_args(server, "sdk"), capture_output=True, text=True,
                       timeout=120, env=env)
    out = p.stdout.strip().splitlines()
    assert p.returncode == 0 and out and out[-1] == "done", \
        "sdk-v3.mjs: status %d\n%s\n%s" % (p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    assert "step GlobalSignOut" in out, out


def test_boto3(server):
    if subprocess.run([PY, "-c", "import boto3"], capture_output=True).returncode != 0:
        raise Skip("python3-boto3 not installed")
    out = run_flow([PY, os.path.join(HERE, "clients", "boto3-flow.py")] + flow_args(server, "boto3"))
    assert "step global_sign_out" in out, out


class Cli:
    def __init__(self, server):
        self.server = server
        self.env = dict(os.environ, AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="",
                        AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")

    def __call__(self, op, *args, ok=True):
        p = subprocess.run([AWS, "cognito-idp", op, "--no-sign-request", "--output", "json",
                            "--endpoint-url", self.server.base + "/idp"] + list(args),
                           capture_output=True, text=True, env=self.env, timeout=60)
        if ok:
            assert p.returncode == 0, "aws %s: %s" % (op, p.stderr)
            return json.loads(p.stdout) if p.stdout.strip() else {}
        assert p.returncode != 0, "aws %s should fail: %s" % (op, p.stdout)
        return p.stderr


def test_awscli(server):
    if not os.access(AWS, os.X_OK):
        raise Skip("awscli not installed")
    cli = Cli(server)
    _, _, cid, _, addr, pw = flow_args(server, "cli")
    seen = len(server.mails())
    r = cli("sign-up", "--client-id", cid, "--username", addr, "--password", pw,
            "--user-attributes", "Name=email,Value=" + addr, "Name=name,Value=Cli User")
    assert r["UserConfirmed"] is False, r
    code = re.search(r"\b(\d{6})\b", server.mail_text(server.wait_mail(to=addr, after=seen))).group(1)
    cli("confirm-sign-up", "--client-id", cid, "--username", addr, "--confirmation-code", code,
        "--client-metadata", "application_id=marketplace")
    r = cli("initiate-auth", "--client-id", cid, "--auth-flow", "USER_PASSWORD_AUTH",
            "--auth-parameters", "USERNAME=%s,PASSWORD=%s" % (addr, pw))
    ar = r["AuthenticationResult"]
    assert r["ChallengeParameters"] == {} and ar["TokenType"] == "Bearer", r
    r = cli("initiate-auth", "--client-id", cid, "--auth-flow", "REFRESH_TOKEN_AUTH",
            "--auth-parameters", "REFRESH_TOKEN=" + ar["RefreshToken"])
    access = r["AuthenticationResult"]["AccessToken"]
    assert "RefreshToken" not in r["AuthenticationResult"], r
    r = cli("get-user", "--access-token", access)
    assert {"Name": "name", "Value": "Cli User"} in r["UserAttributes"], r
    cli("update-user-attributes", "--access-token", access,
        "--user-attributes", "Name=gender,Value=other")
    r = cli("get-user", "--access-token", access)
    assert {"Name": "gender", "Value": "other"} in r["UserAttributes"], r
    err = cli("change-password", "--access-token", access, "--previous-password", "nope-nope-1",
              "--proposed-password", pw + "-2", ok=False)
    assert "NotAuthorizedException" in err, err
    seen = len(server.mails())
    r = cli("forgot-password", "--client-id", cid, "--username", addr)
    assert r["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL", r
    code = re.search(r"\b(\d{6})\b", server.mail_text(server.wait_mail(to=addr, after=seen))).group(1)
    err = cli("confirm-forgot-password", "--client-id", cid, "--username", addr,
              "--confirmation-code", "%06d" % ((int(code) + 1) % 10**6), "--password", pw + "-3", ok=False)
    assert "CodeMismatchException" in err, err
    cli("confirm-forgot-password", "--client-id", cid, "--username", addr,
        "--confirmation-code", code, "--password", pw + "-3")
    r = cli("initiate-auth", "--client-id", cid, "--auth-flow", "USER_PASSWORD_AUTH",
            "--auth-parameters", "USERNAME=%s,PASSWORD=%s" % (addr, pw + "-3"))
    ar = r["AuthenticationResult"]
    cli("revoke-token", "--client-id", cid, "--token", ar["RefreshToken"])
    err = cli("initiate-auth", "--client-id", cid, "--auth-flow", "REFRESH_TOKEN_AUTH",
              "--auth-parameters", "REFRESH_TOKEN=" + ar["RefreshToken"], ok=False)
    assert "NotAuthorizedException" in err, err
    r = cli("initiate-auth", "--client-id", cid, "--auth-flow", "USER_PASSWORD_AUTH",
            "--auth-parameters", "USERNAME=%s,PASSWORD=%s" % (addr, pw + "-3"))
    access = r["AuthenticationResult"]["AccessToken"]
    cli("global-sign-out", "--access-token", access)
    err = cli("get-user", "--access-token", access, ok=False)
    assert "NotAuthorizedException" in err, err
    err = cli("initiate-auth", "--client-id", cid, "--auth-flow", "USER_PASSWORD_AUTH",
              "--auth-parameters", "USERNAME=%s,PASSWORD=wrong-pass-1" % addr, ok=False)
    assert "Incorrect username or password" in err, err
