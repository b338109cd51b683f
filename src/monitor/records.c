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

/* ---- the advisory (advise.c computes it) ---- */

static const char *const SECTORS[8] = {"N", "NE", "E", "SE", "S", "SW", "W", "NW"};

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
    } else {
        dc__buf_fmt(b, ",\"advisory\":{\"maneuver\":\"%s\"", a->climb ? "climb" : "descend");
        num(b, ",\"altitude_m\":", a->altitude_m, 0);
    }
    num(b, ",\"hold_s\":", a->hold_s, 0);
    dc__buf_str(b, "}");
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

/* Own's other conflicts, at most cap: the intruders own track holds an
 * open advisory on (so the operator knows of them already: no conflict it
 * was not told of shapes its advisory), their reports borrowed from the
 * table. */
static size_t partners_of(dc__monitor *m, const side *me, const side *other, dc_track_report *buf,
                          size_t cap)
{
    const dc__monitor_tick *t = m->tick;
    size_t k = 0;
    for (size_t i = 0; m->table && i < t->n_adv && k < cap; i++) {
        const open_adv *o = &t->adv[i];
        if (o->to != me->op || strcmp(o->otrack, me->track) ||
            (o->iop == other->op && !strcmp(o->itrack, other->track)))
            continue;
        if (dc_tactical_track_get(m->table, o->iop, o->itrack, &buf[k]) == DC_OK)
            k++;
    }
    return k;
}

/* Advisory a went to o's own track at now_s: it is the one flown, what
 * each of that track's open alerts is checked against, and none of them is
 * revised within DC__REVISE_EVERY_S of it. */
static void advised_at(dc__monitor_tick *t, open_adv *o, const dc__advisory *a, double now_s)
{
    for (size_t i = 0; i < t->n_adv; i++)
        if (t->adv[i].to == o->to && !strcmp(t->adv[i].otrack, o->otrack)) {
            t->adv[i].rev.adv = *a;
            t->adv[i].rev.track_sent_s = now_s;
        }
    o->rev.next_check_s = now_s + DC__REVISE_EVERY_S;
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
        memset(o, 0, sizeof *o);
        o->to = me->op;
        o->iop = other->op;
        snprintf(o->itrack, sizeof o->itrack, "%s", other->track);
        snprintf(o->otrack, sizeof o->otrack, "%s", me->track);
        memcpy(o->ref, ref, sizeof o->ref);
        o->side_up = me == &ev->a ? ev->a_up : !ev->a_up;
        o->cooperative = side_counts(other) && other->known && !other->is_authority;
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
        dc_track_report own = me->pos, intr = other->pos, partners[16];
        own.operator_number = me->op;
        own.track_id = me->track;
        intr.operator_number = other->op;
        intr.track_id = other->track;
        open_adv *o = &t->adv[t->n_adv - 1];
        dc__advise_in in = {
            &own,          &intr,      partners,     partners_of(m, me, other, partners, 16),
            t->traffic,    ev->time_s, ev->c.t_in_s, o->side_up,
            o->cooperative};
        dc__advise(&m->s->cfg.tactical, &in, &a);
        advised_at(t, o, &a, ev->time_s);
        dc__advisory_json(&b, &a);
        dc__buf_fmt(&b, ",\"los_now\":%s", ev->c.los_now ? "true" : "false");
    }
    queue(m, me->op, take(&b));
}

/* Revised advisories (docs/alerts.md): each open advisory whose bounds
 * allow it is looked at again from the same inputs as its raise (own's
 * exact report, the coarse picture of the intruder, own's other advised
 * conflicts and the traffic), both tracks still live and plausible and
 * the pair still predicted to lose separation. */
void dc__revise_records(dc__monitor *m, double now_s)
{
    dc__monitor_tick *t = m->tick;
    const dc_tactical_params *p = &m->s->cfg.tactical;
    for (size_t i = 0; m->table && i < t->n_adv; i++) {
        open_adv *o = &t->adv[i];
        dc_track_report own, intr, partners[16];
        dc_tactical_conflict c;
        if (!dc__revise_due(&o->rev, now_s) ||
            dc_tactical_track_get(m->table, o->to, o->otrack, &own) != DC_OK ||
            dc_tactical_track_get(m->table, o->iop, o->itrack, &intr) != DC_OK ||
            !dc_tactical_track_plausible(m->table, o->to, o->otrack) ||
            !dc_tactical_track_plausible(m->table, o->iop, o->itrack))
            continue;
        dc_track_report own_now = dc__report_at(&own, now_s), in_now = dc__report_at(&intr, now_s);
        if (!dc_tactical_pair(p, &own_now, &in_now, &c))
            continue; /* its clear is on the way */
        side me = {0}, other = {0};
        me.op = o->to;
        snprintf(me.track, sizeof me.track, "%s", o->otrack);
        snprintf(me.operation, sizeof me.operation, "%s", own.operation_id ? own.operation_id : "");
        other.op = o->iop;
        snprintf(other.track, sizeof other.track, "%s", o->itrack);
        if (!t->traffic || t->traffic_pass != t->pass)
            dc__tick_traffic(m);
        dc__advise_in in = {
            &own,          &intr, partners, partners_of(m, &me, &other, partners, 16),
            t->traffic,    now_s, c.t_in_s, o->side_up,
            o->cooperative};
        dc__advisory a;
        if (!dc__advise_revise(p, &in, &o->rev, &a))
            continue;
        advised_at(t, o, &a, now_s);
        dc__buf b = {0};
        head(&b, "revised", o->ref, now_s);
        own_track(&b, &me);
        dc__buf_fmt(&b, ",\"revision\":%u", o->rev.revisions);
        dc__advisory_json(&b, &a);
        dc__buf_fmt(&b, ",\"los_now\":%s", c.los_now ? "true" : "false");
        queue(m, o->to, take(&b));
        atomic_fetch_add(&m->m.revised, 1);
    }
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
