/* Mode S addresses in the PostgreSQL store (docs/feeds.md; migration 5):
 * one row per holder (an operator's register, an operation's declaration).
 * Written by the writer inside the caller's transaction, read by the
 * reader. Not part of the change feed: other instances read the rows when
 * they load (docs/feeds.md says what that means on a shared store). */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>

#include "store/postgres_int.h"

dc_status dc__pg_mode_s_put(dc_store *base, const dc_store_mode_s *m)
{
    pg_store *s = (pg_store *)base;
    const char *vals[2] = {m->holder, m->addresses};
    s->dirty = 1;
    PGresult *res =
        PQexecParams(s->wr,
                     "INSERT INTO mode_s(holder, addresses) VALUES ($1, $2) "
                     "ON CONFLICT (holder) DO UPDATE SET addresses = EXCLUDED.addresses",
                     2, NULL, vals, NULL, NULL, 0);
    dc_status rc = dc__pg_res_status(res);
    if (rc != DC_OK)
        fprintf(stderr, "deconflict: postgres: %s", PQerrorMessage(s->wr));
    PQclear(res);
    return rc;
}

dc_status dc__pg_mode_s_each(dc_store *base, dc_store_mode_s_fn fn, void *ctx)
{
    pg_store *s = (pg_store *)base;
    pthread_mutex_lock(&s->rd_mu);
    PGresult *res = PQexec(s->rd, "SELECT holder, addresses FROM mode_s ORDER BY holder");
    dc_status rc = dc__pg_res_status(res);
    for (int i = 0; rc == DC_OK && i < PQntuples(res); i++) {
        dc_store_mode_s m = {PQgetvalue(res, i, 0), PQgetvalue(res, i, 1)};
        if (fn(ctx, &m))
            break;
    }
    PQclear(res);
    pthread_mutex_unlock(&s->rd_mu);
    return rc;
}
