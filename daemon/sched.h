/*
 * The schedule table and the timer heap: every schedule by id (kept sorted,
 * so listing needs no sort), and a min-heap of the active ones by next fire
 * time. Owns the struct schedule objects in it. No I/O, no timers: the
 * scheduler loop arms one timer for sched_peek().
 */
#ifndef VIBE_SCHED_H
#define VIBE_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/schedule.h"

struct sched;

struct sched *sched_new(void);
void sched_free(struct sched *t);

size_t sched_count(const struct sched *t);
/* The I-th schedule in id order (borrowed). */
struct schedule *sched_at(const struct sched *t, size_t i);
/* Borrowed, or NULL. */
struct schedule *sched_find(const struct sched *t, const char *id);

/* Takes S (its id must not be in the table yet) and queues it by next fire
 * time if it is active and has one. */
void sched_insert(struct sched *t, struct schedule *s);
/* Puts NEW in the place of the schedule with the same id and returns the
 * old one (the caller frees it). */
struct schedule *sched_replace(struct sched *t, struct schedule *s);
/* Unlinks and returns the schedule with ID (caller frees), or NULL. */
struct schedule *sched_remove(struct sched *t, const char *id);

/* Recomputes S's next fire strictly after AFTER (or keeps none) and its
 * place in the heap. Active schedules with a next fire are queued. */
void sched_update_next(struct sched *t, struct schedule *s, int64_t after);
/* Re-files S in the heap after its next_fire or status changed. */
void sched_requeue(struct sched *t, struct schedule *s);

/* The active schedule with the earliest next fire (borrowed), or NULL. */
struct schedule *sched_peek(const struct sched *t);

/* Counts by status. */
void sched_count_status(const struct sched *t, size_t counts[SSTATUS_COUNT]);

#endif
