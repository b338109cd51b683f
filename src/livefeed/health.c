/* Feed health as the authority sees it: per-feed counters and gauges in
 * /metrics (labelled by feed name and type; names are checked at config
 * time, so they need no escaping) and GET /v1/feeds's JSON. Reads the feed
 * threads' atomics and each feed's last error under its st_mu. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "livefeed/livefeed_int.h"

static const char *state_name(int st)
{
    return st == DC__FEED_CONNECTED   ? "connected"
           : st == DC__FEED_LISTENING ? "listening"
                                      : "connecting";
}

/* Seconds since the feed's last message, or -1 when it never had one. */
static double age_s(dc__feed *f, double now)
{
    long long ms = atomic_load(&f->last_msg_ms);
    return ms ? fmax(0, now - ms / 1000.0) : -1;
}

/* A feed's value for one metric row: a counter (an atomic of dc__feed at
 * off) or, when off is 0, the gauge named by kind. */
enum { G_AGE = 1, G_UP, G_SILENT };
static double value(dc__feed *f, size_t off, int kind, double now)
{
    if (off)
        return (double)atomic_load((_Atomic unsigned long *)((char *)f + off));
    if (kind == G_UP)
        return atomic_load(&f->state) != DC__FEED_CONNECTING;
    if (kind == G_SILENT)
        return atomic_load(&f->silent);
    double a = age_s(f, now);
    return a < 0 ? now - f->started_s : a; /* never heard: since the start */
}

void dc__feeds_metrics_render(dc_server *s, dc__buf *b)
{
    static const struct {
        const char *name, *help;
        size_t off;
        int gauge;
    } rows[] = {
        {"messages_total", "Datagrams, lines or frames received.", offsetof(dc__feed, messages), 0},
        {"reports_total", "Track reports handed to tactical monitoring.",
         offsetof(dc__feed, reports), 0},
        {"decode_errors_total", "Datagrams, lines or frames refused by the decoder.",
         offsetof(dc__feed, errors), 0},
        {"reconnects_total", "Connection attempts after the first (TCP feeds).",
         offsetof(dc__feed, reconnects), 0},
        {"dropped_total", "Reports dropped: the ingest buffer was full.",
         offsetof(dc__feed, dropped), 0},
        {"superseded_total",
         "Positions dropped: another feed's position of the aircraft was as new or newer.",
         offsetof(dc__feed, superseded), 0},
        {"tied_total", "Track reports tied to an operator's operation by Mode S address.",
         offsetof(dc__feed, tied), 0},
        {"last_message_age_seconds",
         "Seconds since the last message (since the start when none came).", 0, G_AGE},
        {"up", "1 while connected (TCP) or listening (UDP).", 0, G_UP},
        {"silent", "1 while the feed is past its silence threshold.", 0, G_SILENT},
    };
    dc__feeds *fs = s->feeds;
    if (!fs)
        return;
    double now = dc__wall_s();
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        dc__buf_fmt(b, "# HELP deconflict_feed_%s %s\n# TYPE deconflict_feed_%s %s\n", rows[k].name,
                    rows[k].help, rows[k].name, rows[k].off ? "counter" : "gauge");
        for (size_t i = 0; i < fs->n; i++) {
            dc__feed *f = &fs->v[i];
            dc__buf_fmt(b, "deconflict_feed_%s{feed=\"%s\",type=\"%s\"} %.17g\n", rows[k].name,
                        f->cfg->name, dc__feed_type_name(f->cfg->type),
                        value(f, rows[k].off, rows[k].gauge, now));
        }
    }
    dc__buf_fmt(b,
                "# HELP deconflict_feed_aircraft Aircraft with a position from any feed within "
                "the stale time.\n# TYPE deconflict_feed_aircraft gauge\n"
                "deconflict_feed_aircraft %zu\n",
                dc__fusion_count(&fs->fu, now));
}

void dc__feeds_json(dc_server *s, dc__buf *b)
{
    dc__feeds *fs = s->feeds;
    double now = dc__wall_s();
    dc__buf_str(b, "{\"feeds\":[");
    for (size_t i = 0; fs && i < fs->n; i++) {
        dc__feed *f = &fs->v[i];
        const dc_feed_config *c = f->cfg;
        double limit = c->silence_s > 0 ? c->silence_s : s->cfg.feed_silence_s;
        dc__buf_fmt(b, "%s{\"name\":", i ? "," : "");
        dc__buf_json_str(b, c->name);
        dc__buf_fmt(b,
                    ",\"type\":\"%s\",\"endpoint\":\"%s%s:%u\",\"state\":\"%s\",\"silent\":%s,"
                    "\"silence_s\":%.1f,\"messages\":%lu,\"reports\":%lu,\"decode_errors\":%lu,"
                    "\"reconnects\":%lu,\"dropped\":%lu,\"superseded\":%lu,\"incomplete\":%lu,"
                    "\"tied\":%lu,\"last_message_age_s\":",
                    dc__feed_type_name(c->type), c->type == DC_FEED_SRC_ASTERIX ? "udp://" : "",
                    c->host, (unsigned)c->port, state_name(atomic_load(&f->state)),
                    atomic_load(&f->silent) ? "true" : "false", limit, atomic_load(&f->messages),
                    atomic_load(&f->reports), atomic_load(&f->errors), atomic_load(&f->reconnects),
                    atomic_load(&f->dropped), atomic_load(&f->superseded),
                    atomic_load(&f->incomplete), atomic_load(&f->tied));
        double a = age_s(f, now);
        if (a < 0)
            dc__buf_str(b, "null");
        else
            dc__buf_fmt(b, "%.3f", a);
        char e[160];
        dc__feed_error_get(f, e, sizeof e);
        dc__buf_str(b, ",\"last_error\":");
        if (e[0])
            dc__buf_json_str(b, e);
        else
            dc__buf_str(b, "null");
        dc__buf_str(b, "}");
    }
    dc__buf_fmt(b, "],\"aircraft\":%zu}", fs ? dc__fusion_count(&fs->fu, now) : (size_t)0);
}
