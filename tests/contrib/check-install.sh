#!/bin/sh
# `make install DESTDIR=... PREFIX=/usr` lays out the binary, the web
# display, the man page, the systemd unit and its config; the installed
# binary prints its version and, with no --web-dir, serves the page from the
# installed web directory (found beside it, or through the DATADIR compiled
# in when the binary is moved away); the man page is clean (groff -ww) and
# documents every subcommand and every option that the subcommands' --help
# lists; `make uninstall` removes it all but the config.
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
tmp=$(mktemp -d /tmp/dc-install-XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() { echo "check-install: $*" >&2; exit 1; }

make -s install DESTDIR="$tmp/dest" PREFIX=/usr > "$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; fail "make install failed"; }
bin="$tmp/dest/usr/bin/deconflict"
web="$tmp/dest/usr/share/deconflict/web"
man="$tmp/dest/usr/share/man/man1/deconflict.1"
[ -x "$bin" ] || fail "no executable $bin"
for f in $(cd web && find . -type f); do
  cmp -s "web/$f" "$web/$f" || fail "web/$f not installed as $web/$f"
done
[ -f "$man" ] || fail "no man page $man"
unit="$tmp/dest/usr/lib/systemd/system/deconflict.service"
conf="$tmp/dest/etc/deconflict/config.json"
[ -f "$unit" ] && [ -f "$conf" ] || fail "no systemd unit or no /etc/deconflict/config.json"
stray=$(find "$tmp/dest" -type f ! -path "$tmp/dest/usr/bin/*" ! -path "$tmp/dest/usr/share/*" \
  ! -path "$unit" ! -path "$conf")
[ -z "$stray" ] || fail "unexpected files installed: $stray"

# Version: one source, VERSION.
v=$("$bin" --version)
case "$v" in "deconflict $(cat VERSION)"*) ;; *) fail "--version printed '$v'";; esac
[ "$("$bin" version)" = "$v" ] || fail "version and --version differ"

# Man page: no groff warnings, every command and option documented.
warn=$(groff -man -Tutf8 -ww -z "$man" 2>&1) || fail "groff failed: $warn"
[ -z "$warn" ] || fail "groff warnings in the man page: $warn"
cmds=$("$bin" --help | awk '/^commands:/ {on=1; next} on && NF {print $1}')
[ -n "$cmds" ] || fail "no commands in deconflict --help"
for c in $cmds; do
  grep -q "^\.SS \"deconflict $c" "$man" || fail "man page has no section for '$c'"
  for o in $("$bin" $c --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    grep -q -- "$(echo "$o" | sed 's/-/\\\\-/g')" "$man" || fail "man page lacks '$c $o'"
  done
done

# The installed binary serves the installed page, not the source tree's:
# a file that only the installed web directory holds must be served.
# serve_marker BIN MARKER: start BIN serve (from $tmp, no --web-dir), GET
# /install-marker.txt and / and stop it.
serve_marker() {
  rm -f "$tmp/store.db"* "$tmp/url"
  "$1" init --store "$tmp/store.db" > "$tmp/key"
  cd "$tmp"
  "$1" serve --store "$tmp/store.db" --listen 127.0.0.1:0 > "$tmp/url" 2> "$tmp/serve.log" &
  pid=$!
  cd "$root"
  i=0
  while [ ! -s "$tmp/url" ]; do
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$tmp/serve.log"; fail "server did not start"; }
    sleep 0.1
  done
  url=$(head -n 1 "$tmp/url")
  [ "$(curl -fsS "$url/install-marker.txt")" = "$2" ] || fail "$1 does not serve its installed web directory"
  curl -fsS "$url/" > "$tmp/index.html" || fail "GET / failed"
  cmp -s "$tmp/index.html" web/index.html || fail "GET / is not the installed index.html"
  kill "$pid"; wait "$pid" || fail "server did not stop cleanly"; pid=""
}
echo "installed-$$" > "$web/install-marker.txt"
serve_marker "$bin" "installed-$$"

# The DATADIR compiled in: a binary moved away from its tree finds it too.
make -s install PREFIX="$tmp/prefix" > "$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; fail "make install PREFIX=$tmp/prefix failed"; }
mkdir -p "$tmp/moved/bin"
cp "$tmp/prefix/bin/deconflict" "$tmp/moved/bin/"
echo "datadir-$$" > "$tmp/prefix/share/deconflict/web/install-marker.txt"
serve_marker "$tmp/moved/bin/deconflict" "datadir-$$"

rm "$web/install-marker.txt"
make -s uninstall DESTDIR="$tmp/dest" PREFIX=/usr > "$tmp/make.log" 2>&1 || fail "make uninstall failed"
left=$(find "$tmp/dest" -type f ! -path "$conf")
[ -z "$left" ] || fail "left after uninstall: $left"
echo "check-install: ok ($v; $(echo $cmds | wc -w) commands in the man page)"
