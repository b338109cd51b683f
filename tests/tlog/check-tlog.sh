#!/bin/sh
# The independent verifier (issue 14): Go's own sumdb/note and sumdb/tlog,
# from Debian's golang-golang-x-mod-dev, built offline in GOPATH mode, check
# checkpoints, tree hashes and proofs that our library made for random logs
# of 1 to 100,000 records.
set -eu
cd "$(dirname "$0")/../.."
[ -x build/libdeconflict.a ] || [ -f build/libdeconflict.a ] || make -s build/libdeconflict.a
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cc -std=c11 -Wall -Wextra -Werror -Iinclude -o "$t/gen_tlog" tests/tlog/gen_tlog.c \
  build/libdeconflict.a $(pkg-config --libs proj sqlite3 libpq libmicrohttpd jansson libcrypto geos libcurl) -lm -lpthread
mkdir -p "$t/gopath/src/gocheck" "$t/cache"
cp tests/tlog/gocheck/main.go "$t/gopath/src/gocheck/"
(cd "$t/gopath/src/gocheck" &&
  GO111MODULE=off GOPATH="$t/gopath:/usr/share/gocode" GOCACHE="$t/cache" GOPROXY=off GOFLAGS= \
    go build -o "$t/gocheck" .)
seed=${TLOG_SEED:-$(date +%s)}
echo "check-tlog: seed $seed"
r=$(awk -v s="$seed" 'BEGIN { srand(s); printf "%d %d %d", 2 + int(rand() * 98), 100 + int(rand() * 9900), 10000 + int(rand() * 90000) }')
"$t/gen_tlog" "$seed" 1 2 3 4 5 7 8 9 15 16 17 31 33 64 100 $r 100000 | "$t/gocheck"
