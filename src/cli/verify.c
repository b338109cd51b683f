/* `deconflict verify`: an operator's (or anyone's) check of the host's
 * transparency log, run by hand or from cron. Evidence is kept in a
 * directory: the pinned verifier key, every signed checkpoint seen, every
 * receipt received. Each run fetches the server's key, latest checkpoint
 * and the caller's receipts, then checks every saved checkpoint's
 * signature, every receipt's inclusion in the latest checkpoint, and every
 * saved checkpoint's consistency with the latest (which makes every pair
 * consistent: all are prefixes of one tree). With --witness-key and
 * --min-witnesses K it accepts only a checkpoint that K of those witnesses
 * have cosigned (C2SP tlog-cosignature). Exit codes: 0 holds, 1 cannot
 * check, 2 usage, 10 bad signature, 11 truncated, 12 fork, 13 rewritten,
 * 14 not enough witnesses;
 * every finding is printed, the exit code names the most specific.
 * `deconflict log key --store S` prints a store's verifier key.
 * docs/transparency.md. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/evidence.h"
#include "deconflict/audit.h"
#include "deconflict/server.h"
#include "deconflict/tlog.h"

enum {
    X_OK = 0,
    X_ERROR = 1,
    X_USAGE = 2,
    X_SIGNATURE = 10,
    X_TRUNCATED = 11,
    X_FORK = 12,
    X_REWRITTEN = 13,
    X_WITNESSES = 14
};

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict verify --dir DIR [--url URL] [--key-file FILE]\n"
               "                         [--witness-key VKEY]... [--min-witnesses K]\n\n"
               "Keeps evidence in DIR (key, checkpoints/, receipts/) and checks the\n"
               "server's transparency log against it. With --url, fetches the log key,\n"
               "the latest signed checkpoint and (with an API key from --key-file or\n"
               "DECONFLICT_KEY) the caller's receipts, then checks every receipt's\n"
               "inclusion and every saved checkpoint's consistency with the latest.\n"
               "Without --url, checks the saved evidence only (signatures, forks).\n"
               "--witness-key (repeatable) names a witness's cosigner verifier key;\n"
               "--min-witnesses K (default 1 with keys) accepts only a checkpoint that\n"
               "K of them have cosigned.\n\n"
               "Exit: 0 the log holds, 1 cannot check, 2 usage, 10 bad signature,\n"
               "11 truncated log, 12 fork, 13 a record of yours was rewritten,\n"
               "14 not enough witnesses cosigned the latest checkpoint.\n");
}

typedef struct saved_cp {
    char path[600];
    dc_tlog_checkpoint cp;
} saved_cp;

typedef struct vstate {
    const char *dir;
    dc__client *c;
    const char *key; /* API key, may be NULL */
    char vkey[400];
    saved_cp *cps;
    size_t n_cps;
    const char *witness[DC_MAX_WITNESSES]; /* cosigner verifier keys */
    size_t n_witness;
    unsigned min_witnesses;
    int result; /* the first finding's exit code */
} vstate;

static void finding(vstate *v, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void finding(vstate *v, int code, const char *fmt, ...)
{
    va_list ap;
    static const char *const names[] = {[X_SIGNATURE] = "BAD SIGNATURE",
                                        [X_TRUNCATED] = "TRUNCATED",
                                        [X_FORK] = "FORK",
                                        [X_REWRITTEN] = "REWRITTEN",
                                        [X_WITNESSES] = "NOT ENOUGH WITNESSES"};
    printf("%s: ", names[code]);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    /* The exit code names the most specific finding: a rewrite or a
     * truncation also breaks consistency, so it outranks a plain fork. */
    static const int rank[] = {
        [X_SIGNATURE] = 5, [X_REWRITTEN] = 4, [X_TRUNCATED] = 3, [X_FORK] = 2, [X_WITNESSES] = 1};
    if (!v->result || rank[code] > rank[v->result])
        v->result = code;
}

static long get(vstate *v, const char *path, int auth, json_t **json, char **raw)
{
    return dc__client_call(v->c, "GET", path, auth ? v->key : NULL, NULL, NULL, json, raw);
}

/* The key: pinned on first sight, then every run must see the same. */
static int pin_key(vstate *v)
{
    char path[600], *raw = NULL;
    snprintf(path, sizeof path, "%s/key", v->dir);
    char *saved = dc__cli_read_text(path);
    if (v->c) {
        long st = get(v, "/v1/log/key", 0, NULL, &raw);
        if (st != 200 || !raw) {
            fprintf(stderr, "deconflict verify: GET /v1/log/key: %ld\n", st);
            free(raw);
            free(saved);
            return -1;
        }
        raw[strcspn(raw, "\r\n")] = 0;
        if (!saved && dc__cli_write_text(path, raw)) {
            fprintf(stderr, "deconflict verify: cannot write %s\n", path);
            free(raw);
            return -1;
        }
        if (saved) {
            saved[strcspn(saved, "\r\n")] = 0;
            if (strcmp(saved, raw))
                finding(v, X_SIGNATURE, "the server's log key %s is not the pinned one", raw);
        }
    }
    const char *k = saved ? saved : raw;
    if (!k) {
        fprintf(stderr, "deconflict verify: no key in %s (run once with --url)\n", v->dir);
        free(raw);
        return -1;
    }
    snprintf(v->vkey, sizeof v->vkey, "%s", k);
    v->vkey[strcspn(v->vkey, "\r\n")] = 0;
    free(raw);
    free(saved);
    return 0;
}

static int add_saved(vstate *v, const char *path)
{
    char *note = dc__cli_read_text(path);
    dc_error err = {{0}, {0}};
    if (!note)
        return -1;
    saved_cp s;
    snprintf(s.path, sizeof s.path, "%s", path);
    if (dc_tlog_checkpoint_open(note, v->vkey, &s.cp, &err) != DC_OK) {
        finding(v, X_SIGNATURE, "%s does not verify", path);
    } else {
        saved_cp *p = realloc(v->cps, (v->n_cps + 1) * sizeof *p);
        if (!p) {
            free(note);
            return -1;
        }
        v->cps = p;
        v->cps[v->n_cps++] = s;
    }
    free(note);
    return 0;
}

static int load_checkpoints(vstate *v)
{
    char dir[600], path[900];
    snprintf(dir, sizeof dir, "%s/checkpoints", v->dir);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".note"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (add_saved(v, path)) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    /* Two signed roots for one size: a fork, whatever else holds. */
    for (size_t i = 0; i < v->n_cps; i++)
        for (size_t j = i + 1; j < v->n_cps; j++)
            if (v->cps[i].cp.size == v->cps[j].cp.size &&
                memcmp(v->cps[i].cp.root, v->cps[j].cp.root, 32))
                finding(v, X_FORK, "two signed roots for size %lld", (long long)v->cps[i].cp.size);
    return 0;
}

/* Fetches the latest checkpoint into DIR; *cp its content (size 0: none). */
static int fetch_checkpoint(vstate *v, dc_tlog_checkpoint *cp)
{
    char *raw = NULL, path[700], q[64];
    dc_error err = {{0}, {0}};
    memset(cp, 0, sizeof *cp);
    /* With witnesses required, the newest checkpoint they have cosigned:
     * the latest may not be cosigned yet. */
    if (v->min_witnesses)
        snprintf(q, sizeof q, "/v1/log/checkpoint?witnesses=%u", v->min_witnesses);
    else
        snprintf(q, sizeof q, "/v1/log/checkpoint");
    long st = get(v, q, 0, NULL, &raw);
    if (st == 404) {
        if (v->min_witnesses)
            finding(v, X_WITNESSES, "no recent checkpoint is cosigned by %u witnesses",
                    v->min_witnesses);
        free(raw);
        return 0;
    }
    if (st != 200 || !raw) {
        fprintf(stderr, "deconflict verify: GET /v1/log/checkpoint: %ld\n", st);
        free(raw);
        return -1;
    }
    if (dc_tlog_checkpoint_open(raw, v->vkey, cp, &err) != DC_OK) {
        finding(v, X_SIGNATURE, "the server's checkpoint does not verify: %s", err.reason);
        memset(cp, 0, sizeof *cp);
        free(raw);
        return 0;
    }
    if (v->min_witnesses) {
        size_t forged, n = dc_tlog_cosigned_by(raw, v->witness, v->n_witness, &forged);
        if (n < v->min_witnesses) {
            finding(v, X_WITNESSES,
                    "the checkpoint of size %llu has %zu valid cosignatures of your %zu "
                    "witnesses (%zu forged), %u required",
                    (unsigned long long)cp->size, n, v->n_witness, forged, v->min_witnesses);
            memset(cp, 0, sizeof *cp);
            free(raw);
            return 0;
        }
    }
    /* Named by size and root, so a second root for a size is kept too. */
    char rh[65];
    for (int i = 0; i < 4; i++)
        snprintf(rh + 2 * i, 3, "%02x", cp->root[i]);
    snprintf(path, sizeof path, "%s/checkpoints/%020llu-%s.note", v->dir,
             (unsigned long long)cp->size, rh);
    struct stat sb;
    if (stat(path, &sb) && dc__cli_write_text(path, raw)) {
        fprintf(stderr, "deconflict verify: cannot write %s\n", path);
        free(raw);
        return -1;
    }
    free(raw);
    return 0;
}

/* Receipts: saved once; a receipt that comes back different is a rewrite. */
static int fetch_receipts(vstate *v)
{
    long long after = -1;
    for (;;) {
        char path[128];
        json_t *j = NULL;
        if (after < 0)
            snprintf(path, sizeof path, "/v1/log/receipts");
        else
            snprintf(path, sizeof path, "/v1/log/receipts?after=%lld", after);
        long st = get(v, path, 1, &j, NULL);
        if (st != 200 || !j) {
            fprintf(stderr, "deconflict verify: GET %s: %ld\n", path, st);
            json_decref(j);
            return -1;
        }
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(j, "receipts"), i, r)
        {
            char file[700];
            long long idx = (long long)json_integer_value(json_object_get(r, "index"));
            snprintf(file, sizeof file, "%s/receipts/%020lld.json", v->dir, idx);
            char *text = json_dumps(r, JSON_SORT_KEYS | JSON_COMPACT);
            char *old = dc__cli_read_text(file);
            if (!text) {
                free(old);
                json_decref(j);
                return -1;
            }
            if (old && strcmp(old, text))
                finding(v, X_REWRITTEN, "the server's receipt for leaf %lld differs from yours",
                        idx);
            else if (!old && dc__cli_write_text(file, text)) {
                fprintf(stderr, "deconflict verify: cannot write %s\n", file);
                free(text);
                json_decref(j);
                return -1;
            }
            free(old);
            free(text);
        }
        json_t *next = json_object_get(j, "next_after");
        int more = json_is_integer(next);
        after = more ? (long long)json_integer_value(next) : after;
        json_decref(j);
        if (!more)
            return 0;
    }
}

static int check_receipts(vstate *v, const dc_tlog_checkpoint *cur)
{
    char dir[600], path[900];
    snprintf(dir, sizeof dir, "%s/receipts", v->dir);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (!strstr(e->d_name, ".json") || strstr(e->d_name, ".tmp"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        json_t *r = json_load_file(path, 0, NULL), *pj = NULL;
        long long idx = (long long)json_integer_value(json_object_get(r, "index"));
        const char *salt = json_string_value(json_object_get(r, "salt"));
        const char *entry = json_string_value(json_object_get(r, "entry"));
        uint8_t s[32], data[32], leaf[32], p[DC_TLOG_MAX_PROOF][32];
        size_t len;
        if (!r || !salt || !entry || strlen(salt) != 64) {
            fprintf(stderr, "deconflict verify: %s is not a receipt\n", path);
            rc = -1;
        } else if ((unsigned long long)idx < cur->size) {
            for (int i = 0; i < 32; i++) {
                unsigned x = 0;
                sscanf(salt + 2 * i, "%2x", &x);
                s[i] = (uint8_t)x;
            }
            dc_tlog_commit(s, entry, strlen(entry), data);
            dc_tlog_leaf_hash(data, 32, leaf);
            char q[128];
            snprintf(q, sizeof q, "/v1/log/proof/inclusion?index=%lld&size=%llu", idx,
                     (unsigned long long)cur->size);
            long st = get(v, q, 1, &pj, NULL);
            if (st != 200 || dc__cli_proof_from(pj, p, &len)) {
                fprintf(stderr, "deconflict verify: GET %s: %ld\n", q, st);
                rc = -1;
            } else if (dc_tlog_verify_inclusion((uint64_t)idx, cur->size, leaf,
                                                (const uint8_t(*)[32])p, len, cur->root) != DC_OK) {
                finding(v, X_REWRITTEN, "your record at leaf %lld is not in the latest checkpoint",
                        idx);
            }
        }
        json_decref(pj);
        json_decref(r);
    }
    closedir(d);
    return rc;
}

static int check_consistency(vstate *v, const dc_tlog_checkpoint *cur)
{
    for (size_t i = 0; i < v->n_cps; i++) {
        const dc_tlog_checkpoint *old = &v->cps[i].cp, *a = old, *b = cur;
        uint8_t p[DC_TLOG_MAX_PROOF][32];
        size_t len;
        json_t *j = NULL;
        if (old->size == cur->size) {
            if (memcmp(old->root, cur->root, 32))
                finding(v, X_FORK, "two signed roots for size %lld", (long long)old->size);
            continue;
        }
        if (old->size > cur->size) {
            /* With witnesses required, cur is the newest cosigned checkpoint,
             * not the latest: a larger saved one must extend it. */
            if (!v->min_witnesses) {
                finding(v, X_TRUNCATED, "the log was signed at size %lld and is now smaller",
                        (long long)old->size);
                continue;
            }
            a = cur;
            b = old;
        }
        char q[128];
        snprintf(q, sizeof q, "/v1/log/proof/consistency?from=%llu&to=%llu",
                 (unsigned long long)a->size, (unsigned long long)b->size);
        long st = get(v, q, 0, &j, NULL);
        if (st == 400 && b == old) { /* the server's latest is below it */
            json_decref(j);
            finding(v, X_TRUNCATED, "the log was signed at size %lld and is now smaller",
                    (long long)old->size);
            continue;
        }
        if (st != 200 || dc__cli_proof_from(j, p, &len)) {
            fprintf(stderr, "deconflict verify: GET %s: %ld\n", q, st);
            json_decref(j);
            return -1;
        }
        json_decref(j);
        if (dc_tlog_verify_consistency(a->size, b->size, (const uint8_t(*)[32])p, len, a->root,
                                       b->root) != DC_OK)
            finding(v, X_FORK, "no consistency proof joins size %lld to size %lld",
                    (long long)a->size, (long long)b->size);
    }
    return 0;
}

static int make_dirs(const char *dir)
{
    char p[700];
    const char *sub[3] = {"", "/checkpoints", "/receipts"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", dir, sub[i]);
        if (mkdir(p, 0700) && errno != EEXIST)
            return -1;
    }
    return 0;
}

/* A --witness-key: a cosigner verifier key, each counted once. */
static int witness_key(vstate *v, const char *vkey)
{
    if (dc_tlog_cosigner_key_check(vkey) != DC_OK) {
        fprintf(stderr,
                "deconflict verify: --witness-key %s is not a cosigner verifier key "
                "(deconflict witness keygen prints one)\n",
                vkey);
        return 0;
    }
    for (size_t i = 0; i < v->n_witness; i++)
        if (!strcmp(v->witness[i], vkey))
            return 1;
    if (v->n_witness == DC_MAX_WITNESSES) {
        fprintf(stderr, "deconflict verify: at most %d --witness-key\n", DC_MAX_WITNESSES);
        return 0;
    }
    v->witness[v->n_witness++] = vkey;
    return 1;
}

int dc_cli_verify(int argc, char **argv)
{
    const char *url = NULL, *key_file = NULL;
    char keybuf[256];
    long min_witnesses = -1;
    vstate v = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return X_OK;
        } else if (i + 1 < argc && !strcmp(argv[i], "--dir")) {
            v.dir = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--url")) {
            url = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--key-file")) {
            key_file = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--witness-key")) {
            if (!witness_key(&v, argv[++i]))
                return X_USAGE;
        } else if (i + 1 < argc && !strcmp(argv[i], "--min-witnesses")) {
            char *end;
            unsigned long k = strtoul(argv[++i], &end, 10);
            if (*end || !argv[i][0] || argv[i][0] == '-' || k > DC_MAX_WITNESSES) {
                fprintf(stderr, "deconflict verify: --min-witnesses must be 0..%d\n",
                        DC_MAX_WITNESSES);
                return X_USAGE;
            }
            min_witnesses = (long)k;
        } else {
            fprintf(stderr, "deconflict verify: unexpected argument '%s'\n", argv[i]);
            help(stderr);
            return X_USAGE;
        }
    }
    if (!v.dir) {
        help(stderr);
        return X_USAGE;
    }
    v.min_witnesses = min_witnesses >= 0 ? (unsigned)min_witnesses : v.n_witness ? 1 : 0;
    if (v.min_witnesses > v.n_witness) {
        fprintf(stderr, "deconflict verify: --min-witnesses %u needs as many --witness-key\n",
                v.min_witnesses);
        return X_USAGE;
    }
    int rc = X_ERROR;
    dc_tlog_checkpoint cur = {0};
    if (make_dirs(v.dir)) {
        fprintf(stderr, "deconflict verify: cannot make %s: %s\n", v.dir, strerror(errno));
        return X_ERROR;
    }
    if (url) {
        if (!(v.c = dc__client_new(url)))
            return X_ERROR;
        if (key_file || getenv("DECONFLICT_KEY"))
            v.key = dc__cli_key(key_file, keybuf, sizeof keybuf);
    }
    if (pin_key(&v) || (v.c && fetch_checkpoint(&v, &cur)) || load_checkpoints(&v))
        goto done;
    if (v.c && v.key && fetch_receipts(&v))
        goto done;
    if (v.c && cur.size && (check_receipts(&v, &cur) || check_consistency(&v, &cur)))
        goto done;
    rc = v.result;
    if (!rc)
        printf("transparency log OK: %zu checkpoints%s%s\n", v.n_cps,
               cur.size ? ", latest size " : "", cur.size ? "checked" : "");
done:
    if (rc == X_ERROR && v.result)
        rc = v.result;
    free(v.cps);
    dc__client_free(v.c);
    return rc;
}

int dc_cli_log(int argc, char **argv)
{
    const char *store = NULL;
    if (argc < 2 || strcmp(argv[1], "key")) {
        fprintf(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
                "usage: deconflict log key --store STORE\n\n"
                "Prints the transparency log's note verifier key (as GET /v1/log/key).\n");
        return argc >= 2 && !strcmp(argv[1], "--help") ? X_OK : X_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--store")) {
            store = argv[++i];
        } else {
            fprintf(stderr, "deconflict log: unexpected argument '%s'\n", argv[i]);
            return X_USAGE;
        }
    }
    if (!store) {
        fprintf(stderr, "usage: deconflict log key --store STORE\n");
        return X_USAGE;
    }
    dc_store *st;
    dc_error err = {{0}, {0}};
    char vkey[400];
    dc_status rc = dc_store_open(store, 0, &st, &err);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict log: %s\n", err.reason[0] ? err.reason : dc_status_str(rc));
        return X_ERROR;
    }
    rc = dc_audit_log_key(st, vkey, sizeof vkey);
    dc_store_close(st);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict log: no log key: %s\n", dc_status_str(rc));
        return X_ERROR;
    }
    printf("%s\n", vkey);
    return X_OK;
}
