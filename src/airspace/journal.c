/* Group commit. Handlers decide and change the in-memory airspace under mu
 * and push their store writes here; one committer thread takes every write
 * queued so far, applies them in one transaction and commits (one fsync for
 * the whole batch), then wakes the waiters of that batch (an HTTP request
 * resumes its connection). So a 201 leaves only after its writes are durable, and the decision lock
 * is never held across an fsync. If a commit fails, memory is rebuilt from the store and every
 * request not yet durable gets an error. */
#include <stdio.h>
#include <string.h>

#include "airspace/airspace.h"
#include "util/log.h"

dc__write *dc__write_new(dc__write_kind kind)
{
    dc__write *w = dc_calloc(1, sizeof *w);
    if (w)
        w->kind = kind;
    return w;
}

void dc__write_free(dc__write *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < sizeof w->strs / sizeof w->strs[0]; i++)
        dc_free(w->strs[i]);
    dc_free(w);
}

dc_status dc__journal_push(dc_server *s, dc__write *w)
{
    w->next = NULL;
    if (s->j_tail)
        s->j_tail->next = w;
    else
        s->j_head = w;
    s->j_tail = w;
    pthread_cond_signal(&s->j_cond);
    return DC_OK;
}

static dc_status apply(dc_store *st, const dc__write *w)
{
    switch (w->kind) {
    case DC__W_ENTRY:
        return dc_store_entry_put(st, &w->u.e);
    case DC__W_OPERATOR:
        return dc_store_operator_put(st, &w->u.o);
    case DC__W_KEY:
        return dc_store_key_put(st, &w->u.k);
    case DC__W_AUDIT: {
        dc_status rc = dc_store_audit_append(st, &w->u.a);
        return rc == DC_OK && w->has_leaf ? dc_store_leaf_append(st, &w->leaf) : rc;
    }
    case DC__W_META:
        return dc_store_meta_put(st, w->u.meta.key, w->u.meta.value);
    case DC__W_LEAF:
        return dc_store_leaf_append(st, &w->u.leaf);
    case DC__W_CHECKPOINT:
        return dc_store_checkpoint_put(st, &w->u.cp);
    case DC__W_MODE_S:
        return dc_store_mode_s_put(st, &w->u.ms);
    case DC__W_COSIGNATURE:
        return dc_store_cosignature_put(st, &w->u.cs);
    }
    return DC_EINVAL;
}

dc_status dc__batch_apply(dc_store *st, const dc__write *w, size_t *n)
{
    dc_status rc = DC_OK;
    *n = 0;
    for (; rc == DC_OK && w; w = w->next, (*n)++)
        rc = apply(st, w);
    return rc;
}

static dc_status write_batch(dc_store *st, const dc__write *w, size_t *n)
{
    dc_status rc = dc_store_begin(st);
    if (rc == DC_OK)
        rc = dc__batch_apply(st, w, n);
    if (rc == DC_OK)
        rc = dc_store_commit(st);
    if (rc != DC_OK)
        dc_store_rollback(st);
    return rc;
}

void dc__writes_free(dc__write *w)
{
    while (w) {
        dc__write *next = w->next;
        dc__write_free(w);
        w = next;
    }
}

/* Under mu: a commit failed, so memory is ahead of the store. Drop the
 * writes queued since, rebuild from what is durable. */
static void recover(dc_server *s, dc_status rc)
{
    dc_error err = {{0}, {0}};
    fprintf(stderr, "deconflict: store commit failed (%s); reloading from the store\n",
            dc_status_str(rc));
    dc__writes_free(s->j_head);
    s->j_head = s->j_tail = NULL;
    if (s->reload(s, &err) != DC_OK) {
        fprintf(stderr, "deconflict: cannot reload the store: %s: %s\n", err.field, err.reason);
        s->failed = 1;
    }
}

void dc__journal_wait(dc_server *s, dc__waiter *w)
{
    w->batch = s->batch_open;
    w->done = 0;
    w->rc = DC_OK;
    w->next = s->waiters;
    s->waiters = w;
}

/* Under mu: each waiter of a batch up to b (every waiter when all) is done
 * with rc. Those waiting on commit_cond are woken by a broadcast, the others
 * (HTTP connections) by their callback, outside mu; returns with mu held. */
static void release_waiters(dc_server *s, int all, uint64_t b, dc_status rc)
{
    dc__waiter *done = NULL, **pp = &s->waiters;
    int wake_cond = 0;
    while (*pp) {
        dc__waiter *w = *pp;
        if (all || w->batch <= b) {
            *pp = w->next;
            w->rc = rc;
            w->done = 1;
            w->next = NULL;
            if (!w->wake) { /* its owner waits on commit_cond */
                wake_cond = 1;
                continue;
            }
            w->next = done;
            done = w;
        } else {
            pp = &w->next;
        }
    }
    if (wake_cond)
        pthread_cond_broadcast(&s->commit_cond);
    pthread_mutex_unlock(&s->mu);
    while (done) {
        dc__waiter *next = done->next;
        done->next = NULL;
        done->wake(done);
        done = next;
    }
    pthread_mutex_lock(&s->mu);
}

void dc__batch_finish(dc_server *s, uint64_t b, dc_status rc)
{
    s->batch_done = b;
    if (rc != DC_OK)
        recover(s, rc);
    /* After a failure every waiter fails: later batches were decided on
     * state that has just been discarded. */
    release_waiters(s, rc != DC_OK, b, rc);
}

void dc__journal_abandon(dc_server *s)
{
    pthread_mutex_lock(&s->mu);
    release_waiters(s, 1, 0, DC_ESTORE); /* outcome unknown: the client reads back */
    pthread_mutex_unlock(&s->mu);
}

static void *committer_main(void *arg)
{
    dc_server *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->j_head && !s->stopping)
            pthread_cond_wait(&s->j_cond, &s->mu);
        if (!s->j_head && s->stopping)
            break;
        dc__write *batch = s->j_head;
        s->j_head = s->j_tail = NULL;
        uint64_t b = s->batch_open++;
        pthread_mutex_unlock(&s->mu);

        size_t n;
        dc_status rc = write_batch(s->store, batch, &n);
        dc__writes_free(batch);
        atomic_fetch_add(&s->m.commits, 1);
        atomic_fetch_add(&s->m.committed_writes, n);

        pthread_mutex_lock(&s->mu);
        dc__batch_finish(s, b, rc);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

dc_status dc__committer_start(dc_server *s)
{
    dc_status rc =
        dc__thread_start(&s->committer, s->shared ? dc__sync_committer_main : committer_main, s);
    return rc == DC_OK ? dc__tlog_issuer_start(s) : rc;
}

/* The issuer first: it waits for commits. */
void dc__committer_stop(dc_server *s)
{
    dc__tlog_issuer_stop(s);
    dc__thread_stop(&s->committer, &s->mu, &s->j_cond, &s->stopping);
}

/* ---- entries and audit records into the journal ---- */

static char *exempt_json(const dc__entry *e)
{
    dc__buf b = {0};
    dc__buf_str(&b, "[");
    for (size_t i = 0; i < e->n_exempt; i++)
        dc__buf_fmt(&b, i ? ",%u" : "%u", e->exempt[i]);
    dc__buf_str(&b, "]");
    if (b.oom) {
        dc__buf_free(&b);
        return NULL;
    }
    return b.p;
}

/* The audit record, and its leaf in the transparency log (party's record). */
static dc_status journal_audit(dc_server *s, uint32_t party, const char *actor, const char *action,
                               const char *subject, json_t *detail)
{
    size_t len;
    int64_t seq = s->audit_seq + 1;
    dc__write *w = dc__write_new(DC__W_AUDIT);
    char *entry = dc_audit_canonical(seq, dc__unix_s(), actor, action, subject, detail, &len);
    json_decref(detail);
    if (!w || !entry) {
        dc_free(entry);
        dc__write_free(w);
        return DC_ENOMEM;
    }
    /* The leaf first: a record is never journaled without it. */
    dc_status rc = dc__tlog_record(s, seq, party, entry, len, &w->leaf, &w->has_leaf);
    if (rc != DC_OK) {
        dc_free(entry);
        dc__write_free(w);
        return rc;
    }
    w->strs[0] = entry;
    w->u.a.seq = seq;
    w->u.a.entry = entry;
    w->u.a.entry_len = len;
    dc_audit_chain(s->audit_hash, entry, len, w->u.a.hash);
    memcpy(s->audit_hash, w->u.a.hash, 32);
    s->audit_seq = seq;
    /* One log line per decision and state change: what the audit record
     * says, without its detail (which may name what others hold). */
    char seqs[24];
    snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
    dc__log("info", "decision", "audit_seq", seqs, "actor", actor, "action", action, "subject",
            subject, (const char *)NULL);
    return dc__journal_push(s, w);
}

dc_status dc__journal_audit(dc_server *s, const char *actor, const char *action,
                            const char *subject, json_t *detail)
{
    return journal_audit(s, 0, actor, action, subject, detail);
}

dc_status dc__journal_audit_for(dc_server *s, uint32_t party, const char *actor, const char *action,
                                const char *subject, json_t *detail)
{
    return journal_audit(s, party, actor, action, subject, detail);
}

dc_status dc__journal_entry(dc_server *s, const dc__entry *e, const char *actor, const char *action,
                            json_t *detail)
{
    char digest[65];
    dc__write *w = dc__write_new(DC__W_ENTRY);
    char *ex = exempt_json(e);
    if (!detail)
        detail = json_object();
    if (!w || !ex || !detail || !(w->strs[0] = dc_strdup(e->volumes_json)) ||
        !(w->strs[1] = dc_strdup(e->note ? e->note : "")) ||
        !(w->strs[4] = dc_strdup(e->name ? e->name : ""))) {
        dc__write_free(w);
        dc_free(ex);
        json_decref(detail);
        return DC_ENOMEM;
    }
    w->strs[2] = ex;
    w->u.e = (dc_store_entry){
        e->id,        e->is_restriction, e->owner, e->priority, dc__state_name(e->state),
        e->version,   w->strs[0],        ex,       w->strs[1],  e->created_s,
        e->updated_s, w->strs[4]};
    /* id and state are copied: the entry may change before the commit. */
    if (!(w->strs[3] = dc_strdup(e->id))) {
        dc__write_free(w);
        json_decref(detail);
        return DC_ENOMEM;
    }
    w->u.e.id = w->strs[3];
    dc_audit_entry_digest(&w->u.e, digest);
    json_object_set_new(detail, "entry_sha256", json_string(digest));
    json_object_set_new(detail, "state", json_string(dc__state_name(e->state)));
    json_object_set_new(detail, "version", json_integer(e->version));
    dc__journal_push(s, w);
    return journal_audit(s, e->owner == DC_OWNER_NONE ? 0 : e->owner, actor, action, e->id, detail);
}
