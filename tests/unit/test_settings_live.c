/* Tests of the settings changed while ermes runs: the table's checks (src/core/config.c), the
 * live snapshots (src/core/config_live.c: precedence, swap, a reader keeping its snapshot
 * across a change) and the stored rows (src/store/settings.c) on SQLite and on PostgreSQL
 * (unit_pg.test_settings_live). */
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
#include "core/config_live.h"
#include "store/store.h"
#include "test_db.h"

static void test_check(void **state)
{
    ermes_diag_t d;
    int live = -1, secret = -1;

    (void)state;
    assert_int_equal(ermes__config_check("notify_window", "60", &d), 0);
    assert_int_equal(ermes__config_check("notify_window", "x", &d), ERMES_EINVAL);
    assert_string_equal(d.field, "notify_window");
    assert_int_equal(ermes__config_check("notify_window", "-1", &d), ERMES_ERANGE);
    assert_int_equal(ermes__config_check("smtp_tls", "require", &d), 0);
    assert_int_equal(ermes__config_check("smtp_tls", "never", &d), ERMES_EINVAL);
    assert_int_equal(ermes__config_check("smtp_url", "http://x", &d), ERMES_EINVAL);
    assert_int_equal(ermes__config_check("smtp_url", "", &d), 0);
    assert_int_equal(ermes__config_check("notify_encrypt", "maybe", &d), ERMES_EINVAL);
    assert_int_equal(ermes__config_check("no_such", "1", &d), ERMES_ENOTFOUND);
    assert_int_equal(ermes__config_check("mail_from", "a@x.example\r\nBcc: b@x.example", &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "mail_from");
    assert_int_equal(ermes__config_setting_info("smtp_password", &live, &secret), 0);
    assert_int_equal(live, 1);
    assert_int_equal(secret, 1);
    assert_int_equal(ermes__config_setting_info("listen", &live, &secret), 0);
    assert_int_equal(live, 0);
    assert_int_equal(secret, 0);
}

static void test_overlay_precedence(void **state)
{
    ermes__config_t cfg;
    ermes_diag_t d;
    const char *names[] = {"notify_window", "mail_from", "listen", "notify_max_attempts"};
    const char *values[] = {"60", "cert@x.example", "0.0.0.0:1", "many"};
    char buf[64];
    int src;

    (void)state;
    assert_int_equal(ermes__config_init(&cfg), 0);
    /* mail_from as if from the environment: it wins over the database. */
    cfg.loading = ERMES__SRC_ENV;
    assert_int_equal(ermes__config_set(&cfg, "mail_from", "env@x.example", &d), 0);
    cfg.loading = ERMES__SRC_DEFAULT;
    ermes__config_overlay(&cfg, names, values, 4);
    assert_int_equal(ermes__config_get(&cfg, "notify_window", buf, sizeof(buf), &src), 0);
    assert_string_equal(buf, "60");
    assert_int_equal(src, ERMES__SRC_DATABASE);
    assert_int_equal(ermes__config_get(&cfg, "mail_from", buf, sizeof(buf), &src), 0);
    assert_string_equal(buf, "env@x.example");
    assert_int_equal(src, ERMES__SRC_ENV);
    /* A restart-only setting and a refused value are left alone. */
    assert_int_equal(ermes__config_get(&cfg, "listen", buf, sizeof(buf), &src), 0);
    assert_string_equal(buf, "127.0.0.1:8080");
    assert_int_equal(src, ERMES__SRC_DEFAULT);
    assert_int_equal(ermes__config_get(&cfg, "notify_max_attempts", buf, sizeof(buf), &src), 0);
    assert_string_equal(buf, "10");
    ermes__config_cleanup(&cfg);
}

static void test_snapshots(void **state)
{
    ermes__config_t base;
    const ermes__config_t *a, *b;
    const char *n1[] = {"mail_from"}, *v1[] = {"one@x.example"}, *v2[] = {"two@x.example"};
    int changed = -1;

    (void)state;
    assert_int_equal(ermes__config_init(&base), 0);
    /* Before init: the caller's own settings, not counted. */
    a = ermes__live_acquire(&base);
    assert_ptr_equal(a, &base);
    ermes__live_release(a);
    assert_int_equal(ermes__live_init(&base), 0);
    assert_int_equal(ermes__live_update(n1, v1, 1, &changed), 0);
    assert_int_equal(changed, 1);
    assert_int_equal(ermes__live_update(n1, v1, 1, &changed), 0);
    assert_int_equal(changed, 0);
    a = ermes__live_acquire(&base);
    assert_string_equal(a->mail_from, "one@x.example");
    /* A change while a reader holds its snapshot: the reader's stays whole. */
    assert_int_equal(ermes__live_update(n1, v2, 1, &changed), 0);
    assert_int_equal(changed, 1);
    b = ermes__live_acquire(&base);
    assert_string_equal(b->mail_from, "two@x.example");
    assert_string_equal(a->mail_from, "one@x.example");
    ermes__live_release(a);
    ermes__live_release(b);
    /* No rows: back to the base. */
    assert_int_equal(ermes__live_update(NULL, NULL, 0, &changed), 0);
    assert_int_equal(changed, 1);
    a = ermes__live_acquire(&base);
    assert_string_equal(a->mail_from, "ermes@localhost");
    ermes__live_release(a);
    ermes__live_free();
    ermes__config_cleanup(&base);
}

static int each_cb(void *ctx, const char *name, const char *value, const char *by, int64_t at)
{
    char *seen = ctx;
    size_t n = strlen(seen);

    assert_true(at > 0);
    snprintf(seen + n, 256 - n, "%s=%s(%s),", name, value, by);
    return 0;
}

static void test_store(void **state)
{
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    ermes__config_t base;
    const ermes__config_t *now;
    char dir[64], cmd[128], seen[256] = "", *old = NULL;
    int changed = 0;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-settings-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);
    assert_int_equal(ermes__store_setting_put(st, "notify_window", "60", "alice", 0, &old), 0);
    assert_null(old);
    assert_int_equal(ermes__store_setting_put(st, "notify_window", "120", "bob", 0, &old), 0);
    assert_string_equal(old, "60");
    ermes__free(old);
    assert_int_equal(ermes__store_setting_put(st, "mail_from", "c@x.example", "cli:x", 0, NULL), 0);
    assert_int_equal(ermes__store_setting_each(st, each_cb, seen), 0);
    assert_string_equal(seen, "mail_from=c@x.example(cli:x),notify_window=120(bob),");
    /* Laid over the settings of this process. */
    assert_int_equal(ermes__config_init(&base), 0);
    assert_int_equal(ermes__live_init(&base), 0);
    assert_int_equal(ermes__store_settings_apply(st, &base, &changed), 0);
    assert_int_equal(changed, 1);
    assert_int_equal(base.notify_window, 120);
    now = ermes__live_acquire(NULL);
    assert_int_equal(now->notify_window, 120);
    assert_string_equal(now->mail_from, "c@x.example");
    ermes__live_release(now);
    assert_int_equal(ermes__store_setting_delete(st, "notify_window"), 0);
    assert_int_equal(ermes__store_setting_delete(st, "notify_window"), ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_settings_apply(st, NULL, &changed), 0);
    assert_int_equal(changed, 1);
    now = ermes__live_acquire(NULL);
    assert_int_equal(now->notify_window, 3600);
    ermes__live_release(now);
    ermes__live_free();
    ermes__config_cleanup(&base);
    ermes__store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_overlay_precedence),
        cmocka_unit_test(test_snapshots),
        cmocka_unit_test(test_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
