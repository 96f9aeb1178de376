/* libFuzzer target: indicator parsing and bulk loading (lists, CSV, STIX), then compiling. */
#include <stddef.h>
#include <stdint.h>

#include "ermes/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes_indicator_set_t *set;
    ermes_matcher_t *m;
    ermes_diag_t d;

    if (size == 0 || ermes_indicator_set_new(&set))
        return 0;
    /* The first byte picks the format: auto, list, CSV, STIX. */
    ermes_indicator_set_load(set, (const char *)data + 1, size - 1,
                             (ermes_ind_format_t)(data[0] % 4), NULL, NULL, NULL, NULL, &d);
    if (ermes_matcher_build(set, 0, &m) == 0) {
        ermes_scanner_t *s;
        if (ermes_scanner_new(m, &s) == 0) {
            const ermes_hit_t *h;
            ermes_scanner_lookup(s, ERMES_FIELD_AUTO, (const char *)data, size > 300 ? 300 : size,
                                 &h);
            ermes_scanner_free(s);
        }
        ermes_matcher_release(m);
    }
    ermes_indicator_set_free(set);
    return 0;
}
