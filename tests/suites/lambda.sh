#!/bin/sh
# lambda.sh: the Lambda custom runtime (bin/lambda-bootstrap) against a local
# Runtime API (tests/lambda/), as built and as make lambda packages it.
# Last line "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
B=build/${BUILD:-release}
if [ "${BUILD:-release}" = release ]; then BIN=bin; else BIN=$B/bin; fi
mkdir -p build/e2e
export GH_WORK
GH_WORK=$(pwd)/build/e2e
if [ -x "$BIN/lambda-bootstrap" ]; then
	# The program as built, then the one make lambda packages, run from its
	# unpacked zip (its bundled libraries found through RUNPATH $ORIGIN/lib).
	python3 tests/lambda/test_bootstrap.py "$BIN/lambda-bootstrap" "$BIN/gatehouse" >build/e2e/lambda-1.log 2>&1
	rc1=$?
	cat build/e2e/lambda-1.log | sed '$d'
	p1=$(tail -n 1 build/e2e/lambda-1.log | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
	[ -n "$p1" ] || p1="0 1"
	set -- $p1
	passed=$1 failed=$2
	[ $rc1 -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
	unz=build/e2e/lambda-zip
	rm -rf "$unz"
	# The package is always the release build, also under BUILD=asan.
	if make -s BUILD=release lambda >build/e2e/lambda-make.log 2>&1 && mkdir -p "$unz" &&
	    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
	    build/lambda/gatehouse-triggers.zip "$unz" && chmod 0755 "$unz/bootstrap"; then
		echo "ok   make lambda: $(grep 'highest glibc' build/e2e/lambda-make.log | sed 's/^lambda-package.sh: //')"
		passed=$((passed + 1))
		# Lambda's library path for provided.al2023 (less /var/lang and
		# /var/runtime): /lib64 and /usr/lib64 first, then the function's
		# directory. Here /lib64 holds only the loader, so every library
		# but glibc's must resolve inside the unpacked zip, as on an image
		# that lacks them all.
		LAMBDA_LD_PATH="/lib64:/usr/lib64:$(cd "$unz" && pwd):$(cd "$unz" && pwd)/lib"
		outside=$(LD_LIBRARY_PATH=$LAMBDA_LD_PATH ldd "$unz/bootstrap" | awk '$2 == "=>" { print $1, $3 }' |
		    grep -v -E '^(libc|libm|libpthread|libdl|librt|libresolv|ld-linux)' | grep -v " $(cd "$unz" && pwd)/lib/" || true)
		if [ -z "$outside" ]; then
			echo "ok   the packaged bootstrap loads its libraries from the zip's lib/"
			passed=$((passed + 1))
		else
			echo "FAIL the packaged bootstrap loads from outside the zip: $outside"
			failed=$((failed + 1))
		fi
		GH_BOOTSTRAP_LD_PATH=$LAMBDA_LD_PATH python3 tests/lambda/test_bootstrap.py "$unz/bootstrap" "$BIN/gatehouse" >build/e2e/lambda-2.log 2>&1
		rc2=$?
		sed '$d' build/e2e/lambda-2.log | sed 's/^\(ok  \|FAIL\) /\1 (zip) /'
		p2=$(tail -n 1 build/e2e/lambda-2.log | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
		[ -n "$p2" ] || p2="0 1"
		set -- $p2
		passed=$((passed + $1)); failed=$((failed + $2))
		[ $rc2 -ne 0 ] && [ "$2" -eq 0 ] && failed=$((failed + 1))
	else
		echo "FAIL make lambda:"; sed 's/^/     | /' build/e2e/lambda-make.log | tail -n 20
		failed=$((failed + 1))
	fi
	rm -rf "$unz"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi
echo "FAIL $BIN/lambda-bootstrap is not built (make)"
echo "0 passed, 1 failed"
exit 1
