/* Tests of the log readers (src/detect/reader.c, readers/, input.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <zlib.h>

#include "ermes/detect.h"

static ermes_log_reader_t *open_mem(const char *data, size_t len, ermes_log_format_t fmt)
{
    ermes_log_options_t o = {0};
    ermes_log_reader_t *r;
    ermes_diag_t d;

    o.format = fmt;
    assert_int_equal(ermes_log_reader_open_mem(data, len, &o, &r, &d), 0);
    return r;
}

static const ermes_log_field_t *field(const ermes_log_record_t *rec, const char *name)
{
    for (size_t i = 0; i < rec->nfields; i++)
        if (strcmp(rec->fields[i].name, name) == 0)
            return &rec->fields[i];
    return NULL;
}

static void test_eve_fields_and_escapes(void **state)
{
    const char *eve =
        "{\"timestamp\":\"2024-05-01T00:00:00+0000\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0."
        "1\","
        "\"host\":\"s1\",\"dns\":{\"rrname\":\"a\\u0062c.ex\\/"
        "ample\",\"answers\":[{\"rdata\":\"1.2.3.4\"},"
        "{\"rdata\":\"\\ud83d\\ude00.x\"}]}}\n"
        "{\"event_type\":\"http\",\"http\":{\"hostname\":\"h.example\",\"url\":\"/p?q\"}}\n"
        "{\"event_type\":\"dns\",\"dns\":{\"rrname\":\"\\ud800\"}}\n";
    ermes_log_reader_t *r = open_mem(eve, strlen(eve), ERMES_LOG_AUTO);
    ermes_log_record_t rec;
    ermes_diag_t d;
    const ermes_log_field_t *f;

    (void)state;
    assert_int_equal(ermes_log_reader_next(r, &rec, &d), 1);
    assert_int_equal(ermes_log_reader_format(r), ERMES_LOG_EVE);
    f = field(&rec, "dns.rrname");
    assert_non_null(f);
    assert_int_equal(f->len, 12);
    assert_memory_equal(f->value, "abc.ex/ample", 12);
    assert_int_equal(rec.nfields, 4);
    assert_memory_equal(rec.fields[3].value, "\xf0\x9f\x98\x80.x", 6);
    assert_memory_equal(rec.sensor, "s1", 2);
    assert_int_equal(ermes_log_reader_next(r, &rec, &d), 1);
    f = field(&rec, "http.url");
    assert_int_equal(f->len, strlen("http://h.example/p?q"));
    assert_memory_equal(f->value, "http://h.example/p?q", f->len);
    /* An unpaired surrogate: jansson agrees it is malformed. */
    assert_int_equal(ermes_log_reader_next(r, &rec, &d), ERMES_EPARSE);
    assert_int_equal(d.line, 3);
    assert_int_equal(ermes_log_reader_next(r, &rec, &d), 0);
    ermes_log_reader_free(r);
}

static void test_zeek_tsv(void **state)
{
    const char *z = "#separator \\x09\n#set_separator\t,\n#fields\tts\tid.orig_h\tquery\tanswers\n"
                    "#types\ttime\taddr\tstring\tvector[string]\n"
                    "1.5\t10.0.0.1\ta\\x2eexample\tb.example,1.2.3.4\n1.6\t-\t(empty)\n";
    ermes_log_reader_t *r = open_mem(z, strlen(z), ERMES_LOG_AUTO);
    ermes_log_record_t rec;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(ermes_log_reader_next(r, &rec, &d), 1);
    assert_int_equal(ermes_log_reader_format(r), ERMES_LOG_ZEEK);
    assert_int_equal(rec.nfields, 4);
    assert_memory_equal(field(&rec, "query")->value, "a.example", 9);
    assert_memory_equal(rec.fields[3].value, "1.2.3.4", 7);
    assert_int_equal(ermes_log_reader_next(r, &rec, &d), ERMES_EPARSE);
    assert_non_null(strstr(d.reason, "columns"));
    assert_int_equal(ermes_log_reader_next(r, &rec, &d), 0);
    ermes_log_reader_free(r);
}

static void test_gzip_lines(void **state)
{
    const char *text = "one.example\n\n# comment\n  two.example  \r\nthree.example";
    unsigned char gz[256];
    z_stream zs;
    ermes_log_reader_t *r;
    ermes_log_record_t rec;
    ermes_diag_t d;
    int n = 0;

    (void)state;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)text;
    zs.avail_in = (unsigned)strlen(text);
    zs.next_out = gz;
    zs.avail_out = sizeof(gz);
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    r = open_mem((const char *)gz, sizeof(gz) - zs.avail_out, ERMES_LOG_AUTO);
    deflateEnd(&zs);
    while (ermes_log_reader_next(r, &rec, &d) == 1) {
        n++;
        assert_string_equal(rec.format, "lines");
    }
    assert_int_equal(n, 3);
    assert_memory_equal(rec.fields[0].value, "three.example", 13);
    ermes_log_reader_free(r);
    /* Truncated gzip: an I/O error, not a crash. */
    r = open_mem((const char *)gz, 20, ERMES_LOG_AUTO);
    assert_true(ermes_log_reader_next(r, &rec, &d) < 0);
    ermes_log_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eve_fields_and_escapes),
        cmocka_unit_test(test_zeek_tsv),
        cmocka_unit_test(test_gzip_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
