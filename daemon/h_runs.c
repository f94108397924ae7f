/*
 * Methods on history and runs: get_events, get_last_event, list_runs,
 * get_run, get_run_log, cancel_run, run_schedule. A peer that is not an
 * admin sees only what belongs to schedules it owns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/handlers.h"
#include "daemon/history.h"
#include "daemon/log.h"
#include "daemon/runner.h"
#include "daemon/sched.h"
#include "daemon/scheduler.h"
#include "proto/jsonrpc.h"
#include "proto/xalloc.h"

static json_int_t int_param(struct call *c, const char *key, json_int_t def)
{
	json_t *v = json_object_get(c->params, key);

	return v ? json_integer_value(v) : def;
}

static bool check_limit(struct call *c, json_int_t *ret)
{
	*ret = int_param(c, "limit", 100);
	if (*ret < 1 || *ret > 100000) {
		call_fail(c, RPC_INVALID_PARAMS, "limit", "limit: expected 1..100000");
		return false;
	}
	return true;
}

void h_get_events(struct call *c)
{
	struct schedule *s = find_visible_schedule(c);
	json_int_t limit;

	if (!s || !check_limit(c, &limit))
		return;
	call_ok(c, json_pack("{s:o}", "events", history_get_events(c->d, s->id, (size_t)limit)));
}

void h_get_last_event(struct call *c)
{
	struct schedule *s = find_visible_schedule(c);
	json_t *evs;

	if (!s)
		return;
	evs = history_get_events(c->d, s->id, 1);
	call_ok(c, json_array_size(evs) ? json_incref(json_array_get(evs, 0)) : json_null());
	json_decref(evs);
}

/* A run belongs to whoever owned its schedule when it was triggered (the
 * id may have changed hands since). */
static bool run_visible(const json_t *run, void *arg)
{
	struct call *c = arg;
	json_t *uid = json_object_get(run, "owner_uid");
	struct schedule *s;

	if (c->peer->admin)
		return true;
	if (json_is_integer(uid))
		return (uid_t)json_integer_value(uid) == c->peer->uid;
	s = sched_find(c->d->sched, json_string_value(json_object_get(run, "schedule_id")));
	return s && s->owner_uid == c->peer->uid;
}

void h_list_runs(struct call *c)
{
	const char *sid = json_string_value(json_object_get(c->params, "schedule_id"));
	const char *st = json_string_value(json_object_get(c->params, "status"));
	static const char *const states[] = { "queued", "running", "succeeded", "failed", "cancelled", NULL };
	json_int_t limit;
	bool known = !st;

	if (!check_limit(c, &limit))
		return;
	for (int i = 0; st && states[i]; i++)
		known |= strcmp(states[i], st) == 0;
	if (!known) {
		call_fail(c, RPC_INVALID_PARAMS, "status",
			  "status: expected queued, running, succeeded, failed or cancelled");
		return;
	}
	if (sid && !find_visible_schedule(c))
		return;
	call_ok(c, json_pack("{s:o}", "runs",
			     runner_list_runs(c->d, sid, st, (size_t)limit, run_visible, c)));
}

/* The run named by params.run_id if the peer may see it (new ref). */
static json_t *visible_run(struct call *c)
{
	const char *id = json_string_value(json_object_get(c->params, "run_id"));
	json_t *run = runner_get_run(c->d, id);

	if (run && !run_visible(run, c)) {
		json_decref(run);
		run = NULL;
	}
	if (!run)
		call_fail(c, RPC_NOT_FOUND, "run_id", "run '%.100s' not found", id);
	return run;
}

void h_get_run(struct call *c)
{
	json_t *run = visible_run(c);

	if (run)
		call_ok(c, run);
}

void h_get_run_log(struct call *c)
{
	const char *asset = json_string_value(json_object_get(c->params, "asset"));
	json_int_t tail = int_param(c, "tail_bytes", 0);
	json_t *run = visible_run(c);
	char *log;
	int err = 0;

	if (!run)
		return;
	if (tail < 0) {
		call_fail(c, RPC_INVALID_PARAMS, "tail_bytes", "tail_bytes: expected >= 0");
	} else if (!(log = runner_read_log(c->d, json_string_value(json_object_get(run, "run_id")),
					   asset, (size_t)tail, &err))) {
		if (err == -ESRCH)
			call_fail(c, RPC_NOT_FOUND, "asset", "run has no asset '%.100s'", asset);
		else
			call_fail(c, RPC_NOT_FOUND, "run_id", "no log for this run");
	} else {
		call_ok(c, json_pack("{s:s%}", "log", log, strlen(log)));
		free(log);
	}
	json_decref(run);
}

void h_cancel_run(struct call *c)
{
	json_t *run = visible_run(c);
	const char *id;
	int r;

	if (!run)
		return;
	id = json_string_value(json_object_get(run, "run_id"));
	r = runner_cancel(c->d, id);
	if (r == -EALREADY) {
		call_fail(c, RPC_CONFLICT, "run_id", "run '%s' has already finished", id);
	} else {
		log_info("uid %u cancelled run %s", (unsigned)c->peer->uid, id);
		call_ok(c, runner_get_run(c->d, id));
	}
	json_decref(run);
}

void h_run_schedule(struct call *c)
{
	struct schedule *s = find_visible_schedule(c);

	if (!s)
		return;
	log_info("uid %u triggered schedule %s by hand", (unsigned)c->peer->uid, s->id);
	call_ok(c, scheduler_trigger(c->d, s, TRIGGER_MANUAL, now_ms() / 1000, NULL));
}
