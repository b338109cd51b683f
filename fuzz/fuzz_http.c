/* Fuzz target: the HTTP API (server.h). One real server with a fresh SQLite
 * store (in /dev/shm when there is one); each input is a raw HTTP request.
 * Most inputs are served in-process (dc_server_handle): the harness splits
 * the request line, the query string (percent-decoded) and the header lines
 * and hands them to the same admission, authentication, routing, limits and
 * handlers a socket request reaches, which runs ~50x faster than loopback
 * and lets `make fuzz` reach 10 million executions. One input in
 * WIRE_EVERY goes over loopback instead (framed with its true
 * Content-Length), so libmicrohttpd's glue (on_request, bodies in pieces,
 * 413 on a declared length) stays under the fuzzer too.
 * Placeholders: "@AUTH@" the authority's key, "@OPER@" operator A's key,
 * "@OPID@" an operation of A, "@BOP@" an operation of operator B.
 * State persists across inputs (like a long-lived server), so a crash may
 * need the inputs before it: libFuzzer keeps the artifact; replay with the
 * corpus. Properties:
 *  - every answer has a status 100..599 and never 500 (nor 502/504); over
 *    the wire 501/505 are libmicrohttpd refusing a method or version;
 *  - every JSON answer parses, and every 4xx JSON answer is
 *    {"error","field","reason"} with three strings;
 *  - nothing operator A receives names operator B or carries B's operator
 *    id or B's exact coordinates, and B's operation id comes back to A only
 *    in an error to a request that carried it (docs/design.md section 5). */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "deconflict/server.h"
#include "fuzz_common.h"

static dc_server *srv;
static uint16_t port;
static char auth_key[256], oper_key[256], a_op[64], b_op[64], b_id[64];
#define B_NAME "bravo-hidden-8c1f"
/* B's footprint corner, exact to 1e-6 degree: must never reach A. */
#define B_LON "44.713579"
#define B_LAT "33.246801"

/* Nonzero once resp holds a whole response: headers plus Content-Length
 * bytes, or just the headers of a stream (SSE, chunked). Reading until the
 * server closed the connection cost ~200 ms a request on keep-alive. */
static int response_complete(char *resp, size_t got)
{
    resp[got] = 0;
    const char *end = strstr(resp, "\r\n\r\n");
    if (!end)
        return 0;
    size_t head = (size_t)(end + 4 - resp);
    const char *cl = strcasestr(resp, "\r\ncontent-length:");
    if (cl && cl < end)
        return got - head >= (size_t)strtoul(cl + 17, NULL, 10);
    return strcasestr(resp, "chunked") != NULL || strcasestr(resp, "text/event-stream") != NULL;
}

static int talk(const char *req, size_t len, char *resp, size_t cap)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = -1;
    /* A signal (libFuzzer's timers) may interrupt connect: start over. */
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            int e = errno;
            close(fd);
            fd = -1;
            if (e != EINTR)
                break;
        }
    }
    if (fd < 0) {
        perror("fuzz_http: connect");
        abort();
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server may close early (413, bad request) */
        off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    size_t got = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            break;
        ssize_t r = recv(fd, resp + got, cap - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got == cap - 1 || response_complete(resp, got))
            break;
    }
    resp[got] = 0;
    close(fd);
    return (int)got;
}

/* Starts a server on a fresh store (the previous one, if any, is stopped
 * and its store removed) with operators A and B and one operation each.
 * Restarted every RESTART_EVERY executions: what the inputs store piles up
 * (with 1,000 or more, most rejections listed 50 notices of 100 KB and the
 * run crawled at 1,500/s), and the process stays under libFuzzer's RSS
 * limit during a 10-million-execution run. */
#define RESTART_EVERY 250
static char store_dir[128];
static double slow_us;

static void remove_store(void)
{
    static const char *const files[] = {"store.db", "store.db-wal", "store.db-shm"};
    char path[192];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", store_dir, files[i]);
        unlink(path);
    }
}

/* One in-process request with a bearer key; returns the status and leaves
 * the body in *resp (freed by the caller). */
static unsigned call(const char *method, const char *path, const char *key, const char *body,
                     dc_server_response *resp)
{
    char bearer[300];
    snprintf(bearer, sizeof bearer, "Bearer %s", key);
    dc_server_field h[2] = {{"Authorization", bearer}, {"Content-Type", "application/json"}};
    dc_server_request q = {method, path, NULL, 0, h, 2, body, body ? strlen(body) : 0};
    if (dc_server_handle(srv, &q, resp) != DC_OK) {
        fprintf(stderr, "fuzz_http: out of memory at start\n");
        abort();
    }
    return resp->status;
}

/* Calls and copies the string member `member` of the JSON answer. */
static void call_get(const char *method, const char *path, const char *key, const char *body,
                     unsigned want, const char *member, char *out, size_t cap)
{
    dc_server_response resp;
    unsigned st = call(method, path, key, body, &resp);
    json_t *j = json_loads(resp.body, 0, NULL);
    const char *v = json_string_value(json_object_get(j, member));
    if (st != want || !v) {
        fprintf(stderr, "fuzz_http: %s %s gave %u: %s\n", method, path, st, resp.body);
        abort();
    }
    snprintf(out, cap, "%s", v);
    json_decref(j);
    dc_server_response_free(&resp);
}

static const char op_fmt[] =
    "{\"priority\":10,\"volumes\":[{\"footprint\":{\"type\":\"Polygon\",\"coordinates\":"
    "[[[%s,%s],[%s,%s],[%s,%s],[%s,%s],[%s,%s]]]},\"altitude_lower_m\":1000,"
    "\"altitude_upper_m\":3000,\"time_start\":\"2030-12-02T06:00:00Z\","
    "\"time_end\":\"2030-12-02T09:00:00Z\"}]}";

static void start_server(void)
{
    char uri[192];
    if (srv) {
        dc_server_stop(srv);
        srv = NULL;
    }
    snprintf(store_dir, sizeof store_dir, "%s/deconflict-fuzz-http-%ld",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
    mkdir(store_dir, 0700);
    remove_store();
    snprintf(uri, sizeof uri, "sqlite:%s/store.db", store_dir);
    dc_error err = {{0}, {0}};
    dc_server_config cfg;
    dc_server_config_default(&cfg);
    cfg.max_body_bytes = 1 << 16;
    cfg.threads = 1;
    /* The suggestion search over +-1 h, not +-6 h: the same code, and a
     * rejected submission against the large restrictions the fuzzer makes
     * no longer costs 50 ms of the sanitizer build. */
    cfg.suggest_max_shift_s = 3600;
    cfg.max_volumes = 8; /* the same limit code; 50-notice answers were 20 ms each */
    if (dc_server_init_store(uri, "iraq", auth_key, sizeof auth_key, &err) != DC_OK ||
        dc_server_start(uri, "127.0.0.1:0", &cfg, &srv, &err) != DC_OK) {
        fprintf(stderr, "fuzz_http: %s: %s\n", err.field, err.reason);
        abort();
    }
    port = dc_server_port(srv);
    char b_key[256], body[1024];
    call_get("POST", "/v1/operators", auth_key, "{\"name\":\"coalition\"}", 201, "api_key",
             oper_key, sizeof oper_key);
    call_get("POST", "/v1/operators", auth_key, "{\"name\":\"" B_NAME "\"}", 201, "api_key", b_key,
             sizeof b_key);
    /* B's id, from the authority's list of operators. */
    dc_server_response resp;
    call("GET", "/v1/operators", auth_key, NULL, &resp);
    json_t *j = json_loads(resp.body, 0, NULL), *v;
    size_t i;
    json_array_foreach(json_object_get(j, "operators"), i,
                       v) if (json_is_string(json_object_get(v, "name")) &&
                              !strcmp(json_string_value(json_object_get(v, "name")), B_NAME))
        snprintf(b_id, sizeof b_id, "%s", json_string_value(json_object_get(v, "id")));
    json_decref(j);
    dc_server_response_free(&resp);
    if (!b_id[0]) {
        fprintf(stderr, "fuzz_http: operator B not listed\n");
        abort();
    }
    snprintf(body, sizeof body, op_fmt, B_LON, B_LAT, "44.9", B_LAT, "44.9", "33.4", B_LON, "33.4",
             B_LON, B_LAT);
    call_get("POST", "/v1/operations", b_key, body, 201, "id", b_op, sizeof b_op);
    snprintf(body, sizeof body, op_fmt, "45.0", "34.0", "45.2", "34.0", "45.2", "34.2", "45.0",
             "34.2", "45.0", "34.0");
    call_get("POST", "/v1/operations", oper_key, body, 201, "id", a_op, sizeof a_op);
}

static void stop_server(void)
{
    dc_server_stop(srv);
    srv = NULL;
    remove_store();
    rmdir(store_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (getenv("FZ_SLOW"))
        slow_us = atof(getenv("FZ_SLOW"));
    start_server();
    atexit(stop_server);
    return 0;
}

/* Copies in to out replacing the placeholders; returns the length. */
static size_t expand(const uint8_t *in, size_t n, char *out, size_t cap)
{
    const struct {
        const char *tag;
        const char *value;
    } subs[] = {{"@AUTH@", auth_key}, {"@OPER@", oper_key}, {"@OPID@", a_op}, {"@BOP@", b_op}};
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap;) {
        size_t k = 0, nsubs = sizeof subs / sizeof *subs;
        while (k < nsubs &&
               (n - i < strlen(subs[k].tag) || memcmp(in + i, subs[k].tag, strlen(subs[k].tag))))
            k++;
        if (k < nsubs) {
            size_t vl = strlen(subs[k].value);
            if (o + vl > cap)
                break;
            memcpy(out + o, subs[k].value, vl);
            o += vl;
            i += strlen(subs[k].tag);
        } else {
            out[o++] = (char)in[i++];
        }
    }
    return o;
}

/* Rewrites in (n bytes) into a request the server can answer at once: the
 * head's own Content-Length, Transfer-Encoding, Connection and Expect lines
 * are dropped and the true body length plus "Connection: close" are set.
 * Framing is libmicrohttpd's job; what is fuzzed here is ours (request line,
 * query strings, headers, bearer tokens, bodies). A truncated body used to
 * leave the server waiting for bytes that never came, ~5 executions/s. */
static size_t frame(const char *in, size_t n, char *out, size_t cap)
{
    const char *sep = NULL;
    size_t sep_len = 0;
    for (size_t i = 0; i + 1 < n && !sep; i++) {
        if (i + 3 < n && !memcmp(in + i, "\r\n\r\n", 4))
            sep = in + i, sep_len = 4;
        else if (!memcmp(in + i, "\n\n", 2))
            sep = in + i, sep_len = 2;
    }
    size_t head_len = sep ? (size_t)(sep - in) : n;
    const char *body = sep ? sep + sep_len : in + n;
    size_t body_len = (size_t)(in + n - body), o = 0;
    for (size_t i = 0; i < head_len;) {
        const char *nl = memchr(in + i, '\n', head_len - i);
        size_t line_len = nl ? (size_t)(nl - (in + i)) + 1 : head_len - i;
        const char *l = in + i;
        int drop = i > 0 && (!strncasecmp(l, "content-length:", 15) ||
                             !strncasecmp(l, "transfer-encoding:", 18) ||
                             !strncasecmp(l, "connection:", 11) || !strncasecmp(l, "expect:", 7));
        if (!drop && o + line_len + 2 < cap) {
            memcpy(out + o, l, line_len);
            o += line_len;
            if (!nl)
                out[o++] = '\r', out[o++] = '\n';
        }
        i += line_len;
    }
    int k =
        snprintf(out + o, cap - o, "Content-Length: %zu\r\nConnection: close\r\n\r\n", body_len);
    if (k < 0 || (size_t)k >= cap - o)
        return 0;
    o += (size_t)k;
    if (body_len > cap - o)
        body_len = cap - o;
    memcpy(out + o, body, body_len);
    return o + body_len;
}

/* Percent-decodes s in place ("+" is a space), as libmicrohttpd does for
 * query arguments. */
static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '+') {
            *o++ = ' ';
        } else if (*s == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
            char hex[3] = {s[1], s[2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = 0;
}

#define MAX_FIELDS 64

/* Splits raw (NUL-terminated copy, modified in place) into q: the request
 * line, "name=value" arguments, "Name: value" header lines up to the
 * first empty line, and the body after it. Returns 0 without a request
 * line. */
static int split(char *raw, size_t len, dc_server_request *q, dc_server_field *args,
                 dc_server_field *hdrs)
{
    memset(q, 0, sizeof *q);
    char *end = raw + len, *p = raw;
    char *nl = memchr(p, '\n', len);
    char *line_end = nl ? nl : end;
    *line_end = 0;
    if (line_end > p && line_end[-1] == '\r')
        line_end[-1] = 0;
    char *sp = strchr(p, ' ');
    if (!sp)
        return 0;
    *sp = 0;
    q->method = p;
    char *target = sp + 1, *v = strchr(target, ' ');
    if (v)
        *v = 0; /* the version is libmicrohttpd's */
    char *qs = strchr(target, '?');
    if (qs) {
        *qs++ = 0;
        for (char *a = qs; a && *a && q->n_args < MAX_FIELDS;) {
            char *amp = strchr(a, '&');
            if (amp)
                *amp = 0;
            char *eq = strchr(a, '=');
            if (eq)
                *eq = 0;
            unescape(a);
            if (eq)
                unescape(eq + 1);
            args[q->n_args++] = (dc_server_field){a, eq ? eq + 1 : ""};
            a = amp ? amp + 1 : NULL;
        }
    }
    q->path = target;
    q->args = args;
    q->headers = hdrs;
    p = nl ? nl + 1 : end;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        line_end = nl ? nl : end;
        *line_end = 0;
        if (line_end > p && line_end[-1] == '\r')
            line_end[-1] = 0;
        if (!*p) {
            p = nl ? nl + 1 : end;
            break; /* the empty line: the body follows */
        }
        char *colon = strchr(p, ':');
        if (colon && q->n_headers < MAX_FIELDS) {
            *colon = 0;
            char *val = colon + 1;
            while (*val == ' ' || *val == '\t')
                val++;
            hdrs[q->n_headers++] = (dc_server_field){p, val};
        }
        p = nl ? nl + 1 : end;
    }
    q->body = p < end ? p : NULL;
    q->body_len = p < end ? (size_t)(end - p) : 0;
    return 1;
}

/* The key the server authenticates: the first Authorization header. */
static const char *bearer_of(const dc_server_request *q)
{
    for (size_t i = 0; i < q->n_headers; i++)
        if (!strcasecmp(q->headers[i].name, "Authorization"))
            return q->headers[i].value;
    return "";
}

/* Every number in a JSON answer is finite (a "%.1f" of HUGE_VAL printed
 * "inf" once, docs/openapi.yaml says null where a value may be unbounded). */
static int all_finite(json_t *j)
{
    const char *k;
    size_t i;
    json_t *v;
    if (json_is_real(j))
        return isfinite(json_real_value(j));
    if (json_is_object(j))
        json_object_foreach(j, k, v) if (!all_finite(v)) return 0;
    if (json_is_array(j))
        json_array_foreach(j, i, v) if (!all_finite(v)) return 0;
    return 1;
}

static void check_answer(unsigned status, const char *ctype, const char *body, size_t body_len,
                         const char *what)
{
    FZ_CHECK(status >= 100 && status <= 599, "status %u for:\n%s", status, what);
    FZ_CHECK(status != 500 && status != 502 && status != 504,
             "server error %u for:\n%s\n--\n%.400s", status, what, body);
    if (!strncmp(ctype, "application/json", 16) && body_len) {
        json_error_t je;
        json_t *j = json_loadb(body, body_len, 0, &je);
        FZ_CHECK(j, "answer %u is not JSON (%s) for:\n%s\n--\n%.400s", status, je.text, what, body);
        FZ_CHECK(all_finite(j), "answer %u has a non-finite number for:\n%s\n--\n%.400s", status,
                 what, body);
        if (status >= 400 && status < 500)
            FZ_CHECK(json_is_string(json_object_get(j, "error")) &&
                         json_is_string(json_object_get(j, "field")) &&
                         json_is_string(json_object_get(j, "reason")),
                     "4xx without error/field/reason for:\n%s\n--\n%.400s", what, body);
        json_decref(j);
    }
}

/* strstr by hand: libFuzzer intercepts strstr and memcmp and would feed
 * B's secrets to its dictionary, and A would then send them itself. */
static int has(const char *hay, const char *needle)
{
    for (; *hay; hay++) {
        size_t i = 0;
        while (needle[i] && hay[i] == needle[i])
            i++;
        if (!needle[i])
            return 1;
    }
    return 0;
}

/* Operator A (and only A) is the caller: nothing of B may come back. */
static void check_blind(const dc_server_request *q, const char *what, unsigned status,
                        const char *body)
{
    const char *auth = bearer_of(q);
    if (!has(auth, oper_key) || has(auth, auth_key))
        return;
    FZ_CHECK(!has(body, B_NAME), "B's name reached A for:\n%s\n--\n%.400s", what, body);
    FZ_CHECK(!has(body, b_id), "B's id reached A for:\n%s\n--\n%.400s", what, body);
    FZ_CHECK(!has(body, B_LON) && !has(body, B_LAT),
             "B's exact coordinates reached A for:\n%s\n--\n%.400s", what, body);
    if (has(body, b_op))
        FZ_CHECK(status >= 400 && has(what, b_op),
                 "B's operation id reached A (%u) for:\n%s\n--\n%.400s", status, what, body);
}

/* One input in WIRE_EVERY goes over loopback. */
#define WIRE_EVERY 1000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char raw[1 << 17], req[(1 << 17) + 256], resp[1 << 16], parsed[(1 << 17) + 1];
    if (size > (1 << 16))
        return 0;
    static unsigned long execs;
    if (++execs % RESTART_EVERY == 0)
        start_server();
    size_t n = expand(data, size, raw, sizeof raw);
    if (execs % WIRE_EVERY == 0) {
        size_t len = frame(raw, n, req, sizeof req);
        int got = talk(req, len, resp, sizeof resp);
        if (got >= 12 && !strncmp(resp, "HTTP/1.", 7)) {
            int status = (int)strtol(resp + 9, NULL, 10);
            FZ_CHECK(status >= 100 && status <= 599, "status line: %.40s", resp);
            /* 501/505 are libmicrohttpd refusing a method or version; 503
             * is the store refusing writes. A 500 is the server failing. */
            FZ_CHECK(status < 500 || status == 501 || status == 503 || status == 505,
                     "server error %d for request:\n%.*s\n--\n%.400s", status, (int)len, req, resp);
        }
        return 0;
    }
    memcpy(parsed, raw, n);
    parsed[n] = 0;
    dc_server_request q;
    dc_server_field args[MAX_FIELDS], hdrs[MAX_FIELDS];
    if (!split(parsed, n, &q, args, hdrs))
        return 0;
    raw[n < sizeof raw ? n : sizeof raw - 1] = 0; /* for the messages */
    dc_server_response a;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (dc_server_handle(srv, &q, &a) != DC_OK)
        return 0; /* out of memory: reported as such, nothing to check */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* FZ_SLOW=<microseconds>: print the inputs slower than that (how the
     * 800 KB conflict answers of country-wide restrictions were found). */
    if (slow_us > 0) {
        double us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
        if (us > slow_us)
            fprintf(stderr, "SLOW %.0f us %s %s -> %u, %zu bytes\n", us, q.method, q.path, a.status,
                    a.body_len);
    }
    check_answer(a.status, a.content_type, a.body, a.body_len, raw);
    check_blind(&q, raw, a.status, a.body);
    dc_server_response_free(&a);
    return 0;
}
