/* Private to the PostgreSQL backend: postgres.c (connections, transactions,
 * rows, open and migrations), postgres_log.c (audit records, the
 * transparency log's leaves and checkpoints) and postgres_shared.c (what only a
 * shared store has: the change feed, wake-ups, the lease, the alert feed and
 * forwarded track reports). */
#ifndef DC_STORE_POSTGRES_INT_H
#define DC_STORE_POSTGRES_INT_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>

#include "store/store_int.h"

typedef struct pg_store {
    struct dc_store base;
    char *conninfo;
    PGconn *wr; /* writer: one thread at a time (the committer) */
    PGconn *rd; /* reader, under rd_mu */
    PGconn *ln; /* listener, opened by the first wait_change */
    PGconn *tw; /* track writer (tracks_put's thread), opened on first use */
    PGconn *tr; /* track reader (tracks_each/prune's thread), opened on first use */
    pthread_mutex_t rd_mu;
    int in_txn, locked, dirty;
    dc_store_head head;       /* locked: the head as locked, advanced by appends */
    int64_t batch_seq;        /* change_seq stamped on this transaction's writes */
    uint64_t ln_epoch;        /* st_reconnects when the listener connected */
    int64_t locked_audit_seq; /* head.audit_seq when the token was taken */
    /* Failover counters (postgres_conn.c), for /metrics. */
    _Atomic uint64_t st_reconnects, st_timeouts, st_unknown, st_resolved_committed,
        st_resolved_rolled_back, st_unresolved;
} pg_store;

/* The writer's prepared statements (postgres.c prepares them; dc%d names). */
enum {
    PS_META_PUT,
    PS_OPERATOR_PUT,
    PS_KEY_PUT,
    PS_ENTRY_PUT,
    PS_AUDIT_APPEND,
    PS_HEAD_LOCK,
    PS_HEAD_PUT,
    PS_LEAF_APPEND,
    PS_CHECKPOINT_PUT,
    PS_COSIGNATURE_PUT,
    PS_COUNT
};

/* libpq helpers and row visitors (postgres.c) */
PGresult *dc__pg_prep(pg_store *s, int which, int n, const char *const *vals, const int *lens,
                      const int *fmts);
dc_status dc__pg_prep0(pg_store *s, int which, int n, const char *const *vals, const int *lens,
                       const int *fmts);
/* A bytea column as dc_malloc'd bytes (NUL-terminated), *n its length. */
char *dc__pg_bytea_dup(const PGresult *res, int row, int col, size_t *n);
int dc__pg_bytea_get(const PGresult *res, int row, int col, uint8_t *out, size_t n);
int64_t dc__pg_col_i64(const PGresult *res, int row, int col);
PGconn *dc__pg_connect_quiet(const char *conninfo);
dc_status dc__pg_exec0(PGconn *c, const char *sql);
dc_status dc__pg_query_visit(PGconn *c, const char *sql, const char *after,
                             dc_status (*visit)(PGresult *, void *, void *), void *fn, void *ctx);
dc_status dc__pg_res_status(PGresult *res);
dc_status dc__pg_v_entries(PGresult *r, void *fn, void *ctx);
dc_status dc__pg_v_keys(PGresult *r, void *fn, void *ctx);
dc_status dc__pg_v_ops(PGresult *r, void *fn, void *ctx);
extern const char dc__pg_q_operators[], dc__pg_q_keys[], dc__pg_q_entries[];

/* Statements with a deadline, reconnection, unknown commits (postgres_conn.c) */
PGresult *dc__pg_exec(pg_store *s, PGconn *c, const char *sql);
/* The result of what was sent last (a COPY's end), with the deadline. */
PGresult *dc__pg_await(pg_store *s, PGconn *c);
PGresult *dc__pg_exec_params(pg_store *s, PGconn *c, const char *sql, int n,
                             const char *const *vals, const int *lens, const int *fmts);
PGresult *dc__pg_exec_load(pg_store *s, PGconn *c, const char *sql, int n, const char *const *vals);
PGresult *dc__pg_exec_prepared(pg_store *s, PGconn *c, const char *name, int n,
                               const char *const *vals, const int *lens, const int *fmts);
PGresult *dc__pg_prepare(pg_store *s, PGconn *c, const char *name, const char *sql);
/* *c connected (reconnected when it was lost; counted); DC_ESTORE if not. */
dc_status dc__pg_conn_ok(pg_store *s, PGconn **c);
dc_status dc__pg_prepare_all(pg_store *s);
/* The writer connected and its statements prepared (reconnecting if lost). */
dc_status dc__pg_writer_ok(pg_store *s);
/* The COMMIT's answer was lost: DC_OK when audit record audit_seq with hash
 * is in the store (it committed), DC_ESTORE when not or when unknowable. */
dc_status dc__pg_resolve_commit(pg_store *s, int64_t audit_seq, const uint8_t hash[32]);
dc_status dc__pg_conn_stats(dc_store *base, dc_store_conn_stats *out);

/* Audit records, leaves, checkpoints and cosignatures (postgres_log.c) */
dc_status dc__pg_audit_append(dc_store *base, const dc_audit_record *a);
dc_status dc__pg_audit_each(dc_store *base, int64_t after_seq, size_t limit, dc_store_audit_fn fn,
                            void *ctx);
dc_status dc__pg_leaf_append(dc_store *base, const dc_store_leaf *l);
dc_status dc__pg_leaf_each(dc_store *base, int64_t after_idx, dc_store_leaf_fn fn, void *ctx);
dc_status dc__pg_checkpoint_put(dc_store *base, const dc_store_checkpoint *c);
dc_status dc__pg_checkpoint_each(dc_store *base, int64_t after_size, dc_store_checkpoint_fn fn,
                                 void *ctx);
dc_status dc__pg_cosignature_put(dc_store *base, const dc_store_cosignature *c);
dc_status dc__pg_cosignature_each(dc_store *base, int64_t min_size, dc_store_cosignature_fn fn,
                                  void *ctx);

/* Mode S addresses (postgres_modes.c) */
dc_status dc__pg_mode_s_put(dc_store *base, const dc_store_mode_s *m);
dc_status dc__pg_mode_s_each(dc_store *base, dc_store_mode_s_fn fn, void *ctx);

/* The shared-store methods of the table (postgres_shared.c) */
dc_status dc__pg_changes_since(dc_store *base, int64_t after_seq, int in_txn,
                               dc_store_operator_fn op_fn, dc_store_key_fn key_fn,
                               dc_store_entry_fn entry_fn, void *ctx, dc_store_head *head);
dc_status dc__pg_wait_change(dc_store *base, int timeout_ms);
dc_status dc__pg_lease(dc_store *base, const char *name, const char *holder, int ttl_ms, int *held);
dc_status dc__pg_alert_publish(dc_store *base, const char *body);
dc_status dc__pg_alert_each(dc_store *base, int64_t after_seq, dc_store_alert_fn fn, void *ctx);
dc_status dc__pg_tracks_put(dc_store *base, const dc_store_tracks *t, size_t n);
dc_status dc__pg_tracks_each(dc_store *base, int64_t after_seq, int max_age_ms,
                             dc_store_tracks_fn fn, void *ctx);
dc_status dc__pg_tracks_prune(dc_store *base, int max_age_ms);

#endif
