/*
 * JSON-RPC 2.0 codec (DESIGN §2). Owns: turning one request line into a
 * checked envelope {id, method, params} or a precise error (code, message,
 * id when readable), encoding results, errors and requests as one compact
 * '\n'-terminated line, and checking a response envelope on the client
 * side. Does not own: sockets, logging, method lookup or params validation
 * (params.c), nor json_object_seed (the daemon calls it at start).
 *
 * Request decoding is strict: nesting deeper than RPC_MAX_DEPTH is
 * refused before jansson allocates anything, duplicate keys are refused,
 * and members other than jsonrpc, id, method and params are refused
 * (-32600), so that a typo such as "parmas" is not silently ignored.
 * Response decoding is lenient about extra members (a newer daemon).
 */
#include "proto/jsonrpc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"

static const struct {
	int code;
	const char *reason;
} code_reasons[] = {
	{ RPC_PARSE_ERROR, "parse_error" },
	{ RPC_INVALID_REQUEST, "invalid_request" },
	{ RPC_METHOD_NOT_FOUND, "method_not_found" },
	{ RPC_INVALID_PARAMS, "invalid_params" },
	{ RPC_INTERNAL_ERROR, "internal_error" },
	{ RPC_NOT_FOUND, "not_found" },
	{ RPC_ALREADY_EXISTS, "already_exists" },
	{ RPC_PERMISSION_DENIED, "permission_denied" },
	{ RPC_CONFLICT, "conflict" },
	{ RPC_LIMIT_EXCEEDED, "limit_exceeded" },
	{ RPC_NOT_BACKFILLABLE, "not_backfillable" },
	{ RPC_SCHEDULER_STOPPED, "scheduler_stopped" },
	{ RPC_STORAGE_ERROR, "storage_error" },
};

/* Returns the static short name of CODE, "error" when unknown. */
const char *rpc_code_reason(int code)
{
	size_t i;

	for (i = 0; i < sizeof(code_reasons) / sizeof(code_reasons[0]); i++)
		if (code_reasons[i].code == code)
			return code_reasons[i].reason;
	return "error";
}

/* Returns a new copy of S, every non-ASCII byte replaced by '?' when S is
 * not valid UTF-8 (jansson's error text may quote a broken sequence, and
 * a message must survive json_string()). */
static char *utf8_clean(const char *s)
{
	json_t *probe = json_string(s);
	char *copy = xstrdup(s), *p;

	if (probe) {
		json_decref(probe);
		return copy;
	}
	for (p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return copy;
}

/*
 * Returns true when the JSON text in LINE nests arrays and objects deeper
 * than RPC_MAX_DEPTH. A tiny scanner that skips strings (and escapes in
 * them) so that brackets inside strings do not count; it stops as soon as
 * the limit is crossed. Unbalanced or broken text is left to jansson.
 */
static bool too_deep(const char *line, size_t len)
{
	bool in_string = false;
	size_t i, depth = 0;

	for (i = 0; i < len; i++) {
		char c = line[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > RPC_MAX_DEPTH)
				return true;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return false;
}

/*
 * jansson reports a duplicate key with the position just after the key's
 * string token but names the key only when it is short. Finds the string
 * token that ends at byte END - 1 and returns its decoded text (new), or
 * NULL when it cannot.
 */
static char *duplicate_key_at(const char *line, size_t len, size_t end)
{
	size_t i, start = 0;
	bool in_string = false;
	json_t *s;
	char *key;

	if (end == 0 || end > len)
		return NULL;
	for (i = 0; i < end; i++) {
		if (in_string && line[i] == '\\') {
			i++;
		} else if (line[i] == '"') {
			in_string = !in_string;
			if (in_string)
				start = i;
			else if (i == end - 1)
				break;
		}
	}
	if (i != end - 1 || line[i] != '"')
		return NULL;
	s = json_loadb(line + start, end - start, JSON_DECODE_ANY, NULL);
	key = json_is_string(s) ? xstrdup(json_string_value(s)) : NULL;
	json_decref(s);
	return key;
}

static void set_error(struct rpc_error *err, int code, json_t *id,
		      char *message /* steals */)
{
	err->code = code;
	err->message = message;
	err->id = id ? json_incref(id) : NULL;
}

/* Turns a json_loadb failure into -32700 (syntax, UTF-8) or -32600
 * (duplicate key). */
static void load_error(const char *line, size_t len, const json_error_t *je,
		       struct rpc_error *err)
{
	char *key, *text;

	text = utf8_clean(je->text);
	if (json_error_code(je) == json_error_duplicate_key) {
		key = je->position > 0 ?
			duplicate_key_at(line, len, (size_t)je->position) :
			NULL;
		if (key) {
			set_error(err, RPC_INVALID_REQUEST, NULL,
				  xasprintf("duplicate key \"%s\"", key));
			free(key);
		} else {
			set_error(err, RPC_INVALID_REQUEST, NULL,
				  xstrdup(text));
		}
	} else {
		set_error(err, RPC_PARSE_ERROR, NULL,
			  xasprintf("invalid JSON: %s at column %d", text,
				    je->column));
	}
	free(text);
}

static bool id_valid(const json_t *id)
{
	return json_is_null(id) || json_is_string(id) || json_is_integer(id);
}

/* Checks the members of a parsed request object. Returns 0 or -1 with
 * *err (carrying the id once it is known to be valid). */
static int check_envelope(json_t *root, struct rpc_error *err)
{
	json_t *id = json_object_get(root, "id"), *v;
	const char *key;

	if (id && !id_valid(id)) {
		set_error(err, RPC_INVALID_REQUEST, NULL, xstrdup(
			"\"id\" must be a string, an integer or null"));
		return -1;
	}
	v = json_object_get(root, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0) {
		set_error(err, RPC_INVALID_REQUEST, id,
			  xstrdup("\"jsonrpc\" must be \"2.0\""));
		return -1;
	}
	if (!json_is_string(json_object_get(root, "method"))) {
		set_error(err, RPC_INVALID_REQUEST, id, xstrdup(
			"\"method\" is missing or not a string"));
		return -1;
	}
	v = json_object_get(root, "params");
	if (v && !json_is_object(v)) {
		set_error(err, RPC_INVALID_REQUEST, id,
			  xstrdup("\"params\" must be an object"));
		return -1;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "jsonrpc") != 0 && strcmp(key, "id") != 0 &&
		    strcmp(key, "method") != 0 && strcmp(key, "params") != 0) {
			set_error(err, RPC_INVALID_REQUEST, id, xasprintf(
				"unknown member \"%s\"", key));
			return -1;
		}
	}
	return 0;
}

/* See jsonrpc.h. *ret is written only on success, *err only on failure. */
int rpc_decode_request(const char *line, size_t len, struct rpc_request *ret,
		       struct rpc_error *err)
{
	json_error_t je;
	json_t *root;

	if (too_deep(line, len)) {
		set_error(err, RPC_INVALID_REQUEST, NULL, xasprintf(
			"nesting deeper than %d levels", RPC_MAX_DEPTH));
		return -1;
	}
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			  &je);
	if (!root) {
		load_error(line, len, &je, err);
		return -1;
	}
	if (!json_is_object(root)) {
		set_error(err, RPC_INVALID_REQUEST, NULL, xstrdup(json_is_array(
			root) ? "batch requests are not supported" :
			"a request must be a JSON object"));
		json_decref(root);
		return -1;
	}
	if (check_envelope(root, err) < 0) {
		json_decref(root);
		return -1;
	}
	/* An absent params becomes an empty object owned by ROOT, so that
	 * params is always borrowed. */
	if (!json_object_get(root, "params"))
		json_object_set_new(root, "params", json_object());
	ret->root = root;
	ret->id = json_object_get(root, "id");
	ret->method = json_string_value(json_object_get(root, "method"));
	ret->params = json_object_get(root, "params");
	return 0;
}

/* Drops the root (and with it every borrowed field); accepts a zeroed or
 * already released request. */
void rpc_request_release(struct rpc_request *req)
{
	if (!req)
		return;
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

/* Frees the message and the id; accepts a zeroed or released error. */
void rpc_error_release(struct rpc_error *err)
{
	if (!err)
		return;
	free(err->message);
	json_decref(err->id);
	memset(err, 0, sizeof(*err));
}

struct dump_buf {
	char *data;
	size_t len, cap;
};

static int dump_cb(const char *buf, size_t size, void *data)
{
	struct dump_buf *d = data;

	if (d->cap - d->len < size + 2) {
		while (d->cap - d->len < size + 2)
			d->cap = d->cap ? d->cap * 2 : 256;
		d->data = xrealloc(d->data, d->cap);
	}
	memcpy(d->data + d->len, buf, size);
	d->len += size;
	return 0;
}

/* Dumps ROOT (steals) as one compact line. Returns a new string or NULL
 * when jansson refuses the value. */
static char *dump_line(json_t *root, size_t *ret_len)
{
	struct dump_buf d = { NULL, 0, 0 };
	int r;

	r = json_dump_callback(root, dump_cb, &d,
			       JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (r < 0 || !d.data) {
		free(d.data);
		return NULL;
	}
	d.data[d.len++] = '\n';
	d.data[d.len] = '\0';
	*ret_len = d.len;
	return d.data;
}

static json_t *envelope(json_t *id)
{
	json_t *root = json_object();

	json_object_set_new(root, "jsonrpc", json_string("2.0"));
	json_object_set_new(root, "id", id ? json_incref(id) : json_null());
	return root;
}

/* See jsonrpc.h. A NULL RESULT encodes as null; a result jansson cannot
 * dump becomes a -32603 error for the same id. */
char *rpc_encode_result(json_t *id, json_t *result, size_t *ret_len)
{
	json_t *root = envelope(id);
	char *line;

	json_object_set_new(root, "result", result ? result : json_null());
	line = dump_line(root, ret_len);
	if (!line)
		line = rpc_encode_error(id, RPC_INTERNAL_ERROR,
					"result could not be encoded", NULL,
					ret_len);
	return line;
}

/* See jsonrpc.h. A NULL MESSAGE uses the reason; a DATA that is not an
 * object is kept under data.detail. When jansson cannot dump DATA (or ID)
 * the answer degrades to a -32603 without data (then with a null id). */
char *rpc_encode_error(json_t *id, int code, const char *message,
		       json_t *data, size_t *ret_len)
{
	json_t *root = envelope(id), *error = json_object(), *d;
	char *clean = utf8_clean(message ? message : rpc_code_reason(code));
	char *line;

	if (json_is_object(data)) {
		d = data;
	} else {
		d = json_object();
		if (data)
			json_object_set_new(d, "detail", data);
	}
	json_object_set_new(d, "reason", json_string(rpc_code_reason(code)));
	json_object_set_new(error, "code", json_integer(code));
	json_object_set_new(error, "message", json_string(clean));
	json_object_set_new(error, "data", d);
	json_object_set_new(root, "error", error);
	free(clean);
	line = dump_line(root, ret_len);
	if (!line && data)
		return rpc_encode_error(id, RPC_INTERNAL_ERROR,
					"error data could not be encoded",
					NULL, ret_len);
	if (!line && id)
		return rpc_encode_error(NULL, code, message, NULL, ret_len);
	if (!line)
		abort();	/* ASCII only and a null id: cannot fail */
	return line;
}

/* See jsonrpc.h. PARAMS NULL leaves "params" out; a METHOD that is not
 * UTF-8 is sent with '?' in place of its non-ASCII bytes. Returns NULL
 * (PARAMS still stolen) when jansson cannot dump PARAMS: a string built
 * with a _nocheck function that is not UTF-8, or a reference loop. */
char *rpc_encode_request(json_int_t id, const char *method, json_t *params,
			 size_t *ret_len)
{
	json_t *root = json_object(), *jid = json_integer(id);
	char *clean = utf8_clean(method);

	json_object_set_new(root, "jsonrpc", json_string("2.0"));
	json_object_set_new(root, "id", jid);
	json_object_set_new(root, "method", json_string(clean));
	if (params)
		json_object_set_new(root, "params", params);
	free(clean);
	return dump_line(root, ret_len);
}

static bool error_object_valid(const json_t *error)
{
	return json_is_object(error) &&
	       json_is_integer(json_object_get(error, "code")) &&
	       json_is_string(json_object_get(error, "message"));
}

/* See jsonrpc.h. The id must be present (null, string or integer). */
int rpc_decode_response(json_t *root, json_t **ret_result, json_t **ret_error)
{
	json_t *v, *result, *error;

	if (!json_is_object(root))
		return -1;
	v = json_object_get(root, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
		return -1;
	v = json_object_get(root, "id");
	if (!v || !id_valid(v))
		return -1;
	result = json_object_get(root, "result");
	error = json_object_get(root, "error");
	if ((result != NULL) == (error != NULL))
		return -1;
	if (result) {
		*ret_result = result;
		return 0;
	}
	if (!error_object_valid(error))
		return -1;
	*ret_error = error;
	return 1;
}
