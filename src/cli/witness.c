/* `deconflict witness`: a third party's cosigner of the transparency log
 * (docs/transparency.md). Each round it fetches the log's latest signed
 * checkpoint, checks the log's signature (key pinned in DIR on first
 * sight, or given), checks that the checkpoint extends the last one it
 * cosigned (RFC 6962 consistency proof; same size: same root), records it
 * in DIR before signing, and posts a C2SP tlog-cosignature (Ed25519,
 * cosignature/v1) to POST /v1/log/cosignature. The checks are those of
 * C2SP tlog-witness's add-checkpoint, with the witness pulling instead of
 * the log pushing. It never cosigns a smaller tree or a fork: it keeps
 * the refused checkpoint as evidence and exits 10 (bad signature), 11
 * (smaller than cosigned) or 12 (not consistent).
 * `deconflict witness keygen` makes its key. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/evidence.h"
#include "deconflict/tlog.h"

enum {
    WIT_OK = 0,
    WIT_ERROR = 1,
    WIT_USAGE = 2,
    WIT_SIGNATURE = 10,
    WIT_ROLLBACK = 11,
    WIT_FORK = 12
};

#define KEY_PREFIX "PRIVATE+KEY+"

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict witness --url URL --key FILE [--dir DIR] [--interval S]\n"
               "                          [--log-key VKEY] [--once]\n"
               "       deconflict witness keygen --name NAME --out FILE\n\n"
               "Follows the server's transparency log and cosigns every checkpoint that\n"
               "extends the last one it cosigned (C2SP tlog-cosignature, cosignature/v1),\n"
               "posting the cosignature to /v1/log/cosignature. DIR (default .) keeps the\n"
               "log's key (pinned on first sight unless --log-key gives it) and the last\n"
               "checkpoint cosigned. Every S seconds (default 10); --once: one round.\n"
               "keygen writes a new key to FILE (never overwritten, mode 0600) and prints\n"
               "its verifier key, for the server's \"witnesses\" and verify --witness-key.\n\n"
               "Exit: 0 cosigned (or nothing to cosign yet), 1 cannot check, 2 usage,\n"
               "10 bad log signature or key, 11 smaller than the tree cosigned, 12 fork.\n");
}

/* ---- the key file: "PRIVATE+KEY+name+hash8+base64(0x04 || seed)" ---- */

typedef struct wkey {
    char name[256];
    uint8_t seed[32];
    char vkey[400];
} wkey;

static int keygen(int argc, char **argv)
{
    const char *name = NULL, *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--name"))
            name = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--out"))
            out = argv[++i];
        else {
            help(stderr);
            return WIT_USAGE;
        }
    }
    uint8_t raw[33];
    char vkey[400], b64[64], line[700];
    if (!name || !out) {
        help(stderr);
        return WIT_USAGE;
    }
    raw[0] = 0x04;
    if (dc_tlog_key_new(raw + 1) != DC_OK ||
        dc_tlog_cosigner_key(name, raw + 1, vkey, sizeof vkey) != DC_OK) {
        fprintf(stderr, "deconflict witness: bad name '%s' (no space or '+')\n", name);
        return WIT_USAGE;
    }
    const char *hash = strchr(vkey, '+') + 1; /* name+hash8+key */
    dc_tlog_b64(raw, sizeof raw, b64);
    int n = snprintf(line, sizeof line, KEY_PREFIX "%s+%.8s+%s\n", name, hash, b64);
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || write(fd, line, (size_t)n) != n || close(fd)) {
        fprintf(stderr, "deconflict witness: cannot write %s: %s\n", out, strerror(errno));
        return WIT_ERROR;
    }
    printf("%s\n", vkey);
    return WIT_OK;
}

static int load_key(const char *path, wkey *k)
{
    char *text = dc__cli_read_text(path);
    uint8_t raw[33];
    int ok = 0;
    if (text && !strncmp(text, KEY_PREFIX, strlen(KEY_PREFIX))) {
        char *name = text + strlen(KEY_PREFIX), *p1 = strchr(name, '+');
        char *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
        if (p2 && p1 - name < 256 && p2 - p1 == 9) {
            char *b = p2 + 1;
            b[strcspn(b, "\r\n")] = 0;
            memcpy(k->name, name, (size_t)(p1 - name));
            k->name[p1 - name] = 0;
            ok = dc_tlog_unb64(b, strlen(b), raw, 33) == DC_OK && raw[0] == 0x04 &&
                 dc_tlog_cosigner_key(k->name, raw + 1, k->vkey, sizeof k->vkey) == DC_OK &&
                 !strncmp(strchr(k->vkey, '+'), p1, 9); /* the hash matches the key */
            memcpy(k->seed, raw + 1, 32);
        }
    }
    free(text);
    if (!ok)
        fprintf(stderr, "deconflict witness: %s is not a witness key (deconflict witness keygen)\n",
                path);
    return ok ? 0 : -1;
}

/* ---- one round ---- */

typedef struct witness {
    dc__client *c;
    const char *dir;
    const char *log_key; /* --log-key, or NULL: pinned in DIR */
    wkey key;
    char vkey[400]; /* the log's */
} witness;

static void path_in(const witness *w, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", w->dir, name);
}

/* The log's key: the given one, else pinned on first sight. */
static int log_key(witness *w)
{
    char path[700], *raw = NULL;
    long st = dc__client_call(w->c, "GET", "/v1/log/key", NULL, NULL, NULL, NULL, &raw);
    if (st != 200 || !raw) {
        fprintf(stderr, "deconflict witness: GET /v1/log/key: %ld\n", st);
        free(raw);
        return WIT_ERROR;
    }
    raw[strcspn(raw, "\r\n")] = 0;
    path_in(w, "log-key", path, sizeof path);
    char *pinned = w->log_key ? strdup(w->log_key) : dc__cli_read_text(path);
    if (!pinned && dc__cli_write_text(path, raw)) {
        fprintf(stderr, "deconflict witness: cannot write %s\n", path);
        free(raw);
        return WIT_ERROR;
    }
    if (pinned)
        pinned[strcspn(pinned, "\r\n")] = 0;
    int rc = WIT_OK;
    if (pinned && strcmp(pinned, raw)) {
        fprintf(stderr, "deconflict witness: REFUSED: the log's key %s is not %s\n", raw, pinned);
        rc = WIT_SIGNATURE;
    }
    snprintf(w->vkey, sizeof w->vkey, "%s", pinned ? pinned : raw);
    free(pinned);
    free(raw);
    return rc;
}

/* Keeps a refused checkpoint as evidence; returns code. */
static int refuse(const witness *w, const char *note, int code, const char *why, uint64_t size)
{
    char name[80], path[700];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(name, sizeof name, "refused-%llu-%lld.%09ld.note", (unsigned long long)size,
             (long long)now.tv_sec, now.tv_nsec);
    path_in(w, name, path, sizeof path);
    dc__cli_write_text(path, note);
    fprintf(stderr, "deconflict witness: REFUSED checkpoint of size %llu: %s (kept in %s)\n",
            (unsigned long long)size, why, path);
    return code;
}

/* Does cur extend old? WIT_OK, or the refusal's code. */
static int extends(witness *w, const char *note, const dc_tlog_checkpoint *old,
                   const dc_tlog_checkpoint *cur)
{
    uint8_t p[DC_TLOG_MAX_PROOF][32];
    size_t len;
    char q[128];
    json_t *j = NULL;
    if (cur->size < old->size)
        return refuse(w, note, WIT_ROLLBACK, "smaller than the tree already cosigned", cur->size);
    if (cur->size == old->size)
        return memcmp(cur->root, old->root, 32)
                   ? refuse(w, note, WIT_FORK, "another root for a size already cosigned",
                            cur->size)
                   : WIT_OK;
    snprintf(q, sizeof q, "/v1/log/proof/consistency?from=%llu&to=%llu",
             (unsigned long long)old->size, (unsigned long long)cur->size);
    long st = dc__client_call(w->c, "GET", q, NULL, NULL, NULL, &j, NULL);
    int bad = st != 200 || dc__cli_proof_from(j, p, &len);
    json_decref(j);
    if (bad) {
        fprintf(stderr, "deconflict witness: GET %s: %ld\n", q, st);
        return WIT_ERROR;
    }
    if (dc_tlog_verify_consistency(old->size, cur->size, (const uint8_t(*)[32])p, len, old->root,
                                   cur->root) != DC_OK)
        return refuse(w, note, WIT_FORK, "no consistency proof joins it to the tree cosigned",
                      cur->size);
    return WIT_OK;
}

static int post(witness *w, const char *note, size_t text_len)
{
    char line[512];
    json_t *ans = NULL;
    uint64_t now_s = (uint64_t)time(NULL);
    if (dc_tlog_cosign(w->key.name, w->key.seed, now_s, note, text_len, line, sizeof line) !=
        DC_OK) {
        fprintf(stderr, "deconflict witness: cannot sign\n");
        return WIT_ERROR;
    }
    json_t *body = json_pack("{s:s, s:s}", "checkpoint", note, "cosignature", line);
    long st = dc__client_call(w->c, "POST", "/v1/log/cosignature", NULL, body, NULL, &ans, NULL);
    json_decref(body);
    if (st != 200) {
        const char *why = json_string_value(json_object_get(ans, "reason"));
        fprintf(stderr, "deconflict witness: POST /v1/log/cosignature: %ld %s\n", st,
                why ? why : "");
    }
    json_decref(ans);
    return st == 200 ? WIT_OK : WIT_ERROR;
}

static int round_once(witness *w)
{
    char path[700], *note = NULL;
    dc_error err = {{0}, {0}};
    dc_tlog_checkpoint cur, old;
    int rc = log_key(w);
    if (rc != WIT_OK)
        return rc;
    long st = dc__client_call(w->c, "GET", "/v1/log/checkpoint", NULL, NULL, NULL, NULL, &note);
    if (st == 404) {
        free(note);
        return WIT_OK; /* nothing signed yet */
    }
    const char *sep = note ? strstr(note, "\n\n") : NULL;
    if (st != 200 || !sep) {
        fprintf(stderr, "deconflict witness: GET /v1/log/checkpoint: %ld\n", st);
        free(note);
        return WIT_ERROR;
    }
    if (dc_tlog_checkpoint_open(note, w->vkey, &cur, &err) != DC_OK) {
        rc = refuse(w, note, WIT_SIGNATURE, err.reason[0] ? err.reason : "bad log signature", 0);
        free(note);
        return rc;
    }
    path_in(w, "checkpoint", path, sizeof path);
    char *saved = dc__cli_read_text(path);
    if (saved && dc_tlog_checkpoint_open(saved, w->vkey, &old, &err) != DC_OK) {
        fprintf(stderr, "deconflict witness: %s does not verify: %s\n", path, err.reason);
        rc = WIT_ERROR;
    } else if (saved) {
        rc = extends(w, note, &old, &cur);
    }
    free(saved);
    /* Recorded before it is cosigned (C2SP tlog-witness): a crash after
     * signing never lets an older tree be cosigned again. */
    if (rc == WIT_OK && dc__cli_write_text(path, note)) {
        fprintf(stderr, "deconflict witness: cannot write %s\n", path);
        rc = WIT_ERROR;
    }
    if (rc == WIT_OK && (rc = post(w, note, (size_t)(sep - note) + 1)) == WIT_OK)
        printf("cosigned %s size %llu\n", cur.origin, (unsigned long long)cur.size);
    fflush(stdout);
    free(note);
    return rc;
}

int dc_cli_witness(int argc, char **argv)
{
    const char *url = NULL, *key_file = NULL;
    double interval_s = 10;
    int once = 0;
    witness w = {0};
    w.dir = ".";
    if (argc >= 2 && !strcmp(argv[1], "keygen"))
        return keygen(argc, argv);
    for (int i = 1; i < argc; i++) {
        char *end;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return WIT_OK;
        } else if (i + 1 < argc && !strcmp(argv[i], "--url")) {
            url = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--key")) {
            key_file = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--dir")) {
            w.dir = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--log-key")) {
            w.log_key = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--interval")) {
            interval_s = strtod(argv[++i], &end);
            if (*end || !(interval_s >= 0.1 && interval_s <= 86400)) {
                fprintf(stderr, "deconflict witness: --interval must be 0.1..86400 seconds\n");
                return WIT_USAGE;
            }
        } else if (!strcmp(argv[i], "--once")) {
            once = 1;
        } else {
            fprintf(stderr, "deconflict witness: unexpected argument '%s'\n", argv[i]);
            help(stderr);
            return WIT_USAGE;
        }
    }
    if (!url || !key_file) {
        help(stderr);
        return WIT_USAGE;
    }
    if (load_key(key_file, &w.key))
        return WIT_ERROR;
    if (mkdir(w.dir, 0700) && errno != EEXIST) {
        fprintf(stderr, "deconflict witness: cannot make %s: %s\n", w.dir, strerror(errno));
        return WIT_ERROR;
    }
    if (!(w.c = dc__client_new(url)))
        return WIT_ERROR;
    int rc;
    for (;;) {
        rc = round_once(&w);
        /* A refusal ends the witness: what it saw is evidence, not noise.
         * An unreachable server is retried. */
        if (once || rc >= WIT_SIGNATURE)
            break;
        struct timespec ts = {(time_t)interval_s,
                              (long)((interval_s - (double)(time_t)interval_s) * 1e9)};
        nanosleep(&ts, NULL);
    }
    dc__client_free(w.c);
    return rc;
}
