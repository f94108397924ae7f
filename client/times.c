/*
 * Time text for vibectl's human output: RFC 3339 instants as the daemon
 * writes them (DESIGN §2) parsed with timegm, durations and "in 4h 12m" /
 * "5m ago" relative to a `now` the caller passes (tests pass a fixed one).
 * No zone math: the daemon sends local renderings where they matter.
 */
#include "client/vibectl.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* N digits at S as an int, or -1. */
static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Length of "YYYY-MM-DDTHH:MM:SS" at S (T or space), or 0. */
static size_t match_datetime(const char *s)
{
	if (digits(s, 4) < 0 || s[4] != '-' || digits(s + 5, 2) < 0 ||
	    s[7] != '-' || digits(s + 8, 2) < 0 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2) < 0 || s[13] != ':' || digits(s + 14, 2) < 0 ||
	    s[16] != ':' || digits(s + 17, 2) < 0)
		return 0;
	return 19;
}

/* Skips ".fraction"; returns the index after it. */
static size_t skip_fraction(const char *s, size_t i)
{
	if (s[i] != '.')
		return i;
	i++;
	while (isdigit((unsigned char)s[i]))
		i++;
	return i;
}

/* Offset "Z" or "±HH:MM" at S into *ret seconds east; 0 or -1. */
static int parse_offset(const char *s, long *ret)
{
	int h, m;

	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*ret = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || (h = digits(s + 1, 2)) < 0 ||
	    s[3] != ':' || (m = digits(s + 4, 2)) < 0 || s[6] != '\0')
		return -1;
	*ret = (s[0] == '-' ? -1 : 1) * (h * 3600L + m * 60L);
	return 0;
}

int cli_parse_rfc3339(const char *s, time_t *ret)
{
	struct tm tm = { 0 };
	size_t i;
	long off;

	if (!s || !(i = match_datetime(s)))
		return -EINVAL;
	i = skip_fraction(s, i);
	if (parse_offset(s + i, &off) < 0)
		return -EINVAL;
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_hour = digits(s + 11, 2);
	tm.tm_min = digits(s + 14, 2);
	tm.tm_sec = digits(s + 17, 2);
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	*ret = timegm(&tm) - off;
	return 0;
}

void cli_format_duration(long secs, char *buf, size_t n)
{
	static const struct { long size; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	size_t i;
	long hi, lo;

	if (secs < 0)
		secs = -secs;
	for (i = 0; i < 3 && secs < units[i].size; i++)
		;
	hi = secs / units[i].size;
	if (i == 3) {
		snprintf(buf, n, "%lds", hi);
		return;
	}
	lo = secs % units[i].size / units[i + 1].size;
	if (lo)
		snprintf(buf, n, "%ld%c %ld%c", hi, units[i].unit, lo,
			 units[i + 1].unit);
	else
		snprintf(buf, n, "%ld%c", hi, units[i].unit);
}

void cli_format_relative(time_t when, time_t now, char *buf, size_t n)
{
	char d[32];
	long diff = (long)(when - now);

	if (diff == 0) {
		snprintf(buf, n, "now");
		return;
	}
	cli_format_duration(diff, d, sizeof(d));
	if (diff > 0)
		snprintf(buf, n, "in %s", d);
	else
		snprintf(buf, n, "%s ago", d);
}

void cli_format_instant(const char *s, bool seconds, char *buf, size_t n)
{
	size_t i;

	if (!s || !match_datetime(s)) {
		snprintf(buf, n, "%s", s ? s : "-");
		return;
	}
	i = skip_fraction(s, 19);
	snprintf(buf, n, "%.10s %.*s%s", s, seconds ? 8 : 5, s + 11, s + i);
}
