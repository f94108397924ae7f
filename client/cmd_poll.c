/*
 * The vibectl flows that take more than one call: `logs --follow` (polls
 * get_run and get_run_log, printing only new bytes, until the run is
 * final) and `backfill run|retry --wait` (executes with wait:false, then
 * polls get_backfill and draws progress). The daemon offers no push
 * channel, so polling every ctx->poll_interval is the contract here.
 */
#include "client/vibectl.h"

#include <string.h>

#include "proto/xalloc.h"

/* Statuses that may still change (runs and backfills). */
static bool status_final(const char *status)
{
	static const char *const live[] = {
		"queued", "pending", "running", "created", NULL
	};
	const char *const *s;

	for (s = live; *s; s++)
		if (strcmp(*s, status) == 0)
			return false;
	return true;
}

/* Prints the part of the log past *offset; the first time, the last TAIL
 * bytes (TAIL < 0: all of it). */
static void print_new_log(struct cli_ctx *ctx, const json_t *r, long tail,
			  size_t *offset, bool first)
{
	const json_t *log = json_object_get(r, "log");
	const char *text = json_string_value(log);
	size_t len = json_string_length(log), from = *offset;

	if (!text)
		return;
	if (first)
		from = tail >= 0 && len > (size_t)tail ? len - (size_t)tail : 0;
	else if (len < from)
		from = 0;	/* the log was cut (size cap): start over */
	fwrite(text + from, 1, len - from, ctx->out);
	fflush(ctx->out);
	*offset = len;
}

/* One round: the run's status, then the log (so a final status means the
 * log we print after it is complete). Returns the exit code; *ret_status
 * gets a new copy of the status. */
static int follow_round(struct cli_ctx *ctx, const json_t *params, long tail,
			size_t *offset, bool first, char **ret_status)
{
	json_t *run, *log;
	int rc;

	rc = cli_call(ctx, "get_run",
		      json_pack("{s:O}", "run_id",
				json_object_get(params, "run_id")), &run);
	if (rc != CLI_EXIT_OK)
		return rc;
	*ret_status = xstrdup(cli_str(run, "status", "?"));
	json_decref(run);
	rc = cli_call(ctx, "get_run_log", json_deep_copy(params), &log);
	if (rc != CLI_EXIT_OK)
		return rc;
	print_new_log(ctx, log, tail, offset, first);
	json_decref(log);
	return CLI_EXIT_OK;
}

int cli_run_logs(struct cli_ctx *ctx, const struct cli_cmd *cmd,
		 const struct cli_args *a, json_t *params)
{
	json_t *tail_v = json_object_get(params, "tail_bytes");
	long tail = tail_v ? (long)json_integer_value(tail_v) : -1;
	char *status = NULL;
	size_t offset = 0;
	bool first = true;
	int rc;

	if (!cli_flag(a, "follow"))
		return cli_call_print(ctx, cmd, params);
	/* Fetch whole logs and cut the tail here, so offsets stay valid. */
	json_object_del(params, "tail_bytes");
	for (;;) {
		free(status);
		status = NULL;
		rc = follow_round(ctx, params, tail, &offset, first, &status);
		first = false;
		if (rc != CLI_EXIT_OK || status_final(status))
			break;
		cli_poll_sleep(ctx);
	}
	if (rc == CLI_EXIT_OK && strcmp(status, "succeeded") != 0) {
		fprintf(ctx->err, "vibectl: run %s ended %s\n",
			cli_str(params, "run_id", "?"), status);
		rc = CLI_EXIT_DAEMON;
	}
	free(status);
	json_decref(params);
	return rc;
}

struct progress {
	struct timespec t0;
	long done0, last_done, last_failed;
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Draws BF's progress: redrawn in place on a terminal, else a line per
 * change. */
static void show_progress(struct cli_ctx *ctx, struct progress *p,
			  const json_t *bf)
{
	long ok = (long)json_integer_value(json_object_get(bf,
							   "tasks_succeeded"));
	long failed = (long)json_integer_value(json_object_get(bf,
							       "tasks_failed"));
	long cancelled = (long)json_integer_value(
		json_object_get(bf, "tasks_cancelled"));
	long total = (long)json_integer_value(json_object_get(bf,
							      "tasks_total"));
	long done = ok + failed + cancelled;
	double elapsed = seconds_since(&p->t0), rate = 0;
	char line[256];

	if (p->done0 < 0)
		p->done0 = done;
	if (elapsed > 0)
		rate = (double)(done - p->done0) / elapsed;
	cli_format_progress(done, total, failed, rate, line, sizeof(line));
	if (ctx->json)
		return;
	if (ctx->tty)
		fprintf(ctx->out, "\r%s\033[K", line);
	else if (done != p->last_done || failed != p->last_failed)
		fprintf(ctx->out, "%s\n", line);
	fflush(ctx->out);
	p->last_done = done;
	p->last_failed = failed;
}

/* Polls get_backfill until its status is final; *ret (new) the last. */
static int wait_backfill(struct cli_ctx *ctx, const char *id, json_t **ret)
{
	struct progress p = { .done0 = -1, .last_done = -1,
			      .last_failed = -1 };
	json_t *bf;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &p.t0);
	for (;;) {
		rc = cli_call(ctx, "get_backfill",
			      json_pack("{s:s}", "backfill_id", id), &bf);
		if (rc != CLI_EXIT_OK)
			break;
		show_progress(ctx, &p, bf);
		if (status_final(cli_str(bf, "status", "?"))) {
			*ret = bf;
			break;
		}
		json_decref(bf);
		cli_poll_sleep(ctx);
	}
	if (ctx->tty && !ctx->json)
		fputc('\n', ctx->out);
	return rc;
}

int cli_run_backfill_exec(struct cli_ctx *ctx, const struct cli_cmd *cmd,
			  const struct cli_args *a, json_t *params)
{
	char *id = xstrdup(cli_str(params, "backfill_id", "?"));
	json_t *result, *bf;
	long failed;
	int rc;

	if (!cli_flag(a, "wait")) {
		free(id);
		return cli_call_print(ctx, cmd, params);
	}
	rc = cli_call(ctx, cmd->method, params, &result);
	if (rc == CLI_EXIT_OK) {
		json_decref(result);
		rc = wait_backfill(ctx, id, &bf);
	}
	if (rc == CLI_EXIT_OK) {
		cli_emit(ctx, cli_print_backfill_result, bf);
		failed = (long)json_integer_value(json_object_get(bf,
							      "tasks_failed"));
		if (failed > 0) {
			fprintf(ctx->err, "vibectl: backfill %s: %ld task%s "
				"failed\n", id, failed, failed == 1 ? "" : "s");
			rc = CLI_EXIT_DAEMON;
		}
		json_decref(bf);
	}
	free(id);
	return rc;
}
