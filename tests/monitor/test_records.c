/* Alert records (src/monitor/records.c) without a tick thread or HTTP: a
 * raised pair gives the authority one full record (both operators, tracks
 * and positions) and each operator side one blind record (its own track,
 * the intruder only relatively, nothing that names the other side); a
 * clear carries the same reference; unknown traffic and the authority's
 * own tracks get no operator record; a conformance event goes to the owner
 * and the authority. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "monitor/tick_int.h"

typedef struct fixture {
    dc_server s;
    dc__monitor m;
    dc__monitor_tick t;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    memset(f->s.secret, 7, sizeof f->s.secret);
    f->s.cfg.tactical = DC_TACTICAL_PARAMS_DEFAULT;
    f->m.s = &f->s;
    f->m.tick = &f->t;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < f->t.n_out; i++)
        dc_free(f->t.out[i].body);
    dc_free(f->t.out);
    dc_free(f->t.adv);
    if (f->t.traffic)
        dc__traffic_free(f->t.traffic);
    dc_free(f->t.traffic);
    dc_free(f->t.seed);
    dc_tactical_free(f->m.table);
    free(f);
    return 0;
}

static void side_set(side *sd, uint32_t op, const char *op_id, const char *name, const char *track,
                     const char *operation, double lat, double lon)
{
    memset(sd, 0, sizeof *sd);
    sd->op = op;
    snprintf(sd->track, sizeof sd->track, "%s", track);
    snprintf(sd->operation, sizeof sd->operation, "%s", operation);
    sd->known = op_id != NULL;
    if (op_id) {
        snprintf(sd->op_id, sizeof sd->op_id, "%s", op_id);
        snprintf(sd->op_name, sizeof sd->op_name, "%s", name);
    }
    sd->has_pos = 1;
    sd->pos.time_s = 1893492000.5;
    sd->pos.lat_deg = lat;
    sd->pos.lon_deg = lon;
    sd->pos.alt_m = 3000;
}

static event pair_event(dc_tactical_event_kind kind)
{
    event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.alert_id = 42;
    ev.time_s = 1893492000.5;
    side_set(&ev.a, 2, "opr_coalition", "coalition", "COAL11", "op_c1", 34.20, 45.10);
    side_set(&ev.b, 3, "opr_iran", "iran", "IRN22", "op_i1", 34.25, 45.15);
    ev.c.t_in_s = 40;
    ev.c.t_out_s = 90;
    ev.c.t_cpa_s = 60;
    ev.c.d_cpa_m = 800;
    ev.c.seen_by_a = (dc_relative){45, 6000, 0, 60, 800};
    ev.c.seen_by_b = (dc_relative){225, 6000, 0, 60, 800};
    return ev;
}

static json_t *record(const fixture *f, size_t i, uint32_t *to)
{
    char text[4096];
    snprintf(text, sizeof text, "{%s}", f->t.out[i].body);
    *to = f->t.out[i].to;
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

static void test_pair_raised(void **state)
{
    fixture *f = *state;
    event ev = pair_event(DC_TAC_ALERT_RAISED);
    dc__pair_records(&f->m, &ev);
    assert_int_equal(f->t.n_out, 3);
    assert_int_equal(atomic_load(&f->m.m.raised), 1);

    uint32_t to;
    json_t *full = record(f, 0, &to);
    assert_int_equal(to, DC__TO_AUTHORITY);
    assert_string_equal(json_string_value(json_object_get(full, "kind")), "raised");
    const char *ref = json_string_value(json_object_get(full, "alert"));
    assert_non_null(ref);
    assert_int_equal(strncmp(ref, "al_", 3), 0);
    json_t *a = json_object_get(full, "a"), *b = json_object_get(full, "b");
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "operator"), "id")),
                        "opr_coalition");
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "operator"), "name")),
                        "iran");
    assert_string_equal(json_string_value(json_object_get(b, "track_id")), "IRN22");
    assert_non_null(json_object_get(json_object_get(b, "position"), "lat"));
    assert_non_null(json_object_get(full, "seen_by_a"));

    for (size_t i = 1; i < 3; i++) {
        json_t *blind = record(f, i, &to);
        const char *own = to == 2 ? "COAL11" : "IRN22", *other = to == 2 ? "IRN22" : "COAL11";
        const char *other_op = to == 2 ? "opr_iran" : "opr_coalition";
        assert_true(to == 2 || to == 3);
        assert_string_equal(json_string_value(json_object_get(blind, "alert")), ref);
        assert_string_equal(json_string_value(json_object_get(blind, "track_id")), own);
        json_t *intr = json_object_get(blind, "intruder");
        assert_non_null(intr);
        /* Coarse: a sector, a band, above/level/below; never exact geometry. */
        assert_non_null(json_object_get(intr, "distance_band"));
        assert_string_equal(json_string_value(json_object_get(intr, "vertical")), "level");
        assert_null(json_object_get(intr, "bearing_deg"));
        assert_null(json_object_get(intr, "distance_m"));
        assert_null(json_object_get(intr, "d_cpa_m"));
        assert_non_null(json_object_get(json_object_get(blind, "advisory"), "maneuver"));
        /* Nothing that names or places the other side. */
        assert_null(strstr(f->t.out[i].body, other));
        assert_null(strstr(f->t.out[i].body, other_op));
        assert_null(strstr(f->t.out[i].body, to == 2 ? "iran" : "coalition"));
        assert_null(json_object_get(blind, "position"));
        assert_null(json_object_get(blind, "a"));
        assert_null(json_object_get(blind, "lat"));
        json_decref(blind);
    }
    json_decref(full);
}

static void test_pair_cleared_same_ref(void **state)
{
    fixture *f = *state;
    event up = pair_event(DC_TAC_ALERT_RAISED), down = pair_event(DC_TAC_ALERT_CLEARED);
    dc__pair_records(&f->m, &up);
    dc__pair_records(&f->m, &down);
    assert_int_equal(f->t.n_out, 6);
    uint32_t to;
    json_t *r = record(f, 0, &to), *c = record(f, 3, &to);
    assert_string_equal(json_string_value(json_object_get(c, "kind")), "cleared");
    assert_string_equal(json_string_value(json_object_get(c, "alert")),
                        json_string_value(json_object_get(r, "alert")));
    assert_null(json_object_get(c, "seen_by_a")); /* a clear carries no geometry */
    json_t *blind = record(f, 4, &to);
    assert_null(json_object_get(blind, "intruder"));
    json_decref(blind);
    json_decref(r);
    json_decref(c);
    /* Another alert gets another reference. */
    event other = pair_event(DC_TAC_ALERT_RAISED);
    other.alert_id = 43;
    dc__pair_records(&f->m, &other);
    json_t *o = record(f, 6, &to), *first = record(f, 0, &to);
    assert_string_not_equal(json_string_value(json_object_get(o, "alert")),
                            json_string_value(json_object_get(first, "alert")));
    json_decref(o);
    json_decref(first);
}

static void test_unknown_and_authority_sides(void **state)
{
    fixture *f = *state;
    event ev = pair_event(DC_TAC_ALERT_RAISED);
    side_set(&ev.b, DC_TRACK_OPERATOR_UNKNOWN, NULL, NULL, "3C6589", "", 34.25, 45.15);
    dc__pair_records(&f->m, &ev);
    assert_int_equal(f->t.n_out, 2); /* the authority and operator a only */
    uint32_t to;
    json_t *full = record(f, 0, &to);
    assert_true(json_is_null(json_object_get(json_object_get(full, "b"), "operator")));
    assert_true(json_is_null(json_object_get(json_object_get(full, "b"), "operation_id")));
    json_decref(full);
    assert_int_equal(f->t.out[1].to, 2);

    event own = pair_event(DC_TAC_ALERT_RAISED);
    own.a.is_authority = 1;
    dc__pair_records(&f->m, &own);
    assert_int_equal(f->t.n_out, 4); /* the authority and operator b */
    assert_int_equal(f->t.out[3].to, 3);
}

static void test_conformance(void **state)
{
    fixture *f = *state;
    event ev = pair_event(DC_TAC_NONCONFORMING);
    ev.a.state = "nonconforming";
    dc__conformance_records(&f->m, &ev);
    assert_int_equal(f->t.n_out, 2);
    uint32_t to;
    json_t *owner = record(f, 0, &to);
    assert_int_equal(to, 2);
    assert_string_equal(json_string_value(json_object_get(owner, "kind")), "nonconforming");
    assert_string_equal(json_string_value(json_object_get(owner, "operation_id")), "op_c1");
    assert_string_equal(json_string_value(json_object_get(owner, "operation_state")),
                        "nonconforming");
    assert_null(json_object_get(owner, "operator"));
    json_t *auth = record(f, 1, &to);
    assert_int_equal(to, DC__TO_AUTHORITY);
    assert_string_equal(json_string_value(json_object_get(json_object_get(auth, "operator"), "id")),
                        "opr_coalition");
    json_decref(owner);
    json_decref(auth);
    assert_int_equal(atomic_load(&f->m.m.nonconforming), 1);

    event quiet = pair_event(DC_TAC_CONFORMING);
    quiet.quiet = 1; /* everyone knows already: nothing */
    dc__conformance_records(&f->m, &quiet);
    assert_int_equal(f->t.n_out, 2);
}

/* Two tracks with the same velocity (both stationary, or in formation) are
 * in loss of separation for ever: the end of the loss is infinite inside the
 * detector, and every record must still be JSON with only finite numbers. */
static int all_finite(const json_t *j)
{
    if (json_is_real(j))
        return isfinite(json_real_value(j));
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) if (!all_finite(v)) return 0;
    }
    if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) if (!all_finite(v)) return 0;
    }
    return 1;
}

static void same_velocity_pair(void **state, double speed_mps)
{
    fixture *f = *state;
    dc_tactical_params p = {.h_m = 9260, .v_m = 305, .lookahead_s = 300};
    dc_track_report ra = {.time_s = 1893492000,
                          .lat_deg = 34.20,
                          .lon_deg = 45.10,
                          .alt_m = 3000,
                          .ground_speed_mps = speed_mps,
                          .track_deg = 90};
    dc_track_report rb = ra;
    rb.lat_deg = 34.21;
    rb.alt_m = 3100;
    ra.track_id = "A1";
    rb.track_id = "B1";
    event ev = pair_event(DC_TAC_ALERT_RAISED);
    assert_int_equal(dc_tactical_pair(&p, &ra, &rb, &ev.c), 1);
    assert_false(isfinite(ev.c.t_out_s)); /* the loss never ends */
    dc__pair_records(&f->m, &ev);
    assert_int_equal(f->t.n_out, 3);
    for (size_t i = 0; i < f->t.n_out; i++) {
        uint32_t to;
        json_t *j = record(f, i, &to); /* asserts it parses */
        assert_true(all_finite(j));
        if (to == DC__TO_AUTHORITY)
            assert_true(json_is_null(json_object_get(j, "t_out_s")));
        assert_null(strstr(f->t.out[i].body, "inf"));
        assert_null(strstr(f->t.out[i].body, "nan"));
        json_decref(j);
    }
}

static void test_stationary_pair(void **state)
{
    same_velocity_pair(state, 0);
}

static void test_formation_pair(void **state)
{
    same_velocity_pair(state, 120);
}

/* The advisory resolves: followed by own aircraft alone (the intruder keeps
 * going), the pair no longer loses separation within the look-ahead. */
static void check_resolves(dc_track_report own, dc_track_report in)
{
    dc_tactical_params p = DC_TACTICAL_PARAMS_DEFAULT;
    dc_tactical_conflict c;
    own.track_id = "OWN";
    in.track_id = "INT";
    assert_int_equal(dc_tactical_pair(&p, &own, &in, &c), 1);
    dc__advisory a;
    dc__advise_in ai = {&own, &in, NULL, 0, NULL, own.time_s, c.t_in_s, 0, 0};
    dc__advise(&p, &ai, &a);
    if (a.kind == DC__ADVISE_HEADING) {
        assert_true(fabs(a.turn_deg) >= 10 && fabs(a.turn_deg) <= 90);
        own.track_deg = a.heading_deg;
    } else {
        assert_int_equal(a.kind, DC__ADVISE_ALTITUDE);
        own.alt_m = a.altitude_m;
    }
    assert_int_equal(dc_tactical_pair(&p, &own, &in, NULL), 0);
}

static void test_advisory_resolves(void **state)
{
    (void)state;
    dc_track_report own = {.time_s = 1893492000,
                           .lat_deg = 34.01,
                           .lon_deg = 45.01,
                           .alt_m = 5000,
                           .ground_speed_mps = 200,
                           .track_deg = 90};
    dc_track_report in = own;
    in.lon_deg = 45.31; /* head-on, 27.6 km */
    in.track_deg = 270;
    check_resolves(own, in);
    in.lat_deg = 34.03; /* converging, offset 2 km */
    check_resolves(own, in);
    in = own; /* crossing from the north */
    in.lat_deg = 34.2;
    in.lon_deg = 45.15;
    in.track_deg = 180;
    check_resolves(own, in);
    own.ground_speed_mps = 0; /* hovering: an altitude change */
    in = own;
    in.lon_deg = 45.05;
    in.alt_m = 5100;
    in.ground_speed_mps = 0;
    check_resolves(own, in);
}

/* ---- revised advisories ---- */

#define T0 1893492000.0

/* Own (COAL11) at pos flying track_deg, and the intruder (IRN22) 30 km
 * dead ahead of it, head-on: whatever own was advised, it does not clear. */
static void head_on(fixture *f, double t_s, double lat, double lon, double track_deg)
{
    double d = 30000.0 / 111195.0;
    dc_track_report r[2] = {{2, "COAL11", t_s, lat, lon, 5000, 200, track_deg, 0, "op_c1"},
                            {3, "IRN22", t_s, lat + d * cos(track_deg * M_PI / 180),
                             lon + d * sin(track_deg * M_PI / 180) / cos(lat * M_PI / 180), 5000,
                             200, fmod(track_deg + 180, 360), 0, "op_i1"}};
    assert_int_equal(dc_tactical_ingest(f->m.table, r, 2, NULL, NULL), DC_OK);
    assert_int_equal(dc_tactical_pass(f->m.table, t_s, DC_TAC_BRUTE_FORCE, NULL), DC_OK);
    f->t.pass++;
}

/* The records to COAL11's operator from index from on, of kind. */
static size_t own_records(const fixture *f, size_t from, const char *kind, json_t **last)
{
    size_t n = 0;
    for (size_t i = from; i < f->t.n_out; i++) {
        uint32_t to;
        json_t *j = record(f, i, &to);
        if (to == 2 && !strcmp(json_string_value(json_object_get(j, "kind")), kind)) {
            n++;
            json_decref(*last);
            *last = json_incref(j);
        }
        json_decref(j);
    }
    return n;
}

static double heading_of(const json_t *rec)
{
    return json_number_value(json_object_get(json_object_get(rec, "advisory"), "heading_deg"));
}

/* An open alert whose advised heading no longer clears (the intruder
 * turned onto own's new path) gets a revised advisory under the same
 * alert reference; a track gets at most one advisory per
 * DC__REVISE_EVERY_S and an alert at most DC__REVISE_MAX revisions. */
static void test_advisory_revised(void **state)
{
    fixture *f = *state;
    dc_tactical_params p = DC_TACTICAL_PARAMS_DEFAULT;
    p.max_speed_mps = p.max_climb_mps = 0; /* the intruder jumps onto own's path */
    f->m.table = dc_tactical_new(&p);
    f->s.cfg.tactical = p;
    head_on(f, T0, 34.0, 45.0, 90);
    size_t n;
    const dc_tactical_conflict *c = dc_tactical_conflicts(f->m.table, &n);
    assert_int_equal(n, 1);
    event ev = pair_event(DC_TAC_ALERT_RAISED);
    ev.time_s = T0;
    ev.c = *c;
    memset(&ev.c.a, 0, sizeof ev.c.a);
    memset(&ev.c.b, 0, sizeof ev.c.b);
    side *sides[2] = {&ev.a, &ev.b};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(
            dc_tactical_track_get(f->m.table, sides[k]->op, sides[k]->track, &sides[k]->pos),
            DC_OK);
        sides[k]->pos.track_id = sides[k]->pos.operation_id = NULL;
    }
    dc__pair_records(&f->m, &ev);
    json_t *raised = NULL, *rev = NULL;
    assert_int_equal(own_records(f, 0, "raised", &raised), 1);
    const char *ref = json_string_value(json_object_get(raised, "alert"));
    double heading = heading_of(raised);
    assert_true(fabs(heading - 90) >= 10);

    /* Still open and unchanged right after the raise: nothing is revised
     * (the advised heading clears a head-on intruder). */
    size_t mark = f->t.n_out;
    head_on(f, T0 + 1, 34.0, 45.0, 90);
    dc__revise_records(&f->m, T0 + 1);
    assert_int_equal(own_records(f, mark, "revised", &rev), 0);

    /* Own flew the advisory; the intruder turned head-on to it again. */
    double t = T0 + DC__REVISE_EVERY_S;
    for (unsigned k = 1; k <= DC__REVISE_MAX; k++) {
        mark = f->t.n_out;
        head_on(f, t - 1, 34.02, 45.05, heading);
        dc__revise_records(&f->m, t - 1); /* within the bound: not yet */
        assert_int_equal(own_records(f, mark, "revised", &rev), 0);
        head_on(f, t, 34.02, 45.05, heading);
        dc__revise_records(&f->m, t);
        assert_int_equal(own_records(f, mark, "revised", &rev), 1);
        assert_string_equal(json_string_value(json_object_get(rev, "alert")), ref);
        assert_string_equal(json_string_value(json_object_get(rev, "track_id")), "COAL11");
        assert_string_equal(json_string_value(json_object_get(rev, "operation_id")), "op_c1");
        assert_int_equal(json_integer_value(json_object_get(rev, "revision")), k);
        assert_non_null(json_object_get(json_object_get(rev, "intruder"), "distance_band"));
        assert_non_null(json_object_get(rev, "t_los_s"));
        double h = heading_of(rev);
        assert_true(fabs(fmod(h - heading + 540, 360) - 180) >= 10);
        /* The revised heading clears what the old one did not. */
        dc_track_report own, in;
        assert_int_equal(dc_tactical_track_get(f->m.table, 2, "COAL11", &own), DC_OK);
        assert_int_equal(dc_tactical_track_get(f->m.table, 3, "IRN22", &in), DC_OK);
        assert_int_equal(dc_tactical_pair(&p, &own, &in, NULL), 1);
        own.track_deg = h;
        assert_int_equal(dc_tactical_pair(&p, &own, &in, NULL), 0);
        /* Nothing names or places the other side. */
        for (size_t i = mark; i < f->t.n_out; i++)
            if (f->t.out[i].to == 2) {
                assert_null(strstr(f->t.out[i].body, "IRN22"));
                assert_null(strstr(f->t.out[i].body, "iran"));
                assert_null(strstr(f->t.out[i].body, "\"lat\""));
            }
        heading = h;
        t += DC__REVISE_EVERY_S;
    }
    /* DC__REVISE_MAX revisions: the alert gets no more, however long it
     * stays open. */
    for (int k = 0; k < 3; k++, t += DC__REVISE_EVERY_S) {
        mark = f->t.n_out;
        head_on(f, t, 34.02, 45.05, heading);
        dc__revise_records(&f->m, t);
        assert_int_equal(own_records(f, mark, "revised", &rev), 0);
    }
    assert_true(atomic_load(&f->m.m.revised) >= DC__REVISE_MAX);
    json_decref(raised);
    json_decref(rev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pair_raised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pair_cleared_same_ref, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_authority_sides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conformance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stationary_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_formation_pair, setup, teardown),
        cmocka_unit_test(test_advisory_resolves),
        cmocka_unit_test_setup_teardown(test_advisory_revised, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
