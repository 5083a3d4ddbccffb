"""test_idp_mail.py: the pool's SMTP mode (libcurl) against real SMTP servers
on loopback (Debian's python3-aiosmtpd): plain SMTP when STARTTLS is turned
off, STARTTLS required by default (a server without it gets no mail and the
client a CodeDeliveryFailureException), STARTTLS + AUTH, smtps://, and a
wrong SMTP password.  Each server kind is tested through both web servers.
"""

import json
import os
import re
import socket
import subprocess
import tempfile
import time

from harness import Skip, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def setup(server):
    if not server.program_built("idp"):
        raise Skip("idp not built")
    if subprocess.run([PY, "-c", "import aiosmtpd"], capture_output=True).returncode != 0:
        raise Skip("python3-aiosmtpd not installed")


class Smtp:
    """An aiosmtpd on a free port, its messages in self.dir."""

    def __init__(self, *extra, cli=False):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="smtp-")
        if cli:  # the stock server: prints messages on stdout
            cmd = [PY, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:%d" % self.port]
        else:
            cmd = [PY, os.path.join(HERE, "clients", "smtp-server.py"),
                   "--port", str(self.port), "--dir", self.dir] + list(extra)
        self.out = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError("smtp server did not start")
                time.sleep(0.05)

    def output(self):
        self.out.seek(0)
        return self.out.read().decode(errors="replace")

    def messages(self):
        return sorted(os.path.join(self.dir, f) for f in os.listdir(self.dir)
                      if f.endswith(".eml"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def cert(tmp):
    crt, key = os.path.join(tmp, "smtp.crt"), os.path.join(tmp, "smtp.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", crt], check=True, capture_output=True)
    return crt, key


def sign_up(v, addr):
    body = {"ClientId": v.conf()["client_id"], "Username": addr, "Password": "Smtp-Test-Pw-42",
            "UserAttributes": [{"Name": "email", "Value": addr}]}
    return v.request("POST", "/idp", body=json.dumps(body), timeout=40, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp"})


def test_plain_smtp_when_starttls_off(server):
    with Smtp(cli=True) as smtp, server.variant(
            mail_mode="smtp", smtp_url="smtp://127.0.0.1:%d" % smtp.port,
            smtp_starttls="no") as v:
        addr = "plain-%d@example.com" % time.time_ns()
        r = sign_up(v, addr)
        assert r.status == 200, r
        deadline = time.monotonic() + 5
        while "verification code is" not in smtp.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        out = smtp.output()
        assert "To: " + addr in out, out[-2000:]
        code = re.search(r"verification code is (\d{6})", out).group(1)
        r = v.idp("ConfirmSignUp", {"ClientId": v.conf()["client_id"], "Username": addr,
                                    "ConfirmationCode": code})
        assert r.status == 200, r
        assert v.mails() == [], "file mode used in smtp mode"


def test_starttls_required_by_default(server):
    with Smtp(cli=True) as smtp, server.variant(
            mail_mode="smtp", smtp_url="smtp://127.0.0.1:%d" % smtp.port) as v:
        r = sign_up(v, "nostarttls-%d@example.com" % time.time_ns())
        assert r.status == 400 and r.json()["__type"] == "CodeDeliveryFailureException", r
        assert "verification code" not in smtp.output()


def test_starttls_and_auth(server):
    tmp = tempfile.mkdtemp(prefix="smtp-tls-")
    crt, key = cert(tmp)
    with Smtp("--cert", crt, "--key", key, "--auth", "mailer:s3cret") as smtp:
        with server.variant(mail_mode="smtp", smtp_url="smtp://127.0.0.1:%d" % smtp.port,
                            smtp_user="mailer", smtp_password="s3cret", smtp_ca_file=crt) as v:
            addr = "tls-%d@example.com" % time.time_ns()
            r = sign_up(v, addr)
            assert r.status == 200, (r, smtp.output())
            msgs = smtp.messages()
            assert len(msgs) == 1, msgs
            raw = open(msgs[0], "rb").read().decode()
            assert "To: " + addr in raw and re.search(r"\b\d{6}\b", raw), raw
            log = open(v.log_path, errors="replace").read()
            assert "s3cret" not in log, "SMTP password in the log"
        with server.variant(mail_mode="smtp", smtp_url="smtp://127.0.0.1:%d" % smtp.port,
                            smtp_user="mailer", smtp_password="wrong", smtp_ca_file=crt) as v:
            r = sign_up(v, "badauth-%d@example.com" % time.time_ns())
            assert r.status == 400 and r.json()["__type"] == "CodeDeliveryFailureException", r
            assert len(smtp.messages()) == 1
        # Without the CA the self-signed certificate is refused.
        with server.variant(mail_mode="smtp", smtp_url="smtp://127.0.0.1:%d" % smtp.port,
                            smtp_user="mailer", smtp_password="s3cret") as v:
            r = sign_up(v, "noca-%d@example.com" % time.time_ns())
            assert r.status == 400 and r.json()["__type"] == "CodeDeliveryFailureException", r
            assert len(smtp.messages()) == 1


def test_smtps(server):
    tmp = tempfile.mkdtemp(prefix="smtps-")
    crt, key = cert(tmp)
    with Smtp("--cert", crt, "--key", key, "--smtps", "--auth", "m:pw") as smtp, server.variant(
            mail_mode="smtp", smtp_url="smtps://127.0.0.1:%d" % smtp.port,
            smtp_user="m", smtp_password="pw", smtp_ca_file=crt) as v:
        r = sign_up(v, "smtps-%d@example.com" % time.time_ns())
        assert r.status == 200, r
        assert len(smtp.messages()) == 1
