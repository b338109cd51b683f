/* The HTTP transport: the only user of libmicrohttpd. http.c takes a
 * request in (body, routing by the table that api/ hands over, bearer-key
 * authentication), lets the route's handler prepare an answer with the
 * reply API below, and sends it, after the commit when the handler waited
 * for one (dc__await). admission.c sheds load (per-key buckets by the
 * route's rate class, in-flight bounds, a body budget) before a body is
 * read; static.c serves the web display; counters.c counts requests by
 * route and status. Errors are always
 * {"error","field","reason"}. Depends on airspace/ only for the server
 * struct, key lookup and commit waiting; knows no handler. */
#ifndef DC_HTTP_H
#define DC_HTTP_H

#include <jansson.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "airspace/airspace.h"
#include "util/buf.h"

typedef struct dc__req dc__req;

/* Who may call a route, and which admission bucket it draws from. */
typedef enum dc__role { DC__ROLE_NONE, DC__ROLE_ANY, DC__ROLE_AUTHORITY } dc__role;
typedef enum dc__rate {
    DC__RATE_OTHER,   /* in-flight bounds only */
    DC__RATE_SUBMIT,  /* a decision: the per-key submission bucket */
    DC__RATE_NOTICES, /* the per-key notice-query bucket */
    DC__RATE_KEYS,    /* key rotation: a per-operator bucket (DC__KEYS_PER_HOUR) */
    DC__RATE_STREAM   /* long-lived: bounded by the connection limits only */
} dc__rate;
typedef struct dc__route {
    const char *method;
    const char *path; /* "{id}" matches one segment */
    dc__role role;
    dc__rate rate;
    void (*fn)(dc__req *r, const char *id);
} dc__route;

/* One request, owned by http.c from its first byte to its completion.
 * Handlers read the caller fields and answer through the reply API. */
struct dc__req {
    dc_server *s;
    struct MHD_Connection *conn;     /* NULL for an in-process request */
    const dc_server_request *inproc; /* its headers, arguments and body */
    /* the caller, once authenticated */
    uint32_t who; /* operator number */
    int is_authority;
    char who_id[24]; /* public operator id */
    /* the answer being prepared */
    int answered;
    unsigned status;
    dc__buf resp;
    const char *content_type;
    char etag[32];
    char allow[40];                 /* a 405's Allow header: the path's methods */
    struct dc__http_stream *stream; /* a streamed answer (dc__reply_stream) */
    /* transport state (http.c) */
    dc__buf body;
    int too_large;
    int suspended;   /* waiting for a commit */
    dc__waiter wait; /* under mu while suspended */
    int route;       /* index in the route table, -1 unmatched */
    double t0;
    char req_id[17]; /* random; the log's req= and the X-Request-Id header */
    /* admission (admission.c), decided when the headers are in */
    int auth_done, auth_ok;
    unsigned shed_status;   /* 429 or 503 to answer instead of the handler; 0: go */
    unsigned retry_after_s; /* Retry-After of that answer */
    int admitted;           /* holds an in-flight slot until completed */
    int deciding;           /* inside a submission handler */
    size_t body_reserved;   /* bytes of the global body budget held */
    /* Work for after the answer has gone (queued when the request completes,
     * run on the after-work thread, airspace/later.c), so
     * that it is not measured on the answer path: after(s, after_ctx),
     * which owns and frees after_ctx. Set by a handler; NULL: none. */
    void (*after)(dc_server *s, void *ctx);
    void *after_ctx;
};

/* ---- the reply API (http.c) ---- */
void dc__reply_json(dc__req *r, unsigned status, json_t *body); /* steals body */
void dc__reply_buf(dc__req *r, unsigned status, const char *content_type, dc__buf *b); /* takes b */
void dc__reply_error(dc__req *r, unsigned status, const char *error, const char *field,
                     const char *reason);
void dc__reply_status(dc__req *r, dc_status st, const dc_error *err); /* maps a dc_status */
/* Under mu, after journaling: answer only once the journaled writes commit. */
void dc__await(dc__req *r);
/* Parses the body as a JSON object; replies 400 and returns NULL on error. */
json_t *dc__req_json(dc__req *r);
const char *dc__req_header(dc__req *r, const char *name);
const char *dc__req_arg(dc__req *r, const char *name);

/* A streamed answer (Server-Sent Events). pull fills buf (at most max
 * bytes) and returns how many; 0 after calling dc__http_suspend (nothing to
 * send now: the producer calls dc__http_resume later, once); or one of the
 * ends below. gone is called once when the connection is done with ctx
 * (from libmicrohttpd's threads, maybe under its locks). Returns 0, or -1
 * (and r answered 500) when out of memory; on success the transport owns
 * ctx until gone. */
enum { DC__PULL_END = -1, DC__PULL_ERROR = -2 };
typedef long (*dc__pull_fn)(void *ctx, char *buf, size_t max);
int dc__reply_stream(dc__req *r, const char *content_type, dc__pull_fn pull,
                     void (*gone)(void *ctx), void *ctx);
/* The connection handle a stream's producer suspends and resumes. */
void *dc__req_conn(dc__req *r);
void dc__http_suspend(void *conn); /* from inside pull only */
/* A streamed answer and libmicrohttpd's callbacks for it (stream.c). */
struct dc__http_stream {
    dc__pull_fn pull;
    void (*gone)(void *ctx);
    void *ctx;
    const char *content_type;
};

ssize_t dc__http_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void dc__http_stream_gone(void *cls);
void dc__http_resume(void *conn); /* exactly once after each suspend */

/* static.c: answers a GET/HEAD that no route matched from the web directory
 * (404 when there is no such file). */
void dc__static_serve(dc__req *r, const char *url);

/* The transport's state (s->http): set at start, then read-only except the
 * atomics and what admission.c guards itself. */
enum { DC__STATUS_SLOTS = 17 }; /* the status codes counted, then "other" */
typedef struct dc__http {
    struct MHD_Daemon *mhd;
    int quiesced_fd; /* the listening socket after dc__http_quiesce, or -1 */
    uint16_t port;
    const dc__route *routes;
    size_t n_routes;
    _Atomic unsigned long (*requests)[DC__STATUS_SLOTS]; /* n_routes + 1 rows: unmatched last */
    struct dc__admission *adm;
} dc__http;

/* ---- the transport's lifecycle (http.c), driven by server/ ---- */

/* Listens on listen ("HOST:PORT") with the route table (borrowed for the
 * server's life); s->http set. */
dc_status dc__http_start(dc_server *s, const dc__route *routes, size_t n_routes, const char *listen,
                         dc_error *err);
uint16_t dc__http_port(const dc_server *s);
/* DC_OK when listen is a valid "HOST:PORT" (before anything starts). */
dc_status dc__http_listen_check(const char *listen, dc_error *err);
/* Stops accepting connections; requests in flight go on. 1 when a daemon
 * was running. */
int dc__http_quiesce(dc_server *s);
/* Stops the daemon and frees s->http; accepts s->http NULL. */
void dc__http_stop(dc_server *s);
/* counters.c: counts a request's answer (route -1: no route matched). */
/* A request is answered: counts it (dc__http_count) and, for a connection
 * (not an in-process call), writes its log line (util/log.h): the route's
 * pattern, never the raw path or a key; the status; the time since its
 * headers came; the caller's own public id. */
void dc__http_done(dc__req *r);
void dc__http_count(dc_server *s, int route, unsigned status);
/* Requests by route and status, as Prometheus text. */
void dc__http_metrics_render(dc_server *s, dc__buf *b);

/* ---- admission (admission.c) ---- */

typedef struct dc__admission dc__admission;
dc__admission *dc__admission_new(const dc__route *routes, size_t n_routes);
void dc__admission_free(dc__admission *a); /* accepts NULL */
/* At a request's first call, once authenticated (key_prefix NULL for public
 * routes): sets r->shed_status (429 rate limit, 503 over capacity). */
void dc__admit(dc__req *r, const char *key_prefix);
/* Reserves `more` body bytes of the global budget; 0 (and r shed) when over. */
int dc__admit_body(dc__req *r, size_t more);
void dc__admit_done(dc__req *r); /* releases what r holds; on completion */
/* Around a handler: 0 (and r shed with 503) when overloaded and too many
 * operator submissions are already being decided. */
int dc__admit_enter(dc__req *r);
void dc__admit_leave(dc__req *r);
/* Authentication by a key that authenticated before, without taking mu:
 * 1 and r's caller fields set when it matches (and is not revoked). */
int dc__admit_auth(dc__req *r, const char *prefix, const char *presented);
/* Operators rotating their own keys: at most DC__KEYS_BURST at once, then
 * DC__KEYS_PER_HOUR (the authority is exempt). A rotation keeps the rate
 * state (it is the operator's, not the key's). */
#define DC__KEYS_BURST 3
#define DC__KEYS_PER_HOUR 12
/* Under mu, after keys were revoked: forgets the remembered revoked keys,
 * so the table holds only live keys however often they rotate. */
void dc__admit_forget_revoked(dc_server *s);
/* Drops every remembered key (a reload is about to free them). */
void dc__admit_forget_keys(dc_server *s);
/* Under mu, after a key authenticated: remember it for dc__admit_auth. */
void dc__admit_auth_remember(dc_server *s, const char *prefix, const dc__key *k,
                             const dc__operator *op);
void dc__admission_metrics_render(dc_server *s, dc__buf *b);

#endif
