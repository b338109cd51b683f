/* Fuzz target: the server config file (dc_server_config_load, server.h),
 * which takes a path: the input is written to a temp file. Properties: a
 * rejection names a field and a reason and leaves the config untouched; an
 * accepted config keeps the separation buffers valid (h > 0, v >= 0,
 * t >= 0) and the sizes and steps positive. */
#include "deconflict/server.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_tmpfile(data, size, "config.json");
    dc_server_config c, before;
    dc_server_config_default(&c);
    before = c;
    dc_error err = {{0}, {0}};
    dc_status s = dc_server_config_load(path, &c, &err);
    if (s != DC_OK) {
        FZ_CHECK(s == DC_EINVAL, "status %s", dc_status_str(s));
        FZ_CHECK(err.field[0] && err.reason[0], "rejection without field/reason");
        FZ_CHECK(!memcmp(&c, &before, sizeof c), "a rejected config changed the settings");
        return 0;
    }
    FZ_CHECK(c.params.h_m > 0 && c.params.v_m >= 0 && c.params.t_s >= 0, "buffers %g %g %lld",
             c.params.h_m, c.params.v_m, (long long)c.params.t_s);
    FZ_CHECK(c.disclosure == DC_DISCLOSURE_BLIND || c.disclosure == DC_DISCLOSURE_EXACT,
             "disclosure %d", (int)c.disclosure);
    FZ_CHECK(c.grid_cells_per_deg > 0 && c.alt_step_m > 0 && c.time_step_s > 0,
             "notice steps %d %g %lld", c.grid_cells_per_deg, c.alt_step_m,
             (long long)c.time_step_s);
    FZ_CHECK(c.max_body_bytes > 0 && c.max_volumes > 0 && c.threads > 0, "sizes");
    FZ_CHECK(c.suggest_max_shift_s >= 0 && c.suggest_alt_steps >= 0, "suggestion ranges");
    return 0;
}
