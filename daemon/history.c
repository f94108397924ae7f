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

int history_append(struct daemon *d, const json_t *ev, char **cause)
{
	const char *sid = json_string_value(json_object_get(ev, "schedule_id"));
	int r = store_append(d->store, STORE_EVENTS, sid, ev, cause);

	if (r == 0)
		daemon_request_sync(d);
	return r;
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
