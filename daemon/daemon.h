/*
 * The daemon's shared state and the contract between the control server,
 * the method table and the handlers. One process, one thread, one
 * event_base; everything here is touched only from the loop.
 */
#ifndef VIBE_DAEMON_H
#define VIBE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "daemon/config.h"
#include "proto/params.h"

struct event_base;
struct store;
struct server;
struct sched;
struct runner;
struct scheduler;

struct daemon {
	struct config cfg;
	struct event_base *base;
	struct store *store;
	struct server *server;
	struct sched *sched;		/* schedule table + timer heap */
	struct runner *runner;		/* run slots, queues, processes */
	struct scheduler *scheduler;	/* the fire timer */
	char *pipeline_dir;		/* absolute PIPELINE_DIR */
	uid_t self_uid;
	int64_t started_ms;		/* CLOCK_REALTIME at start */
	bool running;			/* the scheduler loop fires */
	bool store_broken;		/* an fsync failed: no more mutations */
};

/* Who is on the other end of a connection (SO_PEERCRED at accept). */
struct peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool admin;			/* root or the daemon's own uid */
};

/* One method call in progress. Handlers read params and peer and finish it
 * with call_ok() or call_fail(); they never see the envelope or a socket. */
struct call {
	struct daemon *d;
	const struct peer *peer;
	json_t *params;			/* borrowed: a validated object */
	json_t *result;			/* new, set by call_ok */
	int code;			/* 0 or an rpc_code */
	char *message;			/* new */
	char *field;			/* new, may be NULL */
};

void call_ok(struct call *c, json_t *result /* steals */);
void call_fail(struct call *c, int code, const char *field,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A store error -> -32008 storage_error with the cause. */
void call_fail_store(struct call *c, int err, const char *cause);

#define METHOD_MUTATES 1u	/* answered only after store_sync() */
#define METHOD_ADMIN 2u		/* root or the daemon's uid only */

struct method {
	const char *name;
	const struct param_spec *params;
	unsigned flags;
	void (*fn)(struct call *c);
};

/* The method table (daemon/methods.c). NULL if NAME is unknown. */
const struct method *method_find(const char *name);

/* Asks for a store_sync() at the end of this loop turn (group commit);
 * replies waiting for it are released then. */
void daemon_request_sync(struct daemon *d);

/* Unique ids for runs ('r'), ScheduleEvents ('e'), events ('v') and
 * backfills ('b'): prefix, milliseconds, counter. Returns BUF. */
char *new_id(char prefix, char buf[40]);

/* Milliseconds / seconds since the epoch, CLOCK_REALTIME. */
int64_t now_ms(void);

#endif
