/* Tests of indicator parsing, bulk loading, STIX patterns and warninglists
 * (src/detect/indicator.c, warninglist.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ermes/detect.h"

static void test_guess(void **state)
{
    (void)state;
    assert_int_equal(ermes_ind_type_guess("1.2.3.4", 7), ERMES_IND_IPV4);
    assert_int_equal(ermes_ind_type_guess("2001:db8::1", 11), ERMES_IND_IPV6);
    assert_int_equal(ermes_ind_type_guess("10.0.0.0/8", 10), ERMES_IND_CIDR);
    assert_int_equal(ermes_ind_type_guess("*.evil.example", 14), ERMES_IND_DOMAIN);
    assert_int_equal(ermes_ind_type_guess("http://x.example/", 17), ERMES_IND_URL);
    assert_int_equal(ermes_ind_type_guess("a@b.example", 11), ERMES_IND_EMAIL);
    assert_int_equal(ermes_ind_type_guess("44d88612fea8a8f36de82e1278abb02f", 32), ERMES_IND_MD5);
    assert_int_equal(ermes_ind_type_guess("256.1.1.1", 9), ERMES_IND_NONE);
    assert_int_equal(ermes_ind_type_guess("no spaces", 9), ERMES_IND_NONE);
    assert_int_equal(ermes_ind_type_parse("ip-dst", 6), ERMES_IND_NONE);
    assert_int_equal(ermes_ind_type_parse("SHA256", 6), ERMES_IND_SHA256);
    assert_int_equal(ermes_ind_type_parse("Intel::DOMAIN", 13), ERMES_IND_DOMAIN);
}

static void test_normalised_values(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {{"EVIL.Example.", "evil.example"},
                 {"*.evil.example", "evil.example"},
                 {"10.1.2.3/8", "10.0.0.0/8"},
                 {"2001:DB8:0::1", "2001:db8::1"},
                 {"::ffff:1.2.3.4", "1.2.3.4"},
                 {"44D88612FEA8A8F36DE82E1278ABB02F", "44d88612fea8a8f36de82e1278abb02f"},
                 {"hxxps://Evil[.]Example/A", "https://evil.example/A"},
                 {"<Boss@Phish.Example>", "boss@phish.example"}};
    ermes_indicator_set_t *set;
    char buf[256];

    (void)state;
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    for (uint32_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ermes_indicator_t ind;
        uint32_t id;
        ermes_indicator_init(&ind);
        ind.value = cases[i].in;
        ind.len = strlen(cases[i].in);
        assert_int_equal(ermes_indicator_set_add(set, &ind, &id, NULL), 0);
        assert_int_equal(id, i);
        ermes_indicator_set_value(set, id, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].out);
    }
    ermes_indicator_set_free(set);
}

static int collect(void *ctx, ermes_ind_type_t type, const char *v, size_t len)
{
    int *n = ctx;
    (void)type;
    (void)v;
    (void)len;
    (*n)++;
    return 0;
}

static void test_stix_patterns(void **state)
{
    ermes_diag_t d;
    int n = 0;
    const char *ok = "[ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'it''s'] OR "
                     "[file:hashes.'SHA-256' = 'ab\\'c']";

    (void)state;
    ermes_diag_clear(&d);
    assert_int_equal(ermes_stix_pattern_parse(ok, strlen(ok), collect, &n, &d), ERMES_EPARSE);
    n = 0;
    /* A SHA-256 that is not 64 hex digits is no pattern at all (the OASIS validator's rule). */
    ok = "[file:hashes.'SHA-256' = 'ab\\'c']";
    assert_int_equal(ermes_stix_pattern_parse(ok, strlen(ok), collect, &n, &d), ERMES_EPARSE);
    ok = "[ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'x.example'] OR "
         "[file:hashes.'SHA-256' = "
         "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']";
    assert_int_equal(ermes_stix_pattern_parse(ok, strlen(ok), collect, &n, &d), 0);
    assert_int_equal(n, 3);
    ok = "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x']";
    assert_int_equal(ermes_stix_pattern_parse(ok, strlen(ok), collect, &n, &d), ERMES_EUNSUPPORTED);
    assert_non_null(strstr(d.reason, "AND"));
    ok = "[url:value LIKE 'x%']";
    assert_int_equal(ermes_stix_pattern_parse(ok, strlen(ok), collect, &n, &d), ERMES_EUNSUPPORTED);
    ok = "[process:name = 'x']";
    assert_int_equal(ermes_stix_pattern_parse(ok, strlen(ok), collect, &n, &d), ERMES_EUNSUPPORTED);
    ok = "[domain-name:value = 'x'";
    assert_int_equal(ermes_stix_pattern_parse(ok, strlen(ok), collect, &n, &d), ERMES_EPARSE);
}

static void test_load_csv_and_warninglist(void **state)
{
    const char *csv = "# comment\nvalue,type,confidence,tlp,exact\n"
                      "evil.example,domain,80,AMBER,true\n1.2.3.4,ip-dst,,,\nbad value,,,,\n"
                      "cdn.example,,,,\n10.1.2.0/24,,,,\n";
    const char *wl = "{\"name\":\"cdns\",\"type\":\"hostname\",\"list\":[\"example\"]}";
    const char *wl2 = "{\"name\":\"rfc1918\",\"type\":\"cidr\",\"list\":[\"10.0.0.0/8\"]}";
    ermes_indicator_set_t *set;
    ermes_warninglist_t *w;
    ermes_ind_load_stats_t st;
    ermes_matcher_t *m;
    ermes_matcher_indicator_t mi;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes_indicator_set_load(set, csv, strlen(csv), ERMES_IND_FORMAT_AUTO, NULL,
                                              NULL, NULL, &st, &d),
                     0);
    assert_int_equal(st.added, 4);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(ermes_warninglist_new(wl2, strlen(wl2), &w, &d), 0);
    assert_int_equal(ermes_indicator_set_suppress(set, w, NULL, NULL), 1);
    ermes_warninglist_free(w);
    assert_int_equal(ermes_warninglist_new(wl, strlen(wl), &w, &d), 0);
    assert_int_equal(ermes_warninglist_count(w), 1);
    assert_int_equal(ermes_indicator_set_suppress(set, w, NULL, NULL), 2);
    ermes_warninglist_free(w);
    assert_int_equal(ermes_matcher_build(set, 0, &m), 0);
    assert_int_equal(ermes_matcher_indicator(m, 0, &mi), 0);
    assert_int_equal(mi.confidence, 80);
    assert_int_equal(mi.flags & ERMES_IND_EXACT, ERMES_IND_EXACT);
    assert_int_equal(mi.flags & ERMES_IND_SUPPRESSED, ERMES_IND_SUPPRESSED);
    {
        ermes_matcher_stats_t ms;
        ermes_matcher_stats(m, &ms);
        assert_int_equal(ms.indicators, 1); /* only 1.2.3.4 is left */
    }
    ermes_matcher_release(m);
    assert_int_equal(ermes_warninglist_new("{}", 2, &w, &d), ERMES_EPARSE);
    {
        const char *bad = "{\"name\":\"x\",\"type\":\"y\",\"list\":[]}";
        assert_int_equal(ermes_warninglist_new(bad, strlen(bad), &w, &d), ERMES_EUNSUPPORTED);
    }
    ermes_indicator_set_free(set);
}

/* MISP's regex lists are JavaScript literals in PCRE's dialect (lists/phone_numbers,
 * lists/common-contact-emails): read as POSIX expressions that match what MISP matches. */
static void test_warninglist_misp_regex(void **state)
{
    const char *doc = "{\"name\":\"r\",\"version\":3,\"type\":\"regex\",\"list\":["
                      "\"/^(security|noc|soc|abuse)\\\\@.*\\\\..*$/i\","
                      "\"/((?:\\\\+|00)1)?55501([0-9]{2})/g\"]}";
    ermes_warninglist_t *w;
    ermes_diag_t d;

    (void)state;
    ermes_diag_clear(&d);
    assert_int_equal(ermes_warninglist_new(doc, strlen(doc), &w, &d), 0);
    assert_int_equal(ermes_warninglist_count(w), 2); /* both compiled */
    assert_int_equal(ermes_warninglist_version(w), 3);
    assert_string_equal(ermes_warninglist_type(w), "regex");
    assert_true(ermes_warninglist_contains(w, "Abuse@example.org", 17));
    assert_true(ermes_warninglist_contains(w, "+15550123", 9));
    assert_true(ermes_warninglist_contains(w, "0015550199", 10));
    assert_false(ermes_warninglist_contains(w, "billing@example.org", 19));
    assert_false(ermes_warninglist_contains(w, "/abuse@x.org/i", 14));
    ermes_warninglist_free(w);
}

static int note_line(void *ctx, const ermes_diag_t *d)
{
    long *lines = ctx;
    lines[lines[0]++ + 1] = d->line;
    return 0;
}

/* A plain list: one value a line, a comment may follow it; a network with a bad prefix is not
 * guessed to be a URL, and text after a value is refused, not dropped. */
static void test_load_plain_list(void **state)
{
    const char *list = "evil.example   # c2\n10.0.0.0/33\na b\n10.1.0.0/16 ; net\n"
                       "\n// note\nhttp://x.example/a // phishing\n2001:db8::/129\n";
    ermes_indicator_set_t *set;
    ermes_ind_load_stats_t st;
    ermes_diag_t d;
    long lines[8] = {0};

    (void)state;
    assert_int_equal(ermes_ind_type_guess("10.0.0.0/33", 11), ERMES_IND_NONE);
    assert_int_equal(ermes_ind_type_guess("2001:db8::/129", 14), ERMES_IND_NONE);
    assert_int_equal(ermes_ind_type_guess("x.example/a", 11), ERMES_IND_URL);
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes_indicator_set_load(set, list, strlen(list), ERMES_IND_FORMAT_LIST, NULL,
                                              note_line, lines, &st, &d),
                     0);
    assert_int_equal(st.added, 3);
    assert_int_equal(st.rejected, 3);
    assert_int_equal(lines[0], 3);
    assert_int_equal(lines[1], 2);
    assert_int_equal(lines[2], 3);
    assert_int_equal(lines[3], 8);
    ermes_indicator_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guess),           cmocka_unit_test(test_normalised_values),
        cmocka_unit_test(test_stix_patterns),   cmocka_unit_test(test_load_csv_and_warninglist),
        cmocka_unit_test(test_load_plain_list), cmocka_unit_test(test_warninglist_misp_regex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
