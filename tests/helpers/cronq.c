/*
 * cronq: answers cron queries the way `cron_oracle.py batch` does, for the
 * differential test (tests/integ/010-cron-differential.sh).
 *
 * Reads lines EXPR<TAB>ZONE<TAB>START<TAB>N on stdin; writes one line per
 * query: the N next fires after START as YYYY-MM-DDTHH:MM:SSZ separated by
 * spaces (fewer if nothing fires within the horizon), or "error: MESSAGE".
 * Blank lines are skipped. Owns nothing but this I/O; the semantics are
 * daemon/cron.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cron.h"
#include "daemon/timefmt.h"
#include "daemon/tz.h"

#define MAX_FIELDS 4

/* Splits LINE in place at tabs; returns the number of fields. */
static int
split_tabs(char *line, char *f[MAX_FIELDS + 1])
{
	int n = 0;
	char *p = line, *tab;

	for (;;) {
		if (n <= MAX_FIELDS)
			f[n] = p;
		n++;
		tab = strchr(p, '\t');
		if (!tab)
			return n;
		*tab = '\0';
		p = tab + 1;
	}
}

/* Prints the N fires of EXPR in ZONE after START, or "error: ...". */
static void
answer(const char *expr, const char *zone, const char *start, long n)
{
	struct cron c;
	const struct tz *z;
	char *cause = NULL, buf[RFC3339_BUFSZ];
	int64_t t;
	long i;

	if (cron_parse(expr, &c, &cause) != 0 ||
	    (z = tz_get(zone, &cause)) == NULL ||
	    rfc3339_parse(start, NULL, &t, NULL, &cause) != 0) {
		printf("error: %s\n", cause);
		free(cause);
		return;
	}
	for (i = 0; i < n; i++) {
		if (cron_next(&c, z, t, &t) != 0)
			break;
		printf("%s%s", i ? " " : "", rfc3339_format_utc(t, buf));
	}
	putchar('\n');
}

static bool
blank(const char *s)
{
	return s[strspn(s, " \t\r\n\f\v")] == '\0';
}

int
main(void)
{
	char *line = NULL, *f[MAX_FIELDS + 1];
	size_t cap = 0;
	ssize_t len;
	char *end;
	long n;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (blank(line))
			continue;
		if (split_tabs(line, f) != MAX_FIELDS) {
			printf("error: expected EXPR<TAB>ZONE<TAB>START<TAB>N\n");
			continue;
		}
		errno = 0;
		n = strtol(f[3], &end, 10);
		if (errno || end == f[3] || *end || n < 0 || n > 100000) {
			printf("error: bad count '%s'\n", f[3]);
			continue;
		}
		answer(f[0], f[1], f[2], n);
		fflush(stdout);
	}
	free(line);
	return 0;
}
