/* Small helpers of the server module: a growable string, a string-keyed hash
 * map (open addressing, keys borrowed from the values), hex and randomness. */
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/server_int.h"

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
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4
                                                                                           : 0;
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

struct dc__map_slot {
    const char *key;
    void *val;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Marks a moved slot of the old table: probe chains through it go on. */
static const char moved_key[1];
#define MAP_MOVE_STEP 64

static struct dc__map_slot *find(struct dc__map_slot *slots, size_t cap, const char *key)
{
    if (!cap)
        return NULL;
    for (size_t i = hash_str(key) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (!slots[i].key)
            return NULL;
        if (slots[i].key != moved_key && !strcmp(slots[i].key, key))
            return &slots[i];
    }
}

void *dc__map_get(const dc__map *m, const char *key)
{
    struct dc__map_slot *sl = find(m->slots, m->cap, key);
    if (!sl && m->old)
        sl = find(m->old, m->old_cap, key);
    return sl ? sl->val : NULL;
}

static void put_slot(struct dc__map_slot *slots, size_t cap, const char *key, void *val)
{
    for (size_t i = hash_str(key) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (!slots[i].key || !strcmp(slots[i].key, key)) {
            slots[i].key = key;
            slots[i].val = val;
            return;
        }
    }
}

/* Moves up to `count` slots of the old table (all: SIZE_MAX). */
static void move_some(dc__map *m, size_t count)
{
    for (; m->old && count; count--) {
        struct dc__map_slot *o = &m->old[m->old_next];
        if (o->key && o->key != moved_key) {
            put_slot(m->slots, m->cap, o->key, o->val);
            o->key = moved_key;
        }
        if (++m->old_next == m->old_cap) {
            dc_free(m->old);
            m->old = NULL;
            m->old_cap = m->old_next = 0;
        }
    }
}

dc_status dc__map_put(dc__map *m, const char *key, void *val)
{
    struct dc__map_slot *sl = find(m->slots, m->cap, key);
    if (!sl && m->old)
        sl = find(m->old, m->old_cap, key);
    if (sl) { /* a replacement, wherever the key sits: never grows */
        sl->val = val;
        move_some(m, MAP_MOVE_STEP);
        return DC_OK;
    }
    if ((m->n + 1) * 2 > m->cap) {
        /* The next doubling comes after cap/2 more keys, and the move
         * needs cap/MAP_MOVE_STEP puts: it is always over by then. */
        move_some(m, SIZE_MAX);
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct dc__map_slot *slots = dc_calloc(cap, sizeof *slots);
        if (!slots)
            return DC_ENOMEM;
        m->old = m->slots;
        m->old_cap = m->cap;
        m->old_next = 0;
        if (!m->old_cap)
            m->old = NULL;
        m->slots = slots;
        m->cap = cap;
    }
    m->n++;
    put_slot(m->slots, m->cap, key, val);
    move_some(m, MAP_MOVE_STEP);
    return DC_OK;
}

void dc__map_free(dc__map *m)
{
    dc_free(m->slots);
    dc_free(m->old);
    memset(m, 0, sizeof *m);
}

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

double dc__now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
