/*
 * LD_PRELOAD fault shim for the store fault tests (840-store-faults.sh).
 * Wraps write, fsync, fdatasync, rename, renameat and renameat2 (dlsym
 * RTLD_NEXT), counts the calls that touch files under one directory only
 * (VIBE_FAULT_DIR, judged by the readlink of /proc/self/fd/N or the
 * resolved path; never a socket, a pipe or stderr) and makes the Nth of
 * them fail. Does not wrap stdio (it cannot be intercepted: the store uses
 * write(2)), openat2 (reached through syscall(2)) or anything else.
 *
 * Environment:
 *   VIBE_FAULT_DIR    the state directory (made absolute here)
 *   VIBE_FAULT_CALL   write | fsync (also fdatasync) | rename | any
 *   VIBE_FAULT_N      the 1-based number of the counted call to fail;
 *                     0 or unset: only count
 *   VIBE_FAULT_ERRNO  ENOSPC | EIO | EDQUOT | EROFS (default EIO)
 *   VIBE_FAULT_SHORT  1: a faulted write first writes half of its bytes
 *                     and returns that (a short write, as a filling disk
 *                     does); the next counted write then fails
 *   VIBE_FAULT_LOG    file to append one line per counted call to:
 *                     "<n> <call> <path>" and " FAULT <errno>" when hit
 * The shim removes LD_PRELOAD from the environment at start so the jobs
 * the daemon runs are not faulted.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CALL_WRITE	1u
#define CALL_FSYNC	2u
#define CALL_RENAME	4u

void faultshim_init(void) __attribute__((constructor));
ssize_t write(int fd, const void *buf, size_t len);
int fsync(int fd);
int fdatasync(int fd);
int rename(const char *from, const char *to);
int renameat(int fromfd, const char *from, int tofd, const char *to);
int renameat2(int fromfd, const char *from, int tofd, const char *to,
	      unsigned int flags);

static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *,
			     unsigned int);

static char dir[PATH_MAX];
static size_t dirlen;
static unsigned mask = CALL_WRITE | CALL_FSYNC | CALL_RENAME;
static long fault_n;
static int fault_errno = EIO;
static bool fault_short;
static bool fail_next_write;	/* the write after a short one fails */
static long count;
static int logfd = -1;

static void load_syms(void)
{
	if (real_write != NULL)
		return;
	real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	real_renameat = (int (*)(int, const char *, int, const char *))
		dlsym(RTLD_NEXT, "renameat");
	real_renameat2 = (int (*)(int, const char *, int, const char *,
				  unsigned int))dlsym(RTLD_NEXT, "renameat2");
}

static int errno_named(const char *name)
{
	static const struct { const char *name; int err; } names[] = {
		{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "EDQUOT", EDQUOT },
		{ "EROFS", EROFS },
	};
	size_t i;

	for (i = 0; name != NULL && i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(name, names[i].name) == 0)
			return names[i].err;
	}
	return EIO;
}

static unsigned call_named(const char *name)
{
	if (name == NULL || strcmp(name, "any") == 0)
		return CALL_WRITE | CALL_FSYNC | CALL_RENAME;
	if (strcmp(name, "write") == 0)
		return CALL_WRITE;
	if (strcmp(name, "fsync") == 0 || strcmp(name, "fdatasync") == 0)
		return CALL_FSYNC;
	if (strcmp(name, "rename") == 0)
		return CALL_RENAME;
	return 0;
}

void faultshim_init(void)
{
	const char *d = getenv("VIBE_FAULT_DIR"), *n = getenv("VIBE_FAULT_N");
	const char *log = getenv("VIBE_FAULT_LOG");
	char *real;

	load_syms();
	if (d != NULL && (real = realpath(d, NULL)) != NULL) {
		snprintf(dir, sizeof dir, "%s", real);
		free(real);
	} else if (d != NULL) {
		snprintf(dir, sizeof dir, "%s", d);
	}
	dirlen = strlen(dir);
	mask = call_named(getenv("VIBE_FAULT_CALL"));
	fault_n = n != NULL ? strtol(n, NULL, 10) : 0;
	fault_errno = errno_named(getenv("VIBE_FAULT_ERRNO"));
	fault_short = getenv("VIBE_FAULT_SHORT") != NULL &&
		      strcmp(getenv("VIBE_FAULT_SHORT"), "1") == 0;
	if (log != NULL)
		logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	unsetenv("LD_PRELOAD");
}

static bool under(const char *path)
{
	return dirlen > 0 && strncmp(path, dir, dirlen) == 0 &&
	       (path[dirlen] == '/' || path[dirlen] == '\0');
}

/* The path FD refers to, or "" (sockets and pipes give "socket:[…]"). */
static void fd_path(int fd, char *path, size_t size)
{
	char link[64];
	ssize_t n;

	path[0] = '\0';
	if (fd == AT_FDCWD) {
		if (getcwd(path, size) == NULL)
			path[0] = '\0';
		return;
	}
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, size - 1);
	path[n > 0 ? n : 0] = '\0';
}

/* NAME relative to DIRFD as an absolute path (lexically). */
static void at_path(int dirfd, const char *name, char *path, size_t size)
{
	char base[PATH_MAX];

	if (name[0] == '/') {
		snprintf(path, size, "%s", name);
		return;
	}
	fd_path(dirfd, base, sizeof base);
	snprintf(path, size, "%s/%s", base, name);
}

/* Counts a call of class CLS on PATH; true if this one must fail. */
static bool hit(unsigned cls, const char *call, const char *path)
{
	char line[PATH_MAX + 64];
	bool fail;
	int n;

	if (!(mask & cls) || !under(path))
		return false;
	count++;
	fail = fault_n > 0 && count == fault_n;
	if (cls == CALL_WRITE && fail_next_write) {
		fail_next_write = false;
		fail = true;
	}
	if (logfd >= 0) {
		n = snprintf(line, sizeof line, "%ld %s %s%s%s\n", count, call,
			     path, fail ? " FAULT " : "",
			     fail ? strerror(fault_errno) : "");
		if (n > 0 && real_write(logfd, line, (size_t)n) < 0) {
			/* the log is best effort */
		}
	}
	return fail;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t r;

	load_syms();
	if (fd <= 2 || dirlen == 0)
		return real_write(fd, buf, len);
	fd_path(fd, path, sizeof path);
	if (!hit(CALL_WRITE, "write", path))
		return real_write(fd, buf, len);
	if (fault_short && len > 1) {
		r = real_write(fd, buf, len / 2);
		if (r >= 0) {
			fail_next_write = true;
			return r;
		}
	}
	errno = fault_errno;
	return -1;
}

static int sync_call(int fd, const char *call, int (*real)(int))
{
	char path[PATH_MAX];

	load_syms();
	if (dirlen > 0) {
		fd_path(fd, path, sizeof path);
		if (hit(CALL_FSYNC, call, path)) {
			errno = fault_errno;
			return -1;
		}
	}
	return real(fd);
}

int fsync(int fd)
{
	load_syms();
	return sync_call(fd, "fsync", real_fsync);
}

int fdatasync(int fd)
{
	load_syms();
	return sync_call(fd, "fdatasync", real_fdatasync);
}

/* Counts a rename of FROMFD/FROM; true if it must fail. */
static bool rename_hit(int fromfd, const char *from, const char *call)
{
	char path[2 * PATH_MAX + 2];

	if (dirlen == 0)
		return false;
	at_path(fromfd, from, path, sizeof path);
	return hit(CALL_RENAME, call, path);
}

int rename(const char *from, const char *to)
{
	load_syms();
	if (rename_hit(AT_FDCWD, from, "rename")) {
		errno = fault_errno;
		return -1;
	}
	return real_rename(from, to);
}

int renameat(int fromfd, const char *from, int tofd, const char *to)
{
	load_syms();
	if (rename_hit(fromfd, from, "renameat")) {
		errno = fault_errno;
		return -1;
	}
	return real_renameat(fromfd, from, tofd, to);
}

int renameat2(int fromfd, const char *from, int tofd, const char *to,
	      unsigned int flags)
{
	load_syms();
	if (rename_hit(fromfd, from, "renameat2")) {
		errno = fault_errno;
		return -1;
	}
	return real_renameat2(fromfd, from, tofd, to, flags);
}
