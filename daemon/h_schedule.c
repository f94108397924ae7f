/*
 * Methods on schedules: add, update, get, list, pause, resume, delete,
 * next_fire_times. Every change is written to the store before it is
 * applied in memory, so a failed write changes nothing; the answer leaves
 * only after the batch's store_sync() (METHOD_MUTATES).
 *
 * Visibility (DESIGN §7): root and the daemon's own uid see everything;
 * another peer sees only the schedules it owns, and others' are not_found.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/events.h"
#include "daemon/handlers.h"
#include "daemon/history.h"
#include "daemon/interval.h"
#include "daemon/log.h"
#include "daemon/runner.h"
#include "daemon/sched.h"
#include "daemon/scheduler.h"
#include "daemon/timefmt.h"
#include "daemon/tz.h"
#include "proto/jsonrpc.h"
#include "proto/xalloc.h"
#include "store/store.h"

/* The user name of UID, or the number as text. New string. */
static char *user_name(uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res)
		return xstrdup(pw.pw_name);
	return xasprintf("%u", (unsigned)uid);
}

static bool visible(const struct call *c, const struct schedule *s)
{
	return c->peer->admin || s->owner_uid == c->peer->uid;
}

struct schedule *find_visible_schedule(struct call *c)
{
	const char *id = json_string_value(json_object_get(c->params, "schedule_id"));
	struct schedule *s = schedule_id_valid(id) ? sched_find(c->d->sched, id) : NULL;

	if (!s || !visible(c, s)) {
		call_fail(c, RPC_NOT_FOUND, "schedule_id", "schedule '%.140s' not found", id);
		return NULL;
	}
	return s;
}

int persist_schedule(struct call *c, struct schedule *s)
{
	json_t *doc = schedule_to_json(s);
	char *cause = NULL;
	int r = store_put(c->d->store, STORE_SCHEDULES, s->id, doc, &cause);

	json_decref(doc);
	if (r < 0) {
		log_err("storing schedule %s for uid %u: %s", s->id, (unsigned)c->peer->uid, cause);
		call_fail_store(c, r, cause);
		free(cause);
	}
	return r;
}

/* Only root may run a schedule as someone else; a daemon that is not root
 * cannot switch users at all (DESIGN §5, §7). */
static bool run_as_allowed(struct call *c, const struct schedule *s)
{
	char *self;
	bool ok;

	if (!s->run_as)
		return true;
	if (c->d->self_uid != 0) {
		call_fail(c, RPC_PERMISSION_DENIED, "schedule.run_as",
			  "run_as: this daemon does not run as root, so it runs every pipeline as itself");
		return false;
	}
	if (c->peer->uid == 0)
		return true;
	self = user_name(c->peer->uid);
	ok = strcmp(self, s->run_as) == 0;
	free(self);
	if (!ok)
		call_fail(c, RPC_PERMISSION_DENIED, "schedule.run_as",
			  "run_as: only root may run a schedule as another user");
	return ok;
}

/* Parses params.schedule into a new schedule owned by the peer. */
static struct schedule *parse_request_schedule(struct call *c)
{
	struct schedule_error err = { 0 };
	char *owner = user_name(c->peer->uid);
	struct schedule_defaults def = {
		.timezone = c->d->cfg.timezone, .now_ms = now_ms(),
		.owner_uid = c->peer->uid, .owner = owner,
	};
	struct schedule *s = NULL;

	if (schedule_from_json(json_object_get(c->params, "schedule"), &def, false, &s, &err) < 0) {
		char *field = xasprintf("schedule.%s", err.field);

		call_fail(c, RPC_INVALID_PARAMS, field, "invalid schedule: %s", err.message);
		free(field);
		schedule_error_release(&err);
	} else if (!run_as_allowed(c, s)) {
		schedule_free(s);
		s = NULL;
	}
	free(owner);
	return s;
}

void h_add_schedule(struct call *c)
{
	struct schedule *s = parse_request_schedule(c), *old;

	if (!s)
		return;
	old = sched_find(c->d->sched, s->id);
	if (old) {
		/* Another user's schedule is not_found for a non-admin peer,
		 * but the id is still taken: say so without details. */
		call_fail(c, RPC_ALREADY_EXISTS, "schedule.schedule_id",
			  "schedule '%s' already exists", s->id);
		schedule_free(s);
		return;
	}
	scheduler_settle(c->d, s);
	if (persist_schedule(c, s) < 0) {
		schedule_free(s);
		return;
	}
	sched_insert(c->d->sched, s);
	scheduler_settle(c->d, s);
	log_info("uid %u added schedule %s", (unsigned)c->peer->uid, s->id);
	call_ok(c, schedule_to_json(s));
}

/* Server-owned state that an update keeps. */
static void keep_state(struct schedule *s, const struct schedule *old,
		       const json_t *doc)
{
	s->owner_uid = old->owner_uid;
	s->owner = old->owner;
	s->created_at_ms = old->created_at_ms;
	s->last_fire = old->last_fire;
	s->last_status = old->last_status ? xstrdup(old->last_status) : NULL;
	if (!json_object_get(doc, "status"))
		s->status = old->status == SSTATUS_COMPLETED ? SSTATUS_ACTIVE : old->status;
}

void h_update_schedule(struct call *c)
{
	json_t *doc = json_object_get(c->params, "schedule");
	const char *id = json_string_value(json_object_get(doc, "schedule_id"));
	struct schedule *old = id ? sched_find(c->d->sched, id) : NULL;
	struct schedule *s;

	if (!old || !visible(c, old)) {
		call_fail(c, RPC_NOT_FOUND, "schedule.schedule_id", "schedule '%.140s' not found",
			  id ? id : "");
		return;
	}
	s = parse_request_schedule(c);
	if (!s)
		return;
	keep_state(s, old, doc);
	scheduler_settle(c->d, s);
	if (persist_schedule(c, s) < 0) {
		schedule_free(s);
		return;
	}
	schedule_free(sched_replace(c->d->sched, s));
	scheduler_settle(c->d, s);
	log_info("uid %u updated schedule %s", (unsigned)c->peer->uid, s->id);
	call_ok(c, schedule_to_json(s));
}

void h_get_schedule(struct call *c)
{
	struct schedule *s = find_visible_schedule(c);

	if (s)
		call_ok(c, schedule_to_json(s));
}

void h_list_schedules(struct call *c)
{
	json_t *st = json_object_get(c->params, "status"), *arr;
	enum schedule_status want = SSTATUS_ACTIVE;
	bool filter = json_is_string(st);

	if (filter && schedule_status_parse(json_string_value(st), &want) < 0) {
		call_fail(c, RPC_INVALID_PARAMS, "status",
			  "status: expected active, paused, disabled or completed");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < sched_count(c->d->sched); i++) {
		struct schedule *s = sched_at(c->d->sched, i);

		if ((!filter || s->status == want) && visible(c, s))
			json_array_append_new(arr, schedule_to_json(s));
	}
	call_ok(c, json_pack("{s:o}", "schedules", arr));
}

/* Changes a schedule's status durably: the store first, then memory. */
static void set_status(struct call *c, struct schedule *s,
		       enum schedule_status to, const char *verb)
{
	enum schedule_status from = s->status;
	int64_t updated = s->updated_at_ms;

	s->status = to;
	s->updated_at_ms = now_ms();
	scheduler_settle(c->d, s);
	if (persist_schedule(c, s) < 0) {
		s->status = from;
		s->updated_at_ms = updated;
		scheduler_settle(c->d, s);
		return;
	}
	log_info("uid %u %s schedule %s", (unsigned)c->peer->uid, verb, s->id);
	call_ok(c, schedule_to_json(s));
}

void h_pause_schedule(struct call *c)
{
	struct schedule *s = find_visible_schedule(c);

	if (!s)
		return;
	if (s->status == SSTATUS_COMPLETED) {
		call_fail(c, RPC_CONFLICT, "schedule_id",
			  "schedule '%s' is completed: it has no further fire time", s->id);
		return;
	}
	if (s->status == SSTATUS_PAUSED)
		call_ok(c, schedule_to_json(s));
	else
		set_status(c, s, SSTATUS_PAUSED, "paused");
}

void h_resume_schedule(struct call *c)
{
	struct schedule *s = find_visible_schedule(c);

	if (!s)
		return;
	if (s->status == SSTATUS_ACTIVE) {
		call_ok(c, schedule_to_json(s));
		return;
	}
	if (s->status == SSTATUS_COMPLETED) {
		call_fail(c, RPC_CONFLICT, "schedule_id",
			  "schedule '%s' is completed: it has no further fire time (update its end_time first)", s->id);
		return;
	}
	set_status(c, s, SSTATUS_ACTIVE, "resumed");
}

void h_delete_schedule(struct call *c)
{
	struct schedule *s = find_visible_schedule(c);
	char *cause = NULL;
	int r;

	if (!s)
		return;
	r = store_remove(c->d->store, STORE_SCHEDULES, s->id, &cause);
	if (r == 0)
		r = store_remove_log(c->d->store, STORE_EVENTS, s->id, &cause);
	if (r < 0) {
		log_err("deleting schedule %s: %s", s->id, cause);
		call_fail_store(c, r, cause);
		free(cause);
		return;
	}
	/* Forgotten first: the runs being cancelled leave no trace. */
	runner_forget_schedule(c->d, s->id);
	runner_cancel_schedule(c->d, s->id);
	events_forget_schedule(c->d, s->id);
	history_forget(s->id);
	log_info("uid %u deleted schedule %s", (unsigned)c->peer->uid, s->id);
	call_ok(c, json_pack("{s:s, s:b}", "schedule_id", s->id, "deleted", 1));
	schedule_free(sched_remove(c->d->sched, s->id));
}

/* ---- next_fire_times -------------------------------------------------- */

static const char *str_param(struct call *c, const char *key)
{
	return json_string_value(json_object_get(c->params, key));
}

/* A throwaway schedule for {cron_expression | interval, timezone, start_time}. */
static struct schedule *adhoc_schedule(struct call *c)
{
	json_t *doc = json_object(), *def = json_object();
	struct schedule_defaults d = { .timezone = c->d->cfg.timezone, .now_ms = now_ms() };
	struct schedule_error err = { 0 };
	struct schedule *s = NULL;
	const char *cron = str_param(c, "cron_expression");

	json_object_set_new(doc, "schedule_id", json_string("adhoc"));
	json_object_set_new(doc, "schedule_type", json_string(cron ? "cron" : "interval"));
	json_object_set_new(def, cron ? "cron_expression" : "interval",
			    json_string(cron ? cron : str_param(c, "interval")));
	json_object_set_new(doc, "schedule_definition", def);
	json_object_set_new(doc, "asset_graph", json_pack("{s:s}", "name", "adhoc"));
	if (str_param(c, "timezone"))
		json_object_set(doc, "timezone", json_object_get(c->params, "timezone"));
	if (str_param(c, "start_time"))
		json_object_set(doc, "start_time", json_object_get(c->params, "start_time"));
	if (schedule_from_json(doc, &d, false, &s, &err) < 0) {
		const char *f = strrchr(err.field, '.');

		call_fail(c, RPC_INVALID_PARAMS, f ? f + 1 : err.field, "%s", err.message);
		schedule_error_release(&err);
	}
	json_decref(doc);
	return s;
}

static bool parse_after(struct call *c, const struct schedule *s, int64_t *ret)
{
	const char *after = str_param(c, "after");
	char *cause = NULL;

	*ret = now_ms() / 1000;
	if (!after)
		return true;
	if (rfc3339_parse(after, s->tz, ret, NULL, &cause) < 0) {
		call_fail(c, RPC_INVALID_PARAMS, "after", "after: %s", cause);
		free(cause);
		return false;
	}
	return true;
}

void h_next_fire_times(struct call *c)
{
	int given = !!str_param(c, "schedule_id") + !!str_param(c, "cron_expression") +
		    !!str_param(c, "interval");
	json_t *cnt = json_object_get(c->params, "count"), *times;
	json_int_t count = cnt ? json_integer_value(cnt) : 5;
	struct schedule *s, *adhoc = NULL;
	int64_t t;

	if (given != 1) {
		call_fail(c, RPC_INVALID_PARAMS, "schedule_id",
			  "give exactly one of schedule_id, cron_expression, interval");
		return;
	}
	if (count < 1 || count > 1000) {
		call_fail(c, RPC_INVALID_PARAMS, "count", "count: expected 1..1000");
		return;
	}
	s = str_param(c, "schedule_id") ? find_visible_schedule(c) : (adhoc = adhoc_schedule(c));
	if (!s || !parse_after(c, s, &t)) {
		schedule_free(adhoc);
		return;
	}
	times = json_array();
	while (count-- > 0 && schedule_next_after(s, t, &t) == 0) {
		char buf[RFC3339_BUFSZ];

		json_array_append_new(times, json_string(rfc3339_format_utc(t, buf)));
	}
	call_ok(c, json_pack("{s:o}", "times", times));
	schedule_free(adhoc);
}
