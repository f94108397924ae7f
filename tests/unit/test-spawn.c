/*
 * Unit tests of daemon/spawn.c with real processes, no mocks: output of
 * both streams through one pipe, the exact environment and argv, PATH
 * searched in the given environment (not ours), exec/chdir/setuid failures
 * reported with a cause and nothing left behind, the working directory,
 * session and group leadership, no leaked descriptors, signal dispositions
 * and mask reset, dropping to nobody when root, the subreaper catching a
 * setsid'd grandchild that spawn_list_children and spawn_has_env then
 * find, user lookups, and a printed (never asserted) spawn+reap rate.
 * The probe is build-X/tests/spawnprobe (tests/helpers/spawnprobe.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/spawn.h"
#include "proto/xalloc.h"

static char *probe;		/* path of the spawnprobe helper */
static char *const std_env[] = { "PATH=/usr/bin:/bin", NULL };

/* Reads FD until EOF (polling, it is non-blocking). New string. */
static char *
drain(int fd)
{
	size_t len = 0, cap = 256;
	char *buf = xmalloc(cap);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	for (;;) {
		if (len + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		n = read(fd, buf + len, cap - len - 1);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		assert_true(errno == EAGAIN || errno == EINTR);
		assert_true(poll(&p, 1, 20000) >= 0);
	}
	buf[len] = '\0';
	return buf;
}

/* Spawns REQ (must succeed), drains its output, reaps it. New string. */
static char *
run(const struct spawn_req *req, int *ret_status)
{
	struct spawn_result res;
	char *cause = NULL, *out;
	int st;

	assert_int_equal(spawn_start(req, &res, &cause), 0);
	assert_null(cause);
	out = drain(res.out_fd);
	close(res.out_fd);
	assert_int_equal(waitpid(res.pid, &st, 0), res.pid);
	if (ret_status != NULL)
		*ret_status = st;
	return out;
}

/* Runs /bin/sh -c SCRIPT with the standard environment. */
static char *
run_sh(const char *script, int *ret_status)
{
	char *const argv[] = { "sh", "-c", (char *)script, NULL };
	struct spawn_req req = { .path = "/bin/sh", .argv = argv,
				 .envp = std_env };

	return run(&req, ret_status);
}

/* The value of "KEY=" in the probe's output, copied into BUF. */
static const char *
kv(const char *out, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key), n;
	const char *p = out, *end;

	for (; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchrnul(p, '\n');
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			n = (size_t)(end - p - (ptrdiff_t)klen - 1);
			assert_true(n < size);
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return buf;
		}
	}
	fail_msg("no %s= in probe output:\n%s", key, out);
	return NULL;
}

/* The value of "NAME:\t" in a /proc/PID/status text, copied into BUF. */
static const char *
status_field(const char *status, const char *name, char *buf, size_t size)
{
	char key[32];
	const char *p;
	size_t n;

	snprintf(key, sizeof key, "\n%s:", name);
	p = strstr(status, key);
	if (p == NULL)
		fail_msg("no %s in:\n%s", name, status);
	p += strlen(key);
	p += strspn(p, " \t");
	n = strcspn(p, "\n");
	assert_true(n < size);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

/* Nothing of ours is left to reap. */
static void
assert_no_children(void)
{
	pid_t *pids = NULL;
	size_t n = 99;

	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(spawn_list_children(&pids, &n), 0);
	assert_int_equal(n, 0);
	free(pids);
}

/* Spawns REQ expecting failure ERR with a cause starting with PREFIX; the
 * result is untouched and no descriptor or process is left. */
static void
expect_fail(const struct spawn_req *req, int err, const char *cause_is)
{
	struct spawn_result res = { .pid = -7, .out_fd = -7 };
	char *cause = NULL;
	int fds = count_fds();

	assert_int_equal(spawn_start(req, &res, &cause), -err);
	assert_non_null(cause);
	assert_string_equal(cause, cause_is);
	assert_int_equal(res.pid, -7);
	assert_int_equal(res.out_fd, -7);
	assert_int_equal(count_fds(), fds);
	assert_no_children();
	free(cause);
}

static void
test_output_both_streams(void **state)
{
	char *const argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3",
			       NULL };
	struct spawn_req req = { .path = "/bin/sh", .argv = argv,
				 .envp = std_env };
	struct spawn_result res;
	sigset_t before, after;
	char *cause = NULL, *out;
	int st, sig, flags, fdflags;

	(void)state;
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	assert_int_equal(spawn_start(&req, &res, &cause), 0);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	flags = fcntl(res.out_fd, F_GETFL);
	fdflags = fcntl(res.out_fd, F_GETFD);
	out = drain(res.out_fd);
	close(res.out_fd);
	assert_int_equal(waitpid(res.pid, &st, 0), res.pid);
	for (sig = 1; sig < NSIG; sig++)
		assert_int_equal(sigismember(&before, sig),
				 sigismember(&after, sig));
	assert_true(flags & O_NONBLOCK);
	assert_true(fdflags & FD_CLOEXEC);
	assert_string_equal(out, "out\nerr\n");
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	free(out);
	assert_no_children();
}

static void
test_env_exact(void **state)
{
	char *const argv[] = { "env", NULL };
	char *const envp[] = { "A=1", "B=two words", "EMPTY=", NULL };
	char *const none[] = { NULL };
	struct spawn_req req = { .path = "/usr/bin/env", .argv = argv,
				 .envp = envp };
	char *out;

	(void)state;
	setenv("VIBE_TEST_PARENT_ONLY", "1", 1);
	out = run(&req, NULL);
	assert_string_equal(out, "A=1\nB=two words\nEMPTY=\n");
	free(out);
	req.envp = none;
	out = run(&req, NULL);
	assert_string_equal(out, "");
	free(out);
	unsetenv("VIBE_TEST_PARENT_ONLY");
}

static void
test_argv_intact(void **state)
{
	char *const argv[] = { "sh", "-c",
			       "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done",
			       "zero", "a b", "", "  ", "c\"d", "$HOME", NULL };
	struct spawn_req req = { .path = "/bin/sh", .argv = argv,
				 .envp = std_env };
	char *out;

	(void)state;
	out = run(&req, NULL);
	assert_string_equal(out, "[a b]\n[]\n[  ]\n[c\"d]\n[$HOME]\n");
	free(out);
}

static void
test_path_search(void **state)
{
	char *const argv[] = { "true", NULL };
	char *const env_ok[] = { "X=1", "PATH=/nonexistent:/usr/bin:/bin", NULL };
	char *const env_bad[] = { "PATH=/nonexistent", NULL };
	char dir[] = "/tmp/test-spawn.XXXXXX", file[64], env_dir[80];
	char *const env_noexec[] = { env_dir, NULL };
	struct spawn_req req = { .path = "true", .argv = argv, .envp = env_ok };
	char *out;
	int st, fd;

	(void)state;
	out = run(&req, &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(out);

	/* Our own PATH finds true; the child's must not. */
	req.envp = env_bad;
	expect_fail(&req, ENOENT,
		    "cannot execute true: No such file or directory");

	/* A candidate that is not executable: EACCES, as execvp says. */
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof file, "%s/true", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	snprintf(env_dir, sizeof env_dir, "PATH=%s", dir);
	req.envp = env_noexec;
	expect_fail(&req, EACCES, "cannot execute true: Permission denied");
	unlink(file);
	rmdir(dir);

	req.path = "";
	expect_fail(&req, ENOENT, "cannot execute : No such file or directory");
}

static void
test_exec_failure(void **state)
{
	char *const argv[] = { "x", NULL };
	struct spawn_req req = { .path = "/nonexistent/x", .argv = argv,
				 .envp = std_env };

	(void)state;
	expect_fail(&req, ENOENT,
		    "cannot execute /nonexistent/x: No such file or directory");
	req.path = "/etc/passwd";
	expect_fail(&req, EACCES, "cannot execute /etc/passwd: Permission denied");
}

static void
test_working_dir(void **state)
{
	char *const argv[] = { "sh", "-c", "pwd", NULL };
	struct spawn_req req = { .path = "/bin/sh", .argv = argv,
				 .envp = std_env, .working_dir = "/nope" };
	char *out;

	(void)state;
	expect_fail(&req, ENOENT, "chdir /nope: No such file or directory");
	req.working_dir = "/tmp";
	out = run(&req, NULL);
	assert_string_equal(out, "/tmp\n");
	free(out);
}

static void
test_session_leader(void **state)
{
	char *const argv[] = { "spawnprobe", NULL };
	struct spawn_req req = { .path = probe, .argv = argv, .envp = std_env };
	struct spawn_result res;
	char *cause = NULL, *out, v[64], self[32], pid[32];

	(void)state;
	assert_int_equal(spawn_start(&req, &res, &cause), 0);
	out = drain(res.out_fd);
	close(res.out_fd);
	assert_int_equal(waitpid(res.pid, NULL, 0), res.pid);
	snprintf(pid, sizeof pid, "%d", (int)res.pid);
	snprintf(self, sizeof self, "%d", (int)getpid());
	assert_string_equal(kv(out, "pid", v, sizeof v), pid);
	assert_string_equal(kv(out, "sid", v, sizeof v), pid);
	assert_string_equal(kv(out, "pgid", v, sizeof v), pid);
	assert_string_equal(kv(out, "ppid", v, sizeof v), self);
	assert_string_equal(kv(out, "envc", v, sizeof v), "1");
	free(out);
}

static void
test_no_leaked_fds(void **state)
{
	char *const argv[] = { "spawnprobe", NULL };
	struct spawn_req req = { .path = probe, .argv = argv, .envp = std_env };
	char *out, v[PATH_MAX], fd1[PATH_MAX];
	int fd, high;

	(void)state;
	fd = open("/dev/zero", O_RDONLY);	/* deliberately not O_CLOEXEC */
	assert_true(fd >= 3);
	high = dup2(fd, 200);
	assert_int_equal(high, 200);
	out = run(&req, NULL);
	close(fd);
	close(high);
	assert_string_equal(kv(out, "fds", v, sizeof v), "0,1,2");
	assert_string_equal(kv(out, "fd0", v, sizeof v), "/dev/null");
	kv(out, "fd1", fd1, sizeof fd1);
	assert_int_equal(strncmp(fd1, "pipe:", 5), 0);
	assert_string_equal(kv(out, "fd2", v, sizeof v), fd1);
	free(out);
}

/* With 0, 1 and 2 closed, the pipes land on them: still no clobbering. */
static void
test_stdio_closed_in_parent(void **state)
{
	int saved[3], i, st;
	char *out;

	(void)state;
	for (i = 0; i < 3; i++) {
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
		assert_true(saved[i] >= 10);
	}
	close(0);
	close(1);
	close(2);
	out = run_sh("echo out; echo err >&2; cat", &st);
	for (i = 0; i < 3; i++) {
		dup2(saved[i], i);
		close(saved[i]);
	}
	assert_string_equal(out, "out\nerr\n");
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(out);
}

static void
test_signals_reset(void **state)
{
	char *const argv[] = { "spawnprobe", NULL };
	char *const cat_argv[] = { "cat", "/proc/self/status", NULL };
	struct spawn_req req = { .path = probe, .argv = argv, .envp = std_env };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe, old_int;
	sigset_t term, old_mask;
	const char *zero = "0000000000000000";
	char *out, v[64];

	(void)state;
	sigaction(SIGPIPE, &ign, &old_pipe);
	sigaction(SIGINT, &ign, &old_int);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &term, &old_mask);

	/* The probe may catch signals itself (under ASan it does). */
	out = run(&req, NULL);
	assert_string_equal(kv(out, "sigign", v, sizeof v), zero);
	assert_string_equal(kv(out, "sigblk", v, sizeof v), zero);
	free(out);
	/* cat installs no handler: everything it shows was inherited. */
	req.path = "/bin/cat";
	req.argv = cat_argv;
	out = run(&req, NULL);
	assert_string_equal(status_field(out, "SigIgn", v, sizeof v), zero);
	assert_string_equal(status_field(out, "SigBlk", v, sizeof v), zero);
	assert_string_equal(status_field(out, "SigCgt", v, sizeof v), zero);
	free(out);

	/* With SIGPIPE ignored, yes would see EPIPE and complain. */
	out = run_sh("yes | head -1", NULL);
	assert_string_equal(out, "y\n");
	free(out);

	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
}

static void
test_set_user_root(void **state)
{
	static const gid_t nogroup[] = { 65534 };
	char *const argv[] = { "spawnprobe", NULL };
	char *const id_argv[] = { "sh", "-c", "id -u; id -g; id -G", NULL };
	struct spawn_req req = { .path = probe, .argv = argv, .envp = std_env,
				 .set_user = true, .uid = 65534, .gid = 65534,
				 .groups = nogroup, .ngroups = 1 };
	struct stat sb;
	char *out, v[64];

	(void)state;
	if (geteuid() != 0)
		skip();
	out = run(&req, NULL);
	assert_string_equal(kv(out, "uid", v, sizeof v), "65534");
	assert_string_equal(kv(out, "euid", v, sizeof v), "65534");
	assert_string_equal(kv(out, "gid", v, sizeof v), "65534");
	assert_string_equal(kv(out, "egid", v, sizeof v), "65534");
	assert_string_equal(kv(out, "groups", v, sizeof v), "65534");
	free(out);

	req.path = "/bin/sh";
	req.argv = id_argv;
	out = run(&req, NULL);
	assert_string_equal(out, "65534\n65534\n65534\n");
	free(out);

	/* chdir happens after the drop: the user's rights apply. */
	if (stat("/root", &sb) == 0 && (sb.st_mode & S_IXOTH) == 0) {
		req.working_dir = "/root";
		expect_fail(&req, EACCES, "chdir /root: Permission denied");
	}
}

/* Not root: changing to another user fails, with a cause. */
static int
unprivileged_attempt(void)
{
	char *const argv[] = { "true", NULL };
	struct spawn_req req = { .path = "true", .argv = argv, .envp = std_env,
				 .set_user = true, .uid = getuid() + 1,
				 .gid = getgid(), .groups = NULL, .ngroups = 0 };
	struct spawn_result res;
	char *cause = NULL;
	int r;

	r = spawn_start(&req, &res, &cause);
	if (r != -EPERM || cause == NULL ||
	    strcmp(cause, "setgroups(0 groups): Operation not permitted") != 0) {
		fprintf(stderr, "spawn_start: %d %s\n", r, cause ? cause : "");
		return 1;
	}
	free(cause);
	return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD ? 0 : 2;
}

static void
test_set_user_unprivileged(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	if (geteuid() != 0) {
		assert_int_equal(unprivileged_attempt(), 0);
		return;
	}
	/* As root: try it from a child that gave up root first. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0)
			_exit(3);
		_exit(unprivileged_attempt());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static bool
contains(const pid_t *pids, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (pids[i] == pid)
			return true;
	}
	return false;
}

static void
test_subreaper(void **state)
{
	char *const argv[] = { "sh", "-c",
			       "setsid sleep 30 >/dev/null 2>&1 & echo $!", NULL };
	char *const envp[] = { "PATH=/usr/bin:/bin", "VIBE_RUN_ID=x", NULL };
	struct spawn_req req = { .path = "/bin/sh", .argv = argv, .envp = envp };
	pid_t *pids = NULL, grandchild;
	size_t n = 0;
	char *out;

	(void)state;
	assert_int_equal(spawn_become_subreaper(), 0);
	out = run(&req, NULL);	/* sh has exited and been reaped */
	grandchild = (pid_t)atoi(out);
	free(out);
	assert_true(grandchild > 0);

	assert_int_equal(spawn_list_children(&pids, &n), 0);
	assert_true(contains(pids, n, grandchild));
	free(pids);
	assert_true(spawn_has_env(grandchild, "VIBE_RUN_ID", "x"));
	assert_false(spawn_has_env(grandchild, "VIBE_RUN_ID", "y"));
	assert_false(spawn_has_env(grandchild, "VIBE_RUN_ID", ""));
	assert_false(spawn_has_env(grandchild, "VIBE_RUN", "x"));
	assert_false(spawn_has_env(grandchild, "IBE_RUN_ID", "x"));

	assert_int_equal(kill(grandchild, SIGKILL), 0);
	assert_int_equal(waitpid(grandchild, NULL, 0), grandchild);
	assert_false(spawn_has_env(grandchild, "VIBE_RUN_ID", "x"));
	assert_no_children();
}

static void
test_user_lookup(void **state)
{
	struct spawn_user u;
	char *cause = NULL;
	size_t i;
	bool has0 = false;

	(void)state;
	assert_int_equal(spawn_user_lookup_name("root", &u, &cause), 0);
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	assert_string_equal(u.name, "root");
	assert_string_equal(u.home, "/root");
	assert_non_null(u.shell);
	for (i = 0; i < u.ngroups; i++)
		has0 |= u.groups[i] == 0;
	assert_true(has0);
	spawn_user_release(&u);
	spawn_user_release(NULL);

	assert_int_equal(spawn_user_lookup_uid(0, &u, &cause), 0);
	assert_string_equal(u.name, "root");
	spawn_user_release(&u);

	assert_int_equal(spawn_user_lookup_name("no-such-user-vibe", &u, &cause),
			 -ENOENT);
	assert_string_equal(cause, "user 'no-such-user-vibe' does not exist");
	free(cause);
	cause = NULL;
	assert_int_equal(spawn_user_lookup_uid(3999999999u, &u, &cause), -ENOENT);
	assert_string_equal(cause, "uid 3999999999 does not exist");
	free(cause);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the rate of spawn + drain + reap of /bin/true; asserts nothing. */
static void
test_rate(void **state)
{
	char *const argv[] = { "true", NULL };
	struct spawn_req req = { .path = "/bin/true", .argv = argv,
				 .envp = std_env };
	double t0 = now_s(), t;
	unsigned n = 0;

	(void)state;
	do {
		free(run(&req, NULL));
		n++;
		t = now_s() - t0;
	} while (t < 2.0);
	print_message("spawn+reap of /bin/true, one at a time: %u in %.2f s, "
		      "%.0f/s\n", n, t, n / t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_both_streams),
		cmocka_unit_test(test_env_exact),
		cmocka_unit_test(test_argv_intact),
		cmocka_unit_test(test_path_search),
		cmocka_unit_test(test_exec_failure),
		cmocka_unit_test(test_working_dir),
		cmocka_unit_test(test_session_leader),
		cmocka_unit_test(test_no_leaked_fds),
		cmocka_unit_test(test_stdio_closed_in_parent),
		cmocka_unit_test(test_signals_reset),
		cmocka_unit_test(test_set_user_root),
		cmocka_unit_test(test_set_user_unprivileged),
		cmocka_unit_test(test_subreaper),
		cmocka_unit_test(test_user_lookup),
		cmocka_unit_test(test_rate),
	};
	char exe[PATH_MAX], *slash;
	ssize_t n;
	int r;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0)
		return 1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	probe = xasprintf("%s/spawnprobe", exe);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	free(probe);
	return r;
}
