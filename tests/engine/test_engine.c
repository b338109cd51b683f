/* Strategic engine: the rules of docs/design.md section 3 (strict buffers, own
 * volumes exempt, restriction exemptions), the index against a brute-force
 * scan, removal, options, and allocation failure leaving the engine as it
 * was. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "deconflict/deconflict.h"

static dc_volume vol_circle(double lat, double lon, double r, double lo, double hi, int64_t t0,
                            int64_t t1)
{
    dc_latlon c = {lat, lon};
    dc_footprint *fp;
    dc_error err;
    assert_int_equal(dc_footprint_new(DC_FP_CIRCLE, &c, 1, r, "f", &fp, &err), DC_OK);
    dc_volume v;
    assert_int_equal(dc_volume_init(&v, fp, lo, hi, t0, t1, 0, "v", &err), DC_OK);
    return v;
}

static void add(dc_engine *e, const char *id, uint32_t owner, dc_volume v)
{
    dc_entry_spec s = {.id = id, .owner = owner};
    assert_int_equal(dc_engine_add(e, &s, &v, 1), DC_OK);
}

static size_t check1(dc_engine *e, uint32_t owner, dc_volume *v, const dc_params *p,
                     dc_conflict *out)
{
    size_t n;
    assert_int_equal(dc_engine_check(e, owner, v, 1, p, NULL, out, 16, &n), DC_OK);
    return n;
}

static void test_buffers_are_strict(void **state)
{
    (void)state;
    dc_engine *e = dc_engine_new();
    dc_params p = DC_PARAMS_DEFAULT;
    add(e, "a", 1, vol_circle(33, 44, 1000, 1000, 2000, 1000, 2000));
    dc_conflict out[16];
    /* vertical: band starting exactly V above is clear; 1 cm less conflicts */
    dc_volume v = vol_circle(33, 44, 1000, 2000 + 305, 3000, 1000, 2000);
    assert_int_equal(check1(e, 2, &v, &p, out), 0);
    v.alt_lower_m = 2000 + 304.99;
    assert_int_equal(check1(e, 2, &v, &p, out), 1);
    assert_string_equal(out[0].with_id, "a");
    /* time: window starting exactly T after the end is clear */
    v.alt_lower_m = 1500;
    v.t_start_s = 2000 + 300;
    v.t_end_s = 4000;
    assert_int_equal(check1(e, 2, &v, &p, out), 0);
    v.t_start_s = 2000 + 299;
    assert_int_equal(check1(e, 2, &v, &p, out), 1);
    /* horizontal: H set to the exact distance is clear, a metre more not */
    dc_volume_clear(&v);
    v = vol_circle(33.1, 44.05, 500, 1000, 2000, 1000, 2000);
    dc_volume stored = vol_circle(33, 44, 1000, 1000, 2000, 1000, 2000);
    double d = dc_footprint_distance_m(v.fp, stored.fp);
    dc_volume_clear(&stored);
    assert_true(d > 5000);
    dc_params ph = p;
    ph.h_m = d;
    assert_int_equal(check1(e, 2, &v, &ph, out), 0);
    ph.h_m = d + 1;
    assert_int_equal(check1(e, 2, &v, &ph, out), 1);
    assert_true(fabs(out[0].distance_m - d) < 1e-6);
    /* own volumes never conflict */
    assert_int_equal(check1(e, 1, &v, &ph, out), 0);
    dc_volume_clear(&v);
    dc_engine_free(e);
}

static void test_restrictions_and_exemptions(void **state)
{
    (void)state;
    dc_engine *e = dc_engine_new();
    dc_params p = DC_PARAMS_DEFAULT;
    uint32_t exempt[1] = {7};
    dc_volume r = vol_circle(33.315, 44.366, 30000, 0, 6000, 0, INT64_C(4102444800));
    dc_entry_spec s = {.id = "baghdad",
                       .is_restriction = 1,
                       .owner = DC_OWNER_NONE,
                       .exempt = exempt,
                       .n_exempt = 1};
    assert_int_equal(dc_engine_add(e, &s, &r, 1), DC_OK);
    dc_volume v = vol_circle(33.4, 44.4, 2000, 1000, 2000, 1417500000, 1417503600);
    dc_conflict out[16];
    assert_int_equal(check1(e, 3, &v, &p, out), 1);
    assert_true(out[0].is_restriction);
    assert_int_equal(out[0].owner, DC_OWNER_NONE);
    assert_int_equal(check1(e, 7, &v, &p, out), 0); /* the exempt operator */
    assert_int_equal(dc_engine_remove(e, "baghdad"), DC_OK);
    assert_int_equal(check1(e, 3, &v, &p, out), 0);
    assert_int_equal(dc_engine_remove(e, "baghdad"), DC_ENOTFOUND);
    dc_volume_clear(&v);
    dc_engine_free(e);
}

static void test_options_and_duplicates(void **state)
{
    (void)state;
    dc_engine *e = dc_engine_new();
    dc_params p = DC_PARAMS_DEFAULT;
    add(e, "a", 1, vol_circle(33, 44, 1000, 1000, 2000, 10000, 20000));
    dc_volume dup = vol_circle(34, 45, 1000, 0, 100, 0, 10);
    dc_entry_spec s = {.id = "a", .owner = 1};
    assert_int_equal(dc_engine_add(e, &s, &dup, 1), DC_EEXIST);
    dc_volume_clear(&dup); /* still ours after a failed add */
    dc_volume v = vol_circle(33, 44, 1000, 1000, 2000, 30000, 40000);
    dc_conflict out[16];
    size_t n;
    assert_int_equal(check1(e, 2, &v, &p, out), 0);
    dc_check_opts o = {.dt_s = -15000};
    assert_int_equal(dc_engine_check(e, 2, &v, 1, &p, &o, out, 16, &n), DC_OK);
    assert_int_equal(n, 1);
    o.skip_id = "a";
    assert_int_equal(dc_engine_check(e, 2, &v, 1, &p, &o, out, 16, &n), DC_OK);
    assert_int_equal(n, 0);
    dc_check_opts o2 = {.dt_s = -15000, .dalt_m = 5000};
    assert_int_equal(dc_engine_check(e, 2, &v, 1, &p, &o2, out, 16, &n), DC_OK);
    assert_int_equal(n, 0);
    dc_params bad = {0, 305, 300};
    assert_int_equal(dc_engine_check(e, 2, &v, 1, &bad, NULL, out, 16, &n), DC_EINVAL);
    dc_volume_clear(&v);
    dc_engine_free(e);
}

/* ---- index vs brute force ---- */

static double urand(unsigned *seed, double lo, double hi)
{
    return lo + (hi - lo) * (rand_r(seed) / (double)RAND_MAX);
}

static dc_volume random_volume(unsigned *seed)
{
    double lat = urand(seed, 32, 34), lon = urand(seed, 43, 46);
    double size = urand(seed, 0.02, 0.3);
    dc_footprint *fp = NULL;
    dc_error err;
    int kind = rand_r(seed) % 3;
    if (kind == 0) {
        dc_latlon c = {lat, lon};
        assert_int_equal(dc_footprint_new(DC_FP_CIRCLE, &c, 1, size * 50000, "f", &fp, &err),
                         DC_OK);
    } else if (kind == 1) {
        dc_latlon ring[8];
        for (int i = 0; i < 8; i++) {
            double a = i * M_PI / 4, r = size * urand(seed, 0.4, 1.0);
            ring[i] = (dc_latlon){lat + r * sin(a), lon + r * cos(a)};
        }
        assert_int_equal(dc_footprint_new(DC_FP_POLYGON, ring, 8, 0, "f", &fp, &err), DC_OK);
    } else {
        dc_latlon line[3] = {{lat, lon}, {lat + size, lon + size / 2}, {lat + size, lon + size}};
        assert_int_equal(dc_footprint_new(DC_FP_CORRIDOR, line, 3, 2000, "f", &fp, &err), DC_OK);
    }
    double lo = urand(seed, 0, 10000);
    int64_t t0 = (int64_t)urand(seed, 0, 3 * 86400);
    dc_volume v;
    assert_int_equal(dc_volume_init(&v, fp, lo, lo + urand(seed, 300, 3000), t0,
                                    t0 + (int64_t)urand(seed, 1800, 14400), 0, "v", &err),
                     DC_OK);
    return v;
}

static int conflicts_brute(const dc_volume *a, const dc_volume *b, const dc_params *p)
{
    double vgap = fmax(b->alt_lower_m - a->alt_upper_m, a->alt_lower_m - b->alt_upper_m);
    double tgap = fmax((double)(b->t_start_s - a->t_end_s), (double)(a->t_start_s - b->t_end_s));
    return vgap < p->v_m && tgap < p->t_s && dc_footprint_within(a->fp, b->fp, p->h_m);
}

static void test_index_matches_brute_force(void **state)
{
    (void)state;
    unsigned seed = 42;
    enum { N = 3000, C = 300 };
    dc_engine *e = dc_engine_new();
    dc_volume *stored = calloc(N, sizeof *stored);
    uint32_t *owner = calloc(N, sizeof *owner);
    char id[32];
    for (int i = 0; i < N; i++) {
        dc_volume v = random_volume(&seed);
        stored[i] = v;
        stored[i].fp = dc_footprint_clone(v.fp);
        owner[i] = (uint32_t)(rand_r(&seed) % 5);
        snprintf(id, sizeof id, "op%05d", i);
        add(e, id, owner[i], v);
    }
    /* remove a tenth to exercise slot reuse, then re-add them */
    for (int i = 0; i < N; i += 10) {
        snprintf(id, sizeof id, "op%05d", i);
        assert_int_equal(dc_engine_remove(e, id), DC_OK);
    }
    for (int i = 0; i < N; i += 10) {
        snprintf(id, sizeof id, "op%05d", i);
        dc_volume v = stored[i];
        v.fp = dc_footprint_clone(stored[i].fp);
        add(e, id, owner[i], v);
    }
    assert_int_equal(dc_engine_volume_count(e), N);
    dc_params p = DC_PARAMS_DEFAULT;
    dc_conflict *out = calloc(N, sizeof *out);
    size_t total = 0;
    for (int c = 0; c < C; c++) {
        dc_volume cand = random_volume(&seed);
        uint32_t co = (uint32_t)(rand_r(&seed) % 5);
        size_t n;
        assert_int_equal(dc_engine_check(e, co, &cand, 1, &p, NULL, out, N, &n), DC_OK);
        size_t expect = 0;
        for (int i = 0; i < N; i++)
            if (owner[i] != co && conflicts_brute(&cand, &stored[i], &p)) {
                snprintf(id, sizeof id, "op%05d", i);
                int seen = 0;
                for (size_t k = 0; k < n; k++)
                    seen |= !strcmp(out[k].with_id, id);
                if (!seen)
                    fail_msg("candidate %d: engine missed %s", c, id);
                expect++;
            }
        assert_int_equal(n, expect);
        for (size_t k = 1; k < n; k++)
            assert_true(strcmp(out[k - 1].with_id, out[k].with_id) < 0);
        total += n;
        dc_volume_clear(&cand);
    }
    assert_true(total > 20); /* the workload really produces conflicts */
    for (int i = 0; i < N; i++)
        dc_volume_clear(&stored[i]);
    free(stored);
    free(owner);
    free(out);
    dc_engine_free(e);
}

/* ---- allocation failure ---- */

static int alloc_budget = -1;
static void *failing_malloc(size_t n)
{
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return malloc(n);
}
static void *failing_realloc(void *p, size_t n)
{
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return realloc(p, n);
}

static void test_allocation_failure_leaves_engine_unchanged(void **state)
{
    (void)state;
    dc_engine *e = dc_engine_new();
    for (int i = 0; i < 100; i++) {
        char id[16];
        snprintf(id, sizeof id, "base%d", i);
        add(e, id, 1, vol_circle(33 + i * 0.01, 44, 20000, 0, 1000, i * 1000, i * 1000 + 90000));
    }
    dc_alloc_hooks h = {failing_malloc, failing_realloc, free};
    int succeeded = 0;
    for (int budget = 0; budget < 2000 && !succeeded; budget++) {
        dc_volume v = vol_circle(33.5, 44.2, 90000, 0, 1000, 0, 90000);
        dc_entry_spec s = {.id = "new", .owner = 2};
        dc_set_alloc_hooks(&h);
        alloc_budget = budget;
        dc_status st = dc_engine_add(e, &s, &v, 1);
        dc_set_alloc_hooks(NULL);
        alloc_budget = -1;
        if (st == DC_OK) {
            succeeded = 1;
            break;
        }
        assert_int_equal(st, DC_ENOMEM);
        assert_int_equal(dc_engine_count(e), 100);
        dc_volume_clear(&v);
        /* the engine still answers correctly */
        dc_volume q = vol_circle(33.5, 44.2, 1000, 0, 1000, 50000, 50100);
        size_t n;
        dc_conflict out[128];
        assert_int_equal(dc_engine_check(e, 2, &q, 1, &DC_PARAMS_DEFAULT, NULL, out, 128, &n),
                         DC_OK);
        assert_true(n > 0);
        for (size_t k = 0; k < n; k++)
            assert_string_not_equal(out[k].with_id, "new");
        dc_volume_clear(&q);
    }
    assert_true(succeeded);
    assert_int_equal(dc_engine_count(e), 101);
    dc_engine_free(e);
}

/* The index while its cell table grows a little at a time: volumes spread
 * over 30 x 60 degrees and 30 days (thousands of cells), checked against a
 * brute-force scan every 40 additions, so queries run while cells sit in
 * both tables; a tenth of the candidates span more than 64 time buckets and
 * take the scan-every-cell path. */
static void test_index_during_incremental_growth(void **state)
{
    (void)state;
    unsigned seed = 7;
    enum { N = 6000 };
    dc_engine *e = dc_engine_new();
    dc_volume *stored = calloc(N, sizeof *stored);
    dc_conflict *out = calloc(N, sizeof *out);
    dc_params p = DC_PARAMS_DEFAULT;
    char id[32];
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        int64_t t0 = (int64_t)urand(&seed, 0, 30 * 86400);
        int64_t t1 = t0 + (int64_t)urand(&seed, 600, 12 * 3600);
        dc_volume v = vol_circle(urand(&seed, 20, 50), urand(&seed, 0, 60), urand(&seed, 5e3, 8e4),
                                 0, 1000, t0, t1);
        stored[i] = v;
        stored[i].fp = dc_footprint_clone(v.fp);
        snprintf(id, sizeof id, "v%05d", i);
        add(e, id, 1, v);
        if (i % 40)
            continue;
        t0 = (int64_t)urand(&seed, 0, 30 * 86400);
        t1 = t0 + (i % 400 == 0 ? 20 * 86400 : 4 * 3600);
        dc_volume cand =
            vol_circle(urand(&seed, 20, 50), urand(&seed, 0, 60), 2e5, 0, 1000, t0, t1);
        size_t n, expect = 0;
        assert_int_equal(dc_engine_check(e, 2, &cand, 1, &p, NULL, out, N, &n), DC_OK);
        for (int k = 0; k <= i; k++)
            expect += conflicts_brute(&cand, &stored[k], &p);
        assert_int_equal(n, expect);
        total += n;
        dc_volume_clear(&cand);
    }
    assert_true(total > 50);
    for (int i = 0; i < N; i++)
        dc_volume_clear(&stored[i]);
    free(stored);
    free(out);
    dc_engine_free(e);
}

static int count_visit(void *ctx, const dc_entry_spec *spec, const dc_volume *vols, size_t n)
{
    (void)vols;
    (void)n;
    unsigned char *seen = ctx;
    unsigned k = (unsigned)strtoul(spec->id + 1, NULL, 10);
    seen[k]++;
    return 0;
}

/* Id lookups while the id table grows a little at a time: 40,000 adds with
 * removals and re-adds interleaved, so entries are found, refused as
 * duplicates, removed and visited whichever table they sit in. */
static void test_ids_across_incremental_growth(void **state)
{
    (void)state;
    enum { N = 40000 };
    dc_engine *e = dc_engine_new();
    char id[16];
    size_t live = 0;
    for (unsigned k = 0; k < N; k++) {
        snprintf(id, sizeof id, "e%u", k);
        add(e, id, 1, vol_circle(10 + (k % 50) * 0.1, 20 + (k / 50 % 50) * 0.1, 10, 0, 10, 0, 10));
        live++;
        if (k % 3 == 0 && k >= 9) { /* remove an older one, add it back */
            snprintf(id, sizeof id, "e%u", k - 9);
            assert_int_equal(dc_engine_remove(e, id), DC_OK);
            assert_int_equal(dc_engine_remove(e, id), DC_ENOTFOUND);
            add(e, id, 1, vol_circle(10, 20, 10, 0, 10, 0, 10));
        }
        if (k % 7 == 0 && k >= 100) { /* and one removed for good */
            snprintf(id, sizeof id, "e%u", k - 100);
            if (dc_engine_remove(e, id) == DC_OK)
                live--;
        }
        snprintf(id, sizeof id, "e%u", k / 2);
        dc_entry_spec dup = {.id = id, .owner = 1};
        dc_volume v = vol_circle(10, 20, 10, 0, 10, 0, 10);
        dc_status st = dc_engine_add(e, &dup, &v, 1);
        if (st == DC_OK) { /* k/2 had been removed for good: take it out again */
            assert_int_equal(dc_engine_remove(e, id), DC_OK);
        } else {
            assert_int_equal(st, DC_EEXIST);
            dc_volume_clear(&v);
        }
    }
    assert_int_equal(dc_engine_count(e), live);
    unsigned char *seen = calloc(N, 1);
    dc_engine_visit(e, NULL, count_visit, seen);
    size_t visited = 0;
    for (unsigned k = 0; k < N; k++) {
        assert_true(seen[k] <= 1);
        visited += seen[k];
    }
    assert_int_equal(visited, live);
    free(seen);
    dc_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffers_are_strict),
        cmocka_unit_test(test_restrictions_and_exemptions),
        cmocka_unit_test(test_options_and_duplicates),
        cmocka_unit_test(test_index_matches_brute_force),
        cmocka_unit_test(test_allocation_failure_leaves_engine_unchanged),
        cmocka_unit_test(test_ids_across_incremental_growth),
        cmocka_unit_test(test_index_during_incremental_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
