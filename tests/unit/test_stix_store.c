/* Tests of the stored STIX objects and sharing groups (src/store/stix_objects.c,
 * sharing_groups.c), on both backends, and of what goes through them (src/sharing/): versions
 * kept once each, the keyset that never skips or repeats a row among many with one
 * date_added, the version and spec-version filters, the TLP policy's masks
 * (src/access/tlp_policy.c) applied in the query, deletion, the import's per-object failures
 * and publication of ermes's own objects under stable ids. */
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

#include "access/tlp_policy.h"
#include "core/uuid.h"
#include "model/org.h"
#include "sharing/sharing_groups.h"
#include "sharing/stix.h"
#include "test_db.h"

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
    int64_t home, acme;
    ermes__viewer_t admin, acme_user;
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
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-stix-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st))
        return -1;
    f->home = add_org(f->st, "CERT");
    f->acme = add_org(f->st, "acme");
    f->admin = (ermes__viewer_t){1, "admin", ERMES_ROLE_ADMIN, f->home, "test"};
    f->acme_user = (ermes__viewer_t){2, "acme-user", ERMES_ROLE_CONSTITUENT, f->acme, "test"};
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

static void put(fixture_t *f, const char *id, const char *modified, const char *spec,
                ermes_tlp_t tlp, int64_t owner, int64_t added, int want_created)
{
    ermes__stix_row_t r;
    char key[32], obj[256];
    int created = -1;

    memset(&r, 0, sizeof(r));
    assert_int_equal(ermes__stix_version_key(modified, key), 0);
    snprintf(obj, sizeof(obj), "{\"id\":\"%s\",\"modified\":\"%s\"}", id, modified);
    r.stix_id = id;
    r.type = "note";
    r.spec_version = spec;
    r.created = modified;
    r.modified = modified;
    r.version_key = key;
    r.date_added = added;
    r.object = obj;
    r.tlp = tlp;
    r.owner_org_id = owner;
    assert_int_equal(ermes__store_stix_put(f->st, &r, &created), 0);
    assert_int_equal(created, want_created);
}

typedef struct seen {
    char ids[64][80];
    char versions[64][32];
    int64_t added[64], row[64];
    int n;
} seen_t;

static int seen_cb(void *ctx, const ermes__stix_row_t *r)
{
    seen_t *s = ctx;

    assert_true(s->n < 64);
    snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", r->stix_id);
    snprintf(s->versions[s->n], sizeof(s->versions[0]), "%s", r->modified);
    s->added[s->n] = r->date_added;
    s->row[s->n] = r->id;
    s->n++;
    return 0;
}

static void all_visible(ermes__stix_filter_t *f)
{
    memset(f, 0, sizeof(*f));
    f->tlp_anyone = ERMES__TLP_ALL;
    f->tlp_owned = ERMES__TLP_ALL;
    f->added_after = -1;
    f->after_added = -1;
}

static void test_versions_kept_once(void **state)
{
    fixture_t *f = *state;
    ermes__stix_filter_t flt;
    seen_t s;

    put(f, "note--00000000-0000-4000-8000-000000000001", "2024-01-01T00:00:00Z", "2.1",
        ERMES_TLP_GREEN, f->home, 1000, 1);
    /* The same version again, written with another precision: the same version. */
    put(f, "note--00000000-0000-4000-8000-000000000001", "2024-01-01T00:00:00.000Z", "2.1",
        ERMES_TLP_GREEN, f->home, 1000, 0);
    put(f, "note--00000000-0000-4000-8000-000000000001", "2024-03-01T00:00:00.5Z", "2.1",
        ERMES_TLP_GREEN, f->home, 2000, 1);
    put(f, "note--00000000-0000-4000-8000-000000000001", "2024-02-01T00:00:00Z", "2.1",
        ERMES_TLP_GREEN, f->home, 3000, 1);
    all_visible(&flt);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_stix_each(f->st, &flt, seen_cb, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.versions[0], "2024-03-01T00:00:00.5Z");
    flt.versions = ERMES__STIX_VERSION_FIRST;
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_stix_each(f->st, &flt, seen_cb, &s, NULL), 0);
    assert_string_equal(s.versions[0], "2024-01-01T00:00:00Z");
    flt.versions = ERMES__STIX_VERSION_ALL;
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_stix_each(f->st, &flt, seen_cb, &s, NULL), 0);
    assert_int_equal(s.n, 3);
    /* In date_added order, not version order. */
    assert_string_equal(s.versions[2], "2024-02-01T00:00:00Z");
}

static void test_keyset_among_equal_dates(void **state)
{
    fixture_t *f = *state;
    ermes__stix_filter_t flt;
    seen_t s, page;
    char id[80];
    int more = 1, pages = 0;

    /* 40 objects, 30 of them added in the same millisecond. */
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof(id), "note--00000000-0000-4000-8000-%012d", i + 100);
        put(f, id, "2024-01-01T00:00:00.000Z", "2.1", ERMES_TLP_CLEAR, 0, i < 30 ? 5000 : 5000 + i,
            1);
    }
    all_visible(&flt);
    flt.limit = 7;
    memset(&s, 0, sizeof(s));
    while (more) {
        memset(&page, 0, sizeof(page));
        assert_int_equal(ermes__store_stix_each(f->st, &flt, seen_cb, &page, &more), 0);
        assert_true(page.n <= 7);
        for (int i = 0; i < page.n; i++) {
            memcpy(s.ids[s.n], page.ids[i], sizeof(s.ids[0]));
            s.n++;
        }
        if (page.n) {
            flt.after_added = page.added[page.n - 1];
            flt.after_id = page.row[page.n - 1];
        }
        pages++;
    }
    assert_int_equal(s.n, 40);
    assert_int_equal(pages, 6);
    for (int i = 0; i < 40; i++)
        for (int k = i + 1; k < 40; k++)
            assert_string_not_equal(s.ids[i], s.ids[k]);
    /* added_after is exclusive. */
    all_visible(&flt);
    flt.added_after = 5000;
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_stix_each(f->st, &flt, seen_cb, &s, NULL), 0);
    assert_int_equal(s.n, 10);
}

static void test_spec_versions_and_policy(void **state)
{
    fixture_t *f = *state;
    ermes__stix_filter_t flt;
    ermes__tlp_masks_t m;
    seen_t s;

    put(f, "note--00000000-0000-4000-8000-000000000201", "2024-01-01T00:00:00Z", "2.1",
        ERMES_TLP_GREEN, f->home, 1, 1);
    put(f, "note--00000000-0000-4000-8000-000000000201", "2025-01-01T00:00:00Z", "2.0",
        ERMES_TLP_GREEN, f->home, 2, 1);
    put(f, "note--00000000-0000-4000-8000-000000000202", "2024-01-01T00:00:00Z", "2.1",
        ERMES_TLP_AMBER, f->home, 3, 1);
    put(f, "note--00000000-0000-4000-8000-000000000203", "2024-01-01T00:00:00Z", "2.1",
        ERMES_TLP_RED, f->acme, 4, 1);
    put(f, "note--00000000-0000-4000-8000-000000000204", "2024-01-01T00:00:00Z", "2.1",
        ERMES_TLP_CLEAR, 0, 5, 1);
    /* The newest spec version by default, whatever the newer modified of the other. */
    all_visible(&flt);
    flt.ids[0] = "note--00000000-0000-4000-8000-000000000201";
    flt.nids = 1;
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_stix_each(f->st, &flt, seen_cb, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.versions[0], "2024-01-01T00:00:00Z");
    flt.spec_versions[0] = "2.0";
    flt.nspec_versions = 1;
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_stix_each(f->st, &flt, seen_cb, &s, NULL), 0);
    assert_string_equal(s.versions[0], "2025-01-01T00:00:00Z");
    /* acme's people: CLEAR, GREEN, and their own RED; not the CERT's AMBER. */
    all_visible(&flt);
    ermes__tlp_policy(&f->acme_user, ERMES_TLP_RED, &m);
    flt.tlp_anyone = m.anyone;
    flt.tlp_owned = m.owned;
    flt.org_id = m.org_id;
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_stix_each(f->st, &flt, seen_cb, &s, NULL), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.ids[1], "note--00000000-0000-4000-8000-000000000203");
    /* Under a GREEN cap, not even their own RED; staff under it neither. */
    ermes__tlp_policy(&f->acme_user, ERMES_TLP_GREEN, &m);
    flt.tlp_anyone = m.anyone;
    flt.tlp_owned = m.owned;
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_stix_each(f->st, &flt, seen_cb, &s, NULL), 0);
    assert_int_equal(s.n, 2);
    assert_true(ermes__tlp_policy_allows(&f->admin, ERMES_TLP_RED, ERMES_TLP_RED, f->acme));
    assert_false(ermes__tlp_policy_allows(&f->admin, ERMES_TLP_GREEN, ERMES_TLP_AMBER, f->home));
    assert_false(ermes__tlp_policy_allows(NULL, ERMES_TLP_RED, ERMES_TLP_GREEN, 0));
    assert_true(ermes__tlp_policy_allows(NULL, ERMES_TLP_RED, ERMES_TLP_CLEAR, 0));
    assert_false(
        ermes__tlp_policy_allows(&f->acme_user, ERMES_TLP_RED, ERMES_TLP_AMBER_STRICT, f->home));
    assert_true(
        ermes__tlp_policy_allows(&f->acme_user, ERMES_TLP_RED, ERMES_TLP_AMBER_STRICT, f->acme));
}

static void test_delete_and_groups(void **state)
{
    fixture_t *f = *state;
    ermes__stix_filter_t flt;
    ermes_diag_t d;
    json_t *body;
    int64_t n = 0, gid = 0;
    char status[256];

    put(f, "note--00000000-0000-4000-8000-000000000301", "2024-01-01T00:00:00Z", "2.1",
        ERMES_TLP_GREEN, f->home, 1, 1);
    put(f, "note--00000000-0000-4000-8000-000000000301", "2024-02-01T00:00:00Z", "2.1",
        ERMES_TLP_GREEN, f->home, 2, 1);
    all_visible(&flt);
    flt.versions = ERMES__STIX_VERSION_LISTED;
    flt.version_keys[0] = "2024-02-01T00:00:00.000000000Z";
    flt.nversion_keys = 1;
    assert_int_equal(
        ermes__store_stix_delete(f->st, "note--00000000-0000-4000-8000-000000000301", &flt, &n), 0);
    assert_int_equal(n, 1);
    flt.versions = ERMES__STIX_VERSION_ALL;
    assert_int_equal(
        ermes__store_stix_delete(f->st, "note--00000000-0000-4000-8000-000000000301", &flt, &n), 0);
    assert_int_equal(n, 1);
    /* Groups: names and collection ids are unique; bad input is refused by field. */
    body = json_pack("{s:s,s:s,s:[s]}", "name", "community", "max_tlp", "GREEN", "readers",
                     ERMES__SG_CONSTITUENTS);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__sharing_group_create(f->st, &f->admin, body, &gid, &d), 0);
    assert_int_equal(ermes__sharing_group_create(f->st, &f->admin, body, &gid, &d), ERMES_EEXISTS);
    json_decref(body);
    body = json_pack("{s:s,s:s}", "name", "x", "max_tlp", "PURPLE");
    assert_int_equal(ermes__sharing_group_create(f->st, &f->admin, body, &gid, &d), ERMES_EINVAL);
    assert_string_equal(d.field, "max_tlp");
    json_decref(body);
    assert_int_equal(ermes__store_taxii_status_put(f->st, "0d0d0d0d-0000-4000-8000-000000000001", 1,
                                                   "{\"status\":\"complete\"}", f->home),
                     0);
    n = 0;
    assert_int_equal(ermes__store_taxii_status_get(f->st, "0d0d0d0d-0000-4000-8000-000000000001",
                                                   status, sizeof(status), &n),
                     0);
    assert_string_equal(status, "{\"status\":\"complete\"}");
    assert_int_equal(ermes__store_taxii_status_get(f->st, "0d0d0d0d-0000-4000-8000-000000000002",
                                                   status, sizeof(status), &n),
                     ERMES_ENOTFOUND);
}

static int count_cb(void *ctx, const ermes__stix_row_t *r)
{
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static void test_import_and_publish(void **state)
{
    fixture_t *f = *state;
    ermes__stix_import_opts_t o;
    ermes__stix_import_result_t res;
    ermes__stix_filter_t flt;
    ermes_diag_t d;
    ermes__strbuf_t a, b;
    ermes__stix_export_opts_t eo;
    const char *bundle =
        "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\","
        "\"objects\":[{\"type\":\"indicator\",\"spec_version\":\"2.1\","
        "\"id\":\"indicator--00000000-0000-4000-8000-000000000401\","
        "\"created\":\"2024-01-01T00:00:00Z\",\"modified\":\"2024-01-01T00:00:00Z\","
        "\"name\":\"n\",\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\","
        "\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
        "\"id\":\"indicator--00000000-0000-4000-8000-000000000402\","
        "\"created\":\"2024-01-01T00:00:00Z\",\"modified\":\"2024-01-01T00:00:00Z\","
        "\"pattern\":\"[ipv4-addr:value = ]\",\"pattern_type\":\"stix\","
        "\"valid_from\":\"2024-01-01T00:00:00Z\"},"
        "{\"type\":\"Bad\",\"id\":\"x\"}]}";
    int n = 0;

    memset(&o, 0, sizeof(o));
    o.viewer = &f->admin;
    o.default_tlp = ERMES_TLP_AMBER;
    o.max_tlp = ERMES_TLP_RED;
    ermes__stix_import_result_init(&res);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__stix_import(f->st, bundle, strlen(bundle), &o, &res, &d), 0);
    assert_int_equal(res.total, 3);
    assert_int_equal(res.stored, 1);
    assert_int_equal(res.failed, 2);
    assert_int_equal(res.indicators, 1);
    ermes__stix_import_result_cleanup(&res);
    assert_int_equal(ermes__stix_import(f->st, "[", 1, &o, &res, &d), ERMES_EPARSE);
    /* Two exports, the same objects under the same ids (the bundle's own id differs). */
    memset(&eo, 0, sizeof(eo));
    eo.viewer = &f->admin;
    eo.cap = ERMES_TLP_RED;
    all_visible(&eo.filter);
    ermes__strbuf_init(&a, 1u << 24);
    ermes__strbuf_init(&b, 1u << 24);
    assert_int_equal(ermes__stix_export(f->st, &eo, &a, NULL), 0);
    assert_int_equal(ermes__stix_export(f->st, &eo, &b, NULL), 0);
    assert_true(a.len == b.len);
    /* {"type":"bundle","id":"bundle--UUID","objects":[ is 80 bytes. */
    assert_memory_equal(a.data + 80, b.data + 80, a.len - 80);
    assert_non_null(strstr(a.data, "\"x_ermes_short_name\":\"acme\""));
    ermes__strbuf_cleanup(&a);
    ermes__strbuf_cleanup(&b);
    /* Publishing again with nothing changed adds nothing. */
    all_visible(&flt);
    flt.versions = ERMES__STIX_VERSION_ALL;
    assert_int_equal(ermes__store_stix_each(f->st, &flt, count_cb, &n, NULL), 0);
    assert_int_equal(ermes__stix_publish(f->st), 0);
    {
        int m = 0;
        assert_int_equal(ermes__store_stix_each(f->st, &flt, count_cb, &m, NULL), 0);
        assert_int_equal(m, n);
    }
}

static void test_uuid5(void **state)
{
    char out[37];
    const char *name = "{\"value\":\"198.51.100.3\"}";

    (void)state;
    /* STIX 2.1 section 2.9's SCO namespace; the same value as Python's uuid.uuid5. */
    assert_int_equal(ermes__uuid5(ERMES__UUID_STIX_SCO_NS, name, strlen(name), out), 0);
    assert_string_equal(out, "28bb3599-77cd-5a82-a950-b5bc3caf07c4");
    assert_int_equal(ermes__uuid5("not-a-uuid", name, strlen(name), out), ERMES_EINVAL);
    ermes__uuid4(out);
    assert_true(ermes__uuid_valid(out, strlen(out)));
    assert_int_equal(out[14], '4');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_versions_kept_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyset_among_equal_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spec_versions_and_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_and_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_and_publish, setup, teardown),
        cmocka_unit_test(test_uuid5),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
