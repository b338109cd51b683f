#!/bin/sh
# make run: the deconfliction server on 127.0.0.1:8080 over an SQLite store in
# build/. The first run creates the store; its authority key (shown once by
# `deconflict init`) is kept in build/authority.key (mode 600) for this
# development setup only, and printed with the URL.
set -eu
cd "$(dirname "$0")/.."
STORE=build/deconflict.db
KEYFILE=build/authority.key
LISTEN=${DC_LISTEN:-127.0.0.1:8080}
if [ ! -f "$STORE" ]; then
  umask 077
  build/deconflict init --store "$STORE" --authority authority > "$KEYFILE"
fi
echo "deconflict: http://$LISTEN  (store $STORE)"
[ -f "$KEYFILE" ] && echo "authority key: $(cat "$KEYFILE")"
echo "try: curl -H \"Authorization: Bearer \$(cat $KEYFILE)\" http://$LISTEN/v1/operators"
exec build/deconflict serve --store "$STORE" --listen "$LISTEN"
