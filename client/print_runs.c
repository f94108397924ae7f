/*
 * Human output for what schedules produce: fire times, events and their
 * history, runs and logs, backfills and the backfill progress line. Each
 * printer takes the method's result (borrowed) and writes to ctx->out; none
 * sends a request or decides an exit code.
 */
#include "client/vibectl.h"

#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"

static long num(const json_t *obj, const char *key)
{
	return (long)json_number_value(json_object_get(obj, key));
}

/* Joins the strings of ARRAY with ", " into BUF ("-" when empty). */
static void join(const json_t *array, char *buf, size_t n)
{
	const json_t *v;
	size_t i, len = 0;

	buf[0] = '\0';
	json_array_foreach(array, i, v) {
		if (len >= n)
			break;
		len += (size_t)snprintf(buf + len, n - len, "%s%s",
					i ? ", " : "",
					json_string_value(v) ?
					json_string_value(v) : "?");
	}
	if (!buf[0])
		snprintf(buf, n, "-");
}

static void instant(const json_t *obj, const char *key, char *buf, size_t n)
{
	cli_format_instant(cli_str(obj, key, NULL), true, buf, n);
}

void cli_print_next(struct cli_ctx *ctx, const json_t *r)
{
	const json_t *t;
	char rel[48];
	time_t when;
	size_t i;

	json_array_foreach(json_object_get(r, "times"), i, t) {
		const char *s = json_string_value(t);

		if (s && cli_parse_rfc3339(s, &when) == 0) {
			cli_format_relative(when, ctx->now, rel, sizeof(rel));
			fprintf(ctx->out, "%s  (%s)\n", s, rel);
		} else {
			fprintf(ctx->out, "%s\n", s ? s : "?");
		}
	}
}

void cli_format_event_result(const json_t *result, char *buf, size_t n)
{
	char trig[512], deb[512];
	const json_t *d = json_object_get(result, "debounced");

	join(json_object_get(result, "triggered"), trig, sizeof(trig));
	if (strcmp(trig, "-") == 0)
		snprintf(trig, sizeof(trig), "no schedule");
	join(d, deb, sizeof(deb));
	if (json_array_size(d))
		snprintf(buf, n, "event %s: triggered %s; debounced %s",
			 cli_str(result, "event_id", "?"), trig, deb);
	else
		snprintf(buf, n, "event %s: triggered %s",
			 cli_str(result, "event_id", "?"), trig);
}

void cli_print_event_result(struct cli_ctx *ctx, const json_t *r)
{
	char line[1100];

	cli_format_event_result(r, line, sizeof(line));
	fprintf(ctx->out, "%s\n", line);
}

void cli_print_triggered(struct cli_ctx *ctx, const json_t *r)
{
	fprintf(ctx->out, "triggered %s: run %s (event %s, %s)\n",
		cli_str(r, "schedule_id", "?"), cli_str(r, "run_id", "-"),
		cli_str(r, "event_id", "?"), cli_str(r, "status", "?"));
}

void cli_print_events(struct cli_ctx *ctx, const json_t *r)
{
	static const char *const headers[] = {
		"EVENT ID", "TRIGGER", "SCHEDULED", "TRIGGERED AT", "STATUS",
		"RUN", NULL
	};
	const json_t *list = json_object_get(r, "events"), *e;
	char sched[64], at[64];
	struct cli_table t;
	size_t i;

	if (json_array_size(list) == 0) {
		fprintf(ctx->out, "no events\n");
		return;
	}
	cli_table_init(&t, headers);
	json_array_foreach(list, i, e) {
		const char *cells[6];

		instant(e, "scheduled_time", sched, sizeof(sched));
		instant(e, "triggered_at", at, sizeof(at));
		cells[0] = cli_str(e, "event_id", "?");
		cells[1] = cli_str(e, "trigger_type", "?");
		cells[2] = sched;
		cells[3] = at;
		cells[4] = cli_str(e, "status", "?");
		cells[5] = cli_str(e, "run_id", "-");
		cli_table_add(&t, cells);
	}
	cli_table_print(&t, ctx->out);
	cli_table_release(&t);
}

/* Every member as "key: value" (strings bare, the rest compact JSON). */
static void print_members(FILE *out, const json_t *obj, const char *skip)
{
	const char *key;
	const json_t *v;
	char *text;

	json_object_foreach((json_t *)obj, key, v) {
		if ((skip && strcmp(key, skip) == 0) || json_is_null(v))
			continue;
		text = json_is_string(v) ? xstrdup(json_string_value(v)) :
			json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		fprintf(out, "%s: %s\n", key, text ? text : "?");
		free(text);
	}
}

void cli_print_event(struct cli_ctx *ctx, const json_t *r)
{
	if (json_is_null(r)) {
		fprintf(ctx->out, "no events yet\n");
		return;
	}
	print_members(ctx->out, r, NULL);
}

void cli_print_runs(struct cli_ctx *ctx, const json_t *r)
{
	static const char *const headers[] = {
		"RUN ID", "SCHEDULE", "TRIGGER", "STATUS", "SCHEDULED",
		"STARTED", "FINISHED", NULL
	};
	const json_t *list = json_object_get(r, "runs"), *run;
	char sched[64], start[64], end[64];
	struct cli_table t;
	size_t i;

	if (json_array_size(list) == 0) {
		fprintf(ctx->out, "no runs\n");
		return;
	}
	cli_table_init(&t, headers);
	json_array_foreach(list, i, run) {
		const char *cells[7];

		instant(run, "scheduled_time", sched, sizeof(sched));
		instant(run, "started_at", start, sizeof(start));
		instant(run, "finished_at", end, sizeof(end));
		cells[0] = cli_str(run, "run_id", "?");
		cells[1] = cli_str(run, "schedule_id", "?");
		cells[2] = cli_str(run, "trigger_type", "?");
		cells[3] = cli_str(run, "status", "?");
		cells[4] = sched;
		cells[5] = start;
		cells[6] = end;
		cli_table_add(&t, cells);
	}
	cli_table_print(&t, ctx->out);
	cli_table_release(&t);
}

void cli_print_run(struct cli_ctx *ctx, const json_t *r)
{
	static const char *const headers[] = {
		"ASSET", "STATUS", "EXIT", "SIGNAL", "ATTEMPTS", "STARTED",
		"FINISHED", NULL
	};
	const json_t *assets = json_object_get(r, "assets"), *a;
	char code[16], sig[16], tries[16], start[64], end[64];
	struct cli_table t;
	size_t i;

	print_members(ctx->out, r, "assets");
	if (!json_array_size(assets))
		return;
	fputc('\n', ctx->out);
	cli_table_init(&t, headers);
	json_array_foreach(assets, i, a) {
		const char *cells[7] = { cli_str(a, "name", "?"),
					 cli_str(a, "status", "?"), code, sig,
					 tries, start, end };

		snprintf(code, sizeof(code), "%ld", num(a, "exit_code"));
		snprintf(sig, sizeof(sig), "%ld", num(a, "signal"));
		snprintf(tries, sizeof(tries), "%ld", num(a, "attempts"));
		if (!json_is_number(json_object_get(a, "exit_code")))
			cells[2] = "-";
		if (!json_is_number(json_object_get(a, "signal")))
			cells[3] = "-";
		instant(a, "started_at", start, sizeof(start));
		instant(a, "finished_at", end, sizeof(end));
		cli_table_add(&t, cells);
	}
	cli_table_print(&t, ctx->out);
	cli_table_release(&t);
}

void cli_print_log(struct cli_ctx *ctx, const json_t *r)
{
	const json_t *log = json_object_get(r, "log");

	fwrite(json_string_value(log) ? json_string_value(log) : "", 1,
	       json_string_length(log), ctx->out);
}

void cli_print_cancelled_run(struct cli_ctx *ctx, const json_t *r)
{
	fprintf(ctx->out, "run %s: %s\n", cli_str(r, "run_id", "?"),
		cli_str(r, "status", "?"));
}

void cli_format_progress(long done, long total, long failed, double rate,
			 char *buf, size_t n)
{
	enum { WIDTH = 20 };
	char bar[WIDTH + 1], eta[48] = "";
	long fill = total > 0 ? done * WIDTH / total : WIDTH;
	long i;

	for (i = 0; i < WIDTH; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[WIDTH] = '\0';
	if (rate > 0 && done < total) {
		char d[32];

		cli_format_duration((long)((double)(total - done) / rate + 0.5),
				    d, sizeof(d));
		snprintf(eta, sizeof(eta), ", ETA %s", d);
	}
	snprintf(buf, n, "[%s] %ld/%ld done, %ld failed, %.1f/s%s", bar, done,
		 total, failed, rate > 0 ? rate : 0.0, eta);
}

void cli_print_backfill(struct cli_ctx *ctx, const json_t *r)
{
	print_members(ctx->out, r, "tasks");
}

void cli_print_backfill_created(struct cli_ctx *ctx, const json_t *r)
{
	const json_t *tasks = json_object_get(r, "tasks"), *task;
	size_t i;

	if (!json_is_array(tasks)) {
		fprintf(ctx->out, "created backfill %s for %s: %ld tasks "
			"(%s .. %s)\n", cli_str(r, "backfill_id", "?"),
			cli_str(r, "schedule_id", "?"), num(r, "tasks_total"),
			cli_str(r, "start_date", "?"),
			cli_str(r, "end_date", "?"));
		return;
	}
	fprintf(ctx->out, "dry run: %zu tasks for %s, nothing created\n",
		json_array_size(tasks), cli_str(r, "schedule_id", "?"));
	json_array_foreach(tasks, i, task) {
		const char *s = json_string_value(task);

		if (!s)
			s = cli_str(task, "scheduled_time",
				    cli_str(task, "logical_date", "?"));
		fprintf(ctx->out, "  %s\n", s);
	}
}

void cli_print_backfills(struct cli_ctx *ctx, const json_t *r)
{
	static const char *const headers[] = {
		"BACKFILL ID", "SCHEDULE", "RANGE", "STATUS", "DONE", "FAILED",
		NULL
	};
	const json_t *list = json_object_get(r, "backfills"), *b;
	char range[128], done[48], failed[24];
	struct cli_table t;
	size_t i;

	if (json_array_size(list) == 0) {
		fprintf(ctx->out, "no backfills\n");
		return;
	}
	cli_table_init(&t, headers);
	json_array_foreach(list, i, b) {
		const char *cells[6] = { cli_str(b, "backfill_id", "?"),
					 cli_str(b, "schedule_id", "?"), range,
					 cli_str(b, "status", "?"), done,
					 failed };

		snprintf(range, sizeof(range), "%s .. %s",
			 cli_str(b, "start_date", "?"),
			 cli_str(b, "end_date", "?"));
		snprintf(done, sizeof(done), "%ld/%ld",
			 num(b, "tasks_succeeded") + num(b, "tasks_failed") +
			 num(b, "tasks_cancelled"), num(b, "tasks_total"));
		snprintf(failed, sizeof(failed), "%ld", num(b, "tasks_failed"));
		cli_table_add(&t, cells);
	}
	cli_table_print(&t, ctx->out);
	cli_table_release(&t);
}

void cli_print_backfill_result(struct cli_ctx *ctx, const json_t *r)
{
	fprintf(ctx->out, "backfill %s: %s, %ld of %ld succeeded, %ld failed, "
		"%ld cancelled\n", cli_str(r, "backfill_id", "?"),
		cli_str(r, "status", "?"), num(r, "tasks_succeeded"),
		num(r, "tasks_total"), num(r, "tasks_failed"),
		num(r, "tasks_cancelled"));
}
