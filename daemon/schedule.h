/*
 * The Schedule data model (DESIGN §3): parsing and validating a Schedule
 * object from JSON, writing it back, and its fire-time arithmetic on top of
 * the cron/interval/tz math. Owns no collection and no I/O: the schedule
 * table and the store live elsewhere.
 */
#ifndef VIBE_SCHEDULE_H
#define VIBE_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "daemon/cron.h"

#define TIME_NONE INT64_MIN

enum schedule_type { STYPE_CRON, STYPE_INTERVAL, STYPE_EVENT };
enum schedule_status {
	SSTATUS_ACTIVE, SSTATUS_PAUSED, SSTATUS_DISABLED, SSTATUS_COMPLETED,
	SSTATUS_COUNT,
};
enum overlap_policy {
	OVERLAP_QUEUE, OVERLAP_SKIP, OVERLAP_ALLOW, OVERLAP_CANCEL_PREVIOUS,
};
enum catchup_policy { CATCHUP_NONE, CATCHUP_LATEST, CATCHUP_ALL };
enum debounce_mode { DEBOUNCE_LEADING, DEBOUNCE_TRAILING };

struct tz;
struct filter;

struct schedule {
	char *id;
	char *name;			/* new, or NULL when it equals the id */
	enum schedule_type type;
	char *definition;		/* new: schedule_definition, compact JSON */
	char *asset_graph;		/* new: compact JSON text (a parsed tree
					 * costs ~1 KiB per schedule; it is
					 * parsed when a run starts) */
	struct cron cron;		/* STYPE_CRON */
	int64_t interval;		/* STYPE_INTERVAL, seconds */
	char *event_type;		/* STYPE_EVENT (new) */
	json_t *accept_from;		/* STYPE_EVENT: user names (new) or NULL */
	double debounce_seconds;
	enum debounce_mode debounce_mode;
	struct filter *filter;		/* STYPE_EVENT, compiled; NULL = none */
	const char *timezone;		/* borrowed: tz_name(tz) */
	const struct tz *tz;		/* borrowed from the tz cache */
	enum schedule_status status;
	enum overlap_policy overlap;
	enum catchup_policy catchup;
	int64_t start_time, end_time;	/* seconds or TIME_NONE */
	uid_t owner_uid;
	const char *owner;		/* user name (or the uid as text),
					 * interned: schedule_intern() */
	char *run_as;			/* NULL: the owner */
	int64_t created_at_ms, updated_at_ms;
	int64_t next_fire;		/* seconds or TIME_NONE */
	int64_t last_fire;		/* seconds or TIME_NONE */
	char *last_status;		/* status of the last finished trigger */
	size_t heap_index;		/* the scheduler's; SIZE_MAX = not queued */
};

/* What a schedule gets when the request does not say. */
struct schedule_defaults {
	const char *timezone;
	int64_t now_ms;
	uid_t owner_uid;
	const char *owner;
};

/* A validation failure: the field path ("schedule_definition.cron_expression")
 * and a message, both new. */
struct schedule_error {
	char *field;
	char *message;
};
void schedule_error_release(struct schedule_error *e);

/* Builds a schedule from DOC (borrowed). FROM_STORE: DOC is a stored record,
 * so server-owned fields (owner, created_at, last_fire_time, ...) are taken
 * from it; otherwise they are ignored and taken from DEFAULTS. Returns 0 and
 * *ret (new), or -EINVAL and *err. */
int schedule_from_json(const json_t *doc, const struct schedule_defaults *d,
		       bool from_store, struct schedule **ret,
		       struct schedule_error *err);

/* The full Schedule object (new reference). NOW is used for nothing but
 * may be; next_fire_time_local is in the schedule's zone. */
json_t *schedule_to_json(const struct schedule *s);

void schedule_free(struct schedule *s);

/* A copy of NAME that lives until schedule_intern_release() and is shared
 * by every caller asking for the same text (owner names: 100,000
 * schedules of one user keep one copy). */
const char *schedule_intern(const char *name);
void schedule_intern_release(void);

/* S's asset graph as a JSON tree (new reference). */
json_t *schedule_asset_graph(const struct schedule *s);

/* The first fire of S strictly after AFTER (seconds), honouring start_time
 * and end_time. Returns 0 and *ret, or -ENOENT when there is none (event
 * schedules never have one). */
int schedule_next_after(const struct schedule *s, int64_t after, int64_t *ret);

const char *schedule_type_name(enum schedule_type t);
const char *schedule_status_name(enum schedule_status st);
int schedule_status_parse(const char *s, enum schedule_status *ret);
const char *overlap_name(enum overlap_policy o);
const char *catchup_name(enum catchup_policy c);

/* True if ID matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$. */
bool schedule_id_valid(const char *id);

/* Validates an asset graph (names, commands, deps, cycles). Returns 0 or
 * -EINVAL with *err (field relative to "asset_graph"). */
int asset_graph_validate(const json_t *g, struct schedule_error *err);

#endif
