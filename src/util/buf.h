/* Growable string: the JSON and text that handlers and alert records
 * render. oom is sticky, so callers check once at the end. Not thread-safe;
 * the owner frees with dc__buf_free (accepts an empty buffer). */
#ifndef DC_UTIL_BUF_H
#define DC_UTIL_BUF_H

#include <stddef.h>

typedef struct dc__buf {
    char *p; /* NUL-terminated when len > 0; owned */
    size_t len, cap;
    int oom;
} dc__buf;
void dc__buf_add(dc__buf *b, const char *s, size_t n);
void dc__buf_str(dc__buf *b, const char *s);
void dc__buf_fmt(dc__buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void dc__buf_json_str(dc__buf *b, const char *s); /* quoted, escaped */
void dc__buf_free(dc__buf *b);

#endif
