/* libFuzzer target for the correlation index's value normaliser and keys
 * (src/store/correlations.c), which take the value of GET /api/v1/correlations and
 * `ermes correlate` as given.
 *
 * The input is "TYPE\nVALUE" (no newline: VALUE alone, its type guessed). A value is refused
 * only as empty or too long; a normal value normalises to itself again under the type its tag
 * names, with the same key; the key's top bits are the tag; a network's range of address keys
 * holds the key of its first address. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static void check(int ok, const char *what, const uint8_t *data, size_t size)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_correlation: %s for input \"%.*s\"\n", what, (int)size,
            (const char *)data);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ermes__corr_value_t v, again;
    static const char *const retype[] = {NULL,  "ipv4",   "ipv6",  "domain",
                                         "url", "sha256", "email", "cidr"};
    const uint8_t *nl = memchr(data, '\n', size);
    char type[64] = "";
    const char *value = (const char *)data;
    size_t len = size;
    int64_t key, lo, hi;
    int rc;

    if (nl) {
        size_t tl = (size_t)(nl - data);

        if (tl >= sizeof(type) || memchr(data, '\0', tl))
            return 0;
        memcpy(type, data, tl);
        value = (const char *)nl + 1;
        len = size - tl - 1;
    }
    rc = ermes__corr_norm(nl ? type : NULL, value, len, &v);
    if (rc) {
        check(rc == ERMES_EINVAL || rc == ERMES_ETOOBIG, "an unexpected refusal", data, size);
        check(len == 0 || len > ERMES__CORR_VALUE_MAX, "a value refused", data, size);
        return 0;
    }
    check(v.tag >= ERMES__CORR_TAG_OTHER && v.tag <= ERMES__CORR_TAG_CIDR, "a bad tag", data, size);
    check(v.len > 0 && v.len <= ERMES__CORR_VALUE_MAX, "a bad length", data, size);
    key = ermes__corr_key(&v);
    check(key >= 0 && (key >> 60) == v.tag, "a key without its tag", data, size);
    if (retype[v.tag]) {
        rc = ermes__corr_norm(retype[v.tag], v.text, v.len, &again);
        check(rc == 0 && again.tag == v.tag && again.len == v.len &&
                  memcmp(again.text, v.text, v.len) == 0,
              "a normal value that does not normalise to itself", data, size);
        check(ermes__corr_key(&again) == key, "a key that changes", data, size);
    }
    if (v.tag == ERMES__CORR_TAG_CIDR) {
        ermes__corr_value_t *first = &again;

        ermes__corr_range(&v.net, &lo, &hi);
        check(lo <= hi, "an empty range", data, size);
        memset(first, 0, sizeof(*first));
        first->net = v.net;
        first->net.prefix = v.net.addr.family == ERMES_AF_INET ? 32 : 128;
        first->tag =
            v.net.addr.family == ERMES_AF_INET ? ERMES__CORR_TAG_IPV4 : ERMES__CORR_TAG_IPV6;
        key = ermes__corr_key(first);
        check(key >= lo && key <= hi, "a network's range without its first address", data, size);
    }
    return 0;
}
