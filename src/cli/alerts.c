/* `deconflict alerts [--follow]`: the caller's alerts, one JSON object per
 * line (GET /v1/alerts), or live from the Server-Sent Events stream
 * (GET /v1/alerts/stream) until interrupted or --max N alerts came; with
 * --text one readable line each, distances in NM and altitudes in ft/FL. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"
#include "cli/cli.h"
#include "cli/units.h"

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict alerts [--since SEQ] [--follow [--max N]] [--text] [--url URL]\n"
               "                         [--key-file FILE]\n\n"
               "Prints each alert as one line of JSON (oldest first); --text as one line\n"
               "for a person instead (HH:MMZ, NM with km beside, ft/FL with m beside).\n"
               "--follow keeps the\n"
               "connection open and prints alerts as they are raised; --max N stops after N.\n"
               "With --since, alerts after that seq (the last line's \"seq\"); the answer's\n"
               "cursor is printed on stderr as \"next: SEQ\".\n\n"
               "examples:\n"
               "  DECONFLICT_KEY=$(cat coalition.key) deconflict alerts\n"
               "  deconflict alerts --key-file iran.key --follow\n"
               "  deconflict alerts --since 12 --follow --max 1\n\n" DC_EXIT_HELP);
}

typedef struct sse {
    char line[65536];
    size_t n;
    long max, seen;
    int text;
} sse;

/* One alert as the caller asked: its JSON, or a line for a person. */
static void print_alert(const json_t *al, int text)
{
    if (text) {
        char at[16], line[600];
        dc__fmt_hhmm(json_string_value(json_object_get(al, "time")), at, sizeof at);
        dc__alert_text(al, at, line, sizeof line);
        printf("%s\n", line);
        return;
    }
    char *s = json_dumps(al, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (s)
        printf("%s\n", s);
    free(s);
}

static size_t on_sse(char *p, size_t size, size_t nmemb, void *ud)
{
    sse *s = ud;
    size_t len = size * nmemb;
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '\n') {
            if (s->n + 1 < sizeof s->line)
                s->line[s->n++] = p[i];
            continue;
        }
        s->line[s->n] = 0;
        if (!strncmp(s->line, "data:", 5)) {
            const char *d = s->line + 5 + (s->line[5] == ' ');
            json_t *j = s->text ? json_loads(d, 0, NULL) : NULL;
            if (j)
                print_alert(j, 1);
            else
                printf("%s\n", d);
            json_decref(j);
            fflush(stdout);
            if (s->max > 0 && ++s->seen >= s->max)
                return 0; /* enough: abort the transfer */
        }
        s->n = 0;
    }
    return len;
}

static int follow(dc__api *a, long since, long max, int text)
{
    CURL *cu = curl_easy_init();
    if (!cu)
        return DC_EXIT_UNAVAILABLE;
    char url[1024], auth[600];
    snprintf(url, sizeof url, "%s/v1/alerts/stream%s%ld", a->url, since >= 0 ? "?since=" : "",
             since >= 0 ? since : 0L);
    if (since < 0)
        url[strlen(url) - 1] = 0; /* no cursor: the trailing 0 came from %ld */
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", a->key);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    sse *s = calloc(1, sizeof *s);
    if (!s) {
        curl_slist_free_all(h);
        curl_easy_cleanup(cu);
        return DC_EXIT_UNAVAILABLE;
    }
    s->max = max;
    s->text = text;
    curl_easy_setopt(cu, CURLOPT_URL, url);
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_sse);
    curl_easy_setopt(cu, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(cu);
    long st = 0;
    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &st);
    int code = DC_EXIT_OK;
    if (rc == CURLE_WRITE_ERROR && s->max > 0 && s->seen >= s->max)
        code = DC_EXIT_OK;
    else if (st != 200)
        code = st ? dc__api_exit(st) : DC_EXIT_UNAVAILABLE;
    else if (rc != CURLE_OK)
        code = DC_EXIT_UNAVAILABLE;
    if (code)
        fprintf(stderr, "deconflict alerts: the stream ended (HTTP %ld, %s)\n", st,
                curl_easy_strerror(rc));
    free(s);
    curl_slist_free_all(h);
    curl_easy_cleanup(cu);
    return code;
}

int dc_cli_alerts(int argc, char **argv)
{
    dc__api a;
    dc__api_init(&a, "alerts");
    long since = -1, max = 0;
    int fol = 0, text = 0;
    for (int i = 1; i < argc; i++) {
        char *e;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (dc__api_opt(&a, argc, argv, &i)) {
        } else if (!strcmp(argv[i], "--follow")) {
            fol = 1;
        } else if (!strcmp(argv[i], "--text")) {
            text = 1;
        } else if (i + 1 < argc && !strcmp(argv[i], "--since") &&
                   (since = strtol(argv[i + 1], &e, 10)) >= 0 && !*e) {
            i++;
        } else if (i + 1 < argc && !strcmp(argv[i], "--max") &&
                   (max = strtol(argv[i + 1], &e, 10)) > 0 && !*e) {
            i++;
        } else {
            return dc__cli_bad_arg(
                "alerts", "--follow --since --max --text --url --key-file --json", argc, argv, i);
        }
    }
    int code = dc__api_open(&a, 1);
    if (code)
        return code;
    if (fol) {
        code = follow(&a, since, max, text);
        dc__api_close(&a);
        return code;
    }
    long cursor = since < 0 ? 0 : since;
    for (;;) { /* page until the end */
        char path[96];
        snprintf(path, sizeof path, "/v1/alerts?since=%ld&limit=1000", cursor);
        json_t *ans = NULL;
        long st = dc__api_call(&a, "GET", path, NULL, NULL, &ans, NULL);
        if (st != 200) {
            code = dc__api_fail(&a, st, ans);
            json_decref(ans);
            break;
        }
        json_t *al = json_object_get(ans, "alerts");
        for (size_t i = 0; i < json_array_size(al); i++)
            print_alert(json_array_get(al, i), text);
        long next = (long)json_integer_value(json_object_get(ans, "next"));
        size_t n = json_array_size(al);
        json_decref(ans);
        if (!n || next <= cursor) {
            fprintf(stderr, "next: %ld\n", cursor);
            break;
        }
        cursor = next;
    }
    dc__api_close(&a);
    return code;
}
