/* Tests of the TAXII server's rendered-page cache (src/http/page_cache.c) and of the database
 * counters that keep it honest (migrations 64 and 76, on both backends: unit_pg.test_page_cache):
 * a page is found by its exact key and scope only, a higher scope drops the page of that key, the
 * bound in bytes evicts the least recently used, a page being sent outlives its eviction; and
 * every write to what a TAXII page is made of moves the counters it is kept by, while reading
 * does not: an object stored or deleted, or its named recipients, 'stix:all' and its own
 * collection's only (migration 64), a sharing group its own collection's, an organisation its
 * own ('stix:org:<id>', migration 76), never the global 'stix' one, so a page of another
 * collection or viewer stays valid (the sum of its counters is the page's scope); each move
 * draws random low bits, so a counter set back (a database restored) and moved again does not
 * reach the value it had; the hash table grows with the pages kept. */
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

static void test_key(void **state)
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
    /* The same key and scope: the page; another key, a key that is a prefix, none. */
    q = ermes__page_cache_get(c, "a", 1, 5);
    assert_non_null(q);
    assert_string_equal(q->first, "first");
    assert_string_equal(q->last, "last");
    assert_memory_equal(q->body, "aaaa", 4);
    ermes__page_cache_release(q);
    assert_null(ermes__page_cache_get(c, "b", 1, 5));
    assert_null(ermes__page_cache_get(c, "ab", 2, 5));
    assert_null(ermes__page_cache_get(c, "", 0, 5));
    assert_non_null(q = ermes__page_cache_get(c, "a", 1, 5));
    ermes__page_cache_release(q);
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 1);
    assert_int_equal(hits, 2);
    /* A page without first and last: "" for both. */
    p = ermes__page_cache_put(c, "n", 1, 5, page_buf(10, 'x'), 8, 10, NULL, NULL);
    assert_non_null(p);
    assert_string_equal(p->first, "");
    assert_string_equal(p->last, "");
    ermes__page_cache_release(p);
    /* The same key rendered twice at one scope: the newer is kept, once. */
    ermes__page_cache_release(
        ermes__page_cache_put(c, "k", 1, 6, page_buf(10, '1'), 8, 10, NULL, NULL));
    ermes__page_cache_release(
        ermes__page_cache_put(c, "k", 1, 6, page_buf(10, '2'), 8, 10, NULL, NULL));
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 3);
    assert_non_null(q = ermes__page_cache_get(c, "k", 1, 6));
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
        ermes__page_cache_put(c, "A", 1, 1, page_buf(10, 'a'), 8, 10, NULL, NULL));
    ermes__page_cache_release(
        ermes__page_cache_put(c, "B", 1, 7, page_buf(10, 'b'), 8, 10, NULL, NULL));
    assert_non_null(p = ermes__page_cache_get(c, "A", 1, 1));
    ermes__page_cache_release(p);
    /* A reader that read the scope before a write: not the page, which stays. */
    assert_null(ermes__page_cache_get(c, "A", 1, 0));
    /* A's collection moved: A's page is dropped, B's (another collection) still served. */
    assert_null(ermes__page_cache_get(c, "A", 1, 2));
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 1);
    assert_non_null(p = ermes__page_cache_get(c, "B", 1, 7));
    assert_int_equal(p->body[0], 'b');
    ermes__page_cache_release(p);
    /* A re-rendered at 3, then a slower render of scope 2 arrives: 3's page stays. */
    ermes__page_cache_release(
        ermes__page_cache_put(c, "A", 1, 3, page_buf(10, '3'), 8, 10, NULL, NULL));
    p = ermes__page_cache_put(c, "A", 1, 2, page_buf(10, '2'), 8, 10, NULL, NULL);
    assert_non_null(p);
    assert_int_equal(p->body[0], '2');
    ermes__page_cache_release(p);
    assert_non_null(p = ermes__page_cache_get(c, "A", 1, 3));
    assert_int_equal(p->body[0], '3');
    ermes__page_cache_release(p);
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 2);
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
            c, key, strlen(key), 0, page_buf(10000, (char)('0' + i)), 8, 10000, NULL, NULL));
    }
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 3);
    assert_true(bytes <= 31000);
    /* p0 used last, then a fourth page: p1, the least recently used, goes. */
    held = ermes__page_cache_get(c, "p0", 2, 0);
    assert_non_null(held);
    ermes__page_cache_release(
        ermes__page_cache_put(c, "p3", 2, 0, page_buf(10000, '3'), 8, 10000, NULL, NULL));
    assert_null(ermes__page_cache_get(c, "p1", 2, 0));
    assert_non_null(p = ermes__page_cache_get(c, "p2", 2, 0));
    ermes__page_cache_release(p);
    assert_non_null(p = ermes__page_cache_get(c, "p3", 2, 0));
    ermes__page_cache_release(p);
    /* p0 is still held by an answer when its key is dropped (a later scope) and the cache is
     * freed: its body stays readable until released (ASan checks it). */
    assert_null(ermes__page_cache_get(c, "p0", 2, 1));
    ermes__page_cache_free(c);
    assert_int_equal(held->body[9999], '0');
    ermes__page_cache_release(held);
    /* A page larger than the whole bound is sent, not kept; a bound of 0 keeps nothing. */
    assert_int_equal(ermes__page_cache_new(1000, &c), 0);
    ermes__page_cache_release(
        ermes__page_cache_put(c, "big", 3, 0, page_buf(5000, 'b'), 8, 5000, NULL, NULL));
    assert_null(ermes__page_cache_get(c, "big", 3, 0));
    ermes__page_cache_free(c);
    assert_int_equal(ermes__page_cache_new(0, &c), 0);
    ermes__page_cache_release(
        ermes__page_cache_put(c, "a", 1, 0, page_buf(5, 'a'), 8, 5, NULL, NULL));
    assert_null(ermes__page_cache_get(c, "a", 1, 0));
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

/* The names of an organisation's and a sharing group's counters (one buffer each: a call's
 * result is used before the next call). */
static const char *org_counter(int64_t id)
{
    static char name[48];

    snprintf(name, sizeof(name), "stix:org:%lld", (long long)id);
    return name;
}

static const char *group_counter(int64_t id)
{
    static char name[48];

    snprintf(name, sizeof(name), "stix:%lld", (long long)id);
    return name;
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

    /* An organisation added: its own counter. */
    before = counter(f);
    assert_non_null(org);
    org->short_name = ermes__org_strdup(org, "acme");
    org->name = ermes__org_strdup(org, "ACME");
    org->meta.tlp = ERMES_TLP_GREEN;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__store_org_insert(f->st, org, &d), 0);
    org_id = org->meta.id;
    ermes__org_free(org);
    assert_int_equal(counter(f), before);
    assert_true(counter_of(f, org_counter(org_id)) > 0);
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
    assert_int_equal(counter(f), before);
    assert_true(counter_of(f, group_counter(g.id)) > 0);
    /* The object deleted. */
    before = counter_all(f);
    flt.versions = ERMES__STIX_VERSION_ALL;
    assert_int_equal(ermes__store_stix_delete(f->st, r.stix_id, &flt, &n), 0);
    assert_int_equal(n, 1);
    assert_true(counter_all(f) > before);
}

/* The counters of each collection: a write into one moves its own and 'stix:all', not the
 * other's nor the global one; a sharing group's write moves its own collection's counter. */
static void test_counters_per_collection(void **state)
{
    fixture_t *f = *state;
    ermes__stix_row_t r;
    ermes__stix_filter_t flt;
    ermes__sharing_group_t g[2];
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    char a[32], b[32];
    int64_t glob, ca, cb, all, recipient, n = 0;
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
        assert_int_equal(counter_of(f, "stix"), glob);
        assert_true(counter_of(f, group_counter(g[i].id)) > 0);
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
    /* Summed in one query as the TAXII handler reads them; a missing counter adds 0. */
    {
        const char *parts[3] = {"stix:none", a, b};
        uint64_t sum;
        assert_int_equal(ermes__store_counter_sum(f->st, parts, 3, &sum), 0);
        assert_int_equal(sum, (uint64_t)counter_of(f, a) + (uint64_t)cb);
    }
    /* Its named recipients: A's counter, not B's nor the global one. */
    ca = counter_of(f, a);
    org->short_name = ermes__org_strdup(org, "acme64");
    org->name = ermes__org_strdup(org, "ACME");
    org->meta.tlp = ERMES_TLP_GREEN;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__store_org_insert(f->st, org, &d), 0);
    recipient = org->meta.id;
    ermes__org_free(org);
    /* An organisation: its own counter, no collection's. */
    assert_int_equal(counter_of(f, "stix"), glob);
    assert_int_equal(counter_of(f, a), ca);
    assert_int_equal(counter_of(f, b), cb);
    assert_true(counter_of(f, org_counter(recipient)) > 0);
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

/* A change to one organisation or one sharing group moves its own counter only; the sum of
 * counters is read in one query; a counter set back (a restore) and moved again does not come
 * back to the value it had (random low bits), nor does the sum of a page's counters. */
static void test_counters_of_groups_and_orgs(void **state)
{
    fixture_t *f = *state;
    ermes__sharing_group_t g[2];
    ermes__org_t *org;
    ermes_diag_t d;
    ermes__stix_row_t r;
    int64_t ids[2], gc[2], oc[2], glob, all, before, reached;
    uint64_t sum = 0, sum_before;
    int created = 0;
    const char *names[4];
    char n0[48], n1[48], n2[48];
    static const char *const gnames[2] = {"g76-a", "g76-b"};
    static const char *const cids[2] = {"76767676-0000-4000-8000-00000000000a",
                                        "76767676-0000-4000-8000-00000000000b"};
    static const char *const onames[2] = {"org76a", "org76b"};

    for (int i = 0; i < 2; i++) {
        assert_non_null(org = ermes__org_new());
        org->short_name = ermes__org_strdup(org, onames[i]);
        org->name = ermes__org_strdup(org, onames[i]);
        org->meta.tlp = ERMES_TLP_GREEN;
        ermes_diag_clear(&d);
        assert_int_equal(ermes__store_org_insert(f->st, org, &d), 0);
        ids[i] = org->meta.id;
        ermes__org_free(org);
        memset(&g[i], 0, sizeof(g[i]));
        g[i].name = gnames[i];
        g[i].collection_id = cids[i];
        g[i].title = gnames[i];
        g[i].description = "";
        g[i].max_tlp = ERMES_TLP_AMBER;
        g[i].readers = "[\"staff\"]";
        g[i].writers = "[\"staff\"]";
        g[i].selection = "{}";
        g[i].member_tlp = "{}";
        g[i].tlp = ERMES_TLP_GREEN;
        assert_int_equal(ermes__store_sharing_group_put(f->st, &g[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        gc[i] = counter_of(f, group_counter(g[i].id));
        oc[i] = counter_of(f, org_counter(ids[i]));
        assert_true(gc[i] > 0);
        assert_true(oc[i] > 0);
    }
    glob = counter_of(f, "stix");
    all = counter_of(f, "stix:all");
    /* The sum of a page's counters, one of them missing. */
    snprintf(n0, sizeof(n0), "%s", group_counter(g[0].id));
    snprintf(n1, sizeof(n1), "%s", org_counter(ids[0]));
    snprintf(n2, sizeof(n2), "stix:none");
    names[0] = n0;
    names[1] = NULL;
    names[2] = n1;
    names[3] = n2;
    assert_int_equal(ermes__store_counter_sum(f->st, names, 4, &sum), 0);
    assert_int_equal(sum, (uint64_t)gc[0] + (uint64_t)oc[0]);
    assert_int_equal(ermes__store_counter_sum(f->st, names, 5, &sum), ERMES_EINVAL);
    sum_before = (uint64_t)gc[0] + (uint64_t)oc[0];
    /* Group A deleted: its counter only. */
    assert_int_equal(ermes__store_sharing_group_delete(f->st, g[0].id), 0);
    assert_true(counter_of(f, group_counter(g[0].id)) > gc[0]);
    assert_int_equal(counter_of(f, group_counter(g[1].id)), gc[1]);
    assert_int_equal(counter_of(f, org_counter(ids[0])), oc[0]);
    assert_int_equal(counter_of(f, "stix"), glob);
    assert_int_equal(counter_of(f, "stix:all"), all);
    assert_int_equal(ermes__store_counter_sum(f->st, names, 4, &sum), 0);
    assert_true(sum > sum_before);
    /* Organisation A deleted: its counter only. */
    ermes_diag_clear(&d);
    assert_int_equal(ermes__store_org_delete(f->st, ids[0], &d), 0);
    assert_true(counter_of(f, org_counter(ids[0])) > oc[0]);
    assert_int_equal(counter_of(f, org_counter(ids[1])), oc[1]);
    assert_int_equal(counter_of(f, group_counter(g[1].id)), gc[1]);
    assert_int_equal(counter_of(f, "stix"), glob);
    assert_int_equal(counter_of(f, "stix:all"), all);
    /* Set back, as a restore of an older copy would, and moved once more: the same step of
     * its sequence as before the restore, but not the value it reached then (random low bits:
     * one chance in 2^24 of the same), so no page kept before the restore matches. */
    snprintf(n0, sizeof(n0), "%s", group_counter(g[1].id));
    before = counter_of(f, n0);
    memset(&r, 0, sizeof(r));
    r.stix_id = "note--00000000-0000-4000-8000-000000000076";
    r.type = "note";
    r.spec_version = "2.1";
    r.version_key = "2024-01-01T00:00:00.000000000Z";
    r.modified = "2024-01-01T00:00:00.000Z";
    r.object = "{\"type\":\"note\"}";
    r.tlp = ERMES_TLP_GREEN;
    r.sharing_group_id = g[1].id;
    assert_int_equal(ermes__store_stix_put(f->st, &r, &created), 0);
    reached = counter_of(f, n0);
    assert_true(reached > before);
    assert_int_equal(ermes__store_counter_set(f->st, n0, before), 0);
    r.stix_id = "note--00000000-0000-4000-8000-000000000077";
    assert_int_equal(ermes__store_stix_put(f->st, &r, &created), 0);
    assert_true(counter_of(f, n0) > before);
    assert_int_equal(counter_of(f, n0) >> 24, reached >> 24);
    assert_true(counter_of(f, n0) != reached);
}

/* Many pages: the hash table grows, and every page is still found by its key. */
static void test_many_pages(void **state)
{
    ermes__page_cache_t *c;
    char key[32];
    size_t pages, bytes;
    uint64_t hits;

    (void)state;
    assert_int_equal(ermes__page_cache_new(64u << 20, &c), 0);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "page-%d", i);
        ermes__page_cache_release(
            ermes__page_cache_put(c, key, strlen(key), 7, page_buf(10, 'p'), 8, 10, NULL, NULL));
    }
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(pages, 5000);
    for (int i = 0; i < 5000; i++) {
        ermes__cached_page_t *p;
        snprintf(key, sizeof(key), "page-%d", i);
        assert_non_null(p = ermes__page_cache_get(c, key, strlen(key), 7));
        assert_int_equal(p->len, 10);
        ermes__page_cache_release(p);
        assert_null(ermes__page_cache_get(c, key, strlen(key), 6));
    }
    ermes__page_cache_stats(c, &pages, &bytes, &hits);
    assert_int_equal(hits, 5000);
    ermes__page_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_bound_and_references),
        cmocka_unit_test_setup_teardown(test_counter_moves_with_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_per_collection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_of_groups_and_orgs, setup, teardown),
        cmocka_unit_test(test_many_pages),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
