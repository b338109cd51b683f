/* Probing limits and overload protection (issue 7): per-key token buckets on
 * submissions and notice queries (429 + Retry-After), probing alerts when
 * one operator's rejections pile up in one area (audit record, metric and an
 * authority alert), and admission control so that load is shed with 503 +
 * Retry-After instead of growing memory: a bound on operator requests in
 * flight, a separate reserve for the authority, and a bound on the request
 * bodies held at once. lim_mu guards the buckets and the area counters; it is
 * a leaf lock (taken under the server's mu by dc__limits_rejection, never
 * the other way). Connection limits and timeouts are libmicrohttpd options
 * set in http.c from the same config. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/monitor_int.h"

enum { CLS_OTHER, CLS_SUBMIT, CLS_NOTICES, CLS_STREAM, CLS_PUBLIC };
enum { AREA_SLOTS = 4096 }; /* probing counters kept; the oldest is reused */

typedef struct bucket {
    char prefix[16]; /* the API key's lookup prefix: the map's key */
    double submit_tokens, submit_t;
    double notice_tokens, notice_t;
    /* The key once it authenticated (see dc__limits_auth); NULL before. */
    const dc__key *key;
    uint32_t number;
    int is_authority;
    char who_id[24];
} bucket;

typedef struct area {
    uint32_t op; /* operator number, 0: free */
    int32_t cell_lat, cell_lon;
    int64_t window_start_s;
    unsigned rejections;
    int alerted;
} area;

typedef struct pending_alert {
    struct pending_alert *next;
    char *body;
} pending_alert;

struct dc__limits {
    pthread_mutex_t mu;
    dc__map buckets;
    bucket **bucket_list;
    size_t n_buckets, cap_buckets;
    area areas[AREA_SLOTS];
    pending_alert *alerts;
    unsigned char *route_class; /* per route index */
    _Atomic unsigned inflight_ops, inflight_authority;
    _Atomic size_t body_bytes;
    _Atomic unsigned long rate_limited[2], shed_inflight, shed_body, probing_alerts;
    _Atomic unsigned long inflight_max;
    _Atomic unsigned deciding; /* operator submissions inside their handler */
    _Atomic long last_shed_ms; /* monotonic ms of the last 503 */
};

/* ---- config ---- */

void dc__limits_config_default(dc_server_config *c)
{
    c->rate_submit_per_min = 120;
    c->rate_submit_burst = 30;
    c->rate_notices_per_min = 600;
    c->rate_notices_burst = 60;
    c->probe_alert_rejections = 10;
    c->probe_window_s = 600;
    c->probe_area_deg = 0.1;
    c->max_connections = 1024;
    c->max_connections_per_ip = 128;
    c->connection_timeout_s = 30;
    c->max_inflight = 256;
    c->authority_inflight = 32;
    c->max_buffered_body_bytes = (size_t)64 << 20;
    c->overload_decisions = 1;
}

enum { T_DOUBLE, T_UNSIGNED, T_INT64, T_SIZE };

dc_status dc__limits_config_key(dc_server_config *c, const char *key, const json_t *v,
                                dc_error *err)
{
    static const struct {
        const char *key;
        size_t off;
        int type;
        double lo, hi;
    } keys[] = {
        {"rate_submit_per_min", offsetof(dc_server_config, rate_submit_per_min), T_DOUBLE, 0, 1e7},
        {"rate_submit_burst", offsetof(dc_server_config, rate_submit_burst), T_DOUBLE, 1, 1e7},
        {"rate_notices_per_min", offsetof(dc_server_config, rate_notices_per_min), T_DOUBLE, 0,
         1e7},
        {"rate_notices_burst", offsetof(dc_server_config, rate_notices_burst), T_DOUBLE, 1, 1e7},
        {"probe_alert_rejections", offsetof(dc_server_config, probe_alert_rejections), T_UNSIGNED,
         0, 1e6},
        {"probe_window_s", offsetof(dc_server_config, probe_window_s), T_INT64, 1, 7 * 86400},
        {"probe_area_deg", offsetof(dc_server_config, probe_area_deg), T_DOUBLE, 0.001, 10},
        {"max_connections", offsetof(dc_server_config, max_connections), T_UNSIGNED, 4, 1e6},
        {"max_connections_per_ip", offsetof(dc_server_config, max_connections_per_ip),
         T_UNSIGNED, 0, 1e6},
        {"connection_timeout_s", offsetof(dc_server_config, connection_timeout_s), T_UNSIGNED, 1,
         86400},
        {"max_inflight", offsetof(dc_server_config, max_inflight), T_UNSIGNED, 1, 1e6},
        {"authority_inflight", offsetof(dc_server_config, authority_inflight), T_UNSIGNED, 1,
         1e6},
        {"max_buffered_body_bytes", offsetof(dc_server_config, max_buffered_body_bytes), T_SIZE,
         65536, 1e12},
        {"overload_decisions", offsetof(dc_server_config, overload_decisions), T_UNSIGNED, 1,
         1e6},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i].key))
            continue;
        double d = json_number_value(v);
        if (!json_is_number(v) || !(d >= keys[i].lo && d <= keys[i].hi))
            return dc_error_set(err, key, "must be a number between %g and %g", keys[i].lo,
                                keys[i].hi);
        char *p = (char *)c + keys[i].off;
        switch (keys[i].type) {
        case T_DOUBLE:
            *(double *)p = d;
            break;
        case T_UNSIGNED:
            *(unsigned *)p = (unsigned)d;
            break;
        case T_INT64:
            *(int64_t *)p = (int64_t)d;
            break;
        default:
            *(size_t *)p = (size_t)d;
            break;
        }
        return DC_OK;
    }
    return DC_ENOTFOUND;
}

/* ---- lifecycle ---- */

static int route_class(const dc__route *rt)
{
    if (rt->role == DC__ROLE_NONE)
        return CLS_PUBLIC;
    if (!strcmp(rt->path, "/v1/operations") && !strcmp(rt->method, "POST"))
        return CLS_SUBMIT;
    if (!strcmp(rt->path, "/v1/operations/{id}") && !strcmp(rt->method, "PUT"))
        return CLS_SUBMIT;
    if (!strcmp(rt->path, "/v1/notices"))
        return CLS_NOTICES;
    if (!strcmp(rt->path, "/v1/alerts/stream"))
        return CLS_STREAM; /* long-lived: bounded by the connection limits */
    return CLS_OTHER;
}

dc_status dc__limits_start(dc_server *s)
{
    dc__limits *l = dc_calloc(1, sizeof *l);
    if (!l || !(l->route_class = dc_calloc(dc__n_routes + 1, 1))) {
        dc_free(l);
        return DC_ENOMEM;
    }
    for (size_t i = 0; i < dc__n_routes; i++)
        l->route_class[i] = (unsigned char)route_class(&dc__routes[i]);
    pthread_mutex_init(&l->mu, NULL);
    s->lim = l;
    return DC_OK;
}

void dc__limits_free(dc_server *s)
{
    dc__limits *l = s->lim;
    if (!l)
        return;
    for (size_t i = 0; i < l->n_buckets; i++)
        dc_free(l->bucket_list[i]);
    dc_free(l->bucket_list);
    dc__map_free(&l->buckets);
    while (l->alerts) {
        pending_alert *a = l->alerts;
        l->alerts = a->next;
        dc_free(a->body);
        dc_free(a);
    }
    pthread_mutex_destroy(&l->mu);
    dc_free(l->route_class);
    dc_free(l);
    s->lim = NULL;
}

static bucket *bucket_of(dc__limits *l, const dc_server_config *cfg, const char *prefix,
                         double now);

/* ---- authentication without the airspace mutex ---- */

/* A request is authenticated when its headers come in, before it can be
 * shed; taking the airspace mutex there would queue every request, the
 * authority's too, behind the decision in progress. Keys that authenticated
 * once are remembered here: their salt and hash never change and a key
 * struct lives as long as the server, so only the revoked flag is read, and
 * atomically (it is written under mu, and only ever set). */
int dc__limits_auth(dc__req *r, const char *prefix, const char *presented)
{
    dc__limits *l = r->s->lim;
    dc__key copy;
    int found = 0;
    pthread_mutex_lock(&l->mu);
    bucket *b = dc__map_get(&l->buckets, prefix);
    if (b && b->key) {
        copy = *b->key;
        r->who = b->number;
        r->is_authority = b->is_authority;
        snprintf(r->who_id, sizeof r->who_id, "%s", b->who_id);
        found = 1;
    }
    pthread_mutex_unlock(&l->mu);
    if (!found)
        return 0;
    copy.revoked = __atomic_load_n(&b->key->revoked, __ATOMIC_ACQUIRE);
    return dc__key_matches(&copy, presented);
}

void dc__limits_auth_remember(dc_server *s, const char *prefix, const dc__key *k,
                              const dc__operator *op)
{
    dc__limits *l = s->lim;
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
static bucket *bucket_of(dc__limits *l, const dc_server_config *cfg, const char *prefix,
                         double now)
{
    bucket *b = dc__map_get(&l->buckets, prefix);
    if (b)
        return b;
    if (l->n_buckets == l->cap_buckets) {
        size_t cap = l->cap_buckets ? 2 * l->cap_buckets : 64;
        bucket **a = dc_realloc(l->bucket_list, cap * sizeof *a);
        if (!a)
            return NULL;
        l->bucket_list = a;
        l->cap_buckets = cap;
    }
    if (!(b = dc_calloc(1, sizeof *b)))
        return NULL;
    snprintf(b->prefix, sizeof b->prefix, "%s", prefix);
    b->submit_tokens = cfg->rate_submit_burst;
    b->notice_tokens = cfg->rate_notices_burst;
    b->submit_t = b->notice_t = now;
    if (dc__map_put(&l->buckets, b->prefix, b) != DC_OK) {
        dc_free(b);
        return NULL;
    }
    l->bucket_list[l->n_buckets++] = b;
    return b;
}

/* Takes one token; else *wait_s is how long until one is there. */
static int take(double *tokens, double *t, double per_min, double burst, double now,
                double *wait_s)
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
        atomic_store(&r->s->lim->last_shed_ms, (long)(dc__mono_s() * 1000));
}

void dc__limits_admit(dc__req *r, const char *key_prefix)
{
    dc_server *s = r->s;
    dc__limits *l = s->lim;
    const dc_server_config *cfg = &s->cfg;
    int cls = r->route >= 0 ? l->route_class[r->route] : CLS_PUBLIC;
    if (cls == CLS_STREAM)
        return;
    /* The per-key buckets (operators only; probe_limit 0 turns off every
     * probing limit). */
    if (!r->is_authority && cfg->probe_limit && key_prefix &&
        (cls == CLS_SUBMIT || cls == CLS_NOTICES)) {
        int submit = cls == CLS_SUBMIT;
        double per_min = submit ? cfg->rate_submit_per_min : cfg->rate_notices_per_min;
        if (per_min > 0) {
            double now = dc__mono_s(), wait_s = 1;
            int ok = 1;
            pthread_mutex_lock(&l->mu);
            bucket *b = bucket_of(l, cfg, key_prefix, now);
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

int dc__limits_body(dc__req *r, size_t more)
{
    dc__limits *l = r->s->lim;
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
int dc__limits_enter(dc__req *r)
{
    dc__limits *l = r->s->lim;
    if (r->is_authority || r->route < 0 || l->route_class[r->route] != CLS_SUBMIT)
        return 1;
    unsigned inside = atomic_fetch_add(&l->deciding, 1);
    r->deciding = 1;
    long now_ms = (long)(dc__mono_s() * 1000);
    if (inside >= r->s->cfg.overload_decisions && now_ms - atomic_load(&l->last_shed_ms) < 1000) {
        dc__limits_leave(r);
        atomic_fetch_add(&l->shed_inflight, 1);
        shed(r, 503, 1);
        return 0;
    }
    return 1;
}

void dc__limits_leave(dc__req *r)
{
    if (r->deciding)
        atomic_fetch_sub(&r->s->lim->deciding, 1);
    r->deciding = 0;
}

void dc__limits_done(dc__req *r)
{
    dc__limits *l = r->s->lim;
    if (r->admitted)
        atomic_fetch_sub(r->is_authority ? &l->inflight_authority : &l->inflight_ops, 1);
    if (r->body_reserved)
        atomic_fetch_sub(&l->body_bytes, r->body_reserved);
    r->admitted = 0;
    r->body_reserved = 0;
}

/* ---- probing alerts ---- */

void dc__limits_rejection(dc_server *s, dc__req *r, const dc_volume *vols, size_t n)
{
    dc__limits *l = s->lim;
    const dc_server_config *cfg = &s->cfg;
    if (r->is_authority || !cfg->probe_alert_rejections || !n)
        return;
    double la0, lo0, la1, lo1;
    dc_footprint_bbox(vols[0].fp, &la0, &lo0, &la1, &lo1);
    int32_t clat = (int32_t)floor((la0 + la1) / 2 / cfg->probe_area_deg);
    int32_t clon = (int32_t)floor((lo0 + lo1) / 2 / cfg->probe_area_deg);
    int64_t now = dc__unix_s();
    pthread_mutex_lock(&l->mu);
    area *a = NULL, *victim = NULL; /* a free slot, else the oldest window */
    for (size_t i = 0; i < AREA_SLOTS && !a; i++) {
        area *x = &l->areas[i];
        if (x->op == r->who && x->cell_lat == clat && x->cell_lon == clon)
            a = x;
        else if (!victim || (victim->op && (!x->op || x->window_start_s < victim->window_start_s)))
            victim = x;
    }
    if (!a) {
        a = victim;
        *a = (area){r->who, clat, clon, now, 0, 0};
    }
    if (now - a->window_start_s >= cfg->probe_window_s)
        *a = (area){r->who, clat, clon, now, 0, 0};
    int raise = ++a->rejections == cfg->probe_alert_rejections && !a->alerted;
    if (raise)
        a->alerted = 1;
    unsigned count = a->rejections;
    pthread_mutex_unlock(&l->mu);
    if (!raise)
        return;

    double d = cfg->probe_area_deg;
    double box[4] = {clon * d, clat * d, (clon + 1) * d, (clat + 1) * d};
    dc__operator *o = dc__operator_get(s, r->who);
    atomic_fetch_add(&l->probing_alerts, 1);
    dc__journal_audit(s, "system", "probing_alert", r->who_id,
                      json_pack("{s:s, s:[f,f,f,f], s:i, s:I}", "operator", r->who_id, "area",
                                box[0], box[1], box[2], box[3], "rejections", (int)count,
                                "window_s", (json_int_t)cfg->probe_window_s));
    /* The authority's alert goes out after the request, outside mu: the
     * alert ring's lock is taken before mu elsewhere. */
    char ts[32];
    dc_time_format(now, ts, sizeof ts);
    dc__buf b = {0};
    dc__buf_fmt(&b, "\"kind\":\"probing\",\"time\":\"%s\",\"operator\":{\"id\":\"%s\",\"name\":", ts,
                r->who_id);
    dc__buf_json_str(&b, o && o->name ? o->name : "");
    dc__buf_fmt(&b, "},\"area\":[%.6f,%.6f,%.6f,%.6f],\"rejections\":%u,\"window_s\":%lld", box[0],
                box[1], box[2], box[3], count, (long long)cfg->probe_window_s);
    pending_alert *p = b.oom ? NULL : dc_calloc(1, sizeof *p);
    if (!p) {
        dc__buf_free(&b);
        return;
    }
    p->body = b.p;
    pthread_mutex_lock(&l->mu);
    p->next = l->alerts;
    l->alerts = p;
    pthread_mutex_unlock(&l->mu);
}

void dc__limits_flush(dc_server *s)
{
    dc__limits *l = s->lim;
    if (!l || !l->alerts) /* a racy peek: the next request flushes the rest */
        return;
    pthread_mutex_lock(&l->mu);
    pending_alert *p = l->alerts;
    l->alerts = NULL;
    pthread_mutex_unlock(&l->mu);
    while (p) {
        pending_alert *next = p->next;
        if (s->mon) {
            dc__alert_rec rec = {DC__TO_AUTHORITY, 0, p->body};
            dc__alerts_append(s->mon, &rec, 1); /* takes the body */
        } else {
            dc_free(p->body);
        }
        dc_free(p);
        p = next;
    }
}

void dc__limits_metrics_render(dc_server *s, dc__buf *b)
{
    dc__limits *l = s->lim;
    if (!l)
        return;
    dc__buf_fmt(b,
                "# HELP deconflict_rate_limited_total Requests refused with 429 by the per-key "
                "rate limits.\n# TYPE deconflict_rate_limited_total counter\n"
                "deconflict_rate_limited_total{limit=\"submit\"} %lu\n"
                "deconflict_rate_limited_total{limit=\"notices\"} %lu\n",
                atomic_load(&l->rate_limited[1]), atomic_load(&l->rate_limited[0]));
    dc__buf_fmt(b,
                "# HELP deconflict_probing_alerts_total Probing alerts raised to the authority.\n"
                "# TYPE deconflict_probing_alerts_total counter\n"
                "deconflict_probing_alerts_total %lu\n",
                atomic_load(&l->probing_alerts));
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
