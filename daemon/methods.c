/*
 * The method table: name, parameter spec, flags, handler. The dispatcher
 * in server.c runs the same steps for every entry; adding a method is
 * adding a row here.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/handlers.h"

static const struct param_spec p_none[] = { { NULL, 0, false } };

static const struct param_spec p_schedule_id[] = {
	{ "schedule_id", PARAM_STRING, true },
	{ NULL, 0, false },
};

static const struct param_spec p_schedule[] = {
	{ "schedule", PARAM_OBJECT, true },
	{ NULL, 0, false },
};

static const struct param_spec p_list_schedules[] = {
	{ "status", PARAM_STRING_OR_NULL, false },
	{ NULL, 0, false },
};

static const struct param_spec p_next_fire_times[] = {
	{ "schedule_id", PARAM_STRING, false },
	{ "cron_expression", PARAM_STRING, false },
	{ "interval", PARAM_STRING, false },
	{ "timezone", PARAM_STRING, false },
	{ "start_time", PARAM_STRING, false },
	{ "after", PARAM_STRING, false },
	{ "count", PARAM_INT, false },
	{ NULL, 0, false },
};

static const struct param_spec p_get_events[] = {
	{ "schedule_id", PARAM_STRING, true },
	{ "limit", PARAM_INT, false },
	{ NULL, 0, false },
};

static const struct param_spec p_list_runs[] = {
	{ "schedule_id", PARAM_STRING, false },
	{ "status", PARAM_STRING, false },
	{ "limit", PARAM_INT, false },
	{ NULL, 0, false },
};

static const struct param_spec p_run_id[] = {
	{ "run_id", PARAM_STRING, true },
	{ NULL, 0, false },
};

static const struct param_spec p_get_run_log[] = {
	{ "run_id", PARAM_STRING, true },
	{ "asset", PARAM_STRING, false },
	{ "tail_bytes", PARAM_INT, false },
	{ NULL, 0, false },
};

static const struct param_spec p_trigger_event[] = {
	{ "event_type", PARAM_STRING, true },
	{ "event_data", PARAM_ANY, false },
	{ "source", PARAM_STRING, false },
	{ NULL, 0, false },
};

static const struct param_spec p_create_backfill[] = {
	{ "schedule_id", PARAM_STRING, true },
	{ "start_date", PARAM_STRING, true },
	{ "end_date", PARAM_STRING, true },
	{ "timezone", PARAM_STRING_OR_NULL, false },
	{ "parallel", PARAM_BOOL, false },
	{ "max_parallel", PARAM_INT, false },
	{ "dry_run", PARAM_BOOL, false },
	{ NULL, 0, false },
};

static const struct param_spec p_backfill_id[] = {
	{ "backfill_id", PARAM_STRING, true },
	{ NULL, 0, false },
};

static const struct param_spec p_backfill_wait[] = {
	{ "backfill_id", PARAM_STRING, true },
	{ "wait", PARAM_BOOL, false },
	{ NULL, 0, false },
};

static const struct param_spec p_get_backfill[] = {
	{ "backfill_id", PARAM_STRING, true },
	{ "tasks", PARAM_BOOL, false },
	{ NULL, 0, false },
};

static const struct param_spec p_list_backfills[] = {
	{ "schedule_id", PARAM_STRING, false },
	{ NULL, 0, false },
};

/* Sorted by name: looked up by binary search. */
static const struct method methods[] = {
	{ "add_schedule", p_schedule, METHOD_MUTATES, h_add_schedule },
	{ "cancel_backfill", p_backfill_id, METHOD_MUTATES, h_cancel_backfill },
	{ "cancel_run", p_run_id, METHOD_MUTATES, h_cancel_run },
	{ "create_backfill", p_create_backfill, METHOD_MUTATES, h_create_backfill },
	{ "delete_schedule", p_schedule_id, METHOD_MUTATES, h_delete_schedule },
	{ "execute_backfill", p_backfill_wait, METHOD_MUTATES, h_execute_backfill },
	{ "get_backfill", p_get_backfill, 0, h_get_backfill },
	{ "get_events", p_get_events, 0, h_get_events },
	{ "get_last_event", p_schedule_id, 0, h_get_last_event },
	{ "get_run", p_run_id, 0, h_get_run },
	{ "get_run_log", p_get_run_log, 0, h_get_run_log },
	{ "get_schedule", p_schedule_id, 0, h_get_schedule },
	{ "is_running", p_none, 0, h_is_running },
	{ "list_backfills", p_list_backfills, 0, h_list_backfills },
	{ "list_runs", p_list_runs, 0, h_list_runs },
	{ "list_schedules", p_list_schedules, 0, h_list_schedules },
	{ "next_fire_times", p_next_fire_times, 0, h_next_fire_times },
	{ "pause_schedule", p_schedule_id, METHOD_MUTATES, h_pause_schedule },
	{ "ping", p_none, 0, h_ping },
	{ "resume_schedule", p_schedule_id, METHOD_MUTATES, h_resume_schedule },
	{ "retry_backfill", p_backfill_wait, METHOD_MUTATES, h_retry_backfill },
	{ "run_schedule", p_schedule_id, METHOD_MUTATES, h_run_schedule },
	{ "start", p_none, METHOD_ADMIN, h_start },
	{ "status", p_none, 0, h_status },
	{ "stop", p_none, METHOD_ADMIN, h_stop },
	{ "trigger_event", p_trigger_event, METHOD_MUTATES, h_trigger_event },
	{ "update_schedule", p_schedule, METHOD_MUTATES, h_update_schedule },
};

static int method_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct method *)elem)->name);
}

const struct method *method_find(const char *name)
{
	return bsearch(name, methods, sizeof methods / sizeof methods[0],
		       sizeof methods[0], method_cmp);
}
