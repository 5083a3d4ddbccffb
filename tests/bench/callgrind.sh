#!/bin/sh
# callgrind.sh VAR TOKEN_FILE [PROGRAM]: instructions per GET /api/orders in
# the orders program itself, with callgrind: a run of 201 requests minus a
# run of 1 (start-up, key loading and the first, uncached verify cancel out),
# divided by 200.  Unlike requests/s this does not move with the machine's
# load, so it is the figure to compare changes by.  VAR is a var/ made by
# run.sh (a user with 10 orders), TOKEN_FILE holds that user's id token.
# Prints one line "instructions/request N"; the profiles stay in
# tests/artifacts/bench/callgrind.{1,201}.* for callgrind_annotate.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VAR=$1 TOKEN=$(cat "$2") PROG=${3:-$ROOT/cgi-bin/orders}
ART=$ROOT/tests/artifacts/bench
command -v valgrind >/dev/null || { echo "callgrind: valgrind is not installed"; exit 1; }
mkdir -p "$ART"
rm -f "$ART"/callgrind.1.* "$ART"/callgrind.201.*
for n in 1 201; do
	python3 "$ROOT/tests/bench/fcgi-load.py" "$PROG" $n "$VAR/gatehouse.conf" "$TOKEN" \
	    valgrind --tool=callgrind --callgrind-out-file="$ART/callgrind.$n" >"$ART/callgrind.$n.log" 2>&1 ||
		{ echo "callgrind: a reply was not 200:"; cat "$ART/callgrind.$n.log"; exit 1; }
done
sum() { cat "$ART"/callgrind."$1".[0-9]* 2>/dev/null | awk '/^summary:/ { s += $2 } END { print s + 0 }'; }
a=$(sum 1) b=$(sum 201)
[ "$a" -gt 0 ] && [ "$b" -gt "$a" ] || { echo "callgrind: no counts"; exit 1; }
echo "instructions/request $(( (b - a) / 200 ))"
