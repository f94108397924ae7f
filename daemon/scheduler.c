/*
 * The scheduler loop's state: the running switch and each schedule's next
 * fire time. Firing itself (the timer and the runner) is wired here too as
 * it grows; this file is the only one that changes a schedule's fire state.
 */
#include "daemon/scheduler.h"

#include <stdlib.h>

#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/sched.h"

int scheduler_init(struct daemon *d, char **cause)
{
	(void)cause;
	d->running = true;
	return 0;
}

void scheduler_release(struct daemon *d)
{
	(void)d;
}

void scheduler_set_running(struct daemon *d, bool running)
{
	if (d->running != running)
		log_notice("scheduler %s", running ? "started" : "stopped");
	d->running = running;
}

bool scheduler_settle(struct daemon *d, struct schedule *s)
{
	int64_t now = now_ms() / 1000;
	int64_t next;

	if (s->status != SSTATUS_ACTIVE || s->type == STYPE_EVENT) {
		s->next_fire = TIME_NONE;
	} else if (schedule_next_after(s, now, &next) == 0) {
		s->next_fire = next;
	} else {
		s->next_fire = TIME_NONE;
		s->status = SSTATUS_COMPLETED;
		if (s->heap_index != SIZE_MAX || sched_find(d->sched, s->id) == s)
			sched_requeue(d->sched, s);
		return true;
	}
	if (sched_find(d->sched, s->id) == s)
		sched_requeue(d->sched, s);
	return false;
}

json_t *scheduler_run_counts(struct daemon *d)
{
	(void)d;
	return json_pack("{s:i, s:i}", "running", 0, "queued", 0);
}
