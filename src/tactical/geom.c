/* Pair geometry of tactical detection. Each pair is solved in an azimuthal
 * equidistant frame at one aircraft: the other's position there is the WGS84
 * surface chord projected on the tangent plane and stretched to arc length
 * (within 1e-4 of the geodesic at 500 km), its velocity is rotated into that
 * plane. Motion is then linear (BlueSky state-based detection). No allocation. */
#include <math.h>

#include "tactical/tactical_int.h"

#define WGS84_A 6378137.0
#define WGS84_F (1 / 298.257223563)
#define WGS84_E2 (WGS84_F * (2 - WGS84_F))
#define MEAN_RADIUS_M 6371008.8
#define DEG (M_PI / 180.0)

void dc__tac_kin_init(dc__tac_kin *k, const dc_track_report *r, uint32_t slot, double now_s)
{
    double phi = r->lat_deg * DEG, lam = r->lon_deg * DEG;
    double sp = sin(phi), cp = cos(phi), sl = sin(lam), cl = cos(lam);
    double nrad = WGS84_A / sqrt(1 - WGS84_E2 * sp * sp);
    k->p[0] = nrad * cp * cl;
    k->p[1] = nrad * cp * sl;
    k->p[2] = nrad * (1 - WGS84_E2) * sp;
    k->e[0] = -sl;
    k->e[1] = cl;
    k->e[2] = 0;
    k->n[0] = -sp * cl;
    k->n[1] = -sp * sl;
    k->n[2] = cp;
    double trk = r->track_deg * DEG;
    k->gs_mps = r->ground_speed_mps;
    k->v_east_mps = r->ground_speed_mps * sin(trk);
    k->v_north_mps = r->ground_speed_mps * cos(trk);
    for (int i = 0; i < 3; i++)
        k->vel[i] = k->v_east_mps * k->e[i] + k->v_north_mps * k->n[i];
    k->dt_s = now_s - r->time_s;
    k->vz_mps = r->vertical_rate_mps;
    k->alt_now_m = r->alt_m + r->vertical_rate_mps * k->dt_s;
    k->lat_deg = r->lat_deg;
    k->lon_deg = r->lon_deg;
    k->track_deg = r->track_deg;
    k->op = r->operator_number;
    k->slot = slot;
}

static inline double dot3(const double *a, const double *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* b's report point in a's azimuthal equidistant frame (east, north metres). */
static inline void frame_xy(const dc__tac_kin *a, const dc__tac_kin *b, double *x, double *y)
{
    double r[3] = {b->p[0] - a->p[0], b->p[1] - a->p[1], b->p[2] - a->p[2]};
    double xe = dot3(r, a->e), yn = dot3(r, a->n);
    double h2 = xe * xe + yn * yn;
    if (!(h2 > 0)) {
        *x = *y = 0;
        return;
    }
    /* Arc = chord (1 + chord^2 / 24R^2); the normal section's azimuth at a
     * is the projected chord's, so only the length is stretched. */
    double c2 = dot3(r, r);
    double s = sqrt(c2) * (1 + c2 / (24 * MEAN_RADIUS_M * MEAN_RADIUS_M));
    double k = s / sqrt(h2);
    *x = xe * k;
    *y = yn * k;
}

/* b's horizontal velocity in a's frame: projected, then restored to b's
 * ground speed (a rotation of b's tangent plane onto a's). */
static inline void frame_vel(const dc__tac_kin *a, const dc__tac_kin *b, double *vx, double *vy)
{
    double x = dot3(b->vel, a->e), y = dot3(b->vel, a->n);
    double m2 = x * x + y * y;
    if (m2 > 0) {
        double k = b->gs_mps / sqrt(m2);
        x *= k;
        y *= k;
    }
    *vx = x;
    *vy = y;
}

/* Relative position of b at now in a's frame. */
static inline void rel_now(const dc__tac_kin *a, const dc__tac_kin *b, double *rx, double *ry,
                           double *ux, double *uy)
{
    double x, y, vbx, vby;
    frame_xy(a, b, &x, &y);
    frame_vel(a, b, &vbx, &vby);
    *rx = x + vbx * b->dt_s - a->v_east_mps * a->dt_s;
    *ry = y + vby * b->dt_s - a->v_north_mps * a->dt_s;
    *ux = vbx - a->v_east_mps;
    *uy = vby - a->v_north_mps;
}

#define TINY_SPEED2 1e-12

int dc__tac_cpa(const dc__tac_kin *a, const dc__tac_kin *b, const dc_tactical_params *p,
                dc__tac_hit *h)
{
    /* Vertical interval (open) where |dz + uz t| < v_m. */
    double dz = b->alt_now_m - a->alt_now_m, uz = b->vz_mps - a->vz_mps;
    double v1, v2;
    if (fabs(uz) < 1e-9) {
        if (!(fabs(dz) < p->v_m))
            return 0;
        v1 = -HUGE_VAL;
        v2 = HUGE_VAL;
    } else {
        v1 = (-p->v_m - dz) / uz;
        v2 = (p->v_m - dz) / uz;
        if (v1 > v2) {
            double t = v1;
            v1 = v2;
            v2 = t;
        }
        if (!(v1 < v2) || v2 <= 0 || v1 >= p->lookahead_s)
            return 0;
    }
    /* Horizontal interval (open) where |r + u t| < h_m. */
    double rx, ry, ux, uy;
    rel_now(a, b, &rx, &ry, &ux, &uy);
    double u2 = ux * ux + uy * uy, rdotu = rx * ux + ry * uy;
    double c = rx * rx + ry * ry - p->h_m * p->h_m;
    double h1, h2;
    if (u2 < TINY_SPEED2) {
        if (!(c < 0))
            return 0;
        h1 = -HUGE_VAL;
        h2 = HUGE_VAL;
    } else {
        double disc = rdotu * rdotu - u2 * c;
        if (!(disc > 0))
            return 0;
        double sq = sqrt(disc);
        h1 = (-rdotu - sq) / u2;
        h2 = (-rdotu + sq) / u2;
    }
    double lo = h1 > v1 ? h1 : v1, hi = h2 < v2 ? h2 : v2;
    if (!(lo < hi) || hi <= 0 || lo >= p->lookahead_s)
        return 0;
    h->t_in_s = lo > 0 ? lo : 0;
    h->t_out_s = hi;
    h->los_now = lo < 0;
    double tc = u2 < TINY_SPEED2 ? 0 : -rdotu / u2;
    if (tc < 0)
        tc = 0;
    h->t_cpa_s = tc;
    h->d_cpa_m = hypot(rx + ux * tc, ry + uy * tc);
    return 1;
}

void dc__tac_relative(const dc__tac_kin *self, const dc__tac_kin *other, const dc__tac_hit *h,
                      dc_relative *out)
{
    double rx, ry, ux, uy;
    rel_now(self, other, &rx, &ry, &ux, &uy);
    double brg = atan2(rx, ry) / DEG;
    if (brg < 0)
        brg += 360;
    if (brg >= 360)
        brg -= 360;
    out->bearing_deg = brg;
    out->distance_m = hypot(rx, ry);
    out->rel_alt_m = other->alt_now_m - self->alt_now_m;
    out->t_cpa_s = h->t_cpa_s;
    out->d_cpa_m = h->d_cpa_m;
}

void dc_tactical_local_polar(double lat_a_deg, double lon_a_deg, double lat_b_deg, double lon_b_deg,
                             double *distance_m, double *bearing_deg)
{
    dc_track_report ra = {.lat_deg = lat_a_deg, .lon_deg = lon_a_deg};
    dc_track_report rb = {.lat_deg = lat_b_deg, .lon_deg = lon_b_deg};
    dc__tac_kin a, b;
    dc__tac_kin_init(&a, &ra, 0, 0);
    dc__tac_kin_init(&b, &rb, 1, 0);
    dc__tac_hit h = {0};
    dc_relative rel;
    dc__tac_relative(&a, &b, &h, &rel);
    if (distance_m)
        *distance_m = rel.distance_m;
    if (bearing_deg)
        *bearing_deg = rel.bearing_deg;
}

int dc_tactical_pair(const dc_tactical_params *p, const dc_track_report *a,
                     const dc_track_report *b, dc_tactical_conflict *out)
{
    double now = a->time_s > b->time_s ? a->time_s : b->time_s;
    dc__tac_kin ka, kb;
    dc__tac_kin_init(&ka, a, 0, now);
    dc__tac_kin_init(&kb, b, 1, now);
    dc__tac_hit h;
    if (!dc__tac_cpa(&ka, &kb, p, &h))
        return 0;
    if (out) {
        out->a = (dc_track_ref){a->operator_number, a->track_id, a->operation_id, 1};
        out->b = (dc_track_ref){b->operator_number, b->track_id, b->operation_id, 1};
        out->t_in_s = h.t_in_s;
        out->t_out_s = h.t_out_s;
        out->t_cpa_s = h.t_cpa_s;
        out->d_cpa_m = h.d_cpa_m;
        out->los_now = h.los_now;
        dc__tac_relative(&ka, &kb, &h, &out->seen_by_a);
        dc__tac_relative(&kb, &ka, &h, &out->seen_by_b);
    }
    return 1;
}
