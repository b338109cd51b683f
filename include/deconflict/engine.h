/* Strategic deconfliction engine: an in-memory spatio-temporal index of
 * approved volumes and restrictions, and the exact conflict check of
 * docs/design.md section 3 (H/V/T buffers, strict <, own volumes exempt,
 * restrictions apply to everyone but their exempt operators).
 * Not thread-safe: the caller serialises access (one writer or reader at a
 * time). Queries do not allocate. */
#ifndef DECONFLICT_ENGINE_H
#define DECONFLICT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "deconflict/geo.h"

/* Separation buffers. Defaults: 1852 m, 305 m, 300 s. */
typedef struct dc_params {
    double h_m;  /* horizontal, > 0 */
    double v_m;  /* vertical, >= 0 */
    int64_t t_s; /* time, >= 0 */
} dc_params;
#define DC_PARAMS_DEFAULT ((dc_params){1852.0, 305.0, 300})

#define DC_OWNER_NONE UINT32_MAX /* restrictions have no owner */

typedef struct dc_engine dc_engine;

dc_engine *dc_engine_new(void);    /* NULL on allocation failure */
void dc_engine_free(dc_engine *e); /* accepts NULL; frees all stored volumes */

/* Description of an entry to store: an operation (owner = operator number) or
 * a restriction (is_restriction, exempt operator numbers). */
typedef struct dc_entry_spec {
    const char *id; /* unique among entries; copied */
    uint32_t owner;
    int is_restriction;
    const uint32_t *exempt; /* copied */
    size_t n_exempt;
    int priority;
} dc_entry_spec;

/* Adds an entry with its volumes. On DC_OK the engine takes ownership of
 * every vols[i].fp (the dc_volume structs themselves are copied; the caller
 * must not clear them afterwards). On error nothing changes and the caller
 * still owns them. DC_EEXIST when the id is taken. */
dc_status dc_engine_add(dc_engine *e, const dc_entry_spec *spec, dc_volume *vols, size_t n_vols);
/* Removes an entry and frees its volumes. DC_ENOTFOUND when absent. */
dc_status dc_engine_remove(dc_engine *e, const char *id);
size_t dc_engine_count(const dc_engine *e); /* entries */
size_t dc_engine_volume_count(const dc_engine *e);
/* Bytes held by the engine (index, entries, footprints). */
size_t dc_engine_memory_bytes(const dc_engine *e);

/* One conflicting pair. with_id is borrowed: valid until that entry is
 * removed or the engine freed. */
typedef struct dc_conflict {
    uint32_t cand_volume; /* index into the candidate's volumes */
    const char *with_id;  /* operation or restriction id */
    uint32_t volume;      /* index into that entry's volumes */
    uint32_t owner;       /* owner of that entry (DC_OWNER_NONE: restriction) */
    int is_restriction;
    int priority;
    double distance_m; /* horizontal distance between footprints */
} dc_conflict;

/* Options for a check: shift the candidate in time or altitude without
 * copying it (used for suggestions), and skip one entry (re-checking an
 * operation's own modification). */
typedef struct dc_check_opts {
    int64_t dt_s;
    double dalt_m;
    const char *skip_id; /* may be NULL */
    int first_only;      /* stop at the first conflict; distance_m not computed */
} dc_check_opts;

/* Finds every (candidate volume, stored volume) pair in conflict for a
 * candidate owned by `owner`. Writes up to cap pairs to out (sorted by
 * cand_volume, with_id, volume) and the total found to *n_found (which may
 * exceed cap). opts may be NULL. */
dc_status dc_engine_check(dc_engine *e, uint32_t owner, const dc_volume *vols, size_t n_vols,
                          const dc_params *p, const dc_check_opts *opts, dc_conflict *out,
                          size_t cap, size_t *n_found);

/* Iteration over stored entries and volumes (for notices, persistence). */
typedef int (*dc_engine_visit_fn)(void *ctx, const dc_entry_spec *spec, const dc_volume *vols,
                                  size_t n_vols);
/* Calls fn for every entry whose volumes' bbox/time overlap the query box
 * (all entries when box is NULL). fn returns nonzero to stop. */
typedef struct dc_query_box {
    double lat_min, lon_min, lat_max, lon_max;
    int64_t t_from_s, t_to_s;
} dc_query_box;
void dc_engine_visit(dc_engine *e, const dc_query_box *box, dc_engine_visit_fn fn, void *ctx);

#endif
