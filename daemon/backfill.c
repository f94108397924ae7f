/*
 * The backfill manager: planning (a schedule's fire times in a range), the
 * backfill objects and their records, and execution through the runner's
 * backfill queue. See backfill.h for the contract.
 *
 * Records: backfills/<id>.json holds the config, the status and the task
 * list with a generation number; it is rewritten only when the whole
 * backfill changes state (create, execute, retry, cancel, finish). Each task
 * change is one appended line {"gen","task","status","run_id"} in
 * backfills/<id>.jsonl; on load, lines of the .json's generation are
 * replayed over it (older lines were folded into the .json already).
 *
 * Execution never recurses into the runner: a run's completion only
 * records the task and wakes the pump event, which hands out the next
 * tasks from a later loop turn (a run that fails at once cannot nest
 * callbacks ten thousand deep).
 *
 * Not here: the methods and their visibility rules (h_backfill.c), runs
 * (runner), schedules (the schedule table).
 */
#include "daemon/backfill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon/daemon.h"
#include "daemon/history.h"
#include "daemon/log.h"
#include "daemon/runner.h"
#include "daemon/sched.h"
#include "daemon/schedule.h"
#include "daemon/server.h"
#include "daemon/timefmt.h"
#include "daemon/tz.h"
#include "proto/jsonrpc.h"
#include "proto/xalloc.h"
#include "store/store.h"

/* ---- names ------------------------------------------------------------ */

static const char *const bf_names[] = {
	"pending", "running", "succeeded", "failed", "cancelled",
};
static const char *const task_names[] = {
	"pending", "running", "succeeded", "failed", "cancelled",
};

const char *bf_status_name(enum bf_status s) { return bf_names[s]; }
const char *task_status_name(enum task_status s) { return task_names[s]; }

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

bool backfill_finished(const struct backfill *b)
{
	return b->status == BF_SUCCEEDED || b->status == BF_FAILED ||
	       b->status == BF_CANCELLED;
}

/* ---- planning ---------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/* The first instant of the day after the date-only text S, in Z. */
static int next_day_ms(const char *s, const struct tz *z, int64_t *ret_ms,
		       char **cause)
{
	long long y;
	unsigned m, d;
	int64_t days, ny;
	char buf[32];

	if (sscanf(s, "%lld-%u-%u", &y, &m, &d) != 3) {
		*cause = xasprintf("end_date: cannot read the date '%.40s'", s);
		return -EINVAL;
	}
	days = days_from_civil(y, m, d) + 1;
	civil_from_days(days, &ny, &m, &d);
	snprintf(buf, sizeof buf, "%04lld-%02u-%02u", (long long)ny, m, d);
	return rfc3339_parse_ms(buf, z, ret_ms, NULL, cause);
}

int backfill_parse_range(const char *start_date, const char *end_date,
			 const struct tz *z, int64_t *ret_from, int64_t *ret_to,
			 const char **ret_field, char **cause)
{
	int64_t from_ms, to_ms, from, to;
	enum time_form form;
	int r;

	r = rfc3339_parse_ms(start_date, z, &from_ms, NULL, cause);
	if (r < 0) {
		*ret_field = "start_date";
		return r;
	}
	r = rfc3339_parse_ms(end_date, z, &to_ms, &form, cause);
	if (r == 0 && form == TIME_FORM_DATE)
		r = next_day_ms(end_date, z, &to_ms, cause);
	if (r < 0) {
		*ret_field = "end_date";
		return r;
	}
	from = ceil_div(from_ms, 1000);
	/* A date-only end covers its day: up to the next day's start, excluded. */
	to = form == TIME_FORM_DATE ? ceil_div(to_ms, 1000) - 1 : floor_div(to_ms, 1000);
	if (to < from) {
		*ret_field = "end_date";
		*cause = xasprintf("end_date: '%.40s' is before start_date '%.40s'",
				   end_date, start_date);
		return -EINVAL;
	}
	*ret_from = from;
	*ret_to = to;
	return 0;
}

static void push_time(int64_t **v, size_t *n, size_t *cap, int64_t t)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = xrealloc(*v, *cap * sizeof **v);
	}
	(*v)[(*n)++] = t;
}

/* Cron: the schedule math on a copy set to zone Z and without the
 * schedule's own start/end bounds (the copy's pointers stay borrowed). */
static int plan_cron(const struct schedule *s, const struct tz *z, int64_t from,
		     int64_t to, size_t max, int64_t **ret_times, size_t *ret_n)
{
	struct schedule copy = *s;
	int64_t *v = NULL, t = from - 1;
	size_t n = 0, cap = 0;

	copy.tz = z;
	copy.start_time = copy.end_time = TIME_NONE;
	while (schedule_next_after(&copy, t, &t) == 0 && t <= to) {
		if (n == max) {
			free(v);
			return -E2BIG;
		}
		push_time(&v, &n, &cap, t);
	}
	*ret_times = v;
	*ret_n = n;
	return 0;
}

/* Interval: origin + k*step for any integer k, inside [FROM, TO]. */
static int plan_interval(const struct schedule *s, int64_t from, int64_t to,
			 size_t max, int64_t **ret_times, size_t *ret_n)
{
	int64_t origin = s->start_time != TIME_NONE ? s->start_time :
			 ceil_div(s->created_at_ms, 1000);
	int64_t step = s->interval, first;
	size_t n = 0;
	int64_t *v;

	first = origin + ceil_div(from - origin, step) * step;
	if (first <= to)
		n = (size_t)((to - first) / step) + 1;
	if (n > max)
		return -E2BIG;
	v = xmalloc((n ? n : 1) * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = first + (int64_t)i * step;
	*ret_times = v;
	*ret_n = n;
	return 0;
}

int backfill_plan(const struct schedule *s, const struct tz *z, int64_t from,
		  int64_t to, size_t max, int64_t **ret_times, size_t *ret_n)
{
	switch (s->type) {
	case STYPE_CRON:
		return plan_cron(s, z, from, to, max, ret_times, ret_n);
	case STYPE_INTERVAL:
		return plan_interval(s, from, to, max, ret_times, ret_n);
	default:
		return -ENOTSUP;
	}
}

char *backfill_logical_date(int64_t t, const struct tz *z, char buf[16])
{
	struct civil c;

	civil_from_seconds(tz_utc_to_wall(z, t), &c);
	snprintf(buf, 16, "%04lld-%02u-%02u", (long long)c.year, c.month, c.day);
	return buf;
}

/* ---- objects ----------------------------------------------------------- */

static void recount(struct backfill *b)
{
	memset(b->counts, 0, sizeof b->counts);
	for (size_t i = 0; i < b->ntasks; i++)
		b->counts[b->tasks[i].status]++;
}

static void set_task(struct backfill *b, size_t i, enum task_status st)
{
	b->counts[b->tasks[i].status]--;
	b->tasks[i].status = st;
	b->counts[st]++;
}

static struct backfill *bf_alloc(int max_parallel)
{
	struct backfill *b = xcalloc(1, sizeof *b);

	b->max_parallel = max_parallel;
	b->inflight = xcalloc((size_t)max_parallel, sizeof *b->inflight);
	return b;
}

struct backfill *backfill_new(const struct schedule *s, const char *start_date,
			      const char *end_date, const char *zone,
			      const struct tz *z, bool parallel, int max_parallel,
			      int64_t *times, size_t ntimes)
{
	struct backfill *b = bf_alloc(max_parallel);
	char id[40];

	b->id = xstrdup(new_id('b', id));
	b->schedule_id = xstrdup(s->id);
	b->start_date = xstrdup(start_date);
	b->end_date = xstrdup(end_date);
	b->timezone = xstrdup(zone);
	b->tz = z;
	b->parallel = parallel;
	b->owner_uid = s->owner_uid;
	b->created_at_ms = now_ms();
	b->ntasks = ntimes;
	b->tasks = xcalloc(ntimes ? ntimes : 1, sizeof *b->tasks);
	for (size_t i = 0; i < ntimes; i++)
		b->tasks[i].time = times[i];
	free(times);
	recount(b);
	return b;
}

void backfill_free(struct backfill *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->ntasks; i++)
		free(b->tasks[i].run_id);
	free(b->tasks);
	free(b->inflight);
	free(b->waiters);
	free(b->id);
	free(b->schedule_id);
	free(b->start_date);
	free(b->end_date);
	free(b->timezone);
	free(b);
}

/* The config part shared by the object and its record, with status ST. */
static json_t *config_json(const struct backfill *b, enum bf_status st)
{
	char at[RFC3339_BUFSZ];

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:s, s:s}",
			 "backfill_id", b->id, "schedule_id", b->schedule_id,
			 "start_date", b->start_date, "end_date", b->end_date,
			 "timezone", b->timezone, "parallel", b->parallel,
			 "max_parallel", b->max_parallel, "status", bf_status_name(st),
			 "created_at", rfc3339_format_utc_ms(b->created_at_ms, at));
}

/* Task I as {scheduled_time, logical_date, status, run_id}, with ST. */
static json_t *task_json(const struct backfill *b, size_t i, enum task_status st)
{
	char t[RFC3339_BUFSZ], date[16];
	const char *rid = b->tasks[i].run_id;

	return json_pack("{s:s, s:s, s:s, s:o}",
			 "scheduled_time", rfc3339_format_utc(b->tasks[i].time, t),
			 "logical_date", backfill_logical_date(b->tasks[i].time, b->tz, date),
			 "status", task_status_name(st),
			 "run_id", rid ? json_string(rid) : json_null());
}

/* Every task; those in status FROM written as TO (FROM = TO: as they are). */
static json_t *tasks_json(const struct backfill *b, enum task_status from,
			  enum task_status to)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < b->ntasks; i++) {
		enum task_status st = b->tasks[i].status;

		json_array_append_new(arr, task_json(b, i, st == from ? to : st));
	}
	return arr;
}

json_t *backfill_to_json(const struct backfill *b, bool tasks)
{
	json_t *o = config_json(b, b->status);

	json_object_set_new(o, "tasks_total", json_integer((json_int_t)b->ntasks));
	for (int st = 0; st < TASK_STATUS_COUNT; st++) {
		char key[32];

		snprintf(key, sizeof key, "tasks_%s", task_status_name(st));
		json_object_set_new(o, key, json_integer((json_int_t)b->counts[st]));
	}
	if (tasks)
		json_object_set_new(o, "tasks", tasks_json(b, TASK_PENDING, TASK_PENDING));
	return o;
}

json_t *backfill_result(const struct backfill *b)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "backfill_id", b->id,
			 "status", bf_status_name(b->status),
			 "tasks_total", (json_int_t)b->ntasks,
			 "tasks_succeeded", (json_int_t)b->counts[TASK_SUCCEEDED],
			 "tasks_failed", (json_int_t)b->counts[TASK_FAILED],
			 "tasks_cancelled", (json_int_t)b->counts[TASK_CANCELLED]);
}

/* ---- the manager's state ------------------------------------------------ */

struct ready {
	struct deferred *df;
	json_t *result;			/* new */
};

struct manager {
	struct daemon *d;
	struct backfill **v;		/* owned, in id order */
	size_t n, cap;
	struct event *pump_ev;		/* hands out tasks, settles backfills */
	struct event *complete_ev;	/* answers waiters once synced */
	struct ready *ready;
	size_t nready, readycap;
	bool sync_asked;
	bool stopping;			/* the daemon is shutting down */
};

/* One manager per process: the daemon has one loop and one store. */
static struct manager *mgr;

struct backfill *backfill_find(const char *id)
{
	for (size_t i = 0; mgr && id && i < mgr->n; i++)
		if (strcmp(mgr->v[i]->id, id) == 0)
			return mgr->v[i];
	return NULL;
}

struct backfill *backfill_at(size_t i)
{
	return mgr && i < mgr->n ? mgr->v[i] : NULL;
}

/* Takes B, keeping id order (new ids sort last, so this appends). */
static void insert(struct backfill *b)
{
	size_t i = mgr->n;

	if (mgr->n == mgr->cap) {
		mgr->cap = mgr->cap ? mgr->cap * 2 : 16;
		mgr->v = xrealloc(mgr->v, mgr->cap * sizeof *mgr->v);
	}
	while (i > 0 && strcmp(mgr->v[i - 1]->id, b->id) > 0) {
		mgr->v[i] = mgr->v[i - 1];
		i--;
	}
	mgr->v[i] = b;
	mgr->n++;
}

static void wake(void)
{
	if (mgr && mgr->pump_ev)
		event_active(mgr->pump_ev, 0, 0);
}

/* ---- records ----------------------------------------------------------- */

/* Writes B's .json as it will be with status ST and tasks in FROM moved to
 * TO, under the next generation; then applies that in memory. Nothing
 * changes when the write fails. */
static int write_record(struct daemon *d, struct backfill *b, enum bf_status st,
			enum task_status from, enum task_status to, char **cause)
{
	json_t *doc = config_json(b, st);
	int r;

	json_object_set_new(doc, "owner_uid", json_integer(b->owner_uid));
	json_object_set_new(doc, "gen", json_integer(b->gen + 1));
	json_object_set_new(doc, "tasks", tasks_json(b, from, to));
	r = store_put(d->store, STORE_BACKFILLS, b->id, doc, cause);
	json_decref(doc);
	if (r < 0)
		return r;
	b->gen++;
	b->status = st;
	if (from != to) {
		for (size_t i = 0; i < b->ntasks; i++)
			if (b->tasks[i].status == from)
				set_task(b, i, to);
		b->cursor = 0;
	}
	daemon_request_sync(d);
	return 0;
}

/* Appends task I's state to B's log (group commit). */
static void append_task(struct daemon *d, struct backfill *b, size_t i)
{
	const char *rid = b->tasks[i].run_id;
	json_t *line = json_pack("{s:I, s:I, s:s, s:o}", "gen", (json_int_t)b->gen,
				 "task", (json_int_t)i,
				 "status", task_status_name(b->tasks[i].status),
				 "run_id", rid ? json_string(rid) : json_null());
	char *cause = NULL;

	if (store_append(d->store, STORE_BACKFILLS, b->id, line, &cause) < 0) {
		log_err("backfill %s: cannot record task %zu: %s", b->id, i, cause);
		free(cause);
	}
	json_decref(line);
	daemon_request_sync(d);
}

int backfill_register(struct daemon *d, struct backfill *b, char **cause)
{
	int r = write_record(d, b, b->status, TASK_PENDING, TASK_PENDING, cause);

	if (r == 0)
		insert(b);
	return r;
}

/* ---- answering waiters ------------------------------------------------- */

static void complete_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct ready *rd;
	size_t n;

	(void)fd;
	(void)what;
	/* An answer says "done" only once the final task states are on disk:
	 * let the group commit (queued behind us, same priority) run first. */
	if (store_pending(d->store) && !mgr->sync_asked) {
		mgr->sync_asked = true;
		daemon_request_sync(d);
		event_active(mgr->complete_ev, 0, 0);
		return;
	}
	mgr->sync_asked = false;
	rd = mgr->ready;
	n = mgr->nready;
	mgr->ready = NULL;
	mgr->nready = mgr->readycap = 0;
	for (size_t i = 0; i < n; i++) {
		struct call c = { .d = d, .result = rd[i].result };

		server_complete(rd[i].df, &c);
		json_decref(rd[i].result);
	}
	free(rd);
}

static void push_ready(struct deferred *df, json_t *result)
{
	if (mgr->nready == mgr->readycap) {
		mgr->readycap = mgr->readycap ? mgr->readycap * 2 : 8;
		mgr->ready = xrealloc(mgr->ready, mgr->readycap * sizeof *mgr->ready);
	}
	mgr->ready[mgr->nready].df = df;
	mgr->ready[mgr->nready++].result = result;
	event_active(mgr->complete_ev, 0, 0);
}

static void answer_waiters(struct backfill *b)
{
	for (size_t i = 0; i < b->nwaiters; i++)
		push_ready(b->waiters[i], backfill_result(b));
	free(b->waiters);
	b->waiters = NULL;
	b->nwaiters = 0;
}

void backfill_add_waiter(struct daemon *d, struct backfill *b,
			 struct deferred *df)
{
	(void)d;
	b->waiters = xrealloc(b->waiters, (b->nwaiters + 1) * sizeof *b->waiters);
	b->waiters[b->nwaiters++] = df;
	wake();
}

/* ---- execution ----------------------------------------------------------- */

/* A run stopped because the daemon is shutting down: its task is not
 * failed, it runs again after the restart. */
static bool stopped_by_shutdown(struct daemon *d, const char *run_id,
				const char *status)
{
	json_t *run;
	const char *err;
	bool stopped;

	if (strcmp(status, "failed") != 0)
		return false;
	run = runner_get_run(d, run_id);
	err = json_string_value(json_object_get(run, "error"));
	stopped = err && strcmp(err, "daemon stopped") == 0;
	json_decref(run);
	return stopped;
}

/* The runner's on_done: records the task; the pump goes on later. */
static void task_done_cb(const char *run_id, const char *status, void *arg)
{
	struct backfill *b = arg;
	struct daemon *d = mgr->d;
	int k, st;
	size_t i;

	for (k = 0; k < b->ninflight; k++)
		if (strcmp(b->tasks[b->inflight[k]].run_id, run_id) == 0)
			break;
	if (k == b->ninflight)
		return;
	i = b->inflight[k];
	b->inflight[k] = b->inflight[--b->ninflight];
	if (stopped_by_shutdown(d, run_id, status)) {
		mgr->stopping = true;
		log_info("backfill %s: task %zu stopped with the daemon; it runs again at the next start",
			 b->id, i);
		return;
	}
	st = name_index(task_names, TASK_STATUS_COUNT, status);
	set_task(b, i, st == TASK_SUCCEEDED || st == TASK_CANCELLED ? st : TASK_FAILED);
	append_task(d, b, i);
	wake();
}

/* Hands task I of B to the runner's backfill queue. */
static void submit(struct daemon *d, struct backfill *b,
		   const struct schedule *s, size_t i)
{
	struct bf_task *t = &b->tasks[i];
	json_t *ev = history_event_new(s->id, TRIGGER_BACKFILL, t->time, "queued");
	json_t *graph = schedule_asset_graph(s);
	char date[16], *cause = NULL;
	struct run_request rq = {
		.schedule_id = s->id, .schedule_event = ev,
		.trigger = TRIGGER_BACKFILL, .scheduled_time = t->time,
		.timezone = b->timezone, .asset_graph = graph,
		.backfill_id = b->id,
		.logical_date = backfill_logical_date(t->time, b->tz, date),
		.owner_uid = s->owner_uid, .run_as = s->run_as,
		.on_done = task_done_cb, .arg = b,
	};
	const char *rid;

	json_object_set_new(ev, "backfill_id", json_string(b->id));
	rid = runner_submit(d, &rq, &cause);
	json_decref(graph);
	free(t->run_id);
	t->run_id = rid ? xstrdup(rid) : NULL;
	if (!rid) {
		log_err("backfill %s: task %zu not queued: %s", b->id, i, cause ? cause : "?");
		set_task(b, i, TASK_FAILED);
	} else {
		set_task(b, i, TASK_RUNNING);
		b->inflight[b->ninflight++] = i;
	}
	free(cause);
	cause = NULL;
	append_task(d, b, i);
	if (rid && history_append(d, ev, &cause) < 0) {
		log_err("backfill %s: cannot record a trigger of %s: %s", b->id, s->id, cause);
		free(cause);
	}
	json_decref(ev);
}

/* B's schedule is gone: its remaining tasks are cancelled. */
static void orphaned(struct daemon *d, struct backfill *b)
{
	char *cause = NULL;

	if (b->counts[TASK_PENDING] == 0)
		return;
	log_warn("backfill %s: schedule %s is gone; %zu pending tasks cancelled",
		 b->id, b->schedule_id, b->counts[TASK_PENDING]);
	if (write_record(d, b, b->status, TASK_PENDING, TASK_CANCELLED, &cause) < 0) {
		log_err("backfill %s: %s", b->id, cause);
		free(cause);
	}
}

static void fill(struct daemon *d, struct backfill *b)
{
	int limit = b->parallel ? b->max_parallel : 1;
	const struct schedule *s = sched_find(d->sched, b->schedule_id);

	if (!s) {
		orphaned(d, b);
		return;
	}
	while (b->ninflight < limit && b->counts[TASK_PENDING] > 0) {
		while (b->cursor < b->ntasks && b->tasks[b->cursor].status != TASK_PENDING)
			b->cursor++;
		if (b->cursor == b->ntasks)
			break;
		submit(d, b, s, b->cursor);
	}
}

static void finish(struct daemon *d, struct backfill *b)
{
	enum bf_status st = b->counts[TASK_FAILED] ? BF_FAILED :
			    b->counts[TASK_CANCELLED] ? BF_CANCELLED : BF_SUCCEEDED;
	char *cause = NULL;

	if (write_record(d, b, st, TASK_PENDING, TASK_PENDING, &cause) < 0) {
		/* Still finished here; after a restart it resumes with nothing
		 * left to run and finishes again. */
		log_err("backfill %s: %s", b->id, cause);
		free(cause);
		b->status = st;
	}
	log_info("backfill %s of %s %s: %zu succeeded, %zu failed, %zu cancelled", b->id,
		 b->schedule_id, bf_status_name(st), b->counts[TASK_SUCCEEDED],
		 b->counts[TASK_FAILED], b->counts[TASK_CANCELLED]);
}

/* Finishes B when nothing is left to run, and answers its waiters once it
 * is final with no run of it in flight. */
static void settle(struct daemon *d, struct backfill *b)
{
	if (b->ninflight)
		return;
	if (b->status == BF_RUNNING && b->counts[TASK_PENDING] == 0 &&
	    b->counts[TASK_RUNNING] == 0)
		finish(d, b);
	if (backfill_finished(b) && b->nwaiters)
		answer_waiters(b);
}

static void pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	if (mgr->stopping)
		return;
	for (size_t i = 0; i < mgr->n; i++) {
		struct backfill *b = mgr->v[i];

		if (b->status == BF_RUNNING)
			fill(d, b);
		settle(d, b);
	}
}

int backfill_start(struct daemon *d, struct backfill *b, bool retry,
		   char **cause)
{
	int r = retry ? write_record(d, b, BF_RUNNING, TASK_FAILED, TASK_PENDING, cause) :
			write_record(d, b, BF_RUNNING, TASK_PENDING, TASK_PENDING, cause);

	if (r == 0)
		wake();
	return r;
}

int backfill_cancel(struct daemon *d, struct backfill *b, char **cause)
{
	char (*ids)[40];
	int n = b->ninflight, r;

	r = write_record(d, b, BF_CANCELLED, TASK_PENDING, TASK_CANCELLED, cause);
	if (r < 0)
		return r;
	/* Cancelling a queued run calls task_done_cb at once, which edits
	 * the in-flight set: walk a copy of the run ids. */
	ids = xcalloc((size_t)(n ? n : 1), sizeof *ids);
	for (int k = 0; k < n; k++)
		snprintf(ids[k], sizeof ids[k], "%s", b->tasks[b->inflight[k]].run_id);
	for (int k = 0; k < n; k++)
		runner_cancel(d, ids[k]);
	free(ids);
	wake();
	return 0;
}

/* ---- loading ------------------------------------------------------------- */

static int load_tasks(struct backfill *b, const json_t *tasks, char **cause)
{
	const json_t *t;
	size_t i;

	b->ntasks = json_array_size(tasks);
	b->tasks = xcalloc(b->ntasks ? b->ntasks : 1, sizeof *b->tasks);
	json_array_foreach(tasks, i, t) {
		const char *rid = json_string_value(json_object_get(t, "run_id"));
		int st = name_index(task_names, TASK_STATUS_COUNT,
				    json_string_value(json_object_get(t, "status")));
		const char *when = json_string_value(json_object_get(t, "scheduled_time"));

		if (st < 0 || !when || rfc3339_parse(when, NULL, &b->tasks[i].time, NULL, NULL) < 0) {
			*cause = xasprintf("task %zu is malformed", i);
			return -EINVAL;
		}
		b->tasks[i].status = st;
		b->tasks[i].run_id = rid ? xstrdup(rid) : NULL;
	}
	return 0;
}

static char *dup_member(const json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(doc, key));

	return s ? xstrdup(s) : NULL;
}

/* A backfill from its stored record (borrowed DOC), or NULL with *cause. */
static struct backfill *from_record(const char *id, const json_t *doc, char **cause)
{
	json_int_t mp = json_integer_value(json_object_get(doc, "max_parallel"));
	int st = name_index(bf_names, 5, json_string_value(json_object_get(doc, "status")));
	const char *at = json_string_value(json_object_get(doc, "created_at"));
	struct backfill *b = bf_alloc(mp >= 1 && mp <= BACKFILL_MAX_PARALLEL ? (int)mp : 1);

	b->id = dup_member(doc, "backfill_id");
	b->schedule_id = dup_member(doc, "schedule_id");
	b->start_date = dup_member(doc, "start_date");
	b->end_date = dup_member(doc, "end_date");
	b->timezone = dup_member(doc, "timezone");
	b->parallel = json_is_true(json_object_get(doc, "parallel"));
	b->owner_uid = (uid_t)json_integer_value(json_object_get(doc, "owner_uid"));
	b->gen = (unsigned)json_integer_value(json_object_get(doc, "gen"));
	if (!b->id || strcmp(b->id, id) != 0 || !b->schedule_id || !b->start_date ||
	    !b->end_date || !b->timezone || st < 0 || !at ||
	    rfc3339_parse_ms(at, NULL, &b->created_at_ms, NULL, NULL) < 0) {
		*cause = xstrdup("missing or malformed fields");
		goto fail;
	}
	b->status = st;
	if (!(b->tz = tz_get(b->timezone, cause)) ||
	    load_tasks(b, json_object_get(doc, "tasks"), cause) < 0)
		goto fail;
	return b;
fail:
	backfill_free(b);
	return NULL;
}

static void load_cb(const char *id, json_t *doc, void *arg)
{
	char *cause = NULL;
	struct backfill *b = from_record(id, doc, &cause);

	(void)arg;
	if (!b) {
		log_err("backfills/%s.json: %s; left in place, not loaded", id, cause);
		free(cause);
		return;
	}
	insert(b);
}

static void warn_cb(const char *message, void *arg)
{
	(void)arg;
	log_warn("backfills: %s", message);
}

/* One .jsonl line: a task change of the current generation. */
static void replay_cb(json_t *line, void *arg)
{
	struct backfill *b = arg;
	json_int_t gen = json_integer_value(json_object_get(line, "gen"));
	json_int_t i = json_integer_value(json_object_get(line, "task"));
	int st = name_index(task_names, TASK_STATUS_COUNT,
			    json_string_value(json_object_get(line, "status")));
	const char *rid = json_string_value(json_object_get(line, "run_id"));

	if (gen != (json_int_t)b->gen || i < 0 || (size_t)i >= b->ntasks || st < 0)
		return;
	b->tasks[i].status = st;
	free(b->tasks[i].run_id);
	b->tasks[i].run_id = rid ? xstrdup(rid) : NULL;
}

/* After the replay: what a previous life left in flight. */
static void resume(struct backfill *b)
{
	size_t rerun = 0;

	for (size_t i = 0; i < b->ntasks; i++) {
		if (b->tasks[i].status != TASK_RUNNING)
			continue;
		/* Its run died with the daemon (the runner recorded it failed);
		 * the task itself did not finish: run it again, unless the
		 * backfill is over (cancelled while it ran). */
		b->tasks[i].status = b->status == BF_RUNNING ? TASK_PENDING : TASK_CANCELLED;
		rerun++;
	}
	recount(b);
	if (b->status == BF_RUNNING)
		log_info("backfill %s resumes: %zu of %zu tasks left (%zu were running)",
			 b->id, b->counts[TASK_PENDING], b->ntasks, rerun);
}

/* Backfill runs the runner queued again from the store have no callback
 * and no logical date: cancel them; the task state re-runs what is due. */
static void cancel_orphan_runs(struct daemon *d)
{
	json_t *runs = runner_list_runs(d, NULL, "queued", SIZE_MAX, NULL, NULL), *run;
	size_t i;

	json_array_foreach(runs, i, run) {
		const char *id = json_string_value(json_object_get(run, "run_id"));
		const char *tt = json_string_value(json_object_get(run, "trigger_type"));

		if (id && tt && strcmp(tt, "backfill") == 0) {
			log_info("run %s was a queued backfill task: cancelled, its backfill re-runs it", id);
			runner_cancel(d, id);
		}
	}
	json_decref(runs);
}

int backfill_init(struct daemon *d, char **cause)
{
	int r;

	mgr = xcalloc(1, sizeof *mgr);
	mgr->d = d;
	mgr->pump_ev = event_new(d->base, -1, 0, pump_cb, d);
	mgr->complete_ev = event_new(d->base, -1, 0, complete_cb, d);
	if (!mgr->pump_ev || !mgr->complete_ev) {
		*cause = xstrdup("backfill: cannot create events");
		return -ENOMEM;
	}
	event_priority_set(mgr->complete_ev, 1);
	r = store_load_all(d->store, STORE_BACKFILLS, load_cb, warn_cb, NULL);
	if (r < 0) {
		*cause = xasprintf("%s/backfills: %s", d->cfg.state_dir, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < mgr->n; i++) {
		store_read_log(d->store, STORE_BACKFILLS, mgr->v[i]->id, replay_cb,
			       warn_cb, mgr->v[i]);
		resume(mgr->v[i]);
	}
	cancel_orphan_runs(d);
	if (mgr->n)
		log_info("loaded %zu backfills", mgr->n);
	wake();
	return 0;
}

void backfill_release(struct daemon *d)
{
	(void)d;
	if (!mgr)
		return;
	for (size_t i = 0; i < mgr->n; i++) {
		struct backfill *b = mgr->v[i];

		/* The connections are gone: completing only frees. */
		for (size_t k = 0; k < b->nwaiters; k++)
			server_complete(b->waiters[k], &(struct call){ .code = RPC_INTERNAL_ERROR });
		backfill_free(b);
	}
	for (size_t k = 0; k < mgr->nready; k++) {
		server_complete(mgr->ready[k].df, &(struct call){ .code = RPC_INTERNAL_ERROR });
		json_decref(mgr->ready[k].result);
	}
	free(mgr->ready);
	free(mgr->v);
	if (mgr->pump_ev)
		event_free(mgr->pump_ev);
	if (mgr->complete_ev)
		event_free(mgr->complete_ev);
	free(mgr);
	mgr = NULL;
}
