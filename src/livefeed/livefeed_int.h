/* Private to src/livefeed/: one feed's state (feeds.c runs it), the fusion
 * table (fusion.c) and what health.c reads. Counters are atomics written by
 * the feed's thread alone; last_error is under the feed's st_mu (a leaf). */
#ifndef DC_LIVEFEED_INT_H
#define DC_LIVEFEED_INT_H

#include <stdatomic.h>

#include "livefeed/livefeed.h"

#define DC__FEED_BATCH 2048  /* reports handed to the ingest buffer at once */
#define DC__FEED_KEY_MAX 24  /* "4CA7A8" or "062-255-255-65535" */
#define DC__FEED_FLUSH_S 0.1 /* a partial batch waits no longer */

enum { DC__FEED_CONNECTING = 0, DC__FEED_CONNECTED = 1, DC__FEED_LISTENING = 2 };

/* The aircraft seen on any feed in the last window_s, by fusion key. */
typedef struct dc__fusion_slot {
    char key[DC__FEED_KEY_MAX];
    char alias[8];       /* a track-number key's Mode S address ("" none) */
    double seen_s;       /* wall arrival of its last report */
    double pos_t;        /* time of the newest position handed on */
    double alt_t, alt_m; /* newest altitude (m) and its time; alt_t 0: none */
    double vel_t, gs_mps, trk_deg;
    double vr_t, vr_mps;
    uint8_t used;
} dc__fusion_slot;

typedef struct dc__fusion {
    pthread_mutex_t mu; /* fu_mu: a leaf; guards slots */
    dc__fusion_slot *slots;
    size_t cap; /* a power of two */
    double window_s;
    _Atomic unsigned long evicted;
} dc__fusion;

typedef struct dc__feed {
    struct dc__feeds *all;
    const dc_feed_config *cfg; /* s->cfg.feeds[i], read-only */
    dc__thread thread;
    int fd; /* the UDP socket (bound at start) or the TCP connection; -1 */

    /* Written by the feed's thread, read by health.c. */
    _Atomic unsigned long messages, reports, errors, reconnects, dropped, superseded, incomplete;
    _Atomic unsigned long tied; /* reports tied to an operation by Mode S (tie.c) */
    _Atomic int state, silent;
    _Atomic long long last_msg_ms; /* wall milliseconds of the last message; 0 never */
    double started_s;              /* wall */

    pthread_mutex_t st_mu; /* a leaf: guards last_error */
    char last_error[160];

    /* The feed thread's alone. */
    dc_adsb *adsb;
    uint8_t *rbuf;
    size_t rlen, rcap;
    dc_track_report *batch;
    char (*ids)[DC__FEED_KEY_MAX];
    char (*tie_ops)[DC_TRACK_OPERATION_ID_MAX]; /* a tied report's operation (tie.c) */
    size_t n_batch;
    double flushed_mono_s;
    double now_s; /* wall arrival of the message being decoded */
} dc__feed;

struct dc__feeds {
    dc_server *s;
    _Atomic int stop;
    int stopped;
    dc__fusion fu;
    dc__feed *v;
    size_t n;
};

/* tie.c: under the server's mu, turns each report of f's batch whose Mode S
 * address is declared on an active operation of the operator it is
 * registered to into that operator's track "modes:<address>" linked to the
 * operation (docs/feeds.md). Returns the string bytes the batch gained. */
size_t dc__feed_tie(dc_server *s, dc__feed *f);

/* fusion.c */
dc_status dc__fusion_init(dc__fusion *fu, size_t cap, double window_s);
void dc__fusion_free(dc__fusion *fu);
/* Folds report r of feed f (arrived at f->now_s) into its aircraft and,
 * when it carries a position newer than any feed's last one, appends one
 * complete track report to f's batch (the caller made room). */
void dc__fusion_report(dc__fusion *fu, dc__feed *f, const dc_feed_report *r);
/* Aircraft seen within the window (a racy count, for health). */
size_t dc__fusion_count(dc__fusion *fu, double now_s);

/* feeds.c: the feed's last error, for health.c (copied under st_mu). */
void dc__feed_error_get(dc__feed *f, char *out, size_t cap);
const char *dc__feed_type_name(dc_feed_source t);

#endif
