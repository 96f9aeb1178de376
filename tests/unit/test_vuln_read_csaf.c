/* Tests of the CSAF reader of vulnerability intelligence (src/advisories/vuln_read.c, kind
 * csaf: other providers' documents, `ermes csaf import`) on the OASIS CSAF 2.0 examples
 * (../shared/conformance/csaf/csaf_2.0/examples/csaf): one record per vulnerability naming a
 * CVE, with its summary or description, CVSS, CWE, source and TLP, and the document cut to that
 * vulnerability, which matches assets as the whole document does (csaf_match.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/csaf_match.h"
#include "advisories/vulns.h"

typedef struct rec {
    char cve[32], cvss[8], vector[ERMES_CVSS_MAX_VECTOR], cwe[64], source[512], tlp[8], sum[65];
    int score;
    char *description;
    json_t *affected;
} rec_t;

typedef struct recs {
    rec_t r[64];
    size_t n;
} recs_t;

static int rec_cb(void *ctx, const ermes__vuln_record_t *r)
{
    recs_t *g = ctx;
    rec_t *o;

    assert_int_equal(r->kind, ERMES_VULN_CSAF);
    if (g->n == 64)
        return 0;
    o = &g->r[g->n++];
    snprintf(o->cve, sizeof(o->cve), "%s", r->cve_id);
    snprintf(o->cvss, sizeof(o->cvss), "%s", r->cvss_version);
    snprintf(o->vector, sizeof(o->vector), "%s", r->cvss_vector);
    snprintf(o->cwe, sizeof(o->cwe), "%s", r->cwe);
    snprintf(o->source, sizeof(o->source), "%s", r->source);
    snprintf(o->tlp, sizeof(o->tlp), "%s", r->tlp);
    snprintf(o->sum, sizeof(o->sum), "%s", r->sum);
    o->score = r->cvss_score;
    o->description = r->description ? strdup(r->description) : NULL;
    o->affected = json_deep_copy(r->affected);
    return 0;
}

static void recs_free(recs_t *g)
{
    for (size_t k = 0; k < g->n; k++) {
        free(g->r[k].description);
        json_decref(g->r[k].affected);
    }
    free(g);
}

static char *load(const char *name, size_t *len)
{
    const char *src = getenv("ERMES_SOURCE_DIR");
    char path[1024];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/../shared/conformance/csaf/csaf_2.0/examples/csaf/%s",
             src ? src : ".", name);
    if (!(f = fopen(path, "rb")))
        fail_msg("%s cannot be read", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static recs_t *read_doc(const char *data, size_t len, int want_rc)
{
    recs_t *g = calloc(1, sizeof(*g));
    ermes_diag_t d;
    ermes__vuln_kind_t kind = ERMES_VULN_AUTO;

    assert_non_null(g);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__vuln_read(data, len, ERMES_VULN_CSAF, rec_cb, g, &kind, &d), want_rc);
    if (!want_rc)
        assert_int_equal(kind, ERMES_VULN_CSAF);
    return g;
}

/* Every example: a record per vulnerability with a CVE, in order, each with the document cut
 * to it (the product tree and that one vulnerability), a digest, its TLP (WHITE read as CLEAR,
 * none as AMBER). */
static void test_every_example(void **state)
{
    static const char *const names[] = {
        "bsi-2022-0001.json",
        "cisco-sa-20180328-smi2.json",
        "rhsa-2019_1862.json",
        "rhsa-2021_5186.json",
        "rhsa-2021_5217.json",
        "rhsa-2022_0011.json",
        "csaf_vex/2022-evd-uc-01-a-001.json",
        "csaf_vex/2022-evd-uc-01-f-001.json",
        "csaf_vex/2022-evd-uc-01-na-001.json",
        "csaf_vex/2022-evd-uc-01-ui-001.json",
        "csaf_vex/2022-evd-uc-02-na-001.json",
        "csaf_vex/2022-evd-uc-03-ms-001.json",
        "csaf_vex/2022-evd-uc-04-001.json",
        "csaf_vex/2022-evd-uc-05-001.json",
        "csaf_vex/2022-evd-uc-06-001.json",
        "csaf_vex/2022-evd-uc-07-001.json",
        "csaf_vex/2022-evd-uc-08-001.json",
        "csaf_vex/2022-evd-uc-09-001.json",
        "csaf_vex/sec-vex-2022-0001.json",
    };
    size_t total = 0;
    (void)state;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        size_t len, i, want = 0, j = 0;
        char *data = load(names[k], &len);
        json_t *doc = json_loadb(data, len, 0, NULL), *v;
        const char *id = json_string_value(
            json_object_get(json_object_get(json_object_get(doc, "document"), "tracking"), "id"));
        recs_t *g = read_doc(data, len, 0);
        const char *label = json_string_value(json_object_get(
            json_object_get(json_object_get(json_object_get(doc, "document"), "distribution"),
                            "tlp"),
            "label"));

        assert_non_null(doc);
        json_array_foreach(json_object_get(doc, "vulnerabilities"), i, v)
        {
            const char *cve = json_string_value(json_object_get(v, "cve"));
            if (!cve)
                continue;
            want++;
            if (j >= g->n)
                fail_msg("%s: no record for %s", names[k], cve);
            assert_string_equal(g->r[j].cve, cve);
            assert_string_equal(g->r[j].tlp, !label                    ? "AMBER"
                                             : !strcmp(label, "WHITE") ? "CLEAR"
                                                                       : label);
            assert_int_equal(strlen(g->r[j].sum), 64);
            assert_non_null(strstr(g->r[j].source, id));
            assert_int_equal(json_array_size(json_object_get(g->r[j].affected, "vulnerabilities")),
                             1);
            assert_true(json_equal(
                json_array_get(json_object_get(g->r[j].affected, "vulnerabilities"), 0), v));
            assert_true(json_equal(json_object_get(g->r[j].affected, "product_tree"),
                                   json_object_get(doc, "product_tree")));
            j++;
        }
        assert_int_equal(g->n, want);
        total += want;
        recs_free(g);
        json_decref(doc);
        free(data);
    }
    assert_true(total >= 15);
}

/* BSI's advisory: CVSS 3.1 scored by ermes, the CWE, the description note, the source. */
static void test_bsi_fields(void **state)
{
    size_t len;
    char *data = load("bsi-2022-0001.json", &len);
    recs_t *g = read_doc(data, len, 0);
    (void)state;
    assert_int_equal(g->n, 1);
    assert_string_equal(g->r[0].cve, "CVE-2022-27193");
    assert_string_equal(g->r[0].cvss, "3.1");
    assert_string_equal(g->r[0].vector,
                        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:L/E:F/RL:O/RC:C");
    assert_int_equal(g->r[0].score, 61);
    assert_string_equal(g->r[0].cwe, "CWE-611");
    assert_non_null(g->r[0].description);
    assert_non_null(strstr(g->r[0].description, "resolves XML External Entities"));
    assert_string_equal(g->r[0].source,
                        "Bundesamt f\xc3\xbcr Sicherheit in der Informationstechnik "
                        "https://www.bsi.bund.de BSI-2022-0001 1");
    recs_free(g);
    free(data);
}

typedef struct hits {
    char line[16][128];
    size_t n;
} hits_t;

static int hit_cb(void *ctx, const ermes__csaf_hit_t *h)
{
    hits_t *g = ctx;
    if (g->n < 16)
        snprintf(g->line[g->n++], sizeof(g->line[0]), "%zu %s", h->asset,
                 ermes__csaf_state_name(h->state));
    return 0;
}

/* The cut document matches assets as csaf_match.c matches the whole one. */
static void test_cut_matches(void **state)
{
    static const ermes__asset_ref_t assets[] = {
        {1, 1, "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-dev2:*:*:*:*:*:*:*", NULL, NULL,
         NULL, NULL},
        {2, 1, "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-rc2:*:*:*:*:*:*:*", NULL, NULL, NULL,
         NULL},
        {3, 1, "cpe:2.3:a:other:cvrf-csaf-converter:1.0.0-dev2:*:*:*:*:*:*:*", NULL, NULL, NULL,
         NULL},
    };
    size_t len;
    char *data = load("bsi-2022-0001.json", &len);
    recs_t *g = read_doc(data, len, 0);
    ermes__vmatch_t *m = NULL;
    hits_t h;
    (void)state;
    memset(&h, 0, sizeof(h));
    assert_int_equal(ermes__vmatch_new(assets, 3, &m), 0);
    assert_int_equal(ermes__csaf_match(m, g->r[0].affected, hit_cb, &h, NULL), 0);
    assert_int_equal(h.n, 2);
    assert_string_equal(h.line[0], "0 affected");
    assert_string_equal(h.line[1], "1 fixed");
    ermes__vmatch_free(m);
    recs_free(g);
    free(data);
}

/* A change in one vulnerability leaves the other's digest alone; the same document read twice
 * has the same digests; TLP:AMBER is kept, no label is AMBER, WHITE is CLEAR. */
static void test_digests_and_tlp(void **state)
{
    size_t len;
    char *data = load("rhsa-2021_5186.json", &len), *text;
    json_t *doc = json_loadb(data, len, 0, NULL);
    recs_t *a = read_doc(data, len, 0), *b, *c;
    (void)state;
    assert_int_equal(a->n, 2);
    b = read_doc(data, len, 0);
    assert_string_equal(a->r[0].sum, b->r[0].sum);
    assert_string_equal(a->r[1].sum, b->r[1].sum);
    json_object_set_new(json_array_get(json_object_get(doc, "vulnerabilities"), 1), "title",
                        json_string("changed"));
    json_object_set_new(json_object_get(json_object_get(doc, "document"), "distribution"), "tlp",
                        json_pack("{s:s}", "label", "AMBER"));
    text = json_dumps(doc, 0);
    c = read_doc(text, strlen(text), 0);
    assert_string_equal(c->r[1].tlp, "AMBER");
    assert_string_not_equal(a->r[1].sum, c->r[1].sum);
    free(text);
    json_object_del(json_object_get(doc, "document"), "distribution");
    text = json_dumps(doc, 0);
    recs_free(c);
    c = read_doc(text, strlen(text), 0);
    assert_string_equal(c->r[0].tlp, "AMBER");
    free(text);
    recs_free(a);
    recs_free(b);
    recs_free(c);
    json_decref(doc);
    free(data);
}

/* Broken documents are errors of the whole document; a CSAF document is never read by guess. */
static void test_broken(void **state)
{
    static const char *const bad[] = {
        "{\"document\":{}}",
        "{\"document\":{\"csaf_version\":\"2.0\"}}",
        "{\"document\":{\"csaf_version\":\"2.0\",\"tracking\":{\"id\":\"X\"}},"
        "\"vulnerabilities\":{}}",
        "{\"document\":{\"csaf_version\":\"2.0\",\"tracking\":{\"id\":\"X\"}},"
        "\"vulnerabilities\":[{\"cve\":\"CVE-1\"}]}",
        "{\"document\":{\"csaf_version\":\"2.0\",\"tracking\":{\"id\":\"X\"}},"
        "\"vulnerabilities\":[7]}",
        "{\"document\":{\"csaf_version\":\"2.0\",\"tracking\":{\"id\":\"X\"},"
        "\"distribution\":{\"tlp\":{\"label\":\"PINK\"}}},"
        "\"vulnerabilities\":[{\"cve\":\"CVE-2024-1234\"}]}",
        "{\"document\":{\"csaf_version\":\"2.0\",\"tracking\":{\"id\":\"X\"}},"
        "\"product_tree\":[],\"vulnerabilities\":[{\"cve\":\"CVE-2024-1234\"}]}",
    };
    const char *ok = "{\"document\":{\"csaf_version\":\"2.0\",\"tracking\":{\"id\":\"X\"}},"
                     "\"vulnerabilities\":[{\"title\":\"no CVE\"},{\"cve\":\"CVE-2024-1234\"}]}";
    ermes_diag_t d;
    recs_t *g;
    (void)state;
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
        recs_free(read_doc(bad[k], strlen(bad[k]), ERMES_EPARSE));
    g = read_doc(ok, strlen(ok), 0);
    assert_int_equal(g->n, 1);
    assert_string_equal(g->r[0].cve, "CVE-2024-1234");
    recs_free(g);
    g = calloc(1, sizeof(*g));
    ermes_diag_clear(&d);
    assert_int_equal(ermes__vuln_read(ok, strlen(ok), ERMES_VULN_AUTO, rec_cb, g, NULL, &d),
                     ERMES_EPARSE);
    assert_non_null(strstr(d.reason, "ermes csaf import"));
    assert_int_equal(g->n, 0);
    recs_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_example), cmocka_unit_test(test_bsi_fields),
        cmocka_unit_test(test_cut_matches),   cmocka_unit_test(test_digests_and_tlp),
        cmocka_unit_test(test_broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
