/* Tests of the compiled matcher, the slot and the scanner (src/detect/matcher.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "ermes/detect.h"

static ermes_matcher_t *build(const char *const *values)
{
    ermes_indicator_set_t *set;
    ermes_matcher_t *m;

    assert_int_equal(ermes_indicator_set_new(&set), 0);
    for (; *values; values++) {
        ermes_indicator_t ind;
        ermes_indicator_init(&ind);
        ind.value = *values;
        ind.len = strlen(*values);
        if (ind.value[0] == '=') { /* "=name": exact-only domain */
            ind.value++;
            ind.len--;
            ind.type = ERMES_IND_DOMAIN;
            ind.flags = ERMES_IND_EXACT;
        }
        assert_int_equal(ermes_indicator_set_add(set, &ind, NULL, NULL), 0);
    }
    assert_int_equal(ermes_matcher_build(set, 0, &m), 0);
    ermes_indicator_set_free(set);
    return m;
}

/* The text of the single hit of a lookup, or "" when none; asserts at most one. */
static const char *one(ermes_scanner_t *s, ermes_field_kind_t kind, const char *v)
{
    static char buf[256];
    const ermes_hit_t *h;
    size_t n = ermes_scanner_lookup(s, kind, v, strlen(v), &h);

    assert_true(n <= 1);
    if (!n)
        return "";
    ermes_matcher_value(ermes_scanner_matcher(s), h[0].indicator, buf, sizeof(buf));
    return buf;
}

static void test_domains(void **state)
{
    static const char *const v[] = {"example.eu", "Dept.Example.EU", "=exact.example", NULL};
    ermes_matcher_t *m = build(v);
    ermes_scanner_t *s;
    const ermes_hit_t *h;

    (void)state;
    assert_int_equal(ermes_scanner_new(m, &s), 0);
    assert_string_equal(one(s, ERMES_FIELD_DOMAIN, "EXAMPLE.eu."), "example.eu");
    assert_string_equal(one(s, ERMES_FIELD_DOMAIN, "www.example.eu"), "example.eu");
    assert_string_equal(one(s, ERMES_FIELD_DOMAIN, "badexample.eu"), "");
    assert_string_equal(one(s, ERMES_FIELD_DOMAIN, "eu"), "");
    /* Both the parent and the child indicator match a deeper name. */
    assert_int_equal(ermes_scanner_lookup(s, ERMES_FIELD_DOMAIN, "mail.dept.example.eu", 20, &h),
                     2);
    assert_string_equal(one(s, ERMES_FIELD_DOMAIN, "exact.example"), "exact.example");
    assert_string_equal(one(s, ERMES_FIELD_DOMAIN, "a.exact.example"), "");
    assert_string_equal(one(s, ERMES_FIELD_AUTO, "www.example.eu:8080"), "example.eu");
    ermes_scanner_free(s);
    ermes_matcher_release(m);
}

static void test_addresses(void **state)
{
    static const char *const v[] = {"10.0.0.0/8",  "10.1.0.0/16",      "10.1.2.0/24",
                                    "10.1.2.3",    "0.0.0.0/1",        "2001:db8::/32",
                                    "2001:db8::1", "::ffff:192.0.2.9", NULL};
    ermes_matcher_t *m = build(v);
    ermes_scanner_t *s;

    (void)state;
    assert_int_equal(ermes_scanner_new(m, &s), 0);
    assert_string_equal(one(s, ERMES_FIELD_IP, "10.1.2.3"), "10.1.2.3");
    assert_string_equal(one(s, ERMES_FIELD_IP, "10.1.2.4"), "10.1.2.0/24");
    assert_string_equal(one(s, ERMES_FIELD_IP, "10.1.3.4"), "10.1.0.0/16");
    assert_string_equal(one(s, ERMES_FIELD_IP, "10.9.3.4"), "10.0.0.0/8");
    assert_string_equal(one(s, ERMES_FIELD_IP, "99.9.3.4"), "0.0.0.0/1");
    assert_string_equal(one(s, ERMES_FIELD_IP, "200.9.3.4"), "");
    assert_string_equal(one(s, ERMES_FIELD_IP, "2001:DB8:0::1"), "2001:db8::1");
    assert_string_equal(one(s, ERMES_FIELD_IP, "2001:db8::2"), "2001:db8::/32");
    assert_string_equal(one(s, ERMES_FIELD_IP, "[2001:db8::2]"), "2001:db8::/32");
    assert_string_equal(one(s, ERMES_FIELD_IP, "192.0.2.9"), "192.0.2.9");
    assert_string_equal(one(s, ERMES_FIELD_IP, "::ffff:10.1.2.3"), "10.1.2.3");
    assert_string_equal(one(s, ERMES_FIELD_IP, "10.1.2.3x"), "");
    assert_string_equal(one(s, ERMES_FIELD_IP, "010.1.2.3"), "");
    ermes_scanner_free(s);
    ermes_matcher_release(m);
}

static void test_hashes_urls_emails(void **state)
{
    static const char *const v[] = {"44D88612FEA8A8F36DE82E1278ABB02F", "http://Evil.Example/Path",
                                    "Boss@Phish.Example", "t13d1516h2_8daaf6152771_b186095e22b6",
                                    NULL};
    ermes_matcher_t *m = build(v);
    ermes_scanner_t *s;

    (void)state;
    assert_int_equal(ermes_scanner_new(m, &s), 0);
    assert_string_equal(one(s, ERMES_FIELD_HASH, "44d88612fea8a8f36de82e1278abb02f"),
                        "44d88612fea8a8f36de82e1278abb02f");
    assert_string_equal(one(s, ERMES_FIELD_JA3, "44d88612fea8a8f36de82e1278abb02F"),
                        "44d88612fea8a8f36de82e1278abb02f");
    assert_string_equal(one(s, ERMES_FIELD_HASH, "44d88612fea8a8f36de82e1278abb02"), "");
    assert_string_equal(one(s, ERMES_FIELD_URL, "hxxp://EVIL[.]example/Path"),
                        "http://evil.example/Path");
    assert_string_equal(one(s, ERMES_FIELD_URL, "http://evil.example/path"), "");
    assert_string_equal(one(s, ERMES_FIELD_EMAIL, "<BOSS@phish.example>"), "boss@phish.example");
    assert_string_equal(one(s, ERMES_FIELD_JA4, "T13D1516H2_8DAAF6152771_B186095E22B6"),
                        "t13d1516h2_8daaf6152771_b186095e22b6");
    ermes_scanner_free(s);
    ermes_matcher_release(m);
}

typedef struct swap_arg {
    ermes_matcher_slot_t *slot;
    volatile int stop;
    volatile unsigned long lookups, wrong;
} swap_arg_t;

static void *reader(void *p)
{
    swap_arg_t *a = p;
    ermes_scanner_t *s;
    const ermes_hit_t *h;

    if (ermes_scanner_new(NULL, &s))
        return NULL;
    while (!a->stop) {
        ermes_scanner_refresh(s, a->slot);
        /* Every generation holds "always.example": a lookup never misses it. */
        if (ermes_scanner_lookup(s, ERMES_FIELD_DOMAIN, "x.always.example", 16, &h) != 1)
            a->wrong++;
        a->lookups++;
    }
    ermes_scanner_free(s);
    return NULL;
}

static void test_swap_while_scanning(void **state)
{
    static const char *const v1[] = {"always.example", "one.example", NULL};
    static const char *const v2[] = {"always.example", "two.example", NULL};
    ermes_matcher_slot_t *slot;
    swap_arg_t a;
    pthread_t th[2];

    (void)state;
    memset(&a, 0, sizeof(a));
    {
        ermes_matcher_t *m = build(v1);
        assert_int_equal(ermes_matcher_slot_new(m, &slot), 0);
        ermes_matcher_release(m);
    }
    a.slot = slot;
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, reader, &a);
    int i;
    for (i = 0; i < 200 || (a.lookups < 1000 && i < 100000); i++) {
        ermes_matcher_t *m = build(i % 2 ? v1 : v2);
        ermes_matcher_slot_swap(slot, m);
        ermes_matcher_release(m);
    }
    a.stop = 1;
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    assert_int_equal(a.wrong, 0);
    assert_true(a.lookups > 0);
    assert_int_equal(ermes_matcher_slot_generation(slot), (uint64_t)i + 1);
    ermes_matcher_slot_free(slot);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domains),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_hashes_urls_emails),
        cmocka_unit_test(test_swap_while_scanning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
