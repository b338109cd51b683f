/* Fuzz target: the tactical track batch parser (dc_json_track_reports, the
 * body of POST /v1/tracks) and what it feeds: a parsed batch is ingested
 * into two tactical tables and each runs passes, one by the broad phase and
 * one by brute force. Reports are spread over three operators (one of them
 * "unknown" traffic) so that pairs exist; linked operation ids get a fixed
 * volume so conformance runs too. Properties: rejections name a field; a
 * parsed report passes dc_track_report_check; the two methods find the same
 * conflicting pairs (differential test of the broad phase). */
#include <math.h>

#include "deconflict/tactical.h"
#include "fuzz_common.h"

#define CAP 128

static dc_volume conf_vol;

static dc_status volumes_fn(void *ctx, uint32_t op, const char *operation_id,
                            const dc_volume **vols, size_t *n)
{
    (void)ctx;
    (void)op;
    if (!operation_id || operation_id[0] == 'x')
        return DC_ENOTFOUND;
    *vols = &conf_vol;
    *n = 1;
    return DC_OK;
}

static size_t events;
static void event_fn(void *ctx, const dc_tactical_event *ev)
{
    (void)ctx;
    FZ_CHECK(ev->kind >= DC_TAC_ALERT_RAISED && ev->kind <= DC_TAC_CONFORMING, "event kind %d",
             (int)ev->kind);
    FZ_CHECK(ev->kind != DC_TAC_ALERT_RAISED || ev->conflict, "raise without conflict");
    events++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    dc_latlon c = {33.3, 44.4};
    dc_footprint *fp = NULL;
    dc_error err;
    if (dc_footprint_new(DC_FP_CIRCLE, &c, 1, 50000, "conf", &fp, &err) != DC_OK ||
        dc_volume_init(&conf_vol, fp, 0, 10000, 1417478400, 1417478400 + 86400, 0, "conf", &err) !=
            DC_OK)
        abort();
    return 0;
}

static int same_ref(const dc_track_ref *x, const dc_track_ref *y)
{
    return x->operator_number == y->operator_number && !strcmp(x->track_id, y->track_id);
}

static void compare(dc_tactical *broad, dc_tactical *brute)
{
    size_t n1, n2;
    const dc_tactical_conflict *c1 = dc_tactical_conflicts(broad, &n1);
    const dc_tactical_conflict *c2 = dc_tactical_conflicts(brute, &n2);
    FZ_CHECK(n1 == n2, "broad phase found %zu conflicts, brute force %zu", n1, n2);
    for (size_t i = 0; i < n1; i++) {
        FZ_CHECK(same_ref(&c1[i].a, &c2[i].a) && same_ref(&c1[i].b, &c2[i].b),
                 "pair %zu differs: %s/%s vs %s/%s", i, c1[i].a.track_id, c1[i].b.track_id,
                 c2[i].a.track_id, c2[i].b.track_id);
        FZ_CHECK(c1[i].t_in_s >= 0 && c1[i].t_in_s <= c1[i].t_out_s, "loss interval [%g, %g]",
                 c1[i].t_in_s, c1[i].t_out_s);
        FZ_CHECK(isfinite(c1[i].d_cpa_m) && c1[i].d_cpa_m >= 0, "d_cpa %g", c1[i].d_cpa_m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *body = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
    if (!body)
        return 0;
    static dc_track_report reps[CAP];
    size_t n = 0;
    dc_error err = {{0}, {0}};
    dc_status s = dc_json_track_reports(body, 7, reps, CAP, &n, &err);
    if (s != DC_OK) {
        FZ_CHECK(s == DC_EINVAL || s == DC_ELIMIT, "status %s", dc_status_str(s));
        FZ_CHECK(err.field[0] && err.reason[0], "rejection without field/reason");
        json_decref(body);
        return 0;
    }
    FZ_CHECK(n >= 1 && n <= CAP, "n = %zu", n);
    double latest = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        FZ_CHECK(reps[i].operator_number == 7, "operator changed");
        FZ_CHECK(dc_track_report_check(&reps[i], "r", &err) == DC_OK,
                 "parsed report %zu fails check: %s %s", i, err.field, err.reason);
        static const uint32_t ops[3] = {1, 2, DC_TRACK_OPERATOR_UNKNOWN};
        reps[i].operator_number = ops[i % 3];
        latest = fmax(latest, reps[i].time_s);
    }
    uint64_t h = fz_hash(data, size);
    dc_tactical *t[2] = {dc_tactical_new(NULL), dc_tactical_new(NULL)};
    FZ_CHECK(t[0] && t[1], "dc_tactical_new failed");
    for (int k = 0; k < 2; k++) {
        dc_tactical_set_volumes_fn(t[k], volumes_fn, NULL);
        dc_tactical_set_event_fn(t[k], event_fn, NULL);
        size_t applied = 0;
        s = dc_tactical_ingest(t[k], reps, n, &applied, &err);
        FZ_CHECK(s == DC_OK, "ingest of a parsed batch: %s %s %s", dc_status_str(s), err.field,
                 err.reason);
        FZ_CHECK(applied <= n, "applied %zu of %zu", applied, n);
    }
    /* Pass times: at the newest report, a little later, and (by hash)
     * past the stale limit, so extrapolation, clears and drops all run. */
    double steps[3] = {0, (double)(h % 20), 10.0 + (double)(h >> 8 & 63)};
    for (int p = 0; p < 3; p++) {
        double now = latest + steps[p];
        dc_tactical_stats st1, st2;
        FZ_CHECK(dc_tactical_pass(t[0], now, DC_TAC_BROAD_PHASE, &st1) == DC_OK, "broad pass");
        FZ_CHECK(dc_tactical_pass(t[1], now, DC_TAC_BRUTE_FORCE, &st2) == DC_OK, "brute pass");
        FZ_CHECK(st1.live_tracks == st2.live_tracks, "live tracks %zu vs %zu", st1.live_tracks,
                 st2.live_tracks);
        compare(t[0], t[1]);
    }
    dc_tactical_free(t[0]);
    dc_tactical_free(t[1]);
    json_decref(body);
    return 0;
}
