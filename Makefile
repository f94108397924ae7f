# vibe-schedd — plain GNU Makefile with pkg-config.
#
#   make run     install missing Debian packages, build, run the daemon in the
#                foreground on the embedded defaults (state in .vibe_piper/)
#   make check   install missing Debian packages, build with gcc and clang,
#                run every test, then run them again under ASan+UBSan
#   make bench   benchmarks (tables on stdout; never timed assertions)
#
# Sources are found by wildcard, so adding a file needs no edit here:
#   daemon/main.c -> vibe-schedd, client/main.c -> vibectl,
#   every other .c of proto/ store/ daemon/ client/ goes into a static
#   library, tests/unit/test-NAME.c -> $(BUILD)/tests/test-NAME.

BUILD ?= build
CC ?= cc
PREFIX ?= /usr/local
VERSION := 0.1.0

PKGS := libevent jansson libsystemd
DEB_PKGS := libevent-dev libjansson-dev libsystemd-dev libcmocka-dev \
	pkg-config python3 socat strace procps jq valgrind clang \
	libclang-rt-14-dev \
	debhelper dpkg-dev lintian groff-base man-db

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Werror
CFLAGS ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -I. \
	-DVIBE_VERSION='"$(VERSION)"' $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_CFLAGS)
LIBS = $(PKG_LIBS) -lm -lpthread

CORE_SRC := $(wildcard proto/*.c) $(wildcard store/*.c) \
	$(filter-out daemon/main.c,$(wildcard daemon/*.c))
CLIENT_SRC := $(filter-out client/main.c,$(wildcard client/*.c))
UNIT_SRC := $(wildcard tests/unit/test-*.c)

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%)

DAEMON := $(BUILD)/vibe-schedd
CLIENT := $(BUILD)/vibectl

.PHONY: all run check test unit integ diff deps check-asan check-clang \
	check-layering check-valgrind bench clean
.SECONDARY:
all: $(DAEMON) $(CLIENT) $(UNIT_BIN) $(HELPER_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libcore.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libclient.a: $(CLIENT_OBJ) $(filter $(BUILD)/proto/%,$(CORE_OBJ))
	@rm -f $@
	ar rcs $@ $^

$(DAEMON): $(BUILD)/daemon/main.o $(BUILD)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(CLIENT): $(BUILD)/client/main.o $(BUILD)/libclient.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/test-%: $(BUILD)/tests/unit/test-%.o $(BUILD)/libcore.a $(BUILD)/libclient.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(BUILD)/tests/%: $(BUILD)/tests/helpers/%.o $(BUILD)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# ---- entry points of the README ------------------------------------------

deps:
	@./tests/ensure-deps.sh $(DEB_PKGS)

run: deps
	@$(MAKE) --no-print-directory all
	@echo "vibe-schedd in the foreground (Ctrl-C stops it); from another terminal: ./$(CLIENT) status"
	./$(DAEMON) $(RUN_ARGS)

# Everything CI runs: the layering rule, a clang build (warnings are
# errors), the gcc build's unit tests, the whole integration suite with the
# daemon under valgrind, then everything again under ASan+UBSan, then each
# fuzz target for FUZZ_SECONDS.
check: deps
	@$(MAKE) --no-print-directory check-layering
	@$(MAKE) --no-print-directory check-clang
	@$(MAKE) --no-print-directory all
	@UNIT=1 INTEG=0 ./tests/run-tests.sh $(BUILD)
	@$(MAKE) --no-print-directory check-valgrind
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory fuzz

check-valgrind: all
	@UNIT=0 VIBE_VALGRIND=1 ./tests/run-tests.sh $(BUILD)

check-clang:
	@$(MAKE) --no-print-directory all BUILD=build-clang CC=clang

check-asan:
	@$(MAKE) --no-print-directory test BUILD=build-asan CFLAGS="-O1 -g" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

test: all
	@./tests/run-tests.sh $(BUILD)

# proto/ and store/ never reach into libevent or the daemon (STYLE.md).
check-layering:
	@bad=$$(grep -nE '#include *[<"](event2/|event\.h|\.\./daemon/|daemon/|client/)' proto/*.[ch] store/*.[ch] 2>/dev/null; \
	  grep -nE '#include *[<"](event2/|\.\./daemon/|daemon/|store/)' client/*.[ch] 2>/dev/null); \
	  if [ -n "$$bad" ]; then echo "layering violation:"; echo "$$bad"; exit 1; fi; \
	  echo "layering: ok"

bench: deps
	@$(MAKE) --no-print-directory all BUILD=build-bench CFLAGS="-O2 -g"
	@./bench/run.sh build-bench

include packaging/packaging.mk
-include tests/fuzz/fuzz.mk

clean:
	rm -rf build build-*

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
