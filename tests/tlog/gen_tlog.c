/* Writes random transparency logs through the library for the independent
 * Go verifier (tests/tlog/gocheck): for each size, the leaf data, a signed
 * checkpoint at several sizes, inclusion proofs and consistency proofs.
 * Output lines (hex for hashes, base64 for the note):
 *   log VKEY SIZE | leaf HEXDATA | cp BASE64NOTE | incl I N H,H.. | cons M N H,H.. | end
 * Usage: gen_tlog SEED SIZE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deconflict/tlog.h"

static unsigned long long rng;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void hex(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", d[i]);
}

static void proof_line(const char *kind, uint64_t a, uint64_t b, uint8_t p[][32], size_t len)
{
    printf("%s %llu %llu ", kind, (unsigned long long)a, (unsigned long long)b);
    for (size_t i = 0; i < len; i++) {
        if (i)
            putchar(',');
        hex(p[i], 32);
    }
    if (!len)
        putchar('-');
    putchar('\n');
}

static int checkpoint(const char *origin, const uint8_t seed[32], uint8_t (*leaves)[32], uint64_t n,
                      const char *vkey)
{
    uint8_t root[32];
    char *note, *b64;
    dc_tlog_checkpoint cp;
    dc_error err = {{0}, {0}};
    dc_tlog_root((const uint8_t(*)[32])leaves, n, root);
    if (dc_tlog_checkpoint_sign(origin, seed, n, root, &note) != DC_OK)
        return -1;
    /* Our own opener must agree before Go is asked. */
    if (dc_tlog_checkpoint_open(note, vkey, &cp, &err) != DC_OK || cp.size != n ||
        memcmp(cp.root, root, 32)) {
        fprintf(stderr, "gen_tlog: own checkpoint does not open: %s\n", err.reason);
        dc_free(note);
        return -1;
    }
    size_t len = strlen(note);
    if (!(b64 = malloc(4 * (len / 3 + 1) + 1))) {
        dc_free(note);
        return -1;
    }
    dc_tlog_b64((const uint8_t *)note, len, b64);
    printf("cp %s\n", b64);
    free(b64);
    dc_free(note);
    return 0;
}

static int one_log(uint64_t n)
{
    uint8_t seed[32], (*data)[32] = malloc(n * 32), (*leaves)[32] = malloc(n * 32);
    uint8_t proof[DC_TLOG_MAX_PROOF][32];
    char vkey[320], origin[64];
    size_t len;
    int rc = -1;
    if (!data || !leaves || dc_tlog_key_new(seed) != DC_OK)
        goto done;
    snprintf(origin, sizeof origin, "deconflict.test/log/%llu", (unsigned long long)n);
    if (dc_tlog_verifier_key(origin, seed, vkey, sizeof vkey) != DC_OK)
        goto done;
    printf("log %s %llu\n", vkey, (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) {
        uint8_t salt[32];
        char entry[64];
        for (int k = 0; k < 32; k++)
            salt[k] = (uint8_t)next();
        int el = snprintf(entry, sizeof entry, "{\"seq\":%llu}", (unsigned long long)i + 1);
        dc_tlog_commit(salt, entry, (size_t)el, data[i]);
        dc_tlog_leaf_hash(data[i], 32, leaves[i]);
        printf("leaf ");
        hex(data[i], 32);
        putchar('\n');
    }
    /* Checkpoints at the full size and a few smaller ones. */
    uint64_t sizes[6] = {
        n, 1, n / 2 ? n / 2 : 1, 1 + next() % n, 1 + next() % n, n > 1 ? n - 1 : 1};
    for (int k = 0; k < 6; k++)
        if (checkpoint(origin, seed, leaves, sizes[k], vkey))
            goto done;
    for (int k = 0; k < 20; k++) {
        uint64_t size = k < 6 ? sizes[k] : 1 + next() % n, idx = next() % size;
        if (k == 0)
            idx = size - 1;
        if (dc_tlog_inclusion_proof((const uint8_t(*)[32])leaves, size, idx, proof, &len) != DC_OK)
            goto done;
        proof_line("incl", idx, size, proof, len);
        uint64_t m = 1 + next() % size;
        if (dc_tlog_consistency_proof((const uint8_t(*)[32])leaves, m, size, proof, &len) != DC_OK)
            goto done;
        proof_line("cons", m, size, proof, len);
    }
    puts("end");
    rc = 0;
done:
    free(data);
    free(leaves);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen_tlog SEED SIZE...\n");
        return 2;
    }
    rng = strtoull(argv[1], NULL, 10) | 1;
    for (int i = 2; i < argc; i++)
        if (one_log(strtoull(argv[i], NULL, 10)))
            return 1;
    return 0;
}
