#!/bin/sh
# The systemd unit (contrib/systemd/deconflict.service), as `make install`
# lays it out: `systemd-analyze verify` reports nothing about it (with its
# man page found), `systemd-analyze security` rates its exposure at most
# 1.5 of 10, the hardening the service promises is there, and its own
# command lines work: run as an unprivileged user without capabilities
# and with no_new_privs, the start step creates the store and the key
# file (mode 600) once and is a no-op after, and the server starts with
# the installed config, answers /healthz and stops cleanly on SIGTERM.
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/dc-systemd-XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() { echo "check-systemd: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (scripts/install-deps.sh installs systemd)"

src=contrib/systemd/deconflict.service
for want in DynamicUser=yes StateDirectory=deconflict ProtectSystem=strict NoNewPrivileges=yes \
    PrivateTmp=yes CapabilityBoundingSet= ProtectHome=yes PrivateDevices=yes \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' SystemCallFilter=@system-service \
    SystemCallArchitectures=native UMask=0077; do
  grep -qx -- "$want" "$src" || fail "$src lacks '$want'"
done

make -s install DESTDIR="$tmp/dest" PREFIX=/usr > "$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; fail "make install failed"; }
bin="$tmp/dest/usr/bin/deconflict"
installed="$tmp/dest/usr/lib/systemd/system/deconflict.service"
grep -q '^ExecStart=/usr/bin/deconflict serve ' "$installed" || fail "installed unit: ExecStart not in /usr/bin"
# verify needs the executables where the unit names them: point at the
# DESTDIR copy. MANPATH lets it find deconflict(1) for Documentation=.
mkdir "$tmp/unit"
sed "s|/usr/bin/deconflict|$bin|g" "$installed" > "$tmp/unit/deconflict.service"
rc=0
MANPATH="$tmp/dest/usr/share/man" systemd-analyze verify "$tmp/unit/deconflict.service" > "$tmp/verify.log" 2>&1 || rc=$?
if [ $rc -ne 0 ] || grep -q deconflict "$tmp/verify.log"; then
  cat "$tmp/verify.log"
  fail "systemd-analyze verify: exit $rc or warnings about the unit"
fi
systemd-analyze security --offline=yes --threshold=15 "$tmp/unit/deconflict.service" > "$tmp/security.log" 2>&1 ||
  { cat "$tmp/security.log"; fail "exposure over 1.5"; }
exposure=$(grep -o 'exposure level for deconflict.service: [0-9.]*' "$tmp/security.log" | awk '{print $NF}')

# The unit's own command lines, with its directories moved under $tmp, as
# nobody, with no capabilities and no_new_privs.
state="$tmp/state"
mkdir -m 700 "$state"
chmod 755 "$tmp"
if [ "$(id -u)" -eq 0 ]; then
  chown 65534:65534 "$state"
  run="setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all"
else
  run="setpriv --no-new-privs"
fi
umask 077 # the unit's UMask
cmdline() {
  sed -n "s|^$1=||p" "$tmp/unit/deconflict.service" |
    sed -e "s|/var/lib/deconflict|$state|g" -e "s|/etc/deconflict|$tmp/dest/etc/deconflict|g" \
        -e 's|${DECONFLICT_LISTEN}|127.0.0.1:0|' -e 's|$DECONFLICT_OPTS||'
}
pre=$(cmdline ExecStartPre)
start=$(cmdline ExecStart)
[ -n "$pre" ] && [ -n "$start" ] || fail "no ExecStartPre/ExecStart in the unit"
$run $pre 2> "$tmp/pre.log" || { cat "$tmp/pre.log"; fail "ExecStartPre failed: $pre"; }
[ -s "$state/store.db" ] || fail "ExecStartPre made no store"
[ "$(stat -c %a "$state/authority.key")" = 600 ] || fail "authority.key is not mode 600"
key=$(cat "$state/authority.key")
case "$key" in dck_*) ;; *) fail "authority.key does not hold a key";; esac
grep -q "$key" "$tmp/pre.log" && fail "the key was logged"
$run $pre 2> "$tmp/pre.log" || { cat "$tmp/pre.log"; fail "second ExecStartPre failed"; }
[ "$(cat "$state/authority.key")" = "$key" ] || fail "second ExecStartPre changed the key"
$run $start > "$tmp/url" 2> "$tmp/serve.log" &
pid=$!
i=0
while [ ! -s "$tmp/url" ]; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat "$tmp/serve.log"; fail "ExecStart did not start: $start"; }
  sleep 0.1
done
url=$(head -n 1 "$tmp/url")
curl -fsS "$url/healthz" | grep -q '"ok"' || fail "/healthz did not answer"
curl -fsS -H "Authorization: Bearer $key" "$url/v1/operations" > /dev/null || fail "the key file's key is refused"
kill -TERM "$pid"
wait "$pid" || fail "serve did not exit 0 on SIGTERM"
pid=""
echo "check-systemd: ok (verify clean, exposure $exposure, command lines run unprivileged)"
