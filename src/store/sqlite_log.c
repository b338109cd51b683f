/* The transparency log's signed checkpoints and its witnesses' cosignatures
 * in the SQLite store (docs/transparency.md): one checkpoint per size, one
 * cosignature line per (checkpoint size, witness key), a later line
 * replacing the earlier. Their tables are created on every writable open
 * with the leaves' (sqlite.c). Rare writes (one checkpoint per log
 * interval, a witness's line per checkpoint): statements are prepared per
 * call on the writer connection. */
#include <sqlite3.h>

#include "store/store_int.h"

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* Runs sql with ?1 = num and ?2... = the n texts; each row (if any) goes
 * to row(st, fn, ctx), which returns nonzero to stop. */
static dc_status run(sqlite3 *db, const char *sql, int64_t num, const char *const *texts, int n,
                     int (*row)(sqlite3_stmt *, void *, void *), void *fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return DC_ESTORE;
    sqlite3_bind_int64(st, 1, num);
    for (int i = 0; i < n; i++)
        sqlite3_bind_text(st, i + 2, texts[i], -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && !row(st, fn, ctx))
        ;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DC_OK : DC_ESTORE;
}

static int checkpoint_row(sqlite3_stmt *st, void *fn, void *ctx)
{
    dc_store_checkpoint c = {sqlite3_column_int64(st, 0), col_text(st, 1)};
    return (*(dc_store_checkpoint_fn *)fn)(ctx, &c);
}

static int cosignature_row(sqlite3_stmt *st, void *fn, void *ctx)
{
    dc_store_cosignature c = {sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2)};
    return (*(dc_store_cosignature_fn *)fn)(ctx, &c);
}

dc_status dc__sq_checkpoint_put(sqlite3 *db, const dc_store_checkpoint *c)
{
    return run(db, "INSERT OR REPLACE INTO tlog_checkpoints(size, note) VALUES (?1, ?2)", c->size,
               &c->note, 1, NULL, NULL, NULL);
}

dc_status dc__sq_checkpoint_each(sqlite3 *db, int64_t after_size, dc_store_checkpoint_fn fn,
                                 void *ctx)
{
    return run(db, "SELECT size, note FROM tlog_checkpoints WHERE size > ?1 ORDER BY size",
               after_size, NULL, 0, checkpoint_row, &fn, ctx);
}

dc_status dc__sq_cosignature_put(sqlite3 *db, const dc_store_cosignature *c)
{
    const char *texts[2] = {c->witness, c->line};
    return run(db,
               "INSERT OR REPLACE INTO tlog_cosignatures(size, witness, line) VALUES (?1, ?2, ?3)",
               c->size, texts, 2, NULL, NULL, NULL);
}

dc_status dc__sq_cosignature_each(sqlite3 *db, int64_t min_size, dc_store_cosignature_fn fn,
                                  void *ctx)
{
    return run(db,
               "SELECT size, witness, line FROM tlog_cosignatures WHERE size >= ?1 "
               "ORDER BY size, witness",
               min_size, NULL, 0, cosignature_row, &fn, ctx);
}
