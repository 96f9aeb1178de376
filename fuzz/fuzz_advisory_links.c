/* libFuzzer target for what the advisory links read from outside (src/advisories/links.c):
 *   0  the body of POST /api/v1/advisories/{ref}/links and .../unlink, after json_loadb as
 *      ermes__body_json reads it: ermes__advisory_link_body_read;
 *   1  a CSAF document's vulnerabilities[].cve: ermes__advisory_cves, with a small cap too.
 * The first input byte picks (modulo 2), the rest is the JSON text. Checks: a refusal is
 * ERMES_EINVAL naming kind or id with a reason; an accepted body has kind incident or
 * indicator and an id of at least 1; the CVE ids are distinct, upper case, "CVE-" four digits
 * "-" and four or more digits, shorter than ERMES_CVE_ID_MAX, never more than the cap.
 * Anything else aborts. Not reached: the store's look-ups (SQL with bound values). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/links.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_advisory_links: %s\n", what);
    abort();
}

static void check_cve(const char *c)
{
    size_t n = strnlen(c, ERMES_CVE_ID_MAX), i;

    check(n < ERMES_CVE_ID_MAX && n >= 13, "a CVE id of the wrong length");
    check(memcmp(c, "CVE-", 4) == 0 && c[8] == '-', "a CVE id of the wrong form");
    for (i = 4; i < n; i++)
        check(i == 8 || (c[i] >= '0' && c[i] <= '9'), "a CVE id with a non-digit");
}

static void cves(const json_t *doc, size_t cap)
{
    char(*out)[ERMES_CVE_ID_MAX] = malloc(ERMES_ADVISORY_CVES_MAX * sizeof(*out));
    size_t n, i, k;

    check(out != NULL, "out of memory");
    n = ermes__advisory_cves(doc, out, cap);
    check(n <= cap, "more CVE ids than the cap");
    for (i = 0; i < n; i++) {
        check_cve(out[i]);
        for (k = 0; k < i; k++)
            check(strcmp(out[i], out[k]) != 0, "a CVE id twice");
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j;

    if (size < 1)
        return 0;
    j = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (data[0] % 2 == 0) {
        const char *kind = NULL;
        int64_t id = 0;
        ermes_diag_t d;
        int rc;

        ermes_diag_clear(&d);
        rc = ermes__advisory_link_body_read(j, &kind, &id, &d);
        if (rc) {
            check(rc == ERMES_EINVAL, "unexpected error code");
            check(d.reason[0] != '\0', "a refusal without a reason");
            check(strcmp(d.field, "kind") == 0 || strcmp(d.field, "id") == 0,
                  "a refusal naming another field");
        } else {
            check(kind && (strcmp(kind, "incident") == 0 || strcmp(kind, "indicator") == 0),
                  "an accepted kind not in the list");
            check(id >= 1, "an accepted id below 1");
        }
    } else {
        cves(j, ERMES_ADVISORY_CVES_MAX);
        cves(j, 2);
    }
    json_decref(j);
    return 0;
}
