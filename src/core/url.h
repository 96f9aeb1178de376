/* URLs and the credentials they carry or are sent to.
 *
 * As ermes shows and keys them: without the parts that may hold a credential.
 * A feed's or collector's URL may carry a password in its user information
 * (scheme://user:password@host/) or a key in its query (?apikey=...). What the CERT sees (the
 * API, logs) and what ermes keeps as a name for the source (bookkeeping rows) must hold
 * neither; the credential itself lives only where it is sealed (the collector's definition). */
#ifndef ERMES_CORE_URL_H
#define ERMES_CORE_URL_H

#include <stddef.h>

/* scheme://host[:port]/path of url into out: the user information, the query and the fragment
 * left out. Text without "://" (a directory) is copied as it is. Cut to fit cap (cap > 0).
 * Returns 1 when something was left out, else 0. */
int ermes__url_shown(const char *url, char *out, size_t cap);

/* A name for url that holds no credential yet tells two URLs apart: the shown form, followed,
 * when something was left out, by "#" and the first 16 hex digits of the SHA-256 of the whole
 * URL. 0, or ERMES_ERANGE when cap is too small, ERMES_ENOMEM. */
int ermes__url_key(const char *url, char *out, size_t cap);

/* The origin (scheme, host, port) of url, resolved against base when url is relative (base
 * may be NULL), into buf as "scheme://host:port" (scheme and host in lower case, the port
 * always written): the unit credentials are bound to. A collector's custom headers
 * (src/intake/collect.c) and a CSAF provider's credentials (src/advisories/csaf_check.c) go
 * to their URL's origin only, never to another host, port or scheme a redirect points at.
 * 0, or -1 when it is no URL or does not fit. */
int ermes__url_origin(const char *base, const char *url, char *buf, size_t cap);

#endif
