/* Hex encoding and random hex strings (OpenSSL's RAND_bytes). */
#include <openssl/rand.h>

#include "util/hex.h"

void dc__hex(const uint8_t *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = 0;
}

int dc__random_hex(char *out, size_t n_bytes)
{
    uint8_t b[64];
    if (n_bytes > sizeof b || RAND_bytes(b, (int)n_bytes) != 1)
        return -1;
    dc__hex(b, n_bytes, out);
    return 0;
}
