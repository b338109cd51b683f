/* The PostgreSQL backend's connections across a failover (docs/ha.md).
 * Every statement goes through dc__pg_exec_*: sent asynchronously and
 * awaited with a deadline, so a hung server (SIGSTOPped, or a partition
 * that keeps TCP alive) costs one timeout, not a thread. A timeout, a lost
 * connection, or an answer saying the server is not (or no longer) a
 * writable primary shuts the connection; the next use reconnects through
 * the multi-host conninfo, whose target_session_attrs=read-write picks the
 * new primary. Each reconnection advances the store's epoch, which tells
 * the server that memory may hold what the new primary lacks.
 * dc__pg_resolve_commit decides a COMMIT whose answer was lost by reading
 * back, on a primary that proves it can commit synchronously. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "store/postgres_int.h"

/* How long the server may stay silent on one statement before its
 * connection is given up (the deadline restarts whenever bytes arrive). */
#define STMT_TIMEOUT_MS 5000
/* Whole-table reads (a reload, which sorts) and migrations get longer. */
#define LOAD_TIMEOUT_MS 15000
/* How long a commit whose answer was lost is chased before giving up. */
#define RESOLVE_FOR_MS 30000

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Makes c unusable: libpq reports it CONNECTION_BAD from the next read on,
 * and the next dc__pg_conn_ok reconnects. */
static void conn_kill(PGconn *c)
{
    if (c && PQsocket(c) >= 0) {
        shutdown(PQsocket(c), SHUT_RDWR);
        PQconsumeInput(c);
    }
}

/* SQLSTATEs meaning "this server cannot take our writes now": connection
 * exceptions, shutdown/recovery, a read-only (standby) session. */
static int server_gone(const char *code)
{
    return code && (!strncmp(code, "08", 2) || !strcmp(code, "57P01") || !strcmp(code, "57P02") ||
                    !strcmp(code, "57P03") || !strcmp(code, "25006"));
}

/* Awaits every result of the query just sent (the last one kept, or the
 * first error), for at most timeout_ms. */
static PGresult *await(pg_store *s, PGconn *c, int sent, int timeout_ms)
{
    if (!sent) {
        conn_kill(c);
        return NULL;
    }
    int64_t dl = now_ms() + timeout_ms;
    PGresult *keep = NULL, *r;
    for (;;) {
        while (PQflush(c) == 1 || PQisBusy(c)) {
            int left = (int)(dl - now_ms());
            struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
            if (PQflush(c) == 1)
                p.events |= POLLOUT;
            if (left <= 0 || poll(&p, 1, left) == 0) {
                if (s)
                    atomic_fetch_add(&s->st_timeouts, 1);
                fprintf(stderr,
                        "deconflict: postgres: no answer in %d ms; dropping the "
                        "connection\n",
                        timeout_ms);
                PQclear(keep);
                conn_kill(c);
                return NULL;
            }
            if (!PQconsumeInput(c)) {
                PQclear(keep);
                return NULL;
            }
            dl = now_ms() + timeout_ms; /* bytes came: the deadline is for silence */
        }
        if (!(r = PQgetResult(c)))
            break;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
            PQclear(keep);
            return r;
        }
        if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR)
            PQclear(r); /* the first error is the one that matters */
        else {
            PQclear(keep);
            keep = r;
        }
    }
    if (keep && server_gone(PQresultErrorField(keep, PG_DIAG_SQLSTATE)))
        conn_kill(c);
    return keep;
}

PGresult *dc__pg_await(pg_store *s, PGconn *c)
{
    return await(s, c, 1, STMT_TIMEOUT_MS);
}

PGresult *dc__pg_exec(pg_store *s, PGconn *c, const char *sql)
{
    return await(s, c, PQsendQuery(c, sql), STMT_TIMEOUT_MS);
}

PGresult *dc__pg_exec_params(pg_store *s, PGconn *c, const char *sql, int n,
                             const char *const *vals, const int *lens, const int *fmts)
{
    return await(s, c, PQsendQueryParams(c, sql, n, NULL, vals, lens, fmts, 0), STMT_TIMEOUT_MS);
}

PGresult *dc__pg_exec_load(pg_store *s, PGconn *c, const char *sql, int n, const char *const *vals)
{
    /* Without parameters: the simple protocol, which takes several statements. */
    int sent = n ? PQsendQueryParams(c, sql, n, NULL, vals, NULL, NULL, 0) : PQsendQuery(c, sql);
    return await(s, c, sent, LOAD_TIMEOUT_MS);
}

PGresult *dc__pg_exec_prepared(pg_store *s, PGconn *c, const char *name, int n,
                               const char *const *vals, const int *lens, const int *fmts)
{
    return await(s, c, PQsendQueryPrepared(c, name, n, vals, lens, fmts, 0), STMT_TIMEOUT_MS);
}

PGresult *dc__pg_prepare(pg_store *s, PGconn *c, const char *name, const char *sql)
{
    return await(s, c, PQsendPrepare(c, name, sql, 0, NULL), STMT_TIMEOUT_MS);
}

/* ---- reconnection ---- */

dc_status dc__pg_conn_ok(pg_store *s, PGconn **c)
{
    if (*c && PQstatus(*c) == CONNECTION_OK)
        return DC_OK;
    int again = *c != NULL; /* a connection we had, lost: count it */
    PQfinish(*c);
    *c = dc__pg_connect_quiet(s->conninfo);
    if (PQstatus(*c) != CONNECTION_OK) {
        PQfinish(*c);
        *c = NULL;
        return DC_ESTORE;
    }
    if (again) {
        atomic_fetch_add(&s->st_reconnects, 1);
        fprintf(stderr, "deconflict: postgres: reconnected to %s:%s\n", PQhost(*c), PQport(*c));
    }
    return DC_OK;
}

/* ---- a commit whose outcome is unknown ---- */

/* One attempt: is audit record seq, with hash, in the store? Asked on a
 * primary that commits a transaction with an xid (synchronous replication
 * makes that wait for the synchronous standby), so a zombie primary that
 * kept a local commit nobody else has cannot answer. */
static dc_status read_back(pg_store *s, int64_t seq, const uint8_t hash[32], int *found)
{
    char q[24];
    snprintf(q, sizeof q, "%lld", (long long)seq);
    const char *vals[1] = {q};
    PGresult *res = dc__pg_exec(s, s->wr, "BEGIN");
    dc_status rc = dc__pg_res_status(res);
    PQclear(res);
    if (rc != DC_OK)
        return rc;
    res = dc__pg_exec_params(s, s->wr, "SELECT hash, txid_current() FROM audit WHERE seq = $1", 1,
                             vals, NULL, NULL);
    rc = dc__pg_res_status(res);
    uint8_t got[32];
    int rows = rc == DC_OK ? PQntuples(res) : 0;
    int same = rows == 1 && !dc__pg_bytea_get(res, 0, 0, got, 32) && !memcmp(got, hash, 32);
    PQclear(res);
    if (rc == DC_OK && rows == 0) { /* still needs an xid to prove the server */
        res = dc__pg_exec(s, s->wr, "SELECT txid_current()");
        rc = dc__pg_res_status(res);
        PQclear(res);
    }
    res = dc__pg_exec(s, s->wr, rc == DC_OK ? "COMMIT" : "ROLLBACK");
    if (rc == DC_OK)
        rc = dc__pg_res_status(res);
    PQclear(res);
    *found = same;
    return rc;
}

dc_status dc__pg_resolve_commit(pg_store *s, int64_t audit_seq, const uint8_t hash[32])
{
    atomic_fetch_add(&s->st_unknown, 1);
    if (audit_seq <= 0) { /* nothing of ours to look for */
        atomic_fetch_add(&s->st_unresolved, 1);
        return DC_ESTORE;
    }
    int64_t until = now_ms() + RESOLVE_FOR_MS;
    while (now_ms() < until) {
        int found = 0;
        if (dc__pg_writer_ok(s) == DC_OK && read_back(s, audit_seq, hash, &found) == DC_OK) {
            fprintf(stderr, "deconflict: postgres: the commit of audit record %lld %s\n",
                    (long long)audit_seq, found ? "had happened" : "had not happened");
            atomic_fetch_add(found ? &s->st_resolved_committed : &s->st_resolved_rolled_back, 1);
            return found ? DC_OK : DC_ESTORE;
        }
        poll(NULL, 0, 200);
    }
    atomic_fetch_add(&s->st_unresolved, 1);
    return DC_ESTORE;
}

dc_status dc__pg_conn_stats(dc_store *base, dc_store_conn_stats *out)
{
    pg_store *s = (pg_store *)base;
    out->reconnects = atomic_load(&s->st_reconnects);
    out->timeouts = atomic_load(&s->st_timeouts);
    out->commits_unknown = atomic_load(&s->st_unknown);
    out->unknown_committed = atomic_load(&s->st_resolved_committed);
    out->unknown_rolled_back = atomic_load(&s->st_resolved_rolled_back);
    out->unknown_unresolved = atomic_load(&s->st_unresolved);
    return DC_OK;
}
