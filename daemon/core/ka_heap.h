/*
 * ka_heap.h - the keep-alive timer's min-heap as a plain data structure, so
 * that its order and its back-pointers can be tested without a clock, a
 * timerfd, an event loop or threads (tests/unit/test_ka_timer.c). Each
 * worker holds one (daemon/core/ka_timer.h) for the controllers whose admin
 * queue it runs.
 *
 * Entries are keyed by absolute milliseconds. Each entry names an owner and
 * the heap writes the entry's index into the owner (a size_t at idx_off
 * bytes into it; for a controller, kt_dctrl.ka.heap_idx) whenever the entry
 * moves, so the owner can be moved or removed in O(log n) without a search.
 * An owner out of the heap has KT_KA_HEAP_NONE there.
 */
#ifndef KATO_DAEMON_KA_HEAP_H
#define KATO_DAEMON_KA_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define KT_KA_HEAP_NONE SIZE_MAX

/* The key beside the pointer, so a sift walks this array (16 bytes an
 * entry) rather than 10,000 controllers scattered in memory. */
struct kt_ka_heap_ent {
	uint64_t at;                /* when the entry fires (absolute ms) */
	void *owner;
};

struct kt_ka_heap {
	struct kt_ka_heap_ent *v;
	size_t n, cap;
	size_t idx_off;             /* offset of the owner's size_t index */
};

/* An empty heap whose owners keep their index at idx_off. */
void kt_ka_heap_init(struct kt_ka_heap *h, size_t idx_off);
void kt_ka_heap_fini(struct kt_ka_heap *h);
/* Adds owner (not in the heap) keyed at `at`. 0 or -ENOMEM. */
int kt_ka_heap_insert(struct kt_ka_heap *h, void *owner, uint64_t at);
/* Removes entry i; its owner's index becomes KT_KA_HEAP_NONE. */
void kt_ka_heap_remove(struct kt_ka_heap *h, size_t i);
/* Re-keys entry i to `at`: O(log n). */
void kt_ka_heap_move(struct kt_ka_heap *h, size_t i, uint64_t at);

/* The earliest entry, or NULL when the heap is empty. */
static inline const struct kt_ka_heap_ent *kt_ka_heap_min(const struct kt_ka_heap *h)
{
	return h->n ? &h->v[0] : NULL;
}

#endif
