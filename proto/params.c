/*
 * Declarative validation of a method's params object against a table of
 * {name, type, required}. Owns: the type rules and the wording of -32602
 * messages ("count: expected an integer, got a string"). Does not own:
 * what a value means (ranges, formats, ids): handlers check those.
 *
 * Rules: PARAM_INT takes JSON integers only (1.0 is a real), PARAM_NUMBER
 * integers or reals; null is accepted only by PARAM_STRING_OR_NULL and
 * PARAM_ANY (an optional field is absent, not null), and a null counts as
 * present for a required field of those types. The report is
 * deterministic: the first problem in spec order, then the first unknown
 * key in the params' own key order.
 */
#include "proto/params.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"

/* Returns the static name of a type, as in "string or null". */
const char *param_type_name(enum param_type t)
{
	switch (t) {
	case PARAM_STRING:
		return "string";
	case PARAM_INT:
		return "integer";
	case PARAM_NUMBER:
		return "number";
	case PARAM_BOOL:
		return "boolean";
	case PARAM_OBJECT:
		return "object";
	case PARAM_ARRAY:
		return "array";
	case PARAM_STRING_OR_NULL:
		return "string or null";
	case PARAM_ANY:
		return "any value";
	}
	return "unknown type";
}

/* "a string", "an integer"...: the expected side of a message. */
static const char *expected_phrase(enum param_type t)
{
	switch (t) {
	case PARAM_STRING:
		return "a string";
	case PARAM_INT:
		return "an integer";
	case PARAM_NUMBER:
		return "a number";
	case PARAM_BOOL:
		return "a boolean";
	case PARAM_OBJECT:
		return "an object";
	case PARAM_ARRAY:
		return "an array";
	case PARAM_STRING_OR_NULL:
		return "a string or null";
	case PARAM_ANY:
		return "any value";
	}
	return "a value of an unknown type";
}

/* "a string", "null"...: what a JSON value is, for the got side. */
static const char *value_phrase(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "an unknown value";
}

static bool type_ok(const json_t *v, enum param_type t)
{
	switch (t) {
	case PARAM_STRING:
		return json_is_string(v);
	case PARAM_INT:
		return json_is_integer(v);
	case PARAM_NUMBER:
		return json_is_number(v);
	case PARAM_BOOL:
		return json_is_boolean(v);
	case PARAM_OBJECT:
		return json_is_object(v);
	case PARAM_ARRAY:
		return json_is_array(v);
	case PARAM_STRING_OR_NULL:
		return json_is_string(v) || json_is_null(v);
	case PARAM_ANY:
		return true;
	}
	return false;
}

static int fail(const char *field, char *message /* steals */,
		char **ret_field, char **ret_message)
{
	*ret_field = xstrdup(field);
	*ret_message = message;
	return -EINVAL;
}

static bool in_spec(const struct param_spec *spec, const char *key)
{
	for (; spec->name; spec++)
		if (strcmp(spec->name, key) == 0)
			return true;
	return false;
}

/* See params.h. *ret_field is always a new string (free() it), "params"
 * when PARAMS itself is not an object; NULL PARAMS counts as {}. Out
 * parameters are written only on failure. */
int params_check(const json_t *params, const struct param_spec *spec,
		 char **ret_field, char **ret_message)
{
	const struct param_spec *s;
	const char *key;
	json_t *v;

	if (params && !json_is_object(params))
		return fail("params", xasprintf("params: expected an object, "
			    "got %s", value_phrase(params)), ret_field,
			    ret_message);
	for (s = spec; s->name; s++) {
		v = params ? json_object_get(params, s->name) : NULL;
		if (!v && s->required)
			return fail(s->name, xasprintf("%s: missing required "
				    "field", s->name), ret_field, ret_message);
		if (v && !type_ok(v, s->type))
			return fail(s->name, xasprintf("%s: expected %s, got %s",
				    s->name, expected_phrase(s->type),
				    value_phrase(v)), ret_field, ret_message);
	}
	if (!params)
		return 0;
	/* json_object_foreach wants a non-const object; it only reads. */
	json_object_foreach((json_t *)params, key, v) {
		if (!in_spec(spec, key))
			return fail(key, xasprintf("%s: unknown field", key),
				    ret_field, ret_message);
	}
	return 0;
}
