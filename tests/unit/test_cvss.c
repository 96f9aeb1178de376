/* Tests of the CVSS parser and scorer (src/advisories/cvss.c) and of the exact decimal
 * arithmetic under it (src/advisories/exact.c). The large comparison with independent
 * implementations is tests/integration/test_cvss.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "advisories/exact.h"
#include "ermes/cvss.h"

static void test_exact_rounding(void **state)
{
    ermes__exact_t a, b, r;
    int64_t v;

    (void)state;
    /* 10 x 0.92 is exactly 9.2: a plain ceiling gives 9.2, not the 9.3 of binary floats. */
    ermes__exact_set(&a, 10, 0);
    ermes__exact_set(&b, 92, 2);
    assert_int_equal(ermes__exact_mul(&r, &a, &b), 0);
    assert_int_equal(ermes__exact_round(&r, 1, ERMES__ROUND_CEIL, &v), 0);
    assert_int_equal(v, 92);
    /* 8.55 rounds half up to 8.6. */
    ermes__exact_set(&a, 855, 2);
    assert_int_equal(ermes__exact_round(&a, 1, ERMES__ROUND_HALF_UP, &v), 0);
    assert_int_equal(v, 86);
    assert_int_equal(ermes__exact_round(&a, 1, ERMES__ROUND_FLOOR, &v), 0);
    assert_int_equal(v, 85);
    /* (0.56 - 0.02)^15 keeps all its 30 decimals: compare with a known product. */
    ermes__exact_set(&a, 54, 2);
    assert_int_equal(ermes__exact_pow(&r, &a, 15), 0);
    assert_int_equal(r.scale, 30);
    assert_int_equal(ermes__exact_round(&r, 8, ERMES__ROUND_FLOOR, &v), 0);
    assert_int_equal(v, 9680); /* 0.54^15 = 0.0000968...*/
    /* Signs: 0.2 - 0.5 = -0.3 */
    ermes__exact_set(&a, 2, 1);
    ermes__exact_set(&b, 5, 1);
    assert_int_equal(ermes__exact_sub(&r, &a, &b), 0);
    assert_true(r.neg);
    ermes__exact_set(&a, -3, 1);
    assert_int_equal(ermes__exact_cmp(&r, &a), 0);
    assert_int_equal(ermes__exact_round(&r, 1, ERMES__ROUND_FLOOR, &v), ERMES_ERANGE);
}

static int score(const char *vector, ermes_cvss_scores_t *s)
{
    ermes_cvss_t v;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes_cvss_parse(vector, strlen(vector), &v, &d))
        return -1;
    return ermes_cvss_score(&v, s);
}

static void test_known_scores(void **state)
{
    ermes_cvss_scores_t s;

    (void)state;
    assert_int_equal(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", &s), 0);
    assert_int_equal(s.base, 98);
    assert_int_equal(s.temporal, -1);
    assert_int_equal(s.environmental, -1);
    assert_int_equal(score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:L/A:H/E:F/RL:U/RC:R", &s), 0);
    assert_int_equal(s.base, 99);
    assert_int_equal(s.temporal, 93);
    assert_int_equal(score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:N/RL:U/RC:U", &s), 0);
    assert_int_equal(s.base, 100);
    assert_int_equal(s.temporal, 92); /* exact: 10.0 x 0.92 */
    assert_int_equal(score("AV:N/AC:L/Au:N/C:C/I:C/A:C/E:F/RL:OF/RC:C", &s), 0);
    assert_int_equal(s.base, 100);
    assert_int_equal(s.temporal, 83);
    assert_int_equal(score("(AV:N/AC:M/Au:N/C:C/I:C/A:P/RL:ND/RC:UR)", &s), 0);
    assert_int_equal(s.temporal, 86); /* 9.0 x 0.95 = 8.55, half up */
    assert_int_equal(
        score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", &s), 0);
    assert_int_equal(s.base, 93);
    assert_int_equal(s.temporal, 81);
    assert_int_equal(score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", &s),
                     0);
    assert_int_equal(s.base, 0);
    assert_string_equal(ermes_cvss_severity(ERMES_CVSS_V31, 0), "NONE");
    assert_string_equal(ermes_cvss_severity(ERMES_CVSS_V31, 90), "CRITICAL");
    assert_string_equal(ermes_cvss_severity(ERMES_CVSS_V2, 69), "MEDIUM");
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *vector, *field, *reason;
        long column;
    } bad[] = {
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q", "A", "no value \"Q\"", 44},
        {"CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV", "twice", 15},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "A", "missing", 0},
        {"CVSS:3.1/AV:N//AC:L", "vector", "empty metric", 15},
        {"CVSS:3.1/AVN", "vector", "not METRIC:VALUE", 10},
        {"CVSS:5.0/AV:N", "version", "unknown CVSS version", 6},
        {"", "version", "not a CVSS vector", 1},
    };
    ermes_cvss_t v;
    ermes_diag_t d;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        ermes_diag_clear(&d);
        assert_int_equal(ermes_cvss_parse(bad[i].vector, strlen(bad[i].vector), &v, &d),
                         ERMES_EPARSE);
        assert_string_equal(d.field, bad[i].field);
        assert_non_null(strstr(d.reason, bad[i].reason));
        if (bad[i].column)
            assert_int_equal(d.column, bad[i].column);
    }
}

static void test_format_round_trip(void **state)
{
    const char *in = "CVSS:4.0/SA:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/MSI:S";
    ermes_cvss_t v;
    char buf[ERMES_CVSS_MAX_VECTOR];

    (void)state;
    assert_int_equal(ermes_cvss_parse(in, strlen(in), &v, NULL), 0);
    assert_true(ermes_cvss_format(&v, buf, sizeof(buf)) > 0);
    assert_string_equal(buf,
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSI:S");
    assert_string_equal(ermes_cvss_metric(&v, "MSI"), "S");
    assert_null(ermes_cvss_metric(&v, "E"));
    assert_int_equal(ermes_cvss_format(&v, buf, 10), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_rounding),
        cmocka_unit_test(test_known_scores),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_format_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
