/* Status messages, validation errors and the allocation hook (status.h). */
#include "deconflict/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_msgs[] = {
#define DC_X_MSG(code, msg) msg,
    DC_STATUS_MAP(DC_X_MSG)
#undef DC_X_MSG
};

const char *dc_status_str(dc_status s)
{
    if ((int)s < 0 || s >= DC_STATUS_COUNT)
        return "unknown status";
    return status_msgs[s];
}

dc_status dc_error_set(dc_error *err, const char *field, const char *fmt, ...)
{
    if (err) {
        snprintf(err->field, sizeof err->field, "%s", field ? field : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->reason, sizeof err->reason, fmt, ap);
        va_end(ap);
    }
    return DC_EINVAL;
}

static dc_alloc_hooks hooks = {malloc, realloc, free};

void dc_set_alloc_hooks(const dc_alloc_hooks *h)
{
    if (h)
        hooks = *h;
    else
        hooks = (dc_alloc_hooks){malloc, realloc, free};
}

void *dc_malloc(size_t n)
{
    return hooks.malloc_fn(n ? n : 1);
}

void *dc_calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size)
        return NULL;
    void *p = dc_malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *dc_realloc(void *p, size_t n)
{
    return hooks.realloc_fn(p, n ? n : 1);
}

void dc_free(void *p)
{
    if (p)
        hooks.free_fn(p);
}

char *dc_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = dc_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
