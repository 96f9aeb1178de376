/* libFuzzer target for the packed event (src/model/event_pack.c), the form the store keeps
 * events in.
 *
 * The input, exactly size bytes, is read two ways:
 *   - as a packed document: ermes__event_unpack must accept it or reject it with a reason,
 *     never read outside it; an accepted one must pack again to a document that unpacks to
 *     the same event (the same JSON);
 *   - as an event's JSON (what parsers produce): an accepted event must pack and unpack to
 *     exactly the JSON it had, which is what the store promises its readers.
 * Extra names are numbered by a small dictionary of the target's own. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "ermes/event.h"
#include "model/event_pack.h"

#define NAMES 512
#define NAME_MAX_LEN 256

static ermes_event_t *ev, *back;
static char names[NAMES][NAME_MAX_LEN];
static size_t name_lens[NAMES];
static uint32_t nnames;

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_event_pack: %s\n", what);
    abort();
}

static int name_id(void *ctx, const char *name, size_t len, uint32_t *id)
{
    (void)ctx;
    for (uint32_t k = 1; k <= nnames; k++) {
        if (name_lens[k] == len && memcmp(names[k], name, len) == 0) {
            *id = k;
            return 0;
        }
    }
    if (nnames + 1 >= NAMES || len >= NAME_MAX_LEN)
        return ERMES_ETOOBIG;
    nnames++;
    memcpy(names[nnames], name, len);
    name_lens[nnames] = len;
    *id = nnames;
    return 0;
}

/* Numbers 1..nnames are names made by name_id; 1000..1999 are "n<number>". */
static int name_of(void *ctx, uint32_t id, const char **name, size_t *len)
{
    (void)ctx;
    if (id >= 1 && id <= nnames) {
        *name = names[id];
        *len = name_lens[id];
        return 0;
    }
    if (id >= 1000 && id < 2000) {
        static char buf[16];
        *len = (size_t)snprintf(buf, sizeof(buf), "n%u", (unsigned)id);
        *name = buf;
        return 0;
    }
    return ERMES_ENOTFOUND;
}

/* ev packed and unpacked again: the same JSON. */
static void round_trip(const ermes_event_t *e)
{
    ermes__strbuf_t packed, a, b;
    ermes_diag_t d;
    int rc;

    ermes__strbuf_init(&packed, 1u << 27);
    ermes__strbuf_init(&a, 1u << 27);
    ermes__strbuf_init(&b, 1u << 27);
    rc = ermes__event_pack(e, NULL, name_id, NULL, &packed);
    if (rc == ERMES_ETOOBIG)
        goto out; /* the target's dictionary is full */
    check(rc == 0, "pack failed");
    ermes_event_reset(back);
    ermes_diag_clear(&d);
    rc = ermes__event_unpack(back, packed.data, packed.len, name_of, NULL, &d);
    if (rc)
        fprintf(stderr, "unpack: %s\n", d.reason);
    check(rc == 0, "a packed event does not unpack");
    check(ermes_event_to_json(e, &a) == 0 && ermes_event_to_json(back, &b) == 0, "to_json");
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        fprintf(stderr, "before: %s\nafter:  %s\n", a.data, b.data);
    check(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "pack/unpack changed the event");
out:
    ermes__strbuf_cleanup(&packed);
    ermes__strbuf_cleanup(&a);
    ermes__strbuf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so that reading past the end trips AddressSanitizer. */
    uint8_t *s = malloc(size ? size : 1);
    ermes_diag_t d;
    int rc;

    if (!s)
        return 0;
    memcpy(s, data, size);
    if ((!ev && ermes_event_new(&ev)) || (!back && ermes_event_new(&back)))
        abort();
    if (nnames > NAMES / 2)
        nnames = 0; /* a fresh dictionary now and then */

    ermes_event_reset(ev);
    ermes_diag_clear(&d);
    rc = ermes__event_unpack(ev, s, size, name_of, NULL, &d);
    if (rc == 0)
        round_trip(ev);
    else
        check(rc == ERMES_EINVAL && d.reason[0], "a rejection without a reason");

    ermes_event_reset(ev);
    ermes_diag_clear(&d);
    if (ermes_event_from_json(ev, (const char *)s, size, &d) == 0)
        round_trip(ev);
    free(s);
    return 0;
}
