# deconflict build. Sources are found by wildcard: a new file under src/<module>/
# joins the library, src/cli/ builds the binary, tests/<module>/test_*.c become
# cmocka test programs (built plain and with ASan+UBSan), bench/bench_*.c
# become benchmarks. Every target first runs scripts/install-deps.sh.
CC      ?= cc
PKGS    := proj sqlite3 libpq libmicrohttpd jansson libcrypto geos libcurl
CFLAGS  ?= -O2 -g
# -Wno-format-truncation: JSON field paths are bounded buffers; a clipped
# error path is acceptable and snprintf never overflows.
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wno-format-truncation \
           -Iinclude -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC  := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*/test_*.c))
BENCH_SRC:= $(sort $(wildcard bench/bench_*.c))
TEST_SUPPORT := $(sort $(wildcard tests/support/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=build/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=build/obj/%.o)
ASAN_LIB_OBJ := $(LIB_SRC:%.c=build/asan/%.o)
ASAN_CLI_OBJ := $(CLI_SRC:%.c=build/asan/%.o)
TESTS      := $(patsubst tests/%.c,build/tests/%,$(TEST_SRC))
ASAN_TESTS := $(patsubst tests/%.c,build/asan-tests/%,$(TEST_SRC))
BENCHES    := $(patsubst bench/%.c,build/bench/%,$(BENCH_SRC))

.PHONY: all deps test unit-test bench run clean format
all: deps build/deconflict build/asan/deconflict

deps:
	@./scripts/install-deps.sh

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -MMD -MP -c $< -o $@

build/libdeconflict.a: $(LIB_OBJ)
	@mkdir -p build
	rm -f $@ && ar rcs $@ $^

build/asan/libdeconflict.a: $(ASAN_LIB_OBJ)
	@mkdir -p build/asan
	rm -f $@ && ar rcs $@ $^

build/deconflict: $(CLI_OBJ) build/libdeconflict.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) build/libdeconflict.a $(LDLIBS)

build/asan/deconflict: $(ASAN_CLI_OBJ) build/asan/libdeconflict.a
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $(ASAN_CLI_OBJ) build/asan/libdeconflict.a $(LDLIBS)

build/tests/%: tests/%.c $(TEST_SUPPORT) build/libdeconflict.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(TEST_SUPPORT) build/libdeconflict.a $(LDLIBS) -lcmocka -lcurl

build/asan-tests/%: tests/%.c $(TEST_SUPPORT) build/asan/libdeconflict.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -Itests -o $@ $< $(TEST_SUPPORT) build/asan/libdeconflict.a $(LDLIBS) -lcmocka -lcurl

build/bench/%: bench/%.c build/libdeconflict.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O3 -march=native -Ibench -o $@ $< build/libdeconflict.a $(LDLIBS)

unit-test: deps $(TESTS) $(ASAN_TESTS)
	@set -e; for t in $(TESTS) $(ASAN_TESTS); do echo "== $$t"; $$t; done

# Unit tests (plain and sanitized), then every tests/*/check-*.sh script
# (integration: real binary, real PostgreSQL/PostGIS, real HTTP, browser).
test: all unit-test
	@./scripts/check-layers.sh --self-test && ./scripts/check-layers.sh
	@clang-format --dry-run -Werror $(FORMAT_SRC) && echo "clang-format: clean"
	@./tests/run-checks.sh

bench: all $(BENCHES)
	@./bench/run.sh

run: all
	@./scripts/run.sh

# Every C file of the tree, headers too: make format rewrites them, make
# test checks them.
FORMAT_SRC := $(sort $(wildcard src/*/*.[ch] include/deconflict/*.h tests/*/*.[ch] bench/*.[ch] fuzz/*.[ch]))
format:
	clang-format -i $(FORMAT_SRC)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# --- Fuzzing (issue 7): libFuzzer targets fuzz/fuzz_*.c, built with clang
# (Debian's clang + libclang-rt-14-dev) under ASan+UBSan. The library is
# rebuilt for them with -fsanitize=fuzzer-no-link; -Werror is dropped there
# only, because clang warns where gcc (the project's compiler) does not.
# `make fuzz` runs each target FUZZ_EXECS executions (10 million; or
# FUZZ_SECONDS each when set; FUZZ_TARGETS="a b" to pick);
# `make test` runs each FUZZ_RUNS executions through tests/fuzz/check-fuzz.sh.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?=
FUZZ_EXECS   ?= 10000000
FUZZ_RUNS    ?= 20000
FUZZ_TARGETS ?=
FUZZ_SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = $(filter-out -Werror -Wno-format-truncation,$(CFLAGS)) $(FUZZ_SAN)
FUZZ_SRC     := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZERS      := $(patsubst fuzz/%.c,build/fuzz/bin/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_CLI_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(filter-out src/cli/main.c,$(CLI_SRC)))

.PHONY: fuzz fuzz-build
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

build/fuzz/libdeconflict.a: $(FUZZ_LIB_OBJ)
	@mkdir -p build/fuzz
	rm -f $@ && ar rcs $@ $^

build/fuzz/libcli.a: $(FUZZ_CLI_OBJ)
	@mkdir -p build/fuzz
	rm -f $@ && ar rcs $@ $^

build/fuzz/bin/%: fuzz/%.c fuzz/fuzz_common.h build/fuzz/libcli.a build/fuzz/libdeconflict.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -Ifuzz -fsanitize=fuzzer -o $@ $< build/fuzz/libcli.a build/fuzz/libdeconflict.a $(LDLIBS)

fuzz-build: deps $(FUZZERS)

fuzz: fuzz-build
	@./fuzz/run.sh $(if $(FUZZ_SECONDS),--seconds $(FUZZ_SECONDS),--runs $(FUZZ_EXECS)) $(FUZZ_TARGETS)

# --- Soak (issue 7): the reliability tests at length. SOAK_CYCLES kill
# cycles of tests/crash (default 1000, about 25 minutes; make test runs 100).
.PHONY: soak
soak: all
	@CRASH_CYCLES=$${SOAK_CYCLES:-1000} ./tests/crash/check-crash.sh
	@DC_SOAK=1 ./tests/pg/check-torture.sh
