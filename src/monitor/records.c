/* Alert records as each recipient sees them (docs/design.md section 6,
 * docs/alerts.md): an operator's blind record names only its own aircraft
 * and gives the intruder coarsely (sector, distance band, above/level/below)
 * with a manoeuvre for its own aircraft; the authority's full record names
 * both sides with positions.
 * Alert references are an HMAC of the alert id, so they reveal no count. */
#include <math.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "monitor/tick_int.h"

void dc__time_str(double t_s, char out[32])
{
    dc_time_format((int64_t)floor(t_s), out, 32);
}

/* A stable alert reference: the same for a raise and its clear and for
 * every party to the alert, pseudo-random to anyone else (a bare counter
 * would tell an operator how many alerts others had). On a shared store the
 * lease term is mixed in: each holder's table counts alerts from 1. */
static void alert_ref(const dc__monitor *m, uint64_t alert_id, char out[40])
{
    const dc_server *s = m->s;
    char msg[160];
    uint8_t mac[32];
    unsigned int len = sizeof mac;
    int n = m->term[0] ? snprintf(msg, sizeof msg, "alert\n%s\n%llu", m->term,
                                  (unsigned long long)alert_id)
                       : snprintf(msg, sizeof msg, "alert\n%llu", (unsigned long long)alert_id);
    HMAC(EVP_sha256(), s->secret, sizeof s->secret, (const uint8_t *)msg, (size_t)n, mac, &len);
    memcpy(out, "al_", 3);
    dc__hex(mac, 12, out + 3);
}

/* Every number in a record is finite JSON: a value that is not (the end of
 * a loss of separation between two tracks with the same velocity, which
 * never comes) is written as null, never as "inf" or "nan". */
static void num(dc__buf *b, const char *member, double v, int decimals)
{
    if (isfinite(v))
        dc__buf_fmt(b, "%s%.*f", member, decimals, v);
    else
        dc__buf_fmt(b, "%snull", member);
}

static void head(dc__buf *b, const char *kind, const char *ref, double time_s)
{
    char ts[32];
    dc__time_str(time_s, ts);
    dc__buf_fmt(b, "\"kind\":\"%s\",\"alert\":\"%s\",\"time\":\"%s\"", kind, ref, ts);
}

static void own_track(dc__buf *b, const side *sd)
{
    dc__buf_str(b, ",\"track_id\":");
    dc__buf_json_str(b, sd->track);
    if (sd->operation[0]) {
        dc__buf_str(b, ",\"operation_id\":");
        dc__buf_json_str(b, sd->operation);
    }
}

static void relative(dc__buf *b, const char *name, const dc_relative *r)
{
    dc__buf_fmt(b, ",\"%s\":{", name);
    num(b, "\"bearing_deg\":", r->bearing_deg, 1);
    num(b, ",\"distance_m\":", r->distance_m, 0);
    num(b, ",\"rel_alt_m\":", r->rel_alt_m, 0);
    num(b, ",\"t_cpa_s\":", r->t_cpa_s, 1);
    num(b, ",\"d_cpa_m\":", r->d_cpa_m, 0);
    dc__buf_str(b, "}");
}

static void full_side(dc__buf *b, const char *name, const side *sd)
{
    dc__buf_fmt(b, ",\"%s\":{\"operator\":", name);
    if (sd->known) {
        dc__buf_fmt(b, "{\"id\":\"%s\",\"name\":", sd->op_id);
        dc__buf_json_str(b, sd->op_name);
        dc__buf_str(b, "}");
    } else {
        dc__buf_str(b, "null");
    }
    dc__buf_str(b, ",\"track_id\":");
    dc__buf_json_str(b, sd->track);
    dc__buf_str(b, ",\"operation_id\":");
    if (sd->operation[0])
        dc__buf_json_str(b, sd->operation);
    else
        dc__buf_str(b, "null");
    if (sd->has_pos) {
        char ts[32];
        const dc_track_report *p = &sd->pos;
        dc__time_str(p->time_s, ts);
        dc__buf_fmt(b, ",\"position\":{\"time\":\"%s\"", ts);
        num(b, ",\"lat\":", p->lat_deg, 6);
        num(b, ",\"lon\":", p->lon_deg, 6);
        num(b, ",\"alt_m\":", p->alt_m, 0);
        num(b, ",\"ground_speed_mps\":", p->ground_speed_mps, 1);
        num(b, ",\"track_deg\":", p->track_deg, 1);
        num(b, ",\"vertical_rate_mps\":", p->vertical_rate_mps, 1);
        dc__buf_str(b, "}");
    }
    dc__buf_str(b, "}");
}

/* Records wait in the tick's list and join the ring together. */
static void queue(dc__monitor *m, uint32_t to, char *body)
{
    dc__monitor_tick *t = m->tick;
    if (!body)
        return;
    if (dc__grow((void **)&t->out, &t->cap_out, t->n_out + 1, sizeof *t->out)) {
        dc_free(body);
        return;
    }
    t->out[t->n_out++] = (dc__alert_rec){to, 0, body};
}

static char *take(dc__buf *b)
{
    if (b->oom) {
        dc__buf_free(b);
        return NULL;
    }
    return b->p;
}

/* ---- the advisory: what an operator learns of a predicted loss ----
 * docs/alerts.md. Everything in it is a function of the operator's own
 * exact state and the intruder's coarse state: its cell of DC__ALERT_CELL_DEG
 * degrees (position taken at the cell's centre), its layer of
 * DC__ALERT_LAYER_M metres, and its velocity. The time to loss is given in
 * DC__ALERT_T_STEP_S steps. How many of one operator's tracks may hold an
 * open alert on one intruder is bounded (DC__ALERT_PER_INTRUDER, chosen in
 * a keyed pseudo-random order), so a grid of own tracks cannot map the
 * edge of the alert region either. */

#define M_PER_DEG 111195.0
#define DEG_RAD (M_PI / 180.0)

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

/* East/north metres from (lat0, lon0) to (lat1, lon1), local plane. */
static void en(double lat0, double lon0, double lat1, double lon1, double *e, double *n)
{
    double dlon = fmod(lon1 - lon0 + 540.0, 360.0) - 180.0;
    *e = dlon * M_PER_DEG * cos((lat0 + lat1) * 0.5 * DEG_RAD);
    *n = (lat1 - lat0) * M_PER_DEG;
}

static const char *const SECTORS[8] = {"N", "NE", "E", "SE", "S", "SW", "W", "NW"};

void dc__advise(const dc_tactical_params *p, const dc_track_report *own_r,
                const dc_track_report *intr_r, double now_s, double t_in_s, dc__advisory *out)
{
    dc_track_report own = at(own_r, now_s), in = at(intr_r, now_s);
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

    /* The resolution, MVP-style (BlueSky's modified voltage potential):
     * the intruder's predicted miss vector at closest approach is pushed out
     * to the protected radius grown by the cell's half-diagonal (so that it
     * holds wherever in its cell the intruder is), by a velocity change of
     * own alone (the other side may not follow), applied as a heading
     * change at the same speed. Own exact, the intruder coarse. */
    double rx, ry;
    en(own.lat_deg, own.lon_deg, ic_lat, ic_lon, &rx, &ry);
    double th = own.track_deg * DEG_RAD, ti = in.track_deg * DEG_RAD;
    double vox = own.ground_speed_mps * sin(th), voy = own.ground_speed_mps * cos(th);
    double ux = in.ground_speed_mps * sin(ti) - vox, uy = in.ground_speed_mps * cos(ti) - voy;
    double u2 = ux * ux + uy * uy;
    double tc = u2 > 1e-6 ? -(rx * ux + ry * uy) / u2 : 0;
    double half_diag = 0.5 * DC__ALERT_CELL_DEG * M_PER_DEG * M_SQRT2;
    double want = (p->h_m + half_diag) * 1.05;
    out->kind = DC__ADVISE_ALTITUDE;
    if (own.ground_speed_mps >= 1.0 && tc > 1.0) {
        double mx = rx + ux * tc, my = ry + uy * tc, m = hypot(mx, my);
        if (m < 10.0) { /* head-on: pass on the right (ICAO rules of the air) */
            double r = hypot(rx, ry) > 1 ? hypot(rx, ry) : 1;
            mx = -ry / r * 10.0;
            my = rx / r * 10.0;
            m = 10.0;
        }
        double push = (want - m) / tc; /* m/s, along the miss vector, away */
        double nvx = vox - push * mx / m, nvy = voy - push * my / m;
        double hdg = fmod(atan2(nvx, nvy) / DEG_RAD + 360.0, 360.0);
        double turn = fmod(hdg - own.track_deg + 540.0, 360.0) - 180.0;
        if (want > m && fabs(turn) <= 90.0) {
            /* Rounded away from the intruder, at least 10 degrees. */
            double q = ceil(fabs(turn) / 10.0) * 10.0;
            if (q < 10)
                q = 10;
            turn = turn < 0 ? -q : q;
            out->kind = DC__ADVISE_HEADING;
            out->turn_deg = turn;
            out->heading_deg = fmod(round(own.track_deg + turn) + 360.0, 360.0);
        }
    }
    if (out->kind == DC__ADVISE_ALTITUDE) {
        /* Away from the intruder's layer: down when it is above or level. */
        double dz = layer_centre(in.alt_m) - own.alt_m;
        double need = p->v_m + 0.5 * DC__ALERT_LAYER_M - (out->vertical ? fabs(dz) : -fabs(dz));
        double step = 150.0;
        double change = ceil((need > step ? need : step) / step) * step;
        out->climb = out->vertical < 0;
        out->altitude_m = own.alt_m + (out->climb ? change : -change);
    }
}

void dc__advisory_json(dc__buf *b, const dc__advisory *a)
{
    static const char *const bands[4] = {"<10 km", "10-20 km", "20-50 km", ">50 km"};
    dc__buf_str(b, ",\"intruder\":{\"sector\":");
    if (a->sector >= 0)
        dc__buf_fmt(b, "\"%s\"", SECTORS[a->sector]);
    else
        dc__buf_str(b, "null");
    dc__buf_fmt(b, ",\"distance_band\":\"%s\",\"vertical\":\"%s\"}", bands[a->band],
                a->vertical > 0   ? "above"
                : a->vertical < 0 ? "below"
                                  : "level");
    num(b, ",\"t_los_s\":", a->t_los_s, 0);
    if (a->kind == DC__ADVISE_HEADING) {
        dc__buf_fmt(b, ",\"advisory\":{\"maneuver\":\"turn\",\"direction\":\"%s\"",
                    a->turn_deg < 0 ? "left" : "right");
        num(b, ",\"turn_deg\":", fabs(a->turn_deg), 0);
        num(b, ",\"heading_deg\":", a->heading_deg, 0);
        dc__buf_str(b, "}");
    } else {
        dc__buf_fmt(b, ",\"advisory\":{\"maneuver\":\"%s\"", a->climb ? "climb" : "descend");
        num(b, ",\"altitude_m\":", a->altitude_m, 0);
        dc__buf_str(b, "}");
    }
}

/* ---- who holds an open advisory on which intruder ---- */

static size_t open_find(const dc__monitor_tick *t, uint32_t to, const char *ref)
{
    for (size_t i = 0; i < t->n_adv; i++)
        if (t->adv[i].to == to && !strcmp(t->adv[i].ref, ref))
            return i;
    return (size_t)-1;
}

static size_t open_count(const dc__monitor_tick *t, uint32_t to, const side *intr)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_adv; i++)
        n += t->adv[i].to == to && t->adv[i].iop == intr->op &&
             !strcmp(t->adv[i].itrack, intr->track);
    return n;
}

/* The blind record for own side `me` of a pair alert: an advisory. */
static void operator_record(dc__monitor *m, const event *ev, const char *ref, const side *me,
                            const side *other)
{
    dc__monitor_tick *t = m->tick;
    if (!me->known || me->is_authority)
        return;
    int raised = ev->kind == DC_TAC_ALERT_RAISED;
    size_t at_i = open_find(t, me->op, ref);
    if (raised) {
        if (at_i != (size_t)-1 || !me->has_pos || !other->has_pos ||
            open_count(t, me->op, other) >= DC__ALERT_PER_INTRUDER)
            return;
        if (dc__grow((void **)&t->adv, &t->cap_adv, t->n_adv + 1, sizeof *t->adv))
            return;
        open_adv *o = &t->adv[t->n_adv++];
        o->to = me->op;
        o->iop = other->op;
        snprintf(o->itrack, sizeof o->itrack, "%s", other->track);
        memcpy(o->ref, ref, sizeof o->ref);
    } else if (at_i != (size_t)-1) {
        t->adv[at_i] = t->adv[--t->n_adv];
    } else if (!ev->ref[0]) {
        return; /* its raise was never sent */
    }
    /* (An alert inherited from a previous lease holder: whether that holder
     * sent the raise is not in the feed, so the clear goes to both sides.) */
    dc__buf b = {0};
    head(&b, raised ? "raised" : "cleared", ref, ev->time_s);
    own_track(&b, me);
    if (raised) {
        dc__advisory a;
        dc__advise(&m->s->cfg.tactical, &me->pos, &other->pos, ev->time_s, ev->c.t_in_s, &a);
        dc__advisory_json(&b, &a);
        dc__buf_fmt(&b, ",\"los_now\":%s", ev->c.los_now ? "true" : "false");
    }
    queue(m, me->op, take(&b));
}

/* A side may raise operator alerts when it is real: the authority's own
 * or unknown traffic (its surveillance), or an operator's track linked to
 * one of its live operations whose reports were all kinematically
 * plausible. Anything else (an unlinked or implausible operator track,
 * made up or not) is in the authority's picture only: a pair with it
 * gives no operator a record, so made-up tracks neither locate nor spoof. */
static int side_counts(const side *sd)
{
    if (sd->implausible)
        return 0;
    return !sd->known || sd->is_authority || sd->operation[0];
}

/* A feed track tied to an operation (modes:<address>) and the unknown
 * track the feed made of the same aircraft before the tie, until that one
 * goes stale: one aircraft, never a pair (docs/feeds.md). */
static int same_aircraft(const side *x, const side *y)
{
    size_t n = strlen(DC_TRACK_SURVEILLANCE_PREFIX);
    if (y->op == DC_TRACK_OPERATOR_UNKNOWN && !strncmp(x->track, DC_TRACK_SURVEILLANCE_PREFIX, n))
        return !strcmp(x->track + n, y->track);
    if (x->op == DC_TRACK_OPERATOR_UNKNOWN && !strncmp(y->track, DC_TRACK_SURVEILLANCE_PREFIX, n))
        return !strcmp(y->track + n, x->track);
    return 0;
}

void dc__pair_records(dc__monitor *m, const event *ev)
{
    if (same_aircraft(&ev->a, &ev->b))
        return;
    int raised = ev->kind == DC_TAC_ALERT_RAISED;
    char ref[40];
    dc__buf b = {0};
    if (ev->ref[0])
        memcpy(ref, ev->ref, sizeof ref);
    else
        alert_ref(m, ev->alert_id, ref);
    head(&b, raised ? "raised" : "cleared", ref, ev->time_s);
    full_side(&b, "a", &ev->a);
    full_side(&b, "b", &ev->b);
    if (raised) {
        num(&b, ",\"t_in_s\":", ev->c.t_in_s, 1);
        num(&b, ",\"t_out_s\":", ev->c.t_out_s, 1); /* null: the loss never ends */
        num(&b, ",\"t_cpa_s\":", ev->c.t_cpa_s, 1);
        num(&b, ",\"d_cpa_m\":", ev->c.d_cpa_m, 0);
        dc__buf_fmt(&b, ",\"los_now\":%s", ev->c.los_now ? "true" : "false");
        relative(&b, "seen_by_a", &ev->c.seen_by_a);
        relative(&b, "seen_by_b", &ev->c.seen_by_b);
    }
    int counts = side_counts(&ev->a) && side_counts(&ev->b);
    if (raised && !counts)
        dc__buf_str(&b, ",\"authority_only\":true");
    queue(m, DC__TO_AUTHORITY, take(&b));
    /* A clear goes to whoever got the raise, even if a side has turned
     * implausible since: an advisory is never left open. */
    if (counts || !raised) {
        operator_record(m, ev, ref, &ev->a, &ev->b);
        operator_record(m, ev, ref, &ev->b, &ev->a);
    }
    atomic_fetch_add(raised ? &m->m.raised : &m->m.cleared, 1);
}

void dc__conformance_records(dc__monitor *m, const event *ev)
{
    int nc = ev->kind == DC_TAC_NONCONFORMING;
    if (ev->quiet)
        return;
    const char *kind = nc ? "nonconforming" : "conforming";
    for (int auth = 0; auth < 2; auth++) {
        if (!auth && (!ev->a.known || ev->a.is_authority))
            continue;
        char ts[32];
        dc__buf b = {0};
        dc__time_str(ev->time_s, ts);
        dc__buf_fmt(&b, "\"kind\":\"%s\",\"time\":\"%s\"", kind, ts);
        own_track(&b, &ev->a);
        /* A track the host's surveillance tied to the operation (docs/feeds.md). */
        if (!strncmp(ev->a.track, DC_TRACK_SURVEILLANCE_PREFIX,
                     strlen(DC_TRACK_SURVEILLANCE_PREFIX)))
            dc__buf_str(&b, ",\"per\":\"surveillance\"");
        if (ev->a.state)
            dc__buf_fmt(&b, ",\"operation_state\":\"%s\"", ev->a.state);
        if (auth) {
            dc__buf_fmt(&b, ",\"operator\":{\"id\":\"%s\",\"name\":", ev->a.op_id);
            dc__buf_json_str(&b, ev->a.op_name);
            dc__buf_str(&b, "}");
        }
        queue(m, auth ? DC__TO_AUTHORITY : ev->a.op, take(&b));
    }
    atomic_fetch_add(nc ? &m->m.nonconforming : &m->m.conforming, 1);
}
