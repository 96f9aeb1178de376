/* The correlation index (src/store/correlations.c) and its lookup (src/sharing/correlation.c):
 * values in their normal form and their keys; postings counted, listed by key range and
 * deduplicated; the index following the indicators table incrementally from its watermark;
 * a lookup's relations, over-correlation and TLP filter. Runs on SQLite and PostgreSQL. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sharing/correlation.h"
#include "store/store.h"
#include "test_db.h"

static ermes__corr_value_t v;

static void norm_is(const char *type, const char *in, int tag, const char *out)
{
    assert_int_equal(ermes__corr_norm(type, in, strlen(in), &v), 0);
    assert_int_equal(v.tag, tag);
    assert_int_equal(v.len, strlen(out));
    assert_memory_equal(v.text, out, v.len);
}

static void test_normal_forms(void **state)
{
    (void)state;
    norm_is(NULL, "198.51.100.7", ERMES__CORR_TAG_IPV4, "198.51.100.7");
    norm_is("cidr", "198.51.100.7/32", ERMES__CORR_TAG_IPV4, "198.51.100.7");
    norm_is("ip", "198.51.100.9/24", ERMES__CORR_TAG_CIDR, "198.51.100.0/24");
    norm_is(NULL, "2001:DB8:0:0::1", ERMES__CORR_TAG_IPV6, "2001:db8::1");
    norm_is("domain", "WWW.Example.ORG.", ERMES__CORR_TAG_DOMAIN, "www.example.org");
    norm_is("fqdn", "Host.Example", ERMES__CORR_TAG_DOMAIN, "host.example");
    norm_is(NULL, "http://Evil.example/A", ERMES__CORR_TAG_URL, "http://Evil.example/A");
    norm_is("md5", "D41D8CD98F00B204E9800998ECF8427E", ERMES__CORR_TAG_HASH,
            "d41d8cd98f00b204e9800998ecf8427e");
    norm_is("email", "Bob@Example.COM", ERMES__CORR_TAG_EMAIL, "bob@example.com");
    norm_is("ipv4", "not an address", ERMES__CORR_TAG_OTHER, "not an address");
    assert_int_equal(ermes__corr_norm(NULL, "", 0, &v), ERMES_EINVAL);
    assert_int_equal(ermes__corr_norm(NULL, "x", ERMES__CORR_VALUE_MAX + 1, &v), ERMES_ETOOBIG);
}

static void test_keys(void **state)
{
    int64_t lo, hi, k;

    (void)state;
    norm_is(NULL, "198.51.100.0/24", ERMES__CORR_TAG_CIDR, "198.51.100.0/24");
    ermes__corr_range(&v.net, &lo, &hi);
    assert_int_equal(hi - lo, 255);
    norm_is(NULL, "198.51.100.77", ERMES__CORR_TAG_IPV4, "198.51.100.77");
    k = ermes__corr_key(&v);
    assert_true(k >= lo && k <= hi);
    assert_int_equal(k >> 60, ERMES__CORR_TAG_IPV4);
    norm_is(NULL, "198.51.101.0", ERMES__CORR_TAG_IPV4, "198.51.101.0");
    assert_true(ermes__corr_key(&v) > hi);
    norm_is(NULL, "2001:db8::/48", ERMES__CORR_TAG_CIDR, "2001:db8::/48");
    ermes__corr_range(&v.net, &lo, &hi);
    norm_is(NULL, "2001:db8:0:ffff::1", ERMES__CORR_TAG_IPV6, "2001:db8:0:ffff::1");
    k = ermes__corr_key(&v);
    assert_true(k >= lo && k <= hi);
    /* The same value, the same key; another kind of value, another key. */
    norm_is("domain", "example.org", ERMES__CORR_TAG_DOMAIN, "example.org");
    k = ermes__corr_key(&v);
    norm_is("domain", "EXAMPLE.org", ERMES__CORR_TAG_DOMAIN, "example.org");
    assert_int_equal(ermes__corr_key(&v), k);
    norm_is("email", "example.org", ERMES__CORR_TAG_EMAIL, "example.org");
    assert_int_not_equal(ermes__corr_key(&v), k);
}

static void rm_dir(const char *dir)
{
    DIR *dd = opendir(dir);
    struct dirent *e;
    char path[512];

    while (dd && (e = readdir(dd)))
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (dd)
        closedir(dd);
    rmdir(dir);
}

static int64_t put(ermes__store_t *st, const char *type, const char *value, ermes_tlp_t tlp)
{
    ermes__indicator_row_t r;

    memset(&r, 0, sizeof(r));
    r.type = type;
    r.value = value;
    r.confidence = -1;
    r.tlp = tlp;
    r.source = "";
    r.tags = "[]";
    assert_int_equal(ermes__store_indicator_put(st, &r, NULL), 0);
    return r.id;
}

typedef struct seen {
    int n;
    int64_t ids[16];
} seen_t;

static int seen_cb(void *ctx, int64_t key, int kind, int64_t id)
{
    seen_t *s = ctx;

    (void)key;
    (void)kind;
    if (s->n < 16)
        s->ids[s->n] = id;
    s->n++;
    return 0;
}

static int found(json_t *res, const char *relation, const char *object, int64_t id)
{
    size_t i;
    json_t *m;

    json_array_foreach(json_object_get(res, "matches"), i, m)
    {
        if (!strcmp(json_string_value(json_object_get(m, "relation")), relation) &&
            !strcmp(json_string_value(json_object_get(m, "object")), object) &&
            json_integer_value(json_object_get(m, "id")) == id)
            return 1;
    }
    return 0;
}

static void test_store_and_lookup(void **state)
{
    char dir[64];
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__viewer_t staff = {1, "ana", ERMES_ROLE_ANALYST, 0, "test"};
    ermes__viewer_t other = {2, "conny", ERMES_ROLE_CONSTITUENT, 77, "test"};
    ermes__corr_options_t co = {0};
    ermes__corr_posting_t p[3];
    ermes__store_t *st;
    ermes_diag_t d;
    json_t *res = NULL;
    int64_t added = -1, count = -1, net, red, green, lo, hi;
    seen_t s = {0};
    uint8_t prefixes[129];
    size_t np = 0;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ermes-test-corr-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(test_store_open(dir, &opts, &st), 0);

    /* Postings: the same one twice is one; counted up to a cap; listed by range. */
    norm_is(NULL, "192.0.2.1", ERMES__CORR_TAG_IPV4, "192.0.2.1");
    p[0] = (ermes__corr_posting_t){ermes__corr_key(&v), 5, ERMES__CORR_EVENT};
    p[1] = p[0];
    p[2] = (ermes__corr_posting_t){ermes__corr_key(&v), 6, ERMES__CORR_EVENT};
    assert_int_equal(ermes__store_corr_add_many(st, p, 3), 0);
    assert_int_equal(ermes__store_corr_count(st, p[0].key, p[0].key, 100, &count), 0);
    assert_int_equal(count, 2);
    assert_int_equal(ermes__store_corr_count(st, p[0].key, p[0].key, 1, &count), 0);
    assert_int_equal(count, 1);
    norm_is(NULL, "192.0.2.0/24", ERMES__CORR_TAG_CIDR, "192.0.2.0/24");
    ermes__corr_range(&v.net, &lo, &hi);
    assert_int_equal(ermes__store_corr_each(st, lo, hi, 0, seen_cb, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.ids[0], 5);
    assert_int_equal(s.ids[1], 6);

    /* The index follows the indicators table: what is added after a sync comes with the next
     * one, and a sync with nothing new adds nothing. */
    net = put(st, "cidr", "192.0.2.0/24", ERMES_TLP_GREEN);
    red = put(st, "ipv4", "192.0.2.1", ERMES_TLP_RED);
    assert_int_equal(ermes__store_corr_sync(st, &added), 0);
    assert_int_equal(added, 2);
    assert_int_equal(ermes__store_corr_sync(st, &added), 0);
    assert_int_equal(added, 0);
    green = put(st, "domain", "evil.example", ERMES_TLP_GREEN);
    assert_int_equal(ermes__store_corr_sync(st, &added), 0);
    assert_int_equal(added, 1);
    assert_int_equal(ermes__store_corr_prefixes(st, ERMES_AF_INET, prefixes, &np), 0);
    assert_int_equal(np, 1);
    assert_int_equal(prefixes[0], 24);

    /* A lookup: the address, the network holding it; events 5 and 6 do not exist (deleted
     * since indexed, as far as the index knows) and are left out. */
    assert_int_equal(ermes__correlate(st, &staff, "192.0.2.1", 9, &co, &res, &d), 0);
    assert_true(found(res, "same", "indicator", red));
    assert_true(found(res, "inside", "indicator", net));
    assert_int_equal(json_array_size(json_object_get(res, "matches")), 2);
    json_decref(res);
    /* Another organisation's constituent: not the RED indicator. */
    assert_int_equal(ermes__correlate(st, &other, "192.0.2.1", 9, &co, &res, &d), 0);
    assert_false(found(res, "same", "indicator", red));
    assert_true(found(res, "inside", "indicator", net));
    json_decref(res);
    /* Over-correlation: three postings under 192.0.2.1, threshold 2. */
    co.threshold = 2;
    assert_int_equal(ermes__correlate(st, &staff, "192.0.2.1", 9, &co, &res, &d), 0);
    assert_false(found(res, "same", "indicator", red));
    assert_int_equal(json_array_size(json_object_get(res, "over_correlated")), 1);
    json_decref(res);
    co.threshold = 0;
    assert_int_equal(ermes__correlate(st, &staff, "a.b.EVIL.example", 16, &co, &res, &d), 0);
    assert_true(found(res, "subdomain_of", "indicator", green));
    json_decref(res);
    assert_int_equal(ermes__correlate(st, &staff, "", 0, &co, &res, &d), ERMES_EINVAL);
    assert_string_equal(d.field, "value");

    ermes__store_close(st);
    rm_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_forms),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_store_and_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
