/* Advisories' links to incidents and indicators (src/store/advisory_links.c,
 * src/advisories/links.c), on both backends: the CVE ids read from a document, the look-ups
 * the computed links are made of, the explicit links added and removed, and what the links
 * read for a staff viewer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advisories/links.h"
#include "core/alloc.h"
#include "test_db.h"

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
} fixture_t;

static ermes__viewer_t alice = {1, "alice", ERMES_ROLE_ANALYST, 0, "test"};

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-advlinks-XXXXXX");
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

typedef struct ids {
    int64_t v[8];
    size_t n;
} ids_t;

static int id_cb(void *ctx, int64_t id)
{
    ids_t *x = ctx;

    if (x->n < 8)
        x->v[x->n++] = id;
    return 0;
}

static int link_cb(void *ctx, int64_t advisory_id, const char *kind, int64_t object_id)
{
    ids_t *x = ctx;

    (void)kind;
    if (x->n + 1 < 8) {
        x->v[x->n++] = advisory_id;
        x->v[x->n++] = object_id;
    }
    return 0;
}

static void test_cves(void **state)
{
    char out[4][ERMES_CVE_ID_MAX];
    json_t *doc = json_loads("{\"vulnerabilities\": [{\"cve\": \"cve-2024-1234\"},"
                             " {\"cve\": \"CVE-2024-1234\"}, {\"cve\": \"CVE-2024-12\"},"
                             " {\"cve\": \"CVE-2024-00910\"}, {\"cve\": 5}, {},"
                             " {\"cve\": \"CVE-2024-1234x\"}, {\"cve\": \"CVE-2025-99999\"}]}",
                             0, NULL);

    (void)state;
    assert_non_null(doc);
    assert_int_equal(ermes__advisory_cves(doc, out, 4), 3);
    assert_string_equal(out[0], "CVE-2024-1234");
    assert_string_equal(out[1], "CVE-2024-00910");
    assert_string_equal(out[2], "CVE-2025-99999");
    assert_int_equal(ermes__advisory_cves(doc, out, 1), 1);
    json_decref(doc);
    assert_int_equal(ermes__advisory_cves(NULL, out, 4), 0);
}

static void test_links(void **state)
{
    fixture_t *f = *state;
    ermes__db_t *db = ermes__db_conn(f->st);
    ids_t x = {{0}, 0};
    ermes__advisory_t a;
    ermes_diag_t d;
    json_t *j, *o;
    int added = -1, changed = -1;

    assert_int_equal(
        ermes__db_exec(db, "INSERT INTO advisories (tracking_id, title, status, document, author,"
                           " tlp, created_at, updated_at) VALUES ('ADV-1', 'One', 'draft',"
                           " '{\"vulnerabilities\": [{\"cve\": \"CVE-2024-1234\"}]}', 'alice',"
                           " 'AMBER', 1, 1);"
                           "INSERT INTO incidents (title, tlp, created_at, updated_at) VALUES"
                           " ('shares it', 'AMBER', 1, 1), ('linked', 'AMBER', 1, 1),"
                           " ('prefix', 'AMBER', 1, 1);"
                           "INSERT INTO incident_observables (incident_id, type, value, tlp,"
                           " created_at, updated_at) VALUES (1, 'cve', 'cve-2024-1234', 'AMBER',"
                           " 1, 1), (3, 'cve', 'CVE-2024-123', 'AMBER', 1, 1);"
                           "INSERT INTO indicators (type, value, tags, tlp, created_at, updated_at)"
                           " VALUES ('domain', 'kit.example', '[\"exploit\", \"cve-2024-1234\"]',"
                           " 'GREEN', 1, 1), ('domain', 'other.example', '[]', 'GREEN', 1, 1);"),
        0);

    /* The look-ups: by observable (any case), by tag, and advisories by text (a candidate
     * list: CVE-2024-123 is inside CVE-2024-1234). */
    assert_int_equal(ermes__store_incidents_with_cve(f->st, "CVE-2024-1234", id_cb, &x), 0);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.v[0], 1);
    x.n = 0;
    assert_int_equal(ermes__store_indicators_with_value(f->st, "CVE-2024-1234", id_cb, &x), 0);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.v[0], 1);
    x.n = 0;
    /* Advisories by the CVE index (migration 57): the rows written above by hand are not in
     * it until the migration fills it from them, from both documents, in any case, valid ids
     * only (a document that is not JSON gives none); run again, it changes nothing. */
    assert_int_equal(
        ermes__db_exec(db,
                       "INSERT INTO advisories (tracking_id, title, status, document,"
                       " published_document, author, tlp, created_at, updated_at) VALUES"
                       " ('ADV-2', 'Two', 'published', '{\"vulnerabilities\": [{\"cve\":"
                       " \"cve-2023-0002\"}, {\"cve\": \"CVE-2023-12\"}, {\"cve\": 7}, 5,"
                       " \"CVE-2023-0009\"]}', '{\"vulnerabilities\": [{\"cve\":"
                       " \"CVE-2023-0001\", \"notes\": [{\"text\": \"CVE-2023-0008\"}]}]}',"
                       " 'alice', 'AMBER', 1, 1),"
                       " ('ADV-3', 'Three', 'draft', 'not json', NULL, 'alice', 'AMBER', 1, 1);"),
        0);
    assert_int_equal(ermes__store_advisories_with_cve(f->st, "CVE-2024-1234", id_cb, &x), 0);
    assert_int_equal(x.n, 0);
    for (int k = 0; k < 2; k++)
        assert_int_equal(ermes__db_exec(db, ermes__schema_migration(
                                                57, test_db_postgresql() ? ERMES__SCHEMA_POSTGRESQL
                                                                         : ERMES__SCHEMA_SQLITE)),
                         0);
    {
        static const struct {
            const char *cve;
            size_t n;
            int64_t id;
        } want[] = {{"CVE-2024-1234", 1, 1}, {"CVE-2024-123", 0, 0}, {"CVE-2023-0002", 1, 2},
                    {"CVE-2023-0001", 1, 2}, {"CVE-2023-12", 0, 0},  {"CVE-2023-0009", 0, 0},
                    {"CVE-2023-0008", 0, 0}, {"CVE-2023-1234", 0, 0}};
        for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
            x.n = 0;
            assert_int_equal(ermes__store_advisories_with_cve(f->st, want[k].cve, id_cb, &x), 0);
            assert_int_equal(x.n, want[k].n);
            if (want[k].n)
                assert_int_equal(x.v[0], want[k].id);
        }
    }
    /* The store's writes keep it: an update (the published CVE changed) drops the old id, an
     * insert adds its own; newest first. */
    assert_int_equal(ermes__store_advisory_get(f->st, "ADV-2", &a), 0);
    ermes__free(a.published_document);
    a.published_document = ermes__strdup("{\"vulnerabilities\": [{\"cve\": \"CVE-2022-0003\"}]}");
    assert_non_null(a.published_document);
    assert_int_equal(ermes__store_advisory_update(f->st, &a, a.updated_at), 0);
    ermes__advisory_cleanup(&a);
    memset(&a, 0, sizeof(a));
    snprintf(a.tracking_id, sizeof(a.tracking_id), "ADV-4");
    snprintf(a.title, sizeof(a.title), "Four");
    snprintf(a.status, sizeof(a.status), "draft");
    snprintf(a.author, sizeof(a.author), "alice");
    a.tlp = ERMES_TLP_AMBER;
    a.document = ermes__strdup("{\"vulnerabilities\": [{\"cve\": \"CVE-2022-0003\"}]}");
    assert_non_null(a.document);
    assert_int_equal(ermes__store_advisory_insert(f->st, &a), 0);
    ermes__advisory_cleanup(&a);
    x.n = 0;
    assert_int_equal(ermes__store_advisories_with_cve(f->st, "CVE-2023-0001", id_cb, &x), 0);
    assert_int_equal(x.n, 0);
    assert_int_equal(ermes__store_advisories_with_cve(f->st, "CVE-2023-0002", id_cb, &x), 0);
    assert_int_equal(x.n, 1);
    x.n = 0;
    assert_int_equal(ermes__store_advisories_with_cve(f->st, "CVE-2022-0003", id_cb, &x), 0);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.v[0], 4);
    assert_int_equal(x.v[1], 2);
    x.n = 0;

    /* Explicit links: once each, listed from both sides, removed once. */
    assert_int_equal(ermes__store_advisory_link_add(f->st, 1, "incident", 2, "alice",
                                                    ERMES_TLP_AMBER, 0, &added),
                     0);
    assert_int_equal(added, 1);
    assert_int_equal(ermes__store_advisory_link_add(f->st, 1, "incident", 2, "alice",
                                                    ERMES_TLP_AMBER, 0, &added),
                     0);
    assert_int_equal(added, 0);
    assert_int_equal(ermes__store_advisory_link_each(f->st, 1, NULL, 0, link_cb, &x), 0);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.v[1], 2);
    x.n = 0;
    assert_int_equal(ermes__store_advisory_link_each(f->st, 0, "incident", 2, link_cb, &x), 0);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.v[0], 1);
    x.n = 0;
    assert_int_equal(ermes__store_advisory_link_each(f->st, 0, "indicator", 2, link_cb, &x), 0);
    assert_int_equal(x.n, 0);

    /* What a staff viewer reads: the computed and the explicit links. */
    assert_int_equal(ermes__store_advisory_get(f->st, "ADV-1", &a), 0);
    j = json_object();
    assert_int_equal(ermes__advisory_links_json(f->st, &alice, &a, j), 0);
    ermes__advisory_cleanup(&a);
    assert_int_equal(json_array_size(json_object_get(j, "incidents")), 2);
    o = json_array_get(json_object_get(j, "incidents"), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "cves"), 0)),
                        "CVE-2024-1234");
    o = json_array_get(json_object_get(j, "incidents"), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 2);
    assert_true(json_is_true(json_object_get(o, "linked")));
    assert_int_equal(json_array_size(json_object_get(j, "indicators")), 1);
    json_decref(j);
    for (int64_t inc = 1; inc <= 3; inc++) {
        j = json_object();
        assert_int_equal(ermes__incident_advisories_json(f->st, &alice, inc, j), 0);
        assert_int_equal(json_array_size(json_object_get(j, "advisories")), inc == 3 ? 0 : 1);
        json_decref(j);
    }

    /* The workflow's refusals and the removal. */
    ermes_diag_clear(&d);
    assert_int_equal(ermes__advisory_link(f->st, &alice, "ADV-1", "event", 1, 0, &changed, &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "kind");
    ermes_diag_clear(&d);
    assert_int_equal(ermes__advisory_link(f->st, &alice, "ADV-1", "incident", 99, 0, &changed, &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "id");
    assert_int_equal(ermes__advisory_link(f->st, &alice, "NOPE", "incident", 1, 0, &changed, &d),
                     ERMES_ENOTFOUND);
    assert_int_equal(ermes__advisory_link(f->st, &alice, "ADV-1", "indicator", 2, 0, &changed, &d),
                     0);
    assert_int_equal(changed, 1);
    assert_int_equal(ermes__advisory_link(f->st, &alice, "ADV-1", "incident", 2, 1, &changed, &d),
                     0);
    assert_int_equal(changed, 1);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__advisory_link(f->st, &alice, "ADV-1", "incident", 2, 1, &changed, &d),
                     ERMES_ENOTFOUND);
    assert_string_equal(d.field, "id");
    assert_int_equal(ermes__store_advisory_link_remove(f->st, 1, "indicator", 2), 0);
    assert_int_equal(ermes__store_advisory_link_remove(f->st, 1, "indicator", 2), ERMES_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cves),
        cmocka_unit_test_setup_teardown(test_links, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
