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
#include "intake/presets.h"
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

/* Column col (value or headers) of collector name as the database holds it, into out ("" for
 * NULL). The SQL is a literal: the store keeps prepared statements by their text's address. */
static void stored(ermes__store_t *st, const char *name, const char *col, char *out, size_t cap)
{
    ermes__db_stmt_t *s;
    int k = strcmp(col, "value") == 0 ? 0 : 1;

    assert_int_equal(ermes__db_prepare(ermes__db_conn(st),
                                       "SELECT value, headers FROM collector_defs WHERE name = ?1",
                                       &s),
                     0);
    ermes__db_bind_text(s, 1, name);
    assert_int_equal(ermes__db_step(s), 1);
    snprintf(out, cap, "%s", ermes__db_col_null(s, k) ? "" : ermes__db_col_text(s, k));
    ermes__db_done(s);
}

/* The credentials (value, headers) are sealed in the row and opened when read; a row in plain
 * text (an older ermes) is sealed when the store opens, and reads the same. */
static void test_credentials_sealed(void **state)
{
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    ermes__collector_def_t d, got;
    ermes__db_stmt_t *s;
    char dir[64], cmd[128], raw[4096];

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-cdefs-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);
    memset(&d, 0, sizeof(d));
    snprintf(d.name, sizeof(d.name), "pt");
    snprintf(d.tlp, sizeof(d.tlp), "CLEAR");
    d.preset = ermes__strdup("phishtank");
    d.value = ermes__strdup("KEY-v4lue-0001");
    d.headers = ermes__strdup("[\"Authorization: Bearer TOK-h34der-0002\"]");
    d.enabled = 1;
    assert_int_equal(ermes__store_collector_def_put(st, &d, 0), 0);
    stored(st, "pt", "value", raw, sizeof(raw));
    assert_int_equal(strncmp(raw, "sealed:1:", 9), 0);
    assert_null(strstr(raw, "v4lue"));
    stored(st, "pt", "headers", raw, sizeof(raw));
    assert_int_equal(strncmp(raw, "sealed:1:", 9), 0);
    assert_null(strstr(raw, "h34der"));
    assert_int_equal(ermes__store_collector_def_get(st, "pt", &got), 0);
    assert_string_equal(got.value, "KEY-v4lue-0001");
    assert_string_equal(got.headers, "[\"Authorization: Bearer TOK-h34der-0002\"]");
    ermes__store_collector_def_clear(&got);

    /* As an older ermes wrote it: sealed when the store is opened again. */
    assert_int_equal(ermes__db_prepare(ermes__db_conn(st),
                                       "UPDATE collector_defs SET value = 'legacy-key-0003',"
                                       " headers = NULL WHERE name = 'pt'",
                                       &s),
                     0);
    assert_true(ermes__db_step(s) >= 0);
    ermes__db_done(s);
    stored(st, "pt", "value", raw, sizeof(raw));
    assert_string_equal(raw, "legacy-key-0003");
    stored(st, "pt", "headers", raw, sizeof(raw));
    assert_string_equal(raw, "");
    ermes__store_close(st);
    opts.create = 0;
    assert_int_equal(test_store_open(dir, &opts, &st), 0);
    stored(st, "pt", "value", raw, sizeof(raw));
    assert_int_equal(strncmp(raw, "sealed:1:", 9), 0);
    stored(st, "pt", "headers", raw, sizeof(raw));
    assert_string_equal(raw, "");
    assert_int_equal(ermes__store_collector_def_get(st, "pt", &got), 0);
    assert_string_equal(got.value, "legacy-key-0003");
    assert_null(got.headers);
    ermes__store_collector_def_clear(&got);
    /* Nothing left to seal: nothing changes. */
    assert_int_equal(ermes__store_collector_defs_seal(st), 0);
    ermes__store_collector_def_clear(&d);
    ermes__store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* A preset's key in a URL's path is not shown; other URLs are shown as they are. */
static void test_url_redact(void **state)
{
    char url[256];

    (void)state;
    snprintf(url, sizeof(url), "https://data.phishtank.com/data/S3CRET-key/online-valid.csv");
    ermes__preset_url_redact(url, sizeof(url));
    assert_string_equal(url, "https://data.phishtank.com/data/(credential)/online-valid.csv");
    snprintf(url, sizeof(url), "https://data.phishtank.com/data/online-valid.csv");
    ermes__preset_url_redact(url, sizeof(url));
    assert_string_equal(url, "https://data.phishtank.com/data/online-valid.csv");
    snprintf(url, sizeof(url), "https://data.phishtank.com/data/a/b/online-valid.csv");
    ermes__preset_url_redact(url, sizeof(url));
    assert_string_equal(url, "https://data.phishtank.com/data/a/b/online-valid.csv");
    snprintf(url, sizeof(url), "https://www.spamhaus.org/drop/drop.txt");
    ermes__preset_url_redact(url, sizeof(url));
    assert_string_equal(url, "https://www.spamhaus.org/drop/drop.txt");
    /* No room for the mark: nothing of the URL. */
    snprintf(url, 60, "https://data.phishtank.com/data/k3y4/online-valid.csv");
    ermes__preset_url_redact(url, 60);
    assert_string_equal(url, "(credential)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_rows),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_credentials_sealed),
        cmocka_unit_test(test_url_redact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
