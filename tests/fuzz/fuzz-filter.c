/*
 * libFuzzer target for daemon/filter.c: the input is a filter JSON and an
 * event JSON separated by the first NUL or newline byte (no separator: the
 * event is {}). The filter is compiled; a refusal must name a path and a
 * cause beginning "filter"; an accepted filter is matched against the event,
 * and its verdict must equal the AND of one-clause filters built from each
 * of its keys. Owns nothing else; every object is freed, so ASan reports
 * leaks too. Built only by a fuzz rule, never by `make all`:
 *   clang -std=gnu11 -D_GNU_SOURCE -I. -g \
 *     -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz-filter.c \
 *     daemon/filter.c proto/xalloc.c -ljansson -o fuzz-filter
 *   ./fuzz-filter -max_total_time=30 /tmp/fcorpus tests/fuzz/corpus/filter
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DECODE_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

static void check_refusal(int r, struct filter *f, char *path, char *cause)
{
	if (r != -EINVAL || f != NULL || !path || !cause ||
	    strncmp(cause, "filter", 6) != 0)
		abort();
	free(path);
	free(cause);
}

/* Whether every clause of SPEC, compiled alone, matches EVENT. */
static bool match_by_clause(json_t *spec, const json_t *event)
{
	const char *key;
	json_t *m, *one;
	struct filter *f;
	char *path, *cause;
	bool all = true;

	json_object_foreach(spec, key, m) {
		one = json_object();
		json_object_set(one, key, m);
		if (filter_compile(one, &f, &path, &cause) < 0)
			abort();
		all = filter_match(f, event) && all;
		filter_free(f);
		json_decref(one);
	}
	return all;
}

static void run(json_t *spec, const json_t *event)
{
	struct filter *f = NULL;
	char *path = NULL, *cause = NULL;
	bool verdict;
	int r;

	r = filter_compile(spec, &f, &path, &cause);
	if (r < 0) {
		check_refusal(r, f, path, cause);
		return;
	}
	if (path || cause)
		abort();
	verdict = filter_match(f, event);
	if (filter_match(f, event) != verdict)
		abort();
	if (json_object_size(spec) == 0 && !verdict)
		abort();
	if (match_by_clause(spec, event) != verdict)
		abort();
	filter_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t cut;
	json_t *spec, *event;

	for (cut = 0; cut < size && p[cut] != '\0' && p[cut] != '\n'; cut++)
		;
	spec = json_loadb(p, cut, DECODE_FLAGS, NULL);
	if (!spec)
		return 0;
	event = cut < size ? json_loadb(p + cut + 1, size - cut - 1,
					DECODE_FLAGS, NULL)
			   : json_object();
	run(spec, event);
	json_decref(spec);
	json_decref(event);
	return 0;
}
