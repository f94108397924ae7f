/*
 * Schedule model: JSON <-> struct schedule with full validation, and fire
 * times. Validation names the offending field with its path, so a client
 * sees "schedule_definition.cron_expression: minute: value 60 out of range
 * 0-59". Knows nothing of sockets, the store or the scheduler's heap.
 */
#include "daemon/schedule.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/filter.h"
#include "daemon/interval.h"
#include "daemon/timefmt.h"
#include "daemon/tz.h"
#include "proto/xalloc.h"

static const char *const type_names[] = { "cron", "interval", "event" };
static const char *const status_names[] = {
	"active", "paused", "disabled", "completed",
};
static const char *const overlap_names[] = {
	"queue", "skip", "allow", "cancel_previous",
};
static const char *const catchup_names[] = { "none", "latest", "all" };
static const char *const debounce_names[] = { "leading", "trailing" };

const char *schedule_type_name(enum schedule_type t) { return type_names[t]; }
const char *schedule_status_name(enum schedule_status st) { return status_names[st]; }
const char *overlap_name(enum overlap_policy o) { return overlap_names[o]; }
const char *catchup_name(enum catchup_policy c) { return catchup_names[c]; }

static int name_index(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int schedule_status_parse(const char *s, enum schedule_status *ret)
{
	int i = name_index(s, status_names, SSTATUS_COUNT);

	if (i < 0)
		return -EINVAL;
	*ret = (enum schedule_status)i;
	return 0;
}

bool schedule_id_valid(const char *id)
{
	size_t n = 0;

	if (!id || !((id[0] >= 'A' && id[0] <= 'Z') ||
		     (id[0] >= 'a' && id[0] <= 'z') ||
		     (id[0] >= '0' && id[0] <= '9')))
		return false;
	for (const char *p = id; *p; p++, n++) {
		char c = *p;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return n <= 128;
}

void schedule_error_release(struct schedule_error *e)
{
	free(e->field);
	free(e->message);
	e->field = e->message = NULL;
}

static int fail(struct schedule_error *err, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct schedule_error *err, const char *field,
		const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup("invalid");
	va_end(ap);
	err->field = xstrdup(field);
	err->message = xasprintf("%s: %s", field, msg);
	free(msg);
	return -EINVAL;
}

/* Checks that OBJ has only keys from ALLOWED (NULL-terminated). */
static int check_keys(const json_t *obj, const char *path,
		      const char *const *allowed, struct schedule_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		int ok = 0;

		for (const char *const *a = allowed; *a; a++)
			ok |= strcmp(*a, key) == 0;
		if (!ok) {
			char *f = *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
			int r = fail(err, f, "unknown field");

			free(f);
			return r;
		}
	}
	return 0;
}

/* ---- asset graph ---------------------------------------------------- */

static int check_command(const json_t *cmd, const char *path,
			 struct schedule_error *err)
{
	size_t i;
	json_t *w;

	if (json_is_string(cmd)) {
		if (json_string_length(cmd) == 0)
			return fail(err, path, "empty command");
		return 0;
	}
	if (!json_is_array(cmd))
		return fail(err, path, "expected an argv array or a shell string");
	if (json_array_size(cmd) == 0)
		return fail(err, path, "empty command");
	json_array_foreach(cmd, i, w) {
		if (!json_is_string(w))
			return fail(err, path, "argv[%zu] is not a string", i);
	}
	if (json_string_length(json_array_get(cmd, 0)) == 0)
		return fail(err, path, "argv[0] is empty");
	return 0;
}

static int check_env(const json_t *env, const char *path,
		     struct schedule_error *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(env))
		return fail(err, path, "expected an object of strings");
	json_object_foreach((json_t *)env, k, v) {
		if (!*k || strchr(k, '=') || !json_is_string(v))
			return fail(err, path, "bad variable '%s' (needs a name without '=' and a string value)", k);
	}
	return 0;
}

static int check_number_field(const json_t *a, const char *key, double min,
			      double max, bool integer, const char *path,
			      struct schedule_error *err)
{
	json_t *v = json_object_get(a, key);
	double d;

	if (!v)
		return 0;
	if (integer ? !json_is_integer(v) : !json_is_number(v))
		return fail(err, path, "%s: expected %s", key,
			    integer ? "an integer" : "a number");
	d = json_number_value(v);
	if (d < min || d > max)
		return fail(err, path, "%s: %g out of range %g..%g", key, d, min, max);
	return 0;
}

static int check_asset(const json_t *a, size_t i, struct schedule_error *err)
{
	static const char *const keys[] = {
		"name", "command", "deps", "timeout_seconds", "retries",
		"retry_delay_seconds", "env", "working_dir", "description", NULL,
	};
	char path[64];
	json_t *v;
	int r;

	snprintf(path, sizeof path, "asset_graph.assets[%zu]", i);
	if (!json_is_object(a))
		return fail(err, path, "expected an object");
	if ((r = check_keys(a, path, keys, err)) < 0)
		return r;
	v = json_object_get(a, "name");
	if (!json_is_string(v) || !schedule_id_valid(json_string_value(v)))
		return fail(err, path, "name: expected a name like 'extract' (letters, digits, '.', '_', '-')");
	strncat(path, ".command", sizeof path - strlen(path) - 1);
	if ((r = check_command(json_object_get(a, "command"), path, err)) < 0)
		return r;
	path[strlen(path) - 8] = '\0';
	if ((r = check_number_field(a, "timeout_seconds", 1, 31.0 * 86400, false, path, err)) < 0 ||
	    (r = check_number_field(a, "retries", 0, 100, true, path, err)) < 0 ||
	    (r = check_number_field(a, "retry_delay_seconds", 0, 86400, false, path, err)) < 0)
		return r;
	if ((v = json_object_get(a, "env")) && (r = check_env(v, path, err)) < 0)
		return r;
	v = json_object_get(a, "working_dir");
	if (v && (!json_is_string(v) || json_string_value(v)[0] != '/'))
		return fail(err, path, "working_dir: expected an absolute path");
	return 0;
}

static ssize_t asset_index(const json_t *assets, const char *name)
{
	size_t i;
	json_t *a;

	json_array_foreach(assets, i, a)
		if (strcmp(json_string_value(json_object_get(a, "name")), name) == 0)
			return (ssize_t)i;
	return -1;
}

/* Resolves deps to indexes and rejects unknown deps. */
static int check_deps(const json_t *assets, size_t n, unsigned *indeg,
		      struct schedule_error *err)
{
	for (size_t i = 0; i < n; i++) {
		json_t *a = json_array_get(assets, i), *deps = json_object_get(a, "deps"), *d;
		const char *name = json_string_value(json_object_get(a, "name"));
		size_t j;

		if (asset_index(assets, name) != (ssize_t)i)
			return fail(err, "asset_graph.assets", "duplicate asset name '%s'", name);
		if (!deps)
			continue;
		if (!json_is_array(deps))
			return fail(err, "asset_graph.assets", "%s.deps: expected an array of names", name);
		json_array_foreach(deps, j, d) {
			if (!json_is_string(d) || asset_index(assets, json_string_value(d)) < 0)
				return fail(err, "asset_graph.assets", "%s depends on unknown asset '%s'",
					    name, json_is_string(d) ? json_string_value(d) : "?");
			indeg[i]++;
		}
	}
	return 0;
}

/* Kahn's algorithm: every asset must be reachable in dependency order. */
static int check_cycles(const json_t *assets, size_t n, unsigned *indeg,
			struct schedule_error *err)
{
	size_t *queue = xcalloc(n, sizeof *queue), head = 0, tail = 0;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		if (indeg[i] == 0)
			queue[tail++] = i;
	while (head < tail) {
		const char *done = json_string_value(json_object_get(json_array_get(assets, queue[head++]), "name"));

		for (size_t i = 0; i < n; i++) {
			json_t *deps = json_object_get(json_array_get(assets, i), "deps"), *d;
			size_t j;

			json_array_foreach(deps, j, d)
				if (strcmp(json_string_value(d), done) == 0 && --indeg[i] == 0)
					queue[tail++] = i;
		}
	}
	if (tail < n) {
		for (size_t i = 0; i < n; i++)
			if (indeg[i]) {
				r = fail(err, "asset_graph.assets", "dependency cycle through asset '%s'",
					 json_string_value(json_object_get(json_array_get(assets, i), "name")));
				break;
			}
	}
	free(queue);
	return r;
}

int asset_graph_validate(const json_t *g, struct schedule_error *err)
{
	static const char *const keys[] = { "name", "assets", "description", NULL };
	json_t *assets, *name;
	unsigned *indeg;
	size_t n;
	int r;

	if (!json_is_object(g))
		return fail(err, "asset_graph", "expected an object {name, assets}");
	if ((r = check_keys(g, "asset_graph", keys, err)) < 0)
		return r;
	name = json_object_get(g, "name");
	assets = json_object_get(g, "assets");
	if (name && !json_is_string(name))
		return fail(err, "asset_graph.name", "expected a string");
	if (!assets) {
		if (!name || !schedule_id_valid(json_string_value(name)))
			return fail(err, "asset_graph.name",
				    "a graph without assets needs the name of an executable in the pipeline dir (letters, digits, '.', '_', '-')");
		return 0;
	}
	if (!json_is_array(assets) || (n = json_array_size(assets)) == 0)
		return fail(err, "asset_graph.assets", "expected a non-empty array of assets");
	if (n > 1000)
		return fail(err, "asset_graph.assets", "more than 1000 assets");
	for (size_t i = 0; i < n; i++)
		if ((r = check_asset(json_array_get(assets, i), i, err)) < 0)
			return r;
	indeg = xcalloc(n, sizeof *indeg);
	r = check_deps(assets, n, indeg, err);
	if (r == 0)
		r = check_cycles(assets, n, indeg, err);
	free(indeg);
	return r;
}

/* ---- definitions ----------------------------------------------------- */

static int parse_cron_def(struct schedule *s, const json_t *def,
			  struct schedule_error *err)
{
	static const char *const keys[] = { "cron_expression", "description", NULL };
	json_t *e = json_object_get(def, "cron_expression");
	char *cause = NULL;
	int r;

	if ((r = check_keys(def, "schedule_definition", keys, err)) < 0)
		return r;
	if (!json_is_string(e))
		return fail(err, "schedule_definition.cron_expression", "missing or not a string");
	if (cron_parse(json_string_value(e), &s->cron, &cause) < 0) {
		r = fail(err, "schedule_definition.cron_expression", "%s", cause);
		free(cause);
		return r;
	}
	return 0;
}

static int parse_interval_def(struct schedule *s, const json_t *def,
			      struct schedule_error *err)
{
	static const char *const keys[] = { "interval", "description", NULL };
	json_t *e = json_object_get(def, "interval");
	char *cause = NULL;
	int r;

	if ((r = check_keys(def, "schedule_definition", keys, err)) < 0)
		return r;
	if (!json_is_string(e))
		return fail(err, "schedule_definition.interval", "missing or not a string like \"1h\"");
	if (interval_parse(json_string_value(e), &s->interval, &cause) < 0) {
		r = fail(err, "schedule_definition.interval", "%s", cause);
		free(cause);
		return r;
	}
	return 0;
}

static int check_accept_from(const json_t *a, struct schedule_error *err)
{
	size_t i;
	json_t *u;

	if (!json_is_array(a))
		return fail(err, "schedule_definition.accept_from", "expected an array of user names");
	json_array_foreach(a, i, u)
		if (!json_is_string(u) || json_string_length(u) == 0)
			return fail(err, "schedule_definition.accept_from", "entry %zu is not a user name", i);
	return 0;
}

static int compile_filter(struct schedule *s, const json_t *spec,
			  struct schedule_error *err)
{
	char *path = NULL, *cause = NULL;
	int r;

	if (!json_is_object(spec))
		return fail(err, "schedule_definition.filter", "expected an object of path -> matcher");
	if (filter_compile(spec, &s->filter, &path, &cause) == 0)
		return 0;
	r = fail(err, "schedule_definition.filter", "%s", cause);
	free(path);
	free(cause);
	return r;
}

static int parse_event_def(struct schedule *s, const json_t *def,
			   struct schedule_error *err)
{
	static const char *const keys[] = {
		"event_type", "debounce_seconds", "debounce_mode", "filter",
		"accept_from", "description", NULL,
	};
	json_t *v;
	int r, i;

	if ((r = check_keys(def, "schedule_definition", keys, err)) < 0)
		return r;
	v = json_object_get(def, "event_type");
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 256)
		return fail(err, "schedule_definition.event_type", "expected a non-empty string");
	s->event_type = xstrdup(json_string_value(v));
	v = json_object_get(def, "debounce_seconds");
	if (v && (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 31536000))
		return fail(err, "schedule_definition.debounce_seconds", "expected a number of seconds >= 0");
	s->debounce_seconds = v ? json_number_value(v) : 0;
	v = json_object_get(def, "debounce_mode");
	if (v && (!json_is_string(v) || (i = name_index(json_string_value(v), debounce_names, 2)) < 0))
		return fail(err, "schedule_definition.debounce_mode", "expected \"leading\" or \"trailing\"");
	s->debounce_mode = v ? (enum debounce_mode)i : DEBOUNCE_LEADING;
	v = json_object_get(def, "filter");
	if (v && (r = compile_filter(s, v, err)) < 0)
		return r;
	v = json_object_get(def, "accept_from");
	if (v && (r = check_accept_from(v, err)) < 0)
		return r;
	s->accept_from = v ? json_incref(v) : NULL;
	return 0;
}

static int parse_definition(struct schedule *s, const json_t *doc,
			    struct schedule_error *err)
{
	json_t *t = json_object_get(doc, "schedule_type");
	json_t *def = json_object_get(doc, "schedule_definition");
	int i;

	if (!json_is_string(t) || (i = name_index(json_string_value(t), type_names, 3)) < 0)
		return fail(err, "schedule_type", "expected \"cron\", \"interval\" or \"event\"");
	s->type = (enum schedule_type)i;
	if (!json_is_object(def))
		return fail(err, "schedule_definition", "missing or not an object");
	s->definition = json_dumps(def, JSON_COMPACT);
	if (s->type == STYPE_CRON)
		return parse_cron_def(s, def, err);
	if (s->type == STYPE_INTERVAL)
		return parse_interval_def(s, def, err);
	return parse_event_def(s, def, err);
}

/* ---- the schedule object --------------------------------------------- */

static int parse_enum(const json_t *doc, const char *key, const char *const *names,
		      int n, int def, int *ret, struct schedule_error *err)
{
	json_t *v = json_object_get(doc, key);
	int i;

	if (!v || json_is_null(v)) {
		*ret = def;
		return 0;
	}
	if (!json_is_string(v) || (i = name_index(json_string_value(v), names, n)) < 0) {
		char list[128] = "";

		for (int k = 0; k < n; k++)
			snprintf(list + strlen(list), sizeof list - strlen(list),
				 "%s%s", k ? ", " : "", names[k]);
		return fail(err, key, "expected one of %s", list);
	}
	*ret = i;
	return 0;
}

static int parse_time_field(const json_t *doc, const char *key,
			    const struct tz *z, int64_t *ret,
			    struct schedule_error *err)
{
	json_t *v = json_object_get(doc, key);
	char *cause = NULL;
	int r;

	*ret = TIME_NONE;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(err, key, "expected an RFC 3339 time or null");
	if (rfc3339_parse(json_string_value(v), z, ret, NULL, &cause) < 0) {
		r = fail(err, key, "%s", cause);
		free(cause);
		return r;
	}
	return 0;
}

static int parse_zone(struct schedule *s, const json_t *doc,
		      const char *def_tz, struct schedule_error *err)
{
	json_t *v = json_object_get(doc, "timezone");
	char *cause = NULL;
	int r;

	if (v && !json_is_null(v) && !json_is_string(v))
		return fail(err, "timezone", "expected an IANA zone name like \"America/New_York\"");
	s->tz = tz_get(json_is_string(v) ? json_string_value(v) : def_tz, &cause);
	if (s->tz)
		s->timezone = tz_name(s->tz);
	if (!s->tz) {
		r = fail(err, "timezone", "%s", cause);
		free(cause);
		return r;
	}
	return 0;
}

static int64_t get_ms(const json_t *doc, const char *key, int64_t def)
{
	json_t *v = json_object_get(doc, key);
	int64_t ms;

	if (json_is_string(v) && rfc3339_parse_ms(json_string_value(v), NULL, &ms, NULL, NULL) == 0)
		return ms;
	return def;
}

static int64_t get_secs(const json_t *doc, const char *key)
{
	int64_t ms = get_ms(doc, key, TIME_NONE);

	return ms == TIME_NONE ? TIME_NONE : ms / 1000;
}

/* Server-owned fields: from the stored record, or from the defaults. */
static void parse_server_fields(struct schedule *s, const json_t *doc,
				const struct schedule_defaults *d,
				bool from_store)
{
	json_t *v;

	s->owner_uid = d->owner_uid;
	s->owner = schedule_intern(d->owner ? d->owner : "root");
	s->created_at_ms = s->updated_at_ms = d->now_ms;
	s->next_fire = s->last_fire = TIME_NONE;
	if (!from_store)
		return;
	if (json_is_integer(v = json_object_get(doc, "owner_uid")))
		s->owner_uid = (uid_t)json_integer_value(v);
	if (json_is_string(v = json_object_get(doc, "owner"))) {
		s->owner = schedule_intern(json_string_value(v));
	}
	s->created_at_ms = get_ms(doc, "created_at", d->now_ms);
	s->updated_at_ms = get_ms(doc, "updated_at", s->created_at_ms);
	s->last_fire = get_secs(doc, "last_fire_time");
	if (json_is_string(v = json_object_get(doc, "last_status")))
		s->last_status = xstrdup(json_string_value(v));
}

static const char *const schedule_keys[] = {
	"schedule_id", "name", "schedule_type", "schedule_definition",
	"asset_graph", "timezone", "status", "overlap", "catchup",
	"start_time", "end_time", "run_as",
	/* server-owned: accepted so that `get` output can be fed back */
	"owner", "owner_uid", "created_at", "updated_at", "next_fire_time",
	"next_fire_time_local", "last_fire_time", "last_status", NULL,
};

static int parse_names(struct schedule *s, const json_t *doc,
		       struct schedule_error *err)
{
	json_t *id = json_object_get(doc, "schedule_id");
	json_t *name = json_object_get(doc, "name");
	json_t *run_as = json_object_get(doc, "run_as");

	if (!json_is_string(id))
		return fail(err, "schedule_id", "missing or not a string");
	if (!schedule_id_valid(json_string_value(id)))
		return fail(err, "schedule_id",
			    "'%.140s' is not a valid id (1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit)",
			    json_string_value(id));
	s->id = xstrdup(json_string_value(id));
	if (name && !json_is_null(name) && (!json_is_string(name) || json_string_length(name) > 1024))
		return fail(err, "name", "expected a string");
	if (json_is_string(name) && strcmp(json_string_value(name), s->id) != 0)
		s->name = xstrdup(json_string_value(name));
	if (run_as && !json_is_null(run_as) &&
	    (!json_is_string(run_as) || json_string_length(run_as) == 0))
		return fail(err, "run_as", "expected a user name or null");
	s->run_as = json_is_string(run_as) ? xstrdup(json_string_value(run_as)) : NULL;
	return 0;
}

static int parse_policies(struct schedule *s, const json_t *doc,
			  struct schedule_error *err)
{
	int st, ov, cu, r;

	if ((r = parse_enum(doc, "status", status_names, SSTATUS_COUNT, SSTATUS_ACTIVE, &st, err)) < 0 ||
	    (r = parse_enum(doc, "overlap", overlap_names, 4, OVERLAP_QUEUE, &ov, err)) < 0 ||
	    (r = parse_enum(doc, "catchup", catchup_names, 3, CATCHUP_NONE, &cu, err)) < 0)
		return r;
	s->status = (enum schedule_status)st;
	s->overlap = (enum overlap_policy)ov;
	s->catchup = (enum catchup_policy)cu;
	return 0;
}

int schedule_from_json(const json_t *doc, const struct schedule_defaults *d,
		       bool from_store, struct schedule **ret,
		       struct schedule_error *err)
{
	struct schedule *s = xcalloc(1, sizeof *s);
	int r;

	s->heap_index = SIZE_MAX;
	if (!json_is_object(doc)) {
		r = fail(err, "schedule", "expected an object");
		goto fail;
	}
	if ((r = check_keys(doc, "", schedule_keys, err)) < 0 ||
	    (r = parse_names(s, doc, err)) < 0 ||
	    (r = parse_definition(s, doc, err)) < 0 ||
	    (r = asset_graph_validate(json_object_get(doc, "asset_graph"), err)) < 0 ||
	    (r = parse_zone(s, doc, d->timezone, err)) < 0 ||
	    (r = parse_policies(s, doc, err)) < 0 ||
	    (r = parse_time_field(doc, "start_time", s->tz, &s->start_time, err)) < 0 ||
	    (r = parse_time_field(doc, "end_time", s->tz, &s->end_time, err)) < 0)
		goto fail;
	if (s->start_time != TIME_NONE && s->end_time != TIME_NONE &&
	    s->end_time < s->start_time) {
		r = fail(err, "end_time", "is before start_time");
		goto fail;
	}
	s->asset_graph = json_dumps(json_object_get(doc, "asset_graph"), JSON_COMPACT);
	parse_server_fields(s, doc, d, from_store);
	*ret = s;
	return 0;
fail:
	schedule_free(s);
	return r;
}

static json_t *interned;	/* text -> the same text, shared */

const char *schedule_intern(const char *name)
{
	json_t *v;

	if (!interned)
		interned = json_object();
	v = json_object_get(interned, name);
	if (!v) {
		v = json_string(name);
		json_object_set_new(interned, name, v);
	}
	return json_string_value(v);
}

void schedule_intern_release(void)
{
	json_decref(interned);
	interned = NULL;
}

json_t *schedule_asset_graph(const struct schedule *s)
{
	json_t *g = s->asset_graph ? json_loads(s->asset_graph, 0, NULL) : NULL;

	return g ? g : json_object();
}

void schedule_free(struct schedule *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->name);
	free(s->definition);
	free(s->event_type);
	json_decref(s->accept_from);
	free(s->asset_graph);
	free(s->run_as);
	free(s->last_status);
	filter_free(s->filter);
	free(s);
}

static json_t *time_or_null(int64_t t)
{
	char buf[RFC3339_BUFSZ];

	return t == TIME_NONE ? json_null() : json_string(rfc3339_format_utc(t, buf));
}

json_t *schedule_to_json(const struct schedule *s)
{
	char buf[RFC3339_BUFSZ];
	json_t *o = json_object();

	json_object_set_new(o, "schedule_id", json_string(s->id));
	json_object_set_new(o, "name", json_string(s->name ? s->name : s->id));
	json_object_set_new(o, "schedule_type", json_string(type_names[s->type]));
	json_object_set_new(o, "schedule_definition", json_loads(s->definition, 0, NULL));
	json_object_set_new(o, "asset_graph", schedule_asset_graph(s));
	json_object_set_new(o, "timezone", json_string(s->timezone));
	json_object_set_new(o, "status", json_string(status_names[s->status]));
	json_object_set_new(o, "overlap", json_string(overlap_names[s->overlap]));
	json_object_set_new(o, "catchup", json_string(catchup_names[s->catchup]));
	json_object_set_new(o, "start_time", time_or_null(s->start_time));
	json_object_set_new(o, "end_time", time_or_null(s->end_time));
	json_object_set_new(o, "owner", json_string(s->owner));
	json_object_set_new(o, "owner_uid", json_integer(s->owner_uid));
	json_object_set_new(o, "run_as", s->run_as ? json_string(s->run_as) : json_null());
	json_object_set_new(o, "created_at", json_string(rfc3339_format_utc_ms(s->created_at_ms, buf)));
	json_object_set_new(o, "updated_at", json_string(rfc3339_format_utc_ms(s->updated_at_ms, buf)));
	json_object_set_new(o, "next_fire_time", time_or_null(s->next_fire));
	json_object_set_new(o, "next_fire_time_local", s->next_fire == TIME_NONE ? json_null() :
			    json_string(rfc3339_format_local(s->next_fire, s->tz, buf)));
	json_object_set_new(o, "last_fire_time", time_or_null(s->last_fire));
	json_object_set_new(o, "last_status", s->last_status ? json_string(s->last_status) : json_null());
	return o;
}

/* The interval grid's origin: start_time, else the add time rounded up to
 * a whole second (so fires land on whole seconds). */
static int64_t interval_origin(const struct schedule *s)
{
	if (s->start_time != TIME_NONE)
		return s->start_time;
	return (s->created_at_ms + 999) / 1000;
}

int schedule_next_after(const struct schedule *s, int64_t after, int64_t *ret)
{
	int64_t t;

	if (s->type == STYPE_EVENT)
		return -ENOENT;
	if (s->type == STYPE_INTERVAL) {
		t = interval_next(interval_origin(s), s->interval, after);
	} else {
		/* A cron schedule fires at or after start_time. */
		if (s->start_time != TIME_NONE && after < s->start_time - 1)
			after = s->start_time - 1;
		if (cron_next(&s->cron, s->tz, after, &t) < 0)
			return -ENOENT;
	}
	if (s->end_time != TIME_NONE && t > s->end_time)
		return -ENOENT;
	*ret = t;
	return 0;
}
