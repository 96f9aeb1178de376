/* The origin of a URL (src/core/url_origin.h), by libcurl's URL parser. */
#include "core/url_origin.h"

#include <curl/curl.h>
#include <stdio.h>

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
