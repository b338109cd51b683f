/* Shared helpers of the libFuzzer targets in fuzz/ (issue 7): a byte reader
 * for structured inputs, temp files for the APIs that take a path, an
 * allocation-failure hook over dc_malloc, and FZ_CHECK, which aborts (a
 * crash libFuzzer records) when a property of the public API fails.
 * Header-only: every target is one translation unit plus the library. */
#ifndef DC_FUZZ_COMMON_H
#define DC_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deconflict/status.h"

#define FZ_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz property failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Reads fixed-size values off the input; past the end everything is 0. */
typedef struct fz_reader {
    const uint8_t *p;
    size_t n;
} fz_reader;

static inline uint8_t fz_u8(fz_reader *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

static inline uint16_t fz_u16(fz_reader *r)
{
    uint16_t hi = fz_u8(r);
    return (uint16_t)(hi << 8 | fz_u8(r));
}

static inline double fz_f64(fz_reader *r) /* raw bits: NaN, inf, subnormals */
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = u << 8 | fz_u8(r);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* NUL-terminated copy of the input; caller frees with free(). */
static inline char *fz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Writes data to this process's temp file `tag` (in /dev/shm when there is
 * one) and returns its path, valid until the next call with the same tag. */
static inline const char *fz_tmpfile(const uint8_t *data, size_t size, const char *tag)
{
    static char path[4][128];
    static const char *tags[4];
    int slot = 0;
    while (slot < 3 && tags[slot] && strcmp(tags[slot], tag))
        slot++;
    tags[slot] = tag;
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path[slot], sizeof path[slot], "%s/deconflict-fuzz-%ld-%s", dir, (long)getpid(), tag);
    FILE *f = fopen(path[slot], "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path[slot]);
        abort();
    }
    return path[slot];
}

/* Allocation-failure injection: the library allocates only through
 * dc_malloc & co, so after fz_alloc_fail_at(k) the k-th allocation (1-based)
 * fails and every later one succeeds; fz_alloc_count() tells how many were
 * made. fz_alloc_off() restores libc. */
static size_t fz_alloc_n, fz_alloc_fail;

static inline void *fz_malloc(size_t n)
{
    return ++fz_alloc_n == fz_alloc_fail ? NULL : malloc(n);
}

static inline void *fz_realloc(void *p, size_t n)
{
    return ++fz_alloc_n == fz_alloc_fail ? NULL : realloc(p, n);
}

static inline void fz_alloc_fail_at(size_t k)
{
    static const dc_alloc_hooks hooks = {fz_malloc, fz_realloc, free};
    fz_alloc_n = 0;
    fz_alloc_fail = k;
    dc_set_alloc_hooks(&hooks);
}

static inline size_t fz_alloc_count(void)
{
    return fz_alloc_n;
}

static inline void fz_alloc_off(void)
{
    dc_set_alloc_hooks(NULL);
    fz_alloc_fail = 0;
}

/* FNV-1a of the input: a deterministic choice per input (which allocation
 * to fail, which options to use) that does not change its format. */
static inline uint64_t fz_hash(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ULL;
    return h;
}

#endif
