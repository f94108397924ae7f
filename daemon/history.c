/*
 * ScheduleEvent history on top of the store's append-only logs.
 */
#include "daemon/history.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/timefmt.h"
#include "proto/xalloc.h"
#include "store/store.h"

char *new_id(char prefix, char buf[40])
{
	static uint32_t counter;
	static int seeded;

	if (!seeded) {
		if (getrandom(&counter, sizeof counter, GRND_NONBLOCK) < 0)
			counter = (uint32_t)now_ms();
		seeded = 1;
	}
	snprintf(buf, 40, "%c%013lld-%06x", prefix, (long long)now_ms(),
		 (unsigned)(++counter & 0xffffff));
	return buf;
}

json_t *history_event_new(const char *schedule_id, enum trigger_type trigger,
			  int64_t scheduled_time, const char *status)
{
	char id[40], sched[RFC3339_BUFSZ], at[RFC3339_BUFSZ];

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:n}",
			 "event_id", new_id('e', id),
			 "schedule_id", schedule_id,
			 "trigger_type", trigger_type_name(trigger),
			 "scheduled_time", rfc3339_format_utc(scheduled_time, sched),
			 "triggered_at", rfc3339_format_utc_ms(now_ms(), at),
			 "status", status,
			 "run_id");
}

/* Lines in each schedule's history file, counted on first use, so the
 * file can be cut back to history_limit events when it doubles. */
static json_t *line_counts;

static void count_cb(json_t *doc, void *arg)
{
	(void)doc;
	(*(json_int_t *)arg)++;
}

static json_int_t lines_of(struct daemon *d, const char *sid)
{
	json_t *c;
	json_int_t n = 0;

	if (!line_counts)
		line_counts = json_object();
	c = json_object_get(line_counts, sid);
	if (c)
		return json_integer_value(c);
	store_read_log(d->store, STORE_EVENTS, sid, count_cb, NULL, &n);
	json_object_set_new(line_counts, sid, json_integer(n));
	return n;
}

static bool is_scheduled(const json_t *ev)
{
	const char *tt = json_string_value(json_object_get(ev, "trigger_type"));

	return tt && strcmp(tt, "scheduled") == 0;
}

/* The newest scheduled trigger when it is not among KEPT (new ref). */
static json_t *newest_scheduled(struct daemon *d, const char *sid, json_t *kept)
{
	json_t *all, *ev, *found = NULL;
	size_t i;

	json_array_foreach(kept, i, ev)
		if (is_scheduled(ev))
			return NULL;
	all = history_get_events(d, sid, SIZE_MAX);
	json_array_foreach(all, i, ev) {
		if (is_scheduled(ev)) {
			found = json_incref(ev);
			break;
		}
	}
	json_decref(all);
	return found;
}

/* Keeps the newest history_limit events (their latest versions). */
static void compact(struct daemon *d, const char *sid)
{
	json_t *newest = history_get_events(d, sid, (size_t)d->cfg.history_limit);
	json_t *oldest_first = json_array();
	char *cause = NULL;

	json_t *last = newest_scheduled(d, sid, newest);

	/* Catch-up after a restart counts from the newest scheduled fire:
	 * keep it even when events or manual runs pushed it out. */
	if (last)
		json_array_append_new(oldest_first, last);
	for (size_t i = json_array_size(newest); i > 0; i--)
		json_array_append(oldest_first, json_array_get(newest, i - 1));
	if (store_replace_log(d->store, STORE_EVENTS, sid, oldest_first, &cause) < 0) {
		log_warn("history of %s: cannot cut it back to %d events: %s", sid,
			 d->cfg.history_limit, cause);
		free(cause);
	} else {
		json_object_set_new(line_counts, sid, json_integer((json_int_t)json_array_size(oldest_first)));
	}
	json_decref(newest);
	json_decref(oldest_first);
}

int history_append(struct daemon *d, const json_t *ev, char **cause)
{
	const char *sid = json_string_value(json_object_get(ev, "schedule_id"));
	json_int_t n = lines_of(d, sid);
	int r = store_append(d->store, STORE_EVENTS, sid, ev, cause);

	if (r < 0)
		return r;
	json_object_set_new(line_counts, sid, json_integer(n + 1));
	if (n + 1 > 2 * (json_int_t)d->cfg.history_limit)
		compact(d, sid);
	daemon_request_sync(d);
	return 0;
}

void history_forget(const char *schedule_id)
{
	if (line_counts)
		json_object_del(line_counts, schedule_id);
}

void history_release(void)
{
	json_decref(line_counts);
	line_counts = NULL;
}

static void warn_cb(const char *message, void *arg)
{
	(void)arg;
	log_warn("history: %s", message);
}

struct collect {
	json_t *byid;		/* event_id -> latest version */
	json_t *order;		/* event ids, first-seen order */
};

static void collect_cb(json_t *doc, void *arg)
{
	struct collect *c = arg;
	const char *id = json_string_value(json_object_get(doc, "event_id"));

	if (!id)
		return;
	if (!json_object_get(c->byid, id))
		json_array_append_new(c->order, json_string(id));
	json_object_set(c->byid, id, doc);
}

static void read_history(struct daemon *d, const char *schedule_id,
			 struct collect *c)
{
	c->byid = json_object();
	c->order = json_array();
	store_read_log(d->store, STORE_EVENTS, schedule_id, collect_cb, warn_cb, c);
}

json_t *history_get_events(struct daemon *d, const char *schedule_id,
			   size_t limit)
{
	struct collect c;
	json_t *out = json_array();
	size_t n;

	read_history(d, schedule_id, &c);
	n = json_array_size(c.order);
	for (size_t i = n; i > 0 && json_array_size(out) < limit; i--) {
		const char *id = json_string_value(json_array_get(c.order, i - 1));

		json_array_append(out, json_object_get(c.byid, id));
	}
	json_decref(c.byid);
	json_decref(c.order);
	return out;
}

int64_t history_last_scheduled(struct daemon *d, const char *schedule_id)
{
	json_t *evs = history_get_events(d, schedule_id, SIZE_MAX);
	int64_t best = INT64_MIN;
	size_t i;
	json_t *ev;

	json_array_foreach(evs, i, ev) {
		const char *tt = json_string_value(json_object_get(ev, "trigger_type"));
		const char *st = json_string_value(json_object_get(ev, "scheduled_time"));
		int64_t t;

		if (tt && st && strcmp(tt, "scheduled") == 0 &&
		    rfc3339_parse(st, NULL, &t, NULL, NULL) == 0 && t > best)
			best = t;
	}
	json_decref(evs);
	return best;
}
