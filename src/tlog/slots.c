/* The open block's free slots (docs/transparency.md, "What an operator's
 * indices tell"): a record takes a uniformly random free slot of the block,
 * not the next index, so the gap between two of a party's own indices
 * does not count the records others made in between. A free list with its
 * inverse: taking a random slot or a given one is O(1). */
#include "deconflict/tlog.h"

dc_status dc_tlog_slots_reset(dc_tlog_slots *s, uint32_t size)
{
    if (size != s->size) {
        dc_tlog_slots_free(s);
        s->free = dc_malloc((size ? size : 1) * sizeof *s->free);
        s->pos = dc_malloc((size ? size : 1) * sizeof *s->pos);
        if (!s->free || !s->pos) {
            dc_tlog_slots_free(s);
            return DC_ENOMEM;
        }
        s->size = size;
    }
    for (uint32_t i = 0; i < size; i++)
        s->free[i] = s->pos[i] = i;
    s->n_free = size;
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
    s->size = s->n_free = 0;
}
