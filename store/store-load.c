/*
 * Loading a kind's records at start: store_load_all() lists <id>.json
 * files, reads and parses each with one reused buffer (no per-file stat:
 * 100,000 records load in well under a second), hands every object to the
 * caller, moves what cannot be read, parsed or named into <kind>/.corrupt/
 * (never deletes it) and removes leftover temp files. Never logs: problems
 * go to the caller's warn callback.
 */
#include "store/store-int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/xalloc.h"

#define LOAD_MAX	(16u << 20)	/* bytes of one record file */
#define CORRUPT_DIR	".corrupt"

/* One store_load_all() call. */
struct load {
	enum store_kind kind;
	int dfd;		/* the kind's dirfd (borrowed) */
	int corruptfd;		/* <kind>/.corrupt, -1 until needed */
	bool changed;		/* entries were moved or removed */
	store_warn_cb warn;
	void *arg;
	char *buf;		/* reused read buffer (owned) */
	size_t cap;
	char **ids;		/* stems of the *.json names (owned) */
	size_t n;
	size_t idcap;
};

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static void load_warn(struct load *ld, const char *msg)
{
	if (ld->warn != NULL)
		ld->warn(msg, ld->arg);
}

/* Lists the *.json stems into ld->ids; removes *.json.tmp leftovers. */
static int load_collect(struct load *ld)
{
	struct dirent *de;
	size_t len;
	DIR *d;

	d = store_opendir(ld->dfd);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (has_suffix(de->d_name, len, ".json.tmp")) {
			/* A put interrupted before its rename. */
			if (unlinkat(ld->dfd, de->d_name, 0) == 0)
				ld->changed = true;
			continue;
		}
		if (!has_suffix(de->d_name, len, ".json"))
			continue;
		if (ld->n == ld->idcap) {
			ld->idcap = ld->idcap ? ld->idcap * 2 : 256;
			ld->ids = xrealloc(ld->ids,
					   ld->idcap * sizeof *ld->ids);
		}
		ld->ids[ld->n++] = xstrndup(de->d_name, len - 5);
	}
	closedir(d);
	return 0;
}

/* Renames NAME into .corrupt/ under a name not taken there yet (DST). */
static int corrupt_move(struct load *ld, const char *name, char *dst,
			size_t size)
{
	struct stat sb;
	int i;

	for (i = 0; i < 1000; i++) {
		if (i == 0)
			snprintf(dst, size, "%s", name);
		else
			snprintf(dst, size, "%s.%d", name, i);
		if (renameat2(ld->dfd, name, ld->corruptfd, dst,
			      RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EEXIST)
			continue;
		if (errno != EINVAL)
			return -errno;
		/* No RENAME_NOREPLACE on this file system: check, then
		 * rename (we are the only writer of the state dir). */
		if (fstatat(ld->corruptfd, dst, &sb,
			    AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (renameat(ld->dfd, name, ld->corruptfd, dst) == 0)
			return 0;
		return -errno;
	}
	return -EEXIST;
}

static int corrupt_open(struct load *ld)
{
	int fd;

	if (ld->corruptfd >= 0)
		return 0;
	if (mkdirat(ld->dfd, CORRUPT_DIR, 0750) != 0 && errno != EEXIST)
		return -errno;
	fd = store_openat(ld->dfd, CORRUPT_DIR, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	ld->corruptfd = fd;
	ld->changed = true;
	return 0;
}

/* Moves NAME aside and says so. */
static void load_corrupt(struct load *ld, const char *name, const char *why)
{
	const char *kn = store_kind_name(ld->kind);
	char dst[NAME_MAX + 16], *msg;
	int r;

	r = corrupt_open(ld);
	if (r == 0)
		r = corrupt_move(ld, name, dst, sizeof dst);
	if (r == 0)
		msg = xasprintf("%s/%s: unreadable (%s), moved to "
				"%s/" CORRUPT_DIR "/%s", kn, name, why, kn,
				dst);
	else
		msg = xasprintf("%s/%s: unreadable (%s), could not be moved "
				"to %s/" CORRUPT_DIR "/: %s", kn, name, why,
				kn, strerror(-r));
	load_warn(ld, msg);
	free(msg);
	ld->changed = true;
}

/* Errors that say nothing about the file: give up rather than move it. */
static bool transient(int err)
{
	return err == -EMFILE || err == -ENFILE || err == -ENOMEM ||
	       err == -EINTR;
}

/* Reads and parses NAME; returns 0 and *ret (new object), a transient
 * -errno, or 1 with WHY filled in (the file is bad). */
static int load_parse(struct load *ld, const char *name, json_t **ret,
		      char *why, size_t size)
{
	json_error_t e;
	size_t len;
	json_t *doc;
	int fd, r;

	fd = store_openat(ld->dfd, name, O_RDONLY, 0);
	if (fd < 0) {
		if (transient(fd))
			return fd;
		snprintf(why, size, "open: %s", strerror(-fd));
		return 1;
	}
	r = store_read_fd(fd, &ld->buf, &ld->cap, LOAD_MAX, &len);
	close(fd);
	if (r < 0) {
		if (transient(r))
			return r;
		snprintf(why, size, "read: %s", r == -EFBIG ?
			 "larger than 16 MiB" : strerror(-r));
		return 1;
	}
	doc = json_loadb(ld->buf, len, JSON_REJECT_DUPLICATES, &e);
	if (doc == NULL) {
		snprintf(why, size, "%s at line %d column %d", e.text,
			 e.line, e.column);
		return 1;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		snprintf(why, size, "not a JSON object");
		return 1;
	}
	*ret = doc;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads ld->ids[i]; returns 0 or a transient -errno. */
static int load_one(struct load *ld, const char *id,
		    void (*cb)(const char *id, json_t *doc, void *arg))
{
	char name[NAME_MAX + 1], why[JSON_ERROR_TEXT_LENGTH + 64];
	json_t *doc = NULL;
	int r;

	snprintf(name, sizeof name, "%s.json", id);
	if (!store_id_valid(id)) {
		load_corrupt(ld, name, "invalid id");
		return 0;
	}
	r = load_parse(ld, name, &doc, why, sizeof why);
	if (r < 0)
		return r;
	if (r > 0) {
		load_corrupt(ld, name, why);
		return 0;
	}
	cb(id, doc, ld->arg);
	json_decref(doc);
	return 0;
}

int store_load_all(struct store *st, enum store_kind kind,
		   void (*cb)(const char *id, json_t *doc, void *arg),
		   store_warn_cb warn, void *arg)
{
	struct load ld = { .kind = kind, .corruptfd = -1, .warn = warn,
			   .arg = arg };
	size_t i;
	int r;

	if ((unsigned)kind >= STORE_KIND_COUNT)
		return -EINVAL;
	ld.dfd = st->dirfd[kind];
	r = load_collect(&ld);
	if (r == 0 && ld.n > 0)
		qsort(ld.ids, ld.n, sizeof *ld.ids, cmp_str);
	for (i = 0; r == 0 && i < ld.n; i++)
		r = load_one(&ld, ld.ids[i], cb);
	if (ld.corruptfd >= 0) {
		fsync(ld.corruptfd);
		close(ld.corruptfd);
	}
	if (ld.changed)
		fsync(ld.dfd);
	for (i = 0; i < ld.n; i++)
		free(ld.ids[i]);
	free(ld.ids);
	free(ld.buf);
	return r;
}
