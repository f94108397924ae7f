/*
 * Interval schedules: "<n><unit>", unit s m h d, n >= 1 (DESIGN §4).
 * An interval is elapsed time (1d = 86400 s whatever DST does) and fires on
 * the grid start + k*step, k >= 1, so it never drifts.
 */
#ifndef VIBE_INTERVAL_H
#define VIBE_INTERVAL_H

#include <stdint.h>

/* Largest accepted interval: 100 years of seconds. */
#define INTERVAL_MAX_SECONDS (100LL * 366 * 86400)

/* Parses S. Returns 0 and *ret_seconds, or -EINVAL with *cause (new string
 * quoting S: empty, no number, unknown unit, zero, too large, ...). */
int interval_parse(const char *s, int64_t *ret_seconds, char **cause);

/* The first grid point start + k*step (k >= 1) strictly after AFTER.
 * STEP > 0. Never overflows for |times| < 2^62. */
int64_t interval_next(int64_t start, int64_t step, int64_t after);

#endif
