/* Footprints and 4D volumes on WGS84.
 *
 * Model (the same as PostGIS geography, the project's oracle): vertices are
 * WGS84 geodetic lat/lon; polygon edges and corridor centre lines are great-
 * circle arcs through those coordinates; the distance between two points is the
 * ellipsoidal geodesic (PROJ geodesic.h, GeographicLib's algorithm). A circle
 * is the set of points within radius_m of its centre, a corridor the set within
 * half_width_m of its centre line, so footprint distance reduces to the
 * distance between their cores (point, polyline, ring) minus both radii.
 * Coordinates are degrees, altitudes metres AMSL, times whole seconds UTC. */
#ifndef DECONFLICT_GEO_H
#define DECONFLICT_GEO_H

#include <stdint.h>

#include "deconflict/status.h"

#define DC_MAX_POLYGON_VERTICES 10000
#define DC_MAX_CORRIDOR_POINTS 1000
#define DC_MAX_WINDOW_S (7 * 24 * 3600)
/* Footprints must lie within this latitude and span at most this far. */
#define DC_MAX_ABS_LAT_DEG 85.0
#define DC_MAX_FOOTPRINT_SPAN_M 2500000.0

typedef enum dc_footprint_kind {
    DC_FP_POLYGON = 1,
    DC_FP_CIRCLE = 2,
    DC_FP_CORRIDOR = 3
} dc_footprint_kind;

typedef struct dc_latlon {
    double lat_deg, lon_deg;
} dc_latlon;

/* Opaque footprint: immutable once built; precomputes unit vectors, the
 * bounding box and (polygons) a gnomonic frame. */
typedef struct dc_footprint dc_footprint;

/* Builds a footprint. pts: polygon ring (closing point optional), the circle's
 * centre (n = 1) or the corridor's centre line. radius_m: circle radius or
 * corridor half-width (ignored for polygons). field: JSON path used as the
 * prefix of error fields, e.g. "volumes[0].footprint". Validates everything
 * (ranges, NaN, distinct points, self-intersection, limits, antimeridian).
 * On success *out is owned by the caller: free with dc_footprint_free(). */
dc_status dc_footprint_new(dc_footprint_kind kind, const dc_latlon *pts, uint32_t n,
                           double radius_m, const char *field, dc_footprint **out, dc_error *err);
void dc_footprint_free(dc_footprint *fp); /* accepts NULL */
dc_footprint *dc_footprint_clone(const dc_footprint *fp);

dc_footprint_kind dc_footprint_kind_of(const dc_footprint *fp);
double dc_footprint_radius_m(const dc_footprint *fp);
/* Core vertices (ring without closing point / centre / centre line); borrowed. */
const dc_latlon *dc_footprint_points(const dc_footprint *fp, uint32_t *n);
/* Bounding box of the whole footprint (radius included), degrees. */
void dc_footprint_bbox(const dc_footprint *fp, double *lat_min, double *lon_min, double *lat_max,
                       double *lon_max);

/* Ellipsoidal distance in metres between two footprints, 0 when they overlap. */
double dc_footprint_distance_m(const dc_footprint *a, const dc_footprint *b);

/* True when dc_footprint_distance_m(a, b) < limit_m, decided without
 * computing the exact distance where bounds already tell (the hot path). */
int dc_footprint_within(const dc_footprint *a, const dc_footprint *b, double limit_m);

/* Geodesic distance between two points, metres (PROJ geod_inverse). */
double dc_geodesic_m(double lat1, double lon1, double lat2, double lon2);

/* A 4D volume: footprint x altitude band [lower, upper] x time [start, end). */
typedef struct dc_volume {
    dc_footprint *fp; /* owned */
    double alt_lower_m, alt_upper_m;
    int64_t t_start_s, t_end_s;
} dc_volume;

/* Validates alt/time and fills v (taking ownership of fp on success only). */
dc_status dc_volume_init(dc_volume *v, dc_footprint *fp, double alt_lower_m, double alt_upper_m,
                         int64_t t_start_s, int64_t t_end_s, int64_t max_window_s,
                         const char *field, dc_error *err);
void dc_volume_clear(dc_volume *v); /* frees fp; accepts NULL/empty */

/* Time: RFC 3339 parse (UTC "Z" or offsets; fractional seconds are rounded
 * outward by the caller's choice: round_up=0 floors, 1 ceils). */
dc_status dc_time_parse(const char *s, int round_up, int64_t *out_s);
/* Formats whole seconds as "YYYY-MM-DDTHH:MM:SSZ" into buf (>= 21 bytes). */
void dc_time_format(int64_t t_s, char *buf, size_t len);

#endif
