/* Tests of the web UI's pure rules (src/http/static.c) and the login lock-out rule
 * (src/access/session.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "access/access.h"
#include "http/http.h"
#include "http/static.h"

static void test_types(void **state)
{
    (void)state;
    assert_string_equal(ermes__static_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(ermes__static_type("js/app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(ermes__static_type("app.CSS"), "text/css; charset=utf-8");
    assert_string_equal(ermes__static_type("a/logo.svg"), "image/svg+xml");
    assert_string_equal(ermes__static_type("logo.png"), "image/png");
    assert_string_equal(ermes__static_type("x.json"), "application/json");
    assert_string_equal(ermes__static_type("f.woff2"), "font/woff2");
    assert_string_equal(ermes__static_type("favicon.ico"), "image/x-icon");
    /* The extension is the last segment's: a dot in a directory name is none. */
    assert_string_equal(ermes__static_type("v1.2/README"), "application/octet-stream");
    assert_string_equal(ermes__static_type("archive.tar.gz"), "application/octet-stream");
    assert_string_equal(ermes__static_type(""), "application/octet-stream");
}

static void test_etag_match(void **state)
{
    const char *e = "\"abc\"";

    (void)state;
    assert_true(ermes__static_etag_match("\"abc\"", e));
    assert_true(ermes__static_etag_match("W/\"abc\"", e));
    assert_true(ermes__static_etag_match("\"x\", \"abc\"", e));
    assert_true(ermes__static_etag_match("\"x\",W/\"abc\"", e));
    assert_true(ermes__static_etag_match("*", e));
    assert_false(ermes__static_etag_match(NULL, e));
    assert_false(ermes__static_etag_match("", e));
    assert_false(ermes__static_etag_match("\"abcd\"", e));
    assert_false(ermes__static_etag_match("\"ab\"", e));
    assert_false(ermes__static_etag_match("abc", e));
    assert_false(ermes__static_etag_match("\"abc", e)); /* unterminated */
    assert_false(ermes__static_etag_match("\"x\", abc", e));
}

static void test_ui_paths(void **state)
{
    (void)state;
    assert_true(ermes__static_is_ui_path("/"));
    assert_true(ermes__static_is_ui_path("/events/42"));
    assert_true(ermes__static_is_ui_path("/apis"));
    assert_true(ermes__static_is_ui_path("/healthzone"));
    assert_false(ermes__static_is_ui_path("/api"));
    assert_false(ermes__static_is_ui_path("/api/"));
    assert_false(ermes__static_is_ui_path("/api/v1/nope"));
    assert_false(ermes__static_is_ui_path("/healthz"));
    assert_false(ermes__static_is_ui_path("/metrics"));
    assert_false(ermes__static_is_ui_path("/metrics/x"));
    assert_false(ermes__static_is_ui_path("events"));
}

static void test_path_ok(void **state)
{
    (void)state;
    assert_true(ermes__static_path_ok("/"));
    assert_true(ermes__static_path_ok("/js/app.js"));
    assert_true(ermes__static_path_ok("/events/42"));
    assert_true(ermes__static_path_ok("/a..b/c"));
    assert_true(ermes__static_path_ok("//js//app.js"));
    assert_false(ermes__static_path_ok("/.."));
    assert_false(ermes__static_path_ok("/../etc/passwd"));
    assert_false(ermes__static_path_ok("/js/../../x"));
    assert_false(ermes__static_path_ok("/js/.."));
    assert_false(ermes__static_path_ok("/./index.html"));
    assert_false(ermes__static_path_ok("/.git/config"));
    assert_false(ermes__static_path_ok("/a\\..\\b"));
    assert_false(ermes__static_path_ok("/a\tb"));
    assert_false(ermes__static_path_ok("/a\x7f"));
}

static void test_has_extension(void **state)
{
    (void)state;
    assert_true(ermes__static_has_extension("js/app.js"));
    assert_true(ermes__static_has_extension("favicon.ico"));
    assert_false(ermes__static_has_extension("events/42"));
    assert_false(ermes__static_has_extension("v1.2/events"));
    assert_false(ermes__static_has_extension("trailing."));
    assert_false(ermes__static_has_extension(".hidden"));
    assert_false(ermes__static_has_extension(""));
}

static void test_embedded_table(void **state)
{
    int index = 0;

    (void)state;
    /* The build embeds web/, which has an index.html at least; the table is in order. */
    assert_true(ermes__web_files_count >= 1);
    assert_null(ermes__web_files[ermes__web_files_count].path);
    for (size_t k = 0; k < ermes__web_files_count; k++) {
        const ermes__web_file_t *f = &ermes__web_files[k];
        assert_non_null(f->path);
        assert_int_equal(strlen(f->etag), 34);
        assert_int_equal(f->data[f->len], 0);
        index |= strcmp(f->path, "index.html") == 0;
        if (k)
            assert_true(strcmp(ermes__web_files[k - 1].path, f->path) < 0);
    }
    assert_true(index);
}

#define MIN INT64_C(60000)

static void test_lockout(void **state)
{
    int64_t now = INT64_C(1800000000000), left;
    int64_t t[5];

    (void)state;
    /* Four failures never lock. */
    for (int k = 0; k < 5; k++)
        t[k] = now - k * 1000;
    assert_false(ermes__login_locked(t, 4, now, &left));
    assert_int_equal(left, 0);
    /* Five within 15 minutes lock for 15 minutes after the newest. */
    assert_true(ermes__login_locked(t, 5, now, &left));
    assert_int_equal(left, 15 * MIN);
    assert_true(ermes__login_locked(t, 5, now + 15 * MIN - 1, &left));
    assert_int_equal(left, 1);
    assert_false(ermes__login_locked(t, 5, now + 15 * MIN, &left));
    /* Five spread over more than 15 minutes do not. */
    t[4] = now - 15 * MIN - 1;
    assert_false(ermes__login_locked(t, 5, now, &left));
    t[4] = now - 15 * MIN;
    assert_true(ermes__login_locked(t, 5, now + MIN, &left));
    assert_int_equal(left, 14 * MIN);
}

#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static void test_feed_stale(void **state)
{
    int64_t now = INT64_C(1800000000000), usual;
    int64_t hourly[4] = {now - 3 * DAY, now - 3 * DAY - HOUR, now - 3 * DAY - 2 * HOUR,
                         now - 3 * DAY - 3 * HOUR};
    int64_t weekly[3] = {now - 13 * DAY, now - 20 * DAY, now - 27 * DAY};
    int64_t odd[4] = {now - 2 * HOUR, now - 3 * HOUR, now - 13 * HOUR, now - 14 * HOUR};

    (void)state;
    /* Hourly, silent for three days: stale, though twice an hour is less than the day floor. */
    assert_true(ermes__feed_stale(hourly, 4, now, 2, &usual));
    assert_int_equal(usual, HOUR);
    /* Within a day of the last report nothing is stale. */
    assert_false(ermes__feed_stale(hourly, 4, hourly[0] + DAY, 2, &usual));
    assert_true(ermes__feed_stale(hourly, 4, hourly[0] + DAY + 1, 2, &usual));
    /* Weekly, 13 days since: not yet twice the week; 15 days: stale. */
    assert_false(ermes__feed_stale(weekly, 3, now, 2, &usual));
    assert_int_equal(usual, 7 * DAY);
    assert_true(ermes__feed_stale(weekly, 3, now + 2 * DAY, 2, &usual));
    assert_false(ermes__feed_stale(weekly, 3, now + 2 * DAY, 3, &usual));
    /* The median of an even count of intervals (1 h, 10 h, 1 h): 1 h. */
    assert_false(ermes__feed_stale(odd, 4, now, 2, &usual));
    assert_int_equal(usual, HOUR);
    /* Fewer than three reports: never stale. */
    assert_false(ermes__feed_stale(weekly, 2, now + 100 * DAY, 2, &usual));
    assert_false(ermes__feed_stale(weekly, 0, now, 2, &usual));
}

/* Who may call which route (router.c): a sensor exactly the three routes flagged for it,
 * whatever else they say; the others by the staff and admin flags. */
static void test_route_roles(void **state)
{
    ermes__viewer_t sensor = {9, "s1", ERMES_ROLE_SENSOR, 1, "test"};
    ermes__viewer_t analyst = {8, "a1", ERMES_ROLE_ANALYST, 1, "test"};
    ermes__viewer_t constituent = {7, "c1", ERMES_ROLE_CONSTITUENT, 2, "test"};
    ermes__viewer_t admin = {6, "root", ERMES_ROLE_ADMIN, 1, "test"};
    int nsensor = 0, nroutes = 0;

    (void)state;
    for (const ermes__route_t *r = ermes__routes; r->method; r++) {
        int for_sensor = (!strcmp(r->method, "POST") && !strcmp(r->pattern, "/api/v1/logs")) ||
                         (!strcmp(r->method, "GET") && !strcmp(r->pattern, "/api/v1/me")) ||
                         (!strcmp(r->method, "GET") && !strcmp(r->pattern, "/healthz"));
        nroutes++;
        assert_int_equal(ermes__route_allows(r, &sensor), for_sensor);
        nsensor += for_sensor;
        assert_true(ermes__route_allows(r, &admin));
        assert_int_equal(ermes__route_allows(r, &analyst), !(r->flags & ERMES_ROUTE_ADMIN));
        assert_int_equal(ermes__route_allows(r, &constituent),
                         !(r->flags & (ERMES_ROUTE_ADMIN | ERMES_ROUTE_STAFF)));
    }
    assert_int_equal(nsensor, 3);
    assert_true(nroutes > 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),         cmocka_unit_test(test_etag_match),
        cmocka_unit_test(test_ui_paths),      cmocka_unit_test(test_path_ok),
        cmocka_unit_test(test_has_extension), cmocka_unit_test(test_embedded_table),
        cmocka_unit_test(test_lockout),       cmocka_unit_test(test_feed_stale),
        cmocka_unit_test(test_route_roles),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
