/* Tests of CPE 2.3 names (src/advisories/cpe.c: NISTIR 7695 unbinding, NISTIR 7696 matching,
 * with the specification's examples) and package URLs (src/advisories/purl.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ermes/cpe.h"

static ermes_cpe_t cpe(const char *s)
{
    ermes_cpe_t c;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes_cpe_parse(s, strlen(s), &c, &d) != 0)
        fail_msg("%s: %s", s, d.reason);
    return c;
}

static void test_parse_formatted_string(void **state)
{
    ermes_cpe_t c = cpe("cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*");
    char buf[256];

    (void)state;
    assert_int_equal(c.kind[ERMES_CPE_PART], ERMES_CPE_STRING);
    assert_string_equal(ermes_cpe_value(&c, ERMES_CPE_VENDOR), "microsoft");
    assert_string_equal(ermes_cpe_value(&c, ERMES_CPE_VERSION), "8\\.0\\.6001");
    assert_int_equal(c.kind[ERMES_CPE_EDITION], ERMES_CPE_ANY);
    assert_true(ermes_cpe_format(&c, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*");
    c = cpe("cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*");
    assert_int_equal(c.kind[ERMES_CPE_UPDATE], ERMES_CPE_NA);
    assert_string_equal(ermes_cpe_value(&c, ERMES_CPE_TARGET_HW), "x64");
    c = cpe("cpe:2.3:a:foo\\\\bar:big\\$money_2010:*:*:*:*:special:ipod_touch:80gb:*");
    assert_string_equal(ermes_cpe_value(&c, ERMES_CPE_VENDOR), "foo\\\\bar");
    assert_string_equal(ermes_cpe_value(&c, ERMES_CPE_PRODUCT), "big\\$money_2010");
    c = cpe("cpe:2.3:a:vendor:product:1.*:*:*:*:*:*:*:*");
    assert_string_equal(ermes_cpe_value(&c, ERMES_CPE_VERSION), "1\\.*");
}

/* Found by fuzz_cpe: a quoted letter or '_' is the same value as the plain one, and a value
 * that is a lone quoted hyphen must not format to "-" (NA). */
static void test_canonical_values(void **state)
{
    ermes_cpe_t a = cpe("cpe:2.3:a:big\\_money:\\a:*:*:*:*:*:*:*:*");
    ermes_cpe_t b = cpe("cpe:2.3:a:big_money:a:*:*:*:*:*:*:*:*");
    ermes_cpe_t h = cpe("cpe:2.3:a:vendor:\\-:1:*:*:*:*:*:*:*");
    char buf[256];

    (void)state;
    assert_int_equal(ermes_cpe_compare(&a, &b), ERMES_CPE_EQUAL);
    assert_string_equal(ermes_cpe_value(&h, ERMES_CPE_PRODUCT), "\\-");
    assert_true(ermes_cpe_format(&h, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "cpe:2.3:a:vendor:\\-:1:*:*:*:*:*:*:*");
}

static void test_parse_uri(void **state)
{
    ermes_cpe_t c = cpe("cpe:/a:microsoft:internet_explorer:8.0.6001:beta");
    ermes_cpe_t p = cpe("cpe:/a:hp:insight_diagnostics:7.4.0.1570::~~online~win2003~x64~");

    (void)state;
    assert_string_equal(ermes_cpe_value(&c, ERMES_CPE_UPDATE), "beta");
    assert_int_equal(c.kind[ERMES_CPE_LANGUAGE], ERMES_CPE_ANY);
    assert_int_equal(p.kind[ERMES_CPE_UPDATE], ERMES_CPE_ANY);
    assert_string_equal(ermes_cpe_value(&p, ERMES_CPE_SW_EDITION), "online");
    assert_string_equal(ermes_cpe_value(&p, ERMES_CPE_TARGET_HW), "x64");
    assert_int_equal(p.kind[ERMES_CPE_OTHER], ERMES_CPE_ANY);
}

static void test_parse_errors(void **state)
{
    static const char *const bad[] = {
        "cpe:2.3:a:vendor:product",                       /* too few */
        "cpe:2.3:x:vendor:product:1:*:*:*:*:*:*:*",       /* part */
        "cpe:2.3:a:ven*dor:product:1:*:*:*:*:*:*:*",      /* inner wildcard */
        "cpe:2.3:a:vendor:product:1:*:*:*:*:*:*:*:extra", /* too many */
        "cpe:2.3:a:vendor::1:*:*:*:*:*:*:*",              /* empty */
        "cpe:/a:vendor:product:%zz",                      /* bad encoding */
        "product",
    };
    ermes_cpe_t c;
    ermes_diag_t d;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        ermes_diag_clear(&d);
        assert_int_equal(ermes_cpe_parse(bad[i], strlen(bad[i]), &c, &d), ERMES_EPARSE);
        assert_true(d.reason[0] != '\0');
    }

    /* 1,000 bytes of URI whose values need quoting: 1,900 bytes as a formatted string,
     * which no parser of ours would read back, so the name is refused (found by fuzz_cpe). */
    char uri[1001];
    memcpy(uri, "cpe:/a:hp", 9);
    memset(uri + 9, '#', sizeof(uri) - 10);
    uri[sizeof(uri) - 1] = '\0';
    ermes_diag_clear(&d);
    assert_int_equal(ermes_cpe_parse(uri, strlen(uri), &c, &d), ERMES_EPARSE);
    assert_non_null(strstr(d.reason, "formatted string"));
    ermes_diag_clear(&d);
    assert_int_equal(ermes_cpe_parse(uri, 400, &c, &d), 0);
}

static void test_matching(void **state)
{
    ermes_cpe_t any_ie = cpe("cpe:2.3:a:microsoft:internet_explorer:*:*:*:*:*:*:*:*");
    ermes_cpe_t ie8 = cpe("cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*");
    ermes_cpe_t ie8b = cpe("cpe:2.3:a:Microsoft:Internet_Explorer:8.0.6001:beta:*:*:*:*:*:*");
    ermes_cpe_t ie8x = cpe("cpe:2.3:a:microsoft:internet_explorer:8.*:*:*:*:*:*:*:*");
    ermes_cpe_t ie7 = cpe("cpe:2.3:a:microsoft:internet_explorer:7.0:*:*:*:*:*:*:*");
    ermes_cpe_t na = cpe("cpe:2.3:a:microsoft:internet_explorer:8.0.6001:-:*:*:*:*:*:*");
    ermes_cpe_t q = cpe("cpe:2.3:a:microsoft:internet_explorer:8.0.600?:*:*:*:*:*:*:*");

    (void)state;
    assert_int_equal(ermes_cpe_compare(&any_ie, &ie8), ERMES_CPE_SUPERSET);
    assert_int_equal(ermes_cpe_compare(&ie8, &any_ie), ERMES_CPE_SUBSET);
    assert_int_equal(ermes_cpe_compare(&ie8, &ie8b), ERMES_CPE_EQUAL);
    assert_int_equal(ermes_cpe_compare(&ie8x, &ie8), ERMES_CPE_SUPERSET);
    assert_int_equal(ermes_cpe_compare(&ie8x, &ie7), ERMES_CPE_DISJOINT);
    assert_int_equal(ermes_cpe_compare(&ie8, &ie7), ERMES_CPE_DISJOINT);
    assert_int_equal(ermes_cpe_compare(&ie8, &ie8x), ERMES_CPE_UNDEFINED);
    assert_int_equal(ermes_cpe_compare(&ie8, &na), ERMES_CPE_DISJOINT);
    assert_int_equal(ermes_cpe_compare(&any_ie, &na), ERMES_CPE_SUPERSET);
    assert_int_equal(ermes_cpe_compare(&q, &ie8), ERMES_CPE_SUPERSET);
    assert_true(ermes_cpe_matches(&any_ie, &ie8));
    assert_true(ermes_cpe_matches(&ie8, &ie8b));
    assert_false(ermes_cpe_matches(&ie8, &any_ie));
    /* NISTIR 7696 table 6-2 */
    assert_int_equal(ermes_cpe_compare_attr(ERMES_CPE_ANY, "", ERMES_CPE_NA, ""),
                     ERMES_CPE_SUPERSET);
    assert_int_equal(ermes_cpe_compare_attr(ERMES_CPE_NA, "", ERMES_CPE_ANY, ""), ERMES_CPE_SUBSET);
    assert_int_equal(ermes_cpe_compare_attr(ERMES_CPE_NA, "", ERMES_CPE_NA, ""), ERMES_CPE_EQUAL);
    assert_int_equal(ermes_cpe_compare_attr(ERMES_CPE_STRING, "*bar", ERMES_CPE_STRING, "foobar"),
                     ERMES_CPE_SUPERSET);
    assert_int_equal(ermes_cpe_compare_attr(ERMES_CPE_STRING, "foo*", ERMES_CPE_STRING, "foobar"),
                     ERMES_CPE_SUPERSET);
    assert_int_equal(ermes_cpe_compare_attr(ERMES_CPE_STRING, "??bar", ERMES_CPE_STRING, "foobar"),
                     ERMES_CPE_DISJOINT);
    assert_int_equal(ermes_cpe_compare_attr(ERMES_CPE_STRING, "???bar", ERMES_CPE_STRING, "foobar"),
                     ERMES_CPE_SUPERSET);
    assert_int_equal(ermes_cpe_compare_attr(ERMES_CPE_STRING, "foo", ERMES_CPE_STRING, "*"),
                     ERMES_CPE_UNDEFINED);
}

static void test_purl(void **state)
{
    ermes_purl_t p;
    ermes_diag_t d;
    char buf[512];
    const char *s = "pkg:NPM/%40angular/animation@12.3.1?b=2&A=1&empty=#/lib/x/";

    (void)state;
    assert_int_equal(ermes_purl_parse(s, strlen(s), &p, NULL), 0);
    assert_string_equal(p.type, "npm");
    assert_string_equal(p.namespace_, "@angular");
    assert_string_equal(p.name, "animation");
    assert_string_equal(p.version, "12.3.1");
    assert_string_equal(p.qualifiers, "a=1&b=2");
    assert_string_equal(p.subpath, "lib/x");
    assert_true(ermes_purl_format(&p, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "pkg:npm/%40angular/animation@12.3.1?a=1&b=2#lib/x");
    /* Found by fuzz_purl: a type with '+' stays as it is (it is not percent-encoded). */
    s = "pkg:n+dpm/%20a";
    assert_int_equal(ermes_purl_parse(s, strlen(s), &p, NULL), 0);
    assert_true(ermes_purl_format(&p, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "pkg:n+dpm/%20a");
    /* Found by fuzz_purl: a qualifier key of any length is kept whole. */
    s = "pkg:generic/x?a_qualifier_key_longer_than_sixty_four_characters_is_still_one_key_x=1&b=2";
    assert_int_equal(ermes_purl_parse(s, strlen(s), &p, NULL), 0);
    assert_string_equal(
        p.qualifiers, "a_qualifier_key_longer_than_sixty_four_characters_is_still_one_key_x=1&b=2");
    s = "pkg:generic/x?k=a%26b";
    assert_int_equal(ermes_purl_parse(s, strlen(s), &p, NULL), 0);
    assert_string_equal(p.qualifiers, "k=a%26b");
    static const char *const bad[] = {"npm/x",        "pkg:/x",       "pkg:npm/",
                                      "pkg:npm/x%zz", "pkg:1npm/x",   "pkg:npm/x?a=1&A=2",
                                      "pkg:npm/x@",   "pkg:npm/x?=1", NULL};
    for (int i = 0; bad[i]; i++) {
        ermes_diag_clear(&d);
        assert_int_equal(ermes_purl_parse(bad[i], strlen(bad[i]), &p, &d), ERMES_EPARSE);
        assert_true(d.reason[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_formatted_string),
        cmocka_unit_test(test_canonical_values),
        cmocka_unit_test(test_parse_uri),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_purl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
