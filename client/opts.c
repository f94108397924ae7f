/*
 * vibectl's option parser: one small table of options per command, words
 * in any order, "--" ends the options (what follows is a command line for
 * `add`). Our own rather than getopt_long because GNU getopt's permutation
 * hides where "--" was and prints its own messages. Knows argv, not JSON
 * requests (except the small cli_set_* helpers that copy an option into an
 * object).
 */
#include "client/vibectl.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"

static const struct cli_opt *opt_find(const struct cli_opt *spec,
				      const char *name, size_t len,
				      char short_name)
{
	for (; spec && spec->name; spec++) {
		if (short_name && spec->short_name == short_name)
			return spec;
		if (!short_name && strlen(spec->name) == len &&
		    strncmp(spec->name, name, len) == 0)
			return spec;
	}
	return NULL;
}

static void optval_push(struct cli_optval *v, const char *val)
{
	v->vals = xrealloc(v->vals, (v->n + 1) * sizeof(*v->vals));
	v->vals[v->n++] = val;
}

/* One option word at ARGV[*i]; advances *i past its value. */
static int parse_option(struct cli_args *a, int argc, char **argv, int *i,
			char **cause)
{
	const char *w = argv[*i], *name, *eq, *val = NULL;
	const struct cli_opt *o;
	size_t len;

	if (w[1] == '-') {
		name = w + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		o = opt_find(a->spec, name, len, 0);
		if (eq)
			val = eq + 1;
	} else {
		name = w + 1;
		len = strlen(name);
		o = len == 1 ? opt_find(a->spec, NULL, 0, name[0]) : NULL;
		eq = NULL;
	}
	if (!o) {
		if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
			a->help = true;
			return 0;
		}
		if (strcmp(w, "--json") == 0) {
			a->json = true;
			return 0;
		}
		*cause = xasprintf("unknown option %s", w);
		return -EINVAL;
	}
	if (!(o->kind & CLI_ARG)) {
		if (val) {
			*cause = xasprintf("option --%s takes no value",
					   o->name);
			return -EINVAL;
		}
		val = "";
	} else if (!val) {
		if (*i + 1 >= argc) {
			*cause = xasprintf("option %s needs a value", w);
			return -EINVAL;
		}
		val = argv[++*i];
	}
	optval_push(&a->v[o - a->spec], val);
	return 0;
}

static int check_repeats(const struct cli_args *a, char **cause)
{
	const struct cli_opt *o;

	for (o = a->spec; o && o->name; o++) {
		if (a->v[o - a->spec].n > 1 && !(o->kind & CLI_MULTI)) {
			*cause = xasprintf("--%s given more than once", o->name);
			return -EINVAL;
		}
	}
	return 0;
}

int cli_args_parse(struct cli_args *a, const struct cli_opt *spec, int argc,
		   char **argv, char **cause)
{
	size_t nspec = 0;
	int i, r;

	while (spec && spec[nspec].name)
		nspec++;
	memset(a, 0, sizeof(*a));
	a->spec = spec;
	a->v = xcalloc(nspec + 1, sizeof(*a->v));
	a->pos = xcalloc((size_t)argc + 1, sizeof(*a->pos));
	for (i = 0; i < argc; i++) {
		const char *w = argv[i];

		if (strcmp(w, "--") == 0) {
			a->dashdash = true;
			a->trail = argv + i + 1;
			a->ntrail = (size_t)(argc - i - 1);
			break;
		}
		if (w[0] != '-' || w[1] == '\0') {
			a->pos[a->npos++] = w;
			continue;
		}
		r = parse_option(a, argc, argv, &i, cause);
		if (r < 0)
			return r;
	}
	return check_repeats(a, cause);
}

void cli_args_release(struct cli_args *a)
{
	const struct cli_opt *o;

	if (a->v)
		for (o = a->spec; o && o->name; o++)
			free(a->v[o - a->spec].vals);
	free(a->v);
	free(a->pos);
	memset(a, 0, sizeof(*a));
}

static const struct cli_optval *optval(const struct cli_args *a,
				       const char *name)
{
	const struct cli_opt *o = opt_find(a->spec, name, strlen(name), 0);

	return o ? &a->v[o - a->spec] : NULL;
}

const char *cli_arg(const struct cli_args *a, const char *name)
{
	const struct cli_optval *v = optval(a, name);

	return v && v->n ? v->vals[v->n - 1] : NULL;
}

size_t cli_arg_all(const struct cli_args *a, const char *name,
		   const char *const **ret_vals)
{
	const struct cli_optval *v = optval(a, name);

	if (ret_vals)
		*ret_vals = v && v->n ? v->vals : NULL;
	return v ? v->n : 0;
}

bool cli_flag(const struct cli_args *a, const char *name)
{
	const struct cli_optval *v = optval(a, name);

	return v && v->n > 0;
}

int cli_parse_long(const char *s, long min, long max, const char *what,
		   long *ret, char **cause)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		if (max == LONG_MAX)
			*cause = xasprintf("%s: expected an integer >= %ld, "
					   "got '%s'", what, min, s);
		else
			*cause = xasprintf("%s: expected an integer from %ld "
					   "to %ld, got '%s'", what, min, max,
					   s);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

int cli_set_long(json_t *obj, const char *key, const struct cli_args *a,
		 const char *opt, long min, long max, char **cause)
{
	const char *s = cli_arg(a, opt);
	char *what;
	long v;
	int r;

	if (!s)
		return 0;
	what = xasprintf("--%s", opt);
	r = cli_parse_long(s, min, max, what, &v, cause);
	free(what);
	if (r < 0)
		return r;
	json_object_set_new(obj, key, json_integer(v));
	return 0;
}

void cli_set_str(json_t *obj, const char *key, const struct cli_args *a,
		 const char *opt)
{
	const char *s = cli_arg(a, opt);

	if (s)
		json_object_set_new(obj, key, json_string(s));
}

int cli_check_choice(const struct cli_args *a, const char *opt,
		     const char *const *choices, char **cause)
{
	const char *s = cli_arg(a, opt);
	const char *const *c;
	char *list = NULL, *tmp;

	if (!s)
		return 0;
	for (c = choices; *c; c++)
		if (strcmp(*c, s) == 0)
			return 0;
	for (c = choices; *c; c++) {
		tmp = list ? xasprintf("%s, %s", list, *c) : xstrdup(*c);
		free(list);
		list = tmp;
	}
	*cause = xasprintf("--%s: expected one of %s, got '%s'", opt, list, s);
	free(list);
	return -EINVAL;
}
