/* HTTP glue (libmicrohttpd): routing by the table api/
 * hands over, bearer-key authentication, responses, streams, the daemon.
 * A handler that journaled writes suspends its connection (dc__await); the
 * committer wakes it after the commit and the prepared answer goes out
 * only then. Errors are always {"error","field","reason"} and never name
 * another operator: handlers answer 404 for what the caller may not see. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>
#include <stddef.h>

#include "http/http.h"
#include "util/log.h"

/* ---- responses ---- */

static void reply_take(dc__req *r, unsigned status, const char *ctype, dc__buf *b);

/* While memory is being rebuilt after a failover (or a reload failed),
 * an answer read from memory may be wrong: a missing key or operation, a
 * stale listing. Only a change's success (sent once durable) and /metrics
 * (which shows the state) go out; the rest become 503. */
static int stale_answer(dc__req *r, unsigned status)
{
    if (!r->s->failed || status >= 500 || r->route < 0)
        return 0;
    const dc__route *rt = &r->s->http->routes[r->route];
    if (strcmp(rt->method, "GET") && status < 300)
        return 0; /* a change's success is sent only once it is durable */
    return rt->role != DC__ROLE_NONE && strcmp(rt->path, "/metrics");
}

static void reply_take(dc__req *r, unsigned status, const char *ctype, dc__buf *b)
{
    if (stale_answer(r, status)) {
        dc__buf_free(b);
        dc__buf_str(b, "{\"error\":\"store_unavailable\",\"field\":\"\",\"reason\":\"the store "
                       "is unavailable; retry later\"}");
        status = 503;
        ctype = "application/json";
        if (!r->retry_after_s)
            r->retry_after_s = 1;
    }
    dc__buf_free(&r->resp);
    r->resp = *b;
    memset(b, 0, sizeof *b);
    r->status = status;
    r->content_type = ctype;
    r->answered = 1;
}

void dc__reply_buf(dc__req *r, unsigned status, const char *content_type, dc__buf *b)
{
    if (b->oom) {
        dc__buf_free(b);
        dc__reply_error(r, 500, "internal", "", "out of memory");
        return;
    }
    reply_take(r, status, content_type, b);
}

void dc__reply_json(dc__req *r, unsigned status, json_t *body)
{
    dc__buf b = {0};
    char *txt = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(body);
    if (!txt) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        return;
    }
    dc__buf_str(&b, txt);
    free(txt);
    dc__reply_buf(r, status, "application/json", &b);
}

void dc__reply_error(dc__req *r, unsigned status, const char *error, const char *field,
                     const char *reason)
{
    /* Built by hand so that even an allocation failure still answers. */
    dc__buf b = {0};
    if (status == 503 && !r->retry_after_s)
        r->retry_after_s = 1; /* every 503 is temporary: overload, a failover */
    dc__buf_str(&b, "{\"error\":");
    dc__buf_json_str(&b, error);
    dc__buf_str(&b, ",\"field\":");
    dc__buf_json_str(&b, field ? field : "");
    dc__buf_str(&b, ",\"reason\":");
    dc__buf_json_str(&b, reason ? reason : "");
    dc__buf_str(&b, "}");
    r->etag[0] = 0;
    reply_take(r, status, "application/json", &b);
}

void dc__reply_status(dc__req *r, dc_status st, const dc_error *err)
{
    const char *field = err && err->field[0] ? err->field : "";
    const char *reason = err && err->reason[0] ? err->reason : dc_status_str(st);
    switch (st) {
    case DC_EINVAL:
        dc__reply_error(r, 400, "invalid", field, reason);
        break;
    case DC_ENOTFOUND:
        dc__reply_error(r, 404, "not_found", field, reason);
        break;
    case DC_ELIMIT:
        dc__reply_error(r, 413, "too_large", field, reason);
        break;
    case DC_ESTORE:
    case DC_EBUSY:
    case DC_EIO:
        dc__reply_error(r, 503, "store_unavailable", "", "the store is unavailable; retry later");
        break;
    default:
        dc__reply_error(r, 500, "internal", "", dc_status_str(st));
        break;
    }
}

/* The committer is done with r's batch: its connection goes on. */
static void wake(dc__waiter *w)
{
    dc__req *r = (dc__req *)((char *)w - offsetof(dc__req, wait));
    MHD_resume_connection(r->conn);
}

/* An answered request: releases what it held, then does its after work. */
static void req_done(dc__req *r)
{
    dc__admit_done(r);
    if (r->after) /* on the after-work thread, not this connection's */
        dc__later(r->s, r->after, r->after_ctx);
    dc__buf_free(&r->body);
    dc__buf_free(&r->resp);
    dc_free(r);
}

void dc__await(dc__req *r)
{
    r->wait.wake = r->conn ? wake : NULL; /* in-process: dc_server_handle waits */
    dc__journal_wait(r->s, &r->wait);
    r->suspended = 1;
    if (r->conn)
        MHD_suspend_connection(r->conn);
}

/* On every response: the page's sources are its own (its only inline
 * styles are the colour swatches' style attributes), nothing may frame it,
 * and no answer is sniffed into another type. */
#define CSP                                                                                        \
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "                    \
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "               \
    "form-action 'none'; frame-ancestors 'none'"

static void security_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

static enum MHD_Result send_reply(dc__req *r)
{
    if (r->stream) {
        struct dc__http_stream *hs = r->stream;
        r->stream = NULL;
        struct MHD_Response *resp = MHD_create_response_from_callback(
            MHD_SIZE_UNKNOWN, 16384, dc__http_stream_read, hs, dc__http_stream_gone);
        if (!resp) {
            dc__http_stream_gone(hs);
            return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, hs->content_type);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(resp, "X-Accel-Buffering", "no");
        MHD_add_response_header(resp, "X-Request-Id", r->req_id);
        security_headers(resp);
        enum MHD_Result ret = MHD_queue_response(r->conn, r->status, resp);
        MHD_destroy_response(resp);
        dc__http_done(r);
        return ret;
    }
    if (!r->answered)
        dc__reply_error(r, 500, "internal", "", "no response");
    size_t len = r->resp.len;
    char *p = r->resp.p;
    memset(&r->resp, 0, sizeof r->resp);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, p ? p : dc_strdup(""), dc_free);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (r->etag[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
    if (r->status == 405)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    MHD_add_response_header(resp, "X-Request-Id", r->req_id);
    security_headers(resp);
    if (r->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (r->retry_after_s) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", r->retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    dc__http_done(r);
    return ret;
}

/* ---- routing and authentication ---- */

/* Matches url against a pattern; *id gets the {id} segment (static buffer
 * of the caller). Ids are restricted to [A-Za-z0-9_-]. */
static int match(const char *pattern, const char *url, char *id, size_t id_len)
{
    while (*pattern && *url) {
        if (!strncmp(pattern, "{id}", 4)) {
            size_t n = 0;
            while (url[n] && url[n] != '/') {
                char c = url[n];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-'))
                    return 0;
                n++;
            }
            if (n == 0 || n >= id_len)
                return 0;
            memcpy(id, url, n);
            id[n] = 0;
            url += n;
            pattern += 4;
            continue;
        }
        if (*pattern != *url)
            return 0;
        pattern++;
        url++;
    }
    if (*url == '/' && url[1] == 0)
        url++; /* tolerate one trailing slash */
    return !*pattern && !*url;
}

static int authenticate(dc__req *r, char prefix[16])
{
    dc_server *s = r->s;
    const char *h = dc__req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7)) {
        dc__reply_error(r, 401, "unauthorized", "Authorization", "a Bearer API key is required");
        return 0;
    }
    h += 7;
    while (*h == ' ')
        h++;
    int ok = 0, failed = 0;
    if (!dc__key_prefix(h, prefix) && dc__admit_auth(r, prefix, h))
        return 1;
    if (!dc__key_prefix(h, prefix)) {
        pthread_mutex_lock(&s->mu);
        dc__key *k = dc__map_get(&s->keys, prefix);
        if (!k && s->shared) { /* issued by another instance a moment ago? */
            pthread_mutex_unlock(&s->mu);
            dc__sync_catch_up(s);
            pthread_mutex_lock(&s->mu);
            k = dc__map_get(&s->keys, prefix);
        }
        dc__operator *op = k ? dc__operator_get(s, k->operator_number) : NULL;
        if (k && op && dc__key_matches(k, h)) {
            ok = 1;
            r->who = op->number;
            r->is_authority = op->is_authority;
            snprintf(r->who_id, sizeof r->who_id, "%s", op->id);
            dc__admit_auth_remember(s, prefix, k, op);
        }
        failed = s->failed;
        pthread_mutex_unlock(&s->mu);
    }
    /* Memory being rebuilt after a failover (docs/ha.md) may lack the key:
     * no 401 that could be wrong. */
    if (!ok && failed)
        dc__reply_error(r, 503, "store_unavailable", "", "the store is unavailable");
    else if (!ok)
        dc__reply_error(r, 401, "unauthorized", "Authorization", "invalid or revoked API key");
    return ok;
}

/* At the first call (headers complete, body not read yet): the route, the
 * caller and admission (admission.c), so that a request to be refused or shed
 * never has its body buffered. */
static void admit(dc__req *r, const char *url, const char *method)
{
    char id[64], prefix[16];
    for (size_t i = 0; i < r->s->http->n_routes; i++) {
        const dc__route *rt = &r->s->http->routes[i];
        if (!match(rt->path, url, id, sizeof id) || strcmp(rt->method, method))
            continue;
        r->route = (int)i;
        r->auth_done = 1;
        r->auth_ok = rt->role == DC__ROLE_NONE || authenticate(r, prefix);
        if (r->auth_ok)
            dc__admit(r, rt->role == DC__ROLE_NONE ? NULL : prefix);
        return;
    }
}

static void dispatch(dc__req *r, const char *url, const char *method)
{
    dc_server *s = r->s;
    char id[64];
    int path_known = 0;
    r->allow[0] = 0;
    for (size_t i = 0; i < r->s->http->n_routes; i++) {
        const dc__route *rt = &r->s->http->routes[i];
        if (!match(rt->path, url, id, sizeof id))
            continue;
        size_t used = strlen(r->allow);
        snprintf(r->allow + used, sizeof r->allow - used, "%s%s", used ? ", " : "", rt->method);
        path_known = 1;
        if (strcmp(rt->method, method))
            continue;
        r->route = (int)i;
        if (!r->auth_done) {
            char prefix[16];
            if (rt->role != DC__ROLE_NONE && !authenticate(r, prefix))
                return;
        } else if (!r->auth_ok) {
            return; /* the 401 prepared by admit() */
        }
        if (rt->role == DC__ROLE_AUTHORITY && !r->is_authority) {
            dc__reply_error(r, 403, "forbidden", "Authorization",
                            "this route is reserved to the authority");
            return;
        }
        if (r->too_large) {
            char reason[96];
            snprintf(reason, sizeof reason, "the body exceeds %zu bytes", s->cfg.max_body_bytes);
            dc__reply_error(r, 413, "too_large", "body", reason);
            return;
        }
        if (r->shed_status == 429) {
            dc__reply_error(r, 429, "rate_limited", "Authorization",
                            "this key's request rate is over its limit; retry after the "
                            "Retry-After seconds");
            return;
        }
        if (r->shed_status) {
            dc__reply_error(r, 503, "overloaded", "",
                            "the server is at capacity; retry after the Retry-After seconds");
            return;
        }
        if (s->failed && rt->role != DC__ROLE_NONE) {
            dc__reply_error(r, 503, "store_unavailable", "", "the store is unavailable");
            return;
        }
        if (!dc__admit_enter(r)) {
            dc__reply_error(r, 503, "overloaded", "",
                            "the server is at capacity; retry after the Retry-After seconds");
            return;
        }
        r->allow[0] = 0;
        rt->fn(r, strstr(rt->path, "{id}") ? id : NULL);
        dc__admit_leave(r);
        return;
    }
    if (path_known) {
        char reason[96];
        snprintf(reason, sizeof reason, "%s is not allowed here; this path allows %s", method,
                 r->allow);
        dc__reply_error(r, 405, "method_not_allowed", "method", reason);
    } else if (strncmp(url, "/v1/", 4) && (!strcmp(method, "GET") || !strcmp(method, "HEAD")))
        dc__static_serve(r, url); /* the web display */
    else
        dc__reply_error(r, 404, "not_found", "path", "no such route");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    dc_server *s = cls;
    dc__req *r = *con_cls;
    if (!r) {
        if (!(r = dc_calloc(1, sizeof *r)))
            return MHD_NO;
        r->s = s;
        r->conn = conn;
        r->t0 = dc__mono_s();
        r->route = -1;
        dc__log_new_id(r->req_id);
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->cfg.max_body_bytes)
            r->too_large = 1;
        *con_cls = r;
        admit(r, url, method);
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* An oversized body is read and dropped, so the client still gets
         * its 413 instead of a reset connection. */
        if (!r->too_large && !r->shed_status && !(r->auth_done && !r->auth_ok)) {
            if (r->body.len + *upload_data_size > s->cfg.max_body_bytes) {
                r->too_large = 1;
                dc__buf_free(&r->body);
            } else if (!dc__admit_body(r, *upload_data_size)) {
                dc__buf_free(&r->body); /* shed: 503 once the body is drained */
            } else {
                dc__buf_add(&r->body, upload_data, *upload_data_size);
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->suspended) { /* resumed by the committer */
        r->suspended = 0;
        if (r->wait.rc != DC_OK)
            dc__reply_error(r, 503, "store_unavailable", "",
                            "the change was not confirmed durable; retry later");
        return send_reply(r);
    }
    if (r->body.oom) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        return send_reply(r);
    }
    dc__log_request_set(r->req_id);
    dispatch(r, url, method);
    dc__log_request_set(NULL);
    if (r->suspended)
        return MHD_YES;
    return send_reply(r);
}

dc_status dc_server_handle(dc_server *s, const dc_server_request *q, dc_server_response *out)
{
    memset(out, 0, sizeof *out);
    dc__req *r = dc_calloc(1, sizeof *r);
    if (!r)
        return DC_ENOMEM;
    r->s = s;
    r->inproc = q;
    r->t0 = dc__mono_s();
    r->route = -1;
    dc__log_new_id(r->req_id);
    const char *path = q->path ? q->path : "", *method = q->method ? q->method : "";
    const char *cl = dc__req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if ((cl && strtoull(cl, NULL, 10) > s->cfg.max_body_bytes) ||
        q->body_len > s->cfg.max_body_bytes)
        r->too_large = 1;
    admit(r, path, method);
    /* The body as on_request takes it, in one piece. */
    if (q->body_len && !r->too_large && !r->shed_status && !(r->auth_done && !r->auth_ok) &&
        dc__admit_body(r, q->body_len))
        dc__buf_add(&r->body, q->body, q->body_len);
    if (r->body.oom) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
    } else {
        dispatch(r, path, method);
        if (r->suspended) {
            pthread_mutex_lock(&s->mu);
            while (!r->wait.done)
                pthread_cond_wait(&s->commit_cond, &s->mu);
            pthread_mutex_unlock(&s->mu);
            r->suspended = 0;
            if (r->wait.rc != DC_OK)
                dc__reply_error(r, 503, "store_unavailable", "",
                                "the change was not confirmed durable; retry later");
        }
    }
    dc_status rc = DC_OK;
    out->status = r->status;
    if (r->stream) { /* an alert stream: nobody will read it */
        snprintf(out->content_type, sizeof out->content_type, "%s", r->stream->content_type);
        dc__http_stream_gone(r->stream);
        r->stream = NULL;
        out->body = dc_strdup("");
    } else {
        if (!r->answered)
            dc__reply_error(r, 500, "internal", "", "no response");
        snprintf(out->content_type, sizeof out->content_type, "%s", r->content_type);
        snprintf(out->etag, sizeof out->etag, "%s", r->etag);
        out->retry_after_s = r->retry_after_s;
        out->body_len = r->resp.len;
        out->body = dc_malloc(r->resp.len + 1);
        if (out->body) {
            if (r->resp.len)
                memcpy(out->body, r->resp.p, r->resp.len);
            out->body[r->resp.len] = 0;
        }
    }
    if (!out->body) {
        out->body_len = 0;
        rc = DC_ENOMEM;
    }
    dc__http_count(s, r->route, r->status);
    req_done(r);
    return rc;
}

void dc_server_response_free(dc_server_response *r)
{
    if (!r)
        return;
    dc_free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    if (*con_cls)
        req_done(*con_cls);
    *con_cls = NULL;
}

/* ---- lifecycle ---- */

static dc_status parse_listen(const char *listen, struct sockaddr_in *sa, dc_error *err)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return dc_error_set(err, "listen", "expected HOST:PORT, e.g. 127.0.0.1:8080");
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535)
        return dc_error_set(err, "listen", "port must be 0..65535");
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return dc_error_set(err, "listen", "host must be an IPv4 address");
    sa->sin_port = htons((uint16_t)port);
    return DC_OK;
}

dc_status dc__http_start(dc_server *s, const dc__route *routes, size_t n_routes, const char *listen,
                         dc_error *err)
{
    struct sockaddr_in sa;
    dc_status rc;
    if ((rc = parse_listen(listen, &sa, err)) != DC_OK)
        return rc;
    dc__http *h = dc_calloc(1, sizeof *h);
    if (!h)
        return DC_ENOMEM;
    s->http = h;
    h->quiesced_fd = MHD_INVALID_SOCKET;
    h->routes = routes;
    h->n_routes = n_routes;
    if (!(h->requests = dc_calloc(n_routes + 1, sizeof *h->requests)) ||
        !(h->adm = dc__admission_new(routes, n_routes)))
        return DC_ENOMEM; /* the caller stops s, which frees h */
    pthread_mutex_lock(&s->mu);
    s->keys_forget = dc__admit_forget_keys;
    pthread_mutex_unlock(&s->mu);
    unsigned int flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    /* TLS (GnuTLS inside libmicrohttpd): the PEM texts are passed in memory
     * and never logged. */
    struct MHD_OptionItem tls[3] = {{MHD_OPTION_END, 0, NULL}};
    if (s->cfg.tls_cert_pem || s->cfg.tls_key_pem) {
        if (!s->cfg.tls_cert_pem || !s->cfg.tls_key_pem ||
            MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
            return dc_error_set(err, "tls",
                                s->cfg.tls_cert_pem && s->cfg.tls_key_pem
                                    ? "this libmicrohttpd has no TLS support"
                                    : "give both a certificate and a key");
        flags |= MHD_USE_TLS;
        tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)s->cfg.tls_cert_pem};
        tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)s->cfg.tls_key_pem};
        tls[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    }
    h->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)s->cfg.threads, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->cfg.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)s->cfg.max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->cfg.connection_timeout_s,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!h->mhd && (flags & MHD_USE_TLS))
        return dc_error_set(err, "tls",
                            "cannot start HTTPS: is the certificate/key pair valid PEM?");
    if (!h->mhd) {
        dc_error_set(err, "listen", "cannot listen on %s (address in use?)", listen);
        return DC_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : ntohs(sa.sin_port);
    return DC_OK;
}

dc_status dc__http_listen_check(const char *listen, dc_error *err)
{
    struct sockaddr_in sa;
    return parse_listen(listen, &sa, err);
}

uint16_t dc__http_port(const dc_server *s)
{
    return s->http ? s->http->port : 0;
}

int dc__http_quiesce(dc_server *s)
{
    dc__http *h = s->http;
    if (!h || !h->mhd)
        return 0;
    h->quiesced_fd = MHD_quiesce_daemon(h->mhd);
    return 1;
}

void dc__http_stop(dc_server *s)
{
    dc__http *h = s->http;
    if (!h)
        return;
    if (h->mhd)
        MHD_stop_daemon(h->mhd);
    if (h->quiesced_fd != MHD_INVALID_SOCKET)
        close(h->quiesced_fd);
    pthread_mutex_lock(&s->mu);
    s->keys_forget = NULL;
    pthread_mutex_unlock(&s->mu);
    dc__admission_free(h->adm);
    dc_free(h->requests);
    dc_free(h);
    s->http = NULL;
}
