/* Growable arrays: the one doubling step that every list of the server
 * shares. Not thread-safe: the owner's lock guards the array. */
#ifndef DC_UTIL_GROW_H
#define DC_UTIL_GROW_H

#include <stddef.h>

/* Makes *buf hold at least need elements of elem bytes, doubling from 16;
 * 0 on success, -1 (and *buf, *cap unchanged) when out of memory. */
int dc__grow(void **buf, size_t *cap, size_t need, size_t elem);

#endif
