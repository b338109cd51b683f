/* GET /v1/log/...: the transparency log (docs/transparency.md). The
 * verifier key, the latest durable signed checkpoint, inclusion and
 * consistency proofs up to that checkpoint's size (open to every caller:
 * their hashes are salted commitments), and the caller's own receipts and
 * leaf data. A leaf of another party's record answers 404, like a leaf
 * that does not exist; the authority sees every record's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "deconflict/tlog.h"

static int log_off(dc__req *r)
{
    if (r->s->tlog.on)
        return 0;
    dc__reply_error(r, 404, "not_found", "log",
                    "no transparency log on a shared store (docs/transparency.md)");
    return 1;
}

static void reply_text(dc__req *r, const char *text)
{
    dc__buf b = {0};
    dc__buf_str(&b, text);
    dc__reply_buf(r, 200, "text/plain; charset=utf-8", &b);
}

void dc__api_log_key(dc__req *r, const char *unused)
{
    (void)unused;
    char line[330];
    if (log_off(r))
        return;
    snprintf(line, sizeof line, "%s\n", r->s->tlog.vkey); /* set at load, then read-only */
    reply_text(r, line);
}

/* A query argument 0 <= v <= max (lo for the minimum). */
static int arg_u64(dc__req *r, const char *name, uint64_t lo, uint64_t max, uint64_t *v)
{
    const char *t = dc__req_arg(r, name);
    char *end;
    if (!t || !*t || *t == '-' || *t == '+') {
        dc__reply_error(r, 400, "invalid", name, "required: a whole number");
        return -1;
    }
    unsigned long long x = strtoull(t, &end, 10);
    if (*end || x < lo || x > max) {
        char why[96];
        snprintf(why, sizeof why, "must be %llu..%llu (bounded by the latest checkpoint's size)",
                 (unsigned long long)lo, (unsigned long long)max);
        dc__reply_error(r, 400, "invalid", name, why);
        return -1;
    }
    *v = x;
    return 0;
}

/* The latest checkpoint with its witnesses' cosignatures; ?witnesses=K:
 * the newest recent one that K configured witnesses have cosigned. */
void dc__api_log_checkpoint(dc__req *r, const char *unused)
{
    (void)unused;
    uint64_t min = 0;
    int oom;
    if (log_off(r))
        return;
    if (dc__req_arg(r, "witnesses") && arg_u64(r, "witnesses", 0, DC_MAX_WITNESSES, &min))
        return;
    char *note = dc__tlog_cosigned_note(r->s, (unsigned)min, &oom);
    if (oom)
        dc__reply_status(r, DC_ENOMEM, NULL);
    else if (!note)
        dc__reply_error(r, 404, "not_found", "checkpoint",
                        min ? "no recent checkpoint has that many witnesses' cosignatures"
                            : "no checkpoint issued yet");
    else
        reply_text(r, note);
    dc_free(note);
}

/* POST {"checkpoint": note, "cosignature": lines}: a witness's cosignature
 * of one of the recent checkpoints, kept and served with it. The lines are
 * checked without mu, then kept and journaled in one batch; the answer
 * leaves once they are durable. */
static void cosignature_keep(dc__req *r, const char *cp, size_t len, const char *lines)
{
    dc_error err = {{0}, {0}};
    char *got[DC_MAX_WITNESSES] = {0};
    int journaled = 0;
    dc_status rc = dc__tlog_cosignature_check(r->s, cp, len, lines, got, &err);
    if (rc == DC_OK) {
        /* A replay of lines already kept (they are public: GET checkpoint
         * serves them) writes nothing and takes no write window, so
         * anyone repeating them cannot hold up decisions. */
        pthread_mutex_lock(&r->s->mu);
        int held = dc__tlog_cosignature_held(r->s, cp, len, got);
        pthread_mutex_unlock(&r->s->mu);
        if (held) {
            dc__reply_json(r, 200, json_pack("{s:b}", "accepted", 1));
            goto out;
        }
        if (dc__api_write_lock(r)) { /* 503 sent */
            pthread_mutex_unlock(&r->s->mu);
            goto out;
        }
        rc = dc__tlog_cosignature_keep(r->s, cp, len, got, &journaled, &err);
        if (rc == DC_OK) {
            dc__reply_json(r, 200, json_pack("{s:b}", "accepted", 1));
            if (journaled)
                dc__await(r);
        }
        pthread_mutex_unlock(&r->s->mu);
    }
    if (rc == DC_ENOTFOUND)
        dc__reply_error(r, 404, "not_found", err.field, err.reason);
    else if (rc == DC_EINVAL)
        dc__reply_error(r, 400, "invalid", err.field, err.reason);
    else if (rc != DC_OK)
        dc__reply_status(r, rc, NULL);
out:
    for (size_t k = 0; k < DC_MAX_WITNESSES; k++)
        dc_free(got[k]);
}

void dc__api_log_cosignature(dc__req *r, const char *unused)
{
    (void)unused;
    json_t *body;
    if (log_off(r) || !(body = dc__req_json(r)))
        return;
    const char *cp = json_string_value(json_object_get(body, "checkpoint"));
    const char *lines = json_string_value(json_object_get(body, "cosignature"));
    const char *sep = cp ? strstr(cp, "\n\n") : NULL;
    if (!cp || !sep)
        dc__reply_error(r, 400, "invalid", "checkpoint",
                        "required: the signed checkpoint as GET /v1/log/checkpoint serves it");
    else if (!lines || !*lines)
        dc__reply_error(r, 400, "invalid", "cosignature",
                        "required: one or more cosignature lines (C2SP tlog-cosignature)");
    else if (!r->s->cfg.n_witnesses)
        dc__reply_error(r, 400, "invalid", "cosignature", "this server names no witnesses");
    else
        cosignature_keep(r, cp, (size_t)(sep - cp) + 1, lines);
    json_decref(body);
}

/* A copy of the first n leaf hashes, so a proof is computed without mu:
 * leaves below a checkpoint's size never change. */
static uint8_t (*leaves_copy(dc_server *s, uint64_t *checkpoint_size))[32]
{
    pthread_mutex_lock(&s->mu);
    uint64_t n = (uint64_t)s->tlog.checkpoint_size;
    uint8_t(*h)[32] = dc_malloc(n ? n * 32 : 1);
    if (h)
        memcpy(h, s->tlog.hash, n * 32);
    pthread_mutex_unlock(&s->mu);
    *checkpoint_size = n;
    return h;
}

static json_t *proof_json(uint8_t p[][32], size_t len)
{
    json_t *a = json_array();
    for (size_t i = 0; i < len; i++) {
        char b[48];
        dc_tlog_b64(p[i], 32, b);
        json_array_append_new(a, json_string(b));
    }
    return a;
}

static void proof(dc__req *r, int consistency)
{
    uint8_t p[DC_TLOG_MAX_PROOF][32];
    uint64_t cs, a, b;
    size_t len;
    if (log_off(r))
        return;
    uint8_t(*h)[32] = leaves_copy(r->s, &cs);
    if (!h) {
        dc__reply_status(r, DC_ENOMEM, NULL);
        return;
    }
    if (!cs) {
        dc__reply_error(r, 404, "not_found", "checkpoint", "no checkpoint issued yet");
    } else if (consistency) {
        if (!arg_u64(r, "to", 1, cs, &b) && !arg_u64(r, "from", 1, b, &a) &&
            dc_tlog_consistency_proof((const uint8_t(*)[32])h, a, b, p, &len) == DC_OK)
            dc__reply_json(r, 200,
                           json_pack("{s:I, s:I, s:o}", "from", (json_int_t)a, "to", (json_int_t)b,
                                     "proof", proof_json(p, len)));
    } else {
        if (!arg_u64(r, "size", 1, cs, &b) && !arg_u64(r, "index", 0, b - 1, &a) &&
            dc_tlog_inclusion_proof((const uint8_t(*)[32])h, b, a, p, &len) == DC_OK) {
            char leaf[48];
            dc_tlog_b64(h[a], 32, leaf);
            dc__reply_json(r, 200,
                           json_pack("{s:I, s:I, s:s, s:o}", "index", (json_int_t)a, "size",
                                     (json_int_t)b, "leaf_hash", leaf, "proof",
                                     proof_json(p, len)));
        }
    }
    dc_free(h);
}

void dc__api_log_inclusion(dc__req *r, const char *unused)
{
    (void)unused;
    proof(r, 0);
}

void dc__api_log_consistency(dc__req *r, const char *unused)
{
    (void)unused;
    proof(r, 1);
}

/* ---- receipts: the caller's own leaves with their records ---- */

typedef struct one_record {
    json_t *entry;
} one_record;

static int record_visit(void *ctx, const dc_audit_record *rec)
{
    ((one_record *)ctx)->entry = json_stringn(rec->entry, rec->entry_len);
    return 1;
}

/* The receipt of leaf i (meta copied under mu): index, audit seq, salt and
 * the record's canonical bytes, from which the leaf hash follows. */
static json_t *receipt(dc_server *s, uint64_t i, const dc__leaf_meta *m)
{
    char salt[65];
    one_record rec = {NULL};
    if (dc_store_audit_each(s->store, m->seq - 1, 1, record_visit, &rec) != DC_OK || !rec.entry)
        return NULL;
    dc__hex(m->salt, 32, salt);
    return json_pack("{s:I, s:I, s:s, s:o}", "index", (json_int_t)i, "seq", (json_int_t)m->seq,
                     "salt", salt, "entry", rec.entry);
}

static int mine(const dc__req *r, const dc__leaf_meta *m)
{
    return m->seq > 0 && (r->is_authority || (m->party && m->party == r->who));
}

void dc__api_log_receipts(dc__req *r, const char *unused)
{
    (void)unused;
    enum { LIMIT = 100 };
    dc__leaf_meta got[LIMIT];
    uint64_t idx[LIMIT], after = 0, i;
    size_t n = 0;
    const char *a = dc__req_arg(r, "after");
    if (log_off(r))
        return;
    if (a && arg_u64(r, "after", 0, UINT64_MAX >> 1, &after))
        return;
    pthread_mutex_lock(&r->s->mu);
    uint64_t cs = (uint64_t)r->s->tlog.checkpoint_size;
    char *note = r->s->tlog.checkpoint ? dc_strdup(r->s->tlog.checkpoint) : NULL;
    for (i = a ? after + 1 : 0; i < cs && n < LIMIT; i++) {
        if (mine(r, &r->s->tlog.meta[i])) {
            got[n] = r->s->tlog.meta[i];
            idx[n++] = i;
        }
    }
    pthread_mutex_unlock(&r->s->mu);
    json_t *list = json_array();
    for (size_t k = 0; k < n; k++) {
        json_t *one = receipt(r->s, idx[k], &got[k]);
        if (!one) {
            json_decref(list);
            dc_free(note);
            dc__reply_status(r, DC_ESTORE, NULL);
            return;
        }
        json_array_append_new(list, one);
    }
    json_t *next = n == LIMIT ? json_integer((json_int_t)idx[n - 1]) : json_null();
    dc__reply_json(r, 200,
                   json_pack("{s:o, s:o, s:o}", "receipts", list, "next_after", next, "checkpoint",
                             note ? json_string(note) : json_null()));
    dc_free(note);
}

void dc__api_log_leaf(dc__req *r, const char *id)
{
    char *end;
    unsigned long long i = strtoull(id, &end, 10);
    dc__leaf_meta m;
    if (log_off(r))
        return;
    int found = 0;
    pthread_mutex_lock(&r->s->mu);
    if (*id >= '0' && *id <= '9' && !*end && i < (uint64_t)r->s->tlog.checkpoint_size &&
        mine(r, &r->s->tlog.meta[i])) {
        m = r->s->tlog.meta[i];
        found = 1;
    }
    pthread_mutex_unlock(&r->s->mu);
    /* Another party's leaf, a padding leaf and no leaf look the same. */
    if (!found) {
        dc__reply_error(r, 404, "not_found", "index", "no leaf of yours at this index");
        return;
    }
    json_t *one = receipt(r->s, i, &m);
    if (one)
        dc__reply_json(r, 200, one);
    else
        dc__reply_status(r, DC_ESTORE, NULL);
}
