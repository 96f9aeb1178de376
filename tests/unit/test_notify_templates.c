/* Tests of the notification templates edited in the API (src/notify/message.c's check and
 * rendering of a stored text, src/store/notify_templates.c), the store part on SQLite and on
 * PostgreSQL (unit_pg.test_notify_templates): placeholders checked with their line and column,
 * a stored text rendered instead of the built-in, kept, replaced, listed and deleted. */
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
#include "notify/notify.h"
#include "store/store.h"
#include "test_db.h"

static void test_check(void **state)
{
    ermes_diag_t d;
    char *big;

    (void)state;
    assert_int_equal(ermes__notify_template_check("S ${org}\n\nB ${signature}\n", &d), 0);
    assert_int_equal(ermes__notify_template_check("S\n\n$ and $x and $${org}\n", &d), 0);
    assert_int_equal(ermes__notify_template_check("S\n\nbody é ${nme}\n", &d), ERMES_EINVAL);
    /* Columns count characters: "é" is one. */
    assert_int_equal(d.line, 3);
    assert_int_equal(d.column, 8);
    assert_non_null(strstr(d.reason, "unknown placeholder"));
    assert_int_equal(ermes__notify_template_check("S ${org\n\nx}\n", &d), ERMES_EINVAL);
    assert_int_equal(d.line, 1);
    assert_int_equal(d.column, 3);
    assert_non_null(strstr(d.reason, "not closed"));
    assert_int_equal(ermes__notify_template_check("\nbody\n", &d), ERMES_EINVAL);
    assert_int_equal(ermes__notify_template_check("S\n\n\x01\n", &d), ERMES_EINVAL);
    big = malloc(70 * 1024);
    assert_non_null(big);
    memset(big, 'x', 70 * 1024 - 1);
    big[70 * 1024 - 1] = '\0';
    assert_int_equal(ermes__notify_template_check(big, &d), ERMES_ETOOBIG);
    free(big);
}

static void test_render_stored(void **state)
{
    ermes__notify_vars_t v;
    ermes__strbuf_t s, b;

    (void)state;
    memset(&v, 0, sizeof(v));
    v.reference = "ERMES-2026-000007";
    v.org = "EX";
    v.org_name = "Example";
    v.group = "feed-a";
    v.events = 2;
    ermes__strbuf_init(&s, 4096);
    ermes__strbuf_init(&b, 4096);
    assert_int_equal(ermes__notify_render_text(
                         NULL, "sv", "[${reference}] ${org}\r\n\r\nHej ${org_name}\n", &v, &s, &b),
                     0);
    assert_string_equal(s.data, "[ERMES-2026-000007] EX");
    assert_string_equal(b.data, "Hej Example\n");
    ermes__strbuf_cleanup(&s);
    ermes__strbuf_cleanup(&b);
}

static int each_cb(void *ctx, const char *lang, int64_t updated_at)
{
    char *out = ctx;
    size_t n = strlen(out);

    assert_true(updated_at > 0);
    snprintf(out + n, 64 - n, "%s,", lang);
    return 0;
}

static void test_store(void **state)
{
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__store_t *st;
    char dir[64], cmd[128], *text = NULL, seen[64] = "";
    int64_t at = 0;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-tmpl-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);
    assert_int_equal(ermes__store_notify_template_get(st, "sv", &text, &at), ERMES_ENOTFOUND);
    assert_null(text);
    assert_int_equal(ermes__store_notify_template_put(st, "sv", "A\n\nfirst\n", 0), 0);
    assert_int_equal(ermes__store_notify_template_put(st, "sv", "B\n\nsecond ö\n", 0), 0);
    assert_int_equal(ermes__store_notify_template_put(st, "de", "C\n\nthird\n", 0), 0);
    assert_int_equal(ermes__store_notify_template_get(st, "sv", &text, &at), 0);
    assert_string_equal(text, "B\n\nsecond ö\n");
    assert_true(at > 0);
    ermes__free(text);
    assert_int_equal(ermes__store_notify_template_each(st, each_cb, seen), 0);
    assert_string_equal(seen, "de,sv,");
    assert_int_equal(ermes__store_notify_template_delete(st, "sv"), 0);
    assert_int_equal(ermes__store_notify_template_delete(st, "sv"), ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_notify_template_get(st, "sv", &text, NULL), ERMES_ENOTFOUND);
    ermes__store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_render_stored),
        cmocka_unit_test(test_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
