/* Blind notice envelopes (src/airspace/notice.c): conservative (every point
 * within H of the footprint lies inside the envelope as the engine reads it,
 * at mid latitudes and near the 85 degree limit, for circles, corridors and
 * polygons), snapped outward to the grid, 300 m and 5 min, and refused
 * cleanly near the antimeridian. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "airspace/airspace.h"

static dc_server_config cfg(void)
{
    dc_server_config c;
    dc_server_config_default(&c);
    return c;
}

static dc_volume make(dc_footprint_kind kind, const dc_latlon *pts, uint32_t n, double r)
{
    dc_footprint *fp;
    dc_error err;
    assert_int_equal(dc_footprint_new(kind, pts, n, r, "f", &fp, &err), DC_OK);
    dc_volume v;
    assert_int_equal(
        dc_volume_init(&v, fp, 1234, 2345, 1000000007, 1000003607, DC_MAX_WINDOW_S, "v", &err),
        DC_OK);
    return v;
}

static double urand(void)
{
    return (double)rand() / RAND_MAX;
}

/* Samples points around v; any point within H of v must be in env. */
static void check_contains(const dc_volume *v, const dc_volume *env, double h_m)
{
    double la0, lo0, la1, lo1;
    dc_footprint_bbox(v->fp, &la0, &lo0, &la1, &lo1);
    int inside_h = 0;
    for (int i = 0; i < 3000; i++) {
        dc_latlon p = {la0 - 0.03 + urand() * (la1 - la0 + 0.06),
                       lo0 - 0.06 + urand() * (lo1 - lo0 + 0.12)};
        dc_footprint *pt;
        dc_error err;
        assert_int_equal(dc_footprint_new(DC_FP_CIRCLE, &p, 1, 0.01, "p", &pt, &err), DC_OK);
        if (dc_footprint_distance_m(pt, v->fp) < h_m) {
            inside_h++;
            assert_true(dc_footprint_distance_m(pt, env->fp) == 0.0);
        }
        dc_footprint_free(pt);
    }
    assert_true(inside_h > 100);
}

static void check_one(dc_volume v)
{
    dc_server_config c = cfg();
    dc_volume env;
    dc__notice n;
    dc_error err;
    assert_int_equal(dc__envelope(&v, &c, "volumes[0]", &env, &n, &err), DC_OK);
    check_contains(&v, &env, c.params.h_m);
    /* Grid, altitude and time coarsening, outward. */
    assert_true(fabs(n.lat_min * 100 - round(n.lat_min * 100)) < 1e-9);
    assert_true(fabs(n.lon_max * 100 - round(n.lon_max * 100)) < 1e-9);
    assert_true(n.alt_lower_m == 900 && n.alt_upper_m == 2700);
    assert_true(n.t_start_s % 300 == 0 && n.t_start_s <= 1000000007 - 300);
    assert_true(n.t_end_s % 300 == 0 && n.t_end_s >= 1000003607 + 300);
    assert_non_null(strstr(n.geom, "\"Polygon\""));
    assert_true(n.area_km2 > 0);
    dc_volume_clear(&env);
    dc__notice_clear(&n);
    dc_volume_clear(&v);
}

static void test_circles(void **state)
{
    (void)state;
    srand(7);
    for (int i = 0; i < 6; i++) {
        dc_latlon c = {-60 + urand() * 120, -170 + urand() * 340};
        check_one(make(DC_FP_CIRCLE, &c, 1, 10 + urand() * 3000));
    }
    dc_latlon north = {84.9 - 0.1, 10};
    check_one(make(DC_FP_CIRCLE, &north, 1, 200));
}

static void test_corridor_and_polygon(void **state)
{
    (void)state;
    dc_latlon line[] = {{34.0, 44.0}, {34.3, 44.6}, {34.1, 45.0}};
    check_one(make(DC_FP_CORRIDOR, line, 3, 500));
    /* A long east-west edge: the great circle bulges poleward of the parallel. */
    dc_latlon ring[] = {{50.0, 10.0}, {50.0, 14.0}, {50.2, 14.0}, {50.2, 10.0}};
    check_one(make(DC_FP_POLYGON, ring, 4, 0));
}

/* A 20-degree-wide restriction: its notice has a few hundred vertices (the
 * east-west edges step ~0.09 degree, not every 0.01 degree grid line) and
 * still holds every point H - 1 m south of the footprint's south edge,
 * where the chords between those vertices bulge into the box. */
static void test_long_edges_few_vertices_still_conservative(void **state)
{
    (void)state;
    dc_server_config c = cfg();
    /* South edge densified every 0.05 degree, so it keeps within 0.3 m of
     * its parallel and the samples below are truly within H of it. */
    dc_latlon ring[404];
    uint32_t k = 0;
    for (int i = 0; i <= 400; i++)
        ring[k++] = (dc_latlon){40.0, 10.0 + 0.05 * i};
    ring[k++] = (dc_latlon){41.0, 30.0};
    ring[k++] = (dc_latlon){41.0, 10.0};
    dc_volume v = make(DC_FP_POLYGON, ring, k, 0), env;
    dc__notice n;
    dc_error err;
    assert_int_equal(dc__envelope(&v, &c, "volumes[0]", &env, &n, &err), DC_OK);
    for (int i = 0; i <= 4000; i++) {
        /* ~1,850 m south of the edge, on a fine longitude sweep. */
        dc_latlon p = {40.0 - 1850.0 / 111040.0, 10.0 + 20.0 * i / 4000.0};
        dc_footprint *pt;
        assert_int_equal(dc_footprint_new(DC_FP_CIRCLE, &p, 1, 0.01, "p", &pt, &err), DC_OK);
        assert_true(dc_footprint_distance_m(pt, v.fp) < c.params.h_m);
        assert_true(dc_footprint_distance_m(pt, env.fp) == 0.0);
        dc_footprint_free(pt);
    }
    size_t vertices = 0;
    for (const char *p = n.geom; (p = strstr(p, "],[")); p++)
        vertices++;
    assert_true(vertices > 100 && vertices < 600);
    dc_volume_clear(&env);
    dc__notice_clear(&n);
    dc_volume_clear(&v);
}

static void test_antimeridian_refused(void **state)
{
    (void)state;
    dc_server_config c = cfg();
    dc_latlon p = {10, 179.99};
    dc_volume v = make(DC_FP_CIRCLE, &p, 1, 100), env;
    dc__notice n;
    dc_error err;
    assert_int_equal(dc__envelope(&v, &c, "volumes[3]", &env, &n, &err), DC_EINVAL);
    assert_string_equal(err.field, "volumes[3]");
    assert_non_null(strstr(err.reason, "antimeridian"));
    assert_null(env.fp);
    assert_null(n.geom);
    dc_volume_clear(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_circles),
        cmocka_unit_test(test_corridor_and_polygon),
        cmocka_unit_test(test_long_edges_few_vertices_still_conservative),
        cmocka_unit_test(test_antimeridian_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
