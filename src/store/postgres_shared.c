/* The PostgreSQL backend's shared-store methods (docs/multi-instance.md):
 * the change feed other instances fold in, wake-ups by LISTEN/NOTIFY, the
 * monitoring lease, the alert feed, and track reports forwarded to the
 * lease holder through an UNLOGGED table. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/postgres_int.h"

static dc_status read_head(PGconn *c, dc_store_head *head)
{
    PGresult *res = dc__pg_exec(NULL, c, "SELECT change_seq, audit_seq, audit_hash FROM sync_head");
    dc_status rc = dc__pg_res_status(res);
    if (rc == DC_OK && PQntuples(res) != 1)
        rc = DC_ECORRUPT;
    if (rc == DC_OK) {
        head->change_seq = dc__pg_col_i64(res, 0, 0);
        head->audit_seq = dc__pg_col_i64(res, 0, 1);
        if (dc__pg_bytea_get(res, 0, 2, head->audit_hash, 32))
            rc = DC_ECORRUPT;
    }
    PQclear(res);
    return rc;
}

dc_status dc__pg_changes_since(dc_store *base, int64_t after_seq, int in_txn,
                               dc_store_operator_fn op_fn, dc_store_key_fn key_fn,
                               dc_store_entry_fn entry_fn, void *ctx, dc_store_head *head)
{
    pg_store *s = (pg_store *)base;
    char after[24], sql[512];
    dc_status rc;
    snprintf(after, sizeof after, "%lld", (long long)after_seq);
    PGconn *c = in_txn ? s->wr : s->rd;
    if (in_txn && !s->locked)
        return DC_EINVAL;
    if (!in_txn) {
        pthread_mutex_lock(&s->rd_mu);
        if (dc__pg_conn_ok(s, &s->rd) != DC_OK) {
            pthread_mutex_unlock(&s->rd_mu);
            return DC_ESTORE;
        }
        c = s->rd;
        /* One snapshot: the head and the rows it covers. */
        if ((rc = dc__pg_exec0(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) != DC_OK) {
            pthread_mutex_unlock(&s->rd_mu);
            return rc;
        }
        rc = read_head(c, head);
    } else {
        *head = s->head;
        rc = DC_OK;
    }
    if (rc == DC_OK && head->change_seq > after_seq) {
        snprintf(sql, sizeof sql, "%s WHERE change_seq > $1 ORDER BY change_seq, number",
                 dc__pg_q_operators);
        rc = dc__pg_query_visit(c, sql, after, dc__pg_v_ops, &op_fn, ctx);
        snprintf(sql, sizeof sql, "%s WHERE change_seq > $1 ORDER BY change_seq, prefix",
                 dc__pg_q_keys);
        if (rc == DC_OK)
            rc = dc__pg_query_visit(c, sql, after, dc__pg_v_keys, &key_fn, ctx);
        snprintf(sql, sizeof sql, "%s WHERE change_seq > $1 ORDER BY change_seq, created, id",
                 dc__pg_q_entries);
        if (rc == DC_OK)
            rc = dc__pg_query_visit(c, sql, after, dc__pg_v_entries, &entry_fn, ctx);
    }
    if (!in_txn) {
        dc__pg_exec0(c, rc == DC_OK ? "COMMIT" : "ROLLBACK");
        pthread_mutex_unlock(&s->rd_mu);
    }
    return rc;
}

dc_status dc__pg_wait_change(dc_store *base, int timeout_ms)
{
    pg_store *s = (pg_store *)base;
    /* Another connection found a new server: listen there too. */
    uint64_t epoch = atomic_load(&s->st_reconnects);
    if (s->ln && epoch != s->ln_epoch) {
        PQfinish(s->ln);
        s->ln = NULL;
    }
    if (!s->ln || PQstatus(s->ln) != CONNECTION_OK) {
        s->ln_epoch = epoch;
        if (s->ln) {
            PQfinish(s->ln);
            atomic_fetch_add(&s->st_reconnects, 1);
            s->ln_epoch++;
        }
        s->ln = dc__pg_connect_quiet(s->conninfo);
        if (PQstatus(s->ln) != CONNECTION_OK ||
            dc__pg_exec0(s->ln, "LISTEN dc_change; LISTEN dc_alert") != DC_OK) {
            PQfinish(s->ln);
            s->ln = NULL;
            poll(NULL, 0, timeout_ms);
            return DC_ESTORE;
        }
        return DC_OK; /* anything may have happened while not listening */
    }
    PGnotify *n;
    int got = 0;
    PQconsumeInput(s->ln);
    while ((n = PQnotifies(s->ln))) {
        got = 1;
        PQfreemem(n);
    }
    if (got)
        return DC_OK;
    struct pollfd p = {.fd = PQsocket(s->ln), .events = POLLIN};
    if (poll(&p, 1, timeout_ms) > 0) {
        PQconsumeInput(s->ln);
        while ((n = PQnotifies(s->ln)))
            PQfreemem(n);
    }
    return DC_OK;
}

/* One statement on the reader connection; *ntuples (optional) gets the
 * number of rows it returned. */
static dc_status rd_exec(pg_store *s, const char *sql, int n, const char *const *vals, int *ntuples)
{
    pthread_mutex_lock(&s->rd_mu);
    if (dc__pg_conn_ok(s, &s->rd) != DC_OK) {
        pthread_mutex_unlock(&s->rd_mu);
        return DC_ESTORE;
    }
    PGresult *res = dc__pg_exec_params(s, s->rd, sql, n, vals, NULL, NULL);
    dc_status rc = dc__pg_res_status(res);
    if (rc == DC_OK && ntuples)
        *ntuples = PQntuples(res);
    PQclear(res);
    pthread_mutex_unlock(&s->rd_mu);
    return rc;
}

dc_status dc__pg_lease(dc_store *base, const char *name, const char *holder, int ttl_ms, int *held)
{
    char ttl[24];
    int rows = 0;
    snprintf(ttl, sizeof ttl, "%d", ttl_ms);
    const char *vals[3] = {name, holder, ttl};
    /* The database's clock decides expiry, so instances' clocks may differ. */
    dc_status rc = rd_exec(
        (pg_store *)base,
        "INSERT INTO leases(name, holder, expires) VALUES ($1, $2, clock_timestamp() + "
        "$3::integer * interval '1 millisecond') ON CONFLICT (name) DO UPDATE SET holder = "
        "EXCLUDED.holder, expires = EXCLUDED.expires WHERE leases.holder = EXCLUDED.holder OR "
        "leases.expires < clock_timestamp() RETURNING holder",
        3, vals, &rows);
    *held = rc == DC_OK && rows == 1;
    return rc;
}

dc_status dc__pg_alert_publish(dc_store *base, const char *body)
{
    const char *vals[1] = {body};
    /* alert_head's row lock is held to commit: alerts commit in seq order,
     * so a follower reading "seq > last" never skips one still to commit. */
    return rd_exec((pg_store *)base,
                   "WITH h AS (UPDATE alert_head SET seq = seq + 1 WHERE id = 1 RETURNING seq), "
                   "i AS (INSERT INTO alerts(seq, body) SELECT seq, $1 FROM h RETURNING seq) "
                   "SELECT pg_notify('dc_alert', seq::text) FROM i",
                   1, vals, NULL);
}

dc_status dc__pg_alert_each(dc_store *base, int64_t after_seq, dc_store_alert_fn fn, void *ctx)
{
    pg_store *s = (pg_store *)base;
    char after[24];
    snprintf(after, sizeof after, "%lld", (long long)after_seq);
    const char *vals[1] = {after};
    pthread_mutex_lock(&s->rd_mu);
    if (dc__pg_conn_ok(s, &s->rd) != DC_OK) {
        pthread_mutex_unlock(&s->rd_mu);
        return DC_ESTORE;
    }
    PGresult *res = dc__pg_exec_load(
        s, s->rd, "SELECT seq, body FROM alerts WHERE seq > $1 ORDER BY seq LIMIT 10000", 1, vals);
    dc_status rc = dc__pg_res_status(res);
    for (int i = 0; rc == DC_OK && i < PQntuples(res); i++) {
        dc_store_alert a = {dc__pg_col_i64(res, i, 0), PQgetvalue(res, i, 1)};
        if (fn(ctx, &a))
            break;
    }
    PQclear(res);
    pthread_mutex_unlock(&s->rd_mu);
    return rc;
}

/* ---- forwarded track reports (UNLOGGED track_reports) ---- */

/* *c connected, (re)opening it when needed; DC_ESTORE when it cannot be. */
static dc_status side_conn(pg_store *s, PGconn **c)
{
    return dc__pg_conn_ok(s, c);
}

dc_status dc__pg_tracks_put(dc_store *base, const dc_store_tracks *t, size_t n)
{
    pg_store *s = (pg_store *)base;
    dc_status rc = side_conn(s, &s->tw);
    if (rc != DC_OK || !n)
        return rc;
    /* The table lock makes writers take sequence numbers and commit one at
     * a time, so "seq > last seen" never skips a batch that commits late.
     * Positions are worth nothing after 30 s: no fsync wait either. */
    if ((rc = dc__pg_exec0(s->tw, "BEGIN; SET LOCAL synchronous_commit TO off; LOCK TABLE "
                                  "track_reports IN EXCLUSIVE MODE")) != DC_OK)
        goto fail;
    PGresult *res = dc__pg_exec(s, s->tw, "COPY track_reports(operator, body) FROM STDIN");
    int copying = PQresultStatus(res) == PGRES_COPY_IN;
    PQclear(res);
    if (!copying) {
        rc = DC_ESTORE;
        goto fail;
    }
    char op[24];
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        int len = snprintf(op, sizeof op, "%u\t", t[i].operator_number);
        ok = PQputCopyData(s->tw, op, len) == 1 &&
             PQputCopyData(s->tw, t[i].body, (int)strlen(t[i].body)) == 1 &&
             PQputCopyData(s->tw, "\n", 1) == 1;
    }
    if (PQputCopyEnd(s->tw, ok ? NULL : "client error") != 1)
        ok = 0;
    res = dc__pg_await(s, s->tw); /* a hung server costs the deadline, not the thread */
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        ok = 0;
    PQclear(res);
    if (!ok) {
        rc = DC_ESTORE;
        goto fail;
    }
    return dc__pg_exec0(s->tw, "COMMIT");
fail:
    fprintf(stderr, "deconflict: postgres: cannot forward track reports: %s",
            PQerrorMessage(s->tw));
    if (PQstatus(s->tw) == CONNECTION_OK)
        dc__pg_exec0(s->tw, "ROLLBACK");
    return rc;
}

dc_status dc__pg_tracks_each(dc_store *base, int64_t after_seq, int max_age_ms,
                             dc_store_tracks_fn fn, void *ctx)
{
    pg_store *s = (pg_store *)base;
    dc_status rc = side_conn(s, &s->tr);
    char after[24], age[24];
    snprintf(age, sizeof age, "%d", max_age_ms);
    /* Pages of batches (each up to a whole POST), until a short one. */
    for (int rows = 256; rc == DC_OK && rows == 256;) {
        snprintf(after, sizeof after, "%lld", (long long)after_seq);
        const char *vals[2] = {after, age};
        PGresult *res = dc__pg_exec_params(
            s, s->tr,
            "SELECT seq, operator, body FROM track_reports WHERE seq > $1 AND received > "
            "clock_timestamp() - $2::integer * interval '1 millisecond' ORDER BY seq LIMIT 256",
            2, vals, NULL, NULL);
        rc = dc__pg_res_status(res);
        rows = rc == DC_OK ? PQntuples(res) : 0;
        for (int i = 0; i < rows; i++) {
            dc_store_tracks t = {dc__pg_col_i64(res, i, 0), (uint32_t)dc__pg_col_i64(res, i, 1),
                                 PQgetvalue(res, i, 2)};
            after_seq = t.seq;
            if (fn(ctx, &t)) {
                rows = 0;
                break;
            }
        }
        PQclear(res);
    }
    return rc;
}

dc_status dc__pg_tracks_prune(dc_store *base, int max_age_ms)
{
    pg_store *s = (pg_store *)base;
    dc_status rc = side_conn(s, &s->tr);
    char age[24];
    snprintf(age, sizeof age, "%d", max_age_ms);
    const char *vals[1] = {age};
    if (rc != DC_OK)
        return rc;
    PGresult *res =
        dc__pg_exec_params(s, s->tr,
                           "DELETE FROM track_reports WHERE received < clock_timestamp() - "
                           "$1::integer * interval '1 millisecond'",
                           1, vals, NULL, NULL);
    rc = dc__pg_res_status(res);
    PQclear(res);
    return rc;
}
