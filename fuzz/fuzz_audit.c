/* Fuzz target: the audit chain's reader (dc_audit_verify, audit.h), which
 * parses every stored record (the canonical JSON of the audit export) and
 * checks it against the entries table. The records and entry rows come
 * from the input through a store backend held in memory (struct
 * dc_store_ops from src/store/store_int.h; SQLite would spend the time in
 * fsync, not in the parser). Two kinds of input:
 *  - raw records (any bytes, sequence numbers, hashes, chained or not):
 *    when verify says the chain holds, an independent check (OpenSSL
 *    SHA-256, jansson) must agree: seq 1..n, every hash chained, every
 *    entry carrying its seq, every row matching its subject's last digest;
 *    a broken chain names a record that exists;
 *  - a valid chain built with dc_audit_canonical, which must verify, then
 *    one byte of one record's entry or hash flipped, which must fail at
 *    exactly that record. */
#include <jansson.h>
#include <openssl/evp.h>

#include "deconflict/audit.h"
#include "fuzz_common.h"
#include "store/store_int.h"

#define MAX_RECORDS 16
#define MAX_ROWS 4

typedef struct mem_store {
    struct dc_store base;
    dc_audit_record rec[MAX_RECORDS];
    char *entry_buf[MAX_RECORDS];
    size_t n_rec;
    dc_store_entry row[MAX_ROWS];
    size_t n_row;
} mem_store;

static dc_status mem_entry_each(dc_store *s, dc_store_entry_fn fn, void *ctx)
{
    mem_store *m = (mem_store *)s;
    for (size_t i = 0; i < m->n_row; i++)
        if (fn(ctx, &m->row[i]))
            break;
    return DC_OK;
}

static dc_status mem_audit_each(dc_store *s, int64_t after, size_t limit, dc_store_audit_fn fn,
                                void *ctx)
{
    mem_store *m = (mem_store *)s;
    size_t sent = 0;
    for (size_t i = 0; i < m->n_rec && (!limit || sent < limit); i++)
        if (m->rec[i].seq > after) {
            sent++;
            if (fn(ctx, &m->rec[i]))
                break;
        }
    return DC_OK;
}

static const struct dc_store_ops mem_ops = {
    .name = "fuzz-memory",
    .entry_each = mem_entry_each,
    .audit_each = mem_audit_each,
};

static void sha256_chain(const uint8_t prev[32], const char *e, size_t n, uint8_t out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int len = 32;
    if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) || !EVP_DigestUpdate(c, prev, 32) ||
        !EVP_DigestUpdate(c, e, n) || !EVP_DigestFinal_ex(c, out, &len))
        abort();
    EVP_MD_CTX_free(c);
}

static const char *const ids[] = {"op_a", "op_b", "rs_c", ""};
static const char *const states[] = {"approved", "active", "withdrawn", "preempted"};

static void make_row(dc_store_entry *r, fz_reader *in, const char *id)
{
    *r = (dc_store_entry){id, 0, 1, 0, "approved", 1, "[]", "[]", "", 100, 100, ""};
    r->is_restriction = id[0] == 'r';
    r->state = states[fz_u8(in) % 4];
    r->version = fz_u8(in);
    r->priority = (int8_t)fz_u8(in);
    r->volumes_json = (fz_u8(in) & 1) ? "[{\"x\":1}]" : "[]";
}

/* The independent reading of what verify claims: everything holds. */
static void check_holds(const mem_store *m)
{
    uint8_t prev[32] = {0}, h[32];
    for (size_t i = 0; i < m->n_rec; i++) {
        const dc_audit_record *r = &m->rec[i];
        FZ_CHECK(r->seq == (int64_t)i + 1, "verify passed a sequence gap at record %zu", i + 1);
        sha256_chain(prev, r->entry, r->entry_len, h);
        FZ_CHECK(!memcmp(h, r->hash, 32), "verify passed a broken hash at seq %lld",
                 (long long)r->seq);
        json_t *j = json_loadb(r->entry, r->entry_len, JSON_ALLOW_NUL, NULL);
        FZ_CHECK(json_integer_value(json_object_get(j, "seq")) == r->seq,
                 "verify passed an entry without its seq at %lld", (long long)r->seq);
        json_decref(j);
        memcpy(prev, h, 32);
    }
    for (size_t k = 0; k < m->n_row; k++) {
        char want[65];
        dc_audit_entry_digest(&m->row[k], want);
        const char *last = NULL;
        json_t *keep = NULL;
        for (size_t i = 0; i < m->n_rec; i++) {
            json_t *j = json_loadb(m->rec[i].entry, m->rec[i].entry_len, JSON_ALLOW_NUL, NULL);
            const char *subj = json_string_value(json_object_get(j, "subject"));
            const char *d =
                json_string_value(json_object_get(json_object_get(j, "detail"), "entry_sha256"));
            if (subj && d && !strcmp(subj, m->row[k].id)) {
                json_decref(keep);
                keep = j;
                last = d;
            } else {
                json_decref(j);
            }
        }
        FZ_CHECK(last && !strcmp(last, want), "verify passed row %s against its chain",
                 m->row[k].id);
        json_decref(keep);
    }
}

static void add_record(mem_store *m, int64_t seq, char *entry, size_t len, const uint8_t *hash)
{
    dc_audit_record *r = &m->rec[m->n_rec];
    m->entry_buf[m->n_rec++] = entry;
    r->seq = seq;
    r->entry = entry;
    r->entry_len = len;
    memcpy(r->hash, hash, 32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reader in = {data, size};
    mem_store m;
    memset(&m, 0, sizeof m);
    m.base.ops = &mem_ops;
    uint8_t prev[32] = {0}, h[32];
    int mode = fz_u8(&in) & 1;
    if (mode == 0) {
        size_t n = fz_u8(&in) % 10;
        int64_t seq = 0;
        for (size_t i = 0; i < n; i++) {
            /* As a store keeps them: positive, unique, in order; gaps too. */
            uint8_t t = fz_u8(&in);
            seq += 1 + (t % 8 == 0 ? fz_u8(&in) % 3 : 0);
            size_t len = fz_u8(&in);
            if (len > in.n)
                len = in.n;
            char *e = malloc(len + 1);
            if (!e)
                abort();
            memcpy(e, in.p, len);
            e[len] = 0;
            in.p += len;
            in.n -= len;
            if (t & 1) {
                dc_audit_chain(prev, e, len, h);
            } else {
                for (int b = 0; b < 32; b++)
                    h[b] = fz_u8(&in);
            }
            memcpy(prev, h, 32);
            add_record(&m, seq, e, len, h);
        }
        m.n_row = fz_u8(&in) % (MAX_ROWS + 1);
        for (size_t k = 0; k < m.n_row; k++)
            make_row(&m.row[k], &in, ids[fz_u8(&in) % 4]);
        dc_audit_report rep;
        dc_status st = dc_audit_verify(&m.base, &rep);
        if (st == DC_OK)
            check_holds(&m);
        else
            FZ_CHECK(st == DC_ECORRUPT && rep.bad_seq >= 0 && rep.bad_seq <= seq + 1 &&
                         rep.reason[0],
                     "verify status %s, bad_seq %lld", dc_status_str(st), (long long)rep.bad_seq);
    } else {
        /* A valid chain over up to three subjects, one row each at most. */
        int has_row[3];
        for (int k = 0; k < 3; k++) {
            has_row[k] = fz_u8(&in) & 1;
            if (has_row[k])
                make_row(&m.row[m.n_row++], &in, ids[k]);
        }
        size_t n = 1 + fz_u8(&in) % 8;
        int mentioned[3] = {0};
        for (size_t i = 0; i < n + 3 && m.n_rec < MAX_RECORDS; i++) {
            int k;
            if (i < n) {
                k = fz_u8(&in) % 4; /* 3: a record about no entry */
            } else {                /* every row needs a record that carries its digest */
                k = (int)(i - n);
                if (!has_row[k] || mentioned[k])
                    continue;
            }
            json_t *detail = json_object();
            if (k < 3 && has_row[k]) {
                char dg[65];
                size_t r = 0;
                while (strcmp(m.row[r].id, ids[k]))
                    r++;
                dc_audit_entry_digest(&m.row[r], dg);
                json_object_set_new(detail, "entry_sha256", json_string(dg));
                mentioned[k] = 1;
            }
            json_object_set_new(detail, "note",
                                json_stringn((const char *)in.p, in.n < 6 ? in.n : 6));
            size_t len;
            char *e = dc_audit_canonical((int64_t)m.n_rec + 1, 1000 + (int64_t)i, "opr_x",
                                         "approve", k < 3 ? ids[k] : "key", detail, &len);
            json_decref(detail);
            FZ_CHECK(e, "canonical failed");
            char *copy = fz_cstr((const uint8_t *)e, len);
            dc_free(e);
            dc_audit_chain(prev, copy, len, h);
            memcpy(prev, h, 32);
            add_record(&m, (int64_t)m.n_rec + 1, copy, len, h);
        }
        dc_audit_report rep;
        dc_status st = dc_audit_verify(&m.base, &rep);
        FZ_CHECK(st == DC_OK, "a valid chain of %zu records failed at %lld: %s", m.n_rec,
                 (long long)rep.bad_seq, rep.reason);
        FZ_CHECK(rep.records == (int64_t)m.n_rec, "records %lld of %zu", (long long)rep.records,
                 m.n_rec);
        uint8_t t = fz_u8(&in);
        size_t k = fz_u8(&in) % m.n_rec;
        uint8_t flip = fz_u8(&in) | 1;
        if (t % 3) {
            if (t % 3 == 1)
                m.entry_buf[k][fz_u16(&in) % m.rec[k].entry_len] ^= flip;
            else
                m.rec[k].hash[fz_u8(&in) % 32] ^= flip;
            st = dc_audit_verify(&m.base, &rep);
            FZ_CHECK(st == DC_ECORRUPT && rep.bad_seq == (int64_t)k + 1,
                     "one flipped byte in record %zu: status %s, bad_seq %lld", k + 1,
                     dc_status_str(st), (long long)rep.bad_seq);
        }
    }
    for (size_t i = 0; i < m.n_rec; i++)
        free(m.entry_buf[i]);
    return 0;
}
