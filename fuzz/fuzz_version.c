/* libFuzzer target for version comparison and the CVE 5 / NVD version ranges
 * (src/advisories/version.c). The input is NUL-separated strings: a, b, then a range's start,
 * lessThan and a change's at. Comparison is antisymmetric and reflexive; the status is one
 * of the three. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/vuln.h"

static int sign(int x)
{
    return x < 0 ? -1 : x > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 6), *p[5];
    static const char *const types[] = {NULL, "semver", "generic", "maven"};
    size_t k = 0;
    ermes_vchange_t ch;
    ermes_vrange_t r;
    ermes_vstatus_t s;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    memset(buf + size, 0, 6);
    for (int i = 0; i < 5; i++) {
        p[i] = buf + k;
        k += strlen(buf + k) + (k < size);
        if (k > size)
            k = size;
    }
    for (int t = 0; t < 4; t++) {
        const char *type = types[t];
        if (sign(ermes_version_compare(p[0], p[1], type)) !=
                -sign(ermes_version_compare(p[1], p[0], type)) ||
            ermes_version_compare(p[0], p[0], type) != 0) {
            fprintf(stderr, "fuzz_version: order broken for \"%s\" \"%s\" (%s)\n", p[0], p[1],
                    type ? type : "generic");
            abort();
        }
    }
    ch.at = p[4];
    ch.status = ERMES_VSTATUS_UNAFFECTED;
    memset(&r, 0, sizeof(r));
    r.version = p[2];
    r.less_than = p[3];
    r.version_type = "semver";
    r.status = ERMES_VSTATUS_AFFECTED;
    r.changes = &ch;
    r.nchanges = 1;
    s = ermes_cve5_version_status(&r, 1, ERMES_VSTATUS_UNKNOWN, p[0]);
    if (s != ERMES_VSTATUS_UNKNOWN && s != ERMES_VSTATUS_AFFECTED && s != ERMES_VSTATUS_UNAFFECTED)
        abort();
    (void)ermes_nvd_version_in_range(p[0], p[2], NULL, NULL, p[3]);
    free(buf);
    return 0;
}
