/* Vulnerability intelligence at a national CERT's scale (issue 13, items 5 and 6):
 *
 *   kev    import the whole KEV catalogue: 1,200 entries generated in the catalogue's real
 *          format (known_exploited_vulnerabilities_schema.json), into a fresh SQLite store, then
 *          again (nothing changed: every record skipped);
 *   cve5   import a year of CVE records: 30,000 CVE JSON 5 records in the real format (each
 *          with its affected products and versions, a CVSS 3.1 vector scored by cvss.c, a CWE)
 *          as one document, then again;
 *   match  10,000 vulnerabilities (half NVD configurations with version ranges, half CVE 5
 *          affected entries with version ranges) against 100,000 assets (CPE names,
 *          vendor/product/version, purls) of 1,000 organisations, in memory: the index built
 *          once, then every vulnerability matched. Goal: under 1 s;
 *   csaf   10,000 CSAF advisories (each a product tree of a vendor, a product name with two
 *          product_version branches and a vers product_version_range, a CPE and a purl
 *          full_product_name; one vulnerability with known_affected, fixed, first_affected
 *          and known_not_affected and a vendor_fix) matched by product_status
 *          (src/advisories/csaf_match.c) against the same 100,000 assets and index. Goal:
 *          under 1 s. The time to parse the documents' JSON text is printed apart.
 *
 * Usage: bench_vulns [--assets N] [--vulns N] [--cves N] [--kev N] [--advisories N]. Prints the
 * figures; a missed goal says GOAL MISSED. Exit status non-zero only when something failed. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, mkdtemp */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access/access.h"
#include "advisories/csaf_match.h"
#include "advisories/vuln_import.h"
#include "advisories/vulns.h"
#include "core/strbuf.h"
#include "store/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process: on a machine shared with other work, wall time measures the
 * others too. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A small deterministic generator (xorshift), so every run measures the same data. */
static uint64_t seed = 88172645463325252ULL;
static unsigned next(unsigned n)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (unsigned)(seed % n);
}

#define VENDORS 2000
#define PRODUCTS 5 /* per vendor */

static int make_kev(ermes__strbuf_t *b, int n)
{
    int rc = ermes__strbuf_addf(b,
                                "{\"title\":\"CISA Catalog of Known Exploited Vulnerabilities\","
                                "\"catalogVersion\":\"2026.12.01\",\"dateReleased\":"
                                "\"2026-12-01T15:00:00.000Z\",\"count\":%d,"
                                "\"vulnerabilities\":[",
                                n);
    for (int k = 0; !rc && k < n; k++)
        rc = ermes__strbuf_addf(
            b,
            "%s{\"cveID\":\"CVE-%d-%05d\",\"vendorProject\":\"Vendor%u\",\"product\":"
            "\"Product%u\",\"vulnerabilityName\":\"Vendor%u Product%u Remote Code Execution "
            "Vulnerability\",\"dateAdded\":\"2%03d-%02d-%02d\",\"shortDescription\":\"Vendor%u "
            "Product%u contains a deserialization vulnerability that allows a remote, "
            "unauthenticated attacker to execute code.\",\"requiredAction\":\"Apply mitigations "
            "per vendor instructions or discontinue use of the product if mitigations are "
            "unavailable.\",\"dueDate\":\"2%03d-%02d-%02d\",\"knownRansomwareCampaignUse\":"
            "\"%s\",\"notes\":\"https://nvd.nist.gov/vuln/detail/CVE-%d-%05d\",\"cwes\":"
            "[\"CWE-502\"]}",
            k ? "," : "", 2014 + k % 12, k, k % VENDORS, k % PRODUCTS, k % VENDORS, k % PRODUCTS,
            14 + k % 12, 1 + k % 12, 1 + k % 28, k % VENDORS, k % PRODUCTS, 14 + k % 12,
            1 + (k + 1) % 12, 1 + k % 28, k % 3 ? "Unknown" : "Known", 2014 + k % 12, k);
    return rc ? rc : ermes__strbuf_addf(b, "]}");
}

static int make_cve5(ermes__strbuf_t *b, int n)
{
    int rc = ermes__strbuf_addf(b, "[");
    for (int k = 0; !rc && k < n; k++) {
        unsigned v = next(VENDORS), p = next(PRODUCTS), major = next(5), fix = 1 + next(9);
        rc = ermes__strbuf_addf(
            b,
            "%s{\"dataType\":\"CVE_RECORD\",\"dataVersion\":\"5.1\",\"cveMetadata\":{\"cveId\":"
            "\"CVE-2025-%05d\",\"assignerOrgId\":\"b3476cb9-2e3d-41a6-98d0-0f47421a65b6\","
            "\"assignerShortName\":\"example\",\"state\":\"PUBLISHED\",\"dateReserved\":"
            "\"2025-01-01T00:00:00.000Z\",\"datePublished\":\"2025-%02d-%02dT10:00:00.000Z\","
            "\"dateUpdated\":\"2025-%02d-%02dT12:00:00.000Z\"},\"containers\":{\"cna\":{"
            "\"providerMetadata\":{\"orgId\":\"b3476cb9-2e3d-41a6-98d0-0f47421a65b6\","
            "\"shortName\":\"example\"},\"title\":\"Improper input validation in Product%u\","
            "\"descriptions\":[{\"lang\":\"en\",\"value\":\"Improper input validation in "
            "Vendor%u Product%u %u.x before %u.%u.0 allows a remote attacker to read arbitrary "
            "files.\"}],\"affected\":[{\"vendor\":\"Vendor%u\",\"product\":\"Product%u\","
            "\"defaultStatus\":\"unaffected\",\"versions\":[{\"version\":\"%u.0\",\"lessThan\":"
            "\"%u.*\",\"versionType\":\"semver\",\"status\":\"affected\",\"changes\":[{\"at\":"
            "\"%u.%u.0\",\"status\":\"unaffected\"}]}]}],\"problemTypes\":[{\"descriptions\":"
            "[{\"type\":\"CWE\",\"cweId\":\"CWE-20\",\"lang\":\"en\",\"description\":\"CWE-20 "
            "Improper Input Validation\"}]}],\"metrics\":[{\"format\":\"CVSS\",\"cvssV3_1\":{"
            "\"version\":\"3.1\",\"vectorString\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/"
            "A:N\",\"baseScore\":7.5,\"baseSeverity\":\"HIGH\"}}],\"references\":[{\"url\":"
            "\"https://example.org/advisories/%d\"}]}}}",
            k ? "," : "", k, 1 + k % 12, 1 + k % 28, 1 + k % 12, 1 + k % 28, p, v, p, major, major,
            fix, v, p, major, major, major, fix, k);
    }
    return rc ? rc : ermes__strbuf_addf(b, "]");
}

static int import_time(ermes__store_t *st, const char *what, const ermes__strbuf_t *b,
                       ermes__vuln_kind_t kind)
{
    for (int round = 0; round < 2; round++) {
        ermes__vuln_import_stats_t s;
        ermes_diag_t d;
        double t0 = now_s();
        int rc;
        ermes_diag_clear(&d);
        rc = ermes__vuln_import(st, NULL, b->data, b->len, kind, 0, &s, &d);
        if (rc) {
            fprintf(stderr, "bench_vulns: %s: %s %s\n", what, ermes_strerror(rc), d.reason);
            return 1;
        }
        printf("%-5s %s: %ld records (%.1f MB), %ld changed, %.3f s\n", what,
               round ? "again" : "first", s.records, (double)b->len / 1e6, s.changed, now_s() - t0);
    }
    return 0;
}

static int hits;
static int hit_cb(void *ctx, size_t asset)
{
    (void)ctx;
    (void)asset;
    hits++;
    return 0;
}

static long csaf_hits[ERMES__CSAF_AFFECTED + 1];
static long m_assets;
static int csaf_cb(void *ctx, const ermes__csaf_hit_t *h)
{
    (void)ctx;
    csaf_hits[h->state]++;
    return 0;
}

/* One generated advisory, as JSON text (see the top of the file). */
static char *make_advisory(int n)
{
    unsigned v = next(VENDORS), p = next(PRODUCTS), ma = next(5), fix = 1 + next(9);
    char vend[24], prod[32], va[16], vf[16], range[48], cpe[128], purl[128], title[64];
    json_t *d;
    char *text;

    snprintf(vend, sizeof(vend), "Vendor%u", v);
    snprintf(prod, sizeof(prod), "V%u Product%u", v, p);
    snprintf(va, sizeof(va), "%u.%u.2", ma, fix - 1);
    snprintf(vf, sizeof(vf), "%u.%u.2", ma, fix);
    snprintf(range, sizeof(range), "vers:generic/>=%u.0|<%u.%u", ma, ma, fix);
    snprintf(cpe, sizeof(cpe), "cpe:2.3:a:vendor%u:v%u_product%u:%u.%u.1:*:*:*:*:*:*:*", v, v, p,
             ma, fix + 1);
    snprintf(purl, sizeof(purl), "pkg:maven/org.vendor%u/v%u_product%u@%u.%u.3", v, v, p, ma, fix);
    snprintf(title, sizeof(title), "Advisory %d", n);
    d = json_pack("{s:{s:s,s:s},s:{s:[{s:s,s:s,s:[{s:s,s:s,s:["
                  "{s:s,s:s,s:{s:s,s:s}},{s:s,s:s,s:{s:s,s:s}},{s:s,s:s,s:{s:s,s:s}}]}]}],"
                  "s:[{s:s,s:s,s:{s:s}},{s:s,s:s,s:{s:s}}]},"
                  "s:[{s:s,s:{s:[s,s],s:[s],s:[s],s:[s]},s:[{s:s,s:s,s:[s,s,s]}]}]}",
                  "document", "category", "csaf_security_advisory", "title", title, "product_tree",
                  "branches", "category", "vendor", "name", vend, "branches", "category",
                  "product_name", "name", prod, "branches", "category", "product_version", "name",
                  va, "product", "name", va, "product_id", "A", "category", "product_version",
                  "name", vf, "product", "name", vf, "product_id", "F", "category",
                  "product_version_range", "name", range, "product", "name", range, "product_id",
                  "R", "full_product_names", "name", cpe, "product_id", "C",
                  "product_identification_helper", "cpe", cpe, "name", purl, "product_id", "P",
                  "product_identification_helper", "purl", purl, "vulnerabilities", "cve",
                  "CVE-2026-0001", "product_status", "known_affected", "A", "R", "fixed", "F",
                  "first_affected", "C", "known_not_affected", "P", "remediations", "category",
                  "vendor_fix", "details", "Update.", "product_ids", "A", "R", "C");
    text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    return text;
}

static int bench_csaf(ermes__vmatch_t *m, int nadv, double index_s)
{
    char **texts = calloc((size_t)nadv, sizeof(*texts));
    json_t **docs = calloc((size_t)nadv, sizeof(*docs));
    size_t products = 0, all = 0;
    double t0, t1, t2, c1, c2;
    int rc = 1;

    if (!texts || !docs)
        goto out;
    for (int k = 0; k < nadv; k++)
        if (!(texts[k] = make_advisory(k)))
            goto out;
    t0 = now_s();
    for (int k = 0; k < nadv; k++)
        if (!(docs[k] = json_loads(texts[k], 0, NULL)))
            goto out;
    t1 = now_s();
    c1 = cpu_s();
    for (int k = 0; k < nadv; k++) {
        if (ermes__csaf_match(m, docs[k], csaf_cb, NULL, &products))
            goto out;
        all += products;
    }
    t2 = now_s();
    c2 = cpu_s();
    printf("csaf  %d advisories (%zu products) x %d assets by product_status: JSON parsed in "
           "%.3f s, matching %.3f s (CPU %.3f s; with the index: %.3f s); %ld affected, %ld "
           "fixed, %ld not affected%s\n",
           nadv, all, (int)m_assets, t1 - t0, t2 - t1, c2 - c1, t2 - t1 + index_s,
           csaf_hits[ERMES__CSAF_AFFECTED], csaf_hits[ERMES__CSAF_FIXED],
           csaf_hits[ERMES__CSAF_NOT_AFFECTED],
           t2 - t1 + index_s < 1.0 ? " (goal < 1 s: met)" : " GOAL MISSED (goal < 1 s)");
    rc = csaf_hits[ERMES__CSAF_AFFECTED] > 0 && csaf_hits[ERMES__CSAF_FIXED] > 0 &&
                 csaf_hits[ERMES__CSAF_NOT_AFFECTED] > 0
             ? 0
             : 1;
out:
    for (int k = 0; k < nadv; k++) {
        free(texts ? texts[k] : NULL);
        json_decref(docs ? docs[k] : NULL);
    }
    free(texts);
    free(docs);
    return rc;
}

static int bench_match(int nassets, int nvulns, int nadv)
{
    ermes__asset_ref_t *assets = calloc((size_t)nassets, sizeof(*assets));
    char(*text)[160] = calloc((size_t)nassets, sizeof(*text));
    json_t **docs = calloc((size_t)nvulns, sizeof(*docs));
    ermes__vmatch_t *m = NULL;
    double t0, t1, t2;
    int rc = 1;

    if (!assets || !text || !docs)
        goto out;
    for (int k = 0; k < nassets; k++) {
        unsigned v = next(VENDORS), p = next(PRODUCTS), ma = next(5), mi = next(10);
        assets[k].id = k + 1;
        assets[k].org_id = 1 + k % 1000;
        switch (k % 3) {
        case 0:
            snprintf(text[k], sizeof(text[k]),
                     "cpe:2.3:a:vendor%u:v%u_product%u:%u.%u.1:*:*:*:*:*:*:*", v, v, p, ma, mi);
            assets[k].cpe = text[k];
            break;
        case 1:
            snprintf(text[k], sizeof(text[k]), "%u.%u.2", ma, mi);
            assets[k].vendor = "Vendor";
            assets[k].product = NULL;
            assets[k].version = text[k];
            /* vendor and product names of the generated family */
            {
                static char names[VENDORS][2][32];
                static int ready;
                if (!ready) {
                    for (int i = 0; i < VENDORS; i++)
                        snprintf(names[i][0], 32, "Vendor%d", i);
                    ready = 1;
                }
                assets[k].vendor = names[v][0];
                snprintf(names[v][1], 32, "V%u Product%u", v, p);
                assets[k].product = strdup(names[v][1]);
            }
            break;
        default:
            snprintf(text[k], sizeof(text[k]), "pkg:maven/org.vendor%u/v%u_product%u@%u.%u.3", v, v,
                     p, ma, mi);
            assets[k].purl = text[k];
        }
    }
    for (int k = 0; k < nvulns; k++) {
        unsigned v = next(VENDORS), p = next(PRODUCTS), ma = next(5), fix = next(10);
        char crit[128], start[16], end[16], pkg[64], vend[24], prod[32];
        snprintf(start, sizeof(start), "%u.0", ma);
        snprintf(end, sizeof(end), "%u.%u", ma, fix);
        if (k % 2 == 0) {
            snprintf(crit, sizeof(crit), "cpe:2.3:a:vendor%u:v%u_product%u:*:*:*:*:*:*:*:*", v, v,
                     p);
            docs[k] = json_pack("[{s:[{s:s,s:b,s:[{s:b,s:s,s:s,s:s}]}]}]", "nodes", "operator",
                                "OR", "negate", 0, "cpeMatch", "vulnerable", 1, "criteria", crit,
                                "versionStartIncluding", start, "versionEndExcluding", end);
        } else {
            snprintf(pkg, sizeof(pkg), "org.vendor%u:v%u_product%u", v, v, p);
            snprintf(vend, sizeof(vend), "Vendor%u", v);
            snprintf(prod, sizeof(prod), "V%u Product%u", v, p);
            docs[k] = json_pack("[{s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:s}]},"
                                "{s:s,s:s,s:[{s:s,s:s,s:s,s:s}]}]",
                                "vendor", vend, "product", prod, "defaultStatus", "unaffected",
                                "versions", "version", start, "lessThan", end, "versionType",
                                "semver", "status", "affected", "packageName", pkg, "defaultStatus",
                                "unaffected", "versions", "version", start, "lessThan", end,
                                "versionType", "maven", "status", "affected");
        }
        if (!docs[k])
            goto out;
    }
    t0 = now_s();
    if (ermes__vmatch_new(assets, (size_t)nassets, &m))
        goto out;
    t1 = now_s();
    for (int k = 0; k < nvulns; k++) {
        ermes__vuln_affects_t a = {NULL, NULL, NULL, NULL};
        if (k % 2 == 0)
            a.nvd = docs[k];
        else
            a.cve5 = docs[k];
        if (ermes__vmatch_run(m, &a, hit_cb, NULL))
            goto out;
    }
    t2 = now_s();
    printf("match %d vulnerabilities x %d assets: index %.3f s, matching %.3f s, total %.3f s, "
           "%d affected assets found%s\n",
           nvulns, nassets, t1 - t0, t2 - t1, t2 - t0, hits,
           t2 - t0 < 1.0 ? " (goal < 1 s: met)" : " GOAL MISSED (goal < 1 s)");
    rc = hits > 0 ? 0 : 1;
    m_assets = nassets;
    if (!rc)
        rc = bench_csaf(m, nadv, t1 - t0);
out:
    ermes__vmatch_free(m);
    for (int k = 0; docs && k < nvulns; k++)
        json_decref(docs[k]);
    for (int k = 0; assets && k < nassets; k++)
        if (k % 3 == 1)
            free((void *)assets[k].product);
    free(docs);
    free(text);
    free(assets);
    return rc;
}

int main(int argc, char **argv)
{
    long nassets = 100000, nvulns = 10000, ncves = 30000, nkev = 1200, nadv = 10000;
    char dir[] = "/tmp/ermes-bench-vulns-XXXXXX";
    ermes__store_options_t so = {0, 1, 0, NULL};
    ermes__store_t *st = NULL;
    ermes__strbuf_t b;
    int rc = 1;

    for (int i = 1; i + 1 < argc; i += 2) {
        long *dst = !strcmp(argv[i], "--assets")       ? &nassets
                    : !strcmp(argv[i], "--vulns")      ? &nvulns
                    : !strcmp(argv[i], "--cves")       ? &ncves
                    : !strcmp(argv[i], "--kev")        ? &nkev
                    : !strcmp(argv[i], "--advisories") ? &nadv
                                                       : NULL;
        char *end;
        if (!dst)
            return 2;
        *dst = strtol(argv[i + 1], &end, 10);
        if (*end || *dst < 1 || *dst > 10000000)
            return 2;
    }
    if (!mkdtemp(dir) || ermes__access_init() || ermes__store_open(dir, &so, &st))
        return 1;
    ermes__strbuf_init(&b, (size_t)1 << 31);
    if (make_kev(&b, (int)nkev) || import_time(st, "kev", &b, ERMES_VULN_KEV))
        goto out;
    ermes__strbuf_reset(&b);
    if (make_cve5(&b, (int)ncves) || import_time(st, "cve5", &b, ERMES_VULN_CVE5))
        goto out;
    rc = bench_match((int)nassets, (int)nvulns, (int)nadv);
out:
    ermes__strbuf_cleanup(&b);
    ermes__store_close(st);
    {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd))
            rc = 1;
    }
    return rc;
}
