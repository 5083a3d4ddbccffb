"""cognito_local.py: AWS Cognito and Lambda stand-ins for one e2e server
(run.py --idp cognito).

For each harness.Server in Cognito mode:
  - cognito-local (npm, tests/node_modules) on a free port, its state in
    <server dir>/cognito/.cognito, its token issuer set to its own address
    (TokenConfig.IssuerDomain; otherwise it says localhost:9229);
  - a Lambda stand-in (tests/lambda/runtime_api.py) serving the Lambda
    Invoke API that cognito-local calls for its PreSignUp and
    PostConfirmation triggers, in front of the real bootstrap
    (bin/lambda-bootstrap) on the Runtime API, with the server's
    configuration: the triggers write to the server's store exactly as
    they would in AWS Lambda;
  - a user pool and app client made through cognito-local's own API from
    deploy/gatehouse.yaml (custom attributes, password policy, auth flows,
    token lifetimes), and
    gatehouse.conf switched to idp = cognito with their ids.
"""
import json
import os
import re
import subprocess
import sys
import time
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.realpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lambda"))
from runtime_api import RuntimeAPI  # noqa: E402

START = os.path.join(ROOT, "tests", "node_modules", "cognito-local", "lib", "bin", "start.js")
TEMPLATE = os.path.join(ROOT, "deploy", "gatehouse.yaml")
FUNCTIONS = {"PreSignUp": "gatehouse-pre-sign-up",
             "PostConfirmation": "gatehouse-post-confirmation"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Known differences from AWS Cognito, for the cases that meet them.
QUIRKS = {
    "wrong_password": "cognito-local answers a wrong password with "
                      "InvalidPasswordException, not NotAuthorizedException",
    "global_sign_out": "cognito-local has no GlobalSignOut",
    "discovery": "cognito-local's discovery document names localhost:9229 whatever its address",
}


def template_pool():
    """The user pool's and the app client's properties in deploy/gatehouse.yaml."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "iac"))
    from check_iac import load_template, resources  # PyYAML: python3-yaml
    t = load_template(TEMPLATE)
    pool = next(iter(resources(t, "AWS::Cognito::UserPool").values()))["Properties"]
    client = next(iter(resources(t, "AWS::Cognito::UserPoolClient").values()))["Properties"]
    return pool, client


class CognitoLocal:
    def __init__(self, sdir, conf_path, bin_dir, port_fn):
        self.dir = os.path.join(sdir, "cognito")
        self.conf_path = conf_path
        self.bin_dir = bin_dir
        self.port = port_fn()
        self.base = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(sdir, "cognito-local.log")
        self.lambda_log = os.path.join(sdir, "lambda.log")
        self.api = None
        self.node = None
        self.bootstrap = None
        self.pool_id = self.client_id = None

    # --- life cycle ---------------------------------------------------------
    def available(self):
        """None if this can run here, else why not."""
        if not os.path.exists(START):
            return "cognito-local is not installed (npm ci in tests/)"
        if not os.access(os.path.join(self.bin_dir, "lambda-bootstrap"), os.X_OK):
            return "bin/lambda-bootstrap is not built (needs src/lib/trigger.c)"
        return None

    def start(self):
        why = self.available()
        if why:
            raise RuntimeError(why)
        os.makedirs(os.path.join(self.dir, ".cognito"), exist_ok=True)
        self.api = RuntimeAPI(block=True, invoke_api=True).start()
        with open(os.path.join(self.dir, ".cognito", "config.json"), "w") as f:
            json.dump({
                "LambdaClient": {"endpoint": "http://" + self.api.address, "region": "local",
                                 "credentials": {"accessKeyId": "local",
                                                 "secretAccessKey": "local"}},
                "TriggerFunctions": FUNCTIONS,
                "TokenConfig": {"IssuerDomain": self.base},
            }, f)
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=self.api.address,
                   GATEHOUSE_CONFIG=self.conf_path)
        self.bootstrap = subprocess.Popen(
            [os.path.join(self.bin_dir, "lambda-bootstrap")], env=env, cwd=self.dir,
            stdin=subprocess.DEVNULL, stdout=open(self.lambda_log, "ab"),
            stderr=subprocess.STDOUT, start_new_session=True)
        env = dict(os.environ, PORT=str(self.port), HOST="127.0.0.1")
        self.node = subprocess.Popen(
            ["node", START], env=env, cwd=self.dir, stdin=subprocess.DEVNULL,
            stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            if self.node.poll() is not None:
                raise RuntimeError("cognito-local exited (%s):\n%s" % (
                    self.node.returncode, self.log_tail()))
            try:
                if self.request("GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("cognito-local not ready:\n" + self.log_tail())
            time.sleep(0.1)
        pool, client = template_pool()
        st, body = self.call("CreateUserPool", {
            "PoolName": "gatehouse",
            "UsernameAttributes": pool["UsernameAttributes"],
            "AutoVerifiedAttributes": pool["AutoVerifiedAttributes"],
            "Policies": pool["Policies"],
            "Schema": [dict(a, StringAttributeConstraints=a.get("StringAttributeConstraints", {}))
                       for a in pool["Schema"]]})
        assert st == 200, "CreateUserPool: %s %r" % (st, body)
        self.pool_id = body["UserPool"]["Id"]
        req = {k: client[k] for k in (
            "ClientName", "GenerateSecret", "ExplicitAuthFlows", "TokenValidityUnits",
            "IdTokenValidity", "AccessTokenValidity", "RefreshTokenValidity",
            "PreventUserExistenceErrors", "EnableTokenRevocation") if k in client}
        st, body = self.call("CreateUserPoolClient", dict(req, UserPoolId=self.pool_id))
        assert st == 200, "CreateUserPoolClient: %s %r" % (st, body)
        self.client_id = body["UserPoolClient"]["ClientId"]

    def conf_edits(self):
        """gatehouse.conf keys for this pool.  client_id and user_pool_id
        are set too, so cases that read them from the configuration talk
        to the pool in front."""
        return {"idp": "cognito", "cognito_region": "local",
                "cognito_user_pool_id": self.pool_id, "cognito_client_id": self.client_id,
                "cognito_endpoint": self.base, "client_id": self.client_id,
                "user_pool_id": self.pool_id}

    def stop(self):
        for p in (self.node, self.bootstrap):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.api is not None:
            self.api.stop()
            self.api = None

    def log_tail(self, n=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return ANSI.sub("", "".join(f.readlines()[-n:]))
        except OSError:
            return "(no log)"

    # --- the Cognito API ----------------------------------------------------
    def request(self, method, path, body=None, headers=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read(), r.msg
        finally:
            conn.close()

    def call(self, op, body):
        st, data, _ = self.request("POST", "/", json.dumps(body), {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService." + op})
        try:
            return st, json.loads(data or b"{}")
        except ValueError:
            return st, data

    def wait_code(self, email, timeout=10):
        """The sign-up confirmation code cognito-local holds for email.  It
        "delivers" codes by logging them, but its log is flushed late (a
        line may wait for the next one), so the code is read from its user
        pool file (.cognito/db/<pool>.json), written at each change."""
        path = os.path.join(self.dir, ".cognito", "db", self.pool_id + ".json")
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(path) as f:
                    users = json.load(f).get("Users", {})
            except (OSError, ValueError):	# being rewritten
                users = {}
            for u in users.values():
                attrs = {a.get("Name"): a.get("Value") for a in u.get("Attributes", [])}
                if attrs.get("email") == email and u.get("ConfirmationCode"):
                    return u["ConfirmationCode"]
            if time.monotonic() > deadline:
                raise AssertionError("no confirmation code for %s in %s" % (email, path))
            time.sleep(0.05)
