/* The open block's free slots (docs/transparency.md, "Blocks and slots"):
 * a record takes a uniformly random free slot of the block, not the next
 * index, so the gap between two of a party's own indices does not count
 * the records others made in between. A free list with its inverse: taking
 * a random slot or a given one is O(1). */
#include "deconflict/tlog.h"

/* Room for size slots; the arrays only grow, so a smaller reset cannot fail. */
static dc_status reserve(dc_tlog_slots *s, uint32_t size)
{
    if (size <= s->cap)
        return DC_OK;
    uint32_t *f = dc_realloc(s->free, (size_t)size * sizeof *f);
    if (!f)
        return DC_ENOMEM;
    s->free = f;
    uint32_t *p = dc_realloc(s->pos, (size_t)size * sizeof *p);
    if (!p)
        return DC_ENOMEM;
    s->pos = p;
    s->cap = size;
    return DC_OK;
}

dc_status dc_tlog_slots_reset(dc_tlog_slots *s, uint32_t size)
{
    dc_status rc = reserve(s, size ? size : 1);
    if (rc != DC_OK)
        return rc;
    for (uint32_t i = 0; i < size; i++)
        s->free[i] = s->pos[i] = i;
    s->n_free = s->size = size;
    return DC_OK;
}

dc_status dc_tlog_slots_grow(dc_tlog_slots *s, uint32_t size)
{
    if (size <= s->size)
        return DC_OK;
    uint32_t old = s->size, n_taken = old - s->n_free;
    dc_status rc = reserve(s, size);
    if (rc != DC_OK)
        return rc;
    /* The taken slots move to the end, the new ones join the free. */
    uint32_t k = size - n_taken;
    for (uint32_t i = s->n_free; i < old; i++)
        s->free[k++] = s->free[i];
    for (uint32_t j = old; j < size; j++)
        s->free[s->n_free++] = j;
    for (uint32_t i = 0; i < size; i++)
        s->pos[s->free[i]] = i;
    s->size = size;
    return DC_OK;
}

static void take_at(dc_tlog_slots *s, uint32_t k)
{
    uint32_t slot = s->free[k], last = s->free[s->n_free - 1];
    s->free[k] = last;
    s->pos[last] = k;
    s->free[s->n_free - 1] = slot;
    s->pos[slot] = s->n_free - 1;
    s->n_free--;
}

uint32_t dc_tlog_slots_take_random(dc_tlog_slots *s, uint64_t rnd)
{
    /* rnd % n_free: the bias is below n_free / 2^64, nothing to measure. */
    uint32_t k = (uint32_t)(rnd % s->n_free);
    uint32_t slot = s->free[k];
    take_at(s, k);
    return slot;
}

int dc_tlog_slots_take(dc_tlog_slots *s, uint32_t slot)
{
    if (slot >= s->size || s->pos[slot] >= s->n_free)
        return 1;
    take_at(s, s->pos[slot]);
    return 0;
}

int dc_tlog_slots_is_free(const dc_tlog_slots *s, uint32_t slot)
{
    return slot < s->size && s->pos[slot] < s->n_free;
}

void dc_tlog_slots_free(dc_tlog_slots *s)
{
    dc_free(s->free);
    dc_free(s->pos);
    s->free = s->pos = NULL;
    s->size = s->n_free = s->cap = 0;
}
