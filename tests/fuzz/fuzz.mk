# libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined). Included
# from the top Makefile.
#   make fuzz                 every target for FUZZ_SECONDS (default 60) each,
#                             all at once (FUZZ_JOBS=2 for two at a time);
#                             a crash fails the run
#   make fuzz FUZZ_SECONDS=10
# Each target starts from its checked-in corpus tests/fuzz/corpus/NAME/
# (regression inputs live there too) and writes new inputs only to a
# scratch corpus under build-fuzz/, never to the checked-in one.

FUZZ_SECONDS ?= 60
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -I. -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-DVIBE_VERSION='"$(VERSION)"'
FUZZ_TARGETS := request store filter cron interval
FUZZ_SRC_request := proto/frame.c proto/jsonrpc.c proto/params.c proto/xalloc.c
FUZZ_SRC_store := store/store.c store/store-log.c store/store-load.c proto/xalloc.c
FUZZ_SRC_filter := daemon/filter.c proto/xalloc.c
FUZZ_SRC_cron := daemon/cron.c daemon/tz.c daemon/timefmt.c proto/xalloc.c
FUZZ_SRC_interval := daemon/interval.c proto/xalloc.c

.PHONY: fuzz fuzz-build
$(FUZZ_BUILD)/fuzz-%: tests/fuzz/fuzz-%.c $(wildcard daemon/*.[ch] proto/*.[ch] store/*.[ch])
	@mkdir -p $(FUZZ_BUILD)
	clang $(FUZZ_CFLAGS) $< $(FUZZ_SRC_$*) -ljansson -lpthread -o $@

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz-%)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@./tests/fuzz/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
