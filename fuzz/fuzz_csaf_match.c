/* libFuzzer target for CSAF product_status matching (src/advisories/csaf_match.c): the product
 * tree reader (branches, full_product_names, relationships, product_version_range as vers or
 * a bare constraint list) and the status groups, over any JSON.
 *
 * Feeds at most 256 KiB, parsed by jansson, to ermes__csaf_match against a fixed set of assets
 * (CPE, purl, vendor/product/version, with and without versions). Every hit names an asset of
 * the set, a vulnerability of the document and a state; matching the same document twice
 * gives the same hits. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/csaf_match.h"

#define INPUT_MAX (256 * 1024)

static const ermes__asset_ref_t assets[] = {
    {1, 1, "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-dev2:*:*:*:*:*:*:*", NULL, NULL, NULL,
     NULL},
    {2, 1, "cpe:2.3:h:acme:router:3:*:*:*:*:*:*:*", NULL, NULL, NULL, NULL},
    {3, 2, NULL, "pkg:maven/org.acme/acme-lib@4.1.0", NULL, NULL, NULL},
    {4, 2, NULL, "pkg:npm/widget", NULL, NULL, NULL},
    {5, 3, NULL, NULL, "Example Company", "ABC", "2.4"},
    {6, 3, NULL, NULL, "Acme", "Widget", NULL},
    {7, 4, NULL, NULL, NULL, "Gadget", "1.3.9"},
    {8, 4, NULL, NULL, "Secvisogram", "Secvisogram", "1.14.0"},
};
#define NASSETS (sizeof(assets) / sizeof(assets[0]))

typedef struct seen {
    size_t n, vulns;
    uint64_t sum;
} seen_t;

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_csaf_match: %s\n", what);
    abort();
}

static int hit_cb(void *ctx, const ermes__csaf_hit_t *h)
{
    seen_t *s = ctx;

    check(h->asset < NASSETS, "a hit names an asset outside the set");
    check(h->vuln < s->vulns, "a hit names a vulnerability outside the document");
    check(h->state >= ERMES__CSAF_NOT_AFFECTED && h->state <= ERMES__CSAF_AFFECTED,
          "a hit without a state");
    check(h->product_id != NULL, "a hit without its product");
    check(ermes__csaf_state_name(h->state)[0] != '\0', "a state without a name");
    s->n++;
    s->sum = s->sum * 31 + h->asset * 7 + h->vuln * 5 + (uint64_t)h->state;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ermes__vmatch_t *m;
    seen_t a = {0, 0, 0}, b = {0, 0, 0};
    json_t *doc;
    size_t products = 0;

    if (size > INPUT_MAX)
        return 0;
    if (!m && ermes__vmatch_new(assets, NASSETS, &m))
        abort();
    doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!doc)
        return 0;
    a.vulns = b.vulns = json_array_size(json_object_get(doc, "vulnerabilities"));
    check(ermes__csaf_match(m, doc, hit_cb, &a, &products) == 0, "matching failed");
    check(ermes__csaf_match(m, doc, hit_cb, &b, NULL) == 0, "matching failed the second time");
    check(a.n == b.n && a.sum == b.sum, "the same document matched differently twice");
    json_decref(doc);
    return 0;
}
