/* The server's log: one logfmt line per event on stderr (one write(2), so
 * lines from several threads never interleave), e.g.
 *   ts=2026-12-02T02:40:00.123Z level=info event=request req=9f3a... ...
 * The host reads it; it holds no API key and no request body. A thread
 * that serves a request names it with dc__log_request_set, so the lines it
 * writes meanwhile (decisions) carry the same req= as the request's line
 * and its X-Request-Id header. Thread-safe. */
#ifndef DC_UTIL_LOG_H
#define DC_UTIL_LOG_H

#include <stddef.h>

/* Off by default (library users, tests in-process); serve turns it on. */
void dc__log_enable(int on);
int dc__log_enabled(void);

/* A fresh random request id: 16 hex digits and a NUL in out[17]. */
void dc__log_new_id(char out[17]);
/* The request the calling thread is serving (borrowed; NULL: none). */
void dc__log_request_set(const char *req_id);
const char *dc__log_request(void);

/* Writes "ts=... level=LEVEL event=EVENT req=ID" (req only when the thread
 * serves one) then each key/value pair of the NULL-terminated list
 * (const char *key, const char *value, ...); values are quoted and escaped
 * when they need it, NULL values are left out. */
void dc__log(const char *level, const char *event, ...);

#endif
