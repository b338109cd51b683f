/* The reference scenario holds the story it promises: every plan but the
 * Jalawla one deconflicts, the Jalawla one conflicts only with Iran's
 * Diyala operation, aircraft fly inside their plans except the drifter,
 * the converging pair loses tactical separation, and scaling is
 * deterministic. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "deconflict/deconflict.h"
#include "deconflict/scenario.h"

#define PATH "examples/scenario/iraq.json"
#define DAY0 INT64_C(1417478400) /* 2014-12-02T00:00:00Z */

static dc_scenario *load(uint32_t scale, uint32_t seed)
{
    dc_scenario *s = NULL;
    dc_error err = {{0}, {0}};
    if (dc_scenario_load(PATH, DAY0, scale, seed, &s, &err) != DC_OK)
        fail_msg("%s: %s", err.field, err.reason);
    return s;
}

static uint32_t op_num(const json_t *plans, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(plans, "operators"), i,
                       v) if (!strcmp(json_string_value(v), name)) return (uint32_t)i;
    return 999;
}

static const json_t *plan(const json_t *plans, const char *ref)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(plans, "operations"), i,
                       v) if (!strcmp(json_string_value(json_object_get(v, "ref")), ref)) return v;
    return NULL;
}

static void test_plans_deconflict_except_jalawla(void **state)
{
    (void)state;
    dc_scenario *s = load(0, 1);
    const json_t *plans = dc_scenario_plans(s);
    dc_engine *e = dc_engine_new();
    size_t i;
    json_t *op;
    dc_conflict out[16];
    size_t n;
    json_array_foreach(json_object_get(plans, "operations"), i, op)
    {
        dc_volume *v;
        size_t nv;
        dc_error err;
        assert_int_equal(dc_json_volumes(json_object_get(op, "volumes"), "volumes", 10,
                                         DC_MAX_WINDOW_S, &v, &nv, &err),
                         DC_OK);
        const char *ref = json_string_value(json_object_get(op, "ref"));
        uint32_t owner = op_num(plans, json_string_value(json_object_get(op, "operator")));
        assert_int_equal(dc_engine_check(e, owner, v, nv, &DC_PARAMS_DEFAULT, NULL, out, 16, &n),
                         DC_OK);
        if (!strcmp(ref, "coalition-jalawla")) {
            assert_int_equal(n, 1);
            assert_string_equal(out[0].with_id, "iran-diyala");
            dc_volumes_free(v, nv);
            continue;
        }
        if (n)
            fail_msg("%s conflicts with %s", ref, out[0].with_id);
        dc_entry_spec sp = {.id = ref, .owner = owner};
        assert_int_equal(dc_engine_add(e, &sp, v, nv), DC_OK);
        dc_free(v);
    }
    dc_engine_free(e);
    dc_scenario_free(s);
}

static int inside_plan(const json_t *p, const dc_scenario_report *r, double t)
{
    dc_volume *v;
    size_t nv;
    dc_error err;
    assert_int_equal(dc_json_volumes(json_object_get(p, "volumes"), "volumes", 10, DC_MAX_WINDOW_S,
                                     &v, &nv, &err),
                     DC_OK);
    dc_latlon c = {r->lat_deg, r->lon_deg};
    dc_footprint *pt;
    assert_int_equal(dc_footprint_new(DC_FP_CIRCLE, &c, 1, 0.01, "p", &pt, &err), DC_OK);
    int in = 0;
    for (size_t k = 0; k < nv; k++)
        in |= dc_footprint_distance_m(pt, v[k].fp) == 0 && r->alt_m >= v[k].alt_lower_m &&
              r->alt_m <= v[k].alt_upper_m && t >= v[k].t_start_s && t < v[k].t_end_s;
    dc_footprint_free(pt);
    dc_volumes_free(v, nv);
    return in;
}

static void test_aircraft_fly_their_plans(void **state)
{
    (void)state;
    dc_scenario *s = load(0, 1);
    const json_t *plans = dc_scenario_plans(s);
    double t0, t1;
    dc_scenario_span(s, &t0, &t1);
    assert_true(t1 > t0);
    int drift_outside_s = 0, samples = 0, bad = 0;
    for (size_t i = 0; i < dc_scenario_aircraft_count(s); i++) {
        dc_scenario_report r, r2;
        for (double t = t0; t <= t1; t += 20) {
            if (!dc_scenario_position(s, i, t, &r))
                continue;
            const json_t *p = plan(plans, r.operation_ref);
            assert_non_null(p);
            int in = inside_plan(p, &r, t);
            if (!strcmp(r.callsign, "IRN11")) {
                drift_outside_s += in ? 0 : 20;
                continue;
            }
            if (!in)
                fail_msg("%s outside %s at +%.0f s", r.callsign, r.operation_ref, t - DAY0);
            /* velocity agrees with the path over one second */
            if (dc_scenario_position(s, i, t + 1, &r2)) {
                double d = dc_geodesic_m(r.lat_deg, r.lon_deg, r2.lat_deg, r2.lon_deg);
                /* corners and waypoints make a few samples disagree */
                samples++;
                bad += !(fabs(d - r.ground_speed_mps) < 0.03 * r.ground_speed_mps + 0.5);
            }
        }
    }
    assert_true(drift_outside_s >= 300); /* the drifter leaves for minutes */
    assert_true(samples > 1000);
    if (bad * 50 > samples)
        fail_msg("velocity disagrees with the path in %d of %d samples", bad, samples);
    dc_scenario_free(s);
}

static void test_converging_pair(void **state)
{
    (void)state;
    dc_scenario *s = load(0, 1);
    size_t a = SIZE_MAX, b = SIZE_MAX;
    dc_scenario_report ra, rb;
    for (size_t i = 0; i < dc_scenario_aircraft_count(s); i++) {
        if (!dc_scenario_position(s, i, (double)DAY0 + 7 * 3600, &ra))
            continue;
        if (!strcmp(ra.callsign, "IRN12"))
            a = i;
        if (!strcmp(ra.callsign, "VIPER2"))
            b = i;
    }
    assert_true(a != SIZE_MAX && b != SIZE_MAX);
    double closest = INFINITY;
    for (double t = DAY0 + 6.9 * 3600; t < DAY0 + 7.3 * 3600; t += 5) {
        assert_true(dc_scenario_position(s, a, t, &ra) && dc_scenario_position(s, b, t, &rb));
        double d = dc_geodesic_m(ra.lat_deg, ra.lon_deg, rb.lat_deg, rb.lon_deg);
        if (fabs(ra.alt_m - rb.alt_m) < 305)
            closest = fmin(closest, d);
    }
    assert_true(closest < 9260);
    assert_true(closest > 1852); /* close tactically, yet in separate plans */
    dc_scenario_free(s);
}

static void test_scaling_is_deterministic(void **state)
{
    (void)state;
    dc_scenario *a = load(10, 7), *b = load(10, 7), *c = load(10, 8);
    assert_int_equal(json_array_size(json_object_get(dc_scenario_plans(a), "operators")), 12);
    assert_int_equal(json_array_size(json_object_get(dc_scenario_plans(a), "operations")), 8 + 30);
    assert_int_equal(dc_scenario_aircraft_count(a), 8 + 30);
    int differ = 0;
    for (size_t i = 8; i < dc_scenario_aircraft_count(a); i++) {
        dc_scenario_report ra, rb, rc;
        double t0, t1;
        dc_scenario_span(a, &t0, &t1);
        for (double t = t0; t < t1; t += 600) {
            int fa = dc_scenario_position(a, i, t, &ra), fb = dc_scenario_position(b, i, t, &rb);
            assert_int_equal(fa, fb);
            if (fa) {
                assert_true(ra.lat_deg == rb.lat_deg && ra.lon_deg == rb.lon_deg);
                if (dc_scenario_position(c, i, t, &rc))
                    differ |= rc.lat_deg != ra.lat_deg;
            }
        }
    }
    assert_true(differ);
    dc_scenario_free(a);
    dc_scenario_free(b);
    dc_scenario_free(c);
}

static void test_bad_file(void **state)
{
    (void)state;
    dc_scenario *s = NULL;
    dc_error err;
    assert_int_equal(dc_scenario_load("/nonexistent.json", DAY0, 0, 1, &s, &err), DC_EINVAL);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plans_deconflict_except_jalawla),
        cmocka_unit_test(test_aircraft_fly_their_plans),
        cmocka_unit_test(test_converging_pair),
        cmocka_unit_test(test_scaling_is_deterministic),
        cmocka_unit_test(test_bad_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
