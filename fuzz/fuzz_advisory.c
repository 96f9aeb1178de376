/* libFuzzer target for CSAF advisories (src/advisories/advisory.c): an uploaded document made
 * a draft (tracking set by ermes), edited, taken through review and approval by a second
 * viewer, and published if it validates, in a SQLite database in a temporary directory made
 * once. Checks: each step returns 0 or a reason; a published document validates; its
 * tracking is final. The scheme expander gets the input as a scheme too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advisories/advisory.h"

static ermes__store_t *store;
static ermes__viewer_t author = {1, "author", ERMES_ROLE_ANALYST, 0, "fuzz"};
static ermes__viewer_t reviewer = {2, "reviewer", ERMES_ROLE_ANALYST, 0, "fuzz"};

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_advisory: %s\n", what);
    abort();
}

static int expected(int rc)
{
    return rc == 0 || rc == ERMES_EPARSE || rc == ERMES_EINVAL || rc == ERMES_ETOOBIG ||
           rc == ERMES_ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes__advisory_t a;
    ermes_csaf_result_t r;
    ermes_diag_t d;
    char ref[32], scheme[64], out[ERMES_ADVISORY_ID_MAX + 1];
    int64_t id = 0;
    int rc, scheduled;

    if (!store) {
        char dir[] = "/tmp/ermes-fuzz-advisory-XXXXXX";
        ermes__store_options_t opts = {0, 1, 0, NULL};
        check(mkdtemp(dir) != NULL, "a temporary directory");
        check(ermes__store_open(dir, &opts, &store) == 0, "a store");
    }
    if (size > 1 << 20)
        return 0;
    /* The input's first bytes as a tracking id scheme: expanded or refused, never overrun. */
    snprintf(scheme, sizeof(scheme), "%.*s", (int)(size < 63 ? size : 63), (const char *)data);
    rc = ermes__advisory_expand_id(scheme, 1700000000000, 12345, out, sizeof(out));
    check(rc == 0 || rc == ERMES_EINVAL, "expand returns 0 or EINVAL");
    check(rc || strlen(out) < sizeof(out), "an expanded id fits");

    ermes_diag_clear(&d);
    rc = ermes__advisory_create(store, "FUZZ-%Y-%06n", &author, (const char *)data, size, &id, &d);
    check(expected(rc), "create returns 0 or a reason");
    check(rc == 0 || d.reason[0], "a refusal says why");
    if (rc)
        return 0;
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    rc = ermes__advisory_update(store, &author, ref, (const char *)data, size, &d);
    check(rc == 0, "the same document updates its draft");
    check(ermes__advisory_transition(store, &author, ref, "submit", &d) == 0, "submit");
    check(ermes__advisory_transition(store, &author, ref, "approve", &d) == ERMES_EDENIED,
          "the author does not approve");
    check(ermes__advisory_transition(store, &reviewer, ref, "approve", &d) == 0, "approve");
    rc = ermes__advisory_publish(store, &reviewer, NULL, ref, 0, NULL, &r, &scheduled, &d);
    check(expected(rc), "publish returns 0 or a reason");
    if (rc == ERMES_EINVAL)
        ermes_csaf_result_cleanup(&r);
    check(ermes__store_advisory_get(store, ref, &a) == 0, "it is there");
    if (rc == 0) {
        ermes_csaf_result_t v;
        check(strcmp(a.status, "published") == 0 && a.revision == 1, "published once");
        check(a.published_document != NULL, "its text kept");
        check(ermes_csaf_validate(a.published_document, strlen(a.published_document), &v, &d) == 0,
              "the published text validates");
        check(v.valid, "the published document is valid");
        ermes_csaf_result_cleanup(&v);
        check(strstr(a.published_document, "\"status\": \"final\"") != NULL, "status final");
    } else {
        check(strcmp(a.status, "approved") == 0 && a.revision == 0, "not published half");
    }
    ermes__advisory_cleanup(&a);
    return 0;
}
