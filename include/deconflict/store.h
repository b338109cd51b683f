/* Durable store of the deconfliction service: operators, API keys, operations
 * and restrictions, and the audit chain. Backends (SQLite, PostgreSQL)
 * implement struct dc_store_ops; everything above this header is
 * backend-agnostic and one shared test suite runs against every backend.
 * Writes happen inside begin/commit; a commit returns only once durable
 * (SQLite: WAL with synchronous=FULL). Not thread-safe except audit_each,
 * which reads committed rows on its own connection and may run concurrently
 * with a writer. */
#ifndef DECONFLICT_STORE_H
#define DECONFLICT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "deconflict/status.h"

typedef struct dc_store dc_store;

/* An operator (or the authority). Strings borrowed for the call. */
typedef struct dc_store_operator {
    uint32_t number;  /* engine operator number (dc_entry_spec.owner) */
    const char *id;   /* public id, "opr_..." */
    const char *name; /* unique */
    int is_authority;
    int64_t created_s;
} dc_store_operator;

/* An API key: only the lookup prefix and a salted SHA-256 are stored. */
typedef struct dc_store_key {
    const char *prefix;       /* lookup column (a non-secret part of the key) */
    uint32_t operator_number; /* the engine's owner number, not the public id */
    uint8_t salt[16];
    uint8_t hash[32]; /* SHA-256(salt || key) */
    int revoked;
    int64_t created_s;
} dc_store_key;

/* An operation or a restriction, with its volumes as JSON text. */
typedef struct dc_store_entry {
    const char *id;
    int is_restriction;
    uint32_t owner; /* operator number; DC_OWNER_NONE for restrictions */
    int priority;
    const char *state; /* "approved", "active", ... */
    int64_t version;
    const char *volumes_json; /* JSON array of volumes (check-CLI form) */
    const char *exempt_json;  /* JSON array of exempt operator numbers */
    const char *note;         /* restriction name, or why the state changed */
    int64_t created_s, updated_s;
    const char *name; /* an operation's name from its owner ("" or NULL: none) */
} dc_store_entry;

/* Mode S addresses (docs/feeds.md): the authority's register of which
 * aircraft addresses belong to an operator (holder its public id "opr_...")
 * and those an operation declares (holder its id "op_..."). addresses:
 * comma-separated 6-hex-digit addresses, "" for none. Borrowed. */
typedef struct dc_store_mode_s {
    const char *holder;
    const char *addresses;
} dc_store_mode_s;

/* One audit record: entry holds the canonical bytes that were hashed. */
typedef struct dc_audit_record {
    int64_t seq; /* 1, 2, 3, ... */
    const char *entry;
    size_t entry_len;
    uint8_t hash[32]; /* SHA-256(hash of seq-1 || entry); seq 1 chains from 32 zero bytes */
} dc_audit_record;

/* One leaf of the transparency log (deconflict/tlog.h). seq is the audit
 * record it commits to, 0 for a padding leaf; party the operator number
 * whose record it is (0: none); salt the record's salt, or a padding leaf's
 * random data; hash the RFC 6962 leaf hash. */
typedef struct dc_store_leaf {
    int64_t idx; /* 0, 1, 2, ... */
    int64_t seq;
    uint32_t party;
    uint8_t salt[32];
    uint8_t hash[32];
} dc_store_leaf;

/* A signed checkpoint of the transparency log (note text, borrowed). */
typedef struct dc_store_checkpoint {
    int64_t size;
    const char *note;
} dc_store_checkpoint;

/* A witness's cosignature of the signed checkpoint of that size (C2SP
 * tlog-cosignature): witness is the cosigner verifier key it verified
 * against when posted, line the whole line "— NAME base64(...)\n". A reader
 * checks the line again against the keys it accepts. Borrowed. */
typedef struct dc_store_cosignature {
    int64_t size;
    const char *witness;
    const char *line;
} dc_store_cosignature;

/* Visitors: the records are borrowed for the call; return nonzero to stop. */
typedef int (*dc_store_operator_fn)(void *ctx, const dc_store_operator *o);
typedef int (*dc_store_key_fn)(void *ctx, const dc_store_key *k);
typedef int (*dc_store_entry_fn)(void *ctx, const dc_store_entry *e);
typedef int (*dc_store_audit_fn)(void *ctx, const dc_audit_record *r);
typedef int (*dc_store_leaf_fn)(void *ctx, const dc_store_leaf *l);
typedef int (*dc_store_checkpoint_fn)(void *ctx, const dc_store_checkpoint *c);
typedef int (*dc_store_cosignature_fn)(void *ctx, const dc_store_cosignature *c);
typedef int (*dc_store_mode_s_fn)(void *ctx, const dc_store_mode_s *m);

/* The committed head of a store shared by several server processes: the
 * last change batch and the end of the audit chain. */
typedef struct dc_store_head {
    int64_t change_seq; /* batches 1, 2, 3, ... in commit order, no gaps */
    int64_t audit_seq;
    uint8_t audit_hash[32];
} dc_store_head;

/* One alert published through a shared store (JSON text, borrowed). */
typedef struct dc_store_alert {
    int64_t seq;
    const char *body;
} dc_store_alert;
typedef int (*dc_store_alert_fn)(void *ctx, const dc_store_alert *a);

/* One batch of track reports forwarded through a shared store to the
 * instance that holds the monitoring lease. body is the server's own text
 * encoding; it never holds a tab, newline, carriage return or backslash. */
typedef struct dc_store_tracks {
    int64_t seq;              /* in commit order (set by the store) */
    uint32_t operator_number; /* the engine's owner number, not the public id */
    const char *body;         /* borrowed */
} dc_store_tracks;
typedef int (*dc_store_tracks_fn)(void *ctx, const dc_store_tracks *t);

/* A shared store's connection counters across failovers (docs/ha.md). */
typedef struct dc_store_conn_stats {
    uint64_t reconnects;          /* connections re-established after a loss */
    uint64_t timeouts;            /* statements given up (hung server) */
    uint64_t commits_unknown;     /* COMMITs whose answer was lost */
    uint64_t unknown_committed;   /* ... read back: had committed */
    uint64_t unknown_rolled_back; /* ... read back: had not */
    uint64_t unknown_unresolved;  /* ... could not be read back in time */
} dc_store_conn_stats;

/* The backend table. Every function returns DC_OK or a dc_status translated
 * from the backend's own errors (DC_ESTORE, DC_ENOTFOUND, DC_EEXIST). */
struct dc_store_ops {
    const char *name;
    void (*close)(dc_store *s);
    dc_status (*begin)(dc_store *s);
    dc_status (*commit)(dc_store *s);
    dc_status (*rollback)(dc_store *s);
    /* *value is dc_malloc'd (caller frees with dc_free); DC_ENOTFOUND if absent. */
    dc_status (*meta_get)(dc_store *s, const char *key, char **value);
    dc_status (*meta_put)(dc_store *s, const char *key, const char *value);
    dc_status (*operator_put)(dc_store *s, const dc_store_operator *o); /* insert or update */
    dc_status (*operator_each)(dc_store *s, dc_store_operator_fn fn, void *ctx);
    dc_status (*key_put)(dc_store *s, const dc_store_key *k); /* insert or update */
    dc_status (*key_each)(dc_store *s, dc_store_key_fn fn, void *ctx);
    dc_status (*entry_put)(dc_store *s, const dc_store_entry *e); /* insert or update */
    dc_status (*entry_each)(dc_store *s, dc_store_entry_fn fn, void *ctx);
    dc_status (*audit_append)(dc_store *s, const dc_audit_record *r); /* DC_EEXIST on seq reuse */
    /* Records with seq > after_seq in order, at most limit (0: all). */
    dc_status (*audit_each)(dc_store *s, int64_t after_seq, size_t limit, dc_store_audit_fn fn,
                            void *ctx);
    /* Transparency log: leaves in the decision's transaction (DC_EEXIST on
     * idx reuse), signed checkpoints (one per size, kept). Leaves with
     * idx > after_idx in order; checkpoints with size > after_size in size
     * order. Witness cosignatures: put inserts or replaces the row of
     * (size, witness) in the caller's transaction; each visits the rows with
     * size >= min_size in (size, witness) order. */
    dc_status (*leaf_append)(dc_store *s, const dc_store_leaf *l);
    dc_status (*leaf_each)(dc_store *s, int64_t after_idx, dc_store_leaf_fn fn, void *ctx);
    dc_status (*checkpoint_put)(dc_store *s, const dc_store_checkpoint *c);
    dc_status (*checkpoint_each)(dc_store *s, int64_t after_size, dc_store_checkpoint_fn fn,
                                 void *ctx);
    dc_status (*cosignature_put)(dc_store *s, const dc_store_cosignature *c);
    dc_status (*cosignature_each)(dc_store *s, int64_t min_size, dc_store_cosignature_fn fn,
                                  void *ctx);
    /* Mode S addresses by holder: put inserts or replaces the holder's row
     * (in the caller's transaction); each visits every row. */
    dc_status (*mode_s_put)(dc_store *s, const dc_store_mode_s *m);
    dc_status (*mode_s_each)(dc_store *s, dc_store_mode_s_fn fn, void *ctx);

    /* ---- Optional: stores shared by several processes (PostgreSQL). A
     * single-process backend (SQLite) leaves these NULL. See
     * docs/multi-instance.md. ---- */
    /* begin() that also takes the store-wide write token (released by
     * commit/rollback, or when the process dies) and reads the committed
     * head. The batch's writes are stamped change_seq = head->change_seq + 1;
     * commit advances the head and wakes the other processes. */
    dc_status (*begin_locked)(dc_store *s, dc_store_head *head);
    /* Operators, keys and entries written by batches after after_seq (in
     * batch order), then the head they lead to. in_txn: read inside the
     * begin_locked transaction (committer thread); else in one snapshot on
     * a separate connection (any thread). Records borrowed for the call. */
    dc_status (*changes_since)(dc_store *s, int64_t after_seq, int in_txn,
                               dc_store_operator_fn op_fn, dc_store_key_fn key_fn,
                               dc_store_entry_fn entry_fn, void *ctx, dc_store_head *head);
    /* Blocks until another process commits (or publishes an alert) or
     * timeout_ms passes; one thread only. */
    dc_status (*wait_change)(dc_store *s, int timeout_ms);
    /* Takes or renews the lease `name` for `holder` for ttl_ms; *held is 1
     * when holder has it now. Expired leases pass to the next caller. */
    dc_status (*lease)(dc_store *s, const char *name, const char *holder, int ttl_ms, int *held);
    /* Appends an alert (JSON text) and wakes every process. */
    dc_status (*alert_publish)(dc_store *s, const char *body);
    /* Alerts with seq > after_seq in order. */
    dc_status (*alert_each)(dc_store *s, int64_t after_seq, dc_store_alert_fn fn, void *ctx);
    /* Appends track batches (seq ignored) in one transaction; batches are
     * numbered in commit order, so a reader following seq misses none. Not
     * durable (lost on a database crash). One thread only. */
    dc_status (*tracks_put)(dc_store *s, const dc_store_tracks *t, size_t n);
    /* Batches with seq > after_seq received in the last max_age_ms, in seq
     * order (records borrowed for the call). With tracks_prune, which drops
     * batches older than max_age_ms: one thread only, not tracks_put's. */
    dc_status (*tracks_each)(dc_store *s, int64_t after_seq, int max_age_ms, dc_store_tracks_fn fn,
                             void *ctx);
    dc_status (*tracks_prune)(dc_store *s, int max_age_ms);
    /* Failover counters; reconnects also serves as an epoch: when it moves,
     * the store may now be another server that lacks what was read before. */
    dc_status (*conn_stats)(dc_store *s, dc_store_conn_stats *out);

    /* ---- Optional: online backup (SQLite; NULL elsewhere). Copies the
     * store as of one committed transaction into a new file at dest_path
     * while this and other processes keep reading and writing it. Called
     * through dc_store_backup(), which documents the errors. ---- */
    dc_status (*backup)(dc_store *s, const char *dest_path, dc_error *err);
};

/* Opens a store by URI: "sqlite:PATH", a plain PATH (SQLite), or
 * "postgresql://..." / "postgres://..." (PostgreSQL, shared by several
 * servers). create: make the file and schema when absent (PostgreSQL: apply
 * pending migrations); otherwise a missing store is DC_ENOTFOUND and a
 * PostgreSQL schema of another version is refused (DC_EUNSUPPORTED).
 * On DC_OK *out is owned by the caller: dc_store_close(). */
dc_status dc_store_open(const char *uri, int create, dc_store **out, dc_error *err);
void dc_store_close(dc_store *s); /* accepts NULL */
const struct dc_store_ops *dc_store_ops_of(const dc_store *s);

/* Online backup: writes a consistent copy of s (the state after one
 * committed transaction) to dest_path, a new SQLite file that
 * dc_store_open() opens like the original, while servers keep using s.
 * The copy is written beside dest_path and renamed into place only once it
 * is complete, synced and passes SQLite's quick_check, so dest_path is
 * either absent or a whole store. DC_EEXIST when dest_path exists (a
 * backup never overwrites); DC_EUNSUPPORTED for a backend without online
 * backup (PostgreSQL: use pg_dump); DC_ESTORE / DC_EIO otherwise. err names
 * the reason in every case. */
dc_status dc_store_backup(dc_store *s, const char *dest_path, dc_error *err);

/* Thin wrappers over the table, for readability at call sites. */
dc_status dc_store_begin(dc_store *s);
dc_status dc_store_commit(dc_store *s);
dc_status dc_store_rollback(dc_store *s);

/* One wrapper per method of the table (as SQLite's os.c wraps its VFS), so
 * call sites read dc_store_entry_put(s, e) instead of reaching into the
 * table. The optional methods of a shared store answer DC_EUNSUPPORTED on a
 * backend that lacks them; dc_store_is_shared() says whether it has them. */
dc_status dc_store_meta_get(dc_store *s, const char *key, char **value);
dc_status dc_store_meta_put(dc_store *s, const char *key, const char *value);
dc_status dc_store_operator_put(dc_store *s, const dc_store_operator *o);
dc_status dc_store_operator_each(dc_store *s, dc_store_operator_fn fn, void *ctx);
dc_status dc_store_key_put(dc_store *s, const dc_store_key *k);
dc_status dc_store_key_each(dc_store *s, dc_store_key_fn fn, void *ctx);
dc_status dc_store_entry_put(dc_store *s, const dc_store_entry *e);
dc_status dc_store_entry_each(dc_store *s, dc_store_entry_fn fn, void *ctx);
dc_status dc_store_audit_append(dc_store *s, const dc_audit_record *r);
dc_status dc_store_leaf_append(dc_store *s, const dc_store_leaf *l);
dc_status dc_store_leaf_each(dc_store *s, int64_t after_idx, dc_store_leaf_fn fn, void *ctx);
dc_status dc_store_checkpoint_put(dc_store *s, const dc_store_checkpoint *c);
dc_status dc_store_checkpoint_each(dc_store *s, int64_t after_size, dc_store_checkpoint_fn fn,
                                   void *ctx);
dc_status dc_store_cosignature_put(dc_store *s, const dc_store_cosignature *c);
dc_status dc_store_cosignature_each(dc_store *s, int64_t min_size, dc_store_cosignature_fn fn,
                                    void *ctx);
dc_status dc_store_mode_s_put(dc_store *s, const dc_store_mode_s *m);
dc_status dc_store_mode_s_each(dc_store *s, dc_store_mode_s_fn fn, void *ctx);
dc_status dc_store_audit_each(dc_store *s, int64_t after_seq, size_t limit, dc_store_audit_fn fn,
                              void *ctx);
/* 1 when the backend is shared by several processes (begin_locked and the
 * methods after it are present). */
int dc_store_is_shared(const dc_store *s);
/* 1 when the backend can carry tactical monitoring across instances (lease,
 * alert feed, forwarded track batches). */
int dc_store_has_tactical_feed(const dc_store *s);
dc_status dc_store_begin_locked(dc_store *s, dc_store_head *head);
dc_status dc_store_get_conn_stats(dc_store *s, dc_store_conn_stats *out);
dc_status dc_store_changes_since(dc_store *s, int64_t after_seq, int in_txn,
                                 dc_store_operator_fn op_fn, dc_store_key_fn key_fn,
                                 dc_store_entry_fn entry_fn, void *ctx, dc_store_head *head);
dc_status dc_store_wait_change(dc_store *s, int timeout_ms);
dc_status dc_store_lease(dc_store *s, const char *name, const char *holder, int ttl_ms, int *held);
dc_status dc_store_alert_publish(dc_store *s, const char *body);
dc_status dc_store_alert_each(dc_store *s, int64_t after_seq, dc_store_alert_fn fn, void *ctx);
dc_status dc_store_tracks_put(dc_store *s, const dc_store_tracks *t, size_t n);
dc_status dc_store_tracks_each(dc_store *s, int64_t after_seq, int max_age_ms,
                               dc_store_tracks_fn fn, void *ctx);
dc_status dc_store_tracks_prune(dc_store *s, int max_age_ms);

#endif
