/* Strict JSON objects: every member of a request body, a volume or a
 * position report must be one the reader knows, so a typo ("priorty") is
 * refused with the field's path instead of leaving a default in force. */
#include <stdio.h>
#include <string.h>

#include "deconflict/json.h"

dc_status dc_json_known(const json_t *j, const char *field, const char *const *allowed,
                        dc_error *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(j))
        return DC_OK; /* the caller reports a wrong type in its own words */
    json_object_foreach((json_t *)j, key, v)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key))
            i++;
        if (allowed[i])
            continue;
        char f[sizeof err->field];
        if (field && *field)
            snprintf(f, sizeof f, "%s.%s", field, key);
        else
            snprintf(f, sizeof f, "%s", key);
        return dc_error_set(err, f, "unknown field");
    }
    return DC_OK;
}
