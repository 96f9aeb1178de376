/* libFuzzer target for the collectors' dated URLs (src/intake/url_date.c).
 *
 * The input (NUL-terminated copy) is a URL template, expanded at a time taken from its first
 * eight bytes into buffers of every small size and a large one: whatever is accepted must fit
 * the buffer, hold no '{' of a pattern it replaced, and agree across buffer sizes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ermes/error.h"
#include "intake/collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char tmpl[512], big[4096], small[64];
    int64_t now = 0;
    int rc;

    if (size < 8 || size - 8 >= sizeof(tmpl))
        return 0;
    memcpy(&now, data, 8);
    /* Dates gmtime_r can hold: years 0 to 9999. */
    now = (int64_t)((uint64_t)now % 253402300800000ULL);
    memcpy(tmpl, data + 8, size - 8);
    tmpl[size - 8] = '\0';
    rc = ermes__collect_url_expand(tmpl, now, big, sizeof(big));
    if (rc != 0 && rc != ERMES_EINVAL && rc != ERMES_ERANGE)
        abort();
    if (rc == 0 && strlen(big) >= sizeof(big))
        abort();
    for (size_t cap = 1; cap <= sizeof(small); cap++) {
        int r = ermes__collect_url_expand(tmpl, now, small, cap);
        if (rc == 0 && r == 0 && (strlen(small) >= cap || strcmp(small, big) != 0)) {
            fprintf(stderr, "fuzz_url_date: %zu bytes of room gave \"%s\", not \"%s\"\n", cap,
                    small, big);
            abort();
        }
        if (rc == 0 && r != 0 && (r != ERMES_ERANGE || strlen(big) < cap))
            abort();
    }
    return 0;
}
