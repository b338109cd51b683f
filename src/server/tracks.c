/* POST /v1/tracks: position reports into the ingest buffer. A batch is
 * parsed and checked in full (errors name reports[i].field), its operation
 * ids checked against the caller's own operations (another's answers
 * "unknown operation", the words of a nonexistent one), then copied into the
 * buffer under ing_mu in one step or not at all (on a shared store, into
 * the queue that share.c forwards to the monitoring lease holder).
 * Detection happens on the tick thread (monitor.c); this path never waits
 * for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/monitor_int.h"

/* Reports more than this ahead of the server's clock are refused: they
 * would never go stale. */
#define MAX_FUTURE_S 60.0

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

/* Under mu: 1 when every linked report names one of the caller's own
 * operations, else replies 400 and returns 0. Approved operations that get
 * their first report are collected into act (deduplicated). */
static int check_operations(dc__req *r, const dc_track_report *rep, size_t n, dc__entry ***act,
                            size_t *n_act)
{
    const char *last_ok = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *oid = rep[i].operation_id;
        if (!oid || (last_ok && !strcmp(oid, last_ok)))
            continue;
        dc__entry *e = dc__entry_get(r->s, oid);
        if (!e || e->is_restriction || e->owner != r->who) {
            char field[64];
            snprintf(field, sizeof field, "reports[%zu].operation_id", i);
            dc__reply_error(r, 400, "invalid", field, "unknown operation");
            return 0;
        }
        last_ok = oid;
        if (e->state != DC__APPROVED)
            continue;
        size_t k = 0;
        while (k < *n_act && (*act)[k] != e)
            k++;
        if (k < *n_act)
            continue;
        dc__entry **grown = dc_realloc(*act, (*n_act + 1) * sizeof **act);
        if (!grown) {
            dc__reply_error(r, 500, "internal", "", "out of memory");
            return 0;
        }
        *act = grown;
        (*act)[(*n_act)++] = e;
    }
    return 1;
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

/* Copies the fresh reports into the buffer (on a shared store, the queue
 * to the monitoring lease holder); 0 when it is full. */
static int enqueue(dc__monitor *m, const dc_track_report *rep, size_t n, const char *fresh,
                   size_t n_fresh, size_t bytes, size_t bound)
{
    if (m->sh)
        return dc__share_enqueue(m, rep, n, fresh, n_fresh, bytes, bound);
    pthread_mutex_lock(&m->ing_mu);
    int ok = dc__ingest_add(&m->in, rep, n, fresh, n_fresh, bytes, bound);
    pthread_mutex_unlock(&m->ing_mu);
    return ok;
}

void dc__h_tracks_post(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    dc__monitor *m = s->mon;
    dc_track_report *rep = NULL;
    char *fresh = NULL;
    dc__entry **act = NULL;
    size_t n = 0, n_act = 0, n_fresh = 0, bytes = 0;
    int have_ops = 0;
    dc_error err = {{0}, {0}};
    json_t *body = dc__req_json(r);
    if (!body)
        return;
    json_t *unk = json_object_get(body, "unknown");
    if (unk && !json_is_boolean(unk)) {
        dc__reply_error(r, 400, "invalid", "unknown", "must be true or false");
        goto out;
    }
    int unknown = unk && json_is_true(unk);
    if (unknown && !r->is_authority) {
        dc__reply_error(r, 403, "forbidden", "unknown",
                        "only the authority may report unknown traffic");
        goto out;
    }
    size_t cap = s->cfg.max_track_reports;
    size_t want = json_array_size(json_object_get(body, "reports"));
    rep = dc_calloc(want && want <= cap ? want : 1, sizeof *rep);
    if (!rep) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        goto out;
    }
    dc_status rc = dc_json_track_reports(body, unknown ? DC_TRACK_OPERATOR_UNKNOWN : r->who, rep,
                                         cap, &n, &err);
    if (rc != DC_OK) {
        dc__reply_status(r, rc, &err);
        goto out;
    }
    if (!(fresh = dc_calloc(n, 1))) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        goto out;
    }
    double now = dc__wall_s();
    for (size_t i = 0; i < n; i++) {
        char field[64];
        if (rep[i].time_s > now + MAX_FUTURE_S) {
            snprintf(field, sizeof field, "reports[%zu].time", i);
            dc__reply_error(r, 400, "invalid", field,
                            "more than 60 s ahead of the server's clock");
            goto out;
        }
        if (unknown && rep[i].operation_id) {
            snprintf(field, sizeof field, "reports[%zu].operation_id", i);
            dc__reply_error(r, 400, "invalid", field, "unknown traffic has no operation");
            goto out;
        }
        have_ops |= rep[i].operation_id != NULL;
        if (now - rep[i].time_s > s->cfg.tactical.stale_s)
            continue;
        fresh[i] = 1;
        n_fresh++;
        bytes += strlen(rep[i].track_id) + 1 +
                 (rep[i].operation_id ? strlen(rep[i].operation_id) + 1 : 0);
    }
    if (have_ops) {
        /* Activations are state changes: on a shared store, in a window. */
        if (dc__write_lock(s)) {
            pthread_mutex_unlock(&s->mu);
            dc__reply_error(r, 503, "store_unavailable", "", "the shared store is unreachable; retry");
            goto out;
        }
        if (!check_operations(r, rep, n, &act, &n_act)) {
            pthread_mutex_unlock(&s->mu);
            goto out;
        }
        /* Holding mu: nothing may end these operations before they activate. */
        if (!enqueue(m, rep, n, fresh, n_fresh, bytes, s->cfg.track_buffer_reports)) {
            pthread_mutex_unlock(&s->mu);
            goto full;
        }
        for (size_t k = 0; k < n_act && n_fresh; k++) {
            dc__entry *e = act[k];
            e->state = DC__ACTIVE;
            e->version++;
            e->updated_s = dc__unix_s();
            dc__journal_entry(s, e, r->who_id, "activate",
                              json_pack("{s:s, s:s}", "operator", r->who_id, "by",
                                        "first track report"));
        }
        pthread_mutex_unlock(&s->mu);
    } else if (!enqueue(m, rep, n, fresh, n_fresh, bytes, s->cfg.track_buffer_reports)) {
        goto full;
    }
    atomic_fetch_add(&m->m.batches, 1);
    atomic_fetch_add(&m->m.reports_accepted, n_fresh);
    atomic_fetch_add(&m->m.reports_stale, n - n_fresh);
    dc__reply_json(r, 202, json_pack("{s:I, s:I}", "accepted", (json_int_t)n_fresh, "stale",
                                     (json_int_t)(n - n_fresh)));
    goto out;
full:
    atomic_fetch_add(&m->m.buffer_full, 1);
    dc__reply_error(r, 503, "busy", "reports",
                    "the track buffer is full until the next detection tick; retry");
out:
    dc_free(act);
    dc_free(fresh);
    dc_free(rep);
    json_decref(body);
}
