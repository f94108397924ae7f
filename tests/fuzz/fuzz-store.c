/*
 * libFuzzer target for the store's loaders: each input is written as a
 * schedule file and as a JSONL history in a private state dir (on tmpfs
 * when there is one), then store_load_all() and store_read_log() read
 * them back; the input is also tried as a record id. Looks for crashes,
 * leaks and the contracts: a loaded record is an object, a refused id
 * creates nothing, a read log is left ending at a line boundary.
 *   clang -std=gnu11 -D_GNU_SOURCE -I. -g -fsanitize=fuzzer,address,undefined
 *     tests/fuzz/fuzz-store.c store/store*.c proto/xalloc.c -ljansson
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/xalloc.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static char dir[64];

static void load_cb(const char *id, json_t *doc, void *arg)
{
	(void)arg;
	if (!store_id_valid(id) || !json_is_object(doc))
		abort();
}

static void log_cb(json_t *doc, void *arg)
{
	(void)arg;
	if (!json_is_object(doc))
		abort();
}

static void warn_cb(const char *message, void *arg)
{
	(void)arg;
	if (message == NULL || message[0] == '\0')
		abort();
}

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	store_free(st);
	st = NULL;
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void open_once(void)
{
	char *cause = NULL;

	if (st != NULL)
		return;
	snprintf(dir, sizeof dir, "%s/fuzz-store.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL || store_open(dir, &st, &cause) != 0)
		abort();
	atexit(cleanup);
}

static void write_at(int dirfd, const char *name, const uint8_t *data,
		     size_t size)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

/* Empties schedules/.corrupt so runs do not pile files up. */
static void clear_corrupt(void)
{
	struct dirent *de;
	int fd;
	DIR *d;

	fd = openat(store_dirfd(st, STORE_SCHEDULES), ".corrupt",
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			unlinkat(fd, de->d_name, 0);
	}
	closedir(d);
}

/* The log, once read, holds only whole lines. */
static void check_log_end(void)
{
	int fd = openat(store_dirfd(st, STORE_EVENTS), "f.jsonl",
			O_RDONLY | O_CLOEXEC);
	struct stat sb;
	char c;

	if (fd < 0 || fstat(fd, &sb) != 0)
		abort();
	if (sb.st_size > 0 && (pread(fd, &c, 1, sb.st_size - 1) != 1 ||
			       c != '\n'))
		abort();
	close(fd);
}

/* Tries the input as an id: refused ids must not reach the disk. */
static void try_id(const uint8_t *data, size_t size)
{
	char *id = xstrndup((const char *)data, size > 200 ? 200 : size);
	json_t *doc = json_object();
	char *cause = NULL;
	int r;

	r = store_put(st, STORE_RUNS, id, doc, &cause);
	if ((r == 0) != store_id_valid(id))
		abort();
	free(cause);
	cause = NULL;
	if (r == 0 && store_remove(st, STORE_RUNS, id, &cause) != 0)
		abort();
	free(cause);
	json_decref(doc);
	free(id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cause = NULL;

	open_once();
	write_at(store_dirfd(st, STORE_SCHEDULES), "f.json", data, size);
	write_at(store_dirfd(st, STORE_SCHEDULES), "g.json.tmp", data, size);
	write_at(store_dirfd(st, STORE_EVENTS), "f.jsonl", data, size);
	if (store_load_all(st, STORE_SCHEDULES, load_cb, warn_cb, NULL) != 0)
		abort();
	if (store_read_log(st, STORE_EVENTS, "f", log_cb, warn_cb, NULL) != 0)
		abort();
	check_log_end();
	clear_corrupt();
	if (size <= 200 && memchr(data, '\0', size) == NULL)
		try_id(data, size);
	store_sync(st, &cause);
	free(cause);
	return 0;
}
