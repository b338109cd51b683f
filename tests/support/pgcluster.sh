#!/bin/sh
# Throwaway PostgreSQL 15 cluster (with PostGIS available) for tests and
# benchmarks: initdb in DIR, listen on 127.0.0.1:PORT only (trust auth, the
# socket lives inside DIR), removed again by `stop`. initdb refuses root, so as
# root every server command runs as the `postgres` system user.
#
#   pgcluster.sh start DIR [PORT]   start (PORT: a free one when omitted);
#                                   prints the libpq conninfo, also in DIR/conninfo
#   pgcluster.sh ext DIR EXT...     CREATE EXTENSION IF NOT EXISTS each (e.g.
#                                   postgis btree_gist) in the postgres database
#   pgcluster.sh conninfo DIR       prints the conninfo again
#   pgcluster.sh stop DIR           stops the server and removes DIR
# PGCLUSTER_OPTS adds server options, e.g. "-c fsync=off -c shared_buffers=1GB".
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

die() { echo "pgcluster: $*" >&2; exit 1; }

# Runs a command as the cluster owner (postgres when we are root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + $$ % 30000))
}

conninfo_of() { echo "host=127.0.0.1 port=$1 user=postgres dbname=postgres"; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pgcluster.sh start|stop|ext|conninfo DIR [PORT | EXT...]"

case "$cmd" in
start)
  [ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb not found (install postgresql-15)"
  port=${3:-$(free_port)}
  mkdir -p "$dir"
  [ -e "$dir/data" ] && die "$dir/data exists: stop the old cluster first"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$dir"
    as_owner test -w "$dir" || die "user postgres cannot write $dir (choose a folder under /tmp)"
  fi
  as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  # shellcheck disable=SC2086
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir ${PGCLUSTER_OPTS:-}" \
    start >/dev/null || { cat "$dir/server.log" >&2; die "server did not start on port $port"; }
  conninfo_of "$port" >"$dir/conninfo"
  echo "$port" >"$dir/port"
  cat "$dir/conninfo"
  ;;
ext)
  [ -f "$dir/port" ] || die "no cluster in $dir"
  port=$(cat "$dir/port")
  shift 2
  for e in "$@"; do
    PGOPTIONS="-c client_min_messages=warning" as_owner "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
      -c "CREATE EXTENSION IF NOT EXISTS \"$e\"" >/dev/null || die "cannot create extension $e"
  done
  ;;
conninfo)
  cat "$dir/conninfo"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  die "unknown command $cmd"
  ;;
esac
