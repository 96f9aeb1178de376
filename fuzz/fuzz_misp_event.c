/* libFuzzer target for the MISP event reader (src/sharing/misp.c), which reads the bodies of
 * POST /api/v1/misp/events, `ermes misp import` files and MISP feeds' event files.
 *
 * Properties checked:
 *  - the answer is 0, ERMES_EPARSE or ERMES_ETOOBIG (with a reason), or ERMES_ENOMEM;
 *  - every attribute read has exactly one fate, and the counts add up;
 *  - an attribute that became an indicator gave the set one or two of them;
 *  - the report is JSON and lists every attribute, and the indicators compile into a
 *    matcher;
 *  - every object reference kept has lower-case uuids, a relationship type of 1 to 127 bytes,
 *    and belongs to exactly one event's range; every attribute too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sharing/misp.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_misp_event: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes_indicator_set_t *set;
    ermes__misp_import_t imp;
    ermes_matcher_t *m;
    ermes_diag_t d;
    json_t *j;
    size_t ind = 0;
    int rc;

    if (ermes_indicator_set_new(&set))
        return 0;
    memset(&imp, 0, sizeof(imp));
    ermes_diag_clear(&d);
    rc = ermes__misp_read((const char *)data, size, set, &imp, &d);
    check(rc == 0 || rc == ERMES_EPARSE || rc == ERMES_ETOOBIG || rc == ERMES_ENOMEM,
          "unexpected error code");
    if (rc == ERMES_EPARSE || rc == ERMES_ETOOBIG)
        check(d.reason[0] != '\0', "a refusal without a reason");
    if (rc == 0) {
        check(imp.indicators + imp.skipped + imp.invalid == imp.nattrs, "fates do not add up");
        for (size_t k = 0; k < imp.nattrs; k++) {
            const ermes__misp_attr_t *a = &imp.attrs[k];
            if (a->fate == ERMES_MISP_INDICATOR) {
                check(a->nind == 1 || a->nind == 2, "an indicator attribute without indicators");
                ind += (size_t)a->nind;
            } else {
                check(a->reason[0] != '\0', "a skipped or invalid attribute without a reason");
            }
        }
        check(ind <= ermes_indicator_set_count(set), "more indicators than the set holds");
        j = ermes__misp_import_to_json(&imp);
        check(j != NULL, "no report");
        check(json_array_size(json_object_get(j, "attributes")) == imp.nattrs,
              "an attribute missing from the report");
        json_decref(j);
        if (ermes_matcher_build(set, 0, &m) == 0)
            ermes_matcher_release(m);
        {
            size_t covered = 0;
            for (size_t k = 0; k < imp.nref_events; k++) {
                check(imp.ref_events[k].start == covered, "reference ranges not contiguous");
                covered += imp.ref_events[k].n;
            }
            check(covered == imp.nrefs, "a reference outside every event");
            /* Each event's attributes, whose uuids its references to attributes are looked
             * up among (ermes__misp_import), in order and all of them. */
            covered = 0;
            for (size_t k = 0; k < imp.nref_events; k++) {
                check(imp.ref_events[k].attr_start == covered, "attribute ranges not contiguous");
                covered += imp.ref_events[k].nattrs;
            }
            check(covered == imp.nattrs, "an attribute outside every event");
        }
        for (size_t k = 0; k < imp.nrefs; k++) {
            const ermes__misp_ref_t *r = &imp.refs[k];
            size_t rl = strlen(r->relationship_type);
            check(strlen(r->uuid) == 36 && strlen(r->object_uuid) == 36 &&
                      strlen(r->referenced_uuid) == 36,
                  "a reference without its uuids");
            for (size_t i = 0; i < 36; i++)
                check(!(r->uuid[i] >= 'A' && r->uuid[i] <= 'Z') &&
                          !(r->referenced_uuid[i] >= 'A' && r->referenced_uuid[i] <= 'Z') &&
                          !(r->object_uuid[i] >= 'A' && r->object_uuid[i] <= 'Z'),
                      "a reference uuid not in lower case");
            check(rl >= 1 && rl <= 127, "a relationship type out of bounds");
        }
    }
    ermes__misp_import_cleanup(&imp);
    ermes_indicator_set_free(set);
    return 0;
}
