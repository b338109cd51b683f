/* Audit chain: every decision and state change is one record whose hash is
 * SHA-256(previous hash || canonical entry bytes), the first chaining from 32
 * zero bytes. Canonical bytes are compact JSON with sorted keys, stored
 * verbatim beside the hash. Records that change an operation or restriction
 * carry "entry_sha256", the digest of the stored row, so verify also catches
 * edits to the entries table. See docs/design.md section 7. */
#ifndef DECONFLICT_AUDIT_H
#define DECONFLICT_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "deconflict/store.h"

/* Canonical bytes of one record: {"action","actor","detail","seq","subject",
 * "time"}. detail is borrowed (may be NULL). Returns a dc_malloc'd NUL-ended
 * string (caller frees with dc_free) and its length, or NULL on ENOMEM. */
char *dc_audit_canonical(int64_t seq, int64_t time_s, const char *actor, const char *action,
                         const char *subject, const json_t *detail, size_t *len);

/* out = SHA-256(prev || entry). */
void dc_audit_chain(const uint8_t prev[32], const char *entry, size_t len, uint8_t out[32]);

/* Hex SHA-256 of an entries-table row (every column but the timestamps). */
void dc_audit_entry_digest(const dc_store_entry *e, char hex[65]);

typedef struct dc_audit_report {
    int64_t records; /* records checked */
    int64_t bad_seq; /* first broken record (0: none, or an entries row) */
    char reason[256];
} dc_audit_report;

/* Recomputes the chain of the store and checks every entries row against its
 * last audit record. DC_OK when everything holds; DC_ECORRUPT with rep naming
 * the first broken record; another status on a store error (rep->reason). */
dc_status dc_audit_verify(dc_store *s, dc_audit_report *rep);

/* The transparency log of the store (docs/transparency.md): every record
 * has one leaf, the salted commitment to it; every stored checkpoint opens
 * under the store's log key with the root of its first size leaves (so
 * removing the last records shows). rep->records counts leaves;
 * *checkpoint_size gets the latest checkpoint's size (0: none). DC_OK,
 * DC_ECORRUPT with rep->reason (and rep->bad_seq when a record is at fault),
 * DC_ENOTFOUND when the store has no log key, or a store error. */
dc_status dc_audit_verify_log(dc_store *s, dc_audit_report *rep, int64_t *checkpoint_size);
/* The store's log verifier key (note form); cap >= 300. */
dc_status dc_audit_log_key(dc_store *s, char *vkey, size_t cap);

#endif
