/* GET /metrics (Prometheus text): requests by route and status (the
 * transport's), decisions by outcome, the conflict-check latency histogram,
 * group-commit batching and the airspace given up to blind coarsening, then
 * the monitor's, the surveillance feeds' and admission's; and GET
 * /healthz. Counters are atomics, so the request path never takes a lock
 * for them. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

static void render(dc_server *s, dc__buf *b)
{
    dc__http_metrics_render(s, b);
    dc__buf_str(b, "# HELP deconflict_decisions_total Submission decisions by outcome.\n"
                   "# TYPE deconflict_decisions_total counter\n");
    dc__buf_fmt(b, "deconflict_decisions_total{outcome=\"approved\"} %lu\n",
                atomic_load(&s->m.approved));
    dc__buf_fmt(b, "deconflict_decisions_total{outcome=\"rejected\"} %lu\n",
                atomic_load(&s->m.rejected));
    dc__buf_fmt(b, "deconflict_decisions_total{outcome=\"overridden\"} %lu\n",
                atomic_load(&s->m.overridden));
    dc__buf_fmt(b, "deconflict_decisions_total{outcome=\"preempted\"} %lu\n",
                atomic_load(&s->m.preempted));
    dc__buf_str(b, "# HELP deconflict_blind_only_rejections_total Rejections in blind mode that "
                   "the exact rule would have approved (capacity given up to coarsening).\n"
                   "# TYPE deconflict_blind_only_rejections_total counter\n");
    dc__buf_fmt(b, "deconflict_blind_only_rejections_total %lu\n",
                atomic_load(&s->m.blind_only_rejections));
    dc__buf_str(b, "# HELP deconflict_after_work_dropped_total Blind-only checks (run after "
                   "the answer) dropped because their queue was full.\n"
                   "# TYPE deconflict_after_work_dropped_total counter\n");
    dc__buf_fmt(b, "deconflict_after_work_dropped_total %lu\n", atomic_load(&s->m.later_dropped));
    dc__buf_str(b, "# HELP deconflict_probing_suspected_total Operators that reached the "
                   "rejection rate limit.\n# TYPE deconflict_probing_suspected_total counter\n");
    dc__buf_fmt(b, "deconflict_probing_suspected_total %lu\n", atomic_load(&s->m.probing_limited));
    dc__buf_str(b, "# HELP deconflict_check_seconds Conflict-check latency.\n"
                   "# TYPE deconflict_check_seconds histogram\n");
    unsigned long cum = 0;
    for (int i = 0; i < DC__HIST_BUCKETS; i++) {
        cum += atomic_load(&s->m.check_hist[i]);
        dc__buf_fmt(b, "deconflict_check_seconds_bucket{le=\"%g\"} %lu\n", dc__check_hist_le[i],
                    cum);
    }
    cum += atomic_load(&s->m.check_hist[DC__HIST_BUCKETS]);
    dc__buf_fmt(b, "deconflict_check_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
    dc__buf_fmt(b, "deconflict_check_seconds_sum %.6f\n", atomic_load(&s->m.check_sum_us) / 1e6);
    dc__buf_fmt(b, "deconflict_check_seconds_count %lu\n", atomic_load(&s->m.check_count));
    dc__buf_str(b, "# HELP deconflict_store_commits_total Group commits and the writes they "
                   "carried.\n# TYPE deconflict_store_commits_total counter\n");
    dc__buf_fmt(b, "deconflict_store_commits_total %lu\n", atomic_load(&s->m.commits));
    dc_store_conn_stats cs;
    if (dc_store_get_conn_stats(s->store, &cs) == DC_OK) /* a shared store: docs/ha.md */
        dc__buf_fmt(b,
                    "# HELP deconflict_store_available 0 while the store is unreachable or "
                    "memory is being rebuilt after a failover (requests get 503).\n"
                    "# TYPE deconflict_store_available gauge\ndeconflict_store_available %d\n"
                    "# HELP deconflict_store_reconnects_total Store connections opened again "
                    "after a loss.\n# TYPE deconflict_store_reconnects_total counter\n"
                    "deconflict_store_reconnects_total %llu\n"
                    "# HELP deconflict_store_timeouts_total Statements given up (no answer).\n"
                    "# TYPE deconflict_store_timeouts_total counter\n"
                    "deconflict_store_timeouts_total %llu\n"
                    "# HELP deconflict_store_resyncs_total Memory rebuilt from the store after "
                    "a reconnect.\n# TYPE deconflict_store_resyncs_total counter\n"
                    "deconflict_store_resyncs_total %lu\n"
                    "# HELP deconflict_store_commit_unknown_total Commits whose answer was "
                    "lost, by what reading back found.\n"
                    "# TYPE deconflict_store_commit_unknown_total counter\n"
                    "deconflict_store_commit_unknown_total{outcome=\"committed\"} %llu\n"
                    "deconflict_store_commit_unknown_total{outcome=\"rolled_back\"} %llu\n"
                    "deconflict_store_commit_unknown_total{outcome=\"unresolved\"} %llu\n",
                    !s->failed, (unsigned long long)cs.reconnects, (unsigned long long)cs.timeouts,
                    atomic_load(&s->m.resyncs), (unsigned long long)cs.unknown_committed,
                    (unsigned long long)cs.unknown_rolled_back,
                    (unsigned long long)cs.unknown_unresolved);
    dc__buf_fmt(b, "deconflict_store_writes_total %lu\n", atomic_load(&s->m.committed_writes));

    pthread_mutex_lock(&s->mu);
    size_t live = 0, restrictions = 0;
    for (size_t i = 0; i < s->n_entries; i++) {
        const dc__entry *e = s->entries[i];
        if (!dc__state_live(e->state))
            continue;
        if (e->is_restriction)
            restrictions++;
        else
            live++;
    }
    double area = s->envelope_area_km2;
    size_t vols = dc_engine_volume_count(s->ops_exact);
    size_t mem = dc_engine_memory_bytes(s->ops_exact) + dc_engine_memory_bytes(s->ops_blind) +
                 dc_engine_memory_bytes(s->restr);
    pthread_mutex_unlock(&s->mu);
    dc__buf_fmt(b,
                "# HELP deconflict_live_operations Operations occupying airspace.\n"
                "# TYPE deconflict_live_operations gauge\ndeconflict_live_operations %zu\n"
                "# TYPE deconflict_live_volumes gauge\ndeconflict_live_volumes %zu\n"
                "# TYPE deconflict_restrictions_in_force gauge\n"
                "deconflict_restrictions_in_force %zu\n"
                "# HELP deconflict_notice_area_km2 Total area of the live operations' notice "
                "envelopes (what blind mode withholds from other operators).\n"
                "# TYPE deconflict_notice_area_km2 gauge\ndeconflict_notice_area_km2 %.3f\n"
                "# TYPE deconflict_engine_memory_bytes gauge\n"
                "deconflict_engine_memory_bytes %zu\n",
                live, vols, restrictions, area, mem);
    dc__buf_fmt(
        b, "# TYPE deconflict_disclosure_mode gauge\ndeconflict_disclosure_mode{mode=\"%s\"} 1\n",
        s->cfg.disclosure == DC_DISCLOSURE_BLIND ? "blind" : "exact");
    dc__monitor_metrics_render(s, b);
    dc__feeds_metrics_render(s, b);
    dc__admission_metrics_render(s, b);
}

void dc__api_healthz(dc__req *r, const char *unused)
{
    (void)unused;
    if (r->s->failed)
        dc__reply_error(r, 503, "store_unavailable", "", "the store is unavailable");
    else
        dc__reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void dc__api_metrics(dc__req *r, const char *unused)
{
    (void)unused;
    dc__buf b = {0};
    render(r->s, &b);
    dc__reply_buf(r, 200, "text/plain; version=0.0.4", &b);
}
