/* The server's string-keyed map (src/util/map.c): every key found and
 * replaced whichever table it sits in while the map grows, and growth done
 * a bounded number of slots per put, so no put under the server's mutex
 * rehashes the whole map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/map.h"

enum { N = 200000 };

static void test_keys_and_bounded_growth(void **state)
{
    (void)state;
    char(*keys)[16] = calloc(N, sizeof *keys);
    int *vals = calloc(N, sizeof *vals);
    assert_non_null(keys);
    assert_non_null(vals);
    dc__map m = {0};
    size_t migrations = 0;
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "op_%08x", (unsigned)i * 2654435761u);
        size_t cap = m.cap, next = m.old_next;
        int moving = m.old != NULL;
        if ((m.n + 1) * 2 > m.cap)
            assert_null(m.old); /* the previous growth was over before this one */
        assert_int_equal(dc__map_put(&m, keys[i], &vals[i]), DC_OK);
        if (m.cap != cap)
            migrations++;
        else if (moving && m.old)
            assert_true(m.old_next - next <= 64); /* no put moves more */
        assert_ptr_equal(dc__map_get(&m, keys[i]), &vals[i]);
        int j = rand() % (i + 1); /* an older key, wherever it sits */
        assert_ptr_equal(dc__map_get(&m, keys[j]), &vals[j]);
        if (i % 5 == 0) { /* replacing keeps one key */
            size_t n = m.n;
            assert_int_equal(dc__map_put(&m, keys[j], &vals[j]), DC_OK);
            assert_int_equal(m.n, n);
        }
    }
    assert_true(migrations >= 12);
    assert_int_equal(m.n, N);
    assert_null(dc__map_get(&m, "op_absent"));
    for (int i = 0; i < N; i++)
        assert_ptr_equal(dc__map_get(&m, keys[i]), &vals[i]);
    dc__map_free(&m);
    free(keys);
    free(vals);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_and_bounded_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
