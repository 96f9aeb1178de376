/* CSAF advisories (src/advisories/advisory.c, src/store/advisories.c), on both backends: the
 * tracking id scheme, a draft's tracking, the four-eyes rule, publication only when valid
 * (nothing changed otherwise), the version and history of a revision, the optimistic update. */
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

#include "advisories/advisory.h"
#include "core/time.h"
#include "test_db.h"

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
} fixture_t;

static ermes__viewer_t alice = {1, "alice", ERMES_ROLE_ANALYST, 0, "test"};
static ermes__viewer_t bob = {2, "bob", ERMES_ROLE_ANALYST, 0, "test"};

/* A small valid csaf_base document. */
static const char doc[] = "{\"document\": {\"category\": \"csaf_base\", \"csaf_version\": \"2.0\","
                          " \"title\": \"Unit advisory\", \"lang\": \"en\","
                          " \"distribution\": {\"tlp\": {\"label\": \"WHITE\"}},"
                          " \"publisher\": {\"category\": \"coordinator\", \"name\": \"Unit CERT\","
                          " \"namespace\": \"https://cert.example\"},"
                          " \"tracking\": {\"id\": \"SOMETHING-ELSE\"}}}";

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-advisory-XXXXXX");
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

/* Removes a directory of plain files (what gpg leaves in a scratch home). */
static void remove_flat_dir(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *e;
    char file[512];

    while (dir && (e = readdir(dir))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
            unlink(file);
        }
    }
    if (dir)
        closedir(dir);
    rmdir(path);
}

static void test_expand_id(void **state)
{
    char out[64];
    /* 2024-03-05T00:00:00Z */
    int64_t t = 1709596800000;

    (void)state;
    assert_int_equal(ermes__advisory_expand_id("CERT-EU-%Y-%04n", t, 7, out, sizeof(out)), 0);
    assert_string_equal(out, "CERT-EU-2024-0007");
    assert_int_equal(ermes__advisory_expand_id("A%m-%n%%", t, 12345, out, sizeof(out)), 0);
    assert_string_equal(out, "A03-12345%");
    assert_int_equal(ermes__advisory_expand_id("X-%q", t, 1, out, sizeof(out)), ERMES_EINVAL);
    assert_int_equal(ermes__advisory_expand_id("X-%0n", t, 1, out, sizeof(out)), ERMES_EINVAL);
    assert_int_equal(ermes__advisory_expand_id("X-%", t, 1, out, sizeof(out)), ERMES_EINVAL);
    assert_int_equal(ermes__advisory_expand_id("", t, 1, out, sizeof(out)), ERMES_EINVAL);
    assert_int_equal(ermes__advisory_expand_id("%Y%Y%Y", t, 1, out, 8), ERMES_EINVAL);
}

static json_t *tracking(const char *text)
{
    json_t *root = json_loads(text, 0, NULL);
    json_t *tr = json_incref(json_object_get(json_object_get(root, "document"), "tracking"));

    json_decref(root);
    return tr;
}

static void test_workflow(void **state)
{
    fixture_t *f = *state;
    ermes__advisory_t a;
    ermes_csaf_result_t r;
    ermes_diag_t d;
    int64_t id = 0, id2 = 0;
    char ref[32];
    json_t *tr;
    int scheduled;

    ermes_diag_clear(&d);
    assert_int_equal(ermes__advisory_create(f->st, "U-%Y-%03n", &alice, doc, strlen(doc), &id, &d),
                     0);
    assert_int_equal(ermes__advisory_create(f->st, "U-%Y-%03n", &alice, doc, strlen(doc), &id2, &d),
                     0);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    assert_int_equal(ermes__store_advisory_get(f->st, ref, &a), 0);
    assert_string_equal(a.status, "draft");
    assert_int_equal(strlen(a.tracking_id), strlen("U-2026-001"));
    assert_string_equal(a.tracking_id + 6, "-001");
    assert_int_equal(a.tlp, ERMES_TLP_CLEAR);
    tr = tracking(a.document);
    assert_string_equal(json_string_value(json_object_get(tr, "id")), a.tracking_id);
    assert_string_equal(json_string_value(json_object_get(tr, "version")), "0.1.0");
    assert_string_equal(json_string_value(json_object_get(tr, "status")), "draft");
    json_decref(tr);
    ermes__advisory_cleanup(&a);
    /* By tracking id too; the second got the next number. */
    assert_int_equal(ermes__store_advisory_get(f->st, "2", &a), 0);
    assert_string_equal(a.tracking_id + 6, "-002");
    ermes__advisory_cleanup(&a);

    /* Only approved ones are published; the author does not approve. */
    assert_int_equal(ermes__advisory_publish(f->st, &bob, NULL, ref, 0, NULL, &r, &scheduled, &d),
                     ERMES_ECONFLICT);
    assert_int_equal(ermes__advisory_transition(f->st, &alice, ref, "submit", &d), 0);
    assert_int_equal(ermes__advisory_transition(f->st, &alice, ref, "approve", &d), ERMES_EDENIED);
    assert_int_equal(ermes__advisory_transition(f->st, &bob, ref, "approve", &d), 0);
    /* A signing key that is not there publishes nothing and says which setting is wrong. */
    {
        char home[] = "/tmp/ermes-test-gpg-XXXXXX";
        ermes__csaf_signer_t bad = {home, "0123456789ABCDEF0123456789ABCDEF01234567"};
        assert_non_null(mkdtemp(home));
        ermes_diag_clear(&d);
        assert_int_equal(
            ermes__advisory_publish(f->st, &bob, &bad, ref, 0, NULL, &r, &scheduled, &d),
            ERMES_ECONFIG);
        assert_string_equal(d.field, "csaf_openpgp_key");
        assert_non_null(strstr(d.reason, "nothing was published"));
        assert_int_equal(ermes__store_advisory_get(f->st, ref, &a), 0);
        assert_string_equal(a.status, "approved");
        assert_int_equal(a.revision, 0);
        ermes__advisory_cleanup(&a);
        remove_flat_dir(home);
    }
    assert_int_equal(ermes__advisory_publish(f->st, &bob, NULL, ref, 0, NULL, &r, &scheduled, &d),
                     0);
    assert_int_equal(scheduled, 0);
    assert_int_equal(ermes__store_advisory_get(f->st, ref, &a), 0);
    assert_string_equal(a.status, "published");
    assert_int_equal(a.revision, 1);
    /* Unsigned (no key), and its label kept with it (migration 38). */
    assert_null(a.published_signature);
    assert_int_equal(a.has_signature, 0);
    assert_int_equal(a.published_tlp, ERMES_TLP_CLEAR);
    assert_string_equal(a.reviewer, "bob");
    tr = tracking(a.published_document);
    assert_string_equal(json_string_value(json_object_get(tr, "version")), "1.0.0");
    assert_string_equal(json_string_value(json_object_get(tr, "status")), "final");
    assert_int_equal(json_array_size(json_object_get(tr, "revision_history")), 1);
    json_decref(tr);

    /* A stale write loses. */
    assert_int_equal(ermes__store_advisory_update(f->st, &a, a.updated_at - 1), ERMES_ECONFLICT);
    ermes__advisory_cleanup(&a);

    /* A revision that breaks the document is not published: nothing changes. */
    {
        const char *bad = "{\"document\": {\"category\": \"csaf_base\", \"title\": \"Broken\"}}";
        assert_int_equal(ermes__advisory_update(f->st, &alice, ref, bad, strlen(bad), &d), 0);
    }
    assert_int_equal(ermes__advisory_transition(f->st, &alice, ref, "submit", &d), 0);
    assert_int_equal(ermes__advisory_transition(f->st, &bob, ref, "approve", &d), 0);
    assert_int_equal(ermes__advisory_publish(f->st, &bob, NULL, ref, 0, NULL, &r, &scheduled, &d),
                     ERMES_EINVAL);
    assert_true(r.count > 0);
    ermes_csaf_result_cleanup(&r);
    assert_int_equal(ermes__store_advisory_get(f->st, ref, &a), 0);
    assert_string_equal(a.status, "approved");
    assert_int_equal(a.revision, 1);
    /* The draft has no label (AMBER by default); what was published keeps CLEAR. */
    assert_int_equal(a.tlp, ERMES_TLP_AMBER);
    assert_int_equal(a.published_tlp, ERMES_TLP_CLEAR);
    tr = tracking(a.published_document);
    assert_string_equal(json_string_value(json_object_get(tr, "version")), "1.0.0");
    json_decref(tr);
    ermes__advisory_cleanup(&a);

    /* Sent back, published again unchanged: a patch version (1.0.1: only the tracking differs,
     * CSAF 2.0 section 3.1.11.5), two history entries. */
    assert_int_equal(ermes__advisory_transition(f->st, &bob, ref, "approve", &d), ERMES_ECONFLICT);
    assert_int_equal(ermes__advisory_update(f->st, &alice, ref, doc, strlen(doc), &d),
                     ERMES_ECONFLICT);
    assert_int_equal(ermes__advisory_transition(f->st, &bob, ref, "reject", &d), 0);
    assert_int_equal(ermes__advisory_update(f->st, &alice, ref, doc, strlen(doc), &d), 0);
    assert_int_equal(ermes__advisory_transition(f->st, &alice, ref, "submit", &d), 0);
    assert_int_equal(ermes__advisory_transition(f->st, &bob, ref, "approve", &d), 0);
    usleep(1100 * 1000); /* a later second for the revision's date */
    assert_int_equal(
        ermes__advisory_publish(f->st, &bob, NULL, ref, 0, "Second.", &r, &scheduled, &d), 0);
    assert_int_equal(ermes__store_advisory_get(f->st, ref, &a), 0);
    assert_int_equal(a.revision, 2);
    tr = tracking(a.published_document);
    assert_string_equal(json_string_value(json_object_get(tr, "version")), "1.0.1");
    assert_int_equal(json_array_size(json_object_get(tr, "revision_history")), 2);
    json_decref(tr);
    ermes__advisory_cleanup(&a);
}

static void test_schedule(void **state)
{
    fixture_t *f = *state;
    ermes__advisory_t a;
    ermes_csaf_result_t r;
    ermes_diag_t d;
    int64_t id = 0;
    char ref[32];
    int scheduled = 0;
    size_t n = 0;

    ermes_diag_clear(&d);
    assert_int_equal(ermes__advisory_create(f->st, NULL, &alice, doc, strlen(doc), &id, &d), 0);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    assert_int_equal(ermes__advisory_transition(f->st, &alice, ref, "submit", &d), 0);
    assert_int_equal(ermes__advisory_transition(f->st, &bob, ref, "approve", &d), 0);
    assert_int_equal(ermes__advisory_publish(f->st, &bob, NULL, ref, ermes__time_now_ms() + 60000,
                                             NULL, &r, &scheduled, &d),
                     0);
    assert_int_equal(scheduled, 1);
    assert_int_equal(ermes__advisory_publish_due(f->st, NULL, ermes__time_now_ms(), &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ermes__advisory_publish_due(f->st, NULL, ermes__time_now_ms() + 61000, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ermes__store_advisory_get(f->st, ref, &a), 0);
    assert_string_equal(a.status, "published");
    assert_int_equal(a.publish_at, 0);
    ermes__advisory_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_id),
        cmocka_unit_test_setup_teardown(test_workflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schedule, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
