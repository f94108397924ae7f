/*
 * The durable store, core part: the state directory and its directory fds,
 * id checks, link-refusing opens, store_put()/store_remove() (temp file,
 * fsync, rename) and store_sync(), which fsyncs every touched directory
 * and fdatasyncs every appended log once per batch (group commit).
 * The JSONL logs live in store-log.c, loading in store-load.c. Never logs,
 * never knows about scheduling or libevent.
 */
#include "store/store-int.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define STORE_HAVE_OPENAT2_H 1
#endif
#endif

#ifndef STORE_HAVE_OPENAT2_H
struct open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define RESOLVE_NO_SYMLINKS	0x04
#define RESOLVE_BENEATH		0x08
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#include "proto/xalloc.h"

static const char *const kind_names[STORE_KIND_COUNT] = {
	[STORE_SCHEDULES] = "schedules",
	[STORE_BACKFILLS] = "backfills",
	[STORE_RUNS] = "runs",
	[STORE_EVENTS] = "events",
};

/* Set once openat2 answered ENOSYS: the kernel predates it (5.6). */
static bool no_openat2;

const char *store_kind_name(enum store_kind kind)
{
	if ((unsigned)kind >= STORE_KIND_COUNT)
		return "?";
	return kind_names[kind];
}

static bool id_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '.' || c == '_' || c == '-');
}

/* ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$, by hand (ASCII, not the locale). */
bool store_id_valid(const char *id)
{
	size_t i;

	if (id == NULL || !id_char(id[0], true))
		return false;
	for (i = 1; id[i] != '\0'; i++) {
		if (i >= STORE_ID_MAX || !id_char(id[i], false))
			return false;
	}
	return true;
}

int store_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	struct open_how how;
	int fd;

	flags |= O_CLOEXEC;
	if (!no_openat2) {
		memset(&how, 0, sizeof how);
		how.flags = (uint64_t)flags;
		how.mode = (flags & O_CREAT) ? mode : 0;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
		do {
			fd = (int)syscall(SYS_openat2, dirfd, name, &how,
					  sizeof how);
		} while (fd < 0 && (errno == EINTR || errno == EAGAIN));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS)
			return -errno;
		no_openat2 = true;
	}
	do {
		fd = openat(dirfd, name, flags | O_NOFOLLOW, mode);
	} while (fd < 0 && errno == EINTR);
	return fd >= 0 ? fd : -errno;
}

char *store_cause(enum store_kind kind, const char *name, const char *call,
		  int err)
{
	return xasprintf("%s/%s: %s: %s", store_kind_name(kind), name, call,
			 strerror(err < 0 ? -err : err));
}

static int dump_cb(const char *data, size_t size, void *arg)
{
	struct store *st = arg;

	if (st->buf_len + size + 2 > st->buf_cap) {
		while (st->buf_len + size + 2 > st->buf_cap)
			st->buf_cap = st->buf_cap ? st->buf_cap * 2 : 4096;
		st->buf = xrealloc(st->buf, st->buf_cap);
	}
	memcpy(st->buf + st->buf_len, data, size);
	st->buf_len += size;
	return 0;
}

int store_dump(struct store *st, const json_t *doc, bool newline)
{
	st->buf_len = 0;
	if (!json_is_object(doc))
		return -EINVAL;
	if (json_dump_callback(doc, dump_cb, st, JSON_COMPACT) != 0)
		return -EINVAL;
	if (newline) {
		dump_cb("\n", 1, st);
	}
	return 0;
}

int store_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int store_read_fd(int fd, char **buf, size_t *cap, size_t max,
		  size_t *ret_len)
{
	size_t len = 0, ncap;
	ssize_t n;

	for (;;) {
		if (len > max)
			return -EFBIG;
		if (len == *cap) {
			ncap = *cap < 65536 ? 65536 : *cap * 2;
			*cap = ncap > max + 1 ? max + 1 : ncap;
			*buf = xrealloc(*buf, *cap);
		}
		n = read(fd, *buf + len, *cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_len = len;
	return 0;
}

DIR *store_opendir(int dirfd)
{
	DIR *d;
	int fd, err;

	/* A fresh open of "." rather than dup(): a dup shares the file
	 * offset with the kept dirfd, so a second listing would start at
	 * the end. */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (d == NULL) {
		err = errno;
		close(fd);
		errno = err;
	}
	return d;
}

void store_mark_dir(struct store *st, enum store_kind kind)
{
	st->dir_pending[kind] = true;
	st->pending = true;
}

void store_set_sticky(struct store *st, int err, char *cause)
{
	if (st->sticky_err != 0) {
		free(cause);
		return;
	}
	st->sticky_err = err;
	st->sticky_cause = cause;
	st->pending = true;
}

int store_dirfd(const struct store *st, enum store_kind kind)
{
	if ((unsigned)kind >= STORE_KIND_COUNT)
		return -1;
	return st->dirfd[kind];
}

/* fsyncs the directory at PATH. Returns 0 or -errno. */
static int fsync_path(const char *path)
{
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		r = -errno;
	close(fd);
	return r;
}

/* mkdir of PATH (mode 0700) if missing; when created, fsyncs its parent. */
static int mkdir_one(const char *path, char **cause)
{
	char *parent, *slash;
	int r;

	if (mkdir(path, 0700) != 0) {
		if (errno == EEXIST)
			return 0;
		r = -errno;
		*cause = xasprintf("%s: mkdir: %s", path, strerror(-r));
		return r;
	}
	parent = xstrdup(path);
	slash = strrchr(parent, '/');
	if (slash == NULL)
		strcpy(parent, ".");
	else if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	r = fsync_path(parent);
	if (r < 0)
		*cause = xasprintf("%s: fsync: %s", parent, strerror(-r));
	free(parent);
	return r;
}

/* mkdir -p: creates each missing component of PATH. */
static int mkdir_p(const char *path, char **cause)
{
	char *p = xstrdup(path), *s;
	int r = 0;

	for (s = p + 1; *s != '\0' && r == 0; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		r = mkdir_one(p, cause);
		*s = '/';
	}
	if (r == 0)
		r = mkdir_one(p, cause);
	free(p);
	return r;
}

/* Creates (0750) and opens the subdirectory of KIND. */
static int open_kind_dir(struct store *st, enum store_kind kind,
			 bool *created, const char *top, char **cause)
{
	const char *name = kind_names[kind], *call = "mkdir";
	int fd;

	if (mkdirat(st->rootfd, name, 0750) == 0)
		*created = true;
	else if (errno != EEXIST) {
		fd = -errno;
		goto fail;
	}
	call = "open";
	fd = store_openat(st->rootfd, name, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		goto fail;
	st->dirfd[kind] = fd;
	return 0;
fail:
	*cause = xasprintf("%s/%s: %s: %s", top, name, call, strerror(-fd));
	return fd;
}

static struct store *store_alloc(void)
{
	struct store *st = xcalloc(1, sizeof *st);
	int i;

	st->rootfd = -1;
	for (i = 0; i < STORE_KIND_COUNT; i++)
		st->dirfd[i] = -1;
	for (i = 0; i < STORE_LOG_CACHE; i++)
		st->logs[i].fd = -1;
	return st;
}

int store_open(const char *state_dir, struct store **ret, char **cause)
{
	struct store *st;
	bool created = false;
	int r, i;

	if (state_dir == NULL || state_dir[0] == '\0') {
		*cause = xstrdup("empty state directory path");
		return -EINVAL;
	}
	r = mkdir_p(state_dir, cause);
	if (r < 0)
		return r;
	st = store_alloc();
	st->rootfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->rootfd < 0) {
		r = -errno;
		*cause = xasprintf("%s: open: %s", state_dir, strerror(-r));
		goto fail;
	}
	for (i = 0; i < STORE_KIND_COUNT; i++) {
		r = open_kind_dir(st, i, &created, state_dir, cause);
		if (r < 0)
			goto fail;
	}
	/* kill -9 tears appends (NOTES.md): torn tails are cut on every
	 * start -- the posted-events log and backfills here, the schedules'
	 * histories by the caller in the background (store_repair_step):
	 * 100,000 of them would double the start-up time. Appending and
	 * reading cut a torn tail first anyway. */
	store_logs_repair_one(st, STORE_EVENTS, STORE_POSTED);
	store_logs_repair(st, STORE_BACKFILLS);
	if (created && fsync(st->rootfd) != 0) {
		r = -errno;
		*cause = xasprintf("%s: fsync: %s", state_dir, strerror(-r));
		goto fail;
	}
	*ret = st;
	return 0;
fail:
	store_free(st);
	return r;
}

void store_free(struct store *st)
{
	char *cause = NULL;
	int i;

	if (st == NULL)
		return;
	store_sync(st, &cause);
	free(cause);
	store_logs_close(st);
	for (i = 0; i < STORE_KIND_COUNT; i++) {
		if (st->dirfd[i] >= 0)
			close(st->dirfd[i]);
	}
	if (st->rootfd >= 0)
		close(st->rootfd);
	free(st->sticky_cause);
	free(st->buf);
	free(st);
}

/* Checks KIND and ID for a record (.json) call. */
static int check_record(enum store_kind kind, const char *id, char **cause)
{
	if ((unsigned)kind >= STORE_KIND_COUNT) {
		*cause = xasprintf("invalid store kind %d", (int)kind);
		return -EINVAL;
	}
	if (!store_id_valid(id)) {
		*cause = xasprintf("%s: invalid id", store_kind_name(kind));
		return -EINVAL;
	}
	return 0;
}

int store_write_temp(int dfd, const char *tmp, const char *data, size_t len,
		     bool sync, const char **call)
{
	int fd = store_openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640), r;

	if (fd < 0) {
		*call = "open temp file";
		return fd;
	}
	r = store_write_all(fd, data, len);
	if (r < 0)
		*call = "write";
	else if (sync && fsync(fd) != 0) {
		r = -errno;
		*call = "fsync";
	}
	if (close(fd) != 0 && r == 0) {
		r = -errno;
		*call = "close";
	}
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	return r;
}

static int put(struct store *st, enum store_kind kind, const char *id,
	       const json_t *doc, bool lazy, char **cause)
{
	char name[STORE_ID_MAX + 16], tmp[STORE_ID_MAX + 16];
	const char *call = "encode";
	int r, dfd;

	r = check_record(kind, id, cause);
	if (r < 0)
		return r;
	snprintf(name, sizeof name, "%s.json", id);
	snprintf(tmp, sizeof tmp, "%s.json.tmp", id);
	dfd = st->dirfd[kind];
	r = store_dump(st, doc, false);
	if (r < 0)
		goto fail;
	r = store_write_temp(dfd, tmp, st->buf, st->buf_len, !lazy, &call);
	if (r < 0)
		goto fail;
	if (renameat(dfd, tmp, dfd, name) != 0) {
		r = -errno;
		call = "rename";
		unlinkat(dfd, tmp, 0);
		goto fail;
	}
	if (!lazy)
		store_mark_dir(st, kind);
	return 0;
fail:
	*cause = store_cause(kind, name, call, r);
	return r;
}

int store_put(struct store *st, enum store_kind kind, const char *id,
	      const json_t *doc, char **cause)
{
	return put(st, kind, id, doc, false, cause);
}

int store_put_lazy(struct store *st, enum store_kind kind, const char *id,
		   const json_t *doc, char **cause)
{
	return put(st, kind, id, doc, true, cause);
}

int store_remove(struct store *st, enum store_kind kind, const char *id,
		 char **cause)
{
	char name[STORE_ID_MAX + 16];
	int r;

	r = check_record(kind, id, cause);
	if (r < 0)
		return r;
	snprintf(name, sizeof name, "%s.json", id);
	return store_unlink(st, kind, name, cause);
}

int store_unlink(struct store *st, enum store_kind kind, const char *name,
		 char **cause)
{
	int r;

	if (unlinkat(st->dirfd[kind], name, 0) != 0) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		*cause = store_cause(kind, name, "unlink", r);
		return r;
	}
	store_mark_dir(st, kind);
	return 0;
}

bool store_pending(const struct store *st)
{
	return st->pending;
}

int store_sync(struct store *st, char **cause)
{
	char *first_cause = NULL;
	int err = 0, i;

	if (!st->pending)
		return 0;
	if (st->sticky_err != 0) {
		err = st->sticky_err;
		first_cause = st->sticky_cause;
		st->sticky_err = 0;
		st->sticky_cause = NULL;
	}
	store_logs_sync(st, &err, &first_cause);
	for (i = 0; i < STORE_KIND_COUNT; i++) {
		if (!st->dir_pending[i])
			continue;
		st->dir_pending[i] = false;
		if (fsync(st->dirfd[i]) != 0 && err == 0) {
			err = -errno;
			first_cause = xasprintf("%s: fsync: %s", kind_names[i],
						strerror(-err));
		}
	}
	st->pending = false;
	if (err == 0)
		return 0;
	*cause = first_cause;
	return err;
}
