/* Volume JSON: the three accepted forms parse to the same volume, units
 * convert, and every malformed member is rejected with its JSON path. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "deconflict/deconflict.h"

static dc_status parse(const char *txt, dc_volume *v, dc_error *err)
{
    json_error_t je;
    json_t *j = json_loads(txt, 0, &je);
    assert_non_null(j);
    dc_status s = dc_json_volume(j, "volumes[0]", DC_MAX_WINDOW_S, v, err);
    json_decref(j);
    return s;
}

static void test_forms_agree(void **state)
{
    (void)state;
    const char *forms[] = {
        "{\"footprint\":{\"type\":\"Point\",\"coordinates\":[44.5,33.5],\"radius_m\":1000},"
        "\"altitude_lower_m\":0,\"altitude_upper_m\":3048,"
        "\"time_start\":\"2014-12-02T06:00:00Z\",\"time_end\":\"2014-12-02T09:00:00Z\"}",
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[44.5,33.5]},"
        "\"properties\":{\"radius_m\":1000,\"altitude_lower_m\":0,\"altitude_upper_ft\":10000,"
        "\"time_start\":\"2014-12-02T06:00:00Z\",\"time_end\":\"2014-12-02T09:00:00Z\"}}",
        "{\"volume\":{\"outline_circle\":{\"center\":{\"lat\":33.5,\"lng\":44.5},"
        "\"radius\":{\"value\":1000,\"units\":\"M\"}},"
        "\"altitude_lower\":{\"value\":0,\"reference\":\"W84\",\"units\":\"M\"},"
        "\"altitude_upper\":{\"value\":10000,\"reference\":\"W84\",\"units\":\"FT\"}},"
        "\"time_start\":{\"value\":\"2014-12-02T06:00:00Z\",\"format\":\"RFC3339\"},"
        "\"time_end\":{\"value\":\"2014-12-02T09:00:00Z\",\"format\":\"RFC3339\"}}",
    };
    dc_volume ref;
    dc_error err;
    for (size_t i = 0; i < 3; i++) {
        dc_volume v;
        if (parse(forms[i], &v, &err) != DC_OK)
            fail_msg("form %zu: %s: %s", i, err.field, err.reason);
        assert_true(fabs(v.alt_upper_m - 3048) < 1e-6);
        assert_int_equal(v.t_start_s, 1417500000);
        assert_int_equal(v.t_end_s, 1417510800);
        assert_int_equal(dc_footprint_kind_of(v.fp), DC_FP_CIRCLE);
        assert_true(dc_footprint_radius_m(v.fp) == 1000);
        if (i == 0)
            ref = v;
        else {
            assert_true(dc_footprint_distance_m(v.fp, ref.fp) == 0);
            dc_volume_clear(&v);
        }
    }
    /* round trip through the serialiser */
    json_t *j = dc_json_from_volume(&ref);
    dc_volume back;
    assert_int_equal(dc_json_volume(j, "v", DC_MAX_WINDOW_S, &back, &err), DC_OK);
    assert_int_equal(back.t_start_s, ref.t_start_s);
    assert_true(back.alt_upper_m == ref.alt_upper_m);
    json_decref(j);
    dc_volume_clear(&back);
    dc_volume_clear(&ref);
}

static void expect_field(const char *txt, const char *field)
{
    dc_volume v;
    dc_error err = {{0}, {0}};
    assert_int_equal(parse(txt, &v, &err), DC_EINVAL);
    assert_null(v.fp);
    if (strcmp(err.field, field))
        fail_msg("expected field %s, got %s (%s)", field, err.field, err.reason);
    assert_true(strlen(err.reason) > 0);
}

#define T "\"time_start\":\"2014-12-02T06:00:00Z\",\"time_end\":\"2014-12-02T09:00:00Z\""
#define A "\"altitude_lower_m\":0,\"altitude_upper_m\":100"
#define P "{\"type\":\"Point\",\"coordinates\":[44.5,33.5],\"radius_m\":10}"

static void test_errors_name_fields(void **state)
{
    (void)state;
    expect_field("[]", "volumes[0]");
    expect_field("{" A "," T "}", "volumes[0].footprint");
    expect_field("{\"footprint\":{\"type\":\"Circle\",\"coordinates\":[1,2]}," A "," T "}",
                 "volumes[0].footprint.type");
    expect_field("{\"footprint\":{\"type\":\"Point\",\"coordinates\":[44,33]}," A "," T "}",
                 "volumes[0].footprint.radius_m");
    expect_field("{\"footprint\":{\"type\":\"Point\",\"coordinates\":[44,33],\"radius_m\":\"5\"}," A
                 "," T "}",
                 "volumes[0].footprint.radius_m");
    expect_field("{\"footprint\":{\"type\":\"Point\",\"coordinates\":[\"44\",33],\"radius_m\":5}," A
                 "," T "}",
                 "volumes[0].footprint.coordinates");
    expect_field("{\"footprint\":{\"type\":\"Polygon\",\"coordinates\":[[[44,33],[45,33],[44,34],["
                 "45,34],[44,33]]]}," A "," T "}",
                 "volumes[0].footprint.coordinates[0][2]");
    expect_field("{\"footprint\":{\"type\":\"Polygon\",\"coordinates\":[[[44,33],[45,33],[44,34],["
                 "44,33]],[[44,33],[45,33],[44,34],[44,33]]]}," A "," T "}",
                 "volumes[0].footprint.coordinates[1]");
    expect_field("{\"footprint\":{\"type\":\"LineString\",\"coordinates\":[[44,33],[45,33]]}," A
                 "," T "}",
                 "volumes[0].footprint.half_width_m");
    expect_field("{\"footprint\":" P ",\"altitude_upper_m\":100," T "}",
                 "volumes[0].altitude_lower_m");
    expect_field("{\"footprint\":" P ",\"altitude_lower_m\":500,\"altitude_upper_m\":100," T "}",
                 "volumes[0].altitude_lower_m");
    expect_field("{\"footprint\":" P "," A
                 ",\"time_start\":\"yesterday\",\"time_end\":\"2014-12-02T09:00:00Z\"}",
                 "volumes[0].time_start");
    expect_field("{\"footprint\":" P "," A
                 ",\"time_start\":\"2014-12-02T09:00:00Z\",\"time_end\":\"2014-12-02T06:00:00Z\"}",
                 "volumes[0].time_end");
    expect_field("{\"footprint\":" P "," A
                 ",\"time_start\":\"2014-12-02T09:00:00Z\",\"time_end\":\"2014-12-12T06:00:00Z\"}",
                 "volumes[0].time_end");
    expect_field(
        "{\"volume\":{\"outline_polygon\":{\"vertices\":[{\"lat\":33,\"lng\":44},{\"lat\":33}]}}," T
        "}",
        "volumes[0].volume.outline_polygon.vertices[1].lng");
    expect_field("{\"volume\":{\"outline_circle\":{\"center\":{\"lat\":33,\"lng\":44},\"radius\":{"
                 "\"value\":5,\"units\":\"NM\"}},"
                 "\"altitude_lower\":{\"value\":0},\"altitude_upper\":{\"value\":1}}," T "}",
                 "volumes[0].volume.outline_circle.radius.units");
    expect_field("{\"type\":\"Feature\",\"geometry\":" P "}", "volumes[0].properties");
}

static void test_volumes_array(void **state)
{
    (void)state;
    json_t *arr =
        json_loads("[{\"footprint\":" P "," A "," T "},{\"footprint\":" P "," A "}]", 0, NULL);
    dc_volume *v;
    size_t n;
    dc_error err;
    assert_int_equal(dc_json_volumes(arr, "volumes", 10, DC_MAX_WINDOW_S, &v, &n, &err), DC_EINVAL);
    assert_string_equal(err.field, "volumes[1].time_start");
    assert_null(v);
    assert_int_equal(dc_json_volumes(arr, "volumes", 1, DC_MAX_WINDOW_S, &v, &n, &err), DC_EINVAL);
    assert_string_equal(err.field, "volumes");
    json_decref(arr);
    arr = json_loads("[]", 0, NULL);
    assert_int_equal(dc_json_volumes(arr, "volumes", 10, DC_MAX_WINDOW_S, &v, &n, &err), DC_EINVAL);
    json_decref(arr);
    assert_int_equal(dc_json_volumes(NULL, "volumes", 10, DC_MAX_WINDOW_S, &v, &n, &err),
                     DC_EINVAL);
    assert_string_equal(err.reason, "is required");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms_agree),
        cmocka_unit_test(test_errors_name_fields),
        cmocka_unit_test(test_volumes_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
