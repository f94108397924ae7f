/*
 * vibectl's side of the control socket: connect (SOCK_CLOEXEC, with
 * --timeout as the socket's send/receive timeout), send one JSON-RPC line,
 * read one answer line (up to CLI_MAX_ANSWER_BYTES), and turn every way
 * this can fail into one message on ctx->err and an exit code. The only
 * file of the client that makes socket calls.
 */
#include "client/vibectl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/frame.h"
#include "proto/jsonrpc.h"
#include "proto/xalloc.h"

struct cli_conn {
	int fd;
	struct line_reader lr;
	json_int_t next_id;
};

void cli_conn_free(struct cli_conn *c)
{
	if (!c)
		return;
	line_reader_release(&c->lr);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void set_timeout(int fd, double seconds)
{
	struct timeval tv;

	if (seconds <= 0)
		return;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void unreachable(struct cli_ctx *ctx, int err)
{
	fprintf(ctx->err, "vibectl: cannot reach vibe-schedd at %s: %s\n"
		"vibectl: is it running? start it with `make run` or "
		"`systemctl start vibe-schedd`\n", ctx->socket_path,
		strerror(err));
}

/* Opens ctx->conn; returns CLI_EXIT_OK or prints and returns 3. */
static int conn_open(struct cli_ctx *ctx)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct cli_conn *c;
	int fd;

	if (strlen(ctx->socket_path) >= sizeof(sun.sun_path)) {
		unreachable(ctx, ENAMETOOLONG);
		return CLI_EXIT_UNREACHABLE;
	}
	strcpy(sun.sun_path, ctx->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		unreachable(ctx, errno);
		return CLI_EXIT_UNREACHABLE;
	}
	set_timeout(fd, ctx->timeout);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		unreachable(ctx, errno);
		close(fd);
		return CLI_EXIT_UNREACHABLE;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->next_id = 1;
	line_reader_init(&c->lr, fd, CLI_MAX_ANSWER_BYTES);
	ctx->conn = c;
	return CLI_EXIT_OK;
}

static int send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Why no answer came, for line_reader_next()'s return R. */
static void lost(struct cli_ctx *ctx, ssize_t r, int err)
{
	if (r == -1 && (err == EAGAIN || err == EWOULDBLOCK))
		fprintf(ctx->err, "vibectl: no answer from vibe-schedd at %s "
			"within %g s (see --timeout)\n", ctx->socket_path,
			ctx->timeout);
	else if (r == -1)
		fprintf(ctx->err, "vibectl: lost the connection to "
			"vibe-schedd at %s: %s\n", ctx->socket_path,
			strerror(err));
	else if (r == -2)
		fprintf(ctx->err, "vibectl: vibe-schedd at %s closed the "
			"connection before answering\n", ctx->socket_path);
	else
		fprintf(ctx->err, "vibectl: the answer from vibe-schedd is "
			"over %u bytes\n", CLI_MAX_ANSWER_BYTES);
}

void cli_print_rpc_error(FILE *err, const json_t *error)
{
	const json_t *data = json_object_get(error, "data");
	const char *field = cli_str(data, "field", NULL);

	fprintf(err, "vibectl: %s", cli_str(error, "message", "error"));
	if (field)
		fprintf(err, " (field: %s)", field);
	fputc('\n', err);
}

/* Reads and checks the answer to request ID; 0, 1 or 3 as cli_call. */
static int read_answer(struct cli_ctx *ctx, json_int_t id, json_t **ret)
{
	json_t *root, *result, *error;
	json_error_t jerr;
	char *line;
	ssize_t r;
	int kind;

	r = line_reader_next(&ctx->conn->lr, &line);
	if (r < 0) {
		lost(ctx, r, errno);
		return CLI_EXIT_UNREACHABLE;
	}
	root = json_loadb(line, (size_t)r, JSON_DECODE_ANY, &jerr);
	kind = root ? rpc_decode_response(root, &result, &error) : -1;
	/* An error may carry "id": null (the daemon could not read ours). */
	if (kind < 0 || (kind == 0 &&
	    json_integer_value(json_object_get(root, "id")) != id)) {
		fprintf(ctx->err, "vibectl: vibe-schedd at %s sent an invalid "
			"answer\n", ctx->socket_path);
		json_decref(root);
		return CLI_EXIT_UNREACHABLE;
	}
	if (kind == 1) {
		cli_print_rpc_error(ctx->err, error);
		json_decref(root);
		return CLI_EXIT_DAEMON;
	}
	*ret = json_incref(result);
	json_decref(root);
	return CLI_EXIT_OK;
}

int cli_call(struct cli_ctx *ctx, const char *method, json_t *params,
	     json_t **ret_result)
{
	json_int_t id;
	size_t len;
	char *line;
	int r;

	if (!ctx->conn && (r = conn_open(ctx)) != CLI_EXIT_OK) {
		json_decref(params);
		return r;
	}
	id = ctx->conn->next_id++;
	line = rpc_encode_request(id, method, params, &len);
	if (!line) {
		fprintf(ctx->err, "vibectl: cannot encode the request "
			"(arguments must be UTF-8)\n");
		return CLI_EXIT_USAGE;
	}
	r = send_all(ctx->conn->fd, line, len);
	free(line);
	if (r < 0) {
		lost(ctx, -1, -r);
		return CLI_EXIT_UNREACHABLE;
	}
	return read_answer(ctx, id, ret_result);
}

void cli_poll_sleep(const struct cli_ctx *ctx)
{
	struct timespec ts;
	double s = ctx->poll_interval;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - floor(s)) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
