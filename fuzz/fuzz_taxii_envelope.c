/* libFuzzer target for what the federation reads from outside (src/sharing/taxii_client.c,
 * src/sharing/federation.c): a peer's TAXII envelope (objects, more, next), its status
 * resource, and the JSON of a new peer (POST /api/v1/peers).
 *
 * Input: a first byte choosing the reader (0: envelope, 1: status, 2: peer body), then the
 * text. Checks: an envelope read gives an array and a NUL-free next shorter than its buffer,
 * more only 0 or 1; a status read says complete or pending with counts; a refusal says why
 * (and for a peer body, names its field). Anything else aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sharing/federation.h"
#include "sharing/taxii_client.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_taxii_envelope: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data + 1;
    char next[ERMES__TAXII_NEXT_MAX];
    ermes_diag_t d;
    int rc;

    if (size < 1 || size > 1u << 20)
        return 0;
    size--;
    ermes_diag_clear(&d);
    switch (data[0] % 3) {
    case 0: {
        json_t *objects = NULL;
        int more = 7;
        /* A small buffer too: a token longer than it is refused, never cut. */
        size_t cap = data[0] & 0x80 ? 8 : sizeof(next);
        rc = ermes__taxii_envelope_read(text, size, &objects, &more, next, cap, &d);
        if (rc) {
            check(rc == ERMES_EPARSE && d.reason[0], "a refusal says why");
            check(objects == NULL, "no objects from a refusal");
        } else {
            check(json_is_array(objects), "objects is an array");
            check(more == 0 || more == 1, "more is a boolean");
            check(strlen(next) < cap, "next fits");
        }
        json_decref(objects);
        break;
    }
    case 1: {
        long s = -1, f = -1, p = -1;
        int complete = 7;
        rc = ermes__taxii_status_read(text, size, &complete, &s, &f, &p, &d);
        if (rc)
            check(rc == ERMES_EPARSE && d.reason[0], "a refusal says why");
        else
            check(complete == 0 || complete == 1, "complete is a boolean");
        break;
    }
    default: {
        json_t *body = json_loadb(text, size, 0, NULL);
        if (!body)
            break;
        rc = ermes__peer_body_check(body, &d);
        if (rc)
            check(rc == ERMES_EINVAL && d.reason[0], "a refusal says why");
        json_decref(body);
        break;
    }
    }
    return 0;
}
