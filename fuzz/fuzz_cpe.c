/* libFuzzer target for the CPE 2.3 name parser and matcher (src/advisories/cpe.c).
 *
 * Feeds exactly size bytes to ermes_cpe_parse. A parsed name formats to a formatted string
 * that parses to the same name (the same relation EQUAL to it, the same text again); every
 * name is EQUAL to itself, and the relation to the all-ANY name is SUBSET or EQUAL (and the
 * reverse SUPERSET or EQUAL) unless a value has wildcards; a refusal says why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/cpe.h"

static void check(int ok, const char *what, const uint8_t *data, size_t size)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_cpe: %s for input \"%.*s\"\n", what, (int)size, (const char *)data);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ermes_cpe_t c, again, any;
    char *s = malloc(size ? size : 1), text[ERMES_CPE_MAX * 3], text2[ERMES_CPE_MAX * 3];
    ermes_diag_t d;
    size_t n;
    int rc, wild = 0;

    if (!s)
        return 0;
    memcpy(s, data, size);
    ermes_diag_clear(&d);
    rc = ermes_cpe_parse(s, size, &c, &d);
    free(s);
    if (rc) {
        check(rc == ERMES_EPARSE && d.reason[0], "refusal without a reason", data, size);
        return 0;
    }
    n = ermes_cpe_format(&c, text, sizeof(text));
    check(n > 0, "does not format", data, size);
    ermes_diag_clear(&d);
    check(ermes_cpe_parse(text, n, &again, &d) == 0, "formatted name does not parse", data, size);
    check(ermes_cpe_format(&again, text2, sizeof(text2)) == n && strcmp(text, text2) == 0,
          "formatted name formats differently", data, size);
    for (int a = 0; a < ERMES_CPE_ATTRS; a++)
        wild |= strchr(ermes_cpe_value(&c, a), '*') || strchr(ermes_cpe_value(&c, a), '?');
    if (!wild) {
        check(ermes_cpe_compare(&c, &again) == ERMES_CPE_EQUAL, "not EQUAL to itself", data, size);
        ermes_cpe_parse("cpe:2.3:*:*:*:*:*:*:*:*:*:*:*", 29, &any, NULL);
        ermes_cpe_relation_t r = ermes_cpe_compare(&any, &c);
        check(r == ERMES_CPE_SUPERSET || r == ERMES_CPE_EQUAL, "ANY is not a superset", data, size);
        check(ermes_cpe_matches(&any, &c), "ANY does not match", data, size);
    }
    return 0;
}
