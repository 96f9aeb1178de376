/* Tests of what the HTTP layer reads from a request without its connection (src/http/reply.c,
 * report_form.c and the body readers of the handlers): the same inputs the fuzz targets
 * fuzz_http_query, fuzz_http_multipart and fuzz_http_bodies start from, with the answers the
 * handlers must keep giving. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "access/login_guard.h"
#include "http/http.h"
#include "http/report_form.h"

static void test_page(void **state)
{
    ermes_diag_t d;
    int64_t cursor = -1;
    long limit = -1;

    (void)state;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__page_parse(NULL, NULL, 500, &limit, &cursor, &d), 0);
    assert_int_equal(limit, 100);
    assert_int_equal(cursor, 0);
    assert_int_equal(ermes__page_parse("7", "c42", 500, &limit, &cursor, &d), 0);
    assert_int_equal(limit, 7);
    assert_int_equal(cursor, 42);
    assert_int_equal(ermes__page_parse("501", NULL, 500, &limit, &cursor, &d), ERMES_ERANGE);
    assert_string_equal(d.field, "limit");
    ermes_diag_clear(&d);
    assert_int_equal(ermes__page_parse("5", "c9223372036854775808", 500, &limit, &cursor, &d),
                     ERMES_EPARSE);
    assert_string_equal(d.field, "cursor");
    assert_string_equal(d.reason, "cursor is not one this server gave out");
    assert_int_equal(cursor, 0);
    assert_int_equal(ermes__cursor_parse("", &cursor, NULL), 0);
    assert_int_equal(ermes__cursor_parse("12", &cursor, NULL), ERMES_EPARSE);
    assert_int_equal(ermes__query_int_parse(NULL, "user", 1, 9, &cursor, NULL), 0);
    assert_int_equal(ermes__query_int_parse("0", "user", 1, 9, &cursor, NULL), ERMES_ERANGE);
}

typedef struct sink {
    size_t bytes;
} sink_t;

static int sink_begin(void *arg, ermes_diag_t *d)
{
    (void)arg;
    (void)d;
    return 0;
}

static int sink_write(void *arg, const char *data, size_t size, ermes_diag_t *d)
{
    (void)data;
    (void)d;
    ((sink_t *)arg)->bytes += size;
    return 0;
}

static void test_form(void **state)
{
    ermes__report_form_t *f = calloc(1, sizeof(*f));
    sink_t s = {0};
    const ermes__form_sink_t sink = {sink_begin, sink_write, &s};
    const char *options[] = {"delimiter=,", NULL}, *bad[] = {"=x", NULL};
    ermes_diag_t d;

    (void)state;
    assert_non_null(f);
    ermes_diag_clear(&d);
    /* libmicrohttpd's empty first call, then the data in two pieces: one file. */
    assert_int_equal(ermes__report_form_field(f, &sink, "file", "r.txt", "", 0, 0, &d), 0);
    assert_int_equal(ermes__report_form_field(f, &sink, "file", "r.txt", "ab", 0, 2, &d), 0);
    assert_int_equal(ermes__report_form_field(f, &sink, "file", "r.txt", "cd", 2, 2, &d), 0);
    assert_int_equal(s.bytes, 4);
    assert_string_equal(f->file_name, "r.txt");
    assert_int_equal(ermes__report_form_field(f, &sink, "feed", NULL, "data", 0, 4, &d), 0);
    assert_int_equal(ermes__report_form_field(f, &sink, "feed", NULL, "plane", 4, 5, &d), 0);
    assert_string_equal(f->feed, "dataplane");
    assert_int_equal(ermes__report_form_check(f, options, 0, &d), 0);
    assert_int_equal(ermes__report_form_check(f, bad, 0, &d), 422);
    /* A second file part, after another field: refused, nothing more written. */
    assert_int_equal(ermes__report_form_field(f, &sink, "file", "s.txt", "ef", 0, 2, &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "file");
    assert_int_equal(s.bytes, 4);
    assert_int_equal(ermes__report_form_field(f, &sink, "other", NULL, "x", 0, 1, &d),
                     ERMES_EINVAL);
    free(f);
}

static json_t *json(const char *text)
{
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

    assert_non_null(j);
    return j;
}

static void test_bodies(void **state)
{
    ermes__login_job_t *job = calloc(1, sizeof(*job));
    ermes_indicator_t ind;
    ermes__ind_text_t t;
    char longpw[ERMES_PASSWORD_MAX + 2];
    const char *desc = NULL;
    unsigned has;
    long days = 0;
    ermes_diag_t d;
    json_t *j;

    (void)state;
    assert_non_null(job);
    ermes_diag_clear(&d);
    j = json("{\"description\":\"ci\",\"expires_in_days\":30}");
    assert_int_equal(ermes__token_body_read(j, &desc, &days, &d), 0);
    assert_string_equal(desc, "ci");
    assert_int_equal(days, 30);
    json_decref(j);
    j = json("{\"expires_in_days\":0}");
    assert_int_equal(ermes__token_body_read(j, &desc, &days, &d), ERMES_EINVAL);
    assert_string_equal(d.field, "expires_in_days");
    json_decref(j);

    ermes_diag_clear(&d);
    memset(longpw, 'p', sizeof(longpw) - 1);
    longpw[sizeof(longpw) - 1] = '\0';
    j = json_pack("{s:s,s:s,s:n}", "username", "alice", "password", longpw, "totp");
    assert_int_equal(ermes__login_body_check(j, &d), 0);
    ermes__login_body_read(j, job);
    assert_string_equal(job->name, "alice");
    assert_string_equal(job->password, ""); /* too long: checked as a wrong one */
    json_decref(j);
    j = json("{\"username\":\"alice\",\"password\":\"x\",\"recovery_code\":5}");
    assert_int_equal(ermes__login_body_check(j, &d), ERMES_EINVAL);
    assert_string_equal(d.field, "recovery_code");
    json_decref(j);

    ermes_indicator_init(&ind);
    t.tags[0] = '\0';
    j = json("{\"confidence\":50,\"tags\":[\"a\"]}");
    assert_int_equal(ermes__indicator_from_json(j, 1, &ind, &t, &has, &d), 0);
    assert_int_equal(has, ERMES_IND_UPD_CONFIDENCE | ERMES_IND_UPD_TAGS);
    assert_int_equal(ermes__indicator_from_json(j, 0, &ind, &t, &has, &d), ERMES_EINVAL);
    assert_string_equal(d.field, "value");
    json_decref(j);
    free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_bodies),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
