/* SQLite backend of struct dc_store_ops: one file, WAL journal with
 * synchronous=FULL so a commit is durable when it returns. A writer
 * connection serves begin/commit and every put; a second, read-only
 * connection (own mutex) serves audit_each so the HTTP threads can page the
 * audit log while the committer writes; backup opens its own connections.
 * SQLite errors become DC_ESTORE here. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"

enum {
    ST_META_GET,
    ST_META_PUT,
    ST_OPERATOR_PUT,
    ST_OPERATOR_EACH,
    ST_KEY_PUT,
    ST_KEY_EACH,
    ST_ENTRY_PUT,
    ST_ENTRY_EACH,
    ST_AUDIT_APPEND,
    ST_LEAF_APPEND,
    ST_LEAF_EACH,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
    [ST_OPERATOR_PUT] = "INSERT OR REPLACE INTO operators(number, id, name, is_authority, created) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_OPERATOR_EACH] =
        "SELECT number, id, name, is_authority, created FROM operators ORDER BY number",
    [ST_KEY_PUT] =
        "INSERT OR REPLACE INTO api_keys(prefix, operator, salt, hash, revoked, created) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_KEY_EACH] = "SELECT prefix, operator, salt, hash, revoked, created FROM api_keys",
    [ST_ENTRY_PUT] = "INSERT OR REPLACE INTO entries(id, is_restriction, owner, priority, state, "
                     "version, volumes, exempt, note, created, updated, name) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_ENTRY_EACH] =
        "SELECT id, is_restriction, owner, priority, state, version, volumes, exempt, "
        "note, created, updated, name FROM entries ORDER BY created, id",
    [ST_AUDIT_APPEND] = "INSERT INTO audit(seq, entry, hash) VALUES (?1, ?2, ?3)",
    [ST_LEAF_APPEND] = "INSERT INTO tlog_leaves(idx, seq, party, salt, hash) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_LEAF_EACH] = "SELECT idx, seq, party, salt, hash FROM tlog_leaves WHERE idx > ?1 "
                     "ORDER BY idx",
};

/* The transparency log's tables, created on every writable open too: a
 * store made before them gains them (they start empty). */
static const char tlog_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS tlog_leaves(idx INTEGER PRIMARY KEY, seq INTEGER NOT NULL,"
    " party INTEGER NOT NULL, salt BLOB NOT NULL, hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tlog_checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tlog_cosignatures(size INTEGER NOT NULL, witness TEXT NOT NULL,"
    " line TEXT NOT NULL, PRIMARY KEY (size, witness));";

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS operators(number INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,"
    " name TEXT UNIQUE NOT NULL, is_authority INTEGER NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS api_keys(prefix TEXT PRIMARY KEY, operator INTEGER NOT NULL,"
    " salt BLOB NOT NULL, hash BLOB NOT NULL, revoked INTEGER NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS entries(id TEXT PRIMARY KEY, is_restriction INTEGER NOT NULL,"
    " owner INTEGER NOT NULL, priority INTEGER NOT NULL, state TEXT NOT NULL,"
    " version INTEGER NOT NULL, volumes TEXT NOT NULL, exempt TEXT NOT NULL, note TEXT NOT NULL,"
    " created INTEGER NOT NULL, updated INTEGER NOT NULL, name TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, entry TEXT NOT NULL,"
    " hash BLOB NOT NULL);";

typedef struct sqlite_store {
    struct dc_store base;
    char *path; /* the database file, for connections opened later (backup) */
    sqlite3 *wr;
    sqlite3 *rd;
    pthread_mutex_t rd_mu;
    sqlite3_stmt *st[ST_COUNT];
    sqlite3_stmt *audit_each;
    sqlite3 *ck; /* checkpoint connection */
    pthread_t ck_thread;
    pthread_mutex_t ck_mu;
    pthread_cond_t ck_cond;
    int ck_started, ck_wanted, ck_stop;
} sqlite_store;

/* WAL pages that wake the background checkpointer. Small on purpose: a
 * checkpoint's fsync of the database file shares the ext4 journal with the
 * commits' WAL fsyncs, and 4,000-page (16 MB) checkpoints held commits for
 * up to 233 ms; at 256 pages (1 MB) no commit waited over 20 ms in 15 s
 * half-load runs of bench_server (283,000 approvals). */
#define CHECKPOINT_PAGES 256

static int wal_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    sqlite_store *s = ctx;
    if (pages >= CHECKPOINT_PAGES) {
        pthread_mutex_lock(&s->ck_mu);
        s->ck_wanted = 1;
        pthread_cond_signal(&s->ck_cond);
        pthread_mutex_unlock(&s->ck_mu);
    }
    return SQLITE_OK;
}

static void *checkpointer(void *arg)
{
    sqlite_store *s = arg;
    pthread_mutex_lock(&s->ck_mu);
    while (!s->ck_stop) {
        while (!s->ck_wanted && !s->ck_stop)
            pthread_cond_wait(&s->ck_cond, &s->ck_mu);
        if (s->ck_stop)
            break;
        s->ck_wanted = 0;
        pthread_mutex_unlock(&s->ck_mu);
        sqlite3_wal_checkpoint_v2(s->ck, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&s->ck_mu);
    }
    pthread_mutex_unlock(&s->ck_mu);
    return NULL;
}

static dc_status store_err(sqlite3 *db, int rc)
{
    (void)db;
    if (rc == SQLITE_CONSTRAINT)
        return DC_EEXIST;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return DC_EBUSY;
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
        return DC_ECORRUPT;
    return DC_ESTORE;
}

/* Runs a prepared write statement to completion and resets it. */
static dc_status step_done(sqlite_store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? DC_OK : store_err(s->wr, rc);
}

static dc_status exec(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? DC_OK : store_err(db, rc);
}

static void sq_close(dc_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    if (s->ck_started) {
        pthread_mutex_lock(&s->ck_mu);
        s->ck_stop = 1;
        pthread_cond_signal(&s->ck_cond);
        pthread_mutex_unlock(&s->ck_mu);
        pthread_join(s->ck_thread, NULL);
    }
    sqlite3_close(s->ck);
    pthread_cond_destroy(&s->ck_cond);
    pthread_mutex_destroy(&s->ck_mu);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_finalize(s->audit_each);
    sqlite3_close(s->rd);
    sqlite3_close(s->wr);
    pthread_mutex_destroy(&s->rd_mu);
    dc_free(s->path);
    dc_free(s);
}

static dc_status sq_begin(dc_store *base)
{
    return exec(((sqlite_store *)base)->wr, "BEGIN IMMEDIATE");
}

static dc_status sq_commit(dc_store *base)
{
    return exec(((sqlite_store *)base)->wr, "COMMIT");
}

static dc_status sq_rollback(dc_store *base)
{
    return exec(((sqlite_store *)base)->wr, "ROLLBACK");
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static dc_status sq_meta_get(dc_store *base, const char *key, char **value)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->st[ST_META_GET];
    dc_status rc = DC_OK;
    *value = NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *value = dc_strdup(col_text(st, 0));
        if (!*value)
            rc = DC_ENOMEM;
    } else {
        rc = r == SQLITE_DONE ? DC_ENOTFOUND : store_err(s->wr, r);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static dc_status sq_meta_put(dc_store *base, const char *key, const char *value)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->st[ST_META_PUT];
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return step_done(s, st);
}

static dc_status sq_operator_put(dc_store *base, const dc_store_operator *o)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->st[ST_OPERATOR_PUT];
    sqlite3_bind_int64(st, 1, o->number);
    sqlite3_bind_text(st, 2, o->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, o->is_authority);
    sqlite3_bind_int64(st, 5, o->created_s);
    return step_done(s, st);
}

static dc_status sq_operator_each(dc_store *base, dc_store_operator_fn fn, void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->st[ST_OPERATOR_EACH];
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        dc_store_operator o = {(uint32_t)sqlite3_column_int64(st, 0), col_text(st, 1),
                               col_text(st, 2), sqlite3_column_int(st, 3),
                               sqlite3_column_int64(st, 4)};
        if (fn(ctx, &o))
            break;
    }
    sqlite3_reset(st);
    return r == SQLITE_ROW || r == SQLITE_DONE ? DC_OK : store_err(s->wr, r);
}

static dc_status sq_key_put(dc_store *base, const dc_store_key *k)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->st[ST_KEY_PUT];
    sqlite3_bind_text(st, 1, k->prefix, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, k->operator_number);
    sqlite3_bind_blob(st, 3, k->salt, sizeof k->salt, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, k->hash, sizeof k->hash, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, k->revoked);
    sqlite3_bind_int64(st, 6, k->created_s);
    return step_done(s, st);
}

static dc_status sq_key_each(dc_store *base, dc_store_key_fn fn, void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->st[ST_KEY_EACH];
    int r;
    dc_status rc = DC_OK;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        dc_store_key k = {.prefix = col_text(st, 0),
                          .operator_number = (uint32_t)sqlite3_column_int64(st, 1),
                          .revoked = sqlite3_column_int(st, 4),
                          .created_s = sqlite3_column_int64(st, 5)};
        if (sqlite3_column_bytes(st, 2) != sizeof k.salt ||
            sqlite3_column_bytes(st, 3) != sizeof k.hash) {
            rc = DC_ECORRUPT;
            break;
        }
        memcpy(k.salt, sqlite3_column_blob(st, 2), sizeof k.salt);
        memcpy(k.hash, sqlite3_column_blob(st, 3), sizeof k.hash);
        if (fn(ctx, &k))
            break;
    }
    sqlite3_reset(st);
    if (rc != DC_OK)
        return rc;
    return r == SQLITE_ROW || r == SQLITE_DONE ? DC_OK : store_err(s->wr, r);
}

static dc_status sq_entry_put(dc_store *base, const dc_store_entry *e)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->st[ST_ENTRY_PUT];
    sqlite3_bind_text(st, 1, e->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, e->is_restriction);
    sqlite3_bind_int64(st, 3, e->owner);
    sqlite3_bind_int(st, 4, e->priority);
    sqlite3_bind_text(st, 5, e->state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, e->version);
    sqlite3_bind_text(st, 7, e->volumes_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, e->exempt_json ? e->exempt_json : "[]", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, e->note ? e->note : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, e->created_s);
    sqlite3_bind_int64(st, 11, e->updated_s);
    sqlite3_bind_text(st, 12, e->name ? e->name : "", -1, SQLITE_STATIC);
    return step_done(s, st);
}

static dc_status sq_entry_each(dc_store *base, dc_store_entry_fn fn, void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->st[ST_ENTRY_EACH];
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        dc_store_entry e = {col_text(st, 0),
                            sqlite3_column_int(st, 1),
                            (uint32_t)sqlite3_column_int64(st, 2),
                            sqlite3_column_int(st, 3),
                            col_text(st, 4),
                            sqlite3_column_int64(st, 5),
                            col_text(st, 6),
                            col_text(st, 7),
                            col_text(st, 8),
                            sqlite3_column_int64(st, 9),
                            sqlite3_column_int64(st, 10),
                            col_text(st, 11)};
        if (fn(ctx, &e))
            break;
    }
    sqlite3_reset(st);
    return r == SQLITE_ROW || r == SQLITE_DONE ? DC_OK : store_err(s->wr, r);
}

static dc_status sq_audit_append(dc_store *base, const dc_audit_record *a)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->st[ST_AUDIT_APPEND];
    sqlite3_bind_int64(st, 1, a->seq);
    sqlite3_bind_text(st, 2, a->entry, (int)a->entry_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, a->hash, sizeof a->hash, SQLITE_STATIC);
    return step_done(s, st);
}

static dc_status sq_audit_each(dc_store *base, int64_t after_seq, size_t limit,
                               dc_store_audit_fn fn, void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    dc_status rc = DC_OK;
    int r;
    pthread_mutex_lock(&s->rd_mu);
    sqlite3_stmt *st = s->audit_each;
    sqlite3_bind_int64(st, 1, after_seq);
    sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        dc_audit_record a = {.seq = sqlite3_column_int64(st, 0),
                             .entry = col_text(st, 1),
                             .entry_len = (size_t)sqlite3_column_bytes(st, 1)};
        int n = sqlite3_column_bytes(st, 2);
        memset(a.hash, 0, sizeof a.hash);
        /* A hash of the wrong length is kept zero-padded so verify reports it. */
        memcpy(a.hash, sqlite3_column_blob(st, 2), n < 32 ? (size_t)n : 32);
        if (n != 32)
            a.hash[0] ^= 0xff;
        if (fn(ctx, &a))
            break;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = store_err(s->rd, r);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    pthread_mutex_unlock(&s->rd_mu);
    return rc;
}

static dc_status sq_leaf_append(dc_store *base, const dc_store_leaf *l)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->st[ST_LEAF_APPEND];
    sqlite3_bind_int64(st, 1, l->idx);
    sqlite3_bind_int64(st, 2, l->seq);
    sqlite3_bind_int64(st, 3, l->party);
    sqlite3_bind_blob(st, 4, l->salt, sizeof l->salt, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, l->hash, sizeof l->hash, SQLITE_STATIC);
    return step_done(s, st);
}

/* A blob of the wrong length is read as zeros with its first byte flipped,
 * so that no proof or verify accepts it. */
static void col_32(sqlite3_stmt *st, int i, uint8_t out[32])
{
    int n = sqlite3_column_bytes(st, i);
    memset(out, 0, 32);
    memcpy(out, sqlite3_column_blob(st, i), n < 32 ? (size_t)n : 32);
    if (n != 32)
        out[0] ^= 0xff;
}

static dc_status sq_leaf_each(dc_store *base, int64_t after_idx, dc_store_leaf_fn fn, void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->st[ST_LEAF_EACH];
    int r;
    sqlite3_bind_int64(st, 1, after_idx);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        dc_store_leaf l = {.idx = sqlite3_column_int64(st, 0),
                           .seq = sqlite3_column_int64(st, 1),
                           .party = (uint32_t)sqlite3_column_int64(st, 2)};
        col_32(st, 3, l.salt);
        col_32(st, 4, l.hash);
        if (fn(ctx, &l))
            break;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return r == SQLITE_ROW || r == SQLITE_DONE ? DC_OK : store_err(s->wr, r);
}

static dc_status sq_checkpoint_put(dc_store *base, const dc_store_checkpoint *c)
{
    return dc__sq_checkpoint_put(((sqlite_store *)base)->wr, c);
}

static dc_status sq_checkpoint_each(dc_store *base, int64_t after_size, dc_store_checkpoint_fn fn,
                                    void *ctx)
{
    return dc__sq_checkpoint_each(((sqlite_store *)base)->wr, after_size, fn, ctx);
}

static dc_status sq_cosignature_put(dc_store *base, const dc_store_cosignature *c)
{
    return dc__sq_cosignature_put(((sqlite_store *)base)->wr, c);
}

static dc_status sq_cosignature_each(dc_store *base, int64_t min_size, dc_store_cosignature_fn fn,
                                     void *ctx)
{
    return dc__sq_cosignature_each(((sqlite_store *)base)->wr, min_size, fn, ctx);
}

static dc_status sq_mode_s_put(dc_store *base, const dc_store_mode_s *m)
{
    return dc__sq_mode_s_put(((sqlite_store *)base)->wr, m);
}

static dc_status sq_mode_s_each(dc_store *base, dc_store_mode_s_fn fn, void *ctx)
{
    return dc__sq_mode_s_each(((sqlite_store *)base)->wr, fn, ctx);
}

/* fsync of a file or directory by path; 0 on success. */
static int sync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

/* The whole copy runs in one backup step, that is one read transaction on
 * the source: with WAL the server's writers go on meanwhile, while a copy
 * made in several steps would restart each time another process commits
 * and might never finish under load. */
static dc_status sq_backup(dc_store *base, const char *dest, dc_error *err)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b = NULL;
    sqlite3_stmt *qc = NULL;
    char tmp[PATH_MAX], dir[PATH_MAX];
    struct stat st;
    dc_status rc = DC_ESTORE;
    int fd, r;

    if (lstat(dest, &st) == 0) {
        dc_error_set(err, "backup", "%s exists: a backup never overwrites a file", dest);
        return DC_EEXIST;
    }
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", dest) >= (int)sizeof tmp)
        return dc_error_set(err, "backup", "destination path too long");
    if ((fd = mkstemp(tmp)) < 0) {
        dc_error_set(err, "backup", "cannot create %s: %s", tmp, strerror(errno));
        return DC_EIO;
    }
    close(fd);
    if (sqlite3_open_v2(s->path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        dc_error_set(err, "backup", "cannot read %s: %s", s->path,
                     src ? sqlite3_errmsg(src) : "out of memory");
        goto fail_tmp;
    }
    sqlite3_busy_timeout(src, 5000);
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        exec(dst, "PRAGMA synchronous=FULL") != DC_OK) {
        dc_error_set(err, "backup", "cannot write %s: %s", tmp,
                     dst ? sqlite3_errmsg(dst) : "out of memory");
        goto fail_tmp;
    }
    if (!(b = sqlite3_backup_init(dst, "main", src, "main"))) {
        dc_error_set(err, "backup", "cannot start the backup: %s", sqlite3_errmsg(dst));
        goto fail_tmp;
    }
    /* BUSY/LOCKED: a writer holds a lock SQLite's busy handler does not wait for. */
    for (int tries = 0; (r = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || r == SQLITE_LOCKED;
         tries++) {
        if (tries == 100)
            break;
        sqlite3_sleep(50);
    }
    sqlite3_backup_finish(b);
    if (r != SQLITE_DONE) {
        rc = store_err(dst, r);
        dc_error_set(err, "backup", "copying %s failed: %s", s->path, sqlite3_errstr(r));
        goto fail_tmp;
    }
    if (sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &qc, NULL) != SQLITE_OK ||
        sqlite3_step(qc) != SQLITE_ROW || strcmp(col_text(qc, 0), "ok")) {
        rc = DC_ECORRUPT;
        dc_error_set(err, "backup", "the copy fails quick_check: %s",
                     qc ? col_text(qc, 0) : sqlite3_errmsg(dst));
        goto fail_tmp;
    }
    sqlite3_finalize(qc);
    qc = NULL;
    if (sqlite3_close(dst) != SQLITE_OK) {
        dc_error_set(err, "backup", "cannot close %s", tmp);
        goto fail_tmp;
    }
    dst = NULL;
    /* link() rather than rename(): it never replaces a file that appeared
     * at dest since the check above. */
    if (sync_path(tmp, O_RDONLY) || link(tmp, dest)) {
        rc = errno == EEXIST ? DC_EEXIST : DC_EIO;
        dc_error_set(err, "backup", "cannot write %s: %s", dest, strerror(errno));
        goto fail_tmp;
    }
    unlink(tmp);
    snprintf(dir, sizeof dir, "%s", dest);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    if (sync_path(slash ? dir : ".", O_RDONLY | O_DIRECTORY)) {
        rc = DC_EIO;
        dc_error_set(err, "backup", "cannot sync the directory of %s: %s", dest, strerror(errno));
        unlink(dest);
        goto fail;
    }
    sqlite3_close(src);
    return DC_OK;
fail_tmp:
    sqlite3_finalize(qc);
    sqlite3_close(dst); /* rolls back and removes its journal, then the file goes */
    unlink(tmp);
fail:
    sqlite3_close(src);
    return rc;
}

static const struct dc_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .meta_get = sq_meta_get,
    .meta_put = sq_meta_put,
    .operator_put = sq_operator_put,
    .operator_each = sq_operator_each,
    .key_put = sq_key_put,
    .key_each = sq_key_each,
    .entry_put = sq_entry_put,
    .entry_each = sq_entry_each,
    .audit_append = sq_audit_append,
    .audit_each = sq_audit_each,
    .leaf_append = sq_leaf_append,
    .leaf_each = sq_leaf_each,
    .checkpoint_put = sq_checkpoint_put,
    .checkpoint_each = sq_checkpoint_each,
    .cosignature_put = sq_cosignature_put,
    .cosignature_each = sq_cosignature_each,
    .mode_s_put = sq_mode_s_put,
    .mode_s_each = sq_mode_s_each,
    .backup = sq_backup,
};

dc_status dc__sqlite_open(const char *path, int create, dc_store **out, dc_error *err)
{
    dc_status rc = DC_ESTORE;
    sqlite_store *s = dc_calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return DC_ENOMEM;
    s->base.ops = &sqlite_ops;
    if (!(s->path = dc_strdup(path))) {
        dc_free(s);
        return DC_ENOMEM;
    }
    pthread_mutex_init(&s->rd_mu, NULL);
    pthread_mutex_init(&s->ck_mu, NULL);
    pthread_cond_init(&s->ck_cond, NULL);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int r = sqlite3_open_v2(path, &s->wr, flags, NULL);
    if (r != SQLITE_OK) {
        rc = create ? DC_ESTORE : DC_ENOTFOUND;
        dc_error_set(err, "store", "cannot open %s: %s", path,
                     s->wr ? sqlite3_errmsg(s->wr) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->wr, 5000);
    if ((rc = exec(s->wr, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")) != DC_OK) {
        dc_error_set(err, "store", "%s: %s", path, sqlite3_errmsg(s->wr));
        goto fail;
    }
    if (create && (rc = exec(s->wr, schema_sql)) != DC_OK) {
        dc_error_set(err, "store", "cannot create schema in %s: %s", path, sqlite3_errmsg(s->wr));
        goto fail;
    }
    /* A read-only file cannot gain the tables; then the prepare below fails.
     * A store made before operation names gains their column (the ALTER
     * fails harmlessly once it is there). */
    exec(s->wr, tlog_schema_sql);
    if (sqlite3_exec(s->wr, "SELECT name FROM entries LIMIT 0", NULL, NULL, NULL) != SQLITE_OK)
        exec(s->wr, "ALTER TABLE entries ADD COLUMN name TEXT NOT NULL DEFAULT ''");
    exec(s->wr, dc__sq_mode_s_schema);
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v2(s->wr, stmt_sql[i], -1, &s->st[i], NULL) != SQLITE_OK) {
            rc = DC_ESTORE;
            dc_error_set(err, "store", "%s is not a deconflict store: %s", path,
                         sqlite3_errmsg(s->wr));
            goto fail;
        }
    }
    r = sqlite3_open_v2(path, &s->rd, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (r != SQLITE_OK ||
        sqlite3_prepare_v2(
            s->rd, "SELECT seq, entry, hash FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2", -1,
            &s->audit_each, NULL) != SQLITE_OK) {
        rc = DC_ESTORE;
        dc_error_set(err, "store", "cannot read %s: %s", path,
                     s->rd ? sqlite3_errmsg(s->rd) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->rd, 5000);
    if (sqlite3_open_v2(path, &s->ck, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        pthread_create(&s->ck_thread, NULL, checkpointer, s)) {
        rc = DC_ESTORE;
        dc_error_set(err, "store", "cannot open a checkpoint connection to %s", path);
        goto fail;
    }
    s->ck_started = 1;
    sqlite3_busy_timeout(s->ck, 5000);
    /* A connection sees WAL mode only once it has read the database: until
     * then its checkpoints return at once with nothing done (the WAL used
     * to grow without bound while serving). */
    if (exec(s->ck, "SELECT count(*) FROM sqlite_master") != DC_OK) {
        rc = DC_ESTORE;
        dc_error_set(err, "store", "cannot read %s: %s", path, sqlite3_errmsg(s->ck));
        goto fail;
    }
    sqlite3_wal_autocheckpoint(s->wr, 0);
    sqlite3_wal_hook(s->wr, wal_hook, s);
    *out = &s->base;
    return DC_OK;
fail:
    sq_close(&s->base);
    return rc;
}
