#!/bin/sh
# A highly available PostgreSQL for deconflict on one machine (issue 15):
# 3 etcd members and 3 PostgreSQL 15 nodes under Patroni, on loopback ports,
# in DIR. For tests, benchmarks and anyone who wants to try a failover;
# design, settings and their costs in docs/ha.md.
#
#   cluster.sh start DIR [BASE]  start everything (ports BASE+1.. BASE+33,
#                                BASE default 26100), wait for a primary and
#                                two streaming standbys, create PostGIS; prints
#                                the libpq multi-host conninfo (DIR/conninfo)
#                                and the same as a URI for --store (DIR/uri)
#   cluster.sh status DIR        patronictl list (who leads, who is sync)
#   cluster.sh leader DIR        the leader's node name (pg1, pg2 or pg3)
#   cluster.sh pid DIR NODE      the postmaster pid of NODE
#   cluster.sh wait DIR          waits for a leader and 2 streaming standbys
#   cluster.sh stop DIR          stops Patroni (and PostgreSQL), then etcd;
#                                removes DIR
# Ports: PostgreSQL BASE+1..3, Patroni REST BASE+11..13, etcd clients
# BASE+21..23, etcd peers BASE+31..33. PostgreSQL refuses to run as root, so
# as root everything runs as the `postgres` system user.
# HA_TTL, HA_LOOP_WAIT, HA_RETRY_TIMEOUT override the Patroni timings.
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
TTL=${HA_TTL:-10}
LOOP_WAIT=${HA_LOOP_WAIT:-1}
RETRY_TIMEOUT=${HA_RETRY_TIMEOUT:-3}

die() { echo "cluster: $*" >&2; exit 1; }

# As root, the postgres user runs from / : it may not enter the caller's
# folder (a checkout under /root is 0700), and Patroni's worker processes
# change back into the folder they were started from.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] && [ -d "$dir" ] && dir=$(cd "$dir" && pwd)
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: cluster.sh start|stop|status|leader|pid|wait DIR [BASE | NODE]"

base_of() { cat "$dir/base"; }

# Prints "leader streaming" counts and the leader's name from Patroni's
# REST API of any node that answers.
cluster_json() {
  b=$(base_of)
  for i in 1 2 3; do
    curl -s -m 2 "http://127.0.0.1:$((b + 10 + i))/cluster" 2>/dev/null && return 0
  done
  return 1
}

leader_name() {
  cluster_json | python3 -c '
import json, sys
c = json.load(sys.stdin)
for m in c.get("members", []):
    if m.get("role") == "leader" and m.get("state") == "running":
        print(m["name"])
' 2>/dev/null
}

# 0 when there is a running leader and two standbys streaming from it, one
# of them synchronous.
healthy() {
  cluster_json | python3 -c '
import json, sys
c = json.load(sys.stdin)
ms = c.get("members", [])
lead = [m for m in ms if m.get("role") == "leader" and m.get("state") == "running"]
stand = [m for m in ms if m.get("role") in ("replica", "sync_standby")
         and m.get("state") in ("running", "streaming") and m.get("lag", 1) == 0]
sync = [m for m in ms if m.get("role") == "sync_standby"]
sys.exit(0 if len(lead) == 1 and len(stand) == 2 and sync else 1)
' 2>/dev/null
}

wait_healthy() {
  i=0
  until healthy; do
    i=$((i + 1))
    [ "$i" -lt "${1:-240}" ] || return 1
    sleep 0.5
  done
}

write_etcd() {
  b=$1
  cluster="e1=http://127.0.0.1:$((b + 31)),e2=http://127.0.0.1:$((b + 32)),e3=http://127.0.0.1:$((b + 33))"
  for i in 1 2 3; do
    cat >"$dir/etcd$i.sh" <<EOF
#!/bin/sh
exec etcd --name e$i --data-dir "$dir/etcd$i" \\
  --listen-client-urls http://127.0.0.1:$((b + 20 + i)) \\
  --advertise-client-urls http://127.0.0.1:$((b + 20 + i)) \\
  --listen-peer-urls http://127.0.0.1:$((b + 30 + i)) \\
  --initial-advertise-peer-urls http://127.0.0.1:$((b + 30 + i)) \\
  --initial-cluster $cluster --initial-cluster-token deconflict-ha \\
  --initial-cluster-state new --heartbeat-interval 100 --election-timeout 1000 \\
  --enable-v2=true --logger zap --log-level warn
EOF
  done
}

write_patroni() {
  b=$1
  for i in 1 2 3; do
    cat >"$dir/pg$i.yml" <<EOF
scope: deconflict
name: pg$i
restapi:
  listen: 127.0.0.1:$((b + 10 + i))
  connect_address: 127.0.0.1:$((b + 10 + i))
etcd:
  hosts: 127.0.0.1:$((b + 21)),127.0.0.1:$((b + 22)),127.0.0.1:$((b + 23))
log:
  level: WARNING
bootstrap:
  dcs:
    ttl: $TTL
    loop_wait: $LOOP_WAIT
    retry_timeout: $RETRY_TIMEOUT
    maximum_lag_on_failover: 1048576
    primary_start_timeout: 0
    synchronous_mode: true
    synchronous_mode_strict: true
    synchronous_node_count: 1
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        wal_log_hints: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        max_connections: 200
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - auth: trust
postgresql:
  listen: 127.0.0.1:$((b + i))
  connect_address: 127.0.0.1:$((b + i))
  data_dir: $dir/pg$i/data
  bin_dir: $PGBIN
  pgpass: $dir/pg$i/pgpass
  authentication:
    superuser:
      username: postgres
    replication:
      username: postgres
    rewind:
      username: postgres
  parameters:
    unix_socket_directories: $dir/pg$i
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
EOF
    mkdir -p "$dir/pg$i"
    chmod 700 "$dir/pg$i"
  done
}

# Starts "$@" detached (own session), output to LOG, pid to PIDFILE.
spawn() {
  log=$1 pidfile=$2
  shift 2
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && exec setsid runuser -u postgres -- "$@") >"$log" 2>&1 </dev/null &
  else
    setsid "$@" >"$log" 2>&1 </dev/null &
  fi
  echo $! >"$pidfile"
}

# stop_all NAME TRIES PAUSE: SIGTERM to each of NAME1..3 (their pid files),
# then waits up to TRIES x PAUSE s for each before SIGKILL.
stop_all() {
  for i in 1 2 3; do
    [ -f "$dir/$1$i.pid" ] && kill -TERM "$(cat "$dir/$1$i.pid")" 2>/dev/null || true
  done
  for i in 1 2 3; do
    [ -f "$dir/$1$i.pid" ] || continue
    p=$(cat "$dir/$1$i.pid")
    n=0
    while kill -0 "$p" 2>/dev/null && [ "$n" -lt "$2" ]; do
      n=$((n + 1))
      sleep "$3"
    done
    kill -KILL "$p" 2>/dev/null || true
  done
}

case "$cmd" in
start)
  command -v patroni >/dev/null || die "patroni not found (scripts/install-deps.sh installs it)"
  command -v etcd >/dev/null || die "etcd not found (install etcd-server)"
  base=${3:-${HA_BASE_PORT:-26100}}
  [ -e "$dir/base" ] && die "$dir holds a cluster: stop it first"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd) # absolute: the nodes run from /
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$dir"
    as_owner test -w "$dir" || die "user postgres cannot write $dir (choose a folder under /tmp)"
  fi
  echo "$base" >"$dir/base"
  write_etcd "$base"
  write_patroni "$base"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
  for i in 1 2 3; do
    spawn "$dir/etcd$i.log" "$dir/etcd$i.pid" sh "$dir/etcd$i.sh"
  done
  n=0
  until ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$((base + 21))" endpoint health >/dev/null 2>&1; do
    n=$((n + 1))
    [ "$n" -lt 60 ] || { cat "$dir"/etcd*.log >&2; die "etcd did not start"; }
    sleep 0.5
  done
  spawn "$dir/patroni1.log" "$dir/patroni1.pid" patroni "$dir/pg1.yml"
  n=0
  until [ -n "$(leader_name)" ]; do
    n=$((n + 1))
    [ "$n" -lt 120 ] || { cat "$dir/patroni1.log" >&2; die "no leader after 60 s"; }
    sleep 0.5
  done
  for i in 2 3; do
    spawn "$dir/patroni$i.log" "$dir/patroni$i.pid" patroni "$dir/pg$i.yml"
  done
  wait_healthy 240 || { cat "$dir"/patroni*.log >&2; die "standbys did not start streaming"; }
  lport=$((base + $(leader_name | tr -d pg)))
  PGOPTIONS="-c client_min_messages=warning" as_owner "$PGBIN/psql" -X -q -h 127.0.0.1 \
    -p "$lport" -U postgres -d postgres -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null ||
    die "cannot create PostGIS"
  hosts=127.0.0.1,127.0.0.1,127.0.0.1
  ports="$((base + 1)),$((base + 2)),$((base + 3))"
  echo "host=$hosts port=$ports user=postgres dbname=postgres target_session_attrs=read-write connect_timeout=2" >"$dir/conninfo"
  echo "postgresql://postgres@127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2)),127.0.0.1:$((base + 3))/postgres?target_session_attrs=read-write&connect_timeout=2" >"$dir/uri"
  cat "$dir/conninfo" "$dir/uri"
  ;;
status)
  [ -f "$dir/base" ] || die "no cluster in $dir"
  patronictl -c "$dir/pg1.yml" list
  ;;
leader)
  [ -f "$dir/base" ] || die "no cluster in $dir"
  leader_name
  ;;
pid)
  node=${3:-}
  [ -f "$dir/$node/data/postmaster.pid" ] || die "no postmaster.pid for $node"
  head -1 "$dir/$node/data/postmaster.pid"
  ;;
wait)
  [ -f "$dir/base" ] || die "no cluster in $dir"
  wait_healthy "${3:-240}" || die "no leader with 2 streaming standbys"
  ;;
stop)
  if [ -f "$dir/base" ]; then
    # Patroni stops its PostgreSQL on SIGTERM; a stopped node first resumes.
    for i in 1 2 3; do
      if [ -f "$dir/pg$i/data/postmaster.pid" ]; then
        pm=$(head -1 "$dir/pg$i/data/postmaster.pid")
        kill -CONT "$pm" 2>/dev/null || true
        pkill -CONT -P "$pm" 2>/dev/null || true
      fi
    done
    stop_all patroni 60 0.5
    for i in 1 2 3; do
      if [ -f "$dir/pg$i/data/postmaster.pid" ]; then
        as_owner "$PGBIN/pg_ctl" -D "$dir/pg$i/data" -m immediate -w stop >/dev/null 2>&1 || true
      fi
    done
    stop_all etcd 20 0.25
  fi
  rm -rf "$dir"
  ;;
*)
  die "unknown command $cmd"
  ;;
esac
