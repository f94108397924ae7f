/*
 * The scheduler loop: one timer armed for the earliest next fire time in
 * the heap (CLOCK_REALTIME deadlines on a timerfd that notices clock jumps),
 * firing due schedules, and the start/stop switch. The only module that
 * changes a schedule's fire state.
 */
#ifndef VIBE_SCHEDULER_H
#define VIBE_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "daemon/runner.h"

struct daemon;
struct schedule;

int scheduler_init(struct daemon *d, char **cause);
void scheduler_release(struct daemon *d);

/* start / stop firing; the daemon keeps serving either way. */
void scheduler_set_running(struct daemon *d, bool running);

/* S was added, changed, paused or resumed: recompute its next fire from
 * now and re-arm the timer. Marks it completed when an active cron or
 * interval schedule has no further fire time (returns true then: the
 * caller persists the change). */
bool scheduler_settle(struct daemon *d, struct schedule *s);

/* Records a ScheduleEvent for a trigger of S and, if S's overlap policy
 * admits it, queues a run. TRIGGER_EVENT (borrowed, may be NULL) is the
 * posted event. Returns the ScheduleEvent (new reference). */
json_t *scheduler_trigger(struct daemon *d, struct schedule *s,
			  enum trigger_type trigger, int64_t scheduled_time,
			  const json_t *trigger_event);

/* Re-arms the timer for the earliest next fire. */
void scheduler_arm(struct daemon *d);

/* A run of SCHEDULE_ID ended with STATUS (events build on this). */
void scheduler_run_finished(struct daemon *d, const char *schedule_id,
			    const char *run_id, const char *status);

/* {running, queued} run counts for `status` (new reference). */
json_t *scheduler_run_counts(struct daemon *d);

#endif
