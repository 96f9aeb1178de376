/* Tests of the TAXII server's rendered-page cache (src/http/page_cache.c) and of the database
 * counter that keeps it honest (migration 58, on both backends: unit_pg.test_page_cache): a
 * page is found by its exact key and counter only, a higher counter drops every older page, the
 * bound in bytes evicts the least recently used, a page being sent outlives its eviction; and
 * every write to what a TAXII page is made of moves the counters it is kept by, while reading
 * does not: an organisation or a sharing group the global 'stix' one; an object stored or
 * deleted, or its named recipients, 'stix:all' and its own collection's only (migration 64), so
 * a page of another collection stays valid (the collection's counter is the page's scope). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "http/page_cache.h"
#include "model/org.h"
#include "test_db.h"

/* A page of n bytes of c, with 8 bytes before its body (as a rendered page has its head room). */
static char *page_buf(size_t n, char c)
{
    char *b = ermes__malloc(n + 8);

    assert_non_null(b);
    memset(b, '#', 8);
    memset(b + 8, c, n);
    return b;
}

static void test_key_and_counter(void **state)
{
    ermes__page_cache_t *c;
    ermes__cached_page_t *p, *q;
    size_t pages, bytes;
    uint64_t hits;

    (void)state;
    assert_int_equal(ermes__page_cache_new(1u << 20, &c), 0);
    assert_null(ermes__page_cache_get(c, "a", 1, 5, 0));
    p = ermes__page_cache_put(c, "a", 1, 5, 0, page_buf(100, 'a'), 8, 100, "first", "last");
    assert_non_null(p);
    assert_int_equal(p->len, 100);
    assert_int_equal(p->body[0], 'a');
    ermes__page_cache_release(p);
    /* The same key and counter: the page; another key, a key that is a prefix, none. */
    q = ermes__page_cache_get(c, "a", 1, 5, 0);
    assert_non_null(q);
    assert_string_equal(q->first, "first");
    assert_string_equal(q->last, "last");
    assert_memory_equal(q->body, "aaaa", 4);
    ermes__page_cache_release(q);
    assert_null(ermes__page_cache_get(c, "b", 1, 5, 0));
    assert_null(ermes__page_cache_get(c, "ab", 2, 5, 0));
    assert_null(ermes__page_cache_get(c, "", 0, 5, 0));
    /* A lower counter (a reader that read it before a write): not that page, which stays. */
    assert_null(ermes__page_cache_get(c, "a", 1, 4, 0));
    assert_non_null(q = ermes__page_cache_get(c, "a", 1, 5, 0));
    ermes__page_cache_release(q);
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 1);
    assert_int_equal(hits, 2);
    /* The counter moved: every page of before is dropped. */
    assert_null(ermes__page_cache_get(c, "a", 1, 6, 0));
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 0);
    assert_int_equal(bytes, 0);
    /* A page rendered at a counter already passed is sent, not kept. */
    p = ermes__page_cache_put(c, "a", 1, 5, 0, page_buf(10, 'x'), 8, 10, NULL, NULL);
    assert_non_null(p);
    assert_string_equal(p->first, "");
    ermes__page_cache_release(p);
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 0);
    /* The same key rendered twice at one counter: the newer is kept, once. */
    ermes__page_cache_release(
        ermes__page_cache_put(c, "k", 1, 6, 0, page_buf(10, '1'), 8, 10, NULL, NULL));
    ermes__page_cache_release(
        ermes__page_cache_put(c, "k", 1, 6, 0, page_buf(10, '2'), 8, 10, NULL, NULL));
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 1);
    assert_non_null(q = ermes__page_cache_get(c, "k", 1, 6, 0));
    assert_int_equal(q->body[0], '2');
    ermes__page_cache_release(q);
    ermes__page_cache_free(c);
}

/* A page is kept by its collection's counter too (scope): a higher scope drops the page of that
 * key and only it; a page rendered at a scope already passed is sent, not kept over a newer. */
static void test_scope(void **state)
{
    ermes__page_cache_t *c;
    ermes__cached_page_t *p;
    size_t pages, bytes;
    uint64_t hits;

    (void)state;
    assert_int_equal(ermes__page_cache_new(1u << 20, &c), 0);
    ermes__page_cache_release(
        ermes__page_cache_put(c, "A", 1, 5, 1, page_buf(10, 'a'), 8, 10, NULL, NULL));
    ermes__page_cache_release(
        ermes__page_cache_put(c, "B", 1, 5, 7, page_buf(10, 'b'), 8, 10, NULL, NULL));
    assert_non_null(p = ermes__page_cache_get(c, "A", 1, 5, 1));
    ermes__page_cache_release(p);
    /* A reader that read the scope before a write: not the page, which stays. */
    assert_null(ermes__page_cache_get(c, "A", 1, 5, 0));
    /* A's collection moved: A's page is dropped, B's (another collection) still served. */
    assert_null(ermes__page_cache_get(c, "A", 1, 5, 2));
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 1);
    assert_non_null(p = ermes__page_cache_get(c, "B", 1, 5, 7));
    assert_int_equal(p->body[0], 'b');
    ermes__page_cache_release(p);
    /* A re-rendered at 3, then a slower render of scope 2 arrives: 3's page stays. */
    ermes__page_cache_release(
        ermes__page_cache_put(c, "A", 1, 5, 3, page_buf(10, '3'), 8, 10, NULL, NULL));
    p = ermes__page_cache_put(c, "A", 1, 5, 2, page_buf(10, '2'), 8, 10, NULL, NULL);
    assert_non_null(p);
    assert_int_equal(p->body[0], '2');
    ermes__page_cache_release(p);
    assert_non_null(p = ermes__page_cache_get(c, "A", 1, 5, 3));
    assert_int_equal(p->body[0], '3');
    ermes__page_cache_release(p);
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 2);
    /* The global counter moved: every page goes, whatever its scope. */
    assert_null(ermes__page_cache_get(c, "B", 1, 6, 7));
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 0);
    ermes__page_cache_free(c);
}

static void test_bound_and_references(void **state)
{
    ermes__page_cache_t *c;
    ermes__cached_page_t *held, *p;
    size_t pages, bytes;
    uint64_t hits;
    char key[8];

    (void)state;
    /* Room for three pages of 10,000 bytes (each costs its bytes, its key and 256). */
    assert_int_equal(ermes__page_cache_new(31000, &c), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof(key), "p%d", i);
        ermes__page_cache_release(ermes__page_cache_put(
            c, key, strlen(key), 1, 0, page_buf(10000, (char)('0' + i)), 8, 10000, NULL, NULL));
    }
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 3);
    assert_true(bytes <= 31000);
    /* p0 used last, then a fourth page: p1, the least recently used, goes. */
    held = ermes__page_cache_get(c, "p0", 2, 1, 0);
    assert_non_null(held);
    ermes__page_cache_release(
        ermes__page_cache_put(c, "p3", 2, 1, 0, page_buf(10000, '3'), 8, 10000, NULL, NULL));
    assert_null(ermes__page_cache_get(c, "p1", 2, 1, 0));
    assert_non_null(p = ermes__page_cache_get(c, "p2", 2, 1, 0));
    ermes__page_cache_release(p);
    assert_non_null(p = ermes__page_cache_get(c, "p3", 2, 1, 0));
    ermes__page_cache_release(p);
    /* p0 is still held by an answer when the counter moves and the cache is freed: its body
     * stays readable until released (ASan checks it). */
    assert_null(ermes__page_cache_get(c, "p0", 2, 2, 0));
    ermes__page_cache_free(c);
    assert_int_equal(held->body[9999], '0');
    ermes__page_cache_release(held);
    /* A page larger than the whole bound is sent, not kept; a bound of 0 keeps nothing. */
    assert_int_equal(ermes__page_cache_new(1000, &c), 0);
    ermes__page_cache_release(
        ermes__page_cache_put(c, "big", 3, 1, 0, page_buf(5000, 'b'), 8, 5000, NULL, NULL));
    assert_null(ermes__page_cache_get(c, "big", 3, 1, 0));
    ermes__page_cache_free(c);
    assert_int_equal(ermes__page_cache_new(0, &c), 0);
    ermes__page_cache_release(
        ermes__page_cache_put(c, "a", 1, 1, 0, page_buf(5, 'a'), 8, 5, NULL, NULL));
    assert_null(ermes__page_cache_get(c, "a", 1, 1, 0));
    ermes__page_cache_free(c);
}

/* ---- the 'stix' counter in the store ------------------------------------------------------ */

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-pagecache-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char path[512];
    DIR *d;
    struct dirent *e;

    ermes__store_close(f->st);
    if ((d = opendir(f->dir))) {
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') {
                snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int64_t counter_of(fixture_t *f, const char *name)
{
    int64_t v = -1;

    assert_int_equal(ermes__store_counter_get(f->st, name, &v), 0);
    return v;
}

/* The global counter. */
static int64_t counter(fixture_t *f)
{
    return counter_of(f, "stix");
}

/* The counter of the collections selecting every object (the object below is in none). */
static int64_t counter_all(fixture_t *f)
{
    return counter_of(f, "stix:all");
}

static int count_cb(void *ctx, const ermes__stix_row_t *r)
{
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static void test_counter_moves_with_writes(void **state)
{
    fixture_t *f = *state;
    ermes__stix_row_t r;
    ermes__stix_filter_t flt;
    ermes__sharing_group_t g;
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    int64_t before, org_id, recipient, n = 0;
    int created = 0, seen = 0;

    /* An organisation added. */
    before = counter(f);
    assert_non_null(org);
    org->short_name = ermes__org_strdup(org, "acme");
    org->name = ermes__org_strdup(org, "ACME");
    org->meta.tlp = ERMES_TLP_GREEN;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__store_org_insert(f->st, org, &d), 0);
    org_id = org->meta.id;
    ermes__org_free(org);
    assert_true(counter(f) > before);
    recipient = org_id;
    /* An object stored. */
    before = counter_all(f);
    memset(&r, 0, sizeof(r));
    r.stix_id = "note--00000000-0000-4000-8000-000000000058";
    r.type = "note";
    r.spec_version = "2.1";
    r.version_key = "2024-01-01T00:00:00.000000000Z";
    r.modified = "2024-01-01T00:00:00.000Z";
    r.object = "{\"type\":\"note\"}";
    r.tlp = ERMES_TLP_AMBER;
    assert_int_equal(ermes__store_stix_put(f->st, &r, &created), 0);
    assert_int_equal(created, 1);
    assert_true(counter_all(f) > before);
    /* Read: no change. */
    before = counter_all(f);
    memset(&flt, 0, sizeof(flt));
    flt.tlp_anyone = 0x1f;
    flt.added_after = -1;
    flt.after_added = -1;
    flt.select_all = 1;
    assert_int_equal(ermes__store_stix_each(f->st, &flt, count_cb, &seen, NULL), 0);
    assert_int_equal(seen, 1);
    assert_int_equal(counter_all(f), before);
    /* Its named recipients. */
    assert_int_equal(
        ermes__store_tlp_recipients_set(f->st, r.stix_id, 0, &recipient, 1, ERMES_TLP_AMBER, 0), 0);
    assert_true(counter_all(f) > before);
    /* A sharing group. */
    before = counter(f);
    memset(&g, 0, sizeof(g));
    g.name = "community";
    g.collection_id = "58585858-0000-4000-8000-000000000058";
    g.title = "community";
    g.description = "";
    g.max_tlp = ERMES_TLP_GREEN;
    g.readers = "[\"staff\"]";
    g.writers = "[\"staff\"]";
    g.selection = "{}";
    g.member_tlp = "{}";
    g.tlp = ERMES_TLP_GREEN;
    assert_int_equal(ermes__store_sharing_group_put(f->st, &g), 0);
    assert_true(counter(f) > before);
    /* The object deleted. */
    before = counter_all(f);
    flt.versions = ERMES__STIX_VERSION_ALL;
    assert_int_equal(ermes__store_stix_delete(f->st, r.stix_id, &flt, &n), 0);
    assert_int_equal(n, 1);
    assert_true(counter_all(f) > before);
}

/* The counters of each collection: a write into one moves its own and 'stix:all', not the
 * other's nor the global one; what every collection reads (organisations, sharing groups)
 * moves the global one. Read in one query by ermes__store_counter_get2. */
static void test_counters_per_collection(void **state)
{
    fixture_t *f = *state;
    ermes__stix_row_t r;
    ermes__stix_filter_t flt;
    ermes__sharing_group_t g[2];
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    char a[32], b[32];
    int64_t glob, ca, cb, all, recipient, n = 0, va, vb;
    int created = 0;
    static const char *const names[2] = {"coll-a", "coll-b"};
    static const char *const ids[2] = {"64646464-0000-4000-8000-00000000000a",
                                       "64646464-0000-4000-8000-00000000000b"};

    for (int i = 0; i < 2; i++) {
        memset(&g[i], 0, sizeof(g[i]));
        g[i].name = names[i];
        g[i].collection_id = ids[i];
        g[i].title = names[i];
        g[i].description = "";
        g[i].max_tlp = ERMES_TLP_AMBER;
        g[i].readers = "[\"staff\"]";
        g[i].writers = "[\"staff\"]";
        g[i].selection = "{}";
        g[i].member_tlp = "{}";
        g[i].tlp = ERMES_TLP_GREEN;
        glob = counter_of(f, "stix");
        assert_int_equal(ermes__store_sharing_group_put(f->st, &g[i]), 0);
        assert_true(g[i].id > 0);
        assert_true(counter_of(f, "stix") > glob);
    }
    snprintf(a, sizeof(a), "stix:%lld", (long long)g[0].id);
    snprintf(b, sizeof(b), "stix:%lld", (long long)g[1].id);
    /* An object stored into A. */
    glob = counter_of(f, "stix");
    ca = counter_of(f, a);
    cb = counter_of(f, b);
    all = counter_of(f, "stix:all");
    memset(&r, 0, sizeof(r));
    r.stix_id = "note--00000000-0000-4000-8000-000000000064";
    r.type = "note";
    r.spec_version = "2.1";
    r.version_key = "2024-01-01T00:00:00.000000000Z";
    r.modified = "2024-01-01T00:00:00.000Z";
    r.object = "{\"type\":\"note\"}";
    r.tlp = ERMES_TLP_AMBER;
    r.sharing_group_id = g[0].id;
    assert_int_equal(ermes__store_stix_put(f->st, &r, &created), 0);
    assert_int_equal(created, 1);
    assert_true(counter_of(f, a) > ca);
    assert_true(counter_of(f, "stix:all") > all);
    assert_int_equal(counter_of(f, b), cb);
    assert_int_equal(counter_of(f, "stix"), glob);
    /* Both read at once. */
    assert_int_equal(ermes__store_counter_get2(f->st, "stix", a, &va, &vb), 0);
    assert_int_equal(va, glob);
    assert_int_equal(vb, counter_of(f, a));
    assert_int_equal(ermes__store_counter_get2(f->st, "stix:none", b, &va, &vb), 0);
    assert_int_equal(va, 0);
    assert_int_equal(vb, cb);
    /* Its named recipients: A's counter, not B's nor the global one. */
    org->short_name = ermes__org_strdup(org, "acme64");
    org->name = ermes__org_strdup(org, "ACME");
    org->meta.tlp = ERMES_TLP_GREEN;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__store_org_insert(f->st, org, &d), 0);
    recipient = org->meta.id;
    ermes__org_free(org);
    assert_true(counter_of(f, "stix") > glob); /* an organisation: every collection */
    glob = counter_of(f, "stix");
    ca = counter_of(f, a);
    assert_int_equal(
        ermes__store_tlp_recipients_set(f->st, r.stix_id, 0, &recipient, 1, ERMES_TLP_AMBER, 0), 0);
    assert_true(counter_of(f, a) > ca);
    assert_int_equal(counter_of(f, b), cb);
    assert_int_equal(counter_of(f, "stix"), glob);
    /* An object of no collection (ermes's own, published): only 'stix:all'. */
    ca = counter_of(f, a);
    all = counter_of(f, "stix:all");
    r.stix_id = "note--00000000-0000-4000-8000-000000000065";
    r.sharing_group_id = 0;
    assert_int_equal(ermes__store_stix_put(f->st, &r, &created), 0);
    assert_true(counter_of(f, "stix:all") > all);
    assert_int_equal(counter_of(f, a), ca);
    assert_int_equal(counter_of(f, b), cb);
    assert_int_equal(counter_of(f, "stix"), glob);
    /* A's object deleted: A's counter. */
    memset(&flt, 0, sizeof(flt));
    flt.tlp_anyone = 0x1f;
    flt.added_after = -1;
    flt.after_added = -1;
    flt.select_all = 1;
    flt.versions = ERMES__STIX_VERSION_ALL;
    assert_int_equal(
        ermes__store_stix_delete(f->st, "note--00000000-0000-4000-8000-000000000064", &flt, &n), 0);
    assert_int_equal(n, 1);
    assert_true(counter_of(f, a) > ca);
    assert_int_equal(counter_of(f, b), cb);
    assert_int_equal(counter_of(f, "stix"), glob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_and_counter),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_bound_and_references),
        cmocka_unit_test_setup_teardown(test_counter_moves_with_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_per_collection, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
