/* libFuzzer target for the readers of vulnerability intelligence (src/advisories/vuln_read.c):
 * CVE JSON 5 records, NVD CVE API 2.0 responses, the KEV catalogue, EPSS CSV.
 *
 * The first byte picks the kind (auto, cve5, nvd, kev, epss), the rest is the document. Every
 * record handed out has a well-formed CVE id and a digest, scores in range; a refusal says
 * why. The affected products of each record are then matched against a few fixed assets
 * (src/advisories/vuln_match.c), which must not crash whatever the configurations hold. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/vulns.h"

static ermes__vmatch_t *matcher;

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_vuln_read: %s\n", what);
    abort();
}

static int hit_cb(void *ctx, size_t asset)
{
    check(asset < 5, "a match names an asset that is not there");
    (void)ctx;
    return 0;
}

static int record_cb(void *ctx, const ermes__vuln_record_t *r)
{
    ermes__vuln_affects_t a;

    (void)ctx;
    check(!strncmp(r->cve_id, "CVE-", 4) && strlen(r->cve_id) >= 13, "a bad CVE id handed out");
    check(strlen(r->sum) == 64, "a record without its digest");
    check(r->cvss_score >= -1 && r->cvss_score <= 100, "a CVSS score out of range");
    check(r->epss >= -1 && r->epss <= 100000 && r->epss_percentile <= 100000,
          "an EPSS value out of range");
    memset(&a, 0, sizeof(a));
    if (r->kind == ERMES_VULN_NVD)
        a.nvd = r->affected;
    else if (r->kind == ERMES_VULN_CVE5)
        a.cve5 = r->affected;
    a.kev_vendor = r->kev_vendor;
    a.kev_product = r->kev_product;
    return ermes__vmatch_run(matcher, &a, hit_cb, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes_diag_t d;
    ermes__vuln_kind_t kind;
    int rc;

    if (!matcher) {
        static const ermes__asset_ref_t assets[5] = {
            {1, 1, "cpe:2.3:a:apache:log4j:2.14.0:*:*:*:*:*:*:*", NULL, NULL, NULL, NULL},
            {2, 2, NULL, NULL, "Example", "Widget", "3.1"},
            {3, 2, NULL, "pkg:maven/org.example/widget-core@3.1.0", NULL, NULL, NULL},
            {4, 3, "cpe:/a:vendor:product:1.0", NULL, NULL, NULL, NULL},
            {5, 3, NULL, NULL, NULL, "product", NULL},
        };
        if (ermes__vmatch_new(assets, 5, &matcher))
            abort();
    }
    if (!size)
        return 0;
    kind = (ermes__vuln_kind_t)(data[0] % 5);
    ermes_diag_clear(&d);
    rc = ermes__vuln_read((const char *)data + 1, size - 1, kind, record_cb, NULL, NULL, &d);
    if (rc)
        check((rc == ERMES_EPARSE || rc == ERMES_ETOOBIG) && d.reason[0],
              "refusal without a reason");
    return 0;
}
