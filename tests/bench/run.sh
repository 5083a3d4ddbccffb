#!/bin/sh
# run.sh: `make bench`.  wrk through lighttpd, in one run, on a fresh var/:
#   baseline   GET /api/orders answered by noop-fcgi (200 "{}", no work) in
#              the orders program's place: the same lighttpd.conf entry,
#              processes and sockets as the real thing
#   orders     GET /api/orders for a user with 10 orders (bearer id token)
#   sessions   POST /sso/api/init-session + POST /sso/api/get-session pairs
# and prints requests/s, p99 latency and the ratio to the baseline for each,
# then the orders program's instructions per request (callgrind.sh, when
# valgrind is installed) and the verifier micro-benchmark.
# A target whose programs are not built is skipped, saying so.
#
# The baseline and orders runs alternate, BENCH_ROUNDS times, and the table
# shows each one's median: the machine is shared and its speed drifts.
# Environment: BENCH_SECONDS [10], BENCH_ROUNDS [3], BENCH_CONNECTIONS [16], BENCH_THREADS [2],
# PORT [a free one], BUILD [release].  Output also in tests/artifacts/bench/.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-release}
if [ "$BUILD" = release ]; then CGI=$ROOT/cgi-bin BIN=$ROOT/bin; else
	CGI=$ROOT/build/$BUILD/cgi-bin BIN=$ROOT/build/$BUILD/bin; fi
NOOP=$ROOT/build/$BUILD/bench/noop-fcgi
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-3}
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
BASE=http://127.0.0.1:$PORT
export GH_BENCH_DIR=$ROOT/tests/bench

command -v wrk >/dev/null || { echo "bench: wrk is not installed (make deps)"; exit 1; }
[ -x "$NOOP" ] || { echo "bench: $NOOP missing (make $NOOP)"; exit 1; }
[ -x "$CGI/health" ] && [ -x "$BIN/gatehouse" ] || { echo "bench: run make first"; exit 1; }

WORK=$(mktemp -d /tmp/gh-bench.XXXXXX) || exit 1
ART=$ROOT/tests/artifacts/bench
mkdir -p "$ART" "$WORK/var" "$WORK/cgi"
# This run's server output only (every request logs a line: ~30 MB a round;
# appending across runs had grown it to 640 MB).
: >"$ART/server.log"
rm -f "$ART"/baseline.*.txt "$ART"/orders.*.txt "$ART"/sessions.*.txt
SRV=""
cleanup() {
	if [ -n "$SRV" ]; then kill -TERM "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; fi
	SRV=""
}
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

export GATEHOUSE_CONFIG=$WORK/var/gatehouse.conf
"$BIN/gatehouse" -c "$GATEHOUSE_CONFIG" init --public-url "$BASE" >"$ART/init.log" 2>&1 ||
	{ cat "$ART/init.log"; exit 1; }

# serve CGIDIR: lighttpd as make run starts it (serve.sh), logs to a file.
serve() {
	SERVER=lighttpd PORT=$PORT GH_CGI=$1 GH_BIN=$BIN GH_LOG=$ART/server.log \
	    setsid bash "$ROOT/src/scripts/serve.sh" &
	SRV=$!
	i=0
	until curl -s -o /dev/null "$BASE/api/health"; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "bench: server did not start:"; tail "$ART/server.log"; exit 1; }
		sleep 0.1
	done
}

# bench NAME ROUND SCRIPT PATH: a short warm-up, then the measured run.
results=$WORK/results
bench() {
	name=$1 rnd=$2 script=$3 path=$4
	wrk -t"$THREADS" -c"$CONNS" -d2s -s "$script" "$BASE$path" >/dev/null 2>&1
	wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$script" "$BASE$path" \
	    >"$ART/$name.$rnd.txt" 2>&1
	line=$(grep '^GH_RESULT' "$ART/$name.$rnd.txt" | tail -n 1)
	[ -n "$line" ] || { echo "bench: wrk failed for $name:"; cat "$ART/$name.$rnd.txt"; return 1; }
	echo "$name $rnd $line" >>"$results"
}
skip() { echo "$1 0 SKIP $2" >>"$results"; }

: >"$results"
echo "bench: $ROUNDS rounds of ${SECS}s per target, $CONNS connections, $THREADS threads, lighttpd on $BASE"

# The baseline's programs: noop-fcgi in the orders program's place.
for p in "$CGI"/*; do ln -s "$p" "$WORK/cgi/${p##*/}"; done
rm -f "$WORK/cgi/orders" && ln -s "$NOOP" "$WORK/cgi/orders"
have() { for p in "$@"; do [ -x "$CGI/$p" ] || return 1; done; }
# The user: from the embedded pool when it is built, else from the e2e
# fixture (tokens of the pool's shape signed with this server's key).
FIXTURE=$ROOT/build/$BUILD/tests/e2e-fixture
have idp || [ ! -x "$FIXTURE" ] || export GH_FIXTURE=$FIXTURE
if have orders catalog; then export GH_ORDERS=1; fi

# Rounds of baseline then orders, one after the other, so that a slow
# spell of the machine falls on both; the table takes each one's median.
round=1
while [ $round -le "$ROUNDS" ]; do
	serve "$WORK/cgi"
	bench baseline $round "$GH_BENCH_DIR/get.lua" /api/orders
	cleanup
	serve "$CGI"
	if [ $round -eq 1 ] && { have idp || [ -n "${GH_FIXTURE:-}" ]; }; then
		python3 "$GH_BENCH_DIR/setup.py" "$BASE" "$WORK/var" "$WORK" | tee "$ART/setup.log"
	fi
	if ! have orders catalog; then
		[ $round -eq 1 ] && skip orders "programs not built (the marketplace routes orders, catalog are not on this branch yet)"
	elif [ ! -f "$WORK/orders.ok" ]; then
		[ $round -eq 1 ] && skip orders "could not give the user 10 orders (see $ART/setup.log)"
	else
		GH_TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id_token"])' "$WORK/tokens.json") \
		    bench orders $round "$GH_BENCH_DIR/get.lua" /api/orders
	fi
	if [ $round -eq "$ROUNDS" ]; then
		if ! have sso-init-session sso-get-session; then
			skip sessions "programs not built: sso-init-session, sso-get-session"
		elif [ ! -f "$WORK/tokens.json" ]; then
			skip sessions "no tokens (see $ART/setup.log)"
		else
			GH_TOKENS=$WORK/tokens.json GH_APP=marketplace GH_CHANNEL=web \
			    bench sessions 1 "$GH_BENCH_DIR/sessions.lua" /sso/api/init-session
		fi
	fi
	cleanup
	round=$((round + 1))
done

# Instructions per orders request (callgrind), on the same data, the server
# stopped: the figure that does not move with the machine's load.
if [ -f "$WORK/orders.ok" ] && command -v valgrind >/dev/null; then
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id_token"])' \
	    "$WORK/tokens.json" >"$WORK/token"
	cg=$(sh "$GH_BENCH_DIR/callgrind.sh" "$WORK/var" "$WORK/token" "$CGI/orders" | tail -n 1)
fi

# The table: per target the median of its rounds (requests/s and p99), the
# errors of all rounds, the ratio of the medians; then each round's ratio
# (orders over the baseline run just before it) and their median, which the
# goal is judged by: a round pairs two runs a few seconds apart, so a drift
# of the shared machine's speed over the minutes of the run cancels out.
awk -v conns="$CONNS" -v rounds="$ROUNDS" '
function val(s, k,   i, a, n) { n = split(s, a, " "); for (i = 1; i <= n; i++) if (index(a[i], k "=") == 1) return substr(a[i], length(k) + 2); return "" }
function median(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
BEGIN {
	label["baseline"] = "no-op FastCGI baseline (GET /api/orders -> noop-fcgi)"
	label["orders"] = "GET /api/orders, 10 orders"
	label["sessions"] = "POST init-session + get-session pairs"
	order[1] = "baseline"; order[2] = "orders"; order[3] = "sessions"
	printf "\n%-56s %10s %9s %8s %9s\n", "target (" conns " connections, median of rounds)", "req/s", "p99 ms", "errors", "ratio"
}
$3 == "SKIP" { name = $1; $1 = ""; $2 = ""; $3 = ""; sub(/^ +/, ""); skipped[name] = $0; next }
{
	rps[$1] = rps[$1] " " val($0, "rps"); p99[$1] = p99[$1] " " val($0, "p99_ms")
	errs[$1] += val($0, "errors") + val($0, "non2xx"); by[$1, $2] = val($0, "rps")
}
END {
	base = rps["baseline"] != "" ? median(rps["baseline"]) : 0
	for (k = 1; k <= 3; k++) {
		name = order[k]
		if (name in skipped) { printf "%-56s skipped: %s\n", label[name], skipped[name]; continue }
		if (rps[name] == "") continue
		m = median(rps[name])
		printf "%-56s %10.0f %9.2f %8d %9s\n", label[name], m, median(p99[name]), errs[name], (base > 0 ? sprintf("%.2f", m / base) : "-")
	}
	if (rps["orders"] != "" && base > 0) {
		line = ""; ratios = ""
		for (r = 1; r <= rounds; r++) if (by["baseline", r] > 0 && by["orders", r] != "") {
			line = line sprintf(" %.2f", by["orders", r] / by["baseline", r])
			ratios = ratios " " by["orders", r] / by["baseline", r]
		}
		pm = median(ratios)
		printf "\norders/baseline by round (each round: baseline, then orders):%s; median %.2f\n", line, pm
		printf "orders goal: >= 0.65 of the baseline (median of the rounds) with no errors: %s\n", (pm >= 0.65 && errs["orders"] == 0) ? "met" : "NOT met"
	}
}
' "$results" | tee "$ART/report.txt"
echo "(raw wrk output in tests/artifacts/bench/)"
case ${cg:-} in
"instructions/request "*) echo "GET /api/orders in the orders program (callgrind, 201 - 1 requests): ${cg#instructions/request } instructions per request" ;;
"") ;;
*) echo "callgrind: $cg" ;;
esac

# The verifier micro-benchmark (process CPU time, one core).
VERIFY=$ROOT/build/$BUILD/bench/bench-verify
if [ -x "$VERIFY" ]; then
	echo
	echo "token verifier (tests/bench/bench-verify.c):"
	"$VERIFY" "${BENCH_VERIFY_SECONDS:-0.5}" | tee "$ART/verify.txt"
else
	echo "bench-verify not built (make $VERIFY)"
fi
