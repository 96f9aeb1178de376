/* The browser UI: GET and HEAD of anything outside /api/, /healthz and /metrics. Files come
 * from the table compiled in from web/, or from the directory named by web_dir (development).
 * A path without an extension that names no file is answered with index.html, so that the
 * application's own routes (/events/42) survive a reload; one with an extension is a 404. */
#include "http/static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "http/http.h"

#define STATIC_MAX_FILE (32L << 20) /* a file of web_dir larger than this is refused */

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"woff2", "font/woff2"},
    {"ico", "image/x-icon"},
    {"txt", "text/plain; charset=utf-8"},
};

const char *ermes__static_type(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');

    if (dot)
        for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
            if (strcasecmp(dot + 1, types[k].ext) == 0)
                return types[k].type;
    return "application/octet-stream";
}

int ermes__static_etag_match(const char *h, const char *etag)
{
    size_t n = strlen(etag);

    if (!h)
        return 0;
    while (*h) {
        size_t len;
        while (*h == ' ' || *h == '\t' || *h == ',')
            h++;
        if (*h == '*')
            return 1;
        if (h[0] == 'W' && h[1] == '/')
            h += 2;
        if (*h != '"')
            return 0; /* not a list of entity tags: no match, a full answer */
        len = strcspn(h + 1, "\"");
        if (h[1 + len] != '"')
            return 0;
        if (len + 2 == n && memcmp(h, etag, n) == 0)
            return 1;
        h += len + 2;
    }
    return 0;
}

static int has_prefix_segment(const char *path, const char *seg)
{
    size_t n = strlen(seg);

    return strncmp(path, seg, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int ermes__static_is_ui_path(const char *path)
{
    return path[0] == '/' && !has_prefix_segment(path, "/api") &&
           !has_prefix_segment(path, "/healthz") && !has_prefix_segment(path, "/metrics") &&
           !has_prefix_segment(path, "/taxii2");
}

int ermes__static_path_ok(const char *path)
{
    const char *seg = path;

    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return 0;
    while (*seg) {
        size_t len;
        while (*seg == '/')
            seg++;
        len = strcspn(seg, "/");
        /* "." and ".." and every hidden name (".git", ".env") start with a dot. */
        if (len && seg[0] == '.')
            return 0;
        seg += len;
    }
    return 1;
}

int ermes__static_has_extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *last = slash ? slash + 1 : path;
    const char *dot = strrchr(last, '.');

    return dot && dot != last && dot[1];
}

/* A file to answer with: the bytes are either the table's or owned (read from web_dir). */
typedef struct found {
    const unsigned char *data;
    size_t len;
    char *owned;
    char etag[40];
} found_t;

static int find_embedded(const char *rel, found_t *f)
{
    for (const ermes__web_file_t *w = ermes__web_files; w->path; w++)
        if (strcmp(w->path, rel) == 0) {
            f->data = w->data;
            f->len = w->len;
            snprintf(f->etag, sizeof(f->etag), "%s", w->etag);
            return 0;
        }
    return ERMES_ENOTFOUND;
}

/* Reads rel under root (a canonical directory). The resolved path must stay under root, so a
 * symbolic link that leads out of it is refused like a missing file. */
static int find_on_disk(const char *root, const char *rel, found_t *f)
{
    char path[PATH_MAX], real[PATH_MAX];
    size_t rootlen = strlen(root);
    unsigned char hash[16];
    struct stat sb;
    ssize_t got;
    size_t done = 0;
    int fd, w;

    w = snprintf(path, sizeof(path), "%s/%s", root, rel);
    if (w < 0 || (size_t)w >= sizeof(path) || !realpath(path, real))
        return ERMES_ENOTFOUND;
    if (strncmp(real, root, rootlen) != 0 || real[rootlen] != '/')
        return ERMES_ENOTFOUND;
    fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return ERMES_ENOTFOUND;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        return ERMES_ENOTFOUND;
    }
    if (sb.st_size > STATIC_MAX_FILE) {
        close(fd);
        return ERMES_ETOOBIG;
    }
    f->owned = ermes__malloc((size_t)sb.st_size + 1);
    if (!f->owned) {
        close(fd);
        return ERMES_ENOMEM;
    }
    while (done < (size_t)sb.st_size) {
        got = read(fd, f->owned + done, (size_t)sb.st_size - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        done += (size_t)got;
    }
    close(fd);
    f->data = (const unsigned char *)f->owned;
    f->len = done;
    crypto_generichash(hash, sizeof(hash), f->data, f->len, NULL, 0);
    f->etag[0] = '"';
    sodium_bin2hex(f->etag + 1, sizeof(f->etag) - 2, hash, sizeof(hash));
    snprintf(f->etag + 33, sizeof(f->etag) - 33, "\"");
    return 0;
}

static int find(ermes__req_t *req, const char *rel, found_t *f)
{
    memset(f, 0, sizeof(*f));
    if (req->srv->web_root)
        return find_on_disk(req->srv->web_root, rel, f);
    return find_embedded(rel, f);
}

enum MHD_Result ermes__static_serve(ermes__req_t *req)
{
    const char *path = req->url, *rel;
    const char *inm;
    found_t f;
    int rc;

    if (req->url_nul || !ermes__static_path_ok(path))
        return ermes__reply_error(req, 400, "bad_request", NULL,
                                  "the path may not contain \"..\", hidden names, backslashes "
                                  "or control characters");
    rel = path + strspn(path, "/");
    if (!*rel)
        rel = "index.html";
    rc = find(req, rel, &f);
    if (rc == ERMES_ENOTFOUND && !ermes__static_has_extension(rel)) {
        /* The application's own route: its page, which reads the path itself. */
        rel = "index.html";
        rc = find(req, rel, &f);
    }
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such file: %.200s", path);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    /* No file name carries a version, so browsers revalidate everything: a 304 is cheap. */
    req->cache_control = "no-cache";
    ermes__reply_header(req, "ETag", f.etag);
    inm = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "If-None-Match");
    if (ermes__static_etag_match(inm, f.etag)) {
        ermes__free(f.owned);
        return ermes__reply_empty(req, 304);
    }
    if (f.owned)
        return ermes__reply_owned(req, 200, ermes__static_type(rel), f.owned, f.len);
    return ermes__reply_static(req, 200, ermes__static_type(rel), f.data, f.len);
}

int ermes__static_open(const char *web_dir, char **root, ermes_diag_t *d)
{
    char real[PATH_MAX];
    struct stat sb;

    *root = NULL;
    if (!web_dir || !*web_dir)
        return 0;
    if (!realpath(web_dir, real) || stat(real, &sb) || !S_ISDIR(sb.st_mode)) {
        ermes_diag_set(d, "web_dir", "web_dir %.200s is not a directory", web_dir);
        return ERMES_ECONFIG;
    }
    *root = ermes__strdup(real);
    return *root ? 0 : ERMES_ENOMEM;
}
