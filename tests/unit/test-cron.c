/*
 * Unit tests of daemon/cron.c: every rejection of DESIGN §4 with its field
 * named, the crontab conveniences (names, 7 = Sunday, @macros), the golden
 * DST vectors (checked against ../shared/tools/cron_oracle.py --engine ref),
 * the 400-year horizon, and two properties: fires depend only on
 * (expression, zone), and in UTC they equal a minute-by-minute scan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cron.h"
#include "daemon/timefmt.h"
#include "daemon/tz.h"

static int64_t
at(const char *s)
{
	char *cause = NULL;
	int64_t t;

	if (rfc3339_parse(s, NULL, &t, NULL, &cause) != 0)
		fail_msg("bad time %s: %s", s, cause);
	return t;
}

static const struct tz *
zone(const char *name)
{
	char *cause = NULL;
	const struct tz *z = tz_get(name, &cause);

	if (z == NULL)
		fail_msg("zone %s: %s", name, cause);
	return z;
}

static struct cron
parse_ok(const char *expr)
{
	struct cron c;
	char *cause = NULL;

	if (cron_parse(expr, &c, &cause) != 0)
		fail_msg("'%s' rejected: %s", expr, cause);
	return c;
}

/* EXPR is rejected with a message that contains every NULL-terminated
 * fragment given. */
static void
parse_err(const char *expr, ...)
{
	struct cron c;
	char *cause = NULL;
	const char *frag;
	va_list ap;

	if (cron_parse(expr, &c, &cause) != -EINVAL)
		fail_msg("'%s' accepted", expr);
	assert_non_null(cause);
	va_start(ap, expr);
	while ((frag = va_arg(ap, const char *)) != NULL) {
		if (strstr(cause, frag) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", expr, cause,
				 frag);
	}
	va_end(ap);
	free(cause);
}

/* The fires of EXPR in ZONE after START are the NULL-terminated list. */
static void
expect_fires(const char *expr, const char *zname, const char *start, ...)
{
	struct cron c = parse_ok(expr);
	const struct tz *z = zone(zname);
	char buf[RFC3339_BUFSZ];
	int64_t t = at(start);
	const char *want;
	va_list ap;

	va_start(ap, start);
	while ((want = va_arg(ap, const char *)) != NULL) {
		assert_int_equal(cron_next(&c, z, t, &t), 0);
		if (strcmp(rfc3339_format_utc(t, buf), want) != 0)
			fail_msg("'%s' %s: got %s, want %s", expr, zname, buf,
				 want);
	}
	va_end(ap);
}

static void
test_field_count(void **state)
{
	(void)state;
	parse_err("0 0 * *", "expected 5 fields, got 4", NULL);
	parse_err("0 0 * * * *", "expected 5 fields, got 6", NULL);
	parse_err("", "expected 5 fields, got 0", NULL);
	parse_err("   ", "expected 5 fields, got 0", NULL);
}

static void
test_empty_items(void **state)
{
	(void)state;
	/* Fields are split at white space, so an empty field shows up as a
	 * wrong field count (above); empty list items are named. */
	parse_err("1,,2 * * * *", "minute: empty list item in '1,,2'", NULL);
	parse_err("0 ,5 * * *", "hour: empty list item", NULL);
	parse_err("0 0 1, * *", "day-of-month: empty list item", NULL);
	parse_err("0 0 * 1,,2 *", "month: empty list item", NULL);
	parse_err("0 0 * * ,", "day-of-week: empty list item", NULL);
	parse_err("/5 * * * *", "minute: bad item '/5'", NULL);
	parse_err("*/ * * * *", "minute: bad item '*/'", NULL);
	parse_err("0 x * * *", "hour: bad value 'x'", NULL);
	parse_err("0 1- * * *", "hour: bad value ''", NULL);
}

static void
test_out_of_range(void **state)
{
	(void)state;
	parse_err("60 * * * *", "minute: value 60 out of range 0-59", NULL);
	parse_err("0 24 * * *", "hour: value 24 out of range 0-23", NULL);
	parse_err("0 0 0 * *", "day-of-month: value 0 out of range 1-31",
		  NULL);
	parse_err("0 0 32 * *", "day-of-month: value 32 out of range 1-31",
		  NULL);
	parse_err("0 0 * 0 *", "month: value 0 out of range 1-12", NULL);
	parse_err("0 0 * 13 *", "month: value 13 out of range 1-12", NULL);
	parse_err("0 0 * * 8", "day-of-week: value 8 out of range 0-6",
		  "7 also means Sunday", NULL);
	parse_err("0 1-99999999999999999999 * * *",
		  "hour: value 99999999999999999999 out of range", NULL);
	parse_err("007 0 * * 1-10", "day-of-week: value 10 out of", NULL);
}

static void
test_ranges_and_steps(void **state)
{
	(void)state;
	parse_err("0 0 5-1 * *", "day-of-month: reversed range '5-1'",
		  "wrap-around", NULL);
	parse_err("0 0 * * 6-1", "day-of-week: reversed range '6-1'", NULL);
	parse_err("*/0 * * * *", "minute: step 0 in '*/0'", NULL);
	parse_err("0 1-5/0 * * *", "hour: step 0 in '1-5/0'", NULL);
	parse_err("*/60 * * * *", "minute: step 60 larger than the field "
		  "span 59 in '*/60'", NULL);
	parse_err("0 */24 * * *", "hour: step 24 larger", NULL);
	parse_err("0 0 */31 * *", "day-of-month: step 31 larger", NULL);
	parse_err("0 0 * */12 *", "month: step 12 larger", NULL);
	parse_err("0 0 * * */7", "day-of-week: step 7 larger", NULL);
	parse_err("5/15 * * * *", "minute: '5/15': a step needs '*' or a "
		  "range (say 5-59/15)", NULL);
	parse_err("0 0 1/2 * *", "day-of-month: '1/2': a step needs",
		  "say 1-31/2", NULL);
	parse_err("0 0 1/2/3 * *", "day-of-month: bad item '1/2/3'", NULL);
}

static void
test_other_dialects(void **state)
{
	(void)state;
	parse_err("0 0 ? * 1", "day-of-month: bad value '?'",
		  "not supported", NULL);
	parse_err("0 0 * * ?", "day-of-week: bad value '?'", "not supported",
		  NULL);
	parse_err("0 0 L * *", "day-of-month: bad value 'L'",
		  "'L' (last day) is not supported", NULL);
	parse_err("0 0 * * 5L", "day-of-week: bad value '5L'",
		  "not supported", NULL);
	parse_err("0 0 15W * *", "day-of-month: bad value '15W'",
		  "'W' (nearest weekday) is not supported", NULL);
	parse_err("0 0 LW * *", "day-of-month", "not supported", NULL);
	parse_err("0 0 * * 1#2", "day-of-week: bad value '1#2'",
		  "'#' (nth weekday of the month) is not supported", NULL);
	parse_err("@reboot", "unknown macro '@reboot'", NULL);
	parse_err("@daily 1", "expected 5 fields, got 2", NULL);
}

static void
test_never_fires(void **state)
{
	struct cron c;

	(void)state;
	parse_err("0 0 30 2 *", "never fires", NULL);
	parse_err("0 0 31 4,6,9,11 *", "never fires", NULL);
	parse_err("0 0 31 2,4 */2", "never fires", NULL);
	parse_err("0 0 30,31 feb *", "never fires", NULL);
	c = parse_ok("0 0 29 2 *");
	assert_true(c.dom == 1u << 29);
	/* Both day fields restricted: the OR rule, so Mondays fire. */
	parse_ok("0 0 30 2 1");
	parse_ok("0 0 31 4,6,9,11 1-5");
}

static void
test_masks_and_flags(void **state)
{
	struct cron c;

	(void)state;
	c = parse_ok("*/15 9-17/4 1,15 * 1-5");
	assert_true(c.minute == (1ULL | 1ULL << 15 | 1ULL << 30 | 1ULL << 45));
	assert_true(c.hour == (1u << 9 | 1u << 13 | 1u << 17));
	assert_true(c.dom == (1u << 1 | 1u << 15));
	assert_true(c.month == 0x1ffe);
	assert_true(c.dow == 0x3e);
	assert_false(c.dom_star);
	assert_true(c.dow_star == false);
	assert_false(c.fixed_time);
	c = parse_ok("30 2 */2 * *");
	assert_true(c.fixed_time && c.dom_star && c.dow_star);
	c = parse_ok("0 *,3 1 * *");
	assert_false(c.fixed_time);
	c = parse_ok("0 3,* 1 * *");
	assert_true(c.fixed_time);
	assert_true(c.hour == 0xffffff);
}

static void
test_names_seven_macros(void **state)
{
	struct cron c;

	(void)state;
	c = parse_ok("0 9 * jan-MAR,Dec mon-FRI");
	assert_true(c.month == (0xe | 1u << 12));
	assert_true(c.dow == 0x3e);
	c = parse_ok("0 0 * * 7");
	assert_true(c.dow == 1);
	c = parse_ok("0 0 * * 5-7");
	assert_true(c.dow == (1u | 1u << 5 | 1u << 6));
	c = parse_ok("0 0 * * sun,Sat");
	assert_true(c.dow == (1u | 1u << 6));
	parse_err("0 0 * * 0-8", "day-of-week: value 8", NULL);
	parse_err("0 0 * MON *", "month: bad value 'MON'", NULL);
	parse_err("0 0 * * JAN", "day-of-week: bad value 'JAN'", NULL);
	parse_err("0 0 * * MON/2", "a step needs", NULL);
	c = parse_ok("@hourly");
	assert_true(c.minute == 1 && c.hour == 0xffffff && !c.fixed_time);
	c = parse_ok("  @daily ");
	assert_true(c.minute == 1 && c.hour == 1 && c.fixed_time);
	c = parse_ok("@midnight");
	assert_true(c.hour == 1 && c.dom == 0xfffffffe);
	c = parse_ok("@weekly");
	assert_true(c.dow == 1 && c.dom_star && !c.dow_star);
	c = parse_ok("@monthly");
	assert_true(c.dom == 2 && c.month == 0x1ffe);
	c = parse_ok("@yearly");
	assert_true(c.dom == 2 && c.month == 2);
	c = parse_ok("@ANNUALLY");
	assert_true(c.dom == 2 && c.month == 2);
}

static void
test_golden_dst(void **state)
{
	(void)state;
	expect_fires("30 2 * * *", "America/New_York", "2025-03-08T12:00:00Z",
		     "2025-03-09T07:00:00Z", "2025-03-10T06:30:00Z", NULL);
	expect_fires("30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z",
		     "2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z", NULL);
	expect_fires("*/30 * * * *", "America/New_York",
		     "2025-11-02T04:40:00Z", "2025-11-02T05:00:00Z",
		     "2025-11-02T05:30:00Z", "2025-11-02T06:00:00Z",
		     "2025-11-02T06:30:00Z", NULL);
	expect_fires("0 1,2,3 * * *", "America/New_York",
		     "2025-03-08T12:00:00Z", "2025-03-09T06:00:00Z",
		     "2025-03-09T07:00:00Z", "2025-03-10T05:00:00Z", NULL);
	expect_fires("15 2 * * *", "Australia/Lord_Howe",
		     "2025-10-03T12:00:00Z", "2025-10-03T15:45:00Z",
		     "2025-10-04T15:30:00Z", "2025-10-05T15:15:00Z", NULL);
	expect_fires("0 9 * * *", "Pacific/Apia", "2011-12-28T12:00:00Z",
		     "2011-12-28T19:00:00Z", "2011-12-29T19:00:00Z",
		     "2011-12-30T19:00:00Z", NULL);
}

static void
test_golden_utc(void **state)
{
	(void)state;
	expect_fires("0 0 */2 * 1", "UTC", "2025-06-01T00:00:00Z",
		     "2025-06-09T00:00:00Z", "2025-06-23T00:00:00Z",
		     "2025-07-07T00:00:00Z", NULL);
	expect_fires("0 0 29 2 *", "UTC", "2097-01-01T00:00:00Z",
		     "2104-02-29T00:00:00Z", NULL);
	/* The 36-year gap of DESIGN §4: Feb 29 on a Sunday or a Friday. */
	expect_fires("0 0 29 2 */5", "UTC", "2036-03-01T00:00:00Z",
		     "2060-02-29T00:00:00Z", "2064-02-29T00:00:00Z",
		     "2088-02-29T00:00:00Z", NULL);
	expect_fires("59 23 31 12 *", "UTC", "1969-12-31T23:59:00Z",
		     "1970-12-31T23:59:00Z", NULL);
	expect_fires("0 12 * * *", "UTC", "1900-03-01T12:00:30Z",
		     "1900-03-02T12:00:00Z", NULL);
	parse_err("0 0 30 2 *", "never fires", NULL);
}

/* A hand-made expression that parse would reject: cron_next gives up at
 * the horizon instead of looping. */
static void
test_horizon(void **state)
{
	struct cron c = { .minute = 1, .hour = 1, .dom = 1u << 30,
			  .month = 1u << 2, .dow = 0x7f, .dom_star = false,
			  .dow_star = true, .fixed_time = true };
	int64_t t = 12345;

	(void)state;
	assert_int_equal(cron_next(&c, zone("America/New_York"), 0, &t),
			 -ENOENT);
	assert_true(t == 12345);
	c = parse_ok("* * * * *");
	assert_int_equal(cron_next(&c, zone("UTC"), INT64_MAX, &t), -ENOENT);
	assert_int_equal(cron_next(&c, zone("UTC"), INT64_MIN, &t), -ENOENT);
}

/* Fires depend only on (expression, zone): from any instant between two
 * consecutive fires, next() gives the later one. */
static void
check_consistent(const char *expr, const char *zname, const char *start)
{
	struct cron c = parse_ok(expr);
	const struct tz *z = zone(zname);
	int64_t f[40], t, x;
	int i, k;

	f[0] = at(start);
	for (i = 1; i < 40; i++) {
		assert_int_equal(cron_next(&c, z, f[i - 1], &f[i]), 0);
		assert_true(f[i] > f[i - 1]);
	}
	for (i = 1; i < 39; i++) {
		for (k = 0; k < 4; k++) {
			x = f[i] + (f[i + 1] - f[i]) * k / 4;
			assert_int_equal(cron_next(&c, z, x, &t), 0);
			if (t != f[i + 1])
				fail_msg("'%s' %s: next(%lld) = %lld, want "
					 "%lld", expr, zname, (long long)x,
					 (long long)t, (long long)f[i + 1]);
		}
	}
}

static void
test_consistency(void **state)
{
	static const char *const exprs[] = {
		"*/30 * * * *", "30 1 * * *", "30 2 * * *", "0 1,2,3 * * *",
		"*/15 1-3 * * *", "0 * * * *", "45 1 * * 0", "* 1 * * *",
		"7,37 */2 * * *",
	};
	static const char *const zones[][2] = {
		{ "America/New_York", "2025-11-01T20:00:00Z" },
		{ "America/New_York", "2025-03-08T20:00:00Z" },
		{ "Australia/Lord_Howe", "2025-04-05T10:00:00Z" },
		{ "Australia/Lord_Howe", "2025-10-04T10:00:00Z" },
		{ "Europe/London", "2025-10-25T20:00:00Z" },
		{ "Pacific/Apia", "2011-12-29T00:00:00Z" },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++)
		for (j = 0; j < sizeof zones / sizeof zones[0]; j++)
			check_consistent(exprs[i], zones[j][0], zones[j][1]);
}

static bool
matches_utc(const struct cron *c, int64_t t)
{
	struct civil cv;
	int64_t days = t / 86400;
	unsigned wd = weekday_from_days(days);
	bool dom, dow;

	civil_from_seconds(t, &cv);
	dom = c->dom & (1u << cv.day);
	dow = c->dow & (1u << wd);
	if (!(c->minute & (1ULL << cv.minute)) || !(c->hour & (1u << cv.hour))
	    || !(c->month & (1u << cv.month)))
		return false;
	return (c->dom_star || c->dow_star) ? dom && dow : dom || dow;
}

/* In UTC, next() equals a minute-by-minute scan. */
static void
test_scan_utc(void **state)
{
	static const char *const exprs[] = {
		"*/7 */5 * * *", "0 0 */3 * 1,3", "15 6 1-7 * 1",
		"0 12 31 * *", "30 2 29 2 *", "5 4 * 2-3 0", "0 0 1,15 * 5",
		"*/20 1-3 */2 * *", "0 0 13 * 5",
	};
	const struct tz *z = zone("UTC");
	struct cron c;
	int64_t t0 = at("2023-12-20T00:00:00Z"), t, want;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
		c = parse_ok(exprs[i]);
		t = t0;
		while (t < t0 + 200LL * 86400) {
			want = t - t % 60 + 60;
			while (!matches_utc(&c, want))
				want += 60;
			assert_int_equal(cron_next(&c, z, t, &t), 0);
			if (t != want)
				fail_msg("'%s': got %lld want %lld", exprs[i],
					 (long long)t, (long long)want);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_count),
		cmocka_unit_test(test_empty_items),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_ranges_and_steps),
		cmocka_unit_test(test_other_dialects),
		cmocka_unit_test(test_never_fires),
		cmocka_unit_test(test_masks_and_flags),
		cmocka_unit_test(test_names_seven_macros),
		cmocka_unit_test(test_golden_dst),
		cmocka_unit_test(test_golden_utc),
		cmocka_unit_test(test_horizon),
		cmocka_unit_test(test_consistency),
		cmocka_unit_test(test_scan_utc),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	tz_cache_clear();
	return r;
}
