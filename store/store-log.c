/*
 * The store's append-only JSONL histories: store_append() with a bounded
 * cache of open O_APPEND fds (the fdatasync of what was appended waits for
 * store_sync()), store_read_log() with the torn-tail repair that runs on
 * every start, store_list_logs() and store_remove_log(). Owns the cache;
 * does not own the directory fds (store.c) and never logs.
 */
#include "store/store-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/xalloc.h"

#define LOG_MAX		(256u << 20)	/* bytes read from one .jsonl */
#define LOG_NAME_MAX	(STORE_ID_MAX + 8)

/* Checks KIND and ID of a log call and formats its file name. */
static bool log_name(enum store_kind kind, const char *id, char *name)
{
	if ((unsigned)kind >= STORE_KIND_COUNT)
		return false;
	if (!store_id_valid(id) &&
	    !(kind == STORE_EVENTS && id != NULL &&
	      strcmp(id, STORE_POSTED) == 0))
		return false;
	snprintf(name, LOG_NAME_MAX, "%s.jsonl", id);
	return true;
}

static struct store_log *log_find(struct store *st, enum store_kind kind,
				  const char *id)
{
	struct store_log *l;

	for (l = st->logs; l < st->logs + STORE_LOG_CACHE; l++) {
		if (l->fd >= 0 && l->kind == kind && strcmp(l->id, id) == 0)
			return l;
	}
	return NULL;
}

/* Picks a slot: a free one, else the least recently used clean one, else
 * the least recently used. */
static struct store_log *log_victim(struct store *st)
{
	struct store_log *l, *clean = NULL, *any = NULL;

	for (l = st->logs; l < st->logs + STORE_LOG_CACHE; l++) {
		if (l->fd < 0)
			return l;
		if (!l->pending && (clean == NULL || l->used < clean->used))
			clean = l;
		if (any == NULL || l->used < any->used)
			any = l;
	}
	return clean != NULL ? clean : any;
}

/* Closes slot L; its pending data is fdatasync'ed first, an error of that
 * kept for store_sync() (the append that caused it went elsewhere). */
static void log_evict(struct store *st, struct store_log *l, bool sync)
{
	char name[LOG_NAME_MAX];

	if (l->fd < 0)
		return;
	if (sync && l->pending && fdatasync(l->fd) != 0) {
		snprintf(name, sizeof name, "%s.jsonl", l->id);
		store_set_sticky(st, -errno,
				 store_cause(l->kind, name, "fdatasync",
					     errno));
	}
	close(l->fd);
	l->fd = -1;
	l->pending = false;
}

/* Finds the end of the last complete line (just past its '\n', 0 if
 * none) of the SIZE bytes of FD. Returns 0 or -errno. */
static int log_last_newline(int fd, off_t size, off_t *ret)
{
	char buf[4096];
	off_t pos = size;
	ssize_t n, i;

	while (pos > 0) {
		n = pos < (off_t)sizeof buf ? (ssize_t)pos : (ssize_t)sizeof buf;
		if (pread(fd, buf, (size_t)n, pos - n) != n)
			return errno != 0 ? -errno : -EIO;
		for (i = n; i > 0; i--) {
			if (buf[i - 1] == '\n') {
				*ret = pos - n + i;
				return 0;
			}
		}
		pos -= n;
	}
	*ret = 0;
	return 0;
}

/* Cuts a torn last line (what follows the last '\n': a write that a
 * kill -9 or a crash interrupted) off the log open read-write on FD, and
 * fsyncs the cut. Without it the next append would be glued onto the
 * fragment and its whole line, an acknowledged record, would not parse.
 * Returns 0 or -errno. */
static int log_cut_torn(int fd)
{
	struct stat sb;
	off_t keep;
	char last;
	int r;

	if (fstat(fd, &sb) != 0)
		return -errno;
	if (sb.st_size == 0)
		return 0;
	errno = 0;
	if (pread(fd, &last, 1, sb.st_size - 1) != 1)
		return errno != 0 ? -errno : -EIO;
	if (last == '\n')
		return 0;
	r = log_last_newline(fd, sb.st_size, &keep);
	if (r < 0)
		return r;
	if (ftruncate(fd, keep) != 0 || fsync(fd) != 0)
		return -errno;
	return 0;
}

void store_logs_repair_one(struct store *st, enum store_kind kind, const char *id)
{
	char name[LOG_NAME_MAX];
	int fd;

	snprintf(name, sizeof name, "%s.jsonl", id);
	fd = store_openat(st->dirfd[kind], name, O_RDWR, 0);
	if (fd >= 0) {
		/* Best effort: the first append tries again. */
		(void)log_cut_torn(fd);
		close(fd);
	}
}

void store_logs_repair(struct store *st, enum store_kind kind)
{
	char **ids = NULL;
	size_t n = 0, i;

	if (store_list_logs(st, kind, &ids, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		store_logs_repair_one(st, kind, ids[i]);
		free(ids[i]);
	}
	free(ids);
}

struct store_repair {
	enum store_kind kind;
	bool listed;
	char **ids;
	size_t n, next;
};

struct store_repair *store_repair_begin(struct store *st, enum store_kind kind)
{
	struct store_repair *rep = xcalloc(1, sizeof *rep);

	(void)st;
	rep->kind = kind;
	return rep;
}

bool store_repair_step(struct store *st, struct store_repair *rep, size_t max)
{
	if (!rep->listed) {
		/* The listing is the first step's work. */
		rep->listed = true;
		if (store_list_logs(st, rep->kind, &rep->ids, &rep->n) < 0)
			rep->n = 0;
		return rep->n == 0;
	}
	for (; rep->next < rep->n && max > 0; rep->next++, max--)
		store_logs_repair_one(st, rep->kind, rep->ids[rep->next]);
	return rep->next >= rep->n;
}

void store_repair_end(struct store_repair *rep)
{
	if (!rep)
		return;
	for (size_t i = 0; i < rep->n; i++)
		free(rep->ids[i]);
	free(rep->ids);
	free(rep);
}

/* Opens NAME for appending, creating it (and marking the directory) if
 * missing; an existing file's torn tail is cut first. Returns an fd or
 * -errno. */
static int log_open(struct store *st, enum store_kind kind, const char *name)
{
	int dfd = st->dirfd[kind], fd, tries, r;

	for (tries = 0; tries < 4; tries++) {
		fd = store_openat(dfd, name, O_RDWR | O_APPEND, 0);
		if (fd >= 0 && (r = log_cut_torn(fd)) < 0) {
			close(fd);
			return r;
		}
		if (fd != -ENOENT)
			return fd;
		fd = store_openat(dfd, name,
				  O_RDWR | O_APPEND | O_CREAT | O_EXCL,
				  0640);
		if (fd >= 0)
			store_mark_dir(st, kind);
		if (fd != -EEXIST)
			return fd;
	}
	return -EEXIST;
}

static int log_get(struct store *st, enum store_kind kind, const char *id,
		   const char *name, struct store_log **ret)
{
	struct store_log *l;
	int fd;

	l = log_find(st, kind, id);
	if (l == NULL) {
		fd = log_open(st, kind, name);
		if (fd < 0)
			return fd;
		l = log_victim(st);
		log_evict(st, l, true);
		l->fd = fd;
		l->kind = kind;
		snprintf(l->id, sizeof l->id, "%s", id);
	}
	l->used = ++st->tick;
	*ret = l;
	return 0;
}

/* Writes st->buf at the end of L's file; a failed or short write is cut
 * off again so no torn line is left behind by an error. */
static int log_write(struct store *st, struct store_log *l, const char *name,
		     char **cause)
{
	struct stat sb;
	int r;

	if (fstat(l->fd, &sb) != 0) {
		r = -errno;
		*cause = store_cause(l->kind, name, "fstat", r);
		return r;
	}
	r = store_write_all(l->fd, st->buf, st->buf_len);
	if (r == 0) {
		l->pending = true;
		st->pending = true;
		return 0;
	}
	if (ftruncate(l->fd, sb.st_size) != 0) {
		*cause = xasprintf("%s/%s: write: %s; ftruncate: %s",
				   store_kind_name(l->kind), name,
				   strerror(-r), strerror(errno));
		/* The size is unknown now: the file may keep a torn line,
		 * which the next store_read_log() skips or cuts. */
		log_evict(st, l, false);
		return r;
	}
	*cause = store_cause(l->kind, name, "write", r);
	return r;
}

int store_append(struct store *st, enum store_kind kind, const char *id,
		 const json_t *doc, char **cause)
{
	char name[LOG_NAME_MAX];
	struct store_log *l;
	int r;

	if ((kind != STORE_EVENTS && kind != STORE_BACKFILLS) ||
	    !log_name(kind, id, name)) {
		*cause = xasprintf("%s: invalid log id",
				   store_kind_name(kind));
		return -EINVAL;
	}
	r = store_dump(st, doc, true);
	if (r < 0) {
		*cause = store_cause(kind, name, "encode", r);
		return r;
	}
	r = log_get(st, kind, id, name, &l);
	if (r < 0) {
		*cause = store_cause(kind, name, "open", r);
		return r;
	}
	return log_write(st, l, name, cause);
}

int store_remove_log(struct store *st, enum store_kind kind, const char *id,
		     char **cause)
{
	char name[LOG_NAME_MAX];
	struct store_log *l;

	if (!log_name(kind, id, name)) {
		*cause = xasprintf("%s: invalid log id",
				   store_kind_name(kind));
		return -EINVAL;
	}
	l = log_find(st, kind, id);
	if (l != NULL)
		log_evict(st, l, false);
	return store_unlink(st, kind, name, cause);
}

void store_logs_sync(struct store *st, int *err, char **cause)
{
	char name[LOG_NAME_MAX];
	struct store_log *l;

	for (l = st->logs; l < st->logs + STORE_LOG_CACHE; l++) {
		if (l->fd < 0 || !l->pending)
			continue;
		l->pending = false;
		if (fdatasync(l->fd) == 0 || *err != 0)
			continue;
		*err = -errno;
		snprintf(name, sizeof name, "%s.jsonl", l->id);
		*cause = store_cause(l->kind, name, "fdatasync", *err);
	}
}

void store_logs_close(struct store *st)
{
	struct store_log *l;

	for (l = st->logs; l < st->logs + STORE_LOG_CACHE; l++)
		log_evict(st, l, false);
}

/* State of one pass over a log's lines. */
struct log_scan {
	enum store_kind kind;
	const char *name;
	store_warn_cb warn;
	void *arg;
	size_t good_end;	/* offset just past the last good line */
	size_t nbad;		/* bad lines since the last good one */
	size_t bad_line;	/* number of the first of them */
	char bad_why[JSON_ERROR_TEXT_LENGTH + 32];
};

static void scan_warn(struct log_scan *sc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void scan_warn(struct log_scan *sc, const char *fmt, ...)
{
	char *msg, *full;
	va_list ap;

	if (sc->warn == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	full = xasprintf("%s/%s: %s", store_kind_name(sc->kind), sc->name,
			 msg != NULL ? msg : "?");
	sc->warn(full, sc->arg);
	free(full);
	free(msg);
}

/* Parses one line; returns a new object or NULL with sc->bad_why set if
 * it is the first bad line of a run. */
static json_t *scan_parse(struct log_scan *sc, const char *p, size_t n,
			  size_t lineno)
{
	json_error_t e;
	json_t *doc;

	doc = json_loadb(p, n, JSON_REJECT_DUPLICATES, &e);
	if (doc != NULL && json_is_object(doc))
		return doc;
	if (sc->nbad++ == 0) {
		sc->bad_line = lineno;
		if (doc != NULL)
			snprintf(sc->bad_why, sizeof sc->bad_why,
				 "not an object");
		else
			snprintf(sc->bad_why, sizeof sc->bad_why,
				 "%s at column %d", e.text, e.column);
	}
	json_decref(doc);
	return NULL;
}

/* Calls CB for each good line of BUF; leaves sc->good_end at the end of
 * the last good one (what follows it is the torn tail). */
static void scan_lines(struct log_scan *sc, const char *buf, size_t len,
		       void (*cb)(json_t *doc, void *arg))
{
	size_t pos = 0, lineno = 1, end;
	const char *nl;
	json_t *doc;

	for (; pos < len; pos = end + 1, lineno++) {
		nl = memchr(buf + pos, '\n', len - pos);
		if (nl == NULL) {
			/* No newline: the write never completed. */
			if (sc->nbad++ == 0) {
				sc->bad_line = lineno;
				snprintf(sc->bad_why, sizeof sc->bad_why,
					 "no newline at end of file");
			}
			return;
		}
		end = (size_t)(nl - buf);
		doc = scan_parse(sc, buf + pos, end - pos, lineno);
		if (doc == NULL)
			continue;
		if (sc->nbad > 0)
			scan_warn(sc, "%zu unparseable line(s) from line %zu "
				  "skipped (%s)", sc->nbad, sc->bad_line,
				  sc->bad_why);
		sc->nbad = 0;
		cb(doc, sc->arg);
		json_decref(doc);
		sc->good_end = end + 1;
	}
}

/* Cuts the torn tail (from sc->good_end to LEN) off the file. */
static int scan_cut(struct log_scan *sc, int fd, size_t len)
{
	int r = 0;

	if (ftruncate(fd, (off_t)sc->good_end) != 0 || fsync(fd) != 0)
		r = -errno;
	scan_warn(sc, "torn tail of %zu byte(s) from line %zu (%s) %s",
		  len - sc->good_end, sc->bad_line, sc->bad_why,
		  r == 0 ? "cut off" : "could not be cut off");
	return r;
}

int store_read_log(struct store *st, enum store_kind kind, const char *id,
		   void (*cb)(json_t *doc, void *arg), store_warn_cb warn,
		   void *arg)
{
	struct log_scan sc = { .kind = kind, .warn = warn, .arg = arg };
	char name[LOG_NAME_MAX], *buf = NULL;
	size_t cap = 0, len = 0;
	struct stat sb;
	int fd, r;

	if (!log_name(kind, id, name))
		return -EINVAL;
	sc.name = name;
	fd = store_openat(st->dirfd[kind], name, O_RDWR, 0);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (fstat(fd, &sb) == 0 && sb.st_size > 0 &&
	    (unsigned long long)sb.st_size <= LOG_MAX) {
		cap = (size_t)sb.st_size + 1;
		buf = xmalloc(cap);
	}
	r = store_read_fd(fd, &buf, &cap, LOG_MAX, &len);
	if (r == 0) {
		scan_lines(&sc, buf, len, cb);
		if (sc.good_end < len)
			r = scan_cut(&sc, fd, len);
	}
	free(buf);
	close(fd);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_list_logs(struct store *st, enum store_kind kind, char ***ret_ids,
		    size_t *ret_n)
{
	char **ids = NULL, name[LOG_NAME_MAX], *id;
	size_t n = 0, cap = 0, len;
	struct dirent *de;
	DIR *d;

	if ((unsigned)kind >= STORE_KIND_COUNT)
		return -EINVAL;
	d = store_opendir(st->dirfd[kind]);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_type == DT_DIR || len <= 6 ||
		    strcmp(de->d_name + len - 6, ".jsonl") != 0)
			continue;
		id = xstrndup(de->d_name, len - 6);
		if (!log_name(kind, id, name)) {
			free(id);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ids = xrealloc(ids, cap * sizeof *ids);
		}
		ids[n++] = id;
	}
	closedir(d);
	if (n > 0)
		qsort(ids, n, sizeof *ids, cmp_str);
	*ret_ids = ids;
	*ret_n = n;
	return 0;
}

/* Builds the new content of a log in one buffer: DOCS' lines. */
static int replace_content(struct store *st, const json_t *docs, char **out,
			   size_t *len)
{
	size_t i, cap = 0;
	json_t *doc;
	int r;

	*out = NULL;
	*len = 0;
	json_array_foreach(docs, i, doc) {
		r = store_dump(st, doc, true);
		if (r < 0) {
			free(*out);
			return r;
		}
		if (*len + st->buf_len > cap) {
			cap = 2 * (*len + st->buf_len) + 256;
			*out = xrealloc(*out, cap);
		}
		memcpy(*out + *len, st->buf, st->buf_len);
		*len += st->buf_len;
	}
	return 0;
}

int store_replace_log(struct store *st, enum store_kind kind, const char *id,
		      const json_t *docs, char **cause)
{
	char name[LOG_NAME_MAX], tmp[LOG_NAME_MAX + 8], *data = NULL;
	const char *call = "encode";
	struct store_log *l;
	size_t len = 0;
	int dfd, r;

	if ((kind != STORE_EVENTS && kind != STORE_BACKFILLS) || !log_name(kind, id, name) ||
	    !json_is_array(docs)) {
		*cause = xasprintf("%s: invalid log id", store_kind_name(kind));
		return -EINVAL;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	dfd = st->dirfd[kind];
	r = replace_content(st, docs, &data, &len);
	if (r < 0)
		goto fail;
	r = store_write_temp(dfd, tmp, data ? data : "", len, true, &call);
	if (r < 0)
		goto fail;
	/* The cached append fd would keep writing to the old inode. */
	l = log_find(st, kind, id);
	if (l)
		log_evict(st, l, true);
	if (renameat(dfd, tmp, dfd, name) != 0) {
		r = -errno;
		call = "rename";
		unlinkat(dfd, tmp, 0);
		goto fail;
	}
	free(data);
	store_mark_dir(st, kind);
	return 0;
fail:
	free(data);
	*cause = store_cause(kind, name, call, r);
	return r;
}
