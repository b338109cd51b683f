/* What a handler reads of its request: headers, query arguments and the
 * JSON object body, from libmicrohttpd or from an in-process request
 * (dc_server_handle) alike. A body that is not one JSON object is refused
 * here with 400, so handlers only ever see an object. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "http/http.h"

const char *dc__req_header(dc__req *r, const char *name)
{
    if (r->inproc) {
        for (size_t i = 0; i < r->inproc->n_headers; i++)
            if (r->inproc->headers[i].name && !strcasecmp(r->inproc->headers[i].name, name))
                return r->inproc->headers[i].value;
        return NULL;
    }
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *dc__req_arg(dc__req *r, const char *name)
{
    if (r->inproc) {
        for (size_t i = 0; i < r->inproc->n_args; i++)
            if (r->inproc->args[i].name && !strcmp(r->inproc->args[i].name, name))
                return r->inproc->args[i].value;
        return NULL;
    }
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

json_t *dc__req_json(dc__req *r)
{
    json_error_t je;
    char reason[300];
    if (!r->body.len) {
        dc__reply_error(r, 400, "invalid_json", "body", "a JSON object body is required");
        return NULL;
    }
    json_t *j = json_loadb(r->body.p, r->body.len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        snprintf(reason, sizeof reason, "not valid JSON: %s (line %d, column %d)", je.text, je.line,
                 je.column);
        dc__reply_error(r, 400, "invalid_json", "body", reason);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        dc__reply_error(r, 400, "invalid_json", "body", "must be a JSON object");
        return NULL;
    }
    return j;
}
