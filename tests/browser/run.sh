#!/bin/sh
# Runs the browser tests against a running gatehouse.
#   BASE_URL (default http://127.0.0.1:8080), VAR_DIR (default var; its mail/ holds the .eml outbox)
# Installs tests/node_modules (playwright-core) with npm ci when missing.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules/playwright-core ]; then
	npm ci --no-audit --no-fund --loglevel=error >&2
fi
: "${VAR_DIR:=$(cd .. && pwd)/var}"
export VAR_DIR
exec node browser/run.mjs
