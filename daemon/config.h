/*
 * The daemon's settings (the seed's SchedulerConfig plus limits): built-in
 * defaults, then the config file, then command-line flags, later winning.
 *
 * Config file format (vibe-schedd.conf(5)): one "key = value" per line,
 * '#' starts a comment, blank lines ignored, keys are the long option names
 * with '_' or '-' (check_interval_seconds = 30). Unknown keys and bad values
 * are errors naming the file, line and key.
 */
#ifndef VIBE_CONFIG_H
#define VIBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct config {
	char *socket_path;
	char *state_dir;
	char *pipeline_dir;
	char *timezone;
	char *socket_group;		/* NULL: the daemon's own group */
	unsigned socket_mode;		/* 0660 for root, 0600 otherwise */
	int check_interval_seconds;
	int max_concurrent_runs;
	bool start_stopped;
	size_t max_request_bytes;
	int max_connections;
	int max_connections_per_uid;
	int idle_timeout_seconds;
	int half_sent_timeout_seconds;
	size_t max_output_bytes;	/* unread answers per connection */
	int event_rate;			/* events/s per non-root uid */
	int event_burst;
	int history_limit;		/* ScheduleEvents kept per schedule */
	int run_retention;		/* run records kept per schedule */
	size_t max_log_bytes;		/* per asset log file */
	int kill_grace_seconds;
	int log_level;
};

/* Fills *cfg with the built-in defaults for a daemon running as UID. */
void config_defaults(struct config *cfg, uid_t uid);
void config_release(struct config *cfg);

/* Applies one "key = value" setting. Returns 0, or -EINVAL with *cause. */
int config_set(struct config *cfg, const char *key, const char *value,
	       char **cause);

/* Reads a config file. Returns 0, or a negative errno with *cause naming
 * the file and line. */
int config_load_file(struct config *cfg, const char *path, char **cause);

/* Parses argv. Returns 0 to run, 1 when --help/--version was printed, or
 * -EINVAL with *cause for a usage error. */
int config_parse_args(struct config *cfg, int argc, char **argv,
		      char **cause);

/* The settings as a JSON object for `status` (new reference, json_t *). */
struct json_t;
struct json_t *config_to_json(const struct config *cfg);

#endif
