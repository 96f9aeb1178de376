/* The browser UI's files: the table compiled in from web/ (scripts/embed-dir.cmake), and the
 * pure rules static.c serves them by, apart so the unit tests can reach them. */
#ifndef ERMES_HTTP_STATIC_H
#define ERMES_HTTP_STATIC_H

#include <stddef.h>

typedef struct ermes__web_file {
    const char *path; /* relative to web/, '/' separated: "index.html", "js/app.js" */
    const unsigned char *data;
    size_t len;
    const char *etag; /* "\"<32 hex digits of the SHA-256>\"" */
} ermes__web_file_t;

/* The generated table, in path order, ended by an entry whose path is NULL. */
extern const ermes__web_file_t ermes__web_files[];
extern const size_t ermes__web_files_count;

/* The Content-Type for a file name, by its extension; application/octet-stream when unknown. */
const char *ermes__static_type(const char *path);

/* 1 when the If-None-Match header value (a list of entity tags, or "*") names etag. Weak tags
 * (W/"...") match their strong form: a GET compares weakly (RFC 9110 section 13.1.2). */
int ermes__static_etag_match(const char *if_none_match, const char *etag);

/* 1 when the URL path (starting with '/') is one the UI may answer: not under /api/ and not
 * /healthz or /metrics. */
int ermes__static_is_ui_path(const char *path);

/* 1 when a decoded URL path may name a file under web/: no ".." segment, no hidden segment
 * (".name"), no backslash, no control character. */
int ermes__static_path_ok(const char *path);

/* 1 when the path's last segment has an extension ("app.js"): such a path that names no file
 * is a 404, not the application's page. */
int ermes__static_has_extension(const char *path);

#endif
