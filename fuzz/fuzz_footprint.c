/* Fuzz target: footprint construction from arbitrary coordinates
 * (dc_footprint_new) and the distance functions on pairs (geo.h).
 * Coordinates come either as raw doubles (NaN, infinities, out of range) or
 * as offsets from a centre at a chosen scale, so that most inputs build
 * valid, often degenerate footprints (collinear, microscopic, huge).
 * Properties: accepted footprints have a bbox holding their vertices;
 * distance is finite, >= 0, 0 to itself (within that tolerance), symmetric within the accuracy the
 * design promises (1 m or 0.1 %), the same on a clone; and within(limit)
 * agrees with distance() < limit wherever the limit is beyond that
 * tolerance from the distance. */
#include <math.h>

#include "deconflict/geo.h"
#include "fuzz_common.h"

#define MAX_PTS 48

typedef struct spec {
    dc_footprint_kind kind;
    dc_latlon pts[MAX_PTS];
    uint32_t n;
    double radius_m;
} spec;

static const double scales_deg[] = {1e-9, 1e-6, 1e-4, 1e-2, 0.3, 3.0, 12.0};

static double pick_radius(fz_reader *r, int raw)
{
    if (raw)
        return fz_f64(r);
    double m = fz_u16(r);
    return m * pow(10.0, (double)(fz_u8(r) % 8) - 3.0); /* 0 .. 6.5e7 m */
}

static void read_spec(fz_reader *r, spec *s, const dc_latlon *near)
{
    s->kind = (dc_footprint_kind)(fz_u8(r) % 3 + 1);
    uint8_t flags = fz_u8(r);
    s->n = s->kind == DC_FP_CIRCLE ? 1 : 1 + fz_u8(r) % MAX_PTS;
    if (flags & 0x40) /* wrong counts for the kind */
        s->n = fz_u8(r) % (MAX_PTS + 1);
    double scale = scales_deg[fz_u8(r) % (sizeof scales_deg / sizeof scales_deg[0])];
    double clat = fz_u16(r) / 65535.0 * 180.0 - 90.0, clon = fz_u16(r) / 65535.0 * 360.0 - 180.0;
    if (near && (flags & 0x10)) {
        clat = near->lat_deg + (int16_t)fz_u16(r) / 32768.0 * scale;
        clon = near->lon_deg + (int16_t)fz_u16(r) / 32768.0 * scale;
    }
    for (uint32_t i = 0; i < s->n; i++) {
        if (flags & 0x01) {
            s->pts[i].lat_deg = fz_f64(r);
            s->pts[i].lon_deg = fz_f64(r);
        } else if ((flags & 0x20) && i && (fz_u8(r) & 3) == 0) { /* repeat an earlier point */
            s->pts[i] = s->pts[fz_u8(r) % i];
        } else {
            s->pts[i].lat_deg = clat + (int16_t)fz_u16(r) / 32768.0 * scale;
            s->pts[i].lon_deg = clon + (int16_t)fz_u16(r) / 32768.0 * scale;
        }
    }
    s->radius_m = pick_radius(r, flags & 0x02);
}

static dc_footprint *build(const spec *s, const char *field)
{
    dc_footprint *fp = NULL;
    dc_error err = {{0}, {0}};
    dc_status st = dc_footprint_new(s->kind, s->pts, s->n, s->radius_m, field, &fp, &err);
    if (st != DC_OK) {
        FZ_CHECK(st == DC_EINVAL, "status %s", dc_status_str(st));
        FZ_CHECK(err.field[0] && err.reason[0], "rejection without field/reason");
        FZ_CHECK(!strncmp(err.field, field, strlen(field)), "field '%s' lacks prefix '%s'",
                 err.field, field);
        FZ_CHECK(fp == NULL, "error left a footprint");
        return NULL;
    }
    FZ_CHECK(fp, "DC_OK without a footprint");
    FZ_CHECK(dc_footprint_kind_of(fp) == s->kind, "kind changed");
    uint32_t n;
    const dc_latlon *p = dc_footprint_points(fp, &n);
    double la0, lo0, la1, lo1;
    dc_footprint_bbox(fp, &la0, &lo0, &la1, &lo1);
    FZ_CHECK(n >= 1 && n <= s->n, "core has %u vertices of %u", n, s->n);
    for (uint32_t i = 0; i < n; i++) {
        FZ_CHECK(p[i].lat_deg >= la0 && p[i].lat_deg <= la1 && p[i].lon_deg >= lo0 &&
                     p[i].lon_deg <= lo1,
                 "vertex %u (%.17g, %.17g) outside bbox [%.17g, %.17g]x[%.17g, %.17g]", i,
                 p[i].lat_deg, p[i].lon_deg, la0, la1, lo0, lo1);
    }
    return fp;
}

static double tol_m(double d)
{
    return fmax(1.0, 1e-3 * d);
}

/* within(limit) must match distance < limit unless limit is within tol. */
static void check_within(const dc_footprint *a, const dc_footprint *b, double lo, double hi,
                         double limit)
{
    if (!(limit > 0) || !isfinite(limit))
        return;
    double t = tol_m(hi);
    int w_ab = dc_footprint_within(a, b, limit), w_ba = dc_footprint_within(b, a, limit);
    if (limit > hi + t) {
        FZ_CHECK(w_ab && w_ba, "within(%.17g) = %d/%d but distance %.17g", limit, w_ab, w_ba, hi);
    } else if (limit < lo - t) {
        FZ_CHECK(!w_ab && !w_ba, "within(%.17g) = %d/%d but distance %.17g", limit, w_ab, w_ba, lo);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reader r = {data, size};
    static spec sa, sb;
    read_spec(&r, &sa, NULL);
    read_spec(&r, &sb, &sa.pts[0]);
    double limit = pick_radius(&r, 0);
    dc_footprint *a = build(&sa, "a.footprint"), *b = build(&sb, "b.footprint");
    if (a) {
        double d_aa = dc_footprint_distance_m(a, a);
        /* Overlap is 0 in exact arithmetic; unit-vector rounding on
         * centimetre-sized rings leaves millimetres, within the 1 m bar. */
        FZ_CHECK(d_aa >= 0 && d_aa < tol_m(0), "distance to itself %.17g", d_aa);
    }
    if (a && b) {
        double d_ab = dc_footprint_distance_m(a, b), d_ba = dc_footprint_distance_m(b, a);
        FZ_CHECK(isfinite(d_ab) && d_ab >= 0, "distance %.17g", d_ab);
        FZ_CHECK(isfinite(d_ba) && d_ba >= 0, "distance %.17g", d_ba);
        FZ_CHECK(fabs(d_ab - d_ba) <= tol_m(fmax(d_ab, d_ba)), "asymmetric: %.17g vs %.17g", d_ab,
                 d_ba);
        dc_footprint *c = dc_footprint_clone(a);
        FZ_CHECK(c, "clone failed");
        FZ_CHECK(dc_footprint_distance_m(c, b) == d_ab, "clone measures differently");
        dc_footprint_free(c);
        double lo = fmin(d_ab, d_ba), hi = fmax(d_ab, d_ba);
        check_within(a, b, lo, hi, limit);
        check_within(a, b, lo, hi, hi + tol_m(hi) * 1.01);
        check_within(a, b, lo, hi, lo - tol_m(hi) * 1.01);
        check_within(a, b, lo, hi, lo * 0.5);
        check_within(a, b, lo, hi, hi * 2 + 10);
    }
    dc_footprint_free(a);
    dc_footprint_free(b);
    return 0;
}
