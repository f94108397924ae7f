/*
 * libFuzzer target for daemon/interval.c: the input is an interval text.
 * A refusal must come with a cause; an accepted interval must be positive
 * and bounded, and its grid must be exact: next(after) is strictly after
 * AFTER, on the grid start + k*step with k >= 1, and at most one step
 * later when AFTER is past the origin. Built by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/interval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *cause = NULL;
	int64_t step, start = 1700000000, after, next;

	memcpy(text, data, size);
	text[size] = '\0';
	if (interval_parse(text, &step, &cause) < 0) {
		if (!cause)
			abort();
		free(cause);
		free(text);
		return 0;
	}
	if (step < 1 || step > INTERVAL_MAX_SECONDS)
		abort();
	after = start + (int64_t)size * 104729 - 5000000;
	next = interval_next(start, step, after);
	/* k >= 1: before the origin the first fire is start + step. */
	if (next <= after || (next - start) % step != 0 || next - start < step)
		abort();
	if (after >= start && next - after > step)
		abort();
	free(text);
	return 0;
}
