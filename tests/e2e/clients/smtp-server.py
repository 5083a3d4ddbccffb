"""smtp-server.py --port N --dir D [--cert C --key K [--smtps]] [--auth U:P]

A real SMTP server on 127.0.0.1 for the mail tests (Debian's python3-aiosmtpd,
run with /usr/bin/python3): each message received is written to D/<n>.eml.
With --cert/--key, STARTTLS is offered and required (or, with --smtps, TLS
from the first byte); with --auth, AUTH PLAIN/LOGIN with that user and
password is required (only over TLS).  Runs until killed."""

import argparse
import asyncio
import os
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--smtps", action="store_true")
ap.add_argument("--auth")
args = ap.parse_args()


class Store:
    n = 0

    async def handle_DATA(self, server, session, envelope):
        Store.n += 1
        path = os.path.join(args.dir, "%04d.eml" % Store.n)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    user, pw = args.auth.split(":", 1)
    ok = getattr(auth_data, "login", None) == user.encode() and \
        getattr(auth_data, "password", None) == pw.encode()
    return AuthResult(success=ok)


kw = {}
ctx = None
if args.cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)
    if not args.smtps:
        kw.update(tls_context=ctx, require_starttls=True)
if args.auth:
    # (over smtps the whole session is TLS, which aiosmtpd does not see)
    kw.update(authenticator=authenticator, auth_required=True,
              auth_require_tls=bool(args.cert) and not args.smtps)
c = Controller(Store(), hostname="127.0.0.1", port=args.port,
               ssl_context=ctx if args.smtps else None, **kw)
c.start()
print("ready", flush=True)
threading.Event().wait()
