/* Tests of the CSAF validator's own document representation (src/advisories/csaf_doc.c):
 * the reader against jansson's verdicts and values, interned keys, the accessors' jansson
 * semantics, the copy from jansson's value, and the arena reused from one document to the
 * next. fuzz/fuzz_csaf_doc.c holds the reader to jansson on arbitrary input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/csaf_doc.h"
#include "ermes/error.h"

static const char *const names[] = {"document", "tracking", "id", "product_id", "document"};

static ermes__csaf_keys_t *keys_new(void)
{
    ermes__csaf_keys_t *k = NULL;

    assert_int_equal(ermes__csaf_keys_new(names, sizeof(names) / sizeof(*names), &k), 0);
    return k;
}

static int read_text(ermes__csaf_doc_t *d, const ermes__csaf_keys_t *k, const char *text)
{
    return ermes__csaf_doc_read(d, k, text, strlen(text), 8);
}

/* Names that agree in their length and first and last eight bytes share a start in the
 * table: each is still found with its own id, and a key that agrees with them in those but
 * is none of them is not found. */
static void test_keys_sharing_a_start(void **state)
{
    static const char *const same[] = {"product_identification_helper",
                                       "product_identifXcation_helper",
                                       "product_identificatioY_helper",
                                       "abc",
                                       "abd",
                                       "a",
                                       ""};
    ermes__csaf_keys_t *k = NULL;

    (void)state;
    assert_int_equal(ermes__csaf_keys_new(same, sizeof(same) / sizeof(*same), &k), 0);
    assert_int_equal(ermes__csaf_keys_count(k), sizeof(same) / sizeof(*same));
    for (size_t i = 0; i < sizeof(same) / sizeof(*same); i++)
        assert_int_equal(ermes__csaf_keys_find(k, same[i], strlen(same[i])), i + 1);
    assert_int_equal(ermes__csaf_keys_find(k, "product_identZfication_helper", 29), 0);
    assert_int_equal(ermes__csaf_keys_find(k, "abe", 3), 0);
    assert_int_equal(ermes__csaf_keys_find(k, "product_identification_helpe", 28), 0);
    ermes__csaf_keys_free(k);
}

/* Every kind of byte that ends a string's plain run (its closing quote, an escape, UTF-8, a
 * control character) at every place in and around the reader's 8-byte words: the same
 * verdict and value as jansson. */
static void test_string_stops(void **state)
{
    static const char *const stops[] = {"",     "\\n",  "\\u00e9", "\xc3\xa9",
                                        "\\\"", "\x01", "\x1f",    "\x7f"};
    ermes__csaf_keys_t *k = keys_new();
    ermes__csaf_doc_t d;
    char text[128];

    (void)state;
    ermes__csaf_doc_init(&d);
    for (size_t s = 0; s < sizeof(stops) / sizeof(*stops); s++)
        for (int before = 0; before < 20; before++)
            for (int after = 0; after < 12; after += 5) {
                int n = snprintf(text, sizeof(text), "[\"%.*s%s%.*s\",\"x\"]", before,
                                 "abcdefghijklmnopqrstuvwxyz", stops[s], after, "ABCDEFGHIJKLMNOP");
                json_t *j = json_loadb(text, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
                int rc = ermes__csaf_doc_read(&d, k, text, (size_t)n, 8);
                if (j) {
                    assert_int_equal(rc, 0);
                    assert_true(ermes__csaf_same_as_json(&d.root, j));
                    json_decref(j);
                } else {
                    assert_int_equal(rc, ERMES_EPARSE);
                }
            }
    ermes__csaf_doc_cleanup(&d);
    ermes__csaf_keys_free(k);
}

/* The reader takes what jansson takes and gives the same values (order, types). */
static void test_agrees_with_jansson(void **state)
{
    static const char *const good[] = {
        "{}",
        "[]",
        " {\"a\" : [1, -0, 2.5, 1e3, 1E-2, -12345678901234, true, false, null]}\n",
        "{\"s\":\"caf\\u00e9 \\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t\",\"\":\"\"}",
        "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]",
        "{\"a\":{\"b\":{\"c\":[[[]]]}},\"d\":[{},{\"e\":1}]}",
        "[9223372036854775807,-9223372036854775808,2.0,1.5e308]",
        NULL};
    static const char *const bad[] = {"",
                                      "1",
                                      "\"x\"",
                                      "{",
                                      "[1,]",
                                      "{\"a\":1,}",
                                      "{\"a\" 1}",
                                      "[01]",
                                      "[1.]",
                                      "[.5]",
                                      "[truex]",
                                      "{\"a\":1,\"a\":2}",
                                      "{\"a\":1,\"\\u0061\":2}",
                                      "[\"\\u0000\"]",
                                      "[\"\\ud800\"]",
                                      "[\"\\udc00x\"]",
                                      "[\"\xc0\xaf\"]",
                                      "[\"\xed\xa0\x80\"]",
                                      "[\"\x01\"]",
                                      "[9223372036854775808]",
                                      "[1e400]",
                                      "[1] x",
                                      "[[[[[[[[[]]]]]]]]]",
                                      NULL};
    ermes__csaf_keys_t *k = keys_new();
    ermes__csaf_doc_t d;

    (void)state;
    ermes__csaf_doc_init(&d);
    for (int i = 0; good[i]; i++) {
        json_t *j = json_loads(good[i], JSON_REJECT_DUPLICATES, NULL);
        assert_non_null(j);
        assert_int_equal(read_text(&d, k, good[i]), 0);
        assert_true(ermes__csaf_same_as_json(&d.root, j));
        json_decref(j);
    }
    for (int i = 0; bad[i]; i++)
        assert_int_equal(read_text(&d, k, bad[i]), ERMES_EPARSE);
    /* Declined past max_depth, which counts the top level as 1. */
    assert_int_equal(ermes__csaf_doc_read(&d, k, "[[[]]]", 6, 3), 0);
    assert_int_equal(ermes__csaf_doc_read(&d, k, "[[[[]]]]", 8, 3), ERMES_EPARSE);
    /* The text need not end in a NUL: only len bytes are read. */
    assert_int_equal(ermes__csaf_doc_read(&d, k, "[1]]", 3, 3), 0);
    assert_int_equal(ermes__csaf_size(&d.root), 1);
    ermes__csaf_doc_cleanup(&d);
    ermes__csaf_keys_free(k);
}

/* Keys are interned against the table: known names have their ids, others 0; lookups by
 * id and by name find the same member; large objects still refuse a duplicate key. */
static void test_interned_keys(void **state)
{
    const char *text = "{\"document\":{\"tracking\":{\"id\":\"X-1\",\"other\":7}},\"zz\":[]}";
    ermes__csaf_keys_t *k = keys_new();
    ermes__csaf_doc_t d;
    char big[4096];
    size_t n = 0;

    (void)state;
    assert_int_equal(ermes__csaf_keys_count(k), 4); /* "document" given twice */
    assert_int_equal(ermes__csaf_keys_find(k, "document", 8), 1);
    assert_int_equal(ermes__csaf_keys_find(k, "product_id", 10), 4);
    assert_int_equal(ermes__csaf_keys_find(k, "produc", 6), 0);
    assert_int_equal(ermes__csaf_keys_find(NULL, "id", 2), 0);
    ermes__csaf_doc_init(&d);
    assert_int_equal(read_text(&d, k, text), 0);
    const ermes__csaf_node_t *doc = ermes__csaf_member_id(&d.root, 1);
    assert_ptr_equal(doc, ermes__csaf_member(&d.root, "document"));
    const ermes__csaf_node_t *tr = ermes__csaf_member_id(doc, 2);
    assert_string_equal(ermes__csaf_string(ermes__csaf_member_id(tr, 3)), "X-1");
    assert_int_equal(tr->u.member[1].id, 0);
    assert_int_equal(ermes__csaf_integer(ermes__csaf_member(tr, "other")), 7);
    assert_null(ermes__csaf_member(tr, "missing"));
    assert_int_equal(d.root.u.member[1].id, 0);

    n += (size_t)snprintf(big + n, sizeof(big) - n, "{");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"k%d\":%d", i ? "," : "", i, i);
    n += (size_t)snprintf(big + n, sizeof(big) - n, "}");
    assert_int_equal(ermes__csaf_doc_read(&d, k, big, n, 8), 0);
    assert_int_equal(ermes__csaf_size(&d.root), 100);
    assert_int_equal(ermes__csaf_integer(ermes__csaf_member(&d.root, "k99")), 99);
    snprintf(big + n - 1, sizeof(big) - n + 1, ",\"k42\":0}");
    assert_int_equal(ermes__csaf_doc_read(&d, k, big, strlen(big), 8), ERMES_EPARSE);
    ermes__csaf_doc_cleanup(&d);
    ermes__csaf_keys_free(k);
}

/* The accessors answer as jansson's functions do, wrong types and NULL included. */
static void test_accessors(void **state)
{
    ermes__csaf_doc_t d;
    const ermes__csaf_node_t *a;

    (void)state;
    ermes__csaf_doc_init(&d);
    assert_int_equal(read_text(&d, NULL, "{\"a\":[\"x\",3,2.5,true,null,{}]}"), 0);
    a = ermes__csaf_member(&d.root, "a");
    assert_true(ermes__csaf_is_array(a));
    assert_int_equal(ermes__csaf_size(a), 6);
    assert_int_equal(ermes__csaf_array_size(a), 6);
    assert_int_equal(ermes__csaf_array_size(&d.root), 0);
    assert_int_equal(ermes__csaf_size(&d.root), 1);
    assert_string_equal(ermes__csaf_string(ermes__csaf_item(a, 0)), "x");
    assert_int_equal(ermes__csaf_string_length(ermes__csaf_item(a, 0)), 1);
    assert_null(ermes__csaf_string(ermes__csaf_item(a, 1)));
    assert_true(ermes__csaf_is_integer(ermes__csaf_item(a, 1)));
    assert_true(ermes__csaf_number(ermes__csaf_item(a, 1)) == 3.0);
    assert_true(ermes__csaf_number(ermes__csaf_item(a, 2)) == 2.5);
    assert_false(ermes__csaf_is_integer(ermes__csaf_item(a, 2)));
    assert_true(ermes__csaf_number(ermes__csaf_item(a, 0)) == 0.0);
    assert_true(ermes__csaf_is_boolean(ermes__csaf_item(a, 3)));
    assert_int_equal(ermes__csaf_item(a, 4)->type, ERMES__CSAF_NULL);
    assert_true(ermes__csaf_is_object(ermes__csaf_item(a, 5)));
    assert_null(ermes__csaf_item(a, 6));
    assert_null(ermes__csaf_item(&d.root, 0));
    assert_null(ermes__csaf_member(a, "a"));
    assert_null(ermes__csaf_member(NULL, "a"));
    assert_null(ermes__csaf_string(NULL));
    assert_int_equal(ermes__csaf_size(NULL), 0);
    ermes__csaf_doc_cleanup(&d);
}

/* json_equal's rules: an integer is not a real, members compare whatever their order. */
static void test_equal(void **state)
{
    ermes__csaf_doc_t a, b;

    (void)state;
    ermes__csaf_doc_init(&a);
    ermes__csaf_doc_init(&b);
    assert_int_equal(read_text(&a, NULL, "[{\"x\":1,\"y\":[\"s\"]}]"), 0);
    assert_int_equal(read_text(&b, NULL, "[{\"y\":[\"s\"],\"x\":1}]"), 0);
    assert_true(ermes__csaf_equal(&a.root, &b.root));
    assert_int_equal(read_text(&b, NULL, "[{\"y\":[\"s\"],\"x\":1.0}]"), 0);
    assert_false(ermes__csaf_equal(&a.root, &b.root));
    assert_int_equal(read_text(&b, NULL, "[{\"y\":[\"s\"],\"z\":1}]"), 0);
    assert_false(ermes__csaf_equal(&a.root, &b.root));
    ermes__csaf_doc_cleanup(&a);
    ermes__csaf_doc_cleanup(&b);
}

/* The copy from jansson's value gives the nodes the reader gives, keys interned; a value
 * nested deeper than the limit is refused. */
static void test_from_json(void **state)
{
    const char *text = "{\"document\":{\"tracking\":{\"id\":\"X\"}},\"n\":[1,2.5,\"t\",null]}";
    ermes__csaf_keys_t *k = keys_new();
    json_t *j = json_loads(text, 0, NULL);
    json_t *deep = json_loads("[[[[[[[[[]]]]]]]]]", 0, NULL);
    ermes__csaf_doc_t d, r;

    (void)state;
    ermes__csaf_doc_init(&d);
    ermes__csaf_doc_init(&r);
    assert_int_equal(ermes__csaf_doc_from_json(&d, k, j, 8), 0);
    assert_true(ermes__csaf_same_as_json(&d.root, j));
    assert_int_equal(read_text(&r, k, text), 0);
    assert_true(ermes__csaf_equal(&d.root, &r.root));
    assert_int_equal(d.root.u.member[0].id, 1);
    assert_int_equal(ermes__csaf_doc_from_json(&d, k, deep, 8), ERMES_EINVAL);
    json_t *s = json_string("scalar");
    assert_int_equal(ermes__csaf_doc_from_json(&d, k, s, 8), 0);
    assert_string_equal(ermes__csaf_string(&d.root), "scalar");
    json_decref(s);
    json_decref(deep);
    json_decref(j);
    ermes__csaf_doc_cleanup(&d);
    ermes__csaf_doc_cleanup(&r);
    ermes__csaf_keys_free(k);
}

/* Many documents through one representation: the arena is reused (one chunk kept), and a
 * document larger than the first chunk grows it. */
static void test_arena_reused(void **state)
{
    ermes__csaf_doc_t d;
    size_t cap = 1 << 20, n = 0;
    char *big = malloc(cap);

    (void)state;
    assert_non_null(big);
    ermes__csaf_doc_init(&d);
    n += (size_t)snprintf(big, cap, "[");
    for (int i = 0; n + 64 < cap; i++)
        n += (size_t)snprintf(big + n, cap - n, "%s\"string number %d\"", i ? "," : "", i);
    big[n++] = ']';
    assert_int_equal(ermes__csaf_doc_read(&d, NULL, big, n, 4), 0);
    assert_true(d.nchunk > 1);
    assert_string_equal(ermes__csaf_string(ermes__csaf_item(&d.root, 7)), "string number 7");
    /* Trimmed: a large document's memory is released, a small one's kept. */
    ermes__csaf_doc_trim(&d, (size_t)1 << 20);
    assert_int_equal(d.nchunk, 0);
    assert_null(d.items);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(read_text(&d, NULL, "{\"a\":[\"b\"]}"), 0);
        ermes__csaf_doc_trim(&d, (size_t)1 << 20);
        assert_int_equal(d.nchunk, 1);
        assert_string_equal(
            ermes__csaf_string(ermes__csaf_item(ermes__csaf_member(&d.root, "a"), 0)), "b");
    }
    ermes__csaf_doc_cleanup(&d);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agrees_with_jansson),
        cmocka_unit_test(test_string_stops),
        cmocka_unit_test(test_keys_sharing_a_start),
        cmocka_unit_test(test_interned_keys),
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_from_json),
        cmocka_unit_test(test_arena_reused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
