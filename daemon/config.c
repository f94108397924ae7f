/*
 * Settings: defaults, config file, flags. One table describes every
 * setting (name, type, bounds, where it lives); the file parser and the
 * option parser both go through config_set(), so they cannot disagree.
 */
#include "daemon/config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/defaults.h"
#include "proto/xalloc.h"

enum setting_type { SET_STR, SET_INT, SET_SIZE, SET_BOOL, SET_MODE };

struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;
	long long min, max;
	const char *help;
};

#define S(field, type, min, max, help) \
	{ #field, type, offsetof(struct config, field), min, max, help }

static const struct setting settings[] = {
	S(socket_path, SET_STR, 0, 0, "control socket path"),
	S(state_dir, SET_STR, 0, 0, "state directory"),
	S(pipeline_dir, SET_STR, 0, 0, "where named pipelines live"),
	S(timezone, SET_STR, 0, 0, "default time zone of schedules"),
	S(socket_group, SET_STR, 0, 0, "group owning the socket"),
	S(socket_mode, SET_MODE, 0, 0777, "socket file mode (octal)"),
	S(check_interval_seconds, SET_INT, 1, 86400, "longest sleep between re-checks"),
	S(max_concurrent_runs, SET_INT, 1, 10000, "pipeline runs at once"),
	S(start_stopped, SET_BOOL, 0, 1, "start with the scheduler stopped"),
	S(max_request_bytes, SET_SIZE, 1024, 64 << 20, "longest request line"),
	S(max_connections, SET_INT, 1, 100000, "connections at once"),
	S(max_connections_per_uid, SET_INT, 1, 100000, "connections per non-root uid"),
	S(idle_timeout_seconds, SET_INT, 1, 86400, "idle connection timeout"),
	S(half_sent_timeout_seconds, SET_INT, 1, 3600, "half-sent line timeout"),
	S(max_output_bytes, SET_SIZE, 4096, 1LL << 30, "unread answers per connection"),
	S(event_rate, SET_INT, 1, 10000000, "events/s per non-root uid"),
	S(event_burst, SET_INT, 1, 10000000, "event burst per non-root uid"),
	S(history_limit, SET_INT, 10, 10000000, "ScheduleEvents kept per schedule"),
	S(run_retention, SET_INT, 1, 1000000, "run records kept per schedule"),
	S(max_log_bytes, SET_SIZE, 1024, 1LL << 40, "log bytes kept per asset run"),
	S(kill_grace_seconds, SET_INT, 0, 3600, "SIGTERM to SIGKILL grace"),
	S(log_level, SET_INT, 0, 7, "lowest priority logged (0-7)"),
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

void config_defaults(struct config *cfg, uid_t uid)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->socket_path = default_socket_path(uid);
	cfg->state_dir = xstrdup(VIBE_DEFAULT_STATE_DIR);
	cfg->pipeline_dir = xstrdup(".vibe_piper/pipelines");
	cfg->timezone = xstrdup("UTC");
	cfg->socket_mode = uid == 0 ? 0660 : 0600;
	cfg->check_interval_seconds = 30;
	cfg->max_concurrent_runs = 3;
	cfg->max_request_bytes = VIBE_DEFAULT_MAX_REQUEST_BYTES;
	cfg->max_connections = 256;
	cfg->max_connections_per_uid = 32;
	cfg->idle_timeout_seconds = 60;
	cfg->half_sent_timeout_seconds = 10;
	cfg->max_output_bytes = 1 << 20;
	cfg->event_rate = 1000;
	cfg->event_burst = 5000;
	cfg->history_limit = 1000;
	cfg->run_retention = 100;
	cfg->max_log_bytes = 1 << 20;
	cfg->kill_grace_seconds = 5;
	cfg->log_level = 6;
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < N_SETTINGS; i++) {
		if (settings[i].type == SET_STR) {
			char **p = (char **)((char *)cfg + settings[i].offset);

			free(*p);
			*p = NULL;
		}
	}
}

static const struct setting *setting_find(const char *key)
{
	char norm[64];
	size_t i;

	for (i = 0; key[i] && i < sizeof norm - 1; i++)
		norm[i] = key[i] == '-' ? '_' : key[i];
	norm[i] = '\0';
	for (i = 0; i < N_SETTINGS; i++)
		if (strcmp(settings[i].name, norm) == 0)
			return &settings[i];
	return NULL;
}

static int parse_number(const struct setting *s, const char *value,
			long long *ret, char **cause)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(value, &end, s->type == SET_MODE ? 8 : 10);
	if (s->type == SET_SIZE && end != value && *end) {
		static const char units[] = "KMG";
		const char *u = strchr(units, toupper((unsigned char)*end));

		if (u && end[1] == '\0' && v < (1LL << 40)) {
			v <<= 10 * (u - units + 1);
			end++;
		}
	}
	if (errno || end == value || *end || v < s->min || v > s->max) {
		*cause = xasprintf("%s: '%s' is not a number in %lld..%lld",
				   s->name, value, s->min, s->max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int parse_bool(const char *name, const char *value, bool *ret,
		      char **cause)
{
	if (!strcmp(value, "true") || !strcmp(value, "yes") ||
	    !strcmp(value, "1") || !strcmp(value, "on"))
		*ret = true;
	else if (!strcmp(value, "false") || !strcmp(value, "no") ||
		 !strcmp(value, "0") || !strcmp(value, "off"))
		*ret = false;
	else {
		*cause = xasprintf("%s: '%s' is not true or false", name, value);
		return -EINVAL;
	}
	return 0;
}

int config_set(struct config *cfg, const char *key, const char *value,
	       char **cause)
{
	const struct setting *s = setting_find(key);
	void *p;
	long long v;

	if (!s) {
		*cause = xasprintf("unknown setting '%s'", key);
		return -EINVAL;
	}
	p = (char *)cfg + s->offset;
	switch (s->type) {
	case SET_STR:
		if (!*value) {
			*cause = xasprintf("%s: empty value", s->name);
			return -EINVAL;
		}
		free(*(char **)p);
		*(char **)p = xstrdup(value);
		return 0;
	case SET_BOOL:
		return parse_bool(s->name, value, (bool *)p, cause);
	default:
		break;
	}
	if (parse_number(s, value, &v, cause) < 0)
		return -EINVAL;
	if (s->type == SET_INT)
		*(int *)p = (int)v;
	else if (s->type == SET_MODE)
		*(unsigned *)p = (unsigned)v;
	else
		*(size_t *)p = (size_t)v;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load_file(struct config *cfg, const char *path, char **cause)
{
	FILE *f = fopen(path, "re");
	char line[4096], *err = NULL;
	int lineno = 0, r = 0;

	if (!f) {
		r = -errno;
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return r;
	}
	while (fgets(line, sizeof line, f)) {
		char *s, *eq;

		lineno++;
		s = line + strcspn(line, "#");
		*s = '\0';
		s = trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			*cause = xasprintf("%s:%d: expected 'key = value'", path, lineno);
			r = -EINVAL;
			break;
		}
		*eq = '\0';
		if (config_set(cfg, trim(s), trim(eq + 1), &err) < 0) {
			*cause = xasprintf("%s:%d: %s", path, lineno, err);
			free(err);
			r = -EINVAL;
			break;
		}
	}
	fclose(f);
	return r;
}

static void print_help(void)
{
	printf("Usage: vibe-schedd [OPTION]...\n"
	       "Scheduling daemon: runs pipelines on cron expressions, intervals and events.\n"
	       "Talk to it with vibectl. It stays in the foreground (run it under systemd).\n\n"
	       "  --config FILE                read settings from FILE (key = value lines)\n"
	       "  --socket PATH                same as --socket-path\n"
	       "  --version                    print the version and exit\n"
	       "  --help                       print this help and exit\n");
	for (size_t i = 0; i < N_SETTINGS; i++) {
		char opt[64];
		size_t j;

		for (j = 0; settings[i].name[j]; j++)
			opt[j] = settings[i].name[j] == '_' ? '-' : settings[i].name[j];
		opt[j] = '\0';
		printf("  --%-27s %s\n", opt, settings[i].help);
	}
	printf("\nFlags override the config file, which overrides the defaults.\n");
}

/* The value of --config in argv, if any (it is applied before the flags). */
static const char *find_config_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return NULL;
}

static struct option *build_options(void)
{
	struct option *o = xcalloc(N_SETTINGS + 5, sizeof *o);
	size_t i;

	for (i = 0; i < N_SETTINGS; i++) {
		char *name = xstrdup(settings[i].name);

		for (char *c = name; *c; c++)
			if (*c == '_')
				*c = '-';
		o[i] = (struct option){ name, required_argument, NULL, 1000 + (int)i };
	}
	/* --socket is the short name of --socket-path (setting 0). */
	o[i++] = (struct option){ "socket", required_argument, NULL, 1000 };
	o[i++] = (struct option){ "config", required_argument, NULL, 'c' };
	o[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	o[i++] = (struct option){ "version", no_argument, NULL, 'V' };
	return o;
}

static void free_options(struct option *o)
{
	for (size_t i = 0; i < N_SETTINGS; i++)
		free((char *)o[i].name);
	free(o);
}

int config_parse_args(struct config *cfg, int argc, char **argv,
		      char **cause)
{
	const char *file = find_config_arg(argc, argv);
	struct option *opts;
	int c, r = 0;

	if (file && (r = config_load_file(cfg, file, cause)) < 0)
		return r;
	opts = build_options();
	optind = 1;
	opterr = 0;
	while (r == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *err = NULL;

		if (c == 'h') {
			print_help();
			r = 1;
		} else if (c == 'V') {
			printf("vibe-schedd %s\n", VIBE_VERSION);
			r = 1;
		} else if (c >= 1000) {
			if (config_set(cfg, settings[c - 1000].name, optarg, &err) < 0) {
				*cause = xasprintf("--%s: %s", settings[c - 1000].name, err);
				free(err);
				r = -EINVAL;
			}
		} else if (c != 'c') {
			*cause = xasprintf("unknown or incomplete option '%s' (see --help)",
					   argv[optind - 1]);
			r = -EINVAL;
		}
	}
	if (r == 0 && optind < argc) {
		*cause = xasprintf("unexpected argument '%s' (see --help)", argv[optind]);
		r = -EINVAL;
	}
	free_options(opts);
	return r;
}

json_t *config_to_json(const struct config *cfg)
{
	json_t *o = json_object();

	for (size_t i = 0; i < N_SETTINGS; i++) {
		const void *p = (const char *)cfg + settings[i].offset;
		json_t *v;

		switch (settings[i].type) {
		case SET_STR:
			v = *(char *const *)p ? json_string(*(char *const *)p) : json_null();
			break;
		case SET_BOOL:
			v = json_boolean(*(const bool *)p);
			break;
		case SET_INT:
			v = json_integer(*(const int *)p);
			break;
		case SET_MODE:
			v = json_sprintf("%04o", *(const unsigned *)p);
			break;
		default:
			v = json_integer((json_int_t)*(const size_t *)p);
			break;
		}
		json_object_set_new(o, settings[i].name, v);
	}
	return o;
}
