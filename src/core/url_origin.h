/* The origin (scheme, host, port) of a URL, the unit credentials are bound to: a collector's
 * custom headers (src/intake/collect.c) and a CSAF provider's credentials
 * (src/advisories/csaf_check.c) go to their URL's origin only, never to another host, port or
 * scheme a redirect points at. */
#ifndef ERMES_CORE_URL_ORIGIN_H
#define ERMES_CORE_URL_ORIGIN_H

#include <stddef.h>

/* The origin of url, resolved against base when url is relative (base may be NULL), into buf
 * as "scheme://host:port" (scheme and host in lower case, the port always written). 0, or -1
 * when it is no URL or does not fit. */
int ermes__url_origin(const char *base, const char *url, char *buf, size_t cap);

#endif
