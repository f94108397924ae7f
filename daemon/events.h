/*
 * Posted events: durability, matching (type, poster, filter), debounce,
 * triggering, and the daemon's own pipeline_completed/failed events.
 */
#ifndef VIBE_EVENTS_H
#define VIBE_EVENTS_H

#include <sys/types.h>
#include <jansson.h>

struct daemon;

/* Records the event durably (after the next store_sync) and triggers or
 * debounces every active event schedule that wants it. DATA is an object
 * (borrowed). Returns {event_id, triggered:[ids], debounced:[ids]} (new),
 * or NULL with *cause when the event could not be stored. */
json_t *events_post(struct daemon *d, const char *type, const json_t *data,
		    const char *source, uid_t poster, char **cause);

/* A run ended: posts pipeline_completed or pipeline_failed. */
void events_run_finished(struct daemon *d, const char *schedule_id,
			 const char *run_id, const char *status);

/* At start-up: trailing debounce windows that were open when the daemon
 * stopped (their last history record is a debounced event) are armed
 * again for what is left of them, so the burst's last event still runs. */
void events_restore(struct daemon *d);

/* Drops the debounce state of a deleted schedule. */
void events_forget_schedule(struct daemon *d, const char *schedule_id);
void events_release(struct daemon *d);

#endif
