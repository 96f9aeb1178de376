/* libFuzzer target for credentials for another CSAF provider (src/advisories/csaf_cred.c): the
 * JSON object POST /api/v1/csaf/credentials takes ({"url", "headers", "client_cert",
 * "client_key", "client_p12" (base64), "p12_passphrase"}) checked as the handler does: a
 * PKCS#12 file turned into a PEM certificate chain and key (GnuTLS), then the whole checked. A
 * refusal names one of those fields; credentials built have an http(s) origin with a port, one
 * header line per name listed, no control character in a header line, and a certificate and
 * key within their caps. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/csaf_cred.h"
#include "core/url.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_csaf_cred: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *o = json_loadb((const char *)data, size, JSON_DISABLE_EOF_CHECK, NULL), *v, *hs;
    const char *lines[ERMES_CSAF_CRED_HEADERS_MAX + 8];
    ermes__csaf_cred_t c;
    ermes_diag_t d;
    size_t n = 0, i;
    char origin[512], *pcert = NULL, *pkey = NULL;
    const char *p12;
    int rc;

    if (!json_is_object(o)) {
        json_decref(o);
        return 0;
    }
    hs = json_object_get(o, "headers");
    json_array_foreach(hs, i, v) if (json_is_string(v) && n < sizeof(lines) / sizeof(*lines))
        lines[n++] = json_string_value(v);
    ermes_diag_clear(&d);
    p12 = json_string_value(json_object_get(o, "client_p12"));
    if (p12) {
        rc = ermes__csaf_cred_p12_base64(
            p12, json_string_value(json_object_get(o, "p12_passphrase")), &pcert, &pkey, &d);
        if (rc) {
            check(rc == ERMES_EINVAL || rc == ERMES_ETOOBIG || rc == ERMES_ENOMEM,
                  "a p12 refusal is EINVAL or ETOOBIG");
            check(rc == ERMES_ENOMEM || !strcmp(d.field, "client_p12") ||
                      !strcmp(d.field, "p12_passphrase"),
                  "a p12 refusal names client_p12 or p12_passphrase");
            check(!pcert && !pkey, "nothing made when refused");
            json_decref(o);
            return 0;
        }
        check(!strncmp(pcert, "-----BEGIN CERTIFICATE-----", 27), "a PEM certificate made");
        check(!strncmp(pkey, "-----BEGIN PRIVATE KEY-----", 27), "a PKCS#8 PEM key made");
    }
    rc = ermes__csaf_cred_build(json_string_value(json_object_get(o, "url")), lines, n,
                                p12 ? pcert : json_string_value(json_object_get(o, "client_cert")),
                                p12 ? pkey : json_string_value(json_object_get(o, "client_key")),
                                &c, &d);
    ermes__csaf_cred_pem_free(pcert);
    ermes__csaf_cred_pem_free(pkey);
    if (rc) {
        check(rc == ERMES_EINVAL || rc == ERMES_ETOOBIG || rc == ERMES_ENOMEM,
              "a refusal is EINVAL or ETOOBIG");
        check(!strcmp(d.field, "url") || !strcmp(d.field, "headers") ||
                  !strcmp(d.field, "client_cert") || !strcmp(d.field, "client_key") ||
                  rc == ERMES_ENOMEM,
              "a refusal names a field");
        check(rc == ERMES_ENOMEM || d.reason[0] != '\0', "a refusal says why");
        json_decref(o);
        return 0;
    }
    check(!c.client_cert || strlen(c.client_cert) <= ERMES_CSAF_CRED_CERT_MAX,
          "a certificate within its cap");
    check(!c.client_key || strlen(c.client_key) <= ERMES_CSAF_CRED_KEY_MAX, "a key within its cap");
    check(!strncmp(c.origin, "https://", 8) || !strncmp(c.origin, "http://", 7),
          "an http(s) origin");
    check(strrchr(c.origin, ':') > strchr(c.origin, ':'), "the origin has a port");
    check(ermes__url_origin(NULL, c.origin, origin, sizeof(origin)) == 0 &&
              !strcmp(origin, c.origin),
          "the origin is its own origin");
    {
        size_t names = c.header_names[0] ? 1 : 0;
        for (const char *p = c.header_names; *p; p++)
            names += *p == ',';
        check(names == n, "a name per header line");
        check(!strchr(c.header_names, ':'), "names only");
    }
    if (c.headers) {
        json_t *arr = json_loads(c.headers, 0, NULL);
        check(json_array_size(arr) == n, "the header lines kept");
        json_array_foreach(arr, i, v) for (const char *p = json_string_value(v); *p; p++)
            check((unsigned char)*p >= 0x20 || *p == '\t', "no control character in a line");
        json_decref(arr);
    }
    check(!c.client_cert == !c.client_key, "a certificate and its key together");
    ermes__csaf_cred_clear(&c);
    json_decref(o);
    return 0;
}
