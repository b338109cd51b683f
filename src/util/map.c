/* A string-keyed hash map (open addressing, keys borrowed from the values)
 * that grows incrementally: see map.h. */
#include <stdint.h>
#include <string.h>

#include "deconflict/status.h"
#include "util/map.h"

struct dc__map_slot {
    const char *key;
    void *val;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Marks a moved slot of the old table: probe chains through it go on. */
static const char moved_key[1];
#define MAP_MOVE_STEP 64

static struct dc__map_slot *find(struct dc__map_slot *slots, size_t cap, const char *key)
{
    if (!cap)
        return NULL;
    for (size_t i = hash_str(key) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (!slots[i].key)
            return NULL;
        if (slots[i].key != moved_key && !strcmp(slots[i].key, key))
            return &slots[i];
    }
}

void *dc__map_get(const dc__map *m, const char *key)
{
    struct dc__map_slot *sl = find(m->slots, m->cap, key);
    if (!sl && m->old)
        sl = find(m->old, m->old_cap, key);
    return sl ? sl->val : NULL;
}

static void put_slot(struct dc__map_slot *slots, size_t cap, const char *key, void *val)
{
    for (size_t i = hash_str(key) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (!slots[i].key || !strcmp(slots[i].key, key)) {
            slots[i].key = key;
            slots[i].val = val;
            return;
        }
    }
}

/* Moves up to `count` slots of the old table (all: SIZE_MAX). */
static void move_some(dc__map *m, size_t count)
{
    for (; m->old && count; count--) {
        struct dc__map_slot *o = &m->old[m->old_next];
        if (o->key && o->key != moved_key) {
            put_slot(m->slots, m->cap, o->key, o->val);
            o->key = moved_key;
        }
        if (++m->old_next == m->old_cap) {
            dc_free(m->old);
            m->old = NULL;
            m->old_cap = m->old_next = 0;
        }
    }
}

dc_status dc__map_put(dc__map *m, const char *key, void *val)
{
    struct dc__map_slot *sl = find(m->slots, m->cap, key);
    if (!sl && m->old)
        sl = find(m->old, m->old_cap, key);
    if (sl) { /* a replacement, wherever the key sits: never grows */
        sl->val = val;
        move_some(m, MAP_MOVE_STEP);
        return DC_OK;
    }
    if ((m->n + 1) * 2 > m->cap) {
        /* The next doubling comes after cap/2 more keys, and the move
         * needs cap/MAP_MOVE_STEP puts: it is always over by then. */
        move_some(m, SIZE_MAX);
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct dc__map_slot *slots = dc_calloc(cap, sizeof *slots);
        if (!slots)
            return DC_ENOMEM;
        m->old = m->slots;
        m->old_cap = m->cap;
        m->old_next = 0;
        if (!m->old_cap)
            m->old = NULL;
        m->slots = slots;
        m->cap = cap;
    }
    m->n++;
    put_slot(m->slots, m->cap, key, val);
    move_some(m, MAP_MOVE_STEP);
    return DC_OK;
}

void dc__map_free(dc__map *m)
{
    dc_free(m->slots);
    dc_free(m->old);
    memset(m, 0, sizeof *m);
}
