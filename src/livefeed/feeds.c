/* The feed threads. An ASTERIX feed owns a UDP socket bound at start and
 * decodes each datagram alone, block by block (a malformed block is counted
 * and dropped, the next is read as usual). An SBS or Beast feed connects to its TCP server,
 * reads lines or frames until the connection ends, and reconnects after a
 * backoff that starts at 0.5 s and doubles to 30 s (back to 0.5 s once a
 * connection carried data). Every thread wakes at least every 200 ms, so it
 * sees the stop flag, flushes a partial batch after DC__FEED_FLUSH_S and
 * checks its own silence: no message for silence_s raises one authority
 * alert ("feed_silent"), the next message another ("feed_resumed"). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "livefeed/livefeed_int.h"

#define READ_CAP (1u << 16)
#define BACKOFF_MIN_S 0.5
#define BACKOFF_MAX_S 30.0
#define WAKE_MS 200

const char *dc__feed_type_name(dc_feed_source t)
{
    return t == DC_FEED_SRC_ASTERIX ? "asterix" : t == DC_FEED_SRC_SBS ? "sbs" : "beast";
}

static void set_error(dc__feed *f, const char *fmt, const char *detail)
{
    pthread_mutex_lock(&f->st_mu);
    snprintf(f->last_error, sizeof f->last_error, fmt, detail);
    pthread_mutex_unlock(&f->st_mu);
}

void dc__feed_error_get(dc__feed *f, char *out, size_t cap)
{
    pthread_mutex_lock(&f->st_mu);
    snprintf(out, cap, "%s", f->last_error);
    pthread_mutex_unlock(&f->st_mu);
}

/* ---- handing reports to monitoring ---- */

static void flush(dc__feed *f)
{
    dc_server *s = f->all->s;
    f->flushed_mono_s = dc__mono_s();
    if (!f->n_batch)
        return;
    char fresh[DC__FEED_BATCH];
    size_t n_fresh = 0, bytes = dc__feed_tie(s, f);
    double now = dc__wall_s();
    for (size_t i = 0; i < f->n_batch; i++) {
        double age = now - f->batch[i].time_s;
        fresh[i] = age <= s->cfg.tactical.stale_s && age >= -60.0;
        if (fresh[i]) {
            n_fresh++;
            bytes += strlen(f->batch[i].track_id) + 1;
        }
    }
    if (n_fresh && !dc__ingest_enqueue(s->mon, f->batch, f->n_batch, fresh, n_fresh, bytes,
                                       s->cfg.track_buffer_reports))
        atomic_fetch_add(&f->dropped, n_fresh); /* full until the next tick: never wait */
    else
        atomic_fetch_add(&f->reports, n_fresh);
    atomic_fetch_add(&f->incomplete, f->n_batch - n_fresh); /* stale on arrival */
    f->n_batch = 0;
}

static void on_report(void *ctx, const dc_feed_report *r)
{
    dc__feed *f = ctx;
    if (f->n_batch == DC__FEED_BATCH)
        flush(f);
    /* Reports decoded from one read (Beast frames, a datagram's records)
     * keep their order: each is a microsecond after the one before. */
    f->now_s += 1e-6;
    dc__fusion_report(&f->all->fu, f, r);
}

/* ---- silence ---- */

static void alert(dc__feed *f, const char *kind, double silent_s)
{
    dc__monitor *m = f->all->s->mon;
    char ts[40];
    double now = dc__wall_s();
    dc_time_format((int64_t)floor(now), ts, sizeof ts);
    dc__buf b = {0};
    dc__buf_fmt(&b, "\"kind\":\"%s\",\"time\":\"%s\",\"feed\":{\"name\":", kind, ts);
    dc__buf_json_str(&b, f->cfg->name);
    dc__buf_fmt(&b, ",\"type\":\"%s\",\"endpoint\":\"%s%s:%u\"},\"silent_s\":%.1f",
                dc__feed_type_name(f->cfg->type),
                f->cfg->type == DC_FEED_SRC_ASTERIX ? "udp://" : "", f->cfg->host,
                (unsigned)f->cfg->port, silent_s);
    if (b.oom) {
        dc__buf_free(&b);
        return;
    }
    dc__alert_rec rec = {DC__TO_AUTHORITY, 0, b.p}; /* the authority's alone */
    dc__alerts_append(m, &rec, 1);                  /* takes the body */
}

static void check_silence(dc__feed *f)
{
    const dc_server_config *c = &f->all->s->cfg;
    double limit = f->cfg->silence_s > 0 ? f->cfg->silence_s : c->feed_silence_s;
    long long last = atomic_load(&f->last_msg_ms);
    double since = last ? last / 1000.0 : f->started_s;
    double age = dc__wall_s() - since;
    if (age > limit && !atomic_load(&f->silent)) {
        atomic_store(&f->silent, 1);
        alert(f, "feed_silent", age);
    }
}

/* Data arrived now: strictly increasing, so of two messages in one clock
 * tick the later is still the newer (an arrival-clock position is never
 * superseded by its own feed's previous one). */
static void stamp(dc__feed *f)
{
    double now = dc__wall_s();
    f->now_s = now > f->now_s ? now : f->now_s + 1e-6;
}

/* n messages arrived now. */
static void heard(dc__feed *f, unsigned long n)
{
    stamp(f);
    atomic_fetch_add(&f->messages, n);
    atomic_store(&f->last_msg_ms, (long long)(f->now_s * 1000.0));
    if (atomic_load(&f->silent)) {
        atomic_store(&f->silent, 0);
        alert(f, "feed_resumed", 0);
    }
}

/* Between reads: flush a batch that waited long enough, check silence. */
static void idle(dc__feed *f)
{
    if (f->n_batch && dc__mono_s() - f->flushed_mono_s >= DC__FEED_FLUSH_S)
        flush(f);
    check_silence(f);
}

/* ---- ASTERIX over UDP ---- */

/* One datagram, block by block: a malformed block is refused alone (its
 * records checked whole by the decoder) and the next one, found by its
 * length, still decoded; a length that cannot be trusted ends the datagram. */
static void decode_datagram(dc__feed *f, const dc_asterix_options *opt, size_t n)
{
    size_t off = 0;
    while (off < n) {
        size_t len = n - off >= 3 ? (size_t)f->rbuf[off + 1] << 8 | f->rbuf[off + 2] : 0;
        int trusted = len >= 3 && len <= n - off;
        dc_feed_error err = {0, {0}};
        if (dc_asterix_decode(f->rbuf + off, trusted ? len : n - off, opt, on_report, f, NULL,
                              &err) != DC_OK) {
            atomic_fetch_add(&f->errors, 1);
            char msg[160];
            snprintf(msg, sizeof msg, "byte %zu: %s", off + err.offset, err.reason);
            set_error(f, "%s", msg);
        }
        if (!trusted)
            break;
        off += len;
    }
}

static void udp_loop(dc__feed *f)
{
    dc_asterix_options opt = f->cfg->asterix;
    while (!atomic_load(&f->all->stop)) {
        struct pollfd p = {f->fd, POLLIN, 0};
        if (poll(&p, 1, WAKE_MS) > 0) {
            for (int k = 0; k < 256; k++) {
                ssize_t n = recv(f->fd, f->rbuf, f->rcap, MSG_DONTWAIT);
                if (n < 0)
                    break;
                heard(f, 1);
                opt.ref_time_s = f->now_s;
                decode_datagram(f, &opt, (size_t)n);
            }
        }
        idle(f);
    }
}

/* ---- SBS and Beast over TCP ---- */

/* A connected socket to the feed's server, or -1 (error recorded). Waits
 * at most 3 s, seeing the stop flag. */
static int tcp_connect(dc__feed *f)
{
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)f->cfg->port);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(f->cfg->host, port, &hints, &ai);
    if (gai) {
        set_error(f, "resolve: %s", gai_strerror(gai));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        freeaddrinfo(ai);
        set_error(f, "socket: %s", strerror(errno));
        return -1;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc && errno == EINPROGRESS) {
        for (int waited = 0; waited < 3000 && !atomic_load(&f->all->stop); waited += WAKE_MS) {
            struct pollfd p = {fd, POLLOUT, 0};
            if (poll(&p, 1, WAKE_MS) > 0) {
                int e = 0;
                socklen_t len = sizeof e;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
                rc = e ? -1 : 0;
                errno = e;
                break;
            }
            errno = ETIMEDOUT;
        }
    }
    if (rc) {
        set_error(f, "connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Decodes what rbuf holds: whole lines (SBS) or frames (Beast); keeps the
 * cut tail for the next read. */
static void consume(dc__feed *f)
{
    size_t used = 0;
    if (f->cfg->type == DC_FEED_SRC_BEAST) {
        dc_feed_stats st = {0, 0, 0, 0};
        stamp(f);
        dc_beast_decode(f->adsb, f->rbuf, f->rlen, &used, on_report, f, &st);
        if (st.blocks)
            heard(f, st.blocks);
        if (st.errors) {
            atomic_fetch_add(&f->errors, st.errors);
            set_error(f, "%s", "Beast: garbage or a bad CRC skipped");
        }
    } else {
        for (;;) {
            uint8_t *nl = memchr(f->rbuf + used, '\n', f->rlen - used);
            if (!nl)
                break;
            size_t len = (size_t)(nl - (f->rbuf + used));
            const char *line = (const char *)f->rbuf + used;
            used += len + 1;
            if (len && line[len - 1] == '\r')
                len--;
            if (!len)
                continue;
            heard(f, 1);
            dc_feed_error err = {0, {0}};
            if (dc_sbs_decode_line(line, len, on_report, f, &err) != DC_OK) {
                atomic_fetch_add(&f->errors, 1);
                char msg[160];
                snprintf(msg, sizeof msg, "SBS line byte %zu: %s", err.offset, err.reason);
                set_error(f, "%s", msg);
            }
        }
        if (!used && f->rlen == f->rcap) { /* a "line" longer than the buffer */
            atomic_fetch_add(&f->errors, 1);
            set_error(f, "%s", "SBS line longer than 64 KiB: dropped");
            used = f->rlen;
        }
    }
    memmove(f->rbuf, f->rbuf + used, f->rlen - used);
    f->rlen -= used;
}

/* Sleeps s seconds in WAKE_MS steps, still flushing and watching silence. */
static void wait_backoff(dc__feed *f, double s)
{
    double until = dc__mono_s() + s;
    while (!atomic_load(&f->all->stop) && dc__mono_s() < until) {
        poll(NULL, 0, WAKE_MS);
        idle(f);
    }
}

static void tcp_loop(dc__feed *f)
{
    double backoff = BACKOFF_MIN_S;
    int first = 1;
    while (!atomic_load(&f->all->stop)) {
        if (!first)
            atomic_fetch_add(&f->reconnects, 1);
        first = 0;
        atomic_store(&f->state, DC__FEED_CONNECTING);
        f->fd = tcp_connect(f);
        if (f->fd < 0) {
            wait_backoff(f, backoff);
            backoff = fmin(backoff * 2, BACKOFF_MAX_S);
            continue;
        }
        atomic_store(&f->state, DC__FEED_CONNECTED);
        f->rlen = 0;
        if (f->cfg->type == DC_FEED_SRC_BEAST) { /* a new stream: no stale CPR halves */
            dc_adsb_free(f->adsb);
            f->adsb = dc_adsb_new(0, f->cfg->has_ref, f->cfg->ref_lat_deg, f->cfg->ref_lon_deg);
        }
        while (!atomic_load(&f->all->stop)) {
            struct pollfd p = {f->fd, POLLIN, 0};
            if (poll(&p, 1, WAKE_MS) > 0) {
                ssize_t n = recv(f->fd, f->rbuf + f->rlen, f->rcap - f->rlen, 0);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                    set_error(f, "%s",
                              n == 0 ? "connection closed by the source" : "connection lost");
                    break;
                }
                if (n > 0) {
                    f->rlen += (size_t)n;
                    backoff = BACKOFF_MIN_S;
                    if (f->adsb || f->cfg->type == DC_FEED_SRC_SBS)
                        consume(f);
                }
            }
            idle(f);
        }
        close(f->fd);
        f->fd = -1;
        flush(f);
        atomic_store(&f->state, DC__FEED_CONNECTING);
        if (!atomic_load(&f->all->stop))
            wait_backoff(f, backoff);
        backoff = fmin(backoff * 2, BACKOFF_MAX_S);
    }
}

static void *feed_main(void *arg)
{
    dc__feed *f = arg;
    f->flushed_mono_s = dc__mono_s();
    if (f->cfg->type == DC_FEED_SRC_ASTERIX)
        udp_loop(f);
    else
        tcp_loop(f);
    flush(f);
    return NULL;
}

/* ---- lifecycle ---- */

static dc_status udp_bind(dc__feed *f, size_t i, dc_error *err)
{
    char port[8], field[32];
    snprintf(port, sizeof port, "%u", (unsigned)f->cfg->port);
    snprintf(field, sizeof field, "feeds[%zu].listen", i);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE;
    int gai = getaddrinfo(f->cfg->host, port, &hints, &ai);
    if (gai)
        return dc_error_set(err, field, "%s: %s", f->cfg->host, gai_strerror(gai));
    f->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (f->fd >= 0) {
        int big = 4 << 20; /* a burst of datagrams waits in the kernel, not on the wire */
        setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    }
    if (f->fd < 0 || bind(f->fd, ai->ai_addr, ai->ai_addrlen)) {
        int e = errno;
        freeaddrinfo(ai);
        return dc_error_set(err, field, "cannot bind %s:%s: %s", f->cfg->host, port, strerror(e));
    }
    freeaddrinfo(ai);
    atomic_store(&f->state, DC__FEED_LISTENING);
    return DC_OK;
}

dc_status dc__feeds_start(dc_server *s, dc_error *err)
{
    const dc_server_config *c = &s->cfg;
    if (!c->n_feeds)
        return DC_OK;
    dc__feeds *fs = dc_calloc(1, sizeof *fs);
    if (!fs)
        return DC_ENOMEM;
    s->feeds = fs;
    fs->s = s;
    dc_status rc = dc__fusion_init(&fs->fu, 32768, c->tactical.stale_s);
    if (rc != DC_OK || !(fs->v = dc_calloc(c->n_feeds, sizeof *fs->v)))
        return DC_ENOMEM;
    double now = dc__wall_s();
    for (size_t i = 0; i < c->n_feeds; i++) {
        dc__feed *f = &fs->v[i];
        f->all = fs;
        f->cfg = &c->feeds[i];
        f->fd = -1;
        f->started_s = now;
        pthread_mutex_init(&f->st_mu, NULL);
        fs->n = i + 1;
        f->rcap = READ_CAP;
        f->rbuf = dc_malloc(f->rcap);
        f->batch = dc_calloc(DC__FEED_BATCH, sizeof *f->batch);
        f->ids = dc_calloc(DC__FEED_BATCH, sizeof *f->ids);
        f->tie_ops = dc_calloc(DC__FEED_BATCH, sizeof *f->tie_ops);
        if (!f->rbuf || !f->batch || !f->ids || !f->tie_ops)
            return DC_ENOMEM;
        if (f->cfg->type == DC_FEED_SRC_BEAST &&
            !(f->adsb = dc_adsb_new(0, f->cfg->has_ref, f->cfg->ref_lat_deg, f->cfg->ref_lon_deg)))
            return DC_ENOMEM;
        if (f->cfg->type == DC_FEED_SRC_ASTERIX && (rc = udp_bind(f, i, err)) != DC_OK)
            return rc;
    }
    for (size_t i = 0; i < fs->n; i++)
        if (dc__thread_start(&fs->v[i].thread, feed_main, &fs->v[i]) != DC_OK) {
            dc_error_set(err, "feeds", "cannot start a feed thread");
            return DC_ENOMEM;
        }
    return DC_OK;
}

void dc__feeds_stop(dc_server *s)
{
    dc__feeds *fs = s->feeds;
    if (!fs || fs->stopped)
        return;
    atomic_store(&fs->stop, 1);
    for (size_t i = 0; i < fs->n; i++)
        dc__thread_stop(&fs->v[i].thread, NULL, NULL, NULL);
    fs->stopped = 1;
}

void dc__feeds_free(dc_server *s)
{
    dc__feeds *fs = s->feeds;
    if (!fs)
        return;
    dc__feeds_stop(s);
    for (size_t i = 0; i < fs->n; i++) {
        dc__feed *f = &fs->v[i];
        if (f->fd >= 0)
            close(f->fd);
        dc_adsb_free(f->adsb);
        dc_free(f->rbuf);
        dc_free(f->batch);
        dc_free(f->ids);
        dc_free(f->tie_ops);
        pthread_mutex_destroy(&f->st_mu);
    }
    dc_free(fs->v);
    dc__fusion_free(&fs->fu);
    dc_free(fs);
    s->feeds = NULL;
}
