/*
 * Unit tests of store/ in a private temp dir under /tmp: round trips of
 * records and logs, corrupt and leftover files, refused ids and planted
 * symlinks, torn tails, the append fd cache past its bound, pending/sync,
 * and writes that fail (open, write past RLIMIT_FSIZE) leaving the
 * previous state intact with a cause that names the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/xalloc.h"
#include "store/store.h"

struct fix {
	char top[64];		/* the mkdtemp dir */
	char *dir;		/* the state dir, top/a/b/state */
	struct store *st;
};

/* What the callbacks saw. */
struct seen {
	json_t *ids;		/* array of ids (load) or docs (log) */
	int warns;
	char last_warn[512];
};

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fix *f = xcalloc(1, sizeof *f);
	char *cause = NULL;

	snprintf(f->top, sizeof f->top, "/tmp/test-store.XXXXXX");
	assert_non_null(mkdtemp(f->top));
	f->dir = xasprintf("%s/a/b/state", f->top);
	assert_int_equal(store_open(f->dir, &f->st, &cause), 0);
	assert_null(cause);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	store_free(f->st);
	nftw(f->top, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f->dir);
	free(f);
	return 0;
}

static void reopen(struct fix *f)
{
	char *cause = NULL;

	store_free(f->st);
	assert_int_equal(store_open(f->dir, &f->st, &cause), 0);
}

static char *path_of(struct fix *f, const char *rel)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", f->dir, rel);
	return buf[i];
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)),
			 (ssize_t)strlen(text));
	close(fd);
}

static void append_bytes(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void append_file(const char *path, const char *text)
{
	append_bytes(path, text, strlen(text));
}

static off_t file_size(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		return -1;
	return sb.st_size;
}

static bool exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static int count_entries(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static int count_fds(void)
{
	return count_entries("/proc/self/fd");
}

static void warn_cb(const char *message, void *arg)
{
	struct seen *s = arg;

	s->warns++;
	snprintf(s->last_warn, sizeof s->last_warn, "%s", message);
}

static void load_cb(const char *id, json_t *doc, void *arg)
{
	struct seen *s = arg;
	json_t *pair = json_pack("[sO]", id, doc);

	json_array_append_new(s->ids, pair);
}

static void log_cb(json_t *doc, void *arg)
{
	struct seen *s = arg;

	json_array_append(s->ids, doc);
}

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof *s);
	s->ids = json_array();
}

static void load(struct fix *f, enum store_kind kind, struct seen *s)
{
	seen_init(s);
	assert_int_equal(store_load_all(f->st, kind, load_cb, warn_cb, s), 0);
}

static void read_log(struct fix *f, const char *id, struct seen *s)
{
	seen_init(s);
	assert_int_equal(store_read_log(f->st, STORE_EVENTS, id, log_cb,
					warn_cb, s), 0);
}

static json_t *doc_n(int n)
{
	return json_pack("{sisssb}", "n", n, "name", "a schedule", "ok", 1);
}

static void put_ok(struct fix *f, enum store_kind kind, const char *id,
		   json_t *doc)
{
	char *cause = NULL;

	assert_int_equal(store_put(f->st, kind, id, doc, &cause), 0);
	assert_null(cause);
	json_decref(doc);
}

static void append_ok(struct fix *f, const char *id, json_t *doc)
{
	char *cause = NULL;

	assert_int_equal(store_append(f->st, STORE_EVENTS, id, doc, &cause),
			 0);
	assert_null(cause);
	json_decref(doc);
}

static int n_at(json_t *pairs, size_t i)
{
	return (int)json_integer_value(
		json_object_get(json_array_get(json_array_get(pairs, i), 1),
				"n"));
}

static const char *id_at(json_t *pairs, size_t i)
{
	return json_string_value(json_array_get(json_array_get(pairs, i), 0));
}

static void test_id_valid(void **state)
{
	static const char *good[] = { "a", "A", "0", "a.b", "a_b-c.d", "x..",
				      "9z" };
	static const char *bad[] = { "", ".hidden", "_posted", "-x", "a/b",
				     "../x", "a b", "a\n", "é", "a:b" };
	char longid[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof *good; i++)
		assert_true(store_id_valid(good[i]));
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_false(store_id_valid(bad[i]));
	assert_false(store_id_valid(NULL));
	memset(longid, 'a', sizeof longid);
	longid[128] = '\0';
	assert_true(store_id_valid(longid));
	longid[128] = 'a';
	longid[129] = '\0';
	assert_false(store_id_valid(longid));
}

static void test_open_layout(void **state)
{
	struct fix *f = *state;
	static const char *subs[] = { "schedules", "events", "backfills",
				      "runs" };
	struct stat sb;
	size_t i;

	assert_int_equal(stat(f->dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	for (i = 0; i < 4; i++) {
		assert_int_equal(stat(path_of(f, subs[i]), &sb), 0);
		assert_true(S_ISDIR(sb.st_mode));
		assert_int_equal(sb.st_mode & 07777, 0750);
	}
	assert_true(store_dirfd(f->st, STORE_RUNS) >= 0);
	/* Opening an existing dir again works and changes nothing. */
	reopen(f);
	assert_int_equal(count_entries(f->dir), 4);
}

static void test_open_fails(void **state)
{
	struct fix *f = *state;
	struct store *st = NULL;
	char *cause = NULL, *path;

	assert_int_equal(store_open("", &st, &cause), -EINVAL);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	/* A file where a directory should be. */
	write_file(path_of(f, "file"), "x");
	path = xasprintf("%s/file/state", f->dir);
	assert_int_equal(store_open(path, &st, &cause), -ENOTDIR);
	assert_null(st);
	assert_non_null(strstr(cause, path));
	free(cause);
	free(path);
	cause = NULL;
	/* A symlinked subdirectory is not followed. */
	assert_int_equal(rename(path_of(f, "runs"), path_of(f, "runs2")), 0);
	assert_int_equal(symlink("runs2", path_of(f, "runs")), 0);
	assert_int_equal(store_open(f->dir, &st, &cause), -ELOOP);
	assert_non_null(strstr(cause, "/runs: open:"));
	free(cause);
}

static void test_put_load_many(void **state)
{
	struct fix *f = *state;
	struct seen s;
	char id[32];
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "s%04d", 999 - i);
		put_ok(f, STORE_SCHEDULES, id, doc_n(999 - i));
	}
	put_ok(f, STORE_BACKFILLS, "bf1", doc_n(7));
	reopen(f);
	load(f, STORE_SCHEDULES, &s);
	assert_int_equal(json_array_size(s.ids), 1000);
	assert_int_equal(s.warns, 0);
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "s%04d", i);
		assert_string_equal(id_at(s.ids, (size_t)i), id);
		assert_int_equal(n_at(s.ids, (size_t)i), i);
	}
	json_decref(s.ids);
	load(f, STORE_BACKFILLS, &s);
	assert_int_equal(json_array_size(s.ids), 1);
	assert_int_equal(n_at(s.ids, 0), 7);
	json_decref(s.ids);
	load(f, STORE_RUNS, &s);
	assert_int_equal(json_array_size(s.ids), 0);
	json_decref(s.ids);
}

static void test_sorted_by_id(void **state)
{
	struct fix *f = *state;
	struct seen s;

	/* "a" < "a.b" as ids although "a.b.json" < "a.json" as names. */
	put_ok(f, STORE_SCHEDULES, "a.b", doc_n(2));
	put_ok(f, STORE_SCHEDULES, "a", doc_n(1));
	load(f, STORE_SCHEDULES, &s);
	assert_int_equal(json_array_size(s.ids), 2);
	assert_string_equal(id_at(s.ids, 0), "a");
	assert_string_equal(id_at(s.ids, 1), "a.b");
	json_decref(s.ids);
}

static void test_overwrite_remove(void **state)
{
	struct fix *f = *state;
	char *cause = NULL;
	struct seen s;

	put_ok(f, STORE_SCHEDULES, "x", doc_n(1));
	put_ok(f, STORE_SCHEDULES, "x", doc_n(2));
	load(f, STORE_SCHEDULES, &s);
	assert_int_equal(json_array_size(s.ids), 1);
	assert_int_equal(n_at(s.ids, 0), 2);
	json_decref(s.ids);
	assert_false(exists(path_of(f, "schedules/x.json.tmp")));

	assert_int_equal(store_remove(f->st, STORE_SCHEDULES, "x", &cause), 0);
	assert_false(exists(path_of(f, "schedules/x.json")));
	/* ENOENT is success. */
	assert_int_equal(store_remove(f->st, STORE_SCHEDULES, "x", &cause), 0);
	assert_null(cause);
	load(f, STORE_SCHEDULES, &s);
	assert_int_equal(json_array_size(s.ids), 0);
	json_decref(s.ids);
}

static void test_put_not_object(void **state)
{
	struct fix *f = *state;
	json_t *arr = json_array();
	char *cause = NULL;

	assert_int_equal(store_put(f->st, STORE_SCHEDULES, "x", arr, &cause),
			 -EINVAL);
	assert_non_null(strstr(cause, "schedules/x.json"));
	free(cause);
	json_decref(arr);
	assert_int_equal(count_entries(path_of(f, "schedules")), 0);
}

static void test_corrupt_moved(void **state)
{
	struct fix *f = *state;
	struct seen s;

	put_ok(f, STORE_SCHEDULES, "a", doc_n(1));
	put_ok(f, STORE_SCHEDULES, "c", doc_n(3));
	write_file(path_of(f, "schedules/b.json"), "{\"n\": 2,");
	write_file(path_of(f, "schedules/arr.json"), "[1, 2]");
	write_file(path_of(f, "schedules/dup.json"), "{\"n\": 1, \"n\": 2}");
	write_file(path_of(f, "schedules/-bad.json"), "{\"n\": 9}");
	write_file(path_of(f, "schedules/empty.json"), "");
	write_file(path_of(f, "schedules/notes.txt"), "left alone");
	load(f, STORE_SCHEDULES, &s);
	assert_int_equal(json_array_size(s.ids), 2);
	assert_string_equal(id_at(s.ids, 0), "a");
	assert_string_equal(id_at(s.ids, 1), "c");
	assert_int_equal(s.warns, 5);
	json_decref(s.ids);
	assert_true(exists(path_of(f, "schedules/.corrupt/b.json")));
	assert_true(exists(path_of(f, "schedules/.corrupt/arr.json")));
	assert_true(exists(path_of(f, "schedules/.corrupt/dup.json")));
	assert_true(exists(path_of(f, "schedules/.corrupt/-bad.json")));
	assert_true(exists(path_of(f, "schedules/.corrupt/empty.json")));
	assert_false(exists(path_of(f, "schedules/b.json")));
	assert_true(exists(path_of(f, "schedules/notes.txt")));

	/* A second corrupt b.json gets a unique name; nothing is lost. */
	write_file(path_of(f, "schedules/b.json"), "garbage");
	load(f, STORE_SCHEDULES, &s);
	assert_int_equal(s.warns, 1);
	assert_non_null(strstr(s.last_warn, "schedules/b.json: unreadable ("));
	assert_non_null(strstr(s.last_warn,
			       "moved to schedules/.corrupt/b.json.1"));
	json_decref(s.ids);
	assert_int_equal(file_size(path_of(f, "schedules/.corrupt/b.json")),
			 8);
	assert_int_equal(file_size(path_of(f, "schedules/.corrupt/b.json.1")),
			 7);
}

static void test_tmp_removed(void **state)
{
	struct fix *f = *state;
	struct seen s;

	put_ok(f, STORE_SCHEDULES, "a", doc_n(1));
	write_file(path_of(f, "schedules/a.json.tmp"), "{\"n\": 2");
	write_file(path_of(f, "schedules/b.json.tmp"), "{}");
	load(f, STORE_SCHEDULES, &s);
	assert_int_equal(json_array_size(s.ids), 1);
	assert_int_equal(n_at(s.ids, 0), 1);
	assert_int_equal(s.warns, 0);
	json_decref(s.ids);
	assert_false(exists(path_of(f, "schedules/a.json.tmp")));
	assert_false(exists(path_of(f, "schedules/b.json.tmp")));
	assert_int_equal(count_entries(path_of(f, "schedules")), 1);
}

static void test_invalid_ids_refused(void **state)
{
	struct fix *f = *state;
	static const char *bad[] = { "../x", "", ".hidden", "a/b", "_posted",
				     "../../../../tmp/evil", NULL };
	json_t *doc = doc_n(1);
	char longid[130], *cause;
	struct seen s;
	size_t i;

	memset(longid, 'a', 129);
	longid[129] = '\0';
	bad[sizeof bad / sizeof *bad - 1] = longid;
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		cause = NULL;
		assert_int_equal(store_put(f->st, STORE_SCHEDULES, bad[i], doc,
					   &cause), -EINVAL);
		assert_non_null(cause);
		free(cause);
		cause = NULL;
		assert_int_equal(store_remove(f->st, STORE_SCHEDULES, bad[i],
					      &cause), -EINVAL);
		free(cause);
		if (strcmp(bad[i], "_posted") == 0)
			continue;
		cause = NULL;
		assert_int_equal(store_append(f->st, STORE_EVENTS, bad[i], doc,
					      &cause), -EINVAL);
		free(cause);
		seen_init(&s);
		assert_int_equal(store_read_log(f->st, STORE_EVENTS, bad[i],
						log_cb, warn_cb, &s), -EINVAL);
		json_decref(s.ids);
	}
	/* "_posted" is a log of events only. */
	cause = NULL;
	assert_int_equal(store_append(f->st, STORE_SCHEDULES, "_posted", doc,
				      &cause), -EINVAL);
	free(cause);
	json_decref(doc);
	assert_false(store_pending(f->st));
	/* Nothing was created anywhere. */
	assert_int_equal(count_entries(f->dir), 4);
	assert_int_equal(count_entries(path_of(f, "schedules")), 0);
	assert_int_equal(count_entries(path_of(f, "events")), 0);
	assert_false(exists("/tmp/evil.json"));
}

static void test_symlink_refused(void **state)
{
	struct fix *f = *state;
	char outside[128], *cause = NULL;
	json_t *doc;
	struct seen s;

	snprintf(outside, sizeof outside, "%s/outside.json", f->top);
	write_file(outside, "{\"n\": 42}");
	assert_int_equal(symlink(outside, path_of(f, "schedules/x.json")), 0);
	load(f, STORE_SCHEDULES, &s);
	assert_int_equal(json_array_size(s.ids), 0);
	assert_int_equal(s.warns, 1);
	json_decref(s.ids);
	/* The link itself was moved aside; its target is untouched. */
	assert_false(exists(path_of(f, "schedules/x.json")));
	assert_true(exists(path_of(f, "schedules/.corrupt/x.json")));
	assert_int_equal(file_size(outside), 9);

	/* A planted temp name is not written through. */
	assert_int_equal(symlink(outside, path_of(f, "schedules/y.json.tmp")),
			 0);
	doc = doc_n(1);
	assert_int_equal(store_put(f->st, STORE_SCHEDULES, "y", doc, &cause),
			 -ELOOP);
	assert_non_null(strstr(cause, "schedules/y.json"));
	free(cause);
	json_decref(doc);
	assert_int_equal(file_size(outside), 9);
	assert_false(exists(path_of(f, "schedules/y.json")));

	/* Nor is a planted log. */
	assert_int_equal(symlink(outside, path_of(f, "events/e.jsonl")), 0);
	doc = doc_n(1);
	cause = NULL;
	assert_int_equal(store_append(f->st, STORE_EVENTS, "e", doc, &cause),
			 -ELOOP);
	free(cause);
	json_decref(doc);
	seen_init(&s);
	assert_int_equal(store_read_log(f->st, STORE_EVENTS, "e", log_cb,
					warn_cb, &s), -ELOOP);
	json_decref(s.ids);
	assert_int_equal(file_size(outside), 9);
}

static void test_append_read(void **state)
{
	struct fix *f = *state;
	struct seen s;
	int i;

	for (i = 0; i < 10; i++)
		append_ok(f, "ev", doc_n(i));
	append_ok(f, "_posted", doc_n(100));
	read_log(f, "ev", &s);
	assert_int_equal(json_array_size(s.ids), 10);
	assert_int_equal(s.warns, 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(s.ids, (size_t)i), "n")), i);
	json_decref(s.ids);
	read_log(f, "_posted", &s);
	assert_int_equal(json_array_size(s.ids), 1);
	json_decref(s.ids);
	/* A missing log is an empty history. */
	read_log(f, "nothing", &s);
	assert_int_equal(json_array_size(s.ids), 0);
	assert_int_equal(s.warns, 0);
	json_decref(s.ids);
}

static void torn_case(struct fix *f, const char *tail, size_t len)
{
	const char *path = path_of(f, "events/t.jsonl");
	struct seen s;
	off_t good;
	int i;

	for (i = 0; i < 3; i++)
		append_ok(f, "t", doc_n(i));
	good = file_size(path);
	append_bytes(path, tail, len);
	read_log(f, "t", &s);
	assert_int_equal(json_array_size(s.ids), 3);
	assert_int_equal(s.warns, 1);
	assert_non_null(strstr(s.last_warn, "events/t.jsonl: torn tail"));
	json_decref(s.ids);
	assert_int_equal(file_size(path), good);
	/* The cached append fd goes on at the new end. */
	append_ok(f, "t", doc_n(3));
	read_log(f, "t", &s);
	assert_int_equal(json_array_size(s.ids), 4);
	assert_int_equal(s.warns, 0);
	json_decref(s.ids);
}

static void test_torn_tail_partial(void **state)
{
	static const char tail[] = "{\"n\": 3, \"na";

	torn_case(*state, tail, sizeof tail - 1);
}

static void test_torn_tail_no_newline(void **state)
{
	/* Parses, but the write that ends with '\n' never finished. */
	static const char tail[] = "{\"n\": 3}";

	torn_case(*state, tail, sizeof tail - 1);
}

static void test_torn_tail_bad_lines(void **state)
{
	static const char tail[] = "garbage\n\0\0\0\n{\"n\":";

	torn_case(*state, tail, sizeof tail - 1);
}

static void test_middle_garbage(void **state)
{
	struct fix *f = *state;
	const char *path = path_of(f, "events/m.jsonl");
	struct seen s;
	off_t size;

	append_ok(f, "m", doc_n(0));
	append_file(path, "not json\n[1]\n");
	append_ok(f, "m", doc_n(1));
	size = file_size(path);
	read_log(f, "m", &s);
	assert_int_equal(json_array_size(s.ids), 2);
	assert_int_equal(s.warns, 1);
	assert_non_null(strstr(s.last_warn, "events/m.jsonl: 2 unparseable"));
	json_decref(s.ids);
	assert_int_equal(file_size(path), size);
}

static void test_pending_sync(void **state)
{
	struct fix *f = *state;
	char *cause = NULL;

	assert_false(store_pending(f->st));
	assert_int_equal(store_sync(f->st, &cause), 0);
	put_ok(f, STORE_SCHEDULES, "x", doc_n(1));
	assert_true(store_pending(f->st));
	assert_int_equal(store_sync(f->st, &cause), 0);
	assert_false(store_pending(f->st));
	append_ok(f, "x", doc_n(1));
	assert_true(store_pending(f->st));
	assert_int_equal(store_sync(f->st, &cause), 0);
	assert_false(store_pending(f->st));
	/* An existing log: only its data is pending. */
	append_ok(f, "x", doc_n(2));
	assert_true(store_pending(f->st));
	assert_int_equal(store_sync(f->st, &cause), 0);
	assert_int_equal(store_remove(f->st, STORE_SCHEDULES, "x", &cause), 0);
	assert_true(store_pending(f->st));
	assert_int_equal(store_sync(f->st, &cause), 0);
	/* Removing what is not there changes nothing. */
	assert_int_equal(store_remove(f->st, STORE_SCHEDULES, "x", &cause), 0);
	assert_false(store_pending(f->st));
	assert_null(cause);
}

static void test_fd_cache_bound(void **state)
{
	struct fix *f = *state;
	char id[32], **ids = NULL, *cause = NULL;
	int i, round, fds0 = count_fds();
	struct seen s;
	size_t n = 0;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < 200; i++) {
			snprintf(id, sizeof id, "e%03d", i);
			append_ok(f, id, doc_n(round * 1000 + i));
		}
		assert_true(count_fds() <= fds0 + 64);
	}
	assert_int_equal(store_sync(f->st, &cause), 0);
	for (i = 0; i < 200; i++) {
		snprintf(id, sizeof id, "e%03d", i);
		read_log(f, id, &s);
		assert_int_equal(json_array_size(s.ids), 3);
		assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(s.ids, 2), "n")), 2000 + i);
		json_decref(s.ids);
	}
	append_ok(f, "_posted", doc_n(1));
	assert_int_equal(store_list_logs(f->st, STORE_EVENTS, &ids, &n), 0);
	assert_int_equal(n, 201);
	assert_string_equal(ids[0], "_posted");
	assert_string_equal(ids[1], "e000");
	assert_string_equal(ids[200], "e199");
	for (i = 0; i < (int)n; i++)
		free(ids[i]);
	free(ids);
	store_free(f->st);
	f->st = NULL;
	assert_int_equal(count_fds(), fds0 - 5);
	reopen(f);
}

static void test_remove_log(void **state)
{
	struct fix *f = *state;
	char *cause = NULL, **ids = NULL;
	struct seen s;
	size_t n = 5;

	append_ok(f, "gone", doc_n(1));
	assert_int_equal(store_remove_log(f->st, STORE_EVENTS, "gone", &cause),
			 0);
	assert_int_equal(store_remove_log(f->st, STORE_EVENTS, "gone", &cause),
			 0);
	assert_false(exists(path_of(f, "events/gone.jsonl")));
	assert_int_equal(store_list_logs(f->st, STORE_EVENTS, &ids, &n), 0);
	assert_int_equal(n, 0);
	free(ids);
	/* Appending again starts a fresh file. */
	append_ok(f, "gone", doc_n(2));
	read_log(f, "gone", &s);
	assert_int_equal(json_array_size(s.ids), 1);
	json_decref(s.ids);
	assert_int_equal(store_sync(f->st, &cause), 0);
}

static void test_put_fail_open(void **state)
{
	struct fix *f = *state;
	char *cause = NULL;
	json_t *doc;
	struct seen s;

	put_ok(f, STORE_SCHEDULES, "x", doc_n(1));
	/* Works as root too: the temp name is taken by a directory. */
	assert_int_equal(mkdir(path_of(f, "schedules/x.json.tmp"), 0700), 0);
	doc = doc_n(2);
	assert_int_equal(store_put(f->st, STORE_SCHEDULES, "x", doc, &cause),
			 -EISDIR);
	json_decref(doc);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "schedules/x.json: "));
	assert_non_null(strstr(cause, strerror(EISDIR)));
	free(cause);
	assert_true(exists(path_of(f, "schedules/x.json.tmp")));
	rmdir(path_of(f, "schedules/x.json.tmp"));
	load(f, STORE_SCHEDULES, &s);
	assert_int_equal(json_array_size(s.ids), 1);
	assert_int_equal(n_at(s.ids, 0), 1);
	json_decref(s.ids);
}

/* A document of about SIZE bytes. */
static json_t *big_doc(size_t size)
{
	char *s = xmalloc(size + 1);
	json_t *doc;

	memset(s, 'x', size);
	s[size] = '\0';
	doc = json_pack("{ss}", "blob", s);
	free(s);
	return doc;
}

static void set_fsize(rlim_t limit)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = limit;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void test_put_fail_write(void **state)
{
	struct fix *f = *state;
	char *cause = NULL;
	json_t *doc;
	struct seen s;
	off_t size;

	put_ok(f, STORE_SCHEDULES, "x", doc_n(1));
	size = file_size(path_of(f, "schedules/x.json"));
	signal(SIGXFSZ, SIG_IGN);
	set_fsize(16384);
	doc = big_doc(100000);
	assert_int_equal(store_put(f->st, STORE_SCHEDULES, "x", doc, &cause),
			 -EFBIG);
	set_fsize(RLIM_INFINITY);
	json_decref(doc);
	assert_non_null(cause);
	assert_string_equal(cause, "schedules/x.json: write: File too large");
	free(cause);
	assert_false(exists(path_of(f, "schedules/x.json.tmp")));
	assert_int_equal(file_size(path_of(f, "schedules/x.json")), size);
	load(f, STORE_SCHEDULES, &s);
	assert_int_equal(json_array_size(s.ids), 1);
	assert_int_equal(n_at(s.ids, 0), 1);
	json_decref(s.ids);
}

static void test_append_fail_write(void **state)
{
	struct fix *f = *state;
	const char *path = path_of(f, "events/big.jsonl");
	char *cause = NULL;
	json_t *doc;
	struct seen s;
	off_t size;

	append_ok(f, "big", big_doc(10000));
	size = file_size(path);
	signal(SIGXFSZ, SIG_IGN);
	set_fsize(16384);
	/* A short write (6 KiB fit) then EFBIG: cut back to SIZE. */
	doc = big_doc(10000);
	assert_int_equal(store_append(f->st, STORE_EVENTS, "big", doc,
				      &cause), -EFBIG);
	set_fsize(RLIM_INFINITY);
	json_decref(doc);
	assert_string_equal(cause, "events/big.jsonl: write: File too large");
	free(cause);
	assert_int_equal(file_size(path), size);
	append_ok(f, "big", doc_n(1));
	read_log(f, "big", &s);
	assert_int_equal(json_array_size(s.ids), 2);
	assert_int_equal(s.warns, 0);
	json_decref(s.ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test_setup_teardown(test_open_layout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_load_many, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sorted_by_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overwrite_remove, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_not_object, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_moved, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tmp_removed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_invalid_ids_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_append_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_partial, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_no_newline,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_bad_lines, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_middle_garbage, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pending_sync, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fd_cache_bound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remove_log, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_fail_open, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_fail_write, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_append_fail_write, setup,
						teardown),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
