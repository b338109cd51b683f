/* Position reports: range checks and the JSON form of POST /v1/tracks and of
 * `deconflict cpa` lines. Errors name the field as "<prefix>.<field>". Parsing
 * borrows strings from the jansson tree and allocates nothing. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "deconflict/json.h"
#include "tactical/tactical_int.h"

static dc_status fail(dc_error *err, const char *prefix, const char *field, const char *reason)
{
    char path[sizeof err->field];
    if (prefix && *prefix)
        snprintf(path, sizeof path, "%s.%s", prefix, field);
    else
        snprintf(path, sizeof path, "%s", field);
    return dc_error_set(err, path, "%s", reason);
}

static int in_range(double x, double lo, double hi)
{
    return x >= lo && x <= hi; /* false for NaN */
}

dc_status dc_track_report_check(const dc_track_report *r, const char *prefix, dc_error *err)
{
    if (!r->track_id || !*r->track_id)
        return fail(err, prefix, "track_id", "must be a non-empty string");
    if (strlen(r->track_id) >= DC_TRACK_ID_MAX)
        return fail(err, prefix, "track_id", "longer than 63 bytes");
    if (!isfinite(r->time_s))
        return fail(err, prefix, "time", "must be a finite time");
    if (!in_range(r->lat_deg, -90, 90))
        return fail(err, prefix, "lat", "must be within [-90, 90] degrees");
    if (!in_range(r->lon_deg, -180, 180))
        return fail(err, prefix, "lon", "must be within [-180, 180] degrees");
    if (!in_range(r->alt_m, -1000, 50000))
        return fail(err, prefix, "alt_m", "must be within [-1000, 50000] m");
    if (!in_range(r->ground_speed_mps, 0, 1500))
        return fail(err, prefix, "ground_speed_mps", "must be within [0, 1500] m/s");
    if (!in_range(r->track_deg, 0, 360))
        return fail(err, prefix, "track_deg", "must be within [0, 360] degrees");
    if (!in_range(r->vertical_rate_mps, -300, 300))
        return fail(err, prefix, "vertical_rate_mps", "must be within [-300, 300] m/s");
    if (r->operation_id &&
        (!*r->operation_id || strlen(r->operation_id) >= DC_TRACK_OPERATION_ID_MAX))
        return fail(err, prefix, "operation_id", "must be a string of 1 to 63 bytes");
    return DC_OK;
}

/* RFC 3339 (dc_time_parse gives whole seconds; the fraction is added here)
 * or a number of seconds. */
static int parse_time(const json_t *j, double *out)
{
    if (json_is_number(j)) {
        *out = json_number_value(j);
        return 0;
    }
    const char *s = json_string_value(j);
    int64_t whole;
    if (!s || dc_time_parse(s, 0, &whole) != DC_OK)
        return -1;
    double frac = 0, scale = 0.1;
    if (s[19] == '.')
        for (const char *p = s + 20; isdigit((unsigned char)*p); p++, scale /= 10)
            frac += (*p - '0') * scale;
    *out = (double)whole + frac;
    return 0;
}

/* 0, or -1 when not a number, -2 when absent. */
static int get_number(const json_t *j, const char *name, double *out)
{
    const json_t *v = json_object_get(j, name);
    if (!v)
        return -2;
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

dc_status dc_json_track_report(const json_t *j, const char *prefix, uint32_t operator_number,
                               dc_track_report *out, dc_error *err)
{
    if (!json_is_object(j))
        return dc_error_set(err, prefix && *prefix ? prefix : "report", "must be an object");
    dc_track_report r = {.operator_number = operator_number};
    r.track_id = json_string_value(json_object_get(j, "track_id"));
    if (!json_object_get(j, "track_id"))
        return fail(err, prefix, "track_id", "is required");
    if (!r.track_id)
        return fail(err, prefix, "track_id", "must be a non-empty string");
    if (!strncmp(r.track_id, DC_TRACK_SURVEILLANCE_PREFIX, strlen(DC_TRACK_SURVEILLANCE_PREFIX)))
        return fail(err, prefix, "track_id", "\"modes:\" is reserved for the host's surveillance");
    if (!json_object_get(j, "time"))
        return fail(err, prefix, "time", "is required");
    if (parse_time(json_object_get(j, "time"), &r.time_s))
        return fail(err, prefix, "time", "must be an RFC 3339 time or seconds UTC");
    static const struct {
        const char *name;
        size_t off;
    } nums[] = {
        {"lat", offsetof(dc_track_report, lat_deg)},
        {"lon", offsetof(dc_track_report, lon_deg)},
        {"alt_m", offsetof(dc_track_report, alt_m)},
        {"ground_speed_mps", offsetof(dc_track_report, ground_speed_mps)},
        {"track_deg", offsetof(dc_track_report, track_deg)},
        {"vertical_rate_mps", offsetof(dc_track_report, vertical_rate_mps)},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        int got = get_number(j, nums[i].name, (double *)((char *)&r + nums[i].off));
        if (got)
            return fail(err, prefix, nums[i].name, got == -2 ? "is required" : "must be a number");
    }
    const json_t *op = json_object_get(j, "operation_id");
    if (op && !json_is_null(op)) {
        r.operation_id = json_string_value(op);
        if (!r.operation_id)
            return fail(err, prefix, "operation_id", "must be a string");
    }
    dc_status st = dc_track_report_check(&r, prefix, err);
    if (st == DC_OK)
        *out = r;
    return st;
}

dc_status dc_json_track_reports(const json_t *body, uint32_t operator_number, dc_track_report *out,
                                size_t cap, size_t *n, dc_error *err)
{
    const json_t *arr = json_is_object(body) ? json_object_get(body, "reports") : NULL;
    if (!arr)
        return dc_error_set(err, "reports", "is required (a non-empty array)");
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return dc_error_set(err, "reports", "must be a non-empty array");
    size_t len = json_array_size(arr);
    if (len > cap) {
        dc_error_set(err, "reports", "more than %zu reports", cap);
        return DC_ELIMIT;
    }
    for (size_t i = 0; i < len; i++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "reports[%zu]", i);
        /* Strict in the API (a typo is refused); `deconflict cpa` lines carry
         * an "operator" member as well. */
        static const char *const keys[] = {"track_id",     "time",
                                           "lat",          "lon",
                                           "alt_m",        "ground_speed_mps",
                                           "track_deg",    "vertical_rate_mps",
                                           "operation_id", NULL};
        if (dc_json_known(json_array_get(arr, i), prefix, keys, err) != DC_OK)
            return DC_EINVAL;
        dc_status st =
            dc_json_track_report(json_array_get(arr, i), prefix, operator_number, &out[i], err);
        if (st != DC_OK)
            return st;
    }
    *n = len;
    return DC_OK;
}
