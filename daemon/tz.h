/*
 * Time zones from the system's TZif files (/usr/share/zoneinfo, or $TZDIR).
 *
 * Owns: reading TZif v1/v2+/v3 files, the POSIX TZ footer rule for instants
 * past the last transition, UTC -> local, and local wall time -> 0, 1 or 2
 * UTC instants. Never calls setenv("TZ") or localtime(): a loaded zone is
 * immutable and may be shared between threads. The registry (tz_get) is
 * guarded by a mutex.
 *
 * Time is int64 seconds. A "wall" time is the local calendar time expressed
 * as seconds since 1970-01-01T00:00:00 *as if it were UTC* (so civil date
 * arithmetic on it is plain UTC arithmetic).
 */
#ifndef VIBE_TZ_H
#define VIBE_TZ_H

#include <stdbool.h>
#include <stdint.h>

struct tz;

/* What a wall time maps to. n = 0 (in a gap), 1, or 2 (repeated, fall back;
 * utc[0] < utc[1]). For n = 0, gap_end is the UTC instant at which the gap
 * ends (the transition) and gap_len its length in seconds. */
struct tz_resolved {
	int n;
	int64_t utc[2];
	int64_t gap_end;
	int32_t gap_len;
};

/* Checks that NAME is a plausible IANA zone name (no "..", no leading '/',
 * characters [A-Za-z0-9/_+-]), then loads it. "UTC" always works, even
 * without tzdata. Returns 0 and *ret_tz (new, tz_free it), or a negative
 * errno with *cause set (new string naming the zone). */
int tz_load(const char *name, struct tz **ret_tz, char **cause);
void tz_free(struct tz *z);

/* Returns a zone from a process-wide cache, loading it on first use. The
 * zone stays valid until tz_cache_clear(). Thread-safe. NULL with *cause
 * set for an unknown or unreadable zone. */
const struct tz *tz_get(const char *name, char **cause);
void tz_cache_clear(void);

/* The zone's name as given to tz_load (borrowed). */
const char *tz_name(const struct tz *z);

/* UTC offset (seconds east of UTC) in effect at instant T; optionally its
 * abbreviation (borrowed, may be NULL) and whether it is DST. */
int32_t tz_offset_at(const struct tz *z, int64_t t, const char **ret_abbr,
		     bool *ret_isdst);

/* Local wall time of instant T. */
int64_t tz_utc_to_wall(const struct tz *z, int64_t t);

/* All UTC instants whose local wall time is WALL (see struct tz_resolved). */
void tz_wall_to_utc(const struct tz *z, int64_t wall, struct tz_resolved *r);

/* The first UTC offset transition strictly after T, or INT64_MAX if none. */
int64_t tz_next_transition(const struct tz *z, int64_t t);

#endif
