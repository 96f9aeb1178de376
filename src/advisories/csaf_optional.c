/* The optional tests of CSAF 2.0 (section 6.2) that ermes implements: 6.2.1 to 6.2.12 and
 * 6.2.14 to 6.2.18. Their findings are warnings: the document stays valid. Not implemented
 * yet: 6.2.13 (sorting), 6.2.19 (CVSS for fixed products), 6.2.20 (additional properties,
 * which the strict schema already refuses). */
#include "advisories/csaf_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/time.h"

static int eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static int list_has(const ermes__csaf_node_t *list, const char *id)
{
    size_t i;
    const ermes__csaf_node_t *v;
    ermes__csaf_foreach(list, i, v) if (eq(ermes__csaf_string(v), id)) return 1;
    return 0;
}

static int group_has(const ermes__csaf_node_t *doc, const char *group_id, const char *product)
{
    size_t i;
    const ermes__csaf_node_t *g;
    ermes__csaf_foreach(csaf_arr(csaf_get(doc, "product_tree"), "product_groups"), i,
                        g) if (eq(csaf_str(g, "group_id"), group_id) &&
                               list_has(csaf_arr(g, "product_ids"), product)) return 1;
    return 0;
}

static void add_list(ermes__csaf_set_t *set, const ermes__csaf_node_t *list)
{
    size_t i;
    const ermes__csaf_node_t *v;
    ermes__csaf_foreach(list, i, v) if (ermes__csaf_is_string(v))
        ermes__csaf_set_add(set, ermes__csaf_string(v));
}

static void add_str(ermes__csaf_set_t *set, const char *s)
{
    ermes__csaf_set_add(set, s);
}

/* The product ids referenced anywhere a product id may be (section 6.1.1's list), as a set,
 * built once per document: asking the document for each defined product was quadratic and a
 * twentieth of a validation. */
static void referenced_set(const ermes__csaf_node_t *doc, ermes__csaf_set_t *set)
{
    static const char *const status[] = {"first_affected", "first_fixed",         "fixed",
                                         "known_affected", "known_not_affected",  "last_affected",
                                         "recommended",    "under_investigation", NULL};
    const ermes__csaf_node_t *tree = csaf_get(doc, "product_tree"), *v, *x;
    size_t i, j;

    ermes__csaf_foreach(csaf_arr(tree, "product_groups"), i, v)
        add_list(set, csaf_arr(v, "product_ids"));
    ermes__csaf_foreach(csaf_arr(tree, "relationships"), i, v)
    {
        add_str(set, csaf_str(v, "product_reference"));
        add_str(set, csaf_str(v, "relates_to_product_reference"));
    }
    ermes__csaf_foreach(csaf_arr(doc, "vulnerabilities"), i, v)
    {
        for (int k = 0; status[k]; k++)
            add_list(set, csaf_arr(csaf_get(v, "product_status"), status[k]));
        ermes__csaf_foreach(csaf_arr(v, "remediations"), j, x)
            add_list(set, csaf_arr(x, "product_ids"));
        ermes__csaf_foreach(csaf_arr(v, "scores"), j, x) add_list(set, csaf_arr(x, "products"));
        ermes__csaf_foreach(csaf_arr(v, "threats"), j, x) add_list(set, csaf_arr(x, "product_ids"));
        ermes__csaf_foreach(csaf_arr(v, "flags"), j, x) add_list(set, csaf_arr(x, "product_ids"));
    }
}

static int referenced(const ermes__csaf_set_t *set, const char *id)
{
    return ermes__csaf_set_has(set, id);
}

static void unused_branches(ermes__csaf_ctx_t *c, const ermes__csaf_set_t *refs,
                            const ermes__csaf_node_t *branches, const ermes__csaf_at_t *at,
                            int depth)
{
    size_t i;
    const ermes__csaf_node_t *b;
    char p[1024];

    if (depth > 64)
        return;
    ermes__csaf_foreach(branches, i, b)
    {
        const char *id = csaf_str(csaf_get(b, "product"), "product_id");
        if (id && !referenced(refs, id)) {
            ermes__csaf_at_t here = {at, "/product/product_id", NULL, i, 1};
            ermes__csaf_warn(c, "6.2.1", ermes__csaf_at_write(p, sizeof(p), &here),
                             "product %s is not referenced", id);
        }
        ermes__csaf_at_t sub = {at, "/branches", NULL, i, 1};
        unused_branches(c, refs, csaf_arr(b, "branches"), &sub, depth + 1);
    }
}

/* 6.2.1 Unused Definition of Product ID */
static void test_6_2_1(ermes__csaf_ctx_t *c)
{
    const ermes__csaf_node_t *tree = csaf_get(c->doc, "product_tree"), *v;
    size_t i;
    char p[256];
    ermes__csaf_set_t set, *refs = c->referenced;

    if (!tree ||
        eq(csaf_str(csaf_get(c->doc, "document"), "category"), "csaf_informational_advisory"))
        return;
    /* The mandatory tests' 6.1.1 collected the same ids, unless run without a set. */
    if (!refs) {
        refs = &set;
        ermes__csaf_set_init(refs, &c->rc);
        referenced_set(c->doc, refs);
    }
    const ermes__csaf_at_t branches = {NULL, "/product_tree/branches", NULL, 0, 0};
    unused_branches(c, refs, csaf_arr(tree, "branches"), &branches, 0);
    ermes__csaf_foreach(csaf_arr(tree, "full_product_names"), i, v)
    {
        const char *id = csaf_str(v, "product_id");
        if (id && !referenced(refs, id)) {
            ermes__csaf_pathf(p, sizeof(p), "/product_tree/full_product_names/%zu/product_id", i);
            ermes__csaf_warn(c, "6.2.1", p, "product %s is not referenced", id);
        }
    }
    ermes__csaf_foreach(csaf_arr(tree, "relationships"), i, v)
    {
        const char *id = csaf_str(csaf_get(v, "full_product_name"), "product_id");
        if (id && !referenced(refs, id)) {
            ermes__csaf_pathf(p, sizeof(p),
                              "/product_tree/relationships/%zu/full_product_name/product_id", i);
            ermes__csaf_warn(c, "6.2.1", p, "product %s is not referenced", id);
        }
    }
    if (refs == &set)
        ermes__csaf_set_cleanup(refs);
}

/* 6.2.2 Missing Remediation, 6.2.3 Missing Score, 6.2.7 Missing Date in Involvements,
 * 6.2.17 CVE in field IDs */
static void test_vulnerabilities(ermes__csaf_ctx_t *c)
{
    static const char *const affected[] = {"first_affected", "known_affected", "last_affected",
                                           "under_investigation", NULL};
    const ermes__csaf_node_t *v, *id, *x;
    size_t i, j, k;
    char p[256];

    ermes__csaf_foreach(csaf_arr(c->doc, "vulnerabilities"), i, v)
    {
        const ermes__csaf_node_t *ps = csaf_get(v, "product_status");
        for (int l = 0; affected[l]; l++)
            ermes__csaf_foreach(csaf_arr(ps, affected[l]), j, id)
            {
                const char *pid = ermes__csaf_string(id);
                int remedied = 0, scored = 0;
                if (!pid)
                    continue;
                ermes__csaf_foreach(csaf_arr(v, "remediations"), k, x)
                {
                    size_t g;
                    const ermes__csaf_node_t *gid;
                    remedied |= list_has(csaf_arr(x, "product_ids"), pid);
                    ermes__csaf_foreach(csaf_arr(x, "group_ids"), g, gid) remedied |=
                        ermes__csaf_is_string(gid) &&
                        group_has(c->doc, ermes__csaf_string(gid), pid);
                }
                ermes__csaf_foreach(csaf_arr(v, "scores"), k, x) scored |=
                    list_has(csaf_arr(x, "products"), pid);
                ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/product_status/%s/%zu", i,
                                  affected[l], j);
                if (!remedied)
                    ermes__csaf_warn(c, "6.2.2", p, "product %s has no remediation", pid);
                if (!scored && strcmp(affected[l], "under_investigation") != 0)
                    ermes__csaf_warn(c, "6.2.3", p, "product %s has no score", pid);
            }
        ermes__csaf_foreach(csaf_arr(v, "involvements"), j, x) if (!csaf_get(x, "date"))
        {
            ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/involvements/%zu", i, j);
            ermes__csaf_warn(c, "6.2.7", p, "the involvement has no date");
        }
        ermes__csaf_foreach(csaf_arr(v, "ids"), j, x)
        {
            const char *text = csaf_str(x, "text");
            size_t n = text ? strlen(text) : 0, d = 9;
            int cve = n >= 13 && strncmp(text, "CVE-", 4) == 0 && isdigit((unsigned char)text[4]) &&
                      isdigit((unsigned char)text[5]) && isdigit((unsigned char)text[6]) &&
                      isdigit((unsigned char)text[7]) && text[8] == '-';
            while (cve && d < n)
                cve = isdigit((unsigned char)text[d++]);
            if (cve) {
                ermes__csaf_pathf(p, sizeof(p), "/vulnerabilities/%zu/ids/%zu", i, j);
                ermes__csaf_warn(c, "6.2.17", p, "%s belongs in the cve field", text);
            }
        }
    }
}

/* An RFC 3339 instant in milliseconds (core/time.c); ok 0 when it does not parse. */
typedef struct instant {
    int64_t ms;
    int ok;
} instant_t;

static instant_t instant(const char *s)
{
    instant_t t = {0, 0};
    t.ok = s && ermes__time_parse(s, strlen(s), &t.ms, NULL) == 0;
    return t;
}

static int before(instant_t a, instant_t b)
{
    return a.ms < b.ms;
}

/* 6.2.4 Build Metadata in Revision History, 6.2.5 Older Initial Release Date than Revision
 * History, 6.2.6 Older Current Release Date than Revision History */
static void test_tracking(ermes__csaf_ctx_t *c)
{
    const ermes__csaf_node_t *t = csaf_get(csaf_get(c->doc, "document"), "tracking"), *r;
    instant_t oldest = {0, 0}, newest = {0, 0};
    size_t i;
    char p[128];

    ermes__csaf_foreach(csaf_arr(t, "revision_history"), i, r)
    {
        const char *num = csaf_str(r, "number");
        instant_t d = instant(csaf_str(r, "date"));
        if (num && strchr(num, '+')) {
            ermes__csaf_pathf(p, sizeof(p), "/document/tracking/revision_history/%zu/number", i);
            ermes__csaf_warn(c, "6.2.4", p, "revision %s has build metadata", num);
        }
        if (!d.ok)
            continue;
        if (!oldest.ok || before(d, oldest))
            oldest = d;
        if (!newest.ok || before(newest, d))
            newest = d;
    }
    instant_t initial = instant(csaf_str(t, "initial_release_date")),
              current = instant(csaf_str(t, "current_release_date"));
    if (oldest.ok && initial.ok && before(initial, oldest))
        ermes__csaf_warn(c, "6.2.5", "/document/tracking/initial_release_date",
                         "the initial release is older than the revision history");
    if (newest.ok && current.ok && before(current, newest))
        ermes__csaf_warn(c, "6.2.6", "/document/tracking/current_release_date",
                         "the current release is older than the latest revision");
}

/* 6.2.8 Use of MD5 as the only Hash Algorithm, 6.2.9 Use of SHA-1 as the only Hash Algorithm */
static void hashes_of(ermes__csaf_ctx_t *c, const ermes__csaf_node_t *product,
                      const ermes__csaf_at_t *at)
{
    const ermes__csaf_node_t *h, *fh;
    size_t i, j;
    char p[1200], base[1024];

    ermes__csaf_foreach(csaf_arr(csaf_get(product, "product_identification_helper"), "hashes"), i,
                        h)
    {
        const char *only = NULL;
        int same = 1, any = 0;
        ermes__csaf_foreach(csaf_arr(h, "file_hashes"), j, fh)
        {
            const char *alg = csaf_str(fh, "algorithm");
            if (!alg)
                continue;
            if (any && !eq(alg, only))
                same = 0;
            only = alg;
            any = 1;
        }
        if (!any || !same)
            continue;
        ermes__csaf_pathf(p, sizeof(p), "%s/product_identification_helper/hashes/%zu",
                          ermes__csaf_at_write(base, sizeof(base), at), i);
        if (eq(only, "md5"))
            ermes__csaf_warn(c, "6.2.8", p, "md5 is the only hash algorithm");
        else if (eq(only, "sha1"))
            ermes__csaf_warn(c, "6.2.9", p, "sha1 is the only hash algorithm");
    }
}

static void hash_branches(ermes__csaf_ctx_t *c, const ermes__csaf_node_t *branches,
                          const ermes__csaf_at_t *at, int depth)
{
    size_t i;
    const ermes__csaf_node_t *b;

    if (depth > 64)
        return;
    ermes__csaf_foreach(branches, i, b)
    {
        ermes__csaf_at_t product = {at, "/product", NULL, i, 1};
        hashes_of(c, csaf_get(b, "product"), &product);
        ermes__csaf_at_t sub = {at, "/branches", NULL, i, 1};
        hash_branches(c, csaf_arr(b, "branches"), &sub, depth + 1);
    }
}

static void test_hashes(ermes__csaf_ctx_t *c)
{
    const ermes__csaf_node_t *tree = csaf_get(c->doc, "product_tree"), *v;
    size_t i;
    const ermes__csaf_at_t branches = {NULL, "/product_tree/branches", NULL, 0, 0};
    const ermes__csaf_at_t names = {NULL, "/product_tree/full_product_names", NULL, 0, 0};
    const ermes__csaf_at_t rels = {NULL, "/product_tree/relationships", NULL, 0, 0};

    hash_branches(c, csaf_arr(tree, "branches"), &branches, 0);
    ermes__csaf_foreach(csaf_arr(tree, "full_product_names"), i, v)
    {
        ermes__csaf_at_t here = {&names, NULL, NULL, i, 1};
        hashes_of(c, v, &here);
    }
    ermes__csaf_foreach(csaf_arr(tree, "relationships"), i, v)
    {
        ermes__csaf_at_t here = {&rels, "/full_product_name", NULL, i, 1};
        hashes_of(c, csaf_get(v, "full_product_name"), &here);
    }
}

/* 6.2.10 Missing TLP label, 6.2.11 Missing Canonical URL, 6.2.12 Missing Document Language */
static void test_document(ermes__csaf_ctx_t *c)
{
    const ermes__csaf_node_t *doc = csaf_get(c->doc, "document"), *r;
    const char *id = csaf_str(csaf_get(doc, "tracking"), "id");
    char want[512];
    size_t i, n = 0;
    int found = 0;

    if (!csaf_str(csaf_get(csaf_get(doc, "distribution"), "tlp"), "label"))
        ermes__csaf_warn(c, "6.2.10", "/document", "the document has no TLP label");
    if (!csaf_str(doc, "lang"))
        ermes__csaf_warn(c, "6.2.12", "/document", "the document has no language");
    /* The canonical URL: a self reference over https ending in the tracking id, lower case,
     * every run of other characters than a-z, 0-9, + and - made one "_", then ".json". */
    for (const char *q = id; q && *q && n + 8 < sizeof(want);) {
        char ch = (char)tolower((unsigned char)*q);
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '-') {
            want[n++] = ch;
            q++;
        } else {
            want[n++] = '_';
            while (*q) {
                ch = (char)tolower((unsigned char)*q);
                if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '-')
                    break;
                q++;
            }
        }
    }
    memcpy(want + n, ".json", 6);
    n += 5;
    ermes__csaf_foreach(csaf_arr(doc, "references"), i, r)
    {
        const char *url = csaf_str(r, "url");
        size_t len = url ? strlen(url) : 0;
        if (id && eq(csaf_str(r, "category"), "self") && url && strncmp(url, "https://", 8) == 0 &&
            len >= n && strcmp(url + len - n, want) == 0)
            found = 1;
    }
    if (!found)
        ermes__csaf_warn(c, "6.2.11", "/document/references", "no canonical URL");
}

/* 6.2.14 Use of Private Language, 6.2.15 Use of Default Language */
static void test_languages(ermes__csaf_ctx_t *c)
{
    static const char *const fields[2] = {"lang", "source_lang"};
    const ermes__csaf_node_t *doc = csaf_get(c->doc, "document");
    char p[64];

    for (int i = 0; i < 2; i++) {
        const char *tag = csaf_str(doc, fields[i]);
        if (!tag)
            continue;
        ermes__csaf_pathf(p, sizeof(p), "/document/%s", fields[i]);
        if (ermes__lang_tag_private(tag))
            ermes__csaf_warn(c, "6.2.14", p, "%s is a private-use language", tag);
        if (strcmp(tag, "i-default") == 0)
            ermes__csaf_warn(c, "6.2.15", p, "i-default is the default language");
    }
}

/* 6.2.16 Missing Product Identification Helper, 6.2.18 Product Version Range without vers */
static void helper_branches(ermes__csaf_ctx_t *c, const ermes__csaf_node_t *branches,
                            const ermes__csaf_at_t *at, int depth)
{
    size_t i;
    const ermes__csaf_node_t *b;
    char p[1024];

    if (depth > 64)
        return;
    ermes__csaf_foreach(branches, i, b)
    {
        const char *name = csaf_str(b, "name");
        if (ermes__csaf_is_object(csaf_get(b, "product")) &&
            !csaf_get(csaf_get(b, "product"), "product_identification_helper")) {
            ermes__csaf_at_t here = {at, "/product", NULL, i, 1};
            ermes__csaf_warn(c, "6.2.16", ermes__csaf_at_write(p, sizeof(p), &here),
                             "the product has no identification helper");
        }
        if (eq(csaf_str(b, "category"), "product_version_range") && name) {
            /* vers:<scheme>/<constraints>, the scheme [a-z.+-][a-z0-9.+-]* */
            const char *q = name + 5;
            int ok = strncmp(name, "vers:", 5) == 0 &&
                     ((*q >= 'a' && *q <= 'z') || *q == '.' || *q == '-' || *q == '+');
            while (ok && *q && *q != '/')
                ok = (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '.' ||
                     *q == '-' || *q == '+',
                q++;
            if (!ok || *q != '/' || q[1] == '\0') {
                ermes__csaf_at_t here = {at, NULL, NULL, i, 1};
                ermes__csaf_at_write(p, sizeof(p), &here);
                ermes__csaf_warn(c, "6.2.18", p, "the version range \"%.200s\" is not a vers",
                                 name);
            }
        }
        ermes__csaf_at_t sub = {at, "/branches", NULL, i, 1};
        helper_branches(c, csaf_arr(b, "branches"), &sub, depth + 1);
    }
}

static void test_products(ermes__csaf_ctx_t *c)
{
    const ermes__csaf_node_t *tree = csaf_get(c->doc, "product_tree"), *v;
    size_t i;
    char p[128];

    ermes__csaf_foreach(csaf_arr(tree, "full_product_names"), i,
                        v) if (!csaf_get(v, "product_identification_helper"))
    {
        ermes__csaf_pathf(p, sizeof(p), "/product_tree/full_product_names/%zu", i);
        ermes__csaf_warn(c, "6.2.16", p, "the product has no identification helper");
    }
    ermes__csaf_foreach(
        csaf_arr(tree, "relationships"), i,
        v) if (ermes__csaf_is_object(csaf_get(v, "full_product_name")) &&
               !csaf_get(csaf_get(v, "full_product_name"), "product_identification_helper"))
    {
        ermes__csaf_pathf(p, sizeof(p), "/product_tree/relationships/%zu/full_product_name", i);
        ermes__csaf_warn(c, "6.2.16", p, "the product has no identification helper");
    }
    const ermes__csaf_at_t branches = {NULL, "/product_tree/branches", NULL, 0, 0};
    helper_branches(c, csaf_arr(tree, "branches"), &branches, 0);
}

void ermes__csaf_optional_tests(ermes__csaf_ctx_t *c)
{
    test_languages(c);
    test_products(c);
    test_6_2_1(c);
    test_vulnerabilities(c);
    test_tracking(c);
    test_hashes(c);
    test_document(c);
}
