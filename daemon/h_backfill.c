/*
 * Methods on backfills: create_backfill, execute_backfill, get_backfill,
 * list_backfills, cancel_backfill, retry_backfill. Checks, visibility and
 * answers; the backfill manager (backfill.c) owns the objects, their
 * records and their execution.
 *
 * Visibility (DESIGN §7): root and the daemon's own uid see every
 * backfill; another peer sees only the backfills of schedules it owned
 * when it created them, and others' are not_found. A backfill outlives its
 * schedule (readable), but cannot run without it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/backfill.h"
#include "daemon/handlers.h"
#include "daemon/log.h"
#include "daemon/sched.h"
#include "daemon/schedule.h"
#include "daemon/server.h"
#include "daemon/tz.h"
#include "proto/jsonrpc.h"
#include "proto/xalloc.h"

static const char *str_param(struct call *c, const char *key)
{
	return json_string_value(json_object_get(c->params, key));
}

static bool bool_param(struct call *c, const char *key)
{
	return json_is_true(json_object_get(c->params, key));
}

static bool bf_visible(const struct call *c, const struct backfill *b)
{
	return c->peer->admin || b->owner_uid == c->peer->uid;
}

/* The backfill named by params.backfill_id if the peer may see it;
 * otherwise fails the call with not_found. */
static struct backfill *find_visible_backfill(struct call *c)
{
	const char *id = str_param(c, "backfill_id");
	struct backfill *b = backfill_find(id);

	if (!b || !bf_visible(c, b)) {
		call_fail(c, RPC_NOT_FOUND, "backfill_id", "backfill '%.100s' not found", id);
		return NULL;
	}
	return b;
}

/* B's schedule, which must still exist (and be the peer's) to run. */
static struct schedule *runnable_schedule(struct call *c, const struct backfill *b)
{
	struct schedule *s = sched_find(c->d->sched, b->schedule_id);

	if (!s || !(c->peer->admin || s->owner_uid == c->peer->uid)) {
		call_fail(c, RPC_NOT_FOUND, "schedule_id",
			  "schedule '%s' of backfill %s not found (deleted?)", b->schedule_id, b->id);
		return NULL;
	}
	return s;
}

/* ---- create ------------------------------------------------------------- */

struct create_args {
	const char *start, *end, *zone;
	const struct tz *tz;
	bool parallel, dry_run;
	int max_parallel;
};

static bool read_create_args(struct call *c, const struct schedule *s,
			     struct create_args *a)
{
	json_t *mp = json_object_get(c->params, "max_parallel");
	json_int_t n = mp ? json_integer_value(mp) : 1;
	char *cause = NULL;

	a->start = str_param(c, "start_date");
	a->end = str_param(c, "end_date");
	a->zone = str_param(c, "timezone");
	if (!a->zone)
		a->zone = s->timezone;
	a->parallel = bool_param(c, "parallel");
	a->dry_run = bool_param(c, "dry_run");
	if (n < 1 || n > BACKFILL_MAX_PARALLEL) {
		call_fail(c, RPC_INVALID_PARAMS, "max_parallel", "max_parallel: expected 1..%d",
			  BACKFILL_MAX_PARALLEL);
		return false;
	}
	a->max_parallel = (int)n;
	a->tz = tz_get(a->zone, &cause);
	if (!a->tz) {
		call_fail(c, RPC_INVALID_PARAMS, "timezone", "timezone: %s", cause);
		free(cause);
		return false;
	}
	return true;
}

/* The tasks of S for the call's range, or NULL with the call failed. */
static struct backfill *plan(struct call *c, const struct schedule *s,
			     const struct create_args *a)
{
	int64_t from, to, *times = NULL;
	const char *field = NULL;
	char *cause = NULL;
	size_t n = 0;
	int r;

	if (backfill_parse_range(a->start, a->end, a->tz, &from, &to, &field, &cause) < 0) {
		call_fail(c, RPC_INVALID_PARAMS, field, "%s", cause);
		free(cause);
		return NULL;
	}
	r = backfill_plan(s, a->tz, from, to, BACKFILL_MAX_TASKS, &times, &n);
	if (r == -E2BIG) {
		call_fail(c, RPC_LIMIT_EXCEEDED, "end_date",
			  "'%s' fires more than %d times from %s to %s; backfill a shorter range",
			  s->id, BACKFILL_MAX_TASKS, a->start, a->end);
		return NULL;
	}
	if (r < 0) {
		call_fail(c, RPC_NOT_BACKFILLABLE, "schedule_id", "schedule '%s' cannot be backfilled", s->id);
		return NULL;
	}
	return backfill_new(s, a->start, a->end, a->zone, a->tz, a->parallel,
			    a->max_parallel, times, n);
}

/* dry_run: the would-be backfill with its tasks; nothing is created. */
static json_t *dry_run_json(const struct backfill *b)
{
	json_t *o = backfill_to_json(b, true);

	json_object_set_new(o, "backfill_id", json_null());
	json_object_set_new(o, "created_at", json_null());
	json_object_set_new(o, "dry_run", json_true());
	return o;
}

void h_create_backfill(struct call *c)
{
	struct schedule *s = find_visible_schedule(c);
	struct create_args a;
	struct backfill *b;
	char *cause = NULL;

	if (!s)
		return;
	if (s->type == STYPE_EVENT) {
		call_fail(c, RPC_NOT_BACKFILLABLE, "schedule_id",
			  "schedule '%s' is event-driven: it has no fire times to backfill", s->id);
		return;
	}
	if (!read_create_args(c, s, &a) || !(b = plan(c, s, &a)))
		return;
	if (a.dry_run) {
		call_ok(c, dry_run_json(b));
		backfill_free(b);
		return;
	}
	if (backfill_register(c->d, b, &cause) < 0) {
		log_err("storing backfill of %s for uid %u: %s", s->id, (unsigned)c->peer->uid, cause);
		call_fail_store(c, -EIO, cause);
		free(cause);
		backfill_free(b);
		return;
	}
	log_info("uid %u created backfill %s of %s: %zu tasks", (unsigned)c->peer->uid,
		 b->id, s->id, b->ntasks);
	call_ok(c, backfill_to_json(b, false));
}

/* ---- execute / retry ----------------------------------------------------- */

static bool may_start(struct call *c, const struct backfill *b, bool retry)
{
	if (!retry && b->status == BF_RUNNING) {
		call_fail(c, RPC_CONFLICT, "backfill_id", "backfill %s is already running", b->id);
		return false;
	}
	if (!retry && b->status != BF_PENDING) {
		call_fail(c, RPC_CONFLICT, "backfill_id",
			  "backfill %s has finished (%s); retry_backfill re-runs its failed tasks",
			  b->id, bf_status_name(b->status));
		return false;
	}
	if (retry && (!backfill_finished(b) || b->counts[TASK_RUNNING] > 0)) {
		call_fail(c, RPC_CONFLICT, "backfill_id",
			  "backfill %s is %s; only a finished backfill can be retried", b->id,
			  b->counts[TASK_RUNNING] ? "still stopping its tasks" : bf_status_name(b->status));
		return false;
	}
	return true;
}

static void start_call(struct call *c, bool retry)
{
	struct backfill *b = find_visible_backfill(c);
	char *cause = NULL;

	if (!b || !runnable_schedule(c, b) || !may_start(c, b, retry))
		return;
	if (retry && b->counts[TASK_FAILED] == 0) {
		/* Nothing failed: nothing to do, and that is not an error. */
		call_ok(c, backfill_result(b));
		return;
	}
	if (backfill_start(c->d, b, retry, &cause) < 0) {
		log_err("backfill %s: %s", b->id, cause);
		call_fail_store(c, -EIO, cause);
		free(cause);
		return;
	}
	log_info("uid %u %s backfill %s (%zu tasks to run)", (unsigned)c->peer->uid,
		 retry ? "retried" : "started", b->id, b->counts[TASK_PENDING]);
	if (bool_param(c, "wait"))
		backfill_add_waiter(c->d, b, server_defer(c));
	else
		call_ok(c, backfill_result(b));
}

void h_execute_backfill(struct call *c)
{
	start_call(c, false);
}

void h_retry_backfill(struct call *c)
{
	start_call(c, true);
}

/* ---- get / list / cancel ------------------------------------------------ */

void h_get_backfill(struct call *c)
{
	struct backfill *b = find_visible_backfill(c);

	if (b)
		call_ok(c, backfill_to_json(b, bool_param(c, "tasks")));
}

void h_list_backfills(struct call *c)
{
	const char *sid = str_param(c, "schedule_id");
	json_t *arr = json_array();
	struct backfill *b;

	for (size_t i = 0; (b = backfill_at(i)); i++)
		if (bf_visible(c, b) && (!sid || strcmp(sid, b->schedule_id) == 0))
			json_array_append_new(arr, backfill_to_json(b, false));
	call_ok(c, json_pack("{s:o}", "backfills", arr));
}

void h_cancel_backfill(struct call *c)
{
	struct backfill *b = find_visible_backfill(c);
	char *cause = NULL;

	if (!b)
		return;
	if (backfill_finished(b)) {
		call_fail(c, RPC_CONFLICT, "backfill_id", "backfill %s has already finished (%s)",
			  b->id, bf_status_name(b->status));
		return;
	}
	if (backfill_cancel(c->d, b, &cause) < 0) {
		log_err("backfill %s: %s", b->id, cause);
		call_fail_store(c, -EIO, cause);
		free(cause);
		return;
	}
	log_info("uid %u cancelled backfill %s", (unsigned)c->peer->uid, b->id);
	call_ok(c, backfill_to_json(b, false));
}
