/* Footprint-to-footprint distance (geo.h), in the PostGIS geography model:
 * nearest points are found on the sphere (great-circle edges, 3D unit
 * vectors), and the distance between them is the WGS84 geodesic (PROJ).
 * The decision `distance < limit` is taken from spherical bounds where they
 * already decide (the sphere/ellipsoid ratio lies in [RATIO_LO, RATIO_HI]) and
 * from one geodesic solution otherwise. No allocation anywhere here. */
#include <geodesic.h>
#include <math.h>
#include <pthread.h>

#include "geo/geo_int.h"

static struct geod_geodesic wgs84;
static pthread_once_t wgs84_once = PTHREAD_ONCE_INIT;

static void wgs84_init(void)
{
    geod_init(&wgs84, 6378137.0, 1 / 298.257223563);
}

double dc_geodesic_m(double lat1, double lon1, double lat2, double lon2)
{
    pthread_once(&wgs84_once, wgs84_init);
    double s12 = 0;
    geod_inverse(&wgs84, lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12;
}

static inline dc__vec3 cross(dc__vec3 a, dc__vec3 b)
{
    return (dc__vec3){a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
static inline double dot(dc__vec3 a, dc__vec3 b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}
static inline double chord2(dc__vec3 a, dc__vec3 b)
{
    double dx = a.x - b.x, dy = a.y - b.y, dz = a.z - b.z;
    return dx * dx + dy * dy + dz * dz;
}
static inline double angle(dc__vec3 a, dc__vec3 b)
{
    dc__vec3 c = cross(a, b);
    return atan2(sqrt(dot(c, c)), dot(a, b));
}

/* Normal of the great circle through a and b, robust for short arcs:
 * (a + b) x (b - a) = 2 (a x b), but b - a is exact for nearby points, so
 * the direction stays accurate where a x b cancels to noise (an arc of a
 * few centimetres otherwise gets a normal that is off by metres). */
static inline dc__vec3 robust_normal(dc__vec3 a, dc__vec3 b)
{
    dc__vec3 s = {a.x + b.x, a.y + b.y, a.z + b.z}, d = {b.x - a.x, b.y - a.y, b.z - a.z};
    return cross(s, d);
}

/* Angle from p to the arc a->b; *q receives the nearest point of the arc. */
static double point_arc(dc__vec3 p, dc__vec3 a, dc__vec3 b, dc__vec3 *q)
{
    dc__vec3 n = robust_normal(a, b);
    double nl = sqrt(dot(n, n));
    if (nl > 1e-15) {
        n = (dc__vec3){n.x / nl, n.y / nl, n.z / nl};
        double s = dot(p, n);
        dc__vec3 pr = {p.x - s * n.x, p.y - s * n.y, p.z - s * n.z};
        double pl = sqrt(dot(pr, pr));
        if (pl > 1e-15) {
            pr = (dc__vec3){pr.x / pl, pr.y / pl, pr.z / pl};
            if (dot(cross(a, pr), n) >= 0 && dot(cross(pr, b), n) >= 0) {
                *q = pr;
                return angle(p, pr);
            }
        }
    }
    double da = angle(p, a), db = angle(p, b);
    *q = da <= db ? a : b;
    return da <= db ? da : db;
}

/* Nonzero when arcs a->b and c->d (each < 180 degrees) properly cross: the
 * straddle tests decide, plus a check that both arcs meet at the same one of
 * the two antipodal intersection points. An endpoint within ~60 um of the
 * other arc's great circle counts as on it (not crossing): for nearly
 * collinear arcs the signs are rounding noise, and a false crossing would
 * report 0 for arcs metres apart. Such touching or grazing cases are left to
 * the point-arc distances, which then measure the true (tiny) distance. */
static int arcs_cross(dc__vec3 a, dc__vec3 b, dc__vec3 c, dc__vec3 d)
{
    const double eps = 1e-11; /* radians, relative to the normal's length */
    dc__vec3 n1 = robust_normal(a, b), n2 = robust_normal(c, d);
    double l1 = sqrt(dot(n1, n1)) * eps, l2 = sqrt(dot(n2, n2)) * eps;
    double sc = dot(n1, c), sd = dot(n1, d);
    if (!((sc > l1 && sd < -l1) || (sc < -l1 && sd > l1)))
        return 0;
    double sa = dot(n2, a), sb = dot(n2, b);
    if (!((sa > l2 && sb < -l2) || (sa < -l2 && sb > l2)))
        return 0;
    /* Each arc meets the other's circle at the intersection point nearer
     * its own midpoint; they cross only if that is the same point. */
    dc__vec3 x = cross(n1, n2);
    dc__vec3 ab = {a.x + b.x, a.y + b.y, a.z + b.z}, cd = {c.x + d.x, c.y + d.y, c.z + d.z};
    double s1 = dot(x, ab), s2 = dot(x, cd);
    return (s1 > 0) == (s2 > 0);
}

/* Point-in-polygon in the gnomonic plane (exact for great-circle edges). */
static int ring_contains(const dc_footprint *poly, dc__vec3 p)
{
    double d = dot(p, poly->center);
    if (d <= 0)
        return 0;
    double x = dot(p, poly->ge) / d, y = dot(p, poly->gn) / d;
    int in = 0;
    const double *g = poly->gxy;
    for (uint32_t i = 0, j = poly->n - 1; i < poly->n; j = i++) {
        double xi = g[2 * i], yi = g[2 * i + 1], xj = g[2 * j], yj = g[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            in = !in;
    }
    return in;
}

static inline dc__vec3 edge_end(const dc_footprint *f, uint32_t e)
{
    return f->xyz[e + 1 == f->n ? 0 : e + 1];
}

/* Search state: the spherical-angle bands that decide without a geodesic,
 * and the best geodesic found so far. */
typedef struct walk {
    double limit_m;      /* decide distance < limit_m; INFINITY = measure */
    double sure_rad;     /* angle below which the pair is surely within */
    double maybe_rad;    /* angle at or above which it surely is not */
    double prune_chord2; /* squared chord of maybe_rad, for cap pruning */
    double best_m;       /* smallest geodesic distance seen (measure mode) */
    int hit;
} walk;

static void walk_set(walk *w, double limit_m)
{
    w->limit_m = limit_m;
    w->sure_rad = limit_m / (DC__R_MEAN_M * DC__RATIO_HI);
    w->maybe_rad = limit_m / (DC__R_MEAN_M * DC__RATIO_LO);
    double c = w->maybe_rad >= M_PI ? 2.0 : 2 * sin(w->maybe_rad / 2);
    w->prune_chord2 = c * c;
    w->best_m = INFINITY;
    w->hit = 0;
}

/* Considers one nearest pair (p, q) at spherical angle th. Returns nonzero
 * when the answer is settled (within found in decide mode, or 0 distance). */
static int consider(walk *w, double th, dc__vec3 p, dc__vec3 q)
{
    if (th >= w->maybe_rad)
        return 0;
    if (th < w->sure_rad && isfinite(w->limit_m)) {
        w->hit = 1;
        return 1;
    }
    double la1, lo1, la2, lo2;
    dc__to_latlon(p, &la1, &lo1);
    dc__to_latlon(q, &la2, &lo2);
    double d = th == 0 ? 0 : dc_geodesic_m(la1, lo1, la2, lo2);
    if (d < w->best_m)
        w->best_m = d;
    if (isfinite(w->limit_m) && d < w->limit_m) {
        w->hit = 1;
        return 1;
    }
    if (!isfinite(w->limit_m)) {
        /* Measuring: shrink the band to what could still beat best_m. */
        w->maybe_rad = w->best_m / (DC__R_MEAN_M * DC__RATIO_LO);
        double c = w->maybe_rad >= M_PI ? 2.0 : 2 * sin(w->maybe_rad / 2);
        w->prune_chord2 = c * c;
        if (d == 0)
            return 1;
    }
    return 0;
}

/* Skips cap pairs that cannot hold anything nearer than maybe_rad. */
static inline int caps_far(const walk *w, dc__vec3 m1, double c1, dc__vec3 m2, double c2)
{
    double d = sqrt(chord2(m1, m2)) - c1 - c2;
    return d > 0 && d * d >= w->prune_chord2;
}

/* Walks every element pair of the two cores. Returns nonzero if settled. */
static int walk_cores(walk *w, const dc_footprint *a, const dc_footprint *b)
{
    dc__vec3 q;
    if (a->n_edges == 0 && b->n_edges == 0) {
        return consider(w, angle(a->xyz[0], b->xyz[0]), a->xyz[0], b->xyz[0]);
    }
    if (a->n_edges == 0 || b->n_edges == 0) {
        const dc_footprint *pt = a->n_edges == 0 ? a : b, *ln = a->n_edges == 0 ? b : a;
        dc__vec3 p = pt->xyz[0];
        for (uint32_t e = 0; e < ln->n_edges; e++) {
            if (caps_far(w, p, 0, ln->edges[e].mid, ln->edges[e].chord))
                continue;
            double th = point_arc(p, ln->xyz[e], edge_end(ln, e), &q);
            if (consider(w, th, p, q))
                return 1;
        }
        return 0;
    }
    for (uint32_t i = 0; i < a->n_edges; i++) {
        const dc__edgecap *ca = &a->edges[i];
        if (caps_far(w, ca->mid, ca->chord, b->center, b->cap_chord))
            continue;
        dc__vec3 a0 = a->xyz[i], a1 = edge_end(a, i);
        for (uint32_t j = 0; j < b->n_edges; j++) {
            const dc__edgecap *cb = &b->edges[j];
            if (caps_far(w, ca->mid, ca->chord, cb->mid, cb->chord))
                continue;
            dc__vec3 b0 = b->xyz[j], b1 = edge_end(b, j);
            if (arcs_cross(a0, a1, b0, b1)) {
                w->best_m = 0;
                w->hit = isfinite(w->limit_m) ? w->limit_m > 0 : 0;
                return 1;
            }
            if (consider(w, point_arc(a0, b0, b1, &q), a0, q) ||
                consider(w, point_arc(a1, b0, b1, &q), a1, q) ||
                consider(w, point_arc(b0, a0, a1, &q), b0, q) ||
                consider(w, point_arc(b1, a0, a1, &q), b1, q))
                return 1;
        }
    }
    return 0;
}

/* Zero distance by containment: one core's first vertex inside the other
 * polygon (with no crossing edges this decides containment). */
static int contained(const dc_footprint *a, const dc_footprint *b)
{
    return (a->kind == DC_FP_POLYGON && ring_contains(a, b->xyz[0])) ||
           (b->kind == DC_FP_POLYGON && ring_contains(b, a->xyz[0]));
}

int dc_footprint_within(const dc_footprint *a, const dc_footprint *b, double limit_m)
{
    double core_limit = limit_m + a->radius_m + b->radius_m;
    if (!(core_limit > 0))
        return 0;
    walk w;
    walk_set(&w, core_limit);
    if (caps_far(&w, a->center, a->cap_chord, b->center, b->cap_chord))
        return 0;
    if (contained(a, b))
        return 1;
    walk_cores(&w, a, b);
    return w.hit;
}

double dc_footprint_distance_m(const dc_footprint *a, const dc_footprint *b)
{
    if (contained(a, b))
        return 0;
    walk w;
    walk_set(&w, INFINITY);
    w.maybe_rad = INFINITY;
    w.prune_chord2 = INFINITY;
    w.limit_m = INFINITY;
    walk_cores(&w, a, b);
    double d = w.best_m - a->radius_m - b->radius_m;
    return d > 0 ? d : 0;
}
