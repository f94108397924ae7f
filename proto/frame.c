/*
 * Line framing of the control protocol. Owns: finding one '\n'-terminated
 * line in a byte buffer under a hard size cap (frame_next), and a small
 * blocking line reader over an fd for vibectl and the tests. Does not own:
 * sockets, non-blocking I/O or what a line means (jsonrpc.c).
 *
 * The cap: a line may hold at most MAX bytes before its '\n' (a '\r' before
 * the '\n' counts toward them). A line of exactly MAX bytes plus '\n' is
 * accepted; MAX + 1 bytes without a '\n' is FRAME_TOO_LONG. So a reader
 * must be able to buffer MAX + 1 bytes to tell the two apart. An empty line
 * is returned as a FRAME_LINE of length 0: the caller decides to skip it.
 */
#include "proto/frame.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/xalloc.h"

/* Returns FRAME_LINE with *ret_len (line bytes, '\r\n' or '\n' excluded)
 * and *ret_skip (1 or 2: the terminator), FRAME_INCOMPLETE when LEN <= MAX
 * bytes hold no '\n', FRAME_TOO_LONG when more than MAX bytes precede the
 * first '\n' (or there are more than MAX bytes and no '\n'). The out
 * parameters are written only for FRAME_LINE. */
enum frame_status frame_next(const char *data, size_t len, size_t max,
			     size_t *ret_len, size_t *ret_skip)
{
	size_t scan = len, n;
	const char *nl;

	/* A '\n' is acceptable at index MAX at the latest. */
	if (max < SIZE_MAX && scan > max + 1)
		scan = max + 1;
	nl = scan ? memchr(data, '\n', scan) : NULL;
	if (!nl)
		return len > max ? FRAME_TOO_LONG : FRAME_INCOMPLETE;
	n = (size_t)(nl - data);
	if (n > 0 && data[n - 1] == '\r') {
		*ret_len = n - 1;
		*ret_skip = 2;
	} else {
		*ret_len = n;
		*ret_skip = 1;
	}
	return FRAME_LINE;
}

void line_reader_init(struct line_reader *lr, int fd, size_t max)
{
	lr->fd = fd;
	lr->buf = NULL;
	lr->len = 0;
	lr->cap = 0;
	lr->max = max;
}

/* Frees the buffer; does not close the fd (the caller owns it). */
void line_reader_release(struct line_reader *lr)
{
	if (!lr)
		return;
	free(lr->buf);
	lr->buf = NULL;
	lr->len = 0;
	lr->cap = 0;
}

static void reverse(char *p, size_t n)
{
	size_t i;
	char c;

	for (i = 0; i < n / 2; i++) {
		c = p[i];
		p[i] = p[n - 1 - i];
		p[n - 1 - i] = c;
	}
}

/*
 * Hands out the line at the front of the buffer while keeping the bytes
 * after it: the buffer [line][terminator][rest] becomes [rest][line]['\0']
 * and len covers only the rest. The line then lives past len, where the
 * next read may overwrite it ("valid until the next call"). Rotating by
 * reversals needs no second buffer and no extra bookkeeping field.
 */
static char *take_line(struct line_reader *lr, size_t n, size_t skip)
{
	size_t rest = lr->len - n - skip;

	memmove(lr->buf + n, lr->buf + n + skip, rest);
	reverse(lr->buf, n);
	reverse(lr->buf + n, rest);
	reverse(lr->buf, n + rest);
	lr->buf[rest + n] = '\0';	/* skip >= 1, so within cap */
	lr->len = rest;
	return lr->buf + rest;
}

/* Makes room for at least one more byte, never beyond MAX + 1 bytes (enough
 * to hold MAX bytes and the '\n' that decides). */
static void grow(struct line_reader *lr)
{
	size_t limit = lr->max < SIZE_MAX - 1 ? lr->max + 1 : SIZE_MAX;
	size_t cap = lr->cap ? lr->cap * 2 : 4096;

	if (lr->cap > SIZE_MAX / 2 || cap > limit)
		cap = limit;
	lr->buf = xrealloc(lr->buf, cap);
	lr->cap = cap;
}

/* Reads one line (see frame.h). An empty line is returned with length 0.
 * Returns -1 with errno on a read error (EINTR is retried), -2 at EOF
 * before a full line (bytes of a partial line are dropped), -3 when more
 * than max bytes arrive without a '\n' (the reader is then useless). */
ssize_t line_reader_next(struct line_reader *lr, char **ret_line)
{
	size_t n, skip;
	ssize_t r;

	for (;;) {
		switch (frame_next(lr->buf, lr->len, lr->max, &n, &skip)) {
		case FRAME_LINE:
			*ret_line = take_line(lr, n, skip);
			return (ssize_t)n;
		case FRAME_TOO_LONG:
			return -3;
		case FRAME_INCOMPLETE:
			break;
		}
		if (lr->len == lr->cap)
			grow(lr);
		r = read(lr->fd, lr->buf + lr->len, lr->cap - lr->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return -2;
		lr->len += (size_t)r;
	}
}
