/* Tests of the stored indicators and sightings (src/store/indicators.c, sightings.c) and of the
 * daemon's matcher built from them (src/sightings/): upserts and the change counter, validity
 * filtering of the active indicators, sightings deduplicated and counted per indicator,
 * constituent and day, and what a constituent may see. */
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

#include "core/time.h"
#include "model/org.h"
#include "sightings/sightings.h"
#include "test_db.h"
#include "store/store.h"

#define DAY_MS (86400 * 1000LL)
#define T0 1714644000000LL /* 2024-05-02T10:00:00Z */

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
    int64_t home, acme, beta;
    ermes__viewer_t admin;
} fixture_t;

static int64_t add_org(ermes__store_t *st, const char *short_name)
{
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    int64_t id;

    assert_non_null(org);
    org->short_name = ermes__org_strdup(org, short_name);
    org->name = ermes__org_strdup(org, short_name);
    org->meta.tlp = ERMES_TLP_GREEN;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__store_org_insert(st, org, &d), 0);
    id = org->meta.id;
    ermes__org_free(org);
    return id;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-sightings-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st))
        return -1;
    f->home = add_org(f->st, "CERT");
    f->acme = add_org(f->st, "acme");
    f->beta = add_org(f->st, "beta");
    f->admin.role = ERMES_ROLE_ADMIN;
    f->admin.org_id = f->home;
    f->admin.user_name = "admin";
    f->admin.remote = "test";
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

static ermes__viewer_t constituent(int64_t org)
{
    ermes__viewer_t v = {5, "c", ERMES_ROLE_CONSTITUENT, org, "test"};
    return v;
}

static int64_t put(fixture_t *f, const char *type, const char *value, ermes_tlp_t tlp, int64_t from,
                   int64_t until, int *created)
{
    ermes__indicator_row_t r;

    memset(&r, 0, sizeof(r));
    r.type = type;
    r.value = value;
    r.tlp = tlp;
    r.confidence = -1;
    r.valid_from = from;
    r.valid_until = until;
    r.owner_org_id = f->home;
    r.source = "unit";
    assert_int_equal(ermes__store_indicator_put(f->st, &r, created), 0);
    return r.id;
}

static int count_ids(void *ctx, const ermes__indicator_row_t *r)
{
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static int count_sightings(void *ctx, const ermes__sighting_t *s)
{
    (void)s;
    (*(int *)ctx)++;
    return 0;
}

typedef struct counts {
    int n;
    int64_t total;
    char days[8][11];
    int64_t per_day[8];
    int64_t org[8];
} counts_t;

static int collect_counts(void *ctx, const ermes__sighting_count_t *c)
{
    counts_t *k = ctx;

    if (k->n < 8) {
        snprintf(k->days[k->n], sizeof(k->days[0]), "%s", c->day);
        k->per_day[k->n] = c->count;
        k->org[k->n] = c->org_id;
    }
    k->n++;
    k->total += c->count;
    return 0;
}

static int record(fixture_t *f, int64_t ind, const char *value, int64_t offset, int64_t when,
                  int64_t org)
{
    ermes__sighting_t s;
    int inserted = -1;

    memset(&s, 0, sizeof(s));
    s.indicator_id = ind;
    s.value = value;
    s.field = "dest_ip";
    s.log_source = "eve.json";
    s.line = offset / 100 + 1;
    s.offset = offset;
    s.event_time = when;
    s.sensor = "s1";
    s.internal_ip = "10.0.0.1";
    s.org_id = org;
    assert_int_equal(ermes__store_sighting_record(f->st, &s, &inserted), 0);
    return inserted;
}

/* ---- tests ---- */

static void test_put_is_an_upsert_and_bumps_the_counter(void **state)
{
    fixture_t *f = *state;
    int64_t v0, v1, v2, id, again;
    int created = -1;

    assert_int_equal(ermes__store_indicator_version(f->st, &v0), 0);
    id = put(f, "ipv4", "192.0.2.1", ERMES_TLP_GREEN, 0, 0, &created);
    assert_int_equal(created, 1);
    assert_int_equal(ermes__store_indicator_version(f->st, &v1), 0);
    assert_true(v1 > v0);
    again = put(f, "ipv4", "192.0.2.1", ERMES_TLP_AMBER, 0, 0, &created);
    assert_int_equal(created, 0);
    assert_int_equal(again, id);
    /* exact is part of the key: the same domain exact-only is another indicator */
    assert_true(put(f, "domain", "x.example", ERMES_TLP_GREEN, 0, 0, NULL) != 0);
    {
        ermes__indicator_row_t r;
        memset(&r, 0, sizeof(r));
        r.type = "domain";
        r.value = "x.example";
        r.exact = 1;
        r.tlp = ERMES_TLP_GREEN;
        assert_int_equal(ermes__store_indicator_put(f->st, &r, &created), 0);
        assert_int_equal(created, 1);
        assert_int_equal(ermes__store_indicator_delete(f->st, r.id), 0);
        assert_int_equal(ermes__store_indicator_delete(f->st, r.id), ERMES_ENOTFOUND);
    }
    assert_int_equal(ermes__store_indicator_version(f->st, &v2), 0);
    assert_true(v2 > v1);
}

static void test_active_indicators_by_validity(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms(), next = -1;
    ermes__indicator_filter_t flt;
    ermes_indicator_set_t *set = NULL;
    size_t n = 0;
    int all = 0, active = 0;

    put(f, "domain", "always.example", ERMES_TLP_GREEN, 0, 0, NULL);
    put(f, "domain", "expired.example", ERMES_TLP_GREEN, 0, now - DAY_MS, NULL);
    put(f, "domain", "future.example", ERMES_TLP_GREEN, now + DAY_MS, 0, NULL);
    put(f, "domain", "window.example", ERMES_TLP_GREEN, now - DAY_MS, now + 2 * DAY_MS, NULL);
    memset(&flt, 0, sizeof(flt));
    assert_int_equal(ermes__store_indicator_each(f->st, &f->admin, &flt, count_ids, &all, NULL), 0);
    assert_int_equal(all, 4);
    flt.active_at = now;
    assert_int_equal(ermes__store_indicator_each(f->st, &f->admin, &flt, count_ids, &active, NULL),
                     0);
    assert_int_equal(active, 2);
    /* the daemon's set holds the same two; the next change is when future.example starts */
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    assert_int_equal(ermes__indicators_from_store(f->st, now, set, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ermes_indicator_set_count(set), 2);
    ermes_indicator_set_free(set);
    assert_int_equal(ermes__store_indicator_next_change(f->st, now, &next), 0);
    assert_int_equal(next, now + DAY_MS);
}

static void test_sightings_deduplicated_and_counted_per_day(void **state)
{
    fixture_t *f = *state;
    int64_t ind = put(f, "ipv4", "198.51.100.7", ERMES_TLP_AMBER, 0, 0, NULL);
    ermes__sighting_filter_t flt;
    counts_t k;
    int n = 0;

    assert_int_equal(record(f, ind, "198.51.100.7", 0, T0, f->acme), 1);
    /* the same record again: not stored, not counted */
    assert_int_equal(record(f, ind, "198.51.100.7", 0, T0, f->acme), 0);
    assert_int_equal(record(f, ind, "198.51.100.7", 100, T0 + 1000, f->acme), 1);
    assert_int_equal(record(f, ind, "198.51.100.7", 200, T0 + DAY_MS, f->acme), 1);
    assert_int_equal(record(f, ind, "198.51.100.7", 300, T0 + 5000, f->beta), 1);
    assert_int_equal(record(f, ind, "198.51.100.7", 400, T0 + 6000, 0), 1);
    memset(&flt, 0, sizeof(flt));
    assert_int_equal(ermes__store_sighting_each(f->st, &f->admin, &flt, count_sightings, &n, NULL),
                     0);
    assert_int_equal(n, 5);
    memset(&k, 0, sizeof(k));
    flt.org_id = f->acme;
    assert_int_equal(
        ermes__store_sighting_count_each(f->st, &f->admin, &flt, collect_counts, &k, NULL), 0);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.days[0], "2024-05-02");
    assert_int_equal(k.per_day[0], 2);
    assert_string_equal(k.days[1], "2024-05-03");
    assert_int_equal(k.per_day[1], 1);
    /* a time range keeps the days it touches */
    memset(&k, 0, sizeof(k));
    flt.since = T0 + DAY_MS - 60000; /* 2024-05-03T09:59Z */
    assert_int_equal(
        ermes__store_sighting_count_each(f->st, &f->admin, &flt, collect_counts, &k, NULL), 0);
    assert_int_equal(k.n, 1);
    assert_string_equal(k.days[0], "2024-05-03");
    /* all constituents: acme 2 days, beta 1, none 1 */
    memset(&flt, 0, sizeof(flt));
    memset(&k, 0, sizeof(k));
    assert_int_equal(
        ermes__store_sighting_count_each(f->st, &f->admin, &flt, collect_counts, &k, NULL), 0);
    assert_int_equal(k.n, 4);
    assert_int_equal(k.total, 5);
    /* a sighting of an indicator that is not stored */
    {
        ermes__sighting_t s;
        int inserted = -1;
        memset(&s, 0, sizeof(s));
        s.indicator_type = "ipv4";
        s.indicator_value = "203.0.113.250";
        s.value = "203.0.113.250";
        s.field = "x";
        s.log_source = "l";
        assert_int_equal(ermes__store_sighting_record(f->st, &s, &inserted), ERMES_ENOTFOUND);
        assert_int_equal(inserted, 0);
    }
}

static void test_constituent_scoping(void **state)
{
    fixture_t *f = *state;
    int64_t amber = put(f, "ipv4", "198.51.100.8", ERMES_TLP_AMBER, 0, 0, NULL);
    int64_t red = put(f, "ipv4", "198.51.100.9", ERMES_TLP_RED, 0, 0, NULL);
    int64_t green = put(f, "domain", "green.example", ERMES_TLP_GREEN, 0, 0, NULL);
    ermes__viewer_t a = constituent(f->acme), b = constituent(f->beta);
    ermes__indicator_filter_t ifl;
    ermes__sighting_filter_t flt;
    counts_t k;
    int n;

    memset(&ifl, 0, sizeof(ifl));
    memset(&flt, 0, sizeof(flt));
    /* before any sighting, a constituent sees only the GREEN indicator */
    n = 0;
    assert_int_equal(ermes__store_indicator_each(f->st, &a, &ifl, count_ids, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ermes__store_indicator_get(f->st, &a, green, count_ids, &n), 0);
    assert_int_equal(ermes__store_indicator_get(f->st, &a, amber, count_ids, &n), ERMES_ENOTFOUND);
    record(f, amber, "198.51.100.8", 0, T0, f->acme);
    record(f, red, "198.51.100.9", 100, T0, f->acme);
    record(f, amber, "198.51.100.8", 200, T0, f->beta);
    record(f, green, "www.green.example", 300, T0, f->beta);
    /* acme now sees the AMBER indicator sighted in its traffic, never the RED one */
    assert_int_equal(ermes__store_indicator_get(f->st, &a, amber, count_ids, &n), 0);
    assert_int_equal(ermes__store_indicator_get(f->st, &a, red, count_ids, &n), ERMES_ENOTFOUND);
    /* sightings: each constituent its own, without the RED indicator's */
    n = 0;
    assert_int_equal(ermes__store_sighting_each(f->st, &a, &flt, count_sightings, &n, NULL), 0);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(ermes__store_sighting_each(f->st, &b, &flt, count_sightings, &n, NULL), 0);
    assert_int_equal(n, 2);
    /* asking for another organisation's gives nothing */
    flt.org_id = f->beta;
    n = 0;
    assert_int_equal(ermes__store_sighting_each(f->st, &a, &flt, count_sightings, &n, NULL), 0);
    assert_int_equal(n, 0);
    flt.org_id = 0;
    memset(&k, 0, sizeof(k));
    assert_int_equal(ermes__store_sighting_count_each(f->st, &a, &flt, collect_counts, &k, NULL),
                     0);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.org[0], f->acme);
    n = 0;
    assert_int_equal(ermes__store_sighting_each(f->st, &f->admin, &flt, count_sightings, &n, NULL),
                     0);
    assert_int_equal(n, 4);
}

static void test_engine_rebuilds_on_change(void **state)
{
    fixture_t *f = *state;
    ermes__sightings_t *e = NULL;
    ermes_matcher_t *m;
    ermes_scanner_t *s = NULL;
    const ermes_hit_t *hits;
    size_t n;
    uint64_t builds;
    int64_t id;

    assert_int_equal(ermes__sightings_new(f->st, &e), 0);
    assert_int_equal(ermes__sightings_refresh(e, 0), 0);
    ermes__sightings_stats(e, &n, &builds);
    assert_int_equal(n, 0);
    assert_int_equal(builds, 1);
    /* nothing changed: no rebuild */
    assert_int_equal(ermes__sightings_refresh(e, 0), 0);
    ermes__sightings_stats(e, &n, &builds);
    assert_int_equal(builds, 1);
    id = put(f, "domain", "engine.example", ERMES_TLP_GREEN, 0, 0, NULL);
    assert_int_equal(ermes__sightings_refresh(e, 0), 0);
    ermes__sightings_stats(e, &n, &builds);
    assert_int_equal(n, 1);
    assert_int_equal(builds, 2);
    m = ermes_matcher_slot_acquire(ermes__sightings_slot(e));
    assert_non_null(m);
    assert_int_equal(ermes_scanner_new(m, &s), 0);
    assert_int_equal(ermes_scanner_lookup(s, ERMES_FIELD_DOMAIN, "a.engine.example", 16, &hits), 1);
    /* a deletion: the old matcher still answers for those holding it, the new one does not */
    assert_int_equal(ermes__store_indicator_delete(f->st, id), 0);
    assert_int_equal(ermes__sightings_refresh(e, 0), 0);
    assert_int_equal(ermes_scanner_lookup(s, ERMES_FIELD_DOMAIN, "a.engine.example", 16, &hits), 1);
    ermes_scanner_refresh(s, ermes__sightings_slot(e));
    assert_int_equal(ermes_scanner_lookup(s, ERMES_FIELD_DOMAIN, "a.engine.example", 16, &hits), 0);
    ermes_scanner_free(s);
    ermes_matcher_release(m);
    ermes__sightings_free(e);
}

static void test_import_reports_and_suppresses(void **state)
{
    fixture_t *f = *state;
    static const char wl_json[] =
        "{\"name\":\"benign\",\"type\":\"hostname\",\"list\":[\"cdn.example\"]}";
    static const char list[] = "evil1.example\n\x01x\nimg.cdn.example\nevil2.example\n";
    ermes_warninglist_t *wl = NULL;
    ermes_indicator_set_t *set = NULL;
    ermes__ind_import_t rep;
    ermes_ind_load_stats_t ls;
    ermes_diag_t d;

    memset(&rep, 0, sizeof(rep));
    ermes_diag_clear(&d);
    assert_int_equal(ermes_warninglist_new(wl_json, sizeof(wl_json) - 1, &wl, &d), 0);
    assert_int_equal(ermes_indicator_set_new(&set), 0);
    assert_int_equal(ermes_indicator_set_load(set, list, sizeof(list) - 1, ERMES_IND_FORMAT_LIST,
                                              NULL, NULL, NULL, &ls, &d),
                     0);
    assert_int_equal(ls.rejected, 1);
    assert_int_equal(ermes__indicators_store(f->st, &f->admin, set, &wl, 1, ERMES_TLP_GREEN, &rep),
                     0);
    assert_int_equal(rep.added, 2);
    assert_int_equal(rep.suppressed, 1);
    assert_string_equal(rep.suppressions[0].value, "img.cdn.example");
    assert_string_equal(rep.suppressions[0].warninglist, "benign");
    assert_int_equal(rep.nids, 2);
    ermes__ind_import_cleanup(&rep);
    ermes_indicator_set_free(set);
    ermes_warninglist_free(wl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_is_an_upsert_and_bumps_the_counter, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_active_indicators_by_validity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sightings_deduplicated_and_counted_per_day, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_constituent_scoping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_rebuilds_on_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_reports_and_suppresses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
