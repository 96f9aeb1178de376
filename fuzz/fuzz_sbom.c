/* libFuzzer target for the SBOM readers (src/advisories/sbom.c): CycloneDX JSON and SPDX JSON.
 * Every component handed out has a name; a refusal says why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/vulns.h"

static int component_cb(void *ctx, const ermes__sbom_component_t *c)
{
    (void)ctx;
    if (!c->name) {
        fprintf(stderr, "fuzz_sbom: a component without a name\n");
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes_diag_t d;
    const char *format = NULL;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__sbom_read((const char *)data, size, component_cb, NULL, &format, &d);
    if (rc && (rc != ERMES_EPARSE || !d.reason[0])) {
        fprintf(stderr, "fuzz_sbom: refusal without a reason\n");
        abort();
    }
    if (!rc && !format)
        abort();
    return 0;
}
