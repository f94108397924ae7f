/*
 * Posted events (DESIGN §4): durable before the answer (events/_posted.jsonl,
 * group commit), matched against active event schedules by event_type, the
 * poster (owner, root, accept_from), then the schedule's filter; debounced
 * leading or trailing; run with the event in the environment. The daemon
 * posts pipeline_completed / pipeline_failed itself when a run ends, so
 * schedules can chain.
 */
#include "daemon/events.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon/daemon.h"
#include "daemon/filter.h"
#include "daemon/history.h"
#include "daemon/log.h"
#include "daemon/sched.h"
#include "daemon/scheduler.h"
#include "daemon/timefmt.h"
#include "proto/xalloc.h"
#include "store/store.h"

/* Per-schedule debounce state, kept by schedule id so an update or a
 * reload of the schedule keeps its window. */
struct debounce {
	struct debounce *next;
	struct daemon *d;
	char *schedule_id;
	int64_t last_trigger_ms;	/* leading: start of the window */
	struct event *timer;		/* trailing: end of the quiet window */
	json_t *pending;		/* trailing: the last event (new) */
};

static struct debounce *debounces;
static json_int_t posted_lines = -1;	/* lines in events/_posted.jsonl */

static struct debounce *debounce_get(struct daemon *d, const char *id)
{
	struct debounce *db;

	for (db = debounces; db; db = db->next)
		if (strcmp(db->schedule_id, id) == 0)
			return db;
	db = xcalloc(1, sizeof *db);
	db->d = d;
	db->schedule_id = xstrdup(id);
	db->next = debounces;
	debounces = db;
	return db;
}

static void debounce_free(struct debounce *db)
{
	if (db->timer)
		event_free(db->timer);
	json_decref(db->pending);
	free(db->schedule_id);
	free(db);
}

void events_forget_schedule(struct daemon *d, const char *schedule_id)
{
	struct debounce **p = &debounces;

	(void)d;
	for (; *p; p = &(*p)->next) {
		if (strcmp((*p)->schedule_id, schedule_id) == 0) {
			struct debounce *db = *p;

			*p = db->next;
			debounce_free(db);
			return;
		}
	}
}

void events_release(struct daemon *d)
{
	(void)d;
	posted_lines = -1;
	while (debounces) {
		struct debounce *db = debounces;

		debounces = db->next;
		debounce_free(db);
	}
}

/* ---- who may trigger whom ------------------------------------------------ */

static bool poster_accepted(const struct schedule *s, uid_t poster)
{
	json_t *from = s->accept_from, *u;
	size_t i;

	if (poster == 0 || poster == s->owner_uid)
		return true;
	json_array_foreach(from, i, u) {
		struct passwd pw, *res = NULL;
		char buf[1024];

		if (getpwnam_r(json_string_value(u), &pw, buf, sizeof buf, &res) == 0 && res &&
		    pw.pw_uid == poster)
			return true;
	}
	return false;
}

static bool schedule_wants(const struct schedule *s, const char *type,
			   const json_t *data, uid_t poster)
{
	return s->type == STYPE_EVENT && s->status == SSTATUS_ACTIVE &&
	       strcmp(s->event_type, type) == 0 && poster_accepted(s, poster) &&
	       (!s->filter || filter_match(s->filter, data));
}

/* ---- debounce -------------------------------------------------------------- */

static void record_debounced(struct daemon *d, struct schedule *s, const json_t *te)
{
	json_t *ev = history_event_new(s->id, TRIGGER_EVENT, now_ms() / 1000, "debounced");
	char *cause = NULL;

	json_object_set(ev, "trigger_event", (json_t *)te);
	if (history_append(d, ev, &cause) < 0) {
		log_err("schedule %s: cannot record a debounced event: %s", s->id, cause);
		free(cause);
	}
	json_decref(ev);
}

static void trailing_cb(evutil_socket_t fd, short what, void *arg)
{
	struct debounce *db = arg;
	struct schedule *s = sched_find(db->d->sched, db->schedule_id);
	json_t *te = db->pending;

	(void)fd;
	(void)what;
	db->pending = NULL;
	if (s && te && s->status == SSTATUS_ACTIVE && db->d->running) {
		db->last_trigger_ms = now_ms();
		json_decref(scheduler_trigger(db->d, s, TRIGGER_EVENT, now_ms() / 1000, te));
	}
	json_decref(te);
}

static void arm_trailing(struct daemon *d, struct debounce *db, double seconds)
{
	struct timeval tv = { (time_t)seconds, (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6) };

	if (!db->timer)
		db->timer = evtimer_new(d->base, trailing_cb, db);
	evtimer_add(db->timer, &tv);
}

/* Returns true if the event triggered S now, false if it was debounced. */
static bool deliver(struct daemon *d, struct schedule *s, const json_t *te)
{
	struct debounce *db;
	int64_t now = now_ms();

	if (s->debounce_seconds <= 0) {
		json_decref(scheduler_trigger(d, s, TRIGGER_EVENT, now / 1000, te));
		return true;
	}
	db = debounce_get(d, s->id);
	if (s->debounce_mode == DEBOUNCE_TRAILING) {
		/* Every event restarts the quiet window; the last one runs. */
		record_debounced(d, s, te);
		json_decref(db->pending);
		db->pending = json_deep_copy(te);
		arm_trailing(d, db, s->debounce_seconds);
		return false;
	}
	if (db->last_trigger_ms && now - db->last_trigger_ms < (int64_t)(s->debounce_seconds * 1000)) {
		record_debounced(d, s, te);
		return false;
	}
	db->last_trigger_ms = now;
	json_decref(scheduler_trigger(d, s, TRIGGER_EVENT, now / 1000, te));
	return true;
}

/* ---- trailing windows open at a restart ------------------------------------------- */

/* The pending event of a trailing window, from a schedule's history: the
 * newest record when it is a debounced event (no trigger came after it).
 * *RET_AGE is its age in seconds. NULL if none (new reference). */
static json_t *pending_trailing(struct daemon *d, const struct schedule *s,
				double *ret_age)
{
	json_t *evs = history_get_events(d, s->id, 1), *ev = json_array_get(evs, 0);
	const char *st = json_string_value(json_object_get(ev, "status"));
	const char *at = json_string_value(json_object_get(ev, "triggered_at"));
	json_t *te = NULL;
	int64_t ms;

	if (st && strcmp(st, "debounced") == 0 && at &&
	    rfc3339_parse_ms(at, NULL, &ms, NULL, NULL) == 0 &&
	    json_is_object(json_object_get(ev, "trigger_event"))) {
		te = json_incref(json_object_get(ev, "trigger_event"));
		*ret_age = (double)(now_ms() - ms) / 1000.0;
	}
	json_decref(evs);
	return te;
}

void events_restore(struct daemon *d)
{
	for (size_t i = 0; i < sched_count(d->sched); i++) {
		struct schedule *s = sched_at(d->sched, i);
		struct debounce *db;
		double age = 0, left;
		json_t *te;

		if (s->type != STYPE_EVENT || s->status != SSTATUS_ACTIVE ||
		    s->debounce_mode != DEBOUNCE_TRAILING || s->debounce_seconds <= 0)
			continue;
		te = pending_trailing(d, s, &age);
		if (!te)
			continue;
		/* The daemon stopped inside a quiet window: finish it. */
		db = debounce_get(d, s->id);
		json_decref(db->pending);
		db->pending = te;
		left = s->debounce_seconds - age;
		arm_trailing(d, db, left > 0 ? left : 0);
		log_info("schedule %s: a trailing debounce window was open at the last stop; it ends in %.1f s",
			 s->id, left > 0 ? left : 0);
	}
}

/* ---- the posted-events log, bounded ----------------------------------------------- */

/* events/_posted.jsonl keeps the newest 100 x history_limit events (the
 * default: 100,000); it is cut back when it holds twice that. */
static void count_cb(json_t *doc, void *arg)
{
	(void)doc;
	(*(json_int_t *)arg)++;
}

static void keep_cb(json_t *doc, void *arg)
{
	json_array_append((json_t *)arg, doc);
}

static void trim_posted(struct daemon *d, json_int_t keep)
{
	json_t *all = json_array(), *tail = json_array();
	char *cause = NULL;
	size_t n, i;

	store_read_log(d->store, STORE_EVENTS, "_posted", keep_cb, NULL, all);
	n = json_array_size(all);
	for (i = n > (size_t)keep ? n - (size_t)keep : 0; i < n; i++)
		json_array_append(tail, json_array_get(all, i));
	if (store_replace_log(d->store, STORE_EVENTS, "_posted", tail, &cause) < 0) {
		log_warn("events/_posted.jsonl: cannot cut it back: %s", cause);
		free(cause);
	} else {
		posted_lines = (json_int_t)json_array_size(tail);
	}
	json_decref(all);
	json_decref(tail);
}

static void posted_appended(struct daemon *d)
{
	json_int_t keep = (json_int_t)d->cfg.history_limit * 100;

	if (posted_lines < 0) {
		posted_lines = 0;
		store_read_log(d->store, STORE_EVENTS, "_posted", count_cb, NULL, &posted_lines);
	} else {
		posted_lines++;
	}
	if (posted_lines > 2 * keep)
		trim_posted(d, keep);
}

/* ---- posting ------------------------------------------------------------------ */

json_t *events_post(struct daemon *d, const char *type, const json_t *data,
		    const char *source, uid_t poster, char **cause)
{
	char id[40], at[RFC3339_BUFSZ];
	json_t *posted, *te, *triggered = json_array(), *debounced = json_array();
	int r;

	new_id('v', id);
	te = json_pack("{s:s, s:s, s:O, s:s}", "event_id", id, "event_type", type,
		       "event_data", (json_t *)data, "source", source);
	posted = json_deep_copy(te);
	json_object_set_new(posted, "posted_at", json_string(rfc3339_format_utc_ms(now_ms(), at)));
	json_object_set_new(posted, "uid", json_integer(poster));
	r = store_append(d->store, STORE_EVENTS, "_posted", posted, cause);
	json_decref(posted);
	if (r < 0) {
		json_decref(te);
		json_decref(triggered);
		json_decref(debounced);
		return NULL;
	}
	posted_appended(d);
	daemon_request_sync(d);
	for (size_t i = 0; i < sched_count(d->sched); i++) {
		struct schedule *s = sched_at(d->sched, i);

		if (!schedule_wants(s, type, data, poster))
			continue;
		json_array_append_new(deliver(d, s, te) ? triggered : debounced, json_string(s->id));
	}
	json_decref(te);
	return json_pack("{s:s, s:o, s:o}", "event_id", id, "triggered", triggered,
			 "debounced", debounced);
}

void events_run_finished(struct daemon *d, const char *schedule_id,
			 const char *run_id, const char *status)
{
	struct schedule *s = sched_find(d->sched, schedule_id);
	bool ok = strcmp(status, "succeeded") == 0;
	json_t *data, *res;
	char *cause = NULL;

	/* A stopped scheduler takes no events, the daemon's own included. */
	if (!s || !d->running)
		return;
	data = json_pack("{s:s, s:s, s:s}", "schedule_id", schedule_id, "run_id", run_id,
			 "status", status);
	/* Posted on behalf of the finished schedule's owner, so only that
	 * owner's schedules (and those that accept it) can chain on it. */
	res = events_post(d, ok ? "pipeline_completed" : "pipeline_failed", data,
			  "vibe-schedd", s->owner_uid, &cause);
	if (!res) {
		log_err("run %s: cannot post its %s event: %s", run_id,
			ok ? "pipeline_completed" : "pipeline_failed", cause);
		free(cause);
	}
	json_decref(res);
	json_decref(data);
}
