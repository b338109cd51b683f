/* The CLI's HTTP client (client.h): libcurl easy handles kept alive between
 * calls, JSON bodies through jansson. Errors are returned as status 0; the
 * callers decide what a failed call means for their story. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"

struct dc__client {
    CURL *curl;
    char base[256];
    dc__client_observer observe;
    void *observe_ctx;
    char error[CURL_ERROR_SIZE + 160]; /* why the last call got no answer */
};

const char *dc__client_error(const dc__client *c)
{
    return c->error[0] ? c->error : "no answer";
}

/* What a person can act on: "connection refused" rather than status 0. */
static void set_error(dc__client *c, CURLcode rc, const char *detail)
{
    const char *what = curl_easy_strerror(rc);
    if (rc == CURLE_COULDNT_CONNECT)
        what = "connection refused: is a deconflict server running there? (deconflict serve)";
    else if (rc == CURLE_COULDNT_RESOLVE_HOST)
        what = "unknown host";
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        what = "no answer within 60 s";
    snprintf(c->error, sizeof c->error, "%s: %s%s%s%s", c->base, what, detail[0] ? " (" : "",
             detail, detail[0] ? ")" : "");
}

void dc__client_observe(dc__client *c, dc__client_observer fn, void *ctx)
{
    c->observe = fn;
    c->observe_ctx = ctx;
}

typedef struct sink {
    char *p;
    size_t len, cap;
    int oom;
} sink;

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t add = size * n;
    if (s->len + add + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->len + add + 1)
            cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) {
            s->oom = 1;
            return 0;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, ptr, add);
    s->len += add;
    s->p[s->len] = 0;
    return add;
}

dc__client *dc__client_new(const char *base)
{
    static int global_done;
    if (!global_done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_done = 1;
    }
    dc__client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (!(c->curl = curl_easy_init())) {
        free(c);
        return NULL;
    }
    snprintf(c->base, sizeof c->base, "%s", base);
    size_t n = strlen(c->base);
    if (n && c->base[n - 1] == '/')
        c->base[n - 1] = 0;
    return c;
}

void dc__client_free(dc__client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

long dc__client_call(dc__client *c, const char *method, const char *path, const char *key,
                     const json_t *body, const char *extra_header, json_t **out_json,
                     char **out_raw)
{
    char url[1024], auth[256];
    sink s = {0};
    char *txt = NULL;
    struct curl_slist *h = NULL;
    long status = 0;
    if (out_json)
        *out_json = NULL;
    if (out_raw)
        *out_raw = NULL;
    snprintf(url, sizeof url, "%s%s", c->base, path);
    CURL *cu = c->curl;
    curl_easy_reset(cu);
    curl_easy_setopt(cu, CURLOPT_URL, url);
    curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(cu, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(cu, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    if (key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        h = curl_slist_append(h, auth);
    }
    if (extra_header)
        h = curl_slist_append(h, extra_header);
    if (body) {
        txt = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12));
        if (!txt)
            goto done;
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(cu, CURLOPT_POSTFIELDS, txt);
        curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE, (long)strlen(txt));
    } else if (!strcmp(method, "POST") || !strcmp(method, "PUT")) {
        curl_easy_setopt(cu, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE, 0L);
    }
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
    char detail[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, detail);
    c->error[0] = 0;
    CURLcode rc = curl_easy_perform(cu);
    curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, NULL);
    if (rc != CURLE_OK || s.oom) {
        set_error(c, s.oom ? CURLE_OUT_OF_MEMORY : rc, detail);
        goto done;
    }
    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
    if (c->observe)
        c->observe(c->observe_ctx, key, path, status, s.p ? s.p : "");
    if (out_json && s.p)
        *out_json = json_loads(s.p, 0, NULL);
    if (out_raw) {
        *out_raw = s.p ? s.p : strdup("");
        s.p = NULL;
    }
done:
    curl_slist_free_all(h);
    free(txt);
    free(s.p);
    return status;
}

const char *dc__cli_key(const char *key_file, char *buf, size_t len)
{
    if (key_file) {
        FILE *f = fopen(key_file, "r");
        if (!f || !fgets(buf, (int)len, f)) {
            fprintf(stderr, "deconflict: --key-file %s: cannot read a key\n", key_file);
            if (f)
                fclose(f);
            return NULL;
        }
        fclose(f);
        buf[strcspn(buf, "\r\n")] = 0;
        return buf[0] ? buf : NULL;
    }
    const char *env = getenv("DECONFLICT_KEY");
    if (!env || !env[0] || strlen(env) >= len)
        return NULL;
    memcpy(buf, env, strlen(env) + 1);
    return buf;
}
