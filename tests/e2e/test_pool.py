"""test_pool.py: bin/gatehouse-fcgi (Apache's worker pool) and program restarts.

The supervisor alone: sockets and their mode, worker counts, the crash-loop
backoff, a clean stop (no worker left, sockets removed).  Through each web
server: a killed program is replaced and its route answers again.
"""

import os
import signal
import socket
import stat
import subprocess
import tempfile
import time

from harness import BIN, Skip


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(d))
        except (OSError, IndexError, ValueError):
            pass
    return out


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""


def test_supervisor_sockets_counts_backoff_and_stop():
    pool = os.path.join(BIN, "gatehouse-fcgi")
    if not os.access(pool, os.X_OK):
        raise Skip("bin/gatehouse-fcgi not built")
    d = tempfile.mkdtemp(prefix="gh-pool-")
    progs, run = os.path.join(d, "progs"), os.path.join(d, "run")
    os.makedirs(progs)
    os.makedirs(run)
    with open(os.path.join(progs, "boom"), "w") as f:
        f.write("#!/bin/sh\nexit 3\n")
    with open(os.path.join(progs, "sleeper"), "w") as f:
        f.write("#!/bin/sh\nexec sleep 300\n")
    with open(os.path.join(progs, "README"), "w") as f:
        f.write("not a program\n")
    os.chmod(os.path.join(progs, "boom"), 0o755)
    os.chmod(os.path.join(progs, "sleeper"), 0o755)
    os.symlink(os.path.join(progs, "sleeper"), os.path.join(progs, "linked"))
    log = os.path.join(d, "pool.log")
    with open(log, "w") as lf:
        p = subprocess.Popen([pool, "-s", run, "-n", "1", "-w", "sleeper=3",
                              progs], stderr=lf, start_new_session=True)
    try:
        time.sleep(2.0)
        assert p.poll() is None, open(log).read()
        socks = sorted(os.listdir(run))
        assert socks == ["boom.sock", "linked.sock", "sleeper.sock"], socks
        for s in socks:
            st = os.stat(os.path.join(run, s))
            assert stat.S_ISSOCK(st.st_mode), s
            assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        # listening: a connection is accepted into the backlog
        c = socket.socket(socket.AF_UNIX)
        c.connect(os.path.join(run, "sleeper.sock"))
        c.close()
        kids = [cmdline(k) for k in children(p.pid)]
        assert kids.count("sleep") == 4, kids  # sleeper x3 + linked x1
        text = open(log).read()
        delays = [int(x.split(" ms")[0]) for x in
                  text.split("restart in ")[1:]]
        assert delays[:4] == [100, 200, 400, 800], text
        pids = children(p.pid)
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0, open(log).read()
        assert os.listdir(run) == [], os.listdir(run)
        time.sleep(0.2)
        left = [q for q in pids if os.path.exists("/proc/%d" % q) and
                open("/proc/%d/stat" % q).read().rsplit(")", 1)[1].split()[0] != "Z"]
        assert not left, "workers left: %s" % left
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        subprocess.run(["rm", "-rf", d])


def test_supervisor_rejects_bad_arguments():
    pool = os.path.join(BIN, "gatehouse-fcgi")
    if not os.access(pool, os.X_OK):
        raise Skip("bin/gatehouse-fcgi not built")
    for args in ([], ["-s", "/tmp"], ["-s", "/tmp", "-n", "0", "/bin/true"],
                 ["-s", "/tmp", "/nonexistent/prog"],
                 ["-s", "/tmp", "-m", "999", "/bin/true"]):
        r = subprocess.run([pool] + args, capture_output=True, timeout=5)
        assert r.returncode != 0, "accepted %s" % args


def test_killed_program_is_replaced(server):
    # Kill every process of the health program; the web server (lighttpd)
    # or the pool (Apache) starts new ones and the route answers again.
    victims = [q for q in descendants(server.proc.pid)
               if os.path.basename(cmdline(q)) == "health"]
    assert victims, "no health process under the server"
    for q in victims:
        os.kill(q, signal.SIGKILL)
    deadline = time.monotonic() + 5
    last = None
    while time.monotonic() < deadline:
        try:
            last = server.get("/api/health", timeout=3)
            if last.status == 200:
                break
        except OSError as e:
            last = e
        time.sleep(0.2)
    assert getattr(last, "status", None) == 200, "after the kill: %r" % last
    now = [q for q in descendants(server.proc.pid)
           if os.path.basename(cmdline(q)) == "health"]
    assert now and not set(now) & set(victims), now
