/*
 * Typed values from the command line, for `vibectl event TYPE KEY=VALUE…`
 * and `add --filter PATH=VALUE`: a word that looks like a JSON number,
 * boolean or null becomes one, anything else a string; "KEY:=JSON" takes
 * raw JSON; dotted keys build nested objects. Also reads whole JSON
 * objects from files or stdin. Pure functions of their input; no requests.
 */
#include "client/vibectl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"

/* "-?(0|[1-9][0-9]*)" at S; returns the length matched, 0 if none. A
 * leading zero ("007", a zip code, an id) keeps the word a string. */
static size_t match_int_part(const char *s)
{
	size_t i = (s[0] == '-');

	if (s[i] == '0')
		return i + 1;
	if (s[i] < '1' || s[i] > '9')
		return 0;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

static size_t match_digits(const char *s)
{
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* Returns a number for JSON number syntax, else NULL. */
static json_t *parse_number(const char *s)
{
	size_t i = match_int_part(s), d;
	bool real = false;
	char *end;
	double x;
	long long v;

	if (i == 0 || (s[0] == '-' && i == 1))
		return NULL;
	if (s[i] == '.') {
		if (!(d = match_digits(s + i + 1)))
			return NULL;
		i += 1 + d;
		real = true;
	}
	if (s[i] == 'e' || s[i] == 'E') {
		i++;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (!(d = match_digits(s + i)))
			return NULL;
		i += d;
		real = true;
	}
	if (s[i] != '\0')
		return NULL;
	errno = 0;
	if (!real) {
		v = strtoll(s, &end, 10);
		if (errno == 0)
			return json_integer((json_int_t)v);
	}
	x = strtod(s, &end);
	return isfinite(x) ? json_real(x) : NULL;
}

json_t *cli_value_parse(const char *text)
{
	json_t *num;

	if (strcmp(text, "true") == 0)
		return json_true();
	if (strcmp(text, "false") == 0)
		return json_false();
	if (strcmp(text, "null") == 0)
		return json_null();
	num = parse_number(text);
	return num ? num : json_string(text);
}

int cli_kv_parse(const char *arg, char **ret_key, json_t **ret_value,
		 char **cause)
{
	const char *eq = strchr(arg, '=');
	bool raw;
	size_t klen;
	json_t *v;
	json_error_t jerr;

	if (!eq) {
		*cause = xasprintf("'%s': expected KEY=VALUE or KEY:=JSON", arg);
		return -EINVAL;
	}
	raw = eq > arg && eq[-1] == ':';
	klen = (size_t)(eq - arg) - raw;
	if (klen == 0) {
		*cause = xasprintf("'%s': empty key", arg);
		return -EINVAL;
	}
	if (raw) {
		v = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
			       &jerr);
		if (!v) {
			*cause = xasprintf("'%s': bad JSON after ':=': %s", arg,
					   jerr.text);
			return -EINVAL;
		}
	} else {
		v = cli_value_parse(eq + 1);
	}
	*ret_key = xstrndup(arg, klen);
	*ret_value = v;
	return 0;
}

int cli_obj_set_path(json_t *obj, const char *path, json_t *value,
		     char **cause)
{
	const char *seg = path, *dot;
	char *name;
	json_t *next;

	while ((dot = strchr(seg, '.'))) {
		if (dot == seg)
			goto empty;
		name = xstrndup(seg, (size_t)(dot - seg));
		next = json_object_get(obj, name);
		if (!next) {
			next = json_object();
			json_object_set_new(obj, name, next);
		} else if (!json_is_object(next)) {
			*cause = xasprintf("'%s': '%s' is already set to a "
					   "non-object", path, name);
			free(name);
			json_decref(value);
			return -EINVAL;
		}
		free(name);
		obj = next;
		seg = dot + 1;
	}
	if (!*seg)
		goto empty;
	json_object_set_new(obj, seg, value);
	return 0;
empty:
	*cause = xasprintf("'%s': empty key in dotted path", path);
	json_decref(value);
	return -EINVAL;
}

int cli_kv_apply(json_t *obj, const char *const *words, size_t n,
		 char **cause)
{
	size_t i;
	char *key;
	json_t *v;
	int r;

	for (i = 0; i < n; i++) {
		r = cli_kv_parse(words[i], &key, &v, cause);
		if (r < 0)
			return r;
		r = cli_obj_set_path(obj, key, v, cause);
		free(key);
		if (r < 0)
			return r;
	}
	return 0;
}

int cli_read_json_object(const char *file, FILE *in, json_t **ret,
			 char **cause)
{
	bool use_stdin = strcmp(file, "-") == 0;
	const char *what = use_stdin ? "stdin" : file;
	json_error_t jerr;
	json_t *root;
	FILE *f = use_stdin ? in : fopen(file, "re");

	if (!f) {
		*cause = xasprintf("cannot open %s: %s", file, strerror(errno));
		return -EINVAL;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!use_stdin)
		fclose(f);
	if (!root) {
		*cause = xasprintf("%s: bad JSON at line %d: %s", what,
				   jerr.line, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		*cause = xasprintf("%s: expected a JSON object", what);
		json_decref(root);
		return -EINVAL;
	}
	*ret = root;
	return 0;
}
