/* libFuzzer target for the JSON listing reader (Shadowserver's reports/list, Interflow's files) of
 * collectors in list mode (src/intake/listing.c).
 *
 * The input, exactly size bytes (no NUL after it: a copy of just that size, so reading past it
 * is ASan's), is read with a small item limit. Whatever is accepted must hold items whose id is
 * non-empty and printable and whose file name is a name (no '/', not "." or ".."), at most the
 * limit; whatever is refused must say why and leave nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/listing.h"

#define MAX_ITEMS 16

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_listing_json: %s\n", what);
    abort();
}

static void check_name(const char *s, size_t max, int slash_ok)
{
    size_t n = strlen(s);

    check(n > 0 && n <= max, "an empty or too long name");
    for (size_t k = 0; k < n; k++)
        check((unsigned char)s[k] >= 0x20 && s[k] != 0x7f, "a control character kept");
    check(slash_ok || !strchr(s, '/'), "a file name with '/'");
    check(slash_ok || (strcmp(s, ".") != 0 && strcmp(s, "..") != 0), "a file name . or ..");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    ermes__listing_t l;
    ermes_diag_t d;
    int rc;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    ermes_diag_clear(&d);
    /* Shadowserver's fields, and a nested array with Interflow's. */
    for (int shape = 0; shape < 2; shape++) {
        ermes_diag_clear(&d);
        rc = shape == 0
                 ? ermes__listing_json(copy, size, "", "id", "file", MAX_ITEMS, &l, &d)
                 : ermes__listing_json(copy, size, "data.files", "Name", NULL, MAX_ITEMS, &l, &d);
        if (rc) {
            check(d.reason[0] != '\0', "a refusal without a reason");
            check(l.n == 0 && l.items == NULL, "a refusal that keeps items");
            continue;
        }
        check(l.n <= MAX_ITEMS, "more items than the limit");
        for (size_t k = 0; k < l.n; k++) {
            check_name(l.items[k].id, ERMES_LISTING_MAX_ID, 1);
            check_name(l.items[k].file, ERMES_LISTING_MAX_FILE, 0);
            check(l.items[k].version && l.items[k].version[0] == '\0', "a JSON item's version");
        }
        check(l.next_marker == NULL, "a marker from JSON");
        ermes__listing_free(&l);
    }
    free(copy);
    return 0;
}
