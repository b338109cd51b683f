/* The store contract (include/deconflict/store.h), written once against
 * struct dc_store_ops so every backend runs the same suite: SQLite always,
 * and PostgreSQL too when DC_TEST_PG names a database (libpq URI; the
 * suite empties its public schema before each test). tests/pg/check-store.sh
 * starts a throwaway cluster for it. Also the audit chain's verification
 * against tampered and gapped records, and the shared-store extensions
 * (change feed, head lock, migrations, lease, alerts) on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "deconflict/audit.h"
#include "deconflict/store.h"

static char path[512];     /* the store under test: a file, or the PostgreSQL URI */
static const char *pg_uri; /* NULL: SQLite run */

/* Runs sql on the PostgreSQL test database. */
static void pg_exec(const char *sql)
{
    PGconn *c = PQconnectdb(pg_uri);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int setup(void **state)
{
    (void)state;
    if (pg_uri) {
        snprintf(path, sizeof path, "%s", pg_uri);
        pg_exec("SET client_min_messages = warning; DROP SCHEMA public CASCADE; "
                "CREATE SCHEMA public");
        return 0;
    }
    snprintf(path, sizeof path, "/tmp/dc-store-test-XXXXXX");
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[600];
    if (pg_uri)
        return 0;
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    return 0;
}

static dc_store *open_new(void)
{
    dc_store *s;
    dc_error err;
    assert_int_equal(dc_store_open(path, 1, &s, &err), DC_OK);
    return s;
}

typedef struct seen {
    int n;
    char last[128];
    int64_t seqs[16];
} seen;

static int count_op(void *ctx, const dc_store_operator *o)
{
    seen *s = ctx;
    snprintf(s->last, sizeof s->last, "%u:%s:%s:%d", o->number, o->id, o->name, o->is_authority);
    s->n++;
    return 0;
}

static int count_entry(void *ctx, const dc_store_entry *e)
{
    seen *s = ctx;
    snprintf(s->last, sizeof s->last, "%s:%s:%lld:%s%s%s", e->id, e->state, (long long)e->version,
             e->volumes_json, e->name && e->name[0] ? ":" : "", e->name ? e->name : "");
    s->n++;
    return 0;
}

static int count_key(void *ctx, const dc_store_key *k)
{
    seen *s = ctx;
    snprintf(s->last, sizeof s->last, "%s:%u:%d:%02x", k->prefix, k->operator_number, k->revoked,
             k->hash[31]);
    s->n++;
    return 0;
}

static int count_audit(void *ctx, const dc_audit_record *r)
{
    seen *s = ctx;
    if (s->n < 16)
        s->seqs[s->n] = r->seq;
    s->n++;
    return 0;
}

static void test_missing_store(void **state)
{
    (void)state;
    dc_store *s;
    dc_error err;
    /* PostgreSQL: a reachable database without the schema. */
    assert_int_equal(dc_store_open(pg_uri ? path : "/nonexistent-dir/x.db", 0, &s, &err),
                     DC_ENOTFOUND);
    assert_null(s);
    assert_int_equal(dc_store_open("", 0, &s, &err), DC_EINVAL);
    assert_string_equal(err.field, "store");
}

static void test_rows_round_trip_and_upsert(void **state)
{
    (void)state;
    dc_store *s = open_new();
    const struct dc_store_ops *ops = dc_store_ops_of(s);
    char *v = NULL;
    assert_int_equal(ops->meta_get(s, "secret", &v), DC_ENOTFOUND);
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(ops->meta_put(s, "secret", "abc"), DC_OK);
    dc_store_operator o = {1, "opr_1", "iraq", 1, 100};
    assert_int_equal(ops->operator_put(s, &o), DC_OK);
    dc_store_key k = {"prefix1", 1, {1}, {2}, 0, 100};
    assert_int_equal(ops->key_put(s, &k), DC_OK);
    dc_store_entry e = {"op_1", 0, 1, 5, "approved", 1, "[]", "[]", "", 100, 100, "Baiji sweep"};
    assert_int_equal(ops->entry_put(s, &e), DC_OK);
    e.state = "active";
    e.version = 2;
    assert_int_equal(ops->entry_put(s, &e), DC_OK); /* update in place */
    k.revoked = 1;
    assert_int_equal(ops->key_put(s, &k), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    dc_store_close(s);

    dc_error err;
    assert_int_equal(dc_store_open(path, 0, &s, &err), DC_OK); /* reopen: durable */
    ops = dc_store_ops_of(s);
    assert_int_equal(ops->meta_get(s, "secret", &v), DC_OK);
    assert_string_equal(v, "abc");
    dc_free(v);
    seen so = {0}, se = {0}, sk = {0};
    assert_int_equal(ops->operator_each(s, count_op, &so), DC_OK);
    assert_int_equal(so.n, 1);
    assert_string_equal(so.last, "1:opr_1:iraq:1");
    assert_int_equal(ops->entry_each(s, count_entry, &se), DC_OK);
    assert_int_equal(se.n, 1);
    assert_string_equal(se.last, "op_1:active:2:[]:Baiji sweep");
    assert_int_equal(ops->key_each(s, count_key, &sk), DC_OK);
    assert_int_equal(sk.n, 1);
    assert_string_equal(sk.last, "prefix1:1:1:00");
    dc_store_close(s);
}

static int count_mode_s(void *ctx, const dc_store_mode_s *m)
{
    seen *s = ctx;
    s->n++;
    snprintf(s->last + strlen(s->last), sizeof s->last - strlen(s->last), "%s=%s;", m->holder,
             m->addresses);
    return 0;
}

/* Mode S rows (an operator's register, an operation's declaration): put
 * replaces a holder's row, rows are durable, rolled back with their batch. */
static void test_mode_s_rows(void **state)
{
    (void)state;
    dc_store *s = open_new();
    dc_store_mode_s a = {"opr_1", "4CA7A8,ABC123"}, b = {"op_1", "4CA7A8"};
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(dc_store_mode_s_put(s, &a), DC_OK);
    assert_int_equal(dc_store_mode_s_put(s, &b), DC_OK);
    a.addresses = "ABC123";
    assert_int_equal(dc_store_mode_s_put(s, &a), DC_OK); /* replaces */
    assert_int_equal(dc_store_commit(s), DC_OK);
    dc_store_mode_s c = {"opr_2", "000001"};
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(dc_store_mode_s_put(s, &c), DC_OK);
    assert_int_equal(dc_store_rollback(s), DC_OK);
    dc_store_close(s);
    dc_error err;
    assert_int_equal(dc_store_open(path, 0, &s, &err), DC_OK);
    seen m = {0};
    assert_int_equal(dc_store_mode_s_each(s, count_mode_s, &m), DC_OK);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.last, "op_1=4CA7A8;opr_1=ABC123;");
    dc_store_close(s);
}

/* SQLite: the background checkpointer really copies the WAL into the
 * database while the store stays open (it once returned at once, the
 * connection not knowing it was in WAL mode, and the WAL grew without
 * bound). ~24 MB of entries, past the 4,000-page trigger: the database
 * file must grow within 5 s, before any close. */
static void test_sqlite_wal_is_checkpointed_while_open(void **state)
{
    (void)state;
    if (pg_uri)
        skip();
    dc_store *s = open_new();
    const struct dc_store_ops *ops = dc_store_ops_of(s);
    char *json = malloc(2048), id[32];
    memset(json, 'x', 2047);
    json[0] = '"';
    json[2046] = '"';
    json[2047] = 0;
    for (int b = 0; b < 24; b++) {
        assert_int_equal(dc_store_begin(s), DC_OK);
        for (int i = 0; i < 500; i++) {
            snprintf(id, sizeof id, "op_%d_%d", b, i);
            dc_store_entry e = {id, 0, 1, 5, "approved", 1, json, "[]", "", 100, 100, ""};
            assert_int_equal(ops->entry_put(s, &e), DC_OK);
        }
        assert_int_equal(dc_store_commit(s), DC_OK);
    }
    struct stat st = {0};
    for (int i = 0; i < 100; i++) {
        assert_int_equal(stat(path, &st), 0);
        if (st.st_size > 8 * 1024 * 1024)
            break;
        usleep(50000);
    }
    assert_true(st.st_size > 8 * 1024 * 1024);
    free(json);
    dc_store_close(s);
}

static void test_rollback_discards(void **state)
{
    (void)state;
    dc_store *s = open_new();
    const struct dc_store_ops *ops = dc_store_ops_of(s);
    dc_store_entry e = {"op_x", 0, 1, 5, "approved", 1, "[]", "[]", "", 1, 1, ""};
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(ops->entry_put(s, &e), DC_OK);
    assert_int_equal(dc_store_rollback(s), DC_OK);
    seen se = {0};
    assert_int_equal(ops->entry_each(s, count_entry, &se), DC_OK);
    assert_int_equal(se.n, 0);
    dc_store_close(s);
}

/* Appends n chained records; returns the store open. */
static dc_store *chain(int n)
{
    dc_store *s = open_new();
    const struct dc_store_ops *ops = dc_store_ops_of(s);
    uint8_t prev[32] = {0};
    assert_int_equal(dc_store_begin(s), DC_OK);
    for (int i = 1; i <= n; i++) {
        size_t len;
        char *entry = dc_audit_canonical(i, 1000 + i, "opr_1", "approve", "op_1", NULL, &len);
        dc_audit_record r = {i, entry, len, {0}};
        dc_audit_chain(prev, entry, len, r.hash);
        memcpy(prev, r.hash, 32);
        assert_int_equal(ops->audit_append(s, &r), DC_OK);
        if (i == 1)
            assert_int_equal(ops->audit_append(s, &r), DC_EEXIST);
        dc_free(entry);
    }
    assert_int_equal(dc_store_commit(s), DC_OK);
    return s;
}

static void test_audit_paging(void **state)
{
    (void)state;
    dc_store *s = chain(10);
    const struct dc_store_ops *ops = dc_store_ops_of(s);
    seen a = {0};
    assert_int_equal(ops->audit_each(s, 3, 4, count_audit, &a), DC_OK);
    assert_int_equal(a.n, 4);
    assert_int_equal(a.seqs[0], 4);
    assert_int_equal(a.seqs[3], 7);
    dc_audit_report rep;
    assert_int_equal(dc_audit_verify(s, &rep), DC_OK);
    assert_int_equal(rep.records, 10);
    dc_store_close(s);
}

static void test_audit_canonical_is_sorted_compact(void **state)
{
    (void)state;
    size_t len;
    json_t *d = json_pack("{s:i, s:s}", "z", 1, "a", "x");
    char *e = dc_audit_canonical(7, 99, "me", "act", "sub", d, &len);
    json_decref(d);
    assert_string_equal(e, "{\"action\":\"act\",\"actor\":\"me\",\"detail\":{\"a\":\"x\",\"z\":1},"
                           "\"seq\":7,\"subject\":\"sub\",\"time\":99}");
    assert_int_equal(len, strlen(e));
    dc_free(e);
}

/* Appends one record chained from 32 zero bytes, in its own transaction. */
static void append_unchained(dc_store *s, int64_t seq, const char *subject, json_t *detail)
{
    const struct dc_store_ops *ops = dc_store_ops_of(s);
    uint8_t zero[32] = {0};
    size_t len;
    char *entry = dc_audit_canonical(seq, 1, "x", "approve", subject, detail, &len);
    dc_audit_record r = {seq, entry, len, {0}};
    dc_audit_chain(zero, entry, len, r.hash);
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(ops->audit_append(s, &r), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    dc_free(entry);
}

static void test_verify_detects_a_changed_record(void **state)
{
    (void)state;
    dc_store *s = chain(5);
    dc_audit_report rep;
    dc_store_close(s);
    /* Another record 6 whose hash does not chain from record 5. */
    s = open_new();
    append_unchained(s, 6, "op_2", NULL);
    assert_int_equal(dc_audit_verify(s, &rep), DC_ECORRUPT);
    assert_int_equal(rep.bad_seq, 6);
    dc_store_close(s);
}

/* Found by fuzz_audit: a row when no record carries any digest (bsearch
 * on an empty array was undefined behaviour), and a record whose detail
 * holds a NUL character, which dc_audit_canonical writes and verify must
 * read back. */
static void test_verify_rows_without_digests_and_nul_in_detail(void **state)
{
    (void)state;
    dc_store *s = open_new();
    const struct dc_store_ops *ops = dc_store_ops_of(s);
    json_t *d = json_object();
    json_object_set_new(d, "note", json_stringn("a\0b", 3));
    append_unchained(s, 1, "op_9", d);
    json_decref(d);
    dc_audit_report rep;
    assert_int_equal(dc_audit_verify(s, &rep), DC_OK);
    dc_store_entry e = {"op_9", 0, 1, 5, "approved", 1, "[]", "[]", "", 100, 100, ""};
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(ops->entry_put(s, &e), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    assert_int_equal(dc_audit_verify(s, &rep), DC_ECORRUPT);
    assert_non_null(strstr(rep.reason, "op_9"));
    dc_store_close(s);
}

static void test_verify_detects_a_gap(void **state)
{
    (void)state;
    dc_store *s = chain(2);
    append_unchained(s, 4, "op_2", NULL);
    dc_audit_report rep;
    assert_int_equal(dc_audit_verify(s, &rep), DC_ECORRUPT);
    assert_int_equal(rep.bad_seq, 3);
    dc_store_close(s);
}

static void test_verify_checks_entries_against_their_digest(void **state)
{
    (void)state;
    dc_store *s = open_new();
    const struct dc_store_ops *ops = dc_store_ops_of(s);
    dc_store_entry e = {"op_9", 0, 2, 5, "approved", 1, "[1]", "[]", "", 1, 1, ""};
    char hex[65];
    dc_audit_entry_digest(&e, hex);
    json_t *d = json_pack("{s:s}", "entry_sha256", hex);
    append_unchained(s, 1, "op_9", d);
    json_decref(d);
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(ops->entry_put(s, &e), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    dc_audit_report rep;
    assert_int_equal(dc_audit_verify(s, &rep), DC_OK);
    e.volumes_json = "[2]"; /* edited behind the chain's back */
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(ops->entry_put(s, &e), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    assert_int_equal(dc_audit_verify(s, &rep), DC_ECORRUPT);
    assert_non_null(strstr(rep.reason, "op_9"));
    dc_store_close(s);
}

/* ---- shared-store extensions (PostgreSQL) ---- */

static int count_leaf(void *ctx, const dc_store_leaf *l)
{
    seen *s = ctx;
    snprintf(s->last, sizeof s->last, "%lld:%lld:%u:%02x%02x", (long long)l->idx, (long long)l->seq,
             l->party, l->salt[0], l->hash[31]);
    s->n++;
    return 0;
}

static int count_checkpoint(void *ctx, const dc_store_checkpoint *c)
{
    seen *s = ctx;
    snprintf(s->last, sizeof s->last, "%lld:%s", (long long)c->size, c->note);
    s->n++;
    return 0;
}

/* Transparency log rows: leaves commit and roll back with their batch,
 * an index is never reused, checkpoints are kept one per size. */
static void test_tlog_leaves_and_checkpoints(void **state)
{
    (void)state;
    dc_store *s = open_new();
    dc_store_leaf a = {.idx = 0, .seq = 1, .party = 2}, b = {.idx = 1, .seq = 0, .party = 0};
    memset(a.salt, 0xaa, 32);
    memset(a.hash, 0x11, 32);
    memset(b.salt, 0xbb, 32);
    memset(b.hash, 0x22, 32);
    dc_store_checkpoint c1 = {2, "o\n2\nroot\n\nsig\n"}, c2 = {4, "o\n4\nroot\n\nsig\n"};
    seen v = {0};
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(dc_store_leaf_append(s, &a), DC_OK);
    assert_int_equal(dc_store_leaf_append(s, &b), DC_OK);
    assert_int_equal(dc_store_checkpoint_put(s, &c1), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    assert_int_equal(dc_store_begin(s), DC_OK);
    b.idx = 2;
    assert_int_equal(dc_store_leaf_append(s, &b), DC_OK);
    assert_int_equal(dc_store_checkpoint_put(s, &c2), DC_OK);
    assert_int_equal(dc_store_rollback(s), DC_OK);
    assert_int_equal(dc_store_leaf_each(s, -1, count_leaf, &v), DC_OK);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.last, "1:0:0:bb22");
    v = (seen){0};
    assert_int_equal(dc_store_leaf_each(s, 0, count_leaf, &v), DC_OK);
    assert_int_equal(v.n, 1);
    v = (seen){0};
    assert_int_equal(dc_store_checkpoint_each(s, -1, count_checkpoint, &v), DC_OK);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.last, "2:o\n2\nroot\n\nsig\n");
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(dc_store_leaf_append(s, &a), DC_EEXIST);
    dc_store_rollback(s);
    dc_store_close(s);
}

static int count_cosignature(void *ctx, const dc_store_cosignature *c)
{
    seen *s = ctx;
    size_t n = strlen(s->last);
    snprintf(s->last + n, sizeof s->last - n, "%lld:%s:%s", (long long)c->size, c->witness,
             c->line);
    s->n++;
    return 0;
}

/* Witness cosignatures: one line per (size, witness), a later one replaces
 * the earlier, a rolled-back batch leaves none; checkpoints and lines are
 * read from a size on. */
static void test_tlog_cosignatures(void **state)
{
    (void)state;
    dc_store *s = open_new();
    dc_store_checkpoint c2 = {2, "o\n2\nr\n\nsig\n"}, c4 = {4, "o\n4\nr\n\nsig\n"};
    dc_store_cosignature a = {2, "w1", "L1\n"}, b = {4, "w1", "L2\n"}, c = {4, "w2", "L3\n"};
    seen v = {0};
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(dc_store_checkpoint_put(s, &c2), DC_OK);
    assert_int_equal(dc_store_checkpoint_put(s, &c4), DC_OK);
    assert_int_equal(dc_store_cosignature_put(s, &a), DC_OK);
    assert_int_equal(dc_store_cosignature_put(s, &b), DC_OK);
    assert_int_equal(dc_store_cosignature_put(s, &c), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    b.line = "L4\n"; /* the witness cosigned again */
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(dc_store_cosignature_put(s, &b), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    dc_store_cosignature d = {4, "w3", "L5\n"};
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(dc_store_cosignature_put(s, &d), DC_OK);
    assert_int_equal(dc_store_rollback(s), DC_OK);
    assert_int_equal(dc_store_cosignature_each(s, 4, count_cosignature, &v), DC_OK);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.last, "4:w1:L4\n4:w2:L3\n");
    v = (seen){0};
    assert_int_equal(dc_store_cosignature_each(s, 0, count_cosignature, &v), DC_OK);
    assert_int_equal(v.n, 3);
    v = (seen){0};
    assert_int_equal(dc_store_checkpoint_each(s, 2, count_checkpoint, &v), DC_OK);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.last, "4:o\n4\nr\n\nsig\n");
    dc_store_close(s);
}

static void test_pg_schema_versions(void **state)
{
    (void)state;
    if (!pg_uri)
        skip();
    dc_store *s = open_new();
    dc_store_close(s);
    dc_error err = {{0}, {0}};
    assert_int_equal(dc_store_open(path, 0, &s, &err), DC_OK); /* serve: current schema */
    dc_store_close(s);
    assert_int_equal(dc_store_open(path, 1, &s, &err), DC_OK); /* init again: nothing to do */
    dc_store_close(s);
    pg_exec("INSERT INTO schema_migrations(version, name) VALUES (999, 'from the future')");
    assert_int_equal(dc_store_open(path, 0, &s, &err), DC_EUNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(err.reason, "newer"));
    pg_exec("DELETE FROM schema_migrations WHERE version >= 2");
    assert_int_equal(dc_store_open(path, 0, &s, &err), DC_EUNSUPPORTED);
    assert_non_null(strstr(err.reason, "migrate"));
    assert_int_not_equal(dc_store_open(path, 1, &s, &err), DC_OK); /* v2 tables exist */
}

typedef struct feed {
    int ops, keys, entries;
    char last_entry[64];
} feed;

static int feed_op(void *ctx, const dc_store_operator *o)
{
    (void)o;
    ((feed *)ctx)->ops++;
    return 0;
}

static int feed_key(void *ctx, const dc_store_key *k)
{
    (void)k;
    ((feed *)ctx)->keys++;
    return 0;
}

static int feed_entry(void *ctx, const dc_store_entry *e)
{
    feed *f = ctx;
    f->entries++;
    snprintf(f->last_entry, sizeof f->last_entry, "%s:%s:%lld", e->id, e->state,
             (long long)e->version);
    return 0;
}

static void test_pg_change_feed_and_head(void **state)
{
    (void)state;
    if (!pg_uri)
        skip();
    dc_store *a = open_new(), *b = open_new();
    const struct dc_store_ops *ops = dc_store_ops_of(a);
    assert_non_null(ops->begin_locked);
    dc_store_head h, hb;
    feed f = {0};
    assert_int_equal(ops->begin_locked(a, &h), DC_OK);
    assert_int_equal(h.change_seq, 0);
    assert_int_equal(h.audit_seq, 0);
    dc_store_operator o = {1, "opr_1", "iraq", 1, 100};
    dc_store_entry e = {"op_1", 0, 1, 5, "approved", 1, "[]", "[]", "", 100, 100, ""};
    assert_int_equal(ops->operator_put(a, &o), DC_OK);
    assert_int_equal(ops->entry_put(a, &e), DC_OK);
    size_t len;
    char *entry = dc_audit_canonical(1, 1, "x", "approve", "op_1", NULL, &len);
    uint8_t zero[32] = {0};
    dc_audit_record r = {1, entry, len, {0}};
    dc_audit_chain(zero, entry, len, r.hash);
    assert_int_equal(ops->audit_append(a, &r), DC_OK);
    /* Not committed: invisible to b's snapshot. */
    assert_int_equal(ops->changes_since(b, 0, 0, feed_op, feed_key, feed_entry, &f, &hb), DC_OK);
    assert_int_equal(hb.change_seq, 0);
    assert_int_equal(f.entries, 0);
    assert_int_equal(dc_store_commit(a), DC_OK);
    assert_int_equal(ops->changes_since(b, 0, 0, feed_op, feed_key, feed_entry, &f, &hb), DC_OK);
    assert_int_equal(hb.change_seq, 1);
    assert_int_equal(hb.audit_seq, 1);
    assert_memory_equal(hb.audit_hash, r.hash, 32);
    assert_int_equal(f.ops, 1);
    assert_int_equal(f.entries, 1);
    /* b takes the token, sees the head a left, writes batch 2. */
    assert_int_equal(ops->begin_locked(b, &hb), DC_OK);
    assert_int_equal(hb.change_seq, 1);
    e.state = "withdrawn";
    e.version = 2;
    assert_int_equal(ops->entry_put(b, &e), DC_OK);
    assert_int_equal(dc_store_commit(b), DC_OK);
    memset(&f, 0, sizeof f);
    assert_int_equal(ops->changes_since(a, 1, 0, feed_op, feed_key, feed_entry, &f, &h), DC_OK);
    assert_int_equal(h.change_seq, 2);
    assert_int_equal(f.ops, 0);
    assert_int_equal(f.entries, 1);
    assert_string_equal(f.last_entry, "op_1:withdrawn:2");
    /* Inside the locked transaction, and nothing new: no rows. */
    memset(&f, 0, sizeof f);
    assert_int_equal(ops->begin_locked(a, &h), DC_OK);
    assert_int_equal(ops->changes_since(a, 2, 1, feed_op, feed_key, feed_entry, &f, &h), DC_OK);
    assert_int_equal(f.entries, 0);
    assert_int_equal(h.change_seq, 2);
    assert_int_equal(dc_store_rollback(a), DC_OK); /* read-only batch: head unchanged */
    assert_int_equal(ops->changes_since(b, 0, 0, feed_op, feed_key, feed_entry, &f, &hb), DC_OK);
    assert_int_equal(hb.change_seq, 2);
    dc_free(entry);
    dc_store_close(a);
    dc_store_close(b);
}

static int count_alert(void *ctx, const dc_store_alert *al)
{
    seen *s = ctx;
    if (s->n < 16)
        s->seqs[s->n] = al->seq;
    snprintf(s->last, sizeof s->last, "%s", al->body);
    s->n++;
    return 0;
}

static void test_pg_lease_and_alerts(void **state)
{
    (void)state;
    if (!pg_uri)
        skip();
    dc_store *a = open_new(), *b = open_new();
    const struct dc_store_ops *ops = dc_store_ops_of(a);
    int held = 0;
    assert_int_equal(ops->lease(a, "monitor", "a", 300, &held), DC_OK);
    assert_int_equal(held, 1);
    assert_int_equal(ops->lease(b, "monitor", "b", 300, &held), DC_OK);
    assert_int_equal(held, 0);
    assert_int_equal(ops->lease(a, "monitor", "a", 300, &held), DC_OK); /* renew */
    assert_int_equal(held, 1);
    usleep(400 * 1000);
    assert_int_equal(ops->lease(b, "monitor", "b", 300, &held), DC_OK); /* a expired */
    assert_int_equal(held, 1);
    assert_int_equal(ops->lease(a, "monitor", "a", 300, &held), DC_OK);
    assert_int_equal(held, 0);
    assert_int_equal(ops->alert_publish(a, "{\"n\":1}"), DC_OK);
    assert_int_equal(ops->alert_publish(a, "{\"n\":2}"), DC_OK);
    assert_int_equal(ops->wait_change(b, 10), DC_OK); /* starts listening */
    assert_int_equal(ops->alert_publish(a, "{\"n\":3}"), DC_OK);
    assert_int_equal(ops->wait_change(b, 2000), DC_OK);
    seen s = {0};
    assert_int_equal(ops->alert_each(b, 1, count_alert, &s), DC_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.seqs[0], 2);
    assert_string_equal(s.last, "{\"n\":3}");
    dc_store_close(a);
    dc_store_close(b);
}

static int count_tracks(void *ctx, const dc_store_tracks *t)
{
    seen *s = ctx;
    if (s->n < 16)
        s->seqs[s->n] = t->seq;
    snprintf(s->last, sizeof s->last, "%u:%s", t->operator_number, t->body);
    s->n++;
    return 0;
}

static void test_pg_forwarded_tracks(void **state)
{
    (void)state;
    if (!pg_uri)
        skip();
    dc_store *a = open_new(), *b = open_new();
    const struct dc_store_ops *ops = dc_store_ops_of(a);
    dc_store_tracks t[2] = {{0, 3, "r1;r2"}, {0, 4294967295u, "u1"}};
    assert_int_equal(ops->tracks_put(a, t, 2), DC_OK);
    assert_int_equal(ops->tracks_put(b, t, 1), DC_OK);
    seen s = {0};
    assert_int_equal(ops->tracks_each(b, -1, 30000, count_tracks, &s), DC_OK);
    assert_int_equal(s.n, 3);
    assert_true(s.seqs[0] < s.seqs[1] && s.seqs[1] < s.seqs[2]);
    assert_string_equal(s.last, "3:r1;r2");
    int64_t first = s.seqs[0];
    memset(&s, 0, sizeof s);
    assert_int_equal(ops->tracks_each(a, first, 30000, count_tracks, &s), DC_OK);
    assert_int_equal(s.n, 2);
    usleep(20 * 1000);
    assert_int_equal(ops->tracks_prune(b, 10), DC_OK); /* older than 10 ms: all */
    memset(&s, 0, sizeof s);
    assert_int_equal(ops->tracks_each(b, -1, 30000, count_tracks, &s), DC_OK);
    assert_int_equal(s.n, 0);
    dc_store_close(a);
    dc_store_close(b);
}

/* Online backup: a copy taken while the store is open (and mid-write on
 * another connection) holds every committed row and none of the open
 * transaction's; an existing destination is never overwritten; PostgreSQL
 * refuses and says what to use instead. */
static void test_backup_copies_committed_state(void **state)
{
    (void)state;
    dc_store *s = open_new(), *b;
    const struct dc_store_ops *ops = dc_store_ops_of(s);
    dc_error err = {{0}, {0}};
    char dest[600];
    snprintf(dest, sizeof dest, "%s.backup", pg_uri ? "/tmp/dc-store-test-pg" : path);
    unlink(dest);
    if (pg_uri) {
        assert_int_equal(dc_store_backup(s, dest, &err), DC_EUNSUPPORTED);
        assert_non_null(strstr(err.reason, "pg_dump"));
        assert_int_equal(access(dest, F_OK), -1);
        dc_store_close(s);
        return;
    }
    dc_store_operator o = {1, "opr_1", "iraq", 1, 100};
    dc_store_entry e = {"op_1", 0, 1, 5, "approved", 1, "[]", "[]", "", 100, 100, ""};
    assert_int_equal(dc_store_begin(s), DC_OK);
    assert_int_equal(ops->operator_put(s, &o), DC_OK);
    assert_int_equal(ops->entry_put(s, &e), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    assert_int_equal(dc_store_begin(s), DC_OK); /* left open during the backup */
    e.id = "op_uncommitted";
    assert_int_equal(ops->entry_put(s, &e), DC_OK);
    assert_int_equal(dc_store_backup(s, dest, &err), DC_OK);
    assert_int_equal(dc_store_rollback(s), DC_OK);
    assert_int_equal(dc_store_backup(s, dest, &err), DC_EEXIST);
    assert_int_equal(dc_store_backup(s, "", &err), DC_EINVAL);
    assert_int_equal(dc_store_backup(s, "/nonexistent-dir/x.db", &err), DC_EIO);
    dc_store_close(s);

    assert_int_equal(dc_store_open(dest, 0, &b, &err), DC_OK);
    ops = dc_store_ops_of(b);
    seen so = {0}, se = {0};
    assert_int_equal(ops->operator_each(b, count_op, &so), DC_OK);
    assert_int_equal(so.n, 1);
    assert_int_equal(ops->entry_each(b, count_entry, &se), DC_OK);
    assert_int_equal(se.n, 1);
    assert_string_equal(se.last, "op_1:approved:1:[]");
    dc_store_close(b);
    char p[700];
    unlink(dest);
    snprintf(p, sizeof p, "%s-wal", dest);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", dest);
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_round_trip_and_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_discards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode_s_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_rows_without_digests_and_nul_in_detail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_wal_is_checkpointed_while_open, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_canonical_is_sorted_compact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_detects_a_changed_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_detects_a_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_checks_entries_against_their_digest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tlog_leaves_and_checkpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tlog_cosignatures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_schema_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_change_feed_and_head, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_lease_and_alerts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_forwarded_tracks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_copies_committed_state, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("store: sqlite", tests, NULL, NULL);
    pg_uri = getenv("DC_TEST_PG");
    if (pg_uri && *pg_uri)
        failed += cmocka_run_group_tests_name("store: postgresql", tests, NULL, NULL);
    return failed;
}
