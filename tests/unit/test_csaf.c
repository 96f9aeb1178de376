/* Tests of the CSAF validator's parts (src/advisories/): the JSON Schema subset
 * (jsonschema.c), BCP 47 tags (lang.c), package URLs (purl.c) and the validator on small
 * documents (csaf.c). Agreement with csaf-validator-lib is tests/integration/test_csaf.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/csaf_int.h"
#include "advisories/jsonschema.h"

static void count_cb(void *ctx, const char *path, const char *message)
{
    (void)path;
    (void)message;
    (*(int *)ctx)++;
}

static int errors(const char *schema_text, const char *instance_text)
{
    json_t *schema = json_loads(schema_text, 0, NULL);
    json_t *inst = json_loads(instance_text, JSON_DECODE_ANY, NULL);
    ermes__jschema_t *s = NULL;
    int n = 0, rc;

    assert_non_null(schema);
    assert_non_null(inst);
    assert_int_equal(ermes__jschema_compile(schema, NULL, NULL, 0, 1, &s, NULL), 0);
    rc = ermes__jschema_validate(s, inst, count_cb, &n, 100);
    assert_int_equal(rc, n);
    ermes__jschema_free(s);
    json_decref(schema);
    json_decref(inst);
    return n;
}

static void test_jsonschema(void **state)
{
    const char *obj = "{\"type\":\"object\",\"required\":[\"a\"],\"properties\":{\"a\":{\"type\":"
                      "\"string\",\"minLength\":2,\"pattern\":\"^x\\\\d+$\"},\"b\":{\"$ref\":\"#/"
                      "$defs/list\"}},\"$defs\":{\"list\":{\"type\":\"array\",\"minItems\":1,"
                      "\"uniqueItems\":true,\"items\":{\"enum\":[1,2,3]}}}}";

    (void)state;
    assert_int_equal(errors(obj, "{\"a\":\"x12\"}"), 0);
    assert_int_equal(errors(obj, "{\"a\":\"x12\",\"b\":[1,2]}"), 0);
    assert_int_equal(errors(obj, "{}"), 1);                           /* required */
    assert_int_equal(errors(obj, "{\"a\":\"y\"}"), 2);                /* minLength, pattern */
    assert_int_equal(errors(obj, "{\"a\":\"x1\",\"c\":1}"), 1);       /* strict */
    assert_int_equal(errors(obj, "{\"a\":\"x1\",\"b\":[1,1,4]}"), 2); /* unique, enum */
    assert_int_equal(errors(obj, "{\"a\":\"x1\",\"b\":[]}"), 1);      /* minItems */
    assert_int_equal(errors(obj, "[]"), 1);                           /* type */
    assert_int_equal(errors("{\"format\":\"date-time\"}", "\"2024-02-29T10:00:00Z\""), 0);
    assert_int_equal(errors("{\"format\":\"date-time\"}", "\"2023-02-29T10:00:00Z\""), 1);
    assert_int_equal(errors("{\"format\":\"date-time\"}", "\"2024-01-01T10:00:00\""), 1);
    assert_int_equal(errors("{\"format\":\"uri\"}", "\"https://example.com/a%20b\""), 0);
    assert_int_equal(errors("{\"format\":\"uri\"}", "\"no scheme\""), 1);
    assert_int_equal(errors("{\"oneOf\":[{\"type\":\"string\"},{\"minLength\":1}]}", "\"x\""), 1);
    assert_int_equal(errors("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "2.0"),
                     0);
}

static void test_unknown_keyword_refused(void **state)
{
    json_t *schema = json_loads("{\"if\":{}}", 0, NULL);
    ermes__jschema_t *s = NULL;
    ermes_diag_t d;

    (void)state;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__jschema_compile(schema, NULL, NULL, 0, 0, &s, &d), ERMES_EINVAL);
    assert_non_null(strstr(d.reason, "\"if\""));
    json_decref(schema);
}

static void test_language_tags(void **state)
{
    static const char *const good[] = {"en",       "de-DE",      "zh-Hant-TW", "es-419",
                                       "sl-rozaj", "x-private",  "i-default",  "en-US-u-ca-gregory",
                                       "qaa",      "sr-Latn-RS", NULL};
    static const char *const bad[] = {"zz",     "en-UK", "e",          "en--US", "de-DE-DE",
                                      "en-a-b", "en-u",  "toolongtag", "",       NULL};

    (void)state;
    for (int i = 0; good[i]; i++)
        assert_true(ermes__lang_tag_valid(good[i]));
    for (int i = 0; bad[i]; i++)
        assert_false(ermes__lang_tag_valid(bad[i]));
}

static void test_purl(void **state)
{
    static const char *const good[] = {"pkg:npm/%40angular/animation@12.3.1",
                                       "pkg:maven/org.apache/commons@1.0?type=jar",
                                       "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie",
                                       "pkg:generic/openssl@1.1.1#src", NULL};
    static const char *const bad[] = {"npm/x@1",      "pkg:/x",     "pkg:npm/",
                                      "pkg:npm/x%zz", "pkg:1npm/x", "pkg:npm/x?a=1&a=2",
                                      "pkg:npm/x?=1", NULL};

    (void)state;
    for (int i = 0; good[i]; i++)
        assert_true(ermes__purl_valid(good[i], strlen(good[i])));
    for (int i = 0; bad[i]; i++)
        assert_false(ermes__purl_valid(bad[i], strlen(bad[i])));
}

static void test_validate_small_documents(void **state)
{
    ermes_csaf_result_t r;
    ermes_diag_t d;
    const char *not_json = "{\"document\": ";

    (void)state;
    assert_int_equal(ermes_csaf_init(), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes_csaf_validate(not_json, strlen(not_json), &r, &d), ERMES_EPARSE);
    assert_non_null(strstr(d.reason, "not JSON"));
    assert_int_equal(ermes_csaf_validate("{}", 2, &r, &d), 0);
    assert_false(r.valid);
    assert_string_equal(r.failed[0].test, "schema");
    assert_string_equal(r.failed[0].path, "");
    char *json = ermes_csaf_result_json(&r, "x.json");
    assert_non_null(strstr(json, "\"file\":\"x.json\",\"valid\":false"));
    free(json);
    ermes_csaf_result_cleanup(&r);
    assert_int_equal(ermes_csaf_validate("[]", 2, &r, &d), 0);
    assert_false(r.valid);
    ermes_csaf_result_cleanup(&r);
}

/* Cisco's example advisory: findings of the optional and the informative tests. */
static char *example_text(size_t *len)
{
    const char *src = getenv("ERMES_SOURCE_DIR");
    char path[1024];
    FILE *f;
    char *text = malloc(1 << 20);

    snprintf(path, sizeof(path),
             "%s/../shared/conformance/csaf/csaf_2.0/examples/csaf/cisco-sa-20180328-smi2.json",
             src ? src : ".");
    f = fopen(path, "rb");
    if (!f || !text)
        fail_msg("cannot read %s", path);
    *len = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    return text;
}

/* The groups of r's failures: 1 mandatory, 2 optional, 4 informative. */
static int groups(const ermes_csaf_result_t *r)
{
    int g = 0;

    for (size_t i = 0; i < r->listed; i++)
        g |= strcmp(r->failed[i].group, "mandatory") == 0  ? 1
             : strcmp(r->failed[i].group, "optional") == 0 ? 2
                                                           : 4;
    return g;
}

/* Presets as csaf-validator-lib names them: each runs its groups and no other; the full one
 * is what ermes_csaf_validate does. */
static void test_presets(void **state)
{
    ermes_csaf_preset_t p = ERMES_CSAF_BASIC;
    ermes_csaf_result_t r, full;
    ermes_diag_t d;
    size_t len;
    char *text = example_text(&len);

    (void)state;
    assert_int_equal(ermes_csaf_preset_parse("full", &p), 0);
    assert_int_equal(p, ERMES_CSAF_FULL);
    assert_int_equal(ermes_csaf_preset_parse("extended", &p), 0);
    assert_int_equal(p, ERMES_CSAF_EXTENDED);
    assert_int_equal(ermes_csaf_preset_parse("basic", &p), 0);
    assert_int_equal(p, ERMES_CSAF_BASIC);
    assert_int_equal(ermes_csaf_preset_parse("Full", &p), ERMES_EINVAL);
    assert_int_equal(ermes_csaf_preset_parse("", &p), ERMES_EINVAL);
    assert_int_equal(ermes_csaf_preset_parse(NULL, &p), ERMES_EINVAL);
    assert_int_equal(p, ERMES_CSAF_BASIC);

    ermes_diag_clear(&d);
    assert_int_equal(ermes_csaf_validate(text, len, &full, &d), 0);
    assert_true(full.valid);
    assert_int_equal(groups(&full), 2 | 4);
    assert_int_equal(ermes_csaf_validate_preset(text, len, ERMES_CSAF_FULL, &r, &d), 0);
    assert_int_equal(r.listed, full.listed);
    ermes_csaf_result_cleanup(&r);
    assert_int_equal(ermes_csaf_validate_preset(text, len, ERMES_CSAF_EXTENDED, &r, &d), 0);
    assert_true(r.valid);
    assert_int_equal(groups(&r), 2);
    ermes_csaf_result_cleanup(&r);
    assert_int_equal(ermes_csaf_validate_preset(text, len, ERMES_CSAF_BASIC, &r, &d), 0);
    assert_true(r.valid);
    assert_int_equal(r.listed, 0);
    ermes_csaf_result_cleanup(&r);
    /* The mandatory group is the same in every preset. */
    assert_int_equal(ermes_csaf_validate_preset("{}", 2, ERMES_CSAF_BASIC, &r, &d), 0);
    assert_false(r.valid);
    assert_int_equal(groups(&r), 1);
    ermes_csaf_result_cleanup(&r);
    ermes_csaf_result_cleanup(&full);
    free(text);
}

typedef struct {
    const char *text;
    size_t len;
    char *expected[2]; /* the result's JSON, full and basic, from one thread */
    int mismatches;
} concurrent_t;

static char *result_json(const char *text, size_t len, ermes_csaf_preset_t preset)
{
    ermes_csaf_result_t r;
    ermes_diag_t d;
    char *json = NULL;

    ermes_diag_clear(&d);
    if (ermes_csaf_validate_preset(text, len, preset, &r, &d) == 0) {
        json = ermes_csaf_result_json(&r, NULL);
        ermes_csaf_result_cleanup(&r);
    }
    return json;
}

static void *concurrent_cb(void *arg)
{
    concurrent_t *c = arg;

    for (int k = 0; k < 10; k++) {
        char *json = result_json(c->text, c->len, k % 2 ? ERMES_CSAF_BASIC : ERMES_CSAF_FULL);
        if (!json || strcmp(json, c->expected[k % 2]) != 0)
            __atomic_add_fetch(&c->mismatches, 1, __ATOMIC_RELAXED);
        free(json);
    }
    return NULL;
}

/* What `ermes csaf validate --jobs N` relies on: threads validating at once (each with its
 * own heap and member cache, sharing the compiled schema) get what one thread gets. */
static void test_concurrent_validations(void **state)
{
    concurrent_t c = {0};
    pthread_t t[4];

    (void)state;
    c.text = example_text(&c.len);
    c.expected[0] = result_json(c.text, c.len, ERMES_CSAF_FULL);
    c.expected[1] = result_json(c.text, c.len, ERMES_CSAF_BASIC);
    assert_non_null(c.expected[0]);
    assert_non_null(c.expected[1]);
    for (int k = 0; k < 4; k++)
        assert_int_equal(pthread_create(&t[k], NULL, concurrent_cb, &c), 0);
    for (int k = 0; k < 4; k++)
        pthread_join(t[k], NULL);
    assert_int_equal(c.mismatches, 0);
    free(c.expected[0]);
    free(c.expected[1]);
    free((char *)c.text);
}

/* The tests' string sets (csaf.c): members in the order first added, past the inline
 * capacity too, a member added again keeps its place, copies outlive the caller's buffer,
 * and a key that is not UTF-8 is refused as jansson refused it. */
static void test_string_set(void **state)
{
    static char names[100][16];
    ermes__csaf_set_t set;
    int rc = 0;
    char buf[16];

    (void)state;
    ermes__csaf_set_init(&set, &rc);
    assert_false(ermes__csaf_set_has(&set, "CSAFPID-0"));
    assert_int_equal(ermes__csaf_set_add(&set, NULL), 0);
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof(names[i]), "CSAFPID-%d", i);
        assert_int_equal(ermes__csaf_set_add(&set, names[i]), 1);
    }
    assert_int_equal(ermes__csaf_set_add(&set, "CSAFPID-7"), 0);
    assert_int_equal(set.n, 100);
    for (int i = 0; i < 100; i++) {
        assert_ptr_equal(set.key[i], names[i]);
        assert_true(ermes__csaf_set_has(&set, names[i]));
    }
    assert_false(ermes__csaf_set_has(&set, "CSAFPID-100"));
    assert_false(ermes__csaf_set_has(&set, "CSAFPID-"));
    /* The same set through a hash computed once. */
    assert_true(ermes__csaf_set_has_hashed(&set, names[42], ermes__csaf_set_hash(names[42])));
    assert_int_equal(ermes__csaf_set_add_hashed(&set, names[42], ermes__csaf_set_hash(names[42])),
                     0);
    assert_int_equal(
        ermes__csaf_set_add_hashed(&set, "CSAFPID-100", ermes__csaf_set_hash("CSAFPID-100")), 1);
    assert_true(ermes__csaf_set_has(&set, "CSAFPID-100"));
    assert_ptr_equal(set.key[100], "CSAFPID-100");
    assert_int_equal(set.hash[100], ermes__csaf_set_hash("CSAFPID-100"));
    assert_int_equal(ermes__csaf_set_add_hashed(&set, NULL, 0), 0);
    assert_false(ermes__csaf_set_has_hashed(&set, NULL, 0));
    ermes__csaf_set_cleanup(&set);
    assert_int_equal(set.n, 0);
    assert_false(ermes__csaf_set_has(&set, "CSAFPID-1"));

    snprintf(buf, sizeof(buf), "3.1\nA");
    assert_int_equal(ermes__csaf_set_add_copy(&set, buf), 1);
    assert_int_equal(ermes__csaf_set_add_copy(&set, buf), 0);
    buf[0] = '2';
    assert_true(ermes__csaf_set_has(&set, "3.1\nA"));
    assert_false(ermes__csaf_set_has(&set, buf));
    assert_int_equal(ermes__csaf_set_add_copy(&set, "cut \xc3"), 0);
    assert_false(ermes__csaf_set_has(&set, "cut \xc3"));
    assert_int_equal(set.n, 1);
    ermes__csaf_set_cleanup(&set);
    assert_int_equal(rc, 0);
}

/* The two patterns of the CSAF schema the walk checks by hand (jsonschema.c) give what PCRE2
 * gives for the same pattern written so that the walk does not recognise it: $ also before a
 * final newline, . anything but a newline, texts past ASCII. */
static void test_hand_checked_patterns(void **state)
{
    static const char *const hex[] = {
        "\"0123456789abcdef0123456789ABCDEF\"",
        "\"0123456789abcdef0123456789ABCDE\"",
        "\"0123456789abcdef0123456789ABCDEF\\n\"",
        "\"0123456789abcdef0123456789ABCDEF\\n\\n\"",
        "\"0123456789abcdef0123456789ABCDEF\\r\\n\"",
        "\"0123456789abcdef0123456789ABCDEF \"",
        "\"\\n0123456789abcdef0123456789ABCDEF\"",
        "\"0123456789abcdeg0123456789ABCDEF\"",
        "\"0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789ABCDEF\"",
        "\"0123456789abcdef0123456789ABCDE\\u00e9\"",

        "\"\"",
        "\"\\n\""};
    static const char *const purl[] = {"\"pkg:a/b\"",
                                       "\"pkg:a/\"",
                                       "\"pkg:a/\\n\"",
                                       "\"pkg:a/\\nx\"",
                                       "\"pkg:a/\\r\"",
                                       "\"pkg:/b\"",
                                       "\"pkg:1a/b\"",
                                       "\"pkg:a1/b\"",
                                       "\"pkg:.+-/b\"",
                                       "\"pkg:a.b+c-D/x\"",
                                       "\"pkg:a\"",
                                       "\"pkg:a?b/c\"",
                                       "\"pkg:a//\"",
                                       "\"xpkg:a/b\"",
                                       "\"PKG:a/b\"",
                                       "\"pkg:a\\n/b\"",
                                       "\"pkg:\\u00e9/x\"",
                                       "\"pkg:a/\\u00e9\"",
                                       "\"pkg:a/b\\u00e9\"",
                                       "\"pkg:\"",
                                       "\"pkg\"",
                                       "\"\""};
    char a[256], b[256];

    (void)state;
    for (size_t i = 0; i < sizeof(hex) / sizeof(*hex); i++) {
        snprintf(a, sizeof(a), "{\"pattern\":\"^[0-9a-fA-F]{32,}$\"}");
        snprintf(b, sizeof(b), "{\"pattern\":\"(?:^[0-9a-fA-F]{32,}$)\"}");
        assert_int_equal(errors(a, hex[i]), errors(b, hex[i]));
    }
    assert_int_equal(errors(a, hex[0]), 0);
    assert_int_equal(errors(a, hex[2]), 0);
    assert_int_equal(errors(a, hex[1]), 1);
    for (size_t i = 0; i < sizeof(purl) / sizeof(*purl); i++) {
        snprintf(a, sizeof(a),
                 "{\"pattern\":\"^pkg:[A-Za-z\\\\.\\\\-\\\\+][A-Za-z0-9\\\\.\\\\-\\\\+]*/.+\"}");
        snprintf(
            b, sizeof(b),
            "{\"pattern\":\"(?:^pkg:[A-Za-z\\\\.\\\\-\\\\+][A-Za-z0-9\\\\.\\\\-\\\\+]*/.+)\"}");
        assert_int_equal(errors(a, purl[i]), errors(b, purl[i]));
    }
    assert_int_equal(errors(a, purl[0]), 0);
    assert_int_equal(errors(a, purl[3]), 1);
    assert_int_equal(errors(a, purl[18]), 0);
    /* The last result a pattern gave is remembered by its text, not by its place. */
    assert_int_equal(errors("{\"items\":{\"pattern\":\"^a+$\"}}",
                            "[\"a\",\"b\",\"a\",\"b\",\"b\",\"aa\",\"aa\",\"ab\"]"),
                     4);
}

/* A path written only on failure (csaf_int.h) has the bytes snprintf gave when the walks
 * wrote one level at a time into buffers of the same size, cut short at every size. */
static void test_lazy_path(void **state)
{
    static const size_t caps[] = {1, 2, 17, 64, 512, 1024, 4096};
    ermes__csaf_at_t at[70];
    char want[4096], level[4096], got[4096];

    (void)state;
    for (size_t c = 0; c < sizeof(caps) / sizeof(*caps); c++) {
        size_t cap = caps[c];
        at[0] = (ermes__csaf_at_t){NULL, "/product_tree/branches", NULL, 0, 0};
        snprintf(want, cap, "%s", "/product_tree/branches");
        for (size_t k = 1; k < 70; k++) {
            /* Indexes of every width, a level with a second text, one with none. */
            size_t index = k % 3 == 0 ? (size_t)-1 / (k * k) : k * 997;
            const char *text = k % 5 == 0 ? NULL : "/branches";
            const char *text2 = k % 7 == 0 ? "/x" : NULL;
            at[k] = (ermes__csaf_at_t){&at[k - 1], text, text2, index, 1};
            snprintf(level, cap, "%s/%zu%s%s", want, index, text ? text : "", text2 ? text2 : "");
            memcpy(want, level, cap);
            assert_ptr_equal(ermes__csaf_at_write(got, cap, &at[k]), got);
            assert_string_equal(got, want);
        }
    }
    at[1] = (ermes__csaf_at_t){&at[0], NULL, NULL, 0, 0};
    assert_string_equal(ermes__csaf_at_write(got, sizeof(got), &at[1]), "/product_tree/branches");
}

/* The product walks report the paths of failures deep in the branches and in the lists of a
 * vulnerability, written only for the ids that fail. */
static void test_failure_paths(void **state)
{
    static const char doc[] =
        "{\"document\":{\"category\":\"csaf_base\",\"csaf_version\":\"2.0\","
        "\"publisher\":{\"category\":\"vendor\",\"name\":\"V\",\"namespace\":"
        "\"https://example.com\"},\"title\":\"T\",\"tracking\":{\"current_release_date\":"
        "\"2024-01-01T00:00:00.000Z\",\"id\":\"X-1\",\"initial_release_date\":"
        "\"2024-01-01T00:00:00.000Z\",\"revision_history\":[{\"date\":"
        "\"2024-01-01T00:00:00.000Z\",\"number\":\"1\",\"summary\":\"s\"}],"
        "\"status\":\"final\",\"version\":\"1\"}},"
        "\"product_tree\":{\"branches\":[{\"category\":\"vendor\",\"name\":\"V\","
        "\"branches\":[{\"category\":\"product_name\",\"name\":\"P\",\"product\":"
        "{\"name\":\"P\",\"product_id\":\"A\"}},{\"category\":\"product_name\","
        "\"name\":\"Q\",\"product\":{\"name\":\"Q\",\"product_id\":\"A\"}}]}]},"
        "\"vulnerabilities\":[{\"product_status\":{\"fixed\":[\"A\",\"B\"]},"
        "\"remediations\":[{\"category\":\"vendor_fix\",\"details\":\"d\","
        "\"product_ids\":[\"A\",\"A\",\"C\"]}]}]}";
    static const char *const want[][2] = {
        {"6.1.1", "/vulnerabilities/0/product_status/fixed/1"},
        {"6.1.1", "/vulnerabilities/0/remediations/0/product_ids/2"},
        {"6.1.2", "/product_tree/branches/0/branches/1/product/product_id"},
    };
    ermes_csaf_result_t r;
    ermes_diag_t d;
    size_t found = 0;

    (void)state;
    assert_int_equal(ermes_csaf_init(), 0);
    assert_int_equal(ermes_csaf_validate(doc, strlen(doc), &r, &d), 0);
    assert_false(r.valid);
    for (size_t i = 0; i < r.listed; i++) {
        if (strcmp(r.failed[i].test, "6.1.1") != 0 && strcmp(r.failed[i].test, "6.1.2") != 0)
            continue;
        assert_true(found < sizeof(want) / sizeof(*want));
        assert_string_equal(r.failed[i].test, want[found][0]);
        assert_string_equal(r.failed[i].path, want[found][1]);
        found++;
    }
    assert_int_equal(found, sizeof(want) / sizeof(*want));
    ermes_csaf_result_cleanup(&r);
}

/* minLength counts characters, not bytes, and stops counting once it has enough. */
/* A document the validator's reader declines but jansson accepts (a number longer than the
 * scanner takes on) goes through jansson and is copied into the same representation: the
 * failures are those of the same document with the number written short. A document the
 * reader declines for its depth is refused as before. */
static void test_validate_through_jansson(void **state)
{
    char longer[512], shorter[512], deep[300];
    ermes_csaf_result_t a, b;
    ermes_diag_t d;
    size_t n = 0;

    (void)state;
    assert_int_equal(ermes_csaf_init(), 0);
    snprintf(shorter, sizeof(shorter),
             "{\"document\":{\"category\":\"csaf_base\",\"csaf_version\":2.5,\"x\":[]}}");
    snprintf(longer, sizeof(longer),
             "{\"document\":{\"category\":\"csaf_base\",\"csaf_version\":2.5%070d,"
             "\"x\":[]}}",
             0);
    assert_int_equal(ermes_csaf_validate(shorter, strlen(shorter), &a, &d), 0);
    assert_int_equal(ermes_csaf_validate(longer, strlen(longer), &b, &d), 0);
    assert_false(a.valid);
    assert_int_equal(a.count, b.count);
    assert_int_equal(a.listed, b.listed);
    for (size_t i = 0; i < a.listed; i++) {
        assert_string_equal(a.failed[i].test, b.failed[i].test);
        assert_string_equal(a.failed[i].path, b.failed[i].path);
        assert_string_equal(a.failed[i].message, b.failed[i].message);
    }
    ermes_csaf_result_cleanup(&a);
    ermes_csaf_result_cleanup(&b);
    for (int i = 0; i < 65; i++)
        deep[n++] = '[';
    for (int i = 0; i < 65; i++)
        deep[n++] = ']';
    ermes_diag_clear(&d);
    assert_int_equal(ermes_csaf_validate(deep, n, &a, &d), ERMES_EPARSE);
    assert_non_null(strstr(d.reason, "nested deeper than 64 levels"));
}

static void test_min_length_characters(void **state)
{
    (void)state;
    assert_int_equal(errors("{\"minLength\":3}", "\"\\u00e9\\u00e9\\u00e9\""), 0);
    assert_int_equal(errors("{\"minLength\":3}", "\"\\u00e9\\u00e9\""), 1);
    assert_int_equal(errors("{\"minLength\":2}", "\"\\ud83d\\ude00\""), 1);
    assert_int_equal(errors("{\"minLength\":2}", "\"\\ud83d\\ude00\\ud83d\\ude00\""), 0);
    assert_int_equal(errors("{\"minLength\":1}", "\"\""), 1);
    assert_int_equal(errors("{\"minLength\":1}", "\"a long text of many characters\""), 0);
    assert_int_equal(errors("{\"minLength\":1,\"maxLength\":3}", "\"abcd\""), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonschema),
        cmocka_unit_test(test_unknown_keyword_refused),
        cmocka_unit_test(test_language_tags),
        cmocka_unit_test(test_purl),
        cmocka_unit_test(test_validate_small_documents),
        cmocka_unit_test(test_string_set),
        cmocka_unit_test(test_lazy_path),
        cmocka_unit_test(test_hand_checked_patterns),
        cmocka_unit_test(test_failure_paths),
        cmocka_unit_test(test_min_length_characters),
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_concurrent_validations),
        cmocka_unit_test(test_validate_through_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
