/*
 * Method handlers, one file per noun (h_control.c, h_schedule.c, ...).
 * Each takes a struct call whose params were validated against its spec in
 * the method table (methods.c) and finishes it with call_ok/call_fail.
 */
#ifndef VIBE_HANDLERS_H
#define VIBE_HANDLERS_H

#include "daemon/daemon.h"

struct schedule;

void h_ping(struct call *c);
void h_status(struct call *c);
void h_is_running(struct call *c);
void h_start(struct call *c);
void h_stop(struct call *c);

void h_add_schedule(struct call *c);
void h_update_schedule(struct call *c);
void h_get_schedule(struct call *c);
void h_list_schedules(struct call *c);
void h_pause_schedule(struct call *c);
void h_resume_schedule(struct call *c);
void h_delete_schedule(struct call *c);
void h_next_fire_times(struct call *c);

void h_get_events(struct call *c);
void h_get_last_event(struct call *c);
void h_list_runs(struct call *c);
void h_get_run(struct call *c);
void h_get_run_log(struct call *c);
void h_cancel_run(struct call *c);
void h_run_schedule(struct call *c);
void h_trigger_event(struct call *c);
void h_events_release(void);

void h_create_backfill(struct call *c);
void h_execute_backfill(struct call *c);
void h_get_backfill(struct call *c);
void h_list_backfills(struct call *c);
void h_cancel_backfill(struct call *c);
void h_retry_backfill(struct call *c);

/* The schedule named by params.schedule_id if the peer may see it;
 * otherwise fails the call with not_found and returns NULL. */
struct schedule *find_visible_schedule(struct call *c);

/* Writes S to the store (durable once the batch's store_sync is done).
 * Returns 0, or fails the call with storage_error and returns < 0. */
int persist_schedule(struct call *c, struct schedule *s);

#endif
