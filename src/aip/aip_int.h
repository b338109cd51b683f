/* Shared by the src/aip/ parsers and writers: the import context (result,
 * options), rings built from lines, arcs and circles, altitude conversion and
 * weekly schedules. Private to src/aip/. */
#ifndef DC_AIP_INT_H
#define DC_AIP_INT_H

#include <stdarg.h>

#include "deconflict/aip.h"
#include "deconflict/geo.h"

#define DC__FT_M 0.3048
#define DC__NM_M 1852.0

/* Vertical references of a limit before conversion to metres AMSL. */
typedef enum dc__vref { DC__AMSL = 0, DC__AGL = 1, DC__STD = 2 } dc__vref;

typedef struct dc__aip {
    const dc_aip_options *opt;
    dc_aip_result *res;
    dc_error *err; /* the first refusal */
    int oom;
} dc__aip;

/* Records a refused item (printf-style reason). */
void dc__aip_refuse(dc__aip *a, const char *item, const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void dc__aip_skip(dc__aip *a, const char *item, const char *reason);

/* Validates volumes (steals the reference) as the server would and, when
 * valid, appends {"source", "name", "exempt", "volumes"}; refuses the item
 * otherwise (field named). Duplicate sources are refused. */
void dc__aip_add(dc__aip *a, const char *source, const char *name, json_t *volumes);

/* Limit in metres AMSL: value in unit (metres per unit) above ref; upper
 * chooses how AGL is made conservative (aip.h). */
double dc__aip_alt_m(const dc__aip *a, double value, double unit_m, dc__vref ref, int upper);

/* One volume {footprint, altitude_lower_m, altitude_upper_m, time_start,
 * time_end}; steals footprint. */
json_t *dc__aip_volume(json_t *footprint, double lo_m, double hi_m, int64_t t0, int64_t t1);

/* A polygon under construction (lat/lon degrees). */
typedef struct dc__ring {
    dc_latlon *p;
    size_t n, cap;
    int oom;
} dc__ring;
void dc__ring_add(dc__ring *r, double lat, double lon);
/* Appends the arc around c of radius r_m from bearing az0 to az1 (degrees
 * true), clockwise when cw, both ends included, chord error at most
 * DC_AIP_CHORD_ERROR_M (outside > 0: vertices pushed outward so the chords
 * enclose the arc). */
void dc__ring_arc(dc__ring *r, dc_latlon c, double r_m, double az0, double az1, int cw,
                  int outside);
void dc__ring_free(dc__ring *r);
/* GeoJSON Polygon of the ring (closed, duplicates dropped); new reference or
 * NULL when fewer than 3 distinct points. */
json_t *dc__ring_polygon(const dc__ring *r);
json_t *dc__circle_footprint(dc_latlon c, double r_m);

/* Geodesic helpers on WGS84 (PROJ). */
void dc__geo_direct(dc_latlon from, double az_deg, double s_m, dc_latlon *to);
void dc__geo_inverse(dc_latlon a, dc_latlon b, double *s_m, double *az_deg);

/* A weekly rule: days bit 0 = Monday .. bit 6 = Sunday; minutes UTC of the
 * day [start_min, end_min), end_min > 1440 runs into the next day. */
typedef struct dc__weekly {
    unsigned days;
    int start_min, end_min;
} dc__weekly;
/* Windows [t0, t1) of the union of rules within [from, to), appended to arr
 * as [t0, t1] pairs, at most max; returns the count or -1 when more. */
int dc__weekly_expand(const dc__weekly *w, size_t n, int64_t from, int64_t to, int64_t (*out)[2],
                      int max);
/* Volumes for one footprint (borrowed) and band over the validity [v0, v1)
 * with optional weekly rules: expanded within the horizon, one conservative
 * volume after it; appended to vols. Returns 0, or -1 when over the limit. */
int dc__aip_timed_volumes(const dc__aip *a, json_t *vols, const json_t *footprint, double lo,
                          double hi, int64_t v0, int64_t v1, const dc__weekly *w, size_t nw);

dc_status dc__ed318_import(dc__aip *a, const char *buf, size_t len);
dc_status dc__openair_import(dc__aip *a, const char *buf, size_t len);
dc_status dc__aixm_import(dc__aip *a, const char *buf, size_t len);

#endif
