/*
 * cntlid.h - the controller ids of one NVM subsystem: which ids are held, by
 * whom, and the next free one to give, each in O(1) (daemon/core/cntlid.c
 * says how and why). A file of its own so that the id rules can be tested
 * alone (tests/unit/test_cntlid.c) and daemon/core/target.c keeps only
 * admission and controllers.
 *
 * It takes no lock and knows no controller: an id maps to an opaque owner
 * pointer, and the caller serialises every call on a map and on its cursor
 * (daemon/core/target.c: target_lock).
 */
#ifndef KATO_DAEMON_CNTLID_H
#define KATO_DAEMON_CNTLID_H

#include <stdint.h>

struct kt_cntlid_map;

/* An empty map; NULL: no memory. */
struct kt_cntlid_map *kt_cntlid_map_new(void);
/* Frees m (NULL: nothing), whatever ids it still holds. */
void kt_cntlid_map_free(struct kt_cntlid_map *m);

/* How many ids m holds (NULL: none). */
unsigned kt_cntlid_count(const struct kt_cntlid_map *m);

/* The next id in [min, max] not held in m, after *cursor (the last id
 * given; from min when *cursor is outside [min, max - 1]), wrapping round to
 * min; 0 (never a controller id) when every id of the range is held, or for
 * an empty range (min 0 or min > max). The id found becomes *cursor; it is
 * not held until kt_cntlid_set. So ids are not reused at once: a host's old
 * controller and its new one differ in logs and traces. One cursor may
 * serve many maps. */
uint16_t kt_cntlid_alloc(const struct kt_cntlid_map *m, uint16_t min, uint16_t max, uint16_t *cursor);

/* Records that owner (not NULL) holds id (not held: kt_cntlid_alloc gave
 * it). 0, or -ENOMEM (nothing recorded). */
int kt_cntlid_set(struct kt_cntlid_map *m, uint16_t id, void *owner);

/* The owner of id, or NULL (not held; m NULL). */
void *kt_cntlid_find(const struct kt_cntlid_map *m, uint16_t id);

/* id is free again, if owner holds it (otherwise nothing happens). When it
 * was the last id held, the map is freed and *mp set to NULL. */
void kt_cntlid_release(struct kt_cntlid_map **mp, uint16_t id, const void *owner);

#endif
