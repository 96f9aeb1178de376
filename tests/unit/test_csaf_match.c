/* Tests of CSAF product_status matching (src/advisories/csaf_match.c): the OASIS CSAF 2.0
 * examples (../shared/conformance/csaf/csaf_2.0/examples/csaf: BSI's security advisory with
 * CPE 2.2 products and first_fixed, the VEX use cases with vers ranges, "vers:all/(any)",
 * Secvisogram's bare "<=1.14.0", recommended and vendor_fix remediations) and hand-made
 * documents for each product_status group, relationships, purls and version ranges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/csaf_match.h"

typedef struct got {
    char line[64][256];
    size_t n;
} got_t;

static int got_cb(void *ctx, const ermes__csaf_hit_t *h)
{
    got_t *g = ctx;
    if (g->n < 64)
        snprintf(g->line[g->n++], sizeof(g->line[0]), "%zu %s %s %s", h->asset,
                 h->name ? h->name : "-", ermes__csaf_state_name(h->state),
                 h->remediation ? h->remediation : "-");
    return 0;
}

/* Matches doc against assets and checks the hits, in order, against want (NULL ended). */
static void check(const json_t *doc, const ermes__asset_ref_t *assets, size_t n,
                  const char *const *want)
{
    ermes__vmatch_t *m = NULL;
    got_t *g = calloc(1, sizeof(*g));
    size_t k = 0;

    assert_non_null(g);
    assert_int_equal(ermes__vmatch_new(assets, n, &m), 0);
    assert_int_equal(ermes__csaf_match(m, doc, got_cb, g, NULL), 0);
    for (; want[k]; k++) {
        if (k >= g->n)
            fail_msg("missing hit \"%s\"", want[k]);
        assert_string_equal(g->line[k], want[k]);
    }
    if (g->n != k)
        fail_msg("unexpected hit \"%s\"", g->line[k]);
    ermes__vmatch_free(m);
    free(g);
}

static json_t *example(const char *name)
{
    const char *src = getenv("ERMES_SOURCE_DIR");
    char path[1024];
    json_error_t err;
    json_t *doc;

    snprintf(path, sizeof(path), "%s/../shared/conformance/csaf/csaf_2.0/examples/csaf/%s",
             src ? src : ".", name);
    doc = json_load_file(path, 0, &err);
    if (!doc)
        fail_msg("%s: %s", path, err.text);
    return doc;
}

#define ASSET(ID, CPE, PURL, VENDOR, PRODUCT, VERSION)                                             \
    {                                                                                              \
        ID, 1, CPE, PURL, VENDOR, PRODUCT, VERSION                                                 \
    }

/* BSI's advisory: products by CPE 2.2 URI, known_affected dev/rc versions, fixed and
 * first_fixed 1.0.0-rc2, a vendor_fix for the affected ones. */
static void test_bsi_example(void **state)
{
    static const ermes__asset_ref_t assets[] = {
        ASSET(1, "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-dev2:*:*:*:*:*:*:*", NULL, NULL,
              NULL, NULL),
        ASSET(2, "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-rc2:*:*:*:*:*:*:*", NULL, NULL,
              NULL, NULL),
        /* first_fixed 1.0.0-rc2: 1.0.0 comes after it */
        ASSET(3, NULL, NULL, "CSAF-Tools", "CVRF-CSAF-Converter", "1.0.0"),
        ASSET(4, "cpe:2.3:a:other:cvrf-csaf-converter:1.0.0-dev2:*:*:*:*:*:*:*", NULL, NULL, NULL,
              NULL),
        ASSET(5, "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:0.9:*:*:*:*:*:*:*", NULL, NULL, NULL,
              NULL),
    };
    static const char *const want[] = {
        "0 CVE-2022-27193 affected Update to the latest version of the product. At least "
        "version 1.0.0-rc2",
        "1 CVE-2022-27193 fixed -",
        "2 CVE-2022-27193 fixed -",
        NULL,
    };
    json_t *doc = example("bsi-2022-0001.json");
    (void)state;
    check(doc, assets, sizeof(assets) / sizeof(assets[0]), want);
    json_decref(doc);
}

/* VEX use case 8: vers ranges, not affected versions, fixed and recommended, two CVEs. */
static void test_vex_ranges(void **state)
{
    static const ermes__asset_ref_t assets[] = {
        ASSET(1, NULL, NULL, "Example Company", "ABC", "2.4"), /* 0002 */
        ASSET(2, NULL, NULL, "Example Company", "ABC", "3.5"), /* 0004 >=2.9|<=4.1 */
        ASSET(3, NULL, NULL, "Example Company", "ABC", "2.5"), /* 0006 not affected */
        ASSET(4, NULL, NULL, "example_company", "abc", "4.2"), /* 0001 not affected */
        ASSET(5, NULL, NULL, "Example Company", "JKL", "4.7"), /* 0008 */
        ASSET(6, NULL, NULL, "Example Company", "JKL", "5.2"), /* 0011 */
        ASSET(7, NULL, NULL, "Example Company", "JKL", "5.1"), /* 0010 */
        ASSET(8, NULL, NULL, "Other Inc", "ABC", "2.4"),
        ASSET(9, NULL, NULL, "Example Company", "ABC", "4.1.1"), /* above 4.1 and below 4.2 */
    };
    static const char *const want[] = {
        "0 CVE-2021-44228 affected Update to version 4.2 or later.",
        "1 CVE-2021-44228 affected Update to version 4.2 or later.",
        "2 CVE-2021-44228 not_affected -",
        "3 CVE-2021-44228 not_affected -",
        "4 CVE-2021-44228 affected Update to the new version 5.2 or later.",
        "5 CVE-2021-44228 fixed -",
        "6 CVE-2021-44228 fixed -",
        "0 CVE-2021-45105 affected Update to version 4.2 or later.",
        "1 CVE-2021-45105 affected Update to version 4.2 or later.",
        "2 CVE-2021-45105 not_affected -",
        "3 CVE-2021-45105 not_affected -",
        "5 CVE-2021-45105 fixed -",
        "6 CVE-2021-45105 affected Update to the new version 5.2 or later.",
        NULL,
    };
    json_t *doc = example("csaf_vex/2022-evd-uc-08-001.json");
    (void)state;
    check(doc, assets, sizeof(assets) / sizeof(assets[0]), want);
    json_decref(doc);
}

/* "vers:all/(any)" under investigation; Secvisogram's bare "<=1.14.0" not affected. */
static void test_vex_all_and_bare_range(void **state)
{
    static const ermes__asset_ref_t xyz[] = {
        ASSET(1, NULL, NULL, "Example Company", "XYZ", "9.9"),
        ASSET(2, NULL, NULL, "Example Company", "XYZ", NULL),
    };
    static const char *const want_xyz[] = {
        "0 CVE-2021-44228 under_investigation -",
        "1 CVE-2021-44228 under_investigation -",
        NULL,
    };
    static const ermes__asset_ref_t secvisogram[] = {
        ASSET(1, NULL, NULL, "Secvisogram", "Secvisogram", "1.14.0"),
        ASSET(2, NULL, NULL, "Secvisogram", "Secvisogram", "1.15.0"),
    };
    static const char *const want_sv[] = {
        "0 CVE-2021-44228 not_affected -",
        "0 CVE-2021-45046 not_affected -",
        "0 CVE-2021-45105 not_affected -",
        NULL,
    };
    json_t *doc = example("csaf_vex/2022-evd-uc-05-001.json");
    (void)state;
    check(doc, xyz, 2, want_xyz);
    json_decref(doc);
    doc = example("csaf_vex/sec-vex-2022-0001.json");
    check(doc, secvisogram, 2, want_sv);
    json_decref(doc);
}

/* A hand-made document: every product_status group, a relationship, a purl, a product group
 * in a remediation, a vers semver range with an exclusive lower bound. */
static const char hand_made[] =
    "{\"document\":{\"category\":\"csaf_security_advisory\"},"
    "\"product_tree\":{"
    " \"branches\":[{\"category\":\"vendor\",\"name\":\"Acme\",\"branches\":["
    "  {\"category\":\"product_name\",\"name\":\"Widget\",\"branches\":["
    "   {\"category\":\"product_version\",\"name\":\"1.0\","
    "    \"product\":{\"name\":\"Widget 1.0\",\"product_id\":\"W10\"}},"
    "   {\"category\":\"product_version\",\"name\":\"2.0\","
    "    \"product\":{\"name\":\"Widget 2.0\",\"product_id\":\"W20\"}},"
    "   {\"category\":\"product_version\",\"name\":\"2.5\","
    "    \"product\":{\"name\":\"Widget 2.5\",\"product_id\":\"W25\"}},"
    "   {\"category\":\"product_version\",\"name\":\"0.5\","
    "    \"product\":{\"name\":\"Widget 0.5\",\"product_id\":\"W05\"}}]},"
    "  {\"category\":\"product_name\",\"name\":\"Gadget\",\"branches\":["
    "   {\"category\":\"product_version_range\",\"name\":\"vers:semver/>1.0.0|<1.4.0\","
    "    \"product\":{\"name\":\"Gadget\",\"product_id\":\"G1\"}},"
    "   {\"category\":\"product_version\",\"name\":\"3.0.0\","
    "    \"product\":{\"name\":\"Gadget 3.0.0\",\"product_id\":\"G3\"}}]},"
    "  {\"category\":\"product_name\",\"name\":\"Gizmo\",\"branches\":["
    "   {\"category\":\"product_version\",\"name\":\"7\","
    "    \"product\":{\"name\":\"Gizmo 7\",\"product_id\":\"Z7\"}}]}]}],"
    " \"full_product_names\":["
    "  {\"name\":\"lib\",\"product_id\":\"LIB\",\"product_identification_helper\":"
    "   {\"purl\":\"pkg:maven/org.acme/acme-lib@4.1.0\"}},"
    "  {\"name\":\"router\",\"product_id\":\"RT\",\"product_identification_helper\":"
    "   {\"cpe\":\"cpe:2.3:h:acme:router:*:*:*:*:*:*:*:*\"}},"
    "  {\"name\":\"by hash only\",\"product_id\":\"H\",\"product_identification_helper\":"
    "   {\"hashes\":[{\"filename\":\"x\",\"file_hashes\":[{\"algorithm\":\"sha256\","
    "\"value\":\"00\"}]}]}}],"
    " \"relationships\":[{\"category\":\"installed_on\",\"product_reference\":\"LIB\","
    "  \"relates_to_product_reference\":\"RT\",\"full_product_name\":{\"name\":\"lib on router\","
    "  \"product_id\":\"LIB-RT\"}}],"
    " \"product_groups\":[{\"group_id\":\"GW\",\"product_ids\":[\"W10\",\"W20\"]}]},"
    "\"vulnerabilities\":["
    " {\"cve\":\"CVE-2099-0001\",\"product_status\":{"
    "   \"first_affected\":[\"W10\"],\"first_fixed\":[\"W25\"],\"last_affected\":[\"W05\"],"
    "   \"recommended\":[\"W25\"]},"
    "  \"remediations\":[{\"category\":\"mitigation\",\"details\":\"Block port 1\","
    "   \"product_ids\":[\"W05\"]},"
    "   {\"category\":\"vendor_fix\",\"details\":\"Update to 2.5\",\"group_ids\":[\"GW\"],"
    "    \"url\":\"https://acme.example/fix\"}]},"
    " {\"ids\":[{\"system_name\":\"Acme\",\"text\":\"ACME-7\"}],\"product_status\":{"
    "   \"known_affected\":[\"G1\",\"LIB-RT\"],\"fixed\":[\"G3\"],"
    "   \"under_investigation\":[\"Z7\"],\"known_not_affected\":[\"H\",\"RT\"]}}]}";

static void test_hand_made_groups(void **state)
{
    static const ermes__asset_ref_t assets[] = {
        ASSET(1, NULL, NULL, "Acme", "Widget", "0.3"),   /* last_affected 0.5 */
        ASSET(2, NULL, NULL, "Acme", "Widget", "1.0"),   /* first_affected 1.0 */
        ASSET(3, NULL, NULL, "Acme", "Widget", "2.1"),   /* first_affected, below 2.5 */
        ASSET(4, NULL, NULL, "Acme", "Widget", "2.5"),   /* first_fixed */
        ASSET(5, NULL, NULL, "Acme", "Widget", "3.0"),   /* after first_fixed */
        ASSET(6, NULL, NULL, "Acme", "Widget", "0.7"),   /* between 0.5 and 1.0 */
        ASSET(7, NULL, NULL, "Acme", "Gadget", "1.0.0"), /* >1.0.0: excluded */
        ASSET(8, NULL, NULL, "Acme", "Gadget", "1.3.9"),
        ASSET(9, NULL, NULL, "Acme", "Gadget", "1.4.0"),
        ASSET(10, NULL, NULL, "Acme", "Gadget", "3.0.0"),
        ASSET(11, NULL, NULL, "Acme", "Gizmo", "7"),
        ASSET(12, NULL, "pkg:maven/org.acme/acme-lib@4.1.0", NULL, NULL, NULL),
        ASSET(13, NULL, "pkg:maven/org.acme/acme-lib@4.2.0", NULL, NULL, NULL),
        ASSET(14, NULL, "pkg:maven/org.other/acme-lib@4.1.0", NULL, NULL, NULL),
        ASSET(15, "cpe:2.3:h:acme:router:3:*:*:*:*:*:*:*", NULL, NULL, NULL, NULL),
    };
    static const char *const want[] = {
        "0 CVE-2099-0001 affected Block port 1",
        "1 CVE-2099-0001 affected Update to 2.5",
        "2 CVE-2099-0001 affected Update to 2.5",
        "3 CVE-2099-0001 fixed -",
        "4 CVE-2099-0001 fixed -",
        "7 ACME-7 affected -",
        "9 ACME-7 fixed -",
        "10 ACME-7 under_investigation -",
        "11 ACME-7 affected -",
        "14 ACME-7 not_affected -",
        NULL,
    };
    json_error_t err;
    json_t *doc = json_loads(hand_made, 0, &err);
    ermes__vmatch_t *m = NULL;
    size_t products = 0;
    (void)state;
    if (!doc)
        fail_msg("hand-made document: %s", err.text);
    check(doc, assets, sizeof(assets) / sizeof(assets[0]), want);
    /* 4 Widget + 2 Gadget + 1 Gizmo + 3 full_product_names + 1 relationship */
    assert_int_equal(ermes__vmatch_new(assets, 1, &m), 0);
    assert_int_equal(ermes__csaf_match(m, doc, got_cb, &(got_t){0}, &products), 0);
    assert_int_equal(products, 11);
    ermes__vmatch_free(m);
    json_decref(doc);
}

/* What cannot be read names nothing: no tree, a status naming unknown ids, broken ranges,
 * deep branches, a relationship that refers to itself. */
static void test_unreadable_names_nothing(void **state)
{
    static const ermes__asset_ref_t assets[] = {
        ASSET(1, NULL, NULL, "Acme", "Widget", "1.0"),
    };
    static const char *const none[] = {NULL};
    static const char *const docs[] = {
        "{}",
        "{\"vulnerabilities\":[{\"cve\":\"CVE-1\",\"product_status\":{\"known_affected\":"
        "[\"X\",1,null]}}]}",
        "{\"product_tree\":{\"branches\":[{\"category\":\"vendor\",\"name\":\"Acme\",\"branches\":"
        "[{\"category\":\"product_name\",\"name\":\"Widget\",\"branches\":[{\"category\":"
        "\"product_version_range\",\"name\":\"vers:generic/>=2.0|<3.0\",\"product\":{\"name\":"
        "\"w\",\"product_id\":\"P\"}}]}]}],\"relationships\":[{\"product_reference\":\"R\","
        "\"full_product_name\":{\"name\":\"r\",\"product_id\":\"R\"}}]},"
        "\"vulnerabilities\":[{\"cve\":\"CVE-1\",\"product_status\":{\"known_affected\":"
        "[\"P\",\"R\"]}}]}",
        "{\"product_tree\":{\"full_product_names\":[{\"name\":\"n\",\"product_id\":\"P\"}]},"
        "\"vulnerabilities\":[{\"product_status\":{\"known_affected\":[\"P\"]}}]}",
    };
    (void)state;
    for (size_t k = 0; k < sizeof(docs) / sizeof(docs[0]); k++) {
        json_t *doc = json_loads(docs[k], 0, NULL);
        assert_non_null(doc);
        check(doc, assets, 1, none);
        json_decref(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bsi_example),
        cmocka_unit_test(test_vex_ranges),
        cmocka_unit_test(test_vex_all_and_bare_range),
        cmocka_unit_test(test_hand_made_groups),
        cmocka_unit_test(test_unreadable_names_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
