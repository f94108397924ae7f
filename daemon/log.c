/*
 * Logging: one line per message on stderr. Under systemd (JOURNAL_STREAM
 * set and matching stderr) lines carry "<N>" priority prefixes that the
 * journal understands; on a terminal they carry a level word and a time.
 */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int log_level = LOG_INFO;
static bool log_prefixed;

static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%lu:%lu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_init(int level)
{
	log_level = level;
	log_prefixed = stderr_is_journal();
}

static const char *prio_word(int prio)
{
	static const char *const words[] = {
		"emerg", "alert", "crit", "error", "warning", "notice", "info",
		"debug",
	};

	return words[prio & 7];
}

void vlog(int prio, const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (log_prefixed) {
		fprintf(stderr, "<%d>%s\n", prio, line);
	} else {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: %s\n",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			prio_word(prio), line);
	}
}
