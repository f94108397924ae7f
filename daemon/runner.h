/*
 * The runner and the worker pool: run slots (max_concurrent_runs), FIFO
 * queues beyond them (live runs before backfill tasks, nothing dropped),
 * asset DAGs in dependency order with independent assets in parallel,
 * timeouts (SIGTERM to the group, SIGKILL after the grace), retries with
 * doubling delays, output drained into size-capped log files, cancel, and
 * shutdown. The only module that forks, kills and reaps.
 */
#ifndef VIBE_RUNNER_H
#define VIBE_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

struct daemon;

enum trigger_type { TRIGGER_SCHEDULED, TRIGGER_EVENT, TRIGGER_MANUAL, TRIGGER_BACKFILL };
const char *trigger_type_name(enum trigger_type t);

/* What to run. Everything is borrowed for the duration of runner_submit. */
struct run_request {
	const char *schedule_id;
	json_t *schedule_event;		/* the ScheduleEvent this run belongs to:
					 * run_id is set in it; the runner keeps a
					 * copy and appends its final version */
	enum trigger_type trigger;
	int64_t scheduled_time;		/* seconds */
	const char *timezone;		/* for VIBE_SCHEDULED_TIME */
	const json_t *asset_graph;
	const json_t *trigger_event;	/* {event_id,event_type,event_data,source} or NULL */
	const char *backfill_id;	/* NULL unless a backfill task */
	const char *logical_date;	/* VIBE_LOGICAL_DATE; NULL: from scheduled_time */
	uid_t owner_uid;
	const char *run_as;		/* NULL: the owner */
	bool after_previous;		/* overlap queue: start only when no
					 * run of the schedule is running */
	/* Called once when the run reaches a final state (may be NULL). */
	void (*on_done)(const char *run_id, const char *status, void *arg);
	/* Frees ARG when the run is dropped without finishing (shutdown). */
	void (*free_arg)(void *arg);
	void *arg;
};

int runner_init(struct daemon *d, char **cause);
/* Stops every run (SIGTERM, grace, SIGKILL), records them, frees all. */
void runner_shutdown(struct daemon *d);

/* Queues a run; it starts from the next loop turn when a slot is free.
 * Returns its new run id (borrowed, valid until the next loop turn). */
const char *runner_submit(struct daemon *d, const struct run_request *rq,
			  char **cause);

/* Runs of SCHEDULE_ID not yet finished: running and queued. */
void runner_active_counts(struct daemon *d, const char *schedule_id,
			  int *ret_running, int *ret_queued);
/* Cancels every unfinished run of SCHEDULE_ID (overlap cancel_previous). */
void runner_cancel_schedule(struct daemon *d, const char *schedule_id);
/* Cancels one run. 0, -ENOENT (unknown), -EALREADY (already finished). */
int runner_cancel(struct daemon *d, const char *run_id);

/* {running, queued} (new reference). */
json_t *runner_counts(struct daemon *d);

/* The Run object of RUN_ID, live or finished (new reference), or NULL. */
json_t *runner_get_run(struct daemon *d, const char *run_id);
/* Runs newest first, filtered (NULL = any), at most LIMIT (new array).
 * VISIBLE_UID: (uid_t)-1 for all, else only runs of schedules owned by
 * it -- the caller passes a filter callback instead for flexibility. */
json_t *runner_list_runs(struct daemon *d, const char *schedule_id,
			 const char *status, size_t limit,
			 bool (*visible)(const json_t *run, void *arg),
			 void *arg);
/* The run's output: one asset's (ASSET non-NULL) or all, asset by asset in
 * start order under "==> ASSET <==" headers; only the last TAIL_BYTES of
 * each (0 = all, capped). New string, or NULL with -errno in *ret_err. */
char *runner_read_log(struct daemon *d, const char *run_id, const char *asset,
		      size_t tail_bytes, int *ret_err);

/* Starts queued runs into free slots (after recovery, at start-up). */
void runner_start_dispatch(struct daemon *d);

/* SIGTERM: stops every running run (SIGTERM, grace, SIGKILL) and records
 * it failed ("daemon stopped"); queued runs stay queued on disk. Calls
 * ON_IDLE once nothing runs any more. */
void runner_stop_all(struct daemon *d, void (*on_idle)(void *), void *arg);

/* Drops every stored run of SCHEDULE_ID (the schedule was deleted). */
void runner_forget_schedule(struct daemon *d, const char *schedule_id);

#endif
