/* Tests of RFC 3339 time formatting and parsing (src/core/time.c).
 *
 * Inputs are parsed from heap copies of exactly their length, without a terminating NUL, so
 * that under AddressSanitizer a parser reading past len fails the test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/time.h"

/* 2026-11-23T02:27:51.123Z, the example of docs/API.md. */
#define API_EXAMPLE_MS INT64_C(1795400871123)

static int parse(const char *s, int64_t *ms, ermes_diag_t *d)
{
    size_t len = strlen(s);
    char *p = malloc(len ? len : 1);
    int rc;

    assert_non_null(p);
    memcpy(p, s, len);
    ermes_diag_clear(d);
    rc = ermes__time_parse(p, len, ms, d);
    free(p);
    return rc;
}

/* Parses in and expects want milliseconds. */
static void check_parse(const char *in, int64_t want)
{
    ermes_diag_t d;
    int64_t ms = -42;

    if (parse(in, &ms, &d) != 0)
        fail_msg("\"%s\" rejected: %s", in, d.reason);
    if (ms != want)
        fail_msg("\"%s\": got %lld, want %lld", in, (long long)ms, (long long)want);
}

/* Expects in to be rejected with a reason that contains reason_part; the output untouched. */
static void check_rejected(const char *in, const char *reason_part)
{
    ermes_diag_t d;
    int64_t ms = -42;
    int rc = parse(in, &ms, &d);

    if (rc != ERMES_EPARSE)
        fail_msg("\"%s\": got %d (%lld), want ERMES_EPARSE", in, rc, (long long)ms);
    assert_int_equal(ms, -42);
    if (!strstr(d.reason, reason_part))
        fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", in, d.reason, reason_part);
}

static void check_format(int64_t ms, const char *want)
{
    char buf[ERMES_TIME_STRLEN];
    size_t n;

    memset(buf, 'x', sizeof(buf));
    n = ermes__time_format(ms, buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_format(void **state)
{
    (void)state;
    check_format(0, "1970-01-01T00:00:00.000Z");
    check_format(1, "1970-01-01T00:00:00.001Z");
    check_format(API_EXAMPLE_MS, "2026-11-23T02:27:51.123Z");
    check_format(INT64_C(951782400000), "2000-02-29T00:00:00.000Z");
    check_format(INT64_C(1709164800000), "2024-02-29T00:00:00.000Z");
    check_format(INT64_C(253402300799999), "9999-12-31T23:59:59.999Z");
}

static void test_format_before_1970(void **state)
{
    (void)state;
    check_format(-1, "1969-12-31T23:59:59.999Z");
    check_format(-999, "1969-12-31T23:59:59.001Z");
    check_format(-1000, "1969-12-31T23:59:59.000Z");
    check_format(-1001, "1969-12-31T23:59:58.999Z");
    check_format(-86400000, "1969-12-31T00:00:00.000Z");
    check_format(-86400001, "1969-12-30T23:59:59.999Z");
    check_format(INT64_C(-62167219200000), "0000-01-01T00:00:00.000Z");
}

static void test_parse_utc(void **state)
{
    (void)state;
    check_parse("1970-01-01T00:00:00Z", 0);
    check_parse("2026-11-23T02:27:51.123Z", API_EXAMPLE_MS);
    /* RFC 3339 section 5.6 note: 'T' and 'Z' may be lower case; a space may separate. */
    check_parse("2026-11-23t02:27:51.123z", API_EXAMPLE_MS);
    check_parse("2026-11-23 02:27:51.123Z", API_EXAMPLE_MS);
    check_parse("9999-12-31T23:59:59.999Z", INT64_C(253402300799999));
}

static void test_parse_offsets(void **state)
{
    (void)state;
    /* +02:00 is two hours ahead of UTC: subtract them. */
    check_parse("2026-11-23T04:27:51.123+02:00", API_EXAMPLE_MS);
    check_parse("2026-11-22T21:57:51.123-04:30", API_EXAMPLE_MS);
    check_parse("2026-11-23T02:27:51.123+00:00", API_EXAMPLE_MS);
    check_parse("2026-11-23T02:27:51.123-00:00", API_EXAMPLE_MS);
    /* The offset moves the day, month and year. */
    check_parse("1970-01-01T01:00:00+01:00", 0);
    check_parse("1969-12-31T23:00:00-01:00", 0);
    check_parse("2000-01-01T00:59:59+23:59", INT64_C(946602059000));
    check_parse("1970-01-01T00:00:00+23:59", -(23 * 60 + 59) * 60000);
}

static void test_parse_fractions(void **state)
{
    (void)state;
    check_parse("1970-01-01T00:00:00.1Z", 100);
    check_parse("1970-01-01T00:00:00.12Z", 120);
    check_parse("1970-01-01T00:00:00.123Z", 123);
    /* Digits beyond milliseconds are truncated, not rounded. */
    check_parse("1970-01-01T00:00:00.1239Z", 123);
    check_parse("1970-01-01T00:00:00.999999999Z", 999);
    check_parse("1970-01-01T00:00:00.000000000000000000000001Z", 0);
    check_parse("1970-01-01T00:00:01.5+01:00", -3600000 + 1500);
}

static void test_parse_leap(void **state)
{
    (void)state;
    check_parse("2024-02-29T00:00:00Z", INT64_C(1709164800000));
    check_parse("2024-02-29", INT64_C(1709164800000));
    check_parse("2000-02-29", INT64_C(951782400000));
    check_rejected("2023-02-29T00:00:00Z", "date");
    check_rejected("2023-02-29", "date");
    check_rejected("1900-02-29", "date");
    check_rejected("2100-02-29", "date");
    check_rejected("2024-02-30", "date");
    /* A leap second (RFC 3339 allows second 60) is folded into the second before. */
    check_parse("2016-12-31T23:59:60Z", INT64_C(1483228799000));
}

static void test_parse_before_1970(void **state)
{
    (void)state;
    check_parse("1969-12-31T23:59:59.999Z", -1);
    check_parse("1969-12-31T23:59:59Z", -1000);
    check_parse("1969-12-31", -86400000);
    check_parse("1900-01-01T00:00:00Z", INT64_C(-2208988800000));
    check_parse("0000-01-01T00:00:00Z", INT64_C(-62167219200000));
    check_parse("1600-02-29", INT64_C(-11670998400000));
}

static void test_bare_date(void **state)
{
    (void)state;
    check_parse("1970-01-01", 0);
    check_parse("2026-11-23", INT64_C(1795392000000));
    check_parse("2026-12-31", INT64_C(1798675200000));
}

static void test_rejected(void **state)
{
    (void)state;
    /* The date. */
    check_rejected("", "date");
    check_rejected("2026", "date");
    check_rejected("2026-1-23", "date");
    check_rejected("26-11-23", "date");
    check_rejected("2026/11/23", "date");
    check_rejected("2026-00-10", "date");
    check_rejected("2026-13-10", "date");
    check_rejected("2026-11-00", "date");
    check_rejected("2026-11-31", "date");
    check_rejected("2026-04-31", "date");
    check_rejected("+2026-11-23", "date");
    check_rejected("2O26-11-23", "date");
    /* The time. */
    check_rejected("2026-11-23T", "time HH:MM:SS");
    check_rejected("2026-11-23X02:27:51Z", "time HH:MM:SS");
    check_rejected("2026-11-23T02:27Z", "time HH:MM:SS");
    check_rejected("2026-11-23T2:27:51Z", "time HH:MM:SS");
    check_rejected("2026-11-23T24:00:00Z", "time HH:MM:SS");
    check_rejected("2026-11-23T23:60:00Z", "time HH:MM:SS");
    check_rejected("2026-11-23T23:59:61Z", "time HH:MM:SS");
    check_rejected("2026-11-23T02:27:51.Z", "time HH:MM:SS");
    check_rejected("2026-11-23T02:27:51,123Z", "time zone");
    /* The zone. */
    check_rejected("2026-11-23T02:27:51", "time zone");
    check_rejected("2026-11-23T02:27:51.123", "time zone");
    check_rejected("2026-11-23T02:27:51+02", "time zone");
    check_rejected("2026-11-23T02:27:51+0200", "time zone");
    check_rejected("2026-11-23T02:27:51+24:00", "time zone");
    check_rejected("2026-11-23T02:27:51+02:60", "time zone");
    check_rejected("2026-11-23T02:27:51 UTC", "time zone");
    /* Text after a complete time. */
    check_rejected("2026-11-23T02:27:51ZZ", "after the time");
    check_rejected("2026-11-23T02:27:51+02:00 ", "after the time");
    check_rejected("2026-11-23T02:27:51Z\n", "after the time");
}

static void test_trailing_text_column(void **state)
{
    ermes_diag_t d;
    int64_t ms;

    (void)state;
    assert_int_equal(parse("2026-11-23T02:27:51Zabc", &ms, &d), ERMES_EPARSE);
    assert_int_equal(d.column, 21);
}

static void test_len_respected(void **state)
{
    static const char text[] = "2026-11-23T02:27:51.123Z and more";
    ermes_diag_t d;
    int64_t ms = 0;

    (void)state;
    /* Only the first len bytes count: a bare date, then a full time. */
    ermes_diag_clear(&d);
    assert_int_equal(ermes__time_parse(text, 10, &ms, &d), 0);
    assert_int_equal(ms, INT64_C(1795392000000));
    assert_int_equal(ermes__time_parse(text, 24, &ms, &d), 0);
    assert_int_equal(ms, API_EXAMPLE_MS);
    assert_int_equal(ermes__time_parse(text, 25, &ms, &d), ERMES_EPARSE);
    assert_int_equal(ermes__time_parse(text, 0, &ms, NULL), ERMES_EPARSE);
    /* d is optional. */
    assert_int_equal(ermes__time_parse("x", 1, &ms, NULL), ERMES_EPARSE);
}

static void test_round_trip(void **state)
{
    char buf[ERMES_TIME_STRLEN];
    ermes_diag_t d;
    int64_t ms, back;
    uint64_t x = 88172645463325252u;

    (void)state;
    /* Every millisecond value from year 0 to 9999 formats and parses back to itself. */
    for (int k = 0; k < 20000; k++) {
        size_t n;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ms = (int64_t)(x % UINT64_C(315537897600000)) - INT64_C(62167219200000);
        n = ermes__time_format(ms, buf);
        assert_int_equal(n, 24);
        ermes_diag_clear(&d);
        back = 0;
        if (ermes__time_parse(buf, n, &back, &d) != 0 || back != ms)
            fail_msg("%lld -> %s -> %lld (%s)", (long long)ms, buf, (long long)back, d.reason);
    }
    /* Around the epoch and leap days, every second. */
    for (ms = -200000; ms <= 200000; ms += 997) {
        size_t n = ermes__time_format(ms, buf);
        assert_int_equal(ermes__time_parse(buf, n, &back, &d), 0);
        assert_int_equal(back, ms);
    }
}

static void test_now(void **state)
{
    int64_t a, b;

    (void)state;
    a = ermes__time_now_ms();
    /* After 2024 and before 2200. */
    assert_true(a > INT64_C(1704067200000));
    assert_true(a < INT64_C(7258118400000));
    a = ermes__time_monotonic_ns();
    b = ermes__time_monotonic_ns();
    assert_true(b >= a);
}

/* Issue 10 item 14: one calendar for core/time.c, model/harmonize.c and the feed parsers. Every
 * day from 0001-01-01 to 9999-12-31 goes to a day number and back, the numbers follow each
 * other, and the month lengths are the Gregorian ones. */
static void test_calendar(void **state)
{
    int64_t prev = ermes__days_from_civil(1, 1, 1) - 1;

    (void)state;
    assert_int_equal(ermes__days_from_civil(1970, 1, 1), 0);
    assert_int_equal(ermes__days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(ermes__days_in_month(1900, 2), 28);
    assert_int_equal(ermes__days_in_month(2000, 2), 29);
    assert_int_equal(ermes__days_in_month(2024, 2), 29);
    assert_int_equal(ermes__days_in_month(2026, 13), 0);
    assert_int_equal(ermes__days_in_month(2026, 0), 0);
    for (int64_t y = 1; y <= 9999; y++)
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= ermes__days_in_month(y, m); d++) {
                int64_t z = ermes__days_from_civil(y, (unsigned)m, (unsigned)d), yy;
                unsigned mm, dd;
                assert_int_equal(z, prev + 1);
                ermes__civil_from_days(z, &yy, &mm, &dd);
                assert_true(yy == y && mm == (unsigned)m && dd == (unsigned)d);
                prev = z;
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_before_1970),
        cmocka_unit_test(test_parse_utc),
        cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_parse_fractions),
        cmocka_unit_test(test_parse_leap),
        cmocka_unit_test(test_parse_before_1970),
        cmocka_unit_test(test_bare_date),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_trailing_text_column),
        cmocka_unit_test(test_len_respected),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_now),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
