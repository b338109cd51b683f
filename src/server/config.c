/* Server configuration: the defaults of docs/design.md (H 1852 m, V 305 m,
 * T 300 s, blind disclosure, 0.01 degree / 300 m / 5 min notices) and the
 * JSON config file read over them. Unknown keys are errors, so a typo never
 * silently leaves a default in force. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "deconflict/tlog.h"
#include "server/server.h"

/* ---- tactical monitoring (monitor/) ---- */

static void monitor_config_default(dc_server_config *c)
{
    c->tactical = DC_TACTICAL_PARAMS_DEFAULT;
    c->tick_s = 1.0;
    c->max_track_reports = 10000;
    c->track_buffer_reports = 1000000;
    c->alert_ring = 65536;
    c->sse_heartbeat_s = 15.0;
    c->track_rate_per_s = 20000;
    c->feed_silence_s = 10;
}

static dc_status monitor_config_key(dc_server_config *c, const char *key, const json_t *v,
                                    dc_error *err)
{
    static const struct {
        const char *key, *param;
    } params[] = {{"lookahead_s", "lookahead_s"},
                  {"ht_m", "h_m"},
                  {"vt_m", "v_m"},
                  {"stale_s", "stale_s"},
                  {"conf_h_tol_m", "conf_h_tol_m"},
                  {"conf_v_tol_m", "conf_v_tol_m"},
                  {"conf_t_tol_s", "conf_t_tol_s"},
                  {"conf_dwell_s", "conf_dwell_s"},
                  {"max_speed_mps", "max_speed_mps"},
                  {"max_climb_mps", "max_climb_mps"},
                  {"plaus_slack_m", "plaus_slack_m"},
                  {"max_tracks_per_operator", "max_tracks_per_operator"}};
    static const struct {
        const char *key;
        double lo, hi;
    } limits[] = {{"tick_s", 0.01, 3600},           {"max_track_reports", 1, 1e6},
                  {"track_buffer_reports", 1, 1e8}, {"alert_ring", 16, 1e8},
                  {"sse_heartbeat_s", 0.1, 3600},   {"track_rate_per_s", 0, 1e9},
                  {"feed_silence_s", 0.5, 86400}};
    char txt[64];
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        if (strcmp(key, params[i].key))
            continue;
        if (!json_is_number(v))
            return dc_error_set(err, key, "must be a number");
        snprintf(txt, sizeof txt, "%.17g", json_number_value(v));
        dc_tactical_params p = c->tactical;
        dc_status rc = dc_tactical_params_set(&p, params[i].param, txt, err);
        if (rc != DC_OK)
            return dc_error_set(err, key, "must be a finite number >= 0%s",
                                strcmp(key, "ht_m") ? "" : " (and > 0)");
        c->tactical = p;
        return DC_OK;
    }
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if (strcmp(key, limits[i].key))
            continue;
        double d = json_number_value(v);
        if (!json_is_number(v) || !(d >= limits[i].lo && d <= limits[i].hi))
            return dc_error_set(err, key, "must be a number between %g and %g", limits[i].lo,
                                limits[i].hi);
        if (i == 0)
            c->tick_s = d;
        else if (i == 1)
            c->max_track_reports = (size_t)d;
        else if (i == 2)
            c->track_buffer_reports = (size_t)d;
        else if (i == 3)
            c->alert_ring = (size_t)d;
        else if (i == 4)
            c->sse_heartbeat_s = d;
        else if (i == 5)
            c->track_rate_per_s = d;
        else
            c->feed_silence_s = d;
        return DC_OK;
    }
    return DC_ENOTFOUND;
}

/* ---- admission and probing limits (http/admission.c, airspace/probing.c) ---- */

static void limits_config_default(dc_server_config *c)
{
    c->rate_submit_per_min = 120;
    c->rate_submit_burst = 30;
    c->rate_notices_per_min = 600;
    c->rate_notices_burst = 60;
    c->probe_alert_rejections = 10;
    c->probe_window_s = 600;
    c->probe_area_deg = 0.1;
    c->max_connections = 1024;
    c->max_connections_per_ip = 128;
    c->connection_timeout_s = 30;
    c->max_inflight = 256;
    c->authority_inflight = 32;
    c->max_buffered_body_bytes = (size_t)64 << 20;
    c->overload_decisions = 1;
    c->log_interval_s = 10;
    c->log_block = 16;
}

enum { T_DOUBLE, T_UNSIGNED, T_INT64, T_SIZE };

static dc_status limits_config_key(dc_server_config *c, const char *key, const json_t *v,
                                   dc_error *err)
{
    static const struct {
        const char *key;
        size_t off;
        int type;
        double lo, hi;
    } keys[] = {
        {"rate_submit_per_min", offsetof(dc_server_config, rate_submit_per_min), T_DOUBLE, 0, 1e7},
        {"rate_submit_burst", offsetof(dc_server_config, rate_submit_burst), T_DOUBLE, 1, 1e7},
        {"rate_notices_per_min", offsetof(dc_server_config, rate_notices_per_min), T_DOUBLE, 0,
         1e7},
        {"rate_notices_burst", offsetof(dc_server_config, rate_notices_burst), T_DOUBLE, 1, 1e7},
        {"probe_alert_rejections", offsetof(dc_server_config, probe_alert_rejections), T_UNSIGNED,
         0, 1e6},
        {"probe_window_s", offsetof(dc_server_config, probe_window_s), T_INT64, 1, 7 * 86400},
        {"probe_area_deg", offsetof(dc_server_config, probe_area_deg), T_DOUBLE, 0.001, 10},
        {"max_connections", offsetof(dc_server_config, max_connections), T_UNSIGNED, 4, 1e6},
        {"max_connections_per_ip", offsetof(dc_server_config, max_connections_per_ip), T_UNSIGNED,
         0, 1e6},
        {"connection_timeout_s", offsetof(dc_server_config, connection_timeout_s), T_UNSIGNED, 1,
         86400},
        {"max_inflight", offsetof(dc_server_config, max_inflight), T_UNSIGNED, 1, 1e6},
        {"authority_inflight", offsetof(dc_server_config, authority_inflight), T_UNSIGNED, 1, 1e6},
        {"max_buffered_body_bytes", offsetof(dc_server_config, max_buffered_body_bytes), T_SIZE,
         65536, 1e12},
        {"overload_decisions", offsetof(dc_server_config, overload_decisions), T_UNSIGNED, 1, 1e6},
        {"log_interval_s", offsetof(dc_server_config, log_interval_s), T_DOUBLE, 0.05, 86400},
        {"log_block", offsetof(dc_server_config, log_block), T_UNSIGNED, 1, 1e6},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i].key))
            continue;
        double d = json_number_value(v);
        if (!json_is_number(v) || !(d >= keys[i].lo && d <= keys[i].hi))
            return dc_error_set(err, key, "must be a number between %g and %g", keys[i].lo,
                                keys[i].hi);
        char *p = (char *)c + keys[i].off;
        switch (keys[i].type) {
        case T_DOUBLE:
            *(double *)p = d;
            break;
        case T_UNSIGNED:
            *(unsigned *)p = (unsigned)d;
            break;
        case T_INT64:
            *(int64_t *)p = (int64_t)d;
            break;
        default:
            *(size_t *)p = (size_t)d;
            break;
        }
        return DC_OK;
    }
    return DC_ENOTFOUND;
}

void dc_server_config_default(dc_server_config *c)
{
    memset(c, 0, sizeof *c);
    c->params = DC_PARAMS_DEFAULT;
    c->disclosure = DC_DISCLOSURE_BLIND;
    c->grid_cells_per_deg = 100;
    c->alt_step_m = 300.0;
    c->time_step_s = 300;
    c->max_body_bytes = 4u << 20;
    c->max_volumes = 64;
    c->ceiling_m = 20000;
    c->threads = 2;
    c->probe_limit = 60;
    c->suggest_max_shift_s = 6 * 3600;
    c->suggest_alt_steps = 10;
    monitor_config_default(c);
    limits_config_default(c);
}

static dc_status num(json_t *v, const char *key, double lo, double hi, double *out, dc_error *err)
{
    if (!json_is_number(v))
        return dc_error_set(err, key, "must be a number");
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi))
        return dc_error_set(err, key, "must be between %g and %g", lo, hi);
    *out = d;
    return DC_OK;
}

/* "witnesses": cosigner verifier keys, "name+hash8+base64(0x04 || key)". */
static dc_status witnesses(json_t *v, dc_server_config *c, dc_error *err)
{
    size_t i;
    json_t *k;
    if (!json_is_array(v) || json_array_size(v) > DC_MAX_WITNESSES)
        return dc_error_set(err, "witnesses", "must be an array of at most %d verifier keys",
                            DC_MAX_WITNESSES);
    json_array_foreach(v, i, k)
    {
        const char *t = json_string_value(k);
        if (!t || strlen(t) >= sizeof c->witnesses[0] || dc_tlog_cosigner_key_check(t) != DC_OK)
            return dc_error_set(err, "witnesses",
                                "entry %zu is not a cosigner verifier key "
                                "(name+hash+base64(0x04 || key), from deconflict witness keygen)",
                                i);
        snprintf(c->witnesses[i], sizeof c->witnesses[i], "%s", t);
    }
    c->n_witnesses = (unsigned)json_array_size(v);
    return DC_OK;
}

dc_status dc_server_config_load(const char *path, dc_server_config *c, dc_error *err)
{
    json_error_t je;
    FILE *f = fopen(path, "rb");
    if (!f)
        return dc_error_set(err, "config", "cannot read %s: %s", path, strerror(errno));
    json_t *j = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (!j)
        return dc_error_set(err, "config", "%s is not valid JSON: %s (line %d, column %d)", path,
                            je.text, je.line, je.column);
    dc_server_config n = *c;
    dc_status rc = DC_OK;
    const char *key;
    json_t *v;
    if (!json_is_object(j)) {
        rc = dc_error_set(err, "config", "must be a JSON object");
        goto done;
    }
    json_object_foreach(j, key, v)
    {
        double d = 0;
        if (!key[0]) { /* an error must name a field: "" names none */
            rc = dc_error_set(err, "config", "a configuration key is empty");
        } else if (!strcmp(key, "transparency_log")) {
            /* Off only to measure what the log costs (make bench). */
            if (!json_is_boolean(v))
                rc = dc_error_set(err, key, "must be true or false");
            else
                n.log_off = !json_is_true(v);
        } else if (!strcmp(key, "witnesses")) {
            rc = witnesses(v, &n, err);
        } else if (!strcmp(key, "disclosure")) {
            const char *m = json_string_value(v);
            if (m && !strcmp(m, "blind"))
                n.disclosure = DC_DISCLOSURE_BLIND;
            else if (m && !strcmp(m, "exact"))
                n.disclosure = DC_DISCLOSURE_EXACT;
            else
                rc = dc_error_set(err, key, "must be \"blind\" or \"exact\"");
        } else if (!strcmp(key, "feeds")) {
            rc = dc__feeds_config(&n, v, err);
        } else if (!strcmp(key, "h_m")) {
            if ((rc = num(v, key, 0.01, 1e6, &d, err)) == DC_OK)
                n.params.h_m = d;
        } else if (!strcmp(key, "v_m")) {
            if ((rc = num(v, key, 0, 1e5, &d, err)) == DC_OK)
                n.params.v_m = d;
        } else if (!strcmp(key, "t_s")) {
            if ((rc = num(v, key, 0, 86400, &d, err)) == DC_OK)
                n.params.t_s = (int64_t)d;
        } else if (!strcmp(key, "grid_cells_per_deg")) {
            if ((rc = num(v, key, 1, 10000, &d, err)) == DC_OK)
                n.grid_cells_per_deg = (int)d;
        } else if (!strcmp(key, "alt_step_m")) {
            if ((rc = num(v, key, 1, 10000, &d, err)) == DC_OK)
                n.alt_step_m = d;
        } else if (!strcmp(key, "time_step_s")) {
            if ((rc = num(v, key, 1, 86400, &d, err)) == DC_OK)
                n.time_step_s = (int64_t)d;
        } else if (!strcmp(key, "max_body_bytes")) {
            if ((rc = num(v, key, 1024, 1 << 30, &d, err)) == DC_OK)
                n.max_body_bytes = (size_t)d;
        } else if (!strcmp(key, "max_volumes")) {
            if ((rc = num(v, key, 1, 100000, &d, err)) == DC_OK)
                n.max_volumes = (size_t)d;
        } else if (!strcmp(key, "ceiling_m")) {
            if ((rc = num(v, key, 100, 1e5, &d, err)) == DC_OK)
                n.ceiling_m = d;
        } else if (!strcmp(key, "threads")) {
            if ((rc = num(v, key, 1, 256, &d, err)) == DC_OK)
                n.threads = (unsigned)d;
        } else if (!strcmp(key, "probe_limit")) {
            if ((rc = num(v, key, 0, 1e9, &d, err)) == DC_OK)
                n.probe_limit = (unsigned)d;
        } else if (!strcmp(key, "suggest_max_shift_s")) {
            if ((rc = num(v, key, 0, 7 * 86400, &d, err)) == DC_OK)
                n.suggest_max_shift_s = (int64_t)d;
        } else if (!strcmp(key, "suggest_alt_steps")) {
            if ((rc = num(v, key, 0, 1000, &d, err)) == DC_OK)
                n.suggest_alt_steps = (int)d;
        } else if ((rc = monitor_config_key(&n, key, v, err)) == DC_ENOTFOUND &&
                   (rc = limits_config_key(&n, key, v, err)) == DC_ENOTFOUND) {
            rc = dc_error_set(err, key, "unknown configuration key");
        }
        if (rc != DC_OK)
            goto done;
    }
    *c = n;
done:
    json_decref(j);
    return rc;
}
