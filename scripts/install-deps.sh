#!/bin/sh
# Installs every Debian package that deconflict's build, tests and benchmarks
# need, and only when one is missing. Every make target calls this first, so a
# fresh Debian 12 machine needs nothing but `make run` or `make test`.
# The list is the single place where dependencies are pinned (to Debian 12's
# stable versions; the suite name pins the ABI).
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev \
libgeos-dev libproj-dev libsqlite3-dev sqlite3 libpq-dev libmicrohttpd-dev \
libjansson-dev libssl-dev libcmocka-dev libcurl4-openssl-dev \
postgresql-15 postgresql-15-postgis-3 patroni etcd-server etcd-client python3 python3-pytest curl clang-format \
chromium systemd man-db groff-base tshark dump1090-mutability libxml2-dev gdal-bin \
golang-go golang-golang-x-mod-dev python3-cryptography"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js may come from Debian or NodeSource (whose nodejs bundles npm and
# conflicts with Debian's npm): install Debian's only when node is absent.
command -v node >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2 || true
$SUDO apt-get install -y -q --no-install-recommends $missing >&2
