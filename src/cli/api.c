/* Shared plumbing of the API subcommands (api.h): options, key, calls,
 * exit codes, files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"

void dc__api_init(dc__api *a, const char *cmd)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->url = getenv("DECONFLICT_URL");
    if (!a->url || !a->url[0])
        a->url = "http://127.0.0.1:8080";
}

int dc__api_opt(dc__api *a, int argc, char **argv, int *i)
{
    const char *o = argv[*i];
    if (!strcmp(o, "--json")) {
        a->json = 1;
        return 1;
    }
    if (*i + 1 < argc && !strcmp(o, "--url")) {
        a->url = argv[++*i];
        return 1;
    }
    if (*i + 1 < argc && !strcmp(o, "--key-file")) {
        a->key_file = argv[++*i];
        return 1;
    }
    return 0;
}

int dc__api_open(dc__api *a, int need_key)
{
    a->key = dc__cli_key(a->key_file, a->keybuf, sizeof a->keybuf);
    if (!a->key && need_key) {
        fprintf(stderr, "deconflict %s: no API key: set DECONFLICT_KEY or pass --key-file FILE\n",
                a->cmd);
        return DC_EXIT_AUTH;
    }
    a->c = dc__client_new(a->url);
    if (!a->c) {
        fprintf(stderr, "deconflict %s: out of memory\n", a->cmd);
        return DC_EXIT_UNAVAILABLE;
    }
    return DC_EXIT_OK;
}

void dc__api_close(dc__api *a)
{
    dc__client_free(a->c);
    a->c = NULL;
}

long dc__api_call(dc__api *a, const char *method, const char *path, const json_t *body,
                  const char *extra_header, json_t **out, char **raw)
{
    if (out)
        *out = NULL;
    long st = dc__client_call(a->c, method, path, a->key, body, extra_header, out, raw);
    if (!st)
        fprintf(stderr, "deconflict %s: no answer from %s\n", a->cmd, dc__client_error(a->c));
    return st;
}

int dc__api_exit(long s)
{
    if (s >= 200 && s < 300)
        return DC_EXIT_OK;
    if (s == 401 || s == 403)
        return DC_EXIT_AUTH;
    if (s == 404)
        return DC_EXIT_NOTFOUND;
    if (s == 409)
        return DC_EXIT_REFUSED;
    if (s == 400 || s == 412 || s == 413 || s == 422 || s == 428)
        return DC_EXIT_INVALID;
    return DC_EXIT_UNAVAILABLE;
}

int dc__api_fail(dc__api *a, long status, const json_t *body)
{
    int code = dc__api_exit(status);
    if (!status)
        return code;
    if (a->json && body) {
        dc__api_print_json(body);
        return code;
    }
    const char *e = json_string_value(json_object_get(body, "error"));
    const char *f = json_string_value(json_object_get(body, "field"));
    const char *r = json_string_value(json_object_get(body, "reason"));
    fprintf(stderr, "deconflict %s: %ld %s%s%s%s%s\n", a->cmd, status, e ? e : "error",
            f && f[0] ? ": " : "", f ? f : "", r ? ": " : "", r ? r : "");
    return code;
}

void dc__api_print_json(const json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
    if (s) {
        puts(s);
        free(s);
    }
}

char *dc__read_file(const char *cmd, const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "deconflict %s: cannot read %s: %s\n", cmd, path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *p = malloc(cap);
    while (p) {
        size_t k = fread(p + n, 1, cap - n - 1, f);
        n += k;
        if (n + 1 < cap)
            break;
        if (cap > ((size_t)1 << 30)) {
            free(p);
            p = NULL;
            break;
        }
        char *q = realloc(p, cap * 2);
        if (!q) {
            free(p);
            p = NULL;
            break;
        }
        p = q;
        cap *= 2;
    }
    int err = ferror(f);
    if (f != stdin)
        fclose(f);
    if (!p || err) {
        free(p);
        fprintf(stderr, "deconflict %s: cannot read %s\n", cmd, path);
        return NULL;
    }
    p[n] = 0;
    *len = n;
    return p;
}

int dc__write_out(const char *cmd, const char *path, const char *text)
{
    if (!path || !strcmp(path, "-")) {
        fputs(text, stdout);
        if (!text[0] || text[strlen(text) - 1] != '\n')
            fputc('\n', stdout); /* a terminal prompt after JSON stays on its own line */
        return 0;
    }
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        fprintf(stderr, "deconflict %s: cannot write %s\n", cmd, path);
        return -1;
    }
    return 0;
}
