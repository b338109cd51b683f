/* Internals of the tactical module shared between its files: per-pass
 * kinematics of a live track (geom.c), the exact pair test, and the broad
 * phase (broad.c) that feeds it. Not part of the public API. */
#ifndef DC_TACTICAL_INT_H
#define DC_TACTICAL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "deconflict/tactical.h"

/* A live track prepared for one pass at time now: its report point on the
 * WGS84 surface in ECEF metres, the local east/north unit vectors there,
 * its horizontal velocity as an ECEF vector, and the offset dt_s = now -
 * report time by which it is extrapolated (linearly, in each pair's frame). */
typedef struct dc__tac_kin {
    double p[3], e[3], n[3], vel[3];
    double v_east_mps, v_north_mps, gs_mps;
    double alt_now_m, vz_mps;
    double dt_s;
    double lat_deg, lon_deg, track_deg;
    uint32_t op;
    uint32_t slot;
} dc__tac_kin;

/* Outcome of the exact pair test; times relative to now. */
typedef struct dc__tac_hit {
    double t_in_s, t_out_s, t_cpa_s, d_cpa_m;
    int los_now;
} dc__tac_hit;

/* A conflicting pair by kin index, i < j (frame at i). */
typedef struct dc__tac_pair {
    uint32_t i, j;
    dc__tac_hit h;
} dc__tac_pair;

/* Growable array of pairs; kept across passes (high-water mark). */
typedef struct dc__tac_pairs {
    dc__tac_pair *v;
    size_t n, cap;
} dc__tac_pairs;

/* One track's swept box: lon/lat degrees (lon0 may be below -180 for a
 * wrapped copy), altitude metres; k = kin index, op = operator. */
typedef struct dc__tac_box {
    float lon0, lon1, lat0, lat1, alt0, alt1;
    uint32_t k, op;
} dc__tac_box;

/* Reusable broad-phase buffers. */
typedef struct dc__tac_grid {
    dc__tac_box *boxes;
    size_t n_boxes, cap_boxes;
    uint32_t *cell_start;
    size_t cap_cells;
    dc__tac_box *entries;
    size_t cap_entries;
    float *orig_lon0;
    size_t cap_orig;
} dc__tac_grid;

/* Fills k from a report for a pass at now_s. */
void dc__tac_kin_init(dc__tac_kin *k, const dc_track_report *r, uint32_t slot, double now_s);

/* Exact test in the frame of a. Returns 1 and fills *h on a conflict. */
int dc__tac_cpa(const dc__tac_kin *a, const dc__tac_kin *b, const dc_tactical_params *p,
                dc__tac_hit *h);

/* How `self` sees `other` now, with the pair's CPA figures. */
void dc__tac_relative(const dc__tac_kin *self, const dc__tac_kin *other, const dc__tac_hit *h,
                      dc_relative *out);

/* Appends to pairs (growing it). DC_ENOMEM on failure. */
dc_status dc__tac_pairs_push(dc__tac_pairs *pairs, uint32_t i, uint32_t j, const dc__tac_hit *h);

/* All conflicting pairs among kin[0..n) into pairs (appended, unsorted).
 * *examined counts exact tests run. */
dc_status dc__tac_detect_grid(dc__tac_grid *g, const dc__tac_kin *kin, size_t n,
                              const dc_tactical_params *p, dc__tac_pairs *pairs,
                              uint64_t *examined);
dc_status dc__tac_detect_brute(const dc__tac_kin *kin, size_t n, const dc_tactical_params *p,
                               dc__tac_pairs *pairs, uint64_t *examined);
void dc__tac_grid_free(dc__tac_grid *g);

/* Grows *buf (elem bytes each) to hold at least need; keeps contents. */
dc_status dc__tac_reserve(void **buf, size_t *cap, size_t need, size_t elem);

/* Two tracks may conflict only when of different operators or unknown. */
static inline int dc__tac_ops_differ(uint32_t a, uint32_t b)
{
    return a != b || a == DC_TRACK_OPERATOR_UNKNOWN;
}

#endif
