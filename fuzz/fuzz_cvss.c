/* libFuzzer target for the CVSS vector parser and scorer (src/advisories/cvss.c).
 *
 * Feeds exactly size bytes to ermes_cvss_parse. A parsed vector must score within 0.0-10.0,
 * format to its canonical text, and that text must parse to the same metrics and the same
 * scores; a rejected one must say why and where. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/cvss.h"

static void check(int ok, const char *what, const uint8_t *data, size_t size)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_cvss: %s for input \"%.*s\"\n", what, (int)size, (const char *)data);
    abort();
}

static int in_range(int tenths)
{
    return tenths == -1 || (tenths >= 0 && tenths <= 100);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1), text[ERMES_CVSS_MAX_VECTOR * 2];
    ermes_cvss_t v, again;
    ermes_cvss_scores_t sc, sc2;
    ermes_diag_t d;
    size_t n;
    int rc;

    if (!s)
        return 0;
    memcpy(s, data, size);
    ermes_diag_clear(&d);
    rc = ermes_cvss_parse(s, size, &v, &d);
    if (rc) {
        check(rc == ERMES_EPARSE, "unexpected error code", data, size);
        check(d.reason[0] != '\0', "rejection without a reason", data, size);
        free(s);
        return 0;
    }
    check(ermes_cvss_score(&v, &sc) == 0, "a parsed vector does not score", data, size);
    check(sc.base >= 0 && sc.base <= 100 && in_range(sc.temporal) && in_range(sc.environmental),
          "score out of range", data, size);
    check(ermes_cvss_severity(v.version, sc.base) != NULL, "no severity", data, size);
    n = ermes_cvss_format(&v, text, sizeof(text));
    check(n > 0, "canonical form does not fit", data, size);
    ermes_diag_clear(&d);
    check(ermes_cvss_parse(text, n, &again, &d) == 0, "canonical form does not parse", data, size);
    check(memcmp(v.value, again.value, sizeof(v.value)) == 0 && v.version == again.version,
          "canonical form parses differently", data, size);
    check(ermes_cvss_score(&again, &sc2) == 0 && memcmp(&sc, &sc2, sizeof(sc)) == 0,
          "canonical form scores differently", data, size);
    free(s);
    return 0;
}
