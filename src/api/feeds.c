/* GET /v1/feeds: the state of the authority's surveillance feeds
 * (livefeed/health.c renders it). Authority only (the route table answers
 * an operator 403): a feed's endpoint and traffic are the host's own
 * picture. */
#include "api/api.h"

void dc__api_feeds_list(dc__req *r, const char *unused)
{
    (void)unused;
    dc__buf b = {0};
    dc__feeds_json(r->s, &b);
    dc__reply_buf(r, 200, "application/json", &b);
}
