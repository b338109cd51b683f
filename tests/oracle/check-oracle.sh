#!/bin/sh
# PostGIS oracle check (issue 2, item 5): builds tests/oracle/oracle.c against
# build/libdeconflict.a, starts a throwaway PostgreSQL 15 + PostGIS cluster on a
# loopback port, compares the engine with ST_DWithin/ST_Distance on geography on
# ORACLE_PAIRS (default 25000) seeded pairs (ORACLE_SEED) plus the committed
# cases in tests/oracle/cases/, and removes the cluster. New failing pairs are
# written to build/oracle/cases/ (copy one into tests/oracle/cases/ to keep it).
set -eu
cd "$(dirname "$0")/../.."

[ -f build/libdeconflict.a ] || make -s build/libdeconflict.a
PKGS=$(sed -n 's/^PKGS *:= *//p' Makefile)
mkdir -p build/oracle/cases
# shellcheck disable=SC2046,SC2086
${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O2 -g \
  -Iinclude $(pkg-config --cflags $PKGS) -o build/oracle/oracle tests/oracle/oracle.c \
  build/libdeconflict.a $(pkg-config --libs $PKGS) -lm -lpthread

dir=$(mktemp -d /tmp/deconflict-oracle.XXXXXX)
trap 'tests/support/pgcluster.sh stop "$dir"' EXIT INT TERM
tests/support/pgcluster.sh start "$dir" >/dev/null
tests/support/pgcluster.sh ext "$dir" postgis
build/oracle/oracle --conninfo "$(tests/support/pgcluster.sh conninfo "$dir")" \
  --pairs "${ORACLE_PAIRS:-25000}" --seed "${ORACLE_SEED:-20141202}" \
  --cases tests/oracle/cases --write-cases build/oracle/cases
