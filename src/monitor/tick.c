/* The detection thread: every tick_s it swaps the ingest buffer, ingests
 * into the track table it alone owns, runs a pass at the wall-clock time and
 * turns the pass's events into alert records and operation states:
 * - a raised/cleared pair alert gives each operator side a blind record
 *   (its own track, the intruder only relatively) and the authority a full
 *   one (both operators, tracks and positions); unknown traffic and the
 *   authority's own tracks get no operator record;
 * - a track outside its operation's volumes for conf_dwell_s makes the
 *   operation `nonconforming` (stored and audited, version bumped), alerting
 *   owner and authority; when every such track of it is back inside for
 *   conf_dwell_s the operation is `active` again. A nonconforming track that
 *   goes stale keeps its operation nonconforming (nobody saw it come back).
 * Conformance volumes come from the airspace under mu, cached per operation
 * version and looked up at most once per pass.
 * On a shared store a new lease holder inherits what the feed shows open
 * (lease_share.c): a pair it raises again keeps the inherited reference and sends
 * nothing, its clear carries that reference, and a pair not raised again
 * within INHERIT_GRACE_PASSES passes is cleared under it; a track already
 * reported nonconforming is not reported again while its operation stays
 * nonconforming. */
#include <math.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "monitor/monitor.h"

/* ---- the tick thread's own state ---- */

typedef struct side {
    uint32_t op; /* operator number or DC_TRACK_OPERATOR_UNKNOWN */
    char track[DC_TRACK_ID_MAX];
    char operation[DC_TRACK_OPERATION_ID_MAX]; /* "" when not linked */
    /* filled after the pass / under mu */
    int has_pos;
    dc_track_report pos; /* strings NULL */
    int known, is_authority;
    char op_id[24];
    char op_name[72];
    const char *state; /* conformance: the operation's state after the event */
} side;

typedef struct event {
    dc_tactical_event_kind kind;
    uint64_t alert_id;
    double time_s;
    side a, b;
    dc_tactical_conflict c; /* refs cleared; raised only */
    char ref[40];           /* inherited alert reference, "" for our own */
    int quiet;              /* already known to every recipient: no records */
} event;

typedef struct vcache {
    char id[DC_TRACK_OPERATION_ID_MAX];
    int64_t version; /* -1: not found */
    uint64_t pass;
    dc_volume *vols;
    size_t n;
} vcache;

typedef struct nc_track { /* a track currently nonconforming */
    uint32_t op;
    char track[DC_TRACK_ID_MAX];
    char operation[DC_TRACK_OPERATION_ID_MAX];
} nc_track;

/* A pair alert a previous holder raised and did not clear. */
typedef struct inherited {
    char ref[40];
    side a, b;         /* as it was raised (op, track, operation) */
    uint64_t alert_id; /* ours once raised again; 0 until then */
} inherited;

/* Passes after the takeover pass (which has the recent reports) in which an
 * inherited pair may be raised again before it is cleared. */
#define INHERIT_GRACE_PASSES 2

typedef struct dc__monitor_tick {
    event *ev;
    size_t n_ev, cap_ev;
    unsigned long ev_lost;
    dc__map vmap;
    vcache **vlist;
    size_t n_v, cap_v;
    uint64_t pass;
    nc_track *nc;
    size_t n_nc, cap_nc;
    dc_track_report *seed;
    size_t n_seed, cap_seed;
    dc__alert_rec *out; /* records of this tick, for dc__alerts_append */
    size_t n_out, cap_out;
    /* inherited at the last takeover (shared store) */
    inherited *inh;
    size_t n_inh, cap_inh;
    uint64_t inh_until;  /* last pass in which a pending one may be raised again */
    nc_track *quiet;     /* tracks already reported nonconforming */
    size_t n_quiet, cap_quiet;
    dc__open_list open_pairs, open_nc; /* from share.c */
} dc__monitor_tick;

/* Grows *buf (elem bytes each) to hold need; 0 on success, contents kept. */
static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = dc_realloc(*buf, n * elem);
    if (!p)
        return -1;
    *buf = p;
    *cap = n;
    return 0;
}

static void side_from(side *sd, const dc_track_ref *ref)
{
    memset(sd, 0, sizeof *sd);
    sd->op = ref->operator_id;
    snprintf(sd->track, sizeof sd->track, "%s", ref->track_id ? ref->track_id : "");
    snprintf(sd->operation, sizeof sd->operation, "%s",
             ref->operation_id ? ref->operation_id : "");
}

static void on_event(void *ctx, const dc_tactical_event *e)
{
    dc__monitor *m = ctx;
    dc__monitor_tick *t = m->tick;
    if (grow((void **)&t->ev, &t->cap_ev, t->n_ev + 1, sizeof *t->ev)) {
        t->ev_lost++;
        return;
    }
    event *ev = &t->ev[t->n_ev++];
    memset(ev, 0, sizeof *ev);
    ev->kind = e->kind;
    ev->alert_id = e->alert_id;
    ev->time_s = e->time_s;
    side_from(&ev->a, &e->a);
    if (e->kind == DC_TAC_ALERT_RAISED || e->kind == DC_TAC_ALERT_CLEARED)
        side_from(&ev->b, &e->b);
    if (e->conflict) {
        ev->c = *e->conflict;
        memset(&ev->c.a, 0, sizeof ev->c.a);
        memset(&ev->c.b, 0, sizeof ev->c.b);
    }
}

/* The volumes of an operation for conformance, as of its current version. */
static dc_status volumes_of(void *ctx, uint32_t op, const char *operation_id,
                            const dc_volume **vols, size_t *n)
{
    dc__monitor *m = ctx;
    dc__monitor_tick *t = m->tick;
    dc_server *s = m->s;
    vcache *vc = dc__map_get(&t->vmap, operation_id);
    if (vc && vc->pass == t->pass)
        goto done;
    if (!vc) {
        if (grow((void **)&t->vlist, &t->cap_v, t->n_v + 1, sizeof *t->vlist) || !(vc = dc_calloc(1, sizeof *vc)))
            return DC_ENOTFOUND;
        snprintf(vc->id, sizeof vc->id, "%s", operation_id);
        vc->version = -1;
        if (dc__map_put(&t->vmap, vc->id, vc) != DC_OK) {
            dc_free(vc);
            return DC_ENOTFOUND;
        }
        t->vlist[t->n_v++] = vc;
    }
    vc->pass = t->pass;
    char *json = NULL;
    int64_t version = -1;
    pthread_mutex_lock(&s->mu);
    dc__entry *e = dc__entry_get(s, operation_id);
    if (e && !e->is_restriction && e->owner == op && dc__state_live(e->state)) {
        version = e->version;
        if (version != vc->version)
            json = dc_strdup(e->volumes_json);
    }
    pthread_mutex_unlock(&s->mu);
    if (version < 0 || version == vc->version) {
        vc->version = version;
        goto done;
    }
    /* Parsed outside mu: the airspace never waits for it. */
    json_t *arr = json ? json_loads(json, 0, NULL) : NULL;
    dc_volume *v = NULL;
    size_t nv = 0;
    dc_free(json);
    if (arr && dc_json_volumes(arr, "volumes", (size_t)-1, INT64_MAX / 4, &v, &nv, NULL) == DC_OK) {
        dc_volumes_free(vc->vols, vc->n);
        vc->vols = v;
        vc->n = nv;
        vc->version = version;
    } else {
        vc->version = -1;
    }
    json_decref(arr);
done:
    if (vc->version < 0)
        return DC_ENOTFOUND;
    *vols = vc->vols;
    *n = vc->n;
    return DC_OK;
}

/* ---- turning events into records ---- */

static void time_str(double t_s, char out[32])
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

static void head(dc__buf *b, const char *kind, const char *ref, double time_s)
{
    char ts[32];
    time_str(time_s, ts);
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
    dc__buf_fmt(b,
                ",\"%s\":{\"bearing_deg\":%.1f,\"distance_m\":%.0f,\"rel_alt_m\":%.0f,"
                "\"t_cpa_s\":%.1f,\"d_cpa_m\":%.0f}",
                name, r->bearing_deg, r->distance_m, r->rel_alt_m, r->t_cpa_s, r->d_cpa_m);
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
        time_str(p->time_s, ts);
        dc__buf_fmt(b,
                    ",\"position\":{\"time\":\"%s\",\"lat\":%.6f,\"lon\":%.6f,\"alt_m\":%.0f,"
                    "\"ground_speed_mps\":%.1f,\"track_deg\":%.1f,\"vertical_rate_mps\":%.1f}",
                    ts, p->lat_deg, p->lon_deg, p->alt_m, p->ground_speed_mps, p->track_deg,
                    p->vertical_rate_mps);
    }
    dc__buf_str(b, "}");
}

/* Records wait in the tick's list and join the ring together. */
static void queue(dc__monitor *m, uint32_t to, char *body)
{
    dc__monitor_tick *t = m->tick;
    if (!body)
        return;
    if (grow((void **)&t->out, &t->cap_out, t->n_out + 1, sizeof *t->out)) {
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

/* The blind record for own side `me` of a pair alert. */
static void operator_record(dc__monitor *m, const event *ev, const char *ref, const side *me,
                            const dc_relative *seen)
{
    if (!me->known || me->is_authority)
        return;
    dc__buf b = {0};
    int raised = ev->kind == DC_TAC_ALERT_RAISED;
    head(&b, raised ? "raised" : "cleared", ref, ev->time_s);
    own_track(&b, me);
    if (raised) {
        relative(&b, "intruder", seen);
        dc__buf_fmt(&b, ",\"t_in_s\":%.1f,\"los_now\":%s", ev->c.t_in_s,
                    ev->c.los_now ? "true" : "false");
    }
    queue(m, me->op, take(&b));
}

static void pair_records(dc__monitor *m, const event *ev)
{
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
        dc__buf_fmt(&b,
                    ",\"t_in_s\":%.1f,\"t_out_s\":%.1f,\"t_cpa_s\":%.1f,\"d_cpa_m\":%.0f,"
                    "\"los_now\":%s",
                    ev->c.t_in_s, ev->c.t_out_s, ev->c.t_cpa_s, ev->c.d_cpa_m,
                    ev->c.los_now ? "true" : "false");
        relative(&b, "seen_by_a", &ev->c.seen_by_a);
        relative(&b, "seen_by_b", &ev->c.seen_by_b);
    }
    queue(m, DC__TO_AUTHORITY, take(&b));
    operator_record(m, ev, ref, &ev->a, &ev->c.seen_by_a);
    operator_record(m, ev, ref, &ev->b, &ev->c.seen_by_b);
    atomic_fetch_add(raised ? &m->m.raised : &m->m.cleared, 1);
}

static void conformance_records(dc__monitor *m, const event *ev)
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
        time_str(ev->time_s, ts);
        dc__buf_fmt(&b, "\"kind\":\"%s\",\"time\":\"%s\"", kind, ts);
        own_track(&b, &ev->a);
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

/* ---- operation states (under mu) ---- */

static int nc_in(const nc_track *v, size_t n, const side *sd)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].op == sd->op && !strcmp(v[i].track, sd->track) &&
            !strcmp(v[i].operation, sd->operation))
            return (int)i;
    return -1;
}

static int nc_find(const dc__monitor_tick *t, const side *sd)
{
    return nc_in(t->nc, t->n_nc, sd);
}

static void set_state(dc_server *s, dc__entry *e, dc__state to, const side *sd, double time_s)
{
    char ts[32];
    time_str(time_s, ts);
    dc__change c = {to, NULL, "monitor", dc__state_name(to),
                    json_pack("{s:s, s:s, s:s}", "reason",
                              to == DC__NONCONFORMING ? "track outside its operation's volumes"
                                                      : "tracks back inside the volumes",
                              "track_id", sd->track, "report_time", ts)};
    dc__entry_change(s, e, &c);
}

static void apply_conformance(dc__monitor *m, event *ev)
{
    dc__monitor_tick *t = m->tick;
    dc_server *s = m->s;
    dc__entry *e = dc__entry_get(s, ev->a.operation);
    if (!e || e->is_restriction || e->owner != ev->a.op)
        return;
    int at = nc_find(t, &ev->a);
    if (ev->kind == DC_TAC_NONCONFORMING) {
        /* A previous holder reported this track, and the operation is still
         * nonconforming: everyone knows already. */
        int q = nc_in(t->quiet, t->n_quiet, &ev->a);
        if (q >= 0) {
            ev->quiet = e->state == DC__NONCONFORMING;
            t->quiet[q] = t->quiet[--t->n_quiet];
        }
        if (at < 0 && !grow((void **)&t->nc, &t->cap_nc, t->n_nc + 1, sizeof *t->nc)) {
            nc_track *n = &t->nc[t->n_nc++];
            n->op = ev->a.op;
            memcpy(n->track, ev->a.track, sizeof n->track);
            memcpy(n->operation, ev->a.operation, sizeof n->operation);
        }
        if (e->state == DC__ACTIVE || e->state == DC__APPROVED)
            set_state(s, e, DC__NONCONFORMING, &ev->a, ev->time_s);
    } else {
        if (at >= 0)
            t->nc[at] = t->nc[--t->n_nc];
        int others = 0;
        for (size_t i = 0; i < t->n_nc; i++)
            others |= !strcmp(t->nc[i].operation, ev->a.operation);
        if (!others && e->state == DC__NONCONFORMING)
            set_state(s, e, DC__ACTIVE, &ev->a, ev->time_s);
    }
    ev->a.state = dc__state_name(e->state);
}

static void resolve(dc_server *s, side *sd)
{
    dc__operator *o = sd->op == DC_TRACK_OPERATOR_UNKNOWN ? NULL : dc__operator_get(s, sd->op);
    if (!o)
        return;
    sd->known = 1;
    sd->is_authority = o->is_authority;
    snprintf(sd->op_id, sizeof sd->op_id, "%s", o->id);
    snprintf(sd->op_name, sizeof sd->op_name, "%s", o->name);
}

/* ---- alerts inherited from a previous holder ---- */

static int same_track(const side *x, const side *y)
{
    return x->op == y->op && !strcmp(x->track, y->track);
}

/* A raise of an inherited pair adopts its reference and sends nothing; the
 * clear of an adopted one carries it, sides as they were raised. */
static void inherit_match(dc__monitor_tick *t, event *ev)
{
    for (size_t k = 0; k < t->n_inh; k++) {
        inherited *h = &t->inh[k];
        if (ev->kind == DC_TAC_ALERT_RAISED) {
            if (h->alert_id || !((same_track(&ev->a, &h->a) && same_track(&ev->b, &h->b)) ||
                                 (same_track(&ev->a, &h->b) && same_track(&ev->b, &h->a))))
                continue;
            h->alert_id = ev->alert_id;
            ev->quiet = 1;
            return;
        }
        if (!h->alert_id || h->alert_id != ev->alert_id)
            continue;
        if (same_track(&ev->a, &h->b)) {
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
static void inherit_step(dc__monitor *m, double now_s)
{
    dc__monitor_tick *t = m->tick;
    for (size_t i = 0; i < t->n_ev && t->n_inh; i++)
        if (t->ev[i].kind == DC_TAC_ALERT_RAISED || t->ev[i].kind == DC_TAC_ALERT_CLEARED)
            inherit_match(t, &t->ev[i]);
    if (t->pass < t->inh_until)
        return;
    for (size_t k = 0; k < t->n_inh;) {
        inherited *h = &t->inh[k];
        if (h->alert_id) {
            k++;
            continue;
        }
        if (!grow((void **)&t->ev, &t->cap_ev, t->n_ev + 1, sizeof *t->ev)) {
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
static void inherit(dc__monitor *m)
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
            grow((void **)&t->inh, &t->cap_inh, t->n_inh + 1, sizeof *t->inh))
            continue;
        memcpy(h.ref, o->ref, sizeof h.ref);
        t->inh[t->n_inh++] = h;
    }
    for (size_t i = 0; i < t->open_nc.n; i++) {
        side sd;
        if (!open_side_of(s, &t->open_nc.v[i].a, &sd) ||
            grow((void **)&t->quiet, &t->cap_quiet, t->n_quiet + 1, sizeof *t->quiet))
            continue;
        nc_track *q = &t->quiet[t->n_quiet++];
        q->op = sd.op;
        memcpy(q->track, sd.track, sizeof q->track);
        memcpy(q->operation, sd.operation, sizeof q->operation);
    }
    pthread_mutex_unlock(&s->mu);
}

static void process_events(dc__monitor *m)
{
    dc__monitor_tick *t = m->tick;
    dc_server *s = m->s;
    if (!t->n_ev)
        return;
    for (size_t i = 0; i < t->n_ev; i++) {
        event *ev = &t->ev[i];
        if (ev->kind != DC_TAC_ALERT_RAISED || ev->quiet)
            continue;
        side *sides[2] = {&ev->a, &ev->b};
        for (int k = 0; k < 2; k++) {
            dc_track_report r;
            if (dc_tactical_track_get(m->table, sides[k]->op, sides[k]->track, &r) == DC_OK) {
                sides[k]->pos = r;
                sides[k]->pos.track_id = sides[k]->pos.operation_id = NULL;
                sides[k]->has_pos = 1;
            }
        }
    }
    int changes = 0;
    for (size_t i = 0; i < t->n_ev; i++)
        changes |= t->ev[i].kind == DC_TAC_NONCONFORMING || t->ev[i].kind == DC_TAC_CONFORMING;
    /* State changes: on a shared store only inside a window (decision_window.c). */
    int no_window = 0;
    if (changes)
        no_window = dc__write_lock(s);
    else
        pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < t->n_ev; i++) {
        event *ev = &t->ev[i];
        resolve(s, &ev->a);
        resolve(s, &ev->b);
        if (!no_window && (ev->kind == DC_TAC_NONCONFORMING || ev->kind == DC_TAC_CONFORMING))
            apply_conformance(m, ev);
    }
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < t->n_ev; i++) {
        const event *ev = &t->ev[i];
        if (ev->kind == DC_TAC_NONCONFORMING || ev->kind == DC_TAC_CONFORMING)
            conformance_records(m, ev);
        else if (!ev->quiet)
            pair_records(m, ev);
    }
    t->n_ev = 0;
    dc__alerts_append(m, t->out, t->n_out);
    t->n_out = 0;
}

/* ---- the tick ---- */

#define TRACKVIEW_IDLE_S 60

void dc__monitor_tracks_read(dc_server *s)
{
    if (s->mon)
        atomic_store(&s->mon->tracks_read_s, (long)dc__unix_s());
}

static void seed_one(void *ctx, const dc_track_report *r)
{
    dc__monitor_tick *t = ctx;
    if (!grow((void **)&t->seed, &t->cap_seed, t->n_seed + 1, sizeof *t->seed))
        t->seed[t->n_seed++] = *r;
}

/* The view starts from every track in the table (strings borrowed from it
 * until the next ingest or pass). */
static void seed_trackview(dc__monitor *m)
{
    dc__monitor_tick *t = m->tick;
    t->n_seed = 0;
    dc_tactical_each(m->table, seed_one, t);
    dc__trackview_update(m->s, t->seed, t->n_seed);
}

/* A fresh table: this instance has just taken the monitoring lease and
 * starts from the recent reports, or has lost it. */
static void reset_table(dc__monitor *m)
{
    dc_tactical *fresh = dc_tactical_new(&m->s->cfg.tactical);
    if (!fresh)
        return; /* keep the old one: its tracks go stale by themselves */
    dc_tactical_free(m->table);
    m->table = fresh;
    dc_tactical_set_event_fn(m->table, on_event, m);
    dc_tactical_set_volumes_fn(m->table, volumes_of, m);
    m->tick->n_nc = 0;
    m->tick->n_ev = 0;
}

static void tick(dc__monitor *m)
{
    dc__monitor_tick *t = m->tick;
    pthread_mutex_lock(&m->ing_mu);
    dc__ingest_buf swap = m->in;
    m->in = m->work;
    m->work = swap;
    pthread_mutex_unlock(&m->ing_mu);

    double t0 = dc__mono_s();
    dc__ingest_buf *w = &m->work;
    long read_s = atomic_load(&m->tracks_read_s);
    int tv_want = read_s && (long)dc__unix_s() - read_s <= TRACKVIEW_IDLE_S;
    /* Shared store: only the lease holder detects; reports come from the
     * store (lease_share.c), whichever instance took them. */
    int hold = 1;
    if (m->sh) {
        int taken = 0, had = dc_tactical_track_count(m->table) > 0;
        hold = dc__share_tick(m, w, tv_want, &taken);
        if (taken || (!hold && had))
            reset_table(m);
        if (taken)
            inherit(m);
        if (!hold) {
            m->term[0] = 0;
            t->n_inh = t->n_quiet = 0; /* the next holder's now */
        }
    }
    for (size_t i = 0; i < w->n; i++) {
        w->reports[i].track_id = w->arena + w->offs[i][0];
        w->reports[i].operation_id =
            w->offs[i][1] == UINT32_MAX ? NULL : w->arena + w->offs[i][1];
    }
    if (w->n) {
        if (tv_want && (m->tv_live || !hold))
            dc__trackview_update(m->s, w->reports, w->n); /* GET /v1/tracks */
        if (hold)
            dc_tactical_ingest(m->table, w->reports, w->n, NULL, NULL);
    }
    w->n = w->alen = 0;
    if (tv_want && !m->tv_live && hold)
        seed_trackview(m);
    m->tv_live = tv_want;
    double t1 = dc__mono_s();
    if (!hold) {
        dc__streams_notify(m); /* heartbeats; records come through the follower */
        return;
    }
    dc_tactical_stats st;
    double now_s = dc__wall_s();
    t->pass++;
    if (dc_tactical_pass(m->table, now_s, DC_TAC_BROAD_PHASE, &st) == DC_OK) {
        double t2 = dc__mono_s();
        unsigned long us = (unsigned long)((t2 - t1) * 1e6);
        atomic_store(&m->m.pass_us_last, us);
        atomic_fetch_add(&m->m.pass_us_sum, us);
        if (us > atomic_load(&m->m.pass_us_max))
            atomic_store(&m->m.pass_us_max, us);
        atomic_fetch_add(&m->m.passes, 1);
        atomic_store(&m->m.live_tracks, (unsigned long)st.live_tracks);
        atomic_store(&m->m.conflicts, (unsigned long)st.conflicts);
    }
    atomic_store(&m->m.ingest_us_last, (unsigned long)((t1 - t0) * 1e6));
    double t3 = dc__mono_s();
    if (t->n_inh)
        inherit_step(m, now_s);
    process_events(m);
    dc__streams_notify(m);
    unsigned long ev_us = (unsigned long)((dc__mono_s() - t3) * 1e6);
    if (ev_us > atomic_load(&m->m.events_us_max))
        atomic_store(&m->m.events_us_max, ev_us);
    unsigned long us = (unsigned long)((dc__mono_s() - t0) * 1e6);
    atomic_store(&m->m.tick_us_last, us);
    if (us > atomic_load(&m->m.tick_us_max))
        atomic_store(&m->m.tick_us_max, us);
}

static void *tick_main(void *arg)
{
    dc__monitor *m = arg;
    /* Detection before ingestion when the cores are short: a higher
     * priority for this thread where the system allows it (CAP_SYS_NICE),
     * else as it is. Ingestion then backs off through its bounded buffer. */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), -5)) {
    }
    double period = m->s->cfg.tick_s;
    double next = dc__mono_s() + period;
    pthread_mutex_lock(&m->tick_mu);
    while (!m->stopping) {
        double now = dc__mono_s();
        if (now < next) {
            struct timespec ts;
            dc__mono_deadline(&ts, next - now);
            pthread_cond_timedwait(&m->tick_cond, &m->tick_mu, &ts);
            continue;
        }
        pthread_mutex_unlock(&m->tick_mu);
        tick(m);
        next += period;
        now = dc__mono_s();
        if (next < now) { /* the tick overran: start the next one now */
            atomic_fetch_add(&m->m.tick_overruns, 1);
            next = now;
        }
        pthread_mutex_lock(&m->tick_mu);
    }
    pthread_mutex_unlock(&m->tick_mu);
    return NULL;
}

/* ---- lifecycle ---- */

dc_status dc__monitor_start(dc_server *s, dc_error *err)
{
    dc__monitor *m = dc_calloc(1, sizeof *m);
    if (!m)
        return DC_ENOMEM;
    pthread_mutex_lock(&s->mu); /* the alert feed's follower may be running */
    s->mon = m;
    pthread_mutex_unlock(&s->mu);
    m->s = s;
    pthread_mutex_init(&m->ing_mu, NULL);
    pthread_mutex_init(&m->al_mu, NULL);
    pthread_mutex_init(&m->tick_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->tick_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (dc_tactical_params_check(&s->cfg.tactical, err) != DC_OK)
        return DC_EINVAL;
    m->tick = dc_calloc(1, sizeof *m->tick);
    m->table = dc_tactical_new(&s->cfg.tactical);
    m->ring = dc_calloc(s->cfg.alert_ring, sizeof *m->ring);
    if (!m->tick || !m->table || !m->ring)
        return DC_ENOMEM;
    m->ring_cap = s->cfg.alert_ring;
    dc_tactical_set_event_fn(m->table, on_event, m);
    dc_tactical_set_volumes_fn(m->table, volumes_of, m);
    dc_status rc = dc__share_start(m);
    if (rc != DC_OK) {
        dc_error_set(err, "monitor", "cannot share tactical monitoring through the store");
        return rc;
    }
    if (pthread_create(&m->thread, NULL, tick_main, m)) {
        dc_error_set(err, "monitor", "cannot start the detection thread");
        return DC_ENOMEM;
    }
    m->started = 1;
    return DC_OK;
}

static void stop_thread(dc__monitor *m)
{
    if (!m->started)
        return;
    pthread_mutex_lock(&m->tick_mu);
    m->stopping = 1;
    pthread_cond_signal(&m->tick_cond);
    pthread_mutex_unlock(&m->tick_mu);
    pthread_join(m->thread, NULL);
    m->started = 0;
}

void dc__monitor_shutdown(dc_server *s)
{
    if (!s->mon)
        return;
    stop_thread(s->mon);
    dc__share_stop(s->mon); /* forwards what was accepted, hands the lease over */
    dc__streams_close(s->mon);
}

void dc__ingest_buf_free(dc__ingest_buf *b)
{
    dc_free(b->reports);
    dc_free(b->offs);
    dc_free(b->arena);
}

void dc__monitor_free(dc_server *s)
{
    dc__monitor *m = s->mon;
    if (!m)
        return;
    stop_thread(m);
    dc__share_free(m);
    dc__alerts_free(m);
    dc_tactical_free(m->table);
    if (m->tick) {
        for (size_t i = 0; i < m->tick->n_v; i++) {
            dc_volumes_free(m->tick->vlist[i]->vols, m->tick->vlist[i]->n);
            dc_free(m->tick->vlist[i]);
        }
        dc_free(m->tick->vlist);
        dc__map_free(&m->tick->vmap);
        dc_free(m->tick->ev);
        dc_free(m->tick->nc);
        dc_free(m->tick->seed);
        dc_free(m->tick->out);
        dc_free(m->tick->inh);
        dc_free(m->tick->quiet);
        dc__open_list_free(&m->tick->open_pairs);
        dc__open_list_free(&m->tick->open_nc);
        dc_free(m->tick);
    }
    dc__ingest_buf_free(&m->in);
    dc__ingest_buf_free(&m->work);
    pthread_cond_destroy(&m->tick_cond);
    pthread_mutex_destroy(&m->tick_mu);
    pthread_mutex_destroy(&m->al_mu);
    pthread_mutex_destroy(&m->ing_mu);
    dc_free(m);
    s->mon = NULL;
}

/* ---- metrics ---- */

void dc__monitor_metrics_render(dc_server *s, dc__buf *b)
{
    dc__monitor *m = s->mon;
    if (!m)
        return;
    dc__monitor_metrics *x = &m->m;
    unsigned long passes = atomic_load(&x->passes);
    dc__buf_fmt(b,
                "# HELP deconflict_track_reports_total Position reports by outcome at ingestion.\n"
                "# TYPE deconflict_track_reports_total counter\n"
                "deconflict_track_reports_total{outcome=\"accepted\"} %lu\n"
                "deconflict_track_reports_total{outcome=\"stale\"} %lu\n",
                atomic_load(&x->reports_accepted), atomic_load(&x->reports_stale));
    dc__buf_fmt(b,
                "# TYPE deconflict_track_batches_total counter\n"
                "deconflict_track_batches_total %lu\n"
                "# HELP deconflict_track_buffer_full_total Batches refused (503) while the "
                "ingest buffer was full.\n# TYPE deconflict_track_buffer_full_total counter\n"
                "deconflict_track_buffer_full_total %lu\n",
                atomic_load(&x->batches), atomic_load(&x->buffer_full));
    dc__buf_fmt(b,
                "# HELP deconflict_tactical_pass_seconds Detection pass time (one core).\n"
                "# TYPE deconflict_tactical_pass_seconds summary\n"
                "deconflict_tactical_pass_seconds_sum %.6f\n"
                "deconflict_tactical_pass_seconds_count %lu\n"
                "# TYPE deconflict_tactical_pass_last_seconds gauge\n"
                "deconflict_tactical_pass_last_seconds %.6f\n"
                "# TYPE deconflict_tactical_pass_max_seconds gauge\n"
                "deconflict_tactical_pass_max_seconds %.6f\n",
                atomic_load(&x->pass_us_sum) / 1e6, passes, atomic_load(&x->pass_us_last) / 1e6,
                atomic_load(&x->pass_us_max) / 1e6);
    dc__buf_fmt(b,
                "# HELP deconflict_tactical_ingest_last_seconds Table ingestion time of the last "
                "tick.\n# TYPE deconflict_tactical_ingest_last_seconds gauge\n"
                "deconflict_tactical_ingest_last_seconds %.6f\n"
                "# HELP deconflict_tactical_tick_last_seconds Whole tick: swap, table ingest, "
                "pass, alerts and states, stream wake-ups.\n"
                "# TYPE deconflict_tactical_tick_last_seconds gauge\n"
                "deconflict_tactical_tick_last_seconds %.6f\n"
                "# TYPE deconflict_tactical_tick_max_seconds gauge\n"
                "deconflict_tactical_tick_max_seconds %.6f\n"
                "# HELP deconflict_tactical_events_max_seconds Longest time turning a pass's "
                "events into alerts and states.\n"
                "# TYPE deconflict_tactical_events_max_seconds gauge\n"
                "deconflict_tactical_events_max_seconds %.6f\n"
                "# TYPE deconflict_tactical_tick_overruns_total counter\n"
                "deconflict_tactical_tick_overruns_total %lu\n"
                "# TYPE deconflict_live_tracks gauge\ndeconflict_live_tracks %lu\n"
                "# TYPE deconflict_tactical_conflicts gauge\ndeconflict_tactical_conflicts %lu\n",
                atomic_load(&x->ingest_us_last) / 1e6, atomic_load(&x->tick_us_last) / 1e6,
                atomic_load(&x->tick_us_max) / 1e6, atomic_load(&x->events_us_max) / 1e6,
                atomic_load(&x->tick_overruns),
                atomic_load(&x->live_tracks), atomic_load(&x->conflicts));
    dc__buf_fmt(b,
                "# HELP deconflict_alerts_total Tactical events by kind.\n"
                "# TYPE deconflict_alerts_total counter\n"
                "deconflict_alerts_total{kind=\"raised\"} %lu\n"
                "deconflict_alerts_total{kind=\"cleared\"} %lu\n"
                "deconflict_alerts_total{kind=\"nonconforming\"} %lu\n"
                "deconflict_alerts_total{kind=\"conforming\"} %lu\n",
                atomic_load(&x->raised), atomic_load(&x->cleared), atomic_load(&x->nonconforming),
                atomic_load(&x->conforming));
    dc__buf_fmt(b,
                "# TYPE deconflict_alert_records_total counter\n"
                "deconflict_alert_records_total %lu\n"
                "# TYPE deconflict_alert_streams gauge\ndeconflict_alert_streams %lu\n"
                "# HELP deconflict_alert_streams_dropped_total Streams ended because their "
                "consumer fell behind the alert ring.\n"
                "# TYPE deconflict_alert_streams_dropped_total counter\n"
                "deconflict_alert_streams_dropped_total %lu\n",
                atomic_load(&x->alert_records), atomic_load(&x->streams),
                atomic_load(&x->streams_dropped));
    dc__share_metrics_render(m, b);
}
