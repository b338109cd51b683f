/* The track table: broad phase against brute force on random sets (dense,
 * antimeridian, pole, fast and out-of-step reports), staleness, alerts raised
 * once and cleared once, conformance transitions, all-or-nothing batches,
 * JSON reports and allocation failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "deconflict/tactical.h"

static struct geod_geodesic g;

/* ---- random sets ------------------------------------------------------ */

static uint64_t rng_state;
static double rnd(void) /* [0, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

typedef struct scenario {
    double lat, lon, radius_m; /* tracks within radius of the centre */
    double gs_max, dt_max_s;
    int n;
} scenario;

static char ids[5000][16];

/* Fills reports around the centre; operators 0..3 and unknown traffic. */
static void random_reports(const scenario *sc, dc_track_report *r, double now_s)
{
    for (int i = 0; i < sc->n; i++) {
        double lat, lon, azi2;
        geod_direct(&g, sc->lat, sc->lon, 360 * rnd(), sc->radius_m * sqrt(rnd()), &lat, &lon,
                    &azi2);
        int op = (int)(rnd() * 5);
        snprintf(ids[i], sizeof ids[i], "T%d", i);
        r[i] = (dc_track_report){
            .operator_number = op == 4 ? DC_TRACK_OPERATOR_UNKNOWN : (uint32_t)op,
            .track_id = ids[i],
            .time_s = now_s - sc->dt_max_s * rnd(),
            .lat_deg = lat,
            .lon_deg = lon,
            .alt_m = 5000 + 8000 * rnd(),
            .ground_speed_mps = 60 + (sc->gs_max - 60) * rnd(),
            .track_deg = 360 * rnd(),
            .vertical_rate_mps = rnd() < 0.3 ? 30 * rnd() - 15 : 0,
        };
    }
}

static void compare_methods(const scenario *sc)
{
    static dc_track_report r[5000];
    rng_state = 0x9e3779b97f4a7c15ull ^ (uint64_t)sc->n ^ (uint64_t)(sc->lat * 1000);
    random_reports(sc, r, 1000);
    dc_tactical *t = dc_tactical_new(NULL);
    assert_non_null(t);
    assert_int_equal(dc_tactical_ingest(t, r, (size_t)sc->n, NULL, NULL), DC_OK);
    dc_tactical_stats sb, sf;
    assert_int_equal(dc_tactical_pass(t, 1000, DC_TAC_BRUTE_FORCE, &sf), DC_OK);
    size_t nf;
    const dc_tactical_conflict *cf = dc_tactical_conflicts(t, &nf);
    static dc_tactical_conflict brute[200000];
    assert_true(nf < 200000);
    memcpy(brute, cf, nf * sizeof *cf);
    assert_int_equal(dc_tactical_pass(t, 1000, DC_TAC_BROAD_PHASE, &sb), DC_OK);
    size_t nb;
    const dc_tactical_conflict *cb = dc_tactical_conflicts(t, &nb);
    printf("  %d tracks at %.0f,%.0f r=%.0f km: %zu conflicts, broad examined %llu, brute %llu\n",
           sc->n, sc->lat, sc->lon, sc->radius_m / 1000, nb, (unsigned long long)sb.pairs_examined,
           (unsigned long long)sf.pairs_examined);
    assert_true(nf > 0);
    assert_int_equal(nb, nf);
    for (size_t i = 0; i < nf; i++) {
        assert_ptr_equal(cb[i].a.track_id, brute[i].a.track_id);
        assert_ptr_equal(cb[i].b.track_id, brute[i].b.track_id);
        assert_true(cb[i].t_in_s == brute[i].t_in_s && cb[i].d_cpa_m == brute[i].d_cpa_m);
    }
    assert_true(sb.pairs_examined < sf.pairs_examined);
    dc_tactical_free(t);
}

static void test_broad_vs_brute(void **state)
{
    (void)state;
    /* Dense (300 x 300 km), antimeridian, over the pole, fast with
     * reports up to 29 s old, and a wide mid-latitude set. */
    const scenario sets[] = {
        {50, 10, 150000, 250, 0, 5000},   {60, 180, 300000, 250, 5, 5000},
        {89, 30, 400000, 250, 5, 5000},   {-40, -179.5, 400000, 1500, 29, 5000},
        {45, 15, 1500000, 250, 29, 5000}, {0, 0, 50000, 250, 0, 2000},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        compare_methods(&sets[i]);
}

/* Pairs built to pass just inside (or outside) Ht somewhere in the
 * look-ahead, anywhere short of the poles, up to 1500 m/s with reports up to
 * 30 s old: the broad phase's slack must never lose one. */
static void test_broad_near_threshold(void **state)
{
    (void)state;
    rng_state = 12345;
    int found = 0;
    for (int k = 0; k < 20000; k++) {
        double lat = -85 + 170 * rnd(), lon = -180 + 360 * rnd(), trk_a = 360 * rnd();
        double gs_a = 1500 * rnd(), gs_b = 1500 * rnd(), dt_a = 30 * rnd(), dt_b = 30 * rnd();
        double tc = 300 * rnd(), off = 9260 * (0.98 + 0.04 * rnd());
        double mlat, mlon, az, plat, plon, paz, blat, blon, baz;
        geod_direct(&g, lat, lon, trk_a, gs_a * (tc + dt_a), &mlat, &mlon, &az);
        geod_direct(&g, mlat, mlon, az + 90, off, &plat, &plon, &paz);
        double trk_b = 360 * rnd();
        geod_direct(&g, plat, plon, trk_b + 180, gs_b * (tc + dt_b), &blat, &blon, &baz);
        dc_track_report r[2] = {
            {1, "A", 1000 - dt_a, lat, lon, 9000, gs_a, trk_a, 0, NULL},
            {2, "B", 1000 - dt_b, blat, blon, 9000, gs_b, fmod(baz + 540, 360), 0, NULL},
        };
        dc_tactical *t = dc_tactical_new(NULL);
        assert_int_equal(dc_tactical_ingest(t, r, 2, NULL, NULL), DC_OK);
        dc_tactical_stats sf, sb;
        assert_int_equal(dc_tactical_pass(t, 1000, DC_TAC_BRUTE_FORCE, &sf), DC_OK);
        assert_int_equal(dc_tactical_pass(t, 1000, DC_TAC_BROAD_PHASE, &sb), DC_OK);
        if (sf.conflicts != sb.conflicts)
            fail_msg("pair %d at %.3f,%.3f: brute %zu broad %zu", k, lat, lon, sf.conflicts,
                     sb.conflicts);
        found += (int)sf.conflicts;
        dc_tactical_free(t);
    }
    printf("  near-threshold pairs: %d of 20000 in conflict\n", found);
    assert_true(found > 1000 && found < 20000);
}

/* ---- events ----------------------------------------------------------- */

typedef struct rec {
    int kind;
    uint64_t id;
    char a[DC_TRACK_ID_MAX], b[DC_TRACK_ID_MAX], op[DC_TRACK_OPERATION_ID_MAX];
    double time_s;
} rec;

typedef struct recorder {
    rec ev[64];
    int n;
} recorder;

static void record(void *ctx, const dc_tactical_event *ev)
{
    recorder *r = ctx;
    assert_true(r->n < 64);
    rec *e = &r->ev[r->n++];
    memset(e, 0, sizeof *e);
    e->kind = ev->kind;
    e->id = ev->alert_id;
    e->time_s = ev->time_s;
    snprintf(e->a, sizeof e->a, "%s", ev->a.track_id);
    if (ev->b.track_id)
        snprintf(e->b, sizeof e->b, "%s", ev->b.track_id);
    if (ev->a.operation_id)
        snprintf(e->op, sizeof e->op, "%s", ev->a.operation_id);
    if (ev->kind == DC_TAC_ALERT_RAISED)
        assert_non_null(ev->conflict);
}

static dc_track_report rep(uint32_t op, const char *id, double t, double east_m, double trk)
{
    double lat, lon, azi2;
    geod_direct(&g, 33, 44, 90, east_m, &lat, &lon, &azi2);
    return (dc_track_report){op, id, t, lat, lon, 9000, 200, trk, 0, NULL};
}

static void ingest1(dc_tactical *t, dc_track_report r)
{
    assert_int_equal(dc_tactical_ingest(t, &r, 1, NULL, NULL), DC_OK);
}

static void test_alerts_once(void **state)
{
    (void)state;
    recorder rc = {0};
    dc_tactical *t = dc_tactical_new(NULL);
    dc_tactical_set_event_fn(t, record, &rc);
    ingest1(t, rep(1, "A", 0, 0, 90));
    ingest1(t, rep(2, "B", 0, 60000, 270));
    dc_tactical_stats s;
    assert_int_equal(dc_tactical_pass(t, 0, DC_TAC_BROAD_PHASE, &s), DC_OK);
    assert_int_equal(rc.n, 1);
    assert_int_equal(rc.ev[0].kind, DC_TAC_ALERT_RAISED);
    assert_string_equal(rc.ev[0].a, "A");
    assert_string_equal(rc.ev[0].b, "B");
    uint64_t id = rc.ev[0].id;
    for (int i = 1; i <= 3; i++)
        assert_int_equal(dc_tactical_pass(t, i, DC_TAC_BROAD_PHASE, &s), DC_OK);
    assert_int_equal(rc.n, 1); /* still in conflict: nothing new */
    assert_int_equal(s.conflicts, 1);
    /* B turns away: cleared once, with the raise's id. */
    ingest1(t, rep(2, "B", 4, 58400, 90));
    assert_int_equal(dc_tactical_pass(t, 4, DC_TAC_BROAD_PHASE, &s), DC_OK);
    assert_int_equal(dc_tactical_pass(t, 5, DC_TAC_BROAD_PHASE, &s), DC_OK);
    assert_int_equal(rc.n, 2);
    assert_int_equal(rc.ev[1].kind, DC_TAC_ALERT_CLEARED);
    assert_int_equal(rc.ev[1].id, id);
    /* Turns back: a new alert. Then both fall silent: stale, cleared. */
    ingest1(t, rep(2, "B", 6, 58000, 270));
    assert_int_equal(dc_tactical_pass(t, 6, DC_TAC_BROAD_PHASE, &s), DC_OK);
    assert_int_equal(rc.n, 3);
    assert_int_equal(rc.ev[2].kind, DC_TAC_ALERT_RAISED);
    assert_true(rc.ev[2].id != id);
    assert_int_equal(dc_tactical_pass(t, 31, DC_TAC_BROAD_PHASE, &s), DC_OK);
    assert_int_equal(s.dropped_stale, 1); /* A, last heard at 0 */
    assert_int_equal(rc.n, 4);
    assert_int_equal(rc.ev[3].kind, DC_TAC_ALERT_CLEARED);
    assert_string_equal(rc.ev[3].a, "A");
    assert_int_equal(dc_tactical_track_count(t), 1);
    dc_tactical_free(t);
}

static void count_track(void *ctx, const dc_track_report *r)
{
    assert_true(r->track_id[0] != 0);
    ++*(size_t *)ctx;
}

static void test_staleness_and_owners(void **state)
{
    (void)state;
    dc_tactical *t = dc_tactical_new(NULL);
    dc_track_report r[4] = {rep(1, "A", 100, 0, 90), rep(1, "B", 100, 1000, 90),
                            rep(DC_TRACK_OPERATOR_UNKNOWN, "R1", 100, 2000, 90),
                            rep(DC_TRACK_OPERATOR_UNKNOWN, "R2", 70, 3000, 90)};
    size_t applied;
    assert_int_equal(dc_tactical_ingest(t, r, 4, &applied, NULL), DC_OK);
    assert_int_equal(applied, 4);
    dc_tactical_stats s;
    /* At 100, R2 is exactly 30 s old: live. Same-operator A/B never pair;
     * unknown traffic pairs with everyone, other unknowns included. */
    assert_int_equal(dc_tactical_pass(t, 100, DC_TAC_BROAD_PHASE, &s), DC_OK);
    assert_int_equal(s.live_tracks, 4);
    assert_int_equal(s.conflicts, 5);
    assert_int_equal(dc_tactical_pass(t, 100.5, DC_TAC_BRUTE_FORCE, &s), DC_OK);
    assert_int_equal(s.dropped_stale, 1);
    assert_int_equal(s.conflicts, 2);
    assert_int_equal(dc_tactical_track_count(t), 3);
    /* An older report does not move a track back. */
    dc_track_report old = rep(1, "A", 50, 0, 90);
    assert_int_equal(dc_tactical_ingest(t, &old, 1, &applied, NULL), DC_OK);
    assert_int_equal(applied, 0);
    dc_track_report got;
    assert_int_equal(dc_tactical_track_get(t, 1, "A", &got), DC_OK);
    assert_true(got.time_s == 100 && !strcmp(got.track_id, "A") && !got.operation_id);
    assert_int_equal(dc_tactical_track_get(t, 2, "A", &got), DC_ENOTFOUND);
    assert_int_equal(dc_tactical_track_get(t, DC_TRACK_OPERATOR_UNKNOWN, "R2", &got), DC_ENOTFOUND);
    size_t visited = 0;
    dc_tactical_each(t, count_track, &visited);
    assert_int_equal(visited, dc_tactical_track_count(t));
    /* A dropped key can come back, into a reused slot. */
    ingest1(t, rep(DC_TRACK_OPERATOR_UNKNOWN, "R2", 101, 3000, 90));
    assert_int_equal(dc_tactical_track_count(t), 4);
    dc_tactical_free(t);
}

/* ---- conformance ------------------------------------------------------ */

static dc_volume vols[2];

static dc_status lookup(void *ctx, uint32_t op, const char *operation_id, const dc_volume **v,
                        size_t *n)
{
    (void)ctx;
    if (op != 7 || strcmp(operation_id, "op-1"))
        return DC_ENOTFOUND;
    *v = vols;
    *n = 2;
    return DC_OK;
}

static void fly(dc_tactical *t, double t0, double t1, double east_m, double alt_m)
{
    for (double s = t0; s <= t1; s++) {
        double lat, lon, azi2;
        geod_direct(&g, 33, 44, 90, east_m, &lat, &lon, &azi2);
        dc_track_report r = {7, "V11", s, lat, lon, alt_m, 0, 0, 0, "op-1"};
        ingest1(t, r);
        assert_int_equal(dc_tactical_pass(t, s, DC_TAC_BROAD_PHASE, NULL), DC_OK);
    }
}

static void test_conformance(void **state)
{
    (void)state;
    /* Circle of 10 km at 33N 44E, 0-6000 m; and a square 20-30 km east. */
    dc_latlon c = {33, 44};
    dc_footprint *fc, *fp;
    assert_int_equal(dc_footprint_new(DC_FP_CIRCLE, &c, 1, 10000, "c", &fc, NULL), DC_OK);
    dc_latlon sq[4] = {{32.95, 44.21}, {32.95, 44.32}, {33.05, 44.32}, {33.05, 44.21}};
    assert_int_equal(dc_footprint_new(DC_FP_POLYGON, sq, 4, 0, "p", &fp, NULL), DC_OK);
    assert_int_equal(dc_volume_init(&vols[0], fc, 0, 6000, 0, 100000, DC_MAX_WINDOW_S, "v0", NULL),
                     DC_OK);
    assert_int_equal(dc_volume_init(&vols[1], fp, 0, 6000, 0, 100000, DC_MAX_WINDOW_S, "v1", NULL),
                     DC_OK);
    dc_tactical_params p = DC_TACTICAL_PARAMS_DEFAULT;
    p.conf_v_tol_m = 100;
    dc_tactical *t = dc_tactical_new(&p);
    recorder rc = {0};
    dc_tactical_set_event_fn(t, record, &rc);
    dc_tactical_set_volumes_fn(t, lookup, NULL);
    fly(t, 0, 4, 5000, 3000);   /* inside the circle */
    fly(t, 5, 25, 15000, 3000); /* between the two: outside from 5 */
    assert_int_equal(rc.n, 1);  /* at 16: outside for more than 10 s */
    assert_int_equal(rc.ev[0].kind, DC_TAC_NONCONFORMING);
    assert_true(rc.ev[0].time_s == 16);
    assert_string_equal(rc.ev[0].a, "V11");
    assert_string_equal(rc.ev[0].op, "op-1");
    fly(t, 26, 40, 25000, 3050); /* inside the square (tolerance on alt) */
    assert_int_equal(rc.n, 2);
    assert_int_equal(rc.ev[1].kind, DC_TAC_CONFORMING);
    assert_true(rc.ev[1].time_s == 36); /* inside for 10 s */
    fly(t, 41, 50, 25000, 6200);        /* above band + tolerance for 10 s: not more */
    fly(t, 51, 60, 25000, 6050);
    assert_int_equal(rc.n, 2);
    fly(t, 61, 72, 25000, 6200);
    assert_int_equal(rc.n, 3);
    assert_int_equal(rc.ev[2].kind, DC_TAC_NONCONFORMING);
    dc_tactical_free(t);
    dc_volume_clear(&vols[0]);
    dc_volume_clear(&vols[1]);
}

/* ---- validation ------------------------------------------------------- */

static void test_batch_all_or_nothing(void **state)
{
    (void)state;
    dc_tactical *t = dc_tactical_new(NULL);
    dc_track_report r[3] = {rep(1, "A", 0, 0, 90), rep(2, "B", 0, 1000, 90), rep(3, "C", 0, 0, 90)};
    r[2].lat_deg = 91;
    dc_error err;
    assert_int_equal(dc_tactical_ingest(t, r, 3, NULL, &err), DC_EINVAL);
    assert_string_equal(err.field, "reports[2].lat");
    assert_int_equal(dc_tactical_track_count(t), 0);
    r[2].lat_deg = 33;
    r[1].track_deg = NAN;
    assert_int_equal(dc_tactical_ingest(t, r, 3, NULL, &err), DC_EINVAL);
    assert_string_equal(err.field, "reports[1].track_deg");
    r[1].track_deg = 90;
    r[0].track_id = "0123456789012345678901234567890123456789012345678901234567890123";
    assert_int_equal(dc_tactical_ingest(t, r, 3, NULL, &err), DC_EINVAL);
    assert_string_equal(err.field, "reports[0].track_id");
    r[0].track_id = "A";
    r[0].operation_id = "";
    assert_int_equal(dc_tactical_ingest(t, r, 3, NULL, &err), DC_EINVAL);
    assert_string_equal(err.field, "reports[0].operation_id");
    assert_int_equal(dc_tactical_track_count(t), 0);
    r[0].operation_id = "op";
    assert_int_equal(dc_tactical_ingest(t, r, 3, NULL, &err), DC_OK);
    assert_int_equal(dc_tactical_track_count(t), 3);
    dc_tactical_free(t);
    dc_tactical_params p = DC_TACTICAL_PARAMS_DEFAULT;
    p.h_m = 0;
    assert_null(dc_tactical_new(&p));
    assert_int_equal(dc_tactical_params_check(&p, &err), DC_EINVAL);
    assert_string_equal(err.field, "h_m");
}

static void test_json_reports(void **state)
{
    (void)state;
    json_error_t je;
    json_t *body = json_loads(
        "{\"reports\":[{\"track_id\":\"V11\",\"time\":\"2024-05-01T12:00:00.25Z\",\"lat\":33.1,"
        "\"lon\":44.2,\"alt_m\":9000,\"ground_speed_mps\":200,\"track_deg\":90,"
        "\"vertical_rate_mps\":0,\"operation_id\":\"op-1\"},"
        "{\"track_id\":\"V12\",\"time\":1714564800,\"lat\":33.1,\"lon\":44.2,\"alt_m\":\"x\","
        "\"ground_speed_mps\":200,\"track_deg\":90,\"vertical_rate_mps\":0}]}",
        0, &je);
    assert_non_null(body);
    dc_track_report r[4];
    size_t n = 0;
    dc_error err;
    assert_int_equal(dc_json_track_reports(body, 3, r, 4, &n, &err), DC_EINVAL);
    assert_string_equal(err.field, "reports[1].alt_m");
    json_object_set_new(json_array_get(json_object_get(body, "reports"), 1), "alt_m",
                        json_real(8000));
    assert_int_equal(dc_json_track_reports(body, 3, r, 1, &n, &err), DC_ELIMIT);
    assert_int_equal(dc_json_track_reports(body, 3, r, 4, &n, &err), DC_OK);
    assert_int_equal(n, 2);
    assert_true(r[0].time_s == 1714564800.25);
    assert_true(r[1].time_s == 1714564800);
    assert_string_equal(r[0].operation_id, "op-1");
    assert_null(r[1].operation_id);
    assert_int_equal(r[1].operator_number, 3);
    json_object_del(json_array_get(json_object_get(body, "reports"), 0), "time");
    assert_int_equal(dc_json_track_reports(body, 3, r, 4, &n, &err), DC_EINVAL);
    assert_string_equal(err.field, "reports[0].time");
    json_decref(body);
    body = json_pack("{s:[]}", "reports");
    assert_int_equal(dc_json_track_reports(body, 3, r, 4, &n, &err), DC_EINVAL);
    assert_string_equal(err.field, "reports");
    json_decref(body);
    /* A track id of the host's surveillance (a Mode S tie) cannot be posted. */
    body = json_pack("{s:[{s:s, s:f, s:f, s:f, s:f}]}", "reports", "track_id", "modes:4CA7A8",
                     "time", 1714564800.0, "lat", 1.0, "lon", 1.0, "alt_m", 100.0);
    assert_int_equal(dc_json_track_reports(body, 3, r, 4, &n, &err), DC_EINVAL);
    assert_string_equal(err.field, "reports[0].track_id");
    json_decref(body);
}

/* ---- allocation failure ----------------------------------------------- */

static int fail_after;
static void *failing_malloc(size_t n)
{
    return fail_after-- > 0 ? malloc(n) : NULL;
}
static void *failing_realloc(void *p, size_t n)
{
    return fail_after-- > 0 ? realloc(p, n) : NULL;
}

static void test_alloc_failure(void **state)
{
    (void)state;
    const dc_alloc_hooks hooks = {failing_malloc, failing_realloc, free};
    dc_tactical *t = dc_tactical_new(NULL);
    recorder rc = {0};
    dc_tactical_set_event_fn(t, record, &rc);
    dc_track_report r[2] = {rep(1, "A", 0, 0, 90), rep(2, "B", 0, 30000, 270)};
    for (int k = 0;; k++) {
        fail_after = k;
        dc_set_alloc_hooks(&hooks);
        dc_status st = dc_tactical_ingest(t, r, 2, NULL, NULL);
        dc_set_alloc_hooks(NULL);
        if (st == DC_OK)
            break;
        assert_int_equal(st, DC_ENOMEM);
        assert_int_equal(dc_tactical_track_count(t), 0);
    }
    for (int k = 0;; k++) {
        fail_after = k;
        dc_set_alloc_hooks(&hooks);
        dc_status st = dc_tactical_pass(t, 0, DC_TAC_BROAD_PHASE, NULL);
        dc_set_alloc_hooks(NULL);
        if (st == DC_OK)
            break;
        assert_int_equal(st, DC_ENOMEM);
        assert_int_equal(rc.n, 0);
    }
    assert_int_equal(rc.n, 1);
    dc_tactical_free(t);
}

int main(void)
{
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broad_vs_brute), cmocka_unit_test(test_broad_near_threshold),
        cmocka_unit_test(test_alerts_once),    cmocka_unit_test(test_staleness_and_owners),
        cmocka_unit_test(test_conformance),    cmocka_unit_test(test_batch_all_or_nothing),
        cmocka_unit_test(test_json_reports),   cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
