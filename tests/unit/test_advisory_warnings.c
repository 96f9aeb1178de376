/* Tests of what published advisories warned (src/store/advisory_warnings.c, migration 40), on
 * SQLite and, as unit_pg.test_advisory_warnings, on PostgreSQL: the advisories whose latest
 * publication was not warned of, the per-asset digests, the list for the API, the
 * vulnerability row made for an advisory's CVE and the asset's remediation status. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/advisory.h"
#include "store/advisory_warnings.h"
#include "store/db.h"
#include "store/vulns.h"
#include "test_db.h"

typedef struct digests {
    int64_t asset[8];
    char digest[8][65];
    size_t n;
} digests_t;

static int digest_cb(void *ctx, int64_t asset_id, const char *digest)
{
    digests_t *d = ctx;
    if (d->n < 8) {
        d->asset[d->n] = asset_id;
        snprintf(d->digest[d->n++], 65, "%s", digest);
    }
    return 0;
}

typedef struct rows {
    char line[8][128];
    size_t n;
} rows_t;

static int row_cb(void *ctx, const ermes__advisory_warning_row_t *w)
{
    rows_t *r = ctx;
    if (r->n < 8)
        snprintf(r->line[r->n++], 128, "%lld %s %lld %s", (long long)w->asset_id,
                 w->org ? w->org : "-", (long long)w->revision,
                 w->notification ? w->notification : "-");
    return 0;
}

static void test_advisory_warnings(void **state)
{
    char dir[] = "/tmp/ermes-test-advwarn-XXXXXX";
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st = NULL;
    ermes__advisory_t a;
    ermes__asset_t as;
    int64_t ids[4], assets[2], vid = 0, vid2 = 0, warned = 0;
    size_t n = 0;
    digests_t d;
    rows_t r;
    char status[32];
    int kev = 1;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);
    assert_int_equal(ermes__db_exec(ermes__db_conn(st),
                                    "INSERT INTO organisations (short_name, name, tlp, created_at,"
                                    " updated_at) VALUES ('ORG', 'An org', 'GREEN', 1, 1)"),
                     0);
    for (int k = 0; k < 2; k++) {
        memset(&as, 0, sizeof(as));
        as.org_id = 1;
        as.vendor = "Acme";
        as.product = "Widget";
        as.version = k ? "2.0" : "1.0";
        assert_int_equal(ermes__store_asset_add(st, &as), 0);
        assets[k] = as.id;
    }
    memset(&a, 0, sizeof(a));
    snprintf(a.tracking_id, sizeof(a.tracking_id), "T-1");
    snprintf(a.title, sizeof(a.title), "A title");
    snprintf(a.status, sizeof(a.status), "draft");
    a.document = "{}";
    a.tlp = ERMES_TLP_CLEAR;
    assert_int_equal(ermes__store_advisory_insert(st, &a), 0);

    /* A draft never published: nothing to warn of. */
    assert_int_equal(ermes__store_advisory_unwarned(st, ids, 4, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ermes__db_exec(ermes__db_conn(st),
                                    "UPDATE advisories SET published_document = '{}',"
                                    " revision = 1, status = 'published'"),
                     0);
    assert_int_equal(ermes__store_advisory_unwarned(st, ids, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], a.id);

    /* The warnings of revision 1. */
    assert_int_equal(
        ermes__store_advisory_warning_put(st, a.id, assets[0], 1, 1, "aaaa", 0, 0, 1000), 0);
    assert_int_equal(
        ermes__store_advisory_warning_put(st, a.id, assets[1], 1, 1, "bbbb", 0, 0, 1000), 0);
    assert_int_equal(ermes__store_advisory_set_warned(st, a.id, 1, 0, 1000), 0);
    assert_int_equal(ermes__store_advisory_unwarned(st, ids, 4, &n), 0);
    assert_int_equal(n, 0);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ermes__store_advisory_warning_each(st, a.id, digest_cb, &d), 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.asset[0], assets[0]);
    assert_string_equal(d.digest[0], "aaaa");
    assert_string_equal(d.digest[1], "bbbb");

    /* Revision 2: one digest replaced, the other asset no longer concerned. */
    assert_int_equal(ermes__db_exec(ermes__db_conn(st), "UPDATE advisories SET revision = 2"), 0);
    assert_int_equal(ermes__store_advisory_unwarned(st, ids, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(
        ermes__store_advisory_warning_put(st, a.id, assets[0], 1, 2, "cccc", 0, 0, 2000), 0);
    assert_int_equal(ermes__store_advisory_warning_drop(st, a.id, assets[1]), 0);
    assert_int_equal(ermes__store_advisory_set_warned(st, a.id, 2, 0, 2000), 0);
    memset(&r, 0, sizeof(r));
    assert_int_equal(ermes__store_advisory_warning_list(st, a.id, &warned, row_cb, &r), 0);
    assert_int_equal(warned, 2);
    assert_int_equal(r.n, 1);
    {
        char want[64];
        snprintf(want, sizeof(want), "%lld ORG 2 -", (long long)assets[0]);
        assert_string_equal(r.line[0], want);
    }

    /* The vulnerability row of an advisory's CVE: made once, then found. */
    assert_int_equal(ermes__store_vuln_ensure(st, "CVE-2099-0001", 0, 1000, &vid), 0);
    assert_true(vid > 0);
    assert_int_equal(ermes__store_vuln_ensure(st, "CVE-2099-0001", 0, 2000, &vid2), 0);
    assert_int_equal(vid, vid2);
    assert_int_equal(
        ermes__store_asset_vuln_status(st, assets[0], vid, status, sizeof(status), &kev), 0);
    assert_string_equal(status, "");
    assert_int_equal(kev, 0);
    assert_int_equal(ermes__store_asset_vuln_set(st, assets[0], "CVE-2099-0001", "fixed", NULL, 0),
                     0);
    assert_int_equal(
        ermes__store_asset_vuln_status(st, assets[0], vid, status, sizeof(status), &kev), 0);
    assert_string_equal(status, "fixed");

    /* An asset deleted takes its warnings along. */
    assert_int_equal(ermes__store_asset_delete(st, assets[0], 0), 0);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ermes__store_advisory_warning_each(st, a.id, digest_cb, &d), 0);
    assert_int_equal(d.n, 0);
    ermes__store_close(st);
    {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_advisory_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
