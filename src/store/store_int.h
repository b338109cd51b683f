/* Private layout shared by the store dispatcher and its backends: every
 * backend's struct starts with struct dc_store so a dc_store * can be cast. */
#ifndef DC_STORE_INT_H
#define DC_STORE_INT_H

#include "deconflict/store.h"

struct dc_store {
    const struct dc_store_ops *ops;
};

/* SQLite backend (sqlite.c). */
dc_status dc__sqlite_open(const char *path, int create, dc_store **out, dc_error *err);

/* SQLite's Mode S table (sqlite_modes.c), on the writer connection. */
typedef struct sqlite3 sqlite3;
extern const char dc__sq_mode_s_schema[];
dc_status dc__sq_mode_s_put(sqlite3 *db, const dc_store_mode_s *m);
dc_status dc__sq_mode_s_each(sqlite3 *db, dc_store_mode_s_fn fn, void *ctx);

/* SQLite's signed checkpoints and witness cosignatures (sqlite_log.c), on
 * the writer connection; their tables are created with the leaves'. */
dc_status dc__sq_checkpoint_put(sqlite3 *db, const dc_store_checkpoint *c);
dc_status dc__sq_checkpoint_each(sqlite3 *db, int64_t after_size, dc_store_checkpoint_fn fn,
                                 void *ctx);
dc_status dc__sq_cosignature_put(sqlite3 *db, const dc_store_cosignature *c);
dc_status dc__sq_cosignature_each(sqlite3 *db, int64_t min_size, dc_store_cosignature_fn fn,
                                  void *ctx);

/* PostgreSQL backend (postgres.c) and its schema (migrations_pg.c). */
dc_status dc__pg_open(const char *conninfo, int create, dc_store **out, dc_error *err);
typedef struct dc__migration {
    int version;
    const char *name;
    const char *sql;
} dc__migration;
extern const dc__migration dc__pg_migrations[];
extern const size_t dc__pg_n_migrations;

#endif
