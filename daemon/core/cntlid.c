/*
 * cntlid.c - the controller ids of one NVM subsystem (see cntlid.h): which
 * ids are held, which owner holds a given one, and the next free id, in
 * O(1). Moved out of daemon/core/target.c, which hangs one map off each
 * subsystem and holds its lock around every call.
 *
 * Why: Connect used to walk every controller for every candidate id, so
 * connecting N controllers cost O(N^2). A map holds a bitmap of all 65,536
 * ids (8 KiB; finding a free id looks at 64 ids a word) and a two-level
 * table cntlid -> owner: 256 pages of 256 pointers, a page allocated when an
 * id in it is first used (2 KiB). Chosen over a hash of (subsystem, id): no
 * hashing, no tombstones, no rehash, every operation a couple of array
 * indexings, and bounded memory. Ids outside the range a caller asks for
 * now (after a live change of cntlid_min/max) are held like any other.
 */
#include "daemon/core/cntlid.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#define IDMAP_IDS 65536u
#define IDMAP_PAGE 256u

struct kt_cntlid_map {
	unsigned count;                      /* ids held */
	uint64_t used[IDMAP_IDS / 64];
	void **page[IDMAP_IDS / IDMAP_PAGE]; /* NULL: no id of that page used yet */
};

struct kt_cntlid_map *kt_cntlid_map_new(void)
{
	return calloc(1, sizeof(struct kt_cntlid_map));
}

void kt_cntlid_map_free(struct kt_cntlid_map *m)
{
	if (!m)
		return;
	for (size_t p = 0; p < IDMAP_IDS / IDMAP_PAGE; p++)
		free(m->page[p]);
	free(m);
}

unsigned kt_cntlid_count(const struct kt_cntlid_map *m)
{
	return m ? m->count : 0;
}

void *kt_cntlid_find(const struct kt_cntlid_map *m, uint16_t id)
{
	void *const *pg = m ? m->page[id / IDMAP_PAGE] : NULL;
	return pg ? pg[id % IDMAP_PAGE] : NULL;
}

int kt_cntlid_set(struct kt_cntlid_map *m, uint16_t id, void *owner)
{
	void **pg = m->page[id / IDMAP_PAGE];
	if (!pg && !(pg = m->page[id / IDMAP_PAGE] = calloc(IDMAP_PAGE, sizeof(*pg))))
		return -ENOMEM;
	pg[id % IDMAP_PAGE] = owner;
	m->used[id / 64] |= 1ull << (id % 64);
	m->count++;
	return 0;
}

void kt_cntlid_release(struct kt_cntlid_map **mp, uint16_t id, const void *owner)
{
	struct kt_cntlid_map *m = *mp;
	void **pg = m ? m->page[id / IDMAP_PAGE] : NULL;
	if (!pg || pg[id % IDMAP_PAGE] != owner)
		return; /* never recorded */
	pg[id % IDMAP_PAGE] = NULL;
	m->used[id / 64] &= ~(1ull << (id % 64));
	if (--m->count == 0) {
		kt_cntlid_map_free(m);
		*mp = NULL;
	}
}

/* The first id in [lo, hi] not in use, or 0 (never a controller id). */
static unsigned first_free(const struct kt_cntlid_map *m, unsigned lo, unsigned hi)
{
	for (unsigned i = lo; i <= hi; i = (i / 64 + 1) * 64) {
		uint64_t avail = ~m->used[i / 64] & (~0ull << (i % 64));
		if (avail) {
			unsigned id = i / 64 * 64 + (unsigned)__builtin_ctzll(avail);
			return id <= hi ? id : 0;
		}
	}
	return 0;
}

uint16_t kt_cntlid_alloc(const struct kt_cntlid_map *m, uint16_t min16, uint16_t max16, uint16_t *cursor)
{
	unsigned min = min16, max = max16, last = *cursor;
	if (!min || min > max)
		return 0;
	unsigned from = last >= min && last < max ? last + 1u : min;
	unsigned id = first_free(m, from, max);
	if (!id && from > min)
		id = first_free(m, min, from - 1);
	if (id)
		*cursor = (uint16_t)id;
	return (uint16_t)id;
}
