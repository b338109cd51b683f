#!/bin/sh
# Proves the README on a brand-new Debian 12 root: mmdebstrap builds a minbase
# bookworm root from the host's Debian apt sources, the commit is cloned into
# it, and inside (chroot with /proc, a read-only /sys and a /dev of its own)
# the README's `make test`
# runs, then `make run` until /healthz answers, the page is served and the
# scenario is loaded, then `make install DESTDIR=...`. Everything is unmounted
# and removed afterwards, also on failure. CI runs this (.ci/run); a developer
# can too, as root: scripts/fresh-debian-check.sh [COMMIT] (default HEAD).
#
# The host's trust settings are brought in at run time, never into the
# repository: its local CA certificates (/usr/local/share/ca-certificates) and
# its npm settings (/etc/npmrc, ~/.npmrc), so the registries answer inside as
# they do outside. FRESH_KEEP=1 keeps the root for inspection;
# FRESH_STEPS="test run install" picks steps (and "cmd" runs $FRESH_CMD).
set -eu
cd "$(dirname "$0")/.."
REPO=$(pwd)
COMMIT=$(git rev-parse "${1:-HEAD}")
STEPS=${FRESH_STEPS:-test run install}
[ "$(id -u)" -eq 0 ] || { echo "fresh-debian-check: run as root (chroot and mounts)" >&2; exit 2; }

if ! command -v mmdebstrap >/dev/null 2>&1; then
  echo "fresh-debian-check: installing mmdebstrap" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap >&2
fi

ROOT=$(mktemp -d /var/tmp/dc-fresh.XXXXXX)
WORK=/root/deconflict
log() { echo "fresh-debian-check: $(date -u +%H:%M:%S) $*"; }

cleanup() {
  rc=$?
  trap - EXIT INT TERM
  # Stop whatever the steps left running inside the root before unmounting.
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [ "$r" = "$ROOT" ] && kill -9 "${p#/proc/}" 2>/dev/null || true
  done
  sleep 1
  for m in dev/shm dev/pts dev sys proc; do
    if mountpoint -q "$ROOT/$m" 2>/dev/null; then
      umount "$ROOT/$m" 2>/dev/null || umount -l "$ROOT/$m"
    fi
  done
  if [ "${FRESH_KEEP:-0}" = 1 ]; then
    log "root kept in $ROOT"
  elif grep -q " $ROOT/" /proc/mounts; then
    log "something is still mounted under $ROOT; not removing it" >&2
    rc=1
  else
    rm -rf "$ROOT"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Only Debian's own sources: the registries CI reaches.
SOURCES=""
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] && grep -q 'debian\.org' "$f" && SOURCES="$SOURCES $f"
done
[ -n "$SOURCES" ] || { echo "fresh-debian-check: no Debian apt sources on this host" >&2; exit 2; }

log "mmdebstrap bookworm into $ROOT (sources:$SOURCES)"
# shellcheck disable=SC2086
mmdebstrap --variant=minbase --include=make,git,ca-certificates bookworm "$ROOT" $SOURCES

# Host trust settings, at run time only.
if [ -d /usr/local/share/ca-certificates ]; then
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp -a /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/"
fi
[ -f /etc/npmrc ] && cp /etc/npmrc "$ROOT/etc/npmrc"
[ -f "$HOME/.npmrc" ] && cp "$HOME/.npmrc" "$ROOT/root/.npmrc"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true

# /proc and /sys as fresh mounts (sysfs read-only); /dev as the root's own
# tmpfs holding the usual nodes, a private devpts and a /dev/shm, rather than
# the host's /dev bound in: package scripts and tests inside then cannot
# remove or replace the host's device nodes, and removing the root can never
# reach them.
mount -t proc proc "$ROOT/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$ROOT/sys"
mount -t tmpfs -o mode=755,nosuid,size=64k dev "$ROOT/dev"
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  set -- $n
  mknod -m 666 "$ROOT/dev/$1" c "$2" "$3"
done
mkdir -m 755 "$ROOT/dev/pts"
mkdir -m 1777 "$ROOT/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,nosuid,noexec devpts "$ROOT/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$ROOT/dev/shm"
ln -s pts/ptmx "$ROOT/dev/ptmx"
ln -s /proc/self/fd "$ROOT/dev/fd"
ln -s /proc/self/fd/0 "$ROOT/dev/stdin"
ln -s /proc/self/fd/1 "$ROOT/dev/stdout"
ln -s /proc/self/fd/2 "$ROOT/dev/stderr"

inside() {
  env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TERM=dumb CI="${CI:-}" chroot "$ROOT" /bin/sh -c "$1"
}

inside "update-ca-certificates >/dev/null"
git clone -q --no-local "$REPO" "$ROOT$WORK"
git -C "$ROOT$WORK" checkout -q "$COMMIT"
log "cloned $COMMIT"

for step in $STEPS; do
  case "$step" in
  test)
    log "make test (the README's command) in the fresh root"
    inside "cd $WORK && make test"
    log "make test passed"
    ;;
  run)
    log "make run in the fresh root"
    inside "cd $WORK && sh tests/readme/run-smoke.sh"
    log "make run served the scenario"
    ;;
  install)
    log "make install into a DESTDIR in the fresh root"
    inside "cd $WORK && if [ -f tests/contrib/check-install.sh ]; then sh tests/contrib/check-install.sh; else echo 'no install check yet'; fi"
    ;;
  cmd)
    # FRESH_STEPS=cmd FRESH_CMD="...": a developer's own command in the root.
    log "running FRESH_CMD in the fresh root"
    inside "cd $WORK && ${FRESH_CMD:-true}"
    ;;
  *) echo "fresh-debian-check: unknown step $step" >&2; exit 2 ;;
  esac
done
log "all steps passed: $STEPS"
