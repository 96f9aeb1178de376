/* URLs and their credentials (url.h); origins by libcurl's URL parser. */
#include "core/url.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "core/sha256.h"
#include "ermes/error.h"

int ermes__url_shown(const char *url, char *out, size_t cap)
{
    const char *scheme = strstr(url, "://"), *host, *end, *at;
    size_t hl;

    if (!scheme) {
        snprintf(out, cap, "%s", url);
        return 0;
    }
    host = scheme + 3;
    end = host + strcspn(host, "?#");
    /* The user information ends at the last '@' before the path: a password may hold '@'. */
    hl = strcspn(host, "/?#");
    at = NULL;
    for (const char *p = host; p < host + hl; p++)
        if (*p == '@')
            at = p;
    if (at)
        host = at + 1;
    snprintf(out, cap, "%.*s%.*s", (int)(scheme + 3 - url), url, (int)(end - host), host);
    return at || *end ? 1 : 0;
}

int ermes__url_key(const char *url, char *out, size_t cap)
{
    ermes__sha256_t *h;
    char hex[65];
    size_t n;

    if (!ermes__url_shown(url, out, cap)) {
        n = strlen(out);
        return strlen(url) == n ? 0 : ERMES_ERANGE; /* cut: a key must not be */
    }
    n = strlen(out);
    if (n + 18 > cap)
        return ERMES_ERANGE;
    if (!(h = ermes__sha256_new()))
        return ERMES_ENOMEM;
    ermes__sha256_update(h, url, strlen(url));
    ermes__sha256_final(h, hex);
    snprintf(out + n, cap - n, "#%.16s", hex);
    return 0;
}

int ermes__url_origin(const char *base, const char *url, char *buf, size_t cap)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = -1;

    if (!u)
        return -1;
    if ((!base || curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK) &&
        curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        /* Scheme and host name compare without case (RFC 3986 section 6.2.2.1). */
        for (char *s = scheme; *s; s++)
            *s = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
        for (char *s = host; *s; s++)
            *s = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
        rc = snprintf(buf, cap, "%s://%s:%s", scheme, host, port) < (int)cap ? 0 : -1;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}
