/* Fuzz target: the HTTP API as a client sees it (server.h): one real server
 * on loopback with a fresh SQLite store (in /dev/shm when there is one), and
 * each input sent as raw bytes on a new connection, then half-closed. This
 * reaches the request line, query strings (bbox, from, to, after, limit,
 * state, all), headers (Authorization bearer tokens, If-Match, Accept,
 * Content-Length) and the JSON bodies of operations, restrictions and
 * operators, through the same code a client does. "@AUTH@" and "@OPER@" in
 * the input are replaced by the authority's key and an operator's key.
 * State persists across inputs (like a long-lived server), so a crash may
 * need the inputs before it: libFuzzer keeps the artifact; replay with the
 * corpus. Properties: the server answers a complete request with an HTTP
 * status line and never with a 500, 502 or 504. */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "deconflict/server.h"
#include "fuzz_common.h"

static dc_server *srv;
static uint16_t port;
static char auth_key[256], oper_key[256];

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
 * and its store removed) and creates one operator. Restarted every
 * RESTART_EVERY executions so that what the inputs store (operations,
 * operators, the audit chain) cannot grow the process past libFuzzer's RSS
 * limit during a 10-million-execution run. */
#define RESTART_EVERY 100000
static char store_dir[128];

static void remove_store(void)
{
    static const char *const files[] = {"store.db", "store.db-wal", "store.db-shm"};
    char path[192];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", store_dir, files[i]);
        unlink(path);
    }
}

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
    if (dc_server_init_store(uri, "iraq", auth_key, sizeof auth_key, &err) != DC_OK ||
        dc_server_start(uri, "127.0.0.1:0", &cfg, &srv, &err) != DC_OK) {
        fprintf(stderr, "fuzz_http: %s: %s\n", err.field, err.reason);
        abort();
    }
    port = dc_server_port(srv);
    char req[512], resp[4096];
    const char body[] = "{\"name\":\"coalition\"}";
    int n = snprintf(req, sizeof req,
                     "POST /v1/operators HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     auth_key, sizeof body - 1, body);
    talk(req, (size_t)n, resp, sizeof resp);
    const char *k = strstr(resp, "\"api_key\"");
    if (!k || (sscanf(k, "\"api_key\": \"%255[^\"]\"", oper_key) != 1 &&
               sscanf(k, "\"api_key\":\"%255[^\"]\"", oper_key) != 1)) {
        fprintf(stderr, "fuzz_http: no operator key in: %s\n", resp);
        abort();
    }
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
    start_server();
    atexit(stop_server);
    return 0;
}

/* Copies in to out replacing the key placeholders; returns the length. */
static size_t expand(const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        const char *key = NULL;
        if (n - i >= 6 && !memcmp(in + i, "@AUTH@", 6))
            key = auth_key;
        else if (n - i >= 6 && !memcmp(in + i, "@OPER@", 6))
            key = oper_key;
        if (key) {
            size_t kl = strlen(key);
            if (o + kl > cap)
                break;
            memcpy(out + o, key, kl);
            o += kl;
            i += 5;
        } else {
            out[o++] = (char)in[i];
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
    int k = snprintf(out + o, cap - o, "Content-Length: %zu\r\nConnection: close\r\n\r\n", body_len);
    if (k < 0 || (size_t)k >= cap - o)
        return 0;
    o += (size_t)k;
    if (body_len > cap - o)
        body_len = cap - o;
    memcpy(out + o, body, body_len);
    return o + body_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char raw[1 << 17], req[(1 << 17) + 256], resp[1 << 16];
    if (size > (1 << 16))
        return 0;
    static unsigned long execs;
    if (++execs % RESTART_EVERY == 0)
        start_server();
    size_t len = frame(raw, expand(data, size, raw, sizeof raw), req, sizeof req);
    int got = talk(req, len, resp, sizeof resp);
    if (got >= 12 && !strncmp(resp, "HTTP/1.", 7)) {
        int status = (int)strtol(resp + 9, NULL, 10);
        FZ_CHECK(status >= 100 && status <= 599, "status line: %.40s", resp);
        /* 501/505 are libmicrohttpd refusing a method or version; 503 is
         * the store refusing writes. A 500 is the server failing itself. */
        FZ_CHECK(status < 500 || status == 501 || status == 503 || status == 505,
                 "server error %d for request:\n%.*s\n--\n%.400s",
                 status, (int)len, req, resp);
    }
    return 0;
}
