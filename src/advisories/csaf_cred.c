/* Credentials for another CSAF provider, checked (src/advisories/csaf_cred.h). */
#include "advisories/csaf_cred.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/secret_box.h"
#include "core/url.h"

/* RFC 9110 token characters. */
static int tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int pem_ok(const char *pem)
{
    size_t n = strlen(pem);

    if (n > ERMES_CSAF_CRED_PEM_MAX || strncmp(pem, "-----BEGIN ", 11) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)pem[i] < 0x20 && pem[i] != '\n' && pem[i] != '\r')
            return 0;
    return 1;
}

int ermes__csaf_cred_build(const char *url, const char *const *headers, size_t n, const char *cert,
                           const char *key, ermes__csaf_cred_t *out, ermes_diag_t *d)
{
    char with_scheme[1100];
    json_t *arr = NULL;
    size_t names = 0, total = 0;
    int rc = ERMES_EINVAL;

    memset(out, 0, sizeof(*out));
    if (!url || !*url || strlen(url) > 1000 || strpbrk(url, " \t\r\n")) {
        ermes_diag_set(d, "url", "the provider: a domain or an http(s) URL");
        return ERMES_EINVAL;
    }
    snprintf(with_scheme, sizeof(with_scheme), "%s%s", strstr(url, "://") ? "" : "https://", url);
    if ((strncmp(with_scheme, "https://", 8) && strncmp(with_scheme, "http://", 7)) ||
        ermes__url_origin(NULL, with_scheme, out->origin, sizeof(out->origin))) {
        ermes_diag_set(d, "url", "the provider: a domain or an http(s) URL");
        return ERMES_EINVAL;
    }
    if (n > ERMES_CSAF_CRED_HEADERS_MAX) {
        ermes_diag_set(d, "headers", "at most %d header lines", ERMES_CSAF_CRED_HEADERS_MAX);
        return ERMES_EINVAL;
    }
    if (!n && !cert && !key) {
        ermes_diag_set(d, "headers", "give header lines, a client certificate and key, or both");
        return ERMES_EINVAL;
    }
    if (!cert != !key) {
        ermes_diag_set(d, cert ? "client_key" : "client_cert",
                       "a client certificate and its key go together");
        return ERMES_EINVAL;
    }
    if ((cert && !pem_ok(cert)) || (key && !pem_ok(key))) {
        ermes_diag_set(d, cert && !pem_ok(cert) ? "client_cert" : "client_key",
                       "PEM text (-----BEGIN ...), at most %d bytes", ERMES_CSAF_CRED_PEM_MAX);
        return ERMES_EINVAL;
    }
    if (n && !(arr = json_array()))
        return ERMES_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *h = headers[i], *colon = h ? strchr(h, ':') : NULL;
        size_t nl;
        if (!colon || colon == h) {
            ermes_diag_set(d, "headers", "line %zu is not \"Name: value\"", i + 1);
            goto out;
        }
        for (const char *p = h; p < colon; p++)
            if (!tchar((unsigned char)*p)) {
                ermes_diag_set(d, "headers", "line %zu: the name is not an HTTP token", i + 1);
                goto out;
            }
        for (const char *p = colon + 1; *p; p++)
            if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
                ermes_diag_set(d, "headers", "line %zu: a control character in the value", i + 1);
                goto out;
            }
        total += strlen(h) + 4;
        nl = (size_t)(colon - h);
        if (total > ERMES__SECRET_MAX - 64 || names + nl + 2 >= sizeof(out->header_names)) {
            ermes_diag_set(d, "headers", "longer than %d bytes in all", ERMES__SECRET_MAX - 64);
            goto out;
        }
        names += (size_t)snprintf(out->header_names + names, sizeof(out->header_names) - names,
                                  "%s%.*s", names ? "," : "", (int)nl, h);
        if (json_array_append_new(arr, json_string(h))) {
            rc = ERMES_ENOMEM;
            goto out;
        }
    }
    if (arr && !(out->headers = json_dumps(arr, JSON_COMPACT))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((cert && !(out->client_cert = ermes__strdup(cert))) ||
        (key && !(out->client_key = ermes__strdup(key)))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    rc = 0;
out:
    json_decref(arr);
    if (rc)
        ermes__csaf_cred_clear(out);
    return rc;
}
