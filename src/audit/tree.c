/* The transparency log's side of `audit verify`: every record has exactly
 * one leaf whose hash is its salted commitment, and every stored signed
 * checkpoint opens under the store's log key with the root of that many
 * leaves. So rewriting a record (even with its chain rebuilt) or removing
 * the last leaves shows against the latest checkpoint. Records sit in
 * random slots of their blocks, so they are matched to leaves by seq, not
 * by order; the open block after the latest checkpoint may have holes,
 * nothing below it may. docs/transparency.md. */
#include <stdio.h>
#include <string.h>

#include "deconflict/audit.h"
#include "deconflict/tlog.h"

typedef struct tree_ctx {
    uint8_t (*hash)[32];
    int64_t *seq;
    uint8_t (*salt)[32];
    size_t n, cap;
    dc_status rc;
    int64_t next_seq; /* the audit record next expected */
    dc_audit_report *rep;
    int64_t last_cp;
    const char *vkey;
    size_t first_hole; /* SIZE_MAX: none */
    size_t holes;
    dc_store *store; /* to read leaves appended while verifying */
} tree_ctx;

/* A hole (no leaf at that index) is kept as seq -1. */
static int leaf_visit(void *ctx, const dc_store_leaf *l)
{
    tree_ctx *t = ctx;
    if (l->idx < (int64_t)t->n || l->idx > ((int64_t)1 << 40)) {
        snprintf(t->rep->reason, sizeof t->rep->reason, "leaf %lld out of order",
                 (long long)l->idx);
        t->rc = DC_ECORRUPT;
        return 1;
    }
    while ((size_t)l->idx >= t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        void *h = dc_realloc(t->hash, cap * 32), *s = NULL, *q = NULL;
        if (h)
            t->hash = h;
        if (h && (s = dc_realloc(t->salt, cap * 32)))
            t->salt = s;
        if (s && (q = dc_realloc(t->seq, cap * sizeof *t->seq)))
            t->seq = q;
        if (!q) {
            t->rc = DC_ENOMEM;
            return 1;
        }
        t->cap = cap;
    }
    if (t->n < (size_t)l->idx && t->first_hole == SIZE_MAX)
        t->first_hole = t->n;
    while (t->n < (size_t)l->idx) {
        memset(t->hash[t->n], 0, 32);
        t->seq[t->n++] = -1;
        t->holes++;
    }
    memcpy(t->hash[t->n], l->hash, 32);
    memcpy(t->salt[t->n], l->salt, 32);
    t->seq[t->n++] = l->seq;
    return 0;
}

static int record_visit(void *ctx, const dc_audit_record *r)
{
    tree_ctx *t = ctx;
    t->next_seq = r->seq;
    t->rep->records++;
    return 0;
}

/* Leaf i holds record r: its hash must be the commitment to r. */
typedef struct leaf_of {
    tree_ctx *t;
    size_t i;
} leaf_of;

static int check_record(void *ctx, const dc_audit_record *r)
{
    leaf_of *lo = ctx;
    tree_ctx *t = lo->t;
    uint8_t data[32], h[32];
    dc_tlog_commit(t->salt[lo->i], r->entry, r->entry_len, data);
    dc_tlog_leaf_hash(data, 32, h);
    if (r->seq != t->seq[lo->i] || memcmp(h, t->hash[lo->i], 32)) {
        t->rep->bad_seq = t->seq[lo->i];
        snprintf(t->rep->reason, sizeof t->rep->reason,
                 "leaf %zu does not commit to audit record %lld", lo->i, (long long)t->seq[lo->i]);
        t->rc = DC_ECORRUPT;
    }
    return 1;
}

static int checkpoint_visit(void *ctx, const dc_store_checkpoint *c)
{
    tree_ctx *t = ctx;
    dc_tlog_checkpoint cp;
    dc_error err = {{0}, {0}};
    uint8_t root[32];
    dc_status rc = dc_tlog_checkpoint_open(c->note, t->vkey, &cp, &err);
    if (rc != DC_OK || cp.size != (uint64_t)c->size) {
        snprintf(t->rep->reason, sizeof t->rep->reason,
                 "checkpoint %lld: bad signature or note%s%s", (long long)c->size,
                 err.reason[0] ? ": " : "", err.reason);
        t->rc = DC_ECORRUPT;
        return 1;
    }
    /* Servers keep appending while we verify: a checkpoint newer than the
     * leaves read first has its leaves committed by now, unless the log was
     * truncated. Records take random free slots of the open block, so the
     * new ones may fill holes below the last leaf read: read them all again. */
    if ((cp.size > t->n || t->first_hole < cp.size) && t->store) {
        t->n = 0;
        t->holes = 0;
        t->first_hole = SIZE_MAX;
        if (dc_store_leaf_each(t->store, -1, leaf_visit, t) != DC_OK)
            t->rc = DC_ESTORE;
    }
    if (t->rc != DC_OK)
        return 1;
    if (cp.size > t->n) {
        snprintf(t->rep->reason, sizeof t->rep->reason,
                 "log truncated: checkpoint of %llu leaves, %zu in the store",
                 (unsigned long long)cp.size, t->n);
        t->rc = DC_ECORRUPT;
        return 1;
    }
    if (t->first_hole < cp.size) {
        snprintf(t->rep->reason, sizeof t->rep->reason,
                 "leaf %zu missing under the checkpoint of %llu leaves", t->first_hole,
                 (unsigned long long)cp.size);
        t->rc = DC_ECORRUPT;
        return 1;
    }
    dc_tlog_root((const uint8_t(*)[32])t->hash, cp.size, root);
    if (memcmp(root, cp.root, 32)) {
        snprintf(t->rep->reason, sizeof t->rep->reason,
                 "the first %llu leaves do not hash to the signed root",
                 (unsigned long long)cp.size);
        t->rc = DC_ECORRUPT;
        return 1;
    }
    t->last_cp = c->size;
    return 0;
}

static dc_status verifier_key(dc_store *s, char *vkey, size_t cap)
{
    char *hex = NULL, *origin = NULL;
    uint8_t seed[32];
    dc_status rc = dc_store_meta_get(s, "tlog_key", &hex);
    if (rc == DC_OK)
        rc = dc_store_meta_get(s, "tlog_origin", &origin);
    if (rc == DC_OK) {
        rc = strlen(hex) == 64 ? DC_OK : DC_ECORRUPT;
        for (int i = 0; rc == DC_OK && i < 32; i++) {
            unsigned v;
            if (sscanf(hex + 2 * i, "%2x", &v) != 1)
                rc = DC_ECORRUPT;
            seed[i] = (uint8_t)v;
        }
    }
    if (rc == DC_OK)
        rc = dc_tlog_verifier_key(origin, seed, vkey, cap);
    dc_free(hex);
    dc_free(origin);
    return rc;
}

dc_status dc_audit_log_key(dc_store *s, char *vkey, size_t cap)
{
    return verifier_key(s, vkey, cap);
}

dc_status dc_audit_verify_log(dc_store *s, dc_audit_report *rep, int64_t *checkpoint_size)
{
    char vkey[320];
    tree_ctx t = {.rep = rep, .first_hole = SIZE_MAX};
    memset(rep, 0, sizeof *rep);
    *checkpoint_size = 0;
    dc_status rc = verifier_key(s, vkey, sizeof vkey);
    if (rc == DC_ENOTFOUND) {
        snprintf(rep->reason, sizeof rep->reason, "the store has no transparency log key");
        return rc;
    }
    if (rc != DC_OK) {
        snprintf(rep->reason, sizeof rep->reason, "cannot read the log key");
        return rc;
    }
    t.vkey = vkey;
    t.store = s;
    if ((rc = dc_store_leaf_each(s, -1, leaf_visit, &t)) == DC_OK)
        rc = t.rc;
    if (rc == DC_OK && (rc = dc_store_audit_each(s, 0, 0, record_visit, &t)) == DC_OK)
        rc = t.rc;
    /* Every record has exactly one leaf, in some slot of its block;
     * padding leaves (seq 0) and the open block's holes (-1) between. */
    size_t *at = NULL;
    if (rc == DC_OK && !(at = dc_malloc(((size_t)t.next_seq + 1) * sizeof *at)))
        rc = DC_ENOMEM;
    for (int64_t q = 0; rc == DC_OK && q <= t.next_seq; q++)
        at[q] = SIZE_MAX;
    for (size_t i = 0; rc == DC_OK && i < t.n; i++) {
        if (t.seq[i] <= 0)
            continue;
        if (t.seq[i] > t.next_seq || at[t.seq[i]] != SIZE_MAX) {
            rep->bad_seq = t.seq[i];
            snprintf(rep->reason, sizeof rep->reason, "leaf %zu: audit record %lld %s", i,
                     (long long)t.seq[i],
                     t.seq[i] > t.next_seq ? "does not exist" : "has another leaf too");
            rc = DC_ECORRUPT;
            break;
        }
        at[t.seq[i]] = i;
    }
    for (int64_t want = 1; rc == DC_OK && want <= t.next_seq; want++) {
        if (at[want] == SIZE_MAX) {
            rep->bad_seq = want;
            snprintf(rep->reason, sizeof rep->reason, "audit record %lld has no leaf",
                     (long long)want);
            rc = DC_ECORRUPT;
            break;
        }
        leaf_of lo = {&t, at[want]};
        if ((rc = dc_store_audit_each(s, want - 1, 1, check_record, &lo)) == DC_OK)
            rc = t.rc;
    }
    dc_free(at);
    if (rc == DC_OK && (rc = dc_store_checkpoint_each(s, -1, checkpoint_visit, &t)) == DC_OK)
        rc = t.rc;
    rep->records = (int64_t)(t.n - t.holes); /* leaves, the open block's holes not counted */
    *checkpoint_size = t.last_cp;
    dc_free(t.hash);
    dc_free(t.salt);
    dc_free(t.seq);
    return rc;
}
