/* Several instances, one airspace (docs/multi-instance.md). On a shared
 * store every state change is decided inside a *window*: the committer
 * thread opens a transaction that locks the store's one head row (the write
 * token, held by one instance at a time), folds every committed change of
 * the other instances into memory, then lets the waiting handlers decide
 * under mu; it closes the window, writes their journal as one batch and
 * commits, which releases the token. So a decision never reads a stale
 * index, check-and-insert is atomic across instances, and the audit chain
 * stays linear. Between windows the follower thread folds others' commits
 * into memory within a second (LISTEN/NOTIFY wake-ups plus polling), so
 * reads on every instance stay fresh too. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "airspace/airspace.h"

/* How long a window stays open for handlers that keep arriving, and how
 * long a handler waits for one before answering 503. */
#define WINDOW_MAX_MS 3
#define WINDOW_WAIT_S 10
#define FOLLOW_POLL_MS 200

static void deadline_in(struct timespec *ts, long ms)
{
    dc__mono_deadline(ts, ms / 1000.0);
}

int dc__write_lock(dc_server *s)
{
    struct timespec dl;
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    if (!s->shared)
        return 0;
    deadline_in(&dl, WINDOW_WAIT_S * 1000L);
    s->want_window++;
    pthread_cond_signal(&s->j_cond);
    while (!s->window_open) {
        if (s->failed || pthread_cond_timedwait(&s->win_cond, &s->mu, &dl) == ETIMEDOUT) {
            rc = s->window_open ? 0 : -1;
            break;
        }
    }
    s->want_window--;
    /* The committer closes the window once no handler waits for it. */
    pthread_cond_signal(&s->j_cond);
    return rc;
}

/* ---- the change feed: copies of rows, folded into memory under mu ---- */

typedef struct feed {
    dc__write *head, *tail;
    int oom;
    int mode_s; /* the Mode S rows were read (all of them, after the changes) */
} feed;

/* Queues a write of kind holding a copy of the row rec (size bytes, its
 * strings still borrowed); NULL (and f->oom) when out of memory. */
static dc__write *feed_add(feed *f, dc__write_kind kind, const void *rec, size_t size)
{
    dc__write *w = dc__write_new(kind);
    if (!w) {
        f->oom = 1;
        return NULL;
    }
    memcpy(&w->u, rec, size);
    if (f->tail)
        f->tail->next = w;
    else
        f->head = w;
    f->tail = w;
    return w;
}

/* Copies str into w->strs[i]; the copy, or NULL (and f->oom) */
static const char *keep(feed *f, dc__write *w, int i, const char *str)
{
    if (!(w->strs[i] = dc_strdup(str ? str : "")))
        f->oom = 1;
    return w->strs[i];
}

/* The change feed's visitors: a copy of each row with its strings kept. */
static int feed_operator(void *ctx, const dc_store_operator *o)
{
    dc__write *w = feed_add(ctx, DC__W_OPERATOR, o, sizeof *o);
    if (w) {
        w->u.o.id = keep(ctx, w, 0, o->id);
        w->u.o.name = keep(ctx, w, 1, o->name);
    }
    return ((feed *)ctx)->oom;
}

static int feed_key(void *ctx, const dc_store_key *k)
{
    dc__write *w = feed_add(ctx, DC__W_KEY, k, sizeof *k);
    if (w)
        w->u.k.prefix = keep(ctx, w, 0, k->prefix);
    return ((feed *)ctx)->oom;
}

static int feed_entry(void *ctx, const dc_store_entry *e)
{
    /* Every string, the name too: the row's own memory is gone once the
     * visitor returns (a name left pointing into it was written back as
     * garbage by the next commit on a shared PostgreSQL store). */
    const char *from[6] = {e->id, e->state, e->volumes_json, e->exempt_json, e->note, e->name};
    const char **to[6] = {NULL};
    dc__write *w = feed_add(ctx, DC__W_ENTRY, e, sizeof *e);
    if (!w)
        return 1;
    to[0] = &w->u.e.id;
    to[1] = &w->u.e.state;
    to[2] = &w->u.e.volumes_json;
    to[3] = &w->u.e.exempt_json;
    to[4] = &w->u.e.note;
    to[5] = &w->u.e.name;
    for (int i = 0; i < 6; i++)
        *to[i] = keep(ctx, w, i, from[i]);
    return ((feed *)ctx)->oom;
}

static int feed_mode_s(void *ctx, const dc_store_mode_s *m)
{
    dc__write *w = feed_add(ctx, DC__W_MODE_S, m, sizeof *m);
    if (w) {
        w->u.ms.holder = keep(ctx, w, 0, m->holder);
        w->u.ms.addresses = keep(ctx, w, 1, m->addresses);
    }
    return ((feed *)ctx)->oom;
}

static dc_status feed_read(dc_server *s, int64_t after, int in_txn, feed *f, dc_store_head *head)
{
    dc_status rc = dc_store_changes_since(s->store, after, in_txn, feed_operator, feed_key,
                                          feed_entry, f, head);
    /* Mode S rows are not in the change feed: when another instance
     * committed, read them all again (a small table), still outside mu. */
    if (rc == DC_OK && !f->oom && head->change_seq > after) {
        rc = dc_store_mode_s_each(s->store, feed_mode_s, f);
        f->mode_s = rc == DC_OK;
    }
    return rc == DC_OK && f->oom ? DC_ENOMEM : rc;
}

/* Under mu: folds the rows into memory. A row that cannot be applied means
 * memory no longer matches the store: reload it whole. */
static void feed_apply(dc_server *s, feed *f, const dc_store_head *head)
{
    dc_error err = {{0}, {0}};
    dc__load_ctx l = {s, DC_OK, &err};
    /* The rows replace the Mode S state unless memory is already newer (the
     * committer folded in a later head while the follower read this one). */
    int mode_s = f->mode_s && head->change_seq >= s->sync_seq;
    if (mode_s)
        dc__mode_s_free(s);
    for (dc__write *w = f->head; w && l.rc == DC_OK; w = w->next) {
        if (w->kind == DC__W_OPERATOR)
            dc__load_operator(&l, &w->u.o);
        else if (w->kind == DC__W_KEY)
            dc__load_key(&l, &w->u.k);
        else if (w->kind == DC__W_ENTRY)
            dc__load_entry(&l, &w->u.e);
        else if (w->kind == DC__W_MODE_S && mode_s)
            dc__load_mode_s(&l, &w->u.ms);
    }
    if (l.rc != DC_OK) {
        fprintf(stderr, "deconflict: cannot fold in a change (%s: %s); reloading\n",
                dc_status_str(l.rc), err.reason);
        if (s->reload(s, &err) != DC_OK)
            s->failed = 1;
        return;
    }
    if (head->change_seq > s->sync_seq)
        s->sync_seq = head->change_seq;
}

/* ---- the committer on a shared store ---- */

/* The store's reconnect count: it moves when a connection was lost and
 * opened again, perhaps on another server (a failover, docs/ha.md). */
static uint64_t store_epoch(dc_server *s)
{
    dc_store_conn_stats st;
    return dc_store_get_conn_stats(s->store, &st) == DC_OK ? st.reconnects : 0;
}

/* Under mu: after a failover memory may hold what the new primary lacks
 * (a change that was visible on the old one but never replicated), and a
 * failed reload leaves it empty. Either way requests get 503 (s->failed)
 * until memory is rebuilt from the store as it is now. */
static void resync(dc_server *s)
{
    uint64_t epoch = store_epoch(s);
    if (!s->failed && epoch == s->store_epoch)
        return;
    dc_error err = {{0}, {0}};
    s->failed = 1;
    pthread_cond_broadcast(&s->win_cond);
    if (s->j_head) /* decided on the memory being dropped: fail their waiters */
        dc__batch_finish(s, s->batch_open++, DC_ESTORE);
    if (s->reload(s, &err) != DC_OK)
        return; /* the store is still away: again on the next wake-up */
    s->store_epoch = epoch;
    s->failed = 0;
    atomic_fetch_add(&s->m.resyncs, 1);
    fprintf(stderr, "deconflict: memory rebuilt from the store (reconnect %llu)\n",
            (unsigned long long)epoch);
}

/* Under mu: handlers waiting for a window answer 503 now; then 100 ms
 * without mu before the store is tried again. */
static void fail_waiters_pause(dc_server *s)
{
    pthread_cond_broadcast(&s->win_cond);
    pthread_mutex_unlock(&s->mu);
    struct timespec pause = {0, 100 * 1000000L};
    nanosleep(&pause, NULL);
    pthread_mutex_lock(&s->mu);
}

void *dc__sync_committer_main(void *arg)
{
    dc_server *s = arg;
    pthread_mutex_lock(&s->mu);
    s->store_epoch = store_epoch(s);
    for (;;) {
        resync(s);
        while (!s->want_window && !s->j_head && !s->stopping) {
            struct timespec tick;
            deadline_in(&tick, FOLLOW_POLL_MS);
            pthread_cond_timedwait(&s->j_cond, &s->mu, &tick);
            resync(s);
        }
        if (!s->want_window && !s->j_head && s->stopping)
            break;
        if (s->failed) { /* the waiting handlers answer 503 */
            fail_waiters_pause(s);
            continue;
        }
        int64_t after = s->sync_seq;
        pthread_mutex_unlock(&s->mu);

        dc_store_head head;
        feed f = {0};
        dc_status rc = dc_store_begin_locked(s->store, &head);
        if (rc == DC_OK && head.change_seq > after)
            rc = feed_read(s, after, 1, &f, &head);
        if (rc != DC_OK) {
            /* No token (store unreachable): waiting handlers answer 503 at once. */
            dc_store_rollback(s->store);
            dc__writes_free(f.head);
            pthread_mutex_lock(&s->mu);
            if (rc == DC_ESTORE)
                s->failed = 1;
            fail_waiters_pause(s);
            continue;
        }

        pthread_mutex_lock(&s->mu);
        /* Another server since memory was built, or a store behind memory:
         * never decide on that; rebuild first. */
        if (store_epoch(s) != s->store_epoch || head.change_seq < after) {
            dc_store_rollback(s->store);
            dc__writes_free(f.head);
            s->failed = 1;
            continue;
        }
        feed_apply(s, &f, &head);
        dc__writes_free(f.head);
        /* A failure leaves memory behind: the next leaf's index then
         * collides, the batch fails and memory is reloaded. */
        if (dc__tlog_follow(s) != DC_OK)
            fprintf(stderr, "deconflict: cannot fold in the log's new leaves\n");
        dc__tlog_cosigned_follow(s, head.change_seq);
        s->audit_seq = head.audit_seq;
        memcpy(s->audit_hash, head.audit_hash, sizeof s->audit_hash);
        s->window_open = 1;
        pthread_cond_broadcast(&s->win_cond);
        struct timespec dl;
        deadline_in(&dl, WINDOW_MAX_MS);
        while (s->want_window && !s->failed &&
               pthread_cond_timedwait(&s->j_cond, &s->mu, &dl) != ETIMEDOUT)
            ;
        s->window_open = 0;
        dc__write *batch = s->j_head;
        s->j_head = s->j_tail = NULL;
        uint64_t b = s->batch_open++;
        pthread_mutex_unlock(&s->mu);

        size_t n = 0;
        if (batch && (rc = dc__batch_apply(s->store, batch, &n)) == DC_OK)
            rc = dc_store_commit(s->store);
        else
            dc_store_rollback(s->store); /* nothing decided, or a failed write */
        dc__writes_free(batch);
        atomic_fetch_add(&s->m.commits, 1);
        atomic_fetch_add(&s->m.committed_writes, n);

        pthread_mutex_lock(&s->mu);
        if (rc == DC_OK && batch) {
            s->sync_seq = head.change_seq + 1; /* ours: nobody else could commit */
            if (s->tlog.cosig_seq == head.change_seq)
                s->tlog.cosig_seq++; /* its checkpoint and lines are in memory already */
        }
        dc__batch_finish(s, b, rc);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- the follower: others' commits between windows ---- */

void dc__sync_catch_up(dc_server *s)
{
    if (!s->shared)
        return;
    pthread_mutex_lock(&s->mu);
    int64_t after = s->sync_seq;
    pthread_mutex_unlock(&s->mu);
    feed f = {0};
    dc_store_head head;
    if (feed_read(s, after, 0, &f, &head) == DC_OK) {
        pthread_mutex_lock(&s->mu);
        if (store_epoch(s) != s->store_epoch || head.change_seq < after) {
            s->failed = 1; /* the committer rebuilds memory */
            pthread_cond_signal(&s->j_cond);
        } else if (head.change_seq > after) {
            feed_apply(s, &f, &head);
        }
        pthread_mutex_unlock(&s->mu);
    }
    dc__writes_free(f.head);
}

static void *follower_main(void *arg)
{
    dc_server *s = arg;
    while (!atomic_load(&s->follower_stop)) {
        dc_store_wait_change(s->store, FOLLOW_POLL_MS);
        dc__sync_catch_up(s);
        if (s->on_follow)
            s->on_follow(s); /* tactical alerts, from whichever instance */
    }
    return NULL;
}

dc_status dc__follower_start(dc_server *s)
{
    if (!s->shared)
        return DC_OK;
    atomic_store(&s->follower_stop, 0);
    return dc__thread_start(&s->follower, follower_main, s);
}

void dc__follower_stop(dc_server *s)
{
    atomic_store(&s->follower_stop, 1); /* it polls the flag */
    dc__thread_stop(&s->follower, NULL, NULL, NULL);
}
