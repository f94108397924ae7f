/*
 * Tests of proto/params.c: each parameter type against each JSON type,
 * missing required fields, unknown keys, null handling, the order in which
 * problems are reported and the exact message wording.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/params.h"

static const struct param_spec spec[] = {
	{ "schedule_id", PARAM_STRING, true },
	{ "count", PARAM_INT, false },
	{ "ratio", PARAM_NUMBER, false },
	{ "wait", PARAM_BOOL, false },
	{ "schedule", PARAM_OBJECT, false },
	{ "tags", PARAM_ARRAY, false },
	{ "timezone", PARAM_STRING_OR_NULL, false },
	{ "event_data", PARAM_ANY, false },
	{ NULL, PARAM_ANY, false },
};

/* Checks the params text S against SPEC. Returns the result; on failure
 * compares the field and message when given. */
static int check(const char *s, const char *field, const char *message)
{
	json_t *params = json_loads(s, 0, NULL);
	char *f = NULL, *m = NULL;
	int r;

	assert_non_null(params);
	r = params_check(params, spec, &f, &m);
	json_decref(params);
	if (r == 0) {
		assert_null(f);
		assert_null(m);
		return 0;
	}
	assert_int_equal(r, -EINVAL);
	if (field)
		assert_string_equal(f, field);
	if (message)
		assert_string_equal(m, message);
	free(f);
	free(m);
	return r;
}

static void test_valid(void **state)
{
	(void)state;
	assert_int_equal(check("{\"schedule_id\":\"a\"}", NULL, NULL), 0);
	assert_int_equal(check("{\"schedule_id\":\"a\",\"count\":-3,"
		"\"ratio\":1.5,\"wait\":false,\"schedule\":{},\"tags\":[],"
		"\"timezone\":\"UTC\",\"event_data\":[1,{}]}", NULL, NULL), 0);
	assert_int_equal(check("{\"schedule_id\":\"a\",\"ratio\":2,"
		"\"timezone\":null,\"event_data\":null}", NULL, NULL), 0);
}

static void test_types(void **state)
{
	(void)state;
	check("{\"schedule_id\":1}", "schedule_id",
	      "schedule_id: expected a string, got an integer");
	check("{\"schedule_id\":\"a\",\"count\":\"3\"}", "count",
	      "count: expected an integer, got a string");
	check("{\"schedule_id\":\"a\",\"count\":1.0}", "count",
	      "count: expected an integer, got a real number");
	check("{\"schedule_id\":\"a\",\"ratio\":true}", "ratio",
	      "ratio: expected a number, got a boolean");
	check("{\"schedule_id\":\"a\",\"wait\":1}", "wait",
	      "wait: expected a boolean, got an integer");
	check("{\"schedule_id\":\"a\",\"schedule\":[]}", "schedule",
	      "schedule: expected an object, got an array");
	check("{\"schedule_id\":\"a\",\"tags\":{}}", "tags",
	      "tags: expected an array, got an object");
	check("{\"schedule_id\":\"a\",\"timezone\":5}", "timezone",
	      "timezone: expected a string or null, got an integer");
}

/* null is a value, not an absence: only _OR_NULL and ANY take it. */
static void test_null(void **state)
{
	(void)state;
	check("{\"schedule_id\":null}", "schedule_id",
	      "schedule_id: expected a string, got null");
	check("{\"schedule_id\":\"a\",\"count\":null}", "count",
	      "count: expected an integer, got null");
}

static void test_missing(void **state)
{
	(void)state;
	check("{}", "schedule_id", "schedule_id: missing required field");
	check("{\"count\":1}", "schedule_id",
	      "schedule_id: missing required field");
}

static void test_unknown(void **state)
{
	(void)state;
	check("{\"schedule_id\":\"a\",\"bogus\":1}", "bogus",
	      "bogus: unknown field");
	/* The first unknown key in the params' order. */
	check("{\"zeta\":1,\"schedule_id\":\"a\",\"alpha\":2}", "zeta",
	      "zeta: unknown field");
}

/* Spec-order problems win over unknown keys, and the first one wins. */
static void test_order(void **state)
{
	(void)state;
	check("{\"bogus\":1,\"count\":\"x\"}", "schedule_id", NULL);
	check("{\"bogus\":1,\"schedule_id\":\"a\",\"wait\":1,\"count\":\"x\"}",
	      "count", NULL);
	check("{\"bogus\":1,\"schedule_id\":\"a\",\"wait\":1}", "wait", NULL);
}

static void test_not_object_and_null(void **state)
{
	static const struct param_spec optional[] = {
		{ "limit", PARAM_INT, false },
		{ NULL, PARAM_ANY, false },
	};
	json_t *arr = json_array();
	char *f, *m;

	(void)state;
	assert_int_equal(params_check(arr, spec, &f, &m), -EINVAL);
	assert_string_equal(f, "params");
	assert_string_equal(m, "params: expected an object, got an array");
	free(f);
	free(m);
	json_decref(arr);
	assert_int_equal(params_check(NULL, optional, &f, &m), 0);
	assert_int_equal(params_check(NULL, spec, &f, &m), -EINVAL);
	assert_string_equal(f, "schedule_id");
	free(f);
	free(m);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(param_type_name(PARAM_STRING), "string");
	assert_string_equal(param_type_name(PARAM_INT), "integer");
	assert_string_equal(param_type_name(PARAM_NUMBER), "number");
	assert_string_equal(param_type_name(PARAM_BOOL), "boolean");
	assert_string_equal(param_type_name(PARAM_OBJECT), "object");
	assert_string_equal(param_type_name(PARAM_ARRAY), "array");
	assert_string_equal(param_type_name(PARAM_STRING_OR_NULL),
			    "string or null");
	assert_string_equal(param_type_name(PARAM_ANY), "any value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_not_object_and_null),
		cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
