/* Spatio-temporal grid index: an open-addressing hash table from a packed
 * cell key (lat row, lon column, time bucket) to a growable array of slot
 * ids. See grid_int.h for the contract. */
#include <math.h>
#include <string.h>

#include "index/grid_int.h"

#define TIMELESS_BUCKET 0x7fffffffLL
#define MAX_BUCKETS_PER_VOLUME 64

typedef struct cell {
    uint64_t key; /* 0 = empty */
    uint32_t *ids;
    uint32_t n, cap;
} cell;

struct dc__grid {
    double cell_deg;
    int64_t bucket_s;
    cell *cells;
    size_t n_cells, cap_cells; /* cap is a power of two; n_cells counts both tables */
    size_t id_bytes;
    /* Incremental growth: the previous table, emptied into cells MOVE_STEP
     * cells per cell_add, so no insertion rehashes every cell at once. */
    cell *old;
    size_t old_cap, old_next;
};

#define MOVED UINT64_MAX /* an old cell already moved (pack never makes it) */
#define MOVE_STEP 64

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static uint64_t pack(int32_t row, int32_t col, int64_t bucket)
{
    /* rows 0..359, cols 0..719 (0.5 deg) fit 12 bits each at coarser cells;
     * use 16 bits each and 31 bits of bucket; +1 keeps key 0 free. */
    return (((uint64_t)(uint16_t)row << 48) | ((uint64_t)(uint16_t)col << 32) |
            ((uint64_t)bucket & 0xffffffffULL)) +
           1;
}

dc__grid *dc__grid_new(double cell_deg, int64_t bucket_s)
{
    dc__grid *g = dc_calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->cell_deg = cell_deg;
    g->bucket_s = bucket_s;
    g->cap_cells = 1024;
    g->cells = dc_calloc(g->cap_cells, sizeof(cell));
    if (!g->cells) {
        dc_free(g);
        return NULL;
    }
    return g;
}

void dc__grid_free(dc__grid *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->cap_cells; i++)
        dc_free(g->cells[i].ids);
    for (size_t i = 0; g->old && i < g->old_cap; i++)
        dc_free(g->old[i].ids);
    dc_free(g->cells);
    dc_free(g->old);
    dc_free(g);
}

static cell *find_in(cell *cells, size_t cap, uint64_t key)
{
    size_t mask = cap - 1, i = mix(key) & mask;
    for (;;) {
        cell *c = &cells[i];
        if (c->key == key || c->key == 0)
            return c;
        i = (i + 1) & mask;
    }
}

/* The cell of key in either table, or NULL. */
static cell *find(const dc__grid *g, uint64_t key)
{
    cell *c = find_in(g->cells, g->cap_cells, key);
    if (c->key == key)
        return c;
    if (g->old && (c = find_in(g->old, g->old_cap, key))->key == key)
        return c;
    return NULL;
}

static void move_some(dc__grid *g, size_t count)
{
    for (; g->old && count; count--) {
        cell *o = &g->old[g->old_next];
        if (o->key && o->key != MOVED) {
            *find_in(g->cells, g->cap_cells, o->key) = *o;
            o->key = MOVED;
            o->ids = NULL;
        }
        if (++g->old_next == g->old_cap) {
            dc_free(g->old);
            g->old = NULL;
            g->old_cap = g->old_next = 0;
        }
    }
}

/* A table twice the size; the previous move is over by now (it needs
 * cap/MOVE_STEP insertions, the next growth cap*3/4): SIZE_MAX is a guard. */
static int grow(dc__grid *g)
{
    move_some(g, SIZE_MAX);
    size_t ncap = g->cap_cells * 2;
    cell *nc = dc_calloc(ncap, sizeof(cell));
    if (!nc)
        return -1;
    g->old = g->cells;
    g->old_cap = g->cap_cells;
    g->old_next = 0;
    g->cells = nc;
    g->cap_cells = ncap;
    return 0;
}

typedef struct range {
    int32_t r0, r1, c0, c1;
    int64_t b0, b1;
} range;

static int64_t floordiv(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static void cells_of(const dc__grid *g, const dc__box *b, range *r)
{
    r->r0 = (int32_t)floor((b->lat_min + 90.0) / g->cell_deg);
    r->r1 = (int32_t)floor((b->lat_max + 90.0) / g->cell_deg);
    r->c0 = (int32_t)floor((b->lon_min + 180.0) / g->cell_deg);
    r->c1 = (int32_t)floor((b->lon_max + 180.0) / g->cell_deg);
    int32_t rmax = (int32_t)(180.0 / g->cell_deg), cmax = (int32_t)(360.0 / g->cell_deg);
    if (r->r0 < 0)
        r->r0 = 0;
    if (r->r1 > rmax)
        r->r1 = rmax;
    if (r->c0 < 0)
        r->c0 = 0;
    if (r->c1 > cmax)
        r->c1 = cmax;
    r->b0 = floordiv(b->t_start_s, g->bucket_s);
    r->b1 = floordiv(b->t_end_s - 1, g->bucket_s);
    if (r->b1 < r->b0)
        r->b1 = r->b0;
    if (r->b1 - r->b0 >= MAX_BUCKETS_PER_VOLUME || r->b0 <= -TIMELESS_BUCKET ||
        r->b1 >= TIMELESS_BUCKET)
        r->b0 = r->b1 = TIMELESS_BUCKET;
}

static int cell_add(dc__grid *g, uint64_t key, uint32_t slot)
{
    cell *c = find(g, key);
    if (!c) {
        if ((g->n_cells + 1) * 4 > g->cap_cells * 3 && grow(g) != 0)
            return -1;
        c = find_in(g->cells, g->cap_cells, key); /* an empty cell */
    }
    if (c->n == c->cap) {
        uint32_t ncap = c->cap ? c->cap * 2 : 4;
        uint32_t *ni = dc_realloc(c->ids, ncap * sizeof *ni);
        if (!ni)
            return -1;
        g->id_bytes += (ncap - c->cap) * sizeof *ni;
        c->ids = ni;
        c->cap = ncap;
    }
    if (c->key == 0) {
        c->key = key;
        g->n_cells++;
    }
    c->ids[c->n++] = slot;
    move_some(g, MOVE_STEP); /* after: c may be an old cell that moves now */
    return 0;
}

static void cell_del(dc__grid *g, uint64_t key, uint32_t slot)
{
    cell *c = find(g, key);
    if (!c)
        return;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->ids[i] == slot) {
            c->ids[i] = c->ids[--c->n];
            return;
        }
}

dc_status dc__grid_insert(dc__grid *g, uint32_t slot, const dc__box *b)
{
    range r;
    cells_of(g, b, &r);
    for (int64_t t = r.b0; t <= r.b1; t++)
        for (int32_t i = r.r0; i <= r.r1; i++)
            for (int32_t j = r.c0; j <= r.c1; j++)
                if (cell_add(g, pack(i, j, t), slot) != 0) {
                    dc__grid_remove(g, slot, b); /* undo the cells added */
                    return DC_ENOMEM;
                }
    return DC_OK;
}

void dc__grid_remove(dc__grid *g, uint32_t slot, const dc__box *b)
{
    range r;
    cells_of(g, b, &r);
    for (int64_t t = r.b0; t <= r.b1; t++)
        for (int32_t i = r.r0; i <= r.r1; i++)
            for (int32_t j = r.c0; j <= r.c1; j++)
                cell_del(g, pack(i, j, t), slot);
}

size_t dc__grid_memory_bytes(const dc__grid *g)
{
    return sizeof *g + (g->cap_cells + g->old_cap) * sizeof(cell) + g->id_bytes;
}

static int visit_cell(const dc__grid *g, uint64_t key, uint32_t *seen, uint32_t stamp,
                      dc__grid_fn fn, void *ctx)
{
    const cell *c = find(g, key);
    if (!c)
        return 0;
    for (uint32_t k = 0; k < c->n; k++) {
        uint32_t s = c->ids[k];
        if (seen[s] == stamp)
            continue;
        seen[s] = stamp;
        if (fn(ctx, s))
            return 1;
    }
    return 0;
}

void dc__grid_query(const dc__grid *g, const dc__box *q, uint32_t *seen, uint32_t stamp,
                    dc__grid_fn fn, void *ctx)
{
    range r;
    cells_of(g, q, &r);
    int timeless_done = 0;
    if (r.b0 != TIMELESS_BUCKET) {
        for (int64_t t = r.b0; t <= r.b1; t++)
            for (int32_t i = r.r0; i <= r.r1; i++)
                for (int32_t j = r.c0; j <= r.c1; j++)
                    if (visit_cell(g, pack(i, j, t), seen, stamp, fn, ctx))
                        return;
    } else {
        /* A query spanning many buckets (rare: long restrictions, notices
         * over a long range) visits the timeless layer and every bucket. */
        timeless_done = 0;
        for (size_t k = 0; k < g->cap_cells + g->old_cap; k++) {
            const cell *c = k < g->cap_cells ? &g->cells[k] : &g->old[k - g->cap_cells];
            if (!c->key || c->key == MOVED)
                continue;
            uint64_t raw = c->key - 1;
            int32_t i = (int32_t)(raw >> 48), j = (int32_t)((raw >> 32) & 0xffff);
            if (i < r.r0 || i > r.r1 || j < r.c0 || j > r.c1)
                continue;
            if (visit_cell(g, c->key, seen, stamp, fn, ctx))
                return;
        }
        timeless_done = 1;
    }
    if (!timeless_done)
        for (int32_t i = r.r0; i <= r.r1; i++)
            for (int32_t j = r.c0; j <= r.c1; j++)
                if (visit_cell(g, pack(i, j, TIMELESS_BUCKET), seen, stamp, fn, ctx))
                    return;
}
