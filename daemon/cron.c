/*
 * Cron expressions (DESIGN §4): the parser that compiles five fields to the
 * bit masks of struct cron, and cron_next(), which finds the next fire in a
 * zone by jumping field by field over local wall dates (never minute by
 * minute) and applying the DST policy of cronie: fixed-time jobs fire once
 * for a repeated wall time and at the end of a skipped one (gaps <= 3 h);
 * wildcard jobs fire at every occurrence and never in a gap.
 *
 * Owns: grammar, validation messages (worded like the reference oracle,
 * ../shared/tools/cron_oracle.py, with hints appended), the "never fires"
 * check, and fire-time search. Does not own: time-zone data (tz.c), civil
 * calendar arithmetic (timefmt.c), or what the scheduler does with a fire.
 * Pure: no global state, time is a parameter.
 */
#include "daemon/cron.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/timefmt.h"
#include "daemon/tz.h"
#include "proto/xalloc.h"

#define FIELD_DOW 4
#define FIELD_MONTH 3
#define DAY_SECONDS 86400
/* 400 Gregorian years: the calendar repeats exactly after this. */
#define HORIZON_SECONDS (146097LL * DAY_SECONDS)
/* Fixed-time jobs move to the end of a gap no longer than this. */
#define MAX_SHIFT_SECONDS (3 * 3600)
/* Instants beyond this (about 35 million years) are not searched. */
#define TIME_BOUND (1LL << 50)

struct field_def {
	const char *name;
	int lo, hi;
};

static const struct field_def fields[5] = {
	{ "minute", 0, 59 },
	{ "hour", 0, 23 },
	{ "day-of-month", 1, 31 },
	{ "month", 1, 12 },
	{ "day-of-week", 0, 6 },
};

static const char *const month_names[12] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	"JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
};
static const char *const dow_names[7] = {
	"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT",
};

/* Longest each month can be (February in a leap year). */
static const unsigned month_max_days[13] = {
	0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
};

struct macro {
	const char *name;
	const char *expr;
};

static const struct macro macros[] = {
	{ "@hourly", "0 * * * *" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@monthly", "0 0 1 * *" },
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
};

/* ---- messages ------------------------------------------------------- */

static int fail(char **cause, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets *CAUSE (when CAUSE is not NULL) and returns -EINVAL. */
static int
fail(char **cause, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	if (cause == NULL)
		return -EINVAL;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*cause = xmalloc((size_t)n + 1);
	vsnprintf(*cause, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return -EINVAL;
}

/* S[0..LEN) quoted the way Python's repr() quotes a str, so messages read
 * like the oracle's. Returns a new string. */
static char *
quote(const char *s, size_t len)
{
	char q = (memchr(s, '\'', len) && !memchr(s, '"', len)) ? '"' : '\'';
	char *out = xmalloc(len * 4 + 3), *p = out;
	size_t i;

	*p++ = q;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\\' || ch == (unsigned char)q) {
			*p++ = '\\';
			*p++ = (char)ch;
		} else if (ch == '\t' || ch == '\n' || ch == '\r') {
			*p++ = '\\';
			*p++ = ch == '\t' ? 't' : ch == '\n' ? 'n' : 'r';
		} else if (ch < 0x20 || ch == 0x7f) {
			p += sprintf(p, "\\x%02x", ch);
		} else
			*p++ = (char)ch;
	}
	*p++ = q;
	*p = '\0';
	return out;
}

/* Digits S[0..LEN) as Python's int() would print them (no leading 0s). */
static char *
number_text(const char *s, size_t len)
{
	while (len > 1 && *s == '0') {
		s++;
		len--;
	}
	return xstrndup(s, len);
}

static bool
all_digits(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Value of the digits S[0..LEN), saturated at 1,000,000. */
static long
digits_value(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > 1000000)
			v = 1000000;
	}
	return v;
}

/* A hint for a token written in another cron dialect, or "". */
static const char *
dialect_hint(const char *tok, size_t len)
{
	bool lw = len > 0, has_l = false;
	size_t i;

	if (memchr(tok, '?', len))
		return " ('?' is not supported: write '*')";
	if (memchr(tok, '#', len))
		return " ('#' (nth weekday of the month) is not supported)";
	for (i = 0; i < len; i++) {
		char ch = tok[i];

		if (ch == 'L' || ch == 'l')
			has_l = true;
		else if (ch != 'W' && ch != 'w' && (ch < '0' || ch > '9'))
			lw = false;
	}
	if (lw && has_l)
		return " ('L' (last day) is not supported)";
	if (lw && !all_digits(tok, len))
		return " ('W' (nearest weekday) is not supported)";
	return "";
}

/* ---- parsing -------------------------------------------------------- */

/* A month or day name at TOK (3 letters, any case): its value, or -1. */
static int
name_value(const char *tok, size_t len, int idx)
{
	int i;

	if (len != 3)
		return -1;
	if (idx == FIELD_MONTH) {
		for (i = 0; i < 12; i++)
			if (strncasecmp(tok, month_names[i], 3) == 0)
				return i + 1;
	} else if (idx == FIELD_DOW) {
		for (i = 0; i < 7; i++)
			if (strncasecmp(tok, dow_names[i], 3) == 0)
				return i;
	}
	return -1;
}

/* Parses one value TOK[0..LEN) of field IDX (7 is accepted for Sunday). */
static int
parse_value(const char *tok, size_t len, int idx, int *ret, char **cause)
{
	const struct field_def *f = &fields[idx];
	int vhi = idx == FIELD_DOW ? 7 : f->hi;
	char *q, *num;
	long v;
	int r;

	if (all_digits(tok, len)) {
		v = digits_value(tok, len);
		if (v >= f->lo && v <= vhi) {
			*ret = (int)v;
			return 0;
		}
		num = number_text(tok, len);
		r = fail(cause, "%s: value %s out of range %d-%d%s", f->name,
			 num, f->lo, f->hi,
			 idx == FIELD_DOW ? " (7 also means Sunday)" : "");
		free(num);
		return r;
	}
	if ((v = name_value(tok, len, idx)) >= 0) {
		*ret = (int)v;
		return 0;
	}
	q = quote(tok, len);
	r = fail(cause, "%s: bad value %s%s", f->name, q,
		 dialect_hint(tok, len));
	free(q);
	return r;
}

/* Parses the optional "/step" of ITEM; *ret_step is 0 when there is none.
 * Mirrors the oracle's order: bad item, step 0, step over the span. */
static int
parse_step(const char *item, size_t len, int idx, size_t *ret_base_len,
	   int *ret_step, char **cause)
{
	const struct field_def *f = &fields[idx];
	const char *slash = memchr(item, '/', len);
	size_t base_len = slash ? (size_t)(slash - item) : len;
	size_t slen = slash ? len - base_len - 1 : 0;
	char *q, *num;
	long step;
	int r = -EINVAL;

	if (base_len == 0 || (slash && !all_digits(slash + 1, slen))) {
		q = quote(item, len);
		r = fail(cause, "%s: bad item %s", f->name, q);
		free(q);
		return r;
	}
	*ret_base_len = base_len;
	*ret_step = 0;
	if (!slash)
		return 0;
	step = digits_value(slash + 1, slen);
	q = quote(item, len);
	num = number_text(slash + 1, slen);
	if (step == 0)
		fail(cause, "%s: step 0 in %s", f->name, q);
	else if (step > f->hi - f->lo)
		fail(cause, "%s: step %s larger than the field span %d in %s",
		     f->name, num, f->hi - f->lo, q);
	else {
		*ret_step = (int)step;
		r = 0;
	}
	free(num);
	free(q);
	return r;
}

/* The range A-B of a base "*", "n" or "a-b" (BASE[0..LEN) of ITEM). */
static int
parse_range(const char *item, size_t ilen, size_t len, int idx, bool stepped,
	    int *ret_a, int *ret_b, char **cause)
{
	const struct field_def *f = &fields[idx];
	const char *dash = memchr(item, '-', len);
	char *q;
	int r, a, b;

	if (len == 1 && item[0] == '*') {
		*ret_a = f->lo;
		*ret_b = f->hi;
		return 0;
	}
	if ((r = parse_value(item, dash ? (size_t)(dash - item) : len, idx,
			     &a, cause)) != 0)
		return r;
	if (dash) {
		if ((r = parse_value(dash + 1, len - (size_t)(dash - item) - 1,
				     idx, &b, cause)) != 0)
			return r;
		if (a <= b)
			goto out;
		q = quote(item, ilen);
		r = fail(cause, "%s: reversed range %s (wrap-around is not "
			 "allowed)", f->name, q);
		free(q);
		return r;
	}
	b = a;
	if (stepped) {
		q = quote(item, ilen);
		r = fail(cause, "%s: %s: a step needs '*' or a range (say "
			 "%.*s-%d/%.*s)", f->name, q, (int)len, item, f->hi,
			 (int)(ilen - len - 1), item + len + 1);
		free(q);
		return r;
	}
out:
	*ret_a = a;
	*ret_b = b;
	return 0;
}

/* Adds the values of one list item ITEM[0..LEN) to *MASK. */
static int
parse_item(const char *item, size_t len, int idx, uint64_t *mask,
	   char **cause)
{
	size_t base_len = 0;
	int step = 0, a = 0, b = 0, v, r;

	if ((r = parse_step(item, len, idx, &base_len, &step, cause)) != 0)
		return r;
	if ((r = parse_range(item, len, base_len, idx, step != 0, &a, &b,
			     cause)) != 0)
		return r;
	for (v = a; v <= b; v += step ? step : 1)
		*mask |= 1ULL << (idx == FIELD_DOW && v == 7 ? 0 : v);
	return 0;
}

/* Parses field IDX, TEXT[0..LEN), into *RET_MASK. */
static int
parse_field(const char *text, size_t len, int idx, uint64_t *ret_mask,
	    char **cause)
{
	const char *p = text, *end = text + len, *comma;
	uint64_t mask = 0;
	char *q;
	int r;

	if (len == 0)
		return fail(cause, "%s: empty field", fields[idx].name);
	for (;;) {
		comma = memchr(p, ',', (size_t)(end - p));
		if (!comma)
			comma = end;
		if (comma == p) {
			q = quote(text, len);
			r = fail(cause, "%s: empty list item in %s",
				 fields[idx].name, q);
			free(q);
			return r;
		}
		if ((r = parse_item(p, (size_t)(comma - p), idx, &mask,
				    cause)) != 0)
			return r;
		if (comma == end)
			break;
		p = comma + 1;
	}
	*ret_mask = mask;
	return 0;
}

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\v' || ch == '\f';
}

/* Splits EXPR at white space: up to 6 fields in START/LEN; the count. */
static int
split_fields(const char *expr, const char *start[6], size_t len[6])
{
	const char *p = expr;
	int n = 0;

	for (;;) {
		while (*p && is_space(*p))
			p++;
		if (!*p)
			return n;
		if (n < 6)
			start[n] = p;
		while (*p && !is_space(*p))
			p++;
		if (n < 6)
			len[n] = (size_t)(p - start[n]);
		n++;
	}
}

/* True when some (month, day) of the masks exists in some year. Under the
 * OR rule (both day fields restricted) any weekday matches, and every
 * month has every weekday. Under the AND rule a day-of-month that exists
 * in a month falls on every weekday within a 400-year cycle (Feb 29 too),
 * so only the day-of-month/month pairing matters. */
static bool
ever_fires(const struct cron *c)
{
	unsigned m;

	if (!c->dom_star && !c->dow_star)
		return true;
	for (m = 1; m <= 12; m++)
		if ((c->month & (1u << m)) &&
		    (c->dom & (uint32_t)((2ULL << month_max_days[m]) - 2)))
			return true;
	return false;
}

/* The five fields of the macro EXPR (one token starting with '@'). */
static int
expand_macro(const char *tok, size_t len, const char **ret, char **cause)
{
	char *q;
	size_t i;

	for (i = 0; i < sizeof macros / sizeof macros[0]; i++) {
		if (strlen(macros[i].name) == len &&
		    strncasecmp(tok, macros[i].name, len) == 0) {
			*ret = macros[i].expr;
			return 0;
		}
	}
	q = quote(tok, len);
	fail(cause, "unknown macro %s (known: @hourly @daily @midnight "
	     "@weekly @monthly @yearly @annually; @reboot is not supported)",
	     q);
	free(q);
	return -EINVAL;
}

static int
parse_fields(const char *expr, struct cron *c, char **cause)
{
	const char *start[6];
	size_t len[6];
	uint64_t m[5];
	int n, i, r;

	n = split_fields(expr, start, len);
	if (n == 1 && start[0][0] == '@') {
		if ((r = expand_macro(start[0], len[0], &expr, cause)) != 0)
			return r;
		n = split_fields(expr, start, len);
	}
	if (n != 5)
		return fail(cause, "expected 5 fields, got %d (minute hour "
			    "day-of-month month day-of-week)", n);
	for (i = 0; i < 5; i++)
		if ((r = parse_field(start[i], len[i], i, &m[i], cause)) != 0)
			return r;
	c->minute = m[0];
	c->hour = (uint32_t)m[1];
	c->dom = (uint32_t)m[2];
	c->month = (uint16_t)m[3];
	c->dow = (uint8_t)m[4];
	c->dom_star = start[2][0] == '*';
	c->dow_star = start[4][0] == '*';
	c->fixed_time = start[0][0] != '*' && start[1][0] != '*';
	return 0;
}

/* See cron.h. Writes *ret only on success; *cause (new) only on failure,
 * worded like the oracle's message with a hint appended in parentheses. */
int
cron_parse(const char *expr, struct cron *ret, char **cause)
{
	struct cron c;
	int r;

	memset(&c, 0, sizeof c);
	if ((r = parse_fields(expr, &c, cause)) != 0)
		return r;
	if (!ever_fires(&c))
		return fail(cause, "never fires (no matching date in a "
			    "400-year Gregorian cycle)");
	*ret = c;
	return 0;
}

/* ---- next fire ------------------------------------------------------ */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
ceil_minute(int64_t t)
{
	return -floor_div(-t, 60) * 60;
}

/* Bits d (1..31) of the days with (d - 1) % 7 == k. */
static const uint32_t day_class[7] = {
	0x20408102u, 0x40810204u, 0x81020408u, 0x02040810u,
	0x04081020u, 0x08102040u, 0x10204080u,
};

/* The days of month Y-M that match the day fields (Vixie rule), as bits. */
static uint32_t
month_day_mask(const struct cron *c, int64_t y, unsigned m)
{
	unsigned dim = days_in_month(y, m), wd1, k;
	uint32_t valid = (uint32_t)((2ULL << dim) - 2), dowm = 0;

	if ((c->dow & 0x7f) == 0x7f) {
		dowm = 0xfffffffeu;
	} else {
		wd1 = weekday_from_days(days_from_civil(y, m, 1));
		for (k = 0; k < 7; k++)
			if (c->dow & (1u << ((wd1 + k) % 7)))
				dowm |= day_class[k];
	}
	if (c->dom_star || c->dow_star)
		return c->dom & dowm & valid;
	return (c->dom | dowm) & valid;
}

/* The first matching time of day at or after H:M, in *RET_H, *RET_M. */
static bool
day_time(const struct cron *c, unsigned h, unsigned m, unsigned *ret_h,
	 unsigned *ret_m)
{
	uint32_t hm = c->hour & ~((1u << h) - 1);
	uint64_t mm;

	if (hm == 0)
		return false;
	if ((unsigned)__builtin_ctz(hm) == h) {
		mm = c->minute & ~((1ULL << m) - 1);
		if (mm != 0) {
			*ret_h = h;
			*ret_m = (unsigned)__builtin_ctzll(mm);
			return true;
		}
		hm &= hm - 1;
		if (hm == 0)
			return false;
	}
	*ret_h = (unsigned)__builtin_ctz(hm);
	*ret_m = (unsigned)__builtin_ctzll(c->minute);
	return true;
}

/* The next month of the mask after Y-M (same year or later). */
static void
next_month(const struct cron *c, int64_t *y, unsigned *m)
{
	uint32_t later = (uint32_t)c->month & ~((2u << *m) - 1);

	if (later == 0) {
		(*y)++;
		later = c->month;
	}
	*m = (unsigned)__builtin_ctz(later);
}

/* The earliest matching wall time in [FROM, LIMIT); FROM on a minute. */
static bool
first_match(const struct cron *c, int64_t from, int64_t limit,
	    int64_t *ret_wall)
{
	int64_t days = floor_div(from, DAY_SECONDS), y, w;
	unsigned sod = (unsigned)(from - days * DAY_SECONDS);
	unsigned h = sod / 3600, mi = sod % 3600 / 60, mo, d, hh, mm;
	uint32_t dm;

	civil_from_days(days, &y, &mo, &d);
	for (;;) {
		dm = 0;
		if (c->month & (1u << mo))
			dm = month_day_mask(c, y, mo) & ~((1u << d) - 1);
		for (; dm != 0; dm &= dm - 1, h = mi = 0) {
			if ((unsigned)__builtin_ctz(dm) != d)
				h = mi = 0;
			if (!day_time(c, h, mi, &hh, &mm))
				continue;
			w = days_from_civil(y, mo, (unsigned)__builtin_ctz(dm));
			w = w * DAY_SECONDS + hh * 3600 + mm * 60;
			if (w >= limit)
				return false;
			*ret_wall = w;
			return true;
		}
		next_month(c, &y, &mo);
		d = 1;
		h = mi = 0;
		if (days_from_civil(y, mo, 1) * DAY_SECONDS >= limit)
			return false;
	}
}

/* The fold (repeated wall times) that wall time W belongs to; R resolves
 * W (r->n == 2). Gives the offsets before and after the transition and
 * the fold's wall-time span [*ret_a, *ret_b). */
static void
fold_bounds(const struct tz *z, int64_t w, const struct tz_resolved *r,
	    int64_t *ret_off0, int64_t *ret_off1, int64_t *ret_a,
	    int64_t *ret_b)
{
	int64_t off0 = w - r->utc[0], off1 = w - r->utc[1];
	int64_t t = r->utc[0];
	int i;

	/* Skip transitions that change only the abbreviation or isdst. */
	for (i = 0; i < 16; i++) {
		t = tz_next_transition(z, t);
		if (t > r->utc[1] || tz_offset_at(z, t, NULL, NULL) == off1)
			break;
	}
	if (t > r->utc[1])
		t = r->utc[1];
	*ret_off0 = off0;
	*ret_off1 = off1;
	*ret_a = ceil_minute(t + off1);
	*ret_b = ceil_minute(t + off0);
}

/* AFTER + 1 = U falls at wall time W inside a fold (R resolves W). Finds
 * a fire inside the fold: first occurrences come before every second
 * occurrence. Otherwise gives *ret_from, the wall time after the fold. */
static bool
fold_next(const struct cron *c, const struct tz *z, int64_t u, int64_t w,
	  const struct tz_resolved *r, int64_t *ret_t, int64_t *ret_from)
{
	int64_t off0, off1, a, b, wm, from = ceil_minute(w);

	fold_bounds(z, w, r, &off0, &off1, &a, &b);
	if (u == r->utc[0]) {
		if (first_match(c, from, b, &wm)) {
			*ret_t = wm - off0;
			return true;
		}
		from = a;
	}
	if (!c->fixed_time && first_match(c, from, b, &wm) &&
	    wm - off1 >= u) {
		*ret_t = wm - off1;
		return true;
	}
	*ret_from = b > ceil_minute(w) ? b : ceil_minute(w);
	return false;
}

/* See cron.h. Fires in UTC order are the matching wall times in wall
 * order, except inside a fold, where every first occurrence comes before
 * every second one: so walk wall time from the wall of AFTER + 1, finishing
 * the fold it may fall in first. Bounded: first_match() stops at the
 * 400-year horizon and each gap is crossed once. */
int
cron_next(const struct cron *c, const struct tz *z, int64_t after,
	  int64_t *ret_next)
{
	struct tz_resolved r;
	int64_t u, w, from, limit, wm, t;

	if (after >= TIME_BOUND || after <= -TIME_BOUND)
		return -ENOENT;
	u = after + 1;
	w = tz_utc_to_wall(z, u);
	limit = w + HORIZON_SECONDS;
	from = ceil_minute(w);
	tz_wall_to_utc(z, w, &r);
	if (r.n == 2 && fold_next(c, z, u, w, &r, &t, &from))
		goto found;
	for (;;) {
		if (!first_match(c, from, limit, &wm))
			return -ENOENT;
		tz_wall_to_utc(z, wm, &r);
		if (r.n >= 1)
			t = r.utc[0];
		else if (c->fixed_time && r.gap_len <= MAX_SHIFT_SECONDS)
			t = r.gap_end;
		else
			t = INT64_MIN;
		if (t > after)
			goto found;
		/* In a gap (or odd zone data): resume after the gap. */
		from = r.n == 0 ? ceil_minute(tz_utc_to_wall(z, r.gap_end)) : 0;
		if (from <= wm)
			from = wm + 60;
	}
found:
	*ret_next = t;
	return 0;
}
