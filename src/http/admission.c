/* Admission control and per-operator rate limits (issue 7, issue 13): token buckets on
 * submissions and notice queries by the route's rate class (429 +
 * Retry-After), a bound on operator requests in flight with a separate
 * reserve for the authority, and a bound on the request bodies held at once,
 * so that load is shed with 503 + Retry-After instead of growing memory.
 * Also a cache of keys that authenticated, so admission never waits for the
 * airspace mutex. adm->mu guards the buckets and is a leaf lock. Connection
 * limits and timeouts are libmicrohttpd options set in http.c. The probing
 * limits are the airspace's (airspace/probing.c). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/http.h"

enum { CLS_PUBLIC = DC__RATE_STREAM + 1 }; /* a route with no caller: no bucket */

/* An operator's rate state, by operator number: a rotated key starts from
 * where the old one left off (issue 13), and there is one per operator, not
 * one per key ever presented. */
typedef struct op_rate {
    int used;
    double submit_tokens, submit_t;
    double notice_tokens, notice_t;
    double keys_tokens, keys_t;
} op_rate;

typedef struct bucket {
    char prefix[16]; /* the API key's lookup prefix: the map's key */
    /* The key once it authenticated (see dc__admit_auth); NULL before. */
    const dc__key *key;
    uint32_t number;
    int is_authority;
    char who_id[24];
} bucket;

struct dc__admission {
    pthread_mutex_t mu; /* guards the buckets */
    dc__map buckets;
    bucket **bucket_list;
    size_t n_buckets, cap_buckets;
    op_rate *rates; /* by operator number */
    size_t n_rates;
    /* read-only after creation, then atomics */
    unsigned char *route_class; /* per route index */
    _Atomic unsigned inflight_ops, inflight_authority;
    _Atomic size_t body_bytes;
    _Atomic unsigned long rate_limited[3], shed_inflight, shed_body; /* notices, submit, keys */
    _Atomic unsigned long inflight_max;
    _Atomic unsigned deciding; /* operator submissions inside their handler */
    _Atomic long last_shed_ms; /* monotonic ms of the last 503 */
};

/* ---- lifecycle ---- */

static int route_class(const dc__route *rt)
{
    return rt->role == DC__ROLE_NONE ? CLS_PUBLIC : (int)rt->rate;
}

dc__admission *dc__admission_new(const dc__route *routes, size_t n_routes)
{
    dc__admission *l = dc_calloc(1, sizeof *l);
    if (!l || !(l->route_class = dc_calloc(n_routes + 1, 1))) {
        dc_free(l);
        return NULL;
    }
    for (size_t i = 0; i < n_routes; i++)
        l->route_class[i] = (unsigned char)route_class(&routes[i]);
    pthread_mutex_init(&l->mu, NULL);
    return l;
}

void dc__admission_free(dc__admission *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_buckets; i++)
        dc_free(l->bucket_list[i]);
    dc_free(l->bucket_list);
    dc_free(l->rates);
    dc__map_free(&l->buckets);
    pthread_mutex_destroy(&l->mu);
    dc_free(l->route_class);
    dc_free(l);
}

static bucket *bucket_of(dc__admission *l, const dc_server_config *cfg, const char *prefix,
                         double now);

/* ---- authentication without the airspace mutex ---- */

/* A request is authenticated when its headers come in, before it can be
 * shed; taking the airspace mutex there would queue every request, the
 * authority's too, behind the decision in progress. Keys that authenticated
 * once are remembered here: their salt and hash never change and a key
 * struct lives as long as the server, so only the revoked flag is read, and
 * atomically (it is written under mu, and only ever set). */
int dc__admit_auth(dc__req *r, const char *prefix, const char *presented)
{
    dc__admission *l = r->s->http->adm;
    dc__key copy;
    int found = 0;
    pthread_mutex_lock(&l->mu);
    bucket *b = dc__map_get(&l->buckets, prefix);
    if (b && b->key) {
        copy = *b->key;
        copy.revoked = __atomic_load_n(&b->key->revoked, __ATOMIC_ACQUIRE);
        r->who = b->number;
        r->is_authority = b->is_authority;
        snprintf(r->who_id, sizeof r->who_id, "%s", b->who_id);
        found = 1;
    }
    pthread_mutex_unlock(&l->mu); /* b may be forgotten from here on */
    if (!found)
        return 0;
    return dc__key_matches(&copy, presented);
}

void dc__admit_forget_keys(dc_server *s)
{
    dc__admission *l = s->http ? s->http->adm : NULL;
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->n_buckets; i++)
        l->bucket_list[i]->key = NULL; /* authenticated again under mu */
    pthread_mutex_unlock(&l->mu);
}

void dc__admit_forget_revoked(dc_server *s)
{
    dc__admission *l = s->http->adm;
    dc__map fresh = {0};
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->n_buckets; i++) {
        bucket *b = l->bucket_list[i];
        if (b->key && __atomic_load_n(&b->key->revoked, __ATOMIC_ACQUIRE))
            continue;
        if (dc__map_put(&fresh, b->prefix, b) != DC_OK) { /* out of memory: keep them all */
            dc__map_free(&fresh);
            pthread_mutex_unlock(&l->mu);
            return;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < l->n_buckets; i++) {
        bucket *b = l->bucket_list[i];
        if (b->key && __atomic_load_n(&b->key->revoked, __ATOMIC_ACQUIRE))
            dc_free(b);
        else
            l->bucket_list[kept++] = b;
    }
    l->n_buckets = kept;
    dc__map_free(&l->buckets);
    l->buckets = fresh;
    pthread_mutex_unlock(&l->mu);
}

void dc__admit_auth_remember(dc_server *s, const char *prefix, const dc__key *k,
                             const dc__operator *op)
{
    dc__admission *l = s->http->adm;
    pthread_mutex_lock(&l->mu);
    bucket *b = bucket_of(l, &s->cfg, prefix, dc__mono_s());
    if (b && !b->key) {
        b->number = op->number;
        b->is_authority = op->is_authority;
        snprintf(b->who_id, sizeof b->who_id, "%s", op->id);
        b->key = k;
    }
    pthread_mutex_unlock(&l->mu);
}

/* ---- admission ---- */

/* Under l->mu: the bucket of a key, created full. */
static bucket *bucket_of(dc__admission *l, const dc_server_config *cfg, const char *prefix,
                         double now)
{
    bucket *b = dc__map_get(&l->buckets, prefix);
    if (b)
        return b;
    if (dc__grow((void **)&l->bucket_list, &l->cap_buckets, l->n_buckets + 1,
                 sizeof *l->bucket_list) ||
        !(b = dc_calloc(1, sizeof *b)))
        return NULL;
    (void)cfg;
    (void)now;
    snprintf(b->prefix, sizeof b->prefix, "%s", prefix);
    if (dc__map_put(&l->buckets, b->prefix, b) != DC_OK) {
        dc_free(b);
        return NULL;
    }
    l->bucket_list[l->n_buckets++] = b;
    return b;
}

/* Under l->mu: operator `who`'s rate state, created full. */
static op_rate *rate_of(dc__admission *l, const dc_server_config *cfg, uint32_t who, double now)
{
    if (who >= l->n_rates) {
        size_t n = l->n_rates ? l->n_rates : 16;
        while (n <= who)
            n *= 2;
        op_rate *v = dc_realloc(l->rates, n * sizeof *v);
        if (!v)
            return NULL;
        memset(v + l->n_rates, 0, (n - l->n_rates) * sizeof *v);
        l->rates = v;
        l->n_rates = n;
    }
    op_rate *o = &l->rates[who];
    if (!o->used) {
        o->used = 1;
        o->submit_tokens = cfg->rate_submit_burst;
        o->notice_tokens = cfg->rate_notices_burst;
        o->keys_tokens = DC__KEYS_BURST;
        o->submit_t = o->notice_t = o->keys_t = now;
    }
    return o;
}

/* Takes one token; else *wait_s is how long until one is there. */
static int take(double *tokens, double *t, double per_min, double burst, double now, double *wait_s)
{
    double rate = per_min / 60.0;
    *tokens = fmin(burst, *tokens + (now - *t) * rate);
    *t = now;
    if (*tokens >= 1) {
        *tokens -= 1;
        return 1;
    }
    *wait_s = (1 - *tokens) / rate;
    return 0;
}

static void shed(dc__req *r, unsigned status, unsigned retry_after_s)
{
    r->shed_status = status;
    r->retry_after_s = retry_after_s ? retry_after_s : 1;
    if (status == 503)
        atomic_store(&r->s->http->adm->last_shed_ms, (long)(dc__mono_s() * 1000));
}

void dc__admit(dc__req *r, const char *key_prefix)
{
    dc_server *s = r->s;
    dc__admission *l = s->http->adm;
    const dc_server_config *cfg = &s->cfg;
    int cls = r->route >= 0 ? l->route_class[r->route] : CLS_PUBLIC;
    if (cls == DC__RATE_STREAM)
        return;
    /* The per-key buckets (operators only; probe_limit 0 turns off every
     * probing limit). */
    if (!r->is_authority && cfg->probe_limit && key_prefix &&
        (cls == DC__RATE_SUBMIT || cls == DC__RATE_NOTICES)) {
        int submit = cls == DC__RATE_SUBMIT;
        double per_min = submit ? cfg->rate_submit_per_min : cfg->rate_notices_per_min;
        if (per_min > 0) {
            double now = dc__mono_s(), wait_s = 1;
            int ok = 1;
            pthread_mutex_lock(&l->mu);
            op_rate *b = rate_of(l, cfg, r->who, now);
            if (b && submit)
                ok = take(&b->submit_tokens, &b->submit_t, per_min, cfg->rate_submit_burst, now,
                          &wait_s);
            else if (b)
                ok = take(&b->notice_tokens, &b->notice_t, per_min, cfg->rate_notices_burst, now,
                          &wait_s);
            pthread_mutex_unlock(&l->mu);
            if (!ok) {
                atomic_fetch_add(&l->rate_limited[submit], 1);
                shed(r, 429, (unsigned)ceil(wait_s));
                return;
            }
        }
    }
    /* Rotating one's own key: its own bucket, by operator. */
    if (!r->is_authority && cls == DC__RATE_KEYS) {
        double now = dc__mono_s(), wait_s = 1;
        pthread_mutex_lock(&l->mu);
        op_rate *b = rate_of(l, cfg, r->who, now);
        int ok = !b || take(&b->keys_tokens, &b->keys_t, DC__KEYS_PER_HOUR / 60.0, DC__KEYS_BURST,
                            now, &wait_s);
        pthread_mutex_unlock(&l->mu);
        if (!ok) {
            atomic_fetch_add(&l->rate_limited[2], 1);
            shed(r, 429, (unsigned)ceil(wait_s));
            return;
        }
    }
    /* In flight: operators share max_inflight, the authority has its own
     * reserve, so a flood of operators never locks the authority out. */
    _Atomic unsigned *n = r->is_authority ? &l->inflight_authority : &l->inflight_ops;
    unsigned cap = r->is_authority ? cfg->authority_inflight : cfg->max_inflight;
    unsigned now_n = atomic_fetch_add(n, 1) + 1;
    r->admitted = 1;
    if (now_n > cap) {
        atomic_fetch_add(&l->shed_inflight, 1);
        shed(r, 503, 1);
        return;
    }
    if (!r->is_authority && now_n > atomic_load(&l->inflight_max))
        atomic_store(&l->inflight_max, now_n);
}

int dc__admit_body(dc__req *r, size_t more)
{
    dc__admission *l = r->s->http->adm;
    size_t now = atomic_fetch_add(&l->body_bytes, more) + more;
    r->body_reserved += more;
    if (now > r->s->cfg.max_buffered_body_bytes && !r->is_authority) {
        atomic_fetch_add(&l->shed_body, 1);
        shed(r, 503, 1);
        return 0;
    }
    return 1;
}

/* While shedding (a 503 in the last second), operator submissions that find
 * overload_decisions others inside their handler are shed too: each one
 * holds a worker thread and the airspace mutex for its decision (and its
 * suggestion search), and the authority's requests queue behind whatever
 * holds their thread. Outside overload nothing waits here. */
int dc__admit_enter(dc__req *r)
{
    dc__admission *l = r->s->http->adm;
    if (r->is_authority || r->route < 0 || l->route_class[r->route] != DC__RATE_SUBMIT)
        return 1;
    unsigned inside = atomic_fetch_add(&l->deciding, 1);
    r->deciding = 1;
    long now_ms = (long)(dc__mono_s() * 1000);
    if (inside >= r->s->cfg.overload_decisions && now_ms - atomic_load(&l->last_shed_ms) < 1000) {
        dc__admit_leave(r);
        atomic_fetch_add(&l->shed_inflight, 1);
        shed(r, 503, 1);
        return 0;
    }
    return 1;
}

void dc__admit_leave(dc__req *r)
{
    if (r->deciding)
        atomic_fetch_sub(&r->s->http->adm->deciding, 1);
    r->deciding = 0;
}

void dc__admit_done(dc__req *r)
{
    dc__admission *l = r->s->http->adm;
    if (r->admitted)
        atomic_fetch_sub(r->is_authority ? &l->inflight_authority : &l->inflight_ops, 1);
    if (r->body_reserved)
        atomic_fetch_sub(&l->body_bytes, r->body_reserved);
    r->admitted = 0;
    r->body_reserved = 0;
}

void dc__admission_metrics_render(dc_server *s, dc__buf *b)
{
    dc__admission *l = s->http ? s->http->adm : NULL;
    if (!l)
        return;
    dc__buf_fmt(b,
                "# HELP deconflict_rate_limited_total Requests refused with 429 by the per-key "
                "rate limits.\n# TYPE deconflict_rate_limited_total counter\n"
                "deconflict_rate_limited_total{limit=\"submit\"} %lu\n"
                "deconflict_rate_limited_total{limit=\"notices\"} %lu\n"
                "deconflict_rate_limited_total{limit=\"keys\"} %lu\n",
                atomic_load(&l->rate_limited[1]), atomic_load(&l->rate_limited[0]),
                atomic_load(&l->rate_limited[2]));
    dc__buf_fmt(b,
                "# HELP deconflict_probing_alerts_total Probing alerts raised to the authority.\n"
                "# TYPE deconflict_probing_alerts_total counter\n"
                "deconflict_probing_alerts_total %lu\n",
                atomic_load(&s->m.probing_alerts));
    dc__buf_fmt(b,
                "# HELP deconflict_shed_total Requests shed with 503 by admission control.\n"
                "# TYPE deconflict_shed_total counter\n"
                "deconflict_shed_total{reason=\"inflight\"} %lu\n"
                "deconflict_shed_total{reason=\"body_bytes\"} %lu\n",
                atomic_load(&l->shed_inflight), atomic_load(&l->shed_body));
    dc__buf_fmt(b,
                "# TYPE deconflict_inflight_requests gauge\n"
                "deconflict_inflight_requests{who=\"operators\"} %u\n"
                "deconflict_inflight_requests{who=\"authority\"} %u\n"
                "# TYPE deconflict_inflight_requests_max gauge\n"
                "deconflict_inflight_requests_max %lu\n"
                "# TYPE deconflict_buffered_body_bytes gauge\n"
                "deconflict_buffered_body_bytes %zu\n",
                atomic_load(&l->inflight_ops), atomic_load(&l->inflight_authority),
                atomic_load(&l->inflight_max), atomic_load(&l->body_bytes));
}
