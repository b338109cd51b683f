/* Footprint geometry and validation: distances against PROJ geodesics,
 * overlap cases, strictness, and every rejection naming its field. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "deconflict/deconflict.h"

static dc_footprint *mk(dc_footprint_kind k, const dc_latlon *p, uint32_t n, double r)
{
    dc_footprint *fp = NULL;
    dc_error err;
    assert_int_equal(dc_footprint_new(k, p, n, r, "f", &fp, &err), DC_OK);
    return fp;
}

static dc_footprint *circle(double lat, double lon, double r)
{
    dc_latlon c = {lat, lon};
    return mk(DC_FP_CIRCLE, &c, 1, r);
}

static dc_footprint *box(double lat0, double lon0, double lat1, double lon1)
{
    dc_latlon p[4] = {{lat0, lon0}, {lat0, lon1}, {lat1, lon1}, {lat1, lon0}};
    return mk(DC_FP_POLYGON, p, 4, 0);
}

static void test_circle_circle_matches_geodesic(void **state)
{
    (void)state;
    for (int i = 0; i < 50; i++) {
        double lat1 = 29 + i * 0.15, lon1 = 39 + i * 0.17;
        double lat2 = lat1 + 0.3 * sin(i), lon2 = lon1 + 0.4 * cos(i);
        dc_footprint *a = circle(lat1, lon1, 1000), *b = circle(lat2, lon2, 2500);
        double g = dc_geodesic_m(lat1, lon1, lat2, lon2);
        double d = dc_footprint_distance_m(a, b);
        assert_true(fabs(d - fmax(0, g - 3500)) < 1e-6);
        /* strict <: exactly d apart is clear, a millimetre more is a conflict */
        if (d > 1) {
            assert_false(dc_footprint_within(a, b, d - 0.001));
            assert_true(dc_footprint_within(a, b, d + 0.001));
        }
        dc_footprint_free(a);
        dc_footprint_free(b);
    }
}

static void test_point_to_meridian_edge(void **state)
{
    (void)state;
    /* Polygon whose west edge lies on the meridian 45 E; a point east of it
     * (outside). Nearest point: on that edge; compare with the geodesic to
     * the foot on the meridian (great circle = meridian here). */
    dc_footprint *poly = box(33.0, 44.0, 34.0, 45.0);
    dc_footprint *c = circle(33.5, 45.2, 100);
    double d = dc_footprint_distance_m(poly, c);
    double best = INFINITY;
    for (double la = 33.4; la <= 33.6; la += 0.00001)
        best = fmin(best, dc_geodesic_m(33.5, 45.2, la, 45.0));
    assert_true(fabs(d - (best - 100)) < 1.0);
    dc_footprint_free(poly);
    dc_footprint_free(c);
}

static void test_overlaps_are_zero(void **state)
{
    (void)state;
    dc_footprint *big = box(33, 44, 34, 45), *small = box(33.4, 44.4, 33.6, 44.6);
    dc_footprint *inside = circle(33.5, 44.5, 10);
    assert_true(dc_footprint_distance_m(big, small) == 0);
    assert_true(dc_footprint_distance_m(small, big) == 0);
    assert_true(dc_footprint_distance_m(big, inside) == 0);
    /* An X of two thin slabs: no vertex of one inside the other. */
    dc_footprint *h = box(33.49, 44.0, 33.51, 45.0), *v = box(33.0, 44.49, 34.0, 44.51);
    assert_true(dc_footprint_distance_m(h, v) == 0);
    assert_true(dc_footprint_within(h, v, 1));
    /* A corridor passing through a polygon without a vertex inside it. */
    dc_latlon line[2] = {{33.5, 43.0}, {33.5, 46.0}};
    dc_footprint *cor = mk(DC_FP_CORRIDOR, line, 2, 50);
    assert_true(dc_footprint_distance_m(cor, small) == 0);
    dc_footprint_free(big);
    dc_footprint_free(small);
    dc_footprint_free(inside);
    dc_footprint_free(h);
    dc_footprint_free(v);
    dc_footprint_free(cor);
}

/* Regression (fuzz_footprint): a corridor of one 70 um edge measured 1.6 m
 * from itself, because a x b of nearly equal unit vectors is rounding noise
 * and its caps were computed with acos near 1. */
static void test_tiny_edges_measure_zero_to_themselves(void **state)
{
    (void)state;
    dc_latlon p[2] = {{13.058823529411846, 25.315632867937907},
                      {13.058823529917094, 25.315632867495648}};
    dc_footprint *f = mk(DC_FP_CORRIDOR, p, 2, 1e-3);
    assert_true(dc_footprint_distance_m(f, f) == 0);
    assert_true(dc_footprint_within(f, f, 1e-3));
    /* a point 1 m beside the tiny edge measures 1 m */
    dc_footprint *c = circle(13.058823529411846 + 1.0 / 110600, 25.315632867937907, 1e-3);
    double d = dc_footprint_distance_m(f, c);
    assert_true(fabs(d - 1.0) < 0.01);
    dc_footprint_free(f);
    dc_footprint_free(c);
}

/* Regression (fuzz_footprint): arcs on the same meridian 10 m apart were
 * taken for crossing (their straddle signs are rounding noise), so the
 * distance was 0 while within() said clear. */
static void test_collinear_arcs_do_not_cross(void **state)
{
    (void)state;
    dc_latlon a[4] = {{19.864957656214244, -179.70336461432822},
                      {19.864957656214244, -179.88413548835166},
                      {19.681980361292368, -179.70337376960165},
                      {19.752750624964243, -179.70336461432822}};
    dc_latlon b[3] = {{19.865049208948619, -179.70336461432822},
                      {19.939481581995494, -179.70336461432822},
                      {19.875852431604869, -178.57836461432822}};
    dc_footprint *fa = mk(DC_FP_POLYGON, a, 4, 0), *fb = mk(DC_FP_CORRIDOR, b, 3, 1.024);
    double d = dc_footprint_distance_m(fa, fb);
    assert_true(fabs(d - dc_footprint_distance_m(fb, fa)) < 1e-6);
    double gap = dc_geodesic_m(a[0].lat_deg, a[0].lon_deg, b[0].lat_deg, b[0].lon_deg) - 1.024;
    assert_true(fabs(d - gap) < 0.01);
    assert_false(dc_footprint_within(fa, fb, d - 0.01));
    assert_true(dc_footprint_within(fa, fb, d + 0.01));
    dc_footprint_free(fa);
    dc_footprint_free(fb);
}

static void test_closing_point_optional(void **state)
{
    (void)state;
    dc_latlon open[3] = {{33, 44}, {33, 45}, {34, 44.5}};
    dc_latlon closed[4] = {{33, 44}, {33, 45}, {34, 44.5}, {33, 44}};
    dc_footprint *a = mk(DC_FP_POLYGON, open, 3, 0), *b = mk(DC_FP_POLYGON, closed, 4, 0);
    dc_footprint *c = circle(32.5, 44.5, 500);
    assert_true(fabs(dc_footprint_distance_m(a, c) - dc_footprint_distance_m(b, c)) < 1e-9);
    uint32_t n;
    dc_footprint_points(b, &n);
    assert_int_equal(n, 3);
    dc_footprint_free(a);
    dc_footprint_free(b);
    dc_footprint_free(c);
}

static void expect_invalid(dc_footprint_kind k, const dc_latlon *p, uint32_t n, double r,
                           const char *field, const char *reason_part)
{
    dc_footprint *fp = (dc_footprint *)0x1;
    dc_error err = {{0}, {0}};
    assert_int_equal(dc_footprint_new(k, p, n, r, "volumes[2].footprint", &fp, &err), DC_EINVAL);
    assert_null(fp);
    assert_string_equal(err.field, field);
    if (!strstr(err.reason, reason_part))
        fail_msg("reason '%s' lacks '%s'", err.reason, reason_part);
}

static void test_rejections_name_field(void **state)
{
    (void)state;
    dc_latlon bowtie[5] = {{33, 44}, {33, 45}, {34, 44}, {34, 45}, {33, 44}};
    dc_footprint *fp;
    dc_error err;
    assert_int_equal(
        dc_footprint_new(DC_FP_POLYGON, bowtie, 5, 0, "volumes[2].footprint", &fp, &err),
        DC_EINVAL);
    assert_non_null(strstr(err.field, "volumes[2].footprint.coordinates[0]["));
    assert_non_null(strstr(err.reason, "self-intersects"));
    dc_latlon two[4] = {{33, 44}, {33, 45}, {33, 45}, {33, 44}};
    expect_invalid(DC_FP_POLYGON, two, 4, 0, "volumes[2].footprint.coordinates[0]", "distinct");
    dc_latlon nan_pt[3] = {{33, 44}, {NAN, 45}, {34, 44}};
    expect_invalid(DC_FP_POLYGON, nan_pt, 3, 0, "volumes[2].footprint.coordinates[0][1]", "finite");
    dc_latlon badlat = {91, 44};
    expect_invalid(DC_FP_CIRCLE, &badlat, 1, 100, "volumes[2].footprint.coordinates", "latitude");
    dc_latlon c = {33, 44};
    expect_invalid(DC_FP_CIRCLE, &c, 1, 0, "volumes[2].footprint.radius_m", "> 0");
    expect_invalid(DC_FP_CIRCLE, &c, 1, -5, "volumes[2].footprint.radius_m", "> 0");
    dc_latlon am[2] = {{10, 179.5}, {10, -179.5}};
    expect_invalid(DC_FP_CORRIDOR, am, 2, 100, "volumes[2].footprint.coordinates", "antimeridian");
    dc_latlon am2 = {10, 179.99};
    expect_invalid(DC_FP_CIRCLE, &am2, 1, 5000, "volumes[2].footprint.coordinates", "antimeridian");
    dc_latlon polar[3] = {{86, 0}, {86, 10}, {87, 5}};
    expect_invalid(DC_FP_POLYGON, polar, 3, 0, "volumes[2].footprint.coordinates[0][0]", "polar");
    dc_latlon one[1] = {{33, 44}};
    expect_invalid(DC_FP_CORRIDOR, one, 1, 100, "volumes[2].footprint.coordinates", "at least 2");
    expect_invalid(DC_FP_CORRIDOR, two, 2, 0, "volumes[2].footprint.half_width_m", "> 0");
    static dc_latlon many[DC_MAX_POLYGON_VERTICES + 5];
    for (int i = 0; i < DC_MAX_POLYGON_VERTICES + 5; i++)
        many[i] = (dc_latlon){33 + 0.5 * sin(i * 0.001), 44 + 0.5 * cos(i * 0.001)};
    expect_invalid(DC_FP_POLYGON, many, DC_MAX_POLYGON_VERTICES + 5, 0,
                   "volumes[2].footprint.coordinates[0]", "too many");
    dc_latlon huge[3] = {{0, 0}, {0, 30}, {20, 15}};
    expect_invalid(DC_FP_POLYGON, huge, 3, 0, "volumes[2].footprint.coordinates[0]", "spans");
}

static void test_large_polygon_accepted(void **state)
{
    (void)state;
    /* 10,000 vertices on a 100 km circle: valid, and distances sane. */
    static dc_latlon ring[DC_MAX_POLYGON_VERTICES];
    for (int i = 0; i < DC_MAX_POLYGON_VERTICES; i++) {
        double a = 2 * M_PI * i / DC_MAX_POLYGON_VERTICES;
        ring[i] = (dc_latlon){33 + 0.9 * sin(a), 44 + 1.08 * cos(a)};
    }
    dc_footprint *p = mk(DC_FP_POLYGON, ring, DC_MAX_POLYGON_VERTICES, 0);
    dc_footprint *c = circle(33, 44, 10);
    assert_true(dc_footprint_distance_m(p, c) == 0);
    dc_footprint_free(p);
    dc_footprint_free(c);
}

static void test_time_parse(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(dc_time_parse("1970-01-01T00:00:00Z", 0, &t), DC_OK);
    assert_int_equal(t, 0);
    assert_int_equal(dc_time_parse("2014-12-02T06:00:00Z", 0, &t), DC_OK);
    assert_int_equal(t, 1417500000);
    assert_int_equal(dc_time_parse("2014-12-02T09:00:00+03:00", 0, &t), DC_OK);
    assert_int_equal(t, 1417500000);
    assert_int_equal(dc_time_parse("2014-12-02T06:00:00.5Z", 0, &t), DC_OK);
    assert_int_equal(t, 1417500000);
    assert_int_equal(dc_time_parse("2014-12-02T06:00:00.5Z", 1, &t), DC_OK);
    assert_int_equal(t, 1417500001);
    const char *bad[] = {"2014-12-02",           "2014-13-02T06:00:00Z", "2014-02-30T06:00:00Z",
                         "2015-02-29T00:00:00Z", "2014-12-02T06:00:00",  "2014-12-02T06:00:00Zx",
                         "x014-12-02T06:00:00Z", "2014-12-02T24:00:00Z", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(dc_time_parse(bad[i], 0, &t), DC_EINVAL);
    /* Validity never depends on the rounding asked for (fuzz_time found a
     * leap second whose floor fell in 1899 while its ceiling did not). */
    const char *edge[] = {"1900-01-01T00:00:60+00:01", "9999-12-31T23:59:59.5Z",
                          "9999-12-31T23:59:60Z", "1900-01-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        int64_t lo, hi;
        assert_int_equal(dc_time_parse(edge[i], 0, &lo), dc_time_parse(edge[i], 1, &hi));
    }
    assert_int_equal(dc_time_parse("9999-12-31T23:59:59.5Z", 1, &t), DC_EINVAL);
    assert_int_equal(dc_time_parse("1900-01-01T00:00:00Z", 0, &t), DC_OK);
    char buf[32];
    dc_time_format(1417500000, buf, sizeof buf);
    assert_string_equal(buf, "2014-12-02T06:00:00Z");
    dc_time_format(951782400, buf, sizeof buf); /* leap day 2000 */
    assert_string_equal(buf, "2000-02-29T00:00:00Z");
}

static void test_volume_init(void **state)
{
    (void)state;
    dc_volume v;
    dc_error err;
    dc_footprint *fp = circle(33, 44, 100);
    assert_int_equal(dc_volume_init(&v, fp, 3000, 1000, 0, 10, DC_MAX_WINDOW_S, "volumes[0]", &err),
                     DC_EINVAL);
    assert_string_equal(err.field, "volumes[0].altitude_lower_m");
    assert_int_equal(dc_volume_init(&v, fp, 0, 1000, 10, 10, DC_MAX_WINDOW_S, "volumes[0]", &err),
                     DC_EINVAL);
    assert_string_equal(err.field, "volumes[0].time_end");
    assert_int_equal(dc_volume_init(&v, fp, 0, 1000, 0, DC_MAX_WINDOW_S + 1, DC_MAX_WINDOW_S,
                                    "volumes[0]", &err),
                     DC_EINVAL);
    assert_non_null(strstr(err.reason, "longer"));
    assert_int_equal(dc_volume_init(&v, fp, NAN, 1000, 0, 10, DC_MAX_WINDOW_S, "volumes[0]", &err),
                     DC_EINVAL);
    assert_int_equal(dc_volume_init(&v, fp, 0, 1000, 0, 10, DC_MAX_WINDOW_S, "volumes[0]", &err),
                     DC_OK);
    dc_volume_clear(&v);
    assert_null(v.fp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_circle_circle_matches_geodesic),
        cmocka_unit_test(test_point_to_meridian_edge),
        cmocka_unit_test(test_overlaps_are_zero),
        cmocka_unit_test(test_tiny_edges_measure_zero_to_themselves),
        cmocka_unit_test(test_collinear_arcs_do_not_cross),
        cmocka_unit_test(test_closing_point_optional),
        cmocka_unit_test(test_rejections_name_field),
        cmocka_unit_test(test_large_polygon_accepted),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_volume_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
