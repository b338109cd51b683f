/* Audit chain: canonical entry bytes, the SHA-256 chain and offline
 * verification of a store (include/deconflict/audit.h). Verification trusts
 * nothing in the store: it recomputes every hash from the stored bytes and
 * checks that sequence numbers are dense and match the entries they hash. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deconflict/audit.h"

char *dc_audit_canonical(int64_t seq, int64_t time_s, const char *actor, const char *action,
                         const char *subject, const json_t *detail, size_t *len)
{
    char *out = NULL;
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (json_object_set_new(o, "seq", json_integer(seq)) ||
        json_object_set_new(o, "time", json_integer(time_s)) ||
        json_object_set_new(o, "actor", json_string(actor ? actor : "")) ||
        json_object_set_new(o, "action", json_string(action)) ||
        json_object_set_new(o, "subject", json_string(subject ? subject : "")) ||
        json_object_set(o, "detail", detail ? (json_t *)detail : json_null()))
        goto done;
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    if (s) {
        out = dc_strdup(s);
        free(s);
        if (out && len)
            *len = strlen(out);
    }
done:
    json_decref(o);
    return out;
}

/* SHA-256 over n parts; EVP is the non-deprecated OpenSSL 3 interface. */
static void sha256_parts(const void *const *parts, const size_t *lens, size_t n, uint8_t out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int olen = 32;
    /* Allocation failure leaves a digest that matches nothing: verification
     * then fails closed rather than passing. */
    memset(out, 0, 32);
    if (!c)
        return;
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (size_t i = 0; i < n; i++)
        EVP_DigestUpdate(c, parts[i], lens[i]);
    EVP_DigestFinal_ex(c, out, &olen);
    EVP_MD_CTX_free(c);
}

void dc_audit_chain(const uint8_t prev[32], const char *entry, size_t len, uint8_t out[32])
{
    const void *parts[] = {prev, entry};
    const size_t lens[] = {32, len};
    sha256_parts(parts, lens, 2, out);
}

static void hex32(const uint8_t *d, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = 0;
}

void dc_audit_entry_digest(const dc_store_entry *e, char hex[65])
{
    char num[96];
    uint8_t d[32];
    snprintf(num, sizeof num, "%d\n%u\n%d\n%lld\n", e->is_restriction, e->owner, e->priority,
             (long long)e->version);
    const char *parts[] = {e->id, "\n", num, e->state, "\n", e->volumes_json, "\n",
                           e->exempt_json ? e->exempt_json : "[]", "\n", e->note ? e->note : "",
                           /* Only a named operation hashes its name: the
                            * digests of entries made before names stay. */
                           e->name && e->name[0] ? "\n" : "", e->name ? e->name : ""};
    enum { N = sizeof parts / sizeof parts[0] };
    const void *p[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        p[i] = parts[i];
        lens[i] = strlen(parts[i]);
    }
    sha256_parts(p, lens, N, d);
    hex32(d, hex);
}

/* Last entry digest per subject, as recorded by the chain. */
typedef struct subject_digest {
    char *subject;
    char digest[65];
} subject_digest;

typedef struct verify_ctx {
    dc_audit_report *rep;
    uint8_t prev[32];
    int64_t expect_seq;
    subject_digest *subj;
    size_t n_subj, cap_subj;
    int failed;
    int nomem;
} verify_ctx;

static int cmp_subject(const void *a, const void *b)
{
    return strcmp(((const subject_digest *)a)->subject, ((const subject_digest *)b)->subject);
}

static int record_digest(verify_ctx *v, const char *subject, const char *digest)
{
    if (v->n_subj == v->cap_subj) {
        size_t cap = v->cap_subj ? 2 * v->cap_subj : 64;
        subject_digest *n = dc_realloc(v->subj, cap * sizeof *n);
        if (!n)
            return -1;
        v->subj = n;
        v->cap_subj = cap;
    }
    subject_digest *sd = &v->subj[v->n_subj];
    if (!(sd->subject = dc_strdup(subject)))
        return -1;
    snprintf(sd->digest, sizeof sd->digest, "%s", digest);
    v->n_subj++;
    return 0;
}

static int fail_at(verify_ctx *v, int64_t seq, const char *reason)
{
    v->failed = 1;
    v->rep->bad_seq = seq;
    snprintf(v->rep->reason, sizeof v->rep->reason, "%s", reason);
    return 1;
}

static int verify_record(void *ctx, const dc_audit_record *r)
{
    verify_ctx *v = ctx;
    uint8_t h[32];
    if (r->seq != v->expect_seq)
        return fail_at(v, v->expect_seq, "record missing (sequence gap)");
    dc_audit_chain(v->prev, r->entry, r->entry_len, h);
    if (memcmp(h, r->hash, 32) != 0)
        return fail_at(v, r->seq, "hash does not match the chain");
    json_error_t je;
    json_t *j = json_loadb(r->entry, r->entry_len, JSON_ALLOW_NUL, &je);
    json_t *seq = j ? json_object_get(j, "seq") : NULL;
    if (!json_is_integer(seq) || json_integer_value(seq) != r->seq) {
        json_decref(j);
        return fail_at(v, r->seq, "entry does not carry its own sequence number");
    }
    const char *subject = json_string_value(json_object_get(j, "subject"));
    const char *digest =
        json_string_value(json_object_get(json_object_get(j, "detail"), "entry_sha256"));
    if (subject && digest && record_digest(v, subject, digest)) {
        json_decref(j);
        v->nomem = 1;
        return 1;
    }
    json_decref(j);
    memcpy(v->prev, h, 32);
    v->expect_seq++;
    v->rep->records++;
    return 0;
}

static int verify_entry(void *ctx, const dc_store_entry *e)
{
    verify_ctx *v = ctx;
    char hex[65], reason[200];
    subject_digest key = {(char *)e->id, ""};
    /* The chain lists a subject many times; the last record wins, so search
     * the stably sorted array and step to the last equal element. */
    subject_digest *sd =
        v->n_subj ? bsearch(&key, v->subj, v->n_subj, sizeof *v->subj, cmp_subject) : NULL;
    while (sd && sd + 1 < v->subj + v->n_subj && !strcmp(sd[1].subject, e->id))
        sd++;
    dc_audit_entry_digest(e, hex);
    if (!sd || strcmp(sd->digest, hex)) {
        snprintf(reason, sizeof reason, "entry %.60s does not match its last audit record", e->id);
        return fail_at(v, 0, reason);
    }
    return 0;
}

/* Sort that keeps chain order among equal subjects (mergesort by index). */
static void stable_sort(subject_digest *a, size_t n)
{
    if (n < 2)
        return;
    subject_digest *tmp = dc_malloc(n * sizeof *a);
    if (!tmp) {
        /* Fallback keeps correctness for distinct subjects only. */
        qsort(a, n, sizeof *a, cmp_subject);
        return;
    }
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cmp_subject(&a[j], &a[i]) < 0 ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
    dc_free(tmp);
}

dc_status dc_audit_verify(dc_store *s, dc_audit_report *rep)
{
    verify_ctx v = {.rep = rep, .expect_seq = 1};
    memset(rep, 0, sizeof *rep);
    dc_status rc = dc_store_audit_each(s, 0, 0, verify_record, &v);
    if (rc == DC_OK && v.nomem)
        rc = DC_ENOMEM;
    if (rc == DC_OK && !v.failed) {
        stable_sort(v.subj, v.n_subj);
        rc = dc_store_entry_each(s, verify_entry, &v);
    }
    if (rc != DC_OK && !v.failed)
        snprintf(rep->reason, sizeof rep->reason, "cannot read the store: %s", dc_status_str(rc));
    for (size_t i = 0; i < v.n_subj; i++)
        dc_free(v.subj[i].subject);
    dc_free(v.subj);
    if (rc != DC_OK)
        return rc;
    return v.failed ? DC_ECORRUPT : DC_OK;
}
