/* The transparency log's hashing, proofs and signed notes: our own
 * verifiers accept what the library proves and refuse a changed leaf, a
 * changed root, a wrong size, a bad signature and another key. The Go
 * cross-check is tests/tlog/check-tlog.sh. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "deconflict/tlog.h"

static void leaves(uint8_t (*l)[32], uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint8_t d[8];
        memcpy(d, &i, sizeof d);
        dc_tlog_leaf_hash(d, sizeof d, l[i]);
    }
}

/* RFC 6962 by the book, for sizes 1..70: every inclusion and consistency
 * proof verifies, and fails once a byte changes. */
static void test_proofs_verify_and_tampering_fails(void **state)
{
    (void)state;
    enum { N = 70 };
    uint8_t l[N][32], roots[N + 1][32], p[DC_TLOG_MAX_PROOF][32];
    size_t len;
    leaves(l, N);
    dc_tlog_frontier f = {0};
    uint8_t fr[32];
    dc_tlog_frontier_root(&f, fr);
    dc_tlog_root(NULL, 0, roots[0]);
    assert_memory_equal(fr, roots[0], 32);
    for (uint64_t n = 1; n <= N; n++) {
        dc_tlog_root((const uint8_t(*)[32])l, n, roots[n]);
        dc_tlog_frontier_append(&f, l[n - 1]);
        dc_tlog_frontier_root(&f, fr);
        assert_memory_equal(fr, roots[n], 32); /* the incremental root is the RFC's */
    }
    uint8_t two[32];
    dc_tlog_node_hash(l[0], l[1], two);
    assert_memory_equal(two, roots[2], 32);
    for (uint64_t n = 1; n <= N; n++) {
        for (uint64_t i = 0; i < n; i++) {
            assert_int_equal(dc_tlog_inclusion_proof((const uint8_t(*)[32])l, n, i, p, &len),
                             DC_OK);
            assert_int_equal(
                dc_tlog_verify_inclusion(i, n, l[i], (const uint8_t(*)[32])p, len, roots[n]),
                DC_OK);
            assert_int_not_equal(dc_tlog_verify_inclusion(i, n, l[(i + 1) % N],
                                                          (const uint8_t(*)[32])p, len, roots[n]),
                                 DC_OK);
            if (len) {
                p[0][5] ^= 1;
                assert_int_not_equal(
                    dc_tlog_verify_inclusion(i, n, l[i], (const uint8_t(*)[32])p, len, roots[n]),
                    DC_OK);
            }
        }
        for (uint64_t m = 1; m <= n; m++) {
            assert_int_equal(dc_tlog_consistency_proof((const uint8_t(*)[32])l, m, n, p, &len),
                             DC_OK);
            assert_int_equal(
                dc_tlog_verify_consistency(m, n, (const uint8_t(*)[32])p, len, roots[m], roots[n]),
                DC_OK);
            if (m < n) {
                /* A fork: another tree of size n that shares nothing. */
                assert_int_not_equal(dc_tlog_verify_consistency(m, n, (const uint8_t(*)[32])p, len,
                                                                roots[m], roots[n - 1]),
                                     DC_OK);
                if (len) {
                    p[len - 1][0] ^= 1;
                    assert_int_not_equal(dc_tlog_verify_consistency(m, n, (const uint8_t(*)[32])p,
                                                                    len, roots[m], roots[n]),
                                         DC_OK);
                }
            }
        }
    }
    assert_int_equal(dc_tlog_inclusion_proof((const uint8_t(*)[32])l, 3, 3, p, &len), DC_EINVAL);
    assert_int_equal(dc_tlog_consistency_proof((const uint8_t(*)[32])l, 0, 3, p, &len), DC_EINVAL);
}

static void test_checkpoint_sign_and_open(void **state)
{
    (void)state;
    uint8_t seed[32], other[32], root[32];
    char vkey[320], vother[320], *note;
    dc_tlog_checkpoint cp;
    dc_error err = {{0}, {0}};
    memset(root, 7, 32);
    assert_int_equal(dc_tlog_key_new(seed), DC_OK);
    assert_int_equal(dc_tlog_key_new(other), DC_OK);
    assert_int_equal(dc_tlog_verifier_key("example.org/log", seed, vkey, sizeof vkey), DC_OK);
    assert_int_equal(dc_tlog_verifier_key("example.org/log", other, vother, sizeof vother), DC_OK);
    assert_int_equal(dc_tlog_verifier_key("bad name", seed, vkey, sizeof vkey), DC_EINVAL);
    assert_int_equal(dc_tlog_verifier_key("example.org/log", seed, vkey, sizeof vkey), DC_OK);
    assert_int_equal(dc_tlog_checkpoint_sign("example.org/log", seed, 42, root, &note), DC_OK);
    assert_non_null(strstr(
        note, "example.org/log\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\xe2\x80\x94 "
              "example.org/log "));
    assert_int_equal(dc_tlog_checkpoint_open(note, vkey, &cp, &err), DC_OK);
    assert_int_equal(cp.size, 42);
    assert_memory_equal(cp.root, root, 32);
    assert_string_equal(cp.origin, "example.org/log");
    /* Another key of the same name: no signature by it. */
    assert_int_equal(dc_tlog_checkpoint_open(note, vother, &cp, &err), DC_ECORRUPT);
    /* A changed size under the old signature. */
    char *bad = strdup(note);
    bad[strlen("example.org/log\n")] = '5';
    assert_int_equal(dc_tlog_checkpoint_open(bad, vkey, &cp, &err), DC_ECORRUPT);
    free(bad);
    assert_int_equal(dc_tlog_checkpoint_open("x\n", vkey, &cp, &err), DC_EINVAL);
    dc_free(note);
}

/* C2SP tlog-cosignature: a witness's line checks against its own key only,
 * over exactly the checkpoint text and timestamp it signed; a log key
 * (type 0x01) never passes for a cosigner key (type 0x04). */
static void test_cosignature(void **state)
{
    (void)state;
    uint8_t log[32], w1[32], w2[32], root[32];
    char k1[320], k2[320], klog[320], line[400], line2[400], *note;
    uint64_t t = 0;
    memset(root, 9, 32);
    assert_int_equal(dc_tlog_key_new(log), DC_OK);
    assert_int_equal(dc_tlog_key_new(w1), DC_OK);
    assert_int_equal(dc_tlog_key_new(w2), DC_OK);
    assert_int_equal(dc_tlog_cosigner_key("w.example/1", w1, k1, sizeof k1), DC_OK);
    assert_int_equal(dc_tlog_cosigner_key("w.example/2", w2, k2, sizeof k2), DC_OK);
    assert_int_equal(dc_tlog_verifier_key("w.example/1", w1, klog, sizeof klog), DC_OK);
    assert_int_equal(dc_tlog_cosigner_key_check(k1), DC_OK);
    assert_int_equal(dc_tlog_cosigner_key_check(klog), DC_EINVAL);
    assert_int_equal(dc_tlog_checkpoint_sign("example.org/log", log, 42, root, &note), DC_OK);
    size_t text_len = (size_t)(strstr(note, "\n\n") - note) + 1;
    assert_int_equal(
        dc_tlog_cosign("w.example/1", w1, 1700000000, note, text_len, line, sizeof line), DC_OK);
    assert_int_equal(dc_tlog_cosignature_check(note, text_len, line, strlen(line), k1, &t), DC_OK);
    assert_int_equal(t, 1700000000);
    /* Another witness's line; the same name under a log key's hash. */
    assert_int_equal(dc_tlog_cosignature_check(note, text_len, line, strlen(line), k2, NULL),
                     DC_ENOTFOUND);
    assert_int_equal(dc_tlog_cosignature_check(note, text_len, line, strlen(line), klog, NULL),
                     DC_EINVAL);
    /* Another checkpoint text: the signature no longer holds. */
    assert_int_equal(
        dc_tlog_cosignature_check("example.org/log\n43\nAA==\n", 23, line, strlen(line), k1, NULL),
        DC_ECORRUPT);
    /* Counted on the cosigned note: w1 yes, w2 no; a forged w2 line counts
     * as forged. */
    assert_int_equal(
        dc_tlog_cosign("w.example/2", w2, 1700000001, note, text_len, line2, sizeof line2), DC_OK);
    size_t len = strlen(note), forged;
    char *both = malloc(len + strlen(line) + strlen(line2) + 1);
    memcpy(both, note, len);
    strcpy(both + len, line);
    const char *keys[2] = {k1, k2};
    assert_int_equal(dc_tlog_cosigned_by(both, keys, 2, &forged), 1);
    assert_int_equal(forged, 0);
    line2[strlen(line2) - 10] ^= 1; /* a flipped bit in the signature's base64 */
    strcat(both, line2);
    assert_int_equal(dc_tlog_cosigned_by(both, keys, 2, &forged), 1);
    assert_int_equal(forged, 1);
    free(both);
    dc_free(note);
}

/* A fixed-seed generator (splitmix64): the statistics below are the same
 * on every run, so they cannot flake. The server draws from RAND_bytes. */
static uint64_t mix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The open block's slots: random takes give every slot once; a given slot
 * is taken once. */
static void test_slots_take_each_once(void **state)
{
    (void)state;
    dc_tlog_slots s = {0};
    uint64_t x = 1;
    int seen[16] = {0};
    assert_int_equal(dc_tlog_slots_reset(&s, 16), DC_OK);
    assert_int_equal(dc_tlog_slots_take(&s, 3), 0);
    assert_int_equal(dc_tlog_slots_take(&s, 3), 1);
    assert_int_equal(dc_tlog_slots_take(&s, 16), 1);
    assert_false(dc_tlog_slots_is_free(&s, 3));
    seen[3] = 1;
    while (s.n_free) {
        uint32_t k = dc_tlog_slots_take_random(&s, mix(&x));
        assert_true(k < 16);
        assert_int_equal(seen[k], 0);
        seen[k] = 1;
    }
    for (int i = 0; i < 16; i++)
        assert_false(dc_tlog_slots_is_free(&s, (uint32_t)i));
    assert_int_equal(dc_tlog_slots_reset(&s, 16), DC_OK);
    assert_int_equal(s.n_free, 16);
    assert_true(dc_tlog_slots_is_free(&s, 3));
    /* Grown (a block written with a larger log_block): taken stay taken. */
    assert_int_equal(dc_tlog_slots_reset(&s, 4), DC_OK);
    assert_int_equal(dc_tlog_slots_take(&s, 1), 0);
    assert_int_equal(dc_tlog_slots_take(&s, 2), 0);
    assert_int_equal(dc_tlog_slots_grow(&s, 12), DC_OK);
    assert_int_equal(s.n_free, 10);
    assert_false(dc_tlog_slots_is_free(&s, 1) || dc_tlog_slots_is_free(&s, 2));
    assert_int_equal(dc_tlog_slots_take(&s, 9), 0);
    memset(seen, 0, sizeof seen);
    seen[1] = seen[2] = seen[9] = 1;
    while (s.n_free) {
        uint32_t k = dc_tlog_slots_take_random(&s, mix(&x));
        assert_true(k < 12 && !seen[k]);
        seen[k] = 1;
    }
    dc_tlog_slots_free(&s);
}

/* The leak of issue 14: A decides, others make k records, A decides again,
 * all in one block of 16. Appended in order the gap of A's two indices was
 * always k + 1; with random free slots it is distributed as for two
 * uniform distinct slots, P(d) = (16 - |d|) / 240, whatever k is. */
static void test_slots_gap_does_not_count_others(void **state)
{
    (void)state;
    enum { B = 16, T = 48000 };
    static const unsigned ks[] = {0, 1, 5, 13};
    double hist[4][2 * B];
    dc_tlog_slots s = {0};
    uint64_t x = 20261202;
    for (size_t j = 0; j < 4; j++) {
        memset(hist[j], 0, sizeof hist[j]);
        for (int t = 0; t < T; t++) {
            assert_int_equal(dc_tlog_slots_reset(&s, B), DC_OK);
            int a = (int)dc_tlog_slots_take_random(&s, mix(&x));
            for (unsigned i = 0; i < ks[j]; i++)
                dc_tlog_slots_take_random(&s, mix(&x));
            int b = (int)dc_tlog_slots_take_random(&s, mix(&x));
            hist[j][b - a + B] += 1.0 / T;
        }
        for (int d = -(B - 1); d <= B - 1; d++) {
            double want = d ? (double)(B - abs(d)) / (B * (B - 1)) : 0;
            /* within 25 % (over 4 standard deviations at the rarest gap) */
            assert_true(hist[j][d + B] >= 0.75 * want && hist[j][d + B] <= 1.25 * want);
        }
        /* The old rule's answer is no likelier than any other gap near it. */
        assert_true(hist[j][ks[j] + 1 + B] < 0.07);
    }
    /* Total variation between k = 0 and k = 13: sampling noise only. */
    double tv = 0;
    for (int d = 0; d < 2 * B; d++)
        tv += fabs(hist[0][d] - hist[3][d]) / 2;
    assert_true(tv < 0.02);
    dc_tlog_slots_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proofs_verify_and_tampering_fails),
        cmocka_unit_test(test_checkpoint_sign_and_open),
        cmocka_unit_test(test_cosignature),
        cmocka_unit_test(test_slots_take_each_once),
        cmocka_unit_test(test_slots_gap_does_not_count_others),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
