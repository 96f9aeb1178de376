/* Tests of the checked number parser (src/core/number.c) every number from a user, a file or
 * the network goes through (issue 10, item 8). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/number.h"
#include "ermes/error.h"

static void test_int64_good(void **state)
{
    int64_t v = -1;

    (void)state;
    assert_int_equal(ermes__parse_int64("0", "f", 0, 10, &v, NULL), 0);
    assert_int_equal(v, 0);
    assert_int_equal(ermes__parse_int64("+7", "f", 0, 10, &v, NULL), 0);
    assert_int_equal(v, 7);
    assert_int_equal(ermes__parse_int64("-5", "f", -10, 10, &v, NULL), 0);
    assert_int_equal(v, -5);
    assert_int_equal(ermes__parse_int64("9223372036854775807", "f", INT64_MIN, INT64_MAX, &v, NULL),
                     0);
    assert_true(v == INT64_MAX);
    assert_int_equal(
        ermes__parse_int64("-9223372036854775808", "f", INT64_MIN, INT64_MAX, &v, NULL), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(ermes__parse_int64_n("123abc", 3, "f", 0, 1000, &v, NULL), 0);
    assert_int_equal(v, 123);
}

static void test_int64_bad(void **state)
{
    static const char *const not_numbers[] = {"",    "x",   "12abc", " 5",
                                              "5 ",  "-",   "+",     "0x10",
                                              "1e3", "1.5", "--1",   "9999999999999999999x"};
    ermes_diag_t d;
    int64_t v = 42;

    (void)state;
    for (size_t k = 0; k < sizeof(not_numbers) / sizeof(*not_numbers); k++) {
        ermes_diag_clear(&d);
        assert_int_equal(ermes__parse_int64(not_numbers[k], "limit", 0, 100, &v, &d), ERMES_EPARSE);
        assert_string_equal(d.field, "limit");
        assert_non_null(strstr(d.reason, "limit"));
    }
    assert_int_equal(ermes__parse_int64(NULL, "limit", 0, 100, &v, NULL), ERMES_EPARSE);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__parse_int64("101", "limit", 0, 100, &v, &d), ERMES_ERANGE);
    assert_non_null(strstr(d.reason, "out of range"));
    assert_int_equal(ermes__parse_int64("9223372036854775808", "id", 0, INT64_MAX, &v, NULL),
                     ERMES_ERANGE);
    assert_int_equal(ermes__parse_int64("99999999999999999999999", "id", 0, INT64_MAX, &v, NULL),
                     ERMES_ERANGE);
    assert_int_equal(ermes__parse_int64("-1", "id", 1, 5, &v, NULL), ERMES_ERANGE);
    assert_int_equal(v, 42); /* untouched on failure */
    /* A hostile value is quoted only in part and without its control characters. */
    ermes_diag_clear(&d);
    assert_int_equal(ermes__parse_int64("\x1b]0;x\x07"
                                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                        "user", 0, 9, &v, &d),
                     ERMES_EPARSE);
    assert_null(strchr(d.reason, '\x1b'));
    assert_non_null(strstr(d.reason, "..."));
}

static void test_uint64(void **state)
{
    uint64_t v = 7;

    (void)state;
    assert_int_equal(ermes__parse_uint64_n("18446744073709551615", 20, "ino", UINT64_MAX, &v, NULL),
                     0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(ermes__parse_uint64_n("18446744073709551616", 20, "ino", UINT64_MAX, &v, NULL),
                     ERMES_ERANGE);
    assert_int_equal(ermes__parse_uint64_n("-1", 2, "ino", UINT64_MAX, &v, NULL), ERMES_EPARSE);
    assert_int_equal(ermes__parse_uint64_n("12 ", 3, "ino", UINT64_MAX, &v, NULL), ERMES_EPARSE);
    assert_int_equal(ermes__parse_uint64_n("10", 2, "n", 9, &v, NULL), ERMES_ERANGE);
    assert_true(v == UINT64_MAX);
}

static void test_double(void **state)
{
    double v = 0;

    (void)state;
    assert_int_equal(ermes__parse_double("1700000000.123456", "ts", 0, 1e12, &v, NULL), 0);
    assert_true(fabs(v - 1700000000.123456) < 1e-6);
    assert_int_equal(ermes__parse_double("-3.5e2", "x", -1000, 1000, &v, NULL), 0);
    assert_true(v == -350.0);
    assert_int_equal(ermes__parse_double("1e300", "ts", 0, 1e12, &v, NULL), ERMES_ERANGE);
    assert_int_equal(ermes__parse_double("1e999", "ts", -1e308, 1e308, &v, NULL), ERMES_ERANGE);
    assert_int_equal(ermes__parse_double("nan", "ts", 0, 1, &v, NULL), ERMES_EPARSE);
    assert_int_equal(ermes__parse_double("inf", "ts", 0, 1, &v, NULL), ERMES_EPARSE);
    assert_int_equal(ermes__parse_double("0x10", "ts", 0, 100, &v, NULL), ERMES_EPARSE);
    assert_int_equal(ermes__parse_double(" 1", "ts", 0, 100, &v, NULL), ERMES_EPARSE);
    assert_int_equal(ermes__parse_double("1.5x", "ts", 0, 100, &v, NULL), ERMES_EPARSE);
    assert_int_equal(ermes__parse_double("", "ts", 0, 100, &v, NULL), ERMES_EPARSE);
}

static void test_double_to_int64(void **state)
{
    int64_t v = 7;

    (void)state;
    assert_int_equal(ermes__double_to_int64(1.9, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(ermes__double_to_int64(-9223372036854775808.0, &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(ermes__double_to_int64(9223372036854775808.0, &v), ERMES_ERANGE);
    assert_int_equal(ermes__double_to_int64(1e300, &v), ERMES_ERANGE);
    assert_int_equal(ermes__double_to_int64(-1e300, &v), ERMES_ERANGE);
    assert_int_equal(ermes__double_to_int64(NAN, &v), ERMES_ERANGE);
    assert_int_equal(ermes__double_to_int64(INFINITY, &v), ERMES_ERANGE);
    assert_true(v == INT64_MIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int64_good),      cmocka_unit_test(test_int64_bad),
        cmocka_unit_test(test_uint64),          cmocka_unit_test(test_double),
        cmocka_unit_test(test_double_to_int64),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
