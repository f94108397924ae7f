/*
 * Methods about the daemon itself: ping, status, is_running, start, stop.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "daemon/handlers.h"
#include "daemon/sched.h"
#include "daemon/scheduler.h"
#include "proto/jsonrpc.h"

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_ping(struct call *c)
{
	call_ok(c, json_pack("{s:s, s:i, s:I}", "version", VIBE_VERSION,
			     "pid", (int)getpid(),
			     "uptime_seconds", (json_int_t)((now_ms() - c->d->started_ms) / 1000)));
}

void h_is_running(struct call *c)
{
	call_ok(c, json_pack("{s:b}", "running", c->d->running));
}

/* Counts by status: all schedules for an admin, else the peer's own. */
static json_t *schedule_counts(const struct sched *t, const struct peer *p)
{
	size_t n[SSTATUS_COUNT] = { 0 }, total = 0;
	json_t *o = json_object();

	if (p->admin) {
		sched_count_status(t, n);
		total = sched_count(t);
	} else {
		for (size_t i = 0; i < sched_count(t); i++) {
			const struct schedule *s = sched_at(t, i);

			if (s->owner_uid == p->uid) {
				n[s->status]++;
				total++;
			}
		}
	}
	json_object_set_new(o, "total", json_integer((json_int_t)total));
	for (int i = 0; i < SSTATUS_COUNT; i++)
		json_object_set_new(o, schedule_status_name(i), json_integer((json_int_t)n[i]));
	return o;
}

void h_status(struct call *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "running", json_boolean(c->d->running));
	json_object_set_new(o, "version", json_string(VIBE_VERSION));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "uptime_seconds", json_integer((now_ms() - c->d->started_ms) / 1000));
	json_object_set_new(o, "schedules", schedule_counts(c->d->sched, c->peer));
	json_object_set_new(o, "runs", scheduler_run_counts(c->d));
	json_object_set_new(o, "config", config_to_json(&c->d->cfg));
	call_ok(c, o);
}

void h_start(struct call *c)
{
	scheduler_set_running(c->d, true);
	call_ok(c, json_pack("{s:b}", "running", c->d->running));
}

void h_stop(struct call *c)
{
	scheduler_set_running(c->d, false);
	call_ok(c, json_pack("{s:b}", "running", c->d->running));
}
