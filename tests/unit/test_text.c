/* Tests of the untrusted-text helpers (src/core/text.c): control characters made visible for
 * terminals, OWASP's formula rule for CSV cells (issue 10, item 6). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/strbuf.h"
#include "core/text.h"
#include "ermes/error.h"

static void check_escape(const char *in, size_t len, const char *want)
{
    ermes__strbuf_t b;

    ermes__strbuf_init(&b, 1 << 16);
    assert_int_equal(ermes__text_escape(&b, in, len), 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, want);
    assert_int_equal(ermes__text_needs_escape(in, len), strcmp(in, want) != 0 || len != strlen(in));
    ermes__strbuf_cleanup(&b);
}

static void test_escape_c0_del(void **state)
{
    (void)state;
    check_escape("plain text", 10, "plain text");
    check_escape("", 0, "");
    check_escape("\x1b]0;title\x07", 10, "\\x1b]0;title\\x07");
    check_escape("\x1b[2J", 4, "\\x1b[2J");
    check_escape("a\nb\tc\rd", 7, "a\\x0ab\\x09c\\x0dd");
    check_escape("x\x7fy", 3, "x\\x7fy");
    check_escape("nul\0byte", 8, "nul\\x00byte");
}

static void test_escape_c1_and_utf8(void **state)
{
    (void)state;
    /* U+009B (CSI) and U+0085 (NEL) as UTF-8. */
    check_escape("\xc2\x9b"
                 "31m",
                 5, "\\u009b31m");
    check_escape("\xc2\x85", 2, "\\u0085");
    /* Valid UTF-8 beyond C1 passes: é, €, an emoji. */
    check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
                 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    /* A bare 0x9b (CSI on 8-bit terminals), a truncated sequence, an overlong '/', a
     * surrogate: bytes. */
    check_escape("\x9b"
                 "2J",
                 3, "\\x9b2J");
    check_escape("\xe2\x82", 2, "\\xe2\\x82");
    check_escape("\xc0\xaf", 2, "\\xc0\\xaf");
    check_escape("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");
}

static void test_escape_cap(void **state)
{
    ermes__strbuf_t b;

    (void)state;
    ermes__strbuf_init(&b, 5);
    assert_int_equal(ermes__text_escape(&b, "\x1b\x1b", 2), ERMES_ETOOBIG);
    ermes__strbuf_cleanup(&b);
}

static void test_escape_buf(void **state)
{
    char out[16];

    (void)state;
    assert_int_equal(ermes__text_escape_buf("a\x1b[2J", 5, out, sizeof(out)), 8);
    assert_string_equal(out, "a\\x1b[2J");
    /* Cut where a whole character or escape no longer fits. */
    assert_int_equal(ermes__text_escape_buf("abcdefghijklm\x1b", 14, out, sizeof(out)), 13);
    assert_string_equal(out, "abcdefghijklm");
    assert_int_equal(ermes__text_escape_buf("\xc2\x9b", 2, out, 4), 0);
    assert_string_equal(out, "");
}

static void test_csv_formula(void **state)
{
    (void)state;
    assert_true(ermes__csv_cell_is_formula("=1+2", 4));
    assert_true(ermes__csv_cell_is_formula("+1", 2));
    assert_true(ermes__csv_cell_is_formula("-1", 2));
    assert_true(ermes__csv_cell_is_formula("@sum", 4));
    assert_true(ermes__csv_cell_is_formula("\tx", 2));
    assert_true(ermes__csv_cell_is_formula("\rx", 2));
    assert_false(ermes__csv_cell_is_formula("", 0));
    assert_false(ermes__csv_cell_is_formula("a=b", 3));
    assert_false(ermes__csv_cell_is_formula("'=x", 3));
    assert_false(ermes__csv_cell_is_formula(" =x", 3));
}

/* JSON string escapes: every byte below 0x20, the quote and the backslash, nothing else. */
static void test_json_escape(void **state)
{
    char out[6];
    size_t n;

    (void)state;
    assert_int_equal(ermes__json_escape('"', 1, out), 2);
    assert_memory_equal(out, "\\\"", 2);
    assert_int_equal(ermes__json_escape('\\', 0, out), 2);
    assert_memory_equal(out, "\\\\", 2);
    assert_int_equal(ermes__json_escape('\n', 0, out), 2);
    assert_memory_equal(out, "\\n", 2);
    assert_int_equal(ermes__json_escape('\t', 1, out), 2);
    assert_memory_equal(out, "\\t", 2);
    assert_int_equal(ermes__json_escape(0x1b, 1, out), 6);
    assert_memory_equal(out, "\\u001B", 6);
    assert_int_equal(ermes__json_escape(0x1b, 0, out), 6);
    assert_memory_equal(out, "\\u001b", 6);
    assert_int_equal(ermes__json_escape(0, 0, out), 6);
    assert_memory_equal(out, "\\u0000", 6);
    for (unsigned c = 0x20; c < 0x100; c++) {
        n = ermes__json_escape((unsigned char)c, 1, out);
        assert_int_equal(n, c == '"' || c == '\\' ? 2 : 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_c0_del), cmocka_unit_test(test_escape_c1_and_utf8),
        cmocka_unit_test(test_escape_cap),    cmocka_unit_test(test_escape_buf),
        cmocka_unit_test(test_csv_formula),   cmocka_unit_test(test_json_escape),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
