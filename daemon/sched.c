/*
 * Schedule table (sorted array of pointers, binary search) and fire-time
 * heap (binary min-heap; each schedule knows its heap index so updates are
 * O(log n)). Loading sorted files appends at the end, so start-up stays
 * linear.
 */
#include "daemon/sched.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"

struct sched {
	struct schedule **byid;
	size_t n, cap;
	struct schedule **heap;
	size_t hn, hcap;
};

struct sched *sched_new(void)
{
	return xcalloc(1, sizeof(struct sched));
}

void sched_free(struct sched *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		schedule_free(t->byid[i]);
	free(t->byid);
	free(t->heap);
	free(t);
}

size_t sched_count(const struct sched *t) { return t->n; }

struct schedule *sched_at(const struct sched *t, size_t i)
{
	return i < t->n ? t->byid[i] : NULL;
}

/* Index of ID, or of where it would go (*found tells which). */
static size_t lookup(const struct sched *t, const char *id, int *found)
{
	size_t lo = 0, hi = t->n;

	if (t->n && strcmp(t->byid[t->n - 1]->id, id) < 0) {
		*found = 0;
		return t->n;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->byid[mid]->id, id);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

struct schedule *sched_find(const struct sched *t, const char *id)
{
	int found;
	size_t i = lookup(t, id, &found);

	return found ? t->byid[i] : NULL;
}

/* ---- heap ------------------------------------------------------------ */

static int earlier(const struct schedule *a, const struct schedule *b)
{
	return a->next_fire < b->next_fire;
}

static void heap_set(struct sched *t, size_t i, struct schedule *s)
{
	t->heap[i] = s;
	s->heap_index = i;
}

static void sift_up(struct sched *t, size_t i)
{
	struct schedule *s = t->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!earlier(s, t->heap[p]))
			break;
		heap_set(t, i, t->heap[p]);
		i = p;
	}
	heap_set(t, i, s);
}

static void sift_down(struct sched *t, size_t i)
{
	struct schedule *s = t->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= t->hn)
			break;
		if (c + 1 < t->hn && earlier(t->heap[c + 1], t->heap[c]))
			c++;
		if (!earlier(t->heap[c], s))
			break;
		heap_set(t, i, t->heap[c]);
		i = c;
	}
	heap_set(t, i, s);
}

static void heap_remove(struct sched *t, struct schedule *s)
{
	size_t i = s->heap_index;
	struct schedule *last;

	if (i == SIZE_MAX)
		return;
	s->heap_index = SIZE_MAX;
	last = t->heap[--t->hn];
	if (i == t->hn)
		return;
	heap_set(t, i, last);
	sift_down(t, i);
	sift_up(t, last->heap_index);
}

void sched_requeue(struct sched *t, struct schedule *s)
{
	int want = s->status == SSTATUS_ACTIVE && s->next_fire != TIME_NONE;

	if (!want) {
		heap_remove(t, s);
		return;
	}
	if (s->heap_index == SIZE_MAX) {
		if (t->hn == t->hcap) {
			t->hcap = t->hcap ? 2 * t->hcap : 64;
			t->heap = xrealloc(t->heap, t->hcap * sizeof *t->heap);
		}
		heap_set(t, t->hn++, s);
		sift_up(t, s->heap_index);
		return;
	}
	sift_up(t, s->heap_index);
	sift_down(t, s->heap_index);
}

struct schedule *sched_peek(const struct sched *t)
{
	return t->hn ? t->heap[0] : NULL;
}

void sched_update_next(struct sched *t, struct schedule *s, int64_t after)
{
	int64_t next;

	if (s->status == SSTATUS_ACTIVE && schedule_next_after(s, after, &next) == 0)
		s->next_fire = next;
	else
		s->next_fire = TIME_NONE;
	sched_requeue(t, s);
}

/* ---- table ------------------------------------------------------------ */

void sched_insert(struct sched *t, struct schedule *s)
{
	int found;
	size_t i = lookup(t, s->id, &found);

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->byid = xrealloc(t->byid, t->cap * sizeof *t->byid);
	}
	memmove(&t->byid[i + 1], &t->byid[i], (t->n - i) * sizeof *t->byid);
	t->byid[i] = s;
	t->n++;
	s->heap_index = SIZE_MAX;
	sched_requeue(t, s);
}

struct schedule *sched_replace(struct sched *t, struct schedule *s)
{
	int found;
	size_t i = lookup(t, s->id, &found);
	struct schedule *old;

	if (!found) {
		sched_insert(t, s);
		return NULL;
	}
	old = t->byid[i];
	heap_remove(t, old);
	t->byid[i] = s;
	s->heap_index = SIZE_MAX;
	sched_requeue(t, s);
	return old;
}

struct schedule *sched_remove(struct sched *t, const char *id)
{
	int found;
	size_t i = lookup(t, id, &found);
	struct schedule *s;

	if (!found)
		return NULL;
	s = t->byid[i];
	heap_remove(t, s);
	memmove(&t->byid[i], &t->byid[i + 1], (t->n - i - 1) * sizeof *t->byid);
	t->n--;
	return s;
}

void sched_count_status(const struct sched *t, size_t counts[SSTATUS_COUNT])
{
	memset(counts, 0, SSTATUS_COUNT * sizeof counts[0]);
	for (size_t i = 0; i < t->n; i++)
		counts[t->byid[i]->status]++;
}
