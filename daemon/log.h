/*
 * Logging with priorities: to the journal (sd_journal_send, with
 * PRIORITY= and fields such as SCHEDULE_ID= and RUN_ID=) when stderr is
 * connected to it (JOURNAL_STREAM), else one plain line on stderr. Only the
 * daemon logs; proto/ and store/ return errors for their callers to log.
 */
#ifndef VIBE_LOG_H
#define VIBE_LOG_H

#include <syslog.h>

/* Call once at start: decides the output format; LEVEL is the lowest
 * priority still printed (LOG_DEBUG prints all). */
void log_init(int level);

void vlog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same, with the journal fields SCHEDULE_ID= and RUN_ID= (either may
 * be NULL) when logging to the journal; on stderr they are just text. */
void vlog_run(int prio, const char *schedule_id, const char *run_id,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_err(...) vlog(LOG_ERR, __VA_ARGS__)
#define log_warn(...) vlog(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) vlog(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) vlog(LOG_INFO, __VA_ARGS__)
#define log_debug(...) vlog(LOG_DEBUG, __VA_ARGS__)

#endif
