/* Server configuration: the defaults of shared/DESIGN.md (H 1852 m, V 305 m,
 * T 300 s, blind disclosure, 0.01 degree / 300 m / 5 min notices) and the
 * JSON config file read over them. Unknown keys are errors, so a typo never
 * silently leaves a default in force. */
#include <stdio.h>
#include <string.h>

#include "server/server_int.h"

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
    c->threads = 2;
    c->probe_limit = 60;
    c->suggest_max_shift_s = 6 * 3600;
    c->suggest_alt_steps = 10;
    dc__monitor_config_default(c);
    dc__limits_config_default(c);
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

dc_status dc_server_config_load(const char *path, dc_server_config *c, dc_error *err)
{
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return dc_error_set(err, "config", "%s: %s (line %d)", path, je.text, je.line);
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
        } else if (!strcmp(key, "disclosure")) {
            const char *m = json_string_value(v);
            if (m && !strcmp(m, "blind"))
                n.disclosure = DC_DISCLOSURE_BLIND;
            else if (m && !strcmp(m, "exact"))
                n.disclosure = DC_DISCLOSURE_EXACT;
            else
                rc = dc_error_set(err, key, "must be \"blind\" or \"exact\"");
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
        } else if ((rc = dc__monitor_config_key(&n, key, v, err)) == DC_ENOTFOUND &&
                   (rc = dc__limits_config_key(&n, key, v, err)) == DC_ENOTFOUND) {
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
