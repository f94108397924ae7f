/*
 * sd_notify messages and the watchdog timer.
 */
#include "daemon/notify.h"

#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include <event2/event.h>

#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/runner.h"
#include "daemon/sched.h"

#define STATUS_PERIOD_SECONDS 5

static struct event *watchdog_ev, *status_ev;

static void send_status(struct daemon *d)
{
	size_t n[SSTATUS_COUNT];
	json_t *runs = runner_counts(d);

	sched_count_status(d->sched, n);
	sd_notifyf(0, "STATUS=%s: %zu schedules (%zu active, %zu paused), %lld running, %lld queued",
		   d->running ? "running" : "stopped", sched_count(d->sched),
		   n[SSTATUS_ACTIVE], n[SSTATUS_PAUSED],
		   (long long)json_integer_value(json_object_get(runs, "running")),
		   (long long)json_integer_value(json_object_get(runs, "queued")));
	json_decref(runs);
}

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	send_status(arg);
}

void notify_ready(struct daemon *d)
{
	uint64_t usec = 0;
	struct timeval tv;

	if (!getenv("NOTIFY_SOCKET"))
		return;
	send_status(d);
	sd_notify(0, "READY=1");
	status_ev = event_new(d->base, -1, EV_PERSIST, status_cb, d);
	tv = (struct timeval){ STATUS_PERIOD_SECONDS, 0 };
	event_add(status_ev, &tv);
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		/* Ping at half the interval, from the loop: a stalled loop
		 * stops pinging and systemd restarts us. */
		usec /= 2;
		tv = (struct timeval){ (time_t)(usec / 1000000), (suseconds_t)(usec % 1000000) };
		watchdog_ev = event_new(d->base, -1, EV_PERSIST, watchdog_cb, d);
		event_add(watchdog_ev, &tv);
		sd_notify(0, "WATCHDOG=1");
		log_info("watchdog enabled: pinging every %llu ms", (unsigned long long)usec / 1000);
	}
}

void notify_stopping(struct daemon *d)
{
	(void)d;
	if (getenv("NOTIFY_SOCKET"))
		sd_notify(0, "STOPPING=1\nSTATUS=stopping: ending running jobs");
}

void notify_release(struct daemon *d)
{
	(void)d;
	if (watchdog_ev)
		event_free(watchdog_ev);
	if (status_ev)
		event_free(status_ev);
	watchdog_ev = status_ev = NULL;
}
