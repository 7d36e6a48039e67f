#!/bin/sh
# Runs generate.sh against a throwaway cluster of the server binaries in BINDIR (initdb, pg_ctl, postgres; for example the
# ones QueryLab caches: .querylab/cache/postgresql-17.10/native/bin once `querylab upgrade --pg …,17` ran), then stops it
# and removes it. initdb refuses root: run this as an ordinary user (as root it runs the server as the user `postgres`).
# Usage: sh generate-on.sh BINDIR [PORT]     (psql on PATH: any 13+ client)
set -eu
BIN=$1
PORT=${2:-55499}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$(mktemp -d /tmp/querylab-shapes-XXXXXX)
AS=""
if [ "$(id -u)" = 0 ]; then
  chown postgres "$DATA"
  AS="runuser -u postgres --"
fi
cleanup() { $AS "$BIN/pg_ctl" -D "$DATA/db" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$DATA"; }
trap cleanup EXIT
$AS "$BIN/initdb" -D "$DATA/db" -U querylab --auth=trust -E UTF8 --locale=C >/dev/null
$AS "$BIN/pg_ctl" -D "$DATA/db" -l "$DATA/log" -w -o "-p $PORT -k $DATA -c listen_addresses='' -c shared_buffers=128MB" start >/dev/null
PSQL="psql -h $DATA -p $PORT -U querylab -d postgres" sh "$HERE/generate.sh"
