/* In-process requests (dc_server_handle, server.h): the same routing,
 * authentication and handlers as over HTTP; a write answers after its
 * commit (the row is in the store file when the call returns); headers
 * match case-insensitively; errors keep their {"error","field","reason"}
 * shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "deconflict/server.h"
#include "deconflict/store.h"

static unsigned call(dc_server *s, const char *method, const char *path, const char *auth_header,
                     const char *key, const char *body, json_t **out)
{
    char bearer[300];
    snprintf(bearer, sizeof bearer, "Bearer %s", key);
    dc_server_field h[1] = {{auth_header, bearer}};
    dc_server_request q = {method, path, NULL, 0, h, key ? 1 : 0, body, body ? strlen(body) : 0};
    dc_server_response r;
    assert_int_equal(dc_server_handle(s, &q, &r), DC_OK);
    *out = json_loadb(r.body, r.body_len, 0, NULL);
    unsigned st = r.status;
    dc_server_response_free(&r);
    return st;
}

static int count_entries(void *ctx, const dc_store_entry *e)
{
    (void)e;
    ++*(int *)ctx;
    return 0;
}

static void test_routes_auth_and_commit(void **state)
{
    (void)state;
    char dir[] = "/tmp/dc-inproc-XXXXXX", uri[128], key[256];
    assert_non_null(mkdtemp(dir));
    snprintf(uri, sizeof uri, "sqlite:%s/store.db", dir);
    dc_error err;
    assert_int_equal(dc_server_init_store(uri, "iraq", key, sizeof key, &err), DC_OK);
    dc_server_config cfg;
    dc_server_config_default(&cfg);
    dc_server *s;
    assert_int_equal(dc_server_start(uri, "127.0.0.1:0", &cfg, &s, &err), DC_OK);

    json_t *j;
    assert_int_equal(call(s, "GET", "/healthz", "Authorization", NULL, NULL, &j), 200);
    json_decref(j);
    assert_int_equal(call(s, "GET", "/v1/operations", "Authorization", "dck_bad", NULL, &j), 401);
    assert_string_equal(json_string_value(json_object_get(j, "field")), "Authorization");
    json_decref(j);
    /* Header names are case-insensitive, as over HTTP. */
    assert_int_equal(
        call(s, "POST", "/v1/operators", "authorization", key, "{\"name\":\"coalition\"}", &j),
        201);
    char op_key[256];
    snprintf(op_key, sizeof op_key, "%s", json_string_value(json_object_get(j, "api_key")));
    json_decref(j);
    assert_int_equal(
        call(s, "POST", "/v1/operations", "Authorization", op_key, "{\"volumes\":7}", &j), 400);
    assert_string_equal(json_string_value(json_object_get(j, "field")), "volumes");
    json_decref(j);
    const char *op =
        "{\"volumes\":[{\"footprint\":{\"type\":\"Point\",\"coordinates\":[45.1,34.1],"
        "\"radius_m\":2000},\"altitude_lower_m\":1000,\"altitude_upper_m\":3000,"
        "\"time_start\":\"2030-01-01T10:00:00Z\",\"time_end\":\"2030-01-01T11:00:00Z\"}]}";
    assert_int_equal(call(s, "POST", "/v1/operations", "Authorization", op_key, op, &j), 201);
    json_decref(j);

    /* Answered after the commit: another connection sees the row now. */
    dc_store *st;
    assert_int_equal(dc_store_open(uri, 0, &st, &err), DC_OK);
    int n = 0;
    assert_int_equal(dc_store_ops_of(st)->entry_each(st, count_entries, &n), DC_OK);
    assert_int_equal(n, 1);
    dc_store_close(st);

    dc_server_stop(s);
    char p[200];
    const char *files[] = {"store.db", "store.db-wal", "store.db-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_auth_and_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
