/* The deconfliction service: HTTP/JSON API (libmicrohttpd + jansson) over the
 * strategic engine and a durable store. One process holds the airspace in
 * memory behind one mutex; a decision and its store writes are made under
 * that mutex and acknowledged only after a (group) commit. Roles, blind
 * notices and the audit chain follow docs/design.md sections 1, 4, 5, 7;
 * the routes are documented in docs/openapi.yaml. */
#ifndef DECONFLICT_SERVER_H
#define DECONFLICT_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "deconflict/engine.h"
#include "deconflict/feed.h"
#include "deconflict/status.h"
#include "deconflict/tactical.h"

typedef enum dc_disclosure {
    DC_DISCLOSURE_BLIND = 0, /* decide against other operators by their notices */
    DC_DISCLOSURE_EXACT = 1  /* decide by docs/design.md section 3 to the metre */
} dc_disclosure;

/* One surveillance feed of the authority (docs/feeds.md, config key
 * "feeds"): ASTERIX datagrams received on a UDP port, or SBS-1 / Beast read
 * from a TCP server (dump1090) that the feed connects to, reconnecting with
 * backoff. Its reports are the authority's unknown traffic. */
#define DC_FEEDS_MAX 16
typedef struct dc_feed_config {
    char name[32];       /* label in /metrics and GET /v1/feeds ("asterix-0" by default) */
    dc_feed_source type; /* DC_FEED_SRC_ASTERIX (UDP listen), _SBS or _BEAST (TCP connect) */
    char host[64];       /* IPv4 address or host name */
    uint16_t port;
    dc_asterix_options asterix; /* CAT062 edition, CAT048 radar site (ref_time_s unused) */
    int has_ref;                /* Beast: receiver position for local CPR decoding */
    double ref_lat_deg, ref_lon_deg;
    int clock_arrival; /* 1: a report's time is its arrival (SBS, Beast: always), 0: its own */
    double silence_s;  /* no message for this long raises the authority's alert; 0: the
                          server's feed_silence_s */
} dc_feed_config;

enum { DC_MAX_WITNESSES = 8 };

typedef struct dc_server_config {
    dc_params params; /* separation buffers H, V, T */
    dc_disclosure disclosure;
    int grid_cells_per_deg; /* notice footprint grid: 100 = 0.01 degree */
    double alt_step_m;      /* notice altitude coarsening, 300 */
    int64_t time_step_s;    /* notice time coarsening, 300 */
    size_t max_body_bytes;  /* larger bodies get 413 */
    size_t max_volumes;     /* per operation or restriction */
    double ceiling_m;     /* an operation reaching above is refused (feet typed as metres), 20000 */
    unsigned threads;     /* HTTP worker threads */
    unsigned probe_limit; /* rejections per operator in the last minute before 429; 0: no limit */
    int64_t suggest_max_shift_s; /* time-shift search range either way, 6 h */
    int suggest_alt_steps;       /* altitude-band search: steps of alt_step_m either way */
    const char *web_dir;         /* files served at "/"; NULL: web/ found beside the binary */
    /* Tactical monitoring (POST /v1/tracks, /v1/alerts; src/server/monitor.c).
     * Config keys: tick_s, lookahead_s, ht_m, vt_m, stale_s, conf_h_tol_m,
     * conf_v_tol_m, conf_t_tol_s, conf_dwell_s and the names below. */
    dc_tactical_params tactical; /* docs/design.md section 6: T 300 s, Ht 9260 m, Vt 305 m, ... */
    double tick_s;               /* detection period, 1 */
    size_t max_track_reports;    /* per POST /v1/tracks (more: 413), 10,000 */
    size_t track_buffer_reports; /* queued between ticks before 503, 1,000,000 */
    size_t alert_ring;           /* alert records kept per recipient, 65,536 */
    /* Position reports per second per operator (token bucket holding one
     * second's worth or one full batch, whichever is more; 429 with
     * Retry-After beyond; 0: no limit; the authority is exempt), 20,000. */
    double track_rate_per_s;
    double sse_heartbeat_s; /* comment on an idle alert stream, 15 */
    /* Probing limits and overload (src/server/limits.c). Rates are per
     * operator in requests per minute with a burst; 0 turns a rate off, and so
     * does probe_limit 0 for both. The authority is never rate limited. */
    double rate_submit_per_min;      /* POST /v1/operations, PUT .../{id}: 120 */
    double rate_submit_burst;        /* 30 */
    double rate_notices_per_min;     /* GET /v1/notices: 600 */
    double rate_notices_burst;       /* 60 */
    unsigned probe_alert_rejections; /* one operator's rejections in one area cell */
    int64_t probe_window_s;          /* within this window raise a probing alert: 10 in 600 s */
    double probe_area_deg;           /* the area cell, 0.1 degree */
    unsigned max_connections;        /* open connections, 1024 */
    unsigned max_connections_per_ip; /* 128; 0: no per-address limit */
    unsigned connection_timeout_s;   /* idle connections are closed, 30 */
    unsigned max_inflight;           /* operator requests being served at once before 503, 256 */
    unsigned authority_inflight;     /* the authority's own reserve beside them, 32 */
    size_t max_buffered_body_bytes;  /* request bodies held at once before 503, 64 MiB */
    unsigned overload_decisions;     /* operator submissions decided at once while shedding, 1 */
    const char *tls_cert_pem, *tls_key_pem; /* both set: HTTPS only; borrowed PEM text */
    /* Transparency log (docs/transparency.md): a signed checkpoint every
     * log_interval_s (10), the tree grown in blocks of log_block leaves (16)
     * padded with random ones, at least one block per checkpoint. */
    double log_interval_s;
    unsigned log_block;
    /* Witnesses (C2SP tlog-cosignature): their cosigner verifier keys
     * ("witnesses" in the config). POST /v1/log/cosignature takes their
     * cosignatures only; GET /v1/log/checkpoint serves them appended. */
    char witnesses[DC_MAX_WITNESSES][320];
    unsigned n_witnesses;
    int log_off; /* "transparency_log": false, for benchmarks only: records get no leaf
                  * until a later start with the log on (they then name no party) */
    /* The authority's surveillance feeds (src/livefeed/, docs/feeds.md). */
    dc_feed_config feeds[DC_FEEDS_MAX];
    size_t n_feeds;
    double feed_silence_s; /* default silence threshold, 10 */
} dc_server_config;

void dc_server_config_default(dc_server_config *c);
/* Reads a JSON config file ({"h_m":1852,"v_m":305,"t_s":300,"disclosure":"blind",
 * ...}: the field names of dc_server_config) over the values already in c.
 * Errors name the field. */
dc_status dc_server_config_load(const char *path, dc_server_config *c, dc_error *err);

/* Creates a store at uri with its schema, a fresh HMAC secret and the
 * authority operator `authority_name`; writes the authority's API key
 * (NUL-terminated, shown once) to key_out. DC_EEXIST if already initialised. */
dc_status dc_server_init_store(const char *uri, const char *authority_name, char *key_out,
                               size_t key_len, dc_error *err);

typedef struct dc_server dc_server;

/* Opens the store, rebuilds the airspace from it and listens on `listen`
 * ("HOST:PORT", port 0 picks a free one). On DC_OK *out is owned by the
 * caller: dc_server_stop(). */
dc_status dc_server_start(const char *store_uri, const char *listen, const dc_server_config *cfg,
                          dc_server **out, dc_error *err);
uint16_t dc_server_port(const dc_server *s);

/* The process's log on stderr (logfmt, one line per request and per
 * decision, no key or body; docs/operations.md): off until turned on, which
 * `deconflict serve` does unless --quiet. Thread-safe. */
void dc_server_log_enable(int on);
/* Stops accepting, finishes in-flight requests and commits, frees s.
 * Accepts NULL. */
void dc_server_stop(dc_server *s);

/* In-process requests: the same admission, authentication, routing,
 * limits and handlers as over HTTP, without a socket (the HTTP fuzz target
 * drives the API this way; libmicrohttpd's own framing is not ours to
 * fuzz). Header names match case-insensitively, argument names exactly;
 * argument values are already percent-decoded. A write returns after its
 * commit, like its HTTP answer. An alert stream (SSE) answers its status
 * with an empty body and is closed at once. */
typedef struct dc_server_field {
    const char *name, *value;
} dc_server_field;

typedef struct dc_server_request {
    const char *method;          /* "GET", "POST", ... */
    const char *path;            /* without the query string: "/v1/operations" */
    const dc_server_field *args; /* decoded query arguments */
    size_t n_args;
    const dc_server_field *headers;
    size_t n_headers;
    const char *body;
    size_t body_len;
} dc_server_request;

typedef struct dc_server_response {
    unsigned status;
    char *body; /* NUL-terminated, owned: dc_server_response_free() */
    size_t body_len;
    char content_type[64];
    char etag[32];
    unsigned retry_after_s; /* 0: no Retry-After */
} dc_server_response;

/* Serves one request on s (started by dc_server_start). DC_ENOMEM only when
 * no answer could be built; every other outcome is an HTTP status in out. */
dc_status dc_server_handle(dc_server *s, const dc_server_request *req, dc_server_response *out);
void dc_server_response_free(dc_server_response *r);

/* The route table, for --list-routes and the OpenAPI agreement test.
 * Returns the number of routes; *method and *path are static strings. */
size_t dc_server_route_count(void);
void dc_server_route(size_t i, const char **method, const char **path);

#endif
