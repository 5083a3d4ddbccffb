#!/bin/sh
# cognito-local.sh: the end-to-end suites that matter in AWS mode (the
# triggers behind Cognito, Cognito mode, SSO, marketplace) with stand-ins
# for AWS: cognito-local as the user pool, its Lambda triggers served by the
# real bootstrap (tests/e2e/cognito_local.py), dynalite as the store
# (run.py --store dynamodb: tables of its own per server). Both web servers.
# Last line "N passed, N failed". KEEP=1 keeps the work directory.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
B=${BUILD:-release}
if [ "$B" = release ]; then BIN=bin; else BIN=build/$B/bin; fi
fail() { echo "FAIL cognito-local suite setup: $*"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$BIN/lambda-bootstrap" ] || fail "$BIN/lambda-bootstrap is not built (make)"
[ -f tests/node_modules/cognito-local/lib/bin/start.js ] &&
    [ -f tests/node_modules/dynalite/cli.js ] || fail "npm ci in tests/ first"
files=""
for f in test_cognito_local.py test_cognito_mode.py test_sso.py test_market.py; do
	[ -f "tests/e2e/$f" ] && files="$files tests/e2e/$f"
done

W=$ROOT/build/cognito-local
rm -rf "$W" && mkdir -p "$W" || fail "cannot make $W"
DYN=
stop() { [ -n "$DYN" ] && kill "$DYN" 2>/dev/null; DYN=; }
trap stop EXIT
trap 'exit 130' INT TERM
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
node tests/node_modules/dynalite/cli.js --host 127.0.0.1 --port "$PORT" \
    --createTableMs 20 --deleteTableMs 20 --updateTableMs 20 </dev/null >"$W/dynalite.log" 2>&1 &
DYN=$!
i=0
until curl -s -o /dev/null "$URL/"; do
	i=$((i + 1))
	{ [ $i -gt 100 ] || ! kill -0 "$DYN" 2>/dev/null; } && fail "dynalite did not start: $(tail -n 3 "$W/dynalite.log")"
	sleep 0.1
done
echo "# dynalite on $URL"
# shellcheck disable=SC2086
python3 tests/e2e/run.py --idp cognito --store dynamodb --dynamodb-endpoint "$URL" \
    ${KEEP:+--keep} $files
rc=$?
stop
exit $rc
