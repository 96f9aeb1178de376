/* Unit tests for src/model/event_pack.c: the packed event the store keeps. A packed event
 * unpacks to exactly the event that was packed (the same JSON), each binary form is taken
 * only when it reads back byte for byte, omitted fields stay out, and a damaged document is
 * refused with a reason at every length, never read past. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "ermes/event.h"
#include "model/event_pack.h"
#include "model/harmonize.h"

/* A dictionary of extra names for the tests: numbers in order of first use. */
static char dict[64][64];
static uint32_t ndict;

static int name_id(void *ctx, const char *name, size_t len, uint32_t *id)
{
    (void)ctx;
    for (uint32_t k = 1; k <= ndict; k++) {
        if (strlen(dict[k]) == len && memcmp(dict[k], name, len) == 0) {
            *id = k;
            return 0;
        }
    }
    assert_true(ndict + 1 < 64 && len < 64);
    ndict++;
    memcpy(dict[ndict], name, len);
    dict[ndict][len] = '\0';
    *id = ndict;
    return 0;
}

static int name_of(void *ctx, uint32_t id, const char **name, size_t *len)
{
    (void)ctx;
    if (id == 0 || id > ndict)
        return ERMES_ENOTFOUND;
    *name = dict[id];
    *len = strlen(dict[id]);
    return 0;
}

typedef struct {
    ermes_event_t *ev, *back;
    ermes__strbuf_t packed, a, b;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));

    if (!f || ermes_event_new(&f->ev) || ermes_event_new(&f->back))
        return -1;
    ermes__strbuf_init(&f->packed, 1 << 24);
    ermes__strbuf_init(&f->a, 1 << 24);
    ermes__strbuf_init(&f->b, 1 << 24);
    ndict = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    ermes_event_free(f->ev);
    ermes_event_free(f->back);
    ermes__strbuf_cleanup(&f->packed);
    ermes__strbuf_cleanup(&f->a);
    ermes__strbuf_cleanup(&f->b);
    free(f);
    return 0;
}

static void set(ermes_event_t *ev, ermes_field_t fl, const char *v)
{
    ermes_diag_t d;

    ermes_diag_clear(&d);
    if (ermes_event_set(ev, fl, v, strlen(v), &d))
        fail_msg("%s", d.reason);
}

static void setx(ermes_event_t *ev, const char *k, const char *v, ermes_extra_type_t t)
{
    assert_int_equal(ermes_event_set_extra(ev, k, strlen(k), v, strlen(v), t, NULL), 0);
}

/* Packs f->ev (without omit), unpacks into f->back; both JSON texts in f->a and f->b. */
static void round_trip(fixture_t *f, const uint64_t *omit)
{
    ermes_diag_t d;
    int rc;

    ermes__strbuf_reset(&f->packed);
    ermes__strbuf_reset(&f->a);
    ermes__strbuf_reset(&f->b);
    assert_int_equal(ermes__event_pack(f->ev, omit, name_id, NULL, &f->packed), 0);
    ermes_event_reset(f->back);
    ermes_diag_clear(&d);
    rc = ermes__event_unpack(f->back, f->packed.data, f->packed.len, name_of, NULL, &d);
    if (rc)
        fail_msg("unpack: %s", d.reason);
    assert_int_equal(ermes_event_to_json(f->ev, &f->a), 0);
    assert_int_equal(ermes_event_to_json(f->back, &f->b), 0);
}

/* A Shadowserver row as the intake makes it. */
static void shadowserver_event(ermes_event_t *ev)
{
    set(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "accessible-adb");
    set(ev, ERMES_F_CLASSIFICATION_TAXONOMY, "vulnerable");
    set(ev, ERMES_F_CLASSIFICATION_TYPE, "vulnerable-system");
    set(ev, ERMES_F_CONSTITUENCY, "DG-DIGIT");
    set(ev, ERMES_F_FEED_NAME, "Accessible-ADB");
    set(ev, ERMES_F_FEED_PROVIDER, "Shadowserver");
    set(ev, ERMES_F_PROTOCOL_TRANSPORT, "tcp");
    set(ev, ERMES_F_SOURCE_ASN, "3462");
    set(ev, ERMES_F_SOURCE_GEOLOCATION_CC, "TW");
    set(ev, ERMES_F_SOURCE_GEOLOCATION_CITY, "TAOYUAN CITY");
    set(ev, ERMES_F_SOURCE_IP, "192.0.2.1");
    set(ev, ERMES_F_SOURCE_PORT, "5555");
    set(ev, ERMES_F_SOURCE_REVERSE_DNS, "192-0-2-1.bench.example");
    set(ev, ERMES_F_TIME_OBSERVATION, "2026-11-23T10:31:46.110000+00:00");
    set(ev, ERMES_F_TIME_SOURCE, "2026-01-05T00:00:00+00:00");
    set(ev, ERMES_F_TLP, "AMBER");
    setx(ev, "device", "hlteatt", ERMES_EXTRA_STRING);
    setx(ev, "naics", "518210", ERMES_EXTRA_INTEGER);
    setx(ev, "sic", "737415", ERMES_EXTRA_STRING);
    setx(ev, "tag", "adb", ERMES_EXTRA_STRING);
}

static void test_round_trip_and_size(void **state)
{
    fixture_t *f = *state;

    shadowserver_event(f->ev);
    round_trip(f, NULL);
    assert_string_equal(f->a.data, f->b.data);
    /* the point of it: well under half the JSON's bytes */
    assert_true(f->packed.len * 2 < f->a.len);
    /* a second event reuses the numbers of the names */
    assert_int_equal(ndict, 4);
    round_trip(f, NULL);
    assert_int_equal(ndict, 4);
}

static void test_every_kind(void **state)
{
    fixture_t *f = *state;

    set(f->ev, ERMES_F_SOURCE_IP, "2001:db8::1");                        /* FIP6 */
    set(f->ev, ERMES_F_DESTINATION_IP, "198.51.100.7");                  /* FIP4 */
    set(f->ev, ERMES_F_SOURCE_PORT, "0");                                /* FUINT, zero */
    set(f->ev, ERMES_F_RTIR_ID, "-5");                                   /* negative: FTEXT */
    set(f->ev, ERMES_F_DESTINATION_PORT, "9223372036854775807");         /* 19 digits: FUINT */
    set(f->ev, ERMES_F_TIME_SOURCE, "1969-12-31T23:59:59.999999+00:00"); /* negative time */
    set(f->ev, ERMES_F_SOURCE_ALLOCATED, "0001-01-01T00:00:00+00:00");   /* the first year */
    set(f->ev, ERMES_F_FEED_ACCURACY, "87.5"); /* FTEXT of an unquoted type */
    set(f->ev, ERMES_F_SOURCE_TOR_NODE, "true");
    set(f->ev, ERMES_F_OUTPUT, "{\"a\": [1, 2]}");
    set(f->ev, ERMES_F_COMMENT, "caf\xc3\xa9 \"quoted\" \\ back");
    setx(f->ev, "count", "-12", ERMES_EXTRA_INTEGER); /* XTYPED */
    setx(f->ev, "big", "1234567890123456789", ERMES_EXTRA_INTEGER);
    setx(f->ev, "ratio", "0.25", ERMES_EXTRA_FLOAT);
    setx(f->ev, "flag", "false", ERMES_EXTRA_BOOLEAN);
    setx(f->ev, "doc", "{\"k\":null}", ERMES_EXTRA_JSON);
    setx(f->ev, "zero", "0", ERMES_EXTRA_INTEGER);   /* XUINT */
    setx(f->ev, "text", "0042", ERMES_EXTRA_STRING); /* a string of digits stays one */
    round_trip(f, NULL);
    assert_string_equal(f->a.data, f->b.data);
    assert_non_null(strstr(f->b.data, "\"extra.text\":\"0042\""));
    assert_non_null(strstr(f->b.data, "\"extra.count\":-12"));
}

static void test_non_canonical_text_kept(void **state)
{
    fixture_t *f = *state;

    /* Values put as they are (as a reader of older rows might): no binary form reads back
     * to them, so they are kept as text. */
    assert_int_equal(ermes__event_put(f->ev, ERMES_F_SOURCE_IP, "010.1.1.1", 9), 0);
    assert_int_equal(ermes__event_put(f->ev, ERMES_F_TIME_SOURCE, "2026-01-05 00:00:00", 19), 0);
    round_trip(f, NULL);
    assert_string_equal(f->a.data, f->b.data);
}

static void test_omit(void **state)
{
    fixture_t *f = *state;
    uint64_t omit[ERMES_EVENT_MASK_WORDS] = {0};

    shadowserver_event(f->ev);
    omit[ERMES_F_FEED_NAME / 64] |= (uint64_t)1 << (ERMES_F_FEED_NAME % 64);
    round_trip(f, omit);
    assert_null(ermes_event_get(f->back, ERMES_F_FEED_NAME, NULL));
    assert_non_null(ermes_event_get(f->back, ERMES_F_FEED_PROVIDER, NULL));
    /* put back, as the store does from its column: the same event again */
    assert_int_equal(ermes__event_put(f->back, ERMES_F_FEED_NAME, "Accessible-ADB", 14), 0);
    ermes__strbuf_reset(&f->b);
    assert_int_equal(ermes_event_to_json(f->back, &f->b), 0);
    assert_string_equal(f->a.data, f->b.data);
}

static void test_damaged(void **state)
{
    fixture_t *f = *state;
    ermes_diag_t d;
    size_t len;
    uint8_t *copy;

    shadowserver_event(f->ev);
    round_trip(f, NULL);
    len = f->packed.len;
    /* Every prefix, each in an allocation of exactly its size (ASan sees an overread). */
    for (size_t n = 0; n < len; n++) {
        int rc;
        copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, f->packed.data, n);
        ermes_event_reset(f->back);
        ermes_diag_clear(&d);
        rc = ermes__event_unpack(f->back, copy, n, name_of, NULL, &d);
        /* a prefix that ends between entries is a smaller event, anything else damaged */
        if (rc) {
            assert_int_equal(rc, ERMES_EINVAL);
            assert_non_null(strstr(d.reason, "damaged"));
        }
        free(copy);
    }
    /* Not a packed event at all; an unknown version. */
    ermes_diag_clear(&d);
    assert_int_equal(ermes__event_unpack(f->back, "{\"a\":1}", 7, name_of, NULL, &d), ERMES_EINVAL);
    assert_int_equal(ermes__event_unpack(f->back, "\x02", 1, name_of, NULL, &d), ERMES_EINVAL);
    /* An extra name nobody numbered: tag (99 << 3 | XSTR), length 1, "x". */
    {
        const uint8_t doc[] = {ERMES_EVENT_PACK_V1, ((99 << 3 | 5) & 0x7f) | 0x80,
                               (99 << 3 | 5) >> 7, 1, 'x'};
        ermes_diag_clear(&d);
        assert_int_equal(ermes__event_unpack(f->back, doc, sizeof(doc), name_of, NULL, &d),
                         ERMES_EINVAL);
        assert_non_null(strstr(d.reason, "unknown extra name"));
    }
    /* A field text that is not UTF-8: comment (FTEXT), length 2, 0xff 0xfe. */
    {
        const uint8_t doc[] = {ERMES_EVENT_PACK_V1, (uint8_t)(ERMES_F_COMMENT << 3), 2, 0xff, 0xfe};
        assert_int_equal(ermes__event_unpack(f->back, doc, sizeof(doc), name_of, NULL, &d),
                         ERMES_EINVAL);
    }
    /* An integer field whose text is not a number: source.port (FTEXT) "1x". */
    {
        const uint8_t doc[] = {ERMES_EVENT_PACK_V1,
                               (uint8_t)((ERMES_F_SOURCE_PORT << 3) & 0x7f) | 0x80,
                               (uint8_t)(ERMES_F_SOURCE_PORT >> 4),
                               2,
                               '1',
                               'x'};
        assert_int_equal(ermes__event_unpack(f->back, doc, sizeof(doc), name_of, NULL, &d),
                         ERMES_EINVAL);
    }
    /* A field number past the table; a varint of eleven bytes. */
    {
        const uint8_t doc[] = {ERMES_EVENT_PACK_V1, 0xff, 0x0f, 1, 'x'};
        const uint8_t doc2[] = {
            ERMES_EVENT_PACK_V1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
        assert_int_equal(ermes__event_unpack(f->back, doc, sizeof(doc), name_of, NULL, &d),
                         ERMES_EINVAL);
        assert_int_equal(ermes__event_unpack(f->back, doc2, sizeof(doc2), name_of, NULL, &d),
                         ERMES_EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_and_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_canonical_text_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_omit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
