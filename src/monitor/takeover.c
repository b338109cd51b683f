/* Lease takeover on a shared store: a new holder inherits what the alert
 * feed shows open (lease_share.c reads it). A pair it raises again keeps
 * the inherited reference and sends nothing, its clear carries that
 * reference, and a pair not raised again within INHERIT_GRACE_PASSES passes
 * is cleared under it; a track already reported nonconforming is not
 * reported again while its operation stays nonconforming. */
#include <string.h>

#include "monitor/tick_int.h"

int dc__same_track(const side *x, const side *y)
{
    return x->op == y->op && !strcmp(x->track, y->track);
}

/* A raise of an inherited pair adopts its reference and sends nothing; the
 * clear of an adopted one carries it, sides as they were raised. */
void dc__inherit_match(dc__monitor_tick *t, event *ev)
{
    for (size_t k = 0; k < t->n_inh; k++) {
        inherited *h = &t->inh[k];
        if (ev->kind == DC_TAC_ALERT_RAISED) {
            if (h->alert_id || !((dc__same_track(&ev->a, &h->a) && dc__same_track(&ev->b, &h->b)) ||
                                 (dc__same_track(&ev->a, &h->b) && dc__same_track(&ev->b, &h->a))))
                continue;
            h->alert_id = ev->alert_id;
            ev->quiet = 1;
            return;
        }
        if (!h->alert_id || h->alert_id != ev->alert_id)
            continue;
        if (dc__same_track(&ev->a, &h->b)) {
            side x = ev->a;
            ev->a = ev->b;
            ev->b = x;
        }
        memcpy(ev->ref, h->ref, sizeof ev->ref);
        t->inh[k] = t->inh[--t->n_inh];
        return;
    }
}

/* A pass's events against what was inherited; then, after the grace
 * passes, a pair not raised again is clear (its tracks stale, or apart). */
void dc__inherit_step(dc__monitor *m, double now_s)
{
    dc__monitor_tick *t = m->tick;
    for (size_t i = 0; i < t->n_ev && t->n_inh; i++)
        if (t->ev[i].kind == DC_TAC_ALERT_RAISED || t->ev[i].kind == DC_TAC_ALERT_CLEARED)
            dc__inherit_match(t, &t->ev[i]);
    if (t->pass < t->inh_until)
        return;
    for (size_t k = 0; k < t->n_inh;) {
        inherited *h = &t->inh[k];
        if (h->alert_id) {
            k++;
            continue;
        }
        if (!dc__grow((void **)&t->ev, &t->cap_ev, t->n_ev + 1, sizeof *t->ev)) {
            event *ev = &t->ev[t->n_ev++];
            memset(ev, 0, sizeof *ev);
            ev->kind = DC_TAC_ALERT_CLEARED;
            ev->time_s = now_s;
            ev->a = h->a;
            ev->b = h->b;
            memcpy(ev->ref, h->ref, sizeof ev->ref);
        } else {
            t->ev_lost++;
        }
        *h = t->inh[--t->n_inh];
    }
}

/* The operator number of a public id from the feed; "" is unknown traffic.
 * Under mu. 0 when there is no such operator. */
static int open_side_of(dc_server *s, const dc__open_side *o, side *sd)
{
    memset(sd, 0, sizeof *sd);
    if (o->op_id[0]) {
        const dc__operator *op = dc__operator_by_id(s, o->op_id);
        if (!op)
            return 0;
        sd->op = op->number;
    } else {
        sd->op = DC_TRACK_OPERATOR_UNKNOWN;
    }
    snprintf(sd->track, sizeof sd->track, "%s", o->track);
    snprintf(sd->operation, sizeof sd->operation, "%s", o->operation);
    return 1;
}

/* Just took the lease: what the feed shows open becomes ours. */
void dc__inherit(dc__monitor *m)
{
    dc__monitor_tick *t = m->tick;
    dc_server *s = m->s;
    t->n_inh = t->n_quiet = 0;
    t->inh_until = t->pass + 1 + INHERIT_GRACE_PASSES;
    dc__share_open_alerts(m, &t->open_pairs, &t->open_nc);
    if (!t->open_pairs.n && !t->open_nc.n)
        return;
    dc__sync_catch_up(s); /* operators named there, created a moment ago */
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < t->open_pairs.n; i++) {
        const dc__open_alert *o = &t->open_pairs.v[i];
        inherited h = {{0}, {0}, {0}, 0};
        if (!open_side_of(s, &o->a, &h.a) || !open_side_of(s, &o->b, &h.b) ||
            dc__grow((void **)&t->inh, &t->cap_inh, t->n_inh + 1, sizeof *t->inh))
            continue;
        memcpy(h.ref, o->ref, sizeof h.ref);
        t->inh[t->n_inh++] = h;
    }
    for (size_t i = 0; i < t->open_nc.n; i++) {
        side sd;
        if (!open_side_of(s, &t->open_nc.v[i].a, &sd) ||
            dc__grow((void **)&t->quiet, &t->cap_quiet, t->n_quiet + 1, sizeof *t->quiet))
            continue;
        nc_track *q = &t->quiet[t->n_quiet++];
        q->op = sd.op;
        memcpy(q->track, sd.track, sizeof q->track);
        memcpy(q->operation, sd.operation, sizeof q->operation);
    }
    pthread_mutex_unlock(&s->mu);
}
