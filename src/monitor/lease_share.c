/* Tactical monitoring with several instances on one shared store
 * (docs/multi-instance.md, "Tactical monitoring"). Any instance accepts
 * track reports: POST /v1/tracks queues them here and a writer thread
 * forwards them in batches to the store's track_reports table. Exactly one
 * instance, the holder of the store's "monitor" lease, runs detection and
 * conformance: its tick renews the lease every second (3 s expiry, by the
 * database's clock), reads the forwarded reports after the last batch it
 * took (all of the last stale_s + 60 s when it has just taken the lease)
 * and runs the pass; it stops at once when it loses the lease or cannot
 * renew it. Alert records go to the store's alert feed (one feed entry per
 * tick) and every instance's follower appends the feed to its own ring in
 * feed order, numbering each recipient's records there: the same feed gives
 * the same numbers on every instance, so an SSE Last-Event-ID or a ?since
 * cursor from one instance resumes on any other. Following the feed also
 * keeps the set of alerts it shows open, which a new holder inherits
 * (tick.c): a pair is raised and cleared once across a takeover. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/monitor.h"

#define LEASE_NAME "monitor"
#define LEASE_TTL_MS 3000
#define RENEW_S 1.0 /* the holder renews this often */
#define RENEW_SLACK_S                                                                              \
    0.25            /* early by this much is on time: tick jitter must not skip a                  \
                     * renewal, or the next one finds a FENCE_S gap and starts over */
#define TRY_S 0.5   /* the others try to take it this often (bounded by the tick) */
#define FENCE_S 2.0 /* a holder whose last renewal is older stops: the lease may be gone */
#define PRUNE_EVERY_S 10.0
#define FUTURE_S 60 /* reports may be this far ahead (api/tracks.c): keep their rows longer */

struct dc__share {
    /* set at start, then read-only */
    dc__monitor *m;
    char holder[64]; /* this process in the lease row */

    /* reports waiting to be forwarded, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    dc__ingest_buf in, work; /* work: the writer thread's own */
    int stopping;
    dc__thread writer;
    dc__buf enc; /* writer: encoded bodies, NUL-separated */
    dc_store_tracks *rows;
    size_t cap_rows;

    /* tick thread only */
    int held;
    double last_try_s, last_ok_s, last_prune_s; /* monotonic */
    int64_t cursor; /* last track batch taken; -1: take the recent ones */
    unsigned long terms;

    /* the alert feed: follow_* under the server's mu, feed_seq by the
     * thread that follows (startup, then the follower) */
    int follow_ready, follow_busy;
    int64_t feed_seq;
    dc__alert_rec *recs;
    size_t cap_recs;
    /* open in the feed (authority's records): changed only by whoever
     * follows it, so read under follow_busy too */
    dc__open_list open_pairs, open_nc;

    /* atomics */
    _Atomic unsigned long lease_held, lease_taken, forwarded, forward_failed, publish_failed;
};

/* ---- track report encoding: one text row per run of one operator ----
 * Per report: seven doubles as 16 hex digits of their IEEE bits (time, lat,
 * lon, alt, speed, track, vertical rate: exact and fast both ways), then
 * track_id "," operation_id ";" with every byte that COPY or this format
 * treats specially written %XX. An empty operation_id means none (a real
 * one is never empty). */

static void put_hex64(dc__buf *b, double d)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t u;
    char out[16];
    memcpy(&u, &d, sizeof u);
    for (int i = 15; i >= 0; i--, u >>= 4)
        out[i] = hex[u & 15];
    dc__buf_add(b, out, 16);
}

static void put_id(dc__buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == ',' || *p == ';' || *p == '%' || *p == '\\') {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            dc__buf_add(b, esc, 3);
        } else {
            dc__buf_add(b, (const char *)p, 1);
        }
    }
}

static int hexdig(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static int get_hex64(const char **p, double *d)
{
    uint64_t u = 0;
    for (int i = 0; i < 16; i++) {
        int v = hexdig((*p)[i]);
        if (v < 0)
            return -1;
        u = u << 4 | (uint64_t)v;
    }
    memcpy(d, &u, sizeof *d);
    *p += 16;
    return 0;
}

/* Decodes an id up to `end` into out (cap bytes with NUL); -1 if malformed. */
static int get_id(const char **p, char end, char *out, size_t cap)
{
    size_t n = 0;
    const char *s = *p;
    while (*s && *s != end) {
        int c = (unsigned char)*s++;
        if (c == '%') {
            int hi = hexdig(s[0]), lo = hi < 0 ? -1 : hexdig(s[1]);
            if (lo < 0)
                return -1;
            c = hi * 16 + lo;
            s += 2;
        }
        if (n + 1 >= cap)
            return -1;
        out[n++] = (char)c;
    }
    if (*s != end)
        return -1;
    out[n] = 0;
    *p = s + 1;
    return 0;
}

/* Appends the reports of one row to w; -1 (and w unchanged past the last
 * whole report) when the row is malformed. */
static int decode_row(dc__ingest_buf *w, uint32_t op, const char *p)
{
    while (*p) {
        dc_track_report r = {.operator_number = op};
        char track[DC_TRACK_ID_MAX], operation[DC_TRACK_OPERATION_ID_MAX];
        double *f[7] = {&r.time_s,           &r.lat_deg,   &r.lon_deg,          &r.alt_m,
                        &r.ground_speed_mps, &r.track_deg, &r.vertical_rate_mps};
        for (int i = 0; i < 7; i++)
            if (get_hex64(&p, f[i]))
                return -1;
        if (get_id(&p, ',', track, sizeof track) || get_id(&p, ';', operation, sizeof operation) ||
            !track[0])
            return -1;
        r.track_id = track;
        r.operation_id = operation[0] ? operation : NULL;
        size_t bytes = strlen(track) + 1 + (operation[0] ? strlen(operation) + 1 : 0);
        if (!dc__ingest_add(w, &r, 1, NULL, 1, bytes, SIZE_MAX))
            return -1;
    }
    return 0;
}

/* ---- forwarding (any instance) ---- */

int dc__share_enqueue(dc__monitor *m, const dc_track_report *rep, size_t n, const char *fresh,
                      size_t n_fresh, size_t bytes, size_t bound)
{
    dc__share *sh = m->sh;
    pthread_mutex_lock(&sh->mu);
    /* The writer's batch in flight counts against the bound too: a store
     * that cannot keep up turns into 503s, not memory. */
    int ok = !sh->stopping && sh->work.n + n_fresh <= bound &&
             dc__ingest_add(&sh->in, rep, n, fresh, n_fresh, bytes, bound - sh->work.n);
    if (ok)
        pthread_cond_signal(&sh->cond);
    pthread_mutex_unlock(&sh->mu);
    return ok;
}

/* Writer thread: sh->work (strings not yet fixed up) into rows, one per
 * run of reports of one operator, and into the store. */
static void forward(dc__share *sh)
{
    dc__ingest_buf *w = &sh->work;
    dc__buf *b = &sh->enc;
    size_t n_rows = 0;
    b->len = 0;
    b->oom = 0;
    for (size_t i = 0; i < w->n; i++) {
        dc_track_report *r = &w->reports[i];
        if (i == 0 || r->operator_number != w->reports[i - 1].operator_number) {
            if (i)
                dc__buf_add(b, "", 1); /* NUL ends the previous row */
            if (n_rows == sh->cap_rows) {
                size_t cap = sh->cap_rows ? 2 * sh->cap_rows : 64;
                dc_store_tracks *g = dc_realloc(sh->rows, cap * sizeof *g);
                if (!g) {
                    b->oom = 1;
                    break;
                }
                sh->rows = g;
                sh->cap_rows = cap;
            }
            /* seq (ignored by tracks_put) holds the body's offset until
             * the buffer stops moving */
            sh->rows[n_rows++] = (dc_store_tracks){(int64_t)b->len, r->operator_number, NULL};
        }
        double f[7] = {r->time_s,           r->lat_deg,   r->lon_deg,          r->alt_m,
                       r->ground_speed_mps, r->track_deg, r->vertical_rate_mps};
        for (int k = 0; k < 7; k++)
            put_hex64(b, f[k]);
        put_id(b, w->arena + w->offs[i][0]);
        dc__buf_add(b, ",", 1);
        if (w->offs[i][1] != UINT32_MAX)
            put_id(b, w->arena + w->offs[i][1]);
        dc__buf_add(b, ";", 1);
    }
    dc__buf_add(b, "", 1);
    dc_status rc = DC_ENOMEM;
    if (!b->oom) {
        for (size_t k = 0; k < n_rows; k++)
            sh->rows[k].body = b->p + sh->rows[k].seq;
        rc = dc_store_tracks_put(sh->m->s->store, sh->rows, n_rows);
        if (rc != DC_OK) /* once more, on a fresh connection */
            rc = dc_store_tracks_put(sh->m->s->store, sh->rows, n_rows);
    }
    if (rc == DC_OK)
        atomic_fetch_add(&sh->forwarded, w->n);
    else
        atomic_fetch_add(&sh->forward_failed, w->n);
}

static void *writer_main(void *arg)
{
    dc__share *sh = arg;
    pthread_mutex_lock(&sh->mu);
    for (;;) {
        while (!sh->in.n && !sh->stopping)
            pthread_cond_wait(&sh->cond, &sh->mu);
        if (!sh->in.n)
            break;
        dc__ingest_buf t = sh->work;
        sh->work = sh->in;
        sh->in = t;
        pthread_mutex_unlock(&sh->mu);
        forward(sh);
        pthread_mutex_lock(&sh->mu);
        sh->work.n = sh->work.alen = 0; /* under mu: enqueue counts it */
    }
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

/* ---- the lease and the reports (tick thread) ---- */

typedef struct take_ctx {
    dc__share *sh;
    dc__ingest_buf *w;
    unsigned long bad;
} take_ctx;

static int take_row(void *ctx, const dc_store_tracks *t)
{
    take_ctx *c = ctx;
    if (decode_row(c->w, t->operator_number, t->body))
        c->bad++;
    c->sh->cursor = t->seq;
    return 0;
}

int dc__share_tick(dc__monitor *m, dc__ingest_buf *w, int tv_want, int *taken)
{
    dc__share *sh = m->sh;
    dc_store *st = m->s->store;
    double now = dc__mono_s();
    *taken = 0;
    if (now - sh->last_try_s >= (sh->held ? RENEW_S - RENEW_SLACK_S : TRY_S)) {
        int held = 0;
        sh->last_try_s = now;
        if (dc_store_lease(st, LEASE_NAME, sh->holder, LEASE_TTL_MS, &held) != DC_OK)
            held = 0; /* cannot renew: stop, someone else may hold it soon */
        if (held && (!sh->held || now - sh->last_ok_s > FENCE_S)) {
            /* New to us (or after a gap in which another may have held it):
             * start over from the recent reports. */
            *taken = 1;
            sh->cursor = -1;
            sh->terms++;
            snprintf(m->term, sizeof m->term, "%s/%lu", sh->holder, sh->terms);
            atomic_fetch_add(&sh->lease_taken, 1);
        }
        if (held)
            sh->last_ok_s = now;
        sh->held = held;
    }
    if (sh->held && now - sh->last_ok_s >= FENCE_S)
        sh->held = 0;
    atomic_store(&sh->lease_held, (unsigned long)sh->held);

    /* A non-holder reads reports only for GET /v1/tracks while it is read. */
    if (!sh->held && !tv_want) {
        sh->cursor = -1;
        return 0;
    }
    if (sh->held && now - sh->last_prune_s >= PRUNE_EVERY_S) {
        sh->last_prune_s = now;
        dc_store_tracks_prune(st, (int)(m->s->cfg.tactical.stale_s + 2 * FUTURE_S) * 1000);
    }
    take_ctx c = {sh, w, 0};
    if (dc_store_tracks_each(st, sh->cursor, (int)(m->s->cfg.tactical.stale_s + FUTURE_S) * 1000,
                             take_row, &c) != DC_OK)
        sh->cursor = -1; /* connection lost (database restarted?): re-read */
    if (c.bad)
        fprintf(stderr, "deconflict: %lu malformed forwarded track batches skipped\n", c.bad);
    return sh->held;
}

/* ---- the alert feed ---- */

void dc__share_publish(dc__monitor *m, dc__alert_rec *recs, size_t n)
{
    dc__buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (!recs[i].body)
            continue;
        dc__buf_fmt(&b, "%" PRIu32 " ", recs[i].to);
        dc__buf_str(&b, recs[i].body);
        dc__buf_add(&b, "\n", 1);
        dc_free(recs[i].body);
        recs[i].body = NULL;
    }
    dc__buf_add(&b, "", 1);
    if (b.len > 1 && (b.oom || dc_store_alert_publish(m->s->store, b.p) != DC_OK))
        atomic_fetch_add(&m->sh->publish_failed, 1);
    dc__buf_free(&b);
}

/* ---- what the feed shows open ---- */

static int open_add(dc__open_list *l, const dc__open_alert *a)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        dc__open_alert *g = dc_realloc(l->v, cap * sizeof *g);
        if (!g)
            return -1;
        l->v = g;
        l->cap = cap;
    }
    l->v[l->n++] = *a;
    return 0;
}

void dc__open_list_free(dc__open_list *l)
{
    dc_free(l->v);
    memset(l, 0, sizeof *l);
}

static void copy_str(char *out, size_t cap, const json_t *j)
{
    snprintf(out, cap, "%s", json_is_string(j) ? json_string_value(j) : "");
}

/* From {"operator":{"id":...} or null, "track_id":..., "operation_id":...} */
static void open_side(const json_t *o, dc__open_side *sd)
{
    copy_str(sd->op_id, sizeof sd->op_id, json_object_get(json_object_get(o, "operator"), "id"));
    copy_str(sd->track, sizeof sd->track, json_object_get(o, "track_id"));
    copy_str(sd->operation, sizeof sd->operation, json_object_get(o, "operation_id"));
}

static int same_side(const dc__open_side *x, const dc__open_side *y)
{
    return !strcmp(x->op_id, y->op_id) && !strcmp(x->track, y->track) &&
           !strcmp(x->operation, y->operation);
}

/* One authority record: a raise or a nonconformance opens, its clear or
 * conformance closes. Other records (probing alerts) are not ours. */
static void open_note(dc__share *sh, const char *body)
{
    static const char *const kinds[] = {"\"kind\":\"raised\",", "\"kind\":\"cleared\",",
                                        "\"kind\":\"nonconforming\",", "\"kind\":\"conforming\","};
    int k = 0;
    while (k < 4 && strncmp(body, kinds[k], strlen(kinds[k])))
        k++;
    if (k == 4)
        return;
    size_t len = strlen(body);
    char *txt = dc_malloc(len + 2);
    if (!txt)
        return;
    txt[0] = '{';
    memcpy(txt + 1, body, len);
    txt[len + 1] = '}';
    json_t *j = json_loadb(txt, len + 2, 0, NULL);
    dc_free(txt);
    if (!j)
        return;
    int pair = k < 2, opens = k == 0 || k == 2;
    dc__open_alert a;
    memset(&a, 0, sizeof a);
    if (pair) {
        copy_str(a.ref, sizeof a.ref, json_object_get(j, "alert"));
        open_side(json_object_get(j, "a"), &a.a);
        open_side(json_object_get(j, "b"), &a.b);
    } else {
        open_side(j, &a.a);
    }
    json_decref(j);
    dc__open_list *l = pair ? &sh->open_pairs : &sh->open_nc;
    size_t i = 0;
    while (i < l->n && (pair ? strcmp(l->v[i].ref, a.ref) != 0 : !same_side(&l->v[i].a, &a.a)))
        i++;
    if (opens && i == l->n && (pair ? a.ref[0] : a.a.track[0]))
        open_add(l, &a); /* out of memory: not inherited, so raised again */
    else if (!opens && i < l->n)
        l->v[i] = l->v[--l->n];
}

/* One feed entry: lines "<recipient> <record body>" into the ring. */
static int apply_entry(void *ctx, const dc_store_alert *a)
{
    dc__monitor *m = ctx;
    dc__share *sh = m->sh;
    size_t n = 0;
    for (const char *p = a->body; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *end;
        unsigned long to = strtoul(p, &end, 10);
        if (end > p && *end == ' ' && to <= UINT32_MAX) {
            if (n == sh->cap_recs) {
                size_t cap = sh->cap_recs ? 2 * sh->cap_recs : 64;
                dc__alert_rec *g = dc_realloc(sh->recs, cap * sizeof *g);
                if (!g)
                    break;
                sh->recs = g;
                sh->cap_recs = cap;
            }
            size_t blen = len - (size_t)(end + 1 - p);
            char *body = dc_malloc(blen + 1);
            if (body) {
                memcpy(body, end + 1, blen);
                body[blen] = 0;
                sh->recs[n++] = (dc__alert_rec){(uint32_t)to, 0, body};
            }
        }
        p += len + (nl != NULL);
    }
    for (size_t i = 0; i < n; i++)
        if (sh->recs[i].to == DC__TO_AUTHORITY)
            open_note(sh, sh->recs[i].body);
    dc__alerts_ring_append(m, sh->recs, n);
    sh->feed_seq = a->seq;
    return 0;
}

static void follow(dc__monitor *m)
{
    for (;;) {
        int64_t before = m->sh->feed_seq;
        if (dc_store_alert_each(m->s->store, before, apply_entry, m) != DC_OK ||
            m->sh->feed_seq == before)
            break;
    }
}

/* One thread at a time follows the feed: the follower, or the tick thread
 * taking the lease (wait: for the other to finish rather than skip). Follows
 * it to the end and returns the monitor, still claimed (follow_release), or
 * NULL when not claimed. */
static dc__monitor *follow_claimed(dc_server *s, int wait)
{
    pthread_mutex_lock(&s->mu);
    dc__monitor *m = s->mon;
    dc__share *sh = m ? m->sh : NULL;
    while (wait && sh && sh->follow_busy) {
        pthread_mutex_unlock(&s->mu);
        usleep(1000);
        pthread_mutex_lock(&s->mu);
    }
    if (!sh || !sh->follow_ready || sh->follow_busy)
        m = NULL;
    else
        sh->follow_busy = 1;
    pthread_mutex_unlock(&s->mu);
    if (m) {
        int64_t before = sh->feed_seq;
        follow(m);
        if (sh->feed_seq != before)
            dc__streams_notify(m);
    }
    return m;
}

static void follow_release(dc__monitor *m)
{
    pthread_mutex_lock(&m->s->mu);
    m->sh->follow_busy = 0;
    pthread_mutex_unlock(&m->s->mu);
}

void dc__monitor_follow(dc_server *s)
{
    dc__monitor *m = follow_claimed(s, 0);
    if (m)
        follow_release(m);
}

void dc__share_open_alerts(dc__monitor *m, dc__open_list *pairs, dc__open_list *nc)
{
    dc__share *sh = m->sh;
    pairs->n = nc->n = 0;
    if (!follow_claimed(m->s, 1))
        return;
    for (size_t i = 0; i < sh->open_pairs.n && !open_add(pairs, &sh->open_pairs.v[i]); i++)
        ;
    for (size_t i = 0; i < sh->open_nc.n && !open_add(nc, &sh->open_nc.v[i]); i++)
        ;
    follow_release(m);
}

/* ---- lifecycle ---- */

dc_status dc__share_start(dc__monitor *m)
{
    dc_server *s = m->s;
    if (!s->shared)
        return DC_OK;
    if (!dc_store_has_tactical_feed(s->store))
        return DC_EUNSUPPORTED;
    dc__share *sh = dc_calloc(1, sizeof *sh);
    char rnd[17], host[32] = "host";
    if (!sh || dc__random_hex(rnd, 8)) {
        dc_free(sh);
        return DC_ENOMEM;
    }
    gethostname(host, sizeof host - 1);
    snprintf(sh->holder, sizeof sh->holder, "%s:%ld:%s", host, (long)getpid(), rnd);
    sh->m = m;
    sh->cursor = -1;
    sh->last_try_s = -1e9;
    pthread_mutex_init(&sh->mu, NULL);
    pthread_cond_init(&sh->cond, NULL);
    m->sh = sh;
    /* The whole feed, so every recipient's numbering matches the others'. */
    follow(m);
    if (dc__thread_start(&sh->writer, writer_main, sh) != DC_OK)
        return DC_ENOMEM;
    pthread_mutex_lock(&s->mu);
    sh->follow_ready = 1;
    pthread_mutex_unlock(&s->mu);
    return DC_OK;
}

void dc__share_stop(dc__monitor *m)
{
    dc__share *sh = m->sh;
    if (!sh)
        return;
    pthread_mutex_lock(&m->s->mu);
    sh->follow_ready = 0;
    while (sh->follow_busy) {
        pthread_mutex_unlock(&m->s->mu);
        usleep(1000);
        pthread_mutex_lock(&m->s->mu);
    }
    pthread_mutex_unlock(&m->s->mu);
    /* The writer forwards what was accepted before it ends. */
    dc__thread_stop(&sh->writer, &sh->mu, &sh->cond, &sh->stopping);
    if (sh->held) { /* hand over now rather than after expiry */
        int held;
        dc_store_lease(m->s->store, LEASE_NAME, sh->holder, 0, &held);
        sh->held = 0;
        atomic_store(&sh->lease_held, 0);
    }
}

void dc__share_free(dc__monitor *m)
{
    dc__share *sh = m->sh;
    if (!sh)
        return;
    dc__share_stop(m);
    dc__ingest_buf_free(&sh->in);
    dc__ingest_buf_free(&sh->work);
    dc__buf_free(&sh->enc);
    dc_free(sh->rows);
    dc_free(sh->recs);
    dc__open_list_free(&sh->open_pairs);
    dc__open_list_free(&sh->open_nc);
    pthread_cond_destroy(&sh->cond);
    pthread_mutex_destroy(&sh->mu);
    dc_free(sh);
    m->sh = NULL;
}

void dc__share_metrics_render(dc__monitor *m, dc__buf *b)
{
    dc__share *sh = m->sh;
    if (!sh)
        return;
    dc__buf_fmt(b,
                "# HELP deconflict_monitor_lease_held 1 while this instance holds the "
                "monitoring lease (runs detection and conformance).\n"
                "# TYPE deconflict_monitor_lease_held gauge\n"
                "deconflict_monitor_lease_held %lu\n"
                "# TYPE deconflict_monitor_lease_taken_total counter\n"
                "deconflict_monitor_lease_taken_total %lu\n"
                "# HELP deconflict_track_forwarded_total Reports forwarded through the store to "
                "the lease holder, by outcome.\n"
                "# TYPE deconflict_track_forwarded_total counter\n"
                "deconflict_track_forwarded_total{outcome=\"ok\"} %lu\n"
                "deconflict_track_forwarded_total{outcome=\"failed\"} %lu\n"
                "# TYPE deconflict_alert_publish_failed_total counter\n"
                "deconflict_alert_publish_failed_total %lu\n",
                atomic_load(&sh->lease_held), atomic_load(&sh->lease_taken),
                atomic_load(&sh->forwarded), atomic_load(&sh->forward_failed),
                atomic_load(&sh->publish_failed));
}
