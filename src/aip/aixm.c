/* AIXM 5.1 Airspace features to restrictions (libxml2, no network, no
 * entity expansion). Per Airspace: the BASELINE or PERMDELTA time slice with
 * the highest sequenceNumber that has geometry (TEMPDELTA slices, the Digital
 * NOTAM events, are not applied); its AirspaceVolumes (horizontalProjection
 * rings of GeodesicString / LineStringSegment / ArcByCenterPoint /
 * CircleByCenterPoint, or a centreline with a width, a corridor) with their
 * upper/lower limits (FL, FT, M; STD, MSL, W84, SFC); validTime bounds the
 * volumes and activation Timesheets are expanded like ED-318 schedules.
 * Coordinates are lat lon (EPSG:4326 axis order); arc bearings are degrees
 * true, clockwise when endAngle > startAngle. Items: "aixm:<identifier>". */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aip/aip_int.h"

#define NM(n, s) ((n)->type == XML_ELEMENT_NODE && !strcmp((const char *)(n)->name, (s)))

static xmlNode *child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (NM(c, name))
            return c;
    return NULL;
}

/* First descendant (depth first) named name. */
static xmlNode *find(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
        if (NM(c, name))
            return c;
        xmlNode *d = find(c, name);
        if (d)
            return d;
    }
    return NULL;
}

/* Text of n, trimmed, into buf. */
static const char *text(const xmlNode *n, char *buf, size_t len)
{
    buf[0] = 0;
    if (!n)
        return NULL;
    xmlChar *t = xmlNodeGetContent(n);
    if (!t)
        return NULL;
    const char *s = (const char *)t;
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    snprintf(buf, len, "%s", s);
    size_t k = strlen(buf);
    while (k && strchr(" \n\t\r", buf[k - 1]))
        buf[--k] = 0;
    xmlFree(t);
    return buf;
}

static int num(const xmlNode *n, double *out)
{
    char b[64], *e;
    if (!text(n, b, sizeof b) || !b[0])
        return -1;
    *out = strtod(b, &e);
    return (*e || !isfinite(*out)) ? -1 : 0;
}

static double uom_m(const xmlNode *n)
{
    xmlChar *u = n ? xmlGetProp(n, (const xmlChar *)"uom") : NULL;
    double m = -1;
    if (!u || !strcmp((char *)u, "M") || !strcmp((char *)u, "m"))
        m = 1;
    else if (!strcmp((char *)u, "FT") || !strcmp((char *)u, "ft"))
        m = DC__FT_M;
    else if (!strcmp((char *)u, "FL"))
        m = 100 * DC__FT_M;
    else if (!strcmp((char *)u, "NM") || !strcmp((char *)u, "[nmi_i]"))
        m = DC__NM_M;
    else if (!strcmp((char *)u, "KM") || !strcmp((char *)u, "km"))
        m = 1000;
    xmlFree(u);
    return m;
}

/* Appends the lat lon pairs of posList / pos children of n. */
static int points(const xmlNode *n, dc__ring *r)
{
    for (xmlNode *c = n->children; c; c = c->next) {
        if (!NM(c, "posList") && !NM(c, "pos"))
            continue;
        xmlChar *t = xmlNodeGetContent(c);
        if (!t)
            return -1;
        char *p = (char *)t, *e;
        for (;;) {
            double lat = strtod(p, &e);
            if (e == p)
                break;
            p = e;
            double lon = strtod(p, &e);
            if (e == p || !isfinite(lat) || !isfinite(lon)) {
                xmlFree(t);
                return -1;
            }
            p = e;
            dc__ring_add(r, lat, lon);
        }
        while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
            p++;
        int trailing = *p != 0;
        xmlFree(t);
        if (trailing)
            return -1;
    }
    return 0;
}

static int centre_of(const xmlNode *n, dc_latlon *c)
{
    dc__ring r = {0};
    int rc = points(n, &r);
    if (!rc && r.n == 1)
        *c = r.p[0];
    else
        rc = -1;
    dc__ring_free(&r);
    return rc;
}

/* Builds the footprint of one horizontalProjection; NULL with *why set. */
static json_t *projection(const xmlNode *hp, const char **why)
{
    const xmlNode *patch = find(hp, "PolygonPatch");
    if (!patch)
        patch = find(hp, "Polygon");
    if (!patch) {
        *why = "has no PolygonPatch";
        return NULL;
    }
    if (child(patch, "interior")) {
        *why = "has holes (interior rings), which are not supported";
        return NULL;
    }
    const xmlNode *ext = child(patch, "exterior");
    if (!ext) {
        *why = "has no exterior ring";
        return NULL;
    }
    dc__ring r = {0};
    int n_seg = 0, circle = 0;
    dc_latlon cc = {0, 0};
    double cr = 0;
    json_t *fp = NULL;
    /* The segments in document order: walk every element below exterior. */
    const xmlNode *stack[64];
    int sp = 0;
    stack[sp++] = ext->children;
    while (sp) {
        const xmlNode *c = stack[--sp];
        for (; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (NM(c, "GeodesicString") || NM(c, "LineStringSegment") || NM(c, "LinearRing") ||
                NM(c, "LineString")) {
                if (points(c, &r)) {
                    *why = "has a coordinate list that is not lat lon numbers";
                    goto out;
                }
                n_seg++;
            } else if (NM(c, "ArcByCenterPoint") || NM(c, "CircleByCenterPoint")) {
                double rad, a0 = 0, a1 = 360;
                dc_latlon ctr;
                const xmlNode *rn = child(c, "radius");
                double um = uom_m(rn);
                if (centre_of(c, &ctr) || num(rn, &rad) || um <= 0 || rad <= 0) {
                    *why = "has an arc or circle without a centre and radius";
                    goto out;
                }
                if (NM(c, "ArcByCenterPoint") &&
                    (num(child(c, "startAngle"), &a0) || num(child(c, "endAngle"), &a1))) {
                    *why = "has an arc without startAngle and endAngle";
                    goto out;
                }
                if (NM(c, "CircleByCenterPoint")) {
                    circle = 1;
                    cc = ctr;
                    cr = rad * um;
                }
                dc__ring_arc(&r, ctr, rad * um, a0, a1, a1 >= a0, 0);
                n_seg++;
            } else if (c->children && sp < 64) {
                if (c->next)
                    stack[sp++] = c->next;
                stack[sp++] = c->children;
                break;
            }
        }
    }
    if (r.oom) {
        *why = "out of memory";
        goto out;
    }
    if (circle && n_seg == 1)
        fp = dc__circle_footprint(cc, cr);
    else if (!(fp = dc__ring_polygon(&r)))
        *why = "has fewer than 3 distinct points";
out:
    dc__ring_free(&r);
    return fp;
}

/* A limit: value (number, GND, UNL, FLOOR, CEILING) with uom, reference. */
static int limit(const dc__aip *a, const xmlNode *v, const xmlNode *ref, int upper, double *out)
{
    char b[64], rb[16];
    if (!v) { /* absent: the whole column (conservative) */
        *out = upper ? DC_AIP_UNLIMITED_M : 0;
        return 0;
    }
    text(v, b, sizeof b);
    if (!strcmp(b, "GND") || !strcmp(b, "FLOOR")) {
        *out = 0;
        return 0;
    }
    if (!strcmp(b, "UNL") || !strcmp(b, "CEILING")) {
        *out = DC_AIP_UNLIMITED_M;
        return 0;
    }
    double x, um = uom_m(v);
    if (num(v, &x) || um <= 0 || x < -2000 || x > 1e6)
        return -1;
    text(ref, rb, sizeof rb);
    dc__vref r = !strcmp(rb, "SFC") ? DC__AGL : !strcmp(rb, "STD") ? DC__STD : DC__AMSL;
    *out = dc__aip_alt_m(a, x, um, r, upper);
    return 0;
}

static int day_bits(const char *d)
{
    static const char *days[] = {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};
    for (int i = 0; i < 7; i++)
        if (!strcmp(d, days[i]))
            return 1 << i;
    return 0x7f; /* ANY, WORK_DAY, HOL, BEF_HOL...: every day (conservative) */
}

static int hhmm(const xmlNode *n, int dflt)
{
    char b[16];
    int h, m;
    if (!n || !text(n, b, sizeof b) || sscanf(b, "%d:%d", &h, &m) != 2 || h < 0 || h > 24 ||
        m < 0 || m > 59)
        return dflt;
    return h * 60 + m;
}

/* Timesheets under the slice's activation(s); n = 0 when none applies (the
 * airspace is then taken as active for its whole validity). */
static size_t timesheets(const xmlNode *ts, dc__weekly *w, size_t max)
{
    size_t n = 0;
    for (const xmlNode *c = ts->children; c; c = c->next) {
        if (!NM(c, "activation"))
            continue;
        const xmlNode *stack[32];
        int sp = 0;
        stack[sp++] = c;
        while (sp) {
            const xmlNode *x = stack[--sp];
            for (const xmlNode *k = x->children; k; k = k->next) {
                if (NM(k, "Timesheet")) {
                    char b[32], tr[32];
                    text(child(k, "excluded"), b, sizeof b);
                    text(child(k, "timeReference"), tr, sizeof tr);
                    if (!strcmp(b, "YES"))
                        continue; /* exclusions only shrink: ignoring them is conservative */
                    if (n == max || (tr[0] && strcmp(tr, "UTC")))
                        return 0; /* local time or too many: the whole validity */
                    text(child(k, "day"), b, sizeof b);
                    w[n].days = (unsigned)day_bits(b);
                    w[n].start_min = hhmm(child(k, "startTime"), 0);
                    w[n].end_min = hhmm(child(k, "endTime"), 1440);
                    if (w[n].end_min == 1439) /* "23:59" publishes the end of the day */
                        w[n].end_min = 1440;
                    if (child(k, "startEvent"))
                        w[n].start_min = 0;
                    if (child(k, "endEvent"))
                        w[n].end_min = 1440;
                    if (w[n].end_min <= w[n].start_min)
                        w[n].end_min += 1440;
                    n++;
                } else if (k->type == XML_ELEMENT_NODE && sp < 32) {
                    stack[sp++] = k;
                }
            }
        }
    }
    return n;
}

static int restrictive(const char *t)
{
    static const char *r[] = {"P", "R", "D", "TRA", "TSA", "D_OTHER", "PROTECT"};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (!strcmp(t, r[i]))
            return 1;
    return 0;
}

static void airspace(dc__aip *a, const xmlNode *as)
{
    char id[128], item[160], b[64], type[32] = "", name[200] = "";
    text(child(as, "identifier"), id, sizeof id);
    snprintf(item, sizeof item, "aixm:%s", id[0] ? id : "(no identifier)");
    if (!id[0] || strpbrk(id, " \t")) {
        dc__aip_refuse(a, item, "gml:identifier", "is required (one word)");
        return;
    }
    const xmlNode *best = NULL;
    long best_seq = -1;
    for (const xmlNode *t = as->children; t; t = t->next) {
        if (!NM(t, "timeSlice"))
            continue;
        const xmlNode *ts = child(t, "AirspaceTimeSlice");
        text(child(ts, "interpretation"), b, sizeof b);
        if (strcmp(b, "BASELINE") && strcmp(b, "PERMDELTA"))
            continue;
        long seq = strtol(text(child(ts, "sequenceNumber"), b, sizeof b) ? b : "0", NULL, 10);
        if (child(ts, "type"))
            text(child(ts, "type"), type, sizeof type);
        if (child(ts, "name"))
            text(child(ts, "name"), name, sizeof name);
        else if (!name[0] && child(ts, "designator"))
            text(child(ts, "designator"), name, sizeof name);
        if (child(ts, "geometryComponent") && seq >= best_seq) {
            best = ts;
            best_seq = seq;
        }
    }
    if (!type[0] && !best) {
        dc__aip_skip(a, item, "no BASELINE or PERMDELTA time slice (only events)");
        return;
    }
    if (!a->opt->all_types && !restrictive(type)) {
        char why[96];
        snprintf(why, sizeof why,
                 "type %s does not restrict flight (P, R, D, TRA, TSA, D_OTHER, "
                 "PROTECT do)",
                 type[0] ? type : "(none)");
        dc__aip_skip(a, item, why);
        return;
    }
    if (!best) {
        dc__aip_refuse(a, item, "geometryComponent", "has no geometry");
        return;
    }
    int64_t v0 = a->opt->t_start_s, v1 = a->opt->t_end_s;
    const xmlNode *vt = find(child(best, "validTime"), "TimePeriod");
    if (vt) {
        int64_t t;
        if (text(child(vt, "beginPosition"), b, sizeof b) && b[0] &&
            dc_time_parse(b, 0, &t) == DC_OK)
            v0 = t;
        if (text(child(vt, "endPosition"), b, sizeof b) && b[0] && dc_time_parse(b, 1, &t) == DC_OK)
            v1 = t;
    }
    if (v1 <= v0) {
        dc__aip_skip(a, item, "its validTime has ended");
        return;
    }
    dc__weekly w[32];
    size_t nw = timesheets(best, w, sizeof w / sizeof w[0]);
    json_t *vols = json_array();
    int k = 0;
    for (const xmlNode *gc = best->children; gc; gc = gc->next) {
        if (!NM(gc, "geometryComponent"))
            continue;
        const xmlNode *vol = find(gc, "AirspaceVolume");
        char f[64];
        snprintf(f, sizeof f, "geometryComponent[%d]", k++);
        if (!vol) {
            dc__aip_refuse(a, item, f, "has no AirspaceVolume");
            goto fail;
        }
        double lo, hi;
        if (limit(a, child(vol, "lowerLimit"), child(vol, "lowerLimitReference"), 0, &lo) ||
            limit(a, child(vol, "upperLimit"), child(vol, "upperLimitReference"), 1, &hi)) {
            dc__aip_refuse(a, item, f,
                           "has a vertical limit that is not a number with uom FL, FT "
                           "or M (or GND, UNL)");
            goto fail;
        }
        json_t *fp = NULL;
        const char *why = "has no horizontalProjection or centreline";
        const xmlNode *hp = child(vol, "horizontalProjection"), *cl = child(vol, "centreline");
        if (hp) {
            fp = projection(hp, &why);
        } else if (cl && child(vol, "width")) {
            double wd, um = uom_m(child(vol, "width"));
            dc__ring r = {0};
            const xmlNode *seg = find(cl, "segments");
            for (const xmlNode *s = seg ? seg->children : NULL; s; s = s->next)
                if (s->type == XML_ELEMENT_NODE && points(s, &r))
                    r.oom = 1;
            if (!num(child(vol, "width"), &wd) && um > 0 && wd > 0 && r.n >= 2 && !r.oom) {
                json_t *line = json_array();
                for (size_t i = 0; i < r.n; i++)
                    json_array_append_new(line,
                                          json_pack("[f, f]", r.p[i].lon_deg, r.p[i].lat_deg));
                fp = json_pack("{s:s, s:o, s:f}", "type", "LineString", "coordinates", line,
                               "half_width_m", wd * um / 2);
            } else {
                why = "has a centreline without points or a width";
            }
            dc__ring_free(&r);
        } else if (child(vol, "contributorAirspace")) {
            why = "is built from other airspaces (contributorAirspace), which is not imported";
        }
        if (!fp) {
            dc__aip_refuse(a, item, f, "%s", why);
            goto fail;
        }
        int rc = dc__aip_timed_volumes(a, vols, fp, lo, hi, v0, v1, w, nw);
        json_decref(fp);
        if (rc) {
            dc__aip_refuse(a, item, f, "more than %d volumes", DC_AIP_MAX_VOLUMES);
            goto fail;
        }
    }
    char full[200];
    snprintf(full, sizeof full, "%s (%s)", name[0] ? name : id, type);
    dc__aip_add(a, item, full, vols);
    return;
fail:
    json_decref(vols);
}

static void walk(dc__aip *a, const xmlNode *n, int *count)
{
    for (const xmlNode *c = n; c; c = c->next) {
        if (NM(c, "Airspace")) {
            airspace(a, c);
            (*count)++;
        } else if (c->children) {
            walk(a, c->children, count);
        }
    }
}

/* libxml2 must be initialised once before threads use it (the server
 * imports from its request threads). */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void)
{
    xmlInitParser();
}

dc_status dc__aixm_import(dc__aip *a, const char *buf, size_t len)
{
    pthread_once(&xml_once, xml_init);
    if (len > (size_t)1 << 30) {
        dc__aip_refuse(a, "aixm", "", "the file is larger than 1 GiB");
        return DC_OK;
    }
    xmlDoc *doc = xmlReadMemory(buf, (int)len, "aixm.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        char msg[200] = "";
        if (e && e->message) {
            snprintf(msg, sizeof msg, ": %s", e->message);
            msg[strcspn(msg, "\r\n")] = 0;
        }
        dc__aip_refuse(a, "aixm", "", "not well-formed XML%s", msg);
        return DC_OK;
    }
    int count = 0;
    walk(a, xmlDocGetRootElement(doc), &count);
    xmlFreeDoc(doc);
    if (!count)
        dc__aip_refuse(a, "aixm", "", "the file holds no Airspace feature");
    return DC_OK;
}
