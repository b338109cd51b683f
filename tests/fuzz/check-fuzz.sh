#!/bin/sh
# make test's fuzz step (issue 7): builds every libFuzzer target with clang
# (Makefile section "Fuzzing") and runs each for a fixed number of
# executions over its seed corpus, after replaying every reproducer in
# fuzz/regressions/<target>/. FUZZ_RUNS overrides the count (default 20000).
set -eu
cd "$(dirname "$0")/../.."
make -s fuzz-build
./fuzz/run.sh --runs "${FUZZ_RUNS:-20000}"
