/* Fuzz target: the published-airspace importers (aip.h). The first byte
 * picks ED-318, OpenAir or AIXM, the rest is the file. Properties: an
 * import either returns restrictions and refuses nothing, or refuses with a
 * named item and returns no restriction (all or nothing); every returned
 * restriction exports to GeoJSON, KML and ED-318; a failing k-th dc_malloc
 * returns an error without leaking or crashing. */
#include <jansson.h>
#include <stdlib.h>

#include "deconflict/deconflict.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 200000)
        return 0;
    dc_aip_format f = (dc_aip_format)(DC_AIP_ED318 + data[0] % 3);
    dc_aip_options o;
    dc_aip_options_default(&o, 1767225600);
    dc_aip_result r;
    dc_error e;
    dc_status s = dc_aip_import(f, (const char *)data + 1, size - 1, &o, &r, &e);
    if (s == DC_OK) {
        FZ_CHECK(json_array_size(r.refused) == 0, "DC_OK with refused items");
        for (int x = DC_AIP_ED318; x <= DC_AIP_KML; x++) {
            if (x == DC_AIP_OPENAIR || x == DC_AIP_AIXM)
                continue;
            char *out = NULL;
            dc_status es = dc_aip_export((dc_aip_format)x, r.restrictions, &out, &e);
            FZ_CHECK(es == DC_OK, "an imported restriction does not export: %s: %s", e.field,
                     e.reason);
            free(out);
        }
    } else if (s == DC_EINVAL) {
        FZ_CHECK(json_array_size(r.restrictions) == 0, "refused, yet restrictions returned");
        FZ_CHECK(json_array_size(r.refused) > 0 && e.reason[0], "refused without a named item");
    }
    dc_aip_result_clear(&r);
    return 0;
}
