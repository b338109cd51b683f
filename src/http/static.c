/* Static files of the web situational display (web/ in the repository),
 * served at "/" and below for GET and HEAD when no API route matches. The
 * files are public (the page signs in with an API key; the data comes from
 * the API), so no authentication here. Paths are whitelisted by character,
 * dot segments and hidden files are refused, and the resolved real path
 * must stay inside the web directory: no traversal, no symlink escape. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/http.h"

#define STATIC_MAX_BYTES (32u << 20)

static char default_root[PATH_MAX];
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* web/ beside the binary's directory (build/deconflict -> web/), then in
 * it, then in the working directory. */
static void find_default_root(void)
{
    char exe[PATH_MAX], cand[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            static const char *const rel[] = {"/../web", "/../../web", "/web"};
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
                if (is_dir(cand) && realpath(cand, default_root))
                    return;
            }
        }
    }
    if (!is_dir("web") || !realpath("web", default_root))
        default_root[0] = 0;
}

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".geojson", "application/geo+json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".md", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

/* Letters, digits, '-', '_', '.', '/'; no empty, "." or ".." segment and no
 * segment that starts with a dot. */
static int safe_path(const char *url)
{
    if (url[0] != '/')
        return 0;
    const char *seg = url + 1;
    for (const char *p = url + 1;; p++) {
        char c = *p;
        if (c == '/' || c == 0) {
            size_t len = (size_t)(p - seg);
            if (len == 0 && c == '/')
                return 0;
            if (len && seg[0] == '.')
                return 0;
            if (!c)
                return 1;
            seg = p + 1;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
}

static void not_found(dc__req *r)
{
    dc__reply_error(r, 404, "not_found", "path", "no such route");
}

void dc__static_serve(dc__req *r, const char *url)
{
    const char *root = r->s->cfg.web_dir;
    char root_real[PATH_MAX], want[PATH_MAX + 600], real[PATH_MAX];
    if (!root) {
        pthread_once(&default_once, find_default_root);
        root = default_root;
    }
    if (!root[0] || strlen(url) > 512 || !safe_path(url) || !realpath(root, root_real)) {
        not_found(r);
        return;
    }
    size_t n_root = strlen(root_real);
    snprintf(want, sizeof want, "%s%s%s", root_real, url,
             url[strlen(url) - 1] == '/' ? "index.html" : "");
    if (!realpath(want, real) || strncmp(real, root_real, n_root) || real[n_root] != '/') {
        not_found(r);
        return;
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX_BYTES) {
        if (fd >= 0)
            close(fd);
        not_found(r);
        return;
    }
    dc__buf b = {0};
    char chunk[65536];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof chunk)) > 0)
        dc__buf_add(&b, chunk, (size_t)got);
    close(fd);
    if (got < 0) {
        dc__buf_free(&b);
        dc__reply_error(r, 500, "internal", "", "cannot read the file");
        return;
    }
    if (!b.p)
        dc__buf_add(&b, "", 0);
    dc__reply_buf(r, 200, content_type(real), &b);
}
