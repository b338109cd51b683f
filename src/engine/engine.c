/* The strategic engine (engine.h): entries (operations and restrictions)
 * with their volumes, a slot per stored volume holding its box, altitude and
 * time, the grid index over slots, and the exact check of docs/design.md section 3.
 * Invariant: every live slot is in the grid under exactly its box. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "deconflict/engine.h"
#include "geo/geo_int.h"
#include "index/grid_int.h"

#define CELL_DEG 0.5
#define BUCKET_S (4 * 3600)

typedef struct entry {
    char *id;
    uint32_t owner;
    int is_restriction;
    int priority;
    uint32_t *exempt;
    uint32_t n_exempt;
    uint32_t n_vols;
    dc_volume *vols;
    uint32_t *slots;
} entry;

typedef struct slot {
    dc__box box; /* whole footprint bbox and time window */
    double alt_lower_m, alt_upper_m;
    entry *e; /* NULL when free */
    uint32_t vol;
    uint32_t next_free;
} slot;

struct dc_engine {
    dc__grid *grid;
    slot *slots;
    uint32_t *seen;
    uint32_t n_slots, cap_slots, free_head, stamp;
    entry **map; /* open addressing by id; tombstones = TOMB */
    size_t map_cap, map_used, n_entries, n_volumes, bytes;
    /* Incremental growth: the previous table, emptied into map MOVE_STEP
     * slots per add or remove, so no single call rehashes every entry (a
     * 36 ms stall under the server's mutex at 49,152 operations). */
    entry **old_map;
    size_t old_cap, old_next;
};

#define MOVE_STEP 64

static entry tomb_entry;
#define TOMB (&tomb_entry)
#define NO_SLOT UINT32_MAX

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

dc_engine *dc_engine_new(void)
{
    dc_engine *e = dc_calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->grid = dc__grid_new(CELL_DEG, BUCKET_S);
    e->map_cap = 64;
    e->map = dc_calloc(e->map_cap, sizeof *e->map);
    e->free_head = NO_SLOT;
    if (!e->grid || !e->map) {
        dc_engine_free(e);
        return NULL;
    }
    return e;
}

static void entry_free(entry *en)
{
    if (!en || en == TOMB)
        return;
    for (uint32_t i = 0; i < en->n_vols; i++)
        dc_volume_clear(&en->vols[i]);
    dc_free(en->vols);
    dc_free(en->slots);
    dc_free(en->exempt);
    dc_free(en->id);
    dc_free(en);
}

void dc_engine_free(dc_engine *e)
{
    if (!e)
        return;
    if (e->map)
        for (size_t i = 0; i < e->map_cap; i++)
            entry_free(e->map[i]);
    if (e->old_map)
        for (size_t i = 0; i < e->old_cap; i++)
            entry_free(e->old_map[i]);
    dc_free(e->map);
    dc_free(e->old_map);
    dc_free(e->slots);
    dc_free(e->seen);
    dc__grid_free(e->grid);
    dc_free(e);
}

static entry **map_find(entry **map, size_t cap, const char *id, entry ***tomb)
{
    size_t mask = cap - 1, i = hash_str(id) & mask;
    if (tomb)
        *tomb = NULL;
    for (;;) {
        entry **p = &map[i];
        if (*p == NULL)
            return p;
        if (*p == TOMB) {
            if (tomb && !*tomb)
                *tomb = p;
        } else if (!strcmp((*p)->id, id)) {
            return p;
        }
        i = (i + 1) & mask;
    }
}

/* The slot holding id in either table, or NULL. */
static entry **map_lookup(const dc_engine *e, const char *id)
{
    entry **p = map_find(e->map, e->map_cap, id, NULL);
    if (!*p && e->old_map)
        p = map_find(e->old_map, e->old_cap, id, NULL);
    return *p ? p : NULL;
}

static void map_insert(dc_engine *e, entry *en)
{
    entry **tomb, **p = map_find(e->map, e->map_cap, en->id, &tomb);
    if (tomb)
        p = tomb;
    else
        e->map_used++;
    *p = en;
}

/* Moves up to `count` slots of the old table into the new one; a moved
 * slot becomes TOMB so the old table's probe chains still hold. */
static void map_move(dc_engine *e, size_t count)
{
    for (; e->old_map && count; count--) {
        entry **o = &e->old_map[e->old_next];
        if (*o && *o != TOMB) {
            map_insert(e, *o);
            *o = TOMB;
        }
        if (++e->old_next == e->old_cap) {
            dc_free(e->old_map);
            e->old_map = NULL;
            e->old_cap = e->old_next = 0;
        }
    }
}

/* Starts a new table (twice the size, or the same size to shed
 * tombstones). The previous move is always over by now: this comes after
 * at least cap/4 adds and a move takes cap/MOVE_STEP; SIZE_MAX is a guard. */
static int map_grow(dc_engine *e)
{
    map_move(e, SIZE_MAX);
    size_t ocap = e->map_cap, ncap = ocap;
    if ((e->n_entries + 1) * 2 > ocap)
        ncap = ocap * 2;
    entry **nm = dc_calloc(ncap, sizeof *nm);
    if (!nm)
        return -1;
    e->old_map = e->map;
    e->old_cap = ocap;
    e->old_next = 0;
    e->map = nm;
    e->map_cap = ncap;
    e->map_used = 0;
    return 0;
}

static int slots_reserve(dc_engine *e, uint32_t need)
{
    /* count free slots */
    uint32_t nfree = 0;
    for (uint32_t s = e->free_head; s != NO_SLOT && nfree < need; s = e->slots[s].next_free)
        nfree++;
    if (nfree >= need || e->n_slots + (need - nfree) <= e->cap_slots)
        return 0;
    uint32_t ncap = e->cap_slots ? e->cap_slots : 64;
    while (ncap < e->n_slots + (need - nfree))
        ncap *= 2;
    slot *ns = dc_realloc(e->slots, (size_t)ncap * sizeof *ns);
    if (!ns)
        return -1;
    e->slots = ns;
    uint32_t *nseen = dc_realloc(e->seen, (size_t)ncap * sizeof *nseen);
    if (!nseen)
        return -1;
    memset(nseen + e->cap_slots, 0, (size_t)(ncap - e->cap_slots) * sizeof *nseen);
    e->seen = nseen;
    e->cap_slots = ncap;
    return 0;
}

static uint32_t slot_take(dc_engine *e)
{
    if (e->free_head != NO_SLOT) {
        uint32_t s = e->free_head;
        e->free_head = e->slots[s].next_free;
        return s;
    }
    return e->n_slots++;
}

static void slot_release(dc_engine *e, uint32_t s)
{
    e->slots[s].e = NULL;
    e->slots[s].next_free = e->free_head;
    e->free_head = s;
}

static void vol_box(const dc_volume *v, dc__box *b)
{
    dc_footprint_bbox(v->fp, &b->lat_min, &b->lon_min, &b->lat_max, &b->lon_max);
    b->t_start_s = v->t_start_s;
    b->t_end_s = v->t_end_s;
}

static void unindex(dc_engine *e, entry *en, uint32_t upto)
{
    for (uint32_t i = 0; i < upto; i++) {
        uint32_t s = en->slots[i];
        dc__grid_remove(e->grid, s, &e->slots[s].box);
        slot_release(e, s);
    }
}

dc_status dc_engine_add(dc_engine *e, const dc_entry_spec *spec, dc_volume *vols, size_t n_vols)
{
    if (!spec || !spec->id || !*spec->id || (n_vols && !vols) || n_vols > UINT32_MAX / 2)
        return DC_EINVAL;
    for (size_t i = 0; i < n_vols; i++)
        if (!vols[i].fp)
            return DC_EINVAL;
    if (map_lookup(e, spec->id))
        return DC_EEXIST;
    if ((e->map_used + 1) * 4 > e->map_cap * 3 && map_grow(e) != 0)
        return DC_ENOMEM;
    if (slots_reserve(e, (uint32_t)n_vols) != 0)
        return DC_ENOMEM;
    entry *en = dc_calloc(1, sizeof *en);
    if (!en)
        return DC_ENOMEM;
    en->id = dc_strdup(spec->id);
    en->vols = dc_calloc(n_vols ? n_vols : 1, sizeof *en->vols);
    en->slots = dc_calloc(n_vols ? n_vols : 1, sizeof *en->slots);
    en->exempt = dc_calloc(spec->n_exempt ? spec->n_exempt : 1, sizeof *en->exempt);
    if (!en->id || !en->vols || !en->slots || !en->exempt)
        goto fail_entry;
    en->owner = spec->owner;
    en->is_restriction = spec->is_restriction;
    en->priority = spec->priority;
    en->n_exempt = (uint32_t)spec->n_exempt;
    if (spec->n_exempt)
        memcpy(en->exempt, spec->exempt, spec->n_exempt * sizeof *en->exempt);
    uint32_t done = 0;
    for (; done < n_vols; done++) {
        uint32_t s = slot_take(e);
        slot *sl = &e->slots[s];
        vol_box(&vols[done], &sl->box);
        sl->alt_lower_m = vols[done].alt_lower_m;
        sl->alt_upper_m = vols[done].alt_upper_m;
        sl->e = en;
        sl->vol = done;
        en->slots[done] = s;
        e->seen[s] = 0;
        if (dc__grid_insert(e->grid, s, &sl->box) != DC_OK) {
            slot_release(e, s);
            goto fail_index;
        }
    }
    /* Commit: from here nothing fails. */
    en->n_vols = (uint32_t)n_vols;
    size_t bytes =
        sizeof *en + strlen(en->id) + 1 + n_vols * (sizeof(dc_volume) + sizeof(uint32_t));
    for (size_t i = 0; i < n_vols; i++) {
        en->vols[i] = vols[i];
        bytes += vols[i].fp->alloc_bytes;
    }
    e->bytes += bytes;
    map_insert(e, en);
    map_move(e, MOVE_STEP);
    e->n_entries++;
    e->n_volumes += n_vols;
    return DC_OK;
fail_index:
    unindex(e, en, done);
fail_entry:
    en->n_vols = 0; /* volumes still belong to the caller */
    entry_free(en);
    return DC_ENOMEM;
}

dc_status dc_engine_remove(dc_engine *e, const char *id)
{
    entry **p = map_lookup(e, id);
    if (!p)
        return DC_ENOTFOUND;
    entry *en = *p;
    unindex(e, en, en->n_vols);
    size_t bytes =
        sizeof *en + strlen(en->id) + 1 + en->n_vols * (sizeof(dc_volume) + sizeof(uint32_t));
    for (uint32_t i = 0; i < en->n_vols; i++)
        bytes += en->vols[i].fp->alloc_bytes;
    e->bytes -= bytes;
    e->n_entries--;
    e->n_volumes -= en->n_vols;
    *p = TOMB;
    entry_free(en);
    map_move(e, MOVE_STEP);
    return DC_OK;
}

size_t dc_engine_count(const dc_engine *e)
{
    return e->n_entries;
}

size_t dc_engine_volume_count(const dc_engine *e)
{
    return e->n_volumes;
}

size_t dc_engine_memory_bytes(const dc_engine *e)
{
    return sizeof *e + e->bytes + dc__grid_memory_bytes(e->grid) +
           (size_t)e->cap_slots * (sizeof(slot) + sizeof(uint32_t)) +
           (e->map_cap + e->old_cap) * sizeof(entry *);
}

/* ---- check ---- */

typedef struct check_ctx {
    dc_engine *e;
    const dc_volume *cand;
    uint32_t cand_idx;
    uint32_t owner;
    const dc_params *p;
    const dc_check_opts *o;
    double alt_lo, alt_hi;
    int64_t t0, t1;
    dc__box q; /* candidate bbox grown by H */
    dc_conflict *out;
    size_t cap, found;
} check_ctx;

static int exempt_from(const entry *en, uint32_t owner)
{
    for (uint32_t i = 0; i < en->n_exempt; i++)
        if (en->exempt[i] == owner)
            return 1;
    return 0;
}

static int on_slot(void *vctx, uint32_t s)
{
    check_ctx *c = vctx;
    const slot *sl = &c->e->slots[s];
    const entry *en = sl->e;
    if (!en)
        return 0;
    if (sl->box.lat_min > c->q.lat_max || sl->box.lat_max < c->q.lat_min ||
        sl->box.lon_min > c->q.lon_max || sl->box.lon_max < c->q.lon_min)
        return 0;
    if (en->is_restriction ? exempt_from(en, c->owner) : en->owner == c->owner)
        return 0;
    if (c->o && c->o->skip_id && !strcmp(c->o->skip_id, en->id))
        return 0;
    /* Signed gaps: negative when overlapping; conflict needs gap < buffer. */
    double vgap = fmax(sl->alt_lower_m - c->alt_hi, c->alt_lo - sl->alt_upper_m);
    if (!(vgap < c->p->v_m))
        return 0;
    int64_t tgap = sl->box.t_start_s - c->t1;
    if (c->t0 - sl->box.t_end_s > tgap)
        tgap = c->t0 - sl->box.t_end_s;
    if (!(tgap < c->p->t_s))
        return 0;
    const dc_volume *v = &en->vols[sl->vol];
    if (!dc_footprint_within(c->cand->fp, v->fp, c->p->h_m))
        return 0;
    if (c->found < c->cap) {
        dc_conflict *k = &c->out[c->found];
        k->cand_volume = c->cand_idx;
        k->with_id = en->id;
        k->volume = sl->vol;
        k->owner = en->is_restriction ? DC_OWNER_NONE : en->owner;
        k->is_restriction = en->is_restriction;
        k->priority = en->priority;
        k->distance_m =
            (c->o && c->o->first_only) ? NAN : dc_footprint_distance_m(c->cand->fp, v->fp);
    }
    c->found++;
    return c->o && c->o->first_only;
}

static int cmp_conflict(const void *a, const void *b)
{
    const dc_conflict *x = a, *y = b;
    if (x->cand_volume != y->cand_volume)
        return x->cand_volume < y->cand_volume ? -1 : 1;
    int s = strcmp(x->with_id, y->with_id);
    if (s)
        return s;
    return x->volume < y->volume ? -1 : x->volume > y->volume;
}

dc_status dc_engine_check(dc_engine *e, uint32_t owner, const dc_volume *vols, size_t n_vols,
                          const dc_params *p, const dc_check_opts *opts, dc_conflict *out,
                          size_t cap, size_t *n_found)
{
    *n_found = 0;
    if (!p || !(p->h_m > 0) || !(p->v_m >= 0) || p->t_s < 0 || (cap && !out))
        return DC_EINVAL;
    check_ctx c = {.e = e, .owner = owner, .p = p, .o = opts, .out = out, .cap = cap};
    for (size_t i = 0; i < n_vols; i++) {
        const dc_volume *v = &vols[i];
        c.cand = v;
        c.cand_idx = (uint32_t)i;
        c.alt_lo = v->alt_lower_m + (opts ? opts->dalt_m : 0);
        c.alt_hi = v->alt_upper_m + (opts ? opts->dalt_m : 0);
        c.t0 = v->t_start_s + (opts ? opts->dt_s : 0);
        c.t1 = v->t_end_s + (opts ? opts->dt_s : 0);
        dc__box *q = &c.q;
        dc_footprint_bbox(v->fp, &q->lat_min, &q->lon_min, &q->lat_max, &q->lon_max);
        dc__bbox_grow(&q->lat_min, &q->lon_min, &q->lat_max, &q->lon_max, p->h_m);
        q->t_start_s = c.t0 - p->t_s;
        q->t_end_s = c.t1 + p->t_s + 1;
        if (++e->stamp == 0) {
            memset(e->seen, 0, (size_t)e->cap_slots * sizeof *e->seen);
            e->stamp = 1;
        }
        if (e->n_slots)
            dc__grid_query(e->grid, &c.q, e->seen, e->stamp, on_slot, &c);
        if (opts && opts->first_only && c.found)
            break;
    }
    size_t n = c.found < cap ? c.found : cap;
    if (n > 1)
        qsort(out, n, sizeof *out, cmp_conflict);
    *n_found = c.found;
    return DC_OK;
}

typedef struct visit_ctx {
    dc_engine *e;
    const dc_query_box *box;
    dc_engine_visit_fn fn;
    void *ctx;
    int stop;
} visit_ctx;

static int visit_entry(visit_ctx *v, entry *en)
{
    dc_entry_spec spec = {en->id,     en->owner,    en->is_restriction,
                          en->exempt, en->n_exempt, en->priority};
    return v->fn(v->ctx, &spec, en->vols, en->n_vols);
}

static int on_visit_slot(void *vctx, uint32_t s)
{
    visit_ctx *v = vctx;
    const slot *sl = &v->e->slots[s];
    entry *en = sl->e;
    const dc_query_box *b = v->box;
    if (!en || sl->box.lat_min > b->lat_max || sl->box.lat_max < b->lat_min ||
        sl->box.lon_min > b->lon_max || sl->box.lon_max < b->lon_min ||
        sl->box.t_start_s >= b->t_to_s || sl->box.t_end_s <= b->t_from_s)
        return 0;
    /* Mark every slot of this entry so it is reported once. */
    for (uint32_t i = 0; i < en->n_vols; i++)
        v->e->seen[en->slots[i]] = v->e->stamp;
    v->stop = visit_entry(v, en);
    return v->stop;
}

void dc_engine_visit(dc_engine *e, const dc_query_box *box, dc_engine_visit_fn fn, void *ctx)
{
    visit_ctx v = {e, box, fn, ctx, 0};
    if (!box) {
        for (size_t i = 0; i < e->map_cap && !v.stop; i++)
            if (e->map[i] && e->map[i] != TOMB)
                v.stop = visit_entry(&v, e->map[i]);
        for (size_t i = 0; e->old_map && i < e->old_cap && !v.stop; i++)
            if (e->old_map[i] && e->old_map[i] != TOMB)
                v.stop = visit_entry(&v, e->old_map[i]);
        return;
    }
    if (!e->n_slots)
        return;
    dc__box q = {box->lat_min, box->lon_min,  box->lat_max,
                 box->lon_max, box->t_from_s, box->t_to_s};
    if (++e->stamp == 0) {
        memset(e->seen, 0, (size_t)e->cap_slots * sizeof *e->seen);
        e->stamp = 1;
    }
    dc__grid_query(e->grid, &q, e->seen, e->stamp, on_visit_slot, &v);
}
