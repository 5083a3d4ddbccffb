"""harness.py: private web servers for the end-to-end suites (stdlib only).

A Server is one running gatehouse behind one web server: a fresh var/ made
by `bin/gatehouse init`, a copy of htdocs/, and lighttpd or Apache (+ the
gatehouse-fcgi pool) started by src/scripts/serve.sh on a free 127.0.0.1
port.  Case files get a started Server and use its helpers:

    server.name                  "lighttpd" or "apache"
    server.base                  "http://127.0.0.1:PORT"
    server.var, server.conf_path the var/ directory and gatehouse.conf
    server.get(path, headers=)   -> Response
    server.post(path, json=obj | body=bytes, headers=)   (also put, delete)
    server.request(method, path, body=, json=, headers=, timeout=)
    server.raw(bytes, timeout=)  -> bytes: a hand-made request on one socket
    server.conf()                gatehouse.conf as a dict
    server.gatehouse(*args)      runs bin/gatehouse -c <conf> ARGS (checked)
    server.mails() / server.wait_mail(to=, timeout=)   var/mail/*.eml
    server.log_lines()           the programs' JSON log lines
    server.log_for(resp)         the log line of one response (X-Request-Id)
    server.program_built(name)   is cgi-bin/<name> there?
    server.idp(op, body)         POST /idp, X-Amz-Target: ...Service.<op>
    server.new_user(role=None)   a confirmed user with tokens (SignUp, code
                                 from var/mail, ConfirmSignUp, InitiateAuth):
                                 {"email", "password", "id_token",
                                 "access_token", "refresh_token"}
    server.variant(**conf)       context manager: another server of the same
                                 kind with changed gatehouse.conf keys
    server.cognito               with run.py --idp cognito: the server's
                                 cognito_local.CognitoLocal (cognito-local +
                                 the Lambda stand-in running the triggers);
                                 idp() and new_user() then go through it.
                                 None in the default embedded mode.
    server.confirmation_code(addr, after=)  the sign-up code (mail, or
                                 cognito-local in Cognito mode)
    server.skip_quirk(name)      in Cognito mode, Skip with the reason for a
                                 known cognito-local quirk ("wrong_password",
                                 "global_sign_out", "discovery")
    server.cache                 a dict a case file may keep state in

With STORE = "dynamodb" (run.py --store dynamodb --dynamodb-endpoint URL)
every server's var/gatehouse.conf names that endpoint (dynalite) and tables
of its own (fresh names per server, variants included), written before init
so that init creates the tables and the demo data there.  A variant's
sqlite_path edit (how cases make the store unavailable) then points
dynamodb_endpoint at a closed loopback port instead.

A Response has .status, .headers (an email.message.Message: .get(name),
.get_all(name)), .body (bytes), .text, .json() and .elapsed (seconds).
"""

import contextlib
import email
import email.policy
import glob
import http.client
import json as jsonlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", "release")
CGI = os.path.join(ROOT, "cgi-bin") if BUILD == "release" else \
    os.path.join(ROOT, "build", BUILD, "cgi-bin")
BIN = os.path.join(ROOT, "bin") if BUILD == "release" else \
    os.path.join(ROOT, "build", BUILD, "bin")
SERVE = os.path.join(ROOT, "src", "scripts", "serve.sh")
# The identity provider in front: "embedded" (the pool at /idp) or "cognito"
# (cognito-local per server, see cognito_local.py); run.py --idp sets it.
IDP = os.environ.get("GH_IDP", "embedded")

# The store every server uses (run.py --store, --dynamodb-endpoint).
STORE = "sqlite"
DYNAMODB_ENDPOINT = ""

# Test pages written into the htdocs copy where the built apps have none,
# so the history-mode fallback can be checked before the frontends exist.
TEST_PAGES = {
    "index.html": "<!doctype html><title>gatehouse test: client</title>\n",
    "sso/index.html": "<!doctype html><title>gatehouse test: sso</title>\n",
    "support/index.html": "<!doctype html><title>gatehouse test: support</title>\n",
}


# Every Server made in this process (variants too), for the log checks.
ALL_SERVERS = []

# What the sanitizers print (BUILD=asan) and other signs of a crash.
CRASH_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                 "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer",
                 "Segmentation fault", "core dumped")


class Skip(Exception):
    """Raised by a case that cannot run here (reported, never counted as passed)."""


class Response:
    def __init__(self, status, reason, headers, body, elapsed):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.elapsed = elapsed

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        ctype = self.headers.get("Content-Type", "")
        assert ctype.startswith("application/json") or \
            ctype.startswith("application/x-amz-json"), \
            "expected JSON, got Content-Type %r, status %d: %.200s" % (
                ctype, self.status, self.text)
        try:
            return jsonlib.loads(self.body)
        except ValueError as e:
            raise AssertionError("bad JSON (%s): %.200s" % (e, self.text))

    def __repr__(self):
        return "<Response %d %.120r>" % (self.status, self.body)


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def edit_conf(path, **keys):
    """Sets keys (name=value) in a gatehouse.conf, replacing existing lines."""
    with open(path) as f:
        lines = f.read().splitlines()
    out, seen = [], set()
    for line in lines:
        k = line.split("=", 1)[0].strip()
        if not line.lstrip().startswith("#") and "=" in line and k in keys:
            out.append("%s = %s" % (k, keys[k]))
            seen.add(k)
        else:
            out.append(line)
    for k, v in keys.items():
        if k not in seen:
            out.append("%s = %s" % (k, v))
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def read_conf(path):
    conf = {}
    with open(path) as f:
        for line in f:
            if line.lstrip().startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            conf[k.strip()] = v.strip()
    return conf


class Server:
    """One gatehouse behind one web server (kind: "lighttpd" or "apache")."""

    def __init__(self, kind, workdir, htdocs, init=True, conf_edits=None,
                 conf_from=None):
        self.name = kind
        self.dir = os.path.join(workdir, "%s-%d" % (kind, len(ALL_SERVERS) + 1))
        self.var = os.path.join(self.dir, "var")
        self.conf_path = os.path.join(self.var, "gatehouse.conf")
        self.log_path = os.path.join(self.dir, "server.log")
        self.htdocs = htdocs
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.cache = {}
        self.proc = None
        self._workdir = workdir
        ALL_SERVERS.append(self)
        os.makedirs(self.var)
        os.chmod(self.dir, 0o755)
        if conf_from is not None:
            shutil.copy(conf_from, self.conf_path)
            edit_conf(self.conf_path, public_url=self.base)
        if STORE == "dynamodb":
            self._dynamodb_conf(conf_from is None)
            if conf_edits and "sqlite_path" in conf_edits:
                conf_edits = dict(conf_edits)
                del conf_edits["sqlite_path"]
                conf_edits["dynamodb_endpoint"] = "http://127.0.0.1:%d" % \
                    closed_port()
        if init:
            # Its own store, keys, mail and demo data (a copied configuration
            # keeps the pool and client ids); the edits come after, so an
            # edit init could not live with (a bad sqlite_path) still works.
            self.gatehouse("init", "--public-url", self.base)
        if conf_edits:
            edit_conf(self.conf_path, **conf_edits)
        self.cognito = None
        # (A variant that sets the identity provider itself gets no stand-in.)
        if IDP == "cognito" and not any(k == "idp" or k.startswith("cognito_")
                                        for k in (conf_edits or {})):
            from cognito_local import CognitoLocal
            self.cognito = CognitoLocal(self.dir, self.conf_path, BIN, free_port)
            try:
                self.cognito.start()
            except BaseException:
                self.cognito.stop()
                raise
            edit_conf(self.conf_path, **self.cognito.conf_edits())

    def _dynamodb_conf(self, fresh):
        """Points this server's configuration at DYNAMODB_ENDPOINT, with
        table names of its own."""
        if not DYNAMODB_ENDPOINT:
            raise RuntimeError("STORE dynamodb needs DYNAMODB_ENDPOINT")
        table = "gh-e2e-%d-%d" % (os.getpid(), len(ALL_SERVERS))
        keys = {"store": "dynamodb", "dynamodb_endpoint": DYNAMODB_ENDPOINT,
                "dynamodb_table": table,
                "dynamodb_orders_table": table + "-orders"}
        if fresh:
            with open(self.conf_path, "w") as f:
                f.write("".join("%s = %s\n" % kv for kv in keys.items()))
        else:
            edit_conf(self.conf_path, **keys)

    # --- life cycle ---------------------------------------------------------
    def start(self):
        env = dict(os.environ)
        env.update({
            "SERVER": self.name, "PORT": str(self.port), "GH_BIND": "127.0.0.1",
            "GATEHOUSE_CONFIG": self.conf_path, "GH_ROOT": ROOT,
            "GH_HTDOCS": self.htdocs, "GH_CGI": CGI, "GH_BIN": BIN,
            "GH_PROCS": "1", "GH_PROCS_HOT": "2", "GH_LOG": self.log_path,
        })
        self.proc = subprocess.Popen(["bash", SERVE], env=env, cwd=ROOT,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True)

    def wait_ready(self, timeout=20, retries=2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_tail()
                if retries > 0 and ("already in use" in tail or
                                    "could not bind" in tail.lower()):
                    # Someone took the free port meanwhile: another one.
                    self.port = free_port()
                    self.base = "http://127.0.0.1:%d" % self.port
                    if self.gatehouse("init", "--public-url", self.base,
                                      check=False).returncode != 0:
                        edit_conf(self.conf_path, public_url=self.base)
                    self.start()
                    return self.wait_ready(timeout, retries - 1)
                raise RuntimeError("%s exited (%s) at start:\n%s" % (
                    self.name, self.proc.returncode, tail))
            try:
                # Any HTTP answer from a program means the chain is up.
                r = self.get("/api/health", timeout=2)
                if r.status in (200, 503):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("%s not ready after %ds:\n%s" % (
            self.name, timeout, self.log_tail()))

    def stop(self):
        if self.cognito is not None:
            self.cognito.stop()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def crash_reports(self):
        """Lines of the log that show a sanitizer report or a crash."""
        try:
            with open(self.log_path, errors="replace") as f:
                return [l.rstrip() for l in f if any(m in l for m in CRASH_MARKERS)]
        except OSError:
            return []

    def log_tail(self, n=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"

    @contextlib.contextmanager
    def variant(self, **conf):
        """Another server of this kind: a copy of this configuration (same
        pool and client ids) with its own public_url and var/ (store, keys,
        mail, demo data made by init), then the given keys changed (e.g.
        sqlite_path="/nonexistent/x.db")."""
        v = Server(self.name, self._workdir, self.htdocs, init=True,
                   conf_from=self.conf_path, conf_edits=conf)
        try:
            v.start()
            v.wait_ready()
            yield v
        finally:
            v.stop()

    # --- HTTP -----------------------------------------------------------------
    def request(self, method, path, body=None, json=None, headers=None,
                timeout=10):
        hdrs = {"Connection": "close"}
        if json is not None:
            body = jsonlib.dumps(json).encode()
            hdrs["Content-Type"] = "application/json"
        if isinstance(body, str):
            body = body.encode()
        hdrs.update(headers or {})
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, r.reason, r.msg, data,
                            time.monotonic() - t0)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def raw(self, data, timeout=5, wait_close=True):
        """Sends data as is on one connection; returns what came back until
        the server closed (or timeout)."""
        out = b""
        with socket.create_connection(("127.0.0.1", self.port),
                                      timeout=timeout) as s:
            s.sendall(data)
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
                    if not wait_close and b"\r\n\r\n" in out:
                        break
            except socket.timeout:
                pass
        return out

    # --- the rest of the installation ------------------------------------------
    def conf(self):
        return read_conf(self.conf_path)

    def gatehouse(self, *args, check=True):
        p = subprocess.run([os.path.join(BIN, "gatehouse"), "-c",
                            self.conf_path] + list(args),
                           capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("bin/gatehouse %s: status %d: %s" % (
                " ".join(args), p.returncode, p.stderr.strip()))
        return p

    def program_built(self, name):
        return os.access(os.path.join(CGI, name), os.X_OK)

    def mail_dir(self):
        return os.path.join(self.var, self.conf().get("mail_dir", "mail"))

    def mails(self):
        """Messages in var/mail, oldest first (email.message.EmailMessage)."""
        files = sorted(glob.glob(os.path.join(self.mail_dir(), "*.eml")),
                       key=lambda p: (os.stat(p).st_mtime_ns, p))
        msgs = []
        for p in files:
            with open(p, "rb") as f:
                m = email.message_from_binary_file(f, policy=email.policy.default)
            m.path = p
            msgs.append(m)
        return msgs

    def wait_mail(self, to=None, timeout=5, after=0):
        """The newest message to `to` (any if None) among the messages past
        the first `after` ones; waits up to timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.mails()[after:]
            if to is not None:
                msgs = [m for m in msgs if to.lower() in str(m["To"]).lower()]
            if msgs:
                return msgs[-1]
            if time.monotonic() > deadline:
                raise AssertionError("no mail to %s in %s" % (to, self.mail_dir()))
            time.sleep(0.1)

    @staticmethod
    def mail_text(msg):
        part = msg.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""

    def idp(self, op, body, headers=None):
        h = {"Content-Type": "application/x-amz-json-1.1",
             "X-Amz-Target": "AWSCognitoIdentityProviderService." + op}
        h.update(headers or {})
        if self.cognito is not None:
            t0 = time.monotonic()
            st, data, msg = self.cognito.request("POST", "/", jsonlib.dumps(body), h)
            return Response(st, "", msg, data, time.monotonic() - t0)
        return self.request("POST", "/idp", body=jsonlib.dumps(body),
                            headers=h)

    def new_user(self, email_addr=None, password=None, role=None):
        """Registers and signs in a new user through the embedded pool.
        role: set with `bin/gatehouse user set-role` before signing in."""
        n = self.cache["_users"] = self.cache.get("_users", 0) + 1
        email_addr = email_addr or "user%d-%d@example.com" % (n, os.getpid())
        password = password or "Pw-%d-%d-long!" % (n, os.getpid())
        client = self.conf()["client_id"]
        seen = len(self.mails())
        r = self.idp("SignUp", {"ClientId": client, "Username": email_addr,
                                "Password": password, "UserAttributes": [
                                    {"Name": "email", "Value": email_addr}]})
        assert r.status == 200, "SignUp: %r" % r
        r = self.idp("ConfirmSignUp", {"ClientId": client,
                                       "Username": email_addr,
                                       "ConfirmationCode":
                                       self.confirmation_code(email_addr, seen)})
        assert r.status == 200, "ConfirmSignUp: %r" % r
        if role is not None:
            self.gatehouse("user", "set-role", email_addr, role)
        r = self.idp("InitiateAuth", {"ClientId": client,
                                      "AuthFlow": "USER_PASSWORD_AUTH",
                                      "AuthParameters": {
                                          "USERNAME": email_addr,
                                          "PASSWORD": password}})
        assert r.status == 200, "InitiateAuth: %r" % r
        ar = r.json()["AuthenticationResult"]
        return {"email": email_addr, "password": password,
                "id_token": ar["IdToken"], "access_token": ar["AccessToken"],
                "refresh_token": ar.get("RefreshToken", "")}

    def confirmation_code(self, email_addr, after=0):
        """The sign-up code sent to email_addr: from the mail after the
        first `after` of mails(), or, in Cognito mode, from cognito-local."""
        if self.cognito is not None:
            return self.cognito.wait_code(email_addr)
        text = self.mail_text(self.wait_mail(to=email_addr, after=after))
        m = re.search(r"\b(\d{6})\b", text)
        assert m, "no 6-digit code in the mail: %.300r" % text
        return m.group(1)

    def skip_quirk(self, quirk):
        """In Cognito mode, Skip a case that meets a known difference of
        cognito-local from AWS Cognito (cognito_local.QUIRKS: "wrong_password",
        "global_sign_out", "discovery"), giving the reason."""
        if self.cognito is not None:
            from cognito_local import QUIRKS
            raise Skip(QUIRKS[quirk])

    def log_lines(self):
        """The JSON lines of the server's log (the programs' request lines)."""
        out = []
        try:
            with open(self.log_path, errors="replace") as f:
                for line in f:
                    i = line.find("{")
                    if i < 0:
                        continue
                    try:
                        obj = jsonlib.loads(line[i:])
                    except ValueError:
                        continue
                    if isinstance(obj, dict):
                        out.append(obj)
        except OSError:
            pass
        return out

    def log_for(self, resp, timeout=2):
        """The program's log line for resp (matched by X-Request-Id)."""
        rid = resp.headers.get("X-Request-Id")
        assert rid, "response has no X-Request-Id: %r" % resp
        deadline = time.monotonic() + timeout
        while True:
            for obj in self.log_lines():
                if obj.get("rid") == rid:
                    return obj
            if time.monotonic() > deadline:
                raise AssertionError("no log line with rid %s" % rid)
            time.sleep(0.05)


def make_htdocs(workdir):
    """A copy of htdocs/ with test pages where the apps have none."""
    dst = os.path.join(workdir, "htdocs")
    src = os.path.join(ROOT, "htdocs")
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".keep"))
    for rel, text in TEST_PAGES.items():
        p = os.path.join(dst, rel)
        if not os.path.exists(p):
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)
    for d, dirs, files in os.walk(dst):
        os.chmod(d, 0o755)
        for fn in files:
            os.chmod(os.path.join(d, fn), 0o644)
    return dst


def new_workdir():
    """A work directory inside the checkout (build/e2e/run-*: nobody else's
    /tmp clean-up can pull it away mid-run), or under $GH_E2E_TMP."""
    base = os.environ.get("GH_E2E_TMP") or os.path.join(ROOT, "build", "e2e")
    os.makedirs(base, exist_ok=True)
    d = tempfile.mkdtemp(prefix="run-", dir=base)
    os.chmod(d, 0o755)
    return d
