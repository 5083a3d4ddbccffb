#!/usr/bin/env python3
"""run.py: the end-to-end suite runner (Python 3 standard library only).

Starts a private lighttpd and a private Apache (+ gatehouse-fcgi pool), each
on a fresh var/ made by `bin/gatehouse init` and a free 127.0.0.1 port, runs
every case of every tests/e2e/test_*.py file against both, stops them (also on
failure, Ctrl-C or --timeout) and prints one line per case and, last,
"N passed, N failed".

A case file holds plain functions:
    def test_something(server): ...   run once per server (harness.Server)
    def test_other(): ...             no argument: run once, no server
    def setup(server): ...            optional, once per server before the
                                      file's cases; if it fails they all fail
A case passes when it returns; an exception fails it (assert with a message);
harness.Skip("why") reports it as skipped (not passed).

A file without test_ functions may instead define run(ctx), called once per
server with ctx.base, ctx.conf (path of gatehouse.conf), ctx.server (the
name), ctx.log (the server log) and ctx.srv (the harness.Server); it prints
its own ok/FAIL lines and returns an object with .passed and .failed counts.

    tests/e2e/run.py [-k SUBSTRING] [--server lighttpd|apache] [--timeout S]
                     [--keep] [--store sqlite|dynamodb [--dynamodb-endpoint URL]]
                     [--idp embedded|cognito] [FILE ...]
--store dynamodb runs every server on DynamoDB at URL (default
$DYNAMODB_ENDPOINT; tests/suites/dynamodb.sh starts dynalite and passes it),
each with tables of its own.
--idp cognito puts cognito-local (with the triggers run by the Lambda
bootstrap) in front of each server instead of the embedded pool; see
cognito_local.py.  Cases check harness.IDP / server.cognito for its quirks.
BUILD=asan uses build/asan/cgi-bin and build/asan/bin.
"""

import argparse
import importlib.util
import inspect
import os
import shutil
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class Timeout(BaseException):
    pass


def on_timeout(signum, frame):
    raise Timeout()


def on_term(signum, frame):
    raise KeyboardInterrupt()


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def cases_of(mod):
    out = []
    for name, fn in vars(mod).items():
        if name.startswith("test_") and inspect.isfunction(fn) and \
                fn.__module__ == mod.__name__:
            out.append((fn.__code__.co_firstlineno, name, fn))
    return [(n, f) for _, n, f in sorted(out)]


def describe(exc):
    tb = traceback.extract_tb(exc.__traceback__)
    where = ""
    for fr in reversed(tb):
        if os.path.basename(fr.filename).startswith("test_"):
            where = " (%s:%d)" % (os.path.basename(fr.filename), fr.lineno)
            break
    msg = str(exc) or exc.__class__.__name__
    if isinstance(exc, AssertionError):
        return msg + where
    return "%s: %s%s" % (exc.__class__.__name__, msg, where)


class Ctx:
    pass


def run_ctx(mod, runner, s):
    """A run(ctx) suite against server s: (passed, failed)."""
    ctx = Ctx()
    ctx.base, ctx.conf, ctx.server = s.base, s.conf_path, s.name
    ctx.log, ctx.srv = s.log_path, s
    try:
        res = runner(ctx)
        p, f = int(res.passed), int(res.failed)
        if p + f == 0:
            print("FAIL %-8s %s.run: no case ran" % (s.name, mod.__name__),
                  flush=True)
            f = 1
        return p, f
    except harness.Skip as e:
        print("skip %-8s %s.run: %s" % (s.name, mod.__name__, e), flush=True)
        return 0, 0
    except Exception as e:
        print("FAIL %-8s %s.run: %s" % (s.name, mod.__name__, describe(e)),
              flush=True)
        return 0, 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="", help="run cases whose name contains this")
    ap.add_argument("--server", action="append",
                    choices=["lighttpd", "apache"], help="default: both")
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory (logs, var/)")
    ap.add_argument("--store", choices=["sqlite", "dynamodb"],
                    default="sqlite")
    ap.add_argument("--dynamodb-endpoint",
                    default=os.environ.get("DYNAMODB_ENDPOINT", ""))
    ap.add_argument("--idp", choices=["embedded", "cognito"], default=harness.IDP,
                    help="identity provider in front (default: $GH_IDP or embedded)")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    if args.store == "dynamodb" and not args.dynamodb_endpoint:
        ap.error("--store dynamodb needs --dynamodb-endpoint URL")
    harness.STORE = args.store
    harness.DYNAMODB_ENDPOINT = args.dynamodb_endpoint
    # The configuration file says which store; no environment override.
    for k in () if args.store == "sqlite" else ("GATEHOUSE_STORE", "DYNAMODB_ENDPOINT", "DYNAMODB_TABLE",
              "DYNAMODB_ORDERS_TABLE"):
        os.environ.pop(k, None)

    here = os.path.dirname(os.path.abspath(__file__))
    files = args.files or sorted(
        os.path.join(here, f) for f in os.listdir(here)
        if f.startswith("test_") and f.endswith(".py"))
    kinds = args.server or ["lighttpd", "apache"]
    harness.IDP = args.idp

    signal.signal(signal.SIGALRM, on_timeout)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    signal.alarm(args.timeout)

    passed = failed = skipped = 0
    servers = []
    workdir = harness.new_workdir()
    t0 = time.monotonic()
    try:
        mods = []
        for f in files:
            try:
                mods.append(load(f))
            except Exception as e:  # a broken case file fails, visibly
                print("FAIL %-8s %s: cannot load: %s" % (
                    "-", os.path.basename(f), describe(e)), flush=True)
                failed += 1

        htdocs = harness.make_htdocs(workdir)
        for kind in kinds:
            try:
                s = harness.Server(kind, workdir, htdocs)
                s.start()
                servers.append(s)
            except Exception as e:
                print("FAIL %-8s start: %s" % (kind, describe(e)), flush=True)
                failed += 1
        ready = []
        for s in servers:
            try:
                s.wait_ready()
                ready.append(s)
                print("# %s on %s (var %s)" % (s.name, s.base, s.var),
                      flush=True)
            except Exception as e:
                print("FAIL %-8s start: %s" % (s.name, describe(e)),
                      flush=True)
                failed += 1

        for mod in mods:
            cases = [(n, f) for n, f in cases_of(mod) if args.k in
                     "%s.%s" % (mod.__name__, n)]
            runner = getattr(mod, "run", None)
            if not cases and callable(runner) and args.k in mod.__name__ + ".run":
                for s in ready:
                    p, f = run_ctx(mod, runner, s)
                    passed += p
                    failed += f
                continue
            if not cases:
                continue
            for name, fn in cases:
                if fn.__code__.co_argcount == 0:
                    try:
                        fn()
                        print("ok   %-8s %s.%s" % ("-", mod.__name__, name),
                              flush=True)
                        passed += 1
                    except harness.Skip as e:
                        print("skip %-8s %s.%s: %s" % ("-", mod.__name__,
                              name, e), flush=True)
                        skipped += 1
                    except Exception as e:
                        print("FAIL %-8s %s.%s: %s" % ("-", mod.__name__,
                              name, describe(e)), flush=True)
                        failed += 1
            for s in ready:
                setup_err = None
                setup = getattr(mod, "setup", None)
                if setup is not None and any(
                        f.__code__.co_argcount > 0 for _, f in cases):
                    try:
                        setup(s)
                    except Exception as e:
                        setup_err = e
                for name, fn in cases:
                    if fn.__code__.co_argcount == 0:
                        continue
                    label = "%-8s %s.%s" % (s.name, mod.__name__, name)
                    if isinstance(setup_err, harness.Skip):
                        print("skip %s: setup: %s" % (label, setup_err),
                              flush=True)
                        skipped += 1
                        continue
                    if setup_err is not None:
                        print("FAIL %s: setup: %s" % (label,
                              describe(setup_err)), flush=True)
                        failed += 1
                        continue
                    try:
                        fn(s)
                        print("ok   %s" % label, flush=True)
                        passed += 1
                    except harness.Skip as e:
                        print("skip %s: %s" % (label, e), flush=True)
                        skipped += 1
                    except Exception as e:
                        print("FAIL %s: %s" % (label, describe(e)), flush=True)
                        failed += 1
                if s.proc.poll() is not None:
                    print("FAIL %-8s server died during %s:\n%s" % (
                        s.name, mod.__name__, s.log_tail()), flush=True)
                    failed += 1
                    ready.remove(s)
    except KeyboardInterrupt:
        print("# interrupted", flush=True)
        failed += 1
    except Timeout:
        print("FAIL timeout: the suite ran over %ds" % args.timeout, flush=True)
        failed += 1
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for s in servers:
            s.stop()
        # A program that crashed or tripped a sanitizer fails the suite even
        # if every answer looked right.
        for s in harness.ALL_SERVERS:
            reports = s.crash_reports()
            if reports:
                print("FAIL %-8s crash or sanitizer report in %s:\n  %s" % (
                    s.name, s.log_path, "\n  ".join(reports[:10])), flush=True)
                failed += 1
            elif harness.BUILD == "asan":
                print("ok   %-8s no sanitizer report in %s" % (
                    s.name, os.path.basename(s.dir)), flush=True)
                passed += 1
        if failed or args.keep:
            print("# logs and var/ kept in %s" % workdir, flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    if skipped:
        print("# %d skipped" % skipped)
    print("# %.1fs" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
