/* The track table and its detection pass (tactical.h). Tracks live in slots
 * (stable while the track lives, reused through a free list) found by an
 * open-addressing hash of (operator, track_id). A pass orders everything by
 * slot, so alerts are diffed against the previous pass by a merge of two
 * sorted lists: no per-pair map, and a raise and its clear are each emitted
 * once. Every allocation that can fail happens before any state changes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tactical/tactical_int.h"

typedef struct track {
    dc_track_report r; /* strings NULL here: they live in the arrays below */
    char track_id[DC_TRACK_ID_MAX];
    char operation_id[DC_TRACK_OPERATION_ID_MAX];
    uint64_t hash;
    int used, linked, nonconforming;
    int implausible;      /* sticky for the track's life: authority only */
    double trans_since_s; /* NaN: no transition under way */
    double conf_eval_s;   /* report time last judged for conformance */
} track;

typedef struct map_ent {
    uint64_t hash;
    uint32_t slot;
    uint32_t full;
} map_ent;

typedef struct alert {
    uint32_t a, b; /* slots, a's kin index < b's */
    uint64_t id;
} alert;

struct dc_tactical {
    dc_tactical_params p;
    track *slots;
    size_t n_slots, cap_slots, n_tracks;
    uint32_t *free_slots;
    size_t n_free, cap_free;
    map_ent *map;
    size_t map_cap; /* power of two */
    dc_tactical_event_fn event_fn;
    void *event_ctx;
    dc_tactical_volumes_fn volumes_fn;
    void *volumes_ctx;
    /* per-pass buffers (high-water mark) */
    dc__tac_kin *kin;
    size_t cap_kin;
    dc__tac_grid grid;
    dc__tac_pairs pairs;
    dc_tactical_conflict *conflicts;
    size_t n_conflicts, cap_conflicts;
    alert *alerts, *alerts_next;
    size_t n_alerts, cap_alerts, cap_alerts_next;
    uint64_t next_alert_id;
    /* live tracks per operator number (unknown traffic not counted) */
    uint32_t *per_op;
    size_t cap_per_op;
    unsigned long over_quota; /* reports dropped: their operator was at its quota */
};

/* Every parameter: all are finite and >= 0; h_m is > 0. */
static const struct param_field {
    const char *name;
    size_t off;
    int positive;
} param_fields[] = {
    {"lookahead_s", offsetof(dc_tactical_params, lookahead_s), 0},
    {"h_m", offsetof(dc_tactical_params, h_m), 1},
    {"v_m", offsetof(dc_tactical_params, v_m), 0},
    {"stale_s", offsetof(dc_tactical_params, stale_s), 0},
    {"conf_h_tol_m", offsetof(dc_tactical_params, conf_h_tol_m), 0},
    {"conf_v_tol_m", offsetof(dc_tactical_params, conf_v_tol_m), 0},
    {"conf_t_tol_s", offsetof(dc_tactical_params, conf_t_tol_s), 0},
    {"conf_dwell_s", offsetof(dc_tactical_params, conf_dwell_s), 0},
    {"max_speed_mps", offsetof(dc_tactical_params, max_speed_mps), 0},
    {"max_climb_mps", offsetof(dc_tactical_params, max_climb_mps), 0},
    {"plaus_slack_m", offsetof(dc_tactical_params, plaus_slack_m), 0},
    {"max_tracks_per_operator", offsetof(dc_tactical_params, max_tracks_per_operator), 0},
};
#define N_PARAM_FIELDS (sizeof param_fields / sizeof param_fields[0])

static dc_status check_field(const struct param_field *f, double v, dc_error *err)
{
    if (!isfinite(v) || v < 0 || (f->positive && v == 0))
        return dc_error_set(err, f->name, "must be a finite number %s 0", f->positive ? ">" : ">=");
    return DC_OK;
}

dc_status dc_tactical_params_check(const dc_tactical_params *p, dc_error *err)
{
    for (size_t i = 0; i < N_PARAM_FIELDS; i++) {
        double v = *(const double *)((const char *)p + param_fields[i].off);
        dc_status st = check_field(&param_fields[i], v, err);
        if (st != DC_OK)
            return st;
    }
    return DC_OK;
}

dc_status dc_tactical_params_set(dc_tactical_params *p, const char *name, const char *value,
                                 dc_error *err)
{
    for (size_t i = 0; i < N_PARAM_FIELDS; i++) {
        if (strcmp(name, param_fields[i].name))
            continue;
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        if (errno || end == value || *end)
            return dc_error_set(err, name, "not a number: %s", value);
        dc_status st = check_field(&param_fields[i], v, err);
        if (st == DC_OK)
            *(double *)((char *)p + param_fields[i].off) = v;
        return st;
    }
    dc_error_set(err, name, "unknown parameter");
    return DC_ENOTFOUND;
}

dc_tactical *dc_tactical_new(const dc_tactical_params *p)
{
    dc_tactical_params def = DC_TACTICAL_PARAMS_DEFAULT;
    if (!p)
        p = &def;
    if (dc_tactical_params_check(p, NULL) != DC_OK)
        return NULL;
    dc_tactical *t = dc_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->p = *p;
    t->next_alert_id = 1;
    return t;
}

void dc_tactical_free(dc_tactical *t)
{
    if (!t)
        return;
    dc_free(t->slots);
    dc_free(t->free_slots);
    dc_free(t->map);
    dc_free(t->kin);
    dc__tac_grid_free(&t->grid);
    dc_free(t->pairs.v);
    dc_free(t->conflicts);
    dc_free(t->alerts);
    dc_free(t->alerts_next);
    dc_free(t->per_op);
    dc_free(t);
}

const dc_tactical_params *dc_tactical_params_of(const dc_tactical *t)
{
    return &t->p;
}

void dc_tactical_set_event_fn(dc_tactical *t, dc_tactical_event_fn fn, void *ctx)
{
    t->event_fn = fn;
    t->event_ctx = ctx;
}

void dc_tactical_set_volumes_fn(dc_tactical *t, dc_tactical_volumes_fn fn, void *ctx)
{
    t->volumes_fn = fn;
    t->volumes_ctx = ctx;
}

size_t dc_tactical_track_count(const dc_tactical *t)
{
    return t->n_tracks;
}

const dc_tactical_conflict *dc_tactical_conflicts(const dc_tactical *t, size_t *n)
{
    *n = t->n_conflicts;
    return t->conflicts;
}

/* ---- key map ---------------------------------------------------------- */

static uint64_t key_hash(uint32_t op, const char *id)
{
    uint64_t h = 1469598103934665603ull ^ op; /* FNV-1a, then a final mix */
    for (const unsigned char *s = (const unsigned char *)id; *s; s++)
        h = (h ^ *s) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* Index of the map entry for (op, id), or the empty entry ending its probe. */
static size_t map_find(const dc_tactical *t, uint64_t h, uint32_t op, const char *id)
{
    size_t mask = t->map_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const map_ent *e = &t->map[i];
        if (!e->full)
            return i;
        const track *tr = &t->slots[e->slot];
        if (e->hash == h && tr->r.operator_number == op && !strcmp(tr->track_id, id))
            return i;
    }
}

/* Makes room for `more` new keys at load <= 1/2; leaves the map intact on
 * failure. */
static dc_status map_reserve(dc_tactical *t, size_t more)
{
    size_t need = (t->n_tracks + more) * 2, cap = t->map_cap ? t->map_cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap == t->map_cap)
        return DC_OK;
    map_ent *m = dc_calloc(cap, sizeof *m);
    if (!m)
        return DC_ENOMEM;
    for (size_t i = 0; i < t->map_cap; i++) {
        if (!t->map[i].full)
            continue;
        size_t j = t->map[i].hash & (cap - 1);
        while (m[j].full)
            j = (j + 1) & (cap - 1);
        m[j] = t->map[i];
    }
    dc_free(t->map);
    t->map = m;
    t->map_cap = cap;
    return DC_OK;
}

dc_status dc_tactical_track_get(const dc_tactical *t, uint32_t operator_number,
                                const char *track_id, dc_track_report *out)
{
    if (!t->map_cap)
        return DC_ENOTFOUND;
    size_t mi = map_find(t, key_hash(operator_number, track_id), operator_number, track_id);
    if (!t->map[mi].full)
        return DC_ENOTFOUND;
    const track *tr = &t->slots[t->map[mi].slot];
    *out = tr->r;
    out->track_id = tr->track_id;
    out->operation_id = tr->linked ? tr->operation_id : NULL;
    return DC_OK;
}

int dc_tactical_track_plausible(const dc_tactical *t, uint32_t operator_number,
                                const char *track_id)
{
    if (!t->map_cap)
        return 0;
    size_t mi = map_find(t, key_hash(operator_number, track_id), operator_number, track_id);
    return t->map[mi].full && !t->slots[t->map[mi].slot].implausible;
}

void dc_tactical_each(const dc_tactical *t, void (*fn)(void *ctx, const dc_track_report *r),
                      void *ctx)
{
    for (size_t i = 0; i < t->n_slots; i++) {
        const track *tr = &t->slots[i];
        if (!tr->used)
            continue;
        dc_track_report r = tr->r;
        r.track_id = tr->track_id;
        r.operation_id = tr->linked ? tr->operation_id : NULL;
        fn(ctx, &r);
    }
}

/* Linear-probing deletion by backward shift (no tombstones). */
static void map_remove_at(dc_tactical *t, size_t i)
{
    size_t mask = t->map_cap - 1;
    for (size_t j = (i + 1) & mask; t->map[j].full; j = (j + 1) & mask) {
        size_t home = t->map[j].hash & mask;
        /* Move j into the hole at i when its home is not in (i, j]. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->map[i] = t->map[j];
            i = j;
        }
    }
    t->map[i].full = 0;
}

/* ---- ingest ----------------------------------------------------------- */

static void set_operation(track *tr, const char *operation_id)
{
    const char *old = tr->linked ? tr->operation_id : NULL;
    if (old == operation_id || (old && operation_id && !strcmp(old, operation_id)))
        return;
    tr->linked = operation_id != NULL;
    if (operation_id)
        memcpy(tr->operation_id, operation_id, strlen(operation_id) + 1);
    else
        tr->operation_id[0] = 0;
    tr->nonconforming = 0;
    tr->trans_since_s = NAN;
    tr->conf_eval_s = -HUGE_VAL;
}

/* 1 when r may follow prev (the track's previous report) under p's limits. */
static int plausible(const dc_tactical_params *p, const dc_track_report *prev,
                     const dc_track_report *r)
{
    if (p->max_speed_mps > 0 && r->ground_speed_mps > p->max_speed_mps)
        return 0;
    if (p->max_climb_mps > 0 && fabs(r->vertical_rate_mps) > p->max_climb_mps)
        return 0;
    if (!prev)
        return 1;
    double dt = r->time_s - prev->time_s;
    if (dt < 0)
        dt = 0;
    /* Equirectangular at the mean latitude: ample for a plausibility bound. */
    const double m_per_deg = 111195.0;
    double dlon = fmod(fabs(r->lon_deg - prev->lon_deg), 360.0);
    if (dlon > 180)
        dlon = 360 - dlon;
    double dx = dlon * m_per_deg * cos((r->lat_deg + prev->lat_deg) * 0.5 * M_PI / 180);
    double dy = (r->lat_deg - prev->lat_deg) * m_per_deg;
    if (p->max_speed_mps > 0 && hypot(dx, dy) > p->max_speed_mps * dt + p->plaus_slack_m)
        return 0;
    if (p->max_climb_mps > 0 &&
        fabs(r->alt_m - prev->alt_m) > p->max_climb_mps * dt + p->plaus_slack_m)
        return 0;
    return 1;
}

/* Room in per_op for operator op; 0 on success. */
static int per_op_reserve(dc_tactical *t, uint32_t op)
{
    if (op < t->cap_per_op)
        return 0;
    size_t n = t->cap_per_op ? t->cap_per_op : 16;
    while (n <= op)
        n *= 2;
    uint32_t *v = dc_realloc(t->per_op, n * sizeof *v);
    if (!v)
        return -1;
    memset(v + t->cap_per_op, 0, (n - t->cap_per_op) * sizeof *v);
    t->per_op = v;
    t->cap_per_op = n;
    return 0;
}

unsigned long dc_tactical_over_quota(const dc_tactical *t)
{
    return t->over_quota;
}

dc_status dc_tactical_ingest(dc_tactical *t, const dc_track_report *reports, size_t n,
                             size_t *n_applied, dc_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "reports[%zu]", i);
        dc_status st = dc_track_report_check(&reports[i], prefix, err);
        if (st != DC_OK)
            return st;
    }
    if (t->n_slots + n > UINT32_MAX / 2)
        return DC_ELIMIT;
    if (dc__tac_reserve((void **)&t->slots, &t->cap_slots, t->n_slots + n, sizeof *t->slots) ||
        map_reserve(t, n))
        return DC_ENOMEM;
    size_t applied = 0;
    for (size_t i = 0; i < n; i++) {
        const dc_track_report *r = &reports[i];
        uint64_t h = key_hash(r->operator_number, r->track_id);
        size_t mi = map_find(t, h, r->operator_number, r->track_id);
        track *tr;
        int counted = r->operator_number != DC_TRACK_OPERATOR_UNKNOWN;
        if (t->map[mi].full) {
            tr = &t->slots[t->map[mi].slot];
            if (r->time_s < tr->r.time_s)
                continue;
            if (!tr->implausible && !plausible(&t->p, &tr->r, r))
                tr->implausible = 1;
        } else {
            if (counted && (per_op_reserve(t, r->operator_number) ||
                            (t->p.max_tracks_per_operator > 0 &&
                             t->per_op[r->operator_number] >= t->p.max_tracks_per_operator))) {
                t->over_quota++;
                continue;
            }
            if (counted)
                t->per_op[r->operator_number]++;
            uint32_t slot = t->n_free ? t->free_slots[--t->n_free] : (uint32_t)t->n_slots++;
            tr = &t->slots[slot];
            memset(tr, 0, sizeof *tr);
            tr->used = 1;
            tr->hash = h;
            memcpy(tr->track_id, r->track_id, strlen(r->track_id) + 1);
            tr->trans_since_s = NAN;
            tr->conf_eval_s = -HUGE_VAL;
            t->map[mi] = (map_ent){h, slot, 1};
            t->n_tracks++;
            tr->implausible = !plausible(&t->p, NULL, r);
        }
        tr->r = *r;
        tr->r.track_id = NULL;
        tr->r.operation_id = NULL;
        set_operation(tr, r->operation_id);
        applied++;
    }
    if (n_applied)
        *n_applied = applied;
    return DC_OK;
}

static dc_status remove_track(dc_tactical *t, uint32_t slot)
{
    track *tr = &t->slots[slot];
    if (dc__tac_reserve((void **)&t->free_slots, &t->cap_free, t->n_free + 1,
                        sizeof *t->free_slots))
        return DC_ENOMEM;
    map_remove_at(t, map_find(t, tr->hash, tr->r.operator_number, tr->track_id));
    if (tr->r.operator_number != DC_TRACK_OPERATOR_UNKNOWN &&
        tr->r.operator_number < t->cap_per_op && t->per_op[tr->r.operator_number])
        t->per_op[tr->r.operator_number]--;
    tr->used = 0;
    t->free_slots[t->n_free++] = slot;
    t->n_tracks--;
    return DC_OK;
}

/* ---- pass ------------------------------------------------------------- */

static dc_track_ref ref_of(const track *tr)
{
    return (dc_track_ref){tr->r.operator_number, tr->track_id, tr->linked ? tr->operation_id : NULL,
                          !tr->implausible};
}

static int pair_cmp(const void *x, const void *y)
{
    const dc__tac_pair *a = x, *b = y;
    if (a->i != b->i)
        return a->i < b->i ? -1 : 1;
    return a->j < b->j ? -1 : a->j > b->j;
}

static void emit(dc_tactical *t, const dc_tactical_event *ev, dc_tactical_stats *s)
{
    if (ev->kind == DC_TAC_ALERT_RAISED)
        s->alerts_raised++;
    else if (ev->kind == DC_TAC_ALERT_CLEARED)
        s->alerts_cleared++;
    else
        s->conformance_events++;
    if (t->event_fn)
        t->event_fn(t->event_ctx, ev);
}

/* Merges this pass's conflicts (sorted by slot pair) with the previous
 * alerts: new pairs are raised, vanished pairs cleared, the rest carried. */
static void diff_alerts(dc_tactical *t, double now_s, dc_tactical_stats *s)
{
    size_t i = 0, j = 0, out = 0;
    while (i < t->n_alerts || j < t->pairs.n) {
        const alert *old = i < t->n_alerts ? &t->alerts[i] : NULL;
        const dc__tac_pair *pr = j < t->pairs.n ? &t->pairs.v[j] : NULL;
        uint64_t ko = old ? (uint64_t)old->a << 32 | old->b : UINT64_MAX;
        uint64_t kn = pr ? (uint64_t)t->kin[pr->i].slot << 32 | t->kin[pr->j].slot : UINT64_MAX;
        if (ko < kn) {
            dc_tactical_event ev = {
                DC_TAC_ALERT_CLEARED,      old->id, now_s, ref_of(&t->slots[old->a]),
                ref_of(&t->slots[old->b]), NULL};
            emit(t, &ev, s);
            i++;
            continue;
        }
        uint64_t id;
        if (ko == kn) {
            id = old->id;
            i++;
        } else {
            id = t->next_alert_id++;
            const dc_tactical_conflict *c = &t->conflicts[j];
            dc_tactical_event ev = {DC_TAC_ALERT_RAISED, id, now_s, c->a, c->b, c};
            emit(t, &ev, s);
        }
        t->alerts_next[out++] = (alert){t->kin[pr->i].slot, t->kin[pr->j].slot, id};
        j++;
    }
    alert *tmp = t->alerts;
    size_t tcap = t->cap_alerts;
    t->alerts = t->alerts_next;
    t->cap_alerts = t->cap_alerts_next;
    t->alerts_next = tmp;
    t->cap_alerts_next = tcap;
    t->n_alerts = out;
}

static int in_bbox(const dc_footprint *fp, double lat, double lon, double tol_m)
{
    double la0, lo0, la1, lo1;
    dc_footprint_bbox(fp, &la0, &lo0, &la1, &lo1);
    double dlat = tol_m / 110000.0 + 1e-6;
    if (lat < la0 - dlat || lat > la1 + dlat)
        return 0;
    double top = fabs(la0) > fabs(la1) ? fabs(la0) : fabs(la1);
    if (top + dlat >= 89.9)
        return 1;
    double dlon = tol_m / (110000.0 * cos((top + dlat) * M_PI / 180)) + 1e-6;
    if (lo0 <= lo1)
        return (lon >= lo0 - dlon && lon <= lo1 + dlon) || lon - 360 >= lo0 - dlon ||
               lon + 360 <= lo1 + dlon;
    return lon >= lo0 - dlon || lon <= lo1 + dlon; /* bbox across the antimeridian */
}

/* 1 inside, 0 outside, -1 undecided (allocation failure). */
static int inside_volumes(const dc_tactical_params *p, const dc_volume *vols, size_t n,
                          const dc_track_report *r)
{
    dc_footprint *pt = NULL;
    int res = 0;
    for (size_t i = 0; i < n && !res; i++) {
        const dc_volume *v = &vols[i];
        if (r->time_s < (double)v->t_start_s - p->conf_t_tol_s ||
            r->time_s >= (double)v->t_end_s + p->conf_t_tol_s ||
            r->alt_m < v->alt_lower_m - p->conf_v_tol_m ||
            r->alt_m > v->alt_upper_m + p->conf_v_tol_m ||
            !in_bbox(v->fp, r->lat_deg, r->lon_deg, p->conf_h_tol_m))
            continue;
        if (dc_footprint_kind_of(v->fp) == DC_FP_CIRCLE) {
            uint32_t np;
            const dc_latlon *c = dc_footprint_points(v->fp, &np);
            res = dc_geodesic_m(c->lat_deg, c->lon_deg, r->lat_deg, r->lon_deg) <=
                  dc_footprint_radius_m(v->fp) + p->conf_h_tol_m;
            continue;
        }
        if (!pt) {
            /* A 1 mm circle at the report stands for the point. */
            dc_latlon ll = {r->lat_deg, r->lon_deg};
            if (dc_footprint_new(DC_FP_CIRCLE, &ll, 1, 0.001, "report", &pt, NULL) != DC_OK) {
                res = -1;
                break;
            }
        }
        res = dc_footprint_within(v->fp, pt, p->conf_h_tol_m + 0.01);
    }
    dc_footprint_free(pt);
    return res;
}

static void conformance(dc_tactical *t, size_t slot, dc_tactical_stats *s)
{
    track *tr = &t->slots[slot];
    const dc_volume *vols = NULL;
    size_t nv = 0;
    if (!tr->linked || tr->r.time_s <= tr->conf_eval_s || !t->volumes_fn ||
        t->volumes_fn(t->volumes_ctx, tr->r.operator_number, tr->operation_id, &vols, &nv) != DC_OK)
        return;
    int in = inside_volumes(&t->p, vols, nv, &tr->r);
    if (in < 0)
        return; /* judged again next pass */
    double now = tr->r.time_s;
    tr->conf_eval_s = now;
    if (in != tr->nonconforming) { /* on the side of the current state */
        tr->trans_since_s = NAN;
        return;
    }
    if (isnan(tr->trans_since_s))
        tr->trans_since_s = now;
    double held = now - tr->trans_since_s;
    if (tr->nonconforming ? held < t->p.conf_dwell_s : held <= t->p.conf_dwell_s)
        return;
    tr->nonconforming = !tr->nonconforming;
    tr->trans_since_s = NAN;
    dc_tactical_event ev = {tr->nonconforming ? DC_TAC_NONCONFORMING : DC_TAC_CONFORMING,
                            0,
                            now,
                            ref_of(tr),
                            {0},
                            NULL};
    emit(t, &ev, s);
}

static void fill_conflict(dc_tactical *t, const dc__tac_pair *pr, dc_tactical_conflict *c)
{
    const dc__tac_kin *a = &t->kin[pr->i], *b = &t->kin[pr->j];
    c->a = ref_of(&t->slots[a->slot]);
    c->b = ref_of(&t->slots[b->slot]);
    c->t_in_s = pr->h.t_in_s;
    c->t_out_s = pr->h.t_out_s;
    c->t_cpa_s = pr->h.t_cpa_s;
    c->d_cpa_m = pr->h.d_cpa_m;
    c->los_now = pr->h.los_now;
    dc__tac_relative(a, b, &pr->h, &c->seen_by_a);
    dc__tac_relative(b, a, &pr->h, &c->seen_by_b);
}

dc_status dc_tactical_pass(dc_tactical *t, double now_s, dc_tactical_method method,
                           dc_tactical_stats *stats)
{
    dc_tactical_stats s = {0};
    if (!isfinite(now_s))
        return DC_EINVAL;
    if (dc__tac_reserve((void **)&t->kin, &t->cap_kin, t->n_tracks, sizeof *t->kin) ||
        dc__tac_reserve((void **)&t->free_slots, &t->cap_free, t->n_slots, sizeof *t->free_slots))
        return DC_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->n_slots; i++) {
        const track *tr = &t->slots[i];
        if (tr->used && now_s - tr->r.time_s <= t->p.stale_s)
            dc__tac_kin_init(&t->kin[n++], &tr->r, (uint32_t)i, now_s);
    }
    s.live_tracks = n;
    t->pairs.n = 0;
    dc_status st =
        method == DC_TAC_BRUTE_FORCE
            ? dc__tac_detect_brute(t->kin, n, &t->p, &t->pairs, &s.pairs_examined)
            : dc__tac_detect_grid(&t->grid, t->kin, n, &t->p, &t->pairs, &s.pairs_examined);
    if (st != DC_OK)
        return st;
    size_t np = t->pairs.n;
    if (np > 1)
        qsort(t->pairs.v, np, sizeof *t->pairs.v, pair_cmp);
    if (dc__tac_reserve((void **)&t->conflicts, &t->cap_conflicts, np, sizeof *t->conflicts) ||
        dc__tac_reserve((void **)&t->alerts_next, &t->cap_alerts_next, np, sizeof *t->alerts_next))
        return DC_ENOMEM;
    /* From here on nothing can fail. */
    for (size_t i = 0; i < np; i++)
        fill_conflict(t, &t->pairs.v[i], &t->conflicts[i]);
    t->n_conflicts = np;
    s.conflicts = np;
    diff_alerts(t, now_s, &s);
    for (size_t k = 0; k < n; k++)
        conformance(t, t->kin[k].slot, &s);
    for (size_t i = 0; i < t->n_slots; i++)
        if (t->slots[i].used && !(now_s - t->slots[i].r.time_s <= t->p.stale_s)) {
            remove_track(t, (uint32_t)i); /* free_slots reserved above */
            s.dropped_stale++;
        }
    if (stats)
        *stats = s;
    return DC_OK;
}
