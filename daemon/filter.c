/*
 * Event filters (DESIGN §4, "Events"): compiles schedule_definition.filter
 * into clauses (a path split once into segments, a matcher with its regex
 * compiled) and matches event_data against them without allocating.
 *
 * Owns: the filter grammar, its validation messages ("filter.PATH: what is
 * wrong"), and the checks that keep a hostile regex cheap before regcomp
 * sees it (filters are written by unprivileged peers but run on everyone's
 * events; see "regex cost bounds"). Does not own: which schedules an event
 * reaches, debounce, or where event data goes. Pure: no global state.
 */
#include "daemon/filter.h"

#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"

/* Saturation value of the size estimate, far above the limit. */
#define SIZE_CAP ((size_t)1 << 24)

/* In matching cost order: cheap clauses are tried first. */
enum op { OP_EXISTS, OP_EQ, OP_IN, OP_GLOB, OP_REGEX };

struct seg {
	const char *key;	/* borrowed from clause.buf */
	long index;		/* array index, or -1 if KEY is not one */
};

struct clause {
	char *buf;		/* the path, '.' replaced by NUL */
	size_t nseg;
	struct seg seg[FILTER_MAX_SEGMENTS];
	enum op op;
	json_t *value;		/* new: OP_EQ scalar, OP_IN array, OP_GLOB
				 * and OP_REGEX pattern string */
	bool exists;		/* OP_EXISTS */
	bool re_ok;		/* OP_REGEX: re holds a compiled pattern */
	size_t re_size;		/* OP_REGEX: estimated positions */
	regex_t re;
};

struct filter {
	size_t n;
	struct clause *c;
};

/* ---- validation ----------------------------------------------------- */

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

/* A segment of 1-9 digits without a leading zero indexes an array. */
static long seg_index(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 9 || s[n] != '\0' || (s[0] == '0' && n > 1))
		return -1;
	return strtol(s, NULL, 10);
}

static size_t count_segments(const char *path)
{
	size_t n = 1;

	for (; *path; path++)
		n += *path == '.';
	return n;
}

/* Splits PATH (LEN bytes) into C's segments. Returns 0, or -EINVAL with
 * *why (new). */
static int path_split(struct clause *c, const char *path, size_t len,
		      char **why)
{
	size_t n = count_segments(path);
	char *p, *dot;

	if (strlen(path) != len) {
		*why = xstrdup("path contains a NUL byte");
		return -EINVAL;
	}
	if (*path == '\0') {
		*why = xstrdup("empty path; paths look like \"s3.object.key\"");
		return -EINVAL;
	}
	if (n > FILTER_MAX_SEGMENTS) {
		*why = xasprintf("path has %zu segments; at most %d", n,
				 FILTER_MAX_SEGMENTS);
		return -EINVAL;
	}
	c->buf = xstrdup(path);
	for (p = c->buf;; p = dot + 1) {
		dot = strchr(p, '.');
		if (dot)
			*dot = '\0';
		if (*p == '\0') {
			*why = xstrdup("empty segment in path (\"a..b\", \".a\" "
				       "or \"a.\"); paths look like "
				       "\"s3.object.key\"");
			return -EINVAL;
		}
		c->seg[c->nseg].key = p;
		c->seg[c->nseg++].index = seg_index(p);
		if (!dot)
			return 0;
	}
}

static bool is_scalar(const json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

static int in_compile(struct clause *c, const json_t *v, char **why)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v)) {
		*why = xasprintf("in: must be an array, not %s", type_name(v));
		return -EINVAL;
	}
	json_array_foreach(v, i, e) {
		if (!is_scalar(e)) {
			*why = xasprintf("in: element %zu is %s; elements must "
					 "be strings, numbers, booleans or "
					 "null", i, type_name(e));
			return -EINVAL;
		}
	}
	c->op = OP_IN;
	c->value = json_deep_copy(v);
	return 0;
}

/* Checks that V is a string usable as a pattern for matcher NAME. */
static int pattern_check(const char *name, const json_t *v, char **why)
{
	if (!json_is_string(v)) {
		*why = xasprintf("%s: must be a string, not %s", name,
				 type_name(v));
		return -EINVAL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		*why = xasprintf("%s: contains a NUL byte", name);
		return -EINVAL;
	}
	if (json_string_length(v) > FILTER_MAX_PATTERN) {
		*why = xasprintf("%s: longer than %d bytes", name,
				 FILTER_MAX_PATTERN);
		return -EINVAL;
	}
	return 0;
}

static int glob_compile(struct clause *c, const json_t *v, char **why)
{
	if (pattern_check("glob", v, why) < 0)
		return -EINVAL;
	c->op = OP_GLOB;
	c->value = json_deep_copy(v);
	return 0;
}

/* ---- regex cost bounds ------------------------------------------------ */

/*
 * glibc compiles "a+" to "aa*" and "a{2,4}" to "aa(a(a)?)?", so nested
 * repetitions multiply the automaton; and a repetition of something that
 * can match the empty string ("(a?)+", "a??+") makes its epsilon-closure
 * computation explode (seconds for 20 bytes). Before regcomp we scan the
 * pattern lexically, estimate the positions it expands to, and refuse
 * back-references, adjacent repetition operators (undefined in POSIX ERE)
 * and repetitions of a nullable operand.
 */

static size_t sat_add(size_t a, size_t b)
{
	return a + b > SIZE_CAP ? SIZE_CAP : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
	return a != 0 && b > SIZE_CAP / a ? SIZE_CAP : a * b;
}

/* One level of parentheses: positions so far and those of the last atom
 * (what a following repetition multiplies); whether the current
 * alternative can match empty (and could before its last atom), whether
 * the last atom can, and whether some finished alternative can. */
struct re_frame {
	size_t total, last;
	bool alt_null, prev_null, last_null, any_null;
};

struct re_scan {
	struct re_frame *st;	/* owned; st[0..depth] are open */
	size_t depth;
	bool after_quant;	/* the previous token was a repetition */
	const char *err;	/* why the pattern is refused */
};

static const struct re_frame re_frame_init = { 0, 0, true, true, false,
					       false };

static void re_atom(struct re_frame *fr, size_t size, bool nullable)
{
	fr->total = sat_add(fr->total, size);
	fr->last = size;
	fr->prev_null = fr->alt_null;
	fr->alt_null = fr->alt_null && nullable;
	fr->last_null = nullable;
}

/* Applies a repetition that makes K copies of the last atom; NULLABLE:
 * the repeated atom can then match empty ("*", "?", "{0,n}"). */
static int re_quant(struct re_scan *sc, size_t k, bool nullable)
{
	struct re_frame *fr = &sc->st[sc->depth];

	if (sc->after_quant) {
		sc->err = "adjacent repetition operators are undefined in "
			  "POSIX ERE (there are no lazy or possessive forms); "
			  "use a group such as \"(a+)?\"";
		return -EINVAL;
	}
	if (fr->last > 0 && fr->last_null) {
		sc->err = "repeating something that can match the empty "
			  "string (like \"(a?)+\" or \"(a|)*\") is refused: "
			  "regcomp takes exponential time on it";
		return -EINVAL;
	}
	fr->total = sat_add(fr->total, sat_mul(fr->last, k - 1));
	fr->last = sat_mul(fr->last, k);
	if (nullable && fr->last > 0) {
		fr->last_null = true;
		fr->alt_null = fr->prev_null;
	}
	sc->after_quant = true;
	return 0;
}

/* Index of the ']' closing the bracket expression opened at P[I], or of
 * the last byte if it is unterminated (regcomp will say so). */
static size_t bracket_end(const char *p, size_t i)
{
	size_t j = i + 1;
	char kind;

	j += p[j] == '^';
	j += p[j] == ']';
	while (p[j] && p[j] != ']') {
		if (p[j] == '[' && p[j + 1] && strchr(":.=", p[j + 1])) {
			kind = p[j + 1];
			for (j += 2; p[j] && !(p[j] == kind && p[j + 1] == ']');)
				j++;
			if (!p[j])
				break;
			j++;
		}
		j++;
	}
	return p[j] ? j : j - 1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t read_count(const char *p, size_t *i)
{
	size_t n = 0;

	while (is_digit(p[*i]))
		n = sat_add(sat_mul(n, 10), (size_t)(p[(*i)++] - '0'));
	return n;
}

/* If P[I] opens a bound "{m}", "{m,}", "{m,n}" or glibc's "{,n}", returns
 * how many copies of the atom it expands to, sets *RET_MIN to m and *I to
 * its '}'; otherwise returns 0 (regcomp takes the '{' literally or
 * refuses it). */
static size_t re_bound(const char *p, size_t *i, size_t *ret_min)
{
	size_t j = *i + 1, m, n;

	if (!is_digit(p[j]) && p[j] != ',')
		return 0;
	m = n = read_count(p, &j);
	if (p[j] == ',') {
		j++;
		if (p[j] == '}')
			n = sat_add(m, 1);
		else if (is_digit(p[j]))
			n = read_count(p, &j);
		else
			return 0;
	}
	if (p[j] != '}')
		return 0;
	*i = j;
	*ret_min = m;
	return m > n ? m : (n > 0 ? n : 1);
}

static void re_group_end(struct re_scan *sc)
{
	struct re_frame *fr = &sc->st[sc->depth];

	if (sc->depth == 0) {
		re_atom(fr, 1, false);	/* a literal ')' to glibc */
		return;
	}
	sc->depth--;
	re_atom(&sc->st[sc->depth], fr->total ? fr->total : 1,
		fr->any_null || fr->alt_null);
}

/* Scans the token at P[*I] (a byte, escape, bracket or bound). */
static int re_step(struct re_scan *sc, const char *p, size_t *i)
{
	struct re_frame *fr = &sc->st[sc->depth];
	size_t k, min = 0;

	switch (p[*i]) {
	case '*':
	case '?':
		return re_quant(sc, 1, true);
	case '+':
		return re_quant(sc, 2, false);
	case '{':
		k = re_bound(p, i, &min);
		if (k > 0)
			return re_quant(sc, k, min == 0);
		re_atom(fr, 1, false);
		break;
	case '\\':
		if (is_digit(p[*i + 1]) && p[*i + 1] != '0') {
			sc->err = "back-references (\\1 to \\9) are not part "
				  "of POSIX ERE";
			return -EINVAL;
		}
		*i += p[*i + 1] != '\0';
		re_atom(fr, 1, false);
		break;
	case '[':
		*i = bracket_end(p, *i);
		re_atom(fr, 1, false);
		break;
	case '(':
		sc->st[++sc->depth] = re_frame_init;
		break;
	case ')':
		re_group_end(sc);
		break;
	case '|':
		fr->any_null = fr->any_null || fr->alt_null;
		*fr = (struct re_frame){ fr->total, 0, true, true, false,
					 fr->any_null };
		break;
	case '^':
	case '$':
		re_atom(fr, 1, true);
		break;
	default:
		re_atom(fr, 1, false);
	}
	sc->after_quant = false;
	return 0;
}

/* Checks PAT and estimates the positions it expands to. Returns 0 and
 * *ret_size, or -EINVAL with *why (new). */
static int regex_size(const char *pat, size_t *ret_size, char **why)
{
	struct re_scan sc = { NULL, 0, false, NULL };
	size_t i, size = 0;
	int r = 0;

	sc.st = xcalloc(strlen(pat) + 1, sizeof(*sc.st));
	sc.st[0] = re_frame_init;
	for (i = 0; pat[i] && r == 0; i++)
		r = re_step(&sc, pat, &i);
	if (r < 0) {
		*why = xasprintf("regex: %s", sc.err);
	} else {
		for (i = 0; i <= sc.depth; i++)
			size = sat_add(size, sc.st[i].total);
		*ret_size = size;
	}
	free(sc.st);
	return r;
}

static int regex_compile(struct clause *c, const json_t *v, char **why)
{
	const char *pat;
	char msg[256];
	size_t size;
	int r;

	if (pattern_check("regex", v, why) < 0)
		return -EINVAL;
	pat = json_string_value(v);
	if (regex_size(pat, &size, why) < 0)
		return -EINVAL;
	if (size > FILTER_MAX_REGEX_SIZE) {
		*why = xasprintf("regex: too large once repetitions are "
				 "expanded (%zu%s positions; at most %d)",
				 size, size == SIZE_CAP ? " or more" : "",
				 FILTER_MAX_REGEX_SIZE);
		return -EINVAL;
	}
	r = regcomp(&c->re, pat, REG_EXTENDED | REG_NOSUB);
	if (r != 0) {
		regerror(r, &c->re, msg, sizeof(msg));
		*why = xasprintf("regex: %s", msg);
		return -EINVAL;
	}
	c->re_ok = true;
	c->re_size = size;
	c->op = OP_REGEX;
	c->value = json_deep_copy(v);
	return 0;
}

static int exists_compile(struct clause *c, const json_t *v, char **why)
{
	if (!json_is_boolean(v)) {
		*why = xasprintf("exists: must be true or false, not %s",
				 type_name(v));
		return -EINVAL;
	}
	c->op = OP_EXISTS;
	c->exists = json_is_true(v);
	return 0;
}

struct op_def {
	const char *name;
	int (*compile)(struct clause *c, const json_t *v, char **why);
};

static const struct op_def op_defs[] = {
	{ "in", in_compile },
	{ "glob", glob_compile },
	{ "regex", regex_compile },
	{ "exists", exists_compile },
};

#define OP_COUNT (sizeof(op_defs) / sizeof(op_defs[0]))

static const struct op_def *op_find(const char *name)
{
	size_t i;

	for (i = 0; i < OP_COUNT; i++)
		if (strcmp(op_defs[i].name, name) == 0)
			return &op_defs[i];
	return NULL;
}

/* Explains why the matcher object M (at PATH) does not hold one known
 * key. Returns -EINVAL with *why (new). */
static int matcher_object_error(const char *path, json_t *m, char **why)
{
	size_t n = json_object_size(m), known = 0;
	const char *key;
	json_t *v;

	json_object_foreach(m, key, v)
		known += op_find(key) != NULL;
	if (n == 0)
		*why = xstrdup("empty matcher object; give a scalar for "
			       "equality or one of in, glob, regex, exists");
	else if (known > 0)
		*why = xasprintf("matcher has %zu keys; give exactly one of "
				 "in, glob, regex, exists", n);
	else if (n == 1)
		*why = xasprintf("unknown matcher \"%s\"; use one of in, "
				 "glob, regex, exists (or a deeper path such "
				 "as \"%s.%s\" to match a nested field)",
				 json_object_iter_key(json_object_iter(m)),
				 path, json_object_iter_key(
					 json_object_iter(m)));
	else
		*why = xasprintf("an object cannot be matched by equality; "
				 "use a deeper path such as \"%s.%s\" or one "
				 "of in, glob, regex, exists",
				 path, json_object_iter_key(
					 json_object_iter(m)));
	return -EINVAL;
}

static int clause_compile(struct clause *c, const char *path, size_t len,
			  json_t *m, char **why)
{
	const struct op_def *op;
	json_t *v;

	if (path_split(c, path, len, why) < 0)
		return -EINVAL;
	if (json_is_array(m)) {
		*why = xasprintf("an array cannot be matched by equality; use "
				 "{\"in\":[...]} for any of several values or "
				 "a deeper path such as \"%s.0\"", path);
		return -EINVAL;
	}
	if (!json_is_object(m)) {
		c->op = OP_EQ;
		c->value = json_deep_copy(m);
		return 0;
	}
	if (json_object_size(m) != 1)
		return matcher_object_error(path, m, why);
	op = op_find(json_object_iter_key(json_object_iter(m)));
	if (!op)
		return matcher_object_error(path, m, why);
	v = json_object_iter_value(json_object_iter(m));
	return op->compile(c, v, why);
}

static void clause_release(struct clause *c)
{
	free(c->buf);
	json_decref(c->value);
	if (c->re_ok)
		regfree(&c->re);
}

static int clause_cmp(const void *a, const void *b)
{
	const struct clause *x = a, *y = b;

	return (int)x->op - (int)y->op;
}

/* Sets the error outputs of filter_compile for PATH and WHY (steals). */
static int compile_fail(const char *path, char *why, char **ret_path,
			char **cause)
{
	if (ret_path)
		*ret_path = xstrdup(path);
	if (*path)
		*cause = xasprintf("filter.%s: %s", path, why);
	else
		*cause = xasprintf("filter: %s", why);
	free(why);
	return -EINVAL;
}

int filter_compile(const json_t *spec, struct filter **ret, char **ret_path,
		   char **cause)
{
	struct filter *f;
	struct clause *c;
	const char *key;
	size_t len, re_total = 0;
	json_t *m;
	char *why = NULL;

	if (!json_is_object(spec))
		return compile_fail("", xasprintf("must be a JSON object of "
						  "path -> matcher, not %s",
						  spec ? type_name(spec)
						       : "missing"),
				    ret_path, cause);
	if (json_object_size(spec) > FILTER_MAX_CLAUSES)
		return compile_fail("", xasprintf("has %zu paths; at most %d",
						  json_object_size(spec),
						  FILTER_MAX_CLAUSES),
				    ret_path, cause);
	f = xcalloc(1, sizeof(*f));
	f->c = xcalloc(json_object_size(spec) + 1, sizeof(*f->c));
	/* jansson's iterators take a non-const object; nothing is changed. */
	json_object_keylen_foreach((json_t *)spec, key, len, m) {
		c = &f->c[f->n++];
		if (clause_compile(c, key, len, m, &why) == 0) {
			re_total += c->re_size;
			if (re_total > FILTER_MAX_REGEX_TOTAL)
				why = xasprintf("regex: the filter's regexes "
						"together expand to %zu "
						"positions; at most %d",
						re_total,
						FILTER_MAX_REGEX_TOTAL);
		}
		if (why) {
			filter_free(f);
			return compile_fail(key, why, ret_path, cause);
		}
	}
	qsort(f->c, f->n, sizeof(*f->c), clause_cmp);
	*ret = f;
	return 0;
}

void filter_free(struct filter *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++)
		clause_release(&f->c[i]);
	free(f->c);
	free(f);
}

/* ---- matching ------------------------------------------------------- */

/* The value C's path leads to in ROOT (borrowed), or NULL. */
static const json_t *resolve(const struct clause *c, const json_t *root)
{
	const json_t *v = root;
	size_t i;

	for (i = 0; i < c->nseg && v; i++) {
		if (json_is_object(v))
			v = json_object_get(v, c->seg[i].key);
		else if (json_is_array(v) && c->seg[i].index >= 0)
			v = json_array_get(v, (size_t)c->seg[i].index);
		else
			v = NULL;
	}
	return v;
}

/* Exact comparison of an integer and a real: 1 equals 1.0, and 2^53 + 1
 * does not equal the double 2^53. */
static bool int_equals_real(json_int_t i, double d)
{
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return false;
	return (double)(json_int_t)d == d && (json_int_t)d == i;
}

static bool scalar_equal(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_real(b))
		return int_equals_real(json_integer_value(a),
				       json_real_value(b));
	if (json_is_real(a) && json_is_integer(b))
		return int_equals_real(json_integer_value(b),
				       json_real_value(a));
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b),
			      json_string_length(a)) == 0;
	case JSON_INTEGER:
		return json_integer_value(a) == json_integer_value(b);
	case JSON_REAL:
		return json_real_value(a) == json_real_value(b);
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		return true;
	default:
		return false;
	}
}

/* V's text if V is a string without NUL bytes (which fnmatch and regexec
 * would cut short), else NULL. */
static const char *plain_string(const json_t *v)
{
	const char *s = json_string_value(v);

	return s && strlen(s) == json_string_length(v) ? s : NULL;
}

static bool clause_match(const struct clause *c, const json_t *root)
{
	const json_t *v = resolve(c, root), *e;
	const char *s;
	size_t i;

	if (c->op == OP_EXISTS)
		return (v != NULL) == c->exists;
	if (!v)
		return false;
	switch (c->op) {
	case OP_EQ:
		return scalar_equal(c->value, v);
	case OP_IN:
		for (i = 0; i < json_array_size(c->value); i++) {
			e = json_array_get(c->value, i);
			if (scalar_equal(e, v))
				return true;
		}
		return false;
	case OP_GLOB:
		s = plain_string(v);
		return s && fnmatch(json_string_value(c->value), s, 0) == 0;
	case OP_REGEX:
		s = plain_string(v);
		return s && regexec(&c->re, s, 0, NULL, 0) == 0;
	default:
		return false;
	}
}

bool filter_match(const struct filter *f, const json_t *event_data)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!clause_match(&f->c[i], event_data))
			return false;
	return true;
}
