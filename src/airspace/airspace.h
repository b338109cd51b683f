/* The airspace rules (docs/design.md sections 3-5), with no HTTP: the
 * in-memory state (operators, keys, operations, restrictions and the three
 * engines), decisions (decide, suggest, one preemption path), the one state
 * change, blind notices, probing control, API keys, the journal (group
 * commit) and the shared-store decision window. Layers above (monitor/,
 * http/, api/, server/) call in; nothing here calls out except through the
 * hooks in struct dc_server (on_follow, reload). state.c holds the memory,
 * decide.c the rules and the state changes of operations, operators.c
 * those of operators and keys, notice.c the notices (envelopes, ids,
 * rendering), probing.c both probing limits, keys.c the keys, journal.c
 * the group commit, decision_window.c the shared store. */
#ifndef DC_AIRSPACE_H
#define DC_AIRSPACE_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "deconflict/audit.h"
#include "deconflict/deconflict.h"
#include "deconflict/server.h"
#include "deconflict/store.h"
#include "deconflict/tlog.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/grow.h"
#include "util/hex.h"
#include "util/map.h"
#include "util/thread.h"

/* ---- blind notices (notice.c) ---- */

typedef struct dc__notice {
    double lat_min, lon_min, lat_max, lon_max; /* grid-aligned, degrees */
    double alt_lower_m, alt_upper_m;
    int64_t t_start_s, t_end_s;
    double area_km2;
    char *geom;  /* GeoJSON Polygon text, owned */
    char *props; /* "altitude_lower_m":...,"time_end":"..." members, owned */
} dc__notice;

/* Builds the envelope of v: *env is the polygon volume for the blind engine
 * (owns its footprint), *out its notice. On error both are left empty. */
dc_status dc__envelope(const dc_volume *v, const dc_server_config *cfg, const char *field,
                       dc_volume *env, dc__notice *out, dc_error *err);
void dc__notice_clear(dc__notice *n);
/* Replaces n's region, band, window and rendering with v's own, exact: a
 * restriction's notice (restrictions are the host's published airspace,
 * never coarsened). n's previous strings are kept on DC_ENOMEM. */
dc_status dc__notice_exact(const dc_volume *v, dc__notice *n);

/* ---- airspace state (state.c) ---- */

typedef enum dc__state {
    DC__APPROVED,
    DC__ACTIVE,
    DC__ENDED,
    DC__WITHDRAWN,
    DC__NONCONFORMING,
    DC__PREEMPTED,
    DC__IN_FORCE, /* restriction */
    DC__DELETED,  /* restriction */
    DC__STATE_COUNT
} dc__state;
const char *dc__state_name(dc__state s);
int dc__state_parse(const char *name, dc__state *out);
int dc__state_live(dc__state s); /* occupies airspace */

typedef struct dc__operator {
    uint32_t number; /* the engine's owner number (dc_entry_spec.owner) */
    char id[24];     /* public id, "opr_..." */
    char *name;
    int is_authority;
    int64_t created_s;
    int64_t probe_window_s; /* minute of the rejection count below (probing.c) */
    unsigned probe_rejections;
    unsigned probe_prev; /* rejections in the minute before probe_window_s */
} dc__operator;

typedef struct dc__key {
    char prefix[16];
    uint32_t operator_number;
    uint8_t salt[16];
    uint8_t hash[32];
    int revoked; /* written under mu, only ever set; read atomically by http/ */
    int64_t created_s;
} dc__key;

typedef struct dc__entry {
    char id[32];
    int is_restriction;
    uint32_t owner; /* operator number; DC_OWNER_NONE for restrictions */
    int priority;
    dc__state state;
    int64_t version;
    char *volumes_json; /* normalised volumes array */
    uint32_t *exempt;   /* operator numbers */
    size_t n_exempt;
    char *note;
    char *name; /* an operation's name from its owner, "" if none (owned) */
    size_t n_vols;
    dc__notice *notices; /* n_vols, while live */
    /* The window, while live: earliest time_start and latest time_end of
     * its volumes (wall seconds UTC; window.c). */
    int64_t t_first_s, t_last_s;
    int64_t created_s, updated_s;
    uint32_t *mode_s; /* Mode S addresses declared at submission (mode_s.c) */
    size_t n_mode_s;
} dc__entry;

/* ---- journal (journal.c): store writes waiting for the next commit ---- */

typedef enum dc__write_kind {
    DC__W_ENTRY,
    DC__W_OPERATOR,
    DC__W_KEY,
    DC__W_AUDIT,
    DC__W_META,
    DC__W_LEAF,
    DC__W_CHECKPOINT,
    DC__W_MODE_S,
    DC__W_COSIGNATURE
} dc__write_kind;

typedef struct dc__write {
    struct dc__write *next;
    dc__write_kind kind;
    union {
        dc_store_entry e;
        dc_store_operator o;
        dc_store_key k;
        dc_audit_record a;
        struct {
            const char *key, *value;
        } meta;
        dc_store_leaf leaf;
        dc_store_checkpoint cp;
        dc_store_mode_s ms;
        dc_store_cosignature cs;
    } u;
    /* DC__W_AUDIT: the record's leaf in the transparency log, written in
     * the same step (has_leaf 0: the log is off). */
    dc_store_leaf leaf;
    int has_leaf;
    char *strs[6]; /* owned copies the union points into */
} dc__write;

/* Someone waiting for the commit of the writes it journaled (an HTTP
 * request embeds one). All fields under mu. */
typedef struct dc__waiter {
    struct dc__waiter *next;
    uint64_t batch; /* the batch its writes joined */
    dc_status rc;   /* how that batch ended */
    int done;       /* set by the committer; then wake runs */
    /* Called without mu once done (an HTTP connection resumes); NULL: the
     * owner waits on s->commit_cond instead. */
    void (*wake)(struct dc__waiter *w);
} dc__waiter;

enum { DC__HIST_BUCKETS = 12 };
extern const double dc__check_hist_le[DC__HIST_BUCKETS]; /* seconds, decide.c */

/* Counters of the rules and the journal: atomics, never under a lock. */
typedef struct dc__metrics {
    _Atomic unsigned long approved, rejected, overridden, preempted, blind_only_rejections,
        probing_limited, probing_alerts;
    _Atomic unsigned long check_hist[DC__HIST_BUCKETS + 1];
    _Atomic unsigned long check_count;
    _Atomic unsigned long check_sum_us;
    _Atomic unsigned long commits, committed_writes;
    _Atomic unsigned long resyncs;       /* memory rebuilt after a failover (docs/ha.md) */
    _Atomic unsigned long later_dropped; /* after-answer jobs dropped (later.c) */
} dc__metrics;

struct dc__probing; /* probing.c */

/* The transparency log in memory (tlog_state.c, docs/transparency.md):
 * every leaf of the tree, journaled with its audit record, and the last
 * checkpoint made durable. Guarded by the server's mu except where noted. */
typedef struct dc__leaf_meta {
    int64_t seq;    /* audit record; 0: padding */
    uint32_t party; /* the operator whose record it is; 0: none */
    uint8_t salt[32];
} dc__leaf_meta;
enum { DC__COSIGNED = 16 };
typedef struct dc__tlog {
    int on;                /* off only with "transparency_log": false */
    uint8_t (*hash)[32];   /* leaf hashes: n sealed, then the open block's */
    dc__leaf_meta *meta;   /* the same */
    size_t n, cap;         /* n: leaves in sealed blocks; cap >= n + block */
    dc_tlog_frontier edge; /* the n sealed leaves' right edge: the root in O(log n) */
    /* The open block, leaves n .. n + block - 1: a record takes a random
     * free slot; the issuer fills the rest with padding and seals it. */
    uint32_t block;
    dc_tlog_slots slots;
    char *checkpoint; /* latest durable signed checkpoint; NULL: none yet */
    int64_t checkpoint_size;
    /* Set at load, then read-only. */
    uint8_t seed[32]; /* Ed25519 private key */
    char origin[128];
    char vkey[320];
    /* The last record's leaf, for the receipt in its decision's answer
     * (dc__tlog_receipt): its index, and a copy of its canonical bytes. */
    int64_t last_index; /* -1: none since load */
    char *last_entry;
    size_t last_len, last_cap;
    /* The last DC__COSIGNED checkpoints, newest (largest) at
     * cosigned_next - 1, each with the latest cosignature line of every
     * configured witness (NULL: none yet; tlog_witness.c). The lines are
     * stored with the batch that journals them and read back at load; on a
     * shared store each window folds in the store's newer checkpoints and
     * lines once the store has changed since change_seq cosig_seq. */
    struct dc__cosigned {
        char *note;
        int64_t size;
        char *lines[DC_MAX_WITNESSES];
    } cosigned[DC__COSIGNED];
    size_t cosigned_next;
    int64_t cosig_seq;
    /* The issuer thread: its stop flag and wake-up under mu. */
    dc__thread issuer;
    pthread_cond_t cond;
    int stop;
} dc__tlog;

/* The server: the airspace, plus one opaque slot per layer above, which
 * only that layer reads (mon: monitor/, http: http/). */
struct dc_server {
    /* Set at start, then read-only. */
    dc_server_config cfg;
    dc_store *store;
    uint8_t secret[32]; /* notice-id HMAC key */
    int shared;         /* the store is shared by several instances */
    dc__metrics m;      /* atomics */

    /* Guarded by mu: the airspace. */
    pthread_mutex_t mu;
    dc_engine *ops_exact; /* live operations, exact geometry */
    dc_engine *ops_blind; /* their notice envelopes */
    dc_engine *restr;     /* restrictions in force, exact geometry */
    dc__map entries_by_id;
    dc__entry **entries; /* creation order */
    size_t n_entries, cap_entries;
    dc__operator **operators; /* index number - 1 */
    size_t n_operators;
    dc__map keys; /* prefix -> dc__key */
    dc__key **key_list;
    size_t n_keys, cap_keys;
    int64_t audit_seq;
    uint8_t audit_hash[32];
    double envelope_area_km2; /* live notices */
    /* No live operation's window ends before this (window.c): the sweep
     * looks at the operations only from then on. */
    int64_t next_end_s;
    /* Set by the HTTP layer while it runs (admission.c): called under mu
     * before a reload frees the keys, so that nothing keeps a pointer to
     * one (its authentication cache did, and read freed keys after a
     * failover's resync). */
    void (*keys_forget)(dc_server *s);
    dc__map mode_s; /* "4CA7A8" -> struct dc__mode_s_addr (mode_s.c) */
    struct dc__mode_s_addr **mode_s_list;
    size_t n_mode_s, cap_mode_s;
    _Atomic int mode_s_declared; /* an operation declared an address: feeds look for ties */

    /* Guarded by mu: the group commit (journal.c). */
    dc__write *j_head, *j_tail;
    uint64_t batch_open; /* batch that new writes join */
    uint64_t batch_done; /* last batch that finished (committed or failed) */
    dc__waiter *waiters;
    pthread_cond_t j_cond;
    pthread_cond_t commit_cond; /* a waiter with no wake function is done */
    dc__thread committer;
    int stopping;
    int failed; /* store unusable: answer 503 */
    /* Under mu: rebuilds memory from the store after a failed commit
     * (state.c's dc__airspace_reload; the journal calls it back). */
    dc_status (*reload)(dc_server *s, dc_error *err);

    /* Guarded by mu: the shared store's decision window (decision_window.c,
     * docs/multi-instance.md). State changes are decided only inside a
     * window in which this instance holds the store's write token and has
     * folded in every committed change. */
    int window_open;
    unsigned want_window; /* handlers waiting for a window */
    pthread_cond_t win_cond;
    int64_t sync_seq;     /* last change batch folded into memory */
    uint64_t store_epoch; /* the store's reconnect count when memory was last rebuilt */
    dc__thread follower;
    _Atomic int follower_stop;
    /* Called by the follower thread, no lock held, after each wake-up: the
     * monitor follows the shared alert feed (set before the follower starts). */
    void (*on_follow)(dc_server *s);

    struct dc__probing *probing; /* probing.c, its own lock (a leaf) */
    struct dc__later *later;     /* later.c, its own lock (a leaf) */
    dc__tlog tlog;               /* under mu */

    /* The layers above, each with its own locks (see their headers). */
    struct dc__monitor *mon;
    struct dc__feeds *feeds; /* livefeed/: the authority's surveillance feeds, or NULL */
    struct dc__trackview *tv;
    struct dc__http *http;
};

/* Creates the server object with the airspace loaded from store_uri (no
 * thread, no socket: the layers above start theirs). On failure *out may
 * still be set, for dc__airspace_close. */
dc_status dc__airspace_open(const char *store_uri, const dc_server_config *cfg, dc_server **out,
                            dc_error *err);
/* Frees what dc__airspace_open made, and the journal not yet committed;
 * the threads are stopped. Accepts NULL. */
void dc__airspace_close(dc_server *s);
/* Loads the whole state from the store; under mu or before threads. */
dc_status dc__airspace_load(dc_server *s, dc_error *err);
/* Store visitors that upsert rows into memory (under mu); idempotent, so the
 * change feed may replay what memory already holds. */
typedef struct dc__load_ctx {
    dc_server *s;
    dc_status rc;
    dc_error *err;
} dc__load_ctx;
int dc__load_operator(void *ctx, const dc_store_operator *o);
int dc__load_key(void *ctx, const dc_store_key *k);
int dc__load_entry(void *ctx, const dc_store_entry *e);
void dc__airspace_free(dc_server *s);
dc_status dc__airspace_reload(dc_server *s, dc_error *err); /* free, then load */
/* Lookups under mu; the results are borrowed until mu is released. */
dc__entry *dc__entry_get(dc_server *s, const char *id);
dc__operator *dc__operator_get(dc_server *s, uint32_t number);
dc__operator *dc__operator_by_id(dc_server *s, const char *id);
dc__operator *dc__operator_by_name(dc_server *s, const char *name);
/* Parsed volumes plus their envelopes: used by submissions and by load. */
typedef struct dc__candidate {
    dc_volume *vols;
    size_t n;
    dc_volume *env;
    dc__notice *notices;
    char *volumes_json;
} dc__candidate;
dc_status dc__candidate_parse(dc_server *s, const json_t *arr, int is_restriction,
                              size_t max_volumes, dc__candidate *c, dc_error *err);
void dc__candidate_free(dc__candidate *c);
/* Adds a live entry's volumes to the engines (taking c's volumes and
 * notices) / removes them. */
dc_status dc__entry_install(dc_server *s, dc__entry *e, dc__candidate *c);
void dc__entry_uninstall(dc_server *s, dc__entry *e);
/* A new entry record (not yet indexed): caller fills it, then dc__entry_add. */
dc__entry *dc__entry_new(const char *id);
void dc__entry_free(dc__entry *e);
dc_status dc__entry_add(dc_server *s, dc__entry *e); /* takes ownership on DC_OK */
/* A new live entry: install, then add; on error neither (caller frees e). */
dc_status dc__entry_insert(dc_server *s, dc__entry *e, dc__candidate *c);
dc_status dc__key_insert(dc_server *s, dc__key *k); /* takes k on DC_OK */

/* ---- operators and keys as state changes (operators.c), under mu ---- */

/* A new operator named name (unique: the caller checked), journaled with
 * its audit record; *out borrowed until mu is released. */
dc_status dc__operator_create(dc_server *s, const char *name, const char *actor,
                              dc__operator **out);
/* Issues a key for o, journaled; key_out gets the secret (shown once). */
dc_status dc__key_issue(dc_server *s, const dc__operator *o, const char *actor, char *key_out,
                        size_t key_len);
/* Revokes every key of o at once, journaled. */
void dc__keys_revoke(dc_server *s, const dc__operator *o, const char *actor);

/* ---- Mode S addresses (mode_s.c, docs/feeds.md), all under mu ---- */

/* 0 when str is exactly 6 hex digits (*out the 24-bit address). */
int dc__mode_s_parse(const char *str, uint32_t *out);
/* Replaces o's registered addresses with addrs (the authority's register),
 * journaled and audited. DC_EEXIST: addrs[*bad] belongs to another
 * operator, whose public id goes to holder (for the authority's eyes). */
dc_status dc__mode_s_register(dc_server *s, const dc__operator *o, const uint32_t *addrs, size_t n,
                              const char *actor, size_t *bad, char holder[24]);
/* The operator number an address is registered to, 0 when none. */
uint32_t dc__mode_s_owner(dc_server *s, uint32_t addr);
/* A JSON array of operator op's registered addresses (new reference). */
json_t *dc__mode_s_registered(dc_server *s, uint32_t op);
/* Declares addrs (each registered to e's owner: the caller checked) on
 * the new operation e, journaled. */
dc_status dc__mode_s_declare(dc_server *s, dc__entry *e, const uint32_t *addrs, size_t n);
/* The tie of a feed track: 1 when addr is declared on an active (or
 * nonconforming) operation of the operator it is registered to; *owner and
 * *operation_id (borrowed until mu is released) set. */
int dc__mode_s_tie(dc_server *s, uint32_t addr, uint32_t *owner, const char **operation_id);
/* Store visitor, under mu; on a shared store the change follower
 * (decision_window.c) frees the state and loads every row again. */
int dc__load_mode_s(void *ctx, const dc_store_mode_s *m);
void dc__mode_s_free(dc_server *s);

/* ---- the rules (decide.c), all under mu ---- */

/* Conflicts of a candidate: distinct (entry, volume) pairs. */
enum { DC__MAX_HITS = 256 };
typedef struct dc__hit {
    dc__entry *e;
    uint32_t vol;
    uint32_t cand;      /* the first of the candidate's volumes in conflict with it */
    uint64_t cand_bits; /* all of them, for the first 64 */
} dc__hit;
typedef struct dc__hits {
    dc__hit h[DC__MAX_HITS];
    size_t n;
    size_t total; /* pairs found, may exceed n */
} dc__hits;

typedef struct dc__decide_opts {
    uint32_t owner;      /* whose volumes these are (DC_OWNER_NONE: a restriction's) */
    int exact;           /* by docs/design.md section 3, else by other operators' notices */
    const char *skip_id; /* an entry to ignore (the one being modified), or NULL */
    int64_t dt_s;        /* shift the volumes by this much time ... */
    double dalt_m;       /* ... and altitude before checking */
    int first_only;      /* stop at the first conflict */
} dc__decide_opts;
/* Restrictions are always decided exactly. */
void dc__decide(dc_server *s, const dc__decide_opts *o, const dc_volume *vols, size_t n,
                dc__hits *out);
/* The decision of a submission by `who`: exact for the authority or in
 * exact mode, by notices otherwise; records the check latency. Returns the
 * exact flag used. */
int dc__decide_submission(dc_server *s, uint32_t who, int is_authority, const dc_volume *vols,
                          size_t n, const char *skip_id, dc__hits *out);

typedef enum dc__suggestion_kind {
    DC__SUGGEST_NONE,
    DC__SUGGEST_TIME,
    DC__SUGGEST_ALTITUDE
} dc__suggestion_kind;
typedef struct dc__suggestion {
    dc__suggestion_kind kind;
    int64_t dt_s;  /* DC__SUGGEST_TIME */
    double dalt_m; /* DC__SUGGEST_ALTITUDE */
} dc__suggestion;
/* The smallest time shift (steps of time_step_s up to suggest_max_shift_s,
 * later first on a tie, never into the past) or else the nearest altitude
 * band (steps of alt_step_m, never below the surface) that o would approve
 * now; kind NONE if none. now_s: wall seconds UTC. */
void dc__suggest(dc_server *s, const dc__decide_opts *o, const dc_volume *vols, size_t n,
                 int64_t now_s, dc__suggestion *out);

/* The one state change: moves e to c->to (out of the engines when that
 * state is not live), bumps its version, stamps updated_s, replaces its note
 * when c->note is set, and journals the entry with its audit record. */
typedef struct dc__change {
    dc__state to;       /* e->state to keep the state (a modification) */
    const char *note;   /* NULL: unchanged */
    const char *actor;  /* public operator id, "monitor" or "system" */
    const char *action; /* audit action */
    json_t *detail;     /* audit detail, stolen; NULL for none */
} dc__change;
dc_status dc__entry_change(dc_server *s, dc__entry *e, const dc__change *c);

/* New entries, decided (e from dc__entry_new with its id; the caller frees
 * it on error, when nothing was added but preemptions are journaled).
 * approve: an approved operation of owner with c's volumes (taken), after
 * preempting, when preempt_lower, the live operations of lower priority it
 * conflicts with; journaled as action ("approve" or "override") by actor.
 * restriction_create: a restriction in force named name that exempts the
 * operator numbers in exempt (taken, even on error), preempting every live
 * operation it conflicts with but the exempt ones'. The preempted ids are
 * appended to preempted. */
dc_status dc__operation_approve(dc_server *s, dc__entry *e, uint32_t owner, int priority,
                                int preempt_lower, const char *action, dc__candidate *c,
                                const char *actor, json_t *preempted);
dc_status dc__restriction_create(dc_server *s, dc__entry *e, const char *name, uint32_t *exempt,
                                 size_t n_exempt, dc__candidate *c, const char *actor,
                                 json_t *preempted);

/* A decided modification: e (live) takes c's volumes (taking them),
 * priority and name (NULL: unchanged), as a state change "modify" by actor;
 * on failure e keeps its previous volumes, priority and name. */
dc_status dc__entry_modify(dc_server *s, dc__entry *e, dc__candidate *c, int priority,
                           const char *name, const char *actor);

/* The one preemption path: every live operation that conflicts exactly
 * with vols (as owner's), has a priority below below_priority and an owner
 * not in exempt is preempted (state change with reason as its note) and its
 * id appended to ids (when not NULL). Returns how many. */
size_t dc__preempt(dc_server *s, uint32_t owner, const dc_volume *vols, size_t n,
                   int below_priority, const uint32_t *exempt, size_t n_exempt, const char *actor,
                   const char *reason, json_t *ids);

/* ---- time rules (window.c, docs/operations.md "Time") ---- */

/* How long before its window opens an operation may be activated. */
#define DC_ACTIVATE_EARLY_S 300
/* A plan that ends at or before now_s is refused: DC_EINVAL naming
 * volumes[k].time_end of its last volume. */
dc_status dc__plan_time_check(const dc_volume *vols, size_t n, int64_t now_s, dc_error *err);
/* Whether live operation e may be activated at now_s: DC_OK from
 * DC_ACTIVATE_EARLY_S before its window opens until it ends; else
 * DC_ECONFLICT with err naming time_start (too early) or time_end (over). */
dc_status dc__activation_check(const dc__entry *e, int64_t now_s, dc_error *err);
/* Under mu: every live operation whose window has ended by now_s becomes
 * `ended` through the one state change (actor "system"). Returns how many. */
size_t dc__windows_end(dc_server *s, int64_t now_s);
/* Takes the write lock when an operation is due and runs dc__windows_end;
 * the monitor's tick calls it each pass. Not under mu. */
size_t dc__windows_sweep(dc_server *s, int64_t now_s);

/* ---- probing control (probing.c): both mechanisms ---- */

dc_status dc__probing_start(dc_server *s);
void dc__probing_free(dc_server *s); /* accepts s->probing NULL */
/* Under mu: 1 when operator `who` is over its rejected submissions this
 * minute (the 429 "too_many_rejections"); never the authority. */
int dc__probing_refused(dc_server *s, uint32_t who, int is_authority);
/* Under mu, after a rejection of `who`'s volumes: counts it against the
 * operator's per-minute budget (audit "probing_suspected" at the limit) and
 * in its area (audit "probing_alert" and an authority alert when they pile
 * up within probe_window_s). */
void dc__probing_rejection(dc_server *s, uint32_t who, int is_authority, const dc_volume *vols,
                           size_t n);
/* Takes the authority alert bodies raised since the last call (JSON object
 * members, no braces; caller frees each with dc_free and the array too);
 * *n 0 when none. No lock needed; not under mu. */
char **dc__probing_take_alerts(dc_server *s, size_t *n);

/* ---- journal (journal.c) ---- */

/* Under mu: writes the entry and its audit record to the journal. */
dc_status dc__journal_entry(dc_server *s, const dc__entry *e, const char *actor, const char *action,
                            json_t *detail);
dc_status dc__journal_audit(dc_server *s, const char *actor, const char *action,
                            const char *subject, json_t *detail);
/* The same, for a record of party's own (its leaf's receipt goes to it). */
dc_status dc__journal_audit_for(dc_server *s, uint32_t party, const char *actor, const char *action,
                                const char *subject, json_t *detail);
dc_status dc__journal_push(dc_server *s, dc__write *w); /* takes ownership, under mu */
dc__write *dc__write_new(dc__write_kind kind);
void dc__write_free(dc__write *w);
/* Under mu, after journaling: w is done (and woken) once the writes
 * journaled so far are committed or have failed. */
void dc__journal_wait(dc_server *s, dc__waiter *w);
dc_status dc__committer_start(dc_server *s);
void dc__committer_stop(dc_server *s);
/* Work after an answer, on one worker thread (later.c): fn(s, ctx) runs
 * there, in order; with s NULL it only frees ctx (the job was dropped: the
 * queue was full, or the server stopping). Without a started worker (an
 * in-process server) fn runs at once. Stop runs what is queued. */
typedef void (*dc__later_fn)(dc_server *s, void *ctx);
dc_status dc__later_start(dc_server *s);
void dc__later(dc_server *s, dc__later_fn fn, void *ctx);
void dc__later_stop(dc_server *s);
/* Applies a batch's writes inside an open transaction; *n writes applied. */
dc_status dc__batch_apply(dc_store *st, const dc__write *w, size_t *n);
void dc__writes_free(dc__write *w);
/* Under mu (released and retaken): batch b finished with rc; reloads memory
 * on failure and wakes the waiters of that batch. */
void dc__batch_finish(dc_server *s, uint64_t b, dc_status rc);
/* At shutdown, after the grace period: every request still waiting for a
 * commit is answered as not confirmed (503) and woken, so no connection is
 * left suspended when the HTTP daemon stops. Takes mu. */
void dc__journal_abandon(dc_server *s);
void dc__metrics_check(dc_server *s, double seconds); /* check latency */

/* ---- transparency log (tlog_state.c) ---- */

/* Loads the log key (making one in a store that predates the log), the
 * leaves and the latest checkpoint; appends leaves for audit records that
 * have none (init's, or a store's made before the log). Before threads. */
dc_status dc__tlog_load(dc_server *s, dc_error *err);
void dc__tlog_free(dc_server *s);
/* Under mu: a leaf for audit record seq (party's, 0: none) into memory;
 * *row (journaled with the record) gets its store row, *has_row 1. Nothing
 * when the log is off. */
dc_status dc__tlog_record(dc_server *s, int64_t seq, uint32_t party, const char *entry, size_t len,
                          dc_store_leaf *row, int *has_row);
/* Under mu: pads the tree to the next block and journals a signed
 * checkpoint of it; *note (caller frees with dc_free) once it is made. */
dc_status dc__tlog_issue(dc_server *s, char **note);
/* Under mu: the receipt of the last record journaled, {index, seq, salt,
 * entry} as GET /v1/log/receipts gives it, when that record is newer than
 * audit seq `after` and is the caller's (party == who, or the caller is the
 * authority); NULL otherwise or when the log is off. Caller owns it. */
json_t *dc__tlog_receipt(dc_server *s, int64_t after, uint32_t who, int is_authority);
/* ---- witnesses (tlog_witness.c) ---- */

/* Under mu: note (copied), the checkpoint of that size, becomes the newest
 * checkpoint witnesses may cosign; the oldest of DC__COSIGNED is dropped.
 * A size not above the newest held is ignored (already there). */
dc_status dc__tlog_cosigned_push(dc__tlog *t, int64_t size, const char *note);
/* Not under mu: checks the cosignature lines (one or more, each ending in
 * a newline) against the configured witnesses' keys over the checkpoint
 * text (up to and including the newline before its blank line); got[k]
 * (dc_malloc'd, the caller frees) is witness k's newest valid line.
 * DC_EINVAL when no line is a configured witness's valid cosignature or one
 * claims a witness and does not verify (err names the field). */
dc_status dc__tlog_cosignature_check(dc_server *s, const char *text, size_t text_len,
                                     const char *lines, char *got[DC_MAX_WITNESSES], dc_error *err);
/* Under mu (in a window on a shared store): keeps got's lines (taken, set
 * to NULL) on the checkpoint whose text is text and journals them, all in
 * one batch; *journaled is 1 when a write was queued (the caller awaits
 * its commit). DC_ENOTFOUND when the checkpoint is not among the last
 * DC__COSIGNED. */
dc_status dc__tlog_cosignature_keep(dc_server *s, const char *text, size_t text_len,
                                    char *got[DC_MAX_WITNESSES], int *journaled, dc_error *err);
/* Under mu: 1 when the checkpoint is held and every line of got is the
 * one already kept for its witness (a replay: nothing to write). */
int dc__tlog_cosignature_held(dc_server *s, const char *text, size_t text_len,
                              char *got[DC_MAX_WITNESSES]);
/* Not under mu: the newest recent checkpoint with at least min witnesses'
 * cosignatures (0: the latest), its note with their lines appended;
 * dc_malloc'd, NULL when none (or no memory: *oom set). */
char *dc__tlog_cosigned_note(dc_server *s, unsigned min, int *oom);
/* At load (or under mu): the stored lines of the held checkpoints, each
 * checked again against the configured witnesses' keys. */
dc_status dc__tlog_cosigned_load(dc_server *s);
/* Under mu, inside a shared store's window whose head is change_seq, after
 * dc__tlog_follow: when the store changed since the last fold, the other
 * instances' newer checkpoints (up to the leaves held) and every stored
 * line of the held checkpoints. */
void dc__tlog_cosigned_follow(dc_server *s, int64_t change_seq);
void dc__tlog_cosigned_free(dc__tlog *t);

/* Under mu, inside a shared store's window: folds in the leaves the other
 * instances appended. */
dc_status dc__tlog_follow(dc_server *s);
dc_status dc__tlog_issuer_start(dc_server *s);
void dc__tlog_issuer_stop(dc_server *s);
/* Makes the log key and writes it to the store's meta (init). */
dc_status dc__tlog_key_init(dc_store *st, dc_error *err);
/* Writes leaf idx for record r (init's records, which name no party). */
dc_status dc__tlog_init_leaf(dc_store *st, int64_t idx, const dc_audit_record *r);

/* ---- the shared-store decision window (decision_window.c) ---- */

/* Takes mu for a handler that decides or changes state; on a shared store
 * also waits for a decision window. Nonzero (mu still held) when no window
 * came in time (store unreachable): the caller answers 503. */
int dc__write_lock(dc_server *s);
void *dc__sync_committer_main(void *arg); /* the committer on a shared store */
dc_status dc__follower_start(dc_server *s);
void dc__follower_stop(dc_server *s);
/* Without mu: folds in what other instances committed, now. For a lookup
 * that missed (a key or an operation created a moment ago elsewhere). */
void dc__sync_catch_up(dc_server *s);

/* ---- keys (keys.c) and notice ids (notice.c) ---- */

/* Makes a key for operator_number: *k filled for storage, key_out gets the
 * secret (shown once). */
dc_status dc__key_make(uint32_t operator_number, int64_t now_s, dc__key *k, char *key_out,
                       size_t key_len);
/* Constant-time check of a presented key against a stored one. */
int dc__key_matches(const dc__key *k, const char *presented);
/* Extracts the lookup prefix of a presented key; 0 on success. */
int dc__key_prefix(const char *presented, char prefix[16]);
/* The notice id of an entry's volume for one requester: an HMAC under the
 * server secret, stable for that requester only. */
void dc__notice_id(const dc_server *s, const char *entry_id, size_t vol, const char *requester,
                   char out[40]);
/* Under mu: appends volume v of live entry e as requester's blind notice
 * (a JSON object, or a GeoJSON Feature when geojson) with its id. */
void dc__notice_render(const dc_server *s, const dc__entry *e, size_t v, const char *requester,
                       int geojson, dc__buf *b);

#endif
