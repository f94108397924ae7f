/*
 * Civil calendar arithmetic and the RFC 3339 forms used on the wire
 * (DESIGN §2): the daemon writes UTC with 'Z'; it reads RFC 3339 with an
 * offset or 'Z' (optional fraction, truncated to milliseconds), a naive
 * "YYYY-MM-DDTHH:MM:SS" (also with ' ' for 'T'), or a date "YYYY-MM-DD";
 * naive forms are local times in a zone the caller gives.
 *
 * Pure functions; no global state; no localtime()/mktime().
 */
#ifndef VIBE_TIMEFMT_H
#define VIBE_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tz;

/* Days since 1970-01-01 of the proleptic Gregorian date Y-M-D, and back. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t *ret_y, unsigned *ret_m,
		     unsigned *ret_d);
/* 0 = Sunday ... 6 = Saturday */
unsigned weekday_from_days(int64_t days);
bool is_leap_year(int64_t y);
unsigned days_in_month(int64_t y, unsigned m);

/* Broken-down civil time of a seconds count (wall or UTC alike). */
struct civil {
	int64_t year;
	unsigned month, day, hour, minute, second;
};
void civil_from_seconds(int64_t t, struct civil *ret);
int64_t seconds_from_civil(const struct civil *c);

#define RFC3339_BUFSZ 40

/* "2024-01-01T14:00:00Z". Returns BUF. */
char *rfc3339_format_utc(int64_t t, char buf[RFC3339_BUFSZ]);
/* "2024-01-01T14:00:00.123Z" from milliseconds. Returns BUF. */
char *rfc3339_format_utc_ms(int64_t ms, char buf[RFC3339_BUFSZ]);
/* "2024-01-01T09:00:00-05:00": the instant in zone Z. Returns BUF. */
char *rfc3339_format_local(int64_t t, const struct tz *z,
			   char buf[RFC3339_BUFSZ]);

/* How a parsed time was written. */
enum time_form {
	TIME_FORM_INSTANT,	/* had 'Z' or an offset */
	TIME_FORM_NAIVE,	/* local date and time, no offset */
	TIME_FORM_DATE,		/* date only */
};

/* Parses S (forms above). Naive and date-only forms are resolved in
 * NAIVE_ZONE (UTC when NULL): a repeated wall time takes its first
 * occurrence, a skipped one the end of the gap. Returns 0 and *ret_ms
 * (milliseconds since the epoch) and *ret_form (may be NULL), or -EINVAL
 * with *cause (new string quoting S and saying what is wrong). */
int rfc3339_parse_ms(const char *s, const struct tz *naive_zone,
		     int64_t *ret_ms, enum time_form *ret_form, char **cause);
/* Same, whole seconds (fraction truncated). */
int rfc3339_parse(const char *s, const struct tz *naive_zone, int64_t *ret_t,
		  enum time_form *ret_form, char **cause);

/* "in 4h 12m", "3m 5s ago", "now": the span from NOW to T, two units at
 * most. Returns BUF. */
char *format_relative(int64_t t, int64_t now, char *buf, size_t len);

#endif
