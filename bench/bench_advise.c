/* Advisories that work (issue 13, item 3): seeded random traffic flown in
 * fast time, once on its plans and once following the advisories of its
 * operators' alerts, and the losses of separation of both runs counted.
 * Each second every aircraft's report goes through the monitor's own
 * detection (dc_tactical_ingest, dc_tactical_pass: what the server's tick
 * runs) and every raised alert gives each operator side the advisory the
 * server would send it (dc__advise, records.c), flown by the simulator's
 * pilot (pilot.h: standard-rate turns, 12.5 m/s climbs, hold, rejoin).
 * A loss of separation is a pair of tracks (different operators, or
 * unknown traffic) closer than Ht and Vt at once; each such episode counts
 * once, the ones the manoeuvres cause included. Prints both counts per set
 * and fails when following leaves more than BAR_PCT % of them.
 *   bench_advise [SET]   one set only */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_rand.h"
#include "deconflict/pilot.h"
#include "deconflict/tactical.h"
#include "monitor/tick_int.h"
#include "util/grow.h"

#define T0_S 1714564800.0
#define N_OPERATORS 20
#define BAR_PCT 5.0
#define M_PER_DEG 111195.0
#define DEG_RAD (M_PI / 180.0)

typedef struct workload {
    const char *name;
    size_t n;
    double km; /* side of the square, centred on 34 N 44 E */
    double minutes;
    uint64_t seed;
} workload;

typedef struct plan {
    uint32_t op;
    dc_pilot_state s0;
    double alt_to_m; /* level-off altitude of a climb or descent */
} plan;

typedef struct raise {
    uint32_t a, b; /* aircraft */
    double t_in_s;
    int cleared;
} raise;

typedef struct advised { /* an open advisory: own aircraft, intruder */
    uint32_t own, intr;
    int level_up, cooperative;
    dc__advised rev; /* what was sent, and the revision bounds (records.c) */
} advised;

typedef struct run {
    const workload *w;
    plan *plans;
    dc_pilot *pilots;
    dc_track_report *reps;
    char (*ids)[16];
    raise *ev;
    size_t n_ev, cap_ev;
    uint64_t *los, *los_prev;
    size_t n_los, n_prev;
    unsigned long losses, alerts, advisories, revisions;
    dc__traffic traffic; /* this second's reports, as the server's tick has them */
    advised *open;
    size_t n_open, cap_open;
} run;

/* Straight and level at 5-13 km and 60-250 m/s, 30 % climbing or
 * descending at up to 15 m/s to a level in the same band; one in 50 is
 * unknown traffic (no operator: it never gets an advisory). */
static void generate(const workload *w, plan *p, size_t n)
{
    double dlat = w->km * 500.0 / M_PER_DEG, dlon = dlat / cos(34.0 * DEG_RAD);
    for (size_t i = 0; i < n; i++) {
        double u = rnd();
        plan *q = &p[i];
        q->op = u < 0.02 ? DC_TRACK_OPERATOR_UNKNOWN : (uint32_t)(rnd() * N_OPERATORS);
        q->s0.lat_deg = 34.0 - dlat + 2 * dlat * rnd();
        q->s0.lon_deg = 44.0 - dlon + 2 * dlon * rnd();
        q->s0.alt_m = 5000 + 8000 * rnd();
        q->s0.ground_speed_mps = 60 + 190 * rnd();
        q->s0.track_deg = 360 * rnd();
        q->alt_to_m = q->s0.alt_m;
        q->s0.vertical_rate_mps = 0;
        if (rnd() < 0.3) {
            q->alt_to_m = 5000 + 8000 * rnd();
            q->s0.vertical_rate_mps = (q->alt_to_m > q->s0.alt_m ? 1 : -1) * (2 + 13 * rnd());
        }
    }
}

static void report_of(const plan *q, dc_track_report *out)
{
    *out = (dc_track_report){q->op,
                             "x",
                             T0_S,
                             q->s0.lat_deg,
                             q->s0.lon_deg,
                             q->s0.alt_m,
                             q->s0.ground_speed_mps,
                             q->s0.track_deg,
                             q->s0.vertical_rate_mps,
                             NULL};
}

/* Placed so that no pair is within CLEAR_S of a loss of separation at the
 * start: a loss that no advisory could have prevented is not counted. */
#define CLEAR_S 120.0
static void place(const workload *w, plan *p)
{
    dc_tactical_params prm = DC_TACTICAL_PARAMS_DEFAULT;
    for (size_t i = 0; i < w->n; i++) {
        for (int tries = 0; tries < 100; tries++) {
            generate(w, &p[i], 1);
            dc_track_report a, b;
            dc_tactical_conflict c;
            report_of(&p[i], &a);
            size_t j = 0;
            for (; j < i; j++) {
                report_of(&p[j], &b);
                if ((a.operator_number != b.operator_number ||
                     a.operator_number == DC_TRACK_OPERATOR_UNKNOWN) &&
                    dc_tactical_pair(&prm, &a, &b, &c) && c.t_in_s < CLEAR_S)
                    break;
            }
            if (j == i)
                break;
        }
    }
}

static void plan_at(const plan *q, double t_s, dc_pilot_state *out)
{
    double dt = t_s - T0_S, d = q->s0.ground_speed_mps * dt / M_PER_DEG;
    *out = q->s0;
    out->lat_deg += d * cos(q->s0.track_deg * DEG_RAD);
    out->lon_deg += d * sin(q->s0.track_deg * DEG_RAD) / cos(q->s0.lat_deg * DEG_RAD);
    double climbed = q->s0.vertical_rate_mps * dt;
    if (fabs(climbed) >= fabs(q->alt_to_m - q->s0.alt_m)) {
        out->alt_m = q->alt_to_m;
        out->vertical_rate_mps = 0;
    } else {
        out->alt_m += climbed;
    }
}

/* Aircraft i reports as "A<i>" (the table keeps its own copy of ids). */
static uint32_t index_of(const run *r, const char *track_id)
{
    (void)r;
    return (uint32_t)strtoul(track_id + 1, NULL, 10);
}

static void on_event(void *ctx, const dc_tactical_event *e)
{
    run *r = ctx;
    if (e->kind != DC_TAC_ALERT_RAISED && e->kind != DC_TAC_ALERT_CLEARED)
        return;
    if (dc__grow((void **)&r->ev, &r->cap_ev, r->n_ev + 1, sizeof *r->ev))
        abort();
    r->ev[r->n_ev++] =
        (raise){index_of(r, e->a.track_id), index_of(r, e->b.track_id),
                e->conflict ? e->conflict->t_in_s : 0, e->kind == DC_TAC_ALERT_CLEARED};
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Pairs in loss of separation now that were not a second ago. */
static void count_losses(run *r, const dc_tactical *t)
{
    size_t n;
    const dc_tactical_conflict *c = dc_tactical_conflicts(t, &n);
    r->n_los = 0;
    for (size_t i = 0; i < n; i++) {
        if (!c[i].los_now || r->n_los == r->w->n * 64)
            continue;
        uint64_t a = index_of(r, c[i].a.track_id), b = index_of(r, c[i].b.track_id);
        r->los[r->n_los++] = a < b ? a << 32 | b : b << 32 | a;
    }
    qsort(r->los, r->n_los, sizeof *r->los, cmp_u64);
    for (size_t i = 0; i < r->n_los; i++)
        if (!bsearch(&r->los[i], r->los_prev, r->n_prev, sizeof *r->los, cmp_u64))
            r->losses++;
    uint64_t *sw = r->los_prev;
    r->los_prev = r->los;
    r->los = sw;
    r->n_prev = r->n_los;
}

static void to_pilot(const dc__advisory *a, dc_pilot_advisory *out)
{
    out->kind = a->kind == DC__ADVISE_HEADING ? DC_PILOT_TURN : DC_PILOT_LEVEL;
    out->heading_deg = a->heading_deg;
    out->altitude_m = a->altitude_m;
    out->hold_s = a->hold_s;
}

/* Own's other open advisories: the conflicts the advisory weighs too. */
static size_t partners_of(const run *r, uint32_t own, uint32_t intr, dc_track_report *out)
{
    size_t n_p = 0;
    for (size_t i = 0; i < r->n_open && n_p < 16; i++)
        if (r->open[i].own == own && r->open[i].intr != intr)
            out[n_p++] = r->reps[r->open[i].intr];
    return n_p;
}

/* Advisory a went to o's aircraft at now_s (records.c's advised_at). */
static void advised_at(run *r, advised *o, const dc__advisory *a, double now_s)
{
    for (size_t i = 0; i < r->n_open; i++)
        if (r->open[i].own == o->own) {
            r->open[i].rev.adv = *a;
            r->open[i].rev.track_sent_s = now_s;
        }
    o->rev.next_check_s = now_s + DC__REVISE_EVERY_S;
}

/* An operator side's view of one alert, as records.c gives it: raised
 * with its advisory (unless DC__ALERT_PER_INTRUDER of its operator's
 * aircraft already hold one on that intruder), or cleared when it had one.
 * Unknown traffic gets nothing (nobody to tell). */
static void deliver(run *r, const dc_tactical_params *p, uint32_t own, uint32_t intr,
                    const raise *e, double now_s)
{
    uint32_t op = r->plans[own].op;
    if (op == DC_TRACK_OPERATOR_UNKNOWN)
        return;
    size_t at = r->n_open, same = 0;
    for (size_t i = 0; i < r->n_open; i++) {
        if (r->open[i].own == own && r->open[i].intr == intr)
            at = i;
        same += r->open[i].intr == intr && r->plans[r->open[i].own].op == op;
    }
    if (e->cleared) {
        if (at < r->n_open) {
            r->open[at] = r->open[--r->n_open];
            dc_pilot_cleared(&r->pilots[own]);
        }
        return;
    }
    if (at < r->n_open || same >= DC__ALERT_PER_INTRUDER)
        return;
    dc_track_report partners[16];
    size_t n_p = partners_of(r, own, intr, partners);
    if (dc__grow((void **)&r->open, &r->cap_open, r->n_open + 1, sizeof *r->open))
        abort();
    advised *o = &r->open[r->n_open++];
    /* The server keys which side of a pair climbs; here side a does. */
    *o = (advised){
        own, intr, own == e->a, r->plans[intr].op != DC_TRACK_OPERATOR_UNKNOWN, {{0}, 0, 0, 0}};
    dc__advise_in in = {&r->reps[own], &r->reps[intr], partners,    n_p,           &r->traffic,
                        now_s,         e->t_in_s,      o->level_up, o->cooperative};
    dc__advisory a;
    dc_pilot_advisory pa;
    dc__advise(p, &in, &a);
    advised_at(r, o, &a, now_s);
    to_pilot(&a, &pa);
    dc_pilot_advise(&r->pilots[own], &pa, now_s);
    r->advisories++;
}

/* The open advisories revised as records.c revises them (the pair still
 * in conflict: its alert is open). */
static void revise(run *r, const dc_tactical_params *p, double now_s)
{
    for (size_t i = 0; i < r->n_open; i++) {
        advised *o = &r->open[i];
        if (!dc__revise_due(&o->rev, now_s))
            continue;
        dc_track_report partners[16];
        size_t n_p = partners_of(r, o->own, o->intr, partners);
        dc__advise_in in = {
            &r->reps[o->own], &r->reps[o->intr], partners, n_p, &r->traffic, now_s, 0,
            o->level_up,      o->cooperative};
        dc__advisory a;
        dc_pilot_advisory pa;
        if (!dc__advise_revise(p, &in, &o->rev, &a))
            continue;
        advised_at(r, o, &a, now_s);
        to_pilot(&a, &pa);
        dc_pilot_revise(&r->pilots[o->own], &pa, now_s);
        r->revisions++;
    }
}

static int fly(run *r, int follow)
{
    const workload *w = r->w;
    dc_tactical *t = dc_tactical_new(NULL);
    if (!t)
        return -1;
    const dc_tactical_params *p = dc_tactical_params_of(t);
    dc_tactical_set_event_fn(t, on_event, r);
    r->losses = r->alerts = r->advisories = r->revisions = 0;
    r->n_prev = r->n_open = 0;
    double end_s = T0_S + w->minutes * 60;
    for (double now = T0_S; now <= end_s; now += 1.0) {
        for (size_t i = 0; i < w->n; i++) {
            dc_pilot_state ps;
            plan_at(&r->plans[i], now, &ps);
            if (now == T0_S)
                dc_pilot_init(&r->pilots[i], &ps);
            else if (follow)
                dc_pilot_step(&r->pilots[i], &ps, now, 1.0);
            else
                r->pilots[i].s = ps;
            const dc_pilot_state *s = &r->pilots[i].s;
            r->reps[i] = (dc_track_report){r->plans[i].op,
                                           r->ids[i],
                                           now,
                                           s->lat_deg,
                                           s->lon_deg,
                                           s->alt_m,
                                           s->ground_speed_mps,
                                           fmod(s->track_deg + 360.0, 360.0),
                                           s->vertical_rate_mps,
                                           NULL};
        }
        r->n_ev = 0;
        dc_error err = {{0}, {0}};
        if (dc_tactical_ingest(t, r->reps, w->n, NULL, &err) != DC_OK ||
            dc_tactical_pass(t, now, DC_TAC_BROAD_PHASE, NULL) != DC_OK) {
            fprintf(stderr, "bench_advise: %s: %s\n", err.field, err.reason);
            dc_tactical_free(t);
            return -1;
        }
        count_losses(r, t);
        if (follow && (r->n_ev || r->n_open) && dc__traffic_set(&r->traffic, r->reps, w->n)) {
            dc_tactical_free(t);
            return -1;
        }
        /* Clears first (they free advisory slots), then raises. */
        for (int raises = 0; raises < 2; raises++) {
            for (size_t k = 0; k < r->n_ev; k++) {
                const raise *e = &r->ev[k];
                if (e->cleared == raises)
                    continue;
                r->alerts += raises;
                if (follow) {
                    deliver(r, p, e->a, e->b, e, now);
                    deliver(r, p, e->b, e->a, e, now);
                }
            }
        }
        if (follow)
            revise(r, p, now);
    }
    dc_tactical_free(t);
    return 0;
}

static int bench(const workload *w)
{
    run r = {.w = w};
    int rc = 1;
    r.plans = calloc(w->n, sizeof *r.plans);
    r.pilots = calloc(w->n, sizeof *r.pilots);
    r.reps = calloc(w->n, sizeof *r.reps);
    r.ids = calloc(w->n, sizeof *r.ids);
    size_t max_pairs = w->n * 64;
    r.los = calloc(max_pairs, sizeof *r.los);
    r.los_prev = calloc(max_pairs, sizeof *r.los_prev);
    if (!r.plans || !r.pilots || !r.reps || !r.ids || !r.los || !r.los_prev)
        goto done;
    rng = w->seed;
    double tp = now_ms();
    place(w, r.plans);
    fprintf(stderr, "bench_advise: %s placed in %.1f s\n", w->name, (now_ms() - tp) / 1e3);
    for (size_t i = 0; i < w->n; i++)
        snprintf(r.ids[i], sizeof r.ids[i], "A%zu", i);
    double t0 = now_ms();
    if (fly(&r, 0))
        goto done;
    unsigned long base = r.losses, base_alerts = r.alerts;
    fprintf(stderr, "bench_advise: %s on plans in %.1f s\n", w->name, (now_ms() - t0) / 1e3);
    if (fly(&r, 1))
        goto done;
    double pct = base ? 100.0 * r.losses / base : 0;
    printf("%-16s %7zu %5.0f %10lu %10lu %8.1f %%  %9lu %9lu %10lu %9lu %8.1f\n", w->name, w->n,
           w->minutes, base, r.losses, pct, base_alerts, r.alerts, r.advisories, r.revisions,
           (now_ms() - t0) / 1e3);
    fflush(stdout);
    rc = pct > BAR_PCT;
    if (rc)
        printf("FAIL %s: following leaves %.1f %% of the losses (bar %.0f %%)\n", w->name, pct,
               BAR_PCT);
done:
    free(r.plans);
    free(r.pilots);
    free(r.reps);
    free(r.ids);
    free(r.los);
    free(r.los_prev);
    dc_free(r.ev);
    dc__traffic_free(&r.traffic);
    dc_free(r.open);
    return rc;
}

int main(int argc, char **argv)
{
    const workload sets[] = {
        {"dense-1k-300km", 1000, 300, 20, 0x9e3779b97f4a7c15ull},
        {"dense-10k-950km", 10000, 950, 10, 0x9e3779b97f4a7c16ull},
    };
    printf("advisories followed: losses of separation (Ht 9260 m, Vt 305 m, look-ahead 300 s), "
           "1 s steps\n");
    printf("%-16s %7s %5s %10s %10s %10s %9s %9s %10s %9s %8s\n", "set", "aircraft", "min",
           "los_plans", "los_follow", "left", "alerts", "alerts_f", "advisories", "revisions",
           "secs");
    int rc = 0;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        if (argc > 1 && strcmp(argv[1], sets[i].name))
            continue;
        fprintf(stderr, "bench_advise: %s...\n", sets[i].name);
        rc |= bench(&sets[i]);
    }
    printf("bar: following advisories leaves at most %.0f %% of the losses of separation\n",
           BAR_PCT);
    return rc;
}
