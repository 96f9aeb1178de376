/* Tests of the TAXII server's rendered-page cache (src/http/page_cache.c) and of the database
 * counter that keeps it honest (migration 58, on both backends: unit_pg.test_page_cache): a
 * page is found by its exact key and counter only, a higher counter drops every older page, the
 * bound in bytes evicts the least recently used, a page being sent outlives its eviction; and
 * every write to what a TAXII page is made of (an object stored, deleted, its named recipients,
 * an organisation, a sharing group) moves the 'stix' counter, while reading does not. */
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
    assert_null(ermes__page_cache_get(c, "a", 1, 5));
    p = ermes__page_cache_put(c, "a", 1, 5, page_buf(100, 'a'), 8, 100, "first", "last");
    assert_non_null(p);
    assert_int_equal(p->len, 100);
    assert_int_equal(p->body[0], 'a');
    ermes__page_cache_release(p);
    /* The same key and counter: the page; another key, a key that is a prefix, none. */
    q = ermes__page_cache_get(c, "a", 1, 5);
    assert_non_null(q);
    assert_string_equal(q->first, "first");
    assert_string_equal(q->last, "last");
    assert_memory_equal(q->body, "aaaa", 4);
    ermes__page_cache_release(q);
    assert_null(ermes__page_cache_get(c, "b", 1, 5));
    assert_null(ermes__page_cache_get(c, "ab", 2, 5));
    assert_null(ermes__page_cache_get(c, "", 0, 5));
    /* A lower counter (a reader that read it before a write): not that page, which stays. */
    assert_null(ermes__page_cache_get(c, "a", 1, 4));
    assert_non_null(q = ermes__page_cache_get(c, "a", 1, 5));
    ermes__page_cache_release(q);
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 1);
    assert_int_equal(hits, 2);
    /* The counter moved: every page of before is dropped. */
    assert_null(ermes__page_cache_get(c, "a", 1, 6));
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 0);
    assert_int_equal(bytes, 0);
    /* A page rendered at a counter already passed is sent, not kept. */
    p = ermes__page_cache_put(c, "a", 1, 5, page_buf(10, 'x'), 8, 10, NULL, NULL);
    assert_non_null(p);
    assert_string_equal(p->first, "");
    ermes__page_cache_release(p);
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 0);
    /* The same key rendered twice at one counter: the newer is kept, once. */
    ermes__page_cache_release(
        ermes__page_cache_put(c, "k", 1, 6, page_buf(10, '1'), 8, 10, NULL, NULL));
    ermes__page_cache_release(
        ermes__page_cache_put(c, "k", 1, 6, page_buf(10, '2'), 8, 10, NULL, NULL));
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 1);
    assert_non_null(q = ermes__page_cache_get(c, "k", 1, 6));
    assert_int_equal(q->body[0], '2');
    ermes__page_cache_release(q);
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
            c, key, strlen(key), 1, page_buf(10000, (char)('0' + i)), 8, 10000, NULL, NULL));
    }
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 3);
    assert_true(bytes <= 31000);
    /* p0 used last, then a fourth page: p1, the least recently used, goes. */
    held = ermes__page_cache_get(c, "p0", 2, 1);
    assert_non_null(held);
    ermes__page_cache_release(
        ermes__page_cache_put(c, "p3", 2, 1, page_buf(10000, '3'), 8, 10000, NULL, NULL));
    assert_null(ermes__page_cache_get(c, "p1", 2, 1));
    assert_non_null(p = ermes__page_cache_get(c, "p2", 2, 1));
    ermes__page_cache_release(p);
    assert_non_null(p = ermes__page_cache_get(c, "p3", 2, 1));
    ermes__page_cache_release(p);
    /* p0 is still held by an answer when the counter moves and the cache is freed: its body
     * stays readable until released (ASan checks it). */
    assert_null(ermes__page_cache_get(c, "p0", 2, 2));
    ermes__page_cache_free(c);
    assert_int_equal(held->body[9999], '0');
    ermes__page_cache_release(held);
    /* A page larger than the whole bound is sent, not kept; a bound of 0 keeps nothing. */
    assert_int_equal(ermes__page_cache_new(1000, &c), 0);
    ermes__page_cache_release(
        ermes__page_cache_put(c, "big", 3, 1, page_buf(5000, 'b'), 8, 5000, NULL, NULL));
    assert_null(ermes__page_cache_get(c, "big", 3, 1));
    ermes__page_cache_free(c);
    assert_int_equal(ermes__page_cache_new(0, &c), 0);
    ermes__page_cache_release(
        ermes__page_cache_put(c, "a", 1, 1, page_buf(5, 'a'), 8, 5, NULL, NULL));
    assert_null(ermes__page_cache_get(c, "a", 1, 1));
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

static int64_t counter(fixture_t *f)
{
    int64_t v = -1;

    assert_int_equal(ermes__store_counter_get(f->st, "stix", &v), 0);
    return v;
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
    before = counter(f);
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
    assert_true(counter(f) > before);
    /* Read: no change. */
    before = counter(f);
    memset(&flt, 0, sizeof(flt));
    flt.tlp_anyone = 0x1f;
    flt.added_after = -1;
    flt.after_added = -1;
    flt.select_all = 1;
    assert_int_equal(ermes__store_stix_each(f->st, &flt, count_cb, &seen, NULL), 0);
    assert_int_equal(seen, 1);
    assert_int_equal(counter(f), before);
    /* Its named recipients. */
    assert_int_equal(
        ermes__store_tlp_recipients_set(f->st, r.stix_id, 0, &recipient, 1, ERMES_TLP_AMBER, 0), 0);
    assert_true(counter(f) > before);
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
    before = counter(f);
    flt.versions = ERMES__STIX_VERSION_ALL;
    assert_int_equal(ermes__store_stix_delete(f->st, r.stix_id, &flt, &n), 0);
    assert_int_equal(n, 1);
    assert_true(counter(f) > before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_and_counter),
        cmocka_unit_test(test_bound_and_references),
        cmocka_unit_test_setup_teardown(test_counter_moves_with_writes, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
