/* Witness cosignatures held with the log (docs/transparency.md): the last
 * DC__COSIGNED checkpoints, each with the newest valid cosignature line of
 * every witness the config names. A posted line is checked against the
 * checkpoint's own text; a line that claims a configured witness and does
 * not verify is refused whole. Accepted lines are journaled (table
 * tlog_cosignatures, one row per checkpoint size and witness key) in one
 * batch per request, and read back, checked again against the keys
 * configured then, when the server loads; on a shared store every window
 * after another instance's commit folds in the store's newer checkpoints
 * and lines, so each instance serves what was posted to any. */
#include <stdio.h>
#include <string.h>

#include "airspace/airspace.h"

enum { MAX_LINES = 2 * DC_MAX_WITNESSES };

static void slot_clear(struct dc__cosigned *c)
{
    dc_free(c->note);
    c->note = NULL;
    c->size = 0;
    for (size_t k = 0; k < DC_MAX_WITNESSES; k++) {
        dc_free(c->lines[k]);
        c->lines[k] = NULL;
    }
}

/* The newest slot; NULL when none. */
static struct dc__cosigned *newest(dc__tlog *t)
{
    return t->cosigned_next ? &t->cosigned[(t->cosigned_next - 1) % DC__COSIGNED] : NULL;
}

dc_status dc__tlog_cosigned_push(dc__tlog *t, int64_t size, const char *note)
{
    const struct dc__cosigned *last = newest(t);
    if (last && last->note && last->size >= size)
        return DC_OK;
    char *copy = dc_strdup(note);
    if (!copy)
        return DC_ENOMEM;
    struct dc__cosigned *c = &t->cosigned[t->cosigned_next % DC__COSIGNED];
    slot_clear(c);
    c->note = copy;
    c->size = size;
    t->cosigned_next++;
    return DC_OK;
}

void dc__tlog_cosigned_free(dc__tlog *t)
{
    for (size_t i = 0; i < DC__COSIGNED; i++)
        slot_clear(&t->cosigned[i]);
    t->cosigned_next = 0;
    t->cosig_seq = 0;
}

/* The slot whose checkpoint text is text; NULL if none. */
static struct dc__cosigned *find(dc__tlog *t, const char *text, size_t len)
{
    for (size_t i = 0; i < DC__COSIGNED; i++) {
        struct dc__cosigned *c = &t->cosigned[i];
        if (c->note && !strncmp(c->note, text, len) && c->note[len] == '\n')
            return c;
    }
    return NULL;
}

static struct dc__cosigned *find_size(dc__tlog *t, int64_t size)
{
    for (size_t i = 0; i < DC__COSIGNED; i++)
        if (t->cosigned[i].note && t->cosigned[i].size == size)
            return &t->cosigned[i];
    return NULL;
}

/* A copy of line[0..len) with its newline. */
static char *line_dup(const char *line, size_t len)
{
    char *copy = dc_malloc(len + 2);
    if (copy) {
        memcpy(copy, line, len);
        memcpy(copy + len, "\n", 2);
    }
    return copy;
}

dc_status dc__tlog_cosignature_check(dc_server *s, const char *text, size_t text_len,
                                     const char *lines, char *got[DC_MAX_WITNESSES], dc_error *err)
{
    const dc_server_config *cfg = &s->cfg; /* read-only after start */
    int64_t now_s = dc__unix_s();
    dc_status rc = DC_OK;
    size_t n_got = 0, n_lines = 0;
    /* Open to anyone: a bounded number of lines, so a request costs at
     * most that many signature checks per witness. */
    for (const char *p = lines; (p = strchr(p, '\n')) && n_lines <= MAX_LINES; p++)
        n_lines++;
    if (n_lines > MAX_LINES)
        return dc_error_set(err, "cosignature", "more than %d lines", MAX_LINES);
    for (const char *line = lines; *line && rc == DC_OK;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        for (unsigned k = 0; k < cfg->n_witnesses && rc == DC_OK; k++) {
            uint64_t t_s;
            dc_status c =
                dc_tlog_cosignature_check(text, text_len, line, len, cfg->witnesses[k], &t_s);
            if (c == DC_ECORRUPT) {
                rc = dc_error_set(err, "cosignature",
                                  "a line claims witness %u's key and does not verify", k + 1);
            } else if (c == DC_OK && t_s > (uint64_t)now_s + 300) {
                rc = dc_error_set(err, "cosignature", "timestamp %llu is in the future",
                                  (unsigned long long)t_s);
            } else if (c == DC_OK) {
                char *copy = line_dup(line, len);
                if (!copy) {
                    rc = DC_ENOMEM;
                    break;
                }
                n_got += !got[k];
                dc_free(got[k]);
                got[k] = copy;
            }
        }
        line += len + (end ? 1 : 0);
    }
    if (rc == DC_OK && !n_got)
        rc = dc_error_set(err, "cosignature", "no valid cosignature by a configured witness");
    return rc;
}

dc_status dc__tlog_cosignature_keep(dc_server *s, const char *text, size_t text_len,
                                    char *got[DC_MAX_WITNESSES], int *journaled, dc_error *err)
{
    const dc_server_config *cfg = &s->cfg;
    dc__write *w[DC_MAX_WITNESSES] = {0};
    *journaled = 0;
    struct dc__cosigned *c = find(&s->tlog, text, text_len);
    if (!c) {
        dc_error_set(err, "checkpoint", "not one of the last %d checkpoints", DC__COSIGNED);
        return DC_ENOTFOUND;
    }
    /* Every write made before any is queued: a request is stored whole or
     * not at all (one batch, one transaction). A line already held (a
     * replay) is not written again. */
    for (unsigned k = 0; k < cfg->n_witnesses; k++) {
        if (!got[k] || (c->lines[k] && !strcmp(c->lines[k], got[k])))
            continue;
        if (!(w[k] = dc__write_new(DC__W_COSIGNATURE)) ||
            !(w[k]->strs[0] = dc_strdup(cfg->witnesses[k])) ||
            !(w[k]->strs[1] = dc_strdup(got[k]))) {
            for (unsigned j = 0; j <= k; j++)
                dc__write_free(w[j]);
            return DC_ENOMEM;
        }
        w[k]->u.cs = (dc_store_cosignature){c->size, w[k]->strs[0], w[k]->strs[1]};
    }
    for (unsigned k = 0; k < cfg->n_witnesses; k++) {
        if (!w[k])
            continue;
        dc__journal_push(s, w[k]);
        *journaled = 1;
        dc_free(c->lines[k]); /* a later line from one witness replaces its earlier */
        c->lines[k] = got[k];
        got[k] = NULL;
    }
    return DC_OK;
}

int dc__tlog_cosignature_held(dc_server *s, const char *text, size_t text_len,
                              char *got[DC_MAX_WITNESSES])
{
    const struct dc__cosigned *c = find(&s->tlog, text, text_len);
    for (unsigned k = 0; c && k < s->cfg.n_witnesses; k++)
        if (got[k] && !(c->lines[k] && !strcmp(c->lines[k], got[k])))
            return 0;
    return c != NULL;
}

char *dc__tlog_cosigned_note(dc_server *s, unsigned min, int *oom)
{
    dc__buf b = {0};
    *oom = 0;
    pthread_mutex_lock(&s->mu);
    dc__tlog *t = &s->tlog;
    for (size_t i = 0; i < DC__COSIGNED && i < t->cosigned_next; i++) {
        const struct dc__cosigned *c = &t->cosigned[(t->cosigned_next - 1 - i) % DC__COSIGNED];
        unsigned n = 0;
        for (size_t k = 0; k < DC_MAX_WITNESSES; k++)
            n += c->lines[k] != NULL;
        if (!c->note || n < min)
            continue;
        dc__buf_str(&b, c->note);
        for (size_t k = 0; k < DC_MAX_WITNESSES; k++)
            if (c->lines[k])
                dc__buf_str(&b, c->lines[k]);
        break;
    }
    pthread_mutex_unlock(&s->mu);
    if (b.oom) {
        *oom = 1;
        dc__buf_free(&b);
        return NULL;
    }
    return b.p;
}

/* ---- stored lines: read back at load, folded in on a shared store ---- */

typedef struct fold_ctx {
    dc_server *s;
    dc_status rc;
    int later; /* a checkpoint beyond the leaves held: adopt it at a later window */
} fold_ctx;

/* A stored line onto its checkpoint's slot, as the line of the configured
 * witness whose key it verifies against (the config may have changed since
 * it was posted); one already held is not checked again. */
static int fold_line(void *ctx, const dc_store_cosignature *row)
{
    fold_ctx *f = ctx;
    const dc_server_config *cfg = &f->s->cfg;
    struct dc__cosigned *c = find_size(&f->s->tlog, row->size);
    const char *sep = c ? strstr(c->note, "\n\n") : NULL;
    size_t len = strlen(row->line);
    if (!sep || !len || row->line[len - 1] != '\n')
        return 0;
    for (unsigned k = 0; k < cfg->n_witnesses; k++)
        if (c->lines[k] && !strcmp(c->lines[k], row->line))
            return 0;
    for (unsigned k = 0; k < cfg->n_witnesses; k++) {
        if (dc_tlog_cosignature_check(c->note, (size_t)(sep - c->note) + 1, row->line, len - 1,
                                      cfg->witnesses[k], NULL) != DC_OK)
            continue;
        char *copy = line_dup(row->line, len - 1);
        if (!copy) {
            f->rc = DC_ENOMEM;
            return 1;
        }
        dc_free(c->lines[k]);
        c->lines[k] = copy;
        return 0;
    }
    return 0; /* a witness no longer configured, or a row altered: not served */
}

dc_status dc__tlog_cosigned_load(dc_server *s)
{
    dc__tlog *t = &s->tlog;
    fold_ctx f = {s, DC_OK, 0};
    int64_t oldest = -1;
    for (size_t i = 0; i < DC__COSIGNED; i++)
        if (t->cosigned[i].note && (oldest < 0 || t->cosigned[i].size < oldest))
            oldest = t->cosigned[i].size;
    if (oldest < 0 || !s->cfg.n_witnesses)
        return DC_OK;
    dc_status rc = dc_store_cosignature_each(s->store, oldest, fold_line, &f);
    return rc == DC_OK ? f.rc : rc;
}

/* Another instance's checkpoint, once this one holds its leaves. */
static int adopt(void *ctx, const dc_store_checkpoint *cp)
{
    fold_ctx *f = ctx;
    dc__tlog *t = &f->s->tlog;
    char *note;
    if (cp->size > (int64_t)t->n) {
        f->later = 1;
        return 1;
    }
    if (!(note = dc_strdup(cp->note)) || dc__tlog_cosigned_push(t, cp->size, note) != DC_OK) {
        dc_free(note);
        f->rc = DC_ENOMEM;
        return 1;
    }
    dc_free(t->checkpoint);
    t->checkpoint = note;
    t->checkpoint_size = cp->size;
    return 0;
}

void dc__tlog_cosigned_follow(dc_server *s, int64_t change_seq)
{
    dc__tlog *t = &s->tlog;
    fold_ctx f = {s, DC_OK, 0};
    if (!t->on || change_seq <= t->cosig_seq)
        return;
    dc_status rc = dc_store_checkpoint_each(s->store, t->checkpoint_size, adopt, &f);
    if (rc == DC_OK && (rc = f.rc) == DC_OK)
        rc = dc__tlog_cosigned_load(s);
    if (rc == DC_OK && !f.later)
        t->cosig_seq = change_seq;
    else if (rc != DC_OK) /* again at the next window */
        fprintf(stderr, "deconflict: cannot fold in the store's cosignatures (%s)\n",
                dc_status_str(rc));
}
