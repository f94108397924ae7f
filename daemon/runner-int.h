/*
 * Internals shared by runner.c (runs, queues, records) and runner_proc.c
 * (asset processes). Not for other modules.
 */
#ifndef VIBE_RUNNER_INT_H
#define VIBE_RUNNER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "daemon/runner.h"
#include "daemon/spawn.h"

struct event;

enum run_state { RUN_QUEUED, RUN_RUNNING, RUN_SUCCEEDED, RUN_FAILED, RUN_CANCELLED };
enum asset_state {
	ASSET_PENDING, ASSET_RUNNING, ASSET_RETRY_WAIT, ASSET_SUCCEEDED,
	ASSET_FAILED, ASSET_SKIPPED, ASSET_CANCELLED,
};
enum asset_timer { TIMER_NONE, TIMER_TIMEOUT, TIMER_GRACE, TIMER_RETRY, TIMER_SPAWN_FAILED };

struct run;

struct asset_run {
	struct run *run;
	size_t index;
	const char *name;		/* borrowed from run->graph */
	const json_t *spec;		/* borrowed from run->graph */
	enum asset_state state;
	unsigned deps_left;
	int attempts;
	int exit_code;			/* -1: none */
	int signal;			/* 0: none */
	int64_t started_ms, finished_ms;
	pid_t pid;			/* 0: no process */
	int out_fd;			/* -1: closed */
	struct event *out_ev;
	int log_fd;
	size_t log_bytes;
	bool log_capped;
	bool reaped, eof;
	int wstatus;
	struct event *timer;
	enum asset_timer timer_kind;
	bool timed_out, cancelled;
	char *error;			/* new */
};

struct run {
	struct run *prev, *next;	/* all unfinished runs */
	struct run *qnext;		/* in a queue */
	struct daemon *d;
	char run_id[40];
	char *schedule_id, *event_id, *backfill_id, *timezone, *logical_date;
	char *run_as;
	enum trigger_type trigger;
	int64_t scheduled_time;
	uid_t owner_uid;
	json_t *graph;			/* new: {name, assets:[...]} normalized */
	json_t *trigger_event;		/* new or NULL */
	json_t *sched_event;		/* new: our copy of the ScheduleEvent, or NULL */
	enum run_state state;
	int64_t queued_ms, started_ms, finished_ms;
	struct asset_run *assets;
	size_t nassets;
	bool after_previous;		/* see struct run_request */
	bool cancelling;
	bool forgotten;			/* its schedule was deleted: leave no trace */
	bool stopping;			/* the daemon is shutting down */
	char *error;			/* new */
	struct spawn_user user;
	bool have_user;
	void (*on_done)(const char *run_id, const char *status, void *arg);
	void (*free_arg)(void *arg);
	void *arg;
};

struct runner {
	struct run *active;		/* queued and running */
	struct run *live_head, *live_tail;	/* queue: scheduled/event/manual */
	struct run *bf_head, *bf_tail;		/* queue: backfill tasks */
	int nrunning, nqueued;
	struct event *sigchld_ev;
	struct event *dispatch_ev;	/* start queued runs next loop turn */
	json_t *finished;		/* schedule_id -> [Run...] oldest first */
	void (*on_idle)(void *arg);	/* shutdown: called when nothing runs */
	void *idle_arg;
};

const char *run_state_name(enum run_state s);
const char *asset_state_name(enum asset_state s);
json_t *run_to_json(const struct run *r);

/* runner_proc.c */
void proc_start_asset(struct asset_run *a);
void proc_kill_asset(struct asset_run *a, const char *why);
void proc_sigchld(struct runner *rn);
void proc_release_asset(struct asset_run *a);
/* A run ended: SIGKILL to what it left behind (setsid escapees). */
void proc_sweep_run(struct run *r);

/* runner.c, called by runner_proc.c */
void runner_asset_finished(struct asset_run *a);
/* runner_proc.c: the attempt's process is reaped and its output at EOF. */
void runner_attempt_over(struct asset_run *a);

#endif
