/*
 * vibectl's internal interface: the pieces of the client that turn argv
 * into a JSON-RPC request, the request into an answer over the control
 * socket, and the answer into text and an exit code (DESIGN §9). Everything
 * here except the socket calls is a pure function of its arguments, so the
 * unit tests drive it without a daemon. Knows jansson and proto/; never
 * libevent, daemon/ or store/ (make check-layering).
 */
#ifndef VIBE_VIBECTL_H
#define VIBE_VIBECTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <jansson.h>

/* Exit codes (docs/vibectl.md). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_DAEMON = 1,		/* the daemon answered with an error */
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_UNREACHABLE = 3,	/* no answer: connect failed, dropped */
};

/* Biggest answer line we accept: list results can be large. */
#define CLI_MAX_ANSWER_BYTES (64u * 1024 * 1024)
#define CLI_DEFAULT_TIMEOUT 30.0

struct cli_conn;

struct cli_ctx {
	FILE *in, *out, *err;	/* borrowed */
	bool json;		/* --json: print the result as JSON */
	bool tty;		/* out is a terminal: redraw progress bars */
	double timeout;		/* seconds per answer; 0: wait forever */
	double poll_interval;	/* seconds between polls (--follow, --wait) */
	char *socket_path;	/* new */
	time_t now;		/* "now" for relative times */
	struct cli_conn *conn;	/* new, opened by the first cli_call() */
};

/* Fills CTX with stdin/stdout/stderr, the time and the defaults. */
void cli_ctx_init(struct cli_ctx *ctx);
/* Closes the connection and frees what CTX owns. */
void cli_ctx_release(struct cli_ctx *ctx);

/* The whole program: ARGV as main() gets it. Returns the exit code. */
int vibectl_run(struct cli_ctx *ctx, int argc, char **argv);

/* ---- options (opts.c) ---------------------------------------------------- */

enum { CLI_FLAG = 0, CLI_ARG = 1, CLI_MULTI = 2 };

struct cli_opt {
	const char *name;	/* long name without "--"; NULL ends a table */
	char short_name;	/* 0: none */
	int kind;		/* CLI_FLAG, or CLI_ARG optionally | CLI_MULTI */
};

struct cli_optval {
	const char **vals;	/* new array of strings borrowed from argv */
	size_t n;		/* times given */
};

struct cli_args {
	const struct cli_opt *spec;	/* borrowed */
	struct cli_optval *v;		/* new, one per spec entry */
	const char **pos;		/* new array; strings borrowed */
	size_t npos;
	char **trail;			/* borrowed: the words after "--" */
	size_t ntrail;
	bool dashdash;			/* "--" was given */
	bool help;			/* --help or -h was given */
	bool json;			/* --json given after the command */
};

/* Parses ARGV[0..ARGC) (the words after the command name) against SPEC.
 * "--name value", "--name=value", "-x value"; "-" is a positional; "--"
 * ends the options. --help/-h and --json are known to every command. Returns 0, or -EINVAL with *cause (unknown option,
 * missing value, an option given twice). Release A either way. */
int cli_args_parse(struct cli_args *a, const struct cli_opt *spec, int argc,
		   char **argv, char **cause);
void cli_args_release(struct cli_args *a);
/* Last value of option NAME, or NULL when not given. */
const char *cli_arg(const struct cli_args *a, const char *name);
/* Times NAME was given; *ret_vals (borrowed; RET_VALS may be NULL) gets
 * its values. */
size_t cli_arg_all(const struct cli_args *a, const char *name,
		   const char *const **ret_vals);
bool cli_flag(const struct cli_args *a, const char *name);
/* Parses a decimal integer in [MIN, MAX]; WHAT names it in *cause. */
int cli_parse_long(const char *s, long min, long max, const char *what,
		   long *ret, char **cause);
/* If option OPT was given, sets OBJ[KEY] to its integer value. */
int cli_set_long(json_t *obj, const char *key, const struct cli_args *a,
		 const char *opt, long min, long max, char **cause);
/* If option OPT was given, sets OBJ[KEY] to its string value. */
void cli_set_str(json_t *obj, const char *key, const struct cli_args *a,
		 const char *opt);
/* Checks that option OPT, if given, is one of the NULL-ended CHOICES. */
int cli_check_choice(const struct cli_args *a, const char *opt,
		     const char *const *choices, char **cause);

/* ---- typed values (value.c) ---------------------------------------------- */

/* Types a command-line word: integers and decimals become numbers,
 * true/false booleans, null null, anything else a string. Returns new. */
json_t *cli_value_parse(const char *text);
/* Splits "KEY=VALUE" (typed) or "KEY:=JSON" (raw). Returns 0 with *ret_key
 * (new) and *ret_value (new), or -EINVAL with *cause. */
int cli_kv_parse(const char *arg, char **ret_key, json_t **ret_value,
		 char **cause);
/* Sets OBJ at dotted PATH ("a.b" -> {"a":{"b":…}}), creating objects on
 * the way and merging into existing ones. VALUE is stolen. Returns 0 or
 * -EINVAL with *cause (empty segment, a non-object in the way). */
int cli_obj_set_path(json_t *obj, const char *path, json_t *value,
		     char **cause);
/* Applies "KEY=VALUE" / "KEY:=JSON" words to OBJ with dotted keys. */
int cli_kv_apply(json_t *obj, const char *const *words, size_t n,
		 char **cause);
/* Reads a JSON object from FILE (or IN when FILE is "-"). WHAT names the
 * source in *cause. Returns 0 with *ret (new) or -EINVAL. */
int cli_read_json_object(const char *file, FILE *in, json_t **ret,
			 char **cause);

/* ---- add/update (schedule_args.c) ---------------------------------------- */

extern const struct cli_opt cli_schedule_opts[];
/* Builds the Schedule of DESIGN §3 from add/update arguments: either
 * -f FILE|- (a bare schedule or {"schedule":{…}}) or ID plus flags.
 * Returns 0 with *ret (new Schedule object) or -EINVAL with *cause. */
int cli_schedule_from_args(const struct cli_args *a, FILE *in, json_t **ret,
			   char **cause);

/* ---- time text (times.c) -------------------------------------------------- */

/* Parses RFC 3339 ("…Z" or "…±HH:MM", optional fraction). 0 or -EINVAL. */
int cli_parse_rfc3339(const char *s, time_t *ret);
/* "4h 12m", "1m 30s", "2d 3h", "0s": the two biggest units of SECS. */
void cli_format_duration(long secs, char *buf, size_t n);
/* "in 4h 12m", "5m ago", "now": WHEN relative to NOW. */
void cli_format_relative(time_t when, time_t now, char *buf, size_t n);
/* "2025-03-09T09:00:00.5-04:00" -> "2025-03-09 09:00-04:00" (SECONDS:
 * keep ":SS"). Copies S unchanged if it does not look like RFC 3339. */
void cli_format_instant(const char *s, bool seconds, char *buf, size_t n);

/* ---- tables (table.c) ----------------------------------------------------- */

struct cli_table {
	size_t ncols, nrows;
	char **cells;		/* new: (nrows + 1) * ncols, row 0 headers */
};

/* HEADERS is NULL-ended. */
void cli_table_init(struct cli_table *t, const char *const *headers);
/* Adds a row of ncols cells (copied; NULL prints as "-"). */
void cli_table_add(struct cli_table *t, const char *const *cells);
/* Columns as wide as their widest cell, two spaces apart, the last one
 * unpadded. */
void cli_table_print(const struct cli_table *t, FILE *out);
void cli_table_release(struct cli_table *t);

/* ---- human output (print.c, print_runs.c) -------------------------------- */

/* A string member of OBJ, or DEF when missing or not a string. */
const char *cli_str(const json_t *obj, const char *key, const char *def);
/* "0 9 * * *", "every 1h", "on data_available". */
void cli_schedule_summary(const json_t *schedule, char *buf, size_t n);
/* "2025-03-09 09:00-04:00 (in 4h 12m)" or "-". */
void cli_next_fire(const json_t *schedule, time_t now, char *buf, size_t n);
/* One line for trigger_event's result. */
void cli_format_event_result(const json_t *result, char *buf, size_t n);
/* "[#####-----] 12/31 done, 1 failed, 2.3/s, ETA 8s" (RATE <= 0: no ETA). */
void cli_format_progress(long done, long total, long failed, double rate,
			 char *buf, size_t n);

void cli_print_ping(struct cli_ctx *ctx, const json_t *r);
void cli_print_running(struct cli_ctx *ctx, const json_t *r);
void cli_print_status(struct cli_ctx *ctx, const json_t *r);
void cli_print_added(struct cli_ctx *ctx, const json_t *r);
void cli_print_updated(struct cli_ctx *ctx, const json_t *r);
void cli_print_paused(struct cli_ctx *ctx, const json_t *r);
void cli_print_resumed(struct cli_ctx *ctx, const json_t *r);
void cli_print_deleted(struct cli_ctx *ctx, const json_t *r);
void cli_print_schedule(struct cli_ctx *ctx, const json_t *r);
void cli_print_schedules(struct cli_ctx *ctx, const json_t *r);
void cli_print_next(struct cli_ctx *ctx, const json_t *r);
void cli_print_event_result(struct cli_ctx *ctx, const json_t *r);
void cli_print_triggered(struct cli_ctx *ctx, const json_t *r);
void cli_print_events(struct cli_ctx *ctx, const json_t *r);
void cli_print_event(struct cli_ctx *ctx, const json_t *r);
void cli_print_runs(struct cli_ctx *ctx, const json_t *r);
void cli_print_run(struct cli_ctx *ctx, const json_t *r);
void cli_print_log(struct cli_ctx *ctx, const json_t *r);
void cli_print_cancelled_run(struct cli_ctx *ctx, const json_t *r);
void cli_print_backfill_created(struct cli_ctx *ctx, const json_t *r);
void cli_print_backfill(struct cli_ctx *ctx, const json_t *r);
void cli_print_backfills(struct cli_ctx *ctx, const json_t *r);
void cli_print_backfill_result(struct cli_ctx *ctx, const json_t *r);

/* ---- talking to the daemon (conn.c) --------------------------------------- */

/* Sends METHOD with PARAMS (stolen, may be NULL) and waits for the answer.
 * Returns CLI_EXIT_OK with *ret_result (new; json null for a null result),
 * or prints the failure to ctx->err ("vibectl: …") and returns
 * CLI_EXIT_DAEMON or CLI_EXIT_UNREACHABLE. */
int cli_call(struct cli_ctx *ctx, const char *method, json_t *params,
	     json_t **ret_result);
void cli_conn_free(struct cli_conn *c);
/* Prints an error object's message and data.field; for tests too. */
void cli_print_rpc_error(FILE *err, const json_t *error);
/* Sleeps ctx->poll_interval seconds. */
void cli_poll_sleep(const struct cli_ctx *ctx);

/* ---- the command table (commands.c, cmd_*.c) ------------------------------ */

struct cli_cmd;
typedef int (*cli_build_fn)(struct cli_ctx *ctx, const struct cli_args *a,
			    json_t **ret_params, char **cause);
typedef void (*cli_print_fn)(struct cli_ctx *ctx, const json_t *result);
/* A command with its own flow (polling): returns the exit code. PARAMS is
 * stolen. */
typedef int (*cli_run_fn)(struct cli_ctx *ctx, const struct cli_cmd *cmd,
			  const struct cli_args *a, json_t *params);

struct cli_cmd {
	const char *group;		/* "backfill", or NULL */
	const char *name;
	const char *method;		/* NULL: local (help) */
	const struct cli_opt *opts;	/* NULL: no options */
	int min_pos, max_pos;		/* positional words; max -1: any */
	cli_build_fn build;		/* NULL: params {} */
	cli_print_fn print;
	cli_run_fn run;			/* NULL: one call, then print */
	const char *usage;		/* after "vibectl " */
	const char *summary;		/* one line for `vibectl --help` */
	const char *help;		/* details and examples */
};

extern const struct cli_cmd cli_commands[];
/* Finds the command for ARGV (ARGC words: "list", "backfill create", …).
 * Returns it and the words it used in *ret_used, or NULL. */
const struct cli_cmd *cli_cmd_find(int argc, char **argv, int *ret_used);
/* Parses ARGV (after the command words) and builds the params of CMD.
 * Returns 0 with *ret_params (new) and *a (release it), 1 if --help was
 * asked, or -EINVAL with *cause (a usage error). */
int cli_cmd_build(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc,
		  char **argv, struct cli_args *a, json_t **ret_params,
		  char **cause);
void cli_cmd_print_help(const struct cli_cmd *cmd, FILE *out);
/* Prints RESULT: pretty JSON with --json, else with PRINT. */
void cli_emit(struct cli_ctx *ctx, cli_print_fn print, const json_t *result);
/* One call of CMD's method with PARAMS (stolen), then cli_emit(). Returns
 * the exit code. */
int cli_call_print(struct cli_ctx *ctx, const struct cli_cmd *cmd,
		   json_t *params);
void cli_print_commands(FILE *out);

/* Flows with several calls (cmd_poll.c). */
int cli_run_logs(struct cli_ctx *ctx, const struct cli_cmd *cmd,
		 const struct cli_args *a, json_t *params);
int cli_run_backfill_exec(struct cli_ctx *ctx, const struct cli_cmd *cmd,
			  const struct cli_args *a, json_t *params);

#endif
