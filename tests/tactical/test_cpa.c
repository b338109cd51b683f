/* Tactical pair geometry: hand-made encounters with their CPA worked out on
 * paper (flat local geometry; the frame's curvature stays well inside the
 * tolerances), the strict thresholds, the look-ahead bound, reports taken at
 * different times, and the local frame against PROJ's geodesic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <geodesic.h>
#include <math.h>
#include <stdlib.h>

#include "deconflict/tactical.h"

static struct geod_geodesic g;

/* A report at east_m/north_m from (lat0, lon0), placed on the geodesic. When
 * along_geodesic, track_deg is taken relative to the geodesic's azimuth at
 * the new point instead of true north (keeps head-on tracks head-on). */
static dc_track_report at(uint32_t op, const char *id, double lat0, double lon0, double east_m,
                          double north_m, double alt_m, double gs, double trk, double vz)
{
    dc_track_report r = {op, id, 0, lat0, lon0, alt_m, gs, trk, vz, NULL};
    double s = hypot(east_m, north_m);
    if (s > 0) {
        double azi2;
        geod_direct(&g, lat0, lon0, atan2(east_m, north_m) * 180 / M_PI, s, &r.lat_deg, &r.lon_deg,
                    &azi2);
    }
    return r;
}

static dc_tactical_conflict pair(const dc_track_report *a, const dc_track_report *b, int expect)
{
    dc_tactical_params p = DC_TACTICAL_PARAMS_DEFAULT;
    dc_tactical_conflict c = {0};
    assert_int_equal(dc_tactical_pair(&p, a, b, &c), expect);
    return c;
}

static void near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.6f, want %.6f (tol %.3g)", got, want, tol);
}

/* The pair's first loss, horizontal CPA and current-loss flag. */
static void expect(const dc_tactical_conflict *c, double t_in, double t_cpa, double d_cpa,
                   double tol_s, double tol_m, int los_now)
{
    near(c->t_in_s, t_in, tol_s);
    near(c->t_cpa_s, t_cpa, tol_s);
    near(c->d_cpa_m, d_cpa, tol_m);
    assert_int_equal(c->los_now, los_now);
}

static void test_head_on(void **state)
{
    (void)state;
    /* 60 km apart on one geodesic, 200 m/s each: closure 400 m/s.
     * t_in = (60000 - 9260) / 400 = 126.85, CPA at 150 s, 0 m. */
    dc_track_report a = at(1, "A", 45, 10, 0, 0, 9000, 200, 90, 0);
    double lat, lon, azi2;
    geod_direct(&g, 45, 10, 90, 60000, &lat, &lon, &azi2);
    dc_track_report b = {2, "B", 0, lat, lon, 9000, 200, fmod(azi2 + 180, 360), 0, NULL};
    dc_tactical_conflict c = pair(&a, &b, 1);
    expect(&c, 126.85, 150, 0, 0.1, 30, 0);
    near(c.seen_by_a.bearing_deg, 90, 0.01);
    near(c.seen_by_a.distance_m, 60000, 5);
    near(c.seen_by_b.bearing_deg, fmod(azi2 + 180, 360), 0.01);
    near(c.seen_by_a.rel_alt_m, 0, 1e-9);
}

static void test_overtaking(void **state)
{
    (void)state;
    /* Same meridian, northbound; A 250 m/s 20 km behind B at 150 m/s:
     * t_in = (20000 - 9260) / 100 = 107.4, CPA at 200 s, 0 m. */
    dc_track_report a = at(1, "A", 50, 5, 0, 0, 10000, 250, 0, 0);
    dc_track_report b = at(2, "B", 50, 5, 0, 20000, 10100, 150, 0, 0);
    dc_tactical_conflict c = pair(&a, &b, 1);
    expect(&c, 107.4, 200, 0, 0.1, 5, 0);
    near(c.seen_by_a.rel_alt_m, 100, 1e-9);
    near(c.seen_by_b.rel_alt_m, -100, 1e-9);
    near(c.seen_by_b.bearing_deg, 180, 0.01);
}

static void test_crossing(void **state)
{
    (void)state;
    /* On the equator (meridians parallel to first order). A east 200 m/s at
     * the origin; B north 200 m/s from (30 km E, 32 km S).
     * r = (30000, -32000), u = (-200, 200): t_cpa = 12.4e6 / 8e4 = 155 s,
     * r + u t_cpa = (-1000, -1000): d_cpa = 1414.2 m.
     * 8e4 t^2 - 2.48e7 t + (1.924e9 - 9260^2) = 0 gives t_in = 122.645 s. */
    dc_track_report a = at(1, "A", 0, 20, 0, 0, 9000, 200, 90, 0);
    dc_track_report b = at(2, "B", 0, 20, 30000, -32000, 9000, 200, 0, 0);
    dc_tactical_conflict c = pair(&a, &b, 1);
    expect(&c, 122.645, 155, 1414.2, 0.3, 20, 0);
    /* From 44 km south: t_cpa = 1.48e7 / 8e4 = 185 s, r + u t_cpa =
     * (-7000, -7000), 9899 m apart at best: clear. */
    b = at(2, "B", 0, 20, 30000, -44000, 9000, 200, 0, 0);
    pair(&a, &b, 0);
}

static void test_climbing_through(void **state)
{
    (void)state;
    /* Side by side 5 km apart, same velocity; B 1000 m below climbing
     * 10 m/s: |dz| < 305 for t in (69.5, 130.5). No horizontal motion
     * between them: CPA now at 5000 m. */
    dc_track_report a = at(1, "A", 40, 30, 0, 0, 9000, 220, 90, 0);
    dc_track_report b = at(2, "B", 40, 30, 0, 5000, 8000, 220, 90, 10);
    dc_tactical_conflict c = pair(&a, &b, 1);
    expect(&c, 69.5, 0, 5000, 1e-6, 5, 0);
    near(c.t_out_s, 130.5, 1e-6);
    near(fabs(fmod(c.seen_by_a.bearing_deg + 180, 360) - 180), 0, 0.01);
    /* Descending instead: never within 305 m in the look-ahead. */
    b.vertical_rate_mps = -10;
    pair(&a, &b, 0);
}

static void test_parallel_threshold(void **state)
{
    (void)state;
    /* Eastbound side by side on one meridian, same speed: the distance
     * stays put. 9250 m is a loss of separation now, 9270 m never is.
     * (Northbound on neighbouring meridians would converge, slowly.) */
    dc_track_report a = at(1, "A", 35, 44, 0, 0, 9000, 200, 90, 0);
    dc_track_report b = at(2, "B", 35, 44, 0, 9250, 9000, 200, 90, 0);
    dc_tactical_conflict c = pair(&a, &b, 1);
    expect(&c, 0, 0, 9250, 1e-9, 9.25, 1);
    b = at(2, "B", 35, 44, 0, 9270, 9000, 200, 90, 0);
    pair(&a, &b, 0);
    /* Vertically: exactly 305 m apart is clear (strict <), 304.9 m not. */
    b = at(2, "B", 35, 44, 0, 1000, 9305, 200, 90, 0);
    pair(&a, &b, 0);
    b.alt_m = 9304.9;
    c = pair(&a, &b, 1);
    assert_true(c.los_now);
}

static void test_stationary(void **state)
{
    (void)state;
    dc_track_report a = at(1, "A", 33.3, 44.4, 0, 0, 500, 0, 0, 0);
    dc_track_report b = at(2, "B", 33.3, 44.4, 3000, 4000, 600, 0, 0, 0);
    dc_tactical_conflict c = pair(&a, &b, 1);
    expect(&c, 0, 0, 5000, 1e-9, 5, 1);
    near(c.seen_by_a.bearing_deg, atan2(3, 4) * 180 / M_PI, 0.01);
    near(c.seen_by_a.rel_alt_m, 100, 1e-9);
    b = at(2, "B", 33.3, 44.4, 6000, 8000, 600, 0, 0, 0);
    pair(&a, &b, 0);
}

static void test_lookahead_bound(void **state)
{
    (void)state;
    /* Head-on closure 400 m/s: loss starts at (d - 9260) / 400. */
    dc_track_report a = at(1, "A", 0, 0, 0, 0, 9000, 200, 90, 0);
    dc_track_report b = at(2, "B", 0, 0, 9260 + 400 * 299, 0, 9000, 200, 270, 0);
    dc_tactical_conflict c = pair(&a, &b, 1);
    near(c.t_in_s, 299, 0.2);
    b = at(2, "B", 0, 0, 9260 + 400 * 301, 0, 9000, 200, 270, 0);
    pair(&a, &b, 0);
    /* Already past each other and diverging: clear. */
    b = at(2, "B", 0, 0, -20000, 0, 9000, 200, 270, 0);
    pair(&a, &b, 0);
}

static void test_different_times(void **state)
{
    (void)state;
    /* A reported 10 s before B: the same as A reported 2 km further on. */
    dc_track_report a = at(1, "A", 0, 0, 0, 0, 9000, 200, 90, 5);
    dc_track_report b = at(2, "B", 0, 0, 60000, 0, 9400, 200, 270, 0);
    a.time_s = 1000;
    b.time_s = 1010;
    dc_tactical_conflict c1 = pair(&a, &b, 1);
    dc_track_report a2 = at(1, "A", 0, 0, 2000, 0, 9050, 200, 90, 5);
    a2.time_s = 1010;
    dc_tactical_conflict c2 = pair(&a2, &b, 1);
    near(c1.t_in_s, c2.t_in_s, 0.01);
    near(c1.t_cpa_s, c2.t_cpa_s, 0.01);
    near(c1.d_cpa_m, c2.d_cpa_m, 1);
    near(c1.seen_by_a.rel_alt_m, 350, 1e-6);
}

static void test_frame_vs_geodesic(void **state)
{
    (void)state;
    /* Distances in the local frame within 0.1 % of the WGS84 geodesic up to
     * 500 km, bearings within 0.05 deg, anywhere short of the poles. */
    srand(7);
    double worst = 0;
    for (int i = 0; i < 20000; i++) {
        double lat1 = -80 + 160.0 * rand() / RAND_MAX, lon1 = -180 + 360.0 * rand() / RAND_MAX;
        double s = 1 + 499999.0 * rand() / RAND_MAX, az = 360.0 * rand() / RAND_MAX;
        double lat2, lon2, azi2, s12, azi1;
        geod_direct(&g, lat1, lon1, az, s, &lat2, &lon2, &azi2);
        geod_inverse(&g, lat1, lon1, lat2, lon2, &s12, &azi1, &azi2);
        double d, brg;
        dc_tactical_local_polar(lat1, lon1, lat2, lon2, &d, &brg);
        double rel = fabs(d - s12) / s12;
        worst = rel > worst ? rel : worst;
        if (rel > 1e-3)
            fail_msg("distance %.3f vs geodesic %.3f at %.4f,%.4f", d, s12, lat1, lon1);
        double db = fabs(fmod(brg - azi1 + 540, 360) - 180);
        if (db > 0.05)
            fail_msg("bearing %.5f vs azimuth %.5f", brg, azi1);
    }
    assert_true(worst < 1e-3);
}

int main(void)
{
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_on),
        cmocka_unit_test(test_overtaking),
        cmocka_unit_test(test_crossing),
        cmocka_unit_test(test_climbing_through),
        cmocka_unit_test(test_parallel_threshold),
        cmocka_unit_test(test_stationary),
        cmocka_unit_test(test_lookahead_bound),
        cmocka_unit_test(test_different_times),
        cmocka_unit_test(test_frame_vs_geodesic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
