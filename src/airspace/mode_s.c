/* Mode S addresses (docs/feeds.md): the authority's register of which
 * aircraft addresses belong to which operator (one operator per address),
 * the addresses an operation declares at submission (each registered to its
 * owner), and the tie a live feed track makes with the active operation
 * that declared its address. All under the server's mu; rows are journaled
 * as holder -> "A,B,..." (holder an operator's or an operation's id). */
#include <stdio.h>
#include <string.h>

#include "airspace/airspace.h"

typedef struct dc__mode_s_addr {
    char hex[8];     /* the map's key, "4CA7A8" */
    uint32_t owner;  /* operator number; 0: registered to no one */
    dc__entry **ops; /* operations that declared it, live when added */
    size_t n_ops, cap_ops;
} mode_s_addr;

int dc__mode_s_parse(const char *str, uint32_t *out)
{
    uint32_t v = 0;
    if (!str || strlen(str) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        char c = str[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

static mode_s_addr *find(dc_server *s, uint32_t addr)
{
    char hex[8];
    snprintf(hex, sizeof hex, "%06X", addr & 0xffffff);
    return dc__map_get(&s->mode_s, hex);
}

static mode_s_addr *find_or_add(dc_server *s, uint32_t addr)
{
    mode_s_addr *a = find(s, addr);
    if (a)
        return a;
    if (dc__grow((void **)&s->mode_s_list, &s->cap_mode_s, s->n_mode_s + 1,
                 sizeof *s->mode_s_list) ||
        !(a = dc_calloc(1, sizeof *a)))
        return NULL;
    snprintf(a->hex, sizeof a->hex, "%06X", addr & 0xffffff);
    if (dc__map_put(&s->mode_s, a->hex, a) != DC_OK) {
        dc_free(a);
        return NULL;
    }
    s->mode_s_list[s->n_mode_s++] = a;
    return a;
}

/* "A,B,..." of n addresses; NULL when out of memory. */
static char *joined(const uint32_t *addrs, size_t n)
{
    dc__buf b = {0};
    dc__buf_str(&b, "");
    for (size_t i = 0; i < n; i++)
        dc__buf_fmt(&b, i ? ",%06X" : "%06X", addrs[i] & 0xffffff);
    if (b.oom) {
        dc__buf_free(&b);
        return NULL;
    }
    return b.p;
}

static dc_status journal_row(dc_server *s, const char *holder, const uint32_t *addrs, size_t n)
{
    dc__write *w = dc__write_new(DC__W_MODE_S);
    if (!w || !(w->strs[0] = dc_strdup(holder)) || !(w->strs[1] = joined(addrs, n))) {
        dc__write_free(w);
        return DC_ENOMEM;
    }
    w->u.ms = (dc_store_mode_s){w->strs[0], w->strs[1]};
    return dc__journal_push(s, w);
}

dc_status dc__mode_s_register(dc_server *s, const dc__operator *o, const uint32_t *addrs, size_t n,
                              const char *actor, size_t *bad, char holder[24])
{
    for (size_t i = 0; i < n; i++) {
        mode_s_addr *a = find(s, addrs[i]);
        if (a && a->owner && a->owner != o->number) {
            dc__operator *other = dc__operator_get(s, a->owner);
            snprintf(holder, 24, "%s", other ? other->id : "");
            *bad = i;
            return DC_EEXIST;
        }
    }
    /* Every new address gets its record first, so nothing below fails half way. */
    for (size_t i = 0; i < n; i++)
        if (!find_or_add(s, addrs[i]))
            return DC_ENOMEM;
    for (size_t i = 0; i < s->n_mode_s; i++)
        if (s->mode_s_list[i]->owner == o->number)
            s->mode_s_list[i]->owner = 0;
    for (size_t i = 0; i < n; i++)
        find(s, addrs[i])->owner = o->number;
    dc_status rc = journal_row(s, o->id, addrs, n);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char hex[8];
        snprintf(hex, sizeof hex, "%06X", addrs[i] & 0xffffff);
        json_array_append_new(list, json_string(hex));
    }
    if (rc == DC_OK)
        rc = dc__journal_audit(s, actor, "mode_s_register", o->id,
                               json_pack("{s:s, s:o}", "operator", o->id, "addresses", list));
    else
        json_decref(list);
    return rc;
}

uint32_t dc__mode_s_owner(dc_server *s, uint32_t addr)
{
    mode_s_addr *a = find(s, addr);
    return a ? a->owner : 0;
}

json_t *dc__mode_s_registered(dc_server *s, uint32_t op)
{
    json_t *list = json_array();
    for (size_t i = 0; i < s->n_mode_s; i++)
        if (s->mode_s_list[i]->owner == op)
            json_array_append_new(list, json_string(s->mode_s_list[i]->hex));
    return list;
}

/* Records e as declaring addrs in memory (e->mode_s takes a copy); on
 * DC_ENOMEM no address lists e. */
static dc_status declare_mem(dc_server *s, dc__entry *e, const uint32_t *addrs, size_t n)
{
    uint32_t *copy = n ? dc_malloc(n * sizeof *copy) : NULL;
    if (n && !copy)
        return DC_ENOMEM;
    /* Room first, so that either every address lists e or none does. */
    for (size_t i = 0; i < n; i++) {
        mode_s_addr *a = find_or_add(s, addrs[i]);
        if (!a) {
            dc_free(copy);
            return DC_ENOMEM;
        }
        /* Operations that are over keep no place in the list. */
        size_t k = 0;
        for (size_t j = 0; j < a->n_ops; j++)
            if (dc__state_live(a->ops[j]->state) && a->ops[j] != e)
                a->ops[k++] = a->ops[j];
        a->n_ops = k;
        if (dc__grow((void **)&a->ops, &a->cap_ops, a->n_ops + 1, sizeof *a->ops)) {
            dc_free(copy);
            return DC_ENOMEM;
        }
    }
    for (size_t i = 0; i < n; i++) {
        mode_s_addr *a = find(s, addrs[i]);
        if (!a->n_ops || a->ops[a->n_ops - 1] != e) /* an address listed twice */
            a->ops[a->n_ops++] = e;
        copy[i] = addrs[i] & 0xffffff;
    }
    dc_free(e->mode_s);
    e->mode_s = copy;
    e->n_mode_s = n;
    if (n)
        atomic_store(&s->mode_s_declared, 1);
    return DC_OK;
}

dc_status dc__mode_s_declare(dc_server *s, dc__entry *e, const uint32_t *addrs, size_t n)
{
    if (!n)
        return DC_OK;
    dc_status rc = declare_mem(s, e, addrs, n);
    return rc == DC_OK ? journal_row(s, e->id, addrs, n) : rc;
}

int dc__mode_s_tie(dc_server *s, uint32_t addr, uint32_t *owner, const char **operation_id)
{
    mode_s_addr *a = find(s, addr);
    if (!a || !a->owner)
        return 0;
    for (size_t i = 0; i < a->n_ops; i++) {
        const dc__entry *e = a->ops[i];
        if (e->owner == a->owner && (e->state == DC__ACTIVE || e->state == DC__NONCONFORMING)) {
            *owner = a->owner;
            *operation_id = e->id;
            return 1;
        }
    }
    return 0;
}

/* "A,B,..." into at most cap addresses; the count, or -1 if malformed. */
static long split(const char *text, uint32_t *out, size_t cap)
{
    size_t n = 0;
    while (*text) {
        char one[8];
        size_t len = strcspn(text, ",");
        if (len != 6 || n == cap)
            return -1;
        memcpy(one, text, 6);
        one[6] = 0;
        if (dc__mode_s_parse(one, &out[n++]))
            return -1;
        text += len + (text[len] == ',');
    }
    return (long)n;
}

int dc__load_mode_s(void *ctx, const dc_store_mode_s *m)
{
    dc__load_ctx *l = ctx;
    dc_server *s = l->s;
    size_t cap = strlen(m->addresses) / 7 + 1;
    uint32_t *v = dc_malloc(cap * sizeof *v);
    long n = v ? split(m->addresses, v, cap) : -1;
    if (n < 0) {
        dc_free(v);
        l->rc = v ? DC_ECORRUPT : DC_ENOMEM;
        dc_error_set(l->err, "store", "bad Mode S row for %s", m->holder);
        return 1;
    }
    if (!strncmp(m->holder, "opr_", 4)) {
        const dc__operator *o = dc__operator_by_id(s, m->holder);
        for (size_t i = 0; o && i < s->n_mode_s; i++)
            if (s->mode_s_list[i]->owner == o->number)
                s->mode_s_list[i]->owner = 0;
        for (long i = 0; o && i < n; i++) {
            mode_s_addr *a = find_or_add(s, v[i]);
            if (a)
                a->owner = o->number;
        }
    } else {
        dc__entry *e = dc__entry_get(s, m->holder);
        if (e && !e->is_restriction && declare_mem(s, e, v, (size_t)n) != DC_OK)
            l->rc = DC_ENOMEM;
    }
    dc_free(v);
    return l->rc != DC_OK;
}

void dc__mode_s_free(dc_server *s)
{
    for (size_t i = 0; i < s->n_mode_s; i++) {
        dc_free(s->mode_s_list[i]->ops);
        dc_free(s->mode_s_list[i]);
    }
    dc_free(s->mode_s_list);
    s->mode_s_list = NULL;
    s->n_mode_s = s->cap_mode_s = 0;
    dc__map_free(&s->mode_s);
    atomic_store(&s->mode_s_declared, 0);
}
