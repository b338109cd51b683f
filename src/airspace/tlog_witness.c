/* Witness cosignatures held with the log (docs/transparency.md): the last
 * DC__COSIGNED checkpoints, each with the newest valid cosignature line of
 * every witness the config names. A line is checked once, when posted,
 * against the checkpoint's own text; a line that claims a configured
 * witness and does not verify is refused whole. Nothing here is stored:
 * a witness cosigns the latest checkpoint every round, so a restarted
 * server is cosigned again within one witness interval. */
#include <stdio.h>
#include <string.h>

#include "airspace/airspace.h"

enum { MAX_LINES = 2 * DC_MAX_WITNESSES };

static void slot_clear(struct dc__cosigned *c)
{
    dc_free(c->note);
    c->note = NULL;
    for (size_t k = 0; k < DC_MAX_WITNESSES; k++) {
        dc_free(c->lines[k]);
        c->lines[k] = NULL;
    }
}

dc_status dc__tlog_cosigned_push(dc__tlog *t, const char *note)
{
    char *copy = dc_strdup(note);
    if (!copy)
        return DC_ENOMEM;
    struct dc__cosigned *c = &t->cosigned[t->cosigned_next % DC__COSIGNED];
    slot_clear(c);
    c->note = copy;
    t->cosigned_next++;
    return DC_OK;
}

void dc__tlog_cosigned_free(dc__tlog *t)
{
    for (size_t i = 0; i < DC__COSIGNED; i++)
        slot_clear(&t->cosigned[i]);
    t->cosigned_next = 0;
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

dc_status dc__tlog_cosignature_add(dc_server *s, const char *text, size_t text_len,
                                   const char *lines, dc_error *err)
{
    char *got[DC_MAX_WITNESSES] = {0};
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
                char *copy = dc_malloc(len + 2);
                if (!copy) {
                    rc = DC_ENOMEM;
                    break;
                }
                memcpy(copy, line, len);
                memcpy(copy + len, "\n", 2);
                n_got += !got[k];
                dc_free(got[k]);
                got[k] = copy;
            }
        }
        line += len + (end ? 1 : 0);
    }
    if (rc == DC_OK && !n_got)
        rc = dc_error_set(err, "cosignature", "no valid cosignature by a configured witness");
    if (rc == DC_OK) {
        pthread_mutex_lock(&s->mu);
        struct dc__cosigned *c = find(&s->tlog, text, text_len);
        if (!c) {
            rc = DC_ENOTFOUND;
            dc_error_set(err, "checkpoint", "not one of the last %d checkpoints", DC__COSIGNED);
        }
        for (unsigned k = 0; c && k < cfg->n_witnesses; k++) {
            if (got[k]) { /* a later line from one witness replaces its earlier */
                dc_free(c->lines[k]);
                c->lines[k] = got[k];
                got[k] = NULL;
            }
        }
        pthread_mutex_unlock(&s->mu);
    }
    for (unsigned k = 0; k < DC_MAX_WITNESSES; k++)
        dc_free(got[k]);
    return rc;
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
