/*
 * Tests of daemon/timefmt.c: the civil calendar, RFC 3339 formatting and
 * parsing (instants, fractions, offsets, naive and date-only forms in a
 * zone, every rejected form) and relative times. Expected values were
 * computed with python3 datetime/zoneinfo, not with the code under test.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/timefmt.h"
#include "daemon/tz.h"

static const struct tz *get(const char *name)
{
	char *cause = NULL;
	const struct tz *z = tz_get(name, &cause);

	if (z == NULL)
		fail_msg("tz_get(%s): %s", name, cause);
	return z;
}

static void test_calendar(void **state)
{
	int64_t y;
	unsigned m, d;

	(void)state;
	assert_int_equal(days_from_civil(1970, 1, 1), 0);
	assert_int_equal(days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(days_from_civil(2024, 1, 1), 19723);
	assert_int_equal(days_from_civil(0, 1, 1), -719528);
	assert_int_equal(days_from_civil(1969, 12, 31), -1);
	assert_int_equal(weekday_from_days(0), 4);	/* Thursday */
	assert_int_equal(weekday_from_days(19723), 1);	/* Monday */
	assert_int_equal(weekday_from_days(-1), 3);
	assert_int_equal(weekday_from_days(-719528), 6);	/* 0000-01-01 Sat */
	assert_true(is_leap_year(2000));
	assert_true(is_leap_year(2024));
	assert_true(is_leap_year(0));
	assert_false(is_leap_year(1900));
	assert_false(is_leap_year(2023));
	assert_int_equal(days_in_month(2024, 2), 29);
	assert_int_equal(days_in_month(2100, 2), 28);
	assert_int_equal(days_in_month(2024, 4), 30);
	assert_int_equal(days_in_month(2024, 13), 0);
	civil_from_days(-719528, &y, &m, &d);
	assert_int_equal(y, 0);
	assert_int_equal(m, 1);
	assert_int_equal(d, 1);
}

/* Walks day by day from 1600-01-01 to 2500 and compares with a calendar
 * kept by hand, so the conversions are checked against counting. */
static void test_calendar_walk(void **state)
{
	int64_t days = days_from_civil(1600, 1, 1), y = 1600, gy;
	unsigned m = 1, d = 1, gm, gd, wd = 6;	/* 1600-01-01: Saturday */
	static const unsigned dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
					31, 30, 31 };

	(void)state;
	assert_int_equal(days, -135140);
	for (; y < 2500; days++) {
		unsigned len = dim[m - 1] +
			       (m == 2 && y % 4 == 0 &&
				(y % 100 != 0 || y % 400 == 0));

		civil_from_days(days, &gy, &gm, &gd);
		if (gy != y || gm != m || gd != d ||
		    weekday_from_days(days) != wd ||
		    days_from_civil(y, m, d) != days)
			fail_msg("day %lld", (long long)days);
		wd = (wd + 1) % 7;
		if (++d > len) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
}

static void test_civil_seconds(void **state)
{
	struct civil c;

	(void)state;
	civil_from_seconds(-1, &c);
	assert_int_equal(c.year, 1969);
	assert_int_equal(c.month, 12);
	assert_int_equal(c.day, 31);
	assert_int_equal(c.hour, 23);
	assert_int_equal(c.minute, 59);
	assert_int_equal(c.second, 59);
	assert_int_equal(seconds_from_civil(&c), -1);
	civil_from_seconds(253402300799, &c);
	assert_int_equal(c.year, 9999);
	assert_int_equal(seconds_from_civil(&c), 253402300799);
}

static void test_format(void **state)
{
	char buf[RFC3339_BUFSZ];

	(void)state;
	assert_string_equal(rfc3339_format_utc(0, buf),
			    "1970-01-01T00:00:00Z");
	assert_string_equal(rfc3339_format_utc(-1, buf),
			    "1969-12-31T23:59:59Z");
	assert_string_equal(rfc3339_format_utc(1704117600, buf),
			    "2024-01-01T14:00:00Z");
	assert_string_equal(rfc3339_format_utc(253402300799, buf),
			    "9999-12-31T23:59:59Z");
	assert_string_equal(rfc3339_format_utc(-62167219200, buf),
			    "0000-01-01T00:00:00Z");
	assert_string_equal(rfc3339_format_utc_ms(-500, buf),
			    "1969-12-31T23:59:59.500Z");
	assert_string_equal(rfc3339_format_utc_ms(1704117600123, buf),
			    "2024-01-01T14:00:00.123Z");
	assert_string_equal(rfc3339_format_utc_ms(1704117600005, buf),
			    "2024-01-01T14:00:00.005Z");
	assert_string_equal(rfc3339_format_local(1704117600,
						 get("America/New_York"), buf),
			    "2024-01-01T09:00:00-05:00");
	assert_string_equal(rfc3339_format_local(1704117600,
						 get("Asia/Kolkata"), buf),
			    "2024-01-01T19:30:00+05:30");
	assert_string_equal(rfc3339_format_local(1704117600, get("UTC"), buf),
			    "2024-01-01T14:00:00+00:00");
	/* The two 01:45 of Lord Howe's fall back. */
	assert_string_equal(rfc3339_format_local(1743864300,
						 get("Australia/Lord_Howe"),
						 buf),
			    "2025-04-06T01:45:00+11:00");
	assert_string_equal(rfc3339_format_local(1743866100,
						 get("Australia/Lord_Howe"),
						 buf),
			    "2025-04-06T01:45:00+10:30");
	/* LMT -4:56:02 has seconds; the minutes-only offset keeps the
	 * instant exact. */
	assert_string_equal(rfc3339_format_local(-5364662400,
						 get("America/New_York"), buf),
			    "1799-12-31T19:04:00-04:56");
}

static int64_t parse_ok(const char *s, const struct tz *z,
			enum time_form want)
{
	char *cause = NULL;
	enum time_form form;
	int64_t ms;

	if (rfc3339_parse_ms(s, z, &ms, &form, &cause) < 0)
		fail_msg("'%s': %s", s, cause);
	assert_int_equal(form, want);
	return ms;
}

static void test_parse_instants(void **state)
{
	int64_t t = 0;
	char *cause = NULL;

	(void)state;
	assert_int_equal(parse_ok("2024-01-01T14:00:00Z", NULL,
				  TIME_FORM_INSTANT), 1704117600000);
	assert_int_equal(parse_ok("2024-01-01t14:00:00z", NULL,
				  TIME_FORM_INSTANT), 1704117600000);
	assert_int_equal(parse_ok("2024-01-01 14:00:00Z", NULL,
				  TIME_FORM_INSTANT), 1704117600000);
	assert_int_equal(parse_ok("2024-01-01T09:00:00-05:00", NULL,
				  TIME_FORM_INSTANT), 1704117600000);
	assert_int_equal(parse_ok("2024-01-01T19:30:00+05:30", NULL,
				  TIME_FORM_INSTANT), 1704117600000);
	assert_int_equal(parse_ok("2024-01-01T14:00:00-00:00", NULL,
				  TIME_FORM_INSTANT), 1704117600000);
	/* An offset wins over the naive zone. */
	assert_int_equal(parse_ok("2024-01-01T14:00:00Z",
				  get("Asia/Kolkata"), TIME_FORM_INSTANT),
			 1704117600000);
	/* Fractions: 1 to 9 digits, truncated to milliseconds. */
	assert_int_equal(parse_ok("2024-01-01T14:00:00.1Z", NULL,
				  TIME_FORM_INSTANT), 1704117600100);
	assert_int_equal(parse_ok("2024-01-01T14:00:00.12Z", NULL,
				  TIME_FORM_INSTANT), 1704117600120);
	assert_int_equal(parse_ok("2024-01-01T14:00:00.123Z", NULL,
				  TIME_FORM_INSTANT), 1704117600123);
	assert_int_equal(parse_ok("2024-01-01T14:00:00.123999999Z", NULL,
				  TIME_FORM_INSTANT), 1704117600123);
	assert_int_equal(parse_ok("2024-01-01T09:00:00.5-05:00", NULL,
				  TIME_FORM_INSTANT), 1704117600500);
	assert_int_equal(parse_ok("1969-12-31T23:59:59.5Z", NULL,
				  TIME_FORM_INSTANT), -500);
	assert_int_equal(rfc3339_parse("1969-12-31T23:59:59.5Z", NULL, &t,
				       NULL, &cause), 0);
	assert_int_equal(t, -1);
	assert_int_equal(parse_ok("0000-01-01T00:00:00Z", NULL,
				  TIME_FORM_INSTANT), -62167219200000);
	assert_int_equal(parse_ok("9999-12-31T23:59:59.999Z", NULL,
				  TIME_FORM_INSTANT), 253402300799999);
	assert_int_equal(parse_ok("2024-02-29T00:00:00Z", NULL,
				  TIME_FORM_INSTANT), 1709164800000);
}

static void test_parse_naive(void **state)
{
	const struct tz *ny = get("America/New_York");

	(void)state;
	assert_int_equal(parse_ok("2024-07-01T12:00:00", ny,
				  TIME_FORM_NAIVE), 1719849600000);
	assert_int_equal(parse_ok("2024-07-01 12:00:00.25", ny,
				  TIME_FORM_NAIVE), 1719849600250);
	/* Repeated: the first occurrence (EDT). */
	assert_int_equal(parse_ok("2025-11-02T01:30:00", ny,
				  TIME_FORM_NAIVE), 1762061400000);
	/* Skipped: the end of the gap. */
	assert_int_equal(parse_ok("2025-03-09T02:30:00", ny,
				  TIME_FORM_NAIVE), 1741503600000);
	/* No zone: UTC. */
	assert_int_equal(parse_ok("2024-01-01T14:00:00", NULL,
				  TIME_FORM_NAIVE), 1704117600000);
	/* Dates: local midnight. */
	assert_int_equal(parse_ok("2025-03-09", ny, TIME_FORM_DATE),
			 1741496400000);
	assert_int_equal(parse_ok("2024-02-29", NULL, TIME_FORM_DATE),
			 1709164800000);
	/* Havana springs forward at midnight: 2024-03-10 starts at 01:00. */
	assert_int_equal(parse_ok("2024-03-10", get("America/Havana"),
				  TIME_FORM_DATE), 1710046800000);
	/* Apia skipped 2011-12-30 entirely. */
	assert_int_equal(parse_ok("2011-12-30", get("Pacific/Apia"),
				  TIME_FORM_DATE), 1325239200000);
}

static void expect_bad(const char *s, const char *cause_want)
{
	char *cause = NULL;
	int64_t ms = 42;

	assert_int_equal(rfc3339_parse_ms(s, NULL, &ms, NULL, &cause),
			 -EINVAL);
	assert_int_equal(ms, 42);
	if (cause == NULL || strcmp(cause, cause_want) != 0)
		fail_msg("'%s': got \"%s\", want \"%s\"", s, cause,
			 cause_want);
	free(cause);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_bad("", "bad time '': empty");
	expect_bad("2024-13-01", "bad time '2024-13-01': month out of range");
	expect_bad("2024-00-01", "bad time '2024-00-01': month out of range");
	expect_bad("2024-02-30", "bad time '2024-02-30': day out of range");
	expect_bad("2023-02-29", "bad time '2023-02-29': day out of range");
	expect_bad("2024-04-31", "bad time '2024-04-31': day out of range");
	expect_bad("2024-01-00", "bad time '2024-01-00': day out of range");
	expect_bad("2024-01-01T24:00:00Z",
		   "bad time '2024-01-01T24:00:00Z': hour out of range");
	expect_bad("2024-01-01T12:60:00Z",
		   "bad time '2024-01-01T12:60:00Z': minute out of range");
	expect_bad("2024-12-31T23:59:60Z",
		   "bad time '2024-12-31T23:59:60Z': second out of range");
	expect_bad("2024-1-01", "bad time '2024-1-01': expected YYYY-MM-DD");
	expect_bad("24-01-01", "bad time '24-01-01': expected YYYY-MM-DD");
	expect_bad("tomorrow", "bad time 'tomorrow': expected YYYY-MM-DD");
	expect_bad("2024-01-01X12:00:00",
		   "bad time '2024-01-01X12:00:00': expected 'T' after the "
		   "date");
	expect_bad("2024-01-01T12:00Z",
		   "bad time '2024-01-01T12:00Z': expected HH:MM:SS after "
		   "the date");
	expect_bad("2024-01-01T",
		   "bad time '2024-01-01T': expected HH:MM:SS after the date");
	expect_bad("2024-01-01T12:00:00.Z",
		   "bad time '2024-01-01T12:00:00.Z': fraction needs 1 to 9 "
		   "digits");
	expect_bad("2024-01-01T12:00:00.1234567891Z",
		   "bad time '2024-01-01T12:00:00.1234567891Z': fraction "
		   "needs 1 to 9 digits");
	expect_bad("2024-01-01T12:00:00+5:00",
		   "bad time '2024-01-01T12:00:00+5:00': expected offset "
		   "+HH:MM");
	expect_bad("2024-01-01T12:00:00+0500",
		   "bad time '2024-01-01T12:00:00+0500': expected offset "
		   "+HH:MM");
	expect_bad("2024-01-01T12:00:00+24:00",
		   "bad time '2024-01-01T12:00:00+24:00': offset out of "
		   "range");
	expect_bad("2024-01-01T12:00:00+05:60",
		   "bad time '2024-01-01T12:00:00+05:60': offset out of "
		   "range");
	expect_bad("2024-01-01T12:00:00Zjunk",
		   "bad time '2024-01-01T12:00:00Zjunk': unexpected "
		   "characters after the time");
	expect_bad("2024-01-01T12:00:00 ",
		   "bad time '2024-01-01T12:00:00 ': unexpected characters "
		   "after the time");
	expect_bad("2024-01-01 ",
		   "bad time '2024-01-01 ': expected HH:MM:SS after the date");
	expect_bad("-2024-01-01T00:00:00Z",
		   "bad time '-2024-01-01T00:00:00Z': expected YYYY-MM-DD");
	/* Long input is quoted in part only. */
	expect_bad("2024-01-01T00:00:00Z0123456789012345678901234567890123"
		   "456789012345678901234567890123456789",
		   "bad time '2024-01-01T00:00:00Z0123456789012345678901234"
		   "5678901234567890123...': unexpected characters after the "
		   "time");
}

/* Format then parse gives the same instant, for instants spread over
 * years 0000 to 9999 and in several zones. */
static void test_round_trip(void **state)
{
	static const char *zones[] = { "UTC", "America/New_York",
				       "Australia/Lord_Howe", "Asia/Kolkata",
				       "Pacific/Apia", "America/St_Johns" };
	const int64_t lo = -62167219200 + 86400, hi = 253402300799 - 86400;
	uint64_t x = 88172645463325252ULL;
	char buf[RFC3339_BUFSZ], *cause = NULL;
	int64_t got;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		const struct tz *z = get(zones[i % 6]);
		int64_t t, ms;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t = lo + (int64_t)(x % (uint64_t)(hi - lo));
		if (i % 5 == 0)
			t = (int64_t)(x % 4000000000ULL) - 2000000000;
		ms = t * 1000 + (int64_t)(x >> 40) % 1000;
		assert_int_equal(rfc3339_parse(rfc3339_format_utc(t, buf),
					       NULL, &got, NULL, &cause), 0);
		assert_int_equal(got, t);
		assert_int_equal(rfc3339_parse(rfc3339_format_local(t, z, buf),
					       NULL, &got, NULL, &cause), 0);
		assert_int_equal(got, t);
		assert_int_equal(rfc3339_parse_ms(rfc3339_format_utc_ms(ms,
									 buf),
						  NULL, &got, NULL, &cause), 0);
		assert_int_equal(got, ms);
	}
	assert_int_equal(rfc3339_parse(rfc3339_format_utc(253402300799, buf),
				       NULL, &got, NULL, &cause), 0);
	assert_int_equal(got, 253402300799);
	assert_int_equal(rfc3339_parse(rfc3339_format_utc(-62167219200, buf),
				       NULL, &got, NULL, &cause), 0);
	assert_int_equal(got, -62167219200);
}

static void test_relative(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(format_relative(1000, 1000, buf, sizeof(buf)),
			    "now");
	assert_string_equal(format_relative(4 * 3600 + 12 * 60 + 30, 0, buf,
					    sizeof(buf)), "in 4h 12m");
	assert_string_equal(format_relative(0, 3 * 60 + 5, buf, sizeof(buf)),
			    "3m 5s ago");
	assert_string_equal(format_relative(86400 + 300 + 7, 0, buf,
					    sizeof(buf)), "in 1d 5m");
	assert_string_equal(format_relative(3600, 0, buf, sizeof(buf)),
			    "in 1h");
	assert_string_equal(format_relative(1, 0, buf, sizeof(buf)), "in 1s");
	assert_string_equal(format_relative(-1, 0, buf, sizeof(buf)),
			    "1s ago");
	assert_string_equal(format_relative(-10 * 86400 - 1, 0, buf,
					    sizeof(buf)), "10d 1s ago");
	assert_string_equal(format_relative(INT64_MAX, INT64_MIN, buf,
					    sizeof(buf)),
			    "in 213503982334601d 7h");
	assert_string_equal(format_relative(INT64_MIN, INT64_MAX, buf,
					    sizeof(buf)),
			    "213503982334601d 7h ago");
	/* A short buffer is truncated, never overrun. */
	assert_string_equal(format_relative(3600, 0, buf, 4), "in ");
}

static int teardown(void **state)
{
	(void)state;
	tz_cache_clear();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_calendar_walk),
		cmocka_unit_test(test_civil_seconds),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse_instants),
		cmocka_unit_test(test_parse_naive),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_relative),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
