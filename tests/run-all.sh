#!/bin/sh
# run-all.sh [--no-browser]: every test suite (make test; make check-asan
# passes --no-browser and BUILD=asan).  Each suite prints its own lines and,
# last, "N passed, N failed"; this script sums those into one final line
# "N passed, N failed" under a per-suite summary, and exits non-zero if any
# case failed.  A suite that exits non-zero without reporting a failure, or
# prints no closing line, counts as one failure.  Full output of each suite:
# tests/artifacts/<suite>.log.
#
# Suites, in order:
#   unit      tests/run-unit.sh build/$BUILD   (test-* programs, fuzz corpora)
#   e2e       tests/e2e/run.py                 (lighttpd and Apache)
#   <name>    every tests/suites/<name>.sh, sorted (e.g. dynamodb.sh,
#             browser.sh), run with sh from the top directory; those whose
#             name starts with "browser" are skipped with --no-browser, and
#             GH_NO_BROWSER=1 is exported then.
# Environment: BUILD (release|asan) selects build/$BUILD and its programs.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-release}
export BUILD
NO_BROWSER=0
for a in "$@"; do
	case $a in
	--no-browser) NO_BROWSER=1; export GH_NO_BROWSER=1 ;;
	*) echo "usage: run-all.sh [--no-browser]" >&2; exit 2 ;;
	esac
done
ART=$ROOT/tests/artifacts
mkdir -p "$ART"
summary=$(mktemp) && rcf=$(mktemp) || exit 1
trap 'rm -f "$summary" "$rcf"' EXIT
trap 'echo "run-all.sh: interrupted" >&2; exit 130' INT TERM

total_p=0 total_f=0
suite() {	# name cmd...
	name=$1; shift
	echo "=== $name: $*"
	t0=$(date +%s)
	{ "$@" 2>&1; echo $? >"$rcf"; } | tee "$ART/$name.log"
	rc=$(cat "$rcf")
	secs=$(( $(date +%s) - t0 ))
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$ART/$name.log" | tail -n 1)
	if [ -n "$last" ] && [ "$(tail -n 1 "$ART/$name.log")" = "$last" ]; then
		p=${last%% passed*}; f=${last#*passed, }; f=${f%% failed*}
		note=""
	else
		p=0 f=1 note=" (no closing line: crashed?)"
		[ -n "$last" ] && { p=${last%% passed*}; note=" (output after its closing line)"; }
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 note=" (exit $rc without a failure reported)"
	fi
	total_p=$((total_p + p)); total_f=$((total_f + f))
	if [ "$f" -eq 0 ]; then mark=ok; else mark=FAIL; fi
	printf '%-4s %-12s %5d passed, %d failed  %4ds%s\n' "$mark" "$name" "$p" "$f" \
	    "$secs" "$note" >>"$summary"
}

PY=$(command -v python3)
suite unit sh tests/run-unit.sh "build/$BUILD"
suite e2e "$PY" tests/e2e/run.py
for s in tests/suites/*.sh; do
	[ -f "$s" ] || continue
	name=$(basename "$s" .sh)
	case $name in
	browser*)
		if [ $NO_BROWSER = 1 ]; then
			printf '%-4s %-12s skipped (--no-browser)\n' skip "$name" >>"$summary"
			continue
		fi ;;
	esac
	suite "$name" sh "$s"
done

echo
echo "=== summary (BUILD=$BUILD; logs in tests/artifacts/)"
cat "$summary"
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
