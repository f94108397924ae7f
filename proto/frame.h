/*
 * Line framing of the control protocol: one JSON object per line, '\n'
 * terminated, with a hard cap on a line's size (max_request_bytes). Knows
 * bytes, not sockets: the caller feeds whatever buffer it has.
 */
#ifndef VIBE_FRAME_H
#define VIBE_FRAME_H

#include <stddef.h>
#include <sys/types.h>

enum frame_status {
	FRAME_INCOMPLETE,	/* no '\n' yet and fewer than MAX bytes */
	FRAME_LINE,		/* a line: *ret_len bytes, '\n' excluded */
	FRAME_TOO_LONG,		/* MAX bytes without a '\n': refuse, close */
};

/* Looks for the first line in DATA[0..LEN). A line's length excludes the
 * '\n' (and a '\r' before it); the caller then drops *ret_len + *ret_skip
 * bytes. */
enum frame_status frame_next(const char *data, size_t len, size_t max,
			     size_t *ret_len, size_t *ret_skip);

/* A blocking line reader over a file descriptor, for vibectl and tests. */
struct line_reader {
	int fd;
	char *buf;
	size_t len, cap, max;
};

void line_reader_init(struct line_reader *lr, int fd, size_t max);
void line_reader_release(struct line_reader *lr);
/* Reads one line. Returns its length and *ret_line (borrowed, NUL
 * terminated, valid until the next call), 0... never: returns -1 with errno
 * on a read error, -2 at EOF before a full line, -3 for a line over max. */
ssize_t line_reader_next(struct line_reader *lr, char **ret_line);

#endif
