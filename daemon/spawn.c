/*
 * spawn: starts one asset process and finds what a run left behind.
 *
 * Owns the child side of a spawn (everything between clone and execve), the
 * two pipes it needs (the output pipe handed to the caller, an error-report
 * pipe that carries {step, errno} back when a step fails before execve), the
 * child subreaper setting, the /proc readers that list our children and
 * match them to a run by environment, and user lookups for set_user. It
 * does not own the loop, reaping of successful children, timeouts, kills or
 * the environment's contents: the runner does.
 *
 * The child is started with clone(CLONE_VM|CLONE_VFORK) on a stack of its
 * own, like glibc's posix_spawn: no page tables are copied, so a daemon that
 * grows still spawns fast, and the parent sleeps until the child has
 * exec'd or exited. Because the child shares our memory it calls only
 * async-signal-safe functions, writes nothing but its own stack, and uses
 * raw syscalls for set*id (glibc's wrappers would try to broadcast the
 * change to the parent's threads).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/spawn.h"
#include "proto/xalloc.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* 32-bit x86 and arm have 16-bit set*id syscalls under the plain names. */
#ifdef SYS_setgroups32
#define SPAWN_SYS_SETGROUPS SYS_setgroups32
#define SPAWN_SYS_SETGID SYS_setgid32
#define SPAWN_SYS_SETUID SYS_setuid32
#else
#define SPAWN_SYS_SETGROUPS SYS_setgroups
#define SPAWN_SYS_SETGID SYS_setgid
#define SPAWN_SYS_SETUID SYS_setuid
#endif

/*
 * Under AddressSanitizer the child's own functions are left uninstrumented:
 * instrumented frames on the borrowed stack would poison shadow memory the
 * parent shares, and ASan warns when a noreturn call (_exit) happens on a
 * stack it does not know. The parent unpoisons the stack before unmapping.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_ASAN 1
#endif
#endif
#ifdef SPAWN_ASAN
#include <sanitizer/asan_interface.h>
#define CHILD_FN __attribute__((no_sanitize_address))
#else
#define CHILD_FN
#define ASAN_UNPOISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#endif

#define SPAWN_STACK_SIZE (128 * 1024)	/* ASan's interceptors are stack-hungry */
#define SPAWN_DEFAULT_PATH "/bin:/usr/bin"	/* as execvp without PATH */
#define SPAWN_ENVIRON_MAX (1024 * 1024)
#define SPAWN_CHILDREN_MAX (4 * 1024 * 1024)
#define SPAWN_FD_FALLBACK_MAX 65536

/* The step of the child that failed, as reported on the error pipe. */
enum child_step {
	STEP_SETSID = 1,
	STEP_STDIN,
	STEP_STDOUT,
	STEP_SETGROUPS,
	STEP_SETGID,
	STEP_SETUID,
	STEP_UIDCHECK,
	STEP_CHDIR,
	STEP_EXEC,
};

struct child_report {
	int step;
	int err;
};

/* What the child reads; it lives on the parent's stack (shared). */
struct child_arg {
	const struct spawn_req *req;	/* borrowed */
	int out_wr;			/* write end of the output pipe, >= 3 */
	int err_wr;			/* write end of the error pipe, >= 3 */
};

/* ---- the child: async-signal-safe only, writes only its own stack ---- */

static CHILD_FN _Noreturn void
child_fail(const struct child_arg *a, int step, int err)
{
	struct child_report rep = { .step = step, .err = err };
	ssize_t n;

	do
		n = write(a->err_wr, &rep, sizeof rep);
	while (n < 0 && errno == EINTR);
	_exit(127);
}

/* Every disposition back to SIG_DFL (an inherited SIG_IGN for SIGPIPE
 * survives execve and breaks `yes | head`), then an empty mask. glibc's
 * sigaction refuses 32 and 33 (its own), yet an ancestor may have left
 * them ignored, and SIG_IGN survives execve: reset those through the raw
 * system call (the kernel's struct: handler, flags, restorer, mask). */
static CHILD_FN void
child_reset_signals(void)
{
	struct sigaction dfl;
	sigset_t empty;
	int sig;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &dfl, NULL) < 0) {
			unsigned long ksa[4] = { (unsigned long)SIG_DFL, 0, 0, 0 };

			(void)syscall(SYS_rt_sigaction, sig, ksa, NULL, sizeof(unsigned long));
		}
	}
	sigemptyset(&empty);
	(void)sigprocmask(SIG_SETMASK, &empty, NULL);
}

/* stdin from /dev/null, stdout and stderr into the pipe. The pipe's write
 * end is >= 3 (the parent saw to it), so nothing here clobbers it. */
static CHILD_FN void
child_setup_stdio(const struct child_arg *a)
{
	int fd;

	fd = open("/dev/null", O_RDONLY);
	if (fd < 0)
		child_fail(a, STEP_STDIN, errno);
	if (fd != STDIN_FILENO) {
		if (dup2(fd, STDIN_FILENO) < 0)
			child_fail(a, STEP_STDIN, errno);
		close(fd);
	}
	if (dup2(a->out_wr, STDOUT_FILENO) < 0 ||
	    dup2(a->out_wr, STDERR_FILENO) < 0)
		child_fail(a, STEP_STDOUT, errno);
}

/* Groups, then gid, then uid (after setuid we could no longer change the
 * others), each checked, and the result verified. */
static CHILD_FN void
child_drop_privileges(const struct child_arg *a)
{
	const struct spawn_req *r = a->req;

	if (syscall(SPAWN_SYS_SETGROUPS, r->ngroups, r->groups) < 0)
		child_fail(a, STEP_SETGROUPS, errno);
	if (syscall(SPAWN_SYS_SETGID, r->gid) < 0)
		child_fail(a, STEP_SETGID, errno);
	if (syscall(SPAWN_SYS_SETUID, r->uid) < 0)
		child_fail(a, STEP_SETUID, errno);
	if (getuid() != r->uid || geteuid() != r->uid ||
	    getgid() != r->gid || getegid() != r->gid)
		child_fail(a, STEP_UIDCHECK, EPERM);
}

/* Marks every descriptor >= 3 close-on-exec rather than closing it, so the
 * error pipe still works until execve. Without close_range (Linux < 5.11)
 * walk the descriptor table up to RLIMIT_NOFILE. */
static CHILD_FN void
child_cloexec_rest(void)
{
	struct rlimit rl;
	int fd, max = SPAWN_FD_FALLBACK_MAX;

	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max)
		max = (int)rl.rlim_cur;
	for (fd = 3; fd < max; fd++)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Returns the value of PATH in ENVP, or the default search path. */
static CHILD_FN const char *
child_env_path(char *const *envp)
{
	size_t i;

	for (i = 0; envp[i] != NULL; i++) {
		if (strncmp(envp[i], "PATH=", 5) == 0)
			return envp[i] + 5;
	}
	return SPAWN_DEFAULT_PATH;
}

/* Searches NAME in the PATH of the request's envp, the way execvp does
 * (our environ is the daemon's, so execvpe will not do). Returns the errno
 * to report: EACCES if some candidate was not executable, else the last. */
static CHILD_FN int
child_exec_search(const struct spawn_req *r)
{
	const char *dirs = child_env_path(r->envp), *end;
	size_t nlen = strlen(r->path), dlen;
	char buf[PATH_MAX];
	bool eacces = false;
	int err = ENOENT;

	for (; ; dirs = end + 1) {
		end = strchrnul(dirs, ':');
		dlen = (size_t)(end - dirs);
		if (dlen + 1 + nlen + 1 <= sizeof buf) {
			memcpy(buf, dirs, dlen);
			if (dlen > 0)	/* an empty entry is the cwd */
				buf[dlen++] = '/';
			memcpy(buf + dlen, r->path, nlen + 1);
			execve(buf, r->argv, r->envp);
			err = errno;
			if (err == EACCES)
				eacces = true;
			else if (err != ENOENT && err != ENOTDIR &&
				 err != ESTALE && err != ENODEV &&
				 err != ETIMEDOUT && err != ELOOP &&
				 err != ENAMETOOLONG)
				return err;
		}
		if (*end == '\0')
			break;
	}
	return eacces ? EACCES : err;
}

static CHILD_FN int
child_main(void *arg)
{
	const struct child_arg *a = arg;
	const struct spawn_req *r = a->req;
	int err;

	child_reset_signals();
	if (setsid() < 0)
		child_fail(a, STEP_SETSID, errno);
	child_setup_stdio(a);
	if (r->set_user)
		child_drop_privileges(a);
	if (r->working_dir != NULL && chdir(r->working_dir) < 0)
		child_fail(a, STEP_CHDIR, errno);
	child_cloexec_rest();
	if (r->path[0] == '\0')
		err = ENOENT;
	else if (strchr(r->path, '/') != NULL) {
		execve(r->path, r->argv, r->envp);
		err = errno;
	} else
		err = child_exec_search(r);
	child_fail(a, STEP_EXEC, err);
}

/* ---- the parent ---- */

/* Moves *FD to a number >= 3 (the child dup2s onto 0..2 and must not
 * clobber its own pipe ends). Returns 0 or -errno. */
static int
fd_move_high(int *fd)
{
	int nfd;

	if (*fd >= 3)
		return 0;
	nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0)
		return -errno;
	close(*fd);
	*fd = nfd;
	return 0;
}

static void
close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

/* The output pipe (read end non-blocking) and the error pipe, all
 * close-on-exec, write ends above stdio. Returns 0 or -errno. */
static int
make_pipes(int out[2], int err[2], char **cause)
{
	int r;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		r = -errno;
		*cause = xasprintf("pipe: %s", strerror(-r));
		goto fail;
	}
	if (fcntl(out[0], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		*cause = xasprintf("pipe O_NONBLOCK: %s", strerror(-r));
		goto fail;
	}
	if ((r = fd_move_high(&out[1])) < 0 || (r = fd_move_high(&err[1])) < 0) {
		*cause = xasprintf("pipe F_DUPFD: %s", strerror(-r));
		goto fail;
	}
	return 0;
fail:
	close_pair(out);
	close_pair(err);
	return r;
}

/* Clones the child on a private stack with every signal blocked (no
 * handler of ours may run in the child before it resets them), and
 * returns once it has exec'd or exited (CLONE_VFORK). Returns the pid or
 * -errno. */
static pid_t
clone_child(struct child_arg *a)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = SPAWN_STACK_SIZE + page;
	sigset_t all, old;
	char *stack;
	pid_t pid;
	int err = 0;

	stack = mmap(NULL, size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	/* A guard page below the stack: an overflow faults, not corrupts. */
	(void)mprotect(stack, page, PROT_NONE);

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone(child_main, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD,
		    a);
	if (pid < 0)
		err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	ASAN_UNPOISON_MEMORY_REGION(stack + page, SPAWN_STACK_SIZE);
	munmap(stack, size);
	return pid < 0 ? -err : pid;
}

/* Reads the child's report. Returns 0 at EOF (the child exec'd), 1 with
 * *REP filled, or -errno (-EIO for a short report). */
static int
read_report(int fd, struct child_report *rep)
{
	ssize_t n;

	do
		n = read(fd, rep, sizeof *rep);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	return (size_t)n == sizeof *rep ? 1 : -EIO;
}

/* Returns the cause (new) for a failed step of the child. */
static char *
report_cause(const struct spawn_req *r, const struct child_report *rep)
{
	const char *e = strerror(rep->err);

	switch (rep->step) {
	case STEP_SETSID:
		return xasprintf("setsid: %s", e);
	case STEP_STDIN:
		return xasprintf("open /dev/null as stdin: %s", e);
	case STEP_STDOUT:
		return xasprintf("dup2 output pipe: %s", e);
	case STEP_SETGROUPS:
		return xasprintf("setgroups(%zu groups): %s", r->ngroups, e);
	case STEP_SETGID:
		return xasprintf("setgid(%u): %s", (unsigned)r->gid, e);
	case STEP_SETUID:
		return xasprintf("setuid(%u): %s", (unsigned)r->uid, e);
	case STEP_UIDCHECK:
		return xasprintf("setuid(%u)/setgid(%u) did not take effect",
				 (unsigned)r->uid, (unsigned)r->gid);
	case STEP_CHDIR:
		return xasprintf("chdir %s: %s", r->working_dir, e);
	case STEP_EXEC:
		return xasprintf("cannot execute %s: %s", r->path, e);
	default:
		return xasprintf("spawn step %d: %s", rep->step, e);
	}
}

static void
reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int
spawn_start(const struct spawn_req *req, struct spawn_result *ret,
	    char **cause)
{
	struct child_arg a = { .req = req };
	struct child_report rep;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, r;
	pid_t pid;

	if ((r = make_pipes(out, err, cause)) < 0)
		return r;
	a.out_wr = out[1];
	a.err_wr = err[1];
	pid = clone_child(&a);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	if (pid < 0) {
		*cause = xasprintf("clone: %s", strerror(-pid));
		r = pid;
		goto fail;
	}
	r = read_report(err[0], &rep);
	if (r == 0) {
		close(err[0]);
		ret->pid = pid;
		ret->out_fd = out[0];
		return 0;
	}
	if (r > 0) {
		*cause = report_cause(req, &rep);
		r = rep.err > 0 ? -rep.err : -EIO;
	} else {
		/* Cannot tell whether it exec'd: make sure it did not. */
		*cause = xasprintf("reading the child's report: %s",
				   strerror(-r));
		kill(pid, SIGKILL);
	}
	reap(pid);
fail:
	close_pair(out);
	close_pair(err);
	return r;
}

int
spawn_become_subreaper(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* ---- /proc readers ---- */

/* Reads at most MAX bytes of PATH into a new NUL-terminated buffer.
 * Returns 0 or -errno. */
static int
read_bounded(const char *path, size_t max, char **ret_buf, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	char *buf;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = xmalloc(cap + 1);
	while (len < max) {
		if (len == cap) {
			cap = cap * 2 < max ? cap * 2 : max;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			free(buf);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
out:
	close(fd);
	return r;
}

static void
pids_push(pid_t **pids, size_t *n, size_t *cap, pid_t pid)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*pids = xrealloc(*pids, *cap * sizeof **pids);
	}
	(*pids)[(*n)++] = pid;
}

/* Returns the parent pid in /proc/PID/stat, or -1. The command name may
 * hold spaces and parentheses: the fields resume after the last ')'. */
static pid_t
proc_ppid(pid_t pid)
{
	char path[64], *buf, *p;
	size_t len;
	int ppid = -1;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_bounded(path, 4096, &buf, &len) < 0)
		return -1;
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %d", &ppid) != 1)
		ppid = -1;
	free(buf);
	return ppid;
}

/* The fallback without /proc/.../children (CONFIG_PROC_CHILDREN off). */
static int
scan_proc_children(pid_t **ret_pids, size_t *ret_n)
{
	pid_t self = getpid(), *pids = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	pid_t pid;
	DIR *d;

	d = opendir("/proc");
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (proc_ppid(pid) == self)
			pids_push(&pids, &n, &cap, pid);
	}
	closedir(d);
	*ret_pids = pids;
	*ret_n = n;
	return 0;
}

int
spawn_list_children(pid_t **ret_pids, size_t *ret_n)
{
	pid_t *pids = NULL;
	size_t n = 0, cap = 0, len;
	char path[64], *buf, *p, *end;
	long v;
	int r;

	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)gettid());
	r = read_bounded(path, SPAWN_CHILDREN_MAX, &buf, &len);
	if (r == -ENOENT)
		return scan_proc_children(ret_pids, ret_n);
	if (r < 0)
		return r;
	for (p = buf; ; p = end) {
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (errno == 0 && v > 0 && v <= INT_MAX)
			pids_push(&pids, &n, &cap, (pid_t)v);
	}
	free(buf);
	*ret_pids = pids;
	*ret_n = n;
	return 0;
}

bool
spawn_has_env(pid_t pid, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value), len, i, elen;
	char path[64], *buf, *e;
	bool found = false;

	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	if (read_bounded(path, SPAWN_ENVIRON_MAX, &buf, &len) < 0)
		return false;
	for (i = 0; i < len && !found; i += elen + 1) {
		e = buf + i;
		elen = strnlen(e, len - i);
		found = elen == nlen + 1 + vlen && memcmp(e, name, nlen) == 0 &&
			e[nlen] == '=' && memcmp(e + nlen + 1, value, vlen) == 0;
	}
	free(buf);
	return found;
}

/* ---- users ---- */

/* Looks up by NAME if non-NULL, else by UID, into *PW whose strings live
 * in *RET_BUF (new). Returns 0, -ENOENT, or -errno, with *cause. */
static int
pw_lookup(const char *name, uid_t uid, struct passwd *pw, char **ret_buf,
	  char **cause)
{
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t size = hint > 0 ? (size_t)hint : 16384;
	struct passwd *res = NULL;
	char *buf = NULL;
	int r;

	for (;;) {
		buf = xrealloc(buf, size);
		if (name != NULL)
			r = getpwnam_r(name, pw, buf, size, &res);
		else
			r = getpwuid_r(uid, pw, buf, size, &res);
		if (r != ERANGE || size >= 1024 * 1024)
			break;
		size *= 2;
	}
	if (r == 0 && res != NULL) {
		*ret_buf = buf;
		return 0;
	}
	free(buf);
	if (r == 0 || r == ENOENT || r == ESRCH) {
		if (name != NULL)
			*cause = xasprintf("user '%s' does not exist", name);
		else
			*cause = xasprintf("uid %u does not exist", (unsigned)uid);
		return -ENOENT;
	}
	if (name != NULL)
		*cause = xasprintf("cannot look up user '%s': %s", name, strerror(r));
	else
		*cause = xasprintf("cannot look up uid %u: %s", (unsigned)uid,
				   strerror(r));
	return -r;
}

/* Supplementary groups of NAME (with GID), as getgrouplist sees them.
 * Returns 0 with *ret (new) or -E2BIG past NGROUPS_MAX entries. */
static int
groups_lookup(const char *name, gid_t gid, gid_t **ret, size_t *ret_n,
	      char **cause)
{
	gid_t *groups = NULL;
	int n = 32, cap;

	for (;;) {
		cap = n;
		groups = xrealloc(groups, (size_t)cap * sizeof *groups);
		if (getgrouplist(name, gid, groups, &n) >= 0)
			break;
		/* glibc reports the size needed in n; others may not. */
		n = n > cap ? n : cap * 2;
		if (n > 65536) {
			free(groups);
			*cause = xasprintf("user '%s' is in too many groups",
					   name);
			return -E2BIG;
		}
	}
	*ret = groups;
	*ret_n = (size_t)n;
	return 0;
}

static int
user_lookup(const char *name, uid_t uid, struct spawn_user *ret, char **cause)
{
	struct passwd pw;
	char *buf = NULL;
	gid_t *groups;
	size_t ngroups;
	int r;

	if ((r = pw_lookup(name, uid, &pw, &buf, cause)) < 0)
		return r;
	r = groups_lookup(pw.pw_name, pw.pw_gid, &groups, &ngroups, cause);
	if (r < 0) {
		free(buf);
		return r;
	}
	ret->uid = pw.pw_uid;
	ret->gid = pw.pw_gid;
	ret->groups = groups;
	ret->ngroups = ngroups;
	ret->name = xstrdup(pw.pw_name);
	ret->home = xstrdup(pw.pw_dir != NULL ? pw.pw_dir : "/");
	ret->shell = xstrdup(pw.pw_shell != NULL && pw.pw_shell[0] != '\0' ?
			     pw.pw_shell : "/bin/sh");
	free(buf);
	return 0;
}

int
spawn_user_lookup_name(const char *name, struct spawn_user *ret, char **cause)
{
	if (name == NULL || name[0] == '\0') {
		*cause = xstrdup("empty user name");
		return -EINVAL;
	}
	return user_lookup(name, 0, ret, cause);
}

int
spawn_user_lookup_uid(uid_t uid, struct spawn_user *ret, char **cause)
{
	return user_lookup(NULL, uid, ret, cause);
}

void
spawn_user_release(struct spawn_user *u)
{
	if (u == NULL)
		return;
	free(u->groups);
	free(u->name);
	free(u->home);
	free(u->shell);
	memset(u, 0, sizeof *u);
}
