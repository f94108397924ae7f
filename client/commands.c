/*
 * The command table of vibectl: {name, method, options, param builder,
 * printer, usage, help}. A builder turns parsed arguments into the params
 * object of DESIGN §2 and reports usage errors with a cause; it never sends
 * anything. The flows that poll (logs --follow, backfill run --wait) live in
 * cmd_poll.c; the dispatcher in run.c.
 */
#include "client/vibectl.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"

static int build_schedule(struct cli_ctx *ctx, const struct cli_args *a,
			  json_t **ret, char **cause)
{
	json_t *s;
	int r = cli_schedule_from_args(a, ctx->in, &s, cause);

	if (r < 0)
		return r;
	*ret = json_pack("{s:o}", "schedule", s);
	return 0;
}

static int build_schedule_id(struct cli_ctx *ctx, const struct cli_args *a,
			     json_t **ret, char **cause)
{
	(void)ctx;
	(void)cause;
	*ret = json_pack("{s:s}", "schedule_id", a->pos[0]);
	return 0;
}

static int build_list(struct cli_ctx *ctx, const struct cli_args *a,
		      json_t **ret, char **cause)
{
	static const char *const statuses[] = {
		"active", "paused", "disabled", "completed", NULL
	};
	int r = cli_check_choice(a, "status", statuses, cause);

	(void)ctx;
	if (r < 0)
		return r;
	*ret = json_object();
	cli_set_str(*ret, "status", a, "status");
	return 0;
}

/* next ID | next --cron EXPR|--every I [--tz Z] [--start-time T]. */
static int build_next(struct cli_ctx *ctx, const struct cli_args *a,
		      json_t **ret, char **cause)
{
	int given = cli_flag(a, "cron") + cli_flag(a, "every");
	json_t *p;
	int r;

	(void)ctx;
	if ((a->npos == 1) == (given == 1) || given > 1) {
		*cause = xstrdup("give a schedule ID, or one of --cron EXPR "
				 "or --every INTERVAL");
		return -EINVAL;
	}
	if (a->npos && (cli_flag(a, "tz") || cli_flag(a, "start-time"))) {
		*cause = xstrdup("--tz and --start-time go with --cron or "
				 "--every; a schedule has its own");
		return -EINVAL;
	}
	p = json_object();
	if (a->npos)
		json_object_set_new(p, "schedule_id", json_string(a->pos[0]));
	cli_set_str(p, "cron_expression", a, "cron");
	cli_set_str(p, "interval", a, "every");
	cli_set_str(p, "timezone", a, "tz");
	cli_set_str(p, "start_time", a, "start-time");
	cli_set_str(p, "after", a, "after");
	r = cli_set_long(p, "count", a, "count", 1, 10000, cause);
	if (r < 0) {
		json_decref(p);
		return r;
	}
	*ret = p;
	return 0;
}

/* The object --data, --data-file or "-" gives, or a new empty one. */
static int event_base(struct cli_ctx *ctx, const struct cli_args *a,
		      bool dash, json_t **ret, char **cause)
{
	const char *data = cli_arg(a, "data"), *file = cli_arg(a, "data-file");
	json_error_t jerr;
	json_t *obj;

	if ((data != NULL) + (file != NULL) + dash > 1) {
		*cause = xstrdup("give at most one of --data, --data-file "
				 "and -");
		return -EINVAL;
	}
	if (file || dash)
		return cli_read_json_object(dash ? "-" : file, ctx->in, ret,
					    cause);
	if (!data) {
		*ret = json_object();
		return 0;
	}
	obj = json_loads(data, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!obj || !json_is_object(obj)) {
		*cause = obj ? xstrdup("--data: expected a JSON object") :
			 xasprintf("--data: bad JSON: %s", jerr.text);
		json_decref(obj);
		return -EINVAL;
	}
	*ret = obj;
	return 0;
}

static int build_event(struct cli_ctx *ctx, const struct cli_args *a,
		       json_t **ret, char **cause)
{
	const char *source = cli_arg(a, "source");
	const char **words = xcalloc(a->npos + 1, sizeof(*words));
	size_t i, n = 0;
	bool dash = false;
	json_t *data = NULL;
	int r;

	for (i = 1; i < a->npos; i++) {
		if (strcmp(a->pos[i], "-") == 0)
			dash = true;
		else
			words[n++] = a->pos[i];
	}
	r = event_base(ctx, a, dash, &data, cause);
	r = r ?: cli_kv_apply(data, words, n, cause);
	free(words);
	if (r < 0) {
		json_decref(data);
		return r;
	}
	*ret = json_pack("{s:s, s:o, s:s}", "event_type", a->pos[0],
			 "event_data", data, "source",
			 source ? source : "vibectl");
	return 0;
}

static int build_events(struct cli_ctx *ctx, const struct cli_args *a,
			json_t **ret, char **cause)
{
	int r;

	build_schedule_id(ctx, a, ret, cause);
	r = cli_set_long(*ret, "limit", a, "limit", 1, INT_MAX, cause);
	if (r < 0)
		json_decref(*ret);
	return r;
}

static int build_runs(struct cli_ctx *ctx, const struct cli_args *a,
		      json_t **ret, char **cause)
{
	json_t *p = json_object();
	int r;

	(void)ctx;
	if (a->npos)
		json_object_set_new(p, "schedule_id", json_string(a->pos[0]));
	cli_set_str(p, "status", a, "status");
	r = cli_set_long(p, "limit", a, "limit", 1, INT_MAX, cause);
	if (r < 0) {
		json_decref(p);
		return r;
	}
	*ret = p;
	return 0;
}

static int build_run_id(struct cli_ctx *ctx, const struct cli_args *a,
			json_t **ret, char **cause)
{
	(void)ctx;
	(void)cause;
	*ret = json_pack("{s:s}", "run_id", a->pos[0]);
	return 0;
}

static int build_logs(struct cli_ctx *ctx, const struct cli_args *a,
		      json_t **ret, char **cause)
{
	int r;

	build_run_id(ctx, a, ret, cause);
	cli_set_str(*ret, "asset", a, "asset");
	r = cli_set_long(*ret, "tail_bytes", a, "tail", 0, LONG_MAX, cause);
	if (r < 0)
		json_decref(*ret);
	return r;
}

static int build_bf_create(struct cli_ctx *ctx, const struct cli_args *a,
			   json_t **ret, char **cause)
{
	json_t *p;
	int r;

	(void)ctx;
	if (!cli_flag(a, "start") || !cli_flag(a, "end")) {
		*cause = xstrdup("give the range: --start DATE --end DATE");
		return -EINVAL;
	}
	p = json_pack("{s:s, s:s, s:s}", "schedule_id", a->pos[0],
		      "start_date", cli_arg(a, "start"), "end_date",
		      cli_arg(a, "end"));
	cli_set_str(p, "timezone", a, "tz");
	if (cli_flag(a, "parallel") || cli_flag(a, "max-parallel"))
		json_object_set_new(p, "parallel", json_true());
	if (cli_flag(a, "dry-run"))
		json_object_set_new(p, "dry_run", json_true());
	r = cli_set_long(p, "max_parallel", a, "max-parallel", 1, 1000, cause);
	if (r < 0) {
		json_decref(p);
		return r;
	}
	*ret = p;
	return 0;
}

static int build_bf_id(struct cli_ctx *ctx, const struct cli_args *a,
		       json_t **ret, char **cause)
{
	(void)ctx;
	(void)cause;
	*ret = json_pack("{s:s}", "backfill_id", a->pos[0]);
	return 0;
}

/* execute/retry: never "wait": true; --wait polls instead (cmd_poll.c). */
static int build_bf_exec(struct cli_ctx *ctx, const struct cli_args *a,
			 json_t **ret, char **cause)
{
	build_bf_id(ctx, a, ret, cause);
	json_object_set_new(*ret, "wait", json_false());
	return 0;
}

static int build_bf_list(struct cli_ctx *ctx, const struct cli_args *a,
			 json_t **ret, char **cause)
{
	(void)ctx;
	(void)cause;
	*ret = json_object();
	if (a->npos)
		json_object_set_new(*ret, "schedule_id",
				    json_string(a->pos[0]));
	return 0;
}

static const struct cli_opt list_opts[] = {
	{ "status", 's', CLI_ARG }, { NULL, 0, 0 },
};
static const struct cli_opt next_opts[] = {
	{ "cron", 0, CLI_ARG }, { "every", 0, CLI_ARG }, { "tz", 0, CLI_ARG },
	{ "start-time", 0, CLI_ARG }, { "after", 0, CLI_ARG },
	{ "count", 'n', CLI_ARG }, { NULL, 0, 0 },
};
static const struct cli_opt event_opts[] = {
	{ "data", 'd', CLI_ARG }, { "data-file", 0, CLI_ARG },
	{ "source", 0, CLI_ARG }, { NULL, 0, 0 },
};
static const struct cli_opt limit_opts[] = {
	{ "limit", 'n', CLI_ARG }, { NULL, 0, 0 },
};
static const struct cli_opt runs_opts[] = {
	{ "status", 's', CLI_ARG }, { "limit", 'n', CLI_ARG }, { NULL, 0, 0 },
};
static const struct cli_opt logs_opts[] = {
	{ "asset", 0, CLI_ARG }, { "tail", 0, CLI_ARG },
	{ "follow", 'f', CLI_FLAG }, { NULL, 0, 0 },
};
static const struct cli_opt bf_create_opts[] = {
	{ "start", 0, CLI_ARG }, { "end", 0, CLI_ARG }, { "tz", 0, CLI_ARG },
	{ "parallel", 0, CLI_FLAG }, { "max-parallel", 0, CLI_ARG },
	{ "dry-run", 0, CLI_FLAG }, { NULL, 0, 0 },
};
static const struct cli_opt wait_opts[] = {
	{ "wait", 'w', CLI_FLAG }, { NULL, 0, 0 },
};

#define ADD_USAGE(verb)							\
	verb " ID (--cron EXPR | --every INTERVAL | --on EVENT_TYPE) "	\
	"[OPTIONS] (--pipeline NAME | -- COMMAND [ARG...])\n"		\
	"       vibectl " verb " -f FILE|-"

#define ADD_HELP							\
	"Trigger (exactly one):\n"					\
	"  --cron EXPR            5-field cron expression, e.g. \"0 9 * * *\"\n" \
	"  --every INTERVAL       <n><s|m|h|d>, e.g. 30m, 1h, 1d\n"	\
	"  --on EVENT_TYPE        run when `vibectl event EVENT_TYPE` arrives\n" \
	"Schedule options:\n"						\
	"  --name NAME            display name (default: the ID)\n"	\
	"  --description TEXT     stored in schedule_definition\n"	\
	"  --tz ZONE              IANA zone (default: the daemon's)\n"	\
	"  --overlap queue|skip|allow|cancel_previous\n"		\
	"  --catchup none|latest|all\n"					\
	"  --start-time T, --end-time T   RFC 3339 or YYYY-MM-DD\n"	\
	"  --paused               add it paused\n"			\
	"Event options (--on only):\n"					\
	"  --debounce SECONDS, --debounce-mode leading|trailing\n"	\
	"  --filter PATH=VALUE    match event_data at a dotted PATH; repeatable;\n" \
	"                         PATH:=JSON for matchers: 'f:={\"glob\":\"*.csv\"}'\n" \
	"  --accept-from USER     also react to USER's events; repeatable\n" \
	"What to run:\n"						\
	"  --pipeline NAME        the executable PIPELINE_DIR/NAME\n"	\
	"  -- COMMAND [ARG...]    one asset \"main\": several words are an argv\n" \
	"                         exec'd directly; ONE word is run by /bin/sh -c\n" \
	"  with -- COMMAND: --timeout SECONDS, --retries N, --retry-delay SECONDS,\n" \
	"                   --env K=V (repeatable), --workdir DIR\n"	\
	"  -f FILE|-              read the whole Schedule JSON (bare, or\n" \
	"                         {\"schedule\":{...}}) from FILE or stdin\n"

const struct cli_cmd cli_commands[] = {
	{ NULL, "ping", "ping", NULL, 0, 0, NULL, cli_print_ping, NULL,
	  "ping", "check that vibe-schedd answers",
	  "Example:\n  vibectl ping\n" },
	{ NULL, "status", "status", NULL, 0, 0, NULL, cli_print_status, NULL,
	  "status", "scheduler state, schedule and run counts, config",
	  "Example:\n  vibectl status\n" },
	{ NULL, "start", "start", NULL, 0, 0, NULL, cli_print_running, NULL,
	  "start", "start the scheduler loop (the daemon keeps serving)",
	  "Example:\n  vibectl start\n" },
	{ NULL, "stop", "stop", NULL, 0, 0, NULL, cli_print_running, NULL,
	  "stop", "hold the scheduler loop until `start` or a restart",
	  "Example:\n  vibectl stop\n" },
	{ NULL, "is-running", "is_running", NULL, 0, 0, NULL,
	  cli_print_running, NULL, "is-running",
	  "print whether the scheduler loop runs",
	  "Prints \"scheduler running\" or \"scheduler stopped\"; exit 0 "
	  "either way.\nExample:\n  vibectl is-running\n" },
	{ NULL, "add", "add_schedule", cli_schedule_opts, 0, -1,
	  build_schedule, cli_print_added, NULL, ADD_USAGE("add"),
	  "add a schedule",
	  ADD_HELP
	  "Examples:\n"
	  "  vibectl add daily_report --name \"Daily Report\" --cron \"0 9 * * *\" \\\n"
	  "      --description \"Generate daily report at 9 AM\" "
	  "--tz America/New_York \\\n      --pipeline report_pipeline\n"
	  "  vibectl add hourly_sync --every 1h --tz UTC --pipeline sync_pipeline\n"
	  "  vibectl add data_arrival --on data_available --debounce 60 \\\n"
	  "      --filter kind=csv --pipeline process_pipeline\n"
	  "  vibectl add backup --cron \"30 2 * * *\" --retries 2 -- "
	  "/usr/bin/rsync -a /srv /backup\n"
	  "  vibectl add tidy --every 1d -- 'find /tmp/x -mtime +7 -delete'\n"
	  "  vibectl add -f schedule.json\n" },
	{ NULL, "update", "update_schedule", cli_schedule_opts, 0, -1,
	  build_schedule, cli_print_updated, NULL, ADD_USAGE("update"),
	  "replace a schedule's definition (keeps its history)",
	  "Takes the same arguments as `add`; the whole definition is "
	  "replaced.\n" ADD_HELP
	  "Example:\n  vibectl update daily_report --cron \"0 8 * * 1-5\" "
	  "--tz America/New_York --pipeline report_pipeline\n" },
	{ NULL, "get", "get_schedule", NULL, 1, 1, build_schedule_id,
	  cli_print_schedule, NULL, "get ID", "show one schedule",
	  "Example:\n  vibectl get daily_report\n" },
	{ NULL, "list", "list_schedules", list_opts, 0, 0, build_list,
	  cli_print_schedules, NULL,
	  "list [--status active|paused|disabled|completed]",
	  "list schedules",
	  "Columns: ID, TYPE, STATUS, SCHEDULE, NEXT FIRE (in the schedule's "
	  "zone,\nwith the time left), LAST (the last run's status).\n"
	  "Examples:\n  vibectl list\n  vibectl list --status paused\n" },
	{ NULL, "pause", "pause_schedule", NULL, 1, 1, build_schedule_id,
	  cli_print_paused, NULL, "pause ID", "pause a schedule",
	  "Example:\n  vibectl pause daily_report\n" },
	{ NULL, "resume", "resume_schedule", NULL, 1, 1, build_schedule_id,
	  cli_print_resumed, NULL, "resume ID", "resume a paused schedule",
	  "Example:\n  vibectl resume daily_report\n" },
	{ NULL, "delete", "delete_schedule", NULL, 1, 1, build_schedule_id,
	  cli_print_deleted, NULL, "delete ID", "delete a schedule",
	  "Example:\n  vibectl delete daily_report\n" },
	{ NULL, "run", "run_schedule", NULL, 1, 1, build_schedule_id,
	  cli_print_triggered, NULL, "run ID",
	  "run a schedule's pipeline now (trigger_type manual)",
	  "Example:\n  vibectl run daily_report\n" },
	{ NULL, "next", "next_fire_times", next_opts, 0, 1, build_next,
	  cli_print_next, NULL,
	  "next ID [--after T] [--count N]\n"
	  "       vibectl next (--cron EXPR | --every INTERVAL) [--tz ZONE] "
	  "[--start-time T] [--after T] [--count N]",
	  "show the next fire times of a schedule or an expression",
	  "Times are printed in UTC with the time left.\nExamples:\n"
	  "  vibectl next daily_report --count 5\n"
	  "  vibectl next --cron \"30 2 * * *\" --tz America/New_York "
	  "--after 2025-03-08 --count 3\n" },
	{ NULL, "event", "trigger_event", event_opts, 1, -1, build_event,
	  cli_print_event_result, NULL,
	  "event TYPE [KEY=VALUE...] [KEY:=JSON...] "
	  "[--data JSON | --data-file FILE | -] [--source S]",
	  "post an event (trigger_event)",
	  "VALUEs are typed: integers and decimals become numbers, true/false\n"
	  "booleans, null null, anything else (also 007) a string. KEY:=JSON "
	  "takes\nraw JSON. Dotted KEYs nest: a.b=1 -> {\"a\":{\"b\":1}}. "
	  "--data, --data-file\nor - (stdin) give a whole JSON object; "
	  "KEY=VALUE pairs are merged on top.\nThe source defaults to "
	  "\"vibectl\".\nExamples:\n"
	  "  vibectl event data_available path=/data/x.csv rows=120 final=true\n"
	  "  vibectl event data_available 'tags:=[\"a\",\"b\"]' meta.kind=csv\n"
	  "  echo '{\"path\":\"/x\"}' | vibectl event data_available - "
	  "--source etl\n" },
	{ NULL, "events", "get_events", limit_opts, 1, 1, build_events,
	  cli_print_events, NULL, "events ID [--limit N]",
	  "a schedule's trigger history, newest first",
	  "Example:\n  vibectl events daily_report --limit 10\n" },
	{ NULL, "last", "get_last_event", NULL, 1, 1, build_schedule_id,
	  cli_print_event, NULL, "last ID", "a schedule's last trigger",
	  "Example:\n  vibectl last daily_report\n" },
	{ NULL, "runs", "list_runs", runs_opts, 0, 1, build_runs,
	  cli_print_runs, NULL, "runs [ID] [--status S] [--limit N]",
	  "list pipeline runs, newest first",
	  "Examples:\n  vibectl runs\n  vibectl runs daily_report --status "
	  "failed --limit 5\n" },
	{ NULL, "run-info", "get_run", NULL, 1, 1, build_run_id,
	  cli_print_run, NULL, "run-info RUN_ID",
	  "show one run and its assets",
	  "Example:\n  vibectl run-info RUN_ID\n" },
	{ NULL, "logs", "get_run_log", logs_opts, 1, 1, build_logs,
	  cli_print_log, cli_run_logs,
	  "logs RUN_ID [--asset A] [--tail BYTES] [--follow]",
	  "print a run's output",
	  "--follow (-f) prints new output every 0.5 s until the run ends and "
	  "exits 1\nif the run did not succeed.\nExamples:\n"
	  "  vibectl logs RUN_ID --tail 4096\n  vibectl logs RUN_ID -f\n" },
	{ NULL, "cancel", "cancel_run", NULL, 1, 1, build_run_id,
	  cli_print_cancelled_run, NULL, "cancel RUN_ID", "cancel a run",
	  "Example:\n  vibectl cancel RUN_ID\n" },
	{ "backfill", "create", "create_backfill", bf_create_opts, 1, 1,
	  build_bf_create, cli_print_backfill_created, NULL,
	  "backfill create ID --start DATE --end DATE [--tz ZONE] "
	  "[--parallel] [--max-parallel N] [--dry-run]",
	  "create a backfill of a schedule's past fire times",
	  "A date-only --end covers that whole day. --max-parallel implies "
	  "--parallel.\n--dry-run lists the tasks and creates nothing.\n"
	  "Examples:\n"
	  "  vibectl backfill create daily_report --start 2025-01-01 "
	  "--end 2025-01-31 --dry-run\n"
	  "  vibectl backfill create daily_report --start 2025-01-01 "
	  "--end 2025-01-31 --max-parallel 4\n" },
	{ "backfill", "run", "execute_backfill", wait_opts, 1, 1,
	  build_bf_exec, cli_print_backfill_result, cli_run_backfill_exec,
	  "backfill run BF_ID [--wait]", "execute a backfill",
	  "--wait (-w) follows it to the end: a progress bar on a terminal, a "
	  "line per\nchange otherwise; exit 1 if any task failed.\n"
	  "Example:\n  vibectl backfill run BF_ID --wait\n" },
	{ "backfill", "get", "get_backfill", NULL, 1, 1, build_bf_id,
	  cli_print_backfill, NULL, "backfill get BF_ID", "show a backfill",
	  "Example:\n  vibectl backfill get BF_ID\n" },
	{ "backfill", "list", "list_backfills", NULL, 0, 1, build_bf_list,
	  cli_print_backfills, NULL, "backfill list [ID]", "list backfills",
	  "Examples:\n  vibectl backfill list\n  vibectl backfill list "
	  "daily_report\n" },
	{ "backfill", "cancel", "cancel_backfill", NULL, 1, 1, build_bf_id,
	  cli_print_backfill_result, NULL, "backfill cancel BF_ID",
	  "cancel a backfill's remaining tasks",
	  "Example:\n  vibectl backfill cancel BF_ID\n" },
	{ "backfill", "retry", "retry_backfill", wait_opts, 1, 1,
	  build_bf_exec, cli_print_backfill_result, cli_run_backfill_exec,
	  "backfill retry BF_ID [--wait]",
	  "re-run a finished backfill's failed tasks",
	  "Example:\n  vibectl backfill retry BF_ID --wait\n" },
	{ NULL, "help", NULL, NULL, 0, 2, NULL, NULL, NULL,
	  "help [COMMAND]", "show help for a command",
	  "Examples:\n  vibectl help add\n  vibectl backfill create --help\n" },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
};
