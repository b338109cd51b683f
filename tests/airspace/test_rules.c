/* The airspace rules without HTTP or sockets (src/airspace/): decide (exact
 * and blind), suggest, the one preemption path, the one state change,
 * notices and their ids, both probing mechanisms, and the time rules of
 * operations (plans in the past, the activation window, windows that end
 * by themselves; restrictions' exact notices), on a server object
 * opened over a fresh SQLite store with no thread started. Operations are
 * put in memory the way the store's loader does it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "airspace/airspace.h"

/* 2030-01-01T10:00:00Z .. 11:00:00Z */
#define T0 1893492000
#define T1 1893495600

typedef struct fixture {
    char dir[64];
    dc_server *s;
} fixture;

static const char *VOL_FMT =
    "[{\"footprint\":{\"type\":\"Point\",\"coordinates\":[%.6f,%.6f],\"radius_m\":%.0f},"
    "\"altitude_lower_m\":%.0f,\"altitude_upper_m\":%.0f,"
    "\"time_start\":\"%s\",\"time_end\":\"%s\"}]";

static void volumes(char *out, size_t n, double lat, double lon, double radius_m, double lo_m,
                    double hi_m, int64_t t0, int64_t t1)
{
    char a[32], b[32];
    dc_time_format(t0, a, sizeof a);
    dc_time_format(t1, b, sizeof b);
    snprintf(out, n, VOL_FMT, lon, lat, radius_m, lo_m, hi_m, a, b);
}

static dc__candidate candidate(dc_server *s, const char *json, int is_restriction)
{
    dc__candidate c;
    dc_error err;
    json_t *arr = json_loads(json, 0, NULL);
    assert_non_null(arr);
    assert_int_equal(dc__candidate_parse(s, arr, is_restriction, 64, &c, &err), DC_OK);
    json_decref(arr);
    return c;
}

static void add_operator(dc_server *s, uint32_t number, const char *id, const char *name)
{
    dc__load_ctx l = {s, DC_OK, NULL};
    dc_store_operator o = {number, id, name, 0, T0};
    assert_int_equal(dc__load_operator(&l, &o), 0);
    assert_int_equal(l.rc, DC_OK);
}

/* An entry in memory as the loader puts it there (installed when live). */
static dc__entry *add_entry(dc_server *s, const char *id, int is_restriction, uint32_t owner,
                            int priority, const char *state, const char *vols,
                            const char *exempt_json)
{
    dc__load_ctx l = {s, DC_OK, NULL};
    dc_store_entry e = {
        id, is_restriction, owner,   priority, state, 1, vols, exempt_json ? exempt_json : "[]",
        "", T0 - 60,        T0 - 60, ""};
    assert_int_equal(dc__load_entry(&l, &e), 0);
    assert_int_equal(l.rc, DC_OK);
    dc__entry *got = dc__entry_get(s, id);
    assert_non_null(got);
    return got;
}

static size_t journal_len(const dc_server *s)
{
    size_t n = 0;
    for (const dc__write *w = s->j_head; w; w = w->next)
        n++;
    return n;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char uri[128], key[256];
    dc_error err;
    snprintf(f->dir, sizeof f->dir, "/tmp/dc-rules-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(uri, sizeof uri, "sqlite:%s/store.db", f->dir);
    assert_int_equal(dc_server_init_store(uri, "iraq", key, sizeof key, &err), DC_OK);
    dc_server_config cfg;
    dc_server_config_default(&cfg);
    assert_int_equal(dc__airspace_open(uri, &cfg, &f->s, &err), DC_OK);
    add_operator(f->s, 2, "opr_coalition", "coalition");
    add_operator(f->s, 3, "opr_iran", "iran");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char path[128];
    dc__airspace_close(f->s);
    snprintf(path, sizeof path, "%s/store.db", f->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/store.db-wal", f->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/store.db-shm", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Iran flies over Jalawla; a coalition candidate on top of it conflicts,
 * exactly and blind; Iran's own second one does not; a coalition one far
 * away does not. */
static void test_decide_exact_and_own(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512];
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    dc__entry *iran = add_entry(s, "op_iran1", 0, 3, 10, "approved", v, NULL);

    dc__candidate c = candidate(s, v, 0);
    dc__hits h;
    dc__decide_opts o = {2, 1, NULL, 0, 0, 0};
    dc__decide(s, &o, c.vols, c.n, &h);
    assert_int_equal(h.total, 1);
    assert_int_equal(h.n, 1);
    assert_ptr_equal(h.h[0].e, iran);
    assert_int_equal(h.h[0].vol, 0);
    o.exact = 0;
    dc__decide(s, &o, c.vols, c.n, &h);
    assert_true(h.total >= 1);
    o.owner = 3; /* an operator's own volumes never conflict */
    dc__decide(s, &o, c.vols, c.n, &h);
    assert_int_equal(h.total, 0);
    o.owner = 2;
    o.skip_id = "op_iran1"; /* a modification of that very entry */
    dc__decide(s, &o, c.vols, c.n, &h);
    assert_int_equal(h.total, 0);
    dc__candidate_free(&c);

    volumes(v, sizeof v, 36.63, 42.82, 5000, 1000, 3000, T0, T1); /* Mosul dam */
    c = candidate(s, v, 0);
    dc__decide_opts far = {2, 0, NULL, 0, 0, 0};
    dc__decide(s, &far, c.vols, c.n, &h);
    assert_int_equal(h.total, 0);
    dc__candidate_free(&c);
}

/* 2.5 km apart: clear by the exact rule (H = 1852 m), but inside the
 * coarsened notice, so refused in blind mode; the submission decision
 * picks exact for the authority and blind for an operator. */
static void test_decide_blind_is_conservative(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512];
    volumes(v, sizeof v, 34.27, 45.17, 1000, 1000, 3000, T0, T1);
    add_entry(s, "op_iran1", 0, 3, 10, "approved", v, NULL);
    /* 0.036 degrees of latitude north: 4.0 km between centres, 2.0 km
     * between edges, but inside the notice (its grid edge is at 34.30). */
    volumes(v, sizeof v, 34.306, 45.17, 1000, 1000, 3000, T0, T1);
    dc__candidate c = candidate(s, v, 0);
    dc__hits h;
    dc__decide_opts o = {2, 1, NULL, 0, 0, 0};
    dc__decide(s, &o, c.vols, c.n, &h);
    assert_int_equal(h.total, 0);
    o.exact = 0;
    dc__decide(s, &o, c.vols, c.n, &h);
    assert_true(h.total >= 1);
    assert_int_equal(dc__decide_submission(s, 2, 0, c.vols, c.n, NULL, &h), 0);
    assert_true(h.total >= 1);
    assert_int_equal(dc__decide_submission(s, 1, 1, c.vols, c.n, NULL, &h), 1);
    assert_int_equal(h.total, 0);
    assert_int_equal(atomic_load(&s->m.check_count), 2);
    dc__candidate_free(&c);
}

/* Restrictions are decided exactly and bind everyone but the exempt. */
static void test_decide_restriction_exempt(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512];
    volumes(v, sizeof v, 33.315, 44.366, 30000, 0, 6000, T0 - 86400, T1 + 86400);
    add_entry(s, "rs_baghdad", 1, DC_OWNER_NONE, 100, "in_force", v, "[1]");
    volumes(v, sizeof v, 33.30, 44.40, 2000, 1000, 2000, T0, T1);
    dc__candidate c = candidate(s, v, 0);
    dc__hits h;
    dc__decide_opts o = {2, 0, NULL, 0, 0, 0};
    dc__decide(s, &o, c.vols, c.n, &h);
    assert_int_equal(h.total, 1);
    assert_true(h.h[0].e->is_restriction);
    o.owner = 1; /* the authority is exempt */
    dc__decide(s, &o, c.vols, c.n, &h);
    assert_int_equal(h.total, 0);
    dc__candidate_free(&c);
}

/* The smallest time shift that would be approved, later first on a tie;
 * never into the past; else the nearest altitude band. */
static void test_suggest(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512];
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    add_entry(s, "op_iran1", 0, 3, 10, "approved", v, NULL);
    dc__candidate c = candidate(s, v, 0);
    dc__decide_opts o = {2, 1, NULL, 0, 0, 0};
    dc__suggestion sg;
    dc__suggest(s, &o, c.vols, c.n, T0 - 86400, &sg);
    assert_int_equal(sg.kind, DC__SUGGEST_TIME);
    /* The window is an hour and T is 300 s: 1 h + 5 min, in 5 min steps. */
    assert_int_equal(sg.dt_s, 3600 + 300);
    dc__hits h;
    dc__decide_opts shifted = o;
    shifted.dt_s = sg.dt_s;
    dc__decide(s, &shifted, c.vols, c.n, &h);
    assert_int_equal(h.total, 0);
    shifted.dt_s = sg.dt_s - s->cfg.time_step_s; /* one step less still conflicts */
    dc__decide(s, &shifted, c.vols, c.n, &h);
    assert_true(h.total > 0);

    /* No time shift allowed: the nearest altitude band above. */
    s->cfg.suggest_max_shift_s = 0;
    dc__suggest(s, &o, c.vols, c.n, T0 - 86400, &sg);
    assert_int_equal(sg.kind, DC__SUGGEST_ALTITUDE);
    assert_true(sg.dalt_m > 0);
    shifted = o;
    shifted.dalt_m = sg.dalt_m;
    dc__decide(s, &shifted, c.vols, c.n, &h);
    assert_int_equal(h.total, 0);
    shifted.dalt_m = sg.dalt_m - s->cfg.alt_step_m;
    dc__decide(s, &shifted, c.vols, c.n, &h);
    assert_true(h.total > 0);

    /* Nothing allowed at all: no suggestion. */
    s->cfg.suggest_alt_steps = 0;
    dc__suggest(s, &o, c.vols, c.n, T0 - 86400, &sg);
    assert_int_equal(sg.kind, DC__SUGGEST_NONE);
    dc__candidate_free(&c);
}

static void test_suggest_never_in_the_past(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512];
    /* Iran ends at T1; the candidate starts at T0 + 3000 and an earlier
     * shift would clear it sooner, but now is T0 + 2000. */
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T0 + 2400);
    add_entry(s, "op_iran1", 0, 3, 10, "approved", v, NULL);
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0 + 2400, T0 + 3000);
    dc__candidate c = candidate(s, v, 0);
    dc__decide_opts o = {2, 1, NULL, 0, 0, 0};
    dc__suggestion sg;
    dc__suggest(s, &o, c.vols, c.n, T0 - 86400, &sg);
    assert_int_equal(sg.kind, DC__SUGGEST_TIME);
    assert_int_equal(sg.dt_s, 300); /* later first on a tie */
    dc__suggest(s, &o, c.vols, c.n, T0 + 2300, &sg);
    assert_int_equal(sg.kind, DC__SUGGEST_TIME);
    assert_true(sg.dt_s > 0);
    dc__candidate_free(&c);
}

/* The one state change: version, time, note, journal, and the engines. */
static void test_state_change(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512];
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    dc__entry *e = add_entry(s, "op_iran1", 0, 3, 10, "approved", v, NULL);
    dc__candidate c = candidate(s, v, 0);
    dc__hits h;
    dc__decide_opts o = {2, 1, NULL, 0, 0, 0};
    int64_t seq = s->audit_seq;

    dc__change to_active = {DC__ACTIVE, NULL, "opr_iran", "activate", NULL};
    assert_int_equal(dc__entry_change(s, e, &to_active), DC_OK);
    assert_int_equal(e->state, DC__ACTIVE);
    assert_int_equal(e->version, 2);
    assert_true(llabs(e->updated_s - (int64_t)time(NULL)) < 5); /* stamped now */
    assert_string_equal(e->note, "");
    assert_int_equal(s->audit_seq, seq + 1);
    assert_int_equal(journal_len(s), 2); /* the entry and its audit record */
    assert_int_equal(s->j_head->kind, DC__W_ENTRY);
    assert_string_equal(s->j_head->u.e.state, "active");
    assert_int_equal(s->j_head->u.e.version, 2);
    dc__decide(s, &o, c.vols, c.n, &h); /* still live: still in the engines */
    assert_int_equal(h.total, 1);

    dc__change to_nc = {DC__NONCONFORMING, "outside", "monitor", "nonconforming", NULL};
    assert_int_equal(dc__entry_change(s, e, &to_nc), DC_OK);
    assert_string_equal(e->note, "outside");
    assert_int_equal(e->version, 3);
    dc__decide(s, &o, c.vols, c.n, &h);
    assert_int_equal(h.total, 1);

    dc__change to_end = {DC__ENDED, NULL, "opr_iran", "end", json_pack("{s:s}", "by", "test")};
    assert_int_equal(dc__entry_change(s, e, &to_end), DC_OK);
    assert_int_equal(e->state, DC__ENDED);
    assert_int_equal(e->version, 4);
    assert_null(e->notices);
    dc__decide(s, &o, c.vols, c.n, &h); /* out of the engines */
    assert_int_equal(h.total, 0);
    assert_int_equal(journal_len(s), 6);
    assert_int_equal(s->audit_seq, seq + 3);
    dc__candidate_free(&c);
}

/* A modification moves the entry's volumes in the engines and is a state
 * change (version, journal) that keeps the state. */
static void test_modify(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512], w[512];
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    volumes(w, sizeof w, 36.63, 42.82, 5000, 1000, 3000, T0, T1);
    dc__entry *e = add_entry(s, "op_iran1", 0, 3, 10, "active", v, NULL);
    dc__candidate at_jalawla = candidate(s, v, 0), at_mosul = candidate(s, w, 0);
    dc__candidate moved = candidate(s, w, 0);
    dc__hits h;
    dc__decide_opts o = {2, 1, NULL, 0, 0, 0};
    assert_int_equal(dc__entry_modify(s, e, &moved, 20, NULL, "opr_iran"), DC_OK);
    assert_int_equal(e->state, DC__ACTIVE);
    assert_int_equal(e->version, 2);
    assert_int_equal(e->priority, 20);
    assert_non_null(strstr(e->volumes_json, "42.82"));
    assert_int_equal(atomic_load(&s->m.approved), 1);
    assert_int_equal(journal_len(s), 2);
    dc__decide(s, &o, at_jalawla.vols, at_jalawla.n, &h);
    assert_int_equal(h.total, 0);
    dc__decide(s, &o, at_mosul.vols, at_mosul.n, &h);
    assert_int_equal(h.total, 1);
    dc__candidate_free(&moved);
    dc__candidate_free(&at_jalawla);
    dc__candidate_free(&at_mosul);
}

/* One preemption path: by priority for an override, by exemption for a
 * restriction; preempted entries leave the engines and are journaled. */
static void test_preempt(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512];
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    dc__entry *low = add_entry(s, "op_low", 0, 3, 10, "active", v, NULL);
    volumes(v, sizeof v, 34.27, 45.20, 3000, 1000, 3000, T0, T1);
    dc__entry *high = add_entry(s, "op_high", 0, 2, 90, "approved", v, NULL);
    volumes(v, sizeof v, 34.27, 45.18, 8000, 0, 5000, T0, T1);
    dc__candidate c = candidate(s, v, 0);

    json_t *ids = json_array();
    size_t n =
        dc__preempt(s, 1, c.vols, c.n, 50, NULL, 0, "opr_iraq", "preempted by override", ids);
    assert_int_equal(n, 1);
    assert_int_equal(json_array_size(ids), 1);
    assert_string_equal(json_string_value(json_array_get(ids, 0)), "op_low");
    assert_int_equal(low->state, DC__PREEMPTED);
    assert_int_equal(low->version, 2);
    assert_string_equal(low->note, "preempted by override");
    assert_int_equal(high->state, DC__APPROVED);
    assert_int_equal(atomic_load(&s->m.preempted), 1);
    dc__hits h;
    dc__decide_opts o = {1, 1, NULL, 0, 0, 0};
    dc__decide(s, &o, c.vols, c.n, &h);
    assert_int_equal(h.total, 1);
    assert_ptr_equal(h.h[0].e, high);
    /* Already preempted: not again. */
    assert_int_equal(dc__preempt(s, 1, c.vols, c.n, 50, NULL, 0, "opr_iraq", "again", NULL), 0);

    /* A restriction preempts every priority, except the exempt operators. */
    uint32_t exempt[1] = {2};
    dc__candidate r = candidate(s, v, 1);
    assert_int_equal(dc__preempt(s, DC_OWNER_NONE, r.vols, r.n, INT32_MAX, exempt, 1, "opr_iraq",
                                 "restricted", ids),
                     0);
    assert_int_equal(high->state, DC__APPROVED);
    assert_int_equal(dc__preempt(s, DC_OWNER_NONE, r.vols, r.n, INT32_MAX, NULL, 0, "opr_iraq",
                                 "restricted", ids),
                     1);
    assert_int_equal(high->state, DC__PREEMPTED);
    assert_int_equal(json_array_size(ids), 2);
    json_decref(ids);
    dc__candidate_free(&r);
    dc__candidate_free(&c);
}

/* New entries: an authority override approves over a lower-priority
 * operation (preempting it); a restriction preempts all but the exempt. */
static void test_approve_and_restrict(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512];
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    dc__entry *iran = add_entry(s, "op_iran1", 0, 3, 10, "approved", v, NULL);
    volumes(v, sizeof v, 34.30, 45.20, 5000, 1000, 3000, T0, T1);
    dc__entry *coal = add_entry(s, "op_coal1", 0, 2, 90, "approved", v, NULL);

    volumes(v, sizeof v, 34.27, 45.17, 3000, 1000, 3000, T0, T1);
    dc__candidate c = candidate(s, v, 0);
    json_t *ids = json_array();
    dc__entry *e = dc__entry_new("op_auth1");
    assert_int_equal(dc__operation_approve(s, e, 1, 50, 1, "override", &c, "opr_iraq", ids), DC_OK);
    assert_ptr_equal(dc__entry_get(s, "op_auth1"), e);
    assert_int_equal(e->state, DC__APPROVED);
    assert_int_equal(e->version, 1);
    assert_int_equal(e->owner, 1);
    assert_null(c.volumes_json); /* taken */
    assert_int_equal(iran->state, DC__PREEMPTED);
    assert_int_equal(coal->state, DC__APPROVED); /* priority 90 stays */
    assert_int_equal(json_array_size(ids), 1);
    assert_int_equal(atomic_load(&s->m.overridden), 1);
    assert_int_equal(atomic_load(&s->m.approved), 1);
    dc__candidate_free(&c); /* its volumes were taken */
    c = candidate(s, v, 0);
    dc__hits h;
    dc__decide_opts o = {3, 1, NULL, 0, 0, 0};
    dc__decide(s, &o, c.vols, c.n, &h); /* the new one is in the engines */
    assert_true(h.n >= 1);
    int seen = 0;
    for (size_t i = 0; i < h.n; i++)
        seen |= h.h[i].e == e;
    assert_true(seen);
    dc__candidate_free(&c);

    volumes(v, sizeof v, 34.30, 45.20, 20000, 0, 6000, T0, T1);
    c = candidate(s, v, 1);
    uint32_t *exempt = dc_calloc(1, sizeof *exempt);
    exempt[0] = 1;
    dc__entry *rs = dc__entry_new("rs_1");
    assert_int_equal(dc__restriction_create(s, rs, "zone", exempt, 1, &c, "opr_iraq", ids), DC_OK);
    assert_int_equal(rs->state, DC__IN_FORCE);
    assert_string_equal(rs->note, "zone");
    assert_int_equal(coal->state, DC__PREEMPTED); /* the coalition is not exempt */
    assert_int_equal(e->state, DC__APPROVED);     /* the authority is */
    assert_int_equal(json_array_size(ids), 2);
    json_decref(ids);
    dc__candidate_free(&c);
}

/* A notice contains the volume grown by H, V and T, coarsened outward to
 * the grid, 300 m and 5 min; its id is stable per requester only. */
static void test_notices(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512];
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1010, 2990, T0 + 61, T1 - 61);
    dc__entry *e = add_entry(s, "op_iran1", 0, 3, 10, "approved", v, NULL);
    assert_int_equal(e->n_vols, 1);
    const dc__notice *n = &e->notices[0];
    double grow_deg = (5000.0 + s->cfg.params.h_m) / 111000.0;
    assert_true(n->lat_min <= 34.27 - grow_deg && n->lat_max >= 34.27 + grow_deg);
    assert_true(n->lon_min < 45.17 - grow_deg && n->lon_max > 45.17 + grow_deg);
    double cells = n->lat_min * s->cfg.grid_cells_per_deg;
    assert_true(cells - (double)(long long)cells < 1e-6 || (long long)cells - cells > -1e-6);
    assert_true(n->alt_lower_m <= 1010 - s->cfg.params.v_m);
    assert_true(n->alt_upper_m >= 2990 + s->cfg.params.v_m);
    assert_int_equal((long long)n->alt_lower_m % 300, 0);
    assert_true(n->t_start_s <= T0 + 61 - s->cfg.params.t_s);
    assert_true(n->t_end_s >= T1 - 61 + s->cfg.params.t_s);
    assert_int_equal(n->t_start_s % 300, 0);
    assert_non_null(strstr(n->geom, "Polygon"));
    assert_true(s->envelope_area_km2 > 0);

    char a1[40], a2[40], b1[40];
    dc__notice_id(s, "op_iran1", 0, "opr_coalition", a1);
    dc__notice_id(s, "op_iran1", 0, "opr_coalition", a2);
    dc__notice_id(s, "op_iran1", 0, "opr_other", b1);
    assert_string_equal(a1, a2);
    assert_string_not_equal(a1, b1);
    assert_null(strstr(a1, "iran"));
}

/* Both probing mechanisms: the per-operator budget per minute (429 and one
 * audit record at the limit) and the per-area alert to the authority. */
/* The per-minute budget slides: a burst at the end of one minute still
 * counts at the start of the next (a fixed minute let twice the limit
 * through across the boundary). Seconds are whole, so the previous minute
 * weighs at least 1/60: 60 x the limit there refuses at any second. */
static void test_probing_sliding_minute(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    s->cfg.probe_limit = 3;
    dc__operator *o = dc__operator_get(s, 3);
    assert_non_null(o);
    o->probe_window_s = dc__unix_s() / 60 - 1;
    o->probe_rejections = 60 * 3;
    assert_true(dc__probing_refused(s, 3, 0));
    o->probe_window_s = dc__unix_s() / 60 - 2; /* two minutes ago: forgotten */
    o->probe_rejections = 60 * 3;
    assert_false(dc__probing_refused(s, 3, 0));
}

static void test_probing(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512];
    s->cfg.probe_limit = 3;
    s->cfg.probe_alert_rejections = 2;
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    dc__candidate c = candidate(s, v, 0);
    int64_t seq = s->audit_seq;
    size_t n;

    assert_false(dc__probing_refused(s, 2, 0));
    dc__probing_rejection(s, 2, 0, c.vols, c.n);
    assert_null(dc__probing_take_alerts(s, &n));
    assert_int_equal(n, 0);
    dc__probing_rejection(s, 2, 0, c.vols, c.n); /* second in the cell: alert */
    assert_int_equal(s->audit_seq, seq + 1);
    char **alerts = dc__probing_take_alerts(s, &n);
    assert_int_equal(n, 1);
    assert_non_null(strstr(alerts[0], "\"kind\":\"probing\""));
    assert_non_null(strstr(alerts[0], "opr_coalition"));
    dc_free(alerts[0]);
    dc_free(alerts);
    assert_null(dc__probing_take_alerts(s, &n));
    assert_int_equal(atomic_load(&s->m.probing_alerts), 1);
    assert_false(dc__probing_refused(s, 2, 0));
    dc__probing_rejection(s, 2, 0, c.vols, c.n); /* third: the budget is spent */
    assert_true(dc__probing_refused(s, 2, 0));
    assert_int_equal(atomic_load(&s->m.probing_limited), 1);
    assert_int_equal(s->audit_seq, seq + 2);
    assert_false(dc__probing_refused(s, 3, 0));  /* per operator */
    dc__probing_rejection(s, 1, 1, c.vols, c.n); /* the authority is never counted */
    assert_false(dc__probing_refused(s, 1, 1));
    assert_int_equal(s->audit_seq, seq + 2);
    dc__candidate_free(&c);
}

/* ---- the time rules of operations (window.c, issue 18) ---- */

/* An operation named by its owner, as a loaded row would carry it. */
static dc__entry *named(dc__entry *e)
{
    dc_free(e->name);
    e->name = dc_strdup("Diyala recce");
    return e;
}

/* A plan that ends at or before now is refused, naming the time_end of its
 * last volume; one that ends later is not. */
static void test_plan_in_the_past(void **state)
{
    fixture *f = *state;
    char v[1024], w[512];
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    json_t *arr = json_loads(v, 0, NULL);
    dc__candidate c;
    dc_error err = {{0}, {0}};
    assert_int_equal(dc__candidate_parse(f->s, arr, 0, 64, &c, &err), DC_OK);
    json_decref(arr);
    assert_int_equal(dc__plan_time_check(c.vols, c.n, T0 - 1, &err), DC_OK);
    assert_int_equal(dc__plan_time_check(c.vols, c.n, T1 - 1, &err), DC_OK);
    assert_int_equal(dc__plan_time_check(c.vols, c.n, T1, &err), DC_EINVAL);
    assert_string_equal(err.field, "volumes[0].time_end");
    assert_non_null(strstr(err.reason, "future"));
    dc__candidate_free(&c);

    /* Two volumes: the plan ends with its later one, which is named. */
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0 - 7200, T0 - 3600);
    volumes(w, sizeof w, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    v[strlen(v) - 1] = ',';
    strcat(v, w + 1);
    arr = json_loads(v, 0, NULL);
    assert_non_null(arr);
    assert_int_equal(dc__candidate_parse(f->s, arr, 0, 64, &c, &err), DC_OK);
    json_decref(arr);
    assert_int_equal(dc__plan_time_check(c.vols, c.n, T0, &err), DC_OK);
    assert_int_equal(dc__plan_time_check(c.vols, c.n, T1 + 5, &err), DC_EINVAL);
    assert_string_equal(err.field, "volumes[1].time_end");
    dc__candidate_free(&c);
}

static void test_activation_window(void **state)
{
    fixture *f = *state;
    char v[512];
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    dc__entry *e = named(add_entry(f->s, "op_1", 0, 2, 10, "approved", v, NULL));
    assert_int_equal(e->t_first_s, T0);
    assert_int_equal(e->t_last_s, T1);
    assert_string_equal(e->name, "Diyala recce");
    dc_error err = {{0}, {0}};
    assert_int_equal(dc__activation_check(e, T0 - DC_ACTIVATE_EARLY_S - 1, &err), DC_ECONFLICT);
    assert_string_equal(err.field, "time_start");
    assert_non_null(strstr(err.reason, "2030-01-01T10:00:00Z"));
    assert_int_equal(dc__activation_check(e, T0 - DC_ACTIVATE_EARLY_S, &err), DC_OK);
    assert_int_equal(dc__activation_check(e, T0, &err), DC_OK);
    assert_int_equal(dc__activation_check(e, T1 - 1, &err), DC_OK);
    assert_int_equal(dc__activation_check(e, T1, &err), DC_ECONFLICT);
    assert_string_equal(err.field, "time_end");
}

/* Live operations past their window end by themselves, through the one
 * state change; those still flying, the ones already over and the
 * restrictions are left alone. */
static void test_windows_end(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char v[512];
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    dc__entry *a = add_entry(s, "op_a", 0, 2, 10, "active", v, NULL);
    dc__entry *b = add_entry(s, "op_b", 0, 2, 10, "nonconforming", v, NULL);
    dc__entry *w = add_entry(s, "op_w", 0, 2, 10, "withdrawn", v, NULL);
    dc__entry *rs = add_entry(s, "rs_1", 1, DC_OWNER_NONE, 100, "in_force", v, NULL);
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1 + 3600);
    dc__entry *later = add_entry(s, "op_later", 0, 2, 10, "approved", v, NULL);
    assert_int_equal(s->next_end_s, T1);

    assert_int_equal(dc__windows_end(s, T1 - 1), 0);
    assert_int_equal(journal_len(s), 0);
    assert_int_equal(dc__windows_end(s, T1), 2);
    assert_int_equal(a->state, DC__ENDED);
    assert_int_equal(b->state, DC__ENDED);
    assert_int_equal(a->version, 2);
    assert_string_equal(a->note, "its time window ended");
    assert_int_equal(w->state, DC__WITHDRAWN);
    assert_int_equal(w->version, 1);
    assert_int_equal(rs->state, DC__IN_FORCE);
    assert_int_equal(later->state, DC__APPROVED);
    /* Each change is an entry row plus its audit record. */
    assert_int_equal(journal_len(s), 4);
    assert_int_equal(s->next_end_s, T1 + 3600);
    /* Ended operations leave the engines: nothing conflicts with them. */
    assert_int_equal(dc_engine_count(s->ops_exact), 1);
    /* Nothing more is due before the next end. */
    assert_int_equal(dc__windows_end(s, T1 + 3599), 0);
    assert_int_equal(journal_len(s), 4);
    assert_int_equal(dc__windows_end(s, T1 + 3600), 1);
    assert_int_equal(later->state, DC__ENDED);
    assert_int_equal(s->next_end_s, INT64_MAX);
}

/* A restriction's notice is its own published volume, exact and named. */
static void test_restriction_notice_exact(void **state)
{
    fixture *f = *state;
    char v[512];
    volumes(v, sizeof v, 33.315, 44.366, 5000, 1000, 3000, T0, T1);
    dc__entry *rs = add_entry(f->s, "rs_1", 1, DC_OWNER_NONE, 100, "in_force", v, NULL);
    dc_free(rs->note);
    rs->note = dc_strdup("Baghdad"); /* a restriction's note is its name */
    const dc__notice *n = &rs->notices[0];
    assert_true(n->alt_lower_m == 1000 && n->alt_upper_m == 3000);
    assert_int_equal(n->t_start_s, T0);
    assert_int_equal(n->t_end_s, T1);
    dc__buf b = {0};
    dc__notice_render(f->s, rs, 0, "opr_coalition", 0, &b);
    json_t *j = json_loads(b.p, 0, NULL);
    dc__buf_free(&b);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "Baghdad");
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "restriction");
    json_t *fp = json_object_get(j, "footprint");
    assert_string_equal(json_string_value(json_object_get(fp, "type")), "Point");
    assert_true(json_number_value(json_object_get(fp, "radius_m")) == 5000);
    assert_true(json_number_value(json_object_get(j, "altitude_upper_m")) == 3000);
    json_decref(j);
}

/* Mode S addresses (mode_s.c): an address is one operator's; the register
 * is replaced whole and journaled with its audit record; a feed track is
 * tied only to an active (or nonconforming) operation of the address's
 * operator that declared it, never to another's nor to one not flying; the
 * rows load back. */
static void test_mode_s(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    uint32_t x, owner = 0;
    const char *op = NULL;
    size_t bad = 99;
    char holder[24] = "";
    assert_int_equal(dc__mode_s_parse("4ca7A8", &x), 0);
    assert_int_equal(x, 0x4CA7A8);
    assert_int_not_equal(dc__mode_s_parse("4CA7A", &x), 0);
    assert_int_not_equal(dc__mode_s_parse("4CA7A8 ", &x), 0);
    assert_int_not_equal(dc__mode_s_parse("4CG7A8", &x), 0);
    assert_int_not_equal(dc__mode_s_parse(NULL, &x), 0);

    dc__operator *coalition = dc__operator_get(s, 2), *iran = dc__operator_get(s, 3);
    uint32_t mine[2] = {0x4CA7A8, 0xABC123}, theirs[2] = {0x000001, 0xABC123};
    size_t j0 = journal_len(s);
    assert_int_equal(dc__mode_s_register(s, coalition, mine, 2, "opr_host", &bad, holder), DC_OK);
    assert_int_equal(journal_len(s), j0 + 2); /* the row and its audit record */
    assert_int_equal(s->j_head->kind, DC__W_MODE_S);
    assert_string_equal(s->j_head->u.ms.holder, "opr_coalition");
    assert_string_equal(s->j_head->u.ms.addresses, "4CA7A8,ABC123");
    /* Iran may not have the coalition's address; nothing of Iran's changes. */
    assert_int_equal(dc__mode_s_register(s, iran, theirs, 2, "opr_host", &bad, holder), DC_EEXIST);
    assert_int_equal(bad, 1);
    assert_string_equal(holder, "opr_coalition");
    assert_int_equal(dc__mode_s_owner(s, 0x000001), 0);
    assert_int_equal(dc__mode_s_owner(s, 0xABC123), 2);
    /* Replaced whole: 4CA7A8 is free again, and then Iran's. */
    assert_int_equal(dc__mode_s_register(s, coalition, &mine[1], 1, "opr_host", &bad, holder),
                     DC_OK);
    assert_int_equal(dc__mode_s_owner(s, 0x4CA7A8), 0);
    assert_int_equal(dc__mode_s_register(s, iran, mine, 1, "opr_host", &bad, holder), DC_OK);
    assert_int_equal(dc__mode_s_owner(s, 0x4CA7A8), 3);

    char v[512];
    volumes(v, sizeof v, 34.27, 45.17, 5000, 1000, 3000, T0, T1);
    dc__entry *e = add_entry(s, "op_coal1", 0, 2, 10, "approved", v, NULL);
    assert_int_equal(dc__mode_s_declare(s, e, &mine[1], 1), DC_OK);
    assert_int_equal(e->n_mode_s, 1);
    assert_int_equal(dc__mode_s_tie(s, 0xABC123, &owner, &op), 0); /* approved: not flying */
    dc__change act = {DC__ACTIVE, NULL, "opr_coalition", "activate", NULL};
    assert_int_equal(dc__entry_change(s, e, &act), DC_OK);
    assert_int_equal(dc__mode_s_tie(s, 0xABC123, &owner, &op), 1);
    assert_int_equal(owner, 2);
    assert_string_equal(op, "op_coal1");
    assert_int_equal(dc__mode_s_tie(s, 0x4CA7A8, &owner, &op), 0); /* Iran's, undeclared */
    /* Taken from the coalition, the address ties to nothing of its. */
    assert_int_equal(dc__mode_s_register(s, coalition, NULL, 0, "opr_host", &bad, holder), DC_OK);
    assert_int_equal(dc__mode_s_tie(s, 0xABC123, &owner, &op), 0);
    /* Registered to Iran, it still ties to nothing: the declaration is the
     * coalition's operation. */
    assert_int_equal(dc__mode_s_register(s, iran, &mine[1], 1, "opr_host", &bad, holder), DC_OK);
    assert_int_equal(dc__mode_s_tie(s, 0xABC123, &owner, &op), 0);
    assert_int_equal(dc__mode_s_register(s, coalition, &mine[1], 1, "opr_host", &bad, holder),
                     DC_EEXIST);
    assert_int_equal(dc__mode_s_register(s, iran, NULL, 0, "opr_host", &bad, holder), DC_OK);
    assert_int_equal(dc__mode_s_register(s, coalition, &mine[1], 1, "opr_host", &bad, holder),
                     DC_OK);
    assert_int_equal(dc__mode_s_tie(s, 0xABC123, &owner, &op), 1);
    dc__change end = {DC__ENDED, NULL, "opr_coalition", "end", NULL};
    assert_int_equal(dc__entry_change(s, e, &end), DC_OK);
    assert_int_equal(dc__mode_s_tie(s, 0xABC123, &owner, &op), 0); /* over */

    /* The rows load back (as the store hands them over). */
    dc__mode_s_free(s);
    dc__load_ctx l = {s, DC_OK, NULL};
    dc_store_mode_s reg = {"opr_coalition", "ABC123"}, decl = {"op_coal1", "ABC123"};
    assert_int_equal(dc__load_mode_s(&l, &reg), 0);
    assert_int_equal(dc__load_mode_s(&l, &decl), 0);
    assert_int_equal(dc__mode_s_owner(s, 0xABC123), 2);
    dc__change back = {DC__NONCONFORMING, NULL, "monitor", "nonconforming", NULL};
    assert_int_equal(dc__entry_change(s, e, &back), DC_OK);
    assert_int_equal(dc__mode_s_tie(s, 0xABC123, &owner, &op), 1);
    dc_store_mode_s broken = {"opr_coalition", "ABC12"};
    dc_error err = {{0}, {0}};
    l.err = &err;
    assert_int_equal(dc__load_mode_s(&l, &broken), 1);
    assert_int_equal(l.rc, DC_ECORRUPT);
}

/* Shutdown with a store that stays away (issue 15's failover test saw the
 * daemon abort on suspended connections): every waiter is answered as not
 * confirmed and woken, the waiting list is empty, and a later batch finish
 * touches none of them. */
static int woken;
static void count_wake(dc__waiter *w)
{
    (void)w;
    woken++;
}

static void test_journal_abandon_wakes_every_waiter(void **state)
{
    fixture *f = *state;
    dc__waiter a = {0}, b = {0}, c = {0};
    a.wake = b.wake = count_wake; /* HTTP connections */
    c.wake = NULL;                /* an in-process caller on commit_cond */
    woken = 0;
    pthread_mutex_lock(&f->s->mu);
    dc__journal_wait(f->s, &a);
    dc__journal_wait(f->s, &b);
    dc__journal_wait(f->s, &c);
    pthread_mutex_unlock(&f->s->mu);
    dc__journal_abandon(f->s);
    assert_int_equal(woken, 2);
    assert_true(a.done && b.done && c.done);
    assert_int_not_equal(a.rc, DC_OK);
    assert_int_not_equal(c.rc, DC_OK);
    assert_null(f->s->waiters);
    dc__journal_abandon(f->s); /* nothing left: nobody woken twice */
    assert_int_equal(woken, 2);
}

/* A reload that fails part-way (here a corrupt row, after the operators and
 * keys were read; after a failover, an unreadable store head) leaves an
 * empty airspace with its engines, not half a load or NULL engines: a
 * reader that got past the 503 check must find nothing rather than crash
 * (found by the failover test: UBSan, a NULL engine in the after-answer
 * blind check). */
static void test_failed_reload_leaves_empty_airspace(void **state)
{
    fixture *f = *state;
    dc_server *s = f->s;
    char path[128], vols[512];
    volumes(vols, sizeof vols, 34.3, 45.1, 5000, 1000, 3000, T0, T1);
    add_entry(s, "op_a", 0, 3, 0, "approved", vols, NULL);
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/store.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO entries VALUES('op_corrupt',0,3,0,'approved',1,"
                                  "'not json','[]','',0,0,'')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    dc_error err = {{0}, {0}};
    pthread_mutex_lock(&s->mu);
    assert_int_not_equal(s->reload(s, &err), DC_OK);
    assert_non_null(s->ops_exact);
    assert_non_null(s->ops_blind);
    assert_non_null(s->restr);
    assert_int_equal(s->n_operators, 0);
    assert_int_equal(s->n_entries, 0);
    assert_null(dc__entry_get(s, "op_a"));
    dc__candidate c = candidate(s, vols, 0);
    dc__hits h;
    dc__decide_opts o = {2, 1, NULL, 0, 0, 1};
    dc__decide(s, &o, c.vols, c.n, &h);
    assert_int_equal(h.total, 0);
    dc__candidate_free(&c);
    pthread_mutex_unlock(&s->mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_decide_exact_and_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_abandon_wakes_every_waiter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_reload_leaves_empty_airspace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decide_blind_is_conservative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decide_restriction_exempt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suggest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suggest_never_in_the_past, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preempt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_approve_and_restrict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probing_sliding_minute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_in_the_past, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activation_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_windows_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restriction_notice_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode_s, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
