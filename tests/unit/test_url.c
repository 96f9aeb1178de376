/* Tests of URLs without their credentials (src/core/url.c): what is shown and what is kept as
 * a source's name must hold no password or key, yet two sources must keep two names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/url.h"
#include "ermes/error.h"

static void check_shown(const char *url, const char *want, int cut)
{
    char out[256];

    assert_int_equal(ermes__url_shown(url, out, sizeof(out)), cut);
    assert_string_equal(out, want);
}

static void test_url_shown(void **state)
{
    (void)state;
    check_shown("https://feeds.example.org/misp/", "https://feeds.example.org/misp/", 0);
    check_shown("https://user:s3cret@feeds.example.org/misp", "https://feeds.example.org/misp", 1);
    /* A password holding '@': the last one before the path ends the user information. */
    check_shown("https://u:p@ss@h.example:8443/x?y", "https://h.example:8443/x", 1);
    check_shown("http://h.example/feed?apikey=KEY#frag", "http://h.example/feed", 1);
    check_shown("http://h.example#frag", "http://h.example", 1);
    /* An '@' in the path is not user information. */
    check_shown("http://h.example/a@b", "http://h.example/a@b", 0);
    check_shown("/var/lib/feeds/misp", "/var/lib/feeds/misp", 0);
    check_shown("", "", 0);
}

static void test_url_shown_cut(void **state)
{
    char out[12];

    (void)state;
    assert_int_equal(ermes__url_shown("https://user:pw@host.example/path", out, sizeof(out)), 1);
    assert_string_equal(out, "https://hos");
}

static void test_url_key(void **state)
{
    char a[256], b[256], c[256];

    (void)state;
    assert_int_equal(ermes__url_key("https://h.example/feed", a, sizeof(a)), 0);
    assert_string_equal(a, "https://h.example/feed");
    assert_int_equal(ermes__url_key("https://alice:TOKEN1@h.example/feed", a, sizeof(a)), 0);
    assert_int_equal(ermes__url_key("https://bob:TOKEN2@h.example/feed", b, sizeof(b)), 0);
    assert_int_equal(ermes__url_key("https://alice:TOKEN1@h.example/feed", c, sizeof(c)), 0);
    assert_null(strstr(a, "TOKEN1"));
    assert_null(strstr(a, "alice"));
    assert_int_equal(strncmp(a, "https://h.example/feed#", 23), 0);
    assert_int_equal(strlen(a), 23 + 16);
    assert_string_not_equal(a, b); /* two subscriptions, two names */
    assert_string_equal(a, c);     /* the same one, the same name on every run */
    assert_int_equal(ermes__url_key("https://h.example/feed?key=K", b, sizeof(b)), 0);
    assert_null(strstr(b, "key=K"));
    /* Too long to name: an error, never a cut name that could be another source's. */
    assert_int_equal(ermes__url_key("https://h.example/feed", a, 10), ERMES_ERANGE);
    assert_int_equal(ermes__url_key("https://u:p@h.example/feed", a, 30), ERMES_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_shown),
        cmocka_unit_test(test_url_shown_cut),
        cmocka_unit_test(test_url_key),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
