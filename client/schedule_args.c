/*
 * `vibectl add` / `vibectl update` arguments -> the Schedule object of
 * DESIGN §3. Checks what the command line alone can tell (one trigger, a
 * pipeline or a command, options that belong to the chosen type, choice
 * values) and leaves the rest (cron grammar, interval syntax, zones, ids) to
 * the daemon, which names the field in its error. No requests here.
 */
#include "client/vibectl.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"

const struct cli_opt cli_schedule_opts[] = {
	{ "file", 'f', CLI_ARG },
	{ "cron", 0, CLI_ARG },
	{ "every", 0, CLI_ARG },
	{ "on", 0, CLI_ARG },
	{ "name", 0, CLI_ARG },
	{ "description", 0, CLI_ARG },
	{ "tz", 0, CLI_ARG },
	{ "debounce", 0, CLI_ARG },
	{ "debounce-mode", 0, CLI_ARG },
	{ "filter", 0, CLI_ARG | CLI_MULTI },
	{ "accept-from", 0, CLI_ARG | CLI_MULTI },
	{ "overlap", 0, CLI_ARG },
	{ "catchup", 0, CLI_ARG },
	{ "start-time", 0, CLI_ARG },
	{ "end-time", 0, CLI_ARG },
	{ "paused", 0, CLI_FLAG },
	{ "pipeline", 0, CLI_ARG },
	{ "timeout", 0, CLI_ARG },
	{ "retries", 0, CLI_ARG },
	{ "retry-delay", 0, CLI_ARG },
	{ "env", 0, CLI_ARG | CLI_MULTI },
	{ "workdir", 0, CLI_ARG },
	{ NULL, 0, 0 },
};

static const char *const event_only[] = {
	"debounce", "debounce-mode", "filter", "accept-from", NULL
};
static const char *const asset_only[] = {
	"timeout", "retries", "retry-delay", "env", "workdir", NULL
};
static const char *const overlap_choices[] = {
	"queue", "skip", "allow", "cancel_previous", NULL
};
static const char *const catchup_choices[] = { "none", "latest", "all", NULL };
static const char *const debounce_choices[] = { "leading", "trailing", NULL };

/* The first option of NAMES that was given, or NULL. */
static const char *first_given(const struct cli_args *a,
			       const char *const *names)
{
	for (; *names; names++)
		if (cli_flag(a, *names))
			return *names;
	return NULL;
}

/* {event_type, debounce_seconds, debounce_mode, filter, accept_from}. */
static int event_definition(const struct cli_args *a, json_t *def,
			    char **cause)
{
	const char *const *vals;
	size_t i, n;
	json_t *filter, *from;
	int r;

	json_object_set_new(def, "event_type", json_string(cli_arg(a, "on")));
	r = cli_set_long(def, "debounce_seconds", a, "debounce", 0, INT_MAX,
			 cause);
	if (r < 0)
		return r;
	cli_set_str(def, "debounce_mode", a, "debounce-mode");
	if ((n = cli_arg_all(a, "filter", &vals))) {
		filter = json_object();
		json_object_set_new(def, "filter", filter);
		for (i = 0; i < n; i++) {
			char *key;
			json_t *v;

			/* Filter keys stay flat: they are dotted paths. */
			r = cli_kv_parse(vals[i], &key, &v, cause);
			if (r < 0)
				return r;
			json_object_set_new(filter, key, v);
			free(key);
		}
	}
	if ((n = cli_arg_all(a, "accept-from", &vals))) {
		from = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(from, json_string(vals[i]));
		json_object_set_new(def, "accept_from", from);
	}
	return 0;
}

/* schedule_type and schedule_definition from --cron/--every/--on. */
static int definition(const struct cli_args *a, json_t *s, char **cause)
{
	int given = cli_flag(a, "cron") + cli_flag(a, "every") +
		    cli_flag(a, "on");
	const char *bad;
	json_t *def;

	if (given != 1) {
		*cause = xstrdup("give exactly one of --cron EXPR, --every "
				 "INTERVAL or --on EVENT_TYPE");
		return -EINVAL;
	}
	if (!cli_flag(a, "on") && (bad = first_given(a, event_only))) {
		*cause = xasprintf("--%s applies to event schedules (--on) "
				   "only", bad);
		return -EINVAL;
	}
	def = json_object();
	json_object_set_new(s, "schedule_definition", def);
	cli_set_str(def, "description", a, "description");
	if (cli_flag(a, "cron")) {
		json_object_set_new(s, "schedule_type", json_string("cron"));
		cli_set_str(def, "cron_expression", a, "cron");
		return 0;
	}
	if (cli_flag(a, "every")) {
		json_object_set_new(s, "schedule_type",
				    json_string("interval"));
		cli_set_str(def, "interval", a, "every");
		return 0;
	}
	json_object_set_new(s, "schedule_type", json_string("event"));
	return event_definition(a, def, cause);
}

/* The single asset "main" of `-- COMMAND [ARG…]`. */
static int command_asset(const struct cli_args *a, json_t **ret,
			 char **cause)
{
	json_t *asset = json_object(), *argv, *env;
	const char *const *vals;
	size_t i, n;
	int r = 0;

	json_object_set_new(asset, "name", json_string("main"));
	if (a->ntrail == 1) {
		/* One word is a shell command line: run by /bin/sh -c. */
		json_object_set_new(asset, "command",
				    json_string(a->trail[0]));
	} else {
		argv = json_array();
		for (i = 0; i < a->ntrail; i++)
			json_array_append_new(argv, json_string(a->trail[i]));
		json_object_set_new(asset, "command", argv);
	}
	r = r ?: cli_set_long(asset, "timeout_seconds", a, "timeout", 1,
			      INT_MAX, cause);
	r = r ?: cli_set_long(asset, "retries", a, "retries", 0, 1000, cause);
	r = r ?: cli_set_long(asset, "retry_delay_seconds", a, "retry-delay",
			      0, INT_MAX, cause);
	cli_set_str(asset, "working_dir", a, "workdir");
	if (r == 0 && (n = cli_arg_all(a, "env", &vals))) {
		env = json_object();
		json_object_set_new(asset, "env", env);
		for (i = 0; i < n && r == 0; i++) {
			const char *eq = strchr(vals[i], '=');
			char *k;

			if (!eq || eq == vals[i]) {
				*cause = xasprintf("--env '%s': expected "
						   "KEY=VALUE", vals[i]);
				r = -EINVAL;
				break;
			}
			k = xstrndup(vals[i], (size_t)(eq - vals[i]));
			json_object_set_new(env, k, json_string(eq + 1));
			free(k);
		}
	}
	if (r < 0) {
		json_decref(asset);
		return r;
	}
	*ret = asset;
	return 0;
}

/* asset_graph from --pipeline NAME or -- COMMAND [ARG…]. */
static int asset_graph(const struct cli_args *a, const char *id, json_t *s,
		       char **cause)
{
	const char *pipeline = cli_arg(a, "pipeline"), *bad;
	json_t *graph, *asset;
	int r;

	if (pipeline && a->ntrail) {
		*cause = xstrdup("give either --pipeline NAME or -- COMMAND, "
				 "not both");
		return -EINVAL;
	}
	if (!pipeline && !a->ntrail) {
		*cause = xstrdup("give what to run: --pipeline NAME or "
				 "-- COMMAND [ARG...]");
		return -EINVAL;
	}
	graph = json_object();
	json_object_set_new(s, "asset_graph", graph);
	if (pipeline) {
		if ((bad = first_given(a, asset_only))) {
			*cause = xasprintf("--%s applies to -- COMMAND only; "
					   "a pipeline sets its own", bad);
			return -EINVAL;
		}
		json_object_set_new(graph, "name", json_string(pipeline));
		return 0;
	}
	json_object_set_new(graph, "name", json_string(id));
	r = command_asset(a, &asset, cause);
	if (r < 0)
		return r;
	json_object_set_new(graph, "assets", json_array());
	json_array_append_new(json_object_get(graph, "assets"), asset);
	return 0;
}

/* -f FILE|-: a bare schedule or {"schedule":{…}}. */
static int schedule_from_file(const struct cli_args *a, FILE *in,
			      json_t **ret, char **cause)
{
	json_t *root, *inner;
	int r;

	if (a->npos || a->ntrail || cli_arg_all(a, "file", NULL) > 1) {
		*cause = xstrdup("-f FILE takes no ID, flags or command: the "
				 "file holds the whole schedule");
		return -EINVAL;
	}
	r = cli_read_json_object(cli_arg(a, "file"), in, &root, cause);
	if (r < 0)
		return r;
	inner = json_object_get(root, "schedule");
	if (json_is_object(inner) && !json_object_get(root, "schedule_id")) {
		json_incref(inner);
		json_decref(root);
		root = inner;
	}
	*ret = root;
	return 0;
}

static int check_choices(const struct cli_args *a, char **cause)
{
	int r = cli_check_choice(a, "overlap", overlap_choices, cause);

	r = r ?: cli_check_choice(a, "catchup", catchup_choices, cause);
	return r ?: cli_check_choice(a, "debounce-mode", debounce_choices,
				     cause);
}

int cli_schedule_from_args(const struct cli_args *a, FILE *in, json_t **ret,
			   char **cause)
{
	const char *id, *name;
	json_t *s;
	int r;

	if (cli_flag(a, "file"))
		return schedule_from_file(a, in, ret, cause);
	if (a->npos != 1) {
		*cause = xstrdup(a->npos ? "expected one schedule ID" :
				 "missing the schedule ID (or -f FILE)");
		return -EINVAL;
	}
	if ((r = check_choices(a, cause)) < 0)
		return r;
	id = a->pos[0];
	name = cli_arg(a, "name");
	s = json_object();
	json_object_set_new(s, "schedule_id", json_string(id));
	json_object_set_new(s, "name", json_string(name ? name : id));
	r = definition(a, s, cause);
	r = r ?: asset_graph(a, id, s, cause);
	if (r < 0) {
		json_decref(s);
		return r;
	}
	cli_set_str(s, "timezone", a, "tz");
	cli_set_str(s, "overlap", a, "overlap");
	cli_set_str(s, "catchup", a, "catchup");
	cli_set_str(s, "start_time", a, "start-time");
	cli_set_str(s, "end_time", a, "end-time");
	if (cli_flag(a, "paused"))
		json_object_set_new(s, "status", json_string("paused"));
	*ret = s;
	return 0;
}
