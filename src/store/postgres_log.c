/* Audit records and the transparency log's leaves, checkpoints and witness
 * cosignatures in the PostgreSQL store: appended by the writer inside the locked transaction
 * (postgres.c), read back by the reader. Split from postgres.c by concept:
 * the rows that make the record verifiable. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/postgres_int.h"

/* ---- audit ---- */

dc_status dc__pg_audit_append(dc_store *base, const dc_audit_record *a)
{
    pg_store *s = (pg_store *)base;
    char seq[24];
    snprintf(seq, sizeof seq, "%lld", (long long)a->seq);
    const char *vals[3] = {seq, a->entry, (const char *)a->hash};
    const int lens[3] = {0, (int)a->entry_len, 32}, fmts[3] = {0, 1, 1};
    s->dirty = 1;
    PGresult *res = dc__pg_prep(s, PS_AUDIT_APPEND, 3, vals, lens, fmts);
    dc_status rc = dc__pg_res_status(res);
    if (rc == DC_OK && strcmp(PQcmdTuples(res), "1"))
        rc = DC_EEXIST;
    else if (rc != DC_OK)
        fprintf(stderr, "deconflict: postgres: %s", PQerrorMessage(s->wr));
    PQclear(res);
    if (rc == DC_OK && s->locked) {
        s->head.audit_seq = a->seq;
        memcpy(s->head.audit_hash, a->hash, 32);
    }
    return rc;
}

dc_status dc__pg_audit_each(dc_store *base, int64_t after_seq, size_t limit, dc_store_audit_fn fn,
                            void *ctx)
{
    pg_store *s = (pg_store *)base;
    char after[24], lim[24];
    snprintf(after, sizeof after, "%lld", (long long)after_seq);
    snprintf(lim, sizeof lim, "%lld", limit ? (long long)limit : (long long)INT64_MAX);
    const char *vals[2] = {after, lim};
    dc_status rc = DC_OK;
    pthread_mutex_lock(&s->rd_mu);
    if (dc__pg_conn_ok(s, &s->rd) != DC_OK) {
        pthread_mutex_unlock(&s->rd_mu);
        return DC_ESTORE;
    }
    PGresult *res = dc__pg_exec_load(
        s, s->rd, "SELECT seq, entry, hash FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2", 2,
        vals);
    if ((rc = dc__pg_res_status(res)) == DC_OK) {
        for (int i = 0; i < PQntuples(res); i++) {
            size_t n = 0;
            char *entry = dc__pg_bytea_dup(res, i, 1, &n);
            if (!entry) {
                rc = DC_ECORRUPT;
                break;
            }
            dc_audit_record r = {.seq = dc__pg_col_i64(res, i, 0), .entry = entry, .entry_len = n};
            /* A hash of the wrong length is kept altered so verify reports it. */
            if (dc__pg_bytea_get(res, i, 2, r.hash, 32)) {
                memset(r.hash, 0, 32);
                r.hash[0] ^= 0xff;
            }
            int stop = fn(ctx, &r);
            dc_free(entry);
            if (stop)
                break;
        }
    }
    PQclear(res);
    pthread_mutex_unlock(&s->rd_mu);
    return rc;
}

/* ---- transparency log ---- */

dc_status dc__pg_leaf_append(dc_store *base, const dc_store_leaf *l)
{
    pg_store *s = (pg_store *)base;
    char idx[24], seq[24], party[24];
    snprintf(idx, sizeof idx, "%lld", (long long)l->idx);
    snprintf(seq, sizeof seq, "%lld", (long long)l->seq);
    snprintf(party, sizeof party, "%u", l->party);
    const char *vals[5] = {idx, seq, party, (const char *)l->salt, (const char *)l->hash};
    const int lens[5] = {0, 0, 0, 32, 32}, fmts[5] = {0, 0, 0, 1, 1};
    s->dirty = 1;
    return dc__pg_prep0(s, PS_LEAF_APPEND, 5, vals, lens, fmts);
}

static dc_status visit_leaves(PGresult *res, void *fnp, void *ctx)
{
    dc_store_leaf_fn fn = *(dc_store_leaf_fn *)fnp;
    for (int i = 0; i < PQntuples(res); i++) {
        dc_store_leaf l = {.idx = dc__pg_col_i64(res, i, 0),
                           .seq = dc__pg_col_i64(res, i, 1),
                           .party = (uint32_t)dc__pg_col_i64(res, i, 2)};
        /* A value of the wrong length is kept altered so no proof holds. */
        if (dc__pg_bytea_get(res, i, 3, l.salt, 32) || dc__pg_bytea_get(res, i, 4, l.hash, 32)) {
            memset(l.hash, 0, 32);
            l.hash[0] ^= 0xff;
        }
        if (fn(ctx, &l))
            break;
    }
    return DC_OK;
}

/* Rows of sql ($1: from) through visit. */
static dc_status query_from(dc_store *base, const char *sql, int64_t from,
                            dc_status (*visit)(PGresult *, void *, void *), void *fn, void *ctx)
{
    char arg[24];
    snprintf(arg, sizeof arg, "%lld", (long long)from);
    return dc__pg_query_visit(((pg_store *)base)->wr, sql, arg, visit, fn, ctx);
}

dc_status dc__pg_leaf_each(dc_store *base, int64_t after_idx, dc_store_leaf_fn fn, void *ctx)
{
    return query_from(base,
                      "SELECT idx, seq, party, salt, hash FROM tlog_leaves "
                      "WHERE idx > $1 ORDER BY idx",
                      after_idx, visit_leaves, &fn, ctx);
}

dc_status dc__pg_checkpoint_put(dc_store *base, const dc_store_checkpoint *c)
{
    pg_store *s = (pg_store *)base;
    char size[24];
    snprintf(size, sizeof size, "%lld", (long long)c->size);
    const char *vals[2] = {size, c->note};
    s->dirty = 1;
    return dc__pg_prep0(s, PS_CHECKPOINT_PUT, 2, vals, NULL, NULL);
}

static dc_status visit_checkpoints(PGresult *res, void *fnp, void *ctx)
{
    dc_store_checkpoint_fn fn = *(dc_store_checkpoint_fn *)fnp;
    for (int i = 0; i < PQntuples(res); i++) {
        dc_store_checkpoint c = {dc__pg_col_i64(res, i, 0), PQgetvalue(res, i, 1)};
        if (fn(ctx, &c))
            break;
    }
    return DC_OK;
}

dc_status dc__pg_checkpoint_each(dc_store *base, int64_t after_size, dc_store_checkpoint_fn fn,
                                 void *ctx)
{
    return query_from(base, "SELECT size, note FROM tlog_checkpoints WHERE size > $1 ORDER BY size",
                      after_size, visit_checkpoints, &fn, ctx);
}

/* ---- witness cosignatures (migration 7) ---- */

dc_status dc__pg_cosignature_put(dc_store *base, const dc_store_cosignature *c)
{
    pg_store *s = (pg_store *)base;
    char size[24];
    snprintf(size, sizeof size, "%lld", (long long)c->size);
    const char *vals[3] = {size, c->witness, c->line};
    s->dirty = 1;
    return dc__pg_prep0(s, PS_COSIGNATURE_PUT, 3, vals, NULL, NULL);
}

static dc_status visit_cosignatures(PGresult *res, void *fnp, void *ctx)
{
    dc_store_cosignature_fn fn = *(dc_store_cosignature_fn *)fnp;
    for (int i = 0; i < PQntuples(res); i++) {
        dc_store_cosignature c = {dc__pg_col_i64(res, i, 0), PQgetvalue(res, i, 1),
                                  PQgetvalue(res, i, 2)};
        if (fn(ctx, &c))
            break;
    }
    return DC_OK;
}

dc_status dc__pg_cosignature_each(dc_store *base, int64_t min_size, dc_store_cosignature_fn fn,
                                  void *ctx)
{
    return query_from(base,
                      "SELECT size, witness, line FROM tlog_cosignatures WHERE size >= $1 "
                      "ORDER BY size, witness",
                      min_size, visit_cosignatures, &fn, ctx);
}
