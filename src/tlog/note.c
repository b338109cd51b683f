/* Ed25519 keys, C2SP signed-note signatures and tlog-checkpoint bodies.
 * A verifier key is "name+hex(keyhash)+base64(0x01 || pubkey)" where keyhash
 * is the first 4 bytes of SHA-256(name || "\n" || 0x01 || pubkey); a
 * signature line is "— name base64(keyhash || signature)" over the note's
 * text, which ends with a newline. Matches golang.org/x/mod/sumdb/note. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog_int.h"

void dc_tlog_b64(const uint8_t *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

dc_status dc_tlog_unb64(const char *in, size_t in_len, uint8_t *out, size_t n)
{
    uint8_t buf[256];
    char back[400];
    if (n > 180 || in_len != 4 * ((n + 2) / 3))
        return DC_EINVAL;
    int got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)in_len);
    if (got < 0 || (size_t)got < n)
        return DC_EINVAL;
    /* Canonical form only: re-encoding must give the same text. */
    dc_tlog_b64(buf, n, back);
    if (strlen(back) != in_len || memcmp(back, in, in_len))
        return DC_EINVAL;
    memcpy(out, buf, n);
    return DC_OK;
}

dc_status dc_tlog_key_new(uint8_t seed[32])
{
    return RAND_bytes(seed, 32) == 1 ? DC_OK : DC_EIO;
}

dc_status dc__tlog_public_key(const uint8_t seed[32], uint8_t pub[32])
{
    size_t n = 32;
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    dc_status rc = k && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32 ? DC_OK : DC_EIO;
    EVP_PKEY_free(k);
    return rc;
}

int dc__tlog_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 200)
        return 0;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '+' || (unsigned char)*p >= 0x7f)
            return 0;
    return 1;
}

void dc__tlog_key_hash(const char *name, uint8_t alg, const uint8_t pub[32], uint8_t out[4])
{
    uint8_t buf[256 + 34], h[32];
    size_t n = strlen(name); /* dc__tlog_name_ok: at most 200 */
    memcpy(buf, name, n);
    buf[n] = '\n';
    buf[n + 1] = alg;
    memcpy(buf + n + 2, pub, 32);
    SHA256(buf, n + 34, h);
    memcpy(out, h, 4);
}

dc_status dc__tlog_vkey(const char *name, uint8_t alg, const uint8_t seed[32], char *out,
                        size_t cap)
{
    uint8_t pub[33], kh[4];
    char b64[64];
    if (!dc__tlog_name_ok(name))
        return DC_EINVAL;
    pub[0] = alg;
    if (dc__tlog_public_key(seed, pub + 1) != DC_OK)
        return DC_EIO;
    dc__tlog_key_hash(name, alg, pub + 1, kh);
    dc_tlog_b64(pub, sizeof pub, b64);
    int n = snprintf(out, cap, "%s+%02x%02x%02x%02x+%s", name, kh[0], kh[1], kh[2], kh[3], b64);
    return n > 0 && (size_t)n < cap ? DC_OK : DC_EINVAL;
}

dc_status dc_tlog_verifier_key(const char *name, const uint8_t seed[32], char *out, size_t cap)
{
    return dc__tlog_vkey(name, DC__TLOG_ALG_NOTE, seed, out, cap);
}

dc_status dc_tlog_checkpoint_sign(const char *origin, const uint8_t seed[32], uint64_t size,
                                  const uint8_t root[32], char **note)
{
    uint8_t pub[32], sig[68];
    char rootb[48], sigb[100], body[320];
    size_t siglen = 64;
    dc_status rc = DC_EIO;
    EVP_MD_CTX *md = NULL;
    EVP_PKEY *k = NULL;
    *note = NULL;
    if (!dc__tlog_name_ok(origin))
        return DC_EINVAL;
    dc_tlog_b64(root, 32, rootb);
    int n = snprintf(body, sizeof body, "%s\n%llu\n%s\n", origin, (unsigned long long)size, rootb);
    if (n < 0 || (size_t)n >= sizeof body)
        return DC_EINVAL;
    if (dc__tlog_public_key(seed, pub) != DC_OK)
        return DC_EIO;
    dc__tlog_key_hash(origin, DC__TLOG_ALG_NOTE, pub, sig);
    if (!(k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32)) ||
        !(md = EVP_MD_CTX_new()) || EVP_DigestSignInit(md, NULL, NULL, NULL, k) != 1 ||
        EVP_DigestSign(md, sig + 4, &siglen, (const unsigned char *)body, (size_t)n) != 1 ||
        siglen != 64)
        goto fail;
    dc_tlog_b64(sig, sizeof sig, sigb);
    size_t cap = (size_t)n + strlen(origin) + strlen(sigb) + 16;
    if (!(*note = dc_malloc(cap))) {
        rc = DC_ENOMEM;
        goto fail;
    }
    snprintf(*note, cap, "%s\n" SIG_PREFIX "%s %s\n", body, origin, sigb);
    rc = DC_OK;
fail:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return rc;
}

dc_status dc__tlog_parse_vkey(const char *vkey, uint8_t alg, char name[256], uint8_t pub[32],
                              uint8_t kh[4])
{
    const char *p1 = strchr(vkey, '+'), *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
    uint8_t raw[33], want[4];
    if (!p1 || !p2 || p2 - p1 != 9 || (size_t)(p1 - vkey) >= 256)
        return DC_EINVAL;
    memcpy(name, vkey, (size_t)(p1 - vkey));
    name[p1 - vkey] = 0;
    if (!dc__tlog_name_ok(name) || dc_tlog_unb64(p2 + 1, strlen(p2 + 1), raw, 33) != DC_OK ||
        raw[0] != alg)
        return DC_EINVAL;
    for (int i = 0; i < 4; i++) {
        char h[3] = {p1[1 + 2 * i], p1[2 + 2 * i], 0};
        char *end;
        kh[i] = (uint8_t)strtoul(h, &end, 16);
        if (*end)
            return DC_EINVAL;
    }
    memcpy(pub, raw + 1, 32);
    dc__tlog_key_hash(name, alg, pub, want);
    return memcmp(want, kh, 4) ? DC_EINVAL : DC_OK;
}

dc_status dc__tlog_check_sig(const uint8_t pub[32], const char *msg, size_t n,
                             const uint8_t sig[64])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    dc_status rc = DC_ECORRUPT;
    if (!k || !md)
        rc = DC_ENOMEM;
    else if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestVerify(md, sig, 64, (const unsigned char *)msg, n) == 1)
        rc = DC_OK;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return rc;
}

static dc_status parse_body(const char *body, size_t n, dc_tlog_checkpoint *cp, dc_error *err)
{
    const char *l1 = memchr(body, '\n', n);
    const char *l2 = l1 ? memchr(l1 + 1, '\n', n - (size_t)(l1 + 1 - body)) : NULL;
    const char *l3 = l2 ? memchr(l2 + 1, '\n', n - (size_t)(l2 + 1 - body)) : NULL;
    char num[24];
    if (!l3)
        return dc_error_set(err, "checkpoint", "fewer than three lines");
    if ((size_t)(l1 - body) >= sizeof cp->origin || l1 == body)
        return dc_error_set(err, "checkpoint", "bad origin line");
    memcpy(cp->origin, body, (size_t)(l1 - body));
    cp->origin[l1 - body] = 0;
    size_t nl = (size_t)(l2 - l1 - 1);
    if (nl == 0 || nl >= sizeof num || (nl > 1 && l1[1] == '0'))
        return dc_error_set(err, "checkpoint", "bad tree size");
    memcpy(num, l1 + 1, nl);
    num[nl] = 0;
    cp->size = 0;
    for (size_t i = 0; i < nl; i++) {
        if (num[i] < '0' || num[i] > '9' || cp->size > (UINT64_MAX - 9) / 10)
            return dc_error_set(err, "checkpoint", "bad tree size");
        cp->size = cp->size * 10 + (uint64_t)(num[i] - '0');
    }
    if (dc_tlog_unb64(l2 + 1, (size_t)(l3 - l2 - 1), cp->root, 32) != DC_OK)
        return dc_error_set(err, "checkpoint", "bad root hash");
    return DC_OK;
}

dc_status dc_tlog_checkpoint_open(const char *note, const char *vkey, dc_tlog_checkpoint *cp,
                                  dc_error *err)
{
    char name[256];
    uint8_t pub[32], kh[4], sig[68];
    dc_status rc;
    if (dc__tlog_parse_vkey(vkey, DC__TLOG_ALG_NOTE, name, pub, kh) != DC_OK)
        return dc_error_set(err, "key", "not a note verifier key");
    /* The text ends at the first blank line; signatures follow. */
    const char *sep = strstr(note, "\n\n");
    if (!sep)
        return dc_error_set(err, "note", "no signature block");
    size_t text_len = (size_t)(sep - note) + 1;
    if ((rc = parse_body(note, text_len, cp, err)) != DC_OK)
        return rc;
    if (strcmp(cp->origin, name))
        return dc_error_set(err, "checkpoint", "origin %s is not the key's name %s", cp->origin,
                            name);
    int found = 0;
    for (const char *line = sep + 2; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            return dc_error_set(err, "note", "signature block does not end with a newline");
        size_t pl = strlen(SIG_PREFIX), nn = strlen(name);
        if ((size_t)(end - line) > pl + nn + 1 && !memcmp(line, SIG_PREFIX, pl) &&
            !memcmp(line + pl, name, nn) && line[pl + nn] == ' ') {
            const char *b = line + pl + nn + 1;
            if (dc_tlog_unb64(b, (size_t)(end - b), sig, sizeof sig) == DC_OK &&
                !memcmp(sig, kh, 4)) {
                if (dc__tlog_check_sig(pub, note, text_len, sig + 4) != DC_OK)
                    return DC_ECORRUPT;
                found = 1;
            }
        }
        line = end + 1;
    }
    if (!found) {
        dc_error_set(err, "note", "no signature by %s", name);
        return DC_ECORRUPT;
    }
    return DC_OK;
}
