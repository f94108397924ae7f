/*
 * Event filters (DESIGN §4, "Events"): schedule_definition.filter compiled
 * once at add time and matched against the event_data of every event.
 *
 * A filter is a JSON object of dotted paths into event_data -> matcher;
 * all must hold (an empty object matches everything). Paths: "bucket",
 * "s3.object.key"; a segment of digits ("files.0.name") indexes an array
 * (and is a key in an object); at most FILTER_MAX_SEGMENTS segments. A
 * missing path fails every matcher except {"exists":false}. Matchers:
 *   a scalar      equality; strings byte for byte, 1 equals 1.0, true,
 *                 false and null equal only themselves
 *   {"in":[...]}  equality with any element (an empty list matches nothing)
 *   {"glob":"*"}  fnmatch(3) with no flags, on string values only
 *   {"regex":""}  POSIX ERE (REG_EXTENDED|REG_NOSUB), unanchored, on string
 *                 values only. Refused because glibc would take gigabytes
 *                 or seconds on them: back-references, adjacent
 *                 repetition operators ("a+?": undefined in POSIX),
 *                 repeating what can match empty ("(a?)+"), and more than
 *                 FILTER_MAX_REGEX_SIZE positions once repetitions are
 *                 expanded ("x{1,32767}"), or FILTER_MAX_REGEX_TOTAL for
 *                 all the regexes of a filter
 *   {"exists":b}  whether the path leads to a value (null counts)
 * A string value holding a NUL byte never matches a glob or a regex.
 * Refused at compile time, naming the path: more than FILTER_MAX_CLAUSES
 * paths, an empty path or segment, too many segments, a NUL byte in a path
 * or pattern, a matcher object without exactly one known key, an array as
 * an equality value, "in" elements that are arrays or objects, wrong
 * operand types, patterns too long or too large, and what regcomp refuses
 * (with regerror's words).
 *
 * Owns: the grammar, the validation messages and matching. Does not own:
 * which schedules an event reaches, debounce, or where event data goes.
 * Pure: no global state; matching allocates nothing.
 */
#ifndef VIBE_FILTER_H
#define VIBE_FILTER_H

#include <stdbool.h>
#include <jansson.h>

#define FILTER_MAX_SEGMENTS 32
/* Most paths in one filter. */
#define FILTER_MAX_CLAUSES 64
/* Longest glob or regex pattern, in bytes. */
#define FILTER_MAX_PATTERN 1024
/* Most NFA positions a regex may expand to ("a{1,3}" is 3, "(ab)+" is 4):
 * about 0.1 s of regexec on a 64 KiB adversarial string. */
#define FILTER_MAX_REGEX_SIZE 256
/* Most positions of all the regexes of one filter together. */
#define FILTER_MAX_REGEX_TOTAL 1024

struct filter;

/* Compiles SPEC (an object, borrowed). Returns 0 and *ret (new), or -EINVAL
 * with *ret_path (new string: the offending path, or "" for the object
 * itself) and *cause (new message naming it, like "filter.s3.key: regex:
 * Unmatched ( or \\("). RET_PATH may be NULL. */
int filter_compile(const json_t *spec, struct filter **ret, char **ret_path,
		   char **cause);

/* Whether EVENT_DATA (borrowed; NULL is treated as a value with no
 * fields) satisfies every clause of F. */
bool filter_match(const struct filter *f, const json_t *event_data);

/* Frees F and its compiled patterns. NULL is fine. */
void filter_free(struct filter *f);

#endif
