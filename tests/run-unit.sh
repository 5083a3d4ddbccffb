#!/bin/sh
# run-unit.sh BUILDDIR: runs every unit test program BUILDDIR/tests/test-*
# (each prints "N passed, N failed" last and exits 0 only when all pass) and
# replays every fuzz target's seed corpus (BUILDDIR/tests/fuzz-<t> over
# tests/fuzz/corpus-<t>/*).  VALGRIND=1 runs them under valgrind, failing on
# any error or leak.  Prints one line per program and, last, the sum.
# A program that crashes, fails or prints no closing line counts as failed.
set -u

B=${1:?usage: run-unit.sh BUILDDIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
VG=""
if [ "${VALGRIND:-0}" = 1 ]; then
	VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --track-origins=yes"
fi
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT INT TERM

passed=0 failed=0 progs=0
runone() {	# label cmd...
	label=$1; shift
	progs=$((progs + 1))
	# shellcheck disable=SC2086
	TMPDIR=${TMPDIR:-/tmp} $VG "$@" >"$out" 2>&1
	rc=$?
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	if [ -n "$last" ]; then
		p=${last%% passed*}; f=${last#*passed, }; f=${f%% failed*}
	else
		p=0 f=0
	fi
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed, valgrind error, or failed without saying so
	fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ] || [ -z "$last" ]; then
		printf 'FAIL %-28s %s (exit %d)\n' "$label" "${last:-no closing line}" $rc
		grep -v -E '^ok ' "$out" | tail -n 25 | sed 's/^/     | /'
	else
		printf 'ok   %-28s %s\n' "$label" "$last"
	fi
}

for t in "$B"/tests/test-*; do
	[ -x "$t" ] || continue
	runone "${t##*/}" "$t"
done
for t in "$B"/tests/fuzz-*; do
	[ -x "$t" ] || continue
	name=${t##*/fuzz-}
	[ -d "tests/fuzz/corpus-$name" ] || continue
	runone "fuzz-$name (corpus)" "$t" tests/fuzz/corpus-"$name"/*
done
[ $progs -eq 0 ] && { echo "no unit tests in $B/tests (make programs)"; failed=1; }
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
