/*
 * libFuzzer target for daemon/cron.c: the input is a cron expression. A
 * refusal must come with a cause; an accepted expression must give fire
 * times that are strictly increasing and each strictly after the previous
 * "after" (five next() calls from an instant derived from the input, in a
 * zone chosen by the input's length: UTC, New York, Lord Howe or Apia).
 * Built by `make fuzz`, never by `make all`.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cron.h"
#include "daemon/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const zones[] = {
	"UTC", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *expr = malloc(size + 1), *cause = NULL;
	const struct tz *z = tz_get(zones[size % 4], NULL);
	struct cron c;
	int64_t t = 1700000000 + (int64_t)(size * 7919) % 400000000, next;

	memcpy(expr, data, size);
	expr[size] = '\0';
	if (cron_parse(expr, &c, &cause) < 0) {
		if (!cause)
			abort();
		free(cause);
		free(expr);
		return 0;
	}
	for (int i = 0; z && i < 5; i++) {
		if (cron_next(&c, z, t, &next) < 0)
			break;
		if (next <= t)
			abort();
		t = next;
	}
	free(expr);
	return 0;
}
