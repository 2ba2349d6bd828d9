/*
 * test_cntlid.c - the controller id map (daemon/core/cntlid.c) alone, as
 * daemon/core/target.c uses it at admin Connect and teardown: ids given
 * within [min, max], the last one not reused at once (the cursor), wrap-round
 * to min, 0 for a full or empty range, release and reuse, the two-level
 * table across pages (ids above 256, up to 65535), lookup, the map freed
 * with its last id, and ids held outside a range narrowed since.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/core/cntlid.h"

/* Owners are opaque to the map: any distinct addresses do. */
static char owner[65536];
#define OWNER(id) ((void *)&owner[(id)])

/* Gives the next id of [min, max] and holds it for OWNER(id). */
static uint16_t take(struct kt_cntlid_map *m, uint16_t min, uint16_t max, uint16_t *cursor)
{
	uint16_t id = kt_cntlid_alloc(m, min, max, cursor);
	if (id)
		assert_int_equal(kt_cntlid_set(m, id, OWNER(id)), 0);
	return id;
}

/* Every id of the range once, in order from min, each within it; then 0. */
static void alloc_within_range(void **state)
{
	(void)state;
	struct kt_cntlid_map *m = kt_cntlid_map_new();
	uint16_t cursor = 0;
	assert_non_null(m);
	for (unsigned i = 0; i <= 20 - 10; i++) {
		uint16_t id = take(m, 10, 20, &cursor);
		assert_int_equal(id, 10 + i);
		assert_int_equal(cursor, id);
	}
	assert_int_equal(kt_cntlid_count(m), 11);
	kt_cntlid_map_free(m);
}

/* A released id is not the next one given: the cursor moves on first. One
 * cursor serves every map (as target.c's, for every subsystem). */
static void no_reuse_at_once(void **state)
{
	(void)state;
	struct kt_cntlid_map *m = kt_cntlid_map_new(), *other = kt_cntlid_map_new();
	uint16_t cursor = 0;
	assert_int_equal(take(m, 1, 100, &cursor), 1);
	assert_int_equal(take(m, 1, 100, &cursor), 2);
	kt_cntlid_release(&m, 2, OWNER(2));
	assert_null(kt_cntlid_find(m, 2));
	assert_int_equal(take(m, 1, 100, &cursor), 3); /* not 2 */
	assert_int_equal(take(other, 1, 100, &cursor), 4); /* the shared cursor */
	/* alloc alone does not hold: from the same cursor, the same id */
	cursor = 3;
	assert_int_equal(kt_cntlid_alloc(m, 1, 100, &cursor), 4); /* m does not hold 4 */
	assert_int_equal(cursor, 4);
	cursor = 3;
	assert_int_equal(kt_cntlid_alloc(m, 1, 100, &cursor), 4);
	kt_cntlid_map_free(m);
	kt_cntlid_map_free(other);
}

/* From the cursor to max, then round to min. */
static void wrap_around(void **state)
{
	(void)state;
	struct kt_cntlid_map *m = kt_cntlid_map_new();
	uint16_t cursor = 0;
	for (unsigned id = 1; id <= 4; id++)
		assert_int_equal(take(m, 1, 4, &cursor), id);
	kt_cntlid_release(&m, 2, OWNER(2));
	assert_int_equal(cursor, 4); /* at max: the search starts at min */
	assert_int_equal(take(m, 1, 4, &cursor), 2);

	/* cursor inside the range, only lower ids free: wraps */
	kt_cntlid_release(&m, 1, OWNER(1));
	cursor = 2;
	assert_int_equal(take(m, 1, 4, &cursor), 1);

	/* a cursor outside the range (another subsystem's id): from min */
	kt_cntlid_release(&m, 3, OWNER(3));
	kt_cntlid_release(&m, 1, OWNER(1));
	cursor = 900;
	assert_int_equal(take(m, 1, 4, &cursor), 1);
	kt_cntlid_map_free(m);
}

/* Every id of the range held: 0, and the cursor stays. An empty range
 * (min 0, min above max) gives 0 too. */
static void full_range(void **state)
{
	(void)state;
	struct kt_cntlid_map *m = kt_cntlid_map_new();
	uint16_t cursor = 0;
	for (unsigned id = 1; id <= 4; id++)
		take(m, 1, 4, &cursor);
	cursor = 2;
	assert_int_equal(kt_cntlid_alloc(m, 1, 4, &cursor), 0);
	assert_int_equal(cursor, 2);
	assert_int_equal(kt_cntlid_alloc(m, 0, 4, &cursor), 0);
	assert_int_equal(kt_cntlid_alloc(m, 9, 5, &cursor), 0);
	assert_int_equal(kt_cntlid_alloc(m, 5, 5, &cursor), 5); /* a range of one */
	assert_int_equal(cursor, 5);
	kt_cntlid_map_free(m);
}

/* A full range frees up with a release, and that id is given again. */
static void release_then_reuse(void **state)
{
	(void)state;
	struct kt_cntlid_map *m = kt_cntlid_map_new();
	uint16_t cursor = 0;
	for (unsigned id = 1; id <= 3; id++)
		take(m, 1, 3, &cursor);
	assert_int_equal(kt_cntlid_alloc(m, 1, 3, &cursor), 0);
	kt_cntlid_release(&m, 2, OWNER(2));
	assert_int_equal(kt_cntlid_count(m), 2);
	assert_int_equal(take(m, 1, 3, &cursor), 2);
	assert_ptr_equal(kt_cntlid_find(m, 2), OWNER(2));
	assert_int_equal(kt_cntlid_count(m), 3);
	kt_cntlid_map_free(m);
}

/* Ids on many pages of the table (256 ids a page) and across 64-id words of
 * the bitmap, up to 65535: each found, its neighbours not. */
static void pages(void **state)
{
	(void)state;
	static const uint16_t ids[] = { 1, 63, 64, 255, 256, 257, 300, 511, 512, 4096, 40000, 65279, 65280, 65535 };
	struct kt_cntlid_map *m = kt_cntlid_map_new();
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_int_equal(kt_cntlid_set(m, ids[i], OWNER(ids[i])), 0);
	assert_int_equal(kt_cntlid_count(m), sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_ptr_equal(kt_cntlid_find(m, ids[i]), OWNER(ids[i]));
	assert_null(kt_cntlid_find(m, 2));     /* a used page, a free slot */
	assert_null(kt_cntlid_find(m, 258));
	assert_null(kt_cntlid_find(m, 1000));  /* a page never used */
	assert_null(kt_cntlid_find(m, 65534));

	/* the search crosses words and pages: 250..269 held, 270 next */
	uint16_t cursor = 0;
	for (unsigned id = 250; id <= 269; id++)
		if (!kt_cntlid_find(m, (uint16_t)id))
			assert_int_equal(kt_cntlid_set(m, (uint16_t)id, OWNER(id)), 0);
	assert_int_equal(take(m, 250, 300, &cursor), 270);

	/* the top of the id space */
	cursor = 0;
	for (unsigned id = 65530; id <= 65534; id++)
		assert_int_equal(take(m, 65530, 65535, &cursor), id);
	assert_int_equal(kt_cntlid_alloc(m, 65530, 65535, &cursor), 0); /* 65535 held above */
	kt_cntlid_map_free(m);
}

/* Lookup: no map, a held id, after release; a release by another owner or
 * of an id never held changes nothing. */
static void lookup(void **state)
{
	(void)state;
	struct kt_cntlid_map *m = kt_cntlid_map_new();
	uint16_t cursor = 0;
	assert_null(kt_cntlid_find(NULL, 1));
	assert_int_equal(kt_cntlid_count(NULL), 0);
	assert_null(kt_cntlid_find(m, 1));
	assert_int_equal(take(m, 1, 10, &cursor), 1);
	assert_int_equal(take(m, 1, 10, &cursor), 2);
	assert_ptr_equal(kt_cntlid_find(m, 1), OWNER(1));
	assert_ptr_equal(kt_cntlid_find(m, 2), OWNER(2));
	kt_cntlid_release(&m, 1, OWNER(2));    /* not its owner */
	kt_cntlid_release(&m, 7, OWNER(7));    /* never held */
	kt_cntlid_release(&m, 1000, OWNER(0)); /* a page never used */
	assert_non_null(m);
	assert_int_equal(kt_cntlid_count(m), 2);
	assert_ptr_equal(kt_cntlid_find(m, 1), OWNER(1));
	kt_cntlid_release(&m, 1, OWNER(1));
	assert_null(kt_cntlid_find(m, 1));
	assert_ptr_equal(kt_cntlid_find(m, 2), OWNER(2));
	kt_cntlid_map_free(m);
}

/* The map goes with its last id: *mp becomes NULL (and nothing leaks,
 * which the sanitizer build checks). Releasing into no map is harmless. */
static void count_zero_frees(void **state)
{
	(void)state;
	struct kt_cntlid_map *m = kt_cntlid_map_new();
	uint16_t cursor = 0;
	assert_int_equal(kt_cntlid_count(m), 0);
	assert_int_equal(take(m, 1, 1000, &cursor), 1);
	assert_int_equal(kt_cntlid_set(m, 700, OWNER(700)), 0); /* a second page */
	assert_int_equal(kt_cntlid_count(m), 2);
	kt_cntlid_release(&m, 1, OWNER(1));
	assert_non_null(m);
	assert_int_equal(kt_cntlid_count(m), 1);
	kt_cntlid_release(&m, 700, OWNER(700));
	assert_null(m);
	kt_cntlid_release(&m, 700, OWNER(700));
	assert_null(m);
	kt_cntlid_map_free(NULL);
}

/* After a live change narrows the range, ids held outside it stay held and
 * found; new ids come from the new range only, and it can be full while the
 * old range still has room. */
static void narrowed_range(void **state)
{
	(void)state;
	struct kt_cntlid_map *m = kt_cntlid_map_new();
	uint16_t cursor = 0;
	for (unsigned id = 1; id <= 10; id++)
		assert_int_equal(take(m, 1, 20, &cursor), id);
	kt_cntlid_release(&m, 2, OWNER(2));
	/* now [5, 8]: all held (the cursor, 10, is outside it) */
	assert_int_equal(kt_cntlid_alloc(m, 5, 8, &cursor), 0);
	/* now [1, 4]: only 2 is free */
	assert_int_equal(take(m, 1, 4, &cursor), 2);
	assert_int_equal(kt_cntlid_alloc(m, 1, 4, &cursor), 0);
	for (unsigned id = 5; id <= 10; id++)
		assert_ptr_equal(kt_cntlid_find(m, (uint16_t)id), OWNER(id));
	assert_int_equal(kt_cntlid_count(m), 10);
	/* an id outside the range is released like any other */
	kt_cntlid_release(&m, 9, OWNER(9));
	assert_null(kt_cntlid_find(m, 9));
	assert_int_equal(kt_cntlid_count(m), 9);
	/* widened again: from the cursor (2) on, the first free is 9 */
	assert_int_equal(take(m, 1, 20, &cursor), 9);
	kt_cntlid_map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alloc_within_range),
		cmocka_unit_test(no_reuse_at_once),
		cmocka_unit_test(wrap_around),
		cmocka_unit_test(full_range),
		cmocka_unit_test(release_then_reuse),
		cmocka_unit_test(pages),
		cmocka_unit_test(lookup),
		cmocka_unit_test(count_zero_frees),
		cmocka_unit_test(narrowed_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
