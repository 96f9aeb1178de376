/* Tests of the scheduled sync's record of its sources (src/store/vuln_sync.c, migration 42)
 * and of one round of the daemon's sync (src/daemon/vuln_sync.c), on SQLite and, as
 * unit_pg.test_vuln_sync, on PostgreSQL: a source never run is due; a run that fails (a port
 * nobody listens on) is recorded with its error and not run again before the interval is over,
 * then again after it; a malformed vuln_sources is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/vuln_sync.h"
#include "store/vulns.h"
#include "test_db.h"

typedef struct seen {
    const char *want; /* only this source's row is kept (NULL: the last) */
    int n, ok;
    int64_t at;
    char source[128], error[256], skipped[512];
} seen_t;

static int seen_cb(void *ctx, const ermes__vuln_sync_row_t *r)
{
    seen_t *s = ctx;
    s->n++;
    if (s->want && strcmp(s->want, r->source) != 0)
        return 0;
    s->ok = r->ok;
    s->at = r->last_run_at;
    snprintf(s->source, sizeof(s->source), "%s", r->source);
    snprintf(s->error, sizeof(s->error), "%s", r->error);
    snprintf(s->skipped, sizeof(s->skipped), "%s", r->skipped ? r->skipped : "(null)");
    return 0;
}

static void test_sync_record_and_round(void **state)
{
    char dir[64];
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    ermes__vuln_sync_row_t row = {"kev=https://a.example/kev.json", 5000, 1, 3, 2, "", NULL};
    int64_t at = -1;
    seen_t s;
    int ran = -1;
    const char *src = "kev=http://127.0.0.1:1/kev.json";

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-vsync-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);

    /* never run: 0; recorded, then replaced */
    assert_int_equal(ermes__store_vuln_sync_last(st, row.source, &at), 0);
    assert_int_equal(at, 0);
    assert_int_equal(ermes__store_vuln_sync_put(st, &row, 0), 0);
    assert_int_equal(ermes__store_vuln_sync_last(st, row.source, &at), 0);
    assert_int_equal(at, 5000);
    row.last_run_at = 9000;
    row.ok = 0;
    row.error = "HTTP status 500";
    assert_int_equal(ermes__store_vuln_sync_put(st, &row, 0), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_vuln_sync_each(st, seen_cb, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.ok, 0);
    assert_int_equal(s.at, 9000);
    assert_string_equal(s.skipped, "");
    /* What a run skipped is kept with it (migration 75), and the next run's replaces it. */
    row.skipped = "[{\"feed\":\"https://a.example/amber.json\",\"reason\":\"no credentials\"}]";
    assert_int_equal(ermes__store_vuln_sync_put(st, &row, 0), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_vuln_sync_each(st, seen_cb, &s), 0);
    assert_string_equal(s.skipped, row.skipped);
    row.skipped = NULL;
    assert_int_equal(ermes__store_vuln_sync_put(st, &row, 0), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_vuln_sync_each(st, seen_cb, &s), 0);
    assert_string_equal(s.skipped, "");
    assert_string_equal(s.error, "HTTP status 500");

    /* a round: the unreachable source runs, fails, is recorded with its error */
    assert_int_equal(ermes__vuln_sync_round(st, src, 60000, NULL, NULL, 100000, &ran), 0);
    assert_int_equal(ran, 1);
    assert_int_equal(ermes__store_vuln_sync_last(st, src, &at), 0);
    assert_int_equal(at, 100000);
    memset(&s, 0, sizeof(s));
    s.want = src;
    assert_int_equal(ermes__store_vuln_sync_each(st, seen_cb, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.source, src);
    assert_int_equal(s.ok, 0);
    assert_int_equal(s.at, 100000);
    assert_non_null(strstr(s.error, "onnect")); /* curl: "Couldn't connect to server" */
    /* not again within the interval; again after it */
    assert_int_equal(ermes__vuln_sync_round(st, src, 60000, NULL, NULL, 159999, &ran), 0);
    assert_int_equal(ran, 0);
    assert_int_equal(ermes__vuln_sync_round(st, src, 60000, NULL, NULL, 160000, &ran), 0);
    assert_int_equal(ran, 1);
    /* a sources text that is not KIND=URL */
    assert_int_equal(ermes__vuln_sync_round(st, "kev", 60000, NULL, NULL, 1, &ran), ERMES_EINVAL);
    assert_int_equal(ermes__vuln_sync_round(st, "nope=http://x/", 60000, NULL, NULL, 1, &ran),
                     ERMES_EINVAL);
    ermes__store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_record_and_round),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
