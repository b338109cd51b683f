/* Transparency log: an RFC 6962 Merkle tree over salted commitments to the
 * audit records, and Ed25519-signed checkpoints in the C2SP tlog-checkpoint
 * and signed-note formats. Leaf hash = SHA-256(0x00 || data), node hash =
 * SHA-256(0x01 || left || right); a record's leaf data is
 * SHA-256(salt || canonical audit bytes) with a 32-byte random salt, so a
 * proof's sibling hashes say nothing of other records. Padding leaves have
 * 32 random bytes as data. See docs/transparency.md. */
#ifndef DECONFLICT_TLOG_H
#define DECONFLICT_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "deconflict/status.h"

enum { DC_TLOG_MAX_PROOF = 64 }; /* hashes in any proof of a tree < 2^63 leaves */

/* SHA-256(0x00 || data). */
void dc_tlog_leaf_hash(const uint8_t *data, size_t len, uint8_t out[32]);
/* SHA-256(0x01 || l || r). */
void dc_tlog_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32]);
/* A record's leaf data: SHA-256(salt || entry). */
void dc_tlog_commit(const uint8_t salt[32], const char *entry, size_t len, uint8_t out[32]);

/* Root of the first n leaf hashes (borrowed); n = 0 gives SHA-256(""). */
void dc_tlog_root(const uint8_t (*leaves)[32], uint64_t n, uint8_t out[32]);
/* RFC 6962 audit path of leaf index in the tree of the first n leaves,
 * leaf level first (as Go's tlog.RecordProof). DC_EINVAL if index >= n. */
dc_status dc_tlog_inclusion_proof(const uint8_t (*leaves)[32], uint64_t n, uint64_t index,
                                  uint8_t proof[DC_TLOG_MAX_PROOF][32], size_t *len);
/* RFC 6962 consistency proof from size m to size n (0 < m <= n). */
dc_status dc_tlog_consistency_proof(const uint8_t (*leaves)[32], uint64_t m, uint64_t n,
                                    uint8_t proof[DC_TLOG_MAX_PROOF][32], size_t *len);
/* RFC 9162 2.1.3.2: DC_OK when the proof joins leaf to root; DC_ECORRUPT if not. */
dc_status dc_tlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
                                   const uint8_t (*proof)[32], size_t len, const uint8_t root[32]);
/* RFC 9162 2.1.4.2: DC_OK when the proof joins root_m (size m) to root_n. */
dc_status dc_tlog_verify_consistency(uint64_t m, uint64_t n, const uint8_t (*proof)[32], size_t len,
                                     const uint8_t root_m[32], const uint8_t root_n[32]);

/* The right edge of a growing tree: the roots of its perfect subtrees, one
 * per set bit of n (level i holds 2^i leaves). Appending is O(1) amortized
 * and the root O(log n), so a checkpoint never rehashes the whole tree.
 * Zero-initialise for the empty tree. */
typedef struct dc_tlog_frontier {
    uint64_t n;
    uint8_t level[64][32];
} dc_tlog_frontier;
void dc_tlog_frontier_append(dc_tlog_frontier *f, const uint8_t leaf[32]);
/* Equals dc_tlog_root over the same n leaves. */
void dc_tlog_frontier_root(const dc_tlog_frontier *f, uint8_t out[32]);

/* The free slots of the log's open block (docs/transparency.md): a record
 * takes a uniformly random free slot, so its index says nothing of how
 * many records came before it in the block. Zero-initialise; reset makes
 * all size slots free. */
typedef struct dc_tlog_slots {
    uint32_t *free; /* free[0 .. n_free) are the free slots */
    uint32_t *pos;  /* pos[slot]: its place in free; >= n_free when taken */
    uint32_t n_free, size, cap;
} dc_tlog_slots;
/* All size slots free; fails (DC_ENOMEM) only when size is the largest yet. */
dc_status dc_tlog_slots_reset(dc_tlog_slots *s, uint32_t size);
/* Adds free slots up to size, the taken ones staying taken. */
dc_status dc_tlog_slots_grow(dc_tlog_slots *s, uint32_t size);
/* Takes the free slot number rnd % n_free (n_free > 0) and returns it;
 * with a uniform 64-bit rnd every free slot is equally likely. */
uint32_t dc_tlog_slots_take_random(dc_tlog_slots *s, uint64_t rnd);
/* Takes a given slot: 0, or 1 when it is out of range or already taken. */
int dc_tlog_slots_take(dc_tlog_slots *s, uint32_t slot);
int dc_tlog_slots_is_free(const dc_tlog_slots *s, uint32_t slot);
void dc_tlog_slots_free(dc_tlog_slots *s);

/* ---- keys and signed notes (Ed25519 through OpenSSL EVP) ---- */

/* A key is its 32-byte Ed25519 seed. name is the log's origin line: no
 * space, no '+', at most 200 bytes. */
dc_status dc_tlog_key_new(uint8_t seed[32]);
/* The note verifier key "name+hash8+base64(0x01 || public key)"; cap >= 300. */
dc_status dc_tlog_verifier_key(const char *name, const uint8_t seed[32], char *out, size_t cap);
/* A signed checkpoint: "origin\nsize\nbase64(root)\n\n— name base64(keyhash || sig)\n".
 * *note is dc_malloc'd (caller frees with dc_free). */
dc_status dc_tlog_checkpoint_sign(const char *origin, const uint8_t seed[32], uint64_t size,
                                  const uint8_t root[32], char **note);

/* A checkpoint opened against a verifier key. */
typedef struct dc_tlog_checkpoint {
    char origin[256];
    uint64_t size;
    uint8_t root[32];
} dc_tlog_checkpoint;
/* DC_OK with cp filled when note carries a valid signature by vkey over a
 * well-formed checkpoint of vkey's name; DC_ECORRUPT for a missing or bad
 * signature; DC_EINVAL for a malformed note or key (err names why). */
dc_status dc_tlog_checkpoint_open(const char *note, const char *vkey, dc_tlog_checkpoint *cp,
                                  dc_error *err);

/* ---- witness cosignatures (C2SP tlog-cosignature, Ed25519 cosignature/v1) ---- */

/* A cosigner's verifier key "name+hash8+base64(0x04 || public key)", key
 * hash SHA-256(name || "\n" || 0x04 || public key)[:4]; cap >= 300. */
dc_status dc_tlog_cosigner_key(const char *name, const uint8_t seed[32], char *out, size_t cap);
/* DC_OK when vkey is a well-formed cosigner key (type 0x04). */
dc_status dc_tlog_cosigner_key_check(const char *vkey);
/* The cosignature line "— name base64(keyhash || u64 time_s big-endian ||
 * Ed25519 sig)\n" over "cosignature/v1\ntime <time_s>\n" || text, where
 * text is the checkpoint's text (the note up to and including the newline
 * before its blank line). cap >= 400. */
dc_status dc_tlog_cosign(const char *name, const uint8_t seed[32], uint64_t time_s,
                         const char *text, size_t text_len, char *line, size_t cap);
/* Checks one signature line (with or without its newline) against vkey:
 * DC_OK (*time_s, may be NULL, gets its timestamp), DC_ENOTFOUND when the
 * line is another key's (name or key hash differ), DC_ECORRUPT when it
 * claims vkey but does not verify, DC_EINVAL for a malformed vkey. */
dc_status dc_tlog_cosignature_check(const char *text, size_t text_len, const char *line,
                                    size_t line_len, const char *vkey, uint64_t *time_s);
/* How many of the n_keys cosigner keys (distinct) have a valid cosignature
 * on note (a signed note: text, blank line, signature lines); *forged (may
 * be NULL) counts lines that claim one of them and do not verify. */
size_t dc_tlog_cosigned_by(const char *note, const char *const *vkeys, size_t n_keys,
                           size_t *forged);

/* Base64 (standard alphabet, padded). encode: out needs 4*ceil(n/3)+1 bytes.
 * decode: DC_EINVAL unless in is exactly n bytes' worth of canonical base64. */
void dc_tlog_b64(const uint8_t *in, size_t n, char *out);
dc_status dc_tlog_unb64(const char *in, size_t in_len, uint8_t *out, size_t n);

#endif
