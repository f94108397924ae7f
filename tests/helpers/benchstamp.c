/*
 * benchstamp: the asset bench/run.sh schedules to measure fire-to-child
 * lateness. It reads CLOCK_REALTIME first thing, then appends one line
 * "SCHEDULE_ID SCHEDULED_EPOCH_S START_EPOCH_NS\n" to FILE with a single
 * O_APPEND write (lines from concurrent runs never interleave).
 * SCHEDULED_EPOCH_S is $VIBE_SCHEDULED_TIME (RFC 3339, seconds, with an
 * offset or Z) as seconds since the epoch. With $BENCH_DUE_NS set (by
 * benchbare spawnlate) the line is "bare DUE_NS START_EPOCH_NS" instead.
 * It owns nothing else.
 *
 * usage: benchstamp FILE
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "2026-11-30T02:00:51+00:00" or "...Z" -> epoch seconds; -1 if malformed. */
static long long parse_rfc3339(const char *s)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, se, oh = 0, om = 0, n = 0;
	char sign = 'Z';
	long long t;

	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6)
		return -1;
	s += n;
	if (*s == '.')
		while (*++s >= '0' && *s <= '9')
			;
	if (*s == '+' || *s == '-') {
		sign = *s;
		if (sscanf(s + 1, "%d:%d", &oh, &om) != 2)
			return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = (long long)timegm(&tm);
	if (sign == '+')
		t -= oh * 3600 + om * 60;
	else if (sign == '-')
		t += oh * 3600 + om * 60;
	return t;
}

int main(int argc, char **argv)
{
	struct timespec now;
	char line[256];
	const char *id = getenv("VIBE_SCHEDULE_ID");
	int fd, n;

	clock_gettime(CLOCK_REALTIME, &now);
	if (argc != 2)
		return 2;
	if (getenv("BENCH_DUE_NS"))
		n = snprintf(line, sizeof line, "bare %s %lld\n", getenv("BENCH_DUE_NS"),
			     (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
	else
		n = snprintf(line, sizeof line, "%s %lld %lld\n", id ? id : "-",
			     parse_rfc3339(getenv("VIBE_SCHEDULED_TIME")),
			     (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		return 1;
	close(fd);
	return 0;
}
