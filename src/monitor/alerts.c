/* Alerts as each party sees them: a bounded ring of rendered records per
 * recipient (an operator's blind view, the authority's full one), so that
 * no one's records evict another's and one's own evictions say nothing of
 * how many alerts the others get; read
 * in pages by a per-recipient cursor (GET /v1/alerts in api/alerts.c) and
 * by streams (Server-Sent Events). A stream reads the ring from its own
 * cursor inside the transport's pull callback and suspends its connection
 * (through the transport's functions) when it has nothing to send; the tick
 * thread resumes it. Nothing ever waits for a consumer: one that falls
 * behind the ring is dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/monitor.h"

#define STREAM_CHUNK 65536 /* bytes of events gathered per callback */

/* Set at creation, then read-only: m, conn, suspend, resume, to,
 * key_prefix. Under the monitor's al_mu: the rest but dead. */
struct dc__stream {
    dc__stream *next;
    dc__monitor *m;
    void *conn; /* the transport's, suspended and resumed by the two below */
    void (*suspend)(void *conn);
    void (*resume)(void *conn);
    uint32_t to;
    char key_prefix[16]; /* of the key that opened it: revoked, it ends */
    uint64_t cursor;     /* last seq sent */
    dc__buf out;
    size_t out_pos;
    double last_write_s; /* monotonic */
    int suspended;       /* under al_mu: only the notifier resumes */
    _Atomic int dead;    /* its response is gone; the notifier frees it */
};

/* Under al_mu: room for recipient `to`. */
static int recipients_reserve(dc__monitor *m, uint32_t to)
{
    if (to < m->n_recipients)
        return 0;
    size_t n = m->n_recipients ? m->n_recipients : 16;
    while (n <= to)
        n *= 2;
    dc__alert_ring *r = dc_realloc(m->rings, n * sizeof *r);
    if (!r)
        return -1;
    memset(r + m->n_recipients, 0, (n - m->n_recipients) * sizeof *r);
    m->rings = r;
    m->n_recipients = n;
    return 0;
}

static const dc__alert_ring *ring_of(const dc__monitor *m, uint32_t to)
{
    static const dc__alert_ring none;
    return to < m->n_recipients ? &m->rings[to] : &none;
}

static uint64_t last_of(const dc__monitor *m, uint32_t to)
{
    return ring_of(m, to)->last_seq;
}

static uint64_t evicted_of(const dc__monitor *m, uint32_t to)
{
    return ring_of(m, to)->evicted_seq;
}

/* Under al_mu: one more slot in r, doubling up to cap and then taking the
 * recipient's own oldest record; -1 without memory (r unchanged). */
static int ring_make_room(dc__alert_ring *r, size_t cap)
{
    if (r->n < r->cap)
        return 0;
    if (r->cap < cap) {
        size_t n = r->cap ? r->cap * 2 : 16;
        if (n > cap)
            n = cap;
        dc__alert_rec *v = dc_malloc(n * sizeof *v);
        if (!v)
            return -1;
        for (size_t k = 0; k < r->n; k++)
            v[k] = r->v[(r->head + k) % r->cap];
        dc_free(r->v);
        r->v = v;
        r->cap = n;
        r->head = 0;
        return 0;
    }
    dc__alert_rec *old = &r->v[r->head];
    r->evicted_seq = old->seq;
    dc_free(old->body);
    r->head = (r->head + 1) % r->cap;
    r->n--;
    return 0;
}

void dc__alerts_append(dc__monitor *m, dc__alert_rec *recs, size_t n)
{
    if (m->sh)
        dc__share_publish(m, recs, n); /* back through the follower, numbered there */
    else
        dc__alerts_ring_append(m, recs, n);
}

void dc__alerts_ring_append(dc__monitor *m, dc__alert_rec *recs, size_t n)
{
    size_t added = 0;
    pthread_mutex_lock(&m->al_mu);
    for (size_t i = 0; i < n; i++) {
        uint32_t to = recs[i].to;
        if (!recs[i].body || !m->ring_cap || recipients_reserve(m, to) ||
            ring_make_room(&m->rings[to], m->ring_cap)) {
            dc_free(recs[i].body);
            continue;
        }
        dc__alert_ring *r = &m->rings[to];
        r->v[(r->head + r->n) % r->cap] = (dc__alert_rec){to, ++r->last_seq, recs[i].body};
        r->n++;
        added++;
    }
    pthread_mutex_unlock(&m->al_mu);
    atomic_fetch_add(&m->m.alert_records, added);
}

/* Under al_mu: appends recipient to's records after *cursor, as produced by
 * fmt ("sse" or JSON array members), until max records or about max_bytes. */
static size_t gather(dc__monitor *m, uint32_t to, uint64_t *cursor, size_t max, size_t max_bytes,
                     int sse, dc__buf *b)
{
    size_t got = 0;
    const dc__alert_ring *r = ring_of(m, to);
    if (r->last_seq <= *cursor)
        return 0;
    /* seqs are consecutive in a ring: start right after the cursor. */
    size_t k = 0;
    if (r->n && *cursor >= r->v[r->head].seq)
        k = (size_t)(*cursor - r->v[r->head].seq + 1);
    for (; k < r->n && got < max && b->len < max_bytes; k++) {
        const dc__alert_rec *rec = &r->v[(r->head + k) % r->cap];
        unsigned long long seq = (unsigned long long)rec->seq;
        if (sse)
            dc__buf_fmt(b, "id: %llu\ndata: {\"seq\":%llu,", seq, seq);
        else
            dc__buf_fmt(b, "%s{\"seq\":%llu,", got ? "," : "", seq);
        dc__buf_str(b, rec->body);
        dc__buf_str(b, sse ? "}\n\n" : "}");
        *cursor = rec->seq;
        got++;
    }
    return got;
}

int dc__alerts_page(dc__monitor *m, uint32_t to, uint64_t *cursor, size_t limit, dc__buf *b)
{
    pthread_mutex_lock(&m->al_mu);
    int missed = *cursor < evicted_of(m, to);
    size_t got = gather(m, to, cursor, limit, (size_t)-1, 0, b);
    /* A short page has read everything: the cursor moves to the newest. */
    if (got < limit && last_of(m, to) > *cursor)
        *cursor = last_of(m, to);
    pthread_mutex_unlock(&m->al_mu);
    return missed;
}

/* ---- Server-Sent Events ---- */

/* A key revoked (or rotated) while its stream is open ends the stream, as
 * it would get 401 on any new request. Under al_mu (order al_mu -> mu). */
static int key_revoked(dc_server *s, const char *prefix)
{
    pthread_mutex_lock(&s->mu);
    const dc__key *k = dc__map_get(&s->keys, prefix);
    int revoked = !k || k->revoked;
    pthread_mutex_unlock(&s->mu);
    return revoked;
}

long dc__stream_pull(dc__stream *st, char *buf, size_t max)
{
    dc__monitor *m = st->m;
    double now = dc__mono_s();
    pthread_mutex_lock(&m->al_mu);
    if (st->out_pos >= st->out.len) {
        st->out.len = st->out_pos = 0;
        if (m->closing || key_revoked(m->s, st->key_prefix)) {
            pthread_mutex_unlock(&m->al_mu);
            return DC__STREAM_END;
        }
        if (st->cursor < evicted_of(m, st->to)) {
            /* Fell behind the ring: drop it rather than hold anything up. */
            pthread_mutex_unlock(&m->al_mu);
            atomic_fetch_add(&m->m.streams_dropped, 1);
            return DC__STREAM_ERROR;
        }
        gather(m, st->to, &st->cursor, (size_t)-1, STREAM_CHUNK, 1, &st->out);
        if (!st->out.len && now - st->last_write_s >= m->s->cfg.sse_heartbeat_s)
            dc__buf_str(&st->out, ": heartbeat\n\n");
        if (st->out.oom) {
            pthread_mutex_unlock(&m->al_mu);
            return DC__STREAM_ERROR;
        }
        if (!st->out.len) {
            st->suspended = 1;
            st->suspend(st->conn);
            pthread_mutex_unlock(&m->al_mu);
            return 0;
        }
    }
    size_t n = st->out.len - st->out_pos;
    if (n > max)
        n = max;
    memcpy(buf, st->out.p + st->out_pos, n);
    st->out_pos += n;
    st->last_write_s = now;
    pthread_mutex_unlock(&m->al_mu);
    return (long)n;
}

void dc__stream_gone(dc__stream *st)
{
    atomic_fetch_sub(&st->m->m.streams, 1);
    atomic_store(&st->dead, 1);
}

dc__stream *dc__stream_new(dc__monitor *m, uint32_t to, const char *key_prefix, void *conn,
                           void (*suspend)(void *conn), void (*resume)(void *conn))
{
    dc__stream *st = dc_calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->m = m;
    st->conn = conn;
    st->suspend = suspend;
    st->resume = resume;
    st->to = to;
    snprintf(st->key_prefix, sizeof st->key_prefix, "%s", key_prefix);
    st->last_write_s = dc__mono_s();
    dc__buf_str(&st->out, ": deconflict alerts\nretry: 2000\n\n");
    if (st->out.oom) {
        dc__stream_discard(st);
        return NULL;
    }
    return st;
}

void dc__stream_discard(dc__stream *st)
{
    dc__buf_free(&st->out);
    dc_free(st);
}

void dc__stream_attach(dc__stream *st, int resume, uint64_t cursor)
{
    dc__monitor *m = st->m;
    atomic_fetch_add(&m->m.streams, 1);
    pthread_mutex_lock(&m->al_mu);
    if (!resume)
        cursor = last_of(m, st->to);
    else if (cursor < evicted_of(m, st->to)) {
        /* Resuming from before the ring: say so, then go on from its start. */
        dc__buf_fmt(&st->out, ": records up to %llu are no longer kept\n\n",
                    (unsigned long long)evicted_of(m, st->to));
        cursor = evicted_of(m, st->to);
    }
    st->cursor = cursor;
    st->next = m->streams;
    m->streams = st;
    pthread_mutex_unlock(&m->al_mu);
}

void dc__streams_notify(dc__monitor *m)
{
    dc__stream **wake = NULL;
    size_t n_wake = 0, n = 0;
    double now = dc__mono_s();
    pthread_mutex_lock(&m->al_mu);
    for (dc__stream *st = m->streams; st; st = st->next)
        n++;
    if (n)
        wake = dc_malloc(n * sizeof *wake);
    for (dc__stream **pp = &m->streams; *pp;) {
        dc__stream *st = *pp;
        if (atomic_load(&st->dead)) {
            *pp = st->next;
            dc__buf_free(&st->out);
            dc_free(st);
            continue;
        }
        pp = &st->next;
        /* Without memory for the list, wake nobody now: next tick. */
        if (wake && st->suspended &&
            (m->closing || last_of(m, st->to) > st->cursor ||
             now - st->last_write_s >= m->s->cfg.sse_heartbeat_s)) {
            st->suspended = 0;
            wake[n_wake++] = st;
        }
    }
    pthread_mutex_unlock(&m->al_mu);
    /* Outside al_mu: a connection stays suspended, so alive, until resumed
     * here, and nobody else resumes it. */
    for (size_t i = 0; i < n_wake; i++)
        wake[i]->resume(wake[i]->conn);
    dc_free(wake);
}

void dc__streams_close(dc__monitor *m)
{
    pthread_mutex_lock(&m->al_mu);
    m->closing = 1;
    pthread_mutex_unlock(&m->al_mu);
    for (int i = 0; i < 300; i++) {
        dc__streams_notify(m);
        pthread_mutex_lock(&m->al_mu);
        int left = m->streams != NULL;
        pthread_mutex_unlock(&m->al_mu);
        if (!left)
            return;
        usleep(10000);
    }
}

void dc__alerts_free(dc__monitor *m)
{
    for (size_t i = 0; i < m->n_recipients; i++) {
        dc__alert_ring *r = &m->rings[i];
        for (size_t k = 0; k < r->n; k++)
            dc_free(r->v[(r->head + k) % r->cap].body);
        dc_free(r->v);
    }
    dc_free(m->rings);
    m->rings = NULL;
    m->n_recipients = 0;
    while (m->streams) {
        dc__stream *st = m->streams;
        m->streams = st->next;
        dc__buf_free(&st->out);
        dc_free(st);
    }
}
