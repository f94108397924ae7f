/*
 * benchrpc: a JSON-RPC load generator for bench/run.sh. It opens CONNS
 * connections to the daemon's Unix socket, keeps up to PIPELINE requests in
 * flight on each, sends TOTAL requests of one method in all, and prints one
 * JSON line: {"requests","errors","seconds","rps","ttfb_s","bytes"}.
 * ttfb_s is the time from the first send to the first answer byte (useful
 * with one request, e.g. list_schedules). The string "@N@" in PARAMS is
 * replaced by the request's sequence number, so add_schedule can send
 * distinct ids. An answer counts as an error when it carries "error".
 * It owns nothing of the daemon; it is single-threaded (epoll), like
 * redis-benchmark, so it can be pinned to one core.
 *
 * usage: benchrpc SOCKET CONNS PIPELINE TOTAL METHOD [PARAMS_JSON]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto/xalloc.h"

struct conn {
	int fd;
	long quota;		/* requests still to send */
	long inflight;		/* sent, not yet answered */
	char *in;		/* partial answer line */
	size_t inlen, incap;
};

struct bench {
	const char *method, *params;
	int pipeline;
	long seq, answered, errors, total;
	uint64_t bytes;
	double t0, ttfb;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Appends one request line to BUF (at *LEN, capacity *CAP). */
static void add_request(struct bench *b, char **buf, size_t *len, size_t *cap)
{
	char num[32], *params, *at;
	char *line;
	size_t n;

	snprintf(num, sizeof num, "%ld", b->seq);
	params = xstrdup(b->params);
	while ((at = strstr(params, "@N@")) != NULL) {
		char *p = xasprintf("%.*s%s%s", (int)(at - params), params, num, at + 3);

		free(params);
		params = p;
	}
	line = xasprintf("{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"%s\",\"params\":%s}\n",
			 b->seq, b->method, params);
	b->seq++;
	n = strlen(line);
	if (*len + n > *cap) {
		*cap = (*len + n) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, line, n);
	*len += n;
	free(line);
	free(params);
}

/* Sends as many requests as the pipeline allows on C. Returns 0 or -errno. */
static int fill(struct bench *b, struct conn *c)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, off = 0;

	while (c->quota > 0 && c->inflight < b->pipeline) {
		add_request(b, &buf, &len, &cap);
		c->quota--;
		c->inflight++;
	}
	while (off < len) {
		ssize_t w = write(c->fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			free(buf);
			return -errno;
		}
		off += (size_t)w;
	}
	free(buf);
	return 0;
}

/* Counts the complete answer lines in what was read on C. */
static void consume(struct bench *b, struct conn *c, const char *data, size_t n)
{
	const char *p = data, *end = data + n, *nl;

	b->bytes += n;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t part = (size_t)(nl - p);

		if (c->inlen + part > c->incap) {
			c->incap = (c->inlen + part) * 2 + 64;
			c->in = xrealloc(c->in, c->incap);
		}
		memcpy(c->in + c->inlen, p, part);
		c->inlen += part;
		if (memmem(c->in, c->inlen, "\"error\"", 7) != NULL) {
			if (b->errors == 0)
				fprintf(stderr, "benchrpc: first error: %.*s\n",
					(int)(c->inlen > 400 ? 400 : c->inlen), c->in);
			b->errors++;
		}
		c->inlen = 0;
		c->inflight--;
		b->answered++;
		p = nl + 1;
	}
	if (p < end) {
		size_t part = (size_t)(end - p);

		if (c->inlen + part > c->incap) {
			c->incap = (c->inlen + part) * 2 + 64;
			c->in = xrealloc(c->in, c->incap);
		}
		memcpy(c->in + c->inlen, p, part);
		c->inlen += part;
	}
}

/* Reads what is there on C; returns 0, or -errno / -EPIPE on close. */
static int drain(struct bench *b, struct conn *c)
{
	static char buf[1 << 16];

	for (;;) {
		ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		if (b->ttfb < 0)
			b->ttfb = now_s() - b->t0;
		consume(b, c, buf, (size_t)r);
		if ((size_t)r < sizeof buf)
			return 0;
	}
}

static int run(struct bench *b, struct conn *conns, int nconn)
{
	struct epoll_event evs[64];
	int ep = epoll_create1(EPOLL_CLOEXEC), i, r;

	if (ep < 0)
		return -errno;
	b->t0 = now_s();
	for (i = 0; i < nconn; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &conns[i] };

		epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
		if ((r = fill(b, &conns[i])) < 0)
			goto out;
	}
	r = 0;
	while (b->answered < b->total) {
		int n = epoll_wait(ep, evs, 64, 120000);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -ETIMEDOUT;
			break;
		}
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if ((r = drain(b, c)) < 0 || (r = fill(b, c)) < 0)
				goto out;
		}
	}
out:
	close(ep);
	return r;
}

int main(int argc, char **argv)
{
	struct bench b = { .ttfb = -1 };
	struct conn *conns;
	int nconn, i, r;
	double secs;

	if (argc < 6) {
		fprintf(stderr, "usage: benchrpc SOCKET CONNS PIPELINE TOTAL METHOD [PARAMS_JSON]\n");
		return 2;
	}
	nconn = atoi(argv[2]);
	b.pipeline = atoi(argv[3]);
	b.total = atol(argv[4]);
	b.method = argv[5];
	b.params = argc > 6 ? argv[6] : "{}";
	if (nconn < 1 || b.pipeline < 1 || b.total < nconn) {
		fprintf(stderr, "benchrpc: need CONNS >= 1, PIPELINE >= 1, TOTAL >= CONNS\n");
		return 2;
	}
	conns = xcalloc((size_t)nconn, sizeof *conns);
	for (i = 0; i < nconn; i++) {
		conns[i].fd = connect_unix(argv[1]);
		if (conns[i].fd < 0) {
			fprintf(stderr, "benchrpc: connect %s: %s\n", argv[1], strerror(-conns[i].fd));
			while (i-- > 0)
				close(conns[i].fd);
			free(conns);
			return 1;
		}
		conns[i].quota = b.total / nconn + (i < b.total % nconn ? 1 : 0);
	}
	r = run(&b, conns, nconn);
	secs = now_s() - b.t0;
	printf("{\"requests\":%ld,\"errors\":%ld,\"seconds\":%.6f,\"rps\":%.1f,\"ttfb_s\":%.6f,\"bytes\":%" PRIu64 "}\n",
	       b.answered, b.errors, secs, (double)b.answered / secs, b.ttfb, b.bytes);
	for (i = 0; i < nconn; i++) {
		close(conns[i].fd);
		free(conns[i].in);
	}
	free(conns);
	if (r < 0)
		fprintf(stderr, "benchrpc: %s after %ld answers\n", strerror(-r), b.answered);
	return r < 0 ? 1 : 0;
}
