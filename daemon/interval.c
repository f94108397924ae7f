/*
 * Interval schedules: owns parsing "<n><unit>" (unit s m h d, n >= 1) and
 * the fire grid start + k*step, k >= 1. An interval is elapsed time, so no
 * time zone is involved; it does not own the schedule's start time or
 * arming timers (the scheduler does).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "daemon/interval.h"
#include "proto/xalloc.h"

static int bad(char **cause, const char *s, const char *what)
{
	size_t len = strnlen(s, 64);

	*cause = xasprintf("bad interval '%.*s%s': %s", (int)len, s,
			   s[len] != '\0' ? "..." : "", what);
	return -EINVAL;
}

static int64_t unit_seconds(char u)
{
	switch (u) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	default:
		return 0;
	}
}

int interval_parse(const char *s, int64_t *ret_seconds, char **cause)
{
	const char *p = s;
	int64_t n = 0, unit;
	bool too_big = false;

	if (*s == '\0')
		return bad(cause, s, "empty (expected a number and a unit "
				     "s, m, h or d, e.g. 90s or 1h)");
	if (*p < '0' || *p > '9')
		return bad(cause, s, "must start with a whole number");
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > INTERVAL_MAX_SECONDS)
			too_big = true;	/* keep scanning for syntax errors */
		else
			n = n * 10 + (*p - '0');
	}
	if (*p == '.' || *p == ',')
		return bad(cause, s, "only whole numbers are allowed");
	if (*p == '\0')
		return bad(cause, s, "missing unit (s, m, h or d)");
	unit = unit_seconds(*p);
	if (unit == 0)
		return bad(cause, s, "unknown unit (expected s, m, h or d)");
	if (p[1] != '\0')
		return bad(cause, s, "unexpected characters after the unit");
	if (n == 0 && !too_big)
		return bad(cause, s, "must be at least 1");
	if (too_big || n > INTERVAL_MAX_SECONDS / unit)
		return bad(cause, s, "too large (at most 100 years)");
	*ret_seconds = n * unit;
	return 0;
}

int64_t interval_next(int64_t start, int64_t step, int64_t after)
{
	uint64_t diff, rem;
	int64_t r;

	/* k = 1 covers every AFTER before the first grid point. */
	if (after < start || (uint64_t)after - (uint64_t)start < (uint64_t)step)
		return __builtin_add_overflow(start, step, &r) ? INT64_MAX : r;
	/* after >= start, so the difference fits in a uint64. */
	diff = (uint64_t)after - (uint64_t)start;
	rem = diff % (uint64_t)step;
	if (__builtin_add_overflow(after, (int64_t)((uint64_t)step - rem), &r))
		return INT64_MAX;
	return r;
}
