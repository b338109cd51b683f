/* Witness cosignatures: C2SP tlog-cosignature, the Ed25519 type
 * (cosignature/v1). A cosigner's verifier key is
 * "name+hash8+base64(0x04 || pubkey)"; its signature line is
 * "— name base64(keyhash(4) || timestamp(8, big-endian) || sig(64))" where
 * sig signs "cosignature/v1\ntime <timestamp>\n" followed by the
 * checkpoint's text (its lines up to the blank line, each ending in a
 * newline). The key hash commits to 0x04, so a log key can never pass for
 * a cosigner's nor the other way round. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog_int.h"

#define COSIG_HEADER "cosignature/v1\ntime "

dc_status dc_tlog_cosigner_key(const char *name, const uint8_t seed[32], char *out, size_t cap)
{
    return dc__tlog_vkey(name, DC__TLOG_ALG_COSIG, seed, out, cap);
}

dc_status dc_tlog_cosigner_key_check(const char *vkey)
{
    char name[256];
    uint8_t pub[32], kh[4];
    return dc__tlog_parse_vkey(vkey, DC__TLOG_ALG_COSIG, name, pub, kh);
}

/* The signed message: header, time line, then the checkpoint text. */
static char *message(uint64_t time_s, const char *text, size_t text_len, size_t *len)
{
    char head[64];
    int h = snprintf(head, sizeof head, COSIG_HEADER "%llu\n", (unsigned long long)time_s);
    char *m = dc_malloc((size_t)h + text_len + 1);
    if (!m)
        return NULL;
    memcpy(m, head, (size_t)h);
    memcpy(m + h, text, text_len);
    m[(size_t)h + text_len] = 0;
    *len = (size_t)h + text_len;
    return m;
}

static int text_ok(const char *text, size_t len)
{
    return len > 0 && text[len - 1] == '\n' && !memchr(text, 0, len);
}

dc_status dc_tlog_cosign(const char *name, const uint8_t seed[32], uint64_t time_s,
                         const char *text, size_t text_len, char *line, size_t cap)
{
    uint8_t pub[32], sig[4 + 8 + 64];
    char sigb[112];
    size_t siglen = 64, mlen;
    dc_status rc = DC_EIO;
    if (!dc__tlog_name_ok(name) || !text_ok(text, text_len) || time_s > (uint64_t)INT64_MAX)
        return DC_EINVAL;
    if (dc__tlog_public_key(seed, pub) != DC_OK)
        return DC_EIO;
    char *msg = message(time_s, text, text_len, &mlen);
    if (!msg)
        return DC_ENOMEM;
    dc__tlog_key_hash(name, DC__TLOG_ALG_COSIG, pub, sig);
    for (int i = 0; i < 8; i++)
        sig[4 + i] = (uint8_t)(time_s >> (56 - 8 * i));
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (k && md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
        EVP_DigestSign(md, sig + 12, &siglen, (const unsigned char *)msg, mlen) == 1 &&
        siglen == 64) {
        dc_tlog_b64(sig, sizeof sig, sigb);
        int n = snprintf(line, cap, SIG_PREFIX "%s %s\n", name, sigb);
        rc = n > 0 && (size_t)n < cap ? DC_OK : DC_EINVAL;
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    dc_free(msg);
    return rc;
}

dc_status dc_tlog_cosignature_check(const char *text, size_t text_len, const char *line,
                                    size_t line_len, const char *vkey, uint64_t *time_s)
{
    char name[256];
    uint8_t pub[32], kh[4], sig[4 + 8 + 64];
    size_t pl = strlen(SIG_PREFIX), mlen;
    if (dc__tlog_parse_vkey(vkey, DC__TLOG_ALG_COSIG, name, pub, kh) != DC_OK)
        return DC_EINVAL;
    size_t nn = strlen(name);
    if (line_len && line[line_len - 1] == '\n')
        line_len--;
    if (line_len <= pl + nn + 1 || memcmp(line, SIG_PREFIX, pl) || memcmp(line + pl, name, nn) ||
        line[pl + nn] != ' ')
        return DC_ENOTFOUND; /* another key's line */
    const char *b = line + pl + nn + 1;
    if (dc_tlog_unb64(b, line_len - (size_t)(b - line), sig, sizeof sig) != DC_OK)
        return DC_ECORRUPT;
    if (memcmp(sig, kh, 4))
        return DC_ENOTFOUND; /* the same name, another key */
    uint64_t t = 0;
    for (int i = 0; i < 8; i++)
        t = t << 8 | sig[4 + i];
    if (t > (uint64_t)INT64_MAX || !text_ok(text, text_len))
        return DC_ECORRUPT;
    char *msg = message(t, text, text_len, &mlen);
    if (!msg)
        return DC_ENOMEM;
    dc_status rc = dc__tlog_check_sig(pub, msg, mlen, sig + 12);
    dc_free(msg);
    if (rc == DC_OK && time_s)
        *time_s = t;
    return rc;
}

size_t dc_tlog_cosigned_by(const char *note, const char *const *vkeys, size_t n_keys,
                           size_t *forged)
{
    size_t count = 0;
    if (forged)
        *forged = 0;
    const char *sep = strstr(note, "\n\n");
    if (!sep)
        return 0;
    size_t text_len = (size_t)(sep - note) + 1;
    for (size_t k = 0; k < n_keys; k++) {
        int ok = 0;
        for (const char *line = sep + 2; *line;) {
            const char *end = strchr(line, '\n');
            size_t len = end ? (size_t)(end - line) : strlen(line);
            dc_status rc = dc_tlog_cosignature_check(note, text_len, line, len, vkeys[k], NULL);
            if (rc == DC_OK)
                ok = 1;
            else if (rc == DC_ECORRUPT && forged)
                (*forged)++;
            line += len + (end ? 1 : 0);
        }
        count += ok;
    }
    return count;
}
