/* Unit tests for src/model/event.c: the field table, setting and reading fields, extras,
 * IntelMQ's JSON form out and in, and reuse after reset. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "ermes/event.h"
#include "model/harmonize.h"

static int setup(void **state)
{
    ermes_event_t *ev;

    if (ermes_event_new(&ev))
        return -1;
    *state = ev;
    return 0;
}

static int teardown(void **state)
{
    ermes_event_free(*state);
    return 0;
}

static int sets(ermes_event_t *ev, ermes_field_t f, const char *v)
{
    return ermes_event_set(ev, f, v, strlen(v), NULL);
}

static int setx(ermes_event_t *ev, const char *k, const char *v, ermes_extra_type_t t)
{
    return ermes_event_set_extra(ev, k, strlen(k), v, strlen(v), t, NULL);
}

/* The event's JSON as a string owned by the test (static buffer). */
static const char *json_of(const ermes_event_t *ev)
{
    static char text[65536];
    ermes__strbuf_t b;

    ermes__strbuf_init(&b, 1 << 20);
    assert_int_equal(ermes_event_to_json(ev, &b), 0);
    assert_true(b.len < sizeof(text));
    memcpy(text, b.data, b.len + 1);
    ermes__strbuf_cleanup(&b);
    return text;
}

/* ---- walking the set fields ----------------------------------------------------------------- */

static void test_next_walks_set_fields(void **state)
{
    ermes_event_t *ev = *state;
    unsigned seen = 0, f;

    assert_int_equal(ermes_event_next(ev, 0), ERMES_F_COUNT);
    assert_int_equal(sets(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "x"), 0); /* field 0 */
    assert_int_equal(sets(ev, ERMES_F_SOURCE_IP, "192.0.2.1"), 0);         /* past 64 */
    assert_int_equal(sets(ev, ERMES_F_TLP, "AMBER"), 0);                   /* the last */
    assert_int_equal(sets(ev, ERMES_F_FEED_NAME, "f"), 0);
    /* the same fields, in the same order, as asking each field */
    f = ermes_event_next(ev, 0);
    for (unsigned k = 0; k < ERMES_F_COUNT; k++) {
        if (!ermes_event_get(ev, (ermes_field_t)k, NULL))
            continue;
        assert_int_equal(f, k);
        seen++;
        f = ermes_event_next(ev, k + 1);
    }
    assert_int_equal(f, ERMES_F_COUNT);
    assert_int_equal(seen, 4);
    assert_int_equal(ermes_event_next(ev, ERMES_F_COUNT), ERMES_F_COUNT);
    ermes_event_reset(ev);
    assert_int_equal(ermes_event_next(ev, 0), ERMES_F_COUNT);
}

/* ---- field table ------------------------------------------------------------------------- */

static void test_field_table_sorted(void **state)
{
    (void)state;
    /* to_json and ermes_field_lookup rely on the header listing names in byte order. */
    for (int f = 1; f < ERMES_F_COUNT; f++)
        assert_true(strcmp(ermes_field_name((ermes_field_t)(f - 1)),
                           ermes_field_name((ermes_field_t)f)) < 0);
}

static void test_field_lookup(void **state)
{
    (void)state;
    for (int f = 0; f < ERMES_F_COUNT; f++) {
        const char *n = ermes_field_name((ermes_field_t)f);
        assert_int_equal(ermes_field_lookup(n, strlen(n)), f);
    }
    assert_int_equal(ermes_field_lookup("source.ip", 9), ERMES_F_SOURCE_IP);
    assert_int_equal(ermes_field_lookup("source.ipx", 9), ERMES_F_SOURCE_IP); /* len counts */
    assert_int_equal(ermes_field_lookup("source.i", 8), ERMES_F_COUNT);
    assert_int_equal(ermes_field_lookup("source.ipx", 10), ERMES_F_COUNT);
    assert_int_equal(ermes_field_lookup("extra", 5), ERMES_F_COUNT);
    assert_int_equal(ermes_field_lookup("extra.foo", 9), ERMES_F_COUNT);
    assert_int_equal(ermes_field_lookup("", 0), ERMES_F_COUNT);
    assert_int_equal(ermes_field_lookup("zzz", 3), ERMES_F_COUNT);
    assert_int_equal(ermes_field_lookup("Source.IP", 9), ERMES_F_COUNT);
    assert_int_equal(ermes_field_lookup(NULL, 0), ERMES_F_COUNT);
}

static void test_field_types(void **state)
{
    (void)state;
    assert_int_equal(ermes_field_type(ERMES_F_SOURCE_IP), ERMES_FT_IP);
    assert_int_equal(ermes_field_type(ERMES_F_SOURCE_ASN), ERMES_FT_ASN);
    assert_int_equal(ermes_field_type(ERMES_F_TIME_SOURCE), ERMES_FT_DATETIME);
    assert_int_equal(ermes_field_type(ERMES_F_RAW), ERMES_FT_BASE64);
    assert_int_equal(ermes_field_type(ERMES_F_TLP), ERMES_FT_TLP);
    assert_string_equal(ermes_field_name(ERMES_F_CLASSIFICATION_TYPE), "classification.type");
    assert_null(ermes_field_name(ERMES_F_COUNT));
}

/* ---- set / get ------------------------------------------------------------------------------ */

static void test_set_get(void **state)
{
    ermes_event_t *ev = *state;
    size_t n;

    assert_null(ermes_event_get(ev, ERMES_F_SOURCE_IP, &n));
    assert_int_equal(n, 0);
    assert_int_equal(sets(ev, ERMES_F_SOURCE_IP, " 2001:DB8::1 "), 0);
    assert_string_equal(ermes_event_get(ev, ERMES_F_SOURCE_IP, &n), "2001:db8::1");
    assert_int_equal(n, 11);
    assert_int_equal(sets(ev, ERMES_F_SOURCE_FQDN, "Mail.Example.COM."), 0);
    assert_string_equal(ermes_event_get(ev, ERMES_F_SOURCE_FQDN, NULL), "mail.example.com");
    /* A second set replaces. */
    assert_int_equal(sets(ev, ERMES_F_SOURCE_IP, "192.0.2.1"), 0);
    assert_string_equal(ermes_event_get(ev, ERMES_F_SOURCE_IP, NULL), "192.0.2.1");
    ermes_event_unset(ev, ERMES_F_SOURCE_IP);
    assert_null(ermes_event_get(ev, ERMES_F_SOURCE_IP, NULL));
    assert_null(ermes_event_get(ev, ERMES_F_COUNT, NULL));
}

static void test_set_empty_is_noop(void **state)
{
    ermes_event_t *ev = *state;

    assert_int_equal(sets(ev, ERMES_F_COMMENT, ""), 0);
    assert_int_equal(sets(ev, ERMES_F_COMMENT, "   \t"), 0);
    assert_null(ermes_event_get(ev, ERMES_F_COMMENT, NULL));
    assert_int_equal(ermes_event_set(ev, ERMES_F_COMMENT, NULL, 0, NULL), 0);
    assert_int_equal(sets(ev, ERMES_F_COMMENT, "x"), 0);
    assert_int_equal(sets(ev, ERMES_F_COMMENT, ""), 0);
    assert_string_equal(ermes_event_get(ev, ERMES_F_COMMENT, NULL), "x");
}

static void test_set_rejects_with_diag(void **state)
{
    ermes_event_t *ev = *state;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    assert_int_equal(ermes_event_set(ev, ERMES_F_SOURCE_IP, "300.1.1.1", 9, &d), ERMES_EINVAL);
    assert_string_equal(d.field, "source.ip");
    assert_string_equal(d.reason, "source.ip: \"300.1.1.1\" is not an IP address");
    assert_null(ermes_event_get(ev, ERMES_F_SOURCE_IP, NULL));
    /* A failed set leaves an earlier value alone. */
    assert_int_equal(sets(ev, ERMES_F_SOURCE_PORT, "80"), 0);
    assert_int_equal(sets(ev, ERMES_F_SOURCE_PORT, "eighty"), ERMES_EINVAL);
    assert_string_equal(ermes_event_get(ev, ERMES_F_SOURCE_PORT, NULL), "80");
    assert_int_equal(sets(ev, ERMES_F_COMMENT, "bad \xff utf-8"), ERMES_EINVAL);
    assert_int_equal(ermes_event_set(ev, ERMES_F_COUNT, "x", 1, &d), ERMES_EINVAL);
    assert_int_equal(ermes_event_set(ev, (ermes_field_t)-1, "x", 1, NULL), ERMES_EINVAL);
}

static void test_set_name(void **state)
{
    ermes_event_t *ev = *state;
    ermes_diag_t d;
    const char *k, *v;
    size_t n;
    ermes_extra_type_t t;

    assert_int_equal(ermes_event_set_name(ev, "source.asn", "AS3320", 6, NULL), 0);
    assert_string_equal(ermes_event_get(ev, ERMES_F_SOURCE_ASN, NULL), "3320");
    assert_int_equal(ermes_event_set_name(ev, "extra.Some-Thing", "v", 1, NULL), 0);
    assert_int_equal(ermes_event_extra_count(ev), 1);
    ermes_event_extra_at(ev, 0, &k, &v, &n, &t);
    assert_string_equal(k, "some_thing");
    assert_string_equal(v, "v");
    assert_int_equal(t, ERMES_EXTRA_STRING);
    ermes_diag_clear(&d);
    assert_int_equal(ermes_event_set_name(ev, "source.nonsense", "v", 1, &d), ERMES_EINVAL);
    assert_non_null(strstr(d.reason, "unknown field"));
    assert_int_equal(ermes_event_set_name(ev, "extra.", "v", 1, &d), ERMES_EINVAL);
    assert_int_equal(ermes_event_set_name(ev, "extra", "v", 1, &d), ERMES_EINVAL);
}

static void test_typed_views(void **state)
{
    ermes_event_t *ev = *state;
    ermes_ip_t ip;
    int64_t ms;
    uint32_t asn;

    assert_int_equal(ermes_event_ip(ev, ERMES_F_SOURCE_IP, &ip), ERMES_ENOTFOUND);
    assert_int_equal(ermes_event_time_ms(ev, ERMES_F_TIME_SOURCE, &ms), ERMES_ENOTFOUND);
    assert_int_equal(ermes_event_asn(ev, ERMES_F_SOURCE_ASN, &asn), ERMES_ENOTFOUND);
    assert_int_equal(sets(ev, ERMES_F_SOURCE_IP, "192.0.2.9"), 0);
    assert_int_equal(ermes_event_ip(ev, ERMES_F_SOURCE_IP, &ip), 0);
    assert_int_equal(ip.family, ERMES_AF_INET);
    assert_int_equal(ip.bytes[3], 9);
    assert_int_equal(sets(ev, ERMES_F_TIME_SOURCE, "2015-09-14T06:39:22.250+02:00"), 0);
    assert_int_equal(ermes_event_time_ms(ev, ERMES_F_TIME_SOURCE, &ms), 0);
    assert_int_equal(ms, 1442205562250);
    assert_int_equal(sets(ev, ERMES_F_TIME_OBSERVATION, "1969-12-31T23:59:59.9995Z"), 0);
    assert_int_equal(ermes_event_time_ms(ev, ERMES_F_TIME_OBSERVATION, &ms), 0);
    assert_int_equal(ms, -1);
    assert_int_equal(sets(ev, ERMES_F_SOURCE_ASN, "4294967295"), 0);
    assert_int_equal(ermes_event_asn(ev, ERMES_F_SOURCE_ASN, &asn), 0);
    assert_int_equal(asn, 4294967295u);
    assert_int_equal(sets(ev, ERMES_F_COMMENT, "x"), 0);
    assert_int_equal(ermes_event_ip(ev, ERMES_F_COMMENT, &ip), ERMES_EINVAL);
}

/* ---- extras --------------------------------------------------------------------------------- */

static void test_extra_types_and_order(void **state)
{
    ermes_event_t *ev = *state;
    ermes_diag_t d;
    const char *k, *v;

    assert_int_equal(setx(ev, "zeta", "last", ERMES_EXTRA_STRING), 0);
    assert_int_equal(setx(ev, "count", " 007 ", ERMES_EXTRA_INTEGER), 0);
    assert_int_equal(setx(ev, "ratio", "0.50", ERMES_EXTRA_FLOAT), 0);
    assert_int_equal(setx(ev, "flag", "Yes", ERMES_EXTRA_BOOLEAN), 0);
    assert_int_equal(setx(ev, "blob", "{ \"a\" : [1, 2] }", ERMES_EXTRA_JSON), 0);
    assert_int_equal(setx(ev, "empty", "", ERMES_EXTRA_STRING), 0);
    assert_int_equal(setx(ev, "spaces", "  ", ERMES_EXTRA_STRING), 0); /* kept as given */
    assert_int_equal(setx(ev, "a.b", "nested", ERMES_EXTRA_STRING), 0);
    assert_int_equal(ermes_event_extra_count(ev), 7);
    ermes_event_extra_at(ev, 0, &k, &v, NULL, NULL);
    assert_string_equal(k, "a.b");
    ermes_event_extra_at(ev, 6, &k, &v, NULL, NULL);
    assert_string_equal(k, "zeta");
    ermes_event_extra_at(ev, 99, &k, &v, NULL, NULL);
    assert_null(k);
    assert_string_equal(json_of(ev), "{\"extra.a.b\":\"nested\",\"extra.blob\":{\"a\":[1,2]},"
                                     "\"extra.count\":7,\"extra.flag\":true,"
                                     "\"extra.ratio\":0.5,\"extra.spaces\":\"  \","
                                     "\"extra.zeta\":\"last\"}");
    /* Replacing keeps one entry, possibly of another type. */
    assert_int_equal(setx(ev, "count", "8.5", ERMES_EXTRA_FLOAT), 0);
    assert_int_equal(ermes_event_extra_count(ev), 7);
    ermes_diag_clear(&d);
    assert_int_equal(ermes_event_set_extra(ev, "n", 1, "x", 1, ERMES_EXTRA_INTEGER, &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "extra.n");
    assert_int_equal(setx(ev, "n", "2.5", ERMES_EXTRA_INTEGER), ERMES_EINVAL);
    assert_int_equal(setx(ev, "n", "maybe", ERMES_EXTRA_BOOLEAN), ERMES_EINVAL);
    assert_int_equal(setx(ev, "n", "inf", ERMES_EXTRA_FLOAT), ERMES_EINVAL);
    assert_int_equal(setx(ev, "n", "{", ERMES_EXTRA_JSON), ERMES_EINVAL);
    assert_int_equal(setx(ev, "n", "\xc3", ERMES_EXTRA_STRING), ERMES_EINVAL);
    assert_int_equal(setx(ev, "n", "x", (ermes_extra_type_t)9), ERMES_EINVAL);
    assert_int_equal(ermes_event_extra_count(ev), 7);
}

static void test_extra_key_normalised(void **state)
{
    static const char *const cases[][2] = {
        {"Foo-Bar", "foo_bar"}, {"a b", "a_b"},   {"a..b", "a._b"}, {".a", "_a"},
        {"a.", "a_"},           {"1abc", "1abc"}, {"ÄÖ", "____"},   {"snake_case", "snake_case"},
    };
    ermes_event_t *ev = *state;
    char big[300];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *k;
        ermes_event_reset(ev);
        assert_int_equal(setx(ev, cases[i][0], "v", ERMES_EXTRA_STRING), 0);
        ermes_event_extra_at(ev, 0, &k, NULL, NULL, NULL);
        assert_string_equal(k, cases[i][1]);
    }
    assert_int_equal(setx(ev, "", "v", ERMES_EXTRA_STRING), ERMES_EINVAL);
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(setx(ev, big, "v", ERMES_EXTRA_STRING), ERMES_EINVAL);
}

/* ---- JSON out -----------------------------------------------------------------------------------
 */

static void test_to_json_order_and_types(void **state)
{
    ermes_event_t *ev = *state;

    assert_string_equal(json_of(ev), "{}");
    assert_int_equal(sets(ev, ERMES_F_TIME_SOURCE, "2024-01-02 03:04:05"), 0);
    assert_int_equal(sets(ev, ERMES_F_SOURCE_PORT, "0443"), 0);
    assert_int_equal(sets(ev, ERMES_F_SOURCE_ASN, "AS64496"), 0);
    assert_int_equal(sets(ev, ERMES_F_SOURCE_IP, "192.0.2.1"), 0);
    assert_int_equal(sets(ev, ERMES_F_SOURCE_GEOLOCATION_LATITUDE, "52"), 0);
    assert_int_equal(sets(ev, ERMES_F_FEED_ACCURACY, "100"), 0);
    assert_int_equal(sets(ev, ERMES_F_SOURCE_TOR_NODE, "no"), 0);
    assert_int_equal(sets(ev, ERMES_F_CLASSIFICATION_TYPE, "botnet drone"), 0);
    assert_int_equal(sets(ev, ERMES_F_CLASSIFICATION_TAXONOMY, "malicious-code"), 0);
    assert_int_equal(sets(ev, ERMES_F_EVENT_DESCRIPTION_TEXT, "text"), 0);
    assert_int_equal(sets(ev, ERMES_F_EVENT_HASH, "abc"), 0);
    assert_int_equal(sets(ev, ERMES_F_FEED_NAME, "Feed"), 0);
    assert_int_equal(sets(ev, ERMES_F_TLP, "white"), 0);
    assert_int_equal(setx(ev, "tag", "x", ERMES_EXTRA_STRING), 0);
    assert_int_equal(setx(ev, "_first", "1", ERMES_EXTRA_INTEGER), 0);
    assert_string_equal(json_of(ev), "{\"classification.taxonomy\":\"malicious-code\","
                                     "\"classification.type\":\"infected-system\","
                                     "\"event_description.text\":\"text\","
                                     "\"event_hash\":\"ABC\","
                                     "\"extra._first\":1,"
                                     "\"extra.tag\":\"x\","
                                     "\"feed.accuracy\":100.0,"
                                     "\"feed.name\":\"Feed\","
                                     "\"source.asn\":64496,"
                                     "\"source.geolocation.latitude\":52.0,"
                                     "\"source.ip\":\"192.0.2.1\","
                                     "\"source.port\":443,"
                                     "\"source.tor_node\":false,"
                                     "\"time.source\":\"2024-01-02T03:04:05+00:00\","
                                     "\"tlp\":\"CLEAR\"}");
}

static void test_to_json_escaping(void **state)
{
    ermes_event_t *ev = *state;
    const char v[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f é 😀";

    assert_int_equal(ermes_event_set(ev, ERMES_F_COMMENT, v, sizeof(v) - 1, NULL), 0);
    assert_int_equal(setx(ev, "s", "\x02", ERMES_EXTRA_STRING), 0);
    assert_string_equal(json_of(ev), "{\"comment\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f"
                                     "\x7f é 😀\",\"extra.s\":\"\\u0002\"}");
}

static void test_to_json_appends_and_caps(void **state)
{
    ermes_event_t *ev = *state;
    ermes__strbuf_t b;
    char big[5000];

    memset(big, 'a', sizeof(big));
    assert_int_equal(ermes_event_set(ev, ERMES_F_COMMENT, big, sizeof(big), NULL), 0);
    ermes__strbuf_init(&b, 100);
    assert_int_equal(ermes__strbuf_adds(&b, "prefix"), 0);
    assert_int_equal(ermes_event_to_json(ev, &b), ERMES_ETOOBIG);
    assert_int_equal(b.len, 6); /* unchanged on failure */
    assert_string_equal(b.data, "prefix");
    ermes__strbuf_cleanup(&b);
    ermes__strbuf_init(&b, 1 << 20);
    assert_int_equal(ermes__strbuf_adds(&b, "x"), 0);
    assert_int_equal(ermes_event_to_json(ev, &b), 0);
    assert_int_equal(b.len, 1 + 12 + sizeof(big) + 2);
    assert_memory_equal(b.data, "x{\"comment\":\"aaa", 16);
    ermes__strbuf_cleanup(&b);
}

/* ---- JSON in ------------------------------------------------------------------------------------
 */

static void round_trip(ermes_event_t *ev, const char *in, const char *want)
{
    ermes_diag_t d;
    char first[65536];

    ermes_diag_clear(&d);
    if (ermes_event_from_json(ev, in, strlen(in), &d)) {
        print_error("from_json failed: %s\n", d.reason);
        fail();
    }
    snprintf(first, sizeof(first), "%s", json_of(ev));
    assert_string_equal(first, want);
    assert_int_equal(ermes_event_from_json(ev, first, strlen(first), &d), 0);
    assert_string_equal(json_of(ev), first);
}

static void test_from_json(void **state)
{
    ermes_event_t *ev = *state;

    round_trip(ev,
               "{\"__type\": \"Event\", \"source.ip\": \"192.0.2.1\", \"source.port\": 80,"
               " \"source.asn\": \"AS1\", \"feed.accuracy\": 90.5, \"source.tor_node\": true,"
               " \"extra.n\": 3, \"extra.f\": 1.25, \"extra.b\": false, \"extra.s\": \"t\","
               " \"extra.o\": {\"k\": [1, null]}, \"extra.nil\": null,"
               " \"time.observation\": \"2024-05-06T07:08:09.100+00:00\","
               " \"raw\": \"aGVsbG8=\", \"output\": \"{\\\"x\\\": 1}\"}",
               "{\"extra.b\":false,\"extra.f\":1.25,\"extra.n\":3,\"extra.nil\":null,"
               "\"extra.o\":{\"k\":[1,null]},\"extra.s\":\"t\",\"feed.accuracy\":90.5,"
               "\"output\":\"{\\\"x\\\":1}\",\"raw\":\"aGVsbG8=\",\"source.asn\":1,"
               "\"source.ip\":\"192.0.2.1\",\"source.port\":80,\"source.tor_node\":true,"
               "\"time.observation\":\"2024-05-06T07:08:09.100000+00:00\"}");
    /* IntelMQ's older nested extra, as an object or as its JSON text. */
    round_trip(ev, "{\"extra\": {\"a\": 1, \"b\": \"x\", \"c\": {\"d\": 2}}}",
               "{\"extra.a\":1,\"extra.b\":\"x\",\"extra.c\":{\"d\":2}}");
    round_trip(ev, "{\"extra\": null, \"comment\": \"c\"}", "{\"comment\":\"c\"}");
    round_trip(ev, "{\"extra\": \"{\\\"a\\\": true}\", \"comment\": \"c\"}",
               "{\"comment\":\"c\",\"extra.a\":true}");
    /* Numbers for string fields, and a null that sets nothing. */
    round_trip(ev, "{\"feed.code\": 12, \"comment\": null, \"source.geolocation.longitude\": 1e2}",
               "{\"feed.code\":\"12\",\"source.geolocation.longitude\":100.0}");
}

static void test_from_json_errors(void **state)
{
    static const char *const bad[] = {
        "",
        "[]",
        "\"x\"",
        "{",
        "{\"source.ip\": \"1.2.3.4\", \"source.ip\": \"1.2.3.5\"}",
        "{\"nonsense\": 1}",
        "{\"source.ip\": \"300.1.1.1\"}",
        "{\"source.port\": true}",
        "{\"source.port\": [80]}",
        "{\"comment\": {\"a\": 1}}",
        "{\"extra\": 5}",
        "{\"extra\": \"[1]\"}",
        "{\"extra.\": 1}",
        "{\"comment\": \"\\u0000\"}",
        "{\"source.ip\": \"192.0.2.1\"} trailing",
    };
    ermes_event_t *ev = *state;
    ermes_diag_t d;

    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        ermes_diag_clear(&d);
        assert_int_equal(sets(ev, ERMES_F_COMMENT, "before"), 0);
        if (ermes_event_from_json(ev, bad[k], strlen(bad[k]), &d) != ERMES_EINVAL) {
            print_error("accepted: %s\n", bad[k]);
            fail();
        }
        assert_true(d.reason[0] != '\0');
        /* A failed read leaves an empty event, not half of one. */
        assert_null(ermes_event_get(ev, ERMES_F_COMMENT, NULL));
        assert_int_equal(ermes_event_extra_count(ev), 0);
    }
    ermes_diag_clear(&d);
    assert_int_equal(ermes_event_from_json(ev, "{\"source.ip\": \"x\"}", 18, &d), ERMES_EINVAL);
    assert_string_equal(d.field, "source.ip");
}

/* ---- memory
 * --------------------------------------------------------------------------------------- */

static void test_reset_reuse(void **state)
{
    ermes_event_t *ev = *state;
    char big[100000];

    memset(big, 'b', sizeof(big));
    for (int round = 0; round < 2000; round++) {
        char port[16];
        ermes_event_reset(ev);
        assert_null(ermes_event_get(ev, ERMES_F_SOURCE_IP, NULL));
        assert_int_equal(ermes_event_extra_count(ev), 0);
        snprintf(port, sizeof(port), "%d", round);
        assert_int_equal(sets(ev, ERMES_F_SOURCE_PORT, port), 0);
        assert_int_equal(sets(ev, ERMES_F_SOURCE_IP, "192.0.2.1"), 0);
        for (int k = 0; k < 40; k++) {
            char key[16];
            snprintf(key, sizeof(key), "k%02d", k);
            assert_int_equal(setx(ev, key, "value value value", ERMES_EXTRA_STRING), 0);
        }
        /* An occasional huge value takes its own block, given back on reset. */
        if (round % 100 == 0)
            assert_int_equal(ermes_event_set(ev, ERMES_F_COMMENT, big, sizeof(big), NULL), 0);
        assert_string_equal(ermes_event_get(ev, ERMES_F_SOURCE_PORT, NULL), port);
        assert_int_equal(ermes_event_extra_count(ev), 40);
    }
}

/* The parsers' shortcuts: ermes__event_put and ermes__event_put_extra store exactly what
 * ermes_event_set and ermes_event_set_extra would, and the extras stay sorted and unique. */
static void test_put_matches_set(void **state)
{
    ermes_event_t *ev = *state, *ref;
    ermes__strbuf_t a, b;
    static const char *const keys[] = {"zeta", "Alpha", "m.id", "alpha", "zz", "a", "ab", "b"};
    char key[256];
    size_t klen;

    assert_int_equal(ermes_event_new(&ref), 0);
    ermes__strbuf_init(&a, 1 << 20);
    ermes__strbuf_init(&b, 1 << 20);
    assert_int_equal(sets(ref, ERMES_F_SOURCE_PORT, "443"), 0);
    assert_int_equal(ermes__event_put(ev, ERMES_F_SOURCE_PORT, "443", 3), 0);
    assert_int_equal(sets(ref, ERMES_F_TIME_SOURCE, "2026-01-05T00:00:00+00:00"), 0);
    assert_int_equal(ermes__event_put(ev, ERMES_F_TIME_SOURCE, "2026-01-05T00:00:00+00:00", 25), 0);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char v[8];
        snprintf(v, sizeof(v), "%zu", i);
        assert_int_equal(setx(ref, keys[i], v, ERMES_EXTRA_INTEGER), 0);
        klen = ermes__event_extra_key(keys[i], strlen(keys[i]), key);
        assert_true(klen > 0);
        assert_int_equal(ermes__event_put_extra(ev, key, klen, v, strlen(v), ERMES_EXTRA_INTEGER),
                         0);
    }
    /* Empty values set nothing; len 0 unsets a field. */
    assert_int_equal(ermes__event_put_extra(ev, "empty", 5, "", 0, ERMES_EXTRA_STRING), 0);
    assert_int_equal(ermes__event_put(ev, ERMES_F_COMMENT, "x", 1), 0);
    assert_int_equal(ermes__event_put(ev, ERMES_F_COMMENT, NULL, 0), 0);
    assert_null(ermes_event_get(ev, ERMES_F_COMMENT, NULL));
    assert_int_equal(ermes_event_to_json(ref, &a), 0);
    assert_int_equal(ermes_event_to_json(ev, &b), 0);
    assert_string_equal(b.data, a.data);
    assert_int_equal(ermes_event_extra_count(ev), 7); /* "Alpha" and "alpha" are one key */
    /* Keys a refuses are refused here too. */
    memset(key, 'k', sizeof(key));
    assert_int_equal(ermes__event_extra_key(key, 256, key), 0);
    assert_int_equal(ermes__event_extra_key("", 0, key), 0);
    ermes__strbuf_cleanup(&a);
    ermes__strbuf_cleanup(&b);
    ermes_event_free(ref);
}

static void test_warm_event_does_not_allocate(void **state)
{
    ermes_event_t *ev = *state;

    /* Warm up: the extras array and the blocks reach their size. */
    for (int k = 0; k < 2; k++) {
        ermes_event_reset(ev);
        assert_int_equal(sets(ev, ERMES_F_SOURCE_IP, "192.0.2.1"), 0);
        assert_int_equal(setx(ev, "a", "1", ERMES_EXTRA_INTEGER), 0);
    }
    ermes__alloc_fail_after(0);
    ermes_event_reset(ev);
    assert_int_equal(sets(ev, ERMES_F_SOURCE_IP, "192.0.2.2"), 0);
    assert_int_equal(sets(ev, ERMES_F_TIME_SOURCE, "2024-01-01"), 0);
    assert_int_equal(sets(ev, ERMES_F_CLASSIFICATION_TYPE, "c&c"), 0);
    assert_int_equal(setx(ev, "a", "2", ERMES_EXTRA_INTEGER), 0);
    ermes__alloc_fail_after(-1);
}

static void test_out_of_memory(void **state)
{
    ermes_event_t *ev = NULL;
    char big[20000];

    (void)state;
    memset(big, 'm', sizeof(big));
    ermes__alloc_fail_after(0);
    assert_int_equal(ermes_event_new(&ev), ERMES_ENOMEM);
    ermes__alloc_fail_after(1);
    assert_int_equal(ermes_event_new(&ev), ERMES_ENOMEM);
    ermes__alloc_fail_after(-1);
    assert_int_equal(ermes_event_new(&ev), 0);
    ermes__alloc_fail_after(0);
    assert_int_equal(ermes_event_set(ev, ERMES_F_COMMENT, big, sizeof(big), NULL), ERMES_ENOMEM);
    assert_int_equal(setx(ev, "k", "v", ERMES_EXTRA_STRING), ERMES_ENOMEM);
    ermes__alloc_fail_after(-1);
    assert_null(ermes_event_get(ev, ERMES_F_COMMENT, NULL));
    assert_int_equal(ermes_event_extra_count(ev), 0);
    ermes_event_free(ev);
    ermes_event_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_table_sorted),
        cmocka_unit_test_setup_teardown(test_next_walks_set_fields, setup, teardown),
        cmocka_unit_test(test_field_lookup),
        cmocka_unit_test(test_field_types),
        cmocka_unit_test_setup_teardown(test_set_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_empty_is_noop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_rejects_with_diag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typed_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extra_types_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extra_key_normalised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_to_json_order_and_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_to_json_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_to_json_appends_and_caps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_json_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_matches_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warm_event_does_not_allocate, setup, teardown),
        cmocka_unit_test(test_out_of_memory),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
