/* API keys. A key is "dck_" + 64 hex digits (32 random
 * bytes); its first 12 hex digits are the lookup prefix stored in clear so
 * authentication is one map lookup, the whole key is stored only as
 * SHA-256(salt || key) and compared with CRYPTO_memcmp. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "airspace/airspace.h"

#define KEY_TAG "dck_"
#define KEY_HEX 64
#define PREFIX_HEX 12

static void salted_hash(const uint8_t salt[16], const char *key, uint8_t out[32])
{
    uint8_t buf[16 + 128];
    size_t n = strlen(key);
    unsigned int olen = 32;
    if (n > sizeof buf - 16)
        n = sizeof buf - 16; /* longer keys never match: the length is checked first */
    memcpy(buf, salt, 16);
    memcpy(buf + 16, key, n);
    EVP_Digest(buf, 16 + n, out, &olen, EVP_sha256(), NULL);
}

dc_status dc__key_make(uint32_t operator_number, int64_t now_s, dc__key *k, char *key_out,
                       size_t key_len)
{
    char hex[KEY_HEX + 1];
    if (key_len < sizeof KEY_TAG + KEY_HEX)
        return DC_EINVAL;
    memset(k, 0, sizeof *k);
    if (dc__random_hex(hex, KEY_HEX / 2) || RAND_bytes(k->salt, sizeof k->salt) != 1)
        return DC_EIO;
    snprintf(key_out, key_len, "%s%s", KEY_TAG, hex);
    memcpy(k->prefix, hex, PREFIX_HEX);
    k->prefix[PREFIX_HEX] = 0;
    k->operator_number = operator_number;
    k->created_s = now_s;
    salted_hash(k->salt, key_out, k->hash);
    return DC_OK;
}

int dc__key_prefix(const char *presented, char prefix[16])
{
    size_t tag = sizeof KEY_TAG - 1;
    if (strlen(presented) != tag + KEY_HEX || strncmp(presented, KEY_TAG, tag))
        return -1;
    memcpy(prefix, presented + tag, PREFIX_HEX);
    prefix[PREFIX_HEX] = 0;
    return 0;
}

int dc__key_matches(const dc__key *k, const char *presented)
{
    uint8_t h[32];
    salted_hash(k->salt, presented, h);
    return !k->revoked && CRYPTO_memcmp(h, k->hash, 32) == 0;
}
