/* The ingest buffer: position reports queued between ticks, copied in
 * under ing_mu in one step or not at all (on a shared store, into the queue
 * that lease_share.c forwards to the monitoring lease holder). The tick
 * thread swaps it (tick.c). */
#include <math.h>
#include <string.h>

#include "monitor/monitor.h"

/* Under ing_mu: room for n more reports and `bytes` more string bytes. */
static int buf_reserve(dc__ingest_buf *b, size_t n, size_t bytes)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->n + n)
            cap *= 2;
        dc_track_report *r = dc_realloc(b->reports, cap * sizeof *r);
        if (!r)
            return -1;
        b->reports = r;
        uint32_t(*o)[2] = dc_realloc(b->offs, cap * sizeof *o);
        if (!o)
            return -1;
        b->offs = o;
        b->cap = cap;
    }
    if (b->alen + bytes > b->acap) {
        size_t cap = b->acap ? b->acap : 1u << 20;
        while (cap < b->alen + bytes)
            cap *= 2;
        char *a = dc_realloc(b->arena, cap);
        if (!a)
            return -1;
        b->arena = a;
        b->acap = cap;
    }
    return 0;
}

static uint32_t arena_put(dc__ingest_buf *b, const char *s)
{
    if (!s)
        return UINT32_MAX;
    size_t len = strlen(s) + 1;
    uint32_t off = (uint32_t)b->alen;
    memcpy(b->arena + b->alen, s, len);
    b->alen += len;
    return off;
}

int dc__ingest_add(dc__ingest_buf *b, const dc_track_report *rep, size_t n, const char *fresh,
                   size_t n_fresh, size_t bytes, size_t bound)
{
    if (b->n + n_fresh > bound || buf_reserve(b, n_fresh, bytes))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (fresh && !fresh[i])
            continue;
        b->reports[b->n] = rep[i];
        b->offs[b->n][0] = arena_put(b, rep[i].track_id);
        b->offs[b->n][1] = arena_put(b, rep[i].operation_id);
        b->n++;
    }
    return 1;
}

int dc__ingest_enqueue(dc__monitor *m, const dc_track_report *rep, size_t n, const char *fresh,
                       size_t n_fresh, size_t bytes, size_t bound)
{
    if (m->sh)
        return dc__share_enqueue(m, rep, n, fresh, n_fresh, bytes, bound);
    pthread_mutex_lock(&m->ing_mu);
    int ok = dc__ingest_add(&m->in, rep, n, fresh, n_fresh, bytes, bound);
    pthread_mutex_unlock(&m->ing_mu);
    return ok;
}

/* ---- per-operator report rate ---- */

int dc__ingest_admit(dc__monitor *m, uint32_t op, size_t n, unsigned *retry_after_s)
{
    const dc_server_config *c = &m->s->cfg;
    double rate = c->track_rate_per_s;
    if (!(rate > 0))
        return 1;
    double cap = rate > (double)c->max_track_reports ? rate : (double)c->max_track_reports;
    double now = dc__mono_s();
    int ok = 0;
    pthread_mutex_lock(&m->rate_mu);
    if (op >= m->n_rate) {
        size_t k = m->n_rate ? m->n_rate : 16;
        while (k <= op)
            k *= 2;
        struct dc__report_bucket *v = dc_realloc(m->rate, k * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&m->rate_mu);
            *retry_after_s = 1;
            return 0;
        }
        memset(v + m->n_rate, 0, (k - m->n_rate) * sizeof *v);
        m->rate = v;
        m->n_rate = k;
    }
    struct dc__report_bucket *b = &m->rate[op];
    if (b->last_s == 0)
        b->tokens = cap;
    else
        b->tokens += (now - b->last_s) * rate;
    if (b->tokens > cap)
        b->tokens = cap;
    b->last_s = now;
    if (b->tokens >= (double)n) {
        b->tokens -= (double)n;
        ok = 1;
    } else {
        double wait = ceil(((double)n - b->tokens) / rate);
        *retry_after_s = wait < 1 ? 1 : wait > 3600 ? 3600 : (unsigned)wait;
    }
    pthread_mutex_unlock(&m->rate_mu);
    return ok;
}

void dc__ingest_rate_free(dc__monitor *m)
{
    dc_free(m->rate);
    m->rate = NULL;
    m->n_rate = 0;
}
