/* What `verify` and `witness` share: evidence files written whole or not
 * at all, and RFC 6962 proofs as the log API serves them (base64 hashes,
 * leaf level first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/evidence.h"
#include "deconflict/tlog.h"

char *dc__cli_read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    char tmp[4096];
    while ((got = fread(tmp, 1, sizeof tmp, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = 2 * (len + got + 1);
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        memcpy(buf + len, tmp, got);
        len += got;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[len] = 0;
    return buf;
}

/* Written whole or not at all: a temporary file renamed over. */
int dc__cli_write_text(const char *path, const char *text)
{
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        remove(tmp);
        return -1;
    }
    return 0;
}

int dc__cli_proof_from(json_t *j, uint8_t p[DC_TLOG_MAX_PROOF][32], size_t *len)
{
    json_t *a = json_object_get(j, "proof"), *h;
    size_t i;
    *len = 0;
    if (!json_is_array(a) || json_array_size(a) > DC_TLOG_MAX_PROOF)
        return -1;
    json_array_foreach(a, i, h)
    {
        const char *t = json_string_value(h);
        if (!t || dc_tlog_unb64(t, strlen(t), p[i], 32) != DC_OK)
            return -1;
        (*len)++;
    }
    return 0;
}
