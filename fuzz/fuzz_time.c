/* Fuzz target: RFC 3339 time parsing (dc_time_parse) and formatting.
 * Properties: rounding up never gives an earlier second and at most two
 * later (a fraction plus a leap second); a parsed time formats to a string
 * that parses back to the same second (when its year is still in range). */
#include "deconflict/geo.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_cstr(data, size);
    int64_t lo = 0, hi = 0;
    dc_status a = dc_time_parse(s, 0, &lo), b = dc_time_parse(s, 1, &hi);
    FZ_CHECK(a == b, "floor and ceil disagree on validity: %d %d", a, b);
    FZ_CHECK(a == DC_OK || a == DC_EINVAL, "status %s", dc_status_str(a));
    if (a == DC_OK) {
        FZ_CHECK(hi >= lo && hi - lo <= 2, "floor %lld ceil %lld", (long long)lo, (long long)hi);
        char buf[32];
        dc_time_format(lo, buf, sizeof buf);
        int64_t back = 0;
        dc_status c = dc_time_parse(buf, 0, &back);
        /* Offsets can move a time out of [1900, 9999]; the parser rejects those years. */
        if (c == DC_OK)
            FZ_CHECK(back == lo, "'%s' -> %lld -> '%s' -> %lld", s, (long long)lo, buf,
                     (long long)back);
        else
            FZ_CHECK(lo < -2208988800LL + 86400 || lo > 253402300799LL - 86400,
                     "'%s' -> %lld formats to unparsable '%s'", s, (long long)lo, buf);
    }
    free(s);
    return 0;
}
