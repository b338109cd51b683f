/* The logfmt line writer (log.h). A line is built in a stack buffer and
 * written with one write(2); a value that would not fit is cut, never
 * overflowing. Request ids come from a per-thread xorshift64* generator
 * seeded from getrandom(2): random, so they tell a client nothing about how
 * many requests others made. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

static atomic_int enabled;
static _Thread_local const char *current_req;
static _Thread_local uint64_t rng_state;

void dc__log_enable(int on)
{
    atomic_store(&enabled, on != 0);
}

int dc__log_enabled(void)
{
    return atomic_load(&enabled);
}

void dc__log_new_id(char out[17])
{
    if (!rng_state) {
        uint64_t seed = 0;
        if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed || !seed)
            seed = (uint64_t)(dc__wall_s() * 1e9) ^ (uint64_t)(uintptr_t)&seed;
        rng_state = seed ? seed : 0x9E3779B97F4A7C15ull;
    }
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    snprintf(out, 17, "%016llx", (unsigned long long)(x * 0x2545F4914F6CDD1Dull));
}

void dc__log_request_set(const char *req_id)
{
    current_req = req_id;
}

const char *dc__log_request(void)
{
    return current_req;
}

typedef struct line {
    char p[2048];
    size_t len;
} line;

static void put(line *l, const char *s, size_t n)
{
    size_t room = sizeof l->p - 1 - l->len; /* keep one byte for '\n' */
    if (n > room)
        n = room;
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

static void put_value(line *l, const char *v)
{
    int quote = !v[0];
    for (const char *c = v; *c && !quote; c++)
        quote = *c <= ' ' || *c == '"' || *c == '=' || *c == '\\' || (unsigned char)*c >= 0x7f;
    if (!quote) {
        put(l, v, strlen(v));
        return;
    }
    put(l, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
        char esc[8];
        if (*c == '"' || *c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*c;
            put(l, esc, 2);
        } else if (*c < ' ' || *c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", *c);
            put(l, esc, 4);
        } else {
            put(l, (const char *)c, 1);
        }
    }
    put(l, "\"", 1);
}

static void put_kv(line *l, const char *k, const char *v)
{
    if (l->len)
        put(l, " ", 1);
    put(l, k, strlen(k));
    put(l, "=", 1);
    put_value(l, v);
}

void dc__log(const char *level, const char *event, ...)
{
    if (!dc__log_enabled())
        return;
    line l;
    l.len = 0;
    char ts[40];
    double now = dc__wall_s();
    time_t secs = (time_t)now;
    struct tm tm;
    gmtime_r(&secs, &tm);
    int ms = (int)((now - (double)secs) * 1000.0);
    if (ms < 0 || ms > 999)
        ms = 0;
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    put_kv(&l, "ts", ts);
    put_kv(&l, "level", level);
    put_kv(&l, "event", event);
    if (current_req)
        put_kv(&l, "req", current_req);
    va_list ap;
    va_start(ap, event);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        if (v)
            put_kv(&l, k, v);
    }
    va_end(ap);
    l.p[l.len++] = '\n';
    ssize_t off = 0;
    while (off < (ssize_t)l.len) {
        ssize_t n = write(2, l.p + off, l.len - (size_t)off);
        if (n <= 0)
            break;
        off += n;
    }
}
