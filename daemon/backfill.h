/*
 * The backfill manager (DESIGN §4 "Backfill"): a backfill is a schedule's
 * fire times in a past range, each run as a pipeline run with trigger_type
 * `backfill` and its logical date. Owns the backfill objects, their task
 * lists, their execution (at most max_parallel tasks handed to the runner's
 * backfill queue at once, oldest first), cancel and retry, and their
 * records: backfills/<id>.json (config and tasks, rewritten only when the
 * whole backfill changes state) plus backfills/<id>.jsonl (one line per task
 * change, replayed over the .json on load). A backfill that was running
 * when the daemon stopped resumes at start-up.
 *
 * Does not own runs (the runner does), schedules (the schedule table) or
 * the wire: the methods live in h_backfill.c.
 */
#ifndef VIBE_BACKFILL_H
#define VIBE_BACKFILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

struct daemon;
struct schedule;
struct tz;
struct deferred;

/* Safety limit on the number of tasks (DESIGN §4). */
#define BACKFILL_MAX_TASKS 10000
#define BACKFILL_MAX_PARALLEL 1000

enum bf_status { BF_PENDING, BF_RUNNING, BF_SUCCEEDED, BF_FAILED, BF_CANCELLED };
enum task_status {
	TASK_PENDING, TASK_RUNNING, TASK_SUCCEEDED, TASK_FAILED, TASK_CANCELLED,
	TASK_STATUS_COUNT,
};

struct bf_task {
	int64_t time;			/* scheduled_time, seconds */
	char *run_id;			/* new: the latest run, or NULL */
	enum task_status status;
};

struct backfill {
	char *id;
	char *schedule_id;
	char *start_date, *end_date;	/* as given */
	char *timezone;
	const struct tz *tz;		/* borrowed from the tz cache */
	bool parallel;
	int max_parallel;
	enum bf_status status;
	uid_t owner_uid;		/* the schedule's owner at create time */
	int64_t created_at_ms;
	struct bf_task *tasks;		/* oldest first */
	size_t ntasks;
	size_t counts[TASK_STATUS_COUNT];
	size_t cursor;			/* no pending task before this index */
	unsigned gen;			/* .json generation: older .jsonl lines are stale */
	size_t *inflight;		/* task indices handed to the runner */
	int ninflight;			/* capacity max_parallel */
	struct deferred **waiters;	/* borrowed: calls answered when done */
	size_t nwaiters;
};

/* ---- planning (pure) ---------------------------------------------------- */

/* Parses a range: START_DATE and END_DATE in RFC 3339, naive or date-only
 * forms local to Z; a date-only end covers its whole day. *ret_from and
 * *ret_to (seconds, both inclusive) on success; else -EINVAL with
 * *ret_field ("start_date" or "end_date", borrowed) and *cause (new). */
int backfill_parse_range(const char *start_date, const char *end_date,
			 const struct tz *z, int64_t *ret_from, int64_t *ret_to,
			 const char **ret_field, char **cause);

/* The fire times of S in [FROM, TO], computed in zone Z (cron) or on S's
 * own grid (interval: origin start_time, else created_at rounded up to a
 * whole second; the grid extends both ways). Returns 0 and *ret_times (new
 * array, oldest first) and *ret_n; -ENOTSUP for an event schedule; -E2BIG
 * if there are more than MAX (nothing allocated then). */
int backfill_plan(const struct schedule *s, const struct tz *z, int64_t from,
		  int64_t to, size_t max, int64_t **ret_times, size_t *ret_n);

/* "YYYY-MM-DD": T's local date in Z. Returns BUF. */
char *backfill_logical_date(int64_t t, const struct tz *z, char buf[16]);

/* ---- the manager ------------------------------------------------------- */

/* Loads every backfill from the store (replaying task logs), cancels the
 * backfill runs the runner re-queued from a previous life (this module's
 * task state decides what runs again), and resumes the running ones from
 * the next loop turn. Call after runner_init. 0 or -errno with *cause. */
int backfill_init(struct daemon *d, char **cause);
/* Frees everything; answers nothing (the server is gone). Call after
 * runner_shutdown. */
void backfill_release(struct daemon *d);

/* A new pending backfill (not stored, not registered) of S over the given
 * times (TIMES is stolen). Strings are copied. */
struct backfill *backfill_new(const struct schedule *s, const char *start_date,
			      const char *end_date, const char *zone,
			      const struct tz *z, bool parallel, int max_parallel,
			      int64_t *times, size_t ntimes);
void backfill_free(struct backfill *b);

/* Writes B's .json and, on success, takes B into the manager. 0, or -errno
 * with *cause (B untouched, still the caller's). */
int backfill_register(struct daemon *d, struct backfill *b, char **cause);

/* Borrowed, or NULL. */
struct backfill *backfill_find(const char *id);
/* The I-th backfill in id order (borrowed), or NULL past the end. */
struct backfill *backfill_at(size_t i);

/* Starts a pending backfill (execute) or re-runs a finished one's failed
 * tasks (RETRY). The caller checked the state. Durable after the next
 * store_sync. 0, or -errno with *cause (nothing changed). */
int backfill_start(struct daemon *d, struct backfill *b, bool retry,
		   char **cause);
/* Cancels the pending tasks and stops the running ones. 0, or -errno with
 * *cause (nothing changed). */
int backfill_cancel(struct daemon *d, struct backfill *b, char **cause);
/* Answers DF with B's result once B is finished and settled. */
void backfill_add_waiter(struct daemon *d, struct backfill *b,
			 struct deferred *df);

/* True once B's status is final. */
bool backfill_finished(const struct backfill *b);

const char *bf_status_name(enum bf_status s);
const char *task_status_name(enum task_status s);

/* The Backfill object (new); with TASKS its task list too. */
json_t *backfill_to_json(const struct backfill *b, bool tasks);
/* The BackfillResult {backfill_id, status, tasks_total, tasks_succeeded,
 * tasks_failed, tasks_cancelled} (new). */
json_t *backfill_result(const struct backfill *b);

#endif
