#!/bin/sh
# run.sh: `make run`.  Creates var/ on first start (bin/gatehouse init is
# idempotent: configuration with defaults, SQLite store, signing keys, user
# pool and app client, demo data), then serves in the foreground with
# lighttpd or Apache through serve.sh until Ctrl-C, which stops everything
# gracefully (requests in flight finish; SQLite commits are durable).
#
# Environment (from make): PORT [8080], SERVER lighttpd|apache, STORE
# sqlite|dynamodb, IDP embedded|cognito; BIND [127.0.0.1].  STORE and IDP
# become GATEHOUSE_STORE and GATEHOUSE_IDP, which the configuration loader
# honours over the file (never written into it); DYNAMODB_ENDPOINT,
# AWS_REGION, DYNAMODB_TABLE, COGNITO_REGION, COGNITO_USER_POOL_ID,
# COGNITO_CLIENT_ID and COGNITO_ENDPOINT pass through the same way, as do the
# standard AWS credential variables.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PORT=${PORT:-8080}
SERVER=${SERVER:-lighttpd}
BIND=${BIND:-127.0.0.1}
STORE=${STORE:-sqlite}
IDP=${IDP:-embedded}
CONF=$ROOT/var/gatehouse.conf

export GATEHOUSE_STORE="$STORE" GATEHOUSE_IDP="$IDP"
export GATEHOUSE_CONFIG="$CONF"

mkdir -p "$ROOT/var"
# (with STORE=dynamodb, init also creates the tables if missing)
"$ROOT/bin/gatehouse" -c "$CONF" init --public-url "http://$BIND:$PORT"

echo "gatehouse: serving http://$BIND:$PORT/ with $SERVER (store $STORE, idp $IDP); Ctrl-C stops" >&2
SERVER=$SERVER PORT=$PORT GH_BIND=$BIND exec bash "$ROOT/src/scripts/serve.sh"
