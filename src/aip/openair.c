/* OpenAir (the airspace text format of gliding and drone devices) to
 * restrictions. Supported: AC, AN, AH, AL, AA (activation windows), DP, V X=,
 * V D=, DA (arc by radius and angles), DB (arc between two points), DC
 * (circle); AY, AF, AG, AX, SP, SB, AT, V Z= are read and ignored (AX
 * must be a squawk in octal); DY (airway points) with V W= (its full width,
 * NM) becomes a corridor.
 * Arcs become chords within DC_AIP_CHORD_ERROR_M of the true arc (vertices on
 * the arc, on the WGS84 ellipsoid); a lone DC stays an exact circle. Items
 * are "openair:<AN>", with "#k" from the second airspace of the same name. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aip/aip_int.h"

typedef struct oa_air {
    int open, line;
    char name[200];
    char item[240];
    int has_ah, has_al, n_ah, n_al, bad;
    double lo_m, hi_m;
    dc__ring ring;
    int circle, n_elems;
    dc_latlon circle_c;
    double circle_r;
    dc_latlon centre;
    int have_centre, cw;
    int64_t win[DC_AIP_MAX_VOLUMES][2];
    int n_win, by_notam;
    double width_nm; /* V W=: an airway's full width */
    dc__ring airway; /* DY points */
} oa_air;

static void refuse(dc__aip *a, oa_air *s, const char *field, const char *why)
{
    if (s->bad)
        return;
    s->bad = 1;
    dc__aip_refuse(a, s->item[0] ? s->item : "openair", field, "%s", why);
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* One coordinate half: "54:25:00 N", "29:58.917 N", "54:25:00N", "265644.00N"
 * (packed DDMMSS / DDDMMSS). Returns the position after the hemisphere or
 * NULL. */
static const char *parse_half(const char *p, int is_lon, double *out)
{
    double part[3] = {0, 0, 0};
    int n = 0;
    p = skip_ws(p);
    const char *start = p;
    while (n < 3) {
        char *end;
        if (!isdigit((unsigned char)*p))
            return NULL;
        errno = 0;
        part[n++] = strtod(p, &end);
        if (errno || end == p)
            return NULL;
        p = end;
        if (*p != ':')
            break;
        p++;
    }
    p = skip_ws(p);
    char h = (char)toupper((unsigned char)*p);
    if (is_lon ? (h != 'E' && h != 'W') : (h != 'N' && h != 'S'))
        return NULL;
    if (n == 1 && !strchr(start, ':')) { /* packed D(D)DMMSS(.ss) */
        double v = part[0];
        double deg = floor(v / 10000), rest = v - deg * 10000;
        double min = floor(rest / 100), sec = rest - min * 100;
        if (v >= 1000) {
            part[0] = deg;
            part[1] = min;
            part[2] = sec;
        }
    }
    if (part[1] >= 60 || part[2] >= 60 || part[1] < 0 || part[2] < 0)
        return NULL;
    double d = part[0] + part[1] / 60 + part[2] / 3600;
    if (d > (is_lon ? 180 : 90))
        return NULL;
    *out = (h == 'S' || h == 'W') ? -d : d;
    return p + 1;
}

static const char *parse_coord(const char *p, dc_latlon *out)
{
    p = parse_half(p, 0, &out->lat_deg);
    if (p) {
        p = skip_ws(p);
        if (*p == ',')
            p++;
        p = parse_half(p, 1, &out->lon_deg);
    }
    return p;
}

/* "FL95", "FL 95", "2200ft AMSL", "500FT AGL", "3000m AMSL", "GND", "SFC",
 * "UNL", "UNLIM", "1000 MSL" (feet by default). */
static int parse_limit(dc__aip *a, const char *p, int upper, double *out)
{
    char up[64];
    size_t n = 0;
    for (p = skip_ws(p); *p && n + 1 < sizeof up; p++)
        up[n++] = (char)toupper((unsigned char)*p);
    while (n && isspace((unsigned char)up[n - 1]))
        n--;
    up[n] = 0;
    if (!strcmp(up, "GND") || !strcmp(up, "SFC") || !strcmp(up, "0")) {
        *out = 0;
        return 0;
    }
    if (!strncmp(up, "UNL", 3)) {
        *out = DC_AIP_UNLIMITED_M;
        return 0;
    }
    double unit = DC__FT_M;
    dc__vref ref = DC__AMSL;
    const char *q = up;
    if (!strncmp(q, "FL", 2)) {
        q = skip_ws(q + 2);
        unit = 100 * DC__FT_M;
        ref = DC__STD;
    }
    char *end;
    errno = 0;
    double v = strtod(q, &end);
    if (end == q || errno || !isfinite(v) || v < 0 || v > 1e6)
        return -1;
    q = skip_ws(end);
    if (ref != DC__STD) {
        if (!strncmp(q, "FT", 2) || !strncmp(q, "F ", 2) || !strcmp(q, "F")) {
            q += q[1] == 'T' ? 2 : 1;
        } else if (*q == 'M' && (q[1] == ' ' || !q[1])) {
            unit = 1;
            q++;
        }
        q = skip_ws(q);
        if (!strcmp(q, "AGL") || !strcmp(q, "GND") || !strcmp(q, "SFC") || !strcmp(q, "ASFC"))
            ref = DC__AGL;
        else if (*q && strcmp(q, "AMSL") && strcmp(q, "MSL") && strcmp(q, "ALT"))
            return -1;
    } else if (*q) {
        return -1;
    }
    *out = dc__aip_alt_m(a, v, unit, ref, upper);
    return 0;
}

static void air_reset(oa_air *s)
{
    dc__ring_free(&s->ring);
    dc__ring_free(&s->airway);
    memset(s, 0, sizeof *s);
    s->cw = 1;
}

/* Closes the current airspace: validates and adds it. */
static void air_finish(dc__aip *a, oa_air *s, json_t *names)
{
    if (!s->open)
        return;
    if (!s->item[0])
        snprintf(s->item, sizeof s->item, "openair:line %d", s->line);
    if (!s->name[0])
        refuse(a, s, "AN", "the airspace has no name (AN)");
    if (!s->has_ah || !s->has_al)
        refuse(a, s, s->has_ah ? "AL" : "AH", "the airspace needs both AL and AH");
    else if (s->lo_m > s->hi_m)
        refuse(a, s, "AL", "the floor (AL) is above the ceiling (AH)");
    if (s->n_ah > 1 || s->n_al > 1)
        refuse(a, s, s->n_ah > 1 ? "AH" : "AL", "the limit is given twice");
    if (s->ring.oom)
        a->oom = 1;
    json_t *fp = NULL;
    if (!s->bad && s->airway.n) {
        if (s->n_elems || s->airway.oom)
            refuse(a, s, "DY", "an airway (DY) cannot be combined with DP, DA, DB or DC");
        else if (s->airway.n < 2)
            refuse(a, s, "DY", "an airway needs at least 2 points");
        else if (!(s->width_nm > 0))
            refuse(a, s, "V W", "an airway needs its width (V W=, nautical miles) before DY");
        else {
            json_t *line = json_array();
            for (size_t i = 0; i < s->airway.n; i++)
                json_array_append_new(
                    line, json_pack("[f, f]", s->airway.p[i].lon_deg, s->airway.p[i].lat_deg));
            /* V W= is the full width: the corridor extends half of it each side */
            fp = json_pack("{s:s, s:o, s:f}", "type", "LineString", "coordinates", line,
                           "half_width_m", s->width_nm * DC__NM_M / 2);
        }
    } else if (!s->bad) {
        if (s->circle && s->n_elems == 1)
            fp = dc__circle_footprint(s->circle_c, s->circle_r);
        else if (s->circle)
            refuse(a, s, "DC", "a circle (DC) cannot be combined with other boundary elements");
        else if (!(fp = dc__ring_polygon(&s->ring)))
            refuse(a, s, "DP", "the boundary needs at least 3 distinct points");
    }
    if (!s->bad) {
        json_t *vols = json_array();
        int64_t t0 = a->opt->t_start_s, t1 = a->opt->t_end_s;
        if (!s->n_win) {
            json_array_append_new(vols, dc__aip_volume(json_incref(fp), s->lo_m, s->hi_m, t0, t1));
        } else {
            for (int i = 0; i < s->n_win; i++)
                json_array_append_new(vols, dc__aip_volume(json_incref(fp), s->lo_m, s->hi_m,
                                                           s->win[i][0], s->win[i][1]));
        }
        dc__aip_add(a, s->item, s->name, vols);
    }
    json_decref(fp);
    (void)names;
    air_reset(s);
}

/* "2025-01-01T12:00Z/2025-01-01T13:00Z", either side may be NONE. */
static int parse_window(dc__aip *a, const char *p, int64_t *t0, int64_t *t1)
{
    char buf[96];
    snprintf(buf, sizeof buf, "%s", skip_ws(p));
    buf[strcspn(buf, " \t\r\n")] = 0;
    char *slash = strchr(buf, '/');
    if (!slash)
        return -1;
    *slash = 0;
    const char *x = buf, *y = slash + 1;
    char tx[48], ty[48];
    /* "YYYY-MM-DDTHH:MMZ": add seconds for RFC 3339 */
    if (strlen(x) == 17 && x[16] == 'Z') {
        snprintf(tx, sizeof tx, "%.16s:00Z", x);
        x = tx;
    }
    if (strlen(y) == 17 && y[16] == 'Z') {
        snprintf(ty, sizeof ty, "%.16s:00Z", y);
        y = ty;
    }
    if (!strcmp(x, "NONE"))
        *t0 = 0; /* active since ever: the window starts at 1970 */
    else if (dc_time_parse(x, 0, t0) != DC_OK)
        return -1;
    if (!strcmp(y, "NONE")) /* open-ended: until the import's end, at least a day */
        *t1 = a->opt->t_end_s > *t0 + 86400 ? a->opt->t_end_s : *t0 + 86400;
    else if (dc_time_parse(y, 1, t1) != DC_OK)
        return -1;
    if (!strcmp(x, "NONE") && !strcmp(y, "NONE"))
        return -1;
    return *t0 < *t1 ? 0 : -1;
}

static void handle(dc__aip *a, oa_air *s, char *line, int lineno, json_t *names)
{
    char cmd[3] = {0};
    char *star = strchr(line, '*');
    if (star)
        *star = 0;
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
        line[--n] = 0;
    const char *p = skip_ws(line);
    if (!*p)
        return;
    cmd[0] = (char)toupper((unsigned char)p[0]);
    cmd[1] = (char)toupper((unsigned char)p[1]);
    const char *arg = skip_ws(p + 2);
    if (!strcmp(cmd, "AC")) {
        air_finish(a, s, names);
        s->open = 1;
        s->line = lineno;
        return;
    }
    if (!s->open) {
        char item[40];
        snprintf(item, sizeof item, "openair:line %d", lineno);
        dc__aip_refuse(a, item, cmd, "comes before any AC (airspace class)");
        return;
    }
    if (!strcmp(cmd, "AN")) {
        snprintf(s->name, sizeof s->name, "%s", arg);
        /* the k-th airspace of the same name gets "#k" */
        json_int_t k = json_integer_value(json_object_get(names, s->name)) + 1;
        json_object_set_new(names, s->name, json_integer(k));
        if (k > 1)
            snprintf(s->item, sizeof s->item, "openair:%s#%lld", s->name, (long long)k);
        else
            snprintf(s->item, sizeof s->item, "openair:%s", s->name);
        for (char *c = s->item; *c; c++) /* the source is one word */
            if (*c == ' ')
                *c = '_';
    } else if (!strcmp(cmd, "AH") || !strcmp(cmd, "AL")) {
        int upper = cmd[1] == 'H';
        double m;
        if (parse_limit(a, arg, upper, &m)) {
            refuse(a, s, cmd, "is not a limit (like FL95, 2500ft AMSL, 500ft AGL, GND, UNL)");
            return;
        }
        if (upper) {
            s->hi_m = m;
            s->has_ah = 1;
            s->n_ah++;
        } else {
            s->lo_m = m;
            s->has_al = 1;
            s->n_al++;
        }
    } else if (!strcmp(cmd, "AA")) {
        int64_t t0, t1;
        int none = !strncmp(arg, "NONE", 4) && !arg[4];
        if (none || s->by_notam) {
            /* "AA NONE": activated by NOTAM, so in force for the whole
             * import window (it may be activated at any time) */
            if (s->n_win || (s->by_notam && !none) || (none && s->by_notam))
                refuse(a, s, "AA", "AA NONE (by NOTAM) cannot be combined with other AA lines");
            s->by_notam = 1;
        } else if (parse_window(a, arg, &t0, &t1)) {
            refuse(a, s, "AA",
                   "is not an activation window START/END (RFC 3339 or NONE, "
                   "start before end)");
        } else if (s->n_win == DC_AIP_MAX_VOLUMES) {
            refuse(a, s, "AA", "too many activation windows");
        } else {
            s->win[s->n_win][0] = t0;
            s->win[s->n_win][1] = t1;
            s->n_win++;
        }
    } else if (!strcmp(cmd, "AX")) {
        if (strlen(arg) != 4 || strspn(arg, "01234567") != 4)
            refuse(a, s, "AX", "is not a transponder code (four octal digits)");
    } else if (!strcmp(cmd, "DP")) {
        dc_latlon c;
        const char *e = parse_coord(arg, &c);
        if (!e || *skip_ws(e))
            refuse(a, s, "DP", "is not a coordinate (like 54:25:00 N 010:40:00 E)");
        else {
            dc__ring_add(&s->ring, c.lat_deg, c.lon_deg);
            s->n_elems++;
        }
    } else if (cmd[0] == 'V') {
        const char *q = skip_ws(p + 1);
        char k = (char)toupper((unsigned char)*q);
        q = skip_ws(q + 1);
        if (*q != '=') {
            refuse(a, s, "V", "is not a variable assignment (V X=..., V D=+)");
            return;
        }
        q = skip_ws(q + 1);
        if (k == 'X') {
            const char *e = parse_coord(q, &s->centre);
            if (!e || *skip_ws(e))
                refuse(a, s, "V X", "is not a coordinate");
            else
                s->have_centre = 1;
        } else if (k == 'D') {
            if (*q == '+')
                s->cw = 1;
            else if (*q == '-')
                s->cw = 0;
            else
                refuse(a, s, "V D", "must be + or -");
        } else if (k == 'W') {
            char *e;
            double w = strtod(q, &e);
            if (e == q || *skip_ws(e) || !isfinite(w) || w <= 0 || w > 100)
                refuse(a, s, "V W", "is not an airway width in nautical miles");
            else
                s->width_nm = w;
        } /* Z (drawing step), T: ignored */
    } else if (!strcmp(cmd, "DC")) {
        char *e;
        double r = strtod(arg, &e);
        if (!s->have_centre)
            refuse(a, s, "DC", "needs a centre (V X=) before it");
        else if (e == arg || *skip_ws(e) || !isfinite(r) || r <= 0 || r > 500)
            refuse(a, s, "DC", "is not a radius in nautical miles");
        else {
            s->circle = 1;
            s->circle_c = s->centre;
            s->circle_r = r * DC__NM_M;
            s->n_elems++;
        }
    } else if (!strcmp(cmd, "DA")) {
        double r, a0, a1;
        char tail;
        if (!s->have_centre)
            refuse(a, s, "DA", "needs a centre (V X=) before it");
        else if (sscanf(arg, "%lf , %lf , %lf %c", &r, &a0, &a1, &tail) != 3 || !isfinite(r) ||
                 !isfinite(a0) || !isfinite(a1) || r <= 0 || r > 500)
            refuse(a, s, "DA", "is not RADIUS_NM, START_DEG, END_DEG");
        else {
            dc__ring_arc(&s->ring, s->centre, r * DC__NM_M, a0, a1, s->cw, 0);
            s->n_elems++;
        }
    } else if (!strcmp(cmd, "DB")) {
        dc_latlon x, y;
        const char *e = parse_coord(arg, &x);
        if (e) {
            e = skip_ws(e);
            e = *e == ',' ? parse_coord(e + 1, &y) : NULL;
        }
        if (!s->have_centre)
            refuse(a, s, "DB", "needs a centre (V X=) before it");
        else if (!e || *skip_ws(e))
            refuse(a, s, "DB", "is not two coordinates separated by a comma");
        else {
            double r0, r1, az0, az1;
            dc__geo_inverse(s->centre, x, &r0, &az0);
            dc__geo_inverse(s->centre, y, &r1, &az1);
            /* Published arcs join points whose distances from the centre
             * differ a little; the radius of the start is used, the end
             * point is kept exactly. */
            dc__ring_arc(&s->ring, s->centre, r0, az0, az1, s->cw, 0);
            if (s->ring.n)
                s->ring.n--; /* replace the computed end by the published one */
            dc__ring_add(&s->ring, y.lat_deg, y.lon_deg);
            s->n_elems++;
        }
    } else if (!strcmp(cmd, "DY")) {
        dc_latlon c;
        const char *e = parse_coord(arg, &c);
        if (!e || *skip_ws(e))
            refuse(a, s, "DY", "is not a coordinate");
        else
            dc__ring_add(&s->airway, c.lat_deg, c.lon_deg);
    } /* AY, AF, AG, AT, SP, SB, AI and others: not airspace geometry */
}

dc_status dc__openair_import(dc__aip *a, const char *buf, size_t len)
{
    oa_air s;
    memset(&s, 0, sizeof s);
    s.cw = 1;
    json_t *names = json_object();
    if (!names)
        return DC_ENOMEM;
    char line[1024];
    int lineno = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && buf[j] != '\n')
            j++;
        size_t n = j - i;
        lineno++;
        if (n >= sizeof line) {
            char item[40];
            snprintf(item, sizeof item, "openair:line %d", lineno);
            dc__aip_refuse(a, item, "", "the line is longer than %zu bytes", sizeof line - 1);
        } else {
            memcpy(line, buf + i, n);
            line[n] = 0;
            if (n && line[n - 1] == '\r')
                line[n - 1] = 0;
            handle(a, &s, line, lineno, names);
        }
        i = j + 1;
    }
    air_finish(a, &s, names);
    dc__ring_free(&s.ring);
    dc__ring_free(&s.airway);
    json_decref(names);
    if (!json_array_size(a->res->restrictions) && !json_array_size(a->res->refused))
        dc__aip_refuse(a, "openair", "", "the file holds no airspace (AC)");
    return DC_OK;
}
