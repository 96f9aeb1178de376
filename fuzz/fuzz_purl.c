/* libFuzzer target for the package URL parser (src/advisories/purl.c).
 *
 * Feeds exactly size bytes to ermes_purl_parse. A parsed purl formats to a canonical text
 * that parses again and formats to the same text; a refusal says why and names the
 * component. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/cpe.h"

static void check(int ok, const char *what, const uint8_t *data, size_t size)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_purl: %s for input \"%.*s\"\n", what, (int)size, (const char *)data);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ermes_purl_t p, again;
    char *s = malloc(size ? size : 1), text[ERMES_CPE_MAX * 8], text2[ERMES_CPE_MAX * 8];
    ermes_diag_t d;
    size_t n;
    int rc;

    if (!s)
        return 0;
    memcpy(s, data, size);
    ermes_diag_clear(&d);
    rc = ermes_purl_parse(s, size, &p, &d);
    free(s);
    if (rc) {
        check(rc == ERMES_EPARSE && d.reason[0] && d.field[0], "refusal without a reason", data,
              size);
        return 0;
    }
    check(p.type && p.name && p.type[0] && p.name[0], "no type or name", data, size);
    n = ermes_purl_format(&p, text, sizeof(text));
    check(n > 0, "does not format", data, size);
    if (n > ERMES_CPE_MAX)
        return 0; /* encoding made it longer than the parser accepts */
    ermes_diag_clear(&d);
    check(ermes_purl_parse(text, n, &again, &d) == 0, "canonical form does not parse", data, size);
    check(ermes_purl_format(&again, text2, sizeof(text2)) == n && strcmp(text, text2) == 0,
          "canonical form is not stable", data, size);
    return 0;
}
