/* libFuzzer target: the STIX 2.1 pattern parser, its conversion into ermes indicators, and
 * each indicator back into a pattern, which must parse again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sharing/pattern.h"

static int back_cb(void *ctx, ermes_ind_type_t type, const char *value, size_t len, unsigned flags)
{
    char buf[8192];
    ermes__pattern_t p;
    (void)ctx;
    if (type == ERMES_IND_NONE)
        type = ERMES_IND_IPV4;
    if (ermes__pattern_from_indicator(type, value, len, flags, buf, sizeof(buf)) == 0) {
        /* What ermes writes is a pattern; it may only fail the hash check (a value of the
         * wrong length from an IN set, which the check does not reach). */
        int rc = ermes__pattern_parse(buf, strlen(buf), &p, NULL);
        if (rc && rc != ERMES_EPARSE)
            abort();
        ermes__pattern_cleanup(&p);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes__pattern_t p;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes__pattern_parse((const char *)data, size, &p, &d) == 0)
        ermes__pattern_indicators(&p, back_cb, NULL, &d);
    ermes__pattern_cleanup(&p);
    return 0;
}
