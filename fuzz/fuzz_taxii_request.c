/* libFuzzer target for what a TAXII 2.1 request brings besides its path (src/http/h_taxii.c,
 * src/sharing/stix_filter.c): the Accept and Content-Type media types and the query's match[]
 * filters, added_after, limit and next, read as the handler reads them.
 *
 * Input: "ACCEPT\nCONTENT-TYPE\nids\ntypes\nversions\nspec_versions\nadded_after" (missing
 * lines are absent parameters). Checks: a filter read has at most ERMES__STIX_LIST_MAX values
 * per list, none empty, every listed version a 30-byte key that ermes__stix_version_key
 * gives again; a refusal names its field. Anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "sharing/stix.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_taxii_request: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf, *line[7] = {NULL};
    char scratch[4096];
    ermes__stix_filter_t f;
    ermes_diag_t d;
    size_t n = 0;
    int rc;

    if (size > 8192)
        return 0;
    if (!(buf = malloc(size + 1)))
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (char *p = buf; n < 7 && p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line[n++] = p;
        p = nl ? nl + 1 : NULL;
    }
    (void)ermes__taxii_media_ok(line[0], 1);
    (void)ermes__taxii_media_ok(line[1], 0);
    memset(&f, 0, sizeof(f));
    ermes_diag_clear(&d);
    rc = ermes__stix_filter_parse(&f, scratch, sizeof(scratch), line[2], line[3], line[4], line[5],
                                  line[6], &d);
    if (rc) {
        check(rc == ERMES_EINVAL && d.field[0] && d.reason[0], "a refusal names its field");
    } else {
        check(f.nids <= ERMES__STIX_LIST_MAX && f.ntypes <= ERMES__STIX_LIST_MAX &&
                  f.nspec_versions <= ERMES__STIX_LIST_MAX &&
                  f.nversion_keys <= ERMES__STIX_LIST_MAX,
              "lists are bounded");
        for (size_t i = 0; i < f.nids; i++)
            check(f.ids[i][0] != '\0', "no empty id");
        for (size_t i = 0; i < f.nversion_keys; i++) {
            char again[32];
            check(strlen(f.version_keys[i]) == 30, "a version key is 30 bytes");
            check(ermes__stix_version_key(f.version_keys[i], again) == 0 &&
                      strcmp(again, f.version_keys[i]) == 0,
                  "a version key is its own key");
        }
    }
    free(buf);
    return 0;
}
