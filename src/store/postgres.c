/* PostgreSQL backend of struct dc_store_ops (libpq), for several servers
 * sharing one airspace. Every write transaction first locks the one
 * sync_head row (begin_locked): batches therefore commit one at a time, in
 * change_seq order with no gaps, and the audit chain stays linear (each
 * append is checked against the head it was locked with). Three
 * connections: the writer (committer thread: transactions, puts, loads), a
 * reader behind its own mutex (audit pages, change-feed snapshots, lease,
 * alerts; any thread) and a listener (LISTEN, for wait_change); two more,
 * opened on first use, carry forwarded track reports (one writes, the
 * monitoring lease holder's tick reads and prunes). libpq errors
 * become DC_ESTORE here (unique violations DC_EEXIST, serialization failures
 * DC_EBUSY). The methods only a shared store has are in postgres_shared.c.
 * Design and portability notes: docs/multi-instance.md. */
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/postgres_int.h"

static const char *const ps_sql[PS_COUNT] = {
    [PS_META_PUT] = "INSERT INTO meta(key, value) VALUES ($1, $2) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
    [PS_OPERATOR_PUT] =
        "INSERT INTO operators(number, id, name, is_authority, created, change_seq) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (number) DO UPDATE SET "
        "id = EXCLUDED.id, name = EXCLUDED.name, is_authority = "
        "EXCLUDED.is_authority, created = EXCLUDED.created, "
        "change_seq = EXCLUDED.change_seq",
    [PS_KEY_PUT] =
        "INSERT INTO api_keys(prefix, operator, salt, hash, revoked, created, change_seq) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (prefix) DO UPDATE SET "
        "operator = EXCLUDED.operator, salt = EXCLUDED.salt, hash = EXCLUDED.hash, "
        "revoked = EXCLUDED.revoked, created = EXCLUDED.created, "
        "change_seq = EXCLUDED.change_seq",
    [PS_ENTRY_PUT] =
        "INSERT INTO entries(id, is_restriction, owner, priority, state, version, "
        "volumes, exempt, note, created, updated, change_seq, name) VALUES ($1, $2, $3, "
        "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO UPDATE SET "
        "is_restriction = EXCLUDED.is_restriction, owner = EXCLUDED.owner, "
        "priority = EXCLUDED.priority, state = EXCLUDED.state, "
        "version = EXCLUDED.version, volumes = EXCLUDED.volumes, "
        "exempt = EXCLUDED.exempt, note = EXCLUDED.note, created = EXCLUDED.created, "
        "updated = EXCLUDED.updated, change_seq = EXCLUDED.change_seq, "
        "name = EXCLUDED.name",
    /* A reused seq must not abort the transaction (SQLite's does not). */
    [PS_AUDIT_APPEND] = "INSERT INTO audit(seq, entry, hash) VALUES ($1, $2, $3) "
                        "ON CONFLICT (seq) DO NOTHING",
    [PS_HEAD_LOCK] = "SELECT change_seq, audit_seq, audit_hash FROM sync_head WHERE id = 1 "
                     "FOR UPDATE",
    [PS_HEAD_PUT] = "UPDATE sync_head SET change_seq = $1, audit_seq = $2, audit_hash = $3 "
                    "WHERE id = 1",
    [PS_LEAF_APPEND] = "INSERT INTO tlog_leaves(idx, seq, party, salt, hash) "
                       "VALUES ($1, $2, $3, $4, $5)",
    [PS_CHECKPOINT_PUT] = "INSERT INTO tlog_checkpoints(size, note) VALUES ($1, $2) "
                          "ON CONFLICT (size) DO UPDATE SET note = EXCLUDED.note",
    [PS_COSIGNATURE_PUT] = "INSERT INTO tlog_cosignatures(size, witness, line) "
                           "VALUES ($1, $2, $3) "
                           "ON CONFLICT (size, witness) DO UPDATE SET line = EXCLUDED.line",
};

const char dc__pg_q_operators[] = "SELECT number, id, name, is_authority, created FROM operators";
const char dc__pg_q_keys[] = "SELECT prefix, operator, salt, hash, revoked, created FROM api_keys";
const char dc__pg_q_entries[] = "SELECT id, is_restriction, owner, priority, state, version, "
                                "volumes, exempt, note, created, updated, name FROM entries";

/* ---- libpq helpers ---- */

dc_status dc__pg_res_status(PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return DC_OK;
    const char *code = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (code && !strcmp(code, "23505"))
        return DC_EEXIST;
    if (code && (!strcmp(code, "40001") || !strcmp(code, "40P01") || !strcmp(code, "55P03")))
        return DC_EBUSY;
    return DC_ESTORE; /* also NULL: no answer (connection lost or hung) */
}

/* Runs sql (no parameters) and discards the result. */
dc_status dc__pg_exec0(PGconn *c, const char *sql)
{
    PGresult *res = dc__pg_exec(NULL, c, sql);
    dc_status rc = dc__pg_res_status(res);
    if (rc != DC_OK)
        fprintf(stderr, "deconflict: postgres: %s", PQerrorMessage(c));
    PQclear(res);
    return rc;
}

PGresult *dc__pg_prep(pg_store *s, int which, int n, const char *const *vals, const int *lens,
                      const int *fmts)
{
    char name[8];
    snprintf(name, sizeof name, "dc%d", which);
    return dc__pg_exec_prepared(s, s->wr, name, n, vals, lens, fmts);
}

dc_status dc__pg_prep0(pg_store *s, int which, int n, const char *const *vals, const int *lens,
                       const int *fmts)
{
    PGresult *res = dc__pg_prep(s, which, n, vals, lens, fmts);
    dc_status rc = dc__pg_res_status(res);
    if (rc != DC_OK && rc != DC_EEXIST)
        fprintf(stderr, "deconflict: postgres: %s", PQerrorMessage(s->wr));
    PQclear(res);
    return rc;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes a bytea column in text (hex) output into exactly n bytes. */
int dc__pg_bytea_get(const PGresult *res, int row, int col, uint8_t *out, size_t n)
{
    const char *t = PQgetvalue(res, row, col);
    size_t len = (size_t)PQgetlength(res, row, col);
    if (len != 2 + 2 * n || t[0] != '\\' || t[1] != 'x')
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(t[2 + 2 * i]), lo = hexval(t[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    return 0;
}

/* A bytea column as dc_malloc'd bytes (NUL-terminated), *n its length. */
char *dc__pg_bytea_dup(const PGresult *res, int row, int col, size_t *n)
{
    const char *t = PQgetvalue(res, row, col);
    size_t len = (size_t)PQgetlength(res, row, col);
    if (len < 2 || t[0] != '\\' || t[1] != 'x' || len % 2)
        return NULL;
    *n = (len - 2) / 2;
    char *out = dc_malloc(*n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < *n; i++) {
        int hi = hexval(t[2 + 2 * i]), lo = hexval(t[3 + 2 * i]);
        if (hi < 0 || lo < 0) {
            dc_free(out);
            return NULL;
        }
        out[i] = (char)(hi * 16 + lo);
    }
    out[*n] = 0;
    return out;
}

int64_t dc__pg_col_i64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static int col_bool(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

dc_status dc__pg_prepare_all(pg_store *s)
{
    for (int i = 0; i < PS_COUNT; i++) {
        char name[8];
        snprintf(name, sizeof name, "dc%d", i);
        PGresult *res = dc__pg_prepare(s, s->wr, name, ps_sql[i]);
        dc_status rc = dc__pg_res_status(res);
        PQclear(res);
        if (rc != DC_OK)
            return rc;
    }
    return DC_OK;
}

/* Reconnects the writer after the server went away (outside a transaction). */
dc_status dc__pg_writer_ok(pg_store *s)
{
    if (s->wr && PQstatus(s->wr) == CONNECTION_OK)
        return DC_OK;
    dc_status rc = dc__pg_conn_ok(s, &s->wr);
    if (rc == DC_OK && (rc = dc__pg_prepare_all(s)) != DC_OK) {
        PQfinish(s->wr); /* half prepared: open it again next time */
        s->wr = NULL;
    }
    return rc;
}

static void notice_ignore(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

PGconn *dc__pg_connect_quiet(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    if (c && PQstatus(c) == CONNECTION_OK)
        PQsetNoticeProcessor(c, notice_ignore, NULL);
    return c;
}

/* ---- transactions ---- */

static dc_status pg_begin_locked(dc_store *base, dc_store_head *head)
{
    pg_store *s = (pg_store *)base;
    dc_status rc;
    if (s->in_txn)
        return DC_EBUSY;
    if ((rc = dc__pg_writer_ok(s)) != DC_OK || (rc = dc__pg_exec0(s->wr, "BEGIN")) != DC_OK)
        return rc;
    s->in_txn = 1;
    PGresult *res = dc__pg_prep(s, PS_HEAD_LOCK, 0, NULL, NULL, NULL);
    rc = dc__pg_res_status(res);
    if (rc == DC_OK && PQntuples(res) != 1)
        rc = DC_ECORRUPT;
    if (rc == DC_OK) {
        s->head.change_seq = dc__pg_col_i64(res, 0, 0);
        s->head.audit_seq = dc__pg_col_i64(res, 0, 1);
        if (dc__pg_bytea_get(res, 0, 2, s->head.audit_hash, 32))
            rc = DC_ECORRUPT;
    }
    PQclear(res);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict: postgres: cannot lock the store head: %s",
                PQerrorMessage(s->wr));
        dc__pg_exec0(s->wr, "ROLLBACK");
        s->in_txn = 0;
        return rc;
    }
    s->locked = 1;
    s->dirty = 0;
    s->locked_audit_seq = s->head.audit_seq;
    s->batch_seq = s->head.change_seq + 1;
    if (head)
        *head = s->head;
    return DC_OK;
}

static dc_status pg_begin(dc_store *base)
{
    return pg_begin_locked(base, NULL);
}

static dc_status pg_commit(dc_store *base)
{
    pg_store *s = (pg_store *)base;
    dc_status rc = DC_OK;
    if (!s->in_txn)
        return DC_EINVAL;
    if (s->locked && s->dirty) {
        char seq[24], aseq[24];
        snprintf(seq, sizeof seq, "%lld", (long long)s->batch_seq);
        snprintf(aseq, sizeof aseq, "%lld", (long long)s->head.audit_seq);
        const char *vals[3] = {seq, aseq, (const char *)s->head.audit_hash};
        const int lens[3] = {0, 0, 32}, fmts[3] = {0, 0, 1};
        rc = dc__pg_prep0(s, PS_HEAD_PUT, 3, vals, lens, fmts);
        /* NOTIFY is delivered at commit, to every listening instance. */
        if (rc == DC_OK)
            rc = dc__pg_exec0(s->wr, "NOTIFY dc_change");
    }
    int wrote = s->locked && s->dirty;
    if (rc == DC_OK) {
        rc = dc__pg_exec0(s->wr, "COMMIT");
        /* No answer to a COMMIT sent: it may or may not have happened. */
        if (rc != DC_OK && wrote && PQstatus(s->wr) != CONNECTION_OK) {
            s->in_txn = s->locked = s->dirty = 0;
            return dc__pg_resolve_commit(
                s, s->head.audit_seq > s->locked_audit_seq ? s->head.audit_seq : 0,
                s->head.audit_hash);
        }
    } else {
        dc__pg_exec0(s->wr, "ROLLBACK");
    }
    s->in_txn = s->locked = s->dirty = 0;
    return rc;
}

static dc_status pg_rollback(dc_store *base)
{
    pg_store *s = (pg_store *)base;
    if (!s->in_txn)
        return DC_OK;
    s->in_txn = s->locked = s->dirty = 0;
    return dc__pg_exec0(s->wr, "ROLLBACK");
}

/* ---- meta, operators, keys, entries ---- */

static dc_status pg_meta_get(dc_store *base, const char *key, char **value)
{
    pg_store *s = (pg_store *)base;
    const char *vals[1] = {key};
    *value = NULL;
    if (!s->in_txn && dc__pg_writer_ok(s) != DC_OK)
        return DC_ESTORE;
    PGresult *res =
        dc__pg_exec_params(s, s->wr, "SELECT value FROM meta WHERE key = $1", 1, vals, NULL, NULL);
    dc_status rc = dc__pg_res_status(res);
    if (rc == DC_OK && PQntuples(res) == 0)
        rc = DC_ENOTFOUND;
    else if (rc == DC_OK && !(*value = dc_strdup(PQgetvalue(res, 0, 0))))
        rc = DC_ENOMEM;
    PQclear(res);
    return rc;
}

static dc_status pg_meta_put(dc_store *base, const char *key, const char *value)
{
    pg_store *s = (pg_store *)base;
    const char *vals[2] = {key, value};
    s->dirty = 1;
    return dc__pg_prep0(s, PS_META_PUT, 2, vals, NULL, NULL);
}

static dc_status pg_operator_put(dc_store *base, const dc_store_operator *o)
{
    pg_store *s = (pg_store *)base;
    char num[24], created[24], seq[24];
    snprintf(num, sizeof num, "%u", o->number);
    snprintf(created, sizeof created, "%lld", (long long)o->created_s);
    snprintf(seq, sizeof seq, "%lld", (long long)s->batch_seq);
    const char *vals[6] = {num, o->id, o->name, o->is_authority ? "t" : "f", created, seq};
    s->dirty = 1;
    return dc__pg_prep0(s, PS_OPERATOR_PUT, 6, vals, NULL, NULL);
}

static dc_status visit_operators(PGresult *res, dc_store_operator_fn fn, void *ctx)
{
    for (int i = 0; i < PQntuples(res); i++) {
        dc_store_operator o = {(uint32_t)dc__pg_col_i64(res, i, 0), PQgetvalue(res, i, 1),
                               PQgetvalue(res, i, 2), col_bool(res, i, 3),
                               dc__pg_col_i64(res, i, 4)};
        if (fn(ctx, &o))
            break;
    }
    return DC_OK;
}

static dc_status visit_keys(PGresult *res, dc_store_key_fn fn, void *ctx)
{
    for (int i = 0; i < PQntuples(res); i++) {
        dc_store_key k = {.prefix = PQgetvalue(res, i, 0),
                          .operator_number = (uint32_t)dc__pg_col_i64(res, i, 1),
                          .revoked = col_bool(res, i, 4),
                          .created_s = dc__pg_col_i64(res, i, 5)};
        if (dc__pg_bytea_get(res, i, 2, k.salt, sizeof k.salt) ||
            dc__pg_bytea_get(res, i, 3, k.hash, sizeof k.hash))
            return DC_ECORRUPT;
        if (fn(ctx, &k))
            break;
    }
    return DC_OK;
}

static dc_status visit_entries(PGresult *res, dc_store_entry_fn fn, void *ctx)
{
    for (int i = 0; i < PQntuples(res); i++) {
        dc_store_entry e = {PQgetvalue(res, i, 0),
                            col_bool(res, i, 1),
                            (uint32_t)dc__pg_col_i64(res, i, 2),
                            (int)dc__pg_col_i64(res, i, 3),
                            PQgetvalue(res, i, 4),
                            dc__pg_col_i64(res, i, 5),
                            PQgetvalue(res, i, 6),
                            PQgetvalue(res, i, 7),
                            PQgetvalue(res, i, 8),
                            dc__pg_col_i64(res, i, 9),
                            dc__pg_col_i64(res, i, 10),
                            PQgetvalue(res, i, 11)};
        if (fn(ctx, &e))
            break;
    }
    return DC_OK;
}

/* Runs a query on c (optionally with "$1" = after) and hands it to visit. */
dc_status dc__pg_query_visit(PGconn *c, const char *sql, const char *after,
                             dc_status (*visit)(PGresult *, void *, void *), void *fn, void *ctx)
{
    const char *vals[1] = {after};
    PGresult *res = dc__pg_exec_load(NULL, c, sql, after ? 1 : 0, vals);
    dc_status rc = dc__pg_res_status(res);
    if (rc != DC_OK)
        fprintf(stderr, "deconflict: postgres: %s", PQerrorMessage(c));
    else
        rc = visit(res, fn, ctx);
    PQclear(res);
    return rc;
}

/* Adapters so dc__pg_query_visit can take any visitor type. */
dc_status dc__pg_v_ops(PGresult *r, void *fn, void *ctx)
{
    return visit_operators(r, *(dc_store_operator_fn *)fn, ctx);
}
dc_status dc__pg_v_keys(PGresult *r, void *fn, void *ctx)
{
    return visit_keys(r, *(dc_store_key_fn *)fn, ctx);
}
dc_status dc__pg_v_entries(PGresult *r, void *fn, void *ctx)
{
    return visit_entries(r, *(dc_store_entry_fn *)fn, ctx);
}

static dc_status pg_operator_each(dc_store *base, dc_store_operator_fn fn, void *ctx)
{
    if (!((pg_store *)base)->in_txn && dc__pg_writer_ok((pg_store *)base) != DC_OK)
        return DC_ESTORE;
    return dc__pg_query_visit(((pg_store *)base)->wr,
                              "SELECT number, id, name, is_authority, created "
                              "FROM operators ORDER BY number",
                              NULL, dc__pg_v_ops, &fn, ctx);
}

static dc_status pg_key_put(dc_store *base, const dc_store_key *k)
{
    pg_store *s = (pg_store *)base;
    char op[24], created[24], seq[24];
    snprintf(op, sizeof op, "%u", k->operator_number);
    snprintf(created, sizeof created, "%lld", (long long)k->created_s);
    snprintf(seq, sizeof seq, "%lld", (long long)s->batch_seq);
    const char *vals[7] = {
        k->prefix, op, (const char *)k->salt, (const char *)k->hash, k->revoked ? "t" : "f",
        created,   seq};
    const int lens[7] = {0, 0, sizeof k->salt, sizeof k->hash, 0, 0, 0};
    const int fmts[7] = {0, 0, 1, 1, 0, 0, 0};
    s->dirty = 1;
    return dc__pg_prep0(s, PS_KEY_PUT, 7, vals, lens, fmts);
}

static dc_status pg_key_each(dc_store *base, dc_store_key_fn fn, void *ctx)
{
    if (!((pg_store *)base)->in_txn && dc__pg_writer_ok((pg_store *)base) != DC_OK)
        return DC_ESTORE;
    return dc__pg_query_visit(((pg_store *)base)->wr, dc__pg_q_keys, NULL, dc__pg_v_keys, &fn, ctx);
}

static dc_status pg_entry_put(dc_store *base, const dc_store_entry *e)
{
    pg_store *s = (pg_store *)base;
    char owner[24], prio[16], ver[24], created[24], updated[24], seq[24];
    snprintf(owner, sizeof owner, "%u", e->owner);
    snprintf(prio, sizeof prio, "%d", e->priority);
    snprintf(ver, sizeof ver, "%lld", (long long)e->version);
    snprintf(created, sizeof created, "%lld", (long long)e->created_s);
    snprintf(updated, sizeof updated, "%lld", (long long)e->updated_s);
    snprintf(seq, sizeof seq, "%lld", (long long)s->batch_seq);
    const char *vals[13] = {e->id,
                            e->is_restriction ? "t" : "f",
                            owner,
                            prio,
                            e->state,
                            ver,
                            e->volumes_json,
                            e->exempt_json ? e->exempt_json : "[]",
                            e->note ? e->note : "",
                            created,
                            updated,
                            seq,
                            e->name ? e->name : ""};
    s->dirty = 1;
    return dc__pg_prep0(s, PS_ENTRY_PUT, 13, vals, NULL, NULL);
}

static dc_status pg_entry_each(dc_store *base, dc_store_entry_fn fn, void *ctx)
{
    if (!((pg_store *)base)->in_txn && dc__pg_writer_ok((pg_store *)base) != DC_OK)
        return DC_ESTORE;
    return dc__pg_query_visit(
        ((pg_store *)base)->wr,
        "SELECT id, is_restriction, owner, priority, state, version, volumes, "
        "exempt, note, created, updated, name FROM entries ORDER BY created, id",
        NULL, dc__pg_v_entries, &fn, ctx);
}

/* ---- open, migrations, close ---- */

static void pg_close(dc_store *base)
{
    pg_store *s = (pg_store *)base;
    if (s->in_txn)
        dc__pg_exec0(s->wr, "ROLLBACK");
    PQfinish(s->wr);
    PQfinish(s->rd);
    if (s->ln)
        PQfinish(s->ln);
    if (s->tw)
        PQfinish(s->tw);
    if (s->tr)
        PQfinish(s->tr);
    pthread_mutex_destroy(&s->rd_mu);
    dc_free(s->conninfo);
    dc_free(s);
}

static const struct dc_store_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .meta_get = pg_meta_get,
    .meta_put = pg_meta_put,
    .operator_put = pg_operator_put,
    .operator_each = pg_operator_each,
    .key_put = pg_key_put,
    .key_each = pg_key_each,
    .entry_put = pg_entry_put,
    .entry_each = pg_entry_each,
    .audit_append = dc__pg_audit_append,
    .audit_each = dc__pg_audit_each,
    .leaf_append = dc__pg_leaf_append,
    .leaf_each = dc__pg_leaf_each,
    .checkpoint_put = dc__pg_checkpoint_put,
    .checkpoint_each = dc__pg_checkpoint_each,
    .cosignature_put = dc__pg_cosignature_put,
    .cosignature_each = dc__pg_cosignature_each,
    .mode_s_put = dc__pg_mode_s_put,
    .mode_s_each = dc__pg_mode_s_each,
    .begin_locked = pg_begin_locked,
    .changes_since = dc__pg_changes_since,
    .wait_change = dc__pg_wait_change,
    .lease = dc__pg_lease,
    .alert_publish = dc__pg_alert_publish,
    .alert_each = dc__pg_alert_each,
    .tracks_put = dc__pg_tracks_put,
    .tracks_each = dc__pg_tracks_each,
    .tracks_prune = dc__pg_tracks_prune,
    .conn_stats = dc__pg_conn_stats,
};

static int latest_version(void)
{
    return dc__pg_migrations[dc__pg_n_migrations - 1].version;
}

/* The newest applied migration, 0 on an empty database. */
static dc_status schema_version(PGconn *c, int *version)
{
    PGresult *res = dc__pg_exec(NULL, c, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    dc_status rc = dc__pg_res_status(res);
    int exists = rc == DC_OK && col_bool(res, 0, 0);
    PQclear(res);
    *version = 0;
    if (rc != DC_OK || !exists)
        return rc;
    res = dc__pg_exec(NULL, c, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    if ((rc = dc__pg_res_status(res)) == DC_OK)
        *version = (int)dc__pg_col_i64(res, 0, 0);
    PQclear(res);
    return rc;
}

/* Applies pending migrations, each in its own transaction, under a
 * transaction-level advisory lock so concurrent inits do not race. */
static dc_status migrate(PGconn *c, dc_error *err)
{
    dc_status rc =
        dc__pg_exec0(c, "CREATE TABLE IF NOT EXISTS schema_migrations(version integer "
                        "PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL "
                        "DEFAULT now())");
    for (size_t i = 0; rc == DC_OK && i < dc__pg_n_migrations; i++) {
        const dc__migration *m = &dc__pg_migrations[i];
        char v[16];
        snprintf(v, sizeof v, "%d", m->version);
        const char *vals[2] = {v, m->name};
        if ((rc = dc__pg_exec0(c, "BEGIN")) != DC_OK ||
            (rc = dc__pg_exec0(c, "SELECT pg_advisory_xact_lock(7366733)")) != DC_OK)
            break;
        PGresult *res = dc__pg_exec_params(
            NULL, c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, vals, NULL, NULL);
        rc = dc__pg_res_status(res);
        int done = rc == DC_OK && PQntuples(res) > 0;
        PQclear(res);
        if (rc == DC_OK && !done) {
            res = dc__pg_exec_load(NULL, c, m->sql, 0, NULL);
            if ((rc = dc__pg_res_status(res)) != DC_OK)
                fprintf(stderr, "deconflict: postgres: %s", PQerrorMessage(c));
            PQclear(res);
        }
        if (rc == DC_OK && !done) {
            res = dc__pg_exec_params(NULL, c,
                                     "INSERT INTO schema_migrations(version, name) VALUES ($1, $2)",
                                     2, vals, NULL, NULL);
            rc = dc__pg_res_status(res);
            PQclear(res);
        }
        if (rc == DC_OK)
            rc = dc__pg_exec0(c, "COMMIT");
        if (rc != DC_OK) {
            dc__pg_exec0(c, "ROLLBACK");
            dc_error_set(err, "store", "migration %d (%s) failed: %s", m->version, m->name,
                         PQerrorMessage(c));
        }
    }
    return rc;
}

dc_status dc__pg_open(const char *conninfo, int create, dc_store **out, dc_error *err)
{
    dc_status rc = DC_ESTORE;
    int version = 0;
    pg_store *s = dc_calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return DC_ENOMEM;
    s->base.ops = &pg_ops;
    pthread_mutex_init(&s->rd_mu, NULL);
    if (!(s->conninfo = dc_strdup(conninfo))) {
        rc = DC_ENOMEM;
        goto fail;
    }
    s->wr = dc__pg_connect_quiet(conninfo);
    if (PQstatus(s->wr) != CONNECTION_OK) {
        dc_error_set(err, "store", "cannot connect to PostgreSQL: %s",
                     s->wr ? PQerrorMessage(s->wr) : "out of memory");
        goto fail;
    }
    if (create && (rc = migrate(s->wr, err)) != DC_OK)
        goto fail;
    if ((rc = schema_version(s->wr, &version)) != DC_OK) {
        dc_error_set(err, "store", "cannot read the schema version: %s", PQerrorMessage(s->wr));
        goto fail;
    }
    if (version == 0) {
        rc = DC_ENOTFOUND;
        dc_error_set(err, "store",
                     "the database holds no deconflict store: run deconflict init "
                     "--store URI");
        goto fail;
    }
    if (version != latest_version()) {
        rc = DC_EUNSUPPORTED;
        if (version > latest_version())
            dc_error_set(err, "store",
                         "the database schema is version %d, newer than this build knows (%d): "
                         "upgrade deconflict before serving from it",
                         version, latest_version());
        else
            dc_error_set(err, "store",
                         "the database schema is version %d, this build needs %d: run "
                         "deconflict init --store URI to migrate it",
                         version, latest_version());
        goto fail;
    }
    if ((rc = dc__pg_prepare_all(s)) != DC_OK) {
        dc_error_set(err, "store", "cannot prepare statements: %s", PQerrorMessage(s->wr));
        goto fail;
    }
    s->rd = dc__pg_connect_quiet(conninfo);
    if (PQstatus(s->rd) != CONNECTION_OK) {
        rc = DC_ESTORE;
        dc_error_set(err, "store", "cannot connect to PostgreSQL: %s",
                     s->rd ? PQerrorMessage(s->rd) : "out of memory");
        goto fail;
    }
    *out = &s->base;
    return DC_OK;
fail:
    pg_close(&s->base);
    return rc;
}
