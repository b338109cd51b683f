/* Spatio-temporal grid index (private to the engine): maps cells of
 * (0.5 degree lat x 0.5 degree lon x 4 h) to the slots of the volumes whose
 * boxes touch them. Long-lived volumes (restrictions) sit in a timeless
 * layer probed by every query. Query results are deduplicated by a per-slot
 * stamp, so a query allocates nothing. */
#ifndef DC_GRID_INT_H
#define DC_GRID_INT_H

#include <stddef.h>
#include <stdint.h>

#include "deconflict/status.h"

typedef struct dc__box {
    double lat_min, lon_min, lat_max, lon_max; /* degrees */
    int64_t t_start_s, t_end_s;                /* [start, end) */
} dc__box;

typedef struct dc__grid dc__grid;

dc__grid *dc__grid_new(double cell_deg, int64_t bucket_s);
void dc__grid_free(dc__grid *g);
/* Inserts slot with box; DC_ENOMEM leaves the grid unchanged. */
dc_status dc__grid_insert(dc__grid *g, uint32_t slot, const dc__box *b);
/* Removes slot previously inserted with the same box. */
void dc__grid_remove(dc__grid *g, uint32_t slot, const dc__box *b);
size_t dc__grid_memory_bytes(const dc__grid *g);

/* Calls fn(ctx, slot) once for each slot whose cells meet the query box (a
 * superset of the slots whose boxes overlap it). `seen` is a caller array
 * indexed by slot and `stamp` a value not yet used in it: seen slots are
 * marked and skipped. fn returns nonzero to stop. */
typedef int (*dc__grid_fn)(void *ctx, uint32_t slot);
void dc__grid_query(const dc__grid *g, const dc__box *q, uint32_t *seen, uint32_t stamp,
                    dc__grid_fn fn, void *ctx);

#endif
