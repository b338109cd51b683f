/* String-keyed hash map; keys are borrowed (they live in the values). It
 * grows incrementally: a doubling moves MAP_MOVE_STEP old slots per put, so
 * no single put under the server's mutex rehashes the whole map (that was a
 * 20-40 ms stall at 65,536 operations). Not thread-safe: the owner's lock
 * guards it. */
#ifndef DC_UTIL_MAP_H
#define DC_UTIL_MAP_H

#include <stddef.h>

#include "deconflict/status.h"

typedef struct dc__map {
    struct dc__map_slot *slots;
    size_t cap, n;            /* n: keys in both tables */
    struct dc__map_slot *old; /* the table being emptied into slots, or NULL */
    size_t old_cap, old_next; /* old slots below old_next have moved */
} dc__map;
void *dc__map_get(const dc__map *m, const char *key);
dc_status dc__map_put(dc__map *m, const char *key, void *val); /* replaces */
void dc__map_free(dc__map *m); /* frees slots only, never keys or values */

#endif
