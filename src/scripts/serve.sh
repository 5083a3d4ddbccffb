#!/bin/bash
# serve.sh: serves gatehouse in the foreground with lighttpd or Apache (+ the
# gatehouse-fcgi pool) until SIGINT/SIGTERM/SIGHUP, then stops everything it
# started, gracefully: in-flight requests finish, no process is left behind.
# Used by run.sh (make run), the end-to-end harness and the benchmark, so the
# three start the servers the same way.
#
# Environment (defaults in brackets):
#   SERVER            lighttpd | apache                       [lighttpd]
#   PORT, GH_BIND     where to listen                         [8080, 127.0.0.1]
#   GATEHOUSE_CONFIG  absolute path of gatehouse.conf         (required)
#   GH_ROOT           the gatehouse directory                 [this script's ../..]
#   GH_HTDOCS         static root                             [$GH_ROOT/htdocs]
#   GH_CGI            FastCGI programs                        [$GH_ROOT/cgi-bin]
#   GH_BIN            tools (gatehouse-fcgi)                  [$GH_ROOT/bin]
#   GH_RUN            sockets and runtime files               [<config dir>/run]
#   GH_ERRORS         JSON error bodies                       [$GH_ROOT/src/errors]
#   GH_PROCS          processes per program                   [1]
#   GH_PROCS_HOT      processes per hot program               [4]
#   GH_LOG            file for the servers' output            [stderr]
# The request body limit is gatehouse.conf's max_body [65536].
set -u

die() { echo "serve.sh: $*" >&2; exit 1; }

SERVER=${SERVER:-lighttpd}
PORT=${PORT:-8080}
GH_BIND=${GH_BIND:-127.0.0.1}
[ -n "${GATEHOUSE_CONFIG:-}" ] || die "GATEHOUSE_CONFIG is not set"
case $GATEHOUSE_CONFIG in /*) ;; *) GATEHOUSE_CONFIG=$(pwd)/$GATEHOUSE_CONFIG ;; esac
[ -r "$GATEHOUSE_CONFIG" ] || die "$GATEHOUSE_CONFIG: not readable"
GH_ROOT=${GH_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
GH_HTDOCS=${GH_HTDOCS:-$GH_ROOT/htdocs}
GH_CGI=${GH_CGI:-$GH_ROOT/cgi-bin}
GH_BIN=${GH_BIN:-$GH_ROOT/bin}
GH_RUN=${GH_RUN:-$(dirname "$GATEHOUSE_CONFIG")/run}
GH_ERRORS=${GH_ERRORS:-$GH_ROOT/src/errors}
GH_PROCS=${GH_PROCS:-1}
GH_PROCS_HOT=${GH_PROCS_HOT:-4}
# The programs that get GH_PROCS_HOT processes (lighttpd.conf names the same).
HOT="idp idp-wellknown config orders catalog sso-init-session sso-get-session"

GH_MAX_BODY=$(sed -n 's/^[[:space:]]*max_body[[:space:]]*=[[:space:]]*\([0-9][0-9]*\)[[:space:]]*$/\1/p' \
	"$GATEHOUSE_CONFIG" | tail -n 1)
GH_MAX_BODY=${GH_MAX_BODY:-65536}
GH_MAX_KB=$(( (GH_MAX_BODY + 1023) / 1024 ))

[ -d "$GH_CGI" ] || die "$GH_CGI: no such directory (run make)"
mkdir -p "$GH_RUN" || exit 1
# A unix socket path has at most 107 bytes; the longest here is
# $GH_RUN/lh-<port>/sso-check-app-user.sock-<n>.  A deep checkout gets its
# sockets in a private directory under /tmp instead.
if [ $(( ${#GH_RUN} + 42 )) -gt 107 ]; then
	GH_RUN=$(mktemp -d /tmp/gh-run.XXXXXX) || exit 1
	chmod 0755 "$GH_RUN"
	tmp_run=$GH_RUN
	echo "serve.sh: the socket paths would be too long; sockets in $GH_RUN" >&2
fi
if [ -n "${GH_LOG:-}" ]; then
	exec >>"$GH_LOG" 2>&1
fi

# The programs both configurations route (lighttpd.conf is the list), seen
# through a directory of symbolic links: a program not built yet stands in
# as `health`, which answers 404 JSON for its paths, so both servers start
# and answer the same while routes are still being written.
cgiview=$GH_RUN/cgi-$SERVER-$PORT
rm -rf "$cgiview" && mkdir -p "$cgiview" || exit 1
[ -x "$GH_CGI/health" ] || die "$GH_CGI/health: missing (run make)"
for p in $(sed -n 's|.*var\.gh_cgi + "/\([a-z0-9-]*\)".*|\1|p' "$GH_ROOT/lighttpd.conf" | sort -u); do
	if [ -x "$GH_CGI/$p" ]; then
		ln -s "$GH_CGI/$p" "$cgiview/$p"
	else
		ln -s "$GH_CGI/health" "$cgiview/$p"
		echo "serve.sh: $p is not built: its paths answer 404" >&2
	fi
done
for p in "$GH_CGI"/*; do
	[ -x "$p" ] && [ -f "$p" ] && [ ! -e "$cgiview/${p##*/}" ] &&
		echo "serve.sh: ${p##*/} is not routed by lighttpd.conf" >&2
done
GH_CGI=$cgiview
export SERVER PORT GH_BIND GATEHOUSE_CONFIG GH_ROOT GH_HTDOCS GH_CGI GH_RUN GH_ERRORS \
	GH_PROCS GH_PROCS_HOT GH_MAX_BODY GH_MAX_KB


pids=()		# process-group leaders we started, in start order
stopping=0

# start CMD...: runs CMD in a new session (so a Ctrl-C reaches this script
# only and the stop below stays graceful); $! is its pid and process group.
start() {
	setsid "$@" &
	pids+=("$!")
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }

# stop SIG PID: signal PID, wait up to 10 s, then kill its whole group.
stop_one() {
	local sig=$1 pid=$2 i
	kill "-$sig" "$pid" 2>/dev/null
	for i in $(seq 100); do
		alive "$pid" || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

stop_all() {
	[ $stopping = 1 ] && return
	stopping=1
	trap '' INT TERM HUP
	case $SERVER in
	lighttpd)
		# SIGINT: lighttpd's graceful shutdown.
		stop_one INT "${pids[0]}" ;;
	apache)
		# SIGWINCH: Apache's graceful stop; then the pool (SIGTERM).
		[ ${#pids[@]} -ge 2 ] && stop_one WINCH "${pids[1]}"
		stop_one TERM "${pids[0]}" ;;
	esac
}

cleanup() { rm -rf "$cgiview"; [ -n "${tmp_run:-}" ] && rm -rf "$tmp_run"; }
trap 'stop_all; cleanup; exit 0' INT TERM HUP

case $SERVER in
lighttpd)
	command -v lighttpd >/dev/null || die "lighttpd is not installed (make deps)"
	GH_RUN=$GH_RUN/lh-$PORT
	mkdir -p "$GH_RUN" && chmod 0700 "$GH_RUN" || exit 1
	export GH_RUN
	start lighttpd -D -f "$GH_ROOT/lighttpd.conf"
	;;
apache)
	command -v apache2 >/dev/null || die "apache2 is not installed (make deps)"
	[ -x "$GH_BIN/gatehouse-fcgi" ] || die "$GH_BIN/gatehouse-fcgi: missing (run make)"
	GH_APACHE_RUN=$GH_RUN/apache-$PORT
	pool_run=$GH_RUN/fcgi-$PORT
	poolopt=()
	if [ "$(id -u)" = 0 ]; then
		# Apache's children cannot run as root: they run as www-data, which
		# must reach the sockets, the static root and the error bodies.
		GH_APACHE_USER=www-data GH_APACHE_GROUP=www-data
		id www-data >/dev/null 2>&1 || { GH_APACHE_USER=nobody GH_APACHE_GROUP=nogroup; }
		can() { runuser -u "$GH_APACHE_USER" -- test "$@" 2>/dev/null; }
		# var/run is 0700: let others traverse it (not list it); the
		# sockets sit in a 0750 directory of the web server's group.
		can -x "$GH_RUN" || chmod o+x "$GH_RUN"
		if ! can -x "$GH_RUN"; then
			# e.g. a checkout under /root: a private runtime directory
			GH_RUN=$(mktemp -d /tmp/gatehouse-run.XXXXXX) || exit 1
			chmod 0755 "$GH_RUN"
			echo "serve.sh: $GH_APACHE_USER cannot reach var/run; sockets in $GH_RUN" >&2
			GH_APACHE_RUN=$GH_RUN/apache-$PORT
			pool_run=$GH_RUN/fcgi-$PORT
			tmp_run=$GH_RUN
		fi
		if ! can -r "$GH_HTDOCS/." -a -x "$GH_HTDOCS" || ! can -r "$GH_ERRORS/gh-error-413.html"; then
			mkdir -p "$GH_RUN/htdocs" "$GH_RUN/errors"
			cp -R "$GH_HTDOCS/." "$GH_RUN/htdocs/" && cp -R "$GH_ERRORS/." "$GH_RUN/errors/"
			chmod -R a+rX "$GH_RUN/htdocs" "$GH_RUN/errors"
			echo "serve.sh: $GH_APACHE_USER cannot read $GH_HTDOCS; serving a copy (restart to see changes)" >&2
			GH_HTDOCS=$GH_RUN/htdocs GH_ERRORS=$GH_RUN/errors
		fi
		mkdir -p "$pool_run" && chgrp "$GH_APACHE_GROUP" "$pool_run" && chmod 0750 "$pool_run"
		poolopt=(-g "$GH_APACHE_GROUP")
	else
		GH_APACHE_USER=$(id -un) GH_APACHE_GROUP=$(id -gn)
		mkdir -p "$pool_run" && chmod 0700 "$pool_run"
	fi
	mkdir -p "$GH_APACHE_RUN" || exit 1
	rm -f "$GH_APACHE_RUN/apache2.pid"
	GH_RUN=$pool_run
	export GH_RUN GH_APACHE_RUN GH_APACHE_USER GH_APACHE_GROUP GH_HTDOCS GH_ERRORS
	for p in $HOT; do poolopt+=(-w "$p=$GH_PROCS_HOT"); done
	start "$GH_BIN/gatehouse-fcgi" -s "$pool_run" -n "$GH_PROCS" "${poolopt[@]}" "$GH_CGI"
	# Apache once every socket exists (an early request would get 503).
	n=$(find "$GH_CGI" -maxdepth 1 ! -type d | wc -l)
	for i in $(seq 50); do
		[ "$(find "$pool_run" -maxdepth 1 -type s | wc -l)" -ge "$n" ] && break
		alive "${pids[0]}" || { wait "${pids[0]}"; exit 1; }
		sleep 0.1
	done
	start apache2 -f "$GH_ROOT/src/scripts/apache-private.conf" -DFOREGROUND
	;;
*)
	die "SERVER must be lighttpd or apache, not '$SERVER'"
	;;
esac

# Wait until a server exits (then stop the rest) or our parent goes away
# (a killed harness must not leave servers behind).
parent=$PPID
rc=0
while :; do
	sleep 1 &
	wait -n "${pids[@]}" $!
	for p in "${pids[@]}"; do
		if ! alive "$p"; then
			wait "$p"; rc=$?
			echo "serve.sh: $SERVER stopped (status $rc)" >&2
			stop_all
			cleanup
			exit $(( rc == 0 ? 1 : rc ))
		fi
	done
	if ! kill -0 "$parent" 2>/dev/null || [ "$(ps -o ppid= -p $$ | tr -d ' ')" != "$parent" ]; then
		stop_all
		cleanup
		exit 1
	fi
done
