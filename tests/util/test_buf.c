/* The server's hand-built JSON strings (dc__buf_json_str, used by every
 * error answer): escapes, well-formed UTF-8 kept, and bytes that are not
 * well-formed UTF-8 replaced by U+FFFD, so an error that quotes a cut
 * multi-byte sequence of the input (found by fuzz_http: jansson's "invalid
 * escape near ..." message) is still valid JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "util/buf.h"

static void check(const char *in, const char *want)
{
    dc__buf b = {0};
    dc__buf_json_str(&b, in);
    dc__buf_add(&b, "", 0);
    assert_false(b.oom);
    assert_string_equal(b.p, want);
    /* and a JSON parser takes it back */
    char doc[512];
    snprintf(doc, sizeof doc, "[%s]", b.p);
    json_error_t je;
    json_t *j = json_loads(doc, 0, &je);
    assert_non_null(j);
    json_decref(j);
    dc__buf_free(&b);
}

static void test_escapes_and_utf8(void **state)
{
    (void)state;
    check("a\"b\\c\n", "\"a\\\"b\\\\c\\u000a\"");
    check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9b\xa9",
          "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9b\xa9\"");
    /* cut sequences, stray continuation bytes, overlongs, surrogates */
    check("x\xcf", "\"x\\ufffd\"");
    check("\xe2\x82", "\"\\ufffd\\ufffd\"");
    check("\x80z", "\"\\ufffdz\"");
    check("\xc0\xaf", "\"\\ufffd\\ufffd\"");
    check("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
    check("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes_and_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
