/* Streamed answers (SSE) and connection suspension, split from http.c by
 * concept: a handler hands over a pull function; libmicrohttpd calls it as
 * the client reads, and `gone` when the connection ends. */
#include <microhttpd.h>
#include <sys/types.h>

#include "http/http.h"

typedef struct dc__http_stream dc__http_stream;

ssize_t dc__http_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    dc__http_stream *hs = cls;
    long n = hs->pull(hs->ctx, buf, max);
    if (n == DC__PULL_END)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return (ssize_t)n;
}

void dc__http_stream_gone(void *cls)
{
    dc__http_stream *hs = cls;
    hs->gone(hs->ctx);
    dc_free(hs);
}

int dc__reply_stream(dc__req *r, const char *content_type, dc__pull_fn pull,
                     void (*gone)(void *ctx), void *ctx)
{
    dc__http_stream *hs = dc_calloc(1, sizeof *hs);
    if (!hs) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        return -1;
    }
    *hs = (dc__http_stream){pull, gone, ctx, content_type};
    dc__buf_free(&r->resp);
    r->stream = hs;
    r->status = 200;
    r->answered = 1;
    return 0;
}

void *dc__req_conn(dc__req *r)
{
    return r->conn;
}

void dc__http_suspend(void *conn)
{
    MHD_suspend_connection(conn);
}

void dc__http_resume(void *conn)
{
    MHD_resume_connection(conn);
}
