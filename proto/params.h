/*
 * Declarative validation of a method's params object: a table of
 * {name, type, required}. Unknown key, wrong type or a missing required key
 * is -32602 with the field named. Knows JSON, nothing else.
 */
#ifndef VIBE_PARAMS_H
#define VIBE_PARAMS_H

#include <stdbool.h>
#include <jansson.h>

enum param_type {
	PARAM_STRING,
	PARAM_INT,		/* a JSON integer */
	PARAM_NUMBER,		/* integer or real */
	PARAM_BOOL,
	PARAM_OBJECT,
	PARAM_ARRAY,
	PARAM_STRING_OR_NULL,
	PARAM_ANY,
};

struct param_spec {
	const char *name;	/* NULL ends a table */
	enum param_type type;
	bool required;
};

/* Checks PARAMS (an object) against SPEC. Returns 0, or -EINVAL with
 * *ret_field (borrowed from SPEC or a new copy of the unknown key: always
 * free() it) and *ret_message (new), e.g. "schedule_id: expected a string". */
int params_check(const json_t *params, const struct param_spec *spec,
		 char **ret_field, char **ret_message);

const char *param_type_name(enum param_type t);

#endif
