/*
 * ScheduleEvents (DESIGN §3): one per trigger, appended to
 * events/<schedule_id>.jsonl. A trigger's record is appended again when its
 * status changes (queued -> succeeded, ...); readers merge by event_id, the
 * last version winning, so the file stays append-only. When a file holds
 * twice history_limit lines it is rewritten with the newest history_limit
 * events (temp file + rename), so history stays bounded.
 */
#ifndef VIBE_HISTORY_H
#define VIBE_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "daemon/runner.h"

struct daemon;

/* A new ScheduleEvent {event_id, schedule_id, trigger_type, scheduled_time,
 * triggered_at, status, run_id:null} (new reference). */
json_t *history_event_new(const char *schedule_id, enum trigger_type trigger,
			  int64_t scheduled_time, const char *status);

/* Appends EV (borrowed) to its schedule's history. Durable after the next
 * store_sync (requested here). 0 or -errno with *cause. */
int history_append(struct daemon *d, const json_t *ev, char **cause);

/* Forgets the line count of a deleted schedule's history; frees all. */
void history_forget(const char *schedule_id);
void history_release(void);

/* The newest LIMIT ScheduleEvents of SCHEDULE_ID, newest first (new array). */
json_t *history_get_events(struct daemon *d, const char *schedule_id,
			   size_t limit);

/* The scheduled_time of the newest `scheduled` trigger, or INT64_MIN. */
int64_t history_last_scheduled(struct daemon *d, const char *schedule_id);

#endif
