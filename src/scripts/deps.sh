#!/bin/sh
# deps.sh: installs what gatehouse needs, and nothing when all is there (it
# runs on every make run / make test, so the check is one dpkg-query).
#   - Debian packages, as root or through sudo: apt-get update once, then
#     install the missing ones (nodejs and npm only when node is missing);
#     system services are not started by the install (policy-rc.d).
#   - npm packages for the tests: `npm ci` in tests/ when tests/node_modules
#     is missing or older than tests/package-lock.json.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PKGS="build-essential pkg-config libfcgi-dev libjson-c-dev libjwt-dev libssl-dev
libcurl4-openssl-dev libsqlite3-dev libargon2-dev lighttpd apache2 wrk chromium
python3 python3-aiosmtpd python3-boto3 python3-botocore python3-yaml awscli openssl valgrind
curl ca-certificates util-linux procps"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
	# One call; a package never installed is reported on stderr.
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $PKGS 2>/dev/null |
	    awk '$2 ~ /^ii/ { print $1 }')
	for p in $PKGS; do
		echo "$installed" | grep -qx "$p" || missing="$missing $p"
	done
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
elif [ ! -x /usr/sbin/lighttpd ]; then
	echo "deps.sh: not a Debian system: install by hand:$PKGS" >&2
	exit 1
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		SUDO=
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO="sudo -n"
	else
		echo "deps.sh: missing Debian packages:$missing" >&2
		echo "deps.sh: run as root (or with password-less sudo), or: apt-get install$missing" >&2
		exit 1
	fi
	echo "deps.sh: installing:$missing" >&2
	# Keep the packages' own services (lighttpd and apache2 both want
	# port 80) from starting during the install.
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null
		$SUDO chmod 755 $policy
	fi
	trap '[ -n "$policy" ] && $SUDO rm -f "$policy"' EXIT
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $missing
fi

# npm packages for the tests (dynalite, AWS's Cognito clients, playwright-core).
if [ -f "$ROOT/tests/package-lock.json" ]; then
	stamp=$ROOT/tests/node_modules/.package-lock.json
	if [ ! -f "$stamp" ] || [ "$ROOT/tests/package-lock.json" -nt "$stamp" ]; then
		echo "deps.sh: npm ci in tests/" >&2
		(cd "$ROOT/tests" && npm ci --no-audit --no-fund --loglevel=error)
	fi
fi
