/* The informative tests of CSAF 2.0 (section 6.3) that ermes implements: 6.3.1 to 6.3.5,
 * 6.3.10 and 6.3.11. Their findings are listed with the group "informative" and leave the
 * document valid. Not implemented: 6.3.6 and 6.3.7 (URLs that fail to resolve: they need the
 * network), 6.3.8 (spell check), 6.3.9 (branch categories). */
#include "advisories/csaf_int.h"

#include <stdio.h>
#include <string.h>

/* 6.3.1 CVSS v2 as the only Scoring System, 6.3.2 Use of CVSS v3.0, 6.3.3 Missing CVE, 6.3.4
 * Missing CWE */
static void test_vulnerabilities(ermes__csaf_ctx_t *c)
{
    const ermes__csaf_node_t *v, *s;
    size_t i, j;
    char p[128];

    ermes__csaf_foreach(csaf_arr(c->doc, "vulnerabilities"), i, v)
    {
        ermes__csaf_foreach(csaf_arr(v, "scores"), j, s)
        {
            const ermes__csaf_node_t *v3 = csaf_get(s, "cvss_v3");
            const char *vector = csaf_str(v3, "vectorString");
            if (csaf_get(s, "cvss_v2") && !v3) {
                ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/scores/%zu", i, j);
                ermes__csaf_info(c, "6.3.1", p, "CVSS v2 is the only scoring system");
            }
            if (v3 && ((csaf_str(v3, "version") && strcmp(csaf_str(v3, "version"), "3.0") == 0) ||
                       (vector && strncmp(vector, "CVSS:3.0", 8) == 0))) {
                ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/scores/%zu/cvss_v3/version",
                                  i, j);
                ermes__csaf_info(c, "6.3.2", p, "CVSS v3.0: upgrading to v3.1 is recommended");
            }
        }
        ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu", i);
        if (!csaf_get(v, "cve"))
            ermes__csaf_info(c, "6.3.3", p, "the vulnerability has no CVE");
        if (!csaf_get(v, "cwe"))
            ermes__csaf_info(c, "6.3.4", p, "the vulnerability has no CWE");
    }
}

/* 6.3.5 Use of Short Hash */
static void short_hashes(ermes__csaf_ctx_t *c, const ermes__csaf_node_t *product,
                         const ermes__csaf_at_t *at)
{
    const ermes__csaf_node_t *h, *fh;
    size_t i, j;
    char p[1200], base[1024];

    ermes__csaf_foreach(csaf_arr(csaf_get(product, "product_identification_helper"), "hashes"), i,
                        h) ermes__csaf_foreach(csaf_arr(h, "file_hashes"), j, fh)
    {
        const char *value = csaf_str(fh, "value");
        /* JavaScript counts UTF-16 units; a hash is ASCII, where the two agree. */
        if (value && strlen(value) < 64) {
            ermes__csaf_pathf(p, sizeof(p),
                              "%s/product_identification_helper/hashes/%zu/file_hashes/%zu/value",
                              ermes__csaf_at_write(base, sizeof(base), at), i, j);
            ermes__csaf_info(c, "6.3.5", p, "a hash shorter than 64 characters");
        }
    }
}

/* 6.3.10 Usage of Product Version Range, 6.3.11 Usage of V as Version Indicator (and 6.3.5
 * on the branches' products) */
static void branches(ermes__csaf_ctx_t *c, const ermes__csaf_node_t *list,
                     const ermes__csaf_at_t *at, int depth)
{
    const ermes__csaf_node_t *b;
    size_t i;
    char p[1024];

    if (depth > 64)
        return;
    ermes__csaf_foreach(list, i, b)
    {
        const char *cat = csaf_str(b, "category"), *name = csaf_str(b, "name");
        ermes__csaf_at_t product = {at, "/product", NULL, i, 1};
        short_hashes(c, csaf_get(b, "product"), &product);
        if (cat && strcmp(cat, "product_version_range") == 0)
            ermes__csaf_info(c, "6.3.10", ermes__csaf_at_write(p, sizeof(p), &product),
                             "a product_version_range branch");
        if (cat && strcmp(cat, "product_version") == 0 && name &&
            (name[0] == 'v' || name[0] == 'V') && name[1] >= '0' && name[1] <= '9') {
            ermes__csaf_at_t here = {at, "/name", NULL, i, 1};
            ermes__csaf_info(c, "6.3.11", ermes__csaf_at_write(p, sizeof(p), &here),
                             "a version given as \"%.100s\": v as version indicator", name);
        }
        ermes__csaf_at_t sub = {at, "/branches", NULL, i, 1};
        branches(c, csaf_arr(b, "branches"), &sub, depth + 1);
    }
}

void ermes__csaf_informative_tests(ermes__csaf_ctx_t *c)
{
    const ermes__csaf_node_t *tree = csaf_get(c->doc, "product_tree"), *v;
    size_t i;
    const ermes__csaf_at_t list = {NULL, "/product_tree/branches", NULL, 0, 0};
    const ermes__csaf_at_t names = {NULL, "/product_tree/full_product_names", NULL, 0, 0};
    const ermes__csaf_at_t rels = {NULL, "/product_tree/relationships", NULL, 0, 0};

    test_vulnerabilities(c);
    branches(c, csaf_arr(tree, "branches"), &list, 0);
    ermes__csaf_foreach(csaf_arr(tree, "full_product_names"), i, v)
    {
        ermes__csaf_at_t here = {&names, NULL, NULL, i, 1};
        short_hashes(c, v, &here);
    }
    ermes__csaf_foreach(csaf_arr(tree, "relationships"), i, v)
    {
        ermes__csaf_at_t here = {&rels, "/full_product_name", NULL, i, 1};
        short_hashes(c, csaf_get(v, "full_product_name"), &here);
    }
}
