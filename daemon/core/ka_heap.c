/*
 * ka_heap.c - the keep-alive timer's 4-ary min-heap (see ka_heap.h), kept
 * apart from the timerfd and the engine so that it is a pure data
 * structure: memory in, memory out, nothing else.
 *
 * 4-ary: a Keep Alive moves its entry to about the bottom, and each level
 * costs a write to a controller (its heap_idx), so fewer levels (7, not 14,
 * at 10,000) matter more than the extra compares within a cache line.
 */
#include <errno.h>
#include <stdlib.h>
#include "daemon/core/ka_heap.h"

#define HEAP_D 4

static inline void set_idx(const struct kt_ka_heap *h, void *owner, size_t i)
{
	*(size_t *)((char *)owner + h->idx_off) = i;
}

static inline size_t get_idx(const struct kt_ka_heap *h, const void *owner)
{
	return *(const size_t *)((const char *)owner + h->idx_off);
}

static void heap_set(struct kt_ka_heap *h, size_t i, struct kt_ka_heap_ent e)
{
	h->v[i] = e;
	set_idx(h, e.owner, i);
}

static void sift_up(struct kt_ka_heap *h, size_t i)
{
	struct kt_ka_heap_ent e = h->v[i];
	while (i > 0) {
		size_t p = (i - 1) / HEAP_D;
		if (h->v[p].at <= e.at)
			break;
		heap_set(h, i, h->v[p]);
		i = p;
	}
	heap_set(h, i, e);
}

static void sift_down(struct kt_ka_heap *h, size_t i)
{
	struct kt_ka_heap_ent e = h->v[i];
	for (;;) {
		size_t l = HEAP_D * i + 1, m = i;
		uint64_t best = e.at;
		for (size_t k = l; k < l + HEAP_D && k < h->n; k++) {
			if (h->v[k].at < best) {
				m = k;
				best = h->v[k].at;
			}
		}
		if (m == i)
			break;
		heap_set(h, i, h->v[m]);
		i = m;
	}
	heap_set(h, i, e);
}

void kt_ka_heap_init(struct kt_ka_heap *h, size_t idx_off)
{
	*h = (struct kt_ka_heap){ .idx_off = idx_off };
}

void kt_ka_heap_fini(struct kt_ka_heap *h)
{
	free(h->v);
	kt_ka_heap_init(h, h->idx_off);
}

int kt_ka_heap_insert(struct kt_ka_heap *h, void *owner, uint64_t at)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct kt_ka_heap_ent *v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n] = (struct kt_ka_heap_ent){ at, owner };
	set_idx(h, owner, h->n);
	sift_up(h, h->n++);
	return 0;
}

void kt_ka_heap_remove(struct kt_ka_heap *h, size_t i)
{
	set_idx(h, h->v[i].owner, KT_KA_HEAP_NONE);
	struct kt_ka_heap_ent last = h->v[--h->n];
	if (i == h->n)
		return;
	heap_set(h, i, last);
	sift_up(h, i);
	sift_down(h, get_idx(h, last.owner));
}

void kt_ka_heap_move(struct kt_ka_heap *h, size_t i, uint64_t at)
{
	uint64_t was = h->v[i].at;
	h->v[i].at = at;
	if (at < was)
		sift_up(h, i);
	else
		sift_down(h, i);
}
