/* The ingest buffer: position reports queued between ticks, copied in
 * under ing_mu in one step or not at all (on a shared store, into the queue
 * that lease_share.c forwards to the monitoring lease holder). The tick
 * thread swaps it (tick.c). */
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
