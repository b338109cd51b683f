/* The advisory: what an operator learns of a predicted loss of separation
 * (docs/alerts.md), and the manoeuvre for its own aircraft. Everything in
 * it is a function of the operator's own exact state and the coarse state
 * of the traffic: each aircraft's cell of DC__ALERT_CELL_DEG degrees
 * (position taken at the cell's centre), its layer of DC__ALERT_LAYER_M
 * metres and its velocity. The time to loss is given in DC__ALERT_T_STEP_S
 * steps. How many of one operator's tracks may hold an open alert on one
 * intruder is bounded (records.c), so a grid of own tracks cannot map the
 * edge of the alert region either.
 * The manoeuvre is chosen in the spirit of BlueSky's modified voltage
 * potential (MVP), with the look-ahead of its conflict detection: among
 * turns of 10 to 90 degrees (MVP's side preferred), the one whose predicted path
 * clears the intruder and own's other advised conflicts and conflicts
 * least with the rest of the traffic (the combined picture, as MVP sums
 * the displacements of every conflict), smallest first; a level change
 * only when own aircraft hovers (climbs through dense traffic, which
 * detection extrapolates linearly, raised far more alerts than they
 * solved: docs/alerts.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/tick_int.h"

#define M_PER_DEG 111195.0
#define DEG_RAD (M_PI / 180.0)
/* Traffic considered around own aircraft: at most this many, the nearest
 * in latitude first (hot path: no allocation). */
#define NEAR_MAX 512
/* Weight of the intruder itself against one other aircraft. */
#define PRIMARY_COST 1000.0
/* Own's other conflicts weighed as much as the intruder: at most this many. */
#define PARTNERS_MAX 16

static double cell_centre(double deg)
{
    return (floor(deg / DC__ALERT_CELL_DEG) + 0.5) * DC__ALERT_CELL_DEG;
}

static double layer_centre(double alt_m)
{
    return (floor(alt_m / DC__ALERT_LAYER_M) + 0.5) * DC__ALERT_LAYER_M;
}

/* A report moved linearly to t_s (east/north from ground speed and track). */
static dc_track_report at(const dc_track_report *r, double t_s)
{
    dc_track_report o = *r;
    double dt = t_s - r->time_s;
    double k = r->ground_speed_mps * dt / M_PER_DEG;
    o.lat_deg += k * cos(r->track_deg * DEG_RAD);
    if (o.lat_deg > 89.9)
        o.lat_deg = 89.9;
    if (o.lat_deg < -89.9)
        o.lat_deg = -89.9;
    o.lon_deg += k * sin(r->track_deg * DEG_RAD) / cos(r->lat_deg * DEG_RAD);
    o.lon_deg = fmod(o.lon_deg + 540.0, 360.0) - 180.0;
    o.alt_m += r->vertical_rate_mps * dt;
    o.time_s = t_s;
    return o;
}

dc_track_report dc__report_at(const dc_track_report *r, double t_s)
{
    return at(r, t_s);
}

/* East/north metres from (lat0, lon0) to (lat1, lon1), local plane. */
static void en(double lat0, double lon0, double lat1, double lon1, double *e, double *n)
{
    double dlon = fmod(lon1 - lon0 + 540.0, 360.0) - 180.0;
    *e = dlon * M_PER_DEG * cos((lat0 + lat1) * 0.5 * DEG_RAD);
    *n = (lat1 - lat0) * M_PER_DEG;
}

/* Another aircraft as own sees it coarsely: relative position of its cell
 * centre, its velocity, its layer centre and vertical rate. */
typedef struct coarse {
    double rx, ry, vx, vy, alt_m, vz;
} coarse;

static coarse coarse_of(const dc_track_report *own, const dc_track_report *o)
{
    coarse c;
    en(own->lat_deg, own->lon_deg, cell_centre(o->lat_deg), cell_centre(o->lon_deg), &c.rx, &c.ry);
    c.vx = o->ground_speed_mps * sin(o->track_deg * DEG_RAD);
    c.vy = o->ground_speed_mps * cos(o->track_deg * DEG_RAD);
    c.alt_m = layer_centre(o->alt_m);
    c.vz = o->vertical_rate_mps;
    return c;
}

/* Horizontal distance at closest approach (within [0, horizon_s]) of c,
 * own flying speed_mps on track_deg; *tc_s its time. */
static double miss(const coarse *c, double speed_mps, double track_deg, double horizon_s,
                   double *tc_s)
{
    double ux = c->vx - speed_mps * sin(track_deg * DEG_RAD);
    double uy = c->vy - speed_mps * cos(track_deg * DEG_RAD);
    double u2 = ux * ux + uy * uy;
    double tc = u2 > 1e-6 ? -(c->rx * ux + c->ry * uy) / u2 : 0;
    if (tc < 0)
        tc = 0;
    if (tc > horizon_s)
        tc = horizon_s;
    *tc_s = tc;
    return hypot(c->rx + ux * tc, c->ry + uy * tc);
}

/* The side to turn to, +1 right or -1 left: MVP's push away from the
 * miss vector at closest approach, on the geometry both sides of the pair
 * share (cell centre to cell centre, both velocities), so that the two
 * advisories mirror each other and add up. When that miss is under a
 * kilometre (one cell, or dead ahead), the push is across the relative
 * velocity, to the right of it for both: head-on, both turn right. */
static double coop_side(double ce, double cn, const dc_track_report *own, const dc_track_report *in)
{
    double th = own->track_deg * DEG_RAD, ti = in->track_deg * DEG_RAD;
    double ux = in->ground_speed_mps * sin(ti) - own->ground_speed_mps * sin(th);
    double uy = in->ground_speed_mps * cos(ti) - own->ground_speed_mps * cos(th);
    double u2 = ux * ux + uy * uy;
    double tc = u2 > 1e-6 ? fmax(0.0, -(ce * ux + cn * uy) / u2) : 0;
    double mx = ce + ux * tc, my = cn + uy * tc, px, py;
    if (hypot(mx, my) >= 1000.0) {
        px = -mx;
        py = -my;
    } else if (u2 > 1e-6) {
        px = -uy;
        py = ux;
    } else {
        return 1.0;
    }
    return px * cos(th) - py * sin(th) >= 0 ? 1.0 : -1.0; /* on own's right */
}

/* ---- the traffic picture ---- */

static int by_lat(const void *x, const void *y)
{
    const dc_track_report *a = x, *b = y;
    return a->lat_deg < b->lat_deg ? -1 : a->lat_deg > b->lat_deg;
}

int dc__traffic_set(dc__traffic *t, const dc_track_report *reps, size_t n)
{
    t->n = 0;
    t->max_speed_mps = 0;
    if (n && dc__grow((void **)&t->v, &t->cap, n, sizeof *t->v))
        return -1;
    memcpy(t->v, reps, n * sizeof *reps);
    t->n = n;
    for (size_t i = 0; i < n; i++)
        if (reps[i].ground_speed_mps > t->max_speed_mps)
            t->max_speed_mps = reps[i].ground_speed_mps;
    qsort(t->v, n, sizeof *t->v, by_lat);
    return 0;
}

void dc__traffic_free(dc__traffic *t)
{
    dc_free(t->v);
    memset(t, 0, sizeof *t);
}

static int same_track(const dc_track_report *a, const dc_track_report *b)
{
    return a->operator_number == b->operator_number && a->track_id && b->track_id &&
           !strcmp(a->track_id, b->track_id);
}

/* The traffic that could come within reach of own in the look-ahead, as
 * own sees it coarsely, into near (at most NEAR_MAX). Own, the intruder and
 * own operator's other aircraft (never a conflict) are left out. */
static size_t nearby(const dc_tactical_params *p, const dc__advise_in *a, coarse *near)
{
    const dc__traffic *t = a->traffic;
    const dc_track_report *own = a->own, *intr = a->intr;
    double now_s = a->now_s;
    if (!t || !t->n)
        return 0;
    double r_m = (own->ground_speed_mps + t->max_speed_mps) * p->lookahead_s + 2 * p->h_m;
    double dlat = r_m / M_PER_DEG + DC__ALERT_CELL_DEG;
    size_t lo = 0, hi = t->n;
    while (lo < hi) { /* first report at or above own lat - dlat */
        size_t mid = (lo + hi) / 2;
        if (t->v[mid].lat_deg < own->lat_deg - dlat)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    double vmargin = p->v_m + DC__ALERT_LAYER_M;
    double dlon = fmin(180.0, dlat / fmax(cos((fabs(own->lat_deg) + dlat) * DEG_RAD), 0.01));
    for (size_t i = lo; i < t->n && t->v[i].lat_deg <= own->lat_deg + dlat && n < NEAR_MAX; i++) {
        const dc_track_report *o = &t->v[i];
        if (fabs(fmod(o->lon_deg - own->lon_deg + 540.0, 360.0) - 180.0) > dlon)
            continue;
        if (same_track(o, own) || same_track(o, intr) ||
            (o->operator_number == own->operator_number &&
             own->operator_number != DC_TRACK_OPERATOR_UNKNOWN))
            continue;
        int partner = 0;
        for (size_t k = 0; k < a->n_partners && !partner; k++)
            partner = same_track(o, &a->partners[k]);
        if (partner)
            continue;
        dc_track_report oo = at(o, now_s);
        coarse c = coarse_of(own, &oo);
        double reach = (own->ground_speed_mps + oo.ground_speed_mps) * p->lookahead_s;
        double climb = (fabs(own->vertical_rate_mps) + fabs(c.vz)) * p->lookahead_s;
        if (hypot(c.rx, c.ry) > reach + 2 * p->h_m || fabs(c.alt_m - own->alt_m) > climb + vmargin)
            continue;
        near[n++] = c;
    }
    return n;
}

/* How deep own, flying track_deg, comes into c's protected zone (r_m
 * horizontally while within v_m vertically) in [0, horizon_s]: r_m minus
 * the least horizontal distance while vertically close, 0 when never. */
static double depth(const coarse *c, const dc_track_report *own, double track_deg, double r_m,
                    double v_m, double horizon_s)
{
    double t0 = 0, t1 = horizon_s;
    double dz = c->alt_m - own->alt_m, dvz = c->vz - own->vertical_rate_mps;
    if (fabs(dvz) < 1e-6) {
        if (fabs(dz) >= v_m)
            return 0;
    } else {
        double a = (-v_m - dz) / dvz, b = (v_m - dz) / dvz;
        t0 = fmax(t0, fmin(a, b));
        t1 = fmin(t1, fmax(a, b));
        if (t0 >= t1)
            return 0;
    }
    double ux = c->vx - own->ground_speed_mps * sin(track_deg * DEG_RAD);
    double uy = c->vy - own->ground_speed_mps * cos(track_deg * DEG_RAD);
    double u2 = ux * ux + uy * uy;
    double tc = u2 > 1e-6 ? -(c->rx * ux + c->ry * uy) / u2 : t0;
    tc = fmin(fmax(tc, t0), t1);
    double d = hypot(c->rx + ux * tc, c->ry + uy * tc);
    return d < r_m ? r_m - d : 0;
}

/* What flying track_deg costs: PRIMARY_COST and more for each aircraft
 * own is in conflict with (the intruder first) that it does not clear by
 * want_m, plus one and more per other aircraft it would come within
 * want_m and Vt (and half a layer) of, in the look-ahead. The deeper, the
 * dearer: MVP's sum over every conflict. */
static double cost(const dc_tactical_params *p, const dc_track_report *own, double track_deg,
                   const coarse *prim, size_t n_prim, double want_m, const coarse *near, size_t n)
{
    double v_m = p->v_m + 0.5 * DC__ALERT_LAYER_M, T = p->lookahead_s, c = 0, d;
    for (size_t i = 0; i < n_prim; i++)
        if ((d = depth(&prim[i], own, track_deg, want_m, v_m, T)) > 0)
            c += PRIMARY_COST * (1.0 + d / want_m);
    for (size_t i = 0; i < n; i++)
        if ((d = depth(&near[i], own, track_deg, want_m, v_m, T)) > 0)
            c += 1.0 + d / want_m;
    return c;
}

/* The intruder (first) and own's other advised conflicts, as own sees
 * them coarsely at a->now_s. */
static size_t primaries(const dc__advise_in *a, const dc_track_report *own, coarse *prim)
{
    dc_track_report in = at(a->intr, a->now_s);
    size_t n_prim = 1;
    prim[0] = coarse_of(own, &in);
    for (size_t k = 0; k < a->n_partners && n_prim < 1 + PARTNERS_MAX; k++) {
        dc_track_report o = at(&a->partners[k], a->now_s);
        prim[n_prim++] = coarse_of(own, &o);
    }
    return n_prim;
}

/* How far the intruder and own's advised conflicts are to be missed: the
 * protected radius grown by the cell's half-diagonal (so that it holds
 * wherever in its cell each is), and 5 %. */
static double want_m(const dc_tactical_params *p)
{
    return (p->h_m + 0.5 * DC__ALERT_CELL_DEG * M_PER_DEG * M_SQRT2) * 1.05;
}

void dc__advise(const dc_tactical_params *p, const dc__advise_in *a, dc__advisory *out)
{
    double now_s = a->now_s, t_in_s = a->t_in_s;
    dc_track_report own = at(a->own, now_s), in = at(a->intr, now_s);
    memset(out, 0, sizeof *out);
    /* The coarse picture: cell centre to cell centre, layer to layer. */
    double oc_lat = cell_centre(own.lat_deg), oc_lon = cell_centre(own.lon_deg);
    double ic_lat = cell_centre(in.lat_deg), ic_lon = cell_centre(in.lon_deg);
    double ce, cn;
    en(oc_lat, oc_lon, ic_lat, ic_lon, &ce, &cn);
    double cd = hypot(ce, cn);
    out->sector = -1;
    if (cd > 1.0) {
        double brg = atan2(ce, cn) / DEG_RAD;
        out->sector = (int)floor(fmod(brg + 360.0 + 22.5, 360.0) / 45.0) % 8;
    }
    out->band = cd < 10000 ? 0 : cd < 20000 ? 1 : cd < 50000 ? 2 : 3;
    double lo = floor(own.alt_m / DC__ALERT_LAYER_M), li = floor(in.alt_m / DC__ALERT_LAYER_M);
    out->vertical = li > lo ? 1 : li < lo ? -1 : 0;
    out->t_los_s = floor((t_in_s > 0 ? t_in_s : 0) / DC__ALERT_T_STEP_S) * DC__ALERT_T_STEP_S;

    /* The turn (a level change when own aircraft hovers). The intruder and
     * own's other advised conflicts are to be missed by the protected
     * radius grown by the cell's half-diagonal (so that it holds wherever
     * in its cell each is), by own alone (the other side may not follow);
     * the intruder's own advisory turns to the mirrored side, so both add
     * up; the other side is dearer then, taken only when MVP's side cannot
     * clear own's conflicts. */
    coarse prim[1 + PARTNERS_MAX], near[NEAR_MAX];
    size_t n_prim = primaries(a, &own, prim), n_near = nearby(p, a, near);
    double want = want_m(p), tc = 0, track = own.track_deg;
    out->kind = DC__ADVISE_ALTITUDE;
    if (own.ground_speed_mps >= 1.0) {
        double side = coop_side(ce, cn, &own, &in), best = INFINITY, best_turn = side * 10.0;
        for (int k = 1; k <= 9 && best > 0; k++) {
            for (int pass = 0; pass < 2; pass++) {
                double turn = (pass ? -side : side) * 10.0 * k;
                double hdg = fmod(round(own.track_deg + turn) + 360.0, 360.0);
                double c = cost(p, &own, hdg, prim, n_prim, want, near, n_near);
                if (pass && a->cooperative)
                    c += 0.5 * PRIMARY_COST; /* the intruder's advisory mirrors MVP's side */
                if (c < best) {
                    best = c;
                    best_turn = turn;
                }
            }
        }
        out->kind = DC__ADVISE_HEADING;
        out->turn_deg = best_turn;
        out->heading_deg = track = fmod(round(own.track_deg + best_turn) + 360.0, 360.0);
    }
    miss(&prim[0], own.ground_speed_mps, track, p->lookahead_s, &tc);
    /* Held until past closest approach (on the new heading, or the old one
     * under a level change) and a step more, so that rejoining the plan
     * turns behind the intruder, not back into it. */
    double hold = ceil(((tc > 0 ? tc : 0) + DC__ALERT_T_STEP_S) / DC__ALERT_T_STEP_S);
    out->hold_s = hold * DC__ALERT_T_STEP_S;
    if (out->hold_s > p->lookahead_s + DC__ALERT_T_STEP_S)
        out->hold_s = ceil(p->lookahead_s / DC__ALERT_T_STEP_S + 1) * DC__ALERT_T_STEP_S;
    if (out->kind == DC__ADVISE_ALTITUDE) {
        /* Out of the intruder's layer by Vt and half a layer: down when it
         * is above, up when below; in the same layer, the side the caller
         * chose (level_up), so that the two sides part. */
        double ic = prim[0].alt_m, margin = p->v_m + 0.5 * DC__ALERT_LAYER_M, step = 150.0;
        out->climb = out->vertical < 0 || (out->vertical == 0 && a->level_up);
        if (out->climb)
            out->altitude_m = fmax(ceil((ic + margin) / step) * step, own.alt_m + step);
        else
            out->altitude_m = fmin(floor((ic - margin) / step) * step, own.alt_m - step);
    }
}

/* ---- revisions (docs/alerts.md "Revised advisories") ---- */

/* What flying advisory v from own's state costs against prim and near. */
static double flown_cost(const dc_tactical_params *p, const dc_track_report *own,
                         const dc__advisory *v, const coarse *prim, size_t n_prim,
                         const coarse *near, size_t n_near)
{
    dc_track_report o = *own;
    double track = own->track_deg;
    if (v->kind == DC__ADVISE_HEADING) {
        track = v->heading_deg;
    } else {
        o.alt_m = v->altitude_m;
        o.vertical_rate_mps = 0;
    }
    return cost(p, &o, track, prim, n_prim, want_m(p), near, n_near);
}

static int same_manoeuvre(const dc__advisory *x, const dc__advisory *y)
{
    if (x->kind != y->kind)
        return 0;
    if (x->kind == DC__ADVISE_HEADING)
        return fabs(fmod(x->heading_deg - y->heading_deg + 540.0, 360.0) - 180.0) < 10.0;
    return fabs(x->altitude_m - y->altitude_m) < 150.0;
}

int dc__revise_due(const dc__advised *o, double now_s)
{
    return o->revisions < DC__REVISE_MAX && now_s >= o->next_check_s &&
           now_s - o->track_sent_s >= DC__REVISE_EVERY_S;
}

int dc__advise_revise(const dc_tactical_params *p, const dc__advise_in *a, dc__advised *o,
                      dc__advisory *out)
{
    dc_track_report own = at(a->own, a->now_s);
    coarse prim[1 + PARTNERS_MAX], near[NEAR_MAX];
    /* The intruder alone first: while the manoeuvre flown clears it on the
     * coarse picture, there is nothing to revise (and nothing more to
     * compute). */
    size_t n_prim = primaries(a, &own, prim);
    if (flown_cost(p, &own, &o->adv, prim, 1, NULL, 0) < PRIMARY_COST)
        return 0;
    o->next_check_s = a->now_s + DC__REVISE_RECHECK_S;
    size_t n_near = nearby(p, a, near);
    double before = flown_cost(p, &own, &o->adv, prim, n_prim, near, n_near);
    dc__advise(p, a, out);
    double after = flown_cost(p, &own, out, prim, n_prim, near, n_near);
    if (after > before - DC__REVISE_GAIN * PRIMARY_COST || same_manoeuvre(out, &o->adv))
        return 0;
    o->adv = *out;
    o->revisions++;
    return 1;
}
