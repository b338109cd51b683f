/* GET /v1/notices: the blind notices (airspace/notice.c) of every other
 * operator's live volume and of the restrictions that apply to the caller,
 * in an area and time range, as JSON or GeoJSON, or (?format=kml|ed318)
 * KML 2.2 or ED-318 geozones drawn by src/aip/. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "deconflict/aip.h"

typedef struct notice_ctx {
    dc__req *r;
    dc__buf *b;
    const dc_query_box *box;
    int geojson;
    size_t n;
} notice_ctx;

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
        if (nc->n++)
            dc__buf_str(nc->b, ",");
        dc__notice_render(nc->r->s, e, v, nc->r->who_id, nc->geojson, nc->b);
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
    if (!bbox || parse_bbox(bbox, &q)) {
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
    notice_ctx nc = {r, &b, &q, geojson, 0};
    dc__buf_str(&b, geojson ? "{\"type\":\"FeatureCollection\",\"features\":[" : "{\"notices\":[");
    pthread_mutex_lock(&s->mu);
    dc_engine_visit(s->ops_blind, &q, notice_visit, &nc);
    dc_engine_visit(s->restr, &q, notice_visit, &nc);
    pthread_mutex_unlock(&s->mu);
    dc__buf_str(&b, "]}");
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
