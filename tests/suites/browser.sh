#!/bin/sh
# browser.sh: the browser tests (tests/browser/run.mjs, playwright-core
# driving Debian's chromium) against a private gatehouse: its own var/ under
# build/browser/ (bin/gatehouse init), lighttpd through src/scripts/serve.sh
# on a free 127.0.0.1 port, stopped again at the end whatever happens.
# Needs `make` (programs, admin tool, htdocs/). Last line "N passed, N failed".
# Environment: SERVER (lighttpd|apache, default lighttpd), KEEP=1 keeps the
# work directory (kept anyway when a case fails: server.log, var/mail/).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-release}
case $BUILD in release) BIN=$ROOT/bin CGI=$ROOT/cgi-bin ;; *) BIN=$ROOT/build/$BUILD/bin CGI=$ROOT/build/$BUILD/cgi-bin ;; esac

fail() {
	echo "not ok - browser suite setup: $*"
	echo "0 passed, 1 failed"
	exit 1
}

[ -x "$BIN/gatehouse" ] || fail "$BIN/gatehouse missing (run make)"
[ -f htdocs/index.html ] && [ -f htdocs/sso/index.html ] && [ -f htdocs/support/index.html ] ||
    fail "htdocs/ has no built frontends (run make)"
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium missing (apt-get install chromium)"
if [ ! -d tests/node_modules/playwright-core ]; then
	(cd tests && npm ci --no-audit --no-fund --loglevel=error) >&2 || fail "npm ci in tests/ failed"
fi

SERVE=
W=$ROOT/build/browser
rm -rf "$W" && mkdir -p "$W/var" && chmod 755 "$W" || fail "cannot make $W"
CONF=$W/var/gatehouse.conf
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
"$BIN/gatehouse" -c "$CONF" init --public-url "$BASE" >"$W/init.log" 2>&1 ||
    fail "bin/gatehouse init failed: $(tail -n 3 "$W/init.log")"

SERVER=${SERVER:-lighttpd} PORT=$PORT GH_BIND=127.0.0.1 GATEHOUSE_CONFIG=$CONF GH_ROOT=$ROOT \
    GH_CGI=$CGI GH_BIN=$BIN GH_PROCS=1 GH_PROCS_HOT=2 GH_LOG=$W/server.log \
    bash src/scripts/serve.sh </dev/null >/dev/null 2>&1 &
SERVE=$!
stop() {
	[ -n "$SERVE" ] || return 0
	kill -TERM "$SERVE" 2>/dev/null
	i=0
	while kill -0 "$SERVE" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$SERVE" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || [ "${rc:-1}" != 0 ] || rm -rf "$W"
}
trap 'stop' EXIT
trap 'exit 130' INT TERM

i=0
until curl -fsS -o /dev/null "$BASE/api/health" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$SERVE" 2>/dev/null; then
		fail "the server did not start: $(tail -n 5 "$W/server.log" 2>/dev/null)"
	fi
	sleep 0.1
done

BASE_URL=$BASE VAR_DIR=$W/var GATEHOUSE_ADMIN="$BIN/gatehouse -c $CONF" \
    ARTIFACTS_DIR=$ROOT/tests/artifacts timeout 600 node tests/browser/run.mjs
rc=$?
exit $rc
