/* The time rules of operations (docs/operations.md "Time"), on the server's
 * wall clock: a plan that ends in the past is refused; an operation is
 * activated only from DC_ACTIVATE_EARLY_S before its window opens until it
 * ends; a live operation whose window has ended becomes `ended` by itself
 * through the one state change (stored, audited, version bumped), swept on
 * the monitor's detection tick (every tick_s, default 1 s). */
#include <stdio.h>

#include "airspace/airspace.h"

dc_status dc__plan_time_check(const dc_volume *vols, size_t n, int64_t now_s, dc_error *err)
{
    size_t last = 0;
    for (size_t i = 1; i < n; i++)
        if (vols[i].t_end_s > vols[last].t_end_s)
            last = i;
    if (!n || vols[last].t_end_s > now_s)
        return DC_OK;
    char field[64], end[32], now[32];
    snprintf(field, sizeof field, "volumes[%zu].time_end", last);
    dc_time_format(vols[last].t_end_s, end, sizeof end);
    dc_time_format(now_s, now, sizeof now);
    return dc_error_set(err, field,
                        "the plan ends at %s, which is not after now (%s): plan a window that "
                        "ends in the future",
                        end, now);
}

dc_status dc__activation_check(const dc__entry *e, int64_t now_s, dc_error *err)
{
    char t[32];
    if (now_s < e->t_first_s - DC_ACTIVATE_EARLY_S) {
        dc_time_format(e->t_first_s, t, sizeof t);
        dc_error_set(err, "time_start",
                     "the operation's window opens at %s; it can be activated from %d minutes "
                     "before",
                     t, DC_ACTIVATE_EARLY_S / 60);
        return DC_ECONFLICT;
    }
    if (now_s >= e->t_last_s) {
        dc_time_format(e->t_last_s, t, sizeof t);
        dc_error_set(err, "time_end", "the operation's window ended at %s", t);
        return DC_ECONFLICT;
    }
    return DC_OK;
}

size_t dc__windows_end(dc_server *s, int64_t now_s)
{
    size_t n = 0;
    int64_t next = INT64_MAX;
    if (now_s < s->next_end_s)
        return 0;
    for (size_t i = 0; i < s->n_entries; i++) {
        dc__entry *e = s->entries[i];
        if (e->is_restriction || !dc__state_live(e->state))
            continue;
        if (e->t_last_s > now_s) {
            if (e->t_last_s < next)
                next = e->t_last_s;
            continue;
        }
        char end[32];
        dc_time_format(e->t_last_s, end, sizeof end);
        dc__change c = {
            DC__ENDED, "its time window ended", "system", "end",
            json_pack("{s:s, s:s}", "reason", "its time window ended", "time_end", end)};
        dc__entry_change(s, e, &c); /* a journal error shows at the commit */
        n++;
    }
    s->next_end_s = next;
    return n;
}

size_t dc__windows_sweep(dc_server *s, int64_t now_s)
{
    pthread_mutex_lock(&s->mu);
    int due = now_s >= s->next_end_s;
    pthread_mutex_unlock(&s->mu);
    if (!due)
        return 0;
    size_t n = 0;
    /* On a shared store only inside a decision window: the first instance
     * to sweep ends them, the others then find them ended. */
    if (!dc__write_lock(s))
        n = dc__windows_end(s, now_s);
    pthread_mutex_unlock(&s->mu);
    return n;
}
