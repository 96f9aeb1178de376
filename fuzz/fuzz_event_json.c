/* libFuzzer target for events (src/model/event.c) and the harmonization functions
 * (src/model/harmonize.c).
 *
 * The input, exactly size bytes with no terminating NUL, goes to ermes_event_from_json. An
 * accepted event must write JSON that reads back to an event writing the very same text, and
 * that text must be valid UTF-8. The input also goes to ermes_harmonize for one field type
 * (chosen by the first byte, the rest is the value): what it accepts must be valid UTF-8,
 * NUL-free, and a fixed point (harmonizing the result again gives the same text). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "ermes/event.h"
#include "model/harmonize.h"

#define NTYPES (ERMES_FT_CC + 1)

static ermes_event_t *ev;

static void check(int ok, const char *what, const uint8_t *data, size_t size)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_event_json: %s for input \"%.*s\"\n", what, (int)size,
            (const char *)data);
    abort();
}

static void fuzz_json(const char *s, size_t size)
{
    ermes__strbuf_t first, second;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes_event_from_json(ev, s, size, &d);
    if (rc) {
        check(rc == ERMES_EINVAL || rc == ERMES_ETOOBIG, "unexpected error code",
              (const uint8_t *)s, size);
        check(d.reason[0] != '\0', "rejection without a reason", (const uint8_t *)s, size);
        check(ermes_event_extra_count(ev) == 0, "a rejected event is not empty", (const uint8_t *)s,
              size);
        return;
    }
    ermes__strbuf_init(&first, 1u << 26);
    ermes__strbuf_init(&second, 1u << 26);
    check(ermes_event_to_json(ev, &first) == 0, "to_json failed", (const uint8_t *)s, size);
    check(ermes__utf8_valid(first.data, first.len), "to_json wrote invalid UTF-8",
          (const uint8_t *)s, size);
    check(strlen(first.data) == first.len, "to_json wrote a NUL", (const uint8_t *)s, size);
    ermes_diag_clear(&d);
    rc = ermes_event_from_json(ev, first.data, first.len, &d);
    if (rc)
        fprintf(stderr, "re-read failed: %s\n%s\n", d.reason, first.data);
    check(rc == 0, "the event's own JSON does not read back", (const uint8_t *)s, size);
    check(ermes_event_to_json(ev, &second) == 0, "second to_json failed", (const uint8_t *)s, size);
    if (first.len != second.len || memcmp(first.data, second.data, first.len) != 0)
        fprintf(stderr, "first:  %s\nsecond: %s\n", first.data, second.data);
    check(first.len == second.len && memcmp(first.data, second.data, first.len) == 0,
          "JSON round trip is not stable", (const uint8_t *)s, size);
    ermes__strbuf_cleanup(&first);
    ermes__strbuf_cleanup(&second);
}

static void fuzz_harmonize(const uint8_t *data, size_t size)
{
    ermes_ftype_t type;
    const char *v;
    size_t len, n, n2;
    char *buf, *again;
    ermes_diag_t d;
    size_t cap;
    int rc;

    if (size == 0)
        return;
    type = (ermes_ftype_t)(data[0] % NTYPES);
    v = (const char *)data + 1;
    len = size - 1;
    cap = len * 8 + 64;
    buf = malloc(cap);
    again = malloc(cap);
    if (!buf || !again)
        goto out;
    ermes_diag_clear(&d);
    rc = ermes_harmonize(type, v, len, buf, cap, &n, &d);
    if (rc) {
        check(rc == ERMES_EINVAL || rc == ERMES_ETOOBIG, "harmonize: unexpected error code", data,
              size);
        check(d.reason[0] != '\0' || rc == ERMES_ETOOBIG, "harmonize: rejection without reason",
              data, size);
        check(ermes__utf8_valid(d.reason, strlen(d.reason)), "harmonize: reason not UTF-8", data,
              size);
        goto out;
    }
    check(n < cap && buf[n] == '\0' && strlen(buf) == n, "harmonize: bad length", data, size);
    check(n > 0, "harmonize: accepted an empty value", data, size);
    check(ermes__utf8_valid(buf, n), "harmonize: output is not UTF-8", data, size);
    ermes_diag_clear(&d);
    rc = ermes_harmonize(type, buf, n, again, cap, &n2, &d);
    if (rc || n2 != n || memcmp(buf, again, n) != 0)
        fprintf(stderr, "type %d: \"%s\" -> \"%s\" (%s)\n", (int)type, buf, rc ? "" : again,
                d.reason);
    check(rc == 0 && n2 == n && memcmp(buf, again, n) == 0, "harmonize: not a fixed point", data,
          size);
out:
    free(buf);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so that reading past the end trips AddressSanitizer. */
    char *s = malloc(size ? size : 1);

    if (!s)
        return 0;
    memcpy(s, data, size);
    if (!ev && ermes_event_new(&ev))
        abort();
    fuzz_json(s, size);
    fuzz_harmonize((const uint8_t *)s, size);
    free(s);
    return 0;
}
