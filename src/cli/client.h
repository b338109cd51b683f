/* A small JSON client of the /v1 API over libcurl, shared by `demo` and
 * `simulate`. One client is one reusable connection (not thread-safe). */
#ifndef DC_CLI_CLIENT_H
#define DC_CLI_CLIENT_H

#include <jansson.h>

typedef struct dc__client dc__client;

/* base: "http://host:port". NULL on allocation failure. */
dc__client *dc__client_new(const char *base);
void dc__client_free(dc__client *c); /* accepts NULL */

/* Sends method path with key as Bearer (NULL: none) and body as JSON (NULL:
 * none; borrowed). Returns the HTTP status, 0 when no answer came (err in
 * *out_raw is NULL). *out_json (may be NULL) gets the parsed body, owned by
 * the caller (json_decref); *out_raw (may be NULL) the body text, owned by
 * the caller (free). extra_header: one "Name: value" or NULL. */
long dc__client_call(dc__client *c, const char *method, const char *path, const char *key,
                     const json_t *body, const char *extra_header, json_t **out_json,
                     char **out_raw);

/* Why the last dc__client_call got no answer (status 0), in words: "http://
 * 127.0.0.1:1: connection refused: ...". Borrowed until the next call. */
const char *dc__client_error(const dc__client *c);

/* Calls fn(ctx, key, path, status, body) after every answered call (the
 * demo's blindness scan reads every response a party received). */
typedef void (*dc__client_observer)(void *ctx, const char *key, const char *path, long status,
                                    const char *body);
void dc__client_observe(dc__client *c, dc__client_observer fn, void *ctx);

/* The API key a command uses: the first line of key_file (NULL: none),
 * else the DECONFLICT_KEY environment variable, never the command line
 * (which `ps` shows). Returns buf (filled) or NULL when there is none or
 * the file cannot be read (a message on stderr names it). */
const char *dc__cli_key(const char *key_file, char *buf, size_t len);

#endif
