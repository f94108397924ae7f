/*
 * Runs: queues and slots, the asset DAG's progress, Run records, finished
 * runs and their retention, recovery of runs that a dead daemon left
 * behind. Processes themselves are runner_proc.c's.
 *
 * A run's record (runs/<run_id>.json) is written when it is queued, when it
 * starts and when it ends, so a restart finds what was in flight: queued
 * runs are queued again, running ones are recorded failed ("daemon
 * restarted"), with their ScheduleEvents.
 */
#include "daemon/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/daemon.h"
#include "daemon/history.h"
#include "daemon/log.h"
#include "daemon/runner-int.h"
#include "daemon/sched.h"
#include "daemon/schedule.h"
#include "daemon/timefmt.h"
#include "proto/xalloc.h"
#include "store/store.h"

static const char *const trigger_names[] = { "scheduled", "event", "manual", "backfill" };
static const char *const run_state_names[] = {
	"queued", "running", "succeeded", "failed", "cancelled",
};
static const char *const asset_state_names[] = {
	"pending", "running", "retry_wait", "succeeded", "failed", "skipped", "cancelled",
};

const char *trigger_type_name(enum trigger_type t) { return trigger_names[t]; }
const char *run_state_name(enum run_state s) { return run_state_names[s]; }
const char *asset_state_name(enum asset_state s) { return asset_state_names[s]; }

static void dispatch(struct daemon *d);

/* ---- JSON ------------------------------------------------------------- */

static json_t *ms_or_null(int64_t ms)
{
	char buf[RFC3339_BUFSZ];

	return ms ? json_string(rfc3339_format_utc_ms(ms, buf)) : json_null();
}

static json_t *asset_to_json(const struct asset_run *a)
{
	json_t *o = json_pack("{s:s, s:s, s:i}", "name", a->name,
			      "status", asset_state_name(a->state), "attempts", a->attempts);

	json_object_set_new(o, "exit_code", a->exit_code >= 0 ? json_integer(a->exit_code) : json_null());
	json_object_set_new(o, "signal", a->signal ? json_integer(a->signal) : json_null());
	json_object_set_new(o, "started_at", ms_or_null(a->started_ms));
	json_object_set_new(o, "finished_at", ms_or_null(a->finished_ms));
	if (a->error)
		json_object_set_new(o, "error", json_string(a->error));
	return o;
}

json_t *run_to_json(const struct run *r)
{
	char buf[RFC3339_BUFSZ];
	json_t *o = json_object(), *assets = json_array();

	json_object_set_new(o, "run_id", json_string(r->run_id));
	json_object_set_new(o, "schedule_id", json_string(r->schedule_id));
	json_object_set_new(o, "owner_uid", json_integer(r->owner_uid));
	json_object_set_new(o, "event_id", r->event_id ? json_string(r->event_id) : json_null());
	json_object_set_new(o, "trigger_type", json_string(trigger_type_name(r->trigger)));
	json_object_set_new(o, "scheduled_time", json_string(rfc3339_format_utc(r->scheduled_time, buf)));
	json_object_set_new(o, "status", json_string(run_state_name(r->state)));
	json_object_set_new(o, "queued_at", ms_or_null(r->queued_ms));
	json_object_set_new(o, "started_at", ms_or_null(r->started_ms));
	json_object_set_new(o, "finished_at", ms_or_null(r->finished_ms));
	if (r->backfill_id)
		json_object_set_new(o, "backfill_id", json_string(r->backfill_id));
	if (r->error)
		json_object_set_new(o, "error", json_string(r->error));
	for (size_t i = 0; i < r->nassets; i++)
		json_array_append_new(assets, asset_to_json(&r->assets[i]));
	json_object_set_new(o, "assets", assets);
	return o;
}

static void save_run(struct run *r)
{
	json_t *doc = run_to_json(r);
	char *cause = NULL;

	/* The trigger context is kept so a queued run survives a restart. */
	if (r->state == RUN_QUEUED) {
		json_object_set(doc, "asset_graph", r->graph);
		json_object_set_new(doc, "owner_uid", json_integer(r->owner_uid));
		json_object_set_new(doc, "timezone", json_string(r->timezone));
		if (r->trigger_event)
			json_object_set(doc, "trigger_event", r->trigger_event);
		if (r->run_as)
			json_object_set_new(doc, "run_as", json_string(r->run_as));
	}
	/* A queued run that answers a request (manual, event) is durable with
	 * that answer; the rest of a run's progress is written lazily: a
	 * crashed daemon leaves it in the page cache, and a crashed machine
	 * at worst runs a scheduled trigger again. */
	if ((r->state == RUN_QUEUED && (r->trigger == TRIGGER_MANUAL || r->trigger == TRIGGER_EVENT) ?
	     store_put : store_put_lazy)(r->d->store, STORE_RUNS, r->run_id, doc, &cause) < 0) {
		log_err("run %s of %s: cannot store its record: %s", r->run_id, r->schedule_id, cause);
		free(cause);
	}
	daemon_request_sync(r->d);
	json_decref(doc);
}

/* ---- the graph -------------------------------------------------------- */

/* {name} without assets runs PIPELINE_DIR/<name>; a string command runs
 * under /bin/sh -c. The copy keeps the rest of each asset as given. */
static json_t *normalize_graph(struct daemon *d, const json_t *g)
{
	json_t *out = json_deep_copy(g), *assets = json_object_get(out, "assets"), *a;
	const char *name = json_string_value(json_object_get(out, "name"));
	size_t i;

	if (!assets) {
		assets = json_array();
		json_array_append_new(assets, json_pack("{s:s, s:[s]}", "name", name ? name : "pipeline",
							"command", "x"));
		json_array_set_new(json_object_get(json_array_get(assets, 0), "command"), 0,
				   json_sprintf("%s/%s", d->pipeline_dir, name));
		json_object_set_new(out, "assets", assets);
	}
	json_array_foreach(assets, i, a) {
		json_t *cmd = json_object_get(a, "command");

		if (json_is_string(cmd))
			json_object_set_new(a, "command", json_pack("[s, s, O]", "/bin/sh", "-c", cmd));
	}
	return out;
}

static void init_assets(struct run *r)
{
	json_t *assets = json_object_get(r->graph, "assets"), *a;
	size_t i;

	r->nassets = json_array_size(assets);
	r->assets = xcalloc(r->nassets, sizeof *r->assets);
	json_array_foreach(assets, i, a) {
		struct asset_run *ar = &r->assets[i];

		ar->run = r;
		ar->index = i;
		ar->spec = a;
		ar->name = json_string_value(json_object_get(a, "name"));
		ar->deps_left = (unsigned)json_array_size(json_object_get(a, "deps"));
		ar->exit_code = -1;
		ar->out_fd = ar->log_fd = -1;
	}
}

/* ---- queues ----------------------------------------------------------- */

static void enqueue(struct runner *rn, struct run *r)
{
	struct run **head = r->trigger == TRIGGER_BACKFILL ? &rn->bf_head : &rn->live_head;
	struct run **tail = r->trigger == TRIGGER_BACKFILL ? &rn->bf_tail : &rn->live_tail;

	r->qnext = NULL;
	if (*tail)
		(*tail)->qnext = r;
	else
		*head = r;
	*tail = r;
	rn->nqueued++;
}

static void unqueue(struct runner *rn, struct run *r);

/* Overlap queue: a run waits while another run of its schedule runs. */
static bool blocked(const struct runner *rn, const struct run *r)
{
	if (!r->after_previous)
		return false;
	for (const struct run *q = rn->active; q; q = q->next)
		if (q != r && q->state == RUN_RUNNING && strcmp(q->schedule_id, r->schedule_id) == 0)
			return true;
	return false;
}

/* The oldest queued run that may start: live runs before backfill tasks. */
static struct run *dequeue(struct runner *rn)
{
	struct run *heads[2] = { rn->live_head, rn->bf_head };

	for (int i = 0; i < 2; i++) {
		for (struct run *r = heads[i]; r; r = r->qnext) {
			if (!blocked(rn, r)) {
				unqueue(rn, r);
				return r;
			}
		}
	}
	return NULL;
}

static void unqueue(struct runner *rn, struct run *r)
{
	struct run **head = r->trigger == TRIGGER_BACKFILL ? &rn->bf_head : &rn->live_head;
	struct run **tail = r->trigger == TRIGGER_BACKFILL ? &rn->bf_tail : &rn->live_tail;
	struct run *prev = NULL;

	for (struct run *q = *head; q; prev = q, q = q->qnext) {
		if (q != r)
			continue;
		if (prev)
			prev->qnext = q->qnext;
		else
			*head = q->qnext;
		if (*tail == q)
			*tail = prev;
		rn->nqueued--;
		return;
	}
}

/* ---- lifecycle -------------------------------------------------------- */

static void run_free(struct run *r)
{
	for (size_t i = 0; i < r->nassets; i++)
		proc_release_asset(&r->assets[i]);
	free(r->assets);
	free(r->schedule_id);
	free(r->event_id);
	free(r->backfill_id);
	free(r->timezone);
	free(r->logical_date);
	free(r->run_as);
	free(r->error);
	json_decref(r->graph);
	json_decref(r->trigger_event);
	json_decref(r->sched_event);
	if (r->have_user)
		spawn_user_release(&r->user);
	if (r->free_arg && r->arg)
		r->free_arg(r->arg);
	free(r);
}

static void remember_finished(struct daemon *d, struct run *r);
static void remove_run_files(struct daemon *d, json_t *run);

static void record_event_outcome(struct run *r)
{
	char *cause = NULL, at[RFC3339_BUFSZ];
	json_t *ev = r->sched_event;

	if (!ev)
		return;
	json_object_set_new(ev, "status", json_string(run_state_name(r->state)));
	json_object_set_new(ev, "run_id", json_string(r->run_id));
	json_object_set_new(ev, "finished_at", json_string(rfc3339_format_utc_ms(r->finished_ms, at)));
	if (r->error)
		json_object_set_new(ev, "error", json_string(r->error));
	if (history_append(r->d, ev, &cause) < 0) {
		log_err("run %s: cannot record its outcome in %s's history: %s", r->run_id, r->schedule_id, cause);
		free(cause);
	}
}

static void finish_run(struct run *r)
{
	struct daemon *d = r->d;
	struct runner *rn = d->runner;
	bool failed = false;

	for (size_t i = 0; i < r->nassets; i++)
		failed |= r->assets[i].state == ASSET_FAILED;
	if (r->state == RUN_RUNNING)
		rn->nrunning--;
	r->state = r->cancelling && !r->stopping ? RUN_CANCELLED :
		   (failed || r->error) ? RUN_FAILED : RUN_SUCCEEDED;
	r->finished_ms = now_ms();
	proc_sweep_run(r);
	/* A run of a deleted schedule leaves nothing under the id, which a
	 * new schedule (maybe another user's) may already hold. */
	if (!r->forgotten) {
		save_run(r);
		record_event_outcome(r);
	}
	vlog_run(r->state == RUN_SUCCEEDED ? LOG_INFO : LOG_NOTICE, r->schedule_id, r->run_id,
		 "run %s of %s %s", r->run_id, r->schedule_id, run_state_name(r->state));
	if (r->prev)
		r->prev->next = r->next;
	else
		rn->active = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (r->forgotten) {
		json_t *doc = run_to_json(r);

		remove_run_files(d, doc);
		json_decref(doc);
	} else {
		remember_finished(d, r);
	}
	if (r->on_done)
		r->on_done(r->run_id, run_state_name(r->state), r->arg);
	r->arg = NULL;	/* on_done took it */
	run_free(r);
	if (!rn->on_idle)
		dispatch(d);
	else if (rn->nrunning == 0)
		rn->on_idle(rn->idle_arg);	/* queued runs stay queued on disk */
}

static bool run_settled(const struct run *r)
{
	for (size_t i = 0; i < r->nassets; i++) {
		const struct asset_run *a = &r->assets[i];

		if (a->state == ASSET_PENDING || a->state == ASSET_RUNNING ||
		    a->state == ASSET_RETRY_WAIT || a->pid || a->out_fd >= 0)
			return false;
	}
	return true;
}

/* Marks every asset that depends on A, directly or not, skipped. */
static void skip_dependents(struct run *r, const struct asset_run *a)
{
	for (size_t i = 0; i < r->nassets; i++) {
		struct asset_run *b = &r->assets[i];
		json_t *deps = json_object_get(b->spec, "deps"), *dep;
		size_t j;

		if (b->state != ASSET_PENDING)
			continue;
		json_array_foreach(deps, j, dep) {
			if (strcmp(json_string_value(dep), a->name) == 0) {
				b->state = ASSET_SKIPPED;
				free(b->error);
				b->error = xasprintf("dependency '%s' %s", a->name, asset_state_name(a->state));
				skip_dependents(r, b);
				break;
			}
		}
	}
}

static void start_ready_assets(struct run *r)
{
	for (size_t i = 0; i < r->nassets; i++) {
		struct asset_run *a = &r->assets[i];

		if (a->state == ASSET_PENDING && a->deps_left == 0 && !r->cancelling)
			proc_start_asset(a);
	}
}

void runner_asset_finished(struct asset_run *a)
{
	struct run *r = a->run;

	if (a->state == ASSET_SUCCEEDED) {
		for (size_t i = 0; i < r->nassets; i++) {
			json_t *deps = json_object_get(r->assets[i].spec, "deps"), *dep;
			size_t j;

			json_array_foreach(deps, j, dep)
				if (strcmp(json_string_value(dep), a->name) == 0)
					r->assets[i].deps_left--;
		}
		start_ready_assets(r);
	} else if (a->state == ASSET_FAILED || a->state == ASSET_CANCELLED) {
		skip_dependents(r, a);
	}
	if (run_settled(r))
		finish_run(r);
}

/* The owner's user name recorded when the schedule was added, if it is a
 * name (not a bare uid) and the schedule still exists. */
static const char *owner_name(const struct run *r)
{
	const struct schedule *s = sched_find(r->d->sched, r->schedule_id);

	if (!s || !s->owner || s->owner_uid != r->owner_uid ||
	    strspn(s->owner, "0123456789") == strlen(s->owner))
		return NULL;
	return s->owner;
}

/* The user a run executes as, looked up again at each start: a deleted
 * user's schedule does not run, and says why. A deleted owner's uid given
 * to a new user (useradd reuses the lowest free uid) does not make the new
 * user run it. */
static int resolve_user(struct run *r)
{
	const char *owner = r->run_as || r->d->self_uid != 0 ? NULL : owner_name(r);
	char *cause = NULL;
	int e;

	if (r->run_as)
		e = spawn_user_lookup_name(r->run_as, &r->user, &cause);
	else
		e = spawn_user_lookup_uid(r->d->self_uid == 0 ? r->owner_uid : r->d->self_uid,
					  &r->user, &cause);
	if (e == 0 && owner && strcmp(owner, r->user.name) != 0) {
		cause = xasprintf("uid %u is now user '%s'", (unsigned)r->owner_uid, r->user.name);
		spawn_user_release(&r->user);
		e = -ESTALE;
	}
	if (e < 0) {
		r->error = owner ? xasprintf("not run: the owner '%s' no longer exists (%s)", owner, cause)
				 : xasprintf("not run: %s", cause);
		free(cause);
		return e;
	}
	r->have_user = true;
	return 0;
}

static void start_run(struct run *r)
{
	struct runner *rn = r->d->runner;

	r->state = RUN_RUNNING;
	r->started_ms = now_ms();
	rn->nrunning++;
	if (resolve_user(r) < 0) {
		vlog_run(LOG_WARNING, r->schedule_id, r->run_id, "run %s of %s: %s",
			 r->run_id, r->schedule_id, r->error);
		for (size_t i = 0; i < r->nassets; i++)
			r->assets[i].state = ASSET_SKIPPED;
		finish_run(r);
		return;
	}
	/* The first processes start before the record is written: the
	 * record is not an acknowledgement, and a fire should reach its
	 * child without waiting for a file to be created. */
	start_ready_assets(r);
	save_run(r);
}

static void dispatch(struct daemon *d)
{
	struct runner *rn = d->runner;

	while (rn->nrunning < d->cfg.max_concurrent_runs && !rn->on_idle) {
		struct run *r = dequeue(rn);

		if (!r)
			break;
		start_run(r);
	}
}

static struct run *run_new(struct daemon *d, const struct run_request *rq)
{
	struct run *r = xcalloc(1, sizeof *r);

	r->d = d;
	new_id('r', r->run_id);
	r->schedule_id = xstrdup(rq->schedule_id);
	if (rq->schedule_event) {
		json_object_set_new(rq->schedule_event, "run_id", json_string(r->run_id));
		json_object_set_new(rq->schedule_event, "status", json_string("queued"));
		r->sched_event = json_deep_copy(rq->schedule_event);
		r->event_id = xstrdup(json_string_value(json_object_get(rq->schedule_event, "event_id")));
	}
	r->backfill_id = rq->backfill_id ? xstrdup(rq->backfill_id) : NULL;
	r->timezone = xstrdup(rq->timezone ? rq->timezone : "UTC");
	r->logical_date = rq->logical_date ? xstrdup(rq->logical_date) : NULL;
	r->run_as = rq->run_as ? xstrdup(rq->run_as) : NULL;
	r->after_previous = rq->after_previous;
	r->trigger = rq->trigger;
	r->scheduled_time = rq->scheduled_time;
	r->owner_uid = rq->owner_uid;
	r->graph = normalize_graph(d, rq->asset_graph);
	r->trigger_event = rq->trigger_event ? json_deep_copy(rq->trigger_event) : NULL;
	r->queued_ms = now_ms();
	r->on_done = rq->on_done;
	r->free_arg = rq->free_arg;
	r->arg = rq->arg;
	init_assets(r);
	return r;
}

static void link_active(struct runner *rn, struct run *r)
{
	r->next = rn->active;
	if (rn->active)
		rn->active->prev = r;
	rn->active = r;
}

const char *runner_submit(struct daemon *d, const struct run_request *rq,
			  char **cause)
{
	struct run *r = run_new(d, rq);

	(void)cause;
	/* Only a queued run that answers a request (manual, event) is on
	 * disk before it starts, so a restart queues it again; a scheduled
	 * one lost to a crash before it started is the catch-up policy's. */
	if (r->trigger == TRIGGER_MANUAL || r->trigger == TRIGGER_EVENT)
		save_run(r);
	link_active(d->runner, r);
	enqueue(d->runner, r);
	/* Started from the next loop turn, so the caller records the trigger
	 * before anything about the run can be recorded. */
	event_active(d->runner->dispatch_ev, 0, 0);
	return r->run_id;
}

/* ---- queries ---------------------------------------------------------- */

void runner_active_counts(struct daemon *d, const char *schedule_id,
			  int *ret_running, int *ret_queued)
{
	*ret_running = *ret_queued = 0;
	for (struct run *r = d->runner->active; r; r = r->next) {
		if (strcmp(r->schedule_id, schedule_id) != 0)
			continue;
		if (r->state == RUN_QUEUED)
			(*ret_queued)++;
		else
			(*ret_running)++;
	}
}

json_t *runner_counts(struct daemon *d)
{
	return json_pack("{s:i, s:i}", "running", d->runner->nrunning,
			 "queued", d->runner->nqueued);
}

static struct run *find_active(struct daemon *d, const char *run_id)
{
	for (struct run *r = d->runner->active; r; r = r->next)
		if (strcmp(r->run_id, run_id) == 0)
			return r;
	return NULL;
}

static json_t *find_finished(struct daemon *d, const char *run_id)
{
	const char *sid;
	json_t *arr, *run;
	size_t i;

	json_object_foreach(d->runner->finished, sid, arr)
		json_array_foreach(arr, i, run)
			if (strcmp(json_string_value(json_object_get(run, "run_id")), run_id) == 0)
				return run;
	return NULL;
}

json_t *runner_get_run(struct daemon *d, const char *run_id)
{
	struct run *r = find_active(d, run_id);
	json_t *f;

	if (r)
		return run_to_json(r);
	f = find_finished(d, run_id);
	return f ? json_incref(f) : NULL;
}

static int newest_first(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "run_id"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "run_id"));

	return strcmp(y, x);
}

static bool run_matches(json_t *run, const char *schedule_id, const char *status,
			bool (*visible)(const json_t *, void *), void *arg)
{
	const char *sid = json_string_value(json_object_get(run, "schedule_id"));

	if (schedule_id && strcmp(sid, schedule_id) != 0)
		return false;
	if (status && strcmp(json_string_value(json_object_get(run, "status")), status) != 0)
		return false;
	return !visible || visible(run, arg);
}

json_t *runner_list_runs(struct daemon *d, const char *schedule_id,
			 const char *status, size_t limit,
			 bool (*visible)(const json_t *run, void *arg),
			 void *arg)
{
	json_t *all = json_array(), *out = json_array(), *arr, *run;
	const char *sid;
	size_t i, n;
	json_t **v;

	for (struct run *r = d->runner->active; r; r = r->next)
		json_array_append_new(all, run_to_json(r));
	json_object_foreach(d->runner->finished, sid, arr) {
		if (schedule_id && strcmp(sid, schedule_id) != 0)
			continue;
		json_array_foreach(arr, i, run)
			json_array_append(all, run);
	}
	n = json_array_size(all);
	v = xcalloc(n, sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = json_array_get(all, i);
	/* Run ids begin with the queue time in ms: id order is time order. */
	qsort(v, n, sizeof *v, newest_first);
	for (i = 0; i < n && json_array_size(out) < limit; i++)
		if (run_matches(v[i], schedule_id, status, visible, arg))
			json_array_append(out, v[i]);
	free(v);
	json_decref(all);
	return out;
}

/* ---- cancel ------------------------------------------------------------ */

static void cancel_run(struct run *r, const char *why)
{
	struct runner *rn = r->d->runner;

	if (r->state == RUN_QUEUED) {
		unqueue(rn, r);
		r->cancelling = true;
		for (size_t i = 0; i < r->nassets; i++)
			r->assets[i].state = ASSET_CANCELLED;
		finish_run(r);
		return;
	}
	r->cancelling = true;
	for (size_t i = 0; i < r->nassets; i++) {
		struct asset_run *a = &r->assets[i];

		if (a->state == ASSET_PENDING || a->state == ASSET_RETRY_WAIT) {
			proc_release_asset(a);
			a->state = ASSET_CANCELLED;
		} else if (a->state == ASSET_RUNNING) {
			proc_kill_asset(a, why);
		}
	}
	if (run_settled(r))
		finish_run(r);
}

int runner_cancel(struct daemon *d, const char *run_id)
{
	struct run *r = find_active(d, run_id);

	if (!r)
		return find_finished(d, run_id) ? -EALREADY : -ENOENT;
	cancel_run(r, "cancelled");
	return 0;
}

void runner_cancel_schedule(struct daemon *d, const char *schedule_id)
{
	struct run *r = d->runner->active, *next;

	for (; r; r = next) {
		next = r->next;
		if (strcmp(r->schedule_id, schedule_id) == 0 && !r->cancelling)
			cancel_run(r, "cancelled by a newer trigger (overlap cancel_previous)");
	}
}

/* ---- finished runs and retention -------------------------------------- */

static void remove_run_files(struct daemon *d, json_t *run)
{
	const char *id = json_string_value(json_object_get(run, "run_id"));
	json_t *assets = json_object_get(run, "assets"), *a;
	char *cause = NULL;
	size_t i;

	json_array_foreach(assets, i, a) {
		char *name = xasprintf("%s.%s.log", id, json_string_value(json_object_get(a, "name")));

		unlinkat(store_dirfd(d->store, STORE_RUNS), name, 0);
		free(name);
	}
	if (store_remove(d->store, STORE_RUNS, id, &cause) < 0) {
		log_warn("run %s: cannot remove its record: %s", id, cause);
		free(cause);
	}
}

static void remember_json(struct daemon *d, json_t *doc /* steals */)
{
	const char *sid = json_string_value(json_object_get(doc, "schedule_id"));
	json_t *arr = json_object_get(d->runner->finished, sid);

	if (!arr) {
		arr = json_array();
		json_object_set_new(d->runner->finished, sid, arr);
	}
	json_array_append_new(arr, doc);
	while (json_array_size(arr) > (size_t)d->cfg.run_retention) {
		remove_run_files(d, json_array_get(arr, 0));
		json_array_remove(arr, 0);
	}
}

static void remember_finished(struct daemon *d, struct run *r)
{
	remember_json(d, run_to_json(r));
}

void runner_forget_schedule(struct daemon *d, const char *schedule_id)
{
	json_t *arr = json_object_get(d->runner->finished, schedule_id), *run;
	size_t i;

	for (struct run *r = d->runner->active; r; r = r->next)
		if (strcmp(r->schedule_id, schedule_id) == 0)
			r->forgotten = true;

	json_array_foreach(arr, i, run)
		remove_run_files(d, run);
	json_object_del(d->runner->finished, schedule_id);
}

/* ---- recovery ---------------------------------------------------------- */

struct recover_ctx {
	struct daemon *d;
	json_t *loaded;
};

static void load_run_cb(const char *id, json_t *doc, void *arg)
{
	struct recover_ctx *rc = arg;

	(void)id;
	if (json_is_string(json_object_get(doc, "schedule_id")))
		json_array_append(rc->loaded, doc);
}

static void requeue_loaded(struct daemon *d, json_t *doc)
{
	struct run_request rq = {
		.schedule_id = json_string_value(json_object_get(doc, "schedule_id")),
		.timezone = json_string_value(json_object_get(doc, "timezone")),
		.asset_graph = json_object_get(doc, "asset_graph"),
		.trigger_event = json_object_get(doc, "trigger_event"),
		.owner_uid = (uid_t)json_integer_value(json_object_get(doc, "owner_uid")),
		.run_as = json_string_value(json_object_get(doc, "run_as")),
	};
	const char *tt = json_string_value(json_object_get(doc, "trigger_type"));
	const char *st = json_string_value(json_object_get(doc, "scheduled_time"));
	char *cause = NULL;
	struct run *r;

	for (int t = 0; t < 4; t++)
		if (tt && strcmp(tt, trigger_names[t]) == 0)
			rq.trigger = (enum trigger_type)t;
	if (st)
		rfc3339_parse(st, NULL, &rq.scheduled_time, NULL, NULL);
	r = run_new(d, &rq);
	snprintf(r->run_id, sizeof r->run_id, "%s", json_string_value(json_object_get(doc, "run_id")));
	if (json_is_string(json_object_get(doc, "event_id"))) {
		r->event_id = xstrdup(json_string_value(json_object_get(doc, "event_id")));
		r->sched_event = json_pack("{s:s, s:O, s:O, s:O, s:s}", "event_id", r->event_id,
					   "schedule_id", json_object_get(doc, "schedule_id"),
					   "trigger_type", json_object_get(doc, "trigger_type"),
					   "scheduled_time", json_object_get(doc, "scheduled_time"),
					   "run_id", r->run_id);
	}
	log_info("run %s of %s was queued when the daemon stopped: queued again", r->run_id, r->schedule_id);
	save_run(r);
	link_active(d->runner, r);
	enqueue(d->runner, r);
	free(cause);
}

/* Runs in flight when the daemon died are failed, never left running. */
static void fail_loaded(struct daemon *d, json_t *doc)
{
	json_t *assets = json_object_get(doc, "assets"), *a;
	char at[RFC3339_BUFSZ], *cause = NULL;
	const char *eid = json_string_value(json_object_get(doc, "event_id"));
	size_t i;

	json_object_set_new(doc, "status", json_string("failed"));
	json_object_set_new(doc, "error", json_string("daemon restarted"));
	json_object_set_new(doc, "finished_at", json_string(rfc3339_format_utc_ms(now_ms(), at)));
	json_array_foreach(assets, i, a) {
		const char *s = json_string_value(json_object_get(a, "status"));

		if (s && (!strcmp(s, "running") || !strcmp(s, "pending") || !strcmp(s, "retry_wait")))
			json_object_set_new(a, "status", json_string(!strcmp(s, "running") ? "failed" : "skipped"));
	}
	if (store_put(d->store, STORE_RUNS, json_string_value(json_object_get(doc, "run_id")), doc, &cause) < 0) {
		log_err("recovering run: %s", cause);
		free(cause);
		cause = NULL;
	}
	if (eid) {
		json_t *ev = json_pack("{s:s, s:O, s:O, s:O, s:s, s:O, s:s, s:s}",
				       "event_id", eid, "schedule_id", json_object_get(doc, "schedule_id"),
				       "trigger_type", json_object_get(doc, "trigger_type"),
				       "scheduled_time", json_object_get(doc, "scheduled_time"),
				       "status", "failed", "run_id", json_object_get(doc, "run_id"),
				       "finished_at", at, "error", "daemon restarted");

		if (history_append(d, ev, &cause) < 0) {
			log_err("recovering run: %s", cause);
			free(cause);
		}
		json_decref(ev);
	}
	log_warn("run %s of %s was running when the daemon stopped: recorded failed",
		 json_string_value(json_object_get(doc, "run_id")),
		 json_string_value(json_object_get(doc, "schedule_id")));
}

static int by_run_id(const void *a, const void *b)
{
	return -newest_first(a, b);
}

static void recover(struct daemon *d)
{
	struct recover_ctx rc = { d, json_array() };
	size_t n = 0;
	json_t **v;

	store_load_all(d->store, STORE_RUNS, load_run_cb, NULL, &rc);
	n = json_array_size(rc.loaded);
	v = xcalloc(n, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(rc.loaded, i);
	qsort(v, n, sizeof *v, by_run_id);
	for (size_t i = 0; i < n; i++) {
		const char *st = json_string_value(json_object_get(v[i], "status"));

		/* A backfill's own task state decides what it re-runs. */
		bool backfill = json_is_string(json_object_get(v[i], "backfill_id"));

		if (st && strcmp(st, "queued") == 0 && !backfill) {
			requeue_loaded(d, v[i]);
			continue;
		}
		if (st && (strcmp(st, "running") == 0 || strcmp(st, "queued") == 0))
			fail_loaded(d, v[i]);
		remember_json(d, json_incref(v[i]));
	}
	free(v);
	json_decref(rc.loaded);
}

/* ---- init / shutdown ---------------------------------------------------- */

static void dispatch_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dispatch(arg);
}

static void sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	proc_sigchld(((struct daemon *)arg)->runner);
}

int runner_init(struct daemon *d, char **cause)
{
	struct runner *rn = xcalloc(1, sizeof *rn);

	if (spawn_become_subreaper() < 0)
		log_warn("cannot become a child subreaper: grandchildren that leave their session may survive a timeout");
	d->runner = rn;
	rn->finished = json_object();
	rn->sigchld_ev = evsignal_new(d->base, SIGCHLD, sigchld_cb, d);
	if (!rn->sigchld_ev || evsignal_add(rn->sigchld_ev, NULL) < 0) {
		*cause = xstrdup("cannot watch SIGCHLD");
		return -EIO;
	}
	rn->dispatch_ev = event_new(d->base, -1, 0, dispatch_cb, d);
	/* Starting runs and reaping come before the store's group fsync
	 * (priority 1): a fire should not wait for a disk flush. */
	event_priority_set(rn->dispatch_ev, 0);
	event_priority_set(rn->sigchld_ev, 0);
	recover(d);
	return 0;
}

void runner_start_dispatch(struct daemon *d)
{
	dispatch(d);
}

void runner_stop_all(struct daemon *d, void (*on_idle)(void *), void *arg)
{
	struct runner *rn = d->runner;
	struct run *r, *next;

	rn->on_idle = on_idle;
	rn->idle_arg = arg;
	for (r = rn->active; r; r = next) {
		next = r->next;
		if (r->state != RUN_RUNNING)
			continue;
		r->stopping = true;
		free(r->error);
		r->error = xstrdup("daemon stopped");
		cancel_run(r, "daemon stopping");
	}
	for (r = rn->active; r; r = r->next)
		if (r->state == RUN_RUNNING)
			return;
	on_idle(arg);
}

void runner_shutdown(struct daemon *d)
{
	struct runner *rn = d->runner;

	if (!rn)
		return;
	while (rn->active) {
		struct run *r = rn->active;

		rn->active = r->next;
		run_free(r);
	}
	if (rn->sigchld_ev)
		event_free(rn->sigchld_ev);
	if (rn->dispatch_ev)
		event_free(rn->dispatch_ev);
	json_decref(rn->finished);
	free(rn);
	d->runner = NULL;
}
