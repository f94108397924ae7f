/*
 * Tests of daemon/tz.c: real tzdata zones with their edge cases (30-minute
 * DST, a skipped day, no DST, gaps and folds, far-future footer rules),
 * hand-made TZif files in a private $TZDIR (v1, v2 footers with Jn, n and
 * out-of-range hours, corrupt files), name checks, errors and the cache.
 * Expected instants were computed independently with python3 zoneinfo
 * and glibc (TZ=rule date -d @T), not with the code under test.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/tz.h"

static const struct tz *get(const char *name)
{
	char *cause = NULL;
	const struct tz *z = tz_get(name, &cause);

	if (z == NULL)
		fail_msg("tz_get(%s): %s", name, cause);
	return z;
}

static void check_one(const struct tz *z, int64_t wall, int64_t utc)
{
	struct tz_resolved r;

	tz_wall_to_utc(z, wall, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.utc[0], utc);
	assert_int_equal(tz_utc_to_wall(z, utc), wall);
}

static void check_gap(const struct tz *z, int64_t wall, int64_t end, int len)
{
	struct tz_resolved r;

	tz_wall_to_utc(z, wall, &r);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.gap_end, end);
	assert_int_equal(r.gap_len, len);
}

static void check_fold(const struct tz *z, int64_t wall, int64_t a, int64_t b)
{
	struct tz_resolved r;

	tz_wall_to_utc(z, wall, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.utc[0], a);
	assert_int_equal(r.utc[1], b);
	assert_int_equal(tz_utc_to_wall(z, a), wall);
	assert_int_equal(tz_utc_to_wall(z, b), wall);
}

static void test_new_york(void **state)
{
	const struct tz *z = get("America/New_York");
	const char *abbr;
	bool dst;

	(void)state;
	/* 2025-03-09 02:30 is skipped: the gap ends at 07:00Z. */
	check_gap(z, 1741487400, 1741503600, 3600);
	/* 2025-11-02 01:30 happens at 05:30Z (EDT) and 06:30Z (EST). */
	check_fold(z, 1762047000, 1762047000 + 4 * 3600,
		   1762047000 + 5 * 3600);
	/* The instants just around the spring transition. */
	check_one(z, 1741487400 - 1801, 1741503600 - 1);	/* 01:59:59 EST */
	assert_int_equal(tz_offset_at(z, 1741503599, &abbr, &dst), -18000);
	assert_string_equal(abbr, "EST");
	assert_false(dst);
	assert_int_equal(tz_offset_at(z, 1741503600, &abbr, &dst), -14400);
	assert_string_equal(abbr, "EDT");
	assert_true(dst);
	/* Next transitions: strictly after T. */
	assert_int_equal(tz_next_transition(z, 1735689600), 1741503600);
	assert_int_equal(tz_next_transition(z, 1741503599), 1741503600);
	assert_int_equal(tz_next_transition(z, 1741503600), 1762063200);
	/* 1960-07-01 12:00 EDT, before the epoch. */
	check_one(z, -299851200, -299851200 + 14400);
	/* LMT (-4:56:02) long ago. */
	assert_int_equal(tz_offset_at(z, -5364662400, NULL, NULL), -17762);
}

/* Past 2037 the fat file has no transitions: the footer rule decides. */
static void test_far_future(void **state)
{
	const struct tz *ny = get("America/New_York");
	const struct tz *lon = get("Europe/London");
	const char *abbr;
	bool dst;

	(void)state;
	check_one(ny, 5695963200, 5695963200 + 14400);	/* 2150-07-01 EDT */
	check_one(ny, 5680324800, 5680324800 + 18000);	/* 2150-01-01 EST */
	assert_int_equal(tz_offset_at(ny, 5695963200, &abbr, &dst), -14400);
	assert_string_equal(abbr, "EDT");
	assert_true(dst);
	check_one(lon, 7273800000, 7273800000 - 3600);	/* 2200-07-01 BST */
	assert_int_equal(tz_offset_at(lon, 7258118400, NULL, NULL), 0);
	/* Beyond the first expanded 400-year cycle. */
	assert_int_equal(tz_next_transition(ny, 16725139200), 16731471600);
	assert_int_equal(tz_next_transition(ny, 95617065600), 95623398000);
	assert_int_equal(tz_offset_at(ny, 95633265600, NULL, NULL), -14400);
	/* 9999: gap on 03-14, fold on 11-07. */
	assert_int_equal(tz_next_transition(ny, 253370764800), 253377010800);
	check_gap(ny, 253376994600, 253377010800, 3600);
	check_fold(ny, 253397554200, 253397554200 + 14400,
		   253397554200 + 18000);
}

static void test_lord_howe(void **state)
{
	const struct tz *z = get("Australia/Lord_Howe");
	const char *abbr;

	(void)state;
	assert_int_equal(tz_offset_at(z, 1735689600, &abbr, NULL), 39600);
	assert_string_equal(abbr, "+11");
	assert_int_equal(tz_offset_at(z, 1751328000, &abbr, NULL), 37800);
	assert_string_equal(abbr, "+1030");
	/* 2025-04-06 01:45 happens twice, 30 minutes apart. */
	check_fold(z, 1743903900, 1743864300, 1743866100);
	/* 2025-10-05 02:15 is in a 30-minute gap ending 2025-10-04T15:30Z. */
	check_gap(z, 1759630500, 1759591800, 1800);
	assert_int_equal(tz_next_transition(z, 1759591799), 1759591800);
	/* The footer rule in 2500. */
	assert_int_equal(tz_next_transition(z, 16725139200), 16733228400);
}

static void test_apia(void **state)
{
	const struct tz *z = get("Pacific/Apia");
	struct tz_resolved r;

	(void)state;
	/* 2011-12-30 did not happen: -10 -> +14 at 2011-12-30T10:00Z. */
	tz_wall_to_utc(z, 1325246400, &r);	/* 2011-12-30T12:00 */
	assert_int_equal(r.n, 0);
	assert_int_equal(r.gap_end, 1325239200);
	assert_int_equal(r.gap_len, 86400);
	check_gap(z, 1325246400 - 12 * 3600, 1325239200, 86400);
	check_one(z, 1325203199, 1325239199);	/* 2011-12-29T23:59:59 -10 */
	check_one(z, 1325289600, 1325239200);	/* 2011-12-31T00:00 +14 */
	assert_int_equal(tz_next_transition(z, 1325239199), 1325239200);
	assert_int_equal(tz_offset_at(z, 1325239200, NULL, NULL), 14 * 3600);
}

static void test_kolkata_and_utc(void **state)
{
	const struct tz *k = get("Asia/Kolkata");
	const struct tz *u = get("UTC");
	const char *abbr;
	bool dst = true;

	(void)state;
	check_one(k, 1717243200, 1717223400);	/* 2024-06-01T12:00 +05:30 */
	assert_int_equal(tz_offset_at(k, 0, NULL, NULL), 19800);
	assert_int_equal(tz_offset_at(k, 4102444800, &abbr, NULL), 19800);
	assert_string_equal(abbr, "IST");
	assert_int_equal(tz_next_transition(k, 0), INT64_MAX);
	check_one(u, 1700000000, 1700000000);
	check_one(u, -62135596800, -62135596800);
	assert_int_equal(tz_offset_at(u, 123, &abbr, &dst), 0);
	assert_string_equal(abbr, "UTC");
	assert_false(dst);
	assert_int_equal(tz_next_transition(u, 0), INT64_MAX);
	assert_string_equal(tz_name(get("Etc/UTC")), "Etc/UTC");
}

static void test_errors(void **state)
{
	static const char *bad[] = {
		"../etc/passwd", "/etc/passwd", "", "America/../etc",
		"America/New York", "Europe/London\n", "Asia/Kolkata;rm",
		"a.b",
	};
	char longname[300];
	struct tz *z = NULL;
	char *cause = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tz_load(bad[i], &z, &cause), -EINVAL);
		assert_non_null(strstr(cause, "invalid time zone name"));
		free(cause);
		cause = NULL;
		assert_null(tz_get(bad[i], &cause));
		free(cause);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tz_load(longname, &z, &cause), -EINVAL);
	free(cause);
	assert_int_equal(tz_load("Mars/Base", &z, &cause), -ENOENT);
	assert_string_equal(cause, "unknown time zone 'Mars/Base'");
	free(cause);
	cause = NULL;
	assert_null(tz_get("Mars/Base", &cause));
	assert_string_equal(cause, "unknown time zone 'Mars/Base'");
	free(cause);
	/* A directory is not a zone. */
	assert_int_equal(tz_load("America", &z, &cause), -ENOENT);
	free(cause);
	assert_null(z);
}

static void test_cache(void **state)
{
	const struct tz *a = get("Europe/Paris"), *b = get("Europe/Paris");
	struct tz *own = NULL;
	char *cause = NULL;

	(void)state;
	assert_ptr_equal(a, b);
	assert_string_equal(tz_name(a), "Europe/Paris");
	assert_ptr_not_equal(a, get("Europe/Berlin"));
	assert_int_equal(tz_load("Europe/Paris", &own, &cause), 0);
	assert_ptr_not_equal(own, a);
	assert_int_equal(tz_offset_at(own, 1751328000, NULL, NULL), 7200);
	tz_free(own);
	tz_free(NULL);
}

/* ---- hand-made TZif files in a private TZDIR ---- */

static char tzdir[64];

static void put32(FILE *f, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };

	fwrite(b, 1, 4, f);
}

static void put64(FILE *f, int64_t v)
{
	put32(f, (uint32_t)((uint64_t)v >> 32));
	put32(f, (uint32_t)v);
}

struct ttype {
	int32_t off;
	int isdst;
	int abbr;
};

struct zone_spec {
	char version;		/* '\0' for v1 */
	int ntrans;
	const int64_t *trans;
	const unsigned char *idx;
	int ntypes;
	const struct ttype *types;
	const char *chars;
	size_t charcnt;
	const char *footer;
};

static void put_block(FILE *f, const struct zone_spec *s, int tsz)
{
	size_t charcnt = s->charcnt;

	fwrite("TZif", 1, 4, f);
	fputc(s->version, f);
	for (int i = 0; i < 15; i++)
		fputc(0, f);
	put32(f, 0);
	put32(f, 0);
	put32(f, 0);
	put32(f, (uint32_t)s->ntrans);
	put32(f, (uint32_t)s->ntypes);
	put32(f, (uint32_t)charcnt);
	for (int i = 0; i < s->ntrans; i++) {
		if (tsz == 8)
			put64(f, s->trans[i]);
		else
			put32(f, (uint32_t)(int32_t)s->trans[i]);
	}
	if (s->ntrans > 0)
		fwrite(s->idx, 1, (size_t)s->ntrans, f);
	for (int i = 0; i < s->ntypes; i++) {
		put32(f, (uint32_t)s->types[i].off);
		fputc(s->types[i].isdst, f);
		fputc(s->types[i].abbr, f);
	}
	fwrite(s->chars, 1, charcnt, f);
}

static void write_zone(const char *name, const struct zone_spec *s)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tzdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	put_block(f, s, 4);
	if (s->version != '\0') {
		put_block(f, s, 8);
		fprintf(f, "\n%s\n", s->footer);
	}
	fclose(f);
}

static const struct ttype lmt_type[] = { { 0, 0, 0 } };

static void write_rule_zone(const char *name, const char *footer)
{
	struct zone_spec s = { '2', 0, NULL, NULL, 1, lmt_type, "LMT", 4,
			       footer };

	write_zone(name, &s);
}

static struct tz *load_ok(const char *name)
{
	struct tz *z = NULL;
	char *cause = NULL;

	if (tz_load(name, &z, &cause) < 0)
		fail_msg("tz_load(%s): %s", name, cause);
	return z;
}

static int setup_tzdir(void **state)
{
	(void)state;
	snprintf(tzdir, sizeof(tzdir), "/tmp/test-tz-XXXXXX");
	if (mkdtemp(tzdir) == NULL)
		return -1;
	setenv("TZDIR", tzdir, 1);
	return 0;
}

static int teardown_tzdir(void **state)
{
	char cmd[128];

	(void)state;
	unsetenv("TZDIR");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tzdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_footer_rules(void **state)
{
	struct tz *z;

	(void)state;
	/* Jn never counts Feb 29, n does; -1h and 26h rule times.
	 * glibc: DST 2024-03-01T02:00Z .. 2024-10-28T04:00Z. */
	write_rule_zone("Test/JN", "XXX3YYY,J60/-1,300/26");
	z = load_ok("Test/JN");
	assert_int_equal(tz_offset_at(z, 1709258399, NULL, NULL), -10800);
	assert_int_equal(tz_offset_at(z, 1709258400, NULL, NULL), -7200);
	assert_int_equal(tz_offset_at(z, 1730087999, NULL, NULL), -7200);
	assert_int_equal(tz_offset_at(z, 1730088000, NULL, NULL), -10800);
	assert_int_equal(tz_next_transition(z, 1709258399), 1709258400);
	/* No transitions in the file: the rule holds before 1970 too. */
	assert_int_equal(tz_next_transition(z, -631238400), -626047200);
	tz_free(z);

	/* Angle-bracket names with signs and minutes. */
	write_rule_zone("Test/LH", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
	z = load_ok("Test/LH");
	assert_int_equal(tz_next_transition(z, 1704067200), 1712415600);
	assert_int_equal(tz_next_transition(z, 1712415600), 1728142200);
	assert_int_equal(tz_offset_at(z, 1712415600, NULL, NULL), 37800);
	tz_free(z);

	/* No DST at all. */
	write_rule_zone("Test/IST", "IST-5:30");
	z = load_ok("Test/IST");
	assert_int_equal(tz_offset_at(z, 1717223400, NULL, NULL), 19800);
	assert_int_equal(tz_next_transition(z, 0), INT64_MAX);
	tz_free(z);

	/* Negative rule times (America/Nuuk). */
	write_rule_zone("Test/Nuuk", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
	z = load_ok("Test/Nuuk");
	assert_int_equal(tz_next_transition(z, 1704067200), 1711846800);
	assert_int_equal(tz_next_transition(z, 1711846800), 1729990800);
	tz_free(z);

	/* RFC 8536 3.3.1: DST all year round (python zoneinfo agrees;
	 * glibc does not). */
	write_rule_zone("Test/AllDST", "EST5EDT,0/0,J365/25");
	z = load_ok("Test/AllDST");
	assert_int_equal(tz_offset_at(z, 1704067200, NULL, NULL), -14400);
	assert_int_equal(tz_offset_at(z, 1719792000, NULL, NULL), -14400);
	assert_int_equal(tz_next_transition(z, 1704067200), INT64_MAX);
	tz_free(z);

	/* Hours up to +-167: 2024-03-10 -167h = 03-03 01:00 -03:30, and
	 * 2024-11-03 +167:59:59 = 11-09 23:59:59 -02:30 (glibc agrees). */
	write_rule_zone("Test/Hours",
			"<-0330>3:30<-0230>,M3.2.0/-167,M11.1.0/167:59:59");
	z = load_ok("Test/Hours");
	assert_int_equal(tz_next_transition(z, 1704067200), 1709440200);
	assert_int_equal(tz_next_transition(z, 1709440200), 1731205799);
	tz_free(z);
}

static void test_v1_and_utc_without_data(void **state)
{
	static const int64_t trans[] = { 1000000000, 1100000000 };
	static const unsigned char idx[] = { 1, 0 };
	static const struct ttype types[] = { { 3600, 0, 0 },
					      { 7200, 1, 4 } };
	struct zone_spec s = { '\0', 2, trans, idx, 2, types, "AAA\0BBB", 8,
			       NULL };
	struct tz_resolved r;
	const char *abbr;
	struct tz *z;

	(void)state;
	write_zone("Test/V1", &s);
	z = load_ok("Test/V1");
	assert_int_equal(tz_offset_at(z, 999999999, &abbr, NULL), 3600);
	assert_string_equal(abbr, "AAA");
	assert_int_equal(tz_offset_at(z, 1000000000, &abbr, NULL), 7200);
	assert_string_equal(abbr, "BBB");
	assert_int_equal(tz_offset_at(z, 2000000000, NULL, NULL), 3600);
	/* The fold at 1100000000: back from +2h to +1h. */
	tz_wall_to_utc(z, 1100000000 + 3600 + 1800, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.utc[0], 1100000000 - 1800);
	assert_int_equal(r.utc[1], 1100000000 + 1800);
	assert_int_equal(tz_next_transition(z, 1100000000), INT64_MAX);
	tz_free(z);
	/* UTC needs no file; other zones do. */
	z = load_ok("UTC");
	tz_free(z);
	z = load_ok("Etc/UTC");
	tz_free(z);
}

static void test_corrupt_files(void **state)
{
	char path[128], *cause = NULL;
	struct tz *z = NULL;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/Test/Junk", tzdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs("not a tzif file at all, just text that is long enough......",
	      f);
	fclose(f);
	assert_int_equal(tz_load("Test/Junk", &z, &cause), -EINVAL);
	assert_string_equal(cause, "time zone 'Test/Junk': not a TZif file");
	free(cause);

	write_rule_zone("Test/BadRule", "EST5EDT,M13.1.0,M11.1.0");
	assert_int_equal(tz_load("Test/BadRule", &z, &cause), -EINVAL);
	assert_non_null(strstr(cause, "bad TZ footer"));
	free(cause);

	/* Truncated: a valid file cut in its 64-bit block. */
	write_rule_zone("Test/Cut", "EST5EDT,M3.2.0,M11.1.0");
	snprintf(path, sizeof(path), "%s/Test/Cut", tzdir);
	assert_int_equal(truncate(path, 54 + 44 + 5), 0);
	assert_int_equal(tz_load("Test/Cut", &z, &cause), -EINVAL);
	assert_non_null(strstr(cause, "truncated"));
	free(cause);
	assert_int_equal(tz_load("America/New_York", &z, &cause), -ENOENT);
	free(cause);
	assert_null(z);
}

static int setup_test_subdir(void **state)
{
	char path[128];

	if (setup_tzdir(state) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/Test", tzdir);
	return mkdir(path, 0700);
}

static int teardown_cache(void **state)
{
	(void)state;
	tz_cache_clear();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_york),
		cmocka_unit_test(test_far_future),
		cmocka_unit_test(test_lord_howe),
		cmocka_unit_test(test_apia),
		cmocka_unit_test(test_kolkata_and_utc),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cache),
	};
	const struct CMUnitTest file_tests[] = {
		cmocka_unit_test(test_footer_rules),
		cmocka_unit_test(test_v1_and_utc_without_data),
		cmocka_unit_test(test_corrupt_files),
	};
	int failed = cmocka_run_group_tests(tests, NULL, teardown_cache);

	failed += cmocka_run_group_tests(file_tests, setup_test_subdir,
					 teardown_tzdir);
	return failed;
}
