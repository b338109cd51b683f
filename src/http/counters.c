/* Requests by route and status, for GET /metrics: one row of counters per
 * route of the table (sized at start, so none goes uncounted) and one for
 * requests that matched no route. Atomics: the request path takes no lock. */
#include <stdio.h>

#include "http/http.h"

static const unsigned status_codes[DC__STATUS_SLOTS - 1] = {200, 201, 202, 204, 400, 401, 403, 404,
                                                            405, 409, 412, 413, 428, 429, 500, 503};

static int status_index(unsigned status)
{
    for (int i = 0; i < DC__STATUS_SLOTS - 1; i++)
        if (status_codes[i] == status)
            return i;
    return DC__STATUS_SLOTS - 1; /* other */
}

/* Every route has its row (the table is sized at start): none goes
 * uncounted. */
void dc__http_count(dc_server *s, int route, unsigned status)
{
    dc__http *h = s->http;
    if (!h)
        return;
    size_t r = route < 0 || (size_t)route >= h->n_routes ? h->n_routes : (size_t)route;
    atomic_fetch_add(&h->requests[r][status_index(status)], 1);
}

void dc__http_metrics_render(dc_server *s, dc__buf *b)
{
    dc__http *h = s->http;
    dc__buf_str(b, "# HELP deconflict_http_requests_total HTTP requests by route and status.\n"
                   "# TYPE deconflict_http_requests_total counter\n");
    for (size_t r = 0; h && r <= h->n_routes; r++) {
        for (int k = 0; k < DC__STATUS_SLOTS; k++) {
            unsigned long n = atomic_load(&h->requests[r][k]);
            if (!n)
                continue;
            const char *method = r < h->n_routes ? h->routes[r].method : "";
            const char *path = r < h->n_routes ? h->routes[r].path : "unmatched";
            char code[8];
            if (k < DC__STATUS_SLOTS - 1)
                snprintf(code, sizeof code, "%u", status_codes[k]);
            else
                snprintf(code, sizeof code, "other");
            dc__buf_fmt(b,
                        "deconflict_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} "
                        "%lu\n",
                        method, path, code, n);
        }
    }
}
