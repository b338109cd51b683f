/* RFC 6962 Merkle tree hashing, audit paths and consistency proofs over an
 * array of leaf hashes, and their verification (RFC 9162 2.1.3.2, 2.1.4.2).
 * Recursive on the largest power of two below n, so proofs come out leaf
 * level first like Go's sumdb/tlog. Work is O(n) per root or proof. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#include "deconflict/tlog.h"

/* SHA-256 of a || b; small inputs hash from the stack, the hot case. */
static void sha2(const void *a, size_t an, const void *b, size_t bn, uint8_t out[32])
{
    uint8_t buf[128];
    if (an + bn <= sizeof buf) {
        memcpy(buf, a, an);
        memcpy(buf + an, b, bn);
        SHA256(buf, an + bn, out);
        return;
    }
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    /* Allocation failure leaves a digest no proof can match. */
    memset(out, 0, 32);
    if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(c, a, an) == 1 &&
        EVP_DigestUpdate(c, b, bn) == 1)
        EVP_DigestFinal_ex(c, out, NULL);
    EVP_MD_CTX_free(c);
}

void dc_tlog_leaf_hash(const uint8_t *data, size_t len, uint8_t out[32])
{
    static const uint8_t z = 0;
    sha2(&z, 1, data, len, out);
}

void dc_tlog_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
    uint8_t buf[65];
    buf[0] = 1;
    memcpy(buf + 1, l, 32);
    memcpy(buf + 33, r, 32);
    SHA256(buf, sizeof buf, out);
}

void dc_tlog_commit(const uint8_t salt[32], const char *entry, size_t len, uint8_t out[32])
{
    sha2(salt, 32, entry, len, out);
}

/* Largest power of two strictly below n (n >= 2). */
static uint64_t split(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

static void mth(const uint8_t (*d)[32], uint64_t n, uint8_t out[32])
{
    if (n == 1) {
        memcpy(out, d[0], 32);
        return;
    }
    uint8_t l[32], r[32];
    uint64_t k = split(n);
    mth(d, k, l);
    mth(d + k, n - k, r);
    dc_tlog_node_hash(l, r, out);
}

void dc_tlog_root(const uint8_t (*leaves)[32], uint64_t n, uint8_t out[32])
{
    if (n == 0) {
        SHA256((const unsigned char *)"", 0, out);
        return;
    }
    mth(leaves, n, out);
}

static void path(const uint8_t (*d)[32], uint64_t n, uint64_t m, uint8_t (*p)[32], size_t *len)
{
    if (n <= 1)
        return;
    uint64_t k = split(n);
    if (m < k) {
        path(d, k, m, p, len);
        mth(d + k, n - k, p[(*len)++]);
    } else {
        path(d + k, n - k, m - k, p, len);
        mth(d, k, p[(*len)++]);
    }
}

dc_status dc_tlog_inclusion_proof(const uint8_t (*leaves)[32], uint64_t n, uint64_t index,
                                  uint8_t proof[DC_TLOG_MAX_PROOF][32], size_t *len)
{
    *len = 0;
    if (index >= n)
        return DC_EINVAL;
    path(leaves, n, index, proof, len);
    return DC_OK;
}

static void subproof(const uint8_t (*d)[32], uint64_t m, uint64_t n, int whole, uint8_t (*p)[32],
                     size_t *len)
{
    if (m == n) {
        if (!whole)
            mth(d, n, p[(*len)++]);
        return;
    }
    uint64_t k = split(n);
    if (m <= k) {
        subproof(d, m, k, whole, p, len);
        mth(d + k, n - k, p[(*len)++]);
    } else {
        subproof(d + k, m - k, n - k, 0, p, len);
        mth(d, k, p[(*len)++]);
    }
}

dc_status dc_tlog_consistency_proof(const uint8_t (*leaves)[32], uint64_t m, uint64_t n,
                                    uint8_t proof[DC_TLOG_MAX_PROOF][32], size_t *len)
{
    *len = 0;
    if (m == 0 || m > n)
        return DC_EINVAL;
    subproof(leaves, m, n, 1, proof, len);
    return DC_OK;
}

dc_status dc_tlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
                                   const uint8_t (*proof)[32], size_t len, const uint8_t root[32])
{
    if (index >= size)
        return DC_ECORRUPT;
    uint64_t fn = index, sn = size - 1;
    uint8_t r[32];
    memcpy(r, leaf, 32);
    for (size_t i = 0; i < len; i++) {
        if (sn == 0)
            return DC_ECORRUPT;
        if ((fn & 1) || fn == sn) {
            dc_tlog_node_hash(proof[i], r, r);
            if (!(fn & 1))
                while (fn != 0 && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            dc_tlog_node_hash(r, proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && !memcmp(r, root, 32) ? DC_OK : DC_ECORRUPT;
}

dc_status dc_tlog_verify_consistency(uint64_t m, uint64_t n, const uint8_t (*proof)[32], size_t len,
                                     const uint8_t root_m[32], const uint8_t root_n[32])
{
    if (m == 0 || m > n)
        return DC_ECORRUPT;
    if (m == n)
        return len == 0 && !memcmp(root_m, root_n, 32) ? DC_OK : DC_ECORRUPT;
    /* If m is a power of two, the old root is the proof's implicit first node. */
    const uint8_t *first;
    size_t i = 0;
    if ((m & (m - 1)) == 0) {
        first = root_m;
    } else {
        if (len == 0)
            return DC_ECORRUPT;
        first = proof[0];
        i = 1;
    }
    uint64_t fn = m - 1, sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[32], sr[32];
    memcpy(fr, first, 32);
    memcpy(sr, first, 32);
    for (; i < len; i++) {
        if (sn == 0)
            return DC_ECORRUPT;
        if ((fn & 1) || fn == sn) {
            dc_tlog_node_hash(proof[i], fr, fr);
            dc_tlog_node_hash(proof[i], sr, sr);
            if (!(fn & 1))
                while (fn != 0 && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            dc_tlog_node_hash(sr, proof[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && !memcmp(fr, root_m, 32) && !memcmp(sr, root_n, 32) ? DC_OK : DC_ECORRUPT;
}

void dc_tlog_frontier_append(dc_tlog_frontier *f, const uint8_t leaf[32])
{
    uint8_t h[32];
    int i = 0;
    memcpy(h, leaf, 32);
    /* Carry like a binary increment: equal-sized subtrees merge. */
    for (; (f->n >> i) & 1; i++)
        dc_tlog_node_hash(f->level[i], h, h);
    memcpy(f->level[i], h, 32);
    f->n++;
}

void dc_tlog_frontier_root(const dc_tlog_frontier *f, uint8_t out[32])
{
    int have = 0;
    if (f->n == 0) {
        dc_tlog_root(NULL, 0, out);
        return;
    }
    /* RFC 6962 splits at the largest power of two, so the smallest subtree
     * is the deepest right child: fold from the lowest set bit up. */
    for (int i = 0; i < 64; i++) {
        if (!((f->n >> i) & 1))
            continue;
        if (have)
            dc_tlog_node_hash(f->level[i], out, out);
        else
            memcpy(out, f->level[i], 32);
        have = 1;
    }
}
