/* GET /v1/notices: the blind notices (airspace/notice.c) of every other
 * operator's live volume and of the restrictions that apply to the caller,
 * in an area and time range, as JSON or GeoJSON, or (?format=kml|ed318)
 * KML 2.2 or ED-318 geozones drawn by src/aip/. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "deconflict/aip.h"

/* Notices are rendered one by one and answered in the order of their ids
 * (an HMAC: creation order, or the order of the hidden operation ids,
 * would say which notice is whose over several queries). Every rendering
 * has the same prefix before its fixed-length id, so sorting the renderings
 * sorts by id. */
typedef struct notice_ctx {
    dc__req *r;
    const dc_query_box *box;
    int geojson;
    char **v;
    size_t n, cap;
    int oom;
} notice_ctx;

static int by_text(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int overlaps(const dc__notice *n, const dc_query_box *q)
{
    return n->lat_min <= q->lat_max && n->lat_max >= q->lat_min && n->lon_min <= q->lon_max &&
           n->lon_max >= q->lon_min && n->t_start_s < q->t_to_s && n->t_end_s > q->t_from_s;
}

static int notice_visit(void *ctx, const dc_entry_spec *spec, const dc_volume *vols, size_t n)
{
    (void)vols;
    notice_ctx *nc = ctx;
    dc__entry *e = dc__entry_get(nc->r->s, spec->id);
    if (!e || !e->notices || (!e->is_restriction && e->owner == nc->r->who))
        return 0;
    for (size_t k = 0; k < e->n_exempt; k++)
        if (e->exempt[k] == nc->r->who)
            return 0;
    for (size_t v = 0; v < n && v < e->n_vols; v++) {
        if (!overlaps(&e->notices[v], nc->box))
            continue;
        dc__buf one = {0};
        dc__notice_render(nc->r->s, e, v, nc->r->who_id, nc->geojson, &one);
        if (one.oom || dc__grow((void **)&nc->v, &nc->cap, nc->n + 1, sizeof *nc->v)) {
            dc__buf_free(&one);
            nc->oom = 1;
            return 1;
        }
        nc->v[nc->n++] = one.p;
    }
    return 0;
}

static int parse_bbox(const char *txt, dc_query_box *q)
{
    double v[4];
    const char *p = txt;
    for (int i = 0; i < 4; i++) {
        char *end;
        v[i] = strtod(p, &end);
        if (end == p || (i < 3 && *end != ',') || (i == 3 && *end))
            return -1;
        p = end + 1;
    }
    if (!(v[0] >= -180 && v[2] <= 180 && v[1] >= -90 && v[3] <= 90 && v[0] <= v[2] && v[1] <= v[3]))
        return -1;
    q->lon_min = v[0];
    q->lat_min = v[1];
    q->lon_max = v[2];
    q->lat_max = v[3];
    return 0;
}

void dc__api_notices(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    dc_query_box q;
    const char *bbox = dc__req_arg(r, "bbox"), *from = dc__req_arg(r, "from"),
               *to = dc__req_arg(r, "to"), *accept = dc__req_header(r, "Accept");
    if (!bbox) {
        dc__reply_error(r, 400, "invalid", "bbox",
                        "is required: ?bbox=minlon,minlat,maxlon,maxlat in degrees");
        return;
    }
    if (parse_bbox(bbox, &q)) {
        dc__reply_error(r, 400, "invalid", "bbox",
                        "must be minlon,minlat,maxlon,maxlat in degrees with min <= max");
        return;
    }
    q.t_from_s = dc__unix_s();
    if (from && dc_time_parse(from, 0, &q.t_from_s) != DC_OK) {
        dc__reply_error(r, 400, "invalid", "from", "must be an RFC 3339 time");
        return;
    }
    q.t_to_s = q.t_from_s + 24 * 3600;
    if (to && dc_time_parse(to, 1, &q.t_to_s) != DC_OK) {
        dc__reply_error(r, 400, "invalid", "to", "must be an RFC 3339 time");
        return;
    }
    if (q.t_to_s <= q.t_from_s) {
        dc__reply_error(r, 400, "invalid", "to", "must be later than from");
        return;
    }
    /* ?format=json|geojson|kml|ed318; without it, Accept picks JSON or GeoJSON */
    const char *format = dc__req_arg(r, "format");
    dc_aip_format export = DC_AIP_GEOJSON;
    if (format && strcmp(format, "json") &&
        (dc_aip_format_parse(format, &export) != DC_OK ||
         (export != DC_AIP_GEOJSON && export != DC_AIP_KML && export != DC_AIP_ED318))) {
        dc__reply_error(r, 400, "invalid", "format", "must be json, geojson, kml or ed318");
        return;
    }
    int geojson =
        format ? strcmp(format, "json") != 0 : accept && strstr(accept, "application/geo+json");
    dc__buf b = {0};
    notice_ctx nc = {r, &q, geojson, NULL, 0, 0, 0};
    pthread_mutex_lock(&s->mu);
    dc_engine_visit(s->ops_blind, &q, notice_visit, &nc);
    if (!nc.oom)
        dc_engine_visit(s->restr, &q, notice_visit, &nc);
    pthread_mutex_unlock(&s->mu);
    if (nc.n)
        qsort(nc.v, nc.n, sizeof *nc.v, by_text);
    dc__buf_str(&b, geojson ? "{\"type\":\"FeatureCollection\",\"features\":[" : "{\"notices\":[");
    for (size_t i = 0; i < nc.n; i++) {
        if (i)
            dc__buf_str(&b, ",");
        dc__buf_str(&b, nc.v[i]);
        dc_free(nc.v[i]);
    }
    dc_free(nc.v);
    dc__buf_str(&b, "]}");
    if (nc.oom) {
        dc__buf_free(&b);
        dc__reply_error(r, 500, "internal", "", "out of memory");
        return;
    }
    if (!format || export == DC_AIP_GEOJSON) {
        dc__reply_buf(r, 200, geojson ? "application/geo+json" : "application/json", &b);
        return;
    }
    /* KML and ED-318 are drawn from the same GeoJSON notices (src/aip/) */
    json_t *fc = b.oom ? NULL : json_loadb(b.p, b.len, 0, NULL);
    dc__buf_free(&b);
    char *text = NULL;
    dc_error err = {{0}, {0}};
    dc_status rc = fc ? dc_aip_export(export, fc, &text, &err) : DC_ENOMEM;
    json_decref(fc);
    if (rc != DC_OK) {
        free(text);
        dc__reply_status(r, rc, &err);
        return;
    }
    dc__buf out = {0};
    dc__buf_str(&out, text);
    free(text);
    dc__reply_buf(
        r, 200, export == DC_AIP_KML ? "application/vnd.google-earth.kml+xml" : "application/json",
        &out);
}
