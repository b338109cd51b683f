/* The tie of a feed track to an operator's operation (docs/feeds.md): a
 * fused report whose Mode S address the authority registered to an
 * operator, and which that operator declared on an operation now active
 * (or nonconforming), becomes that operator's track "modes:<address>"
 * linked to the operation, so the monitor judges the operation's
 * conformance on what the host sees. Every other feed report stays the
 * authority's unknown traffic: a feed never gives an operator anything
 * about an aircraft that is not its own. Operators cannot post a track id
 * with that prefix (src/tactical/report.c), so a tie cannot be forged. */
#include <stdio.h>
#include <string.h>

#include "livefeed/livefeed_int.h"

size_t dc__feed_tie(dc_server *s, dc__feed *f)
{
    size_t bytes = 0, n = 0;
    if (!f->n_batch || !atomic_load(&s->mode_s_declared))
        return 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < f->n_batch; i++) {
        dc_track_report *r = &f->batch[i];
        uint32_t addr, owner;
        const char *operation_id;
        if (r->operator_number != DC_TRACK_OPERATOR_UNKNOWN || dc__mode_s_parse(f->ids[i], &addr) ||
            !dc__mode_s_tie(s, addr, &owner, &operation_id))
            continue;
        snprintf(f->tie_ops[i], sizeof f->tie_ops[i], "%s", operation_id);
        snprintf(f->ids[i], sizeof f->ids[i], "%s%06X", DC_TRACK_SURVEILLANCE_PREFIX, addr);
        r->operator_number = owner;
        r->track_id = f->ids[i];
        r->operation_id = f->tie_ops[i];
        bytes += strlen(f->tie_ops[i]) + 1;
        n++;
    }
    pthread_mutex_unlock(&s->mu);
    atomic_fetch_add(&f->tied, n);
    return bytes;
}
