/* src/aip: the importers' rules on small inputs written for the purpose
 * (the published data sets are checked by check-aip.sh): AGL without terrain,
 * arcs within the chord error, schedules to volumes, all-or-nothing with
 * every refused item named, bad bytes refused, allocation failures reported,
 * and exports that parse back. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "deconflict/deconflict.h"

#define T0 1767225600 /* 2026-01-01T00:00:00Z, a Thursday */

static dc_aip_options opts(void)
{
    dc_aip_options o;
    dc_aip_options_default(&o, T0);
    return o;
}

static dc_status run(dc_aip_format f, const char *txt, const dc_aip_options *o, dc_aip_result *r,
                     dc_error *e)
{
    return dc_aip_import(f, txt, strlen(txt), o, r, e);
}

static const json_t *vol(const dc_aip_result *r, size_t i, size_t k)
{
    return json_array_get(json_object_get(json_array_get(r->restrictions, i), "volumes"), k);
}

static double num(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

static void test_openair_agl_and_units(void **state)
{
    (void)state;
    const char *txt = "AC R\nAN Test area\nAL 500ft AGL\nAH FL95\n"
                      "DP 33:00:00 N 044:00:00 E\nDP 33:10:00 N 044:00:00 E\n"
                      "DP 33:10:00 N 044:10:00 E\nDP 33:00:00 N 044:00:00 E\n"
                      "AC R\nAN Test 2\nAL GND\nAH 1000 ft AGL\nV X=33:30:00 N 044:30:00 E\nDC 2\n";
    dc_aip_options o = opts();
    o.terrain_m = 1000;
    dc_aip_result r;
    dc_error e;
    assert_int_equal(run(DC_AIP_OPENAIR, txt, &o, &r, &e), DC_OK);
    assert_int_equal(json_array_size(r.restrictions), 2);
    /* a floor above ground goes down to sea level; FL is pressure altitude */
    assert_true(num(vol(&r, 0, 0), "altitude_lower_m") == 0);
    assert_true(fabs(num(vol(&r, 0, 0), "altitude_upper_m") - 9500 * 0.3048) < 1e-6);
    /* a ceiling above ground is raised by the highest terrain */
    assert_true(fabs(num(vol(&r, 1, 0), "altitude_upper_m") - (304.8 + 1000)) < 1e-6);
    const json_t *fp = json_object_get(vol(&r, 1, 0), "footprint");
    assert_string_equal(json_string_value(json_object_get(fp, "type")), "Point");
    assert_true(fabs(num(fp, "radius_m") - 2 * 1852) < 1e-6);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(r.restrictions, 0), "source")),
        "openair:Test_area");
    dc_aip_result_clear(&r);
}

static void test_arc_chord_error(void **state)
{
    (void)state;
    /* a half circle of 10 NM: every vertex on the arc, chords within 5 m */
    const char *txt = "AC R\nAN Arc\nAL GND\nAH FL100\nV X=33:00:00 N 044:00:00 E\nV D=+\n"
                      "DA 10,0,180\nDP 33:00:00 N 044:00:00 E\n";
    dc_aip_options o = opts();
    dc_aip_result r;
    dc_error e;
    assert_int_equal(run(DC_AIP_OPENAIR, txt, &o, &r, &e), DC_OK);
    const json_t *ring = json_array_get(
        json_object_get(json_object_get(vol(&r, 0, 0), "footprint"), "coordinates"), 0);
    size_t n = json_array_size(ring);
    assert_true(n > 20);
    double r_m = 10 * 1852.0;
    for (size_t i = 0; i + 3 < n; i++) { /* arc vertex pairs: the ring ends centre, first */
        const json_t *a = json_array_get(ring, i), *b = json_array_get(ring, i + 1);
        double d = dc_geodesic_m(33, 44, json_number_value(json_array_get(a, 1)),
                                 json_number_value(json_array_get(a, 0)));
        assert_true(fabs(d - r_m) < 0.01);
        double chord = dc_geodesic_m(
            json_number_value(json_array_get(a, 1)), json_number_value(json_array_get(a, 0)),
            json_number_value(json_array_get(b, 1)), json_number_value(json_array_get(b, 0)));
        double sagitta = r_m - sqrt(r_m * r_m - chord * chord / 4);
        assert_true(sagitta <= DC_AIP_CHORD_ERROR_M + 0.01);
    }
    dc_aip_result_clear(&r);
}

static void test_all_or_nothing(void **state)
{
    (void)state;
    const char *txt = "AC R\nAN Good\nAL GND\nAH FL100\nDP 33:00:00 N 044:00:00 E\n"
                      "DP 33:10:00 N 044:00:00 E\nDP 33:10:00 N 044:10:00 E\n"
                      "AC R\nAN Bad floor\nAL FL200\nAH FL100\nDP 33:00:00 N 045:00:00 E\n"
                      "DP 33:10:00 N 045:00:00 E\nDP 33:10:00 N 045:10:00 E\n"
                      "AC R\nAN Bad point\nAL GND\nAH FL100\nDP 33:61:00 N 045:00:00 E\n";
    dc_aip_options o = opts();
    dc_aip_result r;
    dc_error e;
    assert_int_equal(run(DC_AIP_OPENAIR, txt, &o, &r, &e), DC_EINVAL);
    assert_int_equal(json_array_size(r.restrictions), 0);
    assert_int_equal(json_array_size(r.refused), 2);
    assert_string_equal(e.field, "openair:Bad_floor AL");
    assert_string_equal(json_string_value(json_object_get(json_array_get(r.refused, 1), "item")),
                        "openair:Bad_point");
    dc_aip_result_clear(&r);
}

static void test_bad_bytes(void **state)
{
    (void)state;
    static const char *inputs[] = {"",
                                   "\x01\x02",
                                   "AC",
                                   "{",
                                   "[]",
                                   "<x/>",
                                   "AC R\nDA 1,2\n",
                                   "{\"type\":\"FeatureCollection\",\"features\":[1]}"};
    dc_aip_options o = opts();
    for (int f = DC_AIP_ED318; f <= DC_AIP_AIXM; f++)
        for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
            dc_aip_result r;
            dc_error e;
            dc_status s = run((dc_aip_format)f, inputs[i], &o, &r, &e);
            assert_int_equal(s, DC_EINVAL);
            assert_true(json_array_size(r.refused) >= 1);
            assert_true(e.reason[0] != 0);
            dc_aip_result_clear(&r);
        }
    const char nul[] = "AC R\0AN x";
    dc_aip_result r;
    dc_error e;
    assert_int_equal(dc_aip_import(DC_AIP_OPENAIR, nul, sizeof nul, &o, &r, &e), DC_EINVAL);
    dc_aip_result_clear(&r);
    dc_aip_result_clear(NULL);
}

static void test_ed318_schedule(void **state)
{
    (void)state;
    /* weekdays 08:00-10:00 for 2026-01-01 .. 2026-01-31; horizon 7 days from
     * Thursday 1 January: Thu, Fri, Mon, Tue, Wed = 5 windows, then the rest
     * of the period as one volume */
    const char *txt =
        "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[44,33],[44.1,33],[44.1,33.1],[44,33]"
        "]],"
        "\"layer\":{\"upper\":400,\"upperReference\":\"AMSL\",\"lower\":0,\"lowerReference\":"
        "\"AGL\","
        "\"uom\":\"ft\"}},\"properties\":{\"identifier\":\"Z1\",\"country\":\"IRQ\","
        "\"type\":\"PROHIBITED\",\"variant\":\"COMMON\",\"zoneAuthority\":[{\"purpose\":"
        "\"AUTHORIZATION\"}],"
        "\"limitedApplicability\":[{\"startDateTime\":\"2026-01-01T00:00:00Z\","
        "\"endDateTime\":\"2026-01-31T00:00:00Z\",\"schedule\":[{\"day\":[\"MON\",\"TUE\",\"WED\","
        "\"THU\",\"FRI\"],\"startTime\":\"08:00:00Z\",\"endTime\":\"10:00:00Z\"}]}]}}]}";
    dc_aip_options o = opts();
    dc_aip_result r;
    dc_error e;
    assert_int_equal(run(DC_AIP_ED318, txt, &o, &r, &e), DC_OK);
    const json_t *vols = json_object_get(json_array_get(r.restrictions, 0), "volumes");
    assert_int_equal(json_array_size(vols), 6);
    assert_string_equal(json_string_value(json_object_get(vol(&r, 0, 0), "time_start")),
                        "2026-01-01T08:00:00Z");
    assert_string_equal(json_string_value(json_object_get(vol(&r, 0, 2), "time_start")),
                        "2026-01-05T08:00:00Z");
    assert_string_equal(json_string_value(json_object_get(vol(&r, 0, 5), "time_start")),
                        "2026-01-08T00:00:00Z");
    assert_true(fabs(num(vol(&r, 0, 0), "altitude_upper_m") - 400 * 0.3048) < 1e-9);
    dc_aip_result_clear(&r);
}

static void test_export_round_trip(void **state)
{
    (void)state;
    const char *txt = "AC R\nAN Circle\nAL GND\nAH FL100\nV X=33:30:00 N 044:30:00 E\nDC 3\n";
    dc_aip_options o = opts();
    dc_aip_result r;
    dc_error e;
    assert_int_equal(run(DC_AIP_OPENAIR, txt, &o, &r, &e), DC_OK);
    char *out = NULL;
    assert_int_equal(dc_aip_export(DC_AIP_GEOJSON, r.restrictions, &out, &e), DC_OK);
    json_t *g = json_loads(out, 0, NULL);
    assert_non_null(g);
    /* the drawn circle encloses the true one: every vertex at or outside it */
    const json_t *ring = json_array_get(
        json_object_get(
            json_object_get(json_array_get(json_object_get(g, "features"), 0), "geometry"),
            "coordinates"),
        0);
    assert_true(json_array_size(ring) > 30);
    for (size_t i = 0; i < json_array_size(ring); i++) {
        const json_t *p = json_array_get(ring, i);
        double d = dc_geodesic_m(33.5, 44.5, json_number_value(json_array_get(p, 1)),
                                 json_number_value(json_array_get(p, 0)));
        assert_true(d >= 3 * 1852 - 0.01 && d <= 3 * 1852 + DC_AIP_CHORD_ERROR_M + 0.5);
    }
    json_decref(g);
    free(out);
    assert_int_equal(dc_aip_export(DC_AIP_KML, r.restrictions, &out, &e), DC_OK);
    assert_non_null(strstr(out, "<Placemark>"));
    free(out);
    assert_int_equal(dc_aip_export(DC_AIP_ED318, r.restrictions, &out, &e), DC_OK);
    assert_non_null(strstr(out, "\"subType\": \"Circle\""));
    free(out);
    json_t *bad = json_pack("[{s:s}]", "id", "x");
    assert_int_equal(dc_aip_export(DC_AIP_KML, bad, &out, &e), DC_EINVAL);
    assert_null(out);
    json_decref(bad);
    dc_aip_result_clear(&r);
}

static void test_source_of(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(dc_aip_source_of("aixm:1234 EAR1 (R)", b, sizeof b), "aixm:1234");
    assert_string_equal(dc_aip_source_of("openair:ED-R3", b, sizeof b), "openair:ED-R3");
    assert_null(dc_aip_source_of("Baghdad", b, sizeof b));
    assert_null(dc_aip_source_of("other:x y", b, sizeof b));
    assert_null(dc_aip_source_of("ed318: x", b, sizeof b));
    assert_null(dc_aip_source_of("aixm:0123456789", b, 8));
    assert_null(dc_aip_source_of(NULL, b, sizeof b));
}

static int fail_at, calls;
static void *failing_malloc(size_t n)
{
    return ++calls == fail_at ? NULL : malloc(n);
}
static void *failing_realloc(void *p, size_t n)
{
    return ++calls == fail_at ? NULL : realloc(p, n);
}

static void test_allocation_failure(void **state)
{
    (void)state;
    const char *txt = "AC R\nAN Arc\nAL GND\nAH FL100\nV X=33:00:00 N 044:00:00 E\n"
                      "DA 10,0,180\nDP 33:00:00 N 044:00:00 E\n";
    dc_aip_options o = opts();
    dc_alloc_hooks h = {failing_malloc, failing_realloc, free};
    for (fail_at = 1; fail_at < 40; fail_at++) {
        calls = 0;
        dc_set_alloc_hooks(&h);
        dc_aip_result r;
        dc_error e;
        dc_status s = run(DC_AIP_OPENAIR, txt, &o, &r, &e);
        dc_set_alloc_hooks(NULL);
        assert_true(s == DC_OK || s == DC_ENOMEM || s == DC_EINVAL);
        if (s != DC_OK)
            assert_int_equal(json_array_size(r.restrictions), 0);
        dc_aip_result_clear(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openair_agl_and_units), cmocka_unit_test(test_arc_chord_error),
        cmocka_unit_test(test_all_or_nothing),        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_ed318_schedule),        cmocka_unit_test(test_export_round_trip),
        cmocka_unit_test(test_allocation_failure),    cmocka_unit_test(test_source_of),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
