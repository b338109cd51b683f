/* The detection thread: every tick_s it swaps the ingest buffer, ingests
 * into the track table it alone owns, runs a pass at the wall-clock time and
 * turns the pass's events into alert records (records.c) and operation
 * states:
 * - a raised/cleared pair alert gives each operator side a blind record
 *   (its own track, the intruder only relatively) and the authority a full
 *   one (both operators, tracks and positions); unknown traffic and the
 *   authority's own tracks get no operator record;
 * - a track outside its operation's volumes for conf_dwell_s makes the
 *   operation `nonconforming` (through the airspace's one state change:
 *   stored and audited, version bumped), alerting
 *   owner and authority; when every such track of it is back inside for
 *   conf_dwell_s the operation is `active` again. A nonconforming track that
 *   goes stale keeps its operation nonconforming (nobody saw it come back).
 * Conformance volumes come from the airspace under mu, cached per operation
 * version and looked up at most once per pass.
 * On a shared store a new lease holder inherits what the feed shows open
 * (takeover.c). */
#include <math.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "monitor/tick_int.h"

void dc__side_from(side *sd, const dc_track_ref *ref)
{
    memset(sd, 0, sizeof *sd);
    sd->op = ref->operator_number;
    snprintf(sd->track, sizeof sd->track, "%s", ref->track_id ? ref->track_id : "");
    snprintf(sd->operation, sizeof sd->operation, "%s", ref->operation_id ? ref->operation_id : "");
    sd->implausible = !ref->plausible;
}

static void on_event(void *ctx, const dc_tactical_event *e)
{
    dc__monitor *m = ctx;
    dc__monitor_tick *t = m->tick;
    if (dc__grow((void **)&t->ev, &t->cap_ev, t->n_ev + 1, sizeof *t->ev)) {
        t->ev_lost++;
        return;
    }
    event *ev = &t->ev[t->n_ev++];
    memset(ev, 0, sizeof *ev);
    ev->kind = e->kind;
    ev->alert_id = e->alert_id;
    ev->time_s = e->time_s;
    dc__side_from(&ev->a, &e->a);
    if (e->kind == DC_TAC_ALERT_RAISED || e->kind == DC_TAC_ALERT_CLEARED)
        dc__side_from(&ev->b, &e->b);
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
        if (dc__grow((void **)&t->vlist, &t->cap_v, t->n_v + 1, sizeof *t->vlist) ||
            !(vc = dc_calloc(1, sizeof *vc)))
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

/* ---- operation states (under mu) ---- */

int dc__nc_in(const nc_track *v, size_t n, const side *sd)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].op == sd->op && !strcmp(v[i].track, sd->track) &&
            !strcmp(v[i].operation, sd->operation))
            return (int)i;
    return -1;
}

static int nc_find(const dc__monitor_tick *t, const side *sd)
{
    return dc__nc_in(t->nc, t->n_nc, sd);
}

static void set_state(dc_server *s, dc__entry *e, dc__state to, const side *sd, double time_s)
{
    char ts[32];
    dc__time_str(time_s, ts);
    int per_surveillance =
        !strncmp(sd->track, DC_TRACK_SURVEILLANCE_PREFIX, strlen(DC_TRACK_SURVEILLANCE_PREFIX));
    const char *why = to == DC__NONCONFORMING ? per_surveillance
                                                    ? "track outside its operation's volumes "
                                                      "per surveillance"
                                                    : "track outside its operation's volumes"
                                              : "tracks back inside the volumes";
    dc__change c = {
        to, NULL, "monitor", dc__state_name(to),
        json_pack("{s:s, s:s, s:s}", "reason", why, "track_id", sd->track, "report_time", ts)};
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
        int q = dc__nc_in(t->quiet, t->n_quiet, &ev->a);
        if (q >= 0) {
            ev->quiet = e->state == DC__NONCONFORMING;
            t->quiet[q] = t->quiet[--t->n_quiet];
        }
        if (at < 0 && !dc__grow((void **)&t->nc, &t->cap_nc, t->n_nc + 1, sizeof *t->nc)) {
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
        /* Back inside: active again, or approved when its window has not
         * opened (an operation is never active outside it; window.c); once
         * the window is over the sweep ends it. */
        if (!others && e->state == DC__NONCONFORMING && dc__unix_s() < e->t_last_s)
            set_state(s, e,
                      dc__activation_check(e, dc__unix_s(), NULL) == DC_OK ? DC__ACTIVE
                                                                           : DC__APPROVED,
                      &ev->a, ev->time_s);
    }
    ev->a.state = dc__state_name(e->state);
}

void dc__side_resolve(dc_server *s, side *sd)
{
    dc__operator *o = sd->op == DC_TRACK_OPERATOR_UNKNOWN ? NULL : dc__operator_get(s, sd->op);
    if (!o)
        return;
    sd->known = 1;
    sd->is_authority = o->is_authority;
    snprintf(sd->op_id, sizeof sd->op_id, "%s", o->id);
    snprintf(sd->op_name, sizeof sd->op_name, "%s", o->name);
}

typedef struct raise_key {
    uint64_t key;
    size_t i;
} raise_key;

static int raise_cmp(const void *x, const void *y)
{
    const raise_key *a = x, *b = y;
    return a->key < b->key ? -1 : a->key > b->key ? 1 : a->i < b->i ? -1 : a->i > b->i;
}

/* HMAC of the pair's two track keys (in a fixed order) under the secret. */
static uint64_t keyed(const dc_server *s, const event *ev)
{
    char msg[2 * (DC_TRACK_ID_MAX + 16) + 8];
    const side *x = &ev->a, *y = &ev->b;
    if (x->op > y->op || (x->op == y->op && strcmp(x->track, y->track) > 0)) {
        x = &ev->b;
        y = &ev->a;
    }
    int n = snprintf(msg, sizeof msg, "adv\n%u/%s\n%u/%s", x->op, x->track, y->op, y->track);
    if (n < 0)
        return 0;
    if ((size_t)n >= sizeof msg)
        n = (int)sizeof msg - 1;
    uint8_t mac[32];
    unsigned int len = sizeof mac;
    HMAC(EVP_sha256(), s->secret, sizeof s->secret, (const uint8_t *)msg, (size_t)n, mac, &len);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | mac[i];
    return v;
}

static void seed_one(void *ctx, const dc_track_report *r);

void dc__tick_traffic(dc__monitor *m)
{
    dc__monitor_tick *t = m->tick;
    if (!t->traffic && !(t->traffic = dc_calloc(1, sizeof *t->traffic)))
        return;
    t->n_seed = 0;
    dc_tactical_each(m->table, seed_one, t);
    if (dc__traffic_set(t->traffic, t->seed, t->n_seed))
        t->traffic->n = 0;
    t->traffic_pass = t->pass;
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
        dc__side_resolve(s, &ev->a);
        dc__side_resolve(s, &ev->b);
        if (!no_window && (ev->kind == DC_TAC_NONCONFORMING || ev->kind == DC_TAC_CONFORMING))
            apply_conformance(m, ev);
    }
    pthread_mutex_unlock(&s->mu);
    /* Clears and conformance first (a clear frees an operator's advisory
     * slot), then the raises in a keyed pseudo-random order: which of an
     * operator's tracks get one of the few advisories on one intruder must
     * not follow anything the operator controls (docs/alerts.md). */
    size_t n_raised = 0;
    for (size_t i = 0; i < t->n_ev; i++) {
        const event *ev = &t->ev[i];
        if (ev->kind == DC_TAC_NONCONFORMING || ev->kind == DC_TAC_CONFORMING)
            dc__conformance_records(m, ev);
        else if (ev->quiet)
            continue;
        else if (ev->kind != DC_TAC_ALERT_RAISED)
            dc__pair_records(m, ev);
        else
            n_raised++;
    }
    /* The advisories' traffic picture: every live track (borrowed from the
     * table until the next ingest). */
    if (n_raised)
        dc__tick_traffic(m);
    raise_key *order = n_raised ? dc_malloc(n_raised * sizeof *order) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < t->n_ev; i++) {
        event *ev = &t->ev[i];
        if (ev->kind != DC_TAC_ALERT_RAISED || ev->quiet)
            continue;
        uint64_t key = keyed(s, ev);
        ev->a_up = (int)(key >> 63); /* which side climbs: nothing it controls */
        if (!order) {
            dc__pair_records(m, ev); /* out of memory: in pass order */
            continue;
        }
        order[k++] = (raise_key){key, i};
    }
    if (order) {
        qsort(order, k, sizeof *order, raise_cmp);
        for (size_t j = 0; j < k; j++)
            dc__pair_records(m, &t->ev[order[j].i]);
        dc_free(order);
    }
    t->n_ev = 0;
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
    if (!dc__grow((void **)&t->seed, &t->cap_seed, t->n_seed + 1, sizeof *t->seed))
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
            dc__inherit(m);
        if (!hold) {
            m->term[0] = 0;
            t->n_inh = t->n_quiet = 0; /* the next holder's now */
        }
    }
    for (size_t i = 0; i < w->n; i++) {
        w->reports[i].track_id = w->arena + w->offs[i][0];
        w->reports[i].operation_id = w->offs[i][1] == UINT32_MAX ? NULL : w->arena + w->offs[i][1];
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
        atomic_store(&m->m.over_quota, dc_tactical_over_quota(m->table));
    }
    atomic_store(&m->m.ingest_us_last, (unsigned long)((t1 - t0) * 1e6));
    double t3 = dc__mono_s();
    if (t->n_inh)
        dc__inherit_step(m, now_s);
    process_events(m);
    dc__revise_records(m, now_s);
    if (t->n_out)
        dc__alerts_append(m, t->out, t->n_out);
    t->n_out = 0;
    /* Operations whose window has passed end by themselves, on this tick
     * (the lease holder's, on a shared store). */
    dc__windows_sweep(m->s, (int64_t)now_s);
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
    pthread_mutex_init(&m->rate_mu, NULL);
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
    if (!m->tick || !m->table)
        return DC_ENOMEM;
    m->ring_cap = s->cfg.alert_ring;
    dc_tactical_set_event_fn(m->table, on_event, m);
    dc_tactical_set_volumes_fn(m->table, volumes_of, m);
    dc_status rc = dc__share_start(m);
    if (rc != DC_OK) {
        dc_error_set(err, "monitor", "cannot share tactical monitoring through the store");
        return rc;
    }
    if (dc__thread_start(&m->thread, tick_main, m) != DC_OK) {
        dc_error_set(err, "monitor", "cannot start the detection thread");
        return DC_ENOMEM;
    }
    return DC_OK;
}

static void stop_thread(dc__monitor *m)
{
    dc__thread_stop(&m->thread, &m->tick_mu, &m->tick_cond, &m->stopping);
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
        dc_free(m->tick->adv);
        if (m->tick->traffic)
            dc__traffic_free(m->tick->traffic);
        dc_free(m->tick->traffic);
        dc__open_list_free(&m->tick->open_pairs);
        dc__open_list_free(&m->tick->open_nc);
        dc_free(m->tick);
    }
    dc__ingest_buf_free(&m->in);
    dc__ingest_buf_free(&m->work);
    dc__ingest_rate_free(m);
    pthread_mutex_destroy(&m->rate_mu);
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
                atomic_load(&x->tick_overruns), atomic_load(&x->live_tracks),
                atomic_load(&x->conflicts));
    dc__buf_fmt(b,
                "# HELP deconflict_track_reports_over_quota_total Reports dropped: their "
                "operator was at max_tracks_per_operator live tracks.\n"
                "# TYPE deconflict_track_reports_over_quota_total counter\n"
                "deconflict_track_reports_over_quota_total %lu\n",
                atomic_load(&x->over_quota));
    dc__buf_fmt(b,
                "# HELP deconflict_alerts_total Tactical events by kind.\n"
                "# TYPE deconflict_alerts_total counter\n"
                "deconflict_alerts_total{kind=\"raised\"} %lu\n"
                "deconflict_alerts_total{kind=\"cleared\"} %lu\n"
                "deconflict_alerts_total{kind=\"revised\"} %lu\n"
                "deconflict_alerts_total{kind=\"nonconforming\"} %lu\n"
                "deconflict_alerts_total{kind=\"conforming\"} %lu\n",
                atomic_load(&x->raised), atomic_load(&x->cleared), atomic_load(&x->revised),
                atomic_load(&x->nonconforming), atomic_load(&x->conforming));
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
