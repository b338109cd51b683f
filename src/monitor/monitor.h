/* Tactical monitoring (issue 4, docs/design.md section 6), with no HTTP:
 * ingest.c queues position reports, tick.c is the detection thread that
 * alone owns the track table (conformance goes through the airspace's one
 * state change), records.c renders alert records (an operator's blind view,
 * the authority's full one), alerts.c keeps the alert ring and feeds the
 * streams, lease_share.c carries monitoring across instances on a shared
 * store (the lease, forwarded reports, the alert feed, takeover), and
 * trackview.c keeps GET /v1/tracks's view. Locks, never nested except
 * mu -> ing_mu (api/tracks.c), al_mu -> mu (a stream checking its key) and
 * al_mu -> the transport's own (a stream suspending itself): ing_mu guards
 * the ingest buffer, al_mu the ring and the streams, the server's mu the
 * airspace. The tick thread takes each briefly in turn and holds none during
 * a pass, so ingestion never waits for detection and a stream consumer
 * never waits for either. */
#ifndef DC_MONITOR_H
#define DC_MONITOR_H

#include "airspace/airspace.h"
#include "deconflict/tactical.h"

/* Reports queued between ticks. Strings are copied into arena; the reports'
 * string pointers are fixed up by the tick thread after the swap (the arena
 * may move while it grows). */
typedef struct dc__ingest_buf {
    dc_track_report *reports;
    uint32_t (*offs)[2]; /* track_id, operation_id (UINT32_MAX: none) */
    size_t n, cap;
    char *arena;
    size_t alen, acap;
} dc__ingest_buf;

/* One alert record as one recipient sees it. Operators are recipients by
 * their number; DC__TO_AUTHORITY is the authority's full view. seq counts
 * per recipient, so a cursor's gaps reveal nothing of others' alerts. */
enum { DC__TO_AUTHORITY = 0 };
typedef struct dc__alert_rec {
    uint32_t to;
    uint64_t seq;
    char *body; /* JSON object members after "seq" (no braces), owned */
} dc__alert_rec;

/* One recipient's records, oldest at head; grown on demand up to the
 * monitor's ring_cap, then the recipient's own oldest record goes. */
typedef struct dc__alert_ring {
    dc__alert_rec *v;
    size_t cap, head, n;
    uint64_t last_seq;    /* newest seq issued */
    uint64_t evicted_seq; /* newest seq overwritten */
} dc__alert_ring;

typedef struct dc__stream dc__stream;
typedef struct dc__share dc__share;

typedef struct dc__monitor_metrics {
    _Atomic unsigned long reports_accepted, reports_stale, batches, buffer_full;
    _Atomic unsigned long passes, pass_us_sum, pass_us_last, pass_us_max, ingest_us_last;
    _Atomic unsigned long tick_us_last, tick_us_max, events_us_max;
    _Atomic unsigned long live_tracks, conflicts, tick_overruns, over_quota;
    _Atomic unsigned long raised, cleared, revised, nonconforming, conforming;
    _Atomic unsigned long streams, streams_dropped, alert_records;
} dc__monitor_metrics;

typedef struct dc__monitor {
    dc_server *s;          /* borrowed; read-only */
    dc__monitor_metrics m; /* atomics */

    /* Guarded by ing_mu: the buffer the tick thread swaps. */
    pthread_mutex_t ing_mu;
    dc__ingest_buf in, work;

    /* Guarded by rate_mu (a leaf): each operator's report bucket, by
     * operator number, so rotating a key does not refill it. */
    pthread_mutex_t rate_mu;
    struct dc__report_bucket {
        double tokens, last_s; /* last_s 0: never used (full) */
    } * rate;
    size_t n_rate;

    /* The tick thread's alone (stopping: under tick_mu). */
    dc__thread thread;
    pthread_mutex_t tick_mu;
    pthread_cond_t tick_cond;
    int stopping; /* under tick_mu */
    dc_tactical *table;
    struct dc__monitor_tick *tick; /* tick.c's per-thread state */
    /* GET /v1/tracks's view is fed only while someone reads it: a map update
     * per report is a quarter of a busy tick otherwise. */
    _Atomic long tracks_read_s; /* wall second of the last read, 0 never */
    int tv_live;                /* tick thread: the view is being fed */

    /* Guarded by al_mu: the alert rings (one per recipient, so nobody's
     * records evict another's) and the streams. */
    pthread_mutex_t al_mu;
    struct dc__alert_ring *rings; /* indexed by recipient */
    size_t n_recipients;
    size_t ring_cap; /* records kept per recipient (alert_ring) */
    dc__stream *streams;
    int closing; /* streams end at once */

    /* On a shared store (lease_share.c): forwarding, the lease, the alert feed.
     * NULL on a single-process store. */
    dc__share *sh;
    char term[96]; /* tick thread: this holder's current lease term, "" if none */
} dc__monitor;

/* alerts.c: appends records (to and body set; seq is assigned), taking
 * their bodies (freed on failure too). On a shared store they go to the
 * store's alert feed, and every instance's ring gets them from there. */
void dc__alerts_append(dc__monitor *m, dc__alert_rec *recs, size_t n);
/* The same into this instance's ring alone. Takes al_mu once. */
void dc__alerts_ring_append(dc__monitor *m, dc__alert_rec *recs, size_t n);
/* Wakes the streams that have something to send (new records, a heartbeat
 * due, shutdown) and frees the ones whose connection is gone. Tick thread,
 * the alert feed's follower (lease_share.c) and shutdown: each stream is resumed
 * by the one caller that flipped its suspended flag under al_mu. */
void dc__streams_notify(dc__monitor *m);
/* Ends every stream and waits (bounded) until their connections let go. */
void dc__streams_close(dc__monitor *m);
void dc__alerts_free(dc__monitor *m);
/* Appends recipient to's records after *cursor (at most limit) to b as
 * JSON array members and moves *cursor on; 1 when records after the
 * caller's cursor were already evicted (missed). */
int dc__alerts_page(dc__monitor *m, uint32_t to, uint64_t *cursor, size_t limit, dc__buf *b);

/* A stream of one recipient's records as Server-Sent Events. new: NULL when
 * out of memory; the transport's conn, suspend and resume are borrowed for
 * the stream's life (suspend is called from pull under al_mu, resume by the
 * notifier without locks, once per suspend). attach starts it (from the
 * newest record, or after cursor when resume) once the transport holds it;
 * discard frees one never attached. pull returns bytes written to buf, 0
 * after suspending, or an end below; gone: the transport is done with it
 * (the notifier frees it). */
enum { DC__STREAM_END = -1, DC__STREAM_ERROR = -2 };
dc__stream *dc__stream_new(dc__monitor *m, uint32_t to, const char *key_prefix, void *conn,
                           void (*suspend)(void *conn), void (*resume)(void *conn));
void dc__stream_attach(dc__stream *st, int resume, uint64_t cursor);
void dc__stream_discard(dc__stream *st);
long dc__stream_pull(dc__stream *st, char *buf, size_t max);
void dc__stream_gone(dc__stream *st);

void dc__ingest_buf_free(dc__ingest_buf *b); /* tick.c */

/* ingest.c: takes n reports from operator op's bucket (track_rate_per_s);
 * 1 when admitted, else 0 with *retry_after_s set (whole seconds >= 1) and
 * nothing taken. Any thread; the authority is not asked. */
int dc__ingest_admit(dc__monitor *m, uint32_t op, size_t n, unsigned *retry_after_s);
void dc__ingest_rate_free(dc__monitor *m);

/* ingest.c: copies the reports with fresh[i] set (every one when fresh is
 * NULL) into b, strings into its arena; 0 (b unchanged) when b would hold
 * more than bound reports or memory runs out. */
int dc__ingest_add(dc__ingest_buf *b, const dc_track_report *rep, size_t n, const char *fresh,
                   size_t n_fresh, size_t bytes, size_t bound);
/* The same into this instance's buffer under ing_mu, or on a shared store
 * into the queue to the monitoring lease holder; 0 when it is full. */
int dc__ingest_enqueue(dc__monitor *m, const dc_track_report *rep, size_t n, const char *fresh,
                       size_t n_fresh, size_t bytes, size_t bound);

/* lease_share.c: tactical monitoring on a shared store. start does nothing on a
 * single-process store (m->sh stays NULL). */
dc_status dc__share_start(dc__monitor *m);
void dc__share_stop(dc__monitor *m); /* after the tick thread; idempotent */
void dc__share_free(dc__monitor *m); /* accepts m->sh NULL */
/* Queues reports for the lease holder, as dc__ingest_add; any thread. */
int dc__share_enqueue(dc__monitor *m, const dc_track_report *rep, size_t n, const char *fresh,
                      size_t n_fresh, size_t bytes, size_t bound);
/* Tick thread, each tick: takes or renews the lease and appends the
 * forwarded reports to w (when holding it, or for the track view while it
 * is read). 1 while this instance holds the lease; *taken when it has just
 * taken it (the caller starts detection over). */
int dc__share_tick(dc__monitor *m, dc__ingest_buf *w, int tv_want, int *taken);
/* Publishes records to the feed as one entry, taking their bodies. */
void dc__share_publish(dc__monitor *m, dc__alert_rec *recs, size_t n);
/* What the feed shows open, from the authority's records: a pair alert
 * raised and not cleared (ref set), or a track reported nonconforming and
 * not conforming since (ref "", b unused). Operators by public id, "" for
 * unknown traffic. */
typedef struct dc__open_side {
    char op_id[24];
    char track[DC_TRACK_ID_MAX];
    char operation[DC_TRACK_OPERATION_ID_MAX]; /* "" when not linked */
} dc__open_side;
typedef struct dc__open_alert {
    char ref[40];
    dc__open_side a, b;
} dc__open_alert;
typedef struct dc__open_list {
    dc__open_alert *v;
    size_t n, cap;
} dc__open_list;
/* Tick thread, having just taken the lease: follows the feed to its end
 * (so the previous holder's last records are in) and copies the open pair
 * alerts into *pairs and the nonconforming tracks into *nc, replacing their
 * contents (caller owns both; free with dc__open_list_free). */
void dc__share_open_alerts(dc__monitor *m, dc__open_list *pairs, dc__open_list *nc);
void dc__open_list_free(dc__open_list *l); /* accepts an empty list */
void dc__share_metrics_render(dc__monitor *m, dc__buf *b);

/* ---- the monitor's face to the layers above (api/, server/) ---- */

dc_status dc__monitor_start(dc_server *s, dc_error *err); /* before the HTTP daemon */
void dc__monitor_shutdown(dc_server *s); /* stops the tick, ends streams; daemon still up */
void dc__monitor_free(dc_server *s);     /* after the daemon stopped; accepts s->mon NULL */
void dc__monitor_metrics_render(dc_server *s, dc__buf *b);
/* GET /v1/tracks was read: the tick feeds its view (again, seeding it from
 * the whole table when it had stopped) for the next minute. */
void dc__monitor_tracks_read(dc_server *s);
/* lease_share.c: appends the store's new alert feed entries to this
 * instance's ring and wakes its streams (shared store; s->on_follow, on the
 * airspace's follower thread). */
void dc__monitor_follow(dc_server *s);

/* trackview.c: the latest report of each live track, fed by the tick
 * thread with each ingest batch. Its lock is a leaf. */
typedef struct dc__trackview dc__trackview;
typedef struct dc__track_row {
    char key[DC_TRACK_ID_MAX + 16]; /* "<operator number>/<track id>" */
    char track[DC_TRACK_ID_MAX];
    char operation[DC_TRACK_OPERATION_ID_MAX];
    dc_track_report r; /* strings point into track / operation */
} dc__track_row;
void dc__trackview_update(dc_server *s, const dc_track_report *reps, size_t n);
void dc__trackview_free(dc_server *s); /* after the tick thread stopped */
/* The rows not stale and visible to `who` (all of them when all): *out is
 * owned by the caller (dc_free), NULL when none. */
dc_status dc__trackview_snapshot(dc_server *s, uint32_t who, int all, dc__track_row **out,
                                 size_t *n);

#endif
