/* The alert rings (src/monitor/alerts.c) without a tick thread or HTTP:
 * each recipient keeps its own newest records, so one recipient's flood
 * evicts only its own (and its cursor says missed), never another's; pages
 * follow each recipient's own sequence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "monitor/monitor.h"

static dc__monitor *monitor_new(size_t cap)
{
    dc__monitor *m = calloc(1, sizeof *m);
    pthread_mutex_init(&m->al_mu, NULL);
    m->ring_cap = cap;
    return m;
}

static void monitor_free(dc__monitor *m)
{
    dc__alerts_free(m);
    pthread_mutex_destroy(&m->al_mu);
    free(m);
}

static void append(dc__monitor *m, uint32_t to, int i)
{
    char body[64];
    snprintf(body, sizeof body, "\"kind\":\"raised\",\"n\":%d", i);
    dc__alert_rec rec = {to, 0, dc_malloc(strlen(body) + 1)};
    memcpy(rec.body, body, strlen(body) + 1);
    dc__alerts_ring_append(m, &rec, 1);
}

/* All of to's records after since: their n members in order; *missed. */
static json_t *page(dc__monitor *m, uint32_t to, uint64_t since, int *missed)
{
    dc__buf b = {0};
    uint64_t cursor = since;
    dc__buf_str(&b, "[");
    *missed = dc__alerts_page(m, to, &cursor, 100000, &b);
    dc__buf_str(&b, "]");
    json_t *j = json_loads(b.p, 0, NULL);
    assert_non_null(j);
    dc__buf_free(&b);
    return j;
}

static void test_flood_evicts_only_its_own(void **state)
{
    (void)state;
    dc__monitor *m = monitor_new(16);
    append(m, 2, 0); /* the victim's one record */
    append(m, DC__TO_AUTHORITY, 0);
    for (int i = 0; i < 1000; i++)
        append(m, 3, i); /* another operator's flood */
    int missed;
    json_t *v = page(m, 2, 0, &missed);
    assert_false(missed);
    assert_int_equal(json_array_size(v), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(v, 0), "seq")), 1);
    json_decref(v);
    v = page(m, DC__TO_AUTHORITY, 0, &missed);
    assert_false(missed);
    assert_int_equal(json_array_size(v), 1);
    json_decref(v);
    /* The flooder lost its own oldest, and only it is told. */
    json_t *f = page(m, 3, 0, &missed);
    assert_true(missed);
    assert_int_equal(json_array_size(f), 16);
    json_t *first = json_array_get(f, 0);
    assert_int_equal(json_integer_value(json_object_get(first, "seq")), 985);
    assert_int_equal(json_integer_value(json_object_get(first, "n")), 984);
    json_decref(f);
    f = page(m, 3, 990, &missed);
    assert_false(missed);
    assert_int_equal(json_array_size(f), 10);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 0), "seq")), 991);
    json_decref(f);
    monitor_free(m);
}

static void test_pages_and_growth(void **state)
{
    (void)state;
    dc__monitor *m = monitor_new(100);
    for (int i = 0; i < 70; i++) /* past two doublings, below the cap */
        append(m, 5, i);
    int missed;
    json_t *v = page(m, 5, 0, &missed);
    assert_false(missed);
    assert_int_equal(json_array_size(v), 70);
    for (size_t k = 0; k < 70; k++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(v, k), "n")), (int)k);
    json_decref(v);
    v = page(m, 7, 0, &missed); /* a recipient with nothing */
    assert_false(missed);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
    monitor_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flood_evicts_only_its_own),
        cmocka_unit_test(test_pages_and_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
