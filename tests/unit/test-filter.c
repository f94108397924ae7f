/*
 * Tests of daemon/filter.c: each matcher matching and not matching, nested
 * paths and array indexes, missing paths, type mismatches, 1 versus 1.0,
 * every validation error with the path it names, and the regex bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/filter.h"
#include "proto/xalloc.h"

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

	if (!v)
		fail_msg("bad JSON in test: %s: %s", text, err.text);
	return v;
}

/* Compiles the filter SPEC and matches the event EVENT (NULL: a NULL
 * event_data) against it. */
static bool match(const char *spec, const char *event)
{
	json_t *s = parse(spec), *e = event ? parse(event) : NULL;
	struct filter *f = NULL;
	char *path = NULL, *cause = NULL;
	bool r;

	if (filter_compile(s, &f, &path, &cause) < 0)
		fail_msg("%s: %s", spec, cause);
	assert_null(path);
	assert_null(cause);
	r = filter_match(f, e);
	filter_free(f);
	json_decref(s);
	json_decref(e);
	return r;
}

/* Checks that SPEC is refused, naming PATH, with the message CAUSE (when
 * it ends in '*', a prefix of the message). */
static void bad(const char *spec, const char *path, const char *cause)
{
	json_t *s = parse(spec);
	struct filter *f = NULL;
	char *p = NULL, *c = NULL;
	size_t n = strlen(cause);

	assert_int_equal(filter_compile(s, &f, &p, &c), -EINVAL);
	assert_null(f);
	assert_non_null(p);
	assert_non_null(c);
	assert_string_equal(p, path);
	if (cause[n - 1] == '*') {
		if (strncmp(c, cause, n - 1) != 0)
			fail_msg("\"%s\" does not start with \"%.*s\"", c,
				 (int)n - 1, cause);
	} else {
		assert_string_equal(c, cause);
	}
	free(p);
	free(c);
	json_decref(s);
}

static void test_empty_filter(void **state)
{
	(void)state;
	assert_true(match("{}", "{}"));
	assert_true(match("{}", "{\"a\":1}"));
	assert_true(match("{}", NULL));
	assert_true(match("{}", "[1,2]"));
}

static void test_equality_scalars(void **state)
{
	(void)state;
	assert_true(match("{\"bucket\":\"raw\"}", "{\"bucket\":\"raw\"}"));
	assert_false(match("{\"bucket\":\"raw\"}", "{\"bucket\":\"raw2\"}"));
	assert_false(match("{\"bucket\":\"raw\"}", "{\"bucket\":\"Raw\"}"));
	assert_true(match("{\"n\":3}", "{\"n\":3}"));
	assert_false(match("{\"n\":3}", "{\"n\":4}"));
	assert_true(match("{\"ok\":true}", "{\"ok\":true}"));
	assert_false(match("{\"ok\":true}", "{\"ok\":false}"));
	assert_true(match("{\"ok\":false}", "{\"ok\":false}"));
	assert_true(match("{\"x\":null}", "{\"x\":null}"));
	assert_false(match("{\"x\":null}", "{}"));
	/* Several clauses: all must hold. */
	assert_true(match("{\"a\":1,\"b\":\"x\"}", "{\"a\":1,\"b\":\"x\"}"));
	assert_false(match("{\"a\":1,\"b\":\"x\"}", "{\"a\":1,\"b\":\"y\"}"));
	assert_false(match("{\"a\":1,\"b\":\"x\"}", "{\"a\":2,\"b\":\"x\"}"));
}

static void test_equality_types(void **state)
{
	(void)state;
	/* No coercion between types. */
	assert_false(match("{\"n\":1}", "{\"n\":\"1\"}"));
	assert_false(match("{\"n\":\"1\"}", "{\"n\":1}"));
	assert_false(match("{\"n\":1}", "{\"n\":true}"));
	assert_false(match("{\"n\":0}", "{\"n\":false}"));
	assert_false(match("{\"n\":0}", "{\"n\":null}"));
	assert_false(match("{\"n\":null}", "{\"n\":false}"));
	assert_false(match("{\"n\":\"\"}", "{\"n\":null}"));
	assert_false(match("{\"n\":1}", "{\"n\":[1]}"));
	assert_false(match("{\"n\":1}", "{\"n\":{\"a\":1}}"));
	/* Strings compare byte for byte, NUL bytes included. */
	assert_false(match("{\"s\":\"a\"}", "{\"s\":\"a\\u0000b\"}"));
	assert_true(match("{\"s\":\"a\\u0000b\"}", "{\"s\":\"a\\u0000b\"}"));
}

static void test_numbers(void **state)
{
	(void)state;
	assert_true(match("{\"n\":1}", "{\"n\":1.0}"));
	assert_true(match("{\"n\":1.0}", "{\"n\":1}"));
	assert_true(match("{\"n\":1.0}", "{\"n\":1.0}"));
	assert_true(match("{\"n\":1e0}", "{\"n\":1}"));
	assert_true(match("{\"n\":-0.0}", "{\"n\":0}"));
	assert_false(match("{\"n\":1}", "{\"n\":1.5}"));
	assert_true(match("{\"n\":2.5}", "{\"n\":2.5}"));
	/* Exact, not through a double: 2^53 + 1 is not the double 2^53. */
	assert_false(match("{\"n\":9007199254740993}",
			   "{\"n\":9007199254740992.0}"));
	assert_true(match("{\"n\":9007199254740992}",
			  "{\"n\":9007199254740992.0}"));
	/* Reals beyond the integer range equal no integer. */
	assert_false(match("{\"n\":9223372036854775807}",
			   "{\"n\":9223372036854775808.0}"));
	assert_false(match("{\"n\":-9223372036854775807}", "{\"n\":-1e300}"));
	assert_true(match("{\"n\":-9223372036854775808}",
			  "{\"n\":-9223372036854775808.0}"));
	assert_true(match("{\"n\":{\"in\":[1,2]}}", "{\"n\":2.0}"));
}

static void test_in(void **state)
{
	(void)state;
	assert_true(match("{\"env\":{\"in\":[\"prod\",\"staging\"]}}",
			  "{\"env\":\"staging\"}"));
	assert_false(match("{\"env\":{\"in\":[\"prod\",\"staging\"]}}",
			   "{\"env\":\"dev\"}"));
	assert_true(match("{\"v\":{\"in\":[\"x\",1,true,null]}}",
			  "{\"v\":null}"));
	assert_true(match("{\"v\":{\"in\":[\"x\",1,true,null]}}",
			  "{\"v\":true}"));
	assert_false(match("{\"v\":{\"in\":[\"x\",1,true,null]}}",
			   "{\"v\":false}"));
	assert_false(match("{\"v\":{\"in\":[\"1\"]}}", "{\"v\":1}"));
	assert_false(match("{\"v\":{\"in\":[]}}", "{\"v\":1}"));
	assert_false(match("{\"v\":{\"in\":[1]}}", "{\"v\":[1]}"));
	assert_false(match("{\"v\":{\"in\":[1]}}", "{}"));
}

static void test_glob(void **state)
{
	(void)state;
	assert_true(match("{\"key\":{\"glob\":\"*.csv\"}}",
			  "{\"key\":\"data.csv\"}"));
	assert_true(match("{\"key\":{\"glob\":\"*.csv\"}}",
			  "{\"key\":\"in/2025/data.csv\"}"));
	assert_false(match("{\"key\":{\"glob\":\"*.csv\"}}",
			   "{\"key\":\"data.csv.gz\"}"));
	assert_true(match("{\"key\":{\"glob\":\"in/?\?/[a-c]*\"}}",
			  "{\"key\":\"in/01/b.txt\"}"));
	assert_false(match("{\"key\":{\"glob\":\"in/?\?/[a-c]*\"}}",
			   "{\"key\":\"in/01/d.txt\"}"));
	assert_true(match("{\"key\":{\"glob\":\"\"}}", "{\"key\":\"\"}"));
	/* Strings only. */
	assert_false(match("{\"n\":{\"glob\":\"*\"}}", "{\"n\":5}"));
	assert_false(match("{\"n\":{\"glob\":\"*\"}}", "{\"n\":null}"));
	assert_false(match("{\"n\":{\"glob\":\"*\"}}", "{\"n\":[\"a\"]}"));
	assert_false(match("{\"n\":{\"glob\":\"*\"}}", "{}"));
	/* A NUL byte would cut the value short: no match. */
	assert_false(match("{\"n\":{\"glob\":\"*\"}}",
			   "{\"n\":\"a\\u0000b\"}"));
}

static void test_regex(void **state)
{
	(void)state;
	assert_true(match("{\"key\":{\"regex\":\"^raw/[0-9]{4}/\"}}",
			  "{\"key\":\"raw/2025/x.csv\"}"));
	assert_false(match("{\"key\":{\"regex\":\"^raw/[0-9]{4}/\"}}",
			   "{\"key\":\"raw/25/x.csv\"}"));
	/* Unanchored: a match anywhere counts. */
	assert_true(match("{\"key\":{\"regex\":\"csv|json\"}}",
			  "{\"key\":\"a.json.gz\"}"));
	assert_true(match("{\"key\":{\"regex\":\"(ab)+c?$\"}}",
			  "{\"key\":\"xabab\"}"));
	assert_false(match("{\"key\":{\"regex\":\"^a\"}}",
			   "{\"key\":\"ba\"}"));
	assert_false(match("{\"n\":{\"regex\":\".*\"}}", "{\"n\":12}"));
	assert_false(match("{\"n\":{\"regex\":\".*\"}}", "{\"n\":true}"));
	assert_false(match("{\"n\":{\"regex\":\".*\"}}", "{}"));
	assert_false(match("{\"n\":{\"regex\":\"^a$\"}}",
			   "{\"n\":\"a\\u0000b\"}"));
	/* Up to the size bound, and the ERE features people use. */
	assert_true(match("{\"k\":{\"regex\":\"^.{1,250}$\"}}",
			  "{\"k\":\"abc\"}"));
	assert_true(match("{\"k\":{\"regex\":\"^[[:digit:]]{2,}[]x]$\"}}",
			  "{\"k\":\"123]\"}"));
	assert_true(match("{\"k\":{\"regex\":\"a\\\\{2\\\\}\"}}",
			  "{\"k\":\"a{2}\"}"));
	/* Repetitions of operands that cannot match empty are fine. */
	assert_true(match("{\"k\":{\"regex\":"
			  "\"^-?([0-9]+(\\\\.[0-9]*)?)?$\"}}",
			  "{\"k\":\"-12.5\"}"));
	assert_true(match("{\"k\":{\"regex\":\"(a*b)+$\"}}",
			  "{\"k\":\"aabbab\"}"));
	assert_true(match("{\"k\":{\"regex\":\"(^|/)x(y|z)?$\"}}",
			  "{\"k\":\"a/x\"}"));
	assert_true(match("{\"k\":{\"regex\":\"^(a|b)*c+d?$\"}}",
			  "{\"k\":\"ababcc\"}"));
}

static void test_exists(void **state)
{
	(void)state;
	assert_true(match("{\"a\":{\"exists\":true}}", "{\"a\":0}"));
	assert_true(match("{\"a\":{\"exists\":true}}", "{\"a\":null}"));
	assert_false(match("{\"a\":{\"exists\":true}}", "{\"b\":0}"));
	assert_true(match("{\"a\":{\"exists\":false}}", "{\"b\":0}"));
	assert_false(match("{\"a\":{\"exists\":false}}", "{\"a\":{}}"));
	assert_true(match("{\"a.b\":{\"exists\":false}}", "{\"a\":1}"));
	assert_true(match("{\"a.b\":{\"exists\":false}}", NULL));
	assert_false(match("{\"a\":{\"exists\":true}}", NULL));
}

static void test_paths(void **state)
{
	(void)state;
	assert_true(match("{\"s3.object.key\":\"k\"}",
			  "{\"s3\":{\"object\":{\"key\":\"k\"}}}"));
	assert_false(match("{\"s3.object.key\":\"k\"}",
			   "{\"s3\":{\"object\":{\"size\":1}}}"));
	/* The dotted name is a path, never a literal key. */
	assert_false(match("{\"s3.object\":1}", "{\"s3.object\":1}"));
	assert_true(match("{\"files.0.name\":\"a\"}",
			  "{\"files\":[{\"name\":\"a\"},{\"name\":\"b\"}]}"));
	assert_true(match("{\"files.1.name\":\"b\"}",
			  "{\"files\":[{\"name\":\"a\"},{\"name\":\"b\"}]}"));
	assert_false(match("{\"files.2.name\":{\"exists\":true}}",
			   "{\"files\":[{\"name\":\"a\"},{\"name\":\"b\"}]}"));
	assert_true(match("{\"m.1.0\":7}", "{\"m\":[[1],[7,8]]}"));
	/* A digit segment is a key in an object. */
	assert_true(match("{\"byid.0\":\"x\"}", "{\"byid\":{\"0\":\"x\"}}"));
	/* "01" and "-1" are not indexes; a word does not index an array. */
	assert_false(match("{\"a.01\":{\"exists\":true}}", "{\"a\":[1,2]}"));
	assert_false(match("{\"a.-1\":{\"exists\":true}}", "{\"a\":[1,2]}"));
	assert_false(match("{\"a.x\":{\"exists\":true}}", "{\"a\":[1,2]}"));
	assert_false(match("{\"a.99999999999\":{\"exists\":true}}",
			   "{\"a\":[1,2]}"));
	/* Walking through a scalar finds nothing. */
	assert_false(match("{\"a.b\":{\"exists\":true}}", "{\"a\":\"str\"}"));
	assert_false(match("{\"a.b\":1}", "{\"a\":null}"));
	/* Paths apply to whatever the event data is (the daemon only
	 * passes objects). */
	assert_true(match("{\"0\":1}", "[1]"));
	assert_false(match("{\"a\":1}", "\"a\""));
	assert_false(match("{\"a\":1}", NULL));
	/* 32 segments are allowed. */
	assert_true(match("{\"a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a."
			  "a.a.a.a.a.a.a.a.a\":{\"exists\":false}}", "{}"));
}

static void test_bad_object(void **state)
{
	struct filter *f = NULL;
	char *p = NULL, *c = NULL;

	(void)state;
	bad("[]", "", "filter: must be a JSON object of path -> matcher, "
	    "not an array");
	bad("\"x\"", "", "filter: must be a JSON object of path -> matcher, "
	    "not a string");
	assert_int_equal(filter_compile(NULL, &f, &p, &c), -EINVAL);
	assert_null(f);
	assert_string_equal(p, "");
	free(p);
	free(c);
	/* RET_PATH may be NULL. */
	assert_int_equal(filter_compile(json_null(), &f, NULL, &c), -EINVAL);
	free(c);
}

static void test_bad_paths(void **state)
{
	(void)state;
	bad("{\"\":1}", "", "filter: empty path*");
	bad("{\"a..b\":1}", "a..b", "filter.a..b: empty segment in path*");
	bad("{\".a\":1}", ".a", "filter..a: empty segment in path*");
	bad("{\"a.\":1}", "a.", "filter.a.: empty segment in path*");
	bad("{\".\":1}", ".", "filter..: empty segment in path*");
	bad("{\"a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a."
	    "a.a.a\":1}",
	    "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a",
	    "filter.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a."
	    "a.a.a.a.a: path has 33 segments; at most 32");
	/* The first bad clause is named, after good ones. */
	bad("{\"ok\":1,\"b..\":2}", "b..", "filter.b..: empty segment*");
}

/* The parser refuses NUL bytes in keys, but a caller may build them. */
static void test_bad_path_nul(void **state)
{
	json_t *s = json_object();
	struct filter *f = NULL;
	char *p = NULL, *c = NULL;

	(void)state;
	json_object_setn_new(s, "a\0b", 3, json_integer(1));
	assert_int_equal(filter_compile(s, &f, &p, &c), -EINVAL);
	assert_string_equal(p, "a");
	assert_string_equal(c, "filter.a: path contains a NUL byte");
	free(p);
	free(c);
	json_decref(s);
}

static void test_bad_matchers(void **state)
{
	(void)state;
	bad("{\"a\":{}}", "a", "filter.a: empty matcher object; give a scalar "
	    "for equality or one of in, glob, regex, exists");
	bad("{\"a\":{\"in\":[1],\"glob\":\"x\"}}", "a", "filter.a: matcher "
	    "has 2 keys; give exactly one of in, glob, regex, exists");
	bad("{\"k\":{\"regexp\":\"x\"}}", "k", "filter.k: unknown matcher "
	    "\"regexp\"; use one of in, glob, regex, exists (or a deeper "
	    "path such as \"k.regexp\" to match a nested field)");
	bad("{\"k\":{\"x\":1,\"y\":2}}", "k", "filter.k: an object cannot be "
	    "matched by equality; use a deeper path such as \"k.x\" or one "
	    "of in, glob, regex, exists");
	bad("{\"k\":[1,2]}", "k", "filter.k: an array cannot be matched by "
	    "equality; use {\"in\":[...]} for any of several values or a "
	    "deeper path such as \"k.0\"");
	bad("{\"k\":{\"in\":\"x\"}}", "k",
	    "filter.k: in: must be an array, not a string");
	bad("{\"k\":{\"in\":{}}}", "k",
	    "filter.k: in: must be an array, not an object");
	bad("{\"k\":{\"in\":[1,[2]]}}", "k", "filter.k: in: element 1 is an "
	    "array; elements must be strings, numbers, booleans or null");
	bad("{\"k\":{\"in\":[{}]}}", "k", "filter.k: in: element 0 is an "
	    "object*");
	bad("{\"k\":{\"glob\":1}}", "k",
	    "filter.k: glob: must be a string, not a number");
	bad("{\"k\":{\"glob\":\"a\\u0000\"}}", "k",
	    "filter.k: glob: contains a NUL byte");
	bad("{\"k\":{\"regex\":null}}", "k",
	    "filter.k: regex: must be a string, not null");
	bad("{\"k\":{\"exists\":1}}", "k",
	    "filter.k: exists: must be true or false, not a number");
	bad("{\"k\":{\"exists\":\"true\"}}", "k",
	    "filter.k: exists: must be true or false, not a string");
}

static void test_bad_regex(void **state)
{
	(void)state;
	bad("{\"s3.key\":{\"regex\":\"(\"}}", "s3.key",
	    "filter.s3.key: regex: Unmatched ( or \\(");
	bad("{\"k\":{\"regex\":\"[a\"}}", "k",
	    "filter.k: regex: Unmatched [, [^, [:, [., or [=");
	bad("{\"k\":{\"regex\":\"a{2,1}\"}}", "k", "filter.k: regex: *");
	bad("{\"k\":{\"regex\":\"(a)\\\\1\"}}", "k", "filter.k: regex: "
	    "back-references (\\1 to \\9) are not part of POSIX ERE");
	bad("{\"k\":{\"regex\":\"x{1,32767}\"}}", "k", "filter.k: regex: too "
	    "large once repetitions are expanded (32767 positions; at most "
	    "256)");
	bad("{\"k\":{\"regex\":\"x{,300}\"}}", "k",
	    "filter.k: regex: too large*");
	bad("{\"k\":{\"regex\":\"(a{255}){255}\"}}", "k", "filter.k: regex: "
	    "too large once repetitions are expanded (65025 positions*");
	bad("{\"k\":{\"regex\":\"((((a{99}){99}){99}){99}){99}\"}}", "k",
	    "filter.k: regex: too large once repetitions are expanded "
	    "(16777216 or more positions; at most 256)");
	bad("{\"k\":{\"regex\":\"(ab){150}\"}}", "k",
	    "filter.k: regex: too large*");
	bad("{\"k\":{\"regex\":\"a+++++++++++\"}}", "k", "filter.k: regex: "
	    "adjacent repetition operators are undefined in POSIX ERE (there "
	    "are no lazy or possessive forms); use a group such as "
	    "\"(a+)?\"");
	bad("{\"k\":{\"regex\":\"x.*?y\"}}", "k",
	    "filter.k: regex: adjacent repetition*");
	bad("{\"k\":{\"regex\":\"a{0,3}?\"}}", "k",
	    "filter.k: regex: adjacent repetition*");
	bad("{\"k\":{\"regex\":\"(((a?)?)?)+\"}}", "k", "filter.k: regex: "
	    "repeating something that can match the empty string (like "
	    "\"(a?)+\" or \"(a|)*\") is refused: regcomp takes exponential "
	    "time on it");
	bad("{\"k\":{\"regex\":\"x(a|)*\"}}", "k",
	    "filter.k: regex: repeating something that can match*");
	bad("{\"k\":{\"regex\":\"(a*b?)+\"}}", "k",
	    "filter.k: regex: repeating something that can match*");
	bad("{\"k\":{\"regex\":\"(b|a{0,2}){2}\"}}", "k",
	    "filter.k: regex: repeating something that can match*");
	bad("{\"k\":{\"regex\":\"()*\"}}", "k",
	    "filter.k: regex: repeating something that can match*");
	bad("{\"k\":{\"regex\":\"([ab]|cd){1,100}\"}}", "k",
	    "filter.k: regex: too large once repetitions are expanded (300 "
	    "positions*");
}

/* Builds a filter of N clauses "kI": MATCHER. Returns new text. */
static char *many(int n, const char *matcher)
{
	char *s = xstrdup("{"), *t;
	int i;

	for (i = 0; i < n; i++) {
		t = xasprintf("%s%s\"k%d\":%s", s, i ? "," : "", i, matcher);
		free(s);
		s = t;
	}
	t = xasprintf("%s}", s);
	free(s);
	return t;
}

static void test_filter_bounds(void **state)
{
	char *s;

	(void)state;
	s = many(FILTER_MAX_CLAUSES, "{\"exists\":false}");
	assert_true(match(s, "{}"));
	free(s);
	s = many(FILTER_MAX_CLAUSES + 1, "1");
	bad(s, "", "filter: has 65 paths; at most 64");
	free(s);
	/* Four regexes of 251 positions fit; a fifth does not. */
	s = many(4, "{\"regex\":\"^a{250}\"}");
	assert_false(match(s, "{}"));
	free(s);
	s = many(5, "{\"regex\":\"^a{250}\"}");
	bad(s, "k4", "filter.k4: regex: the filter's regexes together expand "
	    "to 1255 positions; at most 1024");
	free(s);
}

static void test_pattern_length(void **state)
{
	char spec[FILTER_MAX_PATTERN + 64];
	char glob[FILTER_MAX_PATTERN + 2];

	(void)state;
	memset(glob, '*', sizeof(glob) - 1);
	glob[sizeof(glob) - 1] = '\0';
	snprintf(spec, sizeof(spec), "{\"k\":{\"glob\":\"%s\"}}", glob);
	bad(spec, "k", "filter.k: glob: longer than 1024 bytes");
	glob[sizeof(glob) - 2] = '\0';
	snprintf(spec, sizeof(spec), "{\"k\":{\"glob\":\"%s\"}}", glob);
	assert_true(match(spec, "{\"k\":\"anything\"}"));
}

/* A filter outlives its spec: it holds its own copies. */
static void test_spec_borrowed(void **state)
{
	json_t *s = parse("{\"a\":\"x\",\"b\":{\"in\":[1,2]},"
			  "\"c\":{\"glob\":\"y*\"},\"d\":{\"regex\":\"^z\"}}");
	json_t *e = parse("{\"a\":\"x\",\"b\":2,\"c\":\"yy\",\"d\":\"zz\"}");
	struct filter *f = NULL;
	char *p = NULL, *c = NULL;

	(void)state;
	assert_int_equal(filter_compile(s, &f, &p, &c), 0);
	json_decref(s);
	assert_true(filter_match(f, e));
	assert_true(filter_match(f, e));
	json_object_set_new(e, "d", json_string("yz"));
	assert_false(filter_match(f, e));
	filter_free(f);
	filter_free(NULL);
	json_decref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_filter),
		cmocka_unit_test(test_equality_scalars),
		cmocka_unit_test(test_equality_types),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_in),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_exists),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_bad_object),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_bad_path_nul),
		cmocka_unit_test(test_bad_matchers),
		cmocka_unit_test(test_bad_regex),
		cmocka_unit_test(test_filter_bounds),
		cmocka_unit_test(test_pattern_length),
		cmocka_unit_test(test_spec_borrowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
