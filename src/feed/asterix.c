/* ASTERIX decoding, table-driven: each category edition is a User
 * Application Profile (UAP) table, one row per Field Reference Number, that
 * gives the item's length rule (fixed, extended by FX, repetitive, explicit,
 * compound with its subfields) and, for the items we use, a decoder. Any
 * item can then be skipped by its rule whether we decode it or not; an FRN
 * without a rule (spare) set in an FSPEC makes the record undecodable.
 * This file holds the length rules, the FSPEC and record walk, the block
 * checks and the public entry point; the editions' tables (docs/feeds.md)
 * are asterix_cat062.c (CAT062 1.18, 0.17) and asterix_cat021_048.c
 * (CAT021 2.6, CAT048 1.21); CAT065 and CAT034 are recognised and skipped.
 * A block's reports are held (up to 32, on the stack) until every record of
 * the block has been checked against its length, so a bad block gives no
 * report; longer blocks are checked to the end, then decoded again. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "feed/asterix_int.h"

/* ---- length rules ------------------------------------------------------ */

/* Length of an item with rule f at p (avail bytes left in the block).
 * Returns 0 when it does not fit, else the length in *len. */
static int fmt_len(const fmt *f, const uint8_t *p, size_t avail, size_t *len, const char **why)
{
    switch (f->kind) {
    case K_FIXED:
        *len = f->len;
        break;
    case K_VAR: {
        size_t n = 0;
        for (;;) {
            if (n + f->len > avail) {
                *why = "its FX extension runs past the block end";
                return 0;
            }
            n += f->len;
            if (!(p[n - 1] & 1))
                break;
        }
        *len = n;
        return 1;
    }
    case K_REP:
        if (avail < 1) {
            *why = "its repetition count is past the block end";
            return 0;
        }
        *len = 1 + (size_t)p[0] * f->len;
        break;
    case K_EXPL:
        if (avail < 1) {
            *why = "its length byte is past the block end";
            return 0;
        }
        if (p[0] < 1) {
            *why = "its explicit length is 0";
            return 0;
        }
        *len = p[0];
        break;
    case K_COMP: {
        size_t prim = 0;
        do {
            if (prim >= avail) {
                *why = "its subfield FSPEC runs past the block end";
                return 0;
            }
            prim++;
        } while (p[prim - 1] & 1);
        size_t n = prim;
        for (size_t b = 0; b < prim * 7; b++) {
            if (!(p[b / 7] & (0x80 >> (b % 7))))
                continue;
            if (b >= f->nsub || f->sub[b].kind == K_SPARE) {
                *why = "it names a subfield with no length rule";
                return 0;
            }
            size_t sl;
            if (!fmt_len(&f->sub[b], p + n, avail - n, &sl, why))
                return 0;
            n += sl;
        }
        *len = n;
        break;
    }
    default:
        *why = "it has no length rule in this edition";
        return 0;
    }
    if (*len > avail) {
        *why = "it runs past the block end";
        return 0;
    }
    return 1;
}

const uint8_t *dc__asterix_comp_sub(const fmt *f, const uint8_t *p, size_t n, size_t idx)
{
    size_t prim = 0;
    do
        prim++;
    while (prim < n && (p[prim - 1] & 1));
    size_t off = prim;
    for (size_t b = 0; b < prim * 7 && b < f->nsub; b++) {
        if (!(p[b / 7] & (0x80 >> (b % 7))))
            continue;
        size_t sl;
        const char *why;
        if (!fmt_len(&f->sub[b], p + off, n - off, &sl, &why))
            return NULL;
        if (b == idx)
            return p + off;
        off += sl;
    }
    return NULL;
}

/* ---- item decoders shared by the categories (asterix_int.h) ------------- */

void dc__asterix_sacsic(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->sac = p[0];
    c->r->sic = p[1];
    c->r->has |= DC_FEED_HAS_SAC_SIC;
}

void dc__asterix_tod(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    double tod = dc__u24(p) / 128.0;
    if (tod < 86400.0) { /* 24 bits reach 131072 s: beyond a day is no time */
        c->r->tod_s = tod;
        c->r->has |= DC_FEED_HAS_TOD;
    }
}

void dc__asterix_mode3a(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->mode_3a = (uint16_t)(dc__u16(p) & 0x0fff);
    c->r->has |= DC_FEED_HAS_MODE_3A;
}

void dc__asterix_tn12(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->track_number = (uint16_t)(dc__u16(p) & 0x0fff);
    c->r->has |= DC_FEED_HAS_TRACK_NUMBER;
}

void dc__asterix_addr(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->mode_s = dc__u24(p);
    c->r->has |= DC_FEED_HAS_MODE_S;
}

void dc__asterix_geo_alt(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->geo_alt_m = dc__sext(dc__u16(p), 16) * 6.25 * DC__FT_M;
    c->r->has |= DC_FEED_HAS_GEO_ALT;
}

void dc__asterix_fl(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->fl = dc__sext(dc__u16(p), 16) * 0.25;
    c->r->has |= DC_FEED_HAS_FL;
}

/* ---- records and blocks -------------------------------------------------- */

/* Walks one record at buf[off..end): checks its FSPEC and item lengths and,
 * when c is non-NULL, decodes into c->r. Returns the offset after the
 * record, or 0 with err filled. */
static size_t record(const uap *u, const uint8_t *buf, size_t off, size_t end, ctx *c,
                     dc_feed_error *err)
{
    size_t fs = off, nfs = 0;
    do {
        if (fs + nfs >= end)
            return dc__feed_fail(err, fs,
                                 "CAT%03u record at byte %zu: FSPEC runs past the block end",
                                 u->cat, off),
                   0;
        nfs++;
    } while (buf[fs + nfs - 1] & 1);
    unsigned any = 0;
    for (size_t k = 0; k < nfs; k++)
        any |= buf[fs + k] & 0xfe;
    if (!any) /* no item: a stray 0 byte, or FX bits leading nowhere */
        return dc__feed_fail(err, fs, "CAT%03u record at byte %zu: empty FSPEC", u->cat, off), 0;
    size_t p = fs + nfs;
    for (size_t k = 0; k < nfs; k++) {
        unsigned bits = buf[fs + k] & 0xfe;
        while (bits) { /* each set FRN bit, most significant first */
            unsigned hi = 31 - (unsigned)__builtin_clz(bits);
            bits &= ~(1u << hi);
            size_t b = k * 7 + (7 - hi);
            if (b >= u->n || u->items[b].f.kind == K_SPARE)
                return dc__feed_fail(err, fs + k,
                                     "CAT%03u record at byte %zu: FSPEC names FRN %zu, which has "
                                     "no item in edition %s",
                                     u->cat, off, b + 1, u->edition),
                       0;
            const uap_item *it = &u->items[b];
            size_t len = it->f.len;
            const char *why = "it runs past the block end";
            if (it->f.kind == K_FIXED ? len > end - p
                                      : !fmt_len(&it->f, buf + p, end - p, &len, &why)) {
                if (it->id == ID_RE || it->id == ID_SP)
                    return dc__feed_fail(err, p, "CAT%03u record at byte %zu: %s field: %s", u->cat,
                                         off, it->id == ID_RE ? "RE" : "SP", why),
                           0;
                return dc__feed_fail(err, p, "CAT%03u record at byte %zu: item I%03u/%03u: %s",
                                     u->cat, off, u->cat, it->id, why),
                       0;
            }
            if (c && it->dec)
                it->dec(c, buf + p, len);
            p += len;
        }
    }
    if (c && u->finish)
        u->finish(c);
    return p;
}

#define BLOCK_BUF 32

static void init_report(dc_feed_report *r, unsigned cat)
{
    memset(r, 0, sizeof *r);
    r->source = DC_FEED_SRC_ASTERIX;
    r->category = (uint8_t)cat;
}

static void finish_time(const dc_asterix_options *opt, dc_feed_report *r)
{
    if (!(r->has & DC_FEED_HAS_TOD) || !(opt->ref_time_s >= 0) || !isfinite(opt->ref_time_s))
        return;
    double day = floor(opt->ref_time_s / 86400.0) * 86400.0;
    double t = day + r->tod_s;
    if (t - opt->ref_time_s > 43200)
        t -= 86400;
    else if (opt->ref_time_s - t > 43200)
        t += 86400;
    r->time_s = t;
    r->has |= DC_FEED_HAS_TIME;
}

dc_status dc_asterix_decode(const uint8_t *buf, size_t len, const dc_asterix_options *opt,
                            dc_feed_report_fn fn, void *ctx_user, dc_feed_stats *stats,
                            dc_feed_error *err)
{
    static const dc_asterix_options defaults = DC_ASTERIX_OPTIONS_DEFAULT;
    if (!opt)
        opt = &defaults;
    size_t off = 0;
    while (off < len) {
        if (len - off < 3)
            goto bad_header;
        unsigned cat = buf[off];
        size_t blen = dc__u16(buf + off + 1);
        if (blen < 3)
            goto bad_length;
        if (blen > len - off)
            goto bad_length;
        size_t end = off + blen;
        const uap *u = NULL;
        if (cat == 62)
            u = opt->cat062_edition == DC_CAT062_ED_0_17 ? &dc__asterix_uap062_0_17
                                                         : &dc__asterix_uap062_1_18;
        else if (cat == 21)
            u = &dc__asterix_uap021_2_6;
        else if (cat == 48)
            u = &dc__asterix_uap048_1_21;
        if (stats)
            stats->blocks++;
        if (!u) { /* CAT065, CAT034 and categories we do not decode */
            if (stats)
                stats->skipped_blocks++;
            off = end;
            continue;
        }
        /* One pass into a small buffer, emitted once the whole block is
         * checked; a block with more records than it holds is checked to
         * its end first and then decoded again, straight to fn. */
        dc_feed_report rep[BLOCK_BUF];
        size_t nrep = 0, p = off + 3;
        while (p < end && nrep < BLOCK_BUF) {
            init_report(&rep[nrep], cat);
            ctx c = {opt, &rep[nrep], 0};
            if (!(p = record(u, buf, p, end, &c, err)))
                goto bad_record;
            finish_time(opt, &rep[nrep++]);
        }
        size_t rest = p;
        while (p < end)
            if (!(p = record(u, buf, p, end, NULL, err)))
                goto bad_record;
        for (size_t i = 0; i < nrep; i++)
            if (fn)
                fn(ctx_user, &rep[i]);
        for (p = rest; p < end;) {
            dc_feed_report r;
            init_report(&r, cat);
            ctx c = {opt, &r, 0};
            if (!(p = record(u, buf, p, end, &c, err))) /* cannot happen: checked above */
                goto bad_record;
            finish_time(opt, &r);
            nrep++;
            if (fn)
                fn(ctx_user, &r);
        }
        if (stats)
            stats->records += nrep;
        off = end;
    }
    return DC_OK;
bad_record:
    if (stats)
        stats->errors++;
    return DC_EINVAL;
bad_header:
    if (stats)
        stats->errors++;
    return dc__feed_fail(err, off, "data block at byte %zu: %zu bytes left, a block header needs 3",
                         off, len - off);
bad_length:
    if (stats)
        stats->errors++;
    return dc__feed_fail(err, off + 1, "data block at byte %zu: length %u %s", off,
                         (unsigned)dc__u16(buf + off + 1),
                         dc__u16(buf + off + 1) < 3 ? "is below the 3-byte header"
                                                    : "runs past the end of the data");
}

/* ---- helpers shared with the other decoders ------------------------------ */

int dc__callsign6(const uint8_t *p, char out[9])
{
    static const char ia5[65] = "#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######";
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = v << 8 | p[i];
    int k = 0;
    for (int i = 0; i < 8; i++)
        out[k++] = ia5[(v >> (42 - 6 * i)) & 0x3f];
    while (k && out[k - 1] == ' ')
        k--;
    out[k] = '\0';
    return k > 0;
}

dc_status dc__feed_fail(dc_feed_error *err, size_t offset, const char *fmt, ...)
{
    if (err) {
        err->offset = offset;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->reason, sizeof err->reason, fmt, ap);
        va_end(ap);
    }
    return DC_EINVAL;
}

double dc__deg360(double d)
{
    d = fmod(d, 360.0);
    if (d < 0)
        d += 360.0;
    if (d >= 360.0)
        d = 0;
    return d;
}
