/* Private structures of the server module (include/deconflict/server.h).
 * airspace.c owns the in-memory state and the decisions, journal.c the group
 * commit to the store, http.c the libmicrohttpd glue and routing, routes.c
 * the handlers, envelope.c the blind notices. Everything in struct dc_server
 * below "mu" is guarded by mu. */
#ifndef DC_SERVER_INT_H
#define DC_SERVER_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "deconflict/audit.h"
#include "deconflict/deconflict.h"
#include "deconflict/server.h"
#include "deconflict/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/map.h"

/* ---- blind notices (envelope.c) ---- */

typedef struct dc__notice {
    double lat_min, lon_min, lat_max, lon_max; /* grid-aligned, degrees */
    double alt_lower_m, alt_upper_m;
    int64_t t_start_s, t_end_s;
    double area_km2;
    char *geom; /* GeoJSON Polygon text, owned */
    char *props; /* "altitude_lower_m":...,"time_end":"..." members, owned */
} dc__notice;

/* Builds the envelope of v: *env is the polygon volume for the blind engine
 * (owns its footprint), *out its notice. On error both are left empty. */
dc_status dc__envelope(const dc_volume *v, const dc_server_config *cfg, const char *field,
                       dc_volume *env, dc__notice *out, dc_error *err);
void dc__notice_clear(dc__notice *n);

/* ---- airspace state ---- */

typedef enum dc__state {
    DC__APPROVED,
    DC__ACTIVE,
    DC__ENDED,
    DC__WITHDRAWN,
    DC__NONCONFORMING,
    DC__PREEMPTED,
    DC__IN_FORCE, /* restriction */
    DC__DELETED, /* restriction */
    DC__STATE_COUNT
} dc__state;
const char *dc__state_name(dc__state s);
int dc__state_parse(const char *name, dc__state *out);
int dc__state_live(dc__state s); /* occupies airspace */

typedef struct dc__operator {
    uint32_t number;
    char id[24];
    char *name;
    int is_authority;
    int64_t created_s;
    int64_t probe_window_s; /* minute of the rejection count below */
    unsigned probe_rejections;
} dc__operator;

typedef struct dc__key {
    char prefix[16];
    uint32_t operator_number;
    uint8_t salt[16];
    uint8_t hash[32];
    int revoked;
    int64_t created_s;
} dc__key;

typedef struct dc__entry {
    char id[32];
    int is_restriction;
    uint32_t owner;
    int priority;
    dc__state state;
    int64_t version;
    char *volumes_json; /* normalised volumes array */
    uint32_t *exempt;
    size_t n_exempt;
    char *note;
    size_t n_vols;
    dc__notice *notices; /* n_vols, while live */
    int64_t created_s, updated_s;
} dc__entry;

/* ---- journal (journal.c): store writes waiting for the next commit ---- */

typedef enum dc__write_kind { DC__W_ENTRY, DC__W_OPERATOR, DC__W_KEY, DC__W_AUDIT, DC__W_META } dc__write_kind;

typedef struct dc__write {
    struct dc__write *next;
    dc__write_kind kind;
    union {
        dc_store_entry e;
        dc_store_operator o;
        dc_store_key k;
        dc_audit_record a;
        struct {
            const char *key, *value;
        } meta;
    } u;
    char *strs[5]; /* owned copies the union points into */
} dc__write;

/* ---- requests (http.c) ---- */

typedef struct dc__req dc__req;
struct dc__req {
    dc_server *s;
    struct MHD_Connection *conn;
    dc__buf body;
    int too_large;
    int suspended; /* waiting for a commit */
    uint64_t wait_batch;
    dc_status commit_rc;
    dc__req *next_waiter;
    int answered; /* a response is prepared */
    unsigned status;
    dc__buf resp;
    const char *content_type;
    char etag[32];
    int route;
    double t0;
    uint32_t who; /* authenticated operator number */
    int is_authority;
    char who_id[24];
    struct MHD_Response *custom; /* a handler's own response (alert streams) */
    /* In-process requests (dc_server_handle): conn is NULL, headers and
     * arguments come from here, and a commit wakes inproc_cond instead of
     * resuming a connection. */
    const dc_server_request *inproc;
    int resumed; /* under mu: the commit this request waited for is done */
    /* admission (limits.c), decided when the headers are in */
    int auth_done, auth_ok;
    unsigned shed_status; /* 429 or 503 to answer instead of the handler; 0: go */
    unsigned retry_after_s; /* Retry-After of that answer */
    int admitted; /* holds an in-flight slot until completed */
    int deciding; /* inside a submission handler (dc__limits_enter) */
    size_t body_reserved; /* bytes of the global body budget held */
};

/* Responses are prepared by handlers and sent by http.c (after the commit
 * when the handler called dc__await). */
void dc__reply_json(dc__req *r, unsigned status, json_t *body); /* steals body */
void dc__reply_buf(dc__req *r, unsigned status, const char *content_type, dc__buf *b); /* takes b */
void dc__reply_error(dc__req *r, unsigned status, const char *error, const char *field,
                     const char *reason);
void dc__reply_status(dc__req *r, dc_status st, const dc_error *err); /* maps a dc_status */
/* Answers with resp as built (headers included); takes resp. */
void dc__reply_custom(dc__req *r, unsigned status, struct MHD_Response *resp);
/* Under mu, after journaling: answer only once the journaled writes commit. */
void dc__await(dc__req *r);
/* Parses the body as a JSON object; replies 400 and returns NULL on error. */
json_t *dc__req_json(dc__req *r);
const char *dc__req_header(dc__req *r, const char *name);
const char *dc__req_arg(dc__req *r, const char *name);
/* static.c: answers a GET/HEAD that no route matched from the web directory
 * (404 when there is no such file). */
void dc__static_serve(dc__req *r, const char *url);

enum { DC__ROLE_NONE, DC__ROLE_ANY, DC__ROLE_AUTHORITY };
typedef struct dc__route {
    const char *method;
    const char *path; /* "{id}" matches one segment */
    int role;
    void (*fn)(dc__req *r, const char *id);
} dc__route;
extern const dc__route dc__routes[];
extern const size_t dc__n_routes;

enum { DC__HIST_BUCKETS = 12 };
enum { DC__STATUS_SLOTS = 17 }; /* metrics.c's status codes, then "other" */

typedef struct dc__metrics {
    _Atomic unsigned long requests[32][DC__STATUS_SLOTS]; /* route x status index */
    _Atomic unsigned long approved, rejected, overridden, preempted, blind_only_rejections,
        probing_limited;
    _Atomic unsigned long check_hist[DC__HIST_BUCKETS + 1];
    _Atomic unsigned long check_count;
    _Atomic unsigned long check_sum_us;
    _Atomic unsigned long commits, committed_writes;
} dc__metrics;

struct dc_server {
    dc_server_config cfg;
    dc_store *store;
    struct MHD_Daemon *mhd;
    uint16_t port;
    uint8_t secret[32]; /* notice-id HMAC key */
    dc__metrics m;

    pthread_mutex_t mu;
    dc_engine *ops_exact; /* live operations, exact geometry */
    dc_engine *ops_blind; /* their notice envelopes */
    dc_engine *restr; /* restrictions in force, exact geometry */
    dc__map entries_by_id;
    dc__entry **entries; /* creation order */
    size_t n_entries, cap_entries;
    dc__operator **operators; /* index number - 1 */
    size_t n_operators;
    dc__map keys; /* prefix -> dc__key */
    dc__key **key_list;
    size_t n_keys, cap_keys;
    int64_t audit_seq;
    uint8_t audit_hash[32];
    double envelope_area_km2; /* live notices */

    /* group commit */
    dc__write *j_head, *j_tail;
    uint64_t batch_open; /* batch that new writes join */
    uint64_t batch_done; /* last batch that finished (committed or failed) */
    dc__req *waiters;
    pthread_cond_t j_cond;
    pthread_t committer;
    int committer_started;
    int stopping;
    int failed; /* store unusable: answer 503 */

    struct dc__monitor *mon; /* tactical monitoring (monitor_int.h), its own locks */
    struct dc__limits *lim; /* rate limits, probing alerts, admission (limits.c) */
    struct dc__trackview *tv; /* latest report per live track (trackview.c), its own lock */

    /* Shared store (sync.c, docs/multi-instance.md): state changes are
     * decided only inside a window in which this instance holds the store's
     * write token and has folded in every committed change. */
    int shared;
    int window_open;
    unsigned want_window; /* handlers waiting for a window */
    pthread_cond_t win_cond;
    pthread_cond_t inproc_cond; /* under mu: an in-process request's commit is done */
    int64_t sync_seq; /* last change batch folded into memory */
    pthread_t follower;
    int follower_started;
    _Atomic int follower_stop;
};

/* airspace.c */
dc_status dc__airspace_load(dc_server *s, dc_error *err); /* under mu or before threads */
/* Store visitors that upsert rows into memory (under mu); idempotent, so the
 * change feed may replay what memory already holds. */
typedef struct dc__load_ctx {
    dc_server *s;
    dc_status rc;
    dc_error *err;
} dc__load_ctx;
int dc__load_operator(void *ctx, const dc_store_operator *o);
int dc__load_key(void *ctx, const dc_store_key *k);
int dc__load_entry(void *ctx, const dc_store_entry *e);
void dc__airspace_free(dc_server *s);
dc__entry *dc__entry_get(dc_server *s, const char *id);
dc__operator *dc__operator_get(dc_server *s, uint32_t number);
dc__operator *dc__operator_by_id(dc_server *s, const char *id);
dc__operator *dc__operator_by_name(dc_server *s, const char *name);
/* Writes the entry and its audit record to the journal. */
dc_status dc__journal_entry(dc_server *s, const dc__entry *e, const char *actor,
                            const char *action, json_t *detail);
dc_status dc__journal_audit(dc_server *s, const char *actor, const char *action,
                            const char *subject, json_t *detail);
/* Parses volumes, builds envelopes; used by submissions and by load. */
typedef struct dc__candidate {
    dc_volume *vols;
    size_t n;
    dc_volume *env;
    dc__notice *notices;
    char *volumes_json;
} dc__candidate;
dc_status dc__candidate_parse(dc_server *s, const json_t *arr, int is_restriction,
                              size_t max_volumes, dc__candidate *c, dc_error *err);
/* Adds a live entry's volumes to the engines (taking c's volumes and
 * notices) / removes them. */
dc_status dc__entry_install(dc_server *s, dc__entry *e, dc__candidate *c);
void dc__entry_uninstall(dc_server *s, dc__entry *e);
/* A new entry record (not yet indexed): caller fills it, then dc__entry_add. */
dc__entry *dc__entry_new(const char *id);
void dc__entry_free(dc__entry *e);
dc_status dc__entry_add(dc_server *s, dc__entry *e); /* takes ownership on DC_OK */

/* Conflicts of a candidate: distinct (entry, volume) pairs. */
enum { DC__MAX_HITS = 256 };
typedef struct dc__hit {
    dc__entry *e;
    uint32_t vol;
} dc__hit;
typedef struct dc__hits {
    dc__hit h[DC__MAX_HITS];
    size_t n;
    size_t total; /* pairs found, may exceed n */
} dc__hits;
/* exact: decide by DESIGN section 3 (else by other operators' notices);
 * restrictions are always exact. */
void dc__decide(dc_server *s, uint32_t owner, int exact, const dc_volume *vols, size_t n,
                const char *skip_id, int64_t dt_s, double dalt_m, int first_only, dc__hits *out);
void dc__candidate_free(dc__candidate *c);

dc_status dc__key_insert(dc_server *s, dc__key *k); /* takes k on DC_OK */
void dc__metrics_request(dc_server *s, int route, unsigned status);
void dc__metrics_check(dc_server *s, double seconds);
void dc__metrics_render(dc_server *s, dc__buf *b);

/* journal.c */
dc_status dc__journal_push(dc_server *s, dc__write *w); /* takes ownership, under mu */
dc__write *dc__write_new(dc__write_kind kind);
void dc__write_free(dc__write *w);
dc_status dc__committer_start(dc_server *s);
void dc__committer_stop(dc_server *s);
/* Applies a batch's writes inside an open transaction; *n writes applied. */
dc_status dc__batch_apply(dc_store *st, const dc__write *w, size_t *n);
void dc__writes_free(dc__write *w);
/* Under mu (released and retaken): batch b finished with rc; reloads memory
 * on failure and resumes the requests waiting for it. */
void dc__batch_finish(dc_server *s, uint64_t b, dc_status rc);

/* sync.c: several instances on one shared store. */
/* Takes mu for a handler that decides or changes state; on a shared store
 * also waits for a decision window. Nonzero (mu still held) when no window
 * came in time (store unreachable): the caller answers 503. */
int dc__write_lock(dc_server *s);
void *dc__sync_committer_main(void *arg); /* the committer on a shared store */
dc_status dc__follower_start(dc_server *s);
void dc__follower_stop(dc_server *s);
/* Without mu: folds in what other instances committed, now. For a lookup
 * that missed (a key or an operation created a moment ago elsewhere). */
void dc__sync_catch_up(dc_server *s);

/* keys.c */
/* Makes a key for operator_number: *k filled for storage, key_out gets the
 * secret (shown once). */
dc_status dc__key_make(uint32_t operator_number, int64_t now_s, dc__key *k, char *key_out,
                       size_t key_len);
/* Constant-time check of a presented key against a stored one. */
int dc__key_matches(const dc__key *k, const char *presented);
/* Extracts the lookup prefix of a presented key; 0 on success. */
int dc__key_prefix(const char *presented, char prefix[16]);
void dc__notice_id(const dc_server *s, const char *entry_id, size_t vol, const char *requester,
                   char out[40]);

/* Tactical monitoring: monitor.c (tick thread, config, metrics), tracks.c
 * (POST /v1/tracks), alerts.c (GET /v1/alerts, /v1/alerts/stream). */
void dc__monitor_config_default(dc_server_config *c);
/* One config key of the monitor; DC_ENOTFOUND when not one of its keys. */
dc_status dc__monitor_config_key(dc_server_config *c, const char *key, const json_t *v,
                                 dc_error *err);
dc_status dc__monitor_start(dc_server *s, dc_error *err); /* before the HTTP daemon */
void dc__monitor_shutdown(dc_server *s); /* stops the tick, ends streams; daemon still up */
void dc__monitor_free(dc_server *s); /* after the daemon stopped; accepts s->mon NULL */
void dc__monitor_metrics_render(dc_server *s, dc__buf *b);
/* GET /v1/tracks was read: the tick feeds its view (again, seeding it from
 * the whole table when it had stopped) for the next minute. */
void dc__monitor_tracks_read(dc_server *s);
/* share.c: appends the store's new alert feed entries to this instance's
 * ring and wakes its streams (shared store; the follower thread). */
void dc__monitor_follow(dc_server *s);
/* trackview.c: GET /v1/tracks from the latest report of each track, fed by
 * the tick thread with each ingest batch. */
typedef struct dc__trackview dc__trackview;
void dc__trackview_update(dc_server *s, const dc_track_report *reps, size_t n);
void dc__trackview_free(dc_server *s); /* after the tick thread stopped */
void dc__h_tracks_list(dc__req *r, const char *unused);
void dc__h_tracks_post(dc__req *r, const char *unused);
void dc__h_alerts_list(dc__req *r, const char *unused);
void dc__h_alerts_stream(dc__req *r, const char *unused);

/* limits.c: per-key rate limits, probing alerts and admission control. */
typedef struct dc__limits dc__limits;
void dc__limits_config_default(dc_server_config *c);
/* One config key of limits.c; DC_ENOTFOUND when not one of its keys. */
dc_status dc__limits_config_key(dc_server_config *c, const char *key, const json_t *v,
                                dc_error *err);
dc_status dc__limits_start(dc_server *s); /* before the HTTP daemon */
void dc__limits_free(dc_server *s); /* after it stopped; accepts s->lim NULL */
/* At a request's first call, once authenticated (key_prefix NULL for public
 * routes): sets r->shed_status (429 rate limit, 503 over capacity). */
void dc__limits_admit(dc__req *r, const char *key_prefix);
/* Reserves `more` body bytes of the global budget; 0 (and r shed) when over. */
int dc__limits_body(dc__req *r, size_t more);
void dc__limits_done(dc__req *r); /* releases what r holds; on completion */
/* Around a handler: 0 (and r shed with 503) when overloaded and too many
 * operator submissions are already being decided. */
int dc__limits_enter(dc__req *r);
void dc__limits_leave(dc__req *r);
/* Authentication by a key that authenticated before, without taking mu:
 * 1 and r's caller fields set when it matches (and is not revoked). */
int dc__limits_auth(dc__req *r, const char *prefix, const char *presented);
/* Under mu, after a key authenticated: remember it for dc__limits_auth. */
void dc__limits_auth_remember(dc_server *s, const char *prefix, const dc__key *k,
                              const dc__operator *op);
/* Under mu, from a rejection: counts it in its area and raises a probing
 * alert (audit record, metric, authority alert) when they pile up. */
void dc__limits_rejection(dc_server *s, dc__req *r, const dc_volume *vols, size_t n);
/* Sends the authority alerts raised above; with no lock held. */
void dc__limits_flush(dc_server *s);
void dc__limits_metrics_render(dc_server *s, dc__buf *b);

#endif
