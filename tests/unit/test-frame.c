/*
 * Tests of proto/frame.c: frame_next on split lines, CRLF, empty lines,
 * the size cap at its edge, and line_reader over pipes and socketpairs
 * with pipelined lines, dribbled writes, EOF and overlong lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto/frame.h"

static enum frame_status next(const char *s, size_t max, size_t *len,
			      size_t *skip)
{
	return frame_next(s, strlen(s), max, len, skip);
}

static void test_simple_lines(void **state)
{
	const char *buf = "abc\ndef\n";
	size_t len = 99, skip = 99;

	(void)state;
	assert_int_equal(next(buf, 100, &len, &skip), FRAME_LINE);
	assert_int_equal(len, 3);
	assert_int_equal(skip, 1);
	buf += len + skip;
	assert_int_equal(next(buf, 100, &len, &skip), FRAME_LINE);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "def", 3);
	buf += len + skip;
	assert_int_equal(next(buf, 100, &len, &skip), FRAME_INCOMPLETE);
}

static void test_crlf(void **state)
{
	size_t len, skip;

	(void)state;
	assert_int_equal(next("abc\r\nx", 100, &len, &skip), FRAME_LINE);
	assert_int_equal(len, 3);
	assert_int_equal(skip, 2);
	/* Only the '\r' right before the '\n' is part of the terminator. */
	assert_int_equal(next("a\rb\n", 100, &len, &skip), FRAME_LINE);
	assert_int_equal(len, 3);
	assert_int_equal(skip, 1);
	assert_int_equal(next("\r\n", 100, &len, &skip), FRAME_LINE);
	assert_int_equal(len, 0);
	assert_int_equal(skip, 2);
	/* A lone '\r' at the end waits for its '\n'. */
	assert_int_equal(next("abc\r", 100, &len, &skip), FRAME_INCOMPLETE);
}

static void test_empty_line(void **state)
{
	size_t len = 99, skip = 99;

	(void)state;
	assert_int_equal(next("\n{}\n", 100, &len, &skip), FRAME_LINE);
	assert_int_equal(len, 0);
	assert_int_equal(skip, 1);
}

static void test_incomplete(void **state)
{
	size_t len = 7, skip = 7;

	(void)state;
	assert_int_equal(frame_next(NULL, 0, 100, &len, &skip),
			 FRAME_INCOMPLETE);
	assert_int_equal(next("{\"a\":", 100, &len, &skip), FRAME_INCOMPLETE);
	/* Out parameters are untouched unless a line is found. */
	assert_int_equal(len, 7);
	assert_int_equal(skip, 7);
}

/* The cap: MAX bytes and a '\n' pass; MAX + 1 bytes before any '\n' do
 * not; MAX bytes and nothing else yet is still incomplete. */
static void test_cap_edge(void **state)
{
	size_t len, skip;

	(void)state;
	assert_int_equal(next("12345\n", 5, &len, &skip), FRAME_LINE);
	assert_int_equal(len, 5);
	assert_int_equal(next("12345", 5, &len, &skip), FRAME_INCOMPLETE);
	assert_int_equal(next("123456", 5, &len, &skip), FRAME_TOO_LONG);
	assert_int_equal(next("123456\n", 5, &len, &skip), FRAME_TOO_LONG);
	/* The '\r' counts toward the cap. */
	assert_int_equal(next("12345\r\n", 5, &len, &skip), FRAME_TOO_LONG);
	assert_int_equal(next("1234\r\n", 5, &len, &skip), FRAME_LINE);
	assert_int_equal(len, 4);
	/* A short first line is found even when more than MAX bytes follow. */
	assert_int_equal(next("12\n34567890", 5, &len, &skip), FRAME_LINE);
	assert_int_equal(len, 2);
	assert_int_equal(next("\n", 0, &len, &skip), FRAME_LINE);
	assert_int_equal(next("x", 0, &len, &skip), FRAME_TOO_LONG);
}

static void pipe_fds(int fds[2])
{
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
}

static void write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		assert_true(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

static void test_reader_pipelined(void **state)
{
	const char *data = "{\"id\":1}\n\r\n{\"id\":2}\r\nlast\n";
	struct line_reader lr;
	char *line;
	int fds[2];

	(void)state;
	pipe_fds(fds);
	write_all(fds[1], data, strlen(data));
	close(fds[1]);
	line_reader_init(&lr, fds[0], 1024);
	assert_int_equal(line_reader_next(&lr, &line), 8);
	assert_string_equal(line, "{\"id\":1}");
	assert_int_equal(line_reader_next(&lr, &line), 0);
	assert_string_equal(line, "");
	assert_int_equal(line_reader_next(&lr, &line), 8);
	assert_string_equal(line, "{\"id\":2}");
	assert_int_equal(line_reader_next(&lr, &line), 4);
	assert_string_equal(line, "last");
	assert_int_equal(line_reader_next(&lr, &line), -2);
	line_reader_release(&lr);
	close(fds[0]);
}

/* A child writes one byte at a time: lines arrive in many reads. */
static void test_reader_dribble(void **state)
{
	const char *data = "hello world\nsecond line\n";
	struct line_reader lr;
	char *line;
	int sv[2];
	pid_t pid;
	size_t i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		for (i = 0; data[i]; i++) {
			if (write(sv[1], data + i, 1) != 1)
				_exit(1);
			usleep(200);
		}
		_exit(0);
	}
	close(sv[1]);
	line_reader_init(&lr, sv[0], 64);
	assert_int_equal(line_reader_next(&lr, &line), 11);
	assert_string_equal(line, "hello world");
	assert_int_equal(line_reader_next(&lr, &line), 11);
	assert_string_equal(line, "second line");
	assert_int_equal(line_reader_next(&lr, &line), -2);
	line_reader_release(&lr);
	close(sv[0]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* Many lines larger than the initial buffer, in one write burst: checks
 * growth and that leftovers survive each call. */
static void test_reader_large_pipelined(void **state)
{
	enum { LINES = 50, LEN = 3000 };
	struct line_reader lr;
	char *buf, *line;
	int fds[2], i;
	pid_t pid;

	(void)state;
	buf = malloc((size_t)LINES * (LEN + 1));
	assert_non_null(buf);
	for (i = 0; i < LINES; i++) {
		memset(buf + i * (LEN + 1), 'a' + i % 26, LEN);
		buf[i * (LEN + 1) + LEN] = '\n';
	}
	pipe_fds(fds);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		write_all(fds[1], buf, (size_t)LINES * (LEN + 1));
		_exit(0);
	}
	close(fds[1]);
	line_reader_init(&lr, fds[0], LEN);
	for (i = 0; i < LINES; i++) {
		assert_int_equal(line_reader_next(&lr, &line), LEN);
		assert_memory_equal(line, buf + i * (LEN + 1), LEN);
		assert_int_equal(line[LEN], '\0');
	}
	assert_int_equal(line_reader_next(&lr, &line), -2);
	line_reader_release(&lr);
	close(fds[0]);
	free(buf);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static void test_reader_too_long(void **state)
{
	struct line_reader lr;
	char *line;
	int fds[2];

	(void)state;
	pipe_fds(fds);
	write_all(fds[1], "12345\n123456\n", 13);
	close(fds[1]);
	line_reader_init(&lr, fds[0], 5);
	assert_int_equal(line_reader_next(&lr, &line), 5);
	assert_string_equal(line, "12345");
	assert_int_equal(line_reader_next(&lr, &line), -3);
	line_reader_release(&lr);
	close(fds[0]);
}

static void test_reader_partial_eof(void **state)
{
	struct line_reader lr;
	char *line;
	int fds[2];

	(void)state;
	pipe_fds(fds);
	write_all(fds[1], "no newline", 10);
	close(fds[1]);
	line_reader_init(&lr, fds[0], 100);
	assert_int_equal(line_reader_next(&lr, &line), -2);
	line_reader_release(&lr);
	close(fds[0]);
}

static void test_reader_error(void **state)
{
	struct line_reader lr;
	char *line;

	(void)state;
	line_reader_init(&lr, -1, 100);
	errno = 0;
	assert_int_equal(line_reader_next(&lr, &line), -1);
	assert_int_equal(errno, EBADF);
	line_reader_release(&lr);
	line_reader_release(&lr);
	line_reader_release(NULL);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal without SA_RESTART interrupts read(): the reader retries. */
static void test_reader_eintr(void **state)
{
	struct sigaction sa, old;
	struct line_reader lr;
	char *line;
	int fds[2];
	pid_t pid;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	pipe_fds(fds);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		usleep(300 * 1000);
		write_all(fds[1], "late\n", 5);
		_exit(0);
	}
	close(fds[1]);
	ualarm(50 * 1000, 0);
	line_reader_init(&lr, fds[0], 100);
	assert_int_equal(line_reader_next(&lr, &line), 4);
	assert_string_equal(line, "late");
	line_reader_release(&lr);
	close(fds[0]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	sigaction(SIGALRM, &old, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_lines),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_empty_line),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_cap_edge),
		cmocka_unit_test(test_reader_pipelined),
		cmocka_unit_test(test_reader_dribble),
		cmocka_unit_test(test_reader_large_pipelined),
		cmocka_unit_test(test_reader_too_long),
		cmocka_unit_test(test_reader_partial_eof),
		cmocka_unit_test(test_reader_error),
		cmocka_unit_test(test_reader_eintr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
