/*
 * Unit tests of vibectl (client/): typed event values, the add/update
 * Schedule builder (the seed's three schedules among them), time text,
 * tables and printers, usage errors (exit 2), and the exit codes of a real
 * socket exchange against a scripted fake daemon forked per test (0, 1, 3,
 * logs --follow, backfill run --wait). No real daemon is needed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/vibectl.h"
#include "proto/frame.h"
#include "proto/jsonrpc.h"

#define NOW ((time_t)1741510080)	/* 2025-03-09T08:48:00Z */

/* ---- helpers -------------------------------------------------------------- */

struct capture {
	struct cli_ctx ctx;
	char *out, *err;
	size_t out_len, err_len;
	FILE *in;
};

static void capture_init(struct capture *c, const char *input)
{
	memset(c, 0, sizeof(*c));
	cli_ctx_init(&c->ctx);
	c->ctx.out = open_memstream(&c->out, &c->out_len);
	c->ctx.err = open_memstream(&c->err, &c->err_len);
	c->in = fmemopen((void *)(input ? input : ""),
			 input ? strlen(input) : 0, "r");
	c->ctx.in = c->in;
	c->ctx.tty = false;
	c->ctx.now = NOW;
	c->ctx.poll_interval = 0.01;
	c->ctx.timeout = 5;
}

static void capture_done(struct capture *c)
{
	fclose(c->ctx.out);
	fclose(c->ctx.err);
	fclose(c->in);
}

static void capture_free(struct capture *c)
{
	cli_ctx_release(&c->ctx);
	free(c->out);
	free(c->err);
}

/* Runs vibectl with the NULL-ended words after "vibectl". */
static int run_words(struct capture *c, const char *input, ...)
{
	char *argv[64];
	int argc = 0, rc;
	va_list ap;

	capture_init(c, input);
	argv[argc++] = (char *)"vibectl";
	va_start(ap, input);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	rc = vibectl_run(&c->ctx, argc, argv);
	capture_done(c);
	return rc;
}

/* Builds the params of a command from words: name, then arguments. */
static int build(const char *input, json_t **ret, char **cause, ...)
{
	char *argv[64];
	int argc = 0, used, r;
	const struct cli_cmd *cmd;
	struct cli_args a;
	struct capture c;
	va_list ap;

	va_start(ap, cause);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	capture_init(&c, input);
	cmd = cli_cmd_find(argc, argv, &used);
	assert_non_null(cmd);
	*ret = NULL;
	*cause = NULL;
	r = cli_cmd_build(&c.ctx, cmd, argc - used, argv + used, &a, ret,
			  cause);
	cli_args_release(&a);
	capture_done(&c);
	capture_free(&c);
	return r;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_error_t e;
	json_t *want = json_loads(want_text, JSON_DECODE_ANY, &e);
	char *g;

	assert_non_null(want);
	if (!json_equal((json_t *)got, want)) {
		g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS |
			       JSON_ENCODE_ANY);
		fprintf(stderr, "got:  %s\nwant: %s\n", g, want_text);
		free(g);
		fail();
	}
	json_decref(want);
}

/* ---- typed values --------------------------------------------------------- */

static void check_value(const char *word, const char *want)
{
	json_t *v = cli_value_parse(word);

	assert_json(v, want);
	json_decref(v);
}

static void test_value_typing(void **state)
{
	(void)state;
	check_value("42", "42");
	check_value("-7", "-7");
	check_value("0", "0");
	check_value("3.5", "3.5");
	check_value("-0.25", "-0.25");
	check_value("1e3", "1000.0");
	check_value("true", "true");
	check_value("false", "false");
	check_value("null", "null");
	check_value("007", "\"007\"");
	check_value("1.", "\"1.\"");
	check_value(".5", "\".5\"");
	check_value("-", "\"-\"");
	check_value("", "\"\"");
	check_value("True", "\"True\"");
	check_value("12abc", "\"12abc\"");
	check_value("/data/x.csv", "\"/data/x.csv\"");
	check_value("1e999", "\"1e999\"");
	check_value("99999999999999999999", "1e20");
}

static void test_kv_parse(void **state)
{
	char *key, *cause = NULL;
	json_t *v;

	(void)state;
	assert_int_equal(cli_kv_parse("rows=12", &key, &v, &cause), 0);
	assert_string_equal(key, "rows");
	assert_json(v, "12");
	free(key);
	json_decref(v);
	assert_int_equal(cli_kv_parse("tags:=[\"a\",1]", &key, &v, &cause), 0);
	assert_string_equal(key, "tags");
	assert_json(v, "[\"a\",1]");
	free(key);
	json_decref(v);
	assert_int_equal(cli_kv_parse("s:=\"x\"", &key, &v, &cause), 0);
	assert_json(v, "\"x\"");
	free(key);
	json_decref(v);
	assert_int_equal(cli_kv_parse("path=a=b", &key, &v, &cause), 0);
	assert_json(v, "\"a=b\"");
	free(key);
	json_decref(v);
	assert_int_equal(cli_kv_parse("x:={bad", &key, &v, &cause), -EINVAL);
	assert_non_null(strstr(cause, "bad JSON"));
	free(cause);
	cause = NULL;
	assert_int_equal(cli_kv_parse("=1", &key, &v, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	assert_int_equal(cli_kv_parse("novalue", &key, &v, &cause), -EINVAL);
	assert_non_null(strstr(cause, "KEY=VALUE"));
	free(cause);
}

static void test_dotted_paths(void **state)
{
	static const char *const ok[] = { "a.b=1", "a.c=x", "d=true",
					  "a.e:={\"f\":null}" };
	static const char *const clash[] = { "a=1", "a.b=2" };
	json_t *obj = json_object();
	char *cause = NULL;

	(void)state;
	assert_int_equal(cli_kv_apply(obj, ok, 4, &cause), 0);
	assert_json(obj, "{\"a\":{\"b\":1,\"c\":\"x\",\"e\":{\"f\":null}},"
		    "\"d\":true}");
	json_decref(obj);
	obj = json_object();
	assert_int_equal(cli_kv_apply(obj, clash, 2, &cause), -EINVAL);
	assert_non_null(strstr(cause, "non-object"));
	free(cause);
	cause = NULL;
	assert_int_equal(cli_obj_set_path(obj, "x..y", json_true(), &cause),
			 -EINVAL);
	free(cause);
	cause = NULL;
	assert_int_equal(cli_obj_set_path(obj, "x.", json_true(), &cause),
			 -EINVAL);
	free(cause);
	json_decref(obj);
}

static void test_event_params(void **state)
{
	json_t *p;
	char *cause;

	(void)state;
	assert_int_equal(build(NULL, &p, &cause, "event", "data_available",
			       "path=/data/x.csv", "rows=120", "meta.kind=csv",
			       "final=true", NULL), 0);
	assert_json(p, "{\"event_type\":\"data_available\",\"source\":"
		    "\"vibectl\",\"event_data\":{\"path\":\"/data/x.csv\","
		    "\"rows\":120,\"meta\":{\"kind\":\"csv\"},\"final\":true}}");
	json_decref(p);
	assert_int_equal(build(NULL, &p, &cause, "event", "t", "--data",
			       "{\"x\":1,\"y\":{\"z\":2}}", "y.w=3", "--source",
			       "etl", NULL), 0);
	assert_json(p, "{\"event_type\":\"t\",\"source\":\"etl\","
		    "\"event_data\":{\"x\":1,\"y\":{\"z\":2,\"w\":3}}}");
	json_decref(p);
	assert_int_equal(build("{\"a\":{\"b\":1}}", &p, &cause, "event", "t",
			       "-", "a.c=2", NULL), 0);
	assert_json(p, "{\"event_type\":\"t\",\"source\":\"vibectl\","
		    "\"event_data\":{\"a\":{\"b\":1,\"c\":2}}}");
	json_decref(p);
}

/* CAUSE is read only after R was computed (argument order). */
static void expect_usage(int r, char **cause, const char *needle)
{
	assert_int_equal(r, -EINVAL);
	assert_non_null(*cause);
	if (!strstr(*cause, needle)) {
		fprintf(stderr, "cause '%s' lacks '%s'\n", *cause, needle);
		fail();
	}
	free(*cause);
	*cause = NULL;
}

static void test_event_usage_errors(void **state)
{
	json_t *p;
	char *cause;
	int r;

	(void)state;
	r = build(NULL, &p, &cause, "event", "t", "--data", "[1,2]", NULL);
	expect_usage(r, &cause, "expected a JSON object");
	r = build(NULL, &p, &cause, "event", "t", "--data", "{oops", NULL);
	expect_usage(r, &cause, "bad JSON");
	r = build("42", &p, &cause, "event", "t", "-", NULL);
	expect_usage(r, &cause, "expected a JSON object");
	r = build("{}", &p, &cause, "event", "t", "-", "--data", "{}", NULL);
	expect_usage(r, &cause, "at most one");
	r = build(NULL, &p, &cause, "event", "t", "x:=[", NULL);
	expect_usage(r, &cause, "bad JSON");
	r = build(NULL, &p, &cause, "event", "t", "--data-file",
		  "/nonexistent/x.json", NULL);
	expect_usage(r, &cause, "cannot open");
	r = build(NULL, &p, &cause, "event", NULL);
	expect_usage(r, &cause, "missing argument");
}

/* ---- add / update --------------------------------------------------------- */

static void test_add_seed_cron(void **state)
{
	json_t *p;
	char *cause;

	(void)state;
	assert_int_equal(build(NULL, &p, &cause, "add", "daily_report",
			       "--name", "Daily Report", "--cron", "0 9 * * *",
			       "--description", "Generate daily report at 9 AM",
			       "--tz", "America/New_York", "--pipeline",
			       "report_pipeline", NULL), 0);
	assert_json(p, "{\"schedule\":{\"schedule_id\":\"daily_report\","
		    "\"name\":\"Daily Report\",\"schedule_type\":\"cron\","
		    "\"schedule_definition\":{\"cron_expression\":\"0 9 * * *\","
		    "\"description\":\"Generate daily report at 9 AM\"},"
		    "\"asset_graph\":{\"name\":\"report_pipeline\"},"
		    "\"timezone\":\"America/New_York\"}}");
	json_decref(p);
}

static void test_add_seed_interval(void **state)
{
	json_t *p;
	char *cause;

	(void)state;
	assert_int_equal(build(NULL, &p, &cause, "add", "hourly_sync",
			       "--name", "Hourly Data Sync", "--every", "1h",
			       "--description", "Sync data every hour", "--tz",
			       "UTC", "--pipeline", "sync_pipeline", NULL), 0);
	assert_json(p, "{\"schedule\":{\"schedule_id\":\"hourly_sync\","
		    "\"name\":\"Hourly Data Sync\",\"schedule_type\":"
		    "\"interval\",\"schedule_definition\":{\"interval\":\"1h\","
		    "\"description\":\"Sync data every hour\"},\"asset_graph\":"
		    "{\"name\":\"sync_pipeline\"},\"timezone\":\"UTC\"}}");
	json_decref(p);
}

static void test_add_seed_event(void **state)
{
	json_t *p;
	char *cause;

	(void)state;
	assert_int_equal(build(NULL, &p, &cause, "add", "data_arrival",
			       "--name", "Process New Data", "--on",
			       "data_available", "--debounce", "60",
			       "--description",
			       "Process data when new data arrives", "--tz",
			       "UTC", "--pipeline", "process_pipeline", NULL),
			 0);
	assert_json(p, "{\"schedule\":{\"schedule_id\":\"data_arrival\","
		    "\"name\":\"Process New Data\",\"schedule_type\":\"event\","
		    "\"schedule_definition\":{\"event_type\":\"data_available\","
		    "\"debounce_seconds\":60,\"description\":"
		    "\"Process data when new data arrives\"},\"asset_graph\":"
		    "{\"name\":\"process_pipeline\"},\"timezone\":\"UTC\"}}");
	json_decref(p);
}

static void test_add_event_options(void **state)
{
	json_t *p;
	char *cause;

	(void)state;
	assert_int_equal(build(NULL, &p, &cause, "update", "ev", "--on", "up",
			       "--debounce-mode", "trailing", "--filter",
			       "meta.kind=csv", "--filter",
			       "file:={\"glob\":\"*.csv\"}", "--filter", "n=3",
			       "--accept-from", "alice", "--accept-from", "bob",
			       "--overlap", "skip", "--catchup", "latest",
			       "--start-time", "2025-01-01", "--end-time",
			       "2026-01-01T00:00:00Z", "--paused", "--pipeline",
			       "p", NULL), 0);
	assert_json(p, "{\"schedule\":{\"schedule_id\":\"ev\",\"name\":\"ev\","
		    "\"schedule_type\":\"event\",\"schedule_definition\":{"
		    "\"event_type\":\"up\",\"debounce_mode\":\"trailing\","
		    "\"filter\":{\"meta.kind\":\"csv\",\"file\":{\"glob\":"
		    "\"*.csv\"},\"n\":3},\"accept_from\":[\"alice\",\"bob\"]},"
		    "\"asset_graph\":{\"name\":\"p\"},\"overlap\":\"skip\","
		    "\"catchup\":\"latest\",\"start_time\":\"2025-01-01\","
		    "\"end_time\":\"2026-01-01T00:00:00Z\",\"status\":"
		    "\"paused\"}}");
	json_decref(p);
}

static void test_add_command(void **state)
{
	json_t *p;
	char *cause;

	(void)state;
	assert_int_equal(build(NULL, &p, &cause, "add", "backup", "--cron",
			       "30 2 * * *", "--timeout", "600", "--retries",
			       "2", "--retry-delay", "30", "--env", "A=1",
			       "--env", "B=x=y", "--workdir", "/srv", "--",
			       "/usr/bin/rsync", "-a", "--delete", "/srv",
			       NULL), 0);
	assert_json(p, "{\"schedule\":{\"schedule_id\":\"backup\",\"name\":"
		    "\"backup\",\"schedule_type\":\"cron\","
		    "\"schedule_definition\":{\"cron_expression\":"
		    "\"30 2 * * *\"},\"asset_graph\":{\"name\":\"backup\","
		    "\"assets\":[{\"name\":\"main\",\"command\":["
		    "\"/usr/bin/rsync\",\"-a\",\"--delete\",\"/srv\"],"
		    "\"timeout_seconds\":600,\"retries\":2,"
		    "\"retry_delay_seconds\":30,\"env\":{\"A\":\"1\",\"B\":"
		    "\"x=y\"},\"working_dir\":\"/srv\"}]}}}");
	json_decref(p);
	/* One word: a shell command line for /bin/sh -c. */
	assert_int_equal(build(NULL, &p, &cause, "add", "tidy", "--every",
			       "1d", "--", "find /tmp/x -mtime +7 -delete",
			       NULL), 0);
	assert_json(json_object_get(json_object_get(p, "schedule"),
				    "asset_graph"),
		    "{\"name\":\"tidy\",\"assets\":[{\"name\":\"main\","
		    "\"command\":\"find /tmp/x -mtime +7 -delete\"}]}");
	json_decref(p);
}

static void test_add_file(void **state)
{
	json_t *p;
	char *cause;

	(void)state;
	assert_int_equal(build("{\"schedule\":{\"schedule_id\":\"a\"}}", &p,
			       &cause, "add", "-f", "-", NULL), 0);
	assert_json(p, "{\"schedule\":{\"schedule_id\":\"a\"}}");
	json_decref(p);
	assert_int_equal(build("{\"schedule_id\":\"b\",\"name\":\"B\"}", &p,
			       &cause, "add", "--file=-", NULL), 0);
	assert_json(p, "{\"schedule\":{\"schedule_id\":\"b\",\"name\":\"B\"}}");
	json_decref(p);
	expect_usage(build("[]", &p, &cause, "add", "-f", "-", NULL), &cause,
		     "expected a JSON object");
	expect_usage(build("{}", &p, &cause, "add", "x", "-f", "-", NULL),
		     &cause, "-f FILE takes no ID");
}

static void test_add_usage_errors(void **state)
{
	json_t *p;
	char *cause;

	(void)state;
	expect_usage(build(NULL, &p, &cause, "add", "x", "--pipeline", "p",
			   NULL), &cause, "exactly one of");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--cron", "* * * * *",
			   "--every", "1h", "--pipeline", "p", NULL), &cause,
		     "exactly one of");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--cron", "* * * * *",
			   NULL), &cause, "give what to run");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--cron", "* * * * *",
			   "--pipeline", "p", "--", "true", NULL), &cause,
		     "not both");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--cron", "* * * * *",
			   "--debounce", "5", "--pipeline", "p", NULL), &cause,
		     "--debounce applies to event schedules");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--cron", "* * * * *",
			   "--retries", "2", "--pipeline", "p", NULL), &cause,
		     "--retries applies to -- COMMAND");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--on", "e",
			   "--debounce", "soon", "--pipeline", "p", NULL),
		     &cause, "--debounce: expected an integer");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--on", "e",
			   "--overlap", "maybe", "--pipeline", "p", NULL),
		     &cause, "--overlap: expected one of queue, skip");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--every", "1h",
			   "--env", "NOEQ", "--", "true", NULL), &cause,
		     "--env 'NOEQ'");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--every", "1h",
			   "--bogus", "--", "true", NULL), &cause,
		     "unknown option --bogus");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--every", NULL),
		     &cause, "needs a value");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--every", "1h",
			   "--every", "2h", "--pipeline", "p", NULL), &cause,
		     "more than once");
	expect_usage(build(NULL, &p, &cause, "add", "--cron", "* * * * *",
			   "--pipeline", "p", NULL), &cause, "missing the");
	expect_usage(build(NULL, &p, &cause, "add", "x", "--paused=yes",
			   NULL), &cause, "takes no value");
}

static void test_other_params(void **state)
{
	json_t *p;
	char *cause;

	(void)state;
	assert_int_equal(build(NULL, &p, &cause, "next", "--cron", "0 9 * * *",
			       "--tz", "UTC", "--count", "3", NULL), 0);
	assert_json(p, "{\"cron_expression\":\"0 9 * * *\",\"timezone\":"
		    "\"UTC\",\"count\":3}");
	json_decref(p);
	assert_int_equal(build(NULL, &p, &cause, "next", "d", "-n", "2", NULL),
			 0);
	assert_json(p, "{\"schedule_id\":\"d\",\"count\":2}");
	json_decref(p);
	expect_usage(build(NULL, &p, &cause, "next", NULL), &cause,
		     "give a schedule ID");
	expect_usage(build(NULL, &p, &cause, "next", "d", "--cron", "x", NULL),
		     &cause, "give a schedule ID");
	expect_usage(build(NULL, &p, &cause, "next", "d", "--count", "0",
			   NULL), &cause, "--count");
	assert_int_equal(build(NULL, &p, &cause, "runs", "d", "--status",
			       "failed", "--limit", "5", NULL), 0);
	assert_json(p, "{\"schedule_id\":\"d\",\"status\":\"failed\","
		    "\"limit\":5}");
	json_decref(p);
	assert_int_equal(build(NULL, &p, &cause, "backfill", "create", "d",
			       "--start", "2025-01-01", "--end", "2025-01-31",
			       "--max-parallel", "4", "--dry-run", NULL), 0);
	assert_json(p, "{\"schedule_id\":\"d\",\"start_date\":\"2025-01-01\","
		    "\"end_date\":\"2025-01-31\",\"parallel\":true,"
		    "\"max_parallel\":4,\"dry_run\":true}");
	json_decref(p);
	expect_usage(build(NULL, &p, &cause, "backfill", "create", "d",
			   "--start", "2025-01-01", NULL), &cause, "--end");
	assert_int_equal(build(NULL, &p, &cause, "backfill", "run", "bf1",
			       "--wait", NULL), 0);
	assert_json(p, "{\"backfill_id\":\"bf1\",\"wait\":false}");
	json_decref(p);
	assert_int_equal(build(NULL, &p, &cause, "logs", "r1", "--tail", "100",
			       "--asset", "a", NULL), 0);
	assert_json(p, "{\"run_id\":\"r1\",\"tail_bytes\":100,\"asset\":"
		    "\"a\"}");
	json_decref(p);
	expect_usage(build(NULL, &p, &cause, "list", "--status", "sleepy",
			   NULL), &cause, "--status");
	expect_usage(build(NULL, &p, &cause, "get", "a", "b", NULL), &cause,
		     "unexpected argument 'b'");
	assert_int_equal(build(NULL, &p, &cause, "get", "--help", NULL), 1);
}

/* ---- time text ------------------------------------------------------------ */

static void check_rel(long diff, const char *want)
{
	char buf[64];

	cli_format_relative(NOW + diff, NOW, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_relative_time(void **state)
{
	(void)state;
	check_rel(0, "now");
	check_rel(30, "in 30s");
	check_rel(90, "in 1m 30s");
	check_rel(-300, "5m ago");
	check_rel(4 * 3600 + 12 * 60 + 59, "in 4h 12m");
	check_rel(3600, "in 1h");
	check_rel(-(2 * 86400 + 3 * 3600), "2d 3h ago");
	check_rel(86400 + 59, "in 1d");
}

static void test_rfc3339(void **state)
{
	char buf[64];
	time_t t;

	(void)state;
	assert_int_equal(cli_parse_rfc3339("2025-03-09T13:00:00Z", &t), 0);
	assert_int_equal(t, 1741525200);
	assert_int_equal(cli_parse_rfc3339("2025-03-09T09:00:00-04:00", &t),
			 0);
	assert_int_equal(t, 1741525200);
	assert_int_equal(cli_parse_rfc3339("2025-03-09T14:30:00.250+01:30",
					   &t), 0);
	assert_int_equal(t, 1741525200);
	assert_int_equal(cli_parse_rfc3339("2025-03-09T13:00:00", &t),
			 -EINVAL);
	assert_int_equal(cli_parse_rfc3339("2025-13-09T13:00:00Z", &t),
			 -EINVAL);
	assert_int_equal(cli_parse_rfc3339("tomorrow", &t), -EINVAL);
	cli_format_instant("2025-03-09T09:00:00-04:00", false, buf,
			   sizeof(buf));
	assert_string_equal(buf, "2025-03-09 09:00-04:00");
	cli_format_instant("2025-03-09T13:00:05.5Z", true, buf, sizeof(buf));
	assert_string_equal(buf, "2025-03-09 13:00:05Z");
	cli_format_instant("soon", true, buf, sizeof(buf));
	assert_string_equal(buf, "soon");
}

/* ---- tables and printers ---------------------------------------------------- */

static void test_table(void **state)
{
	static const char *const headers[] = { "ID", "NAME", "X", NULL };
	static const char *const r1[] = { "a", "long name", "1" };
	static const char *const r2[] = { "longer_id", NULL, "" };
	struct cli_table t;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	cli_table_init(&t, headers);
	cli_table_add(&t, r1);
	cli_table_add(&t, r2);
	cli_table_print(&t, f);
	cli_table_release(&t);
	fclose(f);
	assert_string_equal(buf, "ID         NAME       X\n"
			    "a          long name  1\n"
			    "longer_id  -          \n");
	free(buf);
}

static const char list_json[] =
	"{\"schedules\":["
	"{\"schedule_id\":\"daily_report\",\"schedule_type\":\"cron\","
	"\"status\":\"active\",\"schedule_definition\":{\"cron_expression\":"
	"\"0 9 * * *\"},\"next_fire_time\":\"2025-03-09T13:00:00Z\","
	"\"next_fire_time_local\":\"2025-03-09T09:00:00-04:00\","
	"\"last_status\":\"succeeded\"},"
	"{\"schedule_id\":\"data_arrival\",\"schedule_type\":\"event\","
	"\"status\":\"paused\",\"schedule_definition\":{\"event_type\":"
	"\"data_available\"}},"
	"{\"schedule_id\":\"hourly_sync\",\"schedule_type\":\"interval\","
	"\"status\":\"active\",\"schedule_definition\":{\"interval\":\"1h\"},"
	"\"next_fire_time\":\"2025-03-09T08:43:00Z\"}]}";

static void test_list_printer(void **state)
{
	struct capture c;
	json_t *r = json_loads(list_json, 0, NULL);

	(void)state;
	assert_non_null(r);
	capture_init(&c, NULL);
	cli_print_schedules(&c.ctx, r);
	capture_done(&c);
	assert_string_equal(c.out,
		"ID            TYPE      STATUS  SCHEDULE           "
		"NEXT FIRE                           LAST\n"
		"daily_report  cron      active  0 9 * * *          "
		"2025-03-09 09:00-04:00 (in 4h 12m)  succeeded\n"
		"data_arrival  event     paused  on data_available  "
		"-                                   -\n"
		"hourly_sync   interval  active  every 1h           "
		"2025-03-09 08:43Z (5m ago)          -\n");
	capture_free(&c);
	json_decref(r);
}

static void test_small_printers(void **state)
{
	json_t *r = json_loads("{\"event_id\":\"ev1\",\"triggered\":[\"a\","
			       "\"b\"],\"debounced\":[\"c\"]}", 0, NULL);
	char buf[256];

	(void)state;
	cli_format_event_result(r, buf, sizeof(buf));
	assert_string_equal(buf, "event ev1: triggered a, b; debounced c");
	json_decref(r);
	r = json_loads("{\"event_id\":\"ev2\",\"triggered\":[],"
		       "\"debounced\":[]}", 0, NULL);
	cli_format_event_result(r, buf, sizeof(buf));
	assert_string_equal(buf, "event ev2: triggered no schedule");
	json_decref(r);
	cli_format_progress(12, 31, 1, 2.3, buf, sizeof(buf));
	assert_string_equal(buf, "[#######-------------] 12/31 done, 1 failed, "
			    "2.3/s, ETA 8s");
	cli_format_progress(0, 0, 0, 0, buf, sizeof(buf));
	assert_string_equal(buf, "[####################] 0/0 done, 0 failed, "
			    "0.0/s");
}

static void test_added_printer(void **state)
{
	struct capture c;
	json_t *r = json_loads(
		"{\"schedule_id\":\"daily_report\",\"status\":\"active\","
		"\"schedule_type\":\"cron\",\"next_fire_time\":"
		"\"2025-03-09T13:00:00Z\",\"next_fire_time_local\":"
		"\"2025-03-09T09:00:00-04:00\"}", 0, NULL);
	json_t *e = json_loads(
		"{\"schedule_id\":\"data_arrival\",\"status\":\"active\","
		"\"schedule_type\":\"event\",\"schedule_definition\":"
		"{\"event_type\":\"data_available\"}}", 0, NULL);

	(void)state;
	capture_init(&c, NULL);
	cli_print_added(&c.ctx, r);
	cli_print_added(&c.ctx, e);
	cli_print_paused(&c.ctx, e);
	capture_done(&c);
	assert_string_equal(c.out, "added daily_report (active, next fire "
			    "2025-03-09 09:00-04:00 (in 4h 12m))\n"
			    "added data_arrival (active, on data_available)\n"
			    "paused data_arrival\n");
	capture_free(&c);
	json_decref(r);
	json_decref(e);
}

static void test_get_printer(void **state)
{
	struct capture c;
	json_t *r = json_loads(
		"{\"schedule_id\":\"b\",\"name\":\"B\",\"schedule_type\":"
		"\"cron\",\"schedule_definition\":{\"cron_expression\":"
		"\"30 2 * * *\",\"description\":\"nightly\"},\"timezone\":\"UTC\","
		"\"status\":\"active\",\"asset_graph\":{\"name\":\"b\",\"assets\":"
		"[{\"name\":\"x\",\"command\":[\"/bin/echo\",\"hi\"]},{\"name\":"
		"\"y\",\"command\":\"make all\",\"deps\":[\"x\"]}]}}", 0, NULL);

	(void)state;
	capture_init(&c, NULL);
	cli_print_schedule(&c.ctx, r);
	capture_done(&c);
	assert_non_null(strstr(c.out, "id:            b\n"));
	assert_non_null(strstr(c.out, "schedule:      30 2 * * *\n"));
	assert_non_null(strstr(c.out, "description:   nightly\n"));
	assert_non_null(strstr(c.out, "  x: /bin/echo hi\n"));
	assert_non_null(strstr(c.out, "  y: sh -c 'make all'  (after x)\n"));
	capture_free(&c);
	json_decref(r);
}

/* ---- the whole program: usage errors --------------------------------------- */

static void test_usage_exit_codes(void **state)
{
	struct capture c;

	(void)state;
	assert_int_equal(run_words(&c, NULL, NULL), CLI_EXIT_USAGE);
	assert_non_null(strstr(c.err, "missing COMMAND"));
	capture_free(&c);
	assert_int_equal(run_words(&c, NULL, "frobnicate", NULL),
			 CLI_EXIT_USAGE);
	assert_non_null(strstr(c.err, "unknown command 'frobnicate'"));
	capture_free(&c);
	assert_int_equal(run_words(&c, NULL, "--bogus", "list", NULL),
			 CLI_EXIT_USAGE);
	capture_free(&c);
	assert_int_equal(run_words(&c, NULL, "--timeout", "x", "list", NULL),
			 CLI_EXIT_USAGE);
	capture_free(&c);
	assert_int_equal(run_words(&c, NULL, "get", NULL), CLI_EXIT_USAGE);
	assert_non_null(strstr(c.err, "usage: vibectl get ID"));
	capture_free(&c);
	assert_int_equal(run_words(&c, NULL, "backfill", "explode", NULL),
			 CLI_EXIT_USAGE);
	assert_non_null(strstr(c.err, "unknown subcommand"));
	capture_free(&c);
	assert_int_equal(run_words(&c, NULL, "help", "nope", NULL),
			 CLI_EXIT_USAGE);
	capture_free(&c);
	assert_int_equal(run_words(&c, NULL, "event", "t", "--data", "[]",
				   NULL), CLI_EXIT_USAGE);
	assert_non_null(strstr(c.err, "usage: vibectl event TYPE"));
	capture_free(&c);
}

static void test_help_and_version(void **state)
{
	struct capture c;

	(void)state;
	assert_int_equal(run_words(&c, NULL, "--help", NULL), CLI_EXIT_OK);
	assert_non_null(strstr(c.out, "backfill create"));
	assert_non_null(strstr(c.out, "Exit codes"));
	capture_free(&c);
	assert_int_equal(run_words(&c, NULL, "help", "add", NULL), CLI_EXIT_OK);
	assert_non_null(strstr(c.out, "/bin/sh -c"));
	capture_free(&c);
	assert_int_equal(run_words(&c, NULL, "backfill", "run", "--help",
				   NULL), CLI_EXIT_OK);
	assert_non_null(strstr(c.out, "usage: vibectl backfill run BF_ID"));
	capture_free(&c);
	assert_int_equal(run_words(&c, NULL, "help", "backfill", NULL),
			 CLI_EXIT_OK);
	assert_non_null(strstr(c.out, "backfill retry"));
	capture_free(&c);
	assert_int_equal(run_words(&c, NULL, "--version", NULL), CLI_EXIT_OK);
	assert_non_null(strstr(c.out, "vibectl "));
	capture_free(&c);
}

static void test_unreachable(void **state)
{
	struct capture c;

	(void)state;
	assert_int_equal(run_words(&c, NULL, "--socket",
				   "/nonexistent/vibe.sock", "ping", NULL),
			 CLI_EXIT_UNREACHABLE);
	assert_non_null(strstr(c.err, "cannot reach vibe-schedd at "
			       "/nonexistent/vibe.sock: No such file"));
	assert_non_null(strstr(c.err, "make run"));
	capture_free(&c);
}

/* ---- a scripted fake daemon -------------------------------------------------- */

enum fake_mode { FAKE_ECHO, FAKE_ERROR, FAKE_CLOSE, FAKE_FOLLOW, FAKE_WAIT };

struct fake {
	char dir[64], path[128];
	pid_t pid;
};

/* The answer to the N-th request (from 0) in MODE; NULL: hang up. */
static char *fake_answer(enum fake_mode mode, struct rpc_request *req, int n,
			 size_t *len)
{
	int k = n / 2 + 1;

	switch (mode) {
	case FAKE_ECHO:
		return rpc_encode_result(req->id, json_incref(req->root), len);
	case FAKE_ERROR:
		return rpc_encode_error(req->id, RPC_NOT_FOUND,
					"no schedule 'x'",
					json_pack("{s:s}", "field",
						  "schedule_id"), len);
	case FAKE_CLOSE:
		return NULL;
	case FAKE_FOLLOW:
		if (strcmp(req->method, "get_run") == 0)
			return rpc_encode_result(req->id, json_pack(
				"{s:s,s:s}", "run_id", "r1", "status",
				k < 3 ? "running" : "failed"), len);
		return rpc_encode_result(req->id, json_pack("{s:s}", "log",
			k == 1 ? "l1\n" : k == 2 ? "l1\nl2\n" : "l1\nl2\nl3\n"),
			len);
	case FAKE_WAIT:
		if (strcmp(req->method, "execute_backfill") == 0)
			return rpc_encode_result(req->id, json_object(), len);
		return rpc_encode_result(req->id, json_pack(
			"{s:s,s:s,s:i,s:i,s:i,s:i}", "backfill_id", "bf1",
			"status", n < 3 ? "running" : "completed",
			"tasks_total", 3, "tasks_succeeded", n < 3 ? n : 2,
			"tasks_failed", n < 3 ? 0 : 1, "tasks_cancelled", 0),
			len);
	}
	return NULL;
}

static void fake_serve(int lfd, enum fake_mode mode)
{
	struct line_reader lr;
	struct rpc_request req;
	struct rpc_error err;
	int fd = accept(lfd, NULL, NULL), n = 0;
	size_t len;
	char *line, *answer;
	ssize_t r;

	line_reader_init(&lr, fd, 1 << 20);
	while ((r = line_reader_next(&lr, &line)) >= 0) {
		if (rpc_decode_request(line, (size_t)r, &req, &err) < 0)
			_exit(3);
		answer = fake_answer(mode, &req, n++, &len);
		rpc_request_release(&req);
		if (!answer)
			_exit(0);
		if (write(fd, answer, len) != (ssize_t)len)
			_exit(4);
		free(answer);
	}
	_exit(0);
}

static void fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd;

	strcpy(f->dir, "/tmp/test-client-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s.sock", f->dir);
	strcpy(sun.sun_path, f->path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	fflush(NULL);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0)
		fake_serve(lfd, mode);
	close(lfd);
}

static void fake_stop(struct fake *f)
{
	int st;

	kill(f->pid, SIGTERM);
	waitpid(f->pid, &st, 0);
	unlink(f->path);
	rmdir(f->dir);
}

static void test_fake_echo(void **state)
{
	struct capture c;
	struct fake f;
	json_t *out;

	(void)state;
	fake_start(&f, FAKE_ECHO);
	assert_int_equal(run_words(&c, NULL, "--socket", f.path, "--json",
				   "add", "daily_report", "--name",
				   "Daily Report", "--cron", "0 9 * * *",
				   "--tz", "America/New_York", "--pipeline",
				   "report_pipeline", NULL), CLI_EXIT_OK);
	fake_stop(&f);
	out = json_loads(c.out, 0, NULL);
	assert_non_null(out);
	assert_string_equal(cli_str(out, "method", ""), "add_schedule");
	assert_int_equal(json_integer_value(json_object_get(out, "id")), 1);
	assert_string_equal(cli_str(json_object_get(json_object_get(out,
		"params"), "schedule"), "timezone", ""), "America/New_York");
	assert_non_null(strstr(c.out, "\n  \"method\""));	/* indented */
	json_decref(out);
	capture_free(&c);
	/* --json also works after the command. */
	fake_start(&f, FAKE_ECHO);
	assert_int_equal(run_words(&c, NULL, "--socket", f.path, "list",
				   "--json", "--status", "paused", NULL),
			 CLI_EXIT_OK);
	fake_stop(&f);
	out = json_loads(c.out, 0, NULL);
	assert_non_null(out);
	assert_json(json_object_get(out, "params"), "{\"status\":\"paused\"}");
	json_decref(out);
	capture_free(&c);
}

static void test_fake_error(void **state)
{
	struct capture c;
	struct fake f;

	(void)state;
	fake_start(&f, FAKE_ERROR);
	assert_int_equal(run_words(&c, NULL, "--socket", f.path, "get", "x",
				   NULL), CLI_EXIT_DAEMON);
	fake_stop(&f);
	assert_string_equal(c.err, "vibectl: no schedule 'x' (field: "
			    "schedule_id)\n");
	assert_string_equal(c.out, "");
	capture_free(&c);
}

static void test_fake_close(void **state)
{
	struct capture c;
	struct fake f;

	(void)state;
	fake_start(&f, FAKE_CLOSE);
	assert_int_equal(run_words(&c, NULL, "--socket", f.path, "status",
				   NULL), CLI_EXIT_UNREACHABLE);
	fake_stop(&f);
	assert_non_null(strstr(c.err, "closed the connection before"));
	capture_free(&c);
}

static void test_fake_follow(void **state)
{
	struct capture c;
	struct fake f;

	(void)state;
	fake_start(&f, FAKE_FOLLOW);
	assert_int_equal(run_words(&c, NULL, "--socket", f.path, "logs", "r1",
				   "--follow", NULL), CLI_EXIT_DAEMON);
	fake_stop(&f);
	assert_string_equal(c.out, "l1\nl2\nl3\n");
	assert_string_equal(c.err, "vibectl: run r1 ended failed\n");
	capture_free(&c);
}

static void test_fake_wait(void **state)
{
	struct capture c;
	struct fake f;

	(void)state;
	fake_start(&f, FAKE_WAIT);
	assert_int_equal(run_words(&c, NULL, "--socket", f.path, "backfill",
				   "run", "bf1", "--wait", NULL),
			 CLI_EXIT_DAEMON);
	fake_stop(&f);
	assert_non_null(strstr(c.out, "] 1/3 done, 0 failed"));
	assert_non_null(strstr(c.out, "] 2/3 done, 0 failed"));
	assert_non_null(strstr(c.out, "] 3/3 done, 1 failed"));
	assert_non_null(strstr(c.out, "backfill bf1: completed, 2 of 3 "
			       "succeeded, 1 failed"));
	assert_null(strchr(c.out, '\r'));
	assert_string_equal(c.err, "vibectl: backfill bf1: 1 task failed\n");
	capture_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_typing),
		cmocka_unit_test(test_kv_parse),
		cmocka_unit_test(test_dotted_paths),
		cmocka_unit_test(test_event_params),
		cmocka_unit_test(test_event_usage_errors),
		cmocka_unit_test(test_add_seed_cron),
		cmocka_unit_test(test_add_seed_interval),
		cmocka_unit_test(test_add_seed_event),
		cmocka_unit_test(test_add_event_options),
		cmocka_unit_test(test_add_command),
		cmocka_unit_test(test_add_file),
		cmocka_unit_test(test_add_usage_errors),
		cmocka_unit_test(test_other_params),
		cmocka_unit_test(test_relative_time),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_list_printer),
		cmocka_unit_test(test_small_printers),
		cmocka_unit_test(test_added_printer),
		cmocka_unit_test(test_get_printer),
		cmocka_unit_test(test_usage_exit_codes),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_fake_echo),
		cmocka_unit_test(test_fake_error),
		cmocka_unit_test(test_fake_close),
		cmocka_unit_test(test_fake_follow),
		cmocka_unit_test(test_fake_wait),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
