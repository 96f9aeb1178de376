/* libFuzzer target for credentials for another CSAF provider (src/advisories/csaf_cred.c): the
 * JSON object POST /api/v1/csaf/credentials takes ({"url", "headers", "client_cert",
 * "client_key"}) checked as the handler does. A refusal names one of those fields; credentials
 * built have an http(s) origin with a port, one header line per name listed, and no control
 * character in a header line. */
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
    char origin[512];

    if (!json_is_object(o)) {
        json_decref(o);
        return 0;
    }
    hs = json_object_get(o, "headers");
    json_array_foreach(hs, i, v) if (json_is_string(v) && n < sizeof(lines) / sizeof(*lines))
        lines[n++] = json_string_value(v);
    ermes_diag_clear(&d);
    if (ermes__csaf_cred_build(json_string_value(json_object_get(o, "url")), lines, n,
                               json_string_value(json_object_get(o, "client_cert")),
                               json_string_value(json_object_get(o, "client_key")), &c, &d)) {
        check(!strcmp(d.field, "url") || !strcmp(d.field, "headers") ||
                  !strcmp(d.field, "client_cert") || !strcmp(d.field, "client_key"),
              "a refusal names a field");
        check(d.reason[0] != '\0', "a refusal says why");
        json_decref(o);
        return 0;
    }
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
