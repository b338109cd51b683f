/* Start and stop: the one place that knows every layer. Start opens the
 * airspace (airspace/state.c), starts the committer and the shared store's
 * follower, the monitor, the surveillance feeds (livefeed/), then the
 * transport with the API's route table; stop undoes it in reverse (the
 * feeds first, handing the monitor their last reports), letting in-flight
 * decisions reach the store and their clients first. */
#include <pthread.h>
#include <unistd.h>

#include "api/api.h"
#include "livefeed/livefeed.h"
#include "server/server.h"
#include "util/log.h"

dc_status dc_server_start(const char *store_uri, const char *listen, const dc_server_config *cfg,
                          dc_server **out, dc_error *err)
{
    dc_status rc;
    *out = NULL;
    if ((rc = dc__http_listen_check(listen, err)) != DC_OK)
        return rc;
    dc_server *s = NULL;
    if ((rc = dc__airspace_open(store_uri, cfg, &s, err)) != DC_OK)
        goto fail;
    s->on_follow = dc__monitor_follow; /* before the follower starts */
    if ((rc = dc__committer_start(s)) != DC_OK || (rc = dc__follower_start(s)) != DC_OK ||
        (rc = dc__later_start(s)) != DC_OK)
        goto fail;
    if ((rc = dc__monitor_start(s, err)) != DC_OK)
        goto fail;
    if ((rc = dc__feeds_start(s, err)) != DC_OK)
        goto fail;
    if ((rc = dc__http_start(s, dc__api_routes, dc__api_n_routes, listen, err)) != DC_OK)
        goto fail;
    *out = s;
    return DC_OK;
fail:
    dc_server_stop(s);
    return rc;
}

void dc_server_log_enable(int on)
{
    dc__log_enable(on);
}

uint16_t dc_server_port(const dc_server *s)
{
    return dc__http_port(s);
}

void dc_server_stop(dc_server *s)
{
    if (!s)
        return;
    dc__feeds_stop(s); /* before the monitor: they hand it their last reports */
    if (dc__http_quiesce(s)) {
        dc__monitor_shutdown(s); /* its last state changes join the journal */
        /* Let in-flight decisions reach the store and their clients. */
        for (int i = 0; i < 500; i++) {
            pthread_mutex_lock(&s->mu);
            int busy = s->waiters || s->j_head;
            pthread_mutex_unlock(&s->mu);
            if (!busy)
                break;
            usleep(10000);
        }
        /* A store that stays away (a failover) leaves requests waiting:
         * they get 503 (not confirmed) rather than a daemon that stops
         * with suspended connections, which libmicrohttpd refuses. */
        dc__journal_abandon(s);
        usleep(20000);
    }
    dc__http_stop(s);
    dc__later_stop(s); /* no request left to queue work */
    dc__feeds_free(s);
    dc__monitor_free(s);
    dc__trackview_free(s);
    dc__follower_stop(s);
    dc__committer_stop(s);
    dc__airspace_close(s);
}

size_t dc_server_route_count(void)
{
    return dc__api_n_routes;
}

void dc_server_route(size_t i, const char **method, const char **path)
{
    *method = dc__api_routes[i].method;
    *path = dc__api_routes[i].path;
}
