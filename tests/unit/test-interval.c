/*
 * Tests of daemon/interval.c: every accepted and rejected form of
 * "<n><unit>", and the fire grid start + k*step (before the start, on a
 * grid point, between points, negative and huge times). Expected values
 * are worked out by hand (or with python3 for the huge ones).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/interval.h"

static void expect_ok(const char *s, int64_t want)
{
	char *cause = NULL;
	int64_t got = -1;

	if (interval_parse(s, &got, &cause) < 0)
		fail_msg("'%s': %s", s, cause);
	assert_int_equal(got, want);
}

static void expect_bad(const char *s, const char *want)
{
	char *cause = NULL;
	int64_t got = 42;

	assert_int_equal(interval_parse(s, &got, &cause), -EINVAL);
	assert_int_equal(got, 42);
	if (cause == NULL || strcmp(cause, want) != 0)
		fail_msg("'%s': got \"%s\", want \"%s\"", s, cause, want);
	free(cause);
}

static void test_parse_good(void **state)
{
	(void)state;
	expect_ok("1s", 1);
	expect_ok("90s", 90);
	expect_ok("5m", 300);
	expect_ok("1h", 3600);
	expect_ok("36h", 129600);
	expect_ok("1d", 86400);
	expect_ok("007m", 420);
	/* The limit is 100 * 366 days, in any unit. */
	expect_ok("36600d", INTERVAL_MAX_SECONDS);
	expect_ok("3162240000s", 3162240000);
	expect_ok("878400h", 3162240000);
	expect_ok("52704000m", 3162240000);
}

static void test_parse_bad(void **state)
{
	(void)state;
	expect_bad("", "bad interval '': empty (expected a number and a unit "
		       "s, m, h or d, e.g. 90s or 1h)");
	expect_bad("0s", "bad interval '0s': must be at least 1");
	expect_bad("000h", "bad interval '000h': must be at least 1");
	expect_bad("5", "bad interval '5': missing unit (s, m, h or d)");
	expect_bad("5x", "bad interval '5x': unknown unit (expected s, m, h "
			 "or d)");
	expect_bad("5M", "bad interval '5M': unknown unit (expected s, m, h "
			 "or d)");
	expect_bad("5 m", "bad interval '5 m': unknown unit (expected s, m, "
			  "h or d)");
	expect_bad("1.5h", "bad interval '1.5h': only whole numbers are "
			   "allowed");
	expect_bad("1,5h", "bad interval '1,5h': only whole numbers are "
			   "allowed");
	expect_bad("-5m", "bad interval '-5m': must start with a whole "
			  "number");
	expect_bad("+5m", "bad interval '+5m': must start with a whole "
			  "number");
	expect_bad(" 5m", "bad interval ' 5m': must start with a whole "
			  "number");
	expect_bad("h", "bad interval 'h': must start with a whole number");
	expect_bad("5m ", "bad interval '5m ': unexpected characters after "
			  "the unit");
	expect_bad("5mm", "bad interval '5mm': unexpected characters after "
			  "the unit");
	expect_bad("1h30m", "bad interval '1h30m': unexpected characters "
			    "after the unit");
	expect_bad("36601d", "bad interval '36601d': too large (at most 100 "
			     "years)");
	expect_bad("3162240001s", "bad interval '3162240001s': too large (at "
				  "most 100 years)");
	expect_bad("99999999999999999999999999s",
		   "bad interval '99999999999999999999999999s': too large (at "
		   "most 100 years)");
	/* A huge number still gets its syntax checked first. */
	expect_bad("99999999999999999999999999x",
		   "bad interval '99999999999999999999999999x': unknown unit "
		   "(expected s, m, h or d)");
}

static void test_next(void **state)
{
	(void)state;
	/* Before the start, at it, and up to the first point: k = 1. */
	assert_int_equal(interval_next(1000, 60, 0), 1060);
	assert_int_equal(interval_next(1000, 60, -5000000), 1060);
	assert_int_equal(interval_next(1000, 60, 999), 1060);
	assert_int_equal(interval_next(1000, 60, 1000), 1060);
	assert_int_equal(interval_next(1000, 60, 1059), 1060);
	/* On a grid point: strictly after. */
	assert_int_equal(interval_next(1000, 60, 1060), 1120);
	assert_int_equal(interval_next(1000, 60, 1000 + 60 * 1000), 61060);
	/* Between points. */
	assert_int_equal(interval_next(1000, 60, 1061), 1120);
	assert_int_equal(interval_next(1000, 60, 1119), 1120);
	assert_int_equal(interval_next(1704067200, 86400, 1704200000),
			 1704240000);
	/* Negative times. */
	assert_int_equal(interval_next(-1000, 300, -950), -700);
	assert_int_equal(interval_next(-1000, 300, -700), -400);
	assert_int_equal(interval_next(-1000, 300, -401), -400);
	assert_int_equal(interval_next(-1000, 300, 0), 200);
	assert_int_equal(interval_next(-1000, 300, -2000), -700);
	/* Step 1. */
	assert_int_equal(interval_next(5, 1, 5), 6);
	assert_int_equal(interval_next(5, 1, 100), 101);
}

static void test_next_huge(void **state)
{
	const int64_t big = (INT64_C(1) << 62) - 1;

	(void)state;
	/* after - start = 2^63 - 2, which only fits unsigned. */
	assert_int_equal(interval_next(-big, 7, big), INT64_C(1) << 62);
	assert_int_equal(interval_next(0, INTERVAL_MAX_SECONDS,
				       4000000000000000000),
			 4000000002168960000);
	assert_int_equal(interval_next(big, INTERVAL_MAX_SECONDS, -big),
			 big + INTERVAL_MAX_SECONDS);
	/* Past INT64_MAX (outside the contract): saturates. */
	assert_int_equal(interval_next(0, INT64_C(1) << 62,
				       (INT64_C(3) << 61)), INT64_MAX);
	assert_int_equal(interval_next(INT64_MAX - 5, 10, 0), INT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_next_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
