/* Tests of the collectors stored in the database: the rows (src/store/collector_defs.c) on
 * SQLite and on PostgreSQL (unit_pg.test_collector_defs), and their definitions
 * (src/intake/collect_db.c) checked by the config file's checks, fields named. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/config.h"
#include "intake/collect.h"
#include "store/store.h"
#include "test_db.h"

static int count_cb(void *ctx, const ermes__collector_def_t *d)
{
    size_t *n = ctx;

    assert_non_null(d->name);
    (*n)++;
    return 0;
}

static void test_store_rows(void **state)
{
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    ermes__collector_def_t d, got;
    ermes__collector_state_t s;
    char dir[64], cmd[128];
    int claimed = 0;
    size_t n = 0;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-cdefs-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);

    memset(&d, 0, sizeof(d));
    snprintf(d.name, sizeof(d.name), "drop");
    snprintf(d.tlp, sizeof(d.tlp), "CLEAR");
    d.preset = ermes__strdup("spamhaus-drop");
    d.url = ermes__strdup("http://127.0.0.1:1/drop.txt");
    d.options = ermes__strdup("[\"a=b\"]");
    d.value = ermes__strdup("key");
    d.enabled = 1;
    d.interval = 120;
    assert_int_equal(ermes__store_collector_def_put(st, &d, 0), 0);
    assert_true(d.created_at > 0);
    assert_int_equal(ermes__store_collector_def_put(st, &d, 0), ERMES_EEXISTS);
    assert_int_equal(ermes__store_collector_def_get(st, "drop", &got), 0);
    assert_string_equal(got.preset, "spamhaus-drop");
    assert_string_equal(got.url, "http://127.0.0.1:1/drop.txt");
    assert_string_equal(got.value, "key");
    assert_null(got.feed);
    assert_null(got.headers);
    assert_int_equal(got.interval, 120);
    assert_int_equal(got.enabled, 1);
    assert_string_equal(got.tlp, "CLEAR");
    ermes__store_collector_def_clear(&got);

    /* A state with a next run later; an update makes it due now. */
    assert_int_equal(ermes__store_collector_claim(st, "drop", 1, 1LL << 50, &claimed), 0);
    assert_int_equal(claimed, 1);
    memset(&s, 0, sizeof(s));
    snprintf(s.name, sizeof(s.name), "drop");
    snprintf(s.status, sizeof(s.status), "ok");
    s.next_run = 1LL << 50;
    assert_int_equal(ermes__store_collector_put(st, &s), 0);
    d.enabled = 0;
    ermes__free(d.url);
    d.url = NULL;
    assert_int_equal(ermes__store_collector_def_put(st, &d, 1), 0);
    assert_int_equal(ermes__store_collector_get(st, "drop", &s), 0);
    assert_int_equal(s.next_run, 0);
    assert_int_equal(ermes__store_collector_def_get(st, "drop", &got), 0);
    assert_int_equal(got.enabled, 0);
    assert_null(got.url);
    ermes__store_collector_def_clear(&got);

    snprintf(d.name, sizeof(d.name), "nobody");
    assert_int_equal(ermes__store_collector_def_put(st, &d, 1), ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_collector_def_put(st, &d, 0), 0);
    assert_int_equal(ermes__store_collector_def_each(st, count_cb, &n), 0);
    assert_int_equal(n, 2);

    /* Deleted with its state. */
    assert_int_equal(ermes__store_collector_def_delete(st, "drop"), 0);
    assert_int_equal(ermes__store_collector_def_delete(st, "drop"), ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_collector_def_get(st, "drop", &got), ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_collector_get(st, "drop", &s), ERMES_ENOTFOUND);
    ermes__store_collector_def_clear(&d);
    ermes__store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Builds row into a definition; returns the code, d's field in field. */
static int build(ermes__collector_def_t *row, char *field, ermes__config_t *cfg)
{
    ermes_diag_t d;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    ermes_diag_clear(&d);
    rc = ermes__collector_def_build(row, cfg, &d);
    snprintf(field, 64, "%s", d.field);
    return rc;
}

static void test_build(void **state)
{
    ermes__collector_def_t row;
    ermes__config_t cfg;
    const ermes__collector_conf_t *c;
    char field[64];

    (void)state;
    memset(&row, 0, sizeof(row));
    snprintf(row.name, sizeof(row.name), "n6");
    row.preset = ermes__strdup("certpl-n6");
    row.enabled = 1;
    /* The preset needs its API key. */
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "value");
    row.value = ermes__strdup("k3y");
    assert_int_equal(build(&row, field, &cfg), 0);
    c = &cfg.collectors[0];
    assert_string_equal(c->name, "n6");
    assert_string_equal(c->feed, "n6");
    assert_string_equal(c->headers[0], "Authorization: Bearer k3y");
    assert_int_equal(c->interval, 3600);
    ermes__collector_conf_cleanup(&cfg);
    /* The row's fields over the preset's. */
    row.url = ermes__strdup("http://127.0.0.1:1/x.json");
    row.interval = 60;
    row.headers = ermes__strdup("[\"X-Key: 1\"]");
    snprintf(row.tlp, sizeof(row.tlp), "RED");
    assert_int_equal(build(&row, field, &cfg), 0);
    c = &cfg.collectors[0];
    assert_string_equal(c->url, "http://127.0.0.1:1/x.json");
    assert_int_equal(c->interval, 60);
    assert_int_equal(c->nheaders, 1);
    assert_string_equal(c->headers[0], "X-Key: 1");
    assert_string_equal(c->tlp, "RED");
    ermes__collector_conf_cleanup(&cfg);
    /* Each bad field named. */
    ermes__free(row.url);
    row.url = ermes__strdup("file:///etc/passwd");
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "url");
    ermes__free(row.url);
    row.url = NULL;
    ermes__free(row.headers);
    row.headers = ermes__strdup("[\"bad header\"]");
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "headers");
    ermes__free(row.headers);
    row.headers = ermes__strdup("{}");
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "headers");
    ermes__free(row.headers);
    row.headers = NULL;
    snprintf(row.tlp, sizeof(row.tlp), "BLUE");
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "tlp");
    row.tlp[0] = '\0';
    snprintf(row.name, sizeof(row.name), "a b");
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "name");
    snprintf(row.name, sizeof(row.name), "n6");
    ermes__free(row.preset);
    row.preset = ermes__strdup("no-such-preset");
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "preset");
    /* No preset: explicit url and feed, and no value. */
    ermes__free(row.preset);
    row.preset = NULL;
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "value");
    ermes__free(row.value);
    row.value = NULL;
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "url");
    row.url = ermes__strdup("https://127.0.0.1:1/{today:%Y}.txt");
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "feed");
    row.feed = ermes__strdup("no-such-parser");
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "feed");
    ermes__free(row.feed);
    row.feed = ermes__strdup("spamhaus-drop");
    row.options = ermes__strdup("[\"noequals\"]");
    assert_int_not_equal(build(&row, field, &cfg), 0);
    assert_string_equal(field, "options");
    ermes__free(row.options);
    row.options = ermes__strdup("[\"a=b\"]");
    row.content = ermes__strdup("gzip");
    assert_int_equal(build(&row, field, &cfg), 0);
    assert_int_equal(cfg.collectors[0].gzip, 1);
    assert_int_equal(cfg.collectors[0].noptions, 1);
    ermes__collector_conf_cleanup(&cfg);
    ermes__store_collector_def_clear(&row);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_rows),
        cmocka_unit_test(test_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
