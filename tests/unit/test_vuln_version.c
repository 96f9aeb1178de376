/* Tests of version comparison and the version ranges of vulnerability data
 * (src/advisories/version.c): the CVE JSON 5 version-status algorithm with the examples of the
 * schema's docs/versions.md, NVD API 2.0 versionStart/versionEnd bounds with NVD's own examples
 * (CVE-2021-44228's log4j-core criteria), Semantic Versioning 2.0.0 section 11's ordering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ermes/vuln.h"

#define A ERMES_VSTATUS_AFFECTED
#define U ERMES_VSTATUS_UNAFFECTED
#define K ERMES_VSTATUS_UNKNOWN

static void test_generic_order(void **state)
{
    /* Each version is below the next. */
    static const char *const order[] = {"0.9", "1.0rc1", "1.0", "1.0.1",   "1.0.2a", "1.0.10",
                                        "1.2", "1.10",   "2.0", "2.0.0.1", "10.0",   "2.*"};
    (void)state;
    for (size_t i = 0; i + 1 < sizeof(order) / sizeof(order[0]) - 1; i++) {
        assert_true(ermes_version_compare(order[i], order[i + 1], NULL) < 0);
        assert_true(ermes_version_compare(order[i + 1], order[i], NULL) > 0);
    }
    assert_int_equal(ermes_version_compare("1.0", "1.0", NULL), 0);
    assert_int_equal(ermes_version_compare("1.00", "1.0", NULL), 0);
    assert_int_equal(ermes_version_compare("1.0-A", "1.0.a", NULL), 0);
    /* "2.*" is above every 2.x and below 3. */
    assert_true(ermes_version_compare("2.99.99", "2.*", NULL) < 0);
    assert_true(ermes_version_compare("3.0", "2.*", NULL) > 0);
    assert_true(ermes_version_compare("99", "*", NULL) < 0);
}

static void test_semver_order(void **state)
{
    /* Semantic Versioning 2.0.0 section 11.4's example, lowest first. */
    static const char *const order[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                        "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                        "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                                        "1.1.0",       "2.0.0",         "10.0.0"};
    (void)state;
    for (size_t i = 0; i + 1 < sizeof(order) / sizeof(order[0]); i++)
        assert_true(ermes_version_compare(order[i], order[i + 1], "semver") < 0);
    /* Build metadata does not count (section 10). */
    assert_int_equal(ermes_version_compare("1.0.0+20130313144700", "1.0.0", "semver"), 0);
    assert_int_equal(ermes_version_compare("v1.2.3", "1.2.3", "semver"), 0);
}

static void test_cve5_single_versions(void **state)
{
    /* versions.md: "defaultStatus": "unaffected", one affected version. */
    ermes_vrange_t v[] = {{.version = "1.2.3", .status = A}};
    (void)state;
    assert_int_equal(ermes_cve5_version_status(v, 1, U, "1.2.3"), A);
    assert_int_equal(ermes_cve5_version_status(v, 1, U, "1.2.4"), U);
    /* No defaultStatus: unknown. */
    assert_int_equal(ermes_cve5_version_status(v, 1, K, "1.2.2"), K);
}

static void test_cve5_ranges(void **state)
{
    /* versions.md: affected from 1.0.0 up to but not including 1.0.6, semver. */
    ermes_vrange_t lt[] = {
        {.version = "1.0.0", .less_than = "1.0.6", .version_type = "semver", .status = A}};
    /* "0" as the start: no lower bound; lessThanOrEqual. */
    ermes_vrange_t le[] = {
        {.version = "0", .less_than_or_equal = "2.4.1", .version_type = "custom-ish", .status = A}};
    (void)state;
    assert_int_equal(ermes_cve5_version_status(lt, 1, U, "1.0.0"), A);
    assert_int_equal(ermes_cve5_version_status(lt, 1, U, "1.0.5"), A);
    assert_int_equal(ermes_cve5_version_status(lt, 1, U, "1.0.6"), U);
    assert_int_equal(ermes_cve5_version_status(lt, 1, U, "0.9.9"), U);
    assert_int_equal(ermes_cve5_version_status(lt, 1, U, "1.0.6-rc.1"), A);
    assert_int_equal(ermes_cve5_version_status(le, 1, U, "0.1"), A);
    assert_int_equal(ermes_cve5_version_status(le, 1, U, "2.4.1"), A);
    assert_int_equal(ermes_cve5_version_status(le, 1, U, "2.4.2"), U);
}

static void test_cve5_changes(void **state)
{
    /* versions.md: the 1.x and 2.x series are affected until fixes in 1.0.6 and 2.0.4 (each
     * range's upper bound "N.*" covers its series); the changes are written out of order in
     * the second to show that ascending order of "at" counts, not the order written. */
    ermes_vchange_t c1[] = {{"1.0.6", U}};
    ermes_vchange_t c2[] = {{"2.0.9", A}, {"2.0.4", U}};
    ermes_vrange_t v[] = {
        {.version = "1.0",
         .less_than = "1.*",
         .version_type = "generic",
         .status = A,
         .changes = c1,
         .nchanges = 1},
        {.version = "2.0",
         .less_than = "2.*",
         .version_type = "generic",
         .status = A,
         .changes = c2,
         .nchanges = 2},
    };
    (void)state;
    assert_int_equal(ermes_cve5_version_status(v, 2, U, "1.0.5"), A);
    assert_int_equal(ermes_cve5_version_status(v, 2, U, "1.0.6"), U);
    assert_int_equal(ermes_cve5_version_status(v, 2, U, "1.9"), U);
    assert_int_equal(ermes_cve5_version_status(v, 2, U, "2.0.3"), A);
    assert_int_equal(ermes_cve5_version_status(v, 2, U, "2.0.4"), U);
    assert_int_equal(ermes_cve5_version_status(v, 2, U, "2.0.8"), U);
    assert_int_equal(ermes_cve5_version_status(v, 2, U, "2.0.9"), A);
    assert_int_equal(ermes_cve5_version_status(v, 2, K, "3.0"), K);
    assert_int_equal(ermes_cve5_version_status(v, 2, K, "0.9"), K);
}

static void test_cve5_first_match_wins(void **state)
{
    /* The first entry that matches decides, even when a later one says otherwise. */
    ermes_vrange_t v[] = {
        {.version = "5.1", .status = U},
        {.version = "5.0", .less_than = "6.0", .version_type = "generic", .status = A},
        {.version = "abc123", .less_than = "def456", .version_type = "git", .status = A},
    };
    (void)state;
    assert_int_equal(ermes_cve5_version_status(v, 3, K, "5.1"), U);
    assert_int_equal(ermes_cve5_version_status(v, 3, K, "5.2"), A);
    /* A git range cannot be evaluated. */
    assert_int_equal(ermes_cve5_version_status(v, 3, K, "abc200"), K);
}

static void test_nvd_ranges(void **state)
{
    (void)state;
    /* CVE-2021-44228, cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:* with versionStartIncluding
     * 2.13.0 and versionEndExcluding 2.15.0. */
    assert_true(ermes_nvd_version_in_range("2.14.1", "2.13.0", NULL, NULL, "2.15.0"));
    assert_true(ermes_nvd_version_in_range("2.13.0", "2.13.0", NULL, NULL, "2.15.0"));
    assert_false(ermes_nvd_version_in_range("2.15.0", "2.13.0", NULL, NULL, "2.15.0"));
    assert_false(ermes_nvd_version_in_range("2.12.4", "2.13.0", NULL, NULL, "2.15.0"));
    /* Excluding start, including end. */
    assert_false(ermes_nvd_version_in_range("1.0", NULL, "1.0", "1.5", NULL));
    assert_true(ermes_nvd_version_in_range("1.0.1", NULL, "1.0", "1.5", NULL));
    assert_true(ermes_nvd_version_in_range("1.5", NULL, "1.0", "1.5", NULL));
    assert_false(ermes_nvd_version_in_range("1.5.1", NULL, "1.0", "1.5", NULL));
    /* Numbers, not text: 2.9 is below 2.10. */
    assert_true(ermes_nvd_version_in_range("2.9", NULL, NULL, NULL, "2.10"));
    /* No bounds: any version; an unknown version only then. */
    assert_true(ermes_nvd_version_in_range("7", NULL, NULL, NULL, NULL));
    assert_true(ermes_nvd_version_in_range(NULL, NULL, NULL, NULL, NULL));
    assert_false(ermes_nvd_version_in_range("*", NULL, NULL, NULL, "2.0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generic_order),        cmocka_unit_test(test_semver_order),
        cmocka_unit_test(test_cve5_single_versions), cmocka_unit_test(test_cve5_ranges),
        cmocka_unit_test(test_cve5_changes),         cmocka_unit_test(test_cve5_first_match_wins),
        cmocka_unit_test(test_nvd_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
