/*
 * The durable store (DESIGN §6): one JSON file per record, append-only JSONL
 * histories, and the fsync discipline that makes an acknowledgement mean
 * "on disk". Knows files, not scheduling, not sockets; never logs (problems
 * are returned, or handed to the caller's warn callback while loading).
 *
 * Layout under the state dir:
 *   schedules/<id>.json  backfills/<id>.json  runs/<id>.json
 *   events/<id>.jsonl    events/_posted.jsonl
 *   schedules/.corrupt/  (unreadable files moved aside, never deleted)
 *
 * Group commit: store_put() writes "<id>.json.tmp", fsyncs it and renames it
 * over "<id>.json" at once (so a failure is known to the caller before it
 * changes anything in memory); store_append() write()s the line at once.
 * What is still missing for durability -- the fsync of each touched
 * directory and the fdatasync of each appended file -- is done once for
 * everything pending by store_sync(), which the daemon calls before it
 * sends the acknowledgements of a batch of requests.
 *
 * Ids: record ids must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ (checked
 * here again, before any file call); names starting with '_' are reserved
 * for the store's own files (store_append with STORE_EVENTS and "_posted").
 * Files are opened relative to directory fds with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS), or O_NOFOLLOW where openat2 is missing.
 */
#ifndef VIBE_STORE_H
#define VIBE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum store_kind {
	STORE_SCHEDULES,	/* schedules/<id>.json */
	STORE_BACKFILLS,	/* backfills/<id>.json */
	STORE_RUNS,		/* runs/<id>.json */
	STORE_EVENTS,		/* events/<id>.jsonl (append only) */
	STORE_KIND_COUNT,
};

struct store;

/* True if ID may name a record file. */
bool store_id_valid(const char *id);

/* Opens (creating, mode 0700 for the top, 0750 below) the state dir and its
 * subdirectories. Returns 0 and *ret, or a negative errno with *cause. */
int store_open(const char *state_dir, struct store **ret, char **cause);
/* Syncs what is pending (errors ignored: call store_sync first) and frees. */
void store_free(struct store *st);

/* The directory fd of a kind (borrowed), e.g. for run logs. */
int store_dirfd(const struct store *st, enum store_kind kind);

/* Writes DOC as <id>.json: temp file, write(2) of json_dumpb's buffer,
 * fsync, rename. The directory fsync is pending until store_sync().
 * On failure nothing visible changed; returns a negative errno with *cause
 * naming the file and the failing call ("schedules/x.json: write: No space
 * left on device"). */
int store_put(struct store *st, enum store_kind kind, const char *id,
	      const json_t *doc, char **cause);

/* The same without the file's fsync: atomic against a crash of the
 * process (rename over the old file, whose pages the kernel keeps), not
 * durable against a crash of the machine until the kernel writes it back.
 * For records that are not an acknowledgement (a run's progress). */
int store_put_lazy(struct store *st, enum store_kind kind, const char *id,
		   const json_t *doc, char **cause);

/* Removes <id>.json (ENOENT is success). Directory fsync pending. */
int store_remove(struct store *st, enum store_kind kind, const char *id,
		 char **cause);

/* Appends DOC as one line to <id>.jsonl (STORE_EVENTS, where "_posted"
 * is allowed, and STORE_BACKFILLS: a backfill's task updates). The file's fdatasync is pending until store_sync(). A failed or
 * short write is undone (ftruncate back) so no torn line is left behind by
 * an error. */
int store_append(struct store *st, enum store_kind kind, const char *id,
		 const json_t *doc, char **cause);

/* Replaces <id>.jsonl with the lines of DOCS (an array of objects):
 * temp file, fsync, rename (the directory fsync is pending), so a reader
 * sees the old or the new history, never a mix. Used to bound a history. */
int store_replace_log(struct store *st, enum store_kind kind, const char *id,
		      const json_t *docs, char **cause);

/* Removes <id>.jsonl (e.g. when its schedule is deleted). */
int store_remove_log(struct store *st, enum store_kind kind, const char *id,
		     char **cause);

/* True if something awaits store_sync(). */
bool store_pending(const struct store *st);

/* Makes everything done since the last call durable: fdatasync of appended
 * files, fsync of touched directories. Returns 0 or a negative errno with
 * *cause. An EIO here must not be retried and trusted (NOTES.md): the
 * caller stops taking mutations. */
int store_sync(struct store *st, char **cause);

/* Problems found while loading are reported here (MESSAGE names the file). */
typedef void (*store_warn_cb)(const char *message, void *arg);

/* Calls CB for every <id>.json of KIND (sorted by id), with DOC borrowed
 * (valid during the call). A file that cannot be read or parsed, or whose
 * name is not a valid id, is moved to <kind>/.corrupt/ and reported to WARN.
 * Leftover *.tmp files are removed. Returns 0 or a negative errno (the
 * directory itself cannot be read). */
int store_load_all(struct store *st, enum store_kind kind,
		   void (*cb)(const char *id, json_t *doc, void *arg),
		   store_warn_cb warn, void *arg);

/* Reads <id>.jsonl line by line, calling CB with each parsed object
 * (borrowed). A torn or unparseable last line is cut off the file (and
 * reported to WARN): this runs on every start, not only after power loss.
 * An unparseable line in the middle is skipped and reported. A missing
 * file is an empty history. Returns 0 or a negative errno. */
int store_read_log(struct store *st, enum store_kind kind, const char *id,
		   void (*cb)(json_t *doc, void *arg), store_warn_cb warn,
		   void *arg);

/* Cutting the torn tails of every log of KIND a few at a time (so a
 * daemon with 100,000 histories can do it after it is ready): begin lists
 * the logs, each step repairs at most MAX of them and returns true when
 * all are done, end frees. */
struct store_repair;
struct store_repair *store_repair_begin(struct store *st, enum store_kind kind);
bool store_repair_step(struct store *st, struct store_repair *rep, size_t max);
void store_repair_end(struct store_repair *rep);

/* Lists the ids that have a <id>.jsonl file of KIND (new array of new
 * strings, *ret_n entries; free each and the array). */
int store_list_logs(struct store *st, enum store_kind kind, char ***ret_ids,
		    size_t *ret_n);

#endif
