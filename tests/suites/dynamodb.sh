#!/bin/sh
# dynamodb.sh: the whole suite on DynamoDB.  Starts dynalite (tests/
# node_modules, in memory) on a free 127.0.0.1 port, creates the tables with
# `bin/gatehouse dynamodb create-tables`, runs the storage conformance suite
# (build/$BUILD/tests/test-store, unchanged, GATEHOUSE_CONFIG naming
# dynalite), then the whole HTTP end-to-end suite (tests/e2e/run.py --store
# dynamodb: every server on dynalite with tables of its own), and stops
# dynalite at the end whatever happens.  Last line "N passed, N failed".
# Environment: BUILD (release|asan), E2E_ARGS (extra run.py arguments, e.g.
# "--server lighttpd"), KEEP=1 keeps the work directory.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-release}
case $BUILD in release) BIN=$ROOT/bin ;; *) BIN=$ROOT/build/$BUILD/bin ;; esac
TESTS=$ROOT/build/$BUILD/tests

fail() {
	echo "FAIL dynamodb suite setup: $*"
	echo "0 passed, 1 failed"
	exit 1
}

[ -x "$BIN/gatehouse" ] || fail "$BIN/gatehouse missing (run make)"
[ -x "$TESTS/test-store" ] || fail "$TESTS/test-store missing (run make)"
if [ ! -f tests/node_modules/dynalite/cli.js ]; then
	(cd tests && npm ci --no-audit --no-fund --loglevel=error) >&2 ||
	    fail "npm ci in tests/ failed"
fi

W=$ROOT/build/dynamodb
rm -rf "$W" && mkdir -p "$W" || fail "cannot make $W"
DYN= CHILD=
rc=1
# Children run in the background and are waited for, so that a signal
# stops them and dynalite at once (sh defers traps until a foreground child
# ends).
run() {	# log cmd...: runs cmd, its output in log; st = its status
	log=$1; shift
	"$@" >"$log" 2>&1 &
	CHILD=$!
	wait "$CHILD"
	st=$?
	CHILD=
}
stop() {
	if [ -n "$CHILD" ]; then
		kill -TERM "$CHILD" 2>/dev/null
		wait "$CHILD" 2>/dev/null
		CHILD=
	fi
	if [ -n "$DYN" ]; then
		kill -TERM "$DYN" 2>/dev/null
		i=0
		while kill -0 "$DYN" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$DYN" 2>/dev/null
		DYN=
	fi
	[ "${KEEP:-0}" = 1 ] || [ "$rc" != 0 ] || rm -rf "$W"
}
trap 'stop' EXIT
trap 'rc=1; exit 130' INT TERM

# dynalite on a free port; another one if someone took it meanwhile.
tries=0
while :; do
	PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	URL=http://127.0.0.1:$PORT
	node tests/node_modules/dynalite/cli.js --host 127.0.0.1 --port "$PORT" \
	    --createTableMs 20 --deleteTableMs 20 --updateTableMs 20 \
	    </dev/null >"$W/dynalite.log" 2>&1 &
	DYN=$!
	i=0
	until curl -s -o /dev/null "$URL/" 2>/dev/null; do
		i=$((i + 1))
		kill -0 "$DYN" 2>/dev/null || break
		[ $i -gt 100 ] && break
		sleep 0.1
	done
	curl -s -o /dev/null "$URL/" 2>/dev/null && break
	kill -KILL "$DYN" 2>/dev/null
	DYN=
	tries=$((tries + 1))
	[ $tries -lt 3 ] || fail "dynalite did not start: $(tail -n 5 "$W/dynalite.log")"
done
echo "# dynalite on $URL"

passed=0 failed=0
count() {	# log: adds its closing line's numbers
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
	if [ -z "$last" ]; then
		failed=$((failed + 1))
		return
	fi
	p=${last%% passed*}; f=${last#*passed, }; f=${f%% failed*}
	passed=$((passed + p)); failed=$((failed + f))
	[ "$2" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))
}

# 1. The conformance suite, unchanged, on dynalite.
CONF=$W/store.conf
printf 'store = dynamodb\ndynamodb_endpoint = %s\ndynamodb_table = gh-store-test\ndynamodb_orders_table = gh-store-test-orders\n' \
    "$URL" >"$CONF"
if "$BIN/gatehouse" -c "$CONF" dynamodb create-tables >"$W/create.log" 2>&1 &&
    "$BIN/gatehouse" -c "$CONF" dynamodb create-tables >>"$W/create.log" 2>&1; then
	echo "ok   gatehouse dynamodb create-tables (twice: idempotent)"
	passed=$((passed + 1))
else
	echo "FAIL gatehouse dynamodb create-tables: $(tail -n 3 "$W/create.log")"
	failed=$((failed + 1))
fi
echo "=== test-store on dynalite"
run "$W/test-store.log" env -u GATEHOUSE_STORE -u DYNAMODB_ENDPOINT \
    -u DYNAMODB_TABLE -u DYNAMODB_ORDERS_TABLE GATEHOUSE_CONFIG="$CONF" \
    "$TESTS/test-store"
grep -v '^ok ' "$W/test-store.log"
count "$W/test-store.log" $st

# 2. The whole end-to-end suite with the store set to DynamoDB.
echo "=== e2e on dynalite"
# shellcheck disable=SC2086
run "$W/e2e.log" python3 tests/e2e/run.py --store dynamodb \
    --dynamodb-endpoint "$URL" ${E2E_ARGS:-}
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$W/e2e.log"
count "$W/e2e.log" $st

[ "$failed" -eq 0 ] && rc=0
stop
trap - EXIT
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ]
