/*
 * JSON-RPC 2.0 codec and the project's error codes (DESIGN §2). Knows JSON
 * and the envelope, not sockets, not logging.
 */
#ifndef VIBE_JSONRPC_H
#define VIBE_JSONRPC_H

#include <stddef.h>
#include <jansson.h>

enum rpc_code {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_INTERNAL_ERROR = -32603,
	RPC_NOT_FOUND = -32001,
	RPC_ALREADY_EXISTS = -32002,
	RPC_PERMISSION_DENIED = -32003,
	RPC_CONFLICT = -32004,
	RPC_LIMIT_EXCEEDED = -32005,
	RPC_NOT_BACKFILLABLE = -32006,
	RPC_SCHEDULER_STOPPED = -32007,
	RPC_STORAGE_ERROR = -32008,
};

/* JSON nesting deeper than this is an invalid request. */
#define RPC_MAX_DEPTH 32

/* "parse_error", "not_found", ... for error.data.reason; "error" if unknown. */
const char *rpc_code_reason(int code);

struct rpc_request {
	json_t *root;		/* new: the whole request object */
	json_t *id;		/* borrowed from root; NULL = notification */
	const char *method;	/* borrowed from root */
	json_t *params;		/* borrowed from root; an object, never NULL */
};

/* A decoding failure: code, message (new), and the id when one could be
 * read (new ref or NULL -> answered with "id": null). */
struct rpc_error {
	int code;
	char *message;
	json_t *id;
};

/* Decodes one line. Checks UTF-8 and JSON, nesting depth (RPC_MAX_DEPTH,
 * counted before jansson sees the text), duplicate keys, "jsonrpc":"2.0",
 * "method" a string, "params" absent or an object, "id" absent, null, a
 * string or an integer. Returns 0 and *ret (release with
 * rpc_request_release), or -1 and *err (release with rpc_error_release). */
int rpc_decode_request(const char *line, size_t len, struct rpc_request *ret,
		       struct rpc_error *err);
void rpc_request_release(struct rpc_request *req);
void rpc_error_release(struct rpc_error *err);

/* Encoders return a new '\n'-terminated line and its length in *ret_len
 * (free() it). ID is borrowed (NULL encodes as null). */
char *rpc_encode_result(json_t *id, json_t *result /* steals */,
			size_t *ret_len);
/* DATA (steals, may be NULL) gets "reason" added from the code. */
char *rpc_encode_error(json_t *id, int code, const char *message,
		       json_t *data, size_t *ret_len);
char *rpc_encode_request(json_int_t id, const char *method,
			 json_t *params /* steals, may be NULL */,
			 size_t *ret_len);

/* Client side: checks a response envelope. Returns 0 with *ret_result
 * (borrowed from ROOT), 1 with *ret_error (borrowed error object), or -1
 * if ROOT is not a valid response. */
int rpc_decode_response(json_t *root, json_t **ret_result, json_t **ret_error);

#endif
