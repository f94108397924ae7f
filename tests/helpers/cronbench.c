/*
 * cronbench: nanoseconds per cron_next() for a few typical expressions in
 * America/New_York (bench/10-cron.sh prints the table).
 *
 * Each round chains ITERS calls (after = the previous fire, back to the
 * start every 1,000 fires so the chain stays in realistic years) and is
 * timed with CLOCK_MONOTONIC; the result is the median of ROUNDS rounds,
 * with min and max. Output, one line per expression:
 *   EXPR<TAB>median_ns<TAB>min_ns<TAB>max_ns
 * Usage: cronbench [ITERS [ROUNDS]] (defaults 200000, 9).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "daemon/cron.h"
#include "daemon/timefmt.h"
#include "daemon/tz.h"

#define MAX_ROUNDS 101

static const char *const exprs[] = {
	"0 9 * * *", "*/5 * * * *", "30 9 * * 1-5", "0 0 29 2 *",
};

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nanoseconds per call over one round of ITERS chained calls. */
static double
one_round(const struct cron *c, const struct tz *z, int64_t start,
	  long iters, int64_t *sink)
{
	int64_t t = start;
	double t0 = now_ns();
	long i, k = 0;

	for (i = 0; i < iters; i++) {
		if (cron_next(c, z, t, &t) != 0 || ++k == 1000) {
			t = start;
			k = 0;
		}
	}
	*sink += t;
	return (now_ns() - t0) / (double)iters;
}

int
main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 200000;
	int rounds = argc > 2 ? atoi(argv[2]) : 9, r;
	double ns[MAX_ROUNDS];
	char *cause = NULL;
	const struct tz *z = tz_get("America/New_York", &cause);
	int64_t start, sink = 0;
	struct cron c;
	size_t i;

	if (z == NULL || rfc3339_parse("2025-01-01T00:00:00Z", NULL, &start,
				       NULL, &cause) != 0) {
		fprintf(stderr, "cronbench: %s\n", cause);
		return 1;
	}
	if (iters < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: cronbench [ITERS [ROUNDS<=101]]\n");
		return 2;
	}
	for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
		if (cron_parse(exprs[i], &c, &cause) != 0) {
			fprintf(stderr, "cronbench: %s\n", cause);
			return 1;
		}
		one_round(&c, z, start, iters / 10 + 1, &sink); /* warm up */
		for (r = 0; r < rounds; r++)
			ns[r] = one_round(&c, z, start, iters, &sink);
		qsort(ns, (size_t)rounds, sizeof ns[0], cmp_double);
		printf("%s\t%.1f\t%.1f\t%.1f\n", exprs[i], ns[rounds / 2],
		       ns[0], ns[rounds - 1]);
	}
	fprintf(stderr, "(checksum %lld)\n", (long long)sink);
	tz_cache_clear();
	return 0;
}
