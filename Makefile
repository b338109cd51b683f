# deconflict build. Sources are found by wildcard: a new file under src/<module>/
# joins the library, src/cli/ builds the binary, tests/<module>/test_*.c become
# cmocka test programs (built plain and with ASan+UBSan), bench/bench_*.c
# become benchmarks.
#
# Two passes. The first (DC_DEPS_DONE unset) evaluates nothing that depends on
# installed packages: it runs scripts/install-deps.sh, then runs make again
# with the same goals. Only that second pass asks pkg-config for flags, so on a
# fresh Debian 12 machine the -dev packages exist before anyone reads them.
NO_DEPS_GOALS := clean format uninstall
ifeq ($(DC_DEPS_DONE)$(filter-out $(NO_DEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
# only clean/format asked for: no packages needed
DC_DEPS_DONE := 1
endif

ifndef DC_DEPS_DONE
GOALS := $(or $(MAKECMDGOALS),all)
.PHONY: $(GOALS) deps-first
$(GOALS): deps-first
	@$(MAKE) --no-print-directory DC_DEPS_DONE=1 $@
deps-first:
	@./scripts/install-deps.sh
else

CC      ?= cc
PKGS    := proj sqlite3 libpq libmicrohttpd jansson libcrypto geos libcurl libxml-2.0
CFLAGS  ?= -O2 -g
# -Wno-format-truncation: JSON field paths are bounded buffers; a clipped
# error path is acceptable and snprintf never overflows.
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wno-format-truncation \
           -Iinclude -Isrc $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
ifneq ($(filter-out $(NO_DEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
ifeq ($(PKG_LIBS),)
$(error pkg-config gives no flags for $(PKGS): run ./scripts/install-deps.sh)
endif
endif
LDLIBS  := $(PKG_LIBS) -lm -lpthread
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
all: build/deconflict build/asan/deconflict

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

unit-test: $(TESTS) $(ASAN_TESTS)
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

# The web display's place names and airports (web/vendor/places/), derived
# from the npm packages pinned in scripts/web-data/package-lock.json; the
# output is committed, so the page and its tests need no network.
.PHONY: web-data
web-data:
	cd scripts/web-data && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && node build.mjs

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

fuzz-build: $(FUZZERS)

fuzz: fuzz-build
	@./fuzz/run.sh $(if $(FUZZ_SECONDS),--seconds $(FUZZ_SECONDS),--runs $(FUZZ_EXECS)) $(FUZZ_TARGETS)

# --- Soak (issue 7): the reliability tests at length. SOAK_CYCLES kill
# cycles of tests/crash (default 1000, about 25 minutes; make test runs 100).
# Then 20 PostgreSQL failovers under load (issue 15, tests/ha).
.PHONY: soak
soak: all
	@CRASH_CYCLES=$${SOAK_CYCLES:-1000} ./tests/crash/check-crash.sh
	@DC_SOAK=1 ./tests/pg/check-torture.sh
	@DC_SOAK=1 ./tests/ha/check-ha.sh

# --- The Patroni failover test (issue 15) alone: one kill, one hang, one
# switchover under load, on the sanitized build (make test runs it too).
.PHONY: ha-test
ha-test: all
	@./tests/ha/check-ha.sh

# --- Version and install (issue 11). The version is VERSION, plus the git
# commit (and ".dirty") when built from a git checkout; it and DATADIR are
# compiled into src/cli/version.c only, which is rebuilt when either changes.
# `make install` honours PREFIX (default /usr/local) and DESTDIR.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share/deconflict
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR    ?= $(PREFIX)/lib/systemd/system
DC_VERSION  = $(eval DC_VERSION := $(shell sh -c 'v=$$(cat VERSION); \
  r=$$(git rev-parse --short HEAD 2>/dev/null) || { echo "$$v"; exit 0; }; \
  git diff --quiet HEAD 2>/dev/null || r="$$r.dirty"; echo "$$v+g$$r"'))$(DC_VERSION)
VERSION_OBJ := build/obj/src/cli/version.o build/asan/src/cli/version.o build/fuzz/obj/src/cli/version.o

.PHONY: FORCE
build/version.txt: FORCE
	@mkdir -p build
	@v='$(DC_VERSION) $(DATADIR)'; [ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" > $@

$(VERSION_OBJ): build/version.txt
$(VERSION_OBJ): CFLAGS += -DDC_VERSION='"$(DC_VERSION)"' -DDC_DATADIR='"$(DATADIR)"'

# The binary, the web display's files (which an installed binary serves by
# default), the man page, the systemd unit (its paths set to BINDIR and
# SYSCONFDIR) and, unless one is there, SYSCONFDIR/deconflict/config.json.
# `make uninstall` removes them but the configuration. Plain files, so a
# Debian package can call it with DESTDIR=debian/tmp PREFIX=/usr.
.PHONY: install uninstall
install: build/deconflict
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/web $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/deconflict
	install -m 755 build/deconflict $(DESTDIR)$(BINDIR)/deconflict
	cd web && find . -type f | while read -r f; do \
	  install -D -m 644 "$$f" "$(DESTDIR)$(DATADIR)/web/$$f" || exit 1; done
	install -m 644 man/deconflict.1 $(DESTDIR)$(MANDIR)/man1/deconflict.1
	sed -e 's|/usr/bin/deconflict|$(BINDIR)/deconflict|g' -e 's|/etc/deconflict|$(SYSCONFDIR)/deconflict|g' \
	  contrib/systemd/deconflict.service > $(DESTDIR)$(UNITDIR)/deconflict.service
	chmod 644 $(DESTDIR)$(UNITDIR)/deconflict.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/deconflict/config.json ] || \
	  install -m 644 contrib/systemd/config.json $(DESTDIR)$(SYSCONFDIR)/deconflict/config.json

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/deconflict $(DESTDIR)$(MANDIR)/man1/deconflict.1 \
	  $(DESTDIR)$(UNITDIR)/deconflict.service
	rm -rf $(DESTDIR)$(DATADIR)

endif # DC_DEPS_DONE
