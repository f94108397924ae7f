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

/* {running, queued} run counts for `status` (new reference). */
json_t *scheduler_run_counts(struct daemon *d);

#endif
