#!/usr/bin/env python3
"""fcgi-load.py PROGRAM N CONFIG TOKEN [TOOL...]: runs PROGRAM (under TOOL,
e.g. valgrind --tool=callgrind ..., when given) with a FastCGI listening
socket as its fd 0, as lighttpd starts it, sends it N GET /api/orders
requests with the bearer TOKEN, one connection each (as lighttpd does), and
prints the last reply's status line.  Under callgrind the counts are dumped
(callgrind_control -d) before the program is stopped.  Exits 1 if a reply is
not 200.  Used by callgrind.sh (stdlib only)."""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

prog, n, conf, token = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
tool = sys.argv[5:]
tmp = tempfile.mkdtemp(prefix="gh-fcgi-load.")
path = os.path.join(tmp, "s")
ls = socket.socket(socket.AF_UNIX)
ls.bind(path)
ls.listen(16)
env = dict(os.environ, GATEHOUSE_CONFIG=conf)
p = subprocess.Popen(tool + [prog], stdin=ls.fileno(), env=env,
                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "err"), "w"),
                     preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL))


def rec(t, body):
    return struct.pack(">BBHHBB", 1, t, 1, len(body), 0, 0) + body


def nv(k, v):
    k, v = k.encode(), v.encode()
    ln = struct.pack(">I", len(v) | 0x80000000) if len(v) > 127 else bytes([len(v)])
    return bytes([len(k)]) + ln + k + v


params = b"".join(nv(k, v) for k, v in [
    ("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/api/orders"),
    ("SCRIPT_NAME", "/api/orders"), ("PATH_INFO", ""), ("QUERY_STRING", ""),
    ("REMOTE_ADDR", "127.0.0.1"), ("SERVER_PROTOCOL", "HTTP/1.1"),
    ("HTTP_HOST", "127.0.0.1"), ("HTTP_AUTHORIZATION", "Bearer " + token)])
msg = (rec(1, struct.pack(">HB5x", 1, 0)) + rec(4, params) + rec(4, b"") +
       rec(5, b""))
status = b""
ok = True
for i in range(n):
    for _ in range(600):
        c = socket.socket(socket.AF_UNIX)
        try:
            c.connect(path)
            break
        except OSError:
            c.close()
            time.sleep(0.05)
    c.sendall(msg)
    out = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        out += d
    c.close()
    status = out[8:out.find(b"\r\n")] if len(out) > 8 else b"(no reply)"
    ok = ok and status == b"Status: 200 OK"
if tool:
    subprocess.run(["callgrind_control", "-d", str(p.pid)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    p.kill()
else:
    p.terminate()
p.wait()
print(status.decode(errors="replace"))
sys.exit(0 if ok else 1)
