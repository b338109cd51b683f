/* Fuzz target: volume JSON (json.h) in its three forms, the check/API form,
 * a GeoJSON Feature and ASTM F3548-21 Volume4D, one volume or an array.
 * Properties: a rejection names a field and a reason; an accepted volume
 * serialises (dc_json_from_volume) to JSON that parses back to the same
 * volume; and the same input with its k-th dc_malloc failing returns an
 * error without leaking or crashing (LeakSanitizer watches). */
#include <jansson.h>
#include <math.h>

#include "deconflict/deconflict.h"
#include "fuzz_common.h"

#define MAX_VOLUMES 64

static dc_status parse(const json_t *j, int64_t max_window_s, dc_volume **vols, size_t *n,
                       dc_error *err)
{
    if (json_is_array(j))
        return dc_json_volumes(j, "volumes", MAX_VOLUMES, max_window_s, vols, n, err);
    const json_t *arr = json_object_get(j, "volumes");
    if (arr)
        return dc_json_volumes(arr, "volumes", MAX_VOLUMES, max_window_s, vols, n, err);
    *vols = dc_calloc(1, sizeof **vols);
    if (!*vols)
        return DC_ENOMEM;
    dc_status s = dc_json_volume(j, "volume", max_window_s, *vols, err);
    if (s != DC_OK) {
        dc_free(*vols);
        *vols = NULL;
        return s;
    }
    *n = 1;
    return DC_OK;
}

static void check_round_trip(const dc_volume *v, int64_t max_window_s)
{
    json_t *j = dc_json_from_volume(v);
    FZ_CHECK(j, "dc_json_from_volume returned NULL");
    dc_volume back;
    dc_error err = {{0}, {0}};
    dc_status s = dc_json_volume(j, "volume", max_window_s, &back, &err);
    char *txt = json_dumps(j, JSON_COMPACT);
    FZ_CHECK(s == DC_OK, "serialised volume rejected: %s: %s: %s\n  %s", dc_status_str(s),
             err.field, err.reason, txt ? txt : "?");
    FZ_CHECK(back.alt_lower_m == v->alt_lower_m && back.alt_upper_m == v->alt_upper_m,
             "altitudes changed: %.17g %.17g -> %.17g %.17g", v->alt_lower_m, v->alt_upper_m,
             back.alt_lower_m, back.alt_upper_m);
    FZ_CHECK(back.t_start_s == v->t_start_s && back.t_end_s == v->t_end_s,
             "times changed: %lld %lld -> %lld %lld", (long long)v->t_start_s,
             (long long)v->t_end_s, (long long)back.t_start_s, (long long)back.t_end_s);
    FZ_CHECK(dc_footprint_kind_of(back.fp) == dc_footprint_kind_of(v->fp), "kind changed");
    FZ_CHECK(dc_footprint_radius_m(back.fp) == dc_footprint_radius_m(v->fp), "radius changed");
    uint32_t n1, n2;
    const dc_latlon *p1 = dc_footprint_points(v->fp, &n1), *p2 = dc_footprint_points(back.fp, &n2);
    FZ_CHECK(n1 == n2, "vertex count changed: %u -> %u", n1, n2);
    FZ_CHECK(!memcmp(p1, p2, n1 * sizeof *p1), "vertices changed");
    /* Same vertices; rounding in the distance leaves nanometres (< 1 m bar). */
    double d = dc_footprint_distance_m(v->fp, back.fp);
    FZ_CHECK(d < 1.0, "round trip moved the footprint %.17g m", d);
    free(txt);
    dc_volume_clear(&back);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
    if (!j)
        return 0;
    uint64_t h = fz_hash(data, size);
    int64_t max_window_s = h & 1 ? 0 : DC_MAX_WINDOW_S; /* restrictions have no limit */
    dc_volume *vols = NULL;
    size_t n = 0;
    dc_error err = {{0}, {0}};
    fz_alloc_fail_at(0); /* count only */
    dc_status s = parse(j, max_window_s, &vols, &n, &err);
    size_t allocs = fz_alloc_count();
    fz_alloc_off();
    if (s == DC_EINVAL)
        FZ_CHECK(err.field[0] && err.reason[0], "rejection without field/reason: '%s' '%s'",
                 err.field, err.reason);
    else
        FZ_CHECK(s == DC_OK, "unexpected status %s", dc_status_str(s));
    if (s == DC_OK) {
        FZ_CHECK(n >= 1 && n <= MAX_VOLUMES, "bad count %zu", n);
        for (size_t i = 0; i < n; i++) {
            const dc_volume *v = &vols[i];
            FZ_CHECK(v->fp, "volume %zu has no footprint", i);
            FZ_CHECK(v->alt_lower_m <= v->alt_upper_m, "band inverted");
            FZ_CHECK(v->t_start_s < v->t_end_s, "window empty");
            FZ_CHECK(!max_window_s || v->t_end_s - v->t_start_s <= max_window_s, "window too long");
            check_round_trip(v, max_window_s);
        }
    }
    dc_volumes_free(vols, n);
    if (allocs) { /* same input, one allocation failing */
        vols = NULL;
        n = 0;
        fz_alloc_fail_at(1 + (size_t)(h >> 8) % allocs);
        s = parse(j, max_window_s, &vols, &n, &err);
        fz_alloc_off();
        FZ_CHECK(s == DC_ENOMEM || s == DC_EINVAL || s == DC_OK, "status %s under ENOMEM",
                 dc_status_str(s));
        dc_volumes_free(vols, n);
    }
    json_decref(j);
    return 0;
}
