/*
 * Cron expressions (DESIGN §4): 5 fields compiled to bit masks, Vixie day
 * rule, cronie's DST policy, a 400-year horizon.
 *
 * Grammar: minute hour day-of-month month day-of-week; items '*', '*' "/s",
 * 'n', 'a-b', 'a-b/s' joined by ','; 7 = Sunday; JAN..DEC and SUN..SAT in
 * any case; @hourly @daily @midnight @weekly @monthly @yearly @annually.
 * Rejected with the field named: wrong field count, empty field or item,
 * out of range, reversed range, step 0 or larger than the span, 'n/s'
 * without a range, '?', 'L', 'W', '#', and expressions that never fire.
 *
 * Pure: no global state, time is a parameter.
 */
#ifndef VIBE_CRON_H
#define VIBE_CRON_H

#include <stdbool.h>
#include <stdint.h>

struct tz;

struct cron {
	uint64_t minute;	/* bit m: minute m matches (0-59) */
	uint32_t hour;		/* bit h (0-23) */
	uint32_t dom;		/* bit d (1-31) */
	uint16_t month;		/* bit m (1-12) */
	uint8_t dow;		/* bit d (0-6, 0 = Sunday) */
	bool dom_star;		/* day-of-month text began with '*' */
	bool dow_star;		/* day-of-week text began with '*' */
	bool fixed_time;	/* neither minute nor hour text began with '*' */
};

/* Parses EXPR into *ret. Returns 0, or -EINVAL with *cause set to a new
 * string that names the field ("day-of-month: value 32 out of range 1-31")
 * or says "never fires". */
int cron_parse(const char *expr, struct cron *ret, char **cause);

/* The earliest fire strictly after AFTER (UTC seconds) in zone Z.
 * Returns 0 and *ret_next, or -ENOENT if nothing fires within 400 years. */
int cron_next(const struct cron *c, const struct tz *z, int64_t after,
	      int64_t *ret_next);

#endif
