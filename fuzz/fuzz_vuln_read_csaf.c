/* libFuzzer target for the CSAF reader of vulnerability intelligence (src/advisories/
 * vuln_read.c, kind csaf: other providers' documents imported by `ermes csaf import`).
 *
 * The input is a document read as CSAF. Every record handed out has a well-formed CVE id, a
 * digest, a TLP label, a score in range and the document cut to one vulnerability; a refusal
 * says why. Each cut document is then matched against a few fixed assets by csaf_match.c,
 * as the warnings do, which must not crash whatever the product tree holds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/csaf_match.h"
#include "advisories/vulns.h"

static ermes__vmatch_t *matcher;

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_vuln_read_csaf: %s\n", what);
    abort();
}

static int hit_cb(void *ctx, const ermes__csaf_hit_t *h)
{
    (void)ctx;
    check(h->asset < 5, "a match names an asset that is not there");
    check(h->vuln == 0, "a cut document has one vulnerability");
    return 0;
}

static int record_cb(void *ctx, const ermes__vuln_record_t *r)
{
    (void)ctx;
    check(r->kind == ERMES_VULN_CSAF, "a record of another kind");
    check(!strncmp(r->cve_id, "CVE-", 4) && strlen(r->cve_id) >= 13, "a bad CVE id handed out");
    check(strlen(r->sum) == 64, "a record without its digest");
    check(r->cvss_score >= -1 && r->cvss_score <= 100, "a CVSS score out of range");
    check(!strcmp(r->tlp, "CLEAR") || !strcmp(r->tlp, "GREEN") || !strcmp(r->tlp, "AMBER") ||
              !strcmp(r->tlp, "RED"),
          "a record without a TLP label");
    check(json_is_object(r->affected) &&
              json_array_size(json_object_get(r->affected, "vulnerabilities")) == 1,
          "a record without its cut document");
    return ermes__csaf_match(matcher, r->affected, hit_cb, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes_diag_t d;
    ermes__vuln_kind_t kind = ERMES_VULN_AUTO;
    int rc;

    if (!matcher) {
        static const ermes__asset_ref_t assets[5] = {
            {1, 1, "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-dev2:*:*:*:*:*:*:*", NULL, NULL,
             NULL, NULL},
            {2, 2, NULL, NULL, "Example", "Widget", "3.1"},
            {3, 2, NULL, "pkg:maven/org.example/widget-core@3.1.0", NULL, NULL, NULL},
            {4, 3, "cpe:/a:vendor:product:1.0", NULL, NULL, NULL, NULL},
            {5, 3, NULL, NULL, NULL, "product", NULL},
        };
        if (ermes__vmatch_new(assets, 5, &matcher))
            abort();
    }
    ermes_diag_clear(&d);
    rc = ermes__vuln_read((const char *)data, size, ERMES_VULN_CSAF, record_cb, NULL, &kind, &d);
    if (rc)
        check((rc == ERMES_EPARSE || rc == ERMES_ETOOBIG || rc == ERMES_ENOMEM) &&
                  (rc == ERMES_ENOMEM || d.reason[0]),
              "refusal without a reason");
    return 0;
}
