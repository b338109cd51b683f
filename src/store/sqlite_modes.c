/* Mode S addresses in the SQLite store (docs/feeds.md): one row per holder
 * (an operator's register, an operation's declaration), in table mode_s,
 * created on every writable open like the transparency log's tables, so a
 * store made before it gains it. Rare writes: statements are prepared per
 * call on the writer connection. */
#include <sqlite3.h>

#include "store/store_int.h"

const char dc__sq_mode_s_schema[] = "CREATE TABLE IF NOT EXISTS mode_s(holder TEXT PRIMARY KEY,"
                                    " addresses TEXT NOT NULL);";

dc_status dc__sq_mode_s_put(sqlite3 *db, const dc_store_mode_s *m)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO mode_s(holder, addresses) VALUES(?, ?)", -1,
                           &st, NULL) != SQLITE_OK)
        return DC_ESTORE;
    sqlite3_bind_text(st, 1, m->holder, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->addresses, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? DC_OK : DC_ESTORE;
}

dc_status dc__sq_mode_s_each(sqlite3 *db, dc_store_mode_s_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT holder, addresses FROM mode_s ORDER BY holder", -1, &st,
                           NULL) != SQLITE_OK)
        return DC_ESTORE;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(st, 0), *a = sqlite3_column_text(st, 1);
        dc_store_mode_s m = {h ? (const char *)h : "", a ? (const char *)a : ""};
        if (fn(ctx, &m))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DC_OK : DC_ESTORE;
}
