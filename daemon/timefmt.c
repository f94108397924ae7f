/*
 * Civil calendar arithmetic (proleptic Gregorian, after Howard Hinnant's
 * chrono-compatible algorithms) and the RFC 3339 forms of the wire: owns
 * formatting instants, parsing RFC 3339 / naive / date-only strings, and the
 * short relative form ("in 4h 12m"). It does not own time zone data: naive
 * times are resolved with tz_wall_to_utc(). Pure functions, no global state,
 * never localtime()/mktime().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/timefmt.h"
#include "daemon/tz.h"
#include "proto/xalloc.h"

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t days, int64_t *ret_y, unsigned *ret_m,
		     unsigned *ret_d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);

	*ret_d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*ret_m = m;
	*ret_y = yoe + era * 400 + (m <= 2);
}

unsigned weekday_from_days(int64_t days)
{
	/* 1970-01-01 was a Thursday (4). */
	return (unsigned)(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
}

bool is_leap_year(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30,
					       31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return 0;
	return m == 2 && is_leap_year(y) ? 29 : dim[m - 1];
}

void civil_from_seconds(int64_t t, struct civil *ret)
{
	int64_t days = floor_div(t, 86400), sec = t - days * 86400;

	civil_from_days(days, &ret->year, &ret->month, &ret->day);
	ret->hour = (unsigned)(sec / 3600);
	ret->minute = (unsigned)(sec / 60 % 60);
	ret->second = (unsigned)(sec % 60);
}

int64_t seconds_from_civil(const struct civil *c)
{
	return days_from_civil(c->year, c->month, c->day) * 86400 +
	       (int64_t)c->hour * 3600 + c->minute * 60 + c->second;
}

/* ---- formatting ---- */

/* "YYYY-MM-DDTHH:MM:SS" of T into BUF; returns the length written. */
static int format_civil(int64_t t, char *buf, size_t len)
{
	struct civil c;

	civil_from_seconds(t, &c);
	if (c.year >= 0)
		return snprintf(buf, len, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u",
				c.year, c.month, c.day, c.hour, c.minute,
				c.second);
	return snprintf(buf, len, "-%04" PRIu64 "-%02u-%02uT%02u:%02u:%02u",
			(uint64_t)0 - (uint64_t)c.year, c.month, c.day, c.hour,
			c.minute, c.second);
}

char *rfc3339_format_utc(int64_t t, char buf[RFC3339_BUFSZ])
{
	int n = format_civil(t, buf, RFC3339_BUFSZ);

	snprintf(buf + n, RFC3339_BUFSZ - (size_t)n, "Z");
	return buf;
}

char *rfc3339_format_utc_ms(int64_t ms, char buf[RFC3339_BUFSZ])
{
	int64_t t = floor_div(ms, 1000);
	int n = format_civil(t, buf, RFC3339_BUFSZ);

	snprintf(buf + n, RFC3339_BUFSZ - (size_t)n, ".%03dZ",
		 (int)(ms - t * 1000));
	return buf;
}

char *rfc3339_format_local(int64_t t, const struct tz *z,
			   char buf[RFC3339_BUFSZ])
{
	/* RFC 3339 offsets have no seconds: an offset such as LMT's
	 * -4:56:02 is truncated to minutes and the wall time printed with
	 * it, so the string still names the exact instant. */
	int32_t off = z != NULL ? tz_offset_at(z, t, NULL, NULL) : 0;
	int32_t mins = off / 60, a = mins < 0 ? -mins : mins;
	int n = format_civil(t + (int64_t)mins * 60, buf, RFC3339_BUFSZ);

	snprintf(buf + n, RFC3339_BUFSZ - (size_t)n, "%c%02d:%02d",
		 mins < 0 ? '-' : '+', (int)(a / 60), (int)(a % 60));
	return buf;
}

/* ---- parsing ---- */

struct parsed {
	struct civil c;
	int32_t ms;		/* fraction, truncated to milliseconds */
	int32_t off;		/* seconds east, when has_off */
	bool has_time, has_off;
};

/* N digits at *SP into *RET. */
static bool digits(const char **sp, int n, unsigned *ret)
{
	unsigned v = 0;

	for (int i = 0; i < n; i++) {
		char ch = (*sp)[i];

		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + (unsigned)(ch - '0');
	}
	*sp += n;
	*ret = v;
	return true;
}

static const char *parse_date(const char **sp, struct civil *c)
{
	const char *s = *sp;
	unsigned y;

	if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &c->month) ||
	    *s++ != '-' || !digits(&s, 2, &c->day))
		return "expected YYYY-MM-DD";
	c->year = y;
	if (c->month < 1 || c->month > 12)
		return "month out of range";
	if (c->day < 1 || c->day > days_in_month(c->year, c->month))
		return "day out of range";
	*sp = s;
	return NULL;
}

static const char *parse_fraction(const char **sp, int32_t *ret_ms)
{
	const char *s = *sp;
	int n = 0;
	int32_t ms = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (n < 3)
			ms = ms * 10 + (s[n] - '0');
		n++;
	}
	if (n < 1 || n > 9)
		return "fraction needs 1 to 9 digits";
	for (int i = n; i < 3; i++)
		ms *= 10;
	*sp = s + n;
	*ret_ms = ms;
	return NULL;
}

static const char *parse_clock(const char **sp, struct parsed *p)
{
	const char *s = *sp;
	struct civil *c = &p->c;

	if (!digits(&s, 2, &c->hour) || *s++ != ':' ||
	    !digits(&s, 2, &c->minute) || *s++ != ':' ||
	    !digits(&s, 2, &c->second))
		return "expected HH:MM:SS after the date";
	if (c->hour > 23)
		return "hour out of range";
	if (c->minute > 59)
		return "minute out of range";
	if (c->second > 59)
		return "second out of range";
	if (*s == '.') {
		const char *err;

		s++;
		if ((err = parse_fraction(&s, &p->ms)) != NULL)
			return err;
	}
	*sp = s;
	return NULL;
}

static const char *parse_offset(const char **sp, struct parsed *p)
{
	const char *s = *sp;
	unsigned h, m;
	int sign;

	if (*s == 'Z' || *s == 'z') {
		p->has_off = true;
		*sp = s + 1;
		return NULL;
	}
	if (*s != '+' && *s != '-')
		return NULL;
	sign = *s++ == '-' ? -1 : 1;
	if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &m))
		return "expected offset +HH:MM";
	if (h > 23 || m > 59)
		return "offset out of range";
	p->off = sign * (int32_t)(h * 3600 + m * 60);
	p->has_off = true;
	*sp = s;
	return NULL;
}

static const char *parse_all(const char *s, struct parsed *p)
{
	const char *err;

	memset(p, 0, sizeof(*p));
	if (*s == '\0')
		return "empty";
	if ((err = parse_date(&s, &p->c)) != NULL)
		return err;
	if (*s == '\0')
		return NULL;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return "expected 'T' after the date";
	s++;
	p->has_time = true;
	if ((err = parse_clock(&s, p)) != NULL ||
	    (err = parse_offset(&s, p)) != NULL)
		return err;
	if (*s != '\0')
		return "unexpected characters after the time";
	return NULL;
}

int rfc3339_parse_ms(const char *s, const struct tz *naive_zone,
		     int64_t *ret_ms, enum time_form *ret_form, char **cause)
{
	struct parsed p;
	struct tz_resolved r;
	const char *err = parse_all(s, &p);
	int64_t wall, t;

	if (err != NULL) {
		size_t len = strnlen(s, 64);

		*cause = xasprintf("bad time '%.*s%s': %s", (int)len, s,
				   s[len] != '\0' ? "..." : "", err);
		return -EINVAL;
	}
	wall = seconds_from_civil(&p.c);
	if (p.has_off) {
		*ret_ms = (wall - p.off) * 1000 + p.ms;
	} else if (naive_zone == NULL) {
		*ret_ms = wall * 1000 + p.ms;
	} else {
		/* Repeated: the first occurrence; skipped: the gap's end. */
		tz_wall_to_utc(naive_zone, wall, &r);
		t = r.n > 0 ? r.utc[0] : r.gap_end;
		*ret_ms = t * 1000 + (r.n > 0 ? p.ms : 0);
	}
	if (ret_form != NULL)
		*ret_form = p.has_off ? TIME_FORM_INSTANT :
			    p.has_time ? TIME_FORM_NAIVE : TIME_FORM_DATE;
	return 0;
}

int rfc3339_parse(const char *s, const struct tz *naive_zone, int64_t *ret_t,
		  enum time_form *ret_form, char **cause)
{
	int64_t ms;
	int r = rfc3339_parse_ms(s, naive_zone, &ms, ret_form, cause);

	if (r < 0)
		return r;
	*ret_t = floor_div(ms, 1000);
	return 0;
}

/* ---- relative ---- */

char *format_relative(int64_t t, int64_t now, char *buf, size_t len)
{
	static const struct { char name; uint64_t secs; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	/* The difference of two int64 always fits in a uint64. */
	uint64_t mag = t >= now ? (uint64_t)t - (uint64_t)now :
				  (uint64_t)now - (uint64_t)t;
	char parts[64] = "";
	size_t used = 0;
	int shown = 0;

	if (mag == 0) {
		snprintf(buf, len, "now");
		return buf;
	}
	for (size_t i = 0; i < 4 && shown < 2; i++) {
		uint64_t v = mag / units[i].secs;

		mag %= units[i].secs;
		if (v == 0)
			continue;
		used += (size_t)snprintf(parts + used, sizeof(parts) - used,
					 "%s%" PRIu64 "%c", shown ? " " : "",
					 v, units[i].name);
		shown++;
	}
	if (t > now)
		snprintf(buf, len, "in %s", parts);
	else
		snprintf(buf, len, "%s ago", parts);
	return buf;
}
