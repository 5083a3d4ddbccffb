#!/bin/sh
# cognito-local.sh: the end-to-end suites that matter in AWS mode (the
# triggers behind Cognito, SSO, marketplace) with stand-ins for AWS in front:
# cognito-local as the user pool, its Lambda triggers served by the real
# bootstrap (tests/e2e/cognito_local.py), and, once the DynamoDB backend is
# in the tree, dynalite as the store (else SQLite, said on the first line).
# Each web server runs in its own pass with its own tables. Last line
# "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${BUILD:-release}
if [ "$B" = release ]; then BIN=bin; else BIN=build/$B/bin; fi
if [ ! -x "$BIN/lambda-bootstrap" ]; then
	echo "skip: $BIN/lambda-bootstrap is not built (src/lib/trigger.c is not in this tree)"
	echo "0 passed, 0 failed"
	exit 0
fi
files=""
for f in test_cognito_local.py test_cognito_mode.py test_sso.py test_market.py; do
	[ -f "tests/e2e/$f" ] && files="$files tests/e2e/$f"
done

dyn_pid=""
cleanup() { [ -n "$dyn_pid" ] && kill "$dyn_pid" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ -f src/lib/store_dynamodb.c ]; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p build/e2e
	node tests/node_modules/dynalite/cli.js --port "$port" >build/e2e/dynalite-cognito.log 2>&1 &
	dyn_pid=$!
	i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && { echo "dynalite did not start"; echo "0 passed, 1 failed"; exit 1; }
		sleep 0.1
	done
	export GATEHOUSE_STORE=dynamodb DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
	export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
	echo "# store: dynalite on $DYNAMODB_ENDPOINT"
else
	echo "note: src/lib/store_dynamodb.c is not in this tree: the store is SQLite, not dynalite"
fi

passed=0 failed=0
for server in lighttpd apache; do
	out=$(mktemp)
	DYNAMODB_TABLE=gh-cognito-$server DYNAMODB_ORDERS_TABLE=gh-cognito-$server-orders \
	    python3 tests/e2e/run.py --idp cognito --server "$server" $files >"$out" 2>&1
	rc=$?
	cat "$out"
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	rm -f "$out"
	if [ -n "$last" ]; then
		p=${last%% passed*}; f=${last#*passed, }; f=${f%% failed*}
	else
		p=0 f=1
	fi
	[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p)); failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
