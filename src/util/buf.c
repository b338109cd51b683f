/* A growable string (see buf.h): the JSON and text the server renders. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "deconflict/status.h"
#include "util/buf.h"

void dc__buf_add(dc__buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = dc_realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void dc__buf_str(dc__buf *b, const char *s)
{
    dc__buf_add(b, s, strlen(s));
}

void dc__buf_fmt(dc__buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        dc__buf_add(b, tmp, (size_t)n);
        return;
    }
    char *big = dc_malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    dc__buf_add(b, big, (size_t)n);
    dc_free(big);
}

/* Length of the well-formed UTF-8 sequence at p (Unicode Table 3-7), or 0. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c >= 0xc2 && c <= 0xdf)
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/* A JSON string of s. Bytes that are not well-formed UTF-8 (a parser's
 * error message may quote a cut multi-byte sequence of the input) become
 * U+FFFD, so the answer is always valid JSON. */
void dc__buf_json_str(dc__buf *b, const char *s)
{
    dc__buf_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            dc__buf_add(b, esc, 2);
        } else if (*p < 0x20) {
            dc__buf_fmt(b, "\\u%04x", *p);
        } else if (*p < 0x80) {
            dc__buf_add(b, (const char *)p, 1);
        } else {
            size_t n = utf8_len(p); /* stops at the NUL: it is no continuation */
            if (n) {
                dc__buf_add(b, (const char *)p, n);
                p += n - 1;
            } else {
                dc__buf_str(b, "\\ufffd");
            }
        }
    }
    dc__buf_add(b, "\"", 1);
}

void dc__buf_free(dc__buf *b)
{
    dc_free(b->p);
    memset(b, 0, sizeof *b);
}
