/* The authority's live surveillance feeds (issue 16, docs/feeds.md): one
 * thread per configured feed (feeds.c) receives ASTERIX datagrams on UDP or
 * reads SBS-1 / Beast from a TCP server with reconnects and backoff, decodes
 * with src/feed/, fuses what several feeds say of one aircraft (fusion.c)
 * and hands complete track reports to the monitor's ingest buffer in
 * batches, as the authority's unknown traffic: the same bounded buffer as
 * POST /v1/tracks, so a feed never waits for the detection tick and a full
 * buffer drops (and counts) a batch instead. health.c renders the per-feed
 * metrics and GET /v1/feeds, and a feed that falls silent raises an
 * authority-only alert. Sits between monitor/ and api/ (it includes the
 * monitor; api/ and server/ include it). Locks: each feed's st_mu and the
 * fusion table's fu_mu are leaves; ingest's ing_mu is taken with neither
 * held. */
#ifndef DC_LIVEFEED_H
#define DC_LIVEFEED_H

#include "monitor/monitor.h"

typedef struct dc__feeds dc__feeds;

/* Starts a thread per s->cfg.feeds (none: s->feeds stays NULL). After the
 * monitor started. A feed that cannot bind its UDP port fails the start
 * (err names feeds[i].listen); TCP feeds connect in the background. */
dc_status dc__feeds_start(dc_server *s, dc_error *err);
/* Joins the feed threads (idempotent); their last batch is handed over. */
void dc__feeds_stop(dc_server *s);
/* Frees what start made, after the transport stopped; accepts s->feeds NULL. */
void dc__feeds_free(dc_server *s);

/* health.c: Prometheus text for /metrics (nothing when no feed). */
void dc__feeds_metrics_render(dc_server *s, dc__buf *b);
/* health.c: GET /v1/feeds's body {"feeds": [...]}, the authority's view. */
void dc__feeds_json(dc_server *s, dc__buf *b);

#endif
