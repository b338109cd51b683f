/* GET /v1/alerts (a page of the caller's alert records after a cursor) and
 * GET /v1/alerts/stream (the same as Server-Sent Events, resumable with
 * Last-Event-ID or ?since=). The records, their ring and the streams are
 * monitor/alerts.c's; this file parses, checks and hands the stream to the
 * transport. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static uint32_t recipient_of(const dc__req *r)
{
    return r->is_authority ? DC__TO_AUTHORITY : r->who;
}

static int parse_cursor(const char *txt, uint64_t *out)
{
    char *end;
    if (!txt || !*txt || *txt == '-')
        return -1;
    unsigned long long v = strtoull(txt, &end, 10);
    if (*end)
        return -1;
    *out = v;
    return 0;
}

void dc__api_alerts_list(dc__req *r, const char *unused)
{
    (void)unused;
    dc__monitor *m = r->s->mon;
    const char *since = dc__req_arg(r, "since"), *limit = dc__req_arg(r, "limit");
    uint64_t cursor = 0, lim = 100;
    if (since && parse_cursor(since, &cursor)) {
        dc__reply_error(r, 400, "invalid", "since", "must be a cursor (an integer >= 0)");
        return;
    }
    if (limit && (parse_cursor(limit, &lim) || lim < 1 || lim > 1000)) {
        dc__reply_error(r, 400, "invalid", "limit", "must be 1..1000");
        return;
    }
    dc__buf b = {0};
    dc__buf_str(&b, "{\"alerts\":[");
    int missed = dc__alerts_page(m, recipient_of(r), &cursor, (size_t)lim, &b);
    dc__buf_fmt(&b, "],\"next\":%llu,\"missed\":%s}", (unsigned long long)cursor,
                missed ? "true" : "false");
    dc__reply_buf(r, 200, "application/json", &b);
}

/* The transport's pull and release, over the monitor's stream. */
static long pull(void *ctx, char *buf, size_t max)
{
    long n = dc__stream_pull(ctx, buf, max);
    return n == DC__STREAM_END ? DC__PULL_END : n < 0 ? DC__PULL_ERROR : n;
}

static void gone(void *ctx)
{
    dc__stream_gone(ctx);
}

void dc__api_alerts_stream(dc__req *r, const char *unused)
{
    (void)unused;
    dc__monitor *m = r->s->mon;
    const char *last = dc__req_header(r, "Last-Event-ID");
    const char *since = dc__req_arg(r, "since");
    uint64_t cursor = 0;
    char prefix[16];
    int resume = last || since;
    if (resume && parse_cursor(last ? last : since, &cursor)) {
        dc__reply_error(r, 400, "invalid", last ? "Last-Event-ID" : "since",
                        "must be a cursor (an integer >= 0)");
        return;
    }
    const char *auth = dc__req_header(r, "Authorization");
    if (!auth || strlen(auth) < 7 || dc__key_prefix(auth + 7 + strspn(auth + 7, " "), prefix)) {
        /* authenticated a moment ago: cannot happen */
        dc__reply_error(r, 401, "unauthorized", "Authorization", "invalid or revoked API key");
        return;
    }
    dc__stream *st = dc__stream_new(m, recipient_of(r), prefix, dc__req_conn(r), dc__http_suspend,
                                    dc__http_resume);
    if (!st) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        return;
    }
    if (dc__reply_stream(r, "text/event-stream", pull, gone, st)) {
        dc__stream_discard(st);
        return;
    }
    dc__stream_attach(st, resume, cursor);
}
