/* The store contract (include/deconflict/store.h), written once against
 * struct dc_store_ops so every backend runs the same suite: SQLite here;
 * the PostgreSQL backend adds its URI to backends[]. Also the audit chain's
 * verification against tampered and gapped records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "deconflict/audit.h"
#include "deconflict/store.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/dc-store-test-XXXXXX");
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[80];
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
    snprintf(s->last, sizeof s->last, "%s:%s:%lld:%s", e->id, e->state, (long long)e->version,
             e->volumes_json);
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
    assert_int_equal(dc_store_open("/nonexistent-dir/x.db", 0, &s, &err), DC_ENOTFOUND);
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
    dc_store_entry e = {"op_1", 0, 1, 5, "approved", 1, "[]", "[]", "", 100, 100};
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
    assert_string_equal(se.last, "op_1:active:2:[]");
    assert_int_equal(ops->key_each(s, count_key, &sk), DC_OK);
    assert_int_equal(sk.n, 1);
    assert_string_equal(sk.last, "prefix1:1:1:00");
    dc_store_close(s);
}

static void test_rollback_discards(void **state)
{
    (void)state;
    dc_store *s = open_new();
    const struct dc_store_ops *ops = dc_store_ops_of(s);
    dc_store_entry e = {"op_x", 0, 1, 5, "approved", 1, "[]", "[]", "", 1, 1};
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
    dc_store_entry e = {"op_9", 0, 2, 5, "approved", 1, "[1]", "[]", "", 1, 1};
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_round_trip_and_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_discards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_canonical_is_sorted_compact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_detects_a_changed_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_detects_a_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_checks_entries_against_their_digest, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
