/* The "feeds" configuration key (docs/feeds.md): an array of surveillance
 * feeds, each {"type": "asterix", "listen": "udp://HOST:PORT", "radar":
 * {...}} or {"type": "sbs" | "beast", "connect": "HOST:PORT"}, with an
 * optional name, clock and silence threshold. Every field is checked here,
 * so a feed that starts has an address it can use; errors name
 * feeds[i].field. Unknown members are errors, as everywhere in the config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"

static dc_status bad(dc_error *err, size_t i, const char *field, const char *reason)
{
    char f[48];
    snprintf(f, sizeof f, "feeds[%zu]%s%s", i, field[0] ? "." : "", field);
    return dc_error_set(err, f, "%s", reason);
}

/* "HOST:PORT" after an optional scheme prefix; port 1..65535. */
static int endpoint(const char *s, const char *scheme, dc_feed_config *f)
{
    size_t sl = strlen(scheme);
    if (!strncmp(s, scheme, sl))
        s += sl;
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof f->host)
        return 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || colon[1] == 0 || port < 1 || port > 65535)
        return 0;
    memcpy(f->host, s, (size_t)(colon - s));
    f->host[colon - s] = 0;
    /* A name or an IPv4 address: it is printed unescaped in metrics and JSON. */
    if (strspn(f->host, NAME_CHARS) != strlen(f->host))
        return 0;
    f->port = (uint16_t)port;
    return 1;
}

static int number(const json_t *o, const char *key, double lo, double hi, double *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        return 0;
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi))
        return 0;
    *out = d;
    return 1;
}

static dc_status position(const json_t *v, size_t i, const char *field, int alt, double *lat,
                          double *lon, double *alt_m, dc_error *err)
{
    const char *key;
    const json_t *x;
    if (!json_is_object(v))
        return bad(err, i, field,
                   alt ? "must be an object {\"lat\", \"lon\", \"alt_m\"}"
                       : "must be an object {\"lat\", \"lon\"}");
    json_object_foreach((json_t *)v, key, x)
    {
        if (strcmp(key, "lat") && strcmp(key, "lon") && (!alt || strcmp(key, "alt_m")))
            return bad(err, i, field, "unknown member");
    }
    if (!number(v, "lat", -90, 90, lat))
        return bad(err, i, field, "lat must be a number within [-90, 90]");
    if (!number(v, "lon", -180, 180, lon))
        return bad(err, i, field, "lon must be a number within [-180, 180]");
    *alt_m = 0;
    if (alt && json_object_get(v, "alt_m") && !number(v, "alt_m", -1000, 10000, alt_m))
        return bad(err, i, field, "alt_m must be a number within [-1000, 10000]");
    return DC_OK;
}

static dc_status one_feed(const json_t *o, size_t i, dc_feed_config *f, dc_error *err)
{
    memset(f, 0, sizeof *f);
    f->asterix = DC_ASTERIX_OPTIONS_DEFAULT;
    if (!json_is_object(o))
        return bad(err, i, "", "must be an object");
    const char *type = json_string_value(json_object_get(o, "type"));
    if (type && !strcmp(type, "asterix"))
        f->type = DC_FEED_SRC_ASTERIX;
    else if (type && !strcmp(type, "sbs"))
        f->type = DC_FEED_SRC_SBS;
    else if (type && !strcmp(type, "beast"))
        f->type = DC_FEED_SRC_BEAST;
    else
        return bad(err, i, "type", "must be \"asterix\", \"sbs\" or \"beast\"");
    f->clock_arrival = f->type != DC_FEED_SRC_ASTERIX;
    snprintf(f->name, sizeof f->name, "%s-%zu", type, i);
    int have_addr = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        const char *str = json_string_value(v);
        dc_status rc = DC_OK;
        if (!strcmp(key, "type")) {
            continue;
        } else if (!strcmp(key, "name")) {
            if (!str || !str[0] || strlen(str) >= sizeof f->name ||
                strspn(str, NAME_CHARS) != strlen(str))
                return bad(err, i, key, "must be 1 to 31 letters, digits, '-', '_' or '.'");
            snprintf(f->name, sizeof f->name, "%s", str);
        } else if (!strcmp(key, "listen")) {
            if (f->type != DC_FEED_SRC_ASTERIX)
                return bad(err, i, key, "sbs and beast feeds connect to their source (connect)");
            if (!str || strncmp(str, "udp://", 6) || !endpoint(str, "udp://", f))
                return bad(err, i, key, "must be \"udp://HOST:PORT\"");
            have_addr = 1;
        } else if (!strcmp(key, "connect")) {
            if (f->type == DC_FEED_SRC_ASTERIX)
                return bad(err, i, key, "an asterix feed listens for UDP datagrams (listen)");
            if (!str || !endpoint(str, "tcp://", f))
                return bad(err, i, key, "must be \"HOST:PORT\"");
            have_addr = 1;
        } else if (!strcmp(key, "radar") && f->type == DC_FEED_SRC_ASTERIX) {
            rc = position(v, i, key, 1, &f->asterix.radar_lat_deg, &f->asterix.radar_lon_deg,
                          &f->asterix.radar_alt_m, err);
            f->asterix.has_radar = 1;
        } else if (!strcmp(key, "cat062_edition") && f->type == DC_FEED_SRC_ASTERIX) {
            if (str && !strcmp(str, "1.18"))
                f->asterix.cat062_edition = DC_CAT062_ED_1_18;
            else if (str && !strcmp(str, "0.17"))
                f->asterix.cat062_edition = DC_CAT062_ED_0_17;
            else
                return bad(err, i, key, "must be \"1.18\" or \"0.17\"");
        } else if (!strcmp(key, "ref") && f->type == DC_FEED_SRC_BEAST) {
            double alt;
            rc = position(v, i, key, 0, &f->ref_lat_deg, &f->ref_lon_deg, &alt, err);
            f->has_ref = 1;
        } else if (!strcmp(key, "clock") && f->type == DC_FEED_SRC_ASTERIX) {
            if (str && !strcmp(str, "source"))
                f->clock_arrival = 0;
            else if (str && !strcmp(str, "arrival"))
                f->clock_arrival = 1;
            else
                return bad(err, i, key, "must be \"source\" or \"arrival\"");
        } else if (!strcmp(key, "silence_s")) {
            if (!json_is_number(v) || !(json_number_value(v) >= 0.5) ||
                !(json_number_value(v) <= 86400))
                return bad(err, i, key, "must be a number between 0.5 and 86400");
            f->silence_s = json_number_value(v);
        } else {
            return bad(err, i, key, "unknown member for this feed type");
        }
        if (rc != DC_OK)
            return rc;
    }
    if (!have_addr)
        return bad(err, i, f->type == DC_FEED_SRC_ASTERIX ? "listen" : "connect", "is required");
    return DC_OK;
}

dc_status dc__feeds_config(dc_server_config *c, const json_t *v, dc_error *err)
{
    if (!json_is_array(v))
        return dc_error_set(err, "feeds", "must be an array of feeds");
    if (json_array_size(v) > DC_FEEDS_MAX)
        return dc_error_set(err, "feeds", "at most %d feeds", DC_FEEDS_MAX);
    dc_feed_config f[DC_FEEDS_MAX];
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++) {
        dc_status rc = one_feed(json_array_get(v, i), i, &f[i], err);
        if (rc != DC_OK)
            return rc;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(f[k].name, f[i].name))
                return bad(err, i, "name", "another feed has this name");
    }
    memcpy(c->feeds, f, n * sizeof *f);
    c->n_feeds = n;
    return DC_OK;
}
