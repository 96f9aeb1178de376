/* Tests of the store of vulnerabilities and assets (src/store/vulns.c, assets.c; migration 32),
 * on SQLite and, as unit_pg.test_vuln_store, on PostgreSQL: each source writes its own
 * columns, an unchanged record writes nothing, a new KEV entry is a change for matching, the
 * filters, an asset's remediation status; CSAF documents of other providers (migration 47). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/vulns.h"
#include "test_db.h"

static const char KEV[] =
    "{\"catalogVersion\":\"1\",\"dateReleased\":\"2026-12-01T00:00:00Z\",\"count\":1,"
    "\"vulnerabilities\":[{\"cveID\":\"CVE-2026-0001\",\"vendorProject\":\"Example\","
    "\"product\":\"Widget\",\"vulnerabilityName\":\"Widget RCE\",\"dateAdded\":\"2026-12-01\","
    "\"shortDescription\":\"Remote code execution.\",\"requiredAction\":\"Update.\","
    "\"dueDate\":\"2026-12-22\"}]}";

static const char EPSS[] = "cve,epss,percentile\nCVE-2026-0001,0.5,0.97\n";

typedef struct put_ctx {
    ermes__store_t *st;
    int64_t id;
    int changed, match_changed;
} put_ctx_t;

static int put_cb(void *ctx, const ermes__vuln_record_t *r)
{
    put_ctx_t *p = ctx;
    return ermes__store_vuln_put(p->st, r, 0, 1000, &p->id, &p->changed, &p->match_changed);
}

static void put(ermes__store_t *st, const char *doc, put_ctx_t *p)
{
    ermes_diag_t d;

    memset(p, 0, sizeof(*p));
    p->st = st;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__vuln_read(doc, strlen(doc), ERMES_VULN_AUTO, put_cb, p, NULL, &d), 0);
}

typedef struct seen {
    int n, kev;
    long epss;
    char desc[128];
} seen_t;

static int row_cb(void *ctx, const ermes__vuln_row_t *v)
{
    seen_t *s = ctx;
    s->n++;
    s->kev = v->kev;
    s->epss = v->epss;
    snprintf(s->desc, sizeof(s->desc), "%s", v->description ? v->description : "");
    return 0;
}

static int av_cb(void *ctx, const ermes__asset_vuln_t *av)
{
    char *status = ctx;
    snprintf(status, 16, "%s", av->status);
    return 0;
}

static void test_vulns_and_assets(void **state)
{
    char dir[64], status[16] = "";
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    put_ctx_t p;
    seen_t s;
    ermes__vuln_filter_t f;
    ermes__asset_t a;
    ermes_diag_t d;
    int known = -1, warned_kev = -1;
    int64_t vuln;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-vulns-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);

    /* A new KEV entry is a change for matching; the same again is nothing. */
    put(st, KEV, &p);
    assert_int_equal(p.changed, 1);
    assert_int_equal(p.match_changed, 1);
    vuln = p.id;
    put(st, KEV, &p);
    assert_int_equal(p.changed, 0);
    assert_int_equal(p.match_changed, 0);
    /* EPSS writes its columns only; no matching. */
    put(st, EPSS, &p);
    assert_int_equal(p.changed, 1);
    assert_int_equal(p.match_changed, 0);
    assert_int_equal(p.id, vuln);

    memset(&f, 0, sizeof(f));
    memset(&s, 0, sizeof(s));
    f.kev_only = 1;
    f.min_epss = 50000;
    assert_int_equal(ermes__store_vuln_each(st, &f, row_cb, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.kev, 1);
    assert_int_equal(s.epss, 50000);
    assert_string_equal(s.desc, "Remote code execution.");
    f.min_score = 90; /* no CVSS known: filtered out */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_vuln_each(st, &f, row_cb, &s, NULL), 0);
    assert_int_equal(s.n, 0);

    /* An asset needs an organisation: the first one, made here as init does. */
    assert_int_equal(ermes__db_exec(ermes__db_conn(st),
                                    "INSERT INTO organisations (short_name, name, tlp, created_at,"
                                    " updated_at) VALUES ('ORG', 'An org', 'GREEN', 1, 1)"),
                     0);
    memset(&a, 0, sizeof(a));
    ermes_diag_clear(&d);
    a.cpe = "cpe:/a:example:widget:3.1";
    assert_int_equal(ermes__asset_check(&a, &d), 0);
    a.cpe = "cpe:2.3:a:broken";
    assert_int_equal(ermes__asset_check(&a, &d), ERMES_EINVAL);
    assert_string_equal(d.field, "cpe");
    a.cpe = "cpe:/a:example:widget:3.1";
    a.org_id = 1;
    assert_int_equal(ermes__store_asset_add(st, &a), 0);
    assert_true(a.id > 0);

    assert_int_equal(ermes__store_asset_vuln_state(st, a.id, vuln, &known, &warned_kev), 0);
    assert_int_equal(known, 0);
    assert_int_equal(ermes__store_asset_vuln_warned(st, a.id, vuln, 1, 0, 1, 2000), 0);
    assert_int_equal(ermes__store_asset_vuln_state(st, a.id, vuln, &known, &warned_kev), 0);
    assert_int_equal(known, 1);
    assert_int_equal(warned_kev, 1);
    assert_int_equal(ermes__store_asset_vuln_set(st, a.id, "CVE-2026-0001", "fixed", "done", 1), 0);
    assert_int_equal(ermes__store_asset_vuln_set(st, a.id, "CVE-2026-9999", "fixed", NULL, 1),
                     ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_asset_vuln_each(st, a.id, av_cb, status), 0);
    assert_string_equal(status, "fixed");
    /* Another organisation's asset is not found. */
    assert_int_equal(ermes__store_asset_delete(st, a.id, 99), ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_asset_delete(st, a.id, 1), 0);
    ermes__store_close(st);
}

/* A CSAF document of another provider (migration 47): its cut document, source and TLP per
 * CVE; the same again writes nothing; a later version replaces it; an older one read after
 * does not; a higher TLP raises the row's; the import state's stamps. */
#define CSAF_DOC(VERSION, DATE, TITLE, TLP)                                                        \
    "{\"document\":{\"csaf_version\":\"2.0\",\"publisher\":{\"name\":\"P\",\"namespace\":"         \
    "\"https://p.example\"},\"distribution\":{\"tlp\":{\"label\":\"" TLP "\"}},"                   \
    "\"tracking\":{\"id\":\"P-1\",\"version\":\"" VERSION "\",\"current_release_date\":\"" DATE    \
    "\"}},\"product_tree\":{\"full_product_names\":[{\"name\":\"n\",\"product_id\":\"A\"}]},"      \
    "\"vulnerabilities\":[{\"cve\":\"CVE-2026-0002\",\"title\":\"" TITLE "\",\"product_status\":"  \
    "{\"known_affected\":[\"A\"]}}]}"

/* The same CVE in another provider's document (namespace NS, tracking id ID). */
#define CSAF_DOC_NS(NS, ID, DATE)                                                                  \
    "{\"document\":{\"csaf_version\":\"2.0\",\"publisher\":{\"name\":\"Q\",\"namespace\":"         \
    "\"" NS "\"},\"distribution\":{\"tlp\":{\"label\":\"WHITE\"}},"                                \
    "\"tracking\":{\"id\":\"" ID "\",\"version\":\"1\",\"current_release_date\":\"" DATE "\"}},"   \
    "\"product_tree\":{\"full_product_names\":[{\"name\":\"m\",\"product_id\":\"B\"}]},"           \
    "\"vulnerabilities\":[{\"cve\":\"CVE-2026-0002\",\"title\":\"q\",\"product_status\":"          \
    "{\"known_affected\":[\"B\"]}}]}"

typedef struct csaf_seen {
    char source[128], title[64], tlp[8], first_ns[64];
    size_t nsources;
    int64_t id;
} csaf_seen_t;

static int count_cb(void *ctx, const char *affected)
{
    (void)affected;
    ++*(int *)ctx;
    return 0;
}

/* How many providers' statements vulnerability id has. */
static int statements(ermes__store_t *st, int64_t id)
{
    int n = 0;
    assert_int_equal(ermes__store_vuln_csaf_each(st, id, count_cb, &n), 0);
    return n;
}

static int csaf_row_cb(void *ctx, const ermes__vuln_row_t *v)
{
    csaf_seen_t *s = ctx;
    json_t *j = v->affected_csaf ? json_loads(v->affected_csaf, 0, NULL) : NULL;
    json_t *all = v->csaf_sources ? json_loads(v->csaf_sources, 0, NULL) : NULL;

    s->id = v->id;
    s->nsources = json_array_size(all);
    snprintf(s->first_ns, sizeof(s->first_ns), "%s",
             json_string_value(json_object_get(json_array_get(all, 0), "namespace"))
                 ? json_string_value(json_object_get(json_array_get(all, 0), "namespace"))
                 : "");
    json_decref(all);
    snprintf(s->source, sizeof(s->source), "%s", v->csaf_source ? v->csaf_source : "");
    snprintf(s->title, sizeof(s->title), "%s",
             json_string_value(
                 json_object_get(json_array_get(json_object_get(j, "vulnerabilities"), 0), "title"))
                 ? json_string_value(json_object_get(
                       json_array_get(json_object_get(j, "vulnerabilities"), 0), "title"))
                 : "");
    snprintf(s->tlp, sizeof(s->tlp), "%s", ermes_tlp_name(v->tlp));
    json_decref(j);
    return 0;
}

static void put_csaf(ermes__store_t *st, const char *doc, put_ctx_t *p)
{
    ermes_diag_t d;

    memset(p, 0, sizeof(*p));
    p->st = st;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__vuln_read(doc, strlen(doc), ERMES_VULN_CSAF, put_cb, p, NULL, &d), 0);
}

static void test_csaf(void **state)
{
    char dir[64], stamp[64];
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    put_ctx_t p;
    csaf_seen_t s;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-vulns-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);
    put_csaf(st, CSAF_DOC("1", "2026-01-01T00:00:00Z", "first", "WHITE"), &p);
    assert_int_equal(p.changed, 1);
    assert_int_equal(p.match_changed, 1);
    assert_int_equal(ermes__store_vuln_get(st, 0, "CVE-2026-0002", csaf_row_cb, &s), 0);
    assert_string_equal(s.source, "P https://p.example P-1 1");
    assert_string_equal(s.title, "first");
    assert_string_equal(s.tlp, "CLEAR");
    put_csaf(st, CSAF_DOC("1", "2026-01-01T00:00:00Z", "first", "WHITE"), &p);
    assert_int_equal(p.changed, 0);
    put_csaf(st, CSAF_DOC("2", "2026-02-01T00:00:00Z", "second", "GREEN"), &p);
    assert_int_equal(p.changed, 1);
    assert_int_equal(ermes__store_vuln_get(st, 0, "CVE-2026-0002", csaf_row_cb, &s), 0);
    assert_string_equal(s.source, "P https://p.example P-1 2");
    assert_string_equal(s.title, "second");
    assert_string_equal(s.tlp, "GREEN");
    /* the first version read again after the second: nothing changes */
    put_csaf(st, CSAF_DOC("1", "2026-01-01T00:00:00Z", "first", "WHITE"), &p);
    assert_int_equal(p.changed, 0);
    assert_int_equal(p.match_changed, 0);
    assert_int_equal(ermes__store_vuln_get(st, 0, "CVE-2026-0002", csaf_row_cb, &s), 0);
    assert_string_equal(s.title, "second");
    assert_string_equal(s.tlp, "GREEN");
    /* Another provider on the same CVE: its statement kept beside the first's (migration
     * 57), both listed, the latest read first; csaf_source is the latest's. */
    put_csaf(st, CSAF_DOC_NS("https://q.example", "Q-9", "2026-01-15T00:00:00Z"), &p);
    assert_int_equal(p.changed, 1);
    assert_int_equal(p.match_changed, 1);
    assert_int_equal(ermes__store_vuln_get(st, 0, "CVE-2026-0002", csaf_row_cb, &s), 0);
    assert_string_equal(s.source, "Q https://q.example Q-9 1");
    assert_int_equal(s.nsources, 2);
    assert_string_equal(s.first_ns, "https://q.example");
    assert_int_equal(statements(st, s.id), 2);
    /* The first provider's second version again: nothing changes, Q's stays. */
    put_csaf(st, CSAF_DOC("2", "2026-02-01T00:00:00Z", "second", "GREEN"), &p);
    assert_int_equal(p.match_changed, 0);
    assert_int_equal(statements(st, s.id), 2);
    /* Migration 57 fills the statements of rows written before it from the one document they
     * kept (and runs again without harm). */
    assert_int_equal(ermes__db_exec(ermes__db_conn(st), "DELETE FROM vuln_csaf_statements;"
                                                        "UPDATE vulnerabilities SET"
                                                        " csaf_sources = NULL;"),
                     0);
    for (int k = 0; k < 2; k++)
        assert_int_equal(ermes__db_exec(ermes__db_conn(st),
                                        ermes__schema_migration(57, test_db_postgresql()
                                                                        ? ERMES__SCHEMA_POSTGRESQL
                                                                        : ERMES__SCHEMA_SQLITE)),
                         0);
    assert_int_equal(statements(st, s.id), 1);
    assert_int_equal(ermes__store_vuln_get(st, 0, "CVE-2026-0002", csaf_row_cb, &s), 0);
    assert_int_equal(s.nsources, 1);
    assert_string_equal(s.first_ns, "https://p.example");
    /* the import state */
    assert_int_equal(
        ermes__store_csaf_import_stamp(st, "csaf=x", "https://x/a.json", stamp, sizeof(stamp)), 0);
    assert_string_equal(stamp, "");
    assert_int_equal(ermes__store_csaf_import_put(st, "csaf=x", "https://x/a.json", "T1", 0, 5), 0);
    assert_int_equal(ermes__store_csaf_import_put(st, "csaf=x", "https://x/a.json", "T2", 0, 6), 0);
    assert_int_equal(
        ermes__store_csaf_import_stamp(st, "csaf=x", "https://x/a.json", stamp, sizeof(stamp)), 0);
    assert_string_equal(stamp, "T2");
    assert_int_equal(
        ermes__store_csaf_import_stamp(st, "csaf=y", "https://x/a.json", stamp, sizeof(stamp)), 0);
    assert_string_equal(stamp, "");
    ermes__store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vulns_and_assets),
        cmocka_unit_test(test_csaf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
