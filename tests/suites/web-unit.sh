#!/bin/sh
# web-unit.sh: the frontends' unit tests (vitest, web/test/): the helper SDK,
# the Cognito adapter on the wire, the shared helpers. Last line
# "N passed, N failed". Run by tests/run-all.sh from the top directory.
set -u
cd "$(dirname "$0")/../../web" || exit 1
if [ ! -d node_modules/vitest ]; then
	npm ci --no-audit --no-fund --loglevel=error >&2 || { echo "0 passed, 1 failed"; exit 1; }
fi
NO_COLOR=1 exec node node_modules/vitest/vitest.mjs run
