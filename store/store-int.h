/*
 * Internals shared by the files of store/ (store.c: open, put, remove,
 * sync; store-log.c: the JSONL appends, their fd cache and the torn-tail
 * repair; store-load.c: loading a kind's records and moving corrupt files
 * aside). Nothing outside store/ includes this header: store.h is the
 * contract.
 */
#ifndef VIBE_STORE_INT_H
#define VIBE_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <dirent.h>
#include <sys/types.h>
#include <jansson.h>

#include "store/store.h"

#define STORE_ID_MAX	128		/* characters in an id */
#define STORE_LOG_CACHE	64		/* open .jsonl files kept */
#define STORE_POSTED	"_posted"	/* the one reserved log name */

/* One open .jsonl file of the append cache. */
struct store_log {
	int fd;			/* -1: free slot */
	enum store_kind kind;
	bool pending;		/* written since its last fdatasync */
	unsigned long long used;	/* LRU tick of the last append */
	char id[STORE_ID_MAX + 1];
};

struct store {
	int rootfd;
	int dirfd[STORE_KIND_COUNT];
	bool dir_pending[STORE_KIND_COUNT];
	bool pending;		/* anything at all awaits store_sync() */
	int sticky_err;		/* an error store_sync() must report */
	char *sticky_cause;	/* its cause (owned) */
	struct store_log logs[STORE_LOG_CACHE];
	unsigned long long tick;
	char *buf;		/* reused json dump buffer (owned) */
	size_t buf_len;
	size_t buf_cap;
};

/* "schedules", "events", ... */
const char *store_kind_name(enum store_kind kind);

/* Opens NAME (one path component) under DIRFD without following links:
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or openat(O_NOFOLLOW) on
 * kernels without openat2. O_CLOEXEC is added. Returns an fd or -errno. */
int store_openat(int dirfd, const char *name, int flags, mode_t mode);

/* Returns a new string "<kind>/<name>: <call>: <strerror(-err)>". */
char *store_cause(enum store_kind kind, const char *name, const char *call,
		  int err);

/* Dumps DOC (an object) compactly into st->buf, followed by NEWLINE if
 * asked. Returns 0 or -EINVAL (not an object, or unencodable). */
int store_dump(struct store *st, const json_t *doc, bool newline);

/* write(2)s LEN bytes of BUF, looping on short writes and EINTR.
 * Returns 0 or -errno. */
int store_write_all(int fd, const char *buf, size_t len);

/* Reads FD to its end into *BUF (capacity *CAP, grown with xrealloc; the
 * caller owns it and may reuse it). Returns 0 and *ret_len, -EFBIG past
 * MAX bytes, or -errno. */
int store_read_fd(int fd, char **buf, size_t *cap, size_t max,
		  size_t *ret_len);

/* Opens a private (own offset) directory stream on DIRFD. NULL: errno. */
DIR *store_opendir(int dirfd);

/* Records that KIND's directory needs an fsync at the next store_sync. */
void store_mark_dir(struct store *st, enum store_kind kind);

/* Records ERR/CAUSE (steals CAUSE) for the next store_sync(), unless an
 * earlier error is already recorded (then CAUSE is freed). */
void store_set_sticky(struct store *st, int err, char *cause);

/* fdatasyncs every pending cached log; on the first error sets *err and
 * *cause (if not set yet). Clears the pending flags. */
void store_logs_sync(struct store *st, int *err, char **cause);

/* Cuts the torn last line off every <id>.jsonl of KIND (store_open: the
 * repair runs on every start, not only when a log is read). Best effort
 * and silent: store_open has no warn callback. */
void store_logs_repair(struct store *st, enum store_kind kind);

/* Writes DATA into the temp file TMP under DFD, fsyncs it (if SYNC) and
 * closes it; on failure removes it and names the failing call in *call.
 * Returns 0 or -errno. The caller renames it into place. */
int store_write_temp(int dfd, const char *tmp, const char *data, size_t len,
		     bool sync, const char **call);

/* Removes NAME from KIND's directory (ENOENT is success) and marks the
 * directory for the next sync. 0 or -errno with *cause. */
int store_unlink(struct store *st, enum store_kind kind, const char *name,
		 char **cause);
void store_logs_repair_one(struct store *st, enum store_kind kind, const char *id);

/* Closes every cached log fd (no sync). */
void store_logs_close(struct store *st);

#endif
