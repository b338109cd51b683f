/* Fuzz target: the scenario file loader (scenario.h), which takes a path:
 * the input is written to a temp file (in /dev/shm when there is one). An
 * accepted scenario is then exercised: its plans, its span, and the
 * simulated position of every aircraft across its span (under ASan/UBSan:
 * the loader does not range-check waypoints, so values are not asserted).
 * A rejection must name a field and a reason. */
#include <math.h>

#include "deconflict/geo.h"
#include "deconflict/scenario.h"
#include "fuzz_common.h"

#define DAY0_S 1417478400 /* 2014-12-02T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_tmpfile(data, size, "scenario.json");
    dc_scenario *sc = NULL;
    dc_error err = {{0}, {0}};
    uint64_t h = fz_hash(data, size);
    dc_status s = dc_scenario_load(path, DAY0_S, 0, (uint32_t)h, &sc, &err);
    if (s != DC_OK) {
        FZ_CHECK(s == DC_EINVAL, "status %s", dc_status_str(s));
        FZ_CHECK(err.field[0] && err.reason[0], "rejection without field/reason");
        FZ_CHECK(!sc, "error left a scenario");
        return 0;
    }
    FZ_CHECK(json_is_object(dc_scenario_plans(sc)), "plans are not an object");
    double t0, t1;
    dc_scenario_span(sc, &t0, &t1);
    size_t n = dc_scenario_aircraft_count(sc);
    for (size_t i = 0; i < n && i < 64; i++) {
        for (int k = 0; k <= 16; k++) {
            double t =
                isfinite(t0) && isfinite(t1) ? t0 + (t1 - t0) * k / 16.0 : DAY0_S + k * 600.0;
            dc_scenario_report rep;
            if (!dc_scenario_position(sc, i, t, &rep))
                continue;
            FZ_CHECK(rep.callsign && rep.operator_name, "report without identity");
        }
    }
    FZ_CHECK(!dc_scenario_position(sc, n, t0, &(dc_scenario_report){0}), "index past the end");
    dc_scenario_free(sc);
    return 0;
}
