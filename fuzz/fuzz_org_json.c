/* libFuzzer target for the organisation documents of the API (the bodies of POST and PATCH
 * /api/v1/organisations, and the elements of a JSON import): src/model/org.c.
 *
 * The input is read as JSON the way the HTTP layer reads a body, then given to
 * ermes__org_from_json() as a full document and as a partial one. Properties checked:
 *  - a rejection is ERMES_EINVAL or ERMES_ETOOBIG and says why;
 *  - what a full document accepts, a partial one accepts too, with the same values;
 *  - an accepted organisation written by ermes__org_to_json(), as text and read back, is
 *    accepted again as a full document and writes the same JSON (a fixed point). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/org.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_org_json: %s\n", what);
    abort();
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* The same organisation, as far as JSON shows it. */
static int same_json(const ermes__org_t *a, const ermes__org_t *b)
{
    json_t *ja = ermes__org_to_json(a), *jb = ermes__org_to_json(b);
    int same;

    check(ja && jb, "to_json failed");
    same = json_equal(ja, jb);
    json_decref(ja);
    json_decref(jb);
    return same;
}

/* org was accepted: its JSON, through text, must be accepted again and be a fixed point. */
static void round_trip(const ermes__org_t *org)
{
    json_t *first = ermes__org_to_json(org), *read_back, *second;
    json_error_t err;
    ermes__org_t *again = ermes__org_new();
    ermes_diag_t d;
    char *text;

    check(first && again, "out of memory");
    text = json_dumps(first, JSON_COMPACT);
    check(text != NULL, "json_dumps failed");
    read_back = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    check(read_back != NULL, "ermes__org_to_json wrote JSON that does not read back");
    ermes_diag_clear(&d);
    if (ermes__org_from_json(again, read_back, 0, &d) != 0) {
        fprintf(stderr, "fuzz_org_json: round trip rejected: %s: %s\n%s\n", d.field, d.reason,
                text);
        abort();
    }
    /* The times and the id are not read back; the rest must be identical. */
    again->meta.id = org->meta.id;
    again->meta.created_at = org->meta.created_at;
    again->meta.updated_at = org->meta.updated_at;
    second = ermes__org_to_json(again);
    check(second != NULL, "to_json failed");
    if (!json_equal(first, second)) {
        char *t2 = json_dumps(second, JSON_COMPACT);
        fprintf(stderr, "fuzz_org_json: not a fixed point:\n%s\n%s\n", text, t2 ? t2 : "?");
        abort();
    }
    free(text);
    json_decref(first);
    json_decref(read_back);
    json_decref(second);
    ermes__org_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    ermes__org_t *org[2];
    ermes_diag_t d[2];
    int rc[2];

    if (!doc)
        return 0;
    for (int partial = 0; partial < 2; partial++) {
        org[partial] = ermes__org_new();
        check(org[partial] != NULL, "out of memory");
        ermes_diag_clear(&d[partial]);
        rc[partial] = ermes__org_from_json(org[partial], doc, partial, &d[partial]);
        check(terminated(d[partial].field, sizeof(d[partial].field)) &&
                  terminated(d[partial].reason, sizeof(d[partial].reason)),
              "unterminated diagnostic");
        if (rc[partial] != 0) {
            check(rc[partial] == ERMES_EINVAL || rc[partial] == ERMES_ETOOBIG,
                  "unexpected error code");
            check(d[partial].reason[0] != '\0', "rejection without a reason");
        }
    }
    if (rc[0] == 0) {
        /* Everything a full document may hold, a partial update may hold too. */
        check(rc[1] == 0, "accepted as a document, rejected as a partial update");
        check(same_json(org[0], org[1]), "full and partial reading differ");
        check((org[0]->has & (ERMES_ORG_HAS_SHORT_NAME | ERMES_ORG_HAS_NAME)) ==
                      (ERMES_ORG_HAS_SHORT_NAME | ERMES_ORG_HAS_NAME) &&
                  org[0]->short_name && org[0]->name && org[0]->name[0],
              "a full document without short_name or name");
        round_trip(org[0]);
    } else if (rc[1] == 0 && org[1]->short_name && org[1]->name) {
        /* A partial update naming both required members must only fail as a document for
         * the same reason it would fail as a partial one: it does not. */
        fprintf(stderr,
                "fuzz_org_json: partial update with short_name and name accepted, "
                "full document rejected: %s: %s\n",
                d[0].field, d[0].reason);
        abort();
    } else if (rc[1] == 0) {
        /* What a PATCH carries is exactly what org->has says. */
        check(!(org[1]->has & ~0x7ffu), "unknown bits in org->has");
    }
    ermes__org_free(org[0]);
    ermes__org_free(org[1]);
    json_decref(doc);
    return 0;
}
