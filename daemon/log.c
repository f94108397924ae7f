/*
 * Logging: under systemd (JOURNAL_STREAM set and matching stderr) each
 * message goes to the journal with its priority and fields; otherwise one
 * line on stderr with a time and a level word.
 */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

static int log_level = LOG_INFO;
static bool log_journal;

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
	log_journal = stderr_is_journal();
}

static const char *prio_word(int prio)
{
	static const char *const words[] = {
		"emerg", "alert", "crit", "error", "warning", "notice", "info",
		"debug",
	};

	return words[prio & 7];
}

static void emit(int prio, const char *sid, const char *rid, const char *line)
{
	struct timespec ts;
	struct tm tm;

	if (log_journal) {
		char f[4][4200];
		struct iovec iov[4];
		int n = 0;

		snprintf(f[n++], sizeof f[0], "MESSAGE=%s", line);
		snprintf(f[n++], sizeof f[0], "PRIORITY=%d", prio);
		if (sid)
			snprintf(f[n++], sizeof f[0], "SCHEDULE_ID=%s", sid);
		if (rid)
			snprintf(f[n++], sizeof f[0], "RUN_ID=%s", rid);
		for (int i = 0; i < n; i++)
			iov[i] = (struct iovec){ f[i], strlen(f[i]) };
		sd_journal_sendv(iov, n);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: %s\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, prio_word(prio), line);
}

static void vemit(int prio, const char *sid, const char *rid, const char *fmt,
		  va_list ap) __attribute__((format(printf, 4, 0)));

static void vemit(int prio, const char *sid, const char *rid, const char *fmt,
		  va_list ap)
{
	char line[4096];

	if (prio > log_level)
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	emit(prio, sid, rid, line);
}

void vlog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(prio, NULL, NULL, fmt, ap);
	va_end(ap);
}

void vlog_run(int prio, const char *schedule_id, const char *run_id,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(prio, schedule_id, run_id, fmt, ap);
	va_end(ap);
}
