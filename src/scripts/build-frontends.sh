#!/bin/sh
# Builds the Vue apps (web/) into htdocs/: the client at /, the SSO frontend
# at /sso/, the support demo at /support/. Installs web/node_modules with
# `npm ci` only when it is missing or the lockfile changed since the last
# install. config.json is not written here: the backend serves it.
set -eu
cd "$(dirname "$0")/../.."

if ! command -v npm >/dev/null 2>&1; then
	echo "build-frontends: npm not found (Node.js >= 20.19 is needed)" >&2
	exit 1
fi

stamp=web/node_modules/.gatehouse-lock
want=$(cksum < web/package-lock.json)
if [ ! -d web/node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "build-frontends: npm ci in web/"
	(cd web && npm ci --no-audit --no-fund --loglevel=error)
	printf '%s\n' "$want" > "$stamp"
fi

start=$(date +%s)
(cd web && npm run --silent build -- --logLevel warn)

# Replace only what the build owns; anything else in htdocs/ stays.
rm -rf htdocs/index.html htdocs/assets htdocs/sso htdocs/support htdocs/favicon.svg
mkdir -p htdocs
cp -R web/dist/. htdocs/
echo "build-frontends: htdocs/ (client /, sso /sso/, support /support/) built in $(( $(date +%s) - start ))s"
