/*
 * Human output for the scheduler and schedule commands: ping, status,
 * start/stop, add/update/pause/resume/delete confirmations, `get` and the
 * `list` table. Each printer takes the method's result (borrowed) and
 * writes to ctx->out; none sends a request or decides an exit code.
 */
#include "client/vibectl.h"

#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"

const char *cli_str(const json_t *obj, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : def;
}

static long num(const json_t *obj, const char *key)
{
	return (long)json_number_value(json_object_get(obj, key));
}

void cli_schedule_summary(const json_t *schedule, char *buf, size_t n)
{
	const char *type = cli_str(schedule, "schedule_type", "");
	const json_t *def = json_object_get(schedule, "schedule_definition");

	if (strcmp(type, "cron") == 0)
		snprintf(buf, n, "%s", cli_str(def, "cron_expression", "?"));
	else if (strcmp(type, "interval") == 0)
		snprintf(buf, n, "every %s", cli_str(def, "interval", "?"));
	else if (strcmp(type, "event") == 0)
		snprintf(buf, n, "on %s", cli_str(def, "event_type", "?"));
	else
		snprintf(buf, n, "-");
}

void cli_next_fire(const json_t *schedule, time_t now, char *buf, size_t n)
{
	const char *utc = cli_str(schedule, "next_fire_time", NULL);
	const char *local = cli_str(schedule, "next_fire_time_local", utc);
	char wall[64], rel[48];
	time_t t;

	if (!local) {
		snprintf(buf, n, "-");
		return;
	}
	cli_format_instant(local, false, wall, sizeof(wall));
	if (utc && cli_parse_rfc3339(utc, &t) == 0) {
		cli_format_relative(t, now, rel, sizeof(rel));
		snprintf(buf, n, "%s (%s)", wall, rel);
	} else {
		snprintf(buf, n, "%s", wall);
	}
}

void cli_print_ping(struct cli_ctx *ctx, const json_t *r)
{
	char up[32];

	cli_format_duration(num(r, "uptime_seconds"), up, sizeof(up));
	fprintf(ctx->out, "pong from vibe-schedd %s (pid %ld, up %s)\n",
		cli_str(r, "version", "?"), num(r, "pid"), up);
}

void cli_print_running(struct cli_ctx *ctx, const json_t *r)
{
	fprintf(ctx->out, "scheduler %s\n",
		json_is_true(json_object_get(r, "running")) ? "running" :
							      "stopped");
}

void cli_print_status(struct cli_ctx *ctx, const json_t *r)
{
	const json_t *s = json_object_get(r, "schedules");
	const json_t *runs = json_object_get(r, "runs");
	const json_t *config = json_object_get(r, "config"), *v;
	const char *key;
	char *text;

	fprintf(ctx->out, "scheduler: %s\nversion:   %s\n",
		json_is_true(json_object_get(r, "running")) ? "running" :
							      "stopped",
		cli_str(r, "version", "?"));
	fprintf(ctx->out, "schedules: %ld total, %ld active, %ld paused, "
		"%ld disabled, %ld completed\n", num(s, "total"),
		num(s, "active"), num(s, "paused"), num(s, "disabled"),
		num(s, "completed"));
	fprintf(ctx->out, "runs:      %ld running, %ld queued\n",
		num(runs, "running"), num(runs, "queued"));
	if (json_object_size(config))
		fprintf(ctx->out, "config:\n");
	json_object_foreach((json_t *)config, key, v) {
		text = json_is_string(v) ? xstrdup(json_string_value(v)) :
			json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		fprintf(ctx->out, "  %s: %s\n", key, text ? text : "?");
		free(text);
	}
}

static void print_verb(struct cli_ctx *ctx, const char *verb, const json_t *r)
{
	fprintf(ctx->out, "%s %s\n", verb, cli_str(r, "schedule_id", "?"));
}

void cli_print_added(struct cli_ctx *ctx, const json_t *r)
{
	char next[128], what[160];

	cli_next_fire(r, ctx->now, next, sizeof(next));
	if (strcmp(next, "-") == 0)
		cli_schedule_summary(r, what, sizeof(what));
	else
		snprintf(what, sizeof(what), "next fire %s", next);
	fprintf(ctx->out, "added %s (%s, %s)\n",
		cli_str(r, "schedule_id", "?"), cli_str(r, "status", "?"),
		what);
}

void cli_print_updated(struct cli_ctx *ctx, const json_t *r)
{
	print_verb(ctx, "updated", r);
}

void cli_print_paused(struct cli_ctx *ctx, const json_t *r)
{
	print_verb(ctx, "paused", r);
}

void cli_print_resumed(struct cli_ctx *ctx, const json_t *r)
{
	print_verb(ctx, "resumed", r);
}

void cli_print_deleted(struct cli_ctx *ctx, const json_t *r)
{
	print_verb(ctx, "deleted", r);
}

void cli_print_schedules(struct cli_ctx *ctx, const json_t *r)
{
	static const char *const headers[] = {
		"ID", "TYPE", "STATUS", "SCHEDULE", "NEXT FIRE", "LAST", NULL
	};
	const json_t *list = json_object_get(r, "schedules"), *s;
	char summary[256], next[128];
	struct cli_table t;
	size_t i;

	if (json_array_size(list) == 0) {
		fprintf(ctx->out, "no schedules\n");
		return;
	}
	cli_table_init(&t, headers);
	json_array_foreach(list, i, s) {
		const char *cells[6];

		cli_schedule_summary(s, summary, sizeof(summary));
		cli_next_fire(s, ctx->now, next, sizeof(next));
		cells[0] = cli_str(s, "schedule_id", "?");
		cells[1] = cli_str(s, "schedule_type", "?");
		cells[2] = cli_str(s, "status", "?");
		cells[3] = summary;
		cells[4] = next;
		cells[5] = cli_str(s, "last_status", "-");
		cli_table_add(&t, cells);
	}
	cli_table_print(&t, ctx->out);
	cli_table_release(&t);
}

/* "key: value" with the value as text (strings bare, the rest JSON). */
static void kv(FILE *out, const char *key, const json_t *v)
{
	char *text;

	if (!v || json_is_null(v))
		return;
	text = json_is_string(v) ? xstrdup(json_string_value(v)) :
		json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	fprintf(out, "%-14s %s\n", key, text ? text : "?");
	free(text);
}

static void kv_str(FILE *out, const char *key, const char *v)
{
	if (v)
		fprintf(out, "%-14s %s\n", key, v);
}

static void print_asset(FILE *out, const json_t *asset)
{
	const json_t *cmd = json_object_get(asset, "command"), *w;
	const json_t *deps = json_object_get(asset, "deps");
	size_t i;

	fprintf(out, "  %s:", cli_str(asset, "name", "?"));
	if (json_is_string(cmd))
		fprintf(out, " sh -c '%s'", json_string_value(cmd));
	json_array_foreach(cmd, i, w)
		fprintf(out, " %s", json_string_value(w) ?
			json_string_value(w) : "?");
	if (json_array_size(deps)) {
		fprintf(out, "  (after");
		json_array_foreach(deps, i, w)
			fprintf(out, "%s %s", i ? "," : "",
				json_string_value(w) ? json_string_value(w) :
						       "?");
		fprintf(out, ")");
	}
	fputc('\n', out);
}

static void print_definition(FILE *out, const json_t *s)
{
	const json_t *def = json_object_get(s, "schedule_definition");
	char summary[256];

	cli_schedule_summary(s, summary, sizeof(summary));
	kv_str(out, "schedule:", summary);
	kv(out, "description:", json_object_get(def, "description"));
	kv(out, "debounce:", json_object_get(def, "debounce_seconds"));
	kv(out, "debounce mode:", json_object_get(def, "debounce_mode"));
	kv(out, "filter:", json_object_get(def, "filter"));
	kv(out, "accept from:", json_object_get(def, "accept_from"));
}

void cli_print_schedule(struct cli_ctx *ctx, const json_t *r)
{
	static const char *const plain[] = {
		"timezone", "status", "overlap", "catchup", "start_time",
		"end_time", "owner", "run_as", "created_at", "updated_at",
		"last_fire_time", "last_status", NULL
	};
	const json_t *graph = json_object_get(r, "asset_graph"), *asset;
	const char *const *k;
	char next[128], label[32];
	size_t i;

	kv_str(ctx->out, "id:", cli_str(r, "schedule_id", "?"));
	kv(ctx->out, "name:", json_object_get(r, "name"));
	kv(ctx->out, "type:", json_object_get(r, "schedule_type"));
	print_definition(ctx->out, r);
	for (k = plain; *k; k++) {
		snprintf(label, sizeof(label), "%s:", *k);
		kv(ctx->out, label, json_object_get(r, *k));
	}
	cli_next_fire(r, ctx->now, next, sizeof(next));
	kv_str(ctx->out, "next fire:", next);
	kv(ctx->out, "pipeline:", json_object_get(graph, "name"));
	if (json_array_size(json_object_get(graph, "assets"))) {
		fprintf(ctx->out, "assets:\n");
		json_array_foreach(json_object_get(graph, "assets"), i, asset)
			print_asset(ctx->out, asset);
	}
}
