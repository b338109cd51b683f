/* Status codes: every fallible deconflict call returns a dc_status.
 * Codes are append-only (their numbers are stable across releases); the
 * message table is generated from the same X-macro so they never drift.
 * Validation failures also fill a dc_error naming the field and reason. */
#ifndef DECONFLICT_STATUS_H
#define DECONFLICT_STATUS_H

#include <stddef.h>

#define DC_STATUS_MAP(X)                                                                           \
    X(DC_OK, "ok")                                                                                 \
    X(DC_ENOMEM, "out of memory")                                                                  \
    X(DC_EINVAL, "invalid input")                                                                  \
    X(DC_ENOTFOUND, "not found")                                                                   \
    X(DC_EEXIST, "already exists")                                                                 \
    X(DC_ECONFLICT, "conflict")                                                                    \
    X(DC_EIO, "input/output error")                                                                \
    X(DC_ESTORE, "storage error")                                                                  \
    X(DC_ESTALE, "stale version")                                                                  \
    X(DC_EPERM, "not permitted")                                                                   \
    X(DC_EAUTH, "not authenticated")                                                               \
    X(DC_ELIMIT, "limit exceeded")                                                                 \
    X(DC_EUNSUPPORTED, "not supported")                                                            \
    X(DC_EBUSY, "busy")                                                                            \
    X(DC_ECORRUPT, "integrity check failed")

typedef enum dc_status {
#define DC_X_ENUM(code, msg) code,
    DC_STATUS_MAP(DC_X_ENUM)
#undef DC_X_ENUM
        DC_STATUS_COUNT
} dc_status;

/* Static string for a status; never NULL. */
const char *dc_status_str(dc_status s);

/* A validation error: the JSON path of the offending field (for example
 * "volumes[2].footprint.coordinates[0][5]") and a human reason. Caller-owned,
 * usually on the stack; filled only when a call returns DC_EINVAL (or another
 * error it documents). */
typedef struct dc_error {
    char field[256];
    char reason[256];
} dc_error;

/* Fills err (when non-NULL) and returns DC_EINVAL. printf-style reason. */
dc_status dc_error_set(dc_error *err, const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Allocation hook so tests can inject allocation failures. All library
 * allocations go through dc_malloc/dc_calloc/dc_realloc/dc_free. */
typedef struct dc_alloc_hooks {
    void *(*malloc_fn)(size_t);
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
} dc_alloc_hooks;
void dc_set_alloc_hooks(const dc_alloc_hooks *hooks); /* NULL restores libc */
void *dc_malloc(size_t n);
void *dc_calloc(size_t count, size_t size);
void *dc_realloc(void *p, size_t n);
void dc_free(void *p);
char *dc_strdup(const char *s);

#endif
