/*
 * libFuzzer target for the request path of the control server, without
 * the server: bytes -> frame_next -> rpc_decode_request -> params_check
 * against a sample spec -> encode the answer, and the answer back through
 * rpc_decode_response. Owns nothing else; every object is freed, so ASan
 * reports leaks too. Built only by a fuzz rule, never by `make all`:
 *   clang -std=gnu11 -D_GNU_SOURCE -I. -g \
 *     -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz-request.c \
 *     proto/frame.c proto/jsonrpc.c proto/params.c proto/xalloc.c \
 *     -ljansson -o fuzz-request
 *   ./fuzz-request -max_total_time=30 tests/fuzz/corpus/request
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/frame.h"
#include "proto/jsonrpc.h"
#include "proto/params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A cap small enough that the fuzzer reaches FRAME_TOO_LONG. */
#define FUZZ_MAX_LINE 4096

static const struct param_spec sample_spec[] = {
	{ "schedule_id", PARAM_STRING, true },
	{ "limit", PARAM_INT, false },
	{ "ratio", PARAM_NUMBER, false },
	{ "wait", PARAM_BOOL, false },
	{ "schedule", PARAM_OBJECT, false },
	{ "tags", PARAM_ARRAY, false },
	{ "timezone", PARAM_STRING_OR_NULL, false },
	{ "event_data", PARAM_ANY, false },
	{ NULL, PARAM_ANY, false },
};

/* Parses an encoded answer back and checks it is a valid response. */
static void check_answer(char *line, size_t len)
{
	json_t *root, *result, *error;

	if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		abort();
	root = json_loadb(line, len, 0, NULL);
	if (!root || rpc_decode_response(root, &result, &error) < 0)
		abort();
	json_decref(root);
	free(line);
}

static void handle_line(const char *line, size_t len)
{
	struct rpc_request req;
	struct rpc_error err;
	char *field, *message, *out;
	size_t out_len;

	if (rpc_decode_request(line, len, &req, &err) < 0) {
		out = rpc_encode_error(err.id, err.code, err.message, NULL,
				       &out_len);
		check_answer(out, out_len);
		rpc_error_release(&err);
		return;
	}
	if (params_check(req.params, sample_spec, &field, &message) < 0) {
		out = rpc_encode_error(req.id, RPC_INVALID_PARAMS, message,
				       json_pack("{s:s}", "field", field),
				       &out_len);
		free(field);
		free(message);
	} else {
		out = rpc_encode_result(req.id, json_deep_copy(req.params),
					&out_len);
	}
	check_answer(out, out_len);
	rpc_request_release(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t len, skip;

	for (;;) {
		switch (frame_next(p, size, FUZZ_MAX_LINE, &len, &skip)) {
		case FRAME_LINE:
			if (len > 0)
				handle_line(p, len);
			p += len + skip;
			size -= len + skip;
			break;
		case FRAME_INCOMPLETE:
			/* As at EOF: the unterminated tail is decoded too, so
			 * seeds need no '\n'. */
			if (size > 0)
				handle_line(p, size);
			return 0;
		case FRAME_TOO_LONG:
			return 0;
		}
	}
}
