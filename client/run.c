/*
 * vibectl's dispatcher: global options, looking a command up in the table,
 * help and usage errors, then one call and its printer (or the command's
 * own flow). Owns the exit code policy of docs/vibectl.md; knows nothing of
 * a particular command.
 */
#include "client/vibectl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/defaults.h"
#include "proto/xalloc.h"

static const char global_usage[] =
	"usage: vibectl [--socket PATH] [--json] [--timeout SECONDS] "
	"COMMAND [ARGS]\n";

void cli_ctx_init(struct cli_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->in = stdin;
	ctx->out = stdout;
	ctx->err = stderr;
	ctx->tty = isatty(STDOUT_FILENO) == 1;
	ctx->timeout = CLI_DEFAULT_TIMEOUT;
	ctx->poll_interval = 0.5;
	ctx->now = time(NULL);
}

void cli_ctx_release(struct cli_ctx *ctx)
{
	cli_conn_free(ctx->conn);
	ctx->conn = NULL;
	free(ctx->socket_path);
	ctx->socket_path = NULL;
}

static bool cmd_is_group(const char *word)
{
	const struct cli_cmd *c;

	for (c = cli_commands; c->name; c++)
		if (c->group && strcmp(c->group, word) == 0)
			return true;
	return false;
}

const struct cli_cmd *cli_cmd_find(int argc, char **argv, int *ret_used)
{
	const struct cli_cmd *c;

	if (argc < 1)
		return NULL;
	for (c = cli_commands; c->name; c++) {
		if (!c->group && strcmp(c->name, argv[0]) == 0) {
			*ret_used = 1;
			return c;
		}
		if (c->group && argc >= 2 && strcmp(c->group, argv[0]) == 0 &&
		    strcmp(c->name, argv[1]) == 0) {
			*ret_used = 2;
			return c;
		}
	}
	return NULL;
}

void cli_print_commands(FILE *out)
{
	const struct cli_cmd *c;
	char name[64];

	for (c = cli_commands; c->name; c++) {
		snprintf(name, sizeof(name), "%s%s%s", c->group ? c->group : "",
			 c->group ? " " : "", c->name);
		fprintf(out, "  %-17s %s\n", name, c->summary);
	}
}

void cli_cmd_print_help(const struct cli_cmd *cmd, FILE *out)
{
	fprintf(out, "usage: vibectl %s\n\n%s.\n\n%s", cmd->usage,
		cmd->summary, cmd->help);
}

static void print_global_help(FILE *out)
{
	fprintf(out, "%s\nGlobal options:\n"
		"  --socket PATH       control socket (default: "
		"$VIBE_SCHEDD_SOCKET, else the\n"
		"                      daemon's default for your uid)\n"
		"  --json              print the daemon's JSON result\n"
		"  --timeout SECONDS   wait this long for an answer "
		"(default %g; 0: forever)\n"
		"  --version, --help\n\nCommands:\n", global_usage,
		CLI_DEFAULT_TIMEOUT);
	cli_print_commands(out);
	fprintf(out, "\nRun `vibectl help COMMAND` for its options and "
		"examples.\nExit codes: 0 ok, 1 error answered by the daemon, "
		"2 usage error,\n3 daemon unreachable or no answer.\n");
}

static int usage_error(struct cli_ctx *ctx, const struct cli_cmd *cmd,
		       const char *cause)
{
	fprintf(ctx->err, "vibectl: %s\n", cause);
	if (cmd)
		fprintf(ctx->err, "usage: vibectl %s\nRun `vibectl help %s%s%s` "
			"for details.\n", cmd->usage,
			cmd->group ? cmd->group : "", cmd->group ? " " : "",
			cmd->name);
	else
		fprintf(ctx->err, "%sRun `vibectl --help` for the commands.\n",
			global_usage);
	return CLI_EXIT_USAGE;
}

/* Checks the positional word count against the table. */
static int check_positionals(const struct cli_cmd *cmd,
			     const struct cli_args *a, char **cause)
{
	if ((int)a->npos < cmd->min_pos) {
		*cause = xasprintf("%s: missing argument", cmd->name);
		return -EINVAL;
	}
	if (cmd->max_pos >= 0 && (int)a->npos > cmd->max_pos) {
		*cause = xasprintf("%s: unexpected argument '%s'", cmd->name,
				   a->pos[cmd->max_pos]);
		return -EINVAL;
	}
	return 0;
}

int cli_cmd_build(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc,
		  char **argv, struct cli_args *a, json_t **ret_params,
		  char **cause)
{
	size_t i;
	int r;

	r = cli_args_parse(a, cmd->opts, argc, argv, cause);
	if (r < 0)
		return r;
	if (a->help)
		return 1;
	/* Only add/update give "--" a meaning; elsewhere the words after it
	 * are plain arguments (an event key that starts with '-'). */
	if (cmd->opts != cli_schedule_opts) {
		for (i = 0; i < a->ntrail; i++)
			a->pos[a->npos++] = a->trail[i];
		a->ntrail = 0;
	}
	r = check_positionals(cmd, a, cause);
	if (r < 0)
		return r;
	*ret_params = NULL;
	return cmd->build ? cmd->build(ctx, a, ret_params, cause) : 0;
}

void cli_emit(struct cli_ctx *ctx, cli_print_fn print, const json_t *result)
{
	if (ctx->json || !print) {
		json_dumpf(result, ctx->out, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fputc('\n', ctx->out);
	} else {
		print(ctx, result);
	}
	fflush(ctx->out);
}

int cli_call_print(struct cli_ctx *ctx, const struct cli_cmd *cmd,
		   json_t *params)
{
	json_t *result;
	int rc = cli_call(ctx, cmd->method, params, &result);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_emit(ctx, cmd->print, result);
	json_decref(result);
	return CLI_EXIT_OK;
}

/* `help [COMMAND [SUB]]`. */
static int do_help(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_cmd *c;
	int used;

	if (argc == 0 || argv[0][0] == '-') {
		print_global_help(ctx->out);
		return CLI_EXIT_OK;
	}
	if (argc == 1 && cmd_is_group(argv[0])) {
		for (c = cli_commands; c->name; c++)
			if (c->group && strcmp(c->group, argv[0]) == 0)
				fprintf(ctx->out, "usage: vibectl %s\n",
					c->usage);
		return CLI_EXIT_OK;
	}
	c = cli_cmd_find(argc, argv, &used);
	if (!c || used != argc) {
		fprintf(ctx->err, "vibectl: no command '%s%s%s'\n", argv[0],
			argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		cli_print_commands(ctx->err);
		return CLI_EXIT_USAGE;
	}
	cli_cmd_print_help(c, ctx->out);
	return CLI_EXIT_OK;
}

/* "backfill" alone or with an unknown subcommand. */
static int group_error(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
			 strcmp(argv[1], "-h") == 0 ||
			 strcmp(argv[1], "help") == 0)) {
		for (c = cli_commands; c->name; c++)
			if (c->group && strcmp(c->group, argv[0]) == 0)
				fprintf(ctx->out, "usage: vibectl %s\n",
					c->usage);
		return CLI_EXIT_OK;
	}
	fprintf(ctx->err, "vibectl: %s: %s\n", argv[0],
		argc > 1 ? "unknown subcommand" : "missing subcommand");
	for (c = cli_commands; c->name; c++)
		if (c->group && strcmp(c->group, argv[0]) == 0)
			fprintf(ctx->err, "usage: vibectl %s\n", c->usage);
	return CLI_EXIT_USAGE;
}

/* A global option's value: "--opt=V" or "--opt V". */
static const char *global_value(int argc, char **argv, int *i,
				const char *opt)
{
	size_t len = strlen(opt);

	if (strncmp(argv[*i], opt, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int set_timeout(struct cli_ctx *ctx, const char *s, char **cause)
{
	char *end;
	double t;

	errno = 0;
	t = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(t) || t < 0 || t > 86400 * 365) {
		*cause = xasprintf("--timeout: expected seconds >= 0, got '%s'",
				   s);
		return -EINVAL;
	}
	ctx->timeout = t;
	return 0;
}

/* Parses the options before COMMAND; returns the command's index, or -1
 * with *rc set (help, version, usage error). */
static int parse_globals(struct cli_ctx *ctx, int argc, char **argv, int *rc)
{
	char *cause = NULL;
	const char *v;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			ctx->json = true;
		} else if ((v = global_value(argc, argv, &i, "--socket"))) {
			free(ctx->socket_path);
			ctx->socket_path = xstrdup(v);
		} else if ((v = global_value(argc, argv, &i, "--timeout"))) {
			if (set_timeout(ctx, v, &cause) < 0)
				goto usage;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_global_help(ctx->out);
			*rc = CLI_EXIT_OK;
			return -1;
		} else if (strcmp(argv[i], "--version") == 0) {
			fprintf(ctx->out, "vibectl %s\n", VIBE_VERSION);
			*rc = CLI_EXIT_OK;
			return -1;
		} else {
			cause = xasprintf("unknown or incomplete option %s",
					  argv[i]);
			goto usage;
		}
	}
	if (i < argc)
		return i;
	cause = xstrdup("missing COMMAND");
usage:
	*rc = usage_error(ctx, NULL, cause);
	free(cause);
	return -1;
}

static int run_command(struct cli_ctx *ctx, const struct cli_cmd *cmd,
		       int argc, char **argv)
{
	struct cli_args a;
	json_t *params = NULL;
	char *cause = NULL;
	int r, rc;

	if (!cmd->method)
		return do_help(ctx, argc, argv);
	r = cli_cmd_build(ctx, cmd, argc, argv, &a, &params, &cause);
	if (a.json)
		ctx->json = true;
	if (r == 1) {
		cli_cmd_print_help(cmd, ctx->out);
		rc = CLI_EXIT_OK;
	} else if (r < 0) {
		rc = usage_error(ctx, cmd, cause);
	} else if (cmd->run) {
		rc = cmd->run(ctx, cmd, &a, params);
	} else {
		rc = cli_call_print(ctx, cmd, params);
	}
	free(cause);
	cli_args_release(&a);
	return rc;
}

int vibectl_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_cmd *cmd;
	int i, used, rc = CLI_EXIT_OK;

	i = parse_globals(ctx, argc, argv, &rc);
	if (i < 0)
		return rc;
	if (!ctx->socket_path)
		ctx->socket_path = default_socket_path(getuid());
	cmd = cli_cmd_find(argc - i, argv + i, &used);
	if (!cmd && cmd_is_group(argv[i]))
		return group_error(ctx, argc - i, argv + i);
	if (!cmd) {
		char *cause = xasprintf("unknown command '%s'", argv[i]);

		rc = usage_error(ctx, NULL, cause);
		free(cause);
		return rc;
	}
	return run_command(ctx, cmd, argc - i - used, argv + i + used);
}
