/*
 * Tests of proto/jsonrpc.c: every decoding error path (parse error,
 * invalid UTF-8, depth 32 vs 33, duplicate keys, envelope members, id
 * types), notifications, the id carried by an error, encoder round trips
 * and client-side response decoding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/jsonrpc.h"
#include "proto/xalloc.h"

/* Decodes S expecting failure; returns the error (release it). */
static struct rpc_error decode_fail(const char *s, int code)
{
	struct rpc_request req;
	struct rpc_error err;

	memset(&err, 0, sizeof(err));
	assert_int_equal(rpc_decode_request(s, strlen(s), &req, &err), -1);
	assert_int_equal(err.code, code);
	assert_non_null(err.message);
	return err;
}

static void expect_fail(const char *s, int code, const char *needle)
{
	struct rpc_error err = decode_fail(s, code);

	if (needle && !strstr(err.message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
	assert_null(err.id);
	rpc_error_release(&err);
}

static void test_valid_request(void **state)
{
	const char *s = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"get_schedule\","
			"\"params\":{\"schedule_id\":\"x\"}}";
	struct rpc_request req;
	struct rpc_error err;

	(void)state;
	assert_int_equal(rpc_decode_request(s, strlen(s), &req, &err), 0);
	assert_string_equal(req.method, "get_schedule");
	assert_true(json_is_integer(req.id));
	assert_int_equal(json_integer_value(req.id), 7);
	assert_string_equal(json_string_value(json_object_get(req.params,
		"schedule_id")), "x");
	rpc_request_release(&req);
	assert_null(req.root);
	rpc_request_release(&req);
}

static void test_notification_and_absent_params(void **state)
{
	const char *s = "{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}";
	struct rpc_request req;
	struct rpc_error err;

	(void)state;
	assert_int_equal(rpc_decode_request(s, strlen(s), &req, &err), 0);
	assert_null(req.id);
	assert_true(json_is_object(req.params));
	assert_int_equal(json_object_size(req.params), 0);
	assert_ptr_equal(req.params, json_object_get(req.root, "params"));
	rpc_request_release(&req);
}

static void test_id_types(void **state)
{
	const char *ok[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":-3,\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"method\":\"m\"}",
	};
	const char *bad[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"m\"}",
	};
	struct rpc_request req;
	struct rpc_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(rpc_decode_request(ok[i], strlen(ok[i]), &req,
						    &err), 0);
		assert_non_null(req.id);
		rpc_request_release(&req);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(bad[i], RPC_INVALID_REQUEST, "\"id\"");
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_fail("{\"jsonrpc\":", RPC_PARSE_ERROR, "column");
	expect_fail("[1,,]", RPC_PARSE_ERROR, "invalid JSON");
	expect_fail("{} x", RPC_PARSE_ERROR, NULL);
	expect_fail("", RPC_PARSE_ERROR, NULL);
	expect_fail("{\"a\":\"\xff\"}", RPC_PARSE_ERROR, NULL);
	expect_fail("{\"a\":\"\xe2\x82\"}", RPC_PARSE_ERROR, NULL);
	expect_fail("{\"a\":\"\\u0000\"}", RPC_PARSE_ERROR, NULL);
	expect_fail("{\"a\":99999999999999999999999}", RPC_PARSE_ERROR, NULL);
}

/* Messages must always be valid UTF-8, even quoting broken input. */
static void test_error_message_utf8(void **state)
{
	const char *inputs[] = { "\xff", "{\"\xc3\"}", "{\xe2\x82\xac}",
				 "{\"a\":\"\xed\xa0\x80\"}" };
	struct rpc_error err;
	json_t *probe;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		err = decode_fail(inputs[i], RPC_PARSE_ERROR);
		probe = json_string(err.message);
		assert_non_null(probe);
		json_decref(probe);
		rpc_error_release(&err);
	}
}

static char *nested(int depth, const char *open, const char *close,
		    const char *inner)
{
	size_t lo = strlen(open), lc = strlen(close), li = strlen(inner);
	char *s = xmalloc((size_t)depth * (lo + lc) + li + 1), *p = s;
	int i;

	for (i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, inner, li);
	p += li;
	for (i = 0; i < depth; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

/* The request object is level 1; params is level 2; so 30 more arrays
 * inside params reach 32, and 31 reach 33. */
static void test_depth(void **state)
{
	struct rpc_request req;
	struct rpc_error err;
	char *inner, *s;

	(void)state;
	inner = nested(30, "[", "]", "1");
	s = xasprintf("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":"
		      "{\"a\":%s}}", inner);
	assert_int_equal(rpc_decode_request(s, strlen(s), &req, &err), 0);
	rpc_request_release(&req);
	free(inner);
	free(s);

	inner = nested(31, "[", "]", "1");
	s = xasprintf("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\","
		      "\"params\":{\"a\":%s}}", inner);
	expect_fail(s, RPC_INVALID_REQUEST, "nesting deeper than 32 levels");
	free(inner);
	free(s);

	s = nested(33, "{\"k\":", "}", "0");
	expect_fail(s, RPC_INVALID_REQUEST, "nesting");
	free(s);
	s = nested(32, "[", "]", "");
	expect_fail(s, RPC_INVALID_REQUEST, "batch");
	free(s);
	/* Brackets inside strings, escaped quotes included, do not count. */
	inner = nested(40, "[", "", "");
	s = xasprintf("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":"
		      "{\"a\":\"\\\"%s\"}}", inner);
	assert_int_equal(rpc_decode_request(s, strlen(s), &req, &err), 0);
	rpc_request_release(&req);
	free(inner);
	free(s);
}

static void test_duplicate_keys(void **state)
{
	char *s, *long_key;

	(void)state;
	expect_fail("{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"method\":\"b\"}",
		    RPC_INVALID_REQUEST, "duplicate key \"method\"");
	expect_fail("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":"
		    "{\"x\":1,\"y\":2,\"x\" :3}}", RPC_INVALID_REQUEST,
		    "duplicate key \"x\"");
	expect_fail("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":"
		    "{\"a\\\"b\":1,\"a\\u0022b\":2}}", RPC_INVALID_REQUEST,
		    "duplicate key \"a\"b\"");
	long_key = xstrdup("a_long_key_that_jansson_will_not_quote");
	s = xasprintf("{\"%s\":1,\"%s\":2}", long_key, long_key);
	expect_fail(s, RPC_INVALID_REQUEST, long_key);
	free(s);
	free(long_key);
}

static void test_envelope_errors(void **state)
{
	struct rpc_error err;

	(void)state;
	expect_fail("\"just a string\"", RPC_INVALID_REQUEST, "JSON object");
	expect_fail("[{\"jsonrpc\":\"2.0\",\"method\":\"m\"}]",
		    RPC_INVALID_REQUEST, "batch");
	expect_fail("{\"method\":\"m\"}", RPC_INVALID_REQUEST, "jsonrpc");

	err = decode_fail("{\"jsonrpc\":\"1.0\",\"id\":\"q\",\"method\":\"m\"}",
			  RPC_INVALID_REQUEST);
	assert_string_equal(json_string_value(err.id), "q");
	rpc_error_release(&err);

	err = decode_fail("{\"jsonrpc\":\"2.0\",\"id\":4}", RPC_INVALID_REQUEST);
	assert_int_equal(json_integer_value(err.id), 4);
	assert_non_null(strstr(err.message, "method"));
	rpc_error_release(&err);

	err = decode_fail("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":3}",
			  RPC_INVALID_REQUEST);
	assert_int_equal(json_integer_value(err.id), 5);
	rpc_error_release(&err);

	err = decode_fail("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\","
			  "\"params\":[1]}", RPC_INVALID_REQUEST);
	assert_true(json_is_null(err.id));
	assert_non_null(strstr(err.message, "params"));
	rpc_error_release(&err);

	err = decode_fail("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"m\","
			  "\"parmas\":{}}", RPC_INVALID_REQUEST);
	assert_int_equal(json_integer_value(err.id), 6);
	assert_non_null(strstr(err.message, "parmas"));
	rpc_error_release(&err);
	rpc_error_release(&err);
	rpc_error_release(NULL);
}

static void test_code_reason(void **state)
{
	(void)state;
	assert_string_equal(rpc_code_reason(RPC_PARSE_ERROR), "parse_error");
	assert_string_equal(rpc_code_reason(RPC_INVALID_PARAMS),
			    "invalid_params");
	assert_string_equal(rpc_code_reason(RPC_NOT_FOUND), "not_found");
	assert_string_equal(rpc_code_reason(RPC_STORAGE_ERROR),
			    "storage_error");
	assert_string_equal(rpc_code_reason(RPC_LIMIT_EXCEEDED),
			    "limit_exceeded");
	assert_string_equal(rpc_code_reason(12345), "error");
}

/* Parses an encoded line: checks the single trailing '\n' and length. */
static json_t *load_line(const char *line, size_t len)
{
	json_t *root;

	assert_int_equal(strlen(line), len);
	assert_true(len > 0 && line[len - 1] == '\n');
	assert_null(memchr(line, '\n', len - 1));
	root = json_loadb(line, len, 0, NULL);
	assert_non_null(root);
	return root;
}

static void test_encode_result(void **state)
{
	json_t *id = json_string("x"), *root, *result, *error;
	size_t len;
	char *line;

	(void)state;
	line = rpc_encode_result(id, json_pack("{s:i}", "n", 3), &len);
	assert_string_equal(line,
		"{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"result\":{\"n\":3}}\n");
	root = load_line(line, len);
	assert_int_equal(rpc_decode_response(root, &result, &error), 0);
	assert_int_equal(json_integer_value(json_object_get(result, "n")), 3);
	json_decref(root);
	free(line);
	json_decref(id);

	line = rpc_encode_result(NULL, NULL, &len);
	assert_string_equal(line,
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":null}\n");
	free(line);
}

static void test_encode_error(void **state)
{
	json_t *id = json_integer(9), *root, *result, *error, *data;
	size_t len;
	char *line;

	(void)state;
	line = rpc_encode_error(id, RPC_INVALID_PARAMS, "count: bad",
				json_pack("{s:s}", "field", "count"), &len);
	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":"
		"{\"code\":-32602,\"message\":\"count: bad\",\"data\":"
		"{\"field\":\"count\",\"reason\":\"invalid_params\"}}}\n");
	root = load_line(line, len);
	assert_int_equal(rpc_decode_response(root, &result, &error), 1);
	assert_int_equal(json_integer_value(json_object_get(error, "code")),
			 RPC_INVALID_PARAMS);
	json_decref(root);
	free(line);
	json_decref(id);

	line = rpc_encode_error(NULL, RPC_NOT_FOUND, NULL, NULL, &len);
	root = load_line(line, len);
	error = json_object_get(root, "error");
	assert_string_equal(json_string_value(json_object_get(error,
		"message")), "not_found");
	data = json_object_get(error, "data");
	assert_string_equal(json_string_value(json_object_get(data,
		"reason")), "not_found");
	assert_true(json_is_null(json_object_get(root, "id")));
	json_decref(root);
	free(line);

	/* Non-object data and a message that is not UTF-8. */
	line = rpc_encode_error(NULL, RPC_CONFLICT, "bad \xff byte",
				json_integer(1), &len);
	root = load_line(line, len);
	error = json_object_get(root, "error");
	assert_string_equal(json_string_value(json_object_get(error,
		"message")), "bad ? byte");
	data = json_object_get(error, "data");
	assert_int_equal(json_integer_value(json_object_get(data, "detail")), 1);
	json_decref(root);
	free(line);
}

/* Data jansson refuses to dump degrades to a -32603 with the same id. */
static void test_encode_unencodable(void **state)
{
	json_t *id = json_integer(2), *root, *bad;
	size_t len;
	char *line;

	(void)state;
	bad = json_stringn_nocheck("\xff", 1);
	line = rpc_encode_result(id, bad, &len);
	root = load_line(line, len);
	assert_int_equal(json_integer_value(json_object_get(root, "id")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		root, "error"), "code")), RPC_INTERNAL_ERROR);
	json_decref(root);
	free(line);
	json_decref(id);

	id = json_stringn_nocheck("\xfe", 1);
	line = rpc_encode_error(id, RPC_CONFLICT, "m", NULL, &len);
	root = load_line(line, len);
	assert_true(json_is_null(json_object_get(root, "id")));
	json_decref(root);
	free(line);
	json_decref(id);

	assert_null(rpc_encode_request(1, "m", json_pack("{s:o}", "a",
				       json_stringn_nocheck("\xfd", 1)), &len));
}

static void test_encode_request_roundtrip(void **state)
{
	struct rpc_request req;
	struct rpc_error err;
	size_t len;
	char *line;

	(void)state;
	line = rpc_encode_request(42, "get_schedule",
				  json_pack("{s:s}", "schedule_id", "d"), &len);
	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":"
		"\"get_schedule\",\"params\":{\"schedule_id\":\"d\"}}\n");
	assert_int_equal(rpc_decode_request(line, len - 1, &req, &err), 0);
	assert_string_equal(req.method, "get_schedule");
	assert_int_equal(json_integer_value(req.id), 42);
	rpc_request_release(&req);
	free(line);

	line = rpc_encode_request(1, "ping", NULL, &len);
	assert_string_equal(line,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
	free(line);
}

static int decode_response_str(const char *s)
{
	json_t *root = json_loads(s, 0, NULL), *result = NULL, *error = NULL;
	int r;

	assert_non_null(root);
	r = rpc_decode_response(root, &result, &error);
	json_decref(root);
	return r;
}

static void test_decode_response(void **state)
{
	(void)state;
	assert_int_equal(decode_response_str(
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}"), 0);
	assert_int_equal(decode_response_str(
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
		"\"message\":\"x\"},\"extra\":1}"), 1);
	assert_int_equal(decode_response_str(
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":"
		"{\"code\":1,\"message\":\"x\"}}"), -1);
	assert_int_equal(decode_response_str(
		"{\"jsonrpc\":\"2.0\",\"id\":1}"), -1);
	assert_int_equal(decode_response_str(
		"{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":1}"), -1);
	assert_int_equal(decode_response_str(
		"{\"jsonrpc\":\"2.0\",\"result\":1}"), -1);
	assert_int_equal(decode_response_str(
		"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"result\":1}"), -1);
	assert_int_equal(decode_response_str(
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\","
		"\"message\":\"x\"}}"), -1);
	assert_int_equal(decode_response_str(
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}"), -1);
	assert_int_equal(decode_response_str("[1]"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_request),
		cmocka_unit_test(test_notification_and_absent_params),
		cmocka_unit_test(test_id_types),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_error_message_utf8),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_envelope_errors),
		cmocka_unit_test(test_code_reason),
		cmocka_unit_test(test_encode_result),
		cmocka_unit_test(test_encode_error),
		cmocka_unit_test(test_encode_unencodable),
		cmocka_unit_test(test_encode_request_roundtrip),
		cmocka_unit_test(test_decode_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
