/*
 * vibe-schedd: settings, store, schedule table, control server, signals,
 * one event loop. Stays in the foreground (systemd supervises it).
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "daemon/backfill.h"
#include "daemon/daemon.h"
#include "daemon/events.h"
#include "daemon/handlers.h"
#include "daemon/history.h"
#include "daemon/log.h"
#include "daemon/notify.h"
#include "daemon/runner.h"
#include "daemon/sched.h"
#include "daemon/scheduler.h"
#include "daemon/server.h"
#include "daemon/tz.h"
#include "proto/xalloc.h"
#include "store/store.h"

static void warn_cb(const char *message, void *arg)
{
	(void)arg;
	log_warn("store: %s", message);
}

struct load_ctx {
	struct daemon *d;
	size_t loaded, bad;
};

static void load_schedule_cb(const char *id, json_t *doc, void *arg)
{
	struct load_ctx *lc = arg;
	struct schedule_defaults def = {
		.timezone = lc->d->cfg.timezone, .now_ms = now_ms(), .owner = "root",
	};
	struct schedule_error err = { 0 };
	struct schedule *s;

	if (schedule_from_json(doc, &def, true, &s, &err) < 0) {
		log_err("schedules/%s.json: %s; left in place, not loaded", id, err.message);
		schedule_error_release(&err);
		lc->bad++;
		return;
	}
	if (strcmp(s->id, id) != 0) {
		log_err("schedules/%s.json holds schedule '%s'; not loaded", id, s->id);
		schedule_free(s);
		lc->bad++;
		return;
	}
	sched_insert(lc->d->sched, s);
	scheduler_settle(lc->d, s);
	lc->loaded++;
}

/* PIPELINE_DIR as an absolute path: jobs run in other directories. */
static char *absolute_dir(const char *dir)
{
	char *real = realpath(dir, NULL), cwd[4096];

	if (real)
		return real;
	if (dir[0] == '/' || !getcwd(cwd, sizeof cwd))
		return xstrdup(dir);
	return xasprintf("%s/%s", cwd, dir);
}

static int load_state(struct daemon *d, char **cause)
{
	struct load_ctx lc = { .d = d };
	int r;

	d->pipeline_dir = absolute_dir(d->cfg.pipeline_dir);
	r = store_open(d->cfg.state_dir, &d->store, cause);
	if (r < 0)
		return r;
	d->sched = sched_new();
	r = store_load_all(d->store, STORE_SCHEDULES, load_schedule_cb, warn_cb, &lc);
	if (r < 0) {
		*cause = xasprintf("%s/schedules: %s", d->cfg.state_dir, strerror(-r));
		return r;
	}
	/* Loading parsed every file: give the freed parse trees back. */
	malloc_trim(0);
	log_info("loaded %zu schedules from %s%s", lc.loaded, d->cfg.state_dir,
		 lc.bad ? " (some could not be loaded, see above)" : "");
	return 0;
}

static void runs_stopped_cb(void *arg)
{
	event_base_loopbreak(((struct daemon *)arg)->base);
}

/* SIGTERM/SIGINT: stop the runs (TERM, grace, KILL), record them, exit. */
static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	log_notice("%s received, shutting down", strsignal((int)sig));
	notify_stopping(d);
	scheduler_set_running(d, false);
	runner_stop_all(d, runs_stopped_cb, d);
}

/* SIGHUP would end the daemon without stopping its runs (and systemd
 * would not restart a clean exit): there is no reload, so say so. */
static void sighup_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	log_notice("SIGHUP ignored: settings are read at start; restart the daemon to apply them");
}

/* Torn tails of the schedules' histories are cut after start-up, 256
 * files a loop turn, so a daemon with many histories is ready at once. */
struct repair_ctx {
	struct daemon *d;
	struct store_repair *rep;
	struct event *ev;
};

static void repair_cb(evutil_socket_t fd, short what, void *arg)
{
	struct repair_ctx *rc = arg;

	(void)fd;
	(void)what;
	if (!store_repair_step(rc->d->store, rc->rep, 256))
		event_active(rc->ev, 0, 0);
}

static struct event_base *new_base(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	/* The default monotonic clock is coarse (NOTES.md: ~2.6 ms late). */
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (base)
		event_base_priority_init(base, 2);
	return base;
}

static int run(struct daemon *d)
{
	struct event *sigterm, *sigint, *sighup;
	struct repair_ctx rc;
	char *cause = NULL;
	int r;

	if ((r = load_state(d, &cause)) < 0 || (r = runner_init(d, &cause)) < 0 ||
	    (r = backfill_init(d, &cause)) < 0 ||
	    (r = server_new(d, &d->server, &cause)) < 0 ||
	    (r = scheduler_init(d, &cause)) < 0) {
		log_err("%s", cause ? cause : strerror(-r));
		free(cause);
		return 1;
	}
	events_restore(d);
	runner_start_dispatch(d);
	sigterm = evsignal_new(d->base, SIGTERM, signal_cb, d);
	sigint = evsignal_new(d->base, SIGINT, signal_cb, d);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	sighup = evsignal_new(d->base, SIGHUP, sighup_cb, d);
	evsignal_add(sighup, NULL);
	log_notice("vibe-schedd %s listening on %s (state in %s); try: vibectl --socket %s status",
		   VIBE_VERSION, d->cfg.socket_path, d->cfg.state_dir, d->cfg.socket_path);
	rc.d = d;
	rc.rep = store_repair_begin(d->store, STORE_EVENTS);
	rc.ev = event_new(d->base, -1, 0, repair_cb, &rc);
	event_priority_set(rc.ev, 1);
	event_active(rc.ev, 0, 0);
	notify_ready(d);
	event_base_dispatch(d->base);
	event_free(rc.ev);
	store_repair_end(rc.rep);
	notify_release(d);
	event_free(sigterm);
	event_free(sigint);
	event_free(sighup);
	return d->store_broken ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { 0 };
	char *cause = NULL;
	int r, rc;

	d.self_uid = geteuid();
	d.started_ms = now_ms();
	config_defaults(&d.cfg, d.self_uid);
	r = config_parse_args(&d.cfg, argc, argv, &cause);
	if (r != 0) {
		if (r < 0)
			fprintf(stderr, "vibe-schedd: %s\n", cause);
		free(cause);
		config_release(&d.cfg);
		return r < 0 ? 2 : 0;
	}
	log_init(d.cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	json_object_seed(0);
	d.base = new_base();
	rc = run(&d);
	if (d.store) {
		char *c2 = NULL;

		if (store_sync(d.store, &c2) < 0)
			log_err("store: %s", c2);
		free(c2);
	}
	server_free(d.server);
	scheduler_release(&d);
	runner_shutdown(&d);
	backfill_release(&d);
	events_release(&d);
	history_release();
	h_events_release();
	sched_free(d.sched);
	store_free(d.store);
	event_base_free(d.base);
	tz_cache_clear();
	schedule_intern_release();
	free(d.pipeline_dir);
	config_release(&d.cfg);
	return rc;
}
