#!/bin/sh
# make run: a fresh deconfliction server on 127.0.0.1:8080 (DC_LISTEN) over an
# SQLite store in build/run/, with the reference scenario loaded and its
# tracks streamed in real time by `deconflict simulate`, placed so that now
# is 06:55 of the scenario day (DC_AT): the converging pair and the drifting
# aircraft show up within minutes. DC_SCALE=N adds N generated operators.
# Prints the URL, the scenario clock in real UTC and the keys; Ctrl-C stops
# the server and the simulator.
#
# build/run/ belongs to one `make run` at a time: a lock (build/run.lock,
# held for the whole run) makes a second one refuse before it touches the
# live store. The authority key reaches the simulator through a 0600 file,
# never a command line.
set -eu
cd "$(dirname "$0")/.."
DIR=build/run
LISTEN=${DC_LISTEN:-127.0.0.1:8080}
mkdir -p build
exec 9>build/run.lock
if ! flock -n 9; then
  echo "run: another 'make run' holds $DIR (its server and store are live); stop it first (Ctrl-C there)" >&2
  exit 1
fi
rm -rf "$DIR"
mkdir -p "$DIR"
chmod 700 "$DIR"
umask 077
build/deconflict init --store "$DIR/store.db" --authority iraq > "$DIR/authority.key"
KEY=$(cat "$DIR/authority.key")
SERVE=""
SIM=""
cleanup() {
  trap - INT TERM EXIT
  [ -n "$SIM" ] && kill "$SIM" 2>/dev/null || true
  [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The lock stays with this shell only: children must not inherit fd 9, or a
# server left behind would keep build/run locked.
build/deconflict serve --store "$DIR/store.db" --listen "$LISTEN" > "$DIR/url" 2> "$DIR/serve.log" 9>&- &
SERVE=$!
i=0
while [ ! -s "$DIR/url" ]; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 "$SERVE" 2>/dev/null; then
    cat "$DIR/serve.log" >&2
    echo "run: the server did not start (is $LISTEN in use? DC_LISTEN=127.0.0.1:PORT picks another)" >&2
    exit 1
  fi
  sleep 0.1
done
URL=$(head -n 1 "$DIR/url")
build/deconflict simulate --url "$URL" --key-file "$DIR/authority.key" --scenario examples/scenario/iraq.json \
  --at "${DC_AT:-06:55}" --scale "${DC_SCALE:-0}" --keys-out "$DIR/keys" \
  > "$DIR/clock" 2> "$DIR/simulate.log" 9>&- &
SIM=$!
i=0
while [ ! -s "$DIR/keys" ] && [ $i -lt 300 ] && kill -0 "$SIM" 2>/dev/null; do i=$((i + 1)); sleep 0.1; done
echo "deconflict: $URL/  (store $DIR/store.db, logs in $DIR/)"
[ -s "$DIR/clock" ] && cat "$DIR/clock"
echo "authority (iraq) key: $KEY"
[ -s "$DIR/keys" ] && sed 's/^/operator key: /' "$DIR/keys"
echo "open $URL/ and sign in with a key; Ctrl-C stops the server and the simulator"
wait "$SERVE"
