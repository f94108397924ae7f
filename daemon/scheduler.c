/*
 * The scheduler loop: one timerfd armed (CLOCK_REALTIME, absolute) for the
 * earliest next fire in the heap, never later than check_interval_seconds
 * from now; TFD_TIMER_CANCEL_ON_SET tells us when the wall clock was set,
 * and every next fire time is recomputed then. Due schedules are triggered
 * with their overlap policy; fires missed while the daemon was down or
 * stopped follow the schedule's catch-up policy. The only module that
 * changes a schedule's fire state.
 */
#include "daemon/scheduler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/daemon.h"
#include "daemon/events.h"
#include "daemon/history.h"
#include "daemon/log.h"
#include "daemon/runner.h"
#include "daemon/sched.h"
#include "daemon/timefmt.h"
#include "proto/xalloc.h"
#include "store/store.h"

#define CATCHUP_MAX 10000

struct scheduler {
	int tfd;
	struct event *ev;
	uint64_t fires;			/* scheduled triggers since start */
};

/* ---- triggering ------------------------------------------------------------ */

struct done_ctx {
	struct daemon *d;
	char *schedule_id;
	int64_t created_at_ms;		/* which schedule of that id */
};

static void done_ctx_free(void *arg)
{
	struct done_ctx *dc = arg;

	free(dc->schedule_id);
	free(dc);
}

static void schedule_run_done(const char *run_id, const char *status, void *arg)
{
	struct done_ctx *dc = arg;
	struct schedule *s = sched_find(dc->d->sched, dc->schedule_id);

	/* The schedule may have been deleted, or deleted and added again
	 * (maybe by another user): then the outcome is not its. */
	if (s && s->created_at_ms == dc->created_at_ms) {
		free(s->last_status);
		s->last_status = xstrdup(status);
		scheduler_run_finished(dc->d, dc->schedule_id, run_id, status);
	}
	done_ctx_free(dc);
}

/* Applies S's overlap policy; returns false if the trigger is skipped. */
static bool overlap_admits(struct daemon *d, const struct schedule *s)
{
	int running, queued;

	runner_active_counts(d, s->id, &running, &queued);
	switch (s->overlap) {
	case OVERLAP_SKIP:
		return running + queued == 0;
	case OVERLAP_QUEUE:
		return queued == 0;
	case OVERLAP_CANCEL_PREVIOUS:
		if (running + queued)
			runner_cancel_schedule(d, s->id);
		return true;
	default:
		return true;
	}
}

json_t *scheduler_trigger(struct daemon *d, struct schedule *s,
			  enum trigger_type trigger, int64_t scheduled_time,
			  const json_t *trigger_event)
{
	json_t *ev = history_event_new(s->id, trigger, scheduled_time, "queued");
	char *cause = NULL;

	if (trigger_event)
		json_object_set(ev, "trigger_event", (json_t *)trigger_event);
	if (!overlap_admits(d, s)) {
		json_object_set_new(ev, "status", json_string("skipped"));
		json_object_set_new(ev, "error", json_sprintf("a run of '%s' is already %s (overlap %s)",
							      s->id, s->overlap == OVERLAP_QUEUE ? "queued" : "active",
							      overlap_name(s->overlap)));
	} else {
		struct done_ctx *dc = xmalloc(sizeof *dc);
		json_t *graph = schedule_asset_graph(s);
		struct run_request rq = {
			.schedule_id = s->id, .schedule_event = ev, .trigger = trigger,
			.scheduled_time = scheduled_time, .timezone = s->timezone,
			.asset_graph = graph, .trigger_event = trigger_event,
			.owner_uid = s->owner_uid, .run_as = s->run_as,
			.after_previous = s->overlap == OVERLAP_QUEUE,
			.on_done = schedule_run_done, .free_arg = done_ctx_free, .arg = dc,
		};

		dc->d = d;
		dc->schedule_id = xstrdup(s->id);
		dc->created_at_ms = s->created_at_ms;
		runner_submit(d, &rq, &cause);
		json_decref(graph);
	}
	if (trigger == TRIGGER_SCHEDULED)
		s->last_fire = scheduled_time;
	if (history_append(d, ev, &cause) < 0) {
		log_err("schedule %s: cannot record a trigger: %s", s->id, cause);
		free(cause);
	}
	return ev;
}

static void fire(struct daemon *d, struct schedule *s, int64_t t)
{
	d->scheduler->fires++;
	json_decref(scheduler_trigger(d, s, TRIGGER_SCHEDULED, t, NULL));
}

/* ---- catch-up -------------------------------------------------------------- */

/* Fires of S in (FROM, NOW] per its catch-up policy. */
static void catch_up(struct daemon *d, struct schedule *s, int64_t from, int64_t now)
{
	int64_t t = from, last = TIME_NONE;
	size_t n = 0, dropped = 0;

	if (s->catchup == CATCHUP_NONE)
		return;
	while (schedule_next_after(s, t, &t) == 0 && t <= now) {
		if (s->catchup == CATCHUP_ALL) {
			if (n < CATCHUP_MAX)
				fire(d, s, t);
			else
				dropped++;
		}
		last = t;
		if (++n > 10 * CATCHUP_MAX && s->catchup == CATCHUP_LATEST) {
			/* far too many to walk: jump to the last stretch */
			int64_t probe = now - (now - t) / 2;

			t = probe > t ? probe : t;
		}
	}
	if (s->catchup == CATCHUP_LATEST && last != TIME_NONE)
		fire(d, s, last);
	if (n)
		log_info("schedule %s: %zu missed fire(s), catch-up %s%s", s->id, n, catchup_name(s->catchup),
			 dropped ? " (over the 10,000 bound: the newest were not run)" : "");
}

static void persist_completed(struct daemon *d, struct schedule *s)
{
	json_t *doc = schedule_to_json(s);
	char *cause = NULL;

	if (store_put(d->store, STORE_SCHEDULES, s->id, doc, &cause) < 0) {
		log_err("schedule %s: cannot store its completed status: %s", s->id, cause);
		free(cause);
	}
	json_decref(doc);
	daemon_request_sync(d);
	log_info("schedule %s completed: no further fire time", s->id);
}

bool scheduler_settle(struct daemon *d, struct schedule *s)
{
	int64_t now = now_ms() / 1000, next;
	bool in_table = sched_find(d->sched, s->id) == s;

	if (s->status != SSTATUS_ACTIVE || s->type == STYPE_EVENT) {
		s->next_fire = TIME_NONE;
	} else if (schedule_next_after(s, now, &next) == 0) {
		s->next_fire = next;
	} else {
		s->next_fire = TIME_NONE;
		s->status = SSTATUS_COMPLETED;
	}
	if (in_table) {
		sched_requeue(d->sched, s);
		scheduler_arm(d);
	}
	return s->status == SSTATUS_COMPLETED;
}

/* ---- the timer --------------------------------------------------------------- */

void scheduler_arm(struct daemon *d)
{
	struct scheduler *sc = d->scheduler;
	struct schedule *s = sched_peek(d->sched);
	int64_t now = now_ms(), deadline = now + (int64_t)d->cfg.check_interval_seconds * 1000;
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (!sc)
		return;
	if (!d->running) {
		timerfd_settime(sc->tfd, 0, &its, NULL);
		return;
	}
	if (s && s->next_fire * 1000 < deadline)
		deadline = s->next_fire * 1000;
	if (deadline <= 0)
		deadline = 1;
	its.it_value.tv_sec = deadline / 1000;
	its.it_value.tv_nsec = (deadline % 1000) * 1000000;
	if (timerfd_settime(sc->tfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0)
		log_err("timerfd_settime: %s", strerror(errno));
}

static void fire_due(struct daemon *d)
{
	int64_t now_msec = now_ms(), now = now_msec / 1000;
	struct schedule *s;

	while ((s = sched_peek(d->sched)) && s->next_fire * 1000 <= now_msec) {
		int64_t t = s->next_fire, next;

		fire(d, s, t);
		if (schedule_next_after(s, t, &next) == 0 && next <= now) {
			/* More were missed (suspend, a clock jump, a stall). */
			catch_up(d, s, t, now);
			if (schedule_next_after(s, now, &next) < 0)
				next = TIME_NONE;
		} else if (schedule_next_after(s, t, &next) < 0) {
			next = TIME_NONE;
		}
		s->next_fire = next;
		if (next == TIME_NONE) {
			s->status = SSTATUS_COMPLETED;
			persist_completed(d, s);
		}
		sched_requeue(d->sched, s);
	}
}

/* The wall clock was set: recompute every next fire from now. */
static void clock_changed(struct daemon *d)
{
	int64_t now = now_ms() / 1000;

	log_notice("the system clock was changed: recomputing every next fire time");
	for (size_t i = 0; i < sched_count(d->sched); i++) {
		struct schedule *s = sched_at(d->sched, i);

		if (s->status == SSTATUS_ACTIVE && s->type != STYPE_EVENT)
			sched_update_next(d->sched, s, now);
	}
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	uint64_t ticks;

	(void)what;
	if (read(fd, &ticks, sizeof ticks) < 0 && errno == ECANCELED)
		clock_changed(d);
	if (d->running)
		fire_due(d);
	scheduler_arm(d);
}

/* Missed fires of every active schedule since ANCHOR(s), per catch-up. */
static void catch_up_all(struct daemon *d, bool from_history)
{
	int64_t now = now_ms() / 1000;

	for (size_t i = 0; i < sched_count(d->sched); i++) {
		struct schedule *s = sched_at(d->sched, i);
		int64_t anchor;

		if (s->status != SSTATUS_ACTIVE || s->type == STYPE_EVENT || s->catchup == CATCHUP_NONE)
			continue;
		if (from_history) {
			anchor = history_last_scheduled(d, s->id);
			if (anchor == INT64_MIN)
				anchor = s->updated_at_ms / 1000;
		} else {
			anchor = s->next_fire == TIME_NONE ? now : s->next_fire - 1;
		}
		catch_up(d, s, anchor, now);
		scheduler_settle(d, s);
	}
}

int scheduler_init(struct daemon *d, char **cause)
{
	struct scheduler *sc = xcalloc(1, sizeof *sc);

	sc->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (sc->tfd < 0) {
		*cause = xasprintf("timerfd_create: %s", strerror(errno));
		free(sc);
		return -errno;
	}
	sc->ev = event_new(d->base, sc->tfd, EV_READ | EV_PERSIST, timer_cb, d);
	event_priority_set(sc->ev, 0);	/* firing goes first */
	event_add(sc->ev, NULL);
	d->scheduler = sc;
	d->running = !d->cfg.start_stopped;
	if (d->running)
		catch_up_all(d, true);
	scheduler_arm(d);
	return 0;
}

void scheduler_release(struct daemon *d)
{
	struct scheduler *sc = d->scheduler;

	if (!sc)
		return;
	event_free(sc->ev);
	close(sc->tfd);
	free(sc);
	d->scheduler = NULL;
}

void scheduler_set_running(struct daemon *d, bool running)
{
	if (d->running == running)
		return;
	log_notice("scheduler %s", running ? "started" : "stopped");
	d->running = running;
	if (running) {
		catch_up_all(d, false);
		for (size_t i = 0; i < sched_count(d->sched); i++)
			scheduler_settle(d, sched_at(d->sched, i));
	}
	scheduler_arm(d);
}

json_t *scheduler_run_counts(struct daemon *d)
{
	return runner_counts(d);
}

/* Hook for run outcomes (pipeline_completed events build on it). */
void scheduler_run_finished(struct daemon *d, const char *schedule_id,
			    const char *run_id, const char *status)
{
	events_run_finished(d, schedule_id, run_id, status);
}
