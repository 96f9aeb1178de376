/* The STIX 2.1 pattern parser against the OASIS pattern validator's own cases
 * (../shared/conformance/stix/patterns/: validator_cases.json and spec_examples.txt): every
 * case passes or fails as listed there, and where a failure names its column ("line 1:N"),
 * ermes names the same one. Then the conversions between patterns and ermes indicators. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sharing/pattern.h"

static char dir[4096];

static int parses(const char *s, ermes_diag_t *d)
{
    ermes__pattern_t p;
    int rc;

    ermes_diag_clear(d);
    rc = ermes__pattern_parse(s, strlen(s), &p, d);
    ermes__pattern_cleanup(&p);
    return rc;
}

static void check_pass(const char *s)
{
    ermes_diag_t d;
    int rc = parses(s, &d);
    if (rc)
        fail_msg("should pass: %s (%s)", s, d.reason);
}

static void check_fail(const char *s, const char *expected)
{
    ermes_diag_t d;
    const char *at = strstr(expected, "line 1:");
    int rc = parses(s, &d);

    if (rc != ERMES_EPARSE)
        fail_msg("should fail (%s): %s", expected, s);
    /* "Error found at line 1:13." names the 0-based column of the offending token. */
    if (at && at[7] >= '0' && at[7] <= '9') {
        long col = strtol(at + 7, NULL, 10);
        if (d.offset != col)
            fail_msg("%s: ermes fails at %ld (%s), the validator at %ld", s, d.offset, d.reason,
                     col);
    }
    if (strstr(expected, "Duplicate qualifier") && !strstr(d.reason, "Duplicate qualifier"))
        fail_msg("%s: %s", s, d.reason);
    if (strstr(expected, "not a valid") && !strstr(d.reason, "not a valid"))
        fail_msg("%s: %s", s, d.reason);
}

static void test_validator_cases(void **state)
{
    char path[4200];
    json_error_t err;
    json_t *doc, *v;
    size_t i, npass = 0, nfail = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/../shared/conformance/stix/patterns/validator_cases.json",
             dir);
    doc = json_load_file(path, 0, &err);
    assert_non_null(doc);
    json_array_foreach(json_object_get(doc, "PASS_CASES"), i, v)
    {
        check_pass(json_string_value(v));
        npass++;
    }
    json_array_foreach(json_object_get(doc, "TIMESTAMP_PASS_CASES"), i, v)
    {
        check_pass(json_string_value(v));
        npass++;
    }
    json_array_foreach(json_object_get(doc, "FAIL_CASES"), i, v)
    {
        check_fail(json_string_value(json_array_get(v, 0)),
                   json_string_value(json_array_get(v, 1)));
        nfail++;
    }
    json_array_foreach(json_object_get(doc, "TIMESTAMP_FAIL_CASES"), i, v)
    {
        check_fail(json_string_value(json_array_get(v, 0)),
                   json_string_value(json_array_get(v, 1)));
        nfail++;
    }
    assert_int_equal(npass, 37);
    assert_int_equal(nfail, 27);
    json_decref(doc);
}

static void test_spec_examples(void **state)
{
    char path[4200], line[8192];
    FILE *f;
    int n = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/../shared/conformance/stix/patterns/spec_examples.txt", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        check_pass(line);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 23);
}

/* Corners of the grammar the cases above do not reach. */
static void test_grammar_corners(void **state)
{
    (void)state;
    check_pass("[a:b = 'x'] /* comment */ // line comment");
    check_pass("[a:b = -1.5] AND [a:c < +.5] OR [a:d[-1] = h''] FOLLOWEDBY [a:e = b'AAAA']");
    check_pass("[a:b = true AND NOT EXISTS a:c]");
    check_pass("[a:b IN ()]");
    check_pass("[a:'quoted'.x = 'it\\'s']");
    check_pass("[a:b = 'x'] START t'2024-01-01T00:00:00Z' STOP t'2024-01-01T00:00:00.5Z'");
    check_fail("[a:b = 'x'] OR", "");
    check_fail("[a:b > true]", "");   /* booleans are not orderable */
    check_fail("[a:b LIKE 5]", "");   /* LIKE takes a string */
    check_fail("[a:b = 'x\\n']", ""); /* only \\' and \\\\ escape */
    check_fail("[a:b = 01]", "");     /* no leading zero */
    check_fail("[a:b = b'AAA']", ""); /* base64 in whole groups */
    check_fail("[a:b = h'abc']", ""); /* hex in pairs */
    check_fail("[a:b = 'x'] REPEATS 1.5 TIMES", "");
    check_fail("[a-b:c-d = 'x']", ""); /* property names have no hyphen */
    check_fail("[a:b = 'x' AND]", "");
    check_fail("", "");
    {
        /* Deep nesting is bounded, not a stack overflow. */
        char deep[4000];
        size_t k = 0;
        for (int i = 0; i < 1000; i++)
            deep[k++] = '(';
        memcpy(deep + k, "[a:b = 1]", 9);
        k += 9;
        for (int i = 0; i < 1000; i++)
            deep[k++] = ')';
        deep[k] = '\0';
        ermes_diag_t d;
        assert_int_equal(parses(deep, &d), ERMES_ETOOBIG);
    }
}

typedef struct got {
    int n;
    char buf[1024];
} got_t;

static int got_cb(void *ctx, ermes_ind_type_t type, const char *v, size_t len, unsigned flags)
{
    got_t *g = ctx;
    size_t k = strlen(g->buf);
    snprintf(g->buf + k, sizeof(g->buf) - k, "%s%s=%.*s%s", g->n ? " " : "",
             ermes_ind_type_name(type), (int)len, v, flags & ERMES_IND_EXACT ? "!" : "");
    g->n++;
    return 0;
}

static int convert(const char *s, got_t *g, ermes_diag_t *d)
{
    ermes__pattern_t p;
    int rc;

    memset(g, 0, sizeof(*g));
    ermes_diag_clear(d);
    rc = ermes__pattern_parse(s, strlen(s), &p, d);
    if (rc == 0)
        rc = ermes__pattern_indicators(&p, got_cb, g, d);
    ermes__pattern_cleanup(&p);
    return rc;
}

static void test_to_indicators(void **state)
{
    got_t g;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(convert("[ipv4-addr:value = '192.0.2.1' OR domain-name:value = 'x.example']"
                             " OR [file:hashes.'SHA-256' = "
                             "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
                             &g, &d),
                     0);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.buf,
                        "none=192.0.2.1 domain=x.example "
                        "sha256=aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f");
    assert_int_equal(convert("[url:value IN ('http://a.example/x', 'http://b.example/y')]", &g, &d),
                     0);
    assert_string_equal(g.buf, "url=http://a.example/x url=http://b.example/y");
    assert_int_equal(convert("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", &g, &d), 0);
    assert_string_equal(g.buf, "none=198.51.100.0/24");
    assert_int_equal(convert("[domain-name:value = 'x.example' OR domain-name:value LIKE "
                             "'%.x.example']",
                             &g, &d),
                     0);
    assert_int_equal(g.n, 2);
    /* What ermes cannot match is reported whole, and nothing of it is passed on. */
    assert_int_equal(
        convert("[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'x']", &g, &d),
        ERMES_EUNSUPPORTED);
    assert_int_equal(g.n, 0);
    assert_int_equal(convert("[ipv4-addr:value = '192.0.2.1' OR process:name = 'x']", &g, &d),
                     ERMES_EUNSUPPORTED);
    assert_int_equal(g.n, 0);
    assert_non_null(strstr(d.reason, "process:name"));
    assert_int_equal(convert("[ipv4-addr:value = '192.0.2.1'] WITHIN 5 SECONDS", &g, &d),
                     ERMES_EUNSUPPORTED);
    assert_int_equal(convert("[ipv4-addr:value != '192.0.2.1']", &g, &d), ERMES_EUNSUPPORTED);
    assert_int_equal(convert("[domain-name:value LIKE 'x%']", &g, &d), ERMES_EUNSUPPORTED);
}

static void test_from_indicators(void **state)
{
    static const struct {
        ermes_ind_type_t type;
        const char *value;
        unsigned flags;
        const char *pattern;
    } cases[] = {
        {ERMES_IND_IPV4, "192.0.2.1", 0, "[ipv4-addr:value = '192.0.2.1']"},
        {ERMES_IND_IPV6, "2001:db8::1", 0, "[ipv6-addr:value = '2001:db8::1']"},
        {ERMES_IND_CIDR, "2001:db8::/32", 0, "[ipv6-addr:value = '2001:db8::/32']"},
        {ERMES_IND_DOMAIN, "x.example", ERMES_IND_EXACT, "[domain-name:value = 'x.example']"},
        {ERMES_IND_DOMAIN, "x.example", 0,
         "[domain-name:value = 'x.example' OR domain-name:value LIKE '%.x.example']"},
        {ERMES_IND_URL, "http://x.example/it's", 0, "[url:value = 'http://x.example/it\\'s']"},
        {ERMES_IND_MD5, "cead3f77f6cda6ec00f57d76c9a6879f", 0,
         "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']"},
        {ERMES_IND_EMAIL, "a@x.example", 0, "[email-addr:value = 'a@x.example']"},
    };
    char buf[512];
    got_t g;
    ermes_diag_t d;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(ermes__pattern_from_indicator(cases[i].type, cases[i].value,
                                                       strlen(cases[i].value), cases[i].flags, buf,
                                                       sizeof(buf)),
                         0);
        assert_string_equal(buf, cases[i].pattern);
        /* And back: the pattern parses and gives the value again. */
        assert_int_equal(convert(buf, &g, &d), 0);
        assert_non_null(strstr(g.buf, cases[i].value));
    }
    assert_int_equal(ermes__pattern_from_indicator(ERMES_IND_IPV4, "192.0.2.1", 9, 0, buf, 10),
                     ERMES_ETOOBIG);
}

int main(void)
{
    const char *src = getenv("ERMES_SOURCE_DIR");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validator_cases), cmocka_unit_test(test_spec_examples),
        cmocka_unit_test(test_grammar_corners), cmocka_unit_test(test_to_indicators),
        cmocka_unit_test(test_from_indicators),
    };

    snprintf(dir, sizeof(dir), "%s", src ? src : ".");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
