/* Private geometry structures shared by src/geo/ and the engine: unit
 * vectors on the sphere model of geodetic coordinates (the PostGIS geography
 * model), per-edge bounding caps and the polygon's gnomonic frame, in which
 * great-circle edges are straight lines (exact point-in-polygon and
 * self-intersection tests). */
#ifndef DC_GEO_INT_H
#define DC_GEO_INT_H

#include "deconflict/geo.h"

/* Mean earth radius (IUGG R1), the sphere on which nearest points are found. */
#define DC__R_MEAN_M 6371008.8
/* The geodesic distance between two points over R_MEAN * (their central
 * angle) lies within [RATIO_LO, RATIO_HI] on WGS84 (radii of curvature range
 * from 6335 km to 6400 km); margins added for long lines. */
#define DC__RATIO_LO 0.993
#define DC__RATIO_HI 1.006
/* Smallest meridian radius of curvature: bounds degrees per metre. */
#define DC__M_MIN_M 6335439.0

typedef struct dc__vec3 {
    double x, y, z;
} dc__vec3;

/* A great-circle arc's bounding cap: normalised midpoint and chord radius. */
typedef struct dc__edgecap {
    dc__vec3 mid;
    double chord; /* 2 sin(half angle / 2): max chord from mid to the arc */
} dc__edgecap;

struct dc_footprint {
    dc_footprint_kind kind;
    uint32_t n;       /* core vertices (ring without closing point) */
    uint32_t n_edges; /* ring: n; corridor: n - 1; circle: 0 */
    double radius_m;  /* circle radius / corridor half-width, 0 for polygons */
    dc_latlon *pts;
    dc__vec3 *xyz;
    dc__edgecap *edges;
    double *gxy;             /* polygon only: 2n gnomonic coordinates about center */
    dc__vec3 center, ge, gn; /* cap centre and gnomonic tangent basis */
    double cap_chord;        /* chord radius of a cap around center holding the core */
    double lat_min, lat_max, lon_min, lon_max; /* whole footprint, degrees */
    size_t alloc_bytes;
};

dc__vec3 dc__to_vec(double lat_deg, double lon_deg);
void dc__to_latlon(dc__vec3 v, double *lat_deg, double *lon_deg);

/* Grows a bbox outward by dist_m (conservative on WGS84). Returns 0 if the
 * grown box would reach beyond +-90 latitude (then clamps). */
void dc__bbox_grow(double *lat_min, double *lon_min, double *lat_max, double *lon_max,
                   double dist_m);

#endif
