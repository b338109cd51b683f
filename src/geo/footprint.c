/* Footprint construction and validation (geo.h). A footprint is built once,
 * validated completely, and then immutable; everything the hot path needs
 * (unit vectors, edge caps, gnomonic frame, bbox) is precomputed here in one
 * allocation. Self-intersection is decided by GEOS in the gnomonic plane,
 * where great-circle edges are straight, so GEOS's planar answer is exact. */
#include <float.h>
#include <geos_c.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "geo/geo_int.h"

#define DEG2RAD (M_PI / 180.0)
#define RAD2DEG (180.0 / M_PI)

static dc__vec3 v_cross(dc__vec3 a, dc__vec3 b)
{
    return (dc__vec3){a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
static double v_dot(dc__vec3 a, dc__vec3 b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}
static double v_chord2(dc__vec3 a, dc__vec3 b)
{
    double dx = a.x - b.x, dy = a.y - b.y, dz = a.z - b.z;
    return dx * dx + dy * dy + dz * dz;
}
static dc__vec3 v_norm(dc__vec3 a)
{
    double l = sqrt(v_dot(a, a));
    return l > 0 ? (dc__vec3){a.x / l, a.y / l, a.z / l} : a;
}

dc__vec3 dc__to_vec(double lat_deg, double lon_deg)
{
    double la = lat_deg * DEG2RAD, lo = lon_deg * DEG2RAD;
    return (dc__vec3){cos(la) * cos(lo), cos(la) * sin(lo), sin(la)};
}

void dc__to_latlon(dc__vec3 v, double *lat_deg, double *lon_deg)
{
    *lat_deg = atan2(v.z, sqrt(v.x * v.x + v.y * v.y)) * RAD2DEG;
    *lon_deg = atan2(v.y, v.x) * RAD2DEG;
}

void dc__bbox_grow(double *lat_min, double *lon_min, double *lat_max, double *lon_max,
                   double dist_m)
{
    if (dist_m <= 0)
        return;
    double a = dist_m * 1.01 / DC__M_MIN_M; /* radians, conservative */
    double dlat = a * RAD2DEG;
    double la_max = fmax(fabs(*lat_min), fabs(*lat_max)) + dlat;
    double dlon = 180.0;
    if (la_max < 89.9) {
        double s = sin(a) / cos(la_max * DEG2RAD);
        dlon = s >= 1.0 ? 180.0 : asin(s) * RAD2DEG;
    }
    *lat_min = fmax(-90.0, *lat_min - dlat);
    *lat_max = fmin(90.0, *lat_max + dlat);
    *lon_min -= dlon;
    *lon_max += dlon;
}

static void field_at(char *buf, size_t len, const char *field, const char *fmt, ...)
{
    char tail[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tail, sizeof tail, fmt, ap);
    va_end(ap);
    snprintf(buf, len, "%s%s", field ? field : "", tail);
}

/* Maximum and minimum latitude (degrees) reached by the arc a->b. */
static void arc_lat_range(dc__vec3 a, dc__vec3 b, double *lo, double *hi)
{
    double la, lb, dummy;
    dc__to_latlon(a, &la, &dummy);
    dc__to_latlon(b, &lb, &dummy);
    *lo = fmin(la, lb);
    *hi = fmax(la, lb);
    /* (a + b) x (b - a): accurate for short arcs, see distance.c */
    dc__vec3 n = v_cross((dc__vec3){a.x + b.x, a.y + b.y, a.z + b.z},
                         (dc__vec3){b.x - a.x, b.y - a.y, b.z - a.z});
    double nl = sqrt(v_dot(n, n));
    if (nl < 1e-15)
        return;
    n = (dc__vec3){n.x / nl, n.y / nl, n.z / nl};
    /* Highest point of the great circle: z axis projected on its plane. */
    dc__vec3 top = {-n.z * n.x, -n.z * n.y, 1.0 - n.z * n.z};
    double tl = sqrt(v_dot(top, top));
    if (tl < 1e-15)
        return; /* equator-like circle through the poles? no apex */
    top = (dc__vec3){top.x / tl, top.y / tl, top.z / tl};
    for (int s = 0; s < 2; s++) {
        dc__vec3 p = s ? (dc__vec3){-top.x, -top.y, -top.z} : top;
        if (v_dot(v_cross(a, p), n) >= 0 && v_dot(v_cross(p, b), n) >= 0) {
            double lp, lo_;
            dc__to_latlon(p, &lp, &lo_);
            *lo = fmin(*lo, lp);
            *hi = fmax(*hi, lp);
        }
    }
}

/* Locates the ring vertex nearest to a GEOS-reported problem point. */
static uint32_t nearest_vertex(const double *gxy, uint32_t n, double x, double y)
{
    uint32_t best = 0;
    double bd = DBL_MAX;
    for (uint32_t i = 0; i < n; i++) {
        double dx = gxy[2 * i] - x, dy = gxy[2 * i + 1] - y;
        double d = dx * dx + dy * dy;
        if (d < bd) {
            bd = d;
            best = i;
        }
    }
    return best;
}

static void geos_quiet(const char *fmt, ...)
{
    (void)fmt;
}

/* 0 when the gnomonic ring is a simple polygon; else sets *bad_vertex. */
static int ring_simple(const double *gxy, uint32_t n, uint32_t *bad_vertex, char *why, size_t wlen)
{
    GEOSContextHandle_t h = GEOS_init_r();
    int rc = -1;
    if (!h) {
        snprintf(why, wlen, "geometry engine unavailable");
        *bad_vertex = 0;
        return -1;
    }
    GEOSContext_setNoticeHandler_r(h, geos_quiet);
    GEOSContext_setErrorHandler_r(h, geos_quiet);
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, n + 1, 2);
    GEOSGeometry *ring = NULL, *poly = NULL;
    if (!cs)
        goto fail;
    for (uint32_t i = 0; i <= n; i++) {
        uint32_t k = i % n;
        GEOSCoordSeq_setXY_r(h, cs, i, gxy[2 * k], gxy[2 * k + 1]);
    }
    ring = GEOSGeom_createLinearRing_r(h, cs);
    cs = NULL;
    if (!ring)
        goto fail;
    poly = GEOSGeom_createPolygon_r(h, ring, NULL, 0);
    ring = NULL;
    if (!poly)
        goto fail;
    char *reason = NULL;
    GEOSGeometry *loc = NULL;
    char valid = GEOSisValidDetail_r(h, poly, 0, &reason, &loc);
    if (valid == 1) {
        rc = 0;
    } else {
        double x = 0, y = 0;
        if (loc) {
            GEOSGeomGetX_r(h, loc, &x);
            GEOSGeomGetY_r(h, loc, &y);
        }
        *bad_vertex = nearest_vertex(gxy, n, x, y);
        snprintf(why, wlen, "%s", "ring self-intersects");
        rc = 1;
    }
    if (reason)
        GEOSFree_r(h, reason);
    if (loc)
        GEOSGeom_destroy_r(h, loc);
fail:
    if (rc < 0)
        snprintf(why, wlen, "ring is not a valid polygon");
    if (cs)
        GEOSCoordSeq_destroy_r(h, cs);
    if (ring)
        GEOSGeom_destroy_r(h, ring);
    if (poly)
        GEOSGeom_destroy_r(h, poly);
    GEOS_finish_r(h);
    if (rc < 0)
        *bad_vertex = 0;
    return rc;
}

static const char *kind_coords_field(dc_footprint_kind kind)
{
    return kind == DC_FP_POLYGON ? ".coordinates[0]" : ".coordinates";
}

dc_status dc_footprint_new(dc_footprint_kind kind, const dc_latlon *pts, uint32_t n,
                           double radius_m, const char *field, dc_footprint **out, dc_error *err)
{
    char f[256];
    const char *cf = kind_coords_field(kind);
    *out = NULL;
    if (kind != DC_FP_POLYGON && kind != DC_FP_CIRCLE && kind != DC_FP_CORRIDOR)
        return dc_error_set(err, field, "unknown footprint kind");
    uint32_t max_n = kind == DC_FP_POLYGON  ? DC_MAX_POLYGON_VERTICES + 1
                     : kind == DC_FP_CIRCLE ? 1
                                            : DC_MAX_CORRIDOR_POINTS;
    if (n > max_n) {
        field_at(f, sizeof f, field, "%s", kind == DC_FP_CIRCLE ? ".coordinates" : cf);
        return dc_error_set(err, f, "too many points: %u (limit %u)", n,
                            kind == DC_FP_POLYGON ? DC_MAX_POLYGON_VERTICES : max_n);
    }
    for (uint32_t i = 0; i < n; i++) {
        double la = pts[i].lat_deg, lo = pts[i].lon_deg;
        if (kind == DC_FP_CIRCLE)
            field_at(f, sizeof f, field, ".coordinates");
        else
            field_at(f, sizeof f, field, "%s[%u]", cf, i);
        if (!isfinite(la) || !isfinite(lo))
            return dc_error_set(err, f, "coordinate is not a finite number");
        if (la < -90 || la > 90)
            return dc_error_set(err, f, "latitude %.6f outside [-90, 90]", la);
        if (lo < -180 || lo > 180)
            return dc_error_set(err, f, "longitude %.6f outside [-180, 180]", lo);
        if (fabs(la) > DC_MAX_ABS_LAT_DEG)
            return dc_error_set(err, f,
                                "latitude %.6f beyond +-%.0f: polar footprints are not supported",
                                la, DC_MAX_ABS_LAT_DEG);
    }
    if (kind != DC_FP_POLYGON) {
        field_at(f, sizeof f, field, "%s", kind == DC_FP_CIRCLE ? ".radius_m" : ".half_width_m");
        if (!isfinite(radius_m) || radius_m <= 0)
            return dc_error_set(err, f, "must be a number > 0");
        if (radius_m > DC_MAX_FOOTPRINT_SPAN_M / 2)
            return dc_error_set(err, f, "must be at most %.0f m", DC_MAX_FOOTPRINT_SPAN_M / 2);
    } else {
        radius_m = 0;
    }

    /* Drop consecutive duplicates (and the closing point of a ring). */
    uint32_t *keep = dc_malloc((n ? n : 1) * sizeof *keep);
    if (!keep)
        return DC_ENOMEM;
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (m && pts[keep[m - 1]].lat_deg == pts[i].lat_deg &&
            pts[keep[m - 1]].lon_deg == pts[i].lon_deg)
            continue;
        keep[m++] = i;
    }
    if (kind == DC_FP_POLYGON && m > 1 && pts[keep[m - 1]].lat_deg == pts[keep[0]].lat_deg &&
        pts[keep[m - 1]].lon_deg == pts[keep[0]].lon_deg)
        m--;
    uint32_t need = kind == DC_FP_POLYGON ? 3 : kind == DC_FP_CIRCLE ? 1 : 2;
    if (m < need) {
        dc_free(keep);
        field_at(f, sizeof f, field, "%s", kind == DC_FP_CIRCLE ? ".coordinates" : cf);
        return dc_error_set(
            err, f, n < need ? "needs at least %u points" : "needs at least %u distinct points",
            need);
    }
    if (kind == DC_FP_POLYGON && m > DC_MAX_POLYGON_VERTICES) {
        dc_free(keep);
        field_at(f, sizeof f, field, "%s", cf);
        return dc_error_set(err, f, "too many vertices: %u (limit %u)", m, DC_MAX_POLYGON_VERTICES);
    }
    /* Antimeridian: longitudes of one footprint must not wrap. */
    double lon_lo = 999, lon_hi = -999;
    for (uint32_t i = 0; i < m; i++) {
        lon_lo = fmin(lon_lo, pts[keep[i]].lon_deg);
        lon_hi = fmax(lon_hi, pts[keep[i]].lon_deg);
    }
    if (lon_hi - lon_lo > 180) {
        dc_free(keep);
        field_at(f, sizeof f, field, "%s", kind == DC_FP_CIRCLE ? ".coordinates" : cf);
        return dc_error_set(err, f,
                            "footprint crosses the antimeridian (180 degrees): not supported, "
                            "split it into two volumes");
    }

    uint32_t n_edges = kind == DC_FP_POLYGON ? m : kind == DC_FP_CORRIDOR ? m - 1 : 0;
    size_t bytes = sizeof(dc_footprint) + m * (sizeof(dc_latlon) + sizeof(dc__vec3)) +
                   n_edges * sizeof(dc__edgecap) +
                   (kind == DC_FP_POLYGON ? 2 * m * sizeof(double) : 0);
    dc_footprint *fp = dc_calloc(1, bytes);
    if (!fp) {
        dc_free(keep);
        return DC_ENOMEM;
    }
    fp->alloc_bytes = bytes;
    fp->kind = kind;
    fp->n = m;
    fp->n_edges = n_edges;
    fp->radius_m = radius_m;
    char *p = (char *)(fp + 1);
    fp->xyz = (dc__vec3 *)p;
    p += m * sizeof(dc__vec3);
    fp->edges = (dc__edgecap *)p;
    p += n_edges * sizeof(dc__edgecap);
    if (kind == DC_FP_POLYGON) {
        fp->gxy = (double *)p;
        p += 2 * m * sizeof(double);
    }
    fp->pts = (dc_latlon *)p;

    dc__vec3 sum = {0, 0, 0};
    for (uint32_t i = 0; i < m; i++) {
        fp->pts[i] = pts[keep[i]];
        fp->xyz[i] = dc__to_vec(fp->pts[i].lat_deg, fp->pts[i].lon_deg);
        sum.x += fp->xyz[i].x;
        sum.y += fp->xyz[i].y;
        sum.z += fp->xyz[i].z;
    }
    /* Cap centre: mean of the vertices (fine for footprints < a hemisphere). */
    fp->center = v_dot(sum, sum) > 1e-20 ? v_norm(sum) : fp->xyz[0];
    /* Chord radii are measured directly: acos of a dot product near 1 loses
     * everything below ~1e-8 rad (tens of centimetres), which once made the
     * caps of tiny footprints too small and pruned their true nearest pair. */
    double max_chord = 0;
    for (uint32_t i = 0; i < m; i++)
        max_chord = fmax(max_chord, sqrt(v_chord2(fp->center, fp->xyz[i])));
    double cap_angle = 2 * asin(fmin(1.0, max_chord / 2));
    fp->cap_chord = max_chord * (1 + 1e-12) + 1e-15;
    if (2 * (cap_angle * DC__R_MEAN_M / DC__RATIO_HI + radius_m) > DC_MAX_FOOTPRINT_SPAN_M * 1.01 ||
        cap_angle > M_PI / 4) {
        dc_free(keep);
        dc_free(fp);
        field_at(f, sizeof f, field, "%s", cf);
        return dc_error_set(err, f,
                            "footprint spans more than %.0f km: split it into several volumes",
                            DC_MAX_FOOTPRINT_SPAN_M / 1000);
    }

    double lat_lo = 999, lat_hi = -999;
    for (uint32_t i = 0; i < m; i++) {
        lat_lo = fmin(lat_lo, fp->pts[i].lat_deg);
        lat_hi = fmax(lat_hi, fp->pts[i].lat_deg);
    }
    for (uint32_t e = 0; e < n_edges; e++) {
        dc__vec3 a = fp->xyz[e], b = fp->xyz[(e + 1) % m];
        double lo, hi;
        arc_lat_range(a, b, &lo, &hi);
        lat_lo = fmin(lat_lo, lo);
        lat_hi = fmax(lat_hi, hi);
        dc__vec3 mid = v_norm((dc__vec3){a.x + b.x, a.y + b.y, a.z + b.z});
        double half_chord = fmax(sqrt(v_chord2(mid, a)), sqrt(v_chord2(mid, b)));
        fp->edges[e].mid = mid;
        fp->edges[e].chord = half_chord * (1 + 1e-12) + 1e-15;
    }
    fp->lat_min = lat_lo;
    fp->lat_max = lat_hi;
    fp->lon_min = lon_lo;
    fp->lon_max = lon_hi;
    dc__bbox_grow(&fp->lat_min, &fp->lon_min, &fp->lat_max, &fp->lon_max, radius_m);
    if (fp->lat_max > DC_MAX_ABS_LAT_DEG || fp->lat_min < -DC_MAX_ABS_LAT_DEG ||
        fp->lon_min < -180 || fp->lon_max > 180) {
        int polar = fp->lat_max > DC_MAX_ABS_LAT_DEG || fp->lat_min < -DC_MAX_ABS_LAT_DEG;
        dc_free(keep);
        dc_free(fp);
        field_at(f, sizeof f, field, "%s", kind == DC_FP_CIRCLE ? ".coordinates" : cf);
        return dc_error_set(err, f,
                            polar ? "footprint reaches beyond +-85 degrees latitude: polar "
                                    "footprints are not supported"
                                  : "footprint reaches across the antimeridian (180 "
                                    "degrees): not supported, split it into two volumes");
    }

    /* Gnomonic frame at the cap centre. */
    dc__vec3 up = fabs(fp->center.z) < 0.9 ? (dc__vec3){0, 0, 1} : (dc__vec3){1, 0, 0};
    fp->ge = v_norm(v_cross(up, fp->center));
    fp->gn = v_cross(fp->center, fp->ge);
    if (kind == DC_FP_POLYGON) {
        for (uint32_t i = 0; i < m; i++) {
            double d = v_dot(fp->xyz[i], fp->center);
            fp->gxy[2 * i] = v_dot(fp->xyz[i], fp->ge) / d;
            fp->gxy[2 * i + 1] = v_dot(fp->xyz[i], fp->gn) / d;
        }
        uint32_t bad = 0;
        char why[128];
        if (ring_simple(fp->gxy, m, &bad, why, sizeof why) != 0) {
            uint32_t orig = keep[bad];
            dc_free(keep);
            dc_free(fp);
            field_at(f, sizeof f, field, "%s[%u]", cf, orig);
            return dc_error_set(err, f, "%s", why);
        }
    }
    dc_free(keep);
    *out = fp;
    return DC_OK;
}

void dc_footprint_free(dc_footprint *fp)
{
    dc_free(fp);
}

dc_footprint *dc_footprint_clone(const dc_footprint *fp)
{
    if (!fp)
        return NULL;
    dc_footprint *c = dc_malloc(fp->alloc_bytes);
    if (!c)
        return NULL;
    memcpy(c, fp, fp->alloc_bytes);
    /* Re-point the internal arrays into the copy. */
    char *base = (char *)c, *obase = (char *)fp;
    c->xyz = (dc__vec3 *)(base + ((char *)fp->xyz - obase));
    c->edges = (dc__edgecap *)(base + ((char *)fp->edges - obase));
    c->pts = (dc_latlon *)(base + ((char *)fp->pts - obase));
    if (fp->gxy)
        c->gxy = (double *)(base + ((char *)fp->gxy - obase));
    return c;
}

dc_footprint_kind dc_footprint_kind_of(const dc_footprint *fp)
{
    return fp->kind;
}

double dc_footprint_radius_m(const dc_footprint *fp)
{
    return fp->radius_m;
}

const dc_latlon *dc_footprint_points(const dc_footprint *fp, uint32_t *n)
{
    *n = fp->n;
    return fp->pts;
}

void dc_footprint_bbox(const dc_footprint *fp, double *lat_min, double *lon_min, double *lat_max,
                       double *lon_max)
{
    *lat_min = fp->lat_min;
    *lon_min = fp->lon_min;
    *lat_max = fp->lat_max;
    *lon_max = fp->lon_max;
}
