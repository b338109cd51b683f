/* Seeded random footprints for the PostGIS oracle test and the strategic
 * benchmark (header-only so both build without a Makefile rule of their own).
 * Shapes are simple by construction: polygons are star-shaped around their
 * centre with sorted bearings (convex when every radius is equal), corridor
 * centre lines turn less than 180 degrees in total. Vertices are placed with
 * PROJ's geodesic direct problem, so sizes are true metres on WGS84. */
#ifndef DC_TESTS_VOLGEN_H
#define DC_TESTS_VOLGEN_H

#include <geodesic.h>
#include <math.h>
#include <stdint.h>

#include "deconflict/deconflict.h"

#define VG_MAX_POINTS 64

typedef struct vg_rng {
    uint64_t s;
} vg_rng;

static inline uint64_t vg_next(vg_rng *r)
{ /* splitmix64: tiny, seedable from any value, good enough for tests */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline double vg_unit(vg_rng *r)
{
    return (double)(vg_next(r) >> 11) * 0x1.0p-53;
}
static inline double vg_uniform(vg_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * vg_unit(r);
}
static inline int64_t vg_int(vg_rng *r, int64_t lo, int64_t hi) /* inclusive */
{
    return lo + (int64_t)(vg_next(r) % (uint64_t)(hi - lo + 1));
}

/* A footprint shape relative to its centre: each core point as a bearing and
 * a distance from the centre, so the same shape can be moved anywhere. */
typedef struct vg_shape {
    dc_footprint_kind kind;
    uint32_t n;
    double az_deg[VG_MAX_POINTS];
    double dist_m[VG_MAX_POINTS];
    double radius_m; /* circle radius or corridor half-width */
} vg_shape;

static inline const struct geod_geodesic *vg_wgs84(void)
{
    static struct geod_geodesic g;
    static int init;
    if (!init) {
        geod_init(&g, 6378137.0, 1.0 / 298.257223563);
        init = 1;
    }
    return &g;
}

static inline void vg_offset(double lat, double lon, double az_deg, double dist_m, double *lat2,
                             double *lon2)
{
    geod_direct(vg_wgs84(), lat, lon, az_deg, dist_m, lat2, lon2, NULL);
}

/* A shape about `across_m` wide. n_max bounds polygon vertices (>= 3) and
 * corridor points (>= 2). kind 0 picks one of the three at random. */
static inline void vg_shape_random(vg_rng *r, dc_footprint_kind kind, double across_m,
                                   uint32_t n_poly_max, uint32_t n_corr_max, vg_shape *s)
{
    if (kind == 0)
        kind = (dc_footprint_kind)vg_int(r, 1, 3);
    s->kind = kind;
    double half = across_m / 2;
    if (kind == DC_FP_CIRCLE) {
        s->n = 1;
        s->az_deg[0] = 0;
        s->dist_m[0] = 0;
        s->radius_m = half;
    } else if (kind == DC_FP_POLYGON) {
        uint32_t n = (uint32_t)vg_int(r, 3, n_poly_max);
        int convex = vg_unit(r) < 0.4;
        double gap[VG_MAX_POINTS], total = 0;
        for (uint32_t i = 0; i < n; i++) /* no gap below 0.3 of the mean: angles < 180 */
            total += gap[i] = vg_uniform(r, 0.3, 1.7);
        double a = vg_uniform(r, 0, 360);
        for (uint32_t i = 0; i < n; i++) {
            s->az_deg[i] = fmod(a, 360.0);
            s->dist_m[i] = convex ? half : half * vg_uniform(r, 0.35, 1.0);
            a += 360.0 * gap[i] / total;
        }
        if (n == 3 || n == 4) /* keep small rings from collapsing into slivers */
            for (uint32_t i = 0; i < n; i++)
                s->dist_m[i] = half;
        s->n = n;
        s->radius_m = 0;
    } else {
        uint32_t n = (uint32_t)vg_int(r, 2, n_corr_max);
        s->radius_m = half * vg_uniform(r, 0.05, 0.3);
        double len = (across_m - 2 * s->radius_m) / (double)(n - 1);
        double turn_max = n > 2 ? 170.0 / (double)(n - 2) : 0; /* total turning < 180 */
        if (turn_max > 60)
            turn_max = 60;
        /* Walk in a local plane (x east, y north) from the origin, then centre. */
        double x[VG_MAX_POINTS], y[VG_MAX_POINTS], h = vg_uniform(r, 0, 360), cx = 0, cy = 0;
        x[0] = y[0] = 0;
        for (uint32_t i = 1; i < n; i++) {
            if (i > 1)
                h += vg_uniform(r, -turn_max / 2, turn_max / 2) * 2;
            x[i] = x[i - 1] + len * sin(h * M_PI / 180);
            y[i] = y[i - 1] + len * cos(h * M_PI / 180);
        }
        for (uint32_t i = 0; i < n; i++)
            cx += x[i] / n, cy += y[i] / n;
        for (uint32_t i = 0; i < n; i++) {
            double dx = x[i] - cx, dy = y[i] - cy;
            s->az_deg[i] = atan2(dx, dy) * 180 / M_PI;
            s->dist_m[i] = hypot(dx, dy);
        }
        s->n = n;
    }
}

/* Core points of shape s centred at (lat, lon). Returns the count. */
static inline uint32_t vg_place(const vg_shape *s, double lat, double lon, dc_latlon *out)
{
    for (uint32_t i = 0; i < s->n; i++)
        vg_offset(lat, lon, s->az_deg[i], s->dist_m[i], &out[i].lat_deg, &out[i].lon_deg);
    return s->n;
}

/* Builds the footprint of s centred at (lat, lon). */
static inline dc_status vg_footprint(const vg_shape *s, double lat, double lon, dc_footprint **out,
                                     dc_error *err)
{
    dc_latlon pts[VG_MAX_POINTS];
    uint32_t n = vg_place(s, lat, lon, pts);
    return dc_footprint_new(s->kind, pts, n, s->radius_m, "footprint", out, err);
}

#endif
