/* The transparency log of the audit records (docs/transparency.md): a leaf
 * per record, journaled in the record's own batch, so the tree is durable
 * exactly when the decision is. The tree grows in blocks of log_block
 * leaves: a record takes a random free slot of the open block (so its
 * index does not count the records before it); a full block is sealed, and
 * an issuer thread every log_interval_s fills the open block's free slots
 * with random padding (a whole block when nothing happened, so sizes show
 * blocks, not records), seals it, signs a checkpoint and publishes it once
 * it is durable. On a shared store the committer folds the other
 * instances' leaves in at each window (dc__tlog_follow), and slots are
 * taken and the issuer pads and signs only inside a window. */
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "airspace/airspace.h"
#include "deconflict/tlog.h"

dc_status dc__tlog_key_init(dc_store *st, dc_error *err)
{
    uint8_t seed[32];
    char hex[65], rnd[9], origin[64];
    if (dc_tlog_key_new(seed) != DC_OK || dc__random_hex(rnd, 4))
        return dc_error_set(err, "store", "no randomness available"), DC_EIO;
    dc__hex(seed, 32, hex);
    snprintf(origin, sizeof origin, "deconflict.local/log/%s", rnd);
    dc_status rc = dc_store_meta_put(st, "tlog_key", hex);
    if (rc == DC_OK)
        rc = dc_store_meta_put(st, "tlog_origin", origin);
    if (rc != DC_OK)
        dc_error_set(err, "store", "cannot store the log key: %s", dc_status_str(rc));
    return rc;
}

dc_status dc__tlog_init_leaf(dc_store *st, int64_t idx, const dc_audit_record *r)
{
    dc_store_leaf l = {.idx = idx, .seq = r->seq};
    uint8_t data[32];
    if (RAND_bytes(l.salt, 32) != 1)
        return DC_EIO;
    dc_tlog_commit(l.salt, r->entry, r->entry_len, data);
    dc_tlog_leaf_hash(data, 32, l.hash);
    return dc_store_leaf_append(st, &l);
}

/* Room for the sealed leaves and the whole open block. */
static dc_status grow(dc__tlog *t)
{
    size_t need = t->n + (t->slots.size > t->block ? t->slots.size : t->block);
    if (need <= t->cap)
        return DC_OK;
    size_t cap = t->cap ? 2 * t->cap : 1024;
    while (cap < need)
        cap *= 2;
    uint8_t(*h)[32] = dc_realloc(t->hash, cap * sizeof *h);
    if (!h)
        return DC_ENOMEM;
    t->hash = h;
    dc__leaf_meta *m = dc_realloc(t->meta, cap * sizeof *m);
    if (!m)
        return DC_ENOMEM;
    t->meta = m;
    t->cap = cap;
    return DC_OK;
}

/* The open block is full: its leaves join the right edge, a new one opens. */
static void seal(dc__tlog *t)
{
    for (uint32_t i = 0; i < t->slots.size; i++)
        dc_tlog_frontier_append(&t->edge, t->hash[t->n + i]);
    t->n += t->slots.size;
    dc_tlog_slots_reset(&t->slots, t->block); /* not the largest yet: cannot fail */
}

/* Puts a leaf in a random free slot of the open block (sealing it when it
 * is full); *row (when non-NULL) gets its store row, *index its index. */
static dc_status append(dc__tlog *t, int64_t seq, uint32_t party, const char *entry, size_t len,
                        dc_store_leaf *row, size_t *index)
{
    dc_status rc = grow(t);
    uint8_t data[32], salt[32];
    uint64_t rnd;
    if (rc != DC_OK)
        return rc;
    if (RAND_bytes(salt, 32) != 1 || RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
        return DC_EIO;
    size_t i = t->n + dc_tlog_slots_take_random(&t->slots, rnd);
    dc__leaf_meta *m = &t->meta[i];
    memcpy(m->salt, salt, 32);
    m->seq = seq;
    m->party = party;
    if (entry)
        dc_tlog_commit(m->salt, entry, len, data);
    else
        memcpy(data, m->salt, 32); /* padding: the random bytes are the data */
    dc_tlog_leaf_hash(data, 32, t->hash[i]);
    if (row) {
        *row = (dc_store_leaf){.idx = (int64_t)i, .seq = seq, .party = party};
        memcpy(row->salt, m->salt, 32);
        memcpy(row->hash, t->hash[i], 32);
    }
    if (index)
        *index = i;
    if (!t->slots.n_free)
        seal(t);
    return DC_OK;
}

static dc_status journal_leaf(dc_server *s, int64_t seq, uint32_t party, const char *entry,
                              size_t len)
{
    dc__write *w = dc__write_new(DC__W_LEAF);
    if (!w)
        return DC_ENOMEM;
    dc_status rc = append(&s->tlog, seq, party, entry, len, &w->u.leaf, NULL);
    if (rc != DC_OK) {
        dc__write_free(w);
        return rc;
    }
    return dc__journal_push(s, w);
}

/* Keeps the record's bytes for its receipt; the buffer only grows, so a
 * decision does not allocate for it once warm. */
static dc_status keep_last(dc__tlog *t, size_t index, const char *entry, size_t len)
{
    if (len + 1 > t->last_cap) {
        size_t cap = len + 1 > 2 * t->last_cap ? len + 1 : 2 * t->last_cap;
        char *p = dc_realloc(t->last_entry, cap);
        if (!p)
            return DC_ENOMEM;
        t->last_entry = p;
        t->last_cap = cap;
    }
    memcpy(t->last_entry, entry, len);
    t->last_entry[len] = 0;
    t->last_len = len;
    t->last_index = (int64_t)index;
    return DC_OK;
}

dc_status dc__tlog_record(dc_server *s, int64_t seq, uint32_t party, const char *entry, size_t len,
                          dc_store_leaf *row, int *has_row)
{
    *has_row = 0;
    if (!s->tlog.on)
        return DC_OK;
    size_t index;
    dc_status rc = append(&s->tlog, seq, party, entry, len, row, &index);
    *has_row = rc == DC_OK;
    if (rc == DC_OK && keep_last(&s->tlog, index, entry, len) != DC_OK)
        s->tlog.last_index = -1; /* no receipt, but the record stands */
    return rc;
}

json_t *dc__tlog_receipt(dc_server *s, int64_t after, uint32_t who, int is_authority)
{
    const dc__tlog *t = &s->tlog;
    char salt[65];
    if (!t->on || t->last_index < 0)
        return NULL;
    const dc__leaf_meta *m = &t->meta[t->last_index];
    /* Never another party's record: a decision whose own record failed to
     * journal must not hand out the record before it. */
    if (m->seq <= after || !(is_authority || (m->party && m->party == who)))
        return NULL;
    dc__hex(m->salt, 32, salt);
    return json_pack("{s:I, s:I, s:s, s:s%}", "index", (json_int_t)t->last_index, "seq",
                     (json_int_t)m->seq, "salt", salt, "entry", t->last_entry, t->last_len);
}

/* Padding into every free slot of the open block, which seals it. */
static dc_status fill_block(dc_server *s)
{
    size_t n = s->tlog.n;
    dc_status rc = DC_OK;
    while (rc == DC_OK && s->tlog.n == n)
        rc = journal_leaf(s, 0, 0, NULL, 0);
    return rc;
}

dc_status dc__tlog_issue(dc_server *s, char **note)
{
    dc__tlog *t = &s->tlog;
    uint8_t root[32];
    dc_status rc = DC_OK;
    *note = NULL;
    /* The open block sealed if it holds anything; at least one new block
     * per checkpoint, all padding when nothing happened. */
    if (t->slots.n_free < t->slots.size)
        rc = fill_block(s);
    while (rc == DC_OK && t->n <= (size_t)t->checkpoint_size)
        rc = fill_block(s);
    if (rc != DC_OK)
        return rc;
    dc_tlog_frontier_root(&t->edge, root); /* under mu: O(log n), not O(n) */
    if ((rc = dc_tlog_checkpoint_sign(t->origin, t->seed, t->n, root, note)) != DC_OK)
        return rc;
    dc__write *w = dc__write_new(DC__W_CHECKPOINT);
    if (!w || !(w->strs[0] = dc_strdup(*note))) {
        dc__write_free(w);
        dc_free(*note);
        *note = NULL;
        return DC_ENOMEM;
    }
    w->u.cp = (dc_store_checkpoint){(int64_t)t->n, w->strs[0]};
    return dc__journal_push(s, w);
}

static void *issuer_main(void *arg)
{
    dc_server *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->tlog.stop) {
        struct timespec dl;
        dc__mono_deadline(&dl, s->cfg.log_interval_s);
        while (!s->tlog.stop && pthread_cond_timedwait(&s->tlog.cond, &s->mu, &dl) == 0)
            ;
        if (s->tlog.stop || s->failed)
            continue;
        /* On a shared store the padding and the checkpoint are writes like
         * a decision's: inside a window, on a tree with every instance's
         * leaves folded in. dc__write_lock returns with mu held. */
        if (s->shared) {
            pthread_mutex_unlock(&s->mu);
            if (dc__write_lock(s) || s->tlog.stop)
                continue;
        }
        char *note = NULL;
        dc__waiter w = {0};
        if (dc__tlog_issue(s, &note) != DC_OK) {
            dc_free(note);
            continue;
        }
        /* The size signed: the tree may grow before the commit. */
        int64_t size = (int64_t)s->tlog.n;
        dc__journal_wait(s, &w);
        while (!w.done)
            pthread_cond_wait(&s->commit_cond, &s->mu);
        /* Served only once durable: a checkpoint lost in a crash and then
         * reissued with another root would look like a fork. On a shared
         * store a window may have adopted it (or a later one) meanwhile. */
        if (w.rc == DC_OK && size > s->tlog.checkpoint_size) {
            dc_free(s->tlog.checkpoint);
            s->tlog.checkpoint = note;
            s->tlog.checkpoint_size = size;
            note = NULL;
            /* Without memory the ring keeps the previous checkpoint: it is
             * served (and cosigned) until the next one is pushed. */
            dc__tlog_cosigned_push(&s->tlog, size, s->tlog.checkpoint);
        }
        dc_free(note);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

dc_status dc__tlog_issuer_start(dc_server *s)
{
    if (!s->tlog.on)
        return DC_OK;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->tlog.cond, &ca);
    pthread_condattr_destroy(&ca);
    s->tlog.stop = 0;
    dc_status rc = dc__thread_start(&s->tlog.issuer, issuer_main, s);
    if (rc != DC_OK)
        pthread_cond_destroy(&s->tlog.cond);
    return rc;
}

void dc__tlog_issuer_stop(dc_server *s)
{
    if (!s->tlog.issuer.started)
        return;
    dc__thread_stop(&s->tlog.issuer, &s->mu, &s->tlog.cond, &s->tlog.stop);
    pthread_cond_destroy(&s->tlog.cond);
}

/* ---- loading ---- */

typedef struct load_ctx {
    dc_server *s;
    dc_status rc;
    int64_t max_seq;
} load_ctx;

/* Leaves come in index order. Those below the latest checkpoint are all
 * there, one after the other; from it on the tree is in blocks: full ones
 * sealed, the last one open with its holes (free slots). On a shared store
 * a fold reads the open block again: a leaf already held is skipped. */
static int load_leaf(void *ctx, const dc_store_leaf *l)
{
    load_ctx *c = ctx;
    dc__tlog *t = &c->s->tlog;
    int64_t slot = l->idx - (int64_t)t->n;
    int one_by_one = l->idx < t->checkpoint_size && t->slots.n_free == t->slots.size;
    c->rc = DC_ECORRUPT;
    if (l->idx < 0 || (one_by_one && slot != 0))
        return 1;
    /* An open block longer than log_block: written before log_block was
     * made smaller. Its leaves stay where they are; it is sealed whole,
     * rounded up to whole blocks. */
    if (!one_by_one && slot >= (int64_t)t->slots.size &&
        (slot >= (int64_t)1 << 24 ||
         (c->rc = dc_tlog_slots_grow(&t->slots, (uint32_t)(slot / t->block + 1) * t->block)) !=
             DC_OK))
        return 1;
    if ((c->rc = grow(t)) != DC_OK)
        return 1;
    /* Held already: one of ours, in the open block or in a block the fold
     * has just filled up and sealed. */
    if (slot < 0 || (!one_by_one && !dc_tlog_slots_is_free(&t->slots, (uint32_t)slot))) {
        c->rc = memcmp(t->hash[l->idx], l->hash, 32) ? DC_ECORRUPT : DC_OK;
        return c->rc != DC_OK;
    }
    c->rc = DC_OK;
    memcpy(t->hash[l->idx], l->hash, 32);
    t->meta[l->idx] = (dc__leaf_meta){.seq = l->seq, .party = l->party};
    memcpy(t->meta[l->idx].salt, l->salt, 32);
    if (one_by_one) {
        dc_tlog_frontier_append(&t->edge, l->hash);
        t->n++;
    } else {
        dc_tlog_slots_take(&t->slots, (uint32_t)slot);
        if (!t->slots.n_free)
            seal(t);
    }
    if (l->seq > c->max_seq)
        c->max_seq = l->seq;
    return 0;
}

dc_status dc__tlog_follow(dc_server *s)
{
    load_ctx c = {s, DC_OK, 0};
    if (!s->tlog.on)
        return DC_OK;
    dc_status rc = dc_store_leaf_each(s->store, (int64_t)s->tlog.n - 1, load_leaf, &c);
    return rc == DC_OK ? c.rc : rc;
}

static int load_checkpoint(void *ctx, const dc_store_checkpoint *cp)
{
    load_ctx *c = ctx;
    dc__tlog *t = &c->s->tlog;
    char *note = dc_strdup(cp->note);
    if (!note) {
        c->rc = DC_ENOMEM;
        return 1;
    }
    dc_free(t->checkpoint);
    t->checkpoint = note;
    t->checkpoint_size = cp->size;
    /* The last DC__COSIGNED stay in the ring, for their cosignatures. */
    c->rc = dc__tlog_cosigned_push(t, cp->size, note);
    return c->rc != DC_OK;
}

/* Audit records without a leaf get one, written at once. The owner of an
 * entry's record is not known here, so these leaves name no party. */
static int backfill(void *ctx, const dc_audit_record *r)
{
    load_ctx *c = ctx;
    dc_store_leaf row;
    if ((c->rc = append(&c->s->tlog, r->seq, 0, r->entry, r->entry_len, &row, NULL)) == DC_OK)
        c->rc = dc_store_leaf_append(c->s->store, &row);
    return c->rc != DC_OK;
}

static dc_status read_key(dc_server *s, dc_error *err)
{
    char *hex = NULL, *origin = NULL;
    dc_status rc = dc_store_meta_get(s->store, "tlog_key", &hex);
    if (rc == DC_ENOTFOUND) {
        if ((rc = dc__tlog_key_init(s->store, err)) != DC_OK)
            return rc;
        rc = dc_store_meta_get(s->store, "tlog_key", &hex);
    }
    if (rc == DC_OK)
        rc = dc_store_meta_get(s->store, "tlog_origin", &origin);
    if (rc != DC_OK)
        goto done;
    rc = DC_ECORRUPT;
    if (strlen(hex) != 64 || strlen(origin) >= sizeof s->tlog.origin)
        goto done;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            goto done;
        s->tlog.seed[i] = (uint8_t)v;
    }
    snprintf(s->tlog.origin, sizeof s->tlog.origin, "%s", origin);
    rc = dc_tlog_verifier_key(s->tlog.origin, s->tlog.seed, s->tlog.vkey, sizeof s->tlog.vkey);
done:
    if (rc != DC_OK && !err->reason[0])
        dc_error_set(err, "store", "cannot read the log key: %s", dc_status_str(rc));
    dc_free(hex);
    dc_free(origin);
    return rc;
}

dc_status dc__tlog_load(dc_server *s, dc_error *err)
{
    load_ctx c = {s, DC_OK, 0};
    dc_status rc;
    s->tlog.last_index = -1;
    if (s->cfg.log_off)
        return DC_OK;
    if ((rc = read_key(s, err)) != DC_OK)
        return rc;
    s->tlog.block = s->cfg.log_block ? s->cfg.log_block : 1;
    if ((rc = dc_tlog_slots_reset(&s->tlog.slots, s->tlog.block)) != DC_OK)
        return dc_error_set(err, "store", "cannot load the transparency log: %s",
                            dc_status_str(rc)),
               rc;
    /* The checkpoints first: the blocks start at the latest one. */
    if ((rc = dc_store_checkpoint_each(s->store, -1, load_checkpoint, &c)) == DC_OK &&
        c.rc == DC_OK)
        rc = dc_store_leaf_each(s->store, -1, load_leaf, &c);
    /* Backfill writes; on a shared store it would race the other
     * instances, and init has already written its records' leaves. */
    if (rc == DC_OK && c.rc == DC_OK && !s->shared && (rc = dc_store_begin(s->store)) == DC_OK) {
        rc = dc_store_audit_each(s->store, c.max_seq, 0, backfill, &c);
        if (rc == DC_OK && (rc = c.rc) == DC_OK)
            rc = dc_store_commit(s->store);
        if (rc != DC_OK)
            dc_store_rollback(s->store);
    }
    if (rc == DC_OK)
        rc = c.rc;
    if (rc == DC_OK)
        rc = dc__tlog_cosigned_load(s);
    if (rc != DC_OK)
        return dc_error_set(err, "store", "cannot load the transparency log: %s",
                            dc_status_str(rc)),
               rc;
    s->tlog.on = 1;
    return DC_OK;
}

void dc__tlog_free(dc_server *s)
{
    dc__tlog *t = &s->tlog;
    dc_free(t->hash);
    dc_free(t->meta);
    dc_free(t->checkpoint);
    dc_free(t->last_entry);
    dc__tlog_cosigned_free(t);
    dc_tlog_slots_free(&t->slots);
    t->block = 0;
    t->last_entry = NULL;
    t->last_len = t->last_cap = 0;
    t->last_index = -1;
    t->hash = NULL;
    t->meta = NULL;
    t->checkpoint = NULL;
    t->n = t->cap = 0;
    memset(&t->edge, 0, sizeof t->edge);
    t->checkpoint_size = 0;
    t->on = 0;
}
