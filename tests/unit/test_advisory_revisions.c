/* Published revisions of advisories (src/store/advisory_revisions.c, src/advisories/diff.c,
 * the versions of src/advisories/advisory.c), on both backends: each publication kept as
 * published, interim then final, major/minor/patch versions, the diff of two JSON documents
 * path by path and its text form. */
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
#include <time.h>
#include <unistd.h>

#include "advisories/advisory.h"
#include "advisories/revisions.h"
#include "core/alloc.h"
#include "core/time.h"
#include "test_db.h"

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
} fixture_t;

static ermes__viewer_t alice = {1, "alice", ERMES_ROLE_ANALYST, 0, "test"};
static ermes__viewer_t bob = {2, "bob", ERMES_ROLE_ANALYST, 0, "test"};

static const char doc[] = "{\"document\": {\"category\": \"csaf_base\", \"csaf_version\": \"2.0\","
                          " \"title\": \"Unit advisory\", \"lang\": \"en\","
                          " \"distribution\": {\"tlp\": {\"label\": \"WHITE\"}},"
                          " \"publisher\": {\"category\": \"coordinator\", \"name\": \"Unit CERT\","
                          " \"namespace\": \"https://cert.example\"},"
                          " \"tracking\": {\"id\": \"X\"}}}";
/* The same with a note added (a minor change). */
static const char doc_note[] =
    "{\"document\": {\"category\": \"csaf_base\", \"csaf_version\": \"2.0\","
    " \"title\": \"Unit advisory\", \"lang\": \"en\","
    " \"distribution\": {\"tlp\": {\"label\": \"WHITE\"}},"
    " \"notes\": [{\"category\": \"summary\", \"text\": \"More.\"}],"
    " \"publisher\": {\"category\": \"coordinator\", \"name\": \"Unit CERT\","
    " \"namespace\": \"https://cert.example\"},"
    " \"tracking\": {\"id\": \"X\"}}}";

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-advrev-XXXXXX");
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

static json_t *item(json_t *diff, size_t i, const char **op, const char **path)
{
    json_t *it = json_array_get(diff, i);

    *op = json_string_value(json_object_get(it, "op"));
    *path = json_string_value(json_object_get(it, "path"));
    return it;
}

static void test_diff(void **state)
{
    json_t *a = json_loads("{\"z\": 1, \"a/b\": {\"t~\": [1, 2, 3]}, \"same\": [true],"
                           " \"gone\": \"x\", \"type\": 1}",
                           0, NULL);
    json_t *b = json_loads("{\"a/b\": {\"t~\": [1, 5]}, \"z\": 1, \"same\": [true], \"new\": null,"
                           " \"type\": \"1\", \"ctl\": \"\\u001b[2J\\u009b\"}",
                           0, NULL);
    json_t *diff, *it;
    const char *op, *path;
    char *text;
    int truncated = 1;

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    diff = ermes__json_diff(a, b, 100, &truncated);
    assert_non_null(diff);
    assert_int_equal(truncated, 0);
    /* Keys sorted; JSON Pointer escaping (RFC 6901: ~ as ~0, / as ~1). */
    assert_int_equal(json_array_size(diff), 6);
    it = item(diff, 0, &op, &path);
    assert_string_equal(op, "changed");
    assert_string_equal(path, "/a~1b/t~0/1");
    assert_int_equal(json_integer_value(json_object_get(it, "old")), 2);
    assert_int_equal(json_integer_value(json_object_get(it, "new")), 5);
    item(diff, 1, &op, &path);
    assert_string_equal(op, "removed");
    assert_string_equal(path, "/a~1b/t~0/2");
    it = item(diff, 2, &op, &path);
    assert_string_equal(op, "added");
    assert_string_equal(path, "/ctl");
    assert_null(json_object_get(it, "old"));
    it = item(diff, 3, &op, &path);
    assert_string_equal(op, "removed");
    assert_string_equal(path, "/gone");
    assert_null(json_object_get(it, "new"));
    it = item(diff, 4, &op, &path);
    assert_string_equal(op, "added");
    assert_string_equal(path, "/new");
    assert_true(json_is_null(json_object_get(it, "new")));
    item(diff, 5, &op, &path);
    assert_string_equal(op, "changed");
    assert_string_equal(path, "/type");
    /* The text form: one line a change, control characters made visible. */
    text = ermes__json_diff_text(diff);
    assert_non_null(text);
    assert_string_equal(text, "~ /a~1b/t~0/1: 2 -> 5\n"
                              "- /a~1b/t~0/2: 3\n"
                              "+ /ctl: \"\\u001B[2J\\u009b\"\n"
                              "- /gone: \"x\"\n"
                              "+ /new: null\n"
                              "~ /type: 1 -> \"1\"\n");
    ermes__free(text);
    json_decref(diff);
    /* At most max_items, and it says so. */
    diff = ermes__json_diff(a, b, 2, &truncated);
    assert_int_equal(json_array_size(diff), 2);
    assert_int_equal(truncated, 1);
    json_decref(diff);
    /* Nothing from a document to itself; the root changed as a whole when its type differs. */
    diff = ermes__json_diff(a, a, 100, &truncated);
    assert_int_equal(json_array_size(diff), 0);
    json_decref(diff);
    {
        json_t *s = json_string("x");
        diff = ermes__json_diff(a, s, 100, &truncated);
        item(diff, 0, &op, &path);
        assert_int_equal(json_array_size(diff), 1);
        assert_string_equal(path, "");
        json_decref(diff);
        json_decref(s);
    }
    json_decref(a);
    json_decref(b);
}

static void next_second(void)
{
    int64_t now = ermes__time_now_ms() / 1000;
    struct timespec ts = {0, 20 * 1000 * 1000};

    while (ermes__time_now_ms() / 1000 == now)
        nanosleep(&ts, NULL);
}

static void publish_now(fixture_t *f, const char *ref, const char *text,
                        const ermes__advisory_publish_opts_t *o, int wait)
{
    ermes_csaf_result_t r;
    ermes_diag_t d;
    int scheduled = 0;

    ermes_diag_clear(&d);
    if (wait)
        next_second();
    assert_int_equal(ermes__advisory_update(f->st, &alice, ref, text, strlen(text), &d), 0);
    assert_int_equal(ermes__advisory_transition(f->st, &alice, ref, "submit", &d), 0);
    assert_int_equal(ermes__advisory_transition(f->st, &bob, ref, "approve", &d), 0);
    assert_int_equal(ermes__advisory_publish_with(f->st, &bob, NULL, ref, 0, o, &r, &scheduled, &d),
                     0);
}

static void publish(fixture_t *f, const char *ref, const char *text,
                    const ermes__advisory_publish_opts_t *o)
{
    publish_now(f, ref, text, o, 1);
}

/* Three publications within a second: each dated a second after the one before, so the
 * history stays in order (6.1.14) and every one validates. */
static void test_same_second(void **state)
{
    fixture_t *f = *state;
    ermes__advisory_revision_t r1, r3;
    ermes_diag_t d;
    int64_t id = 0;
    char ref[32];

    ermes_diag_clear(&d);
    assert_int_equal(ermes__advisory_create(f->st, "S-%Y-%03n", &alice, doc, strlen(doc), &id, &d),
                     0);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    publish_now(f, ref, doc, NULL, 0);
    publish_now(f, ref, doc_note, NULL, 0);
    publish_now(f, ref, doc_note, NULL, 0);
    assert_int_equal(ermes__store_advisory_revision_get(f->st, id, 1, &r1), 0);
    assert_int_equal(ermes__store_advisory_revision_get(f->st, id, 3, &r3), 0);
    assert_true(r3.published_at - r3.published_at % 1000 >=
                r1.published_at - r1.published_at % 1000 + 2000);
    assert_non_null(strstr(r3.document, "\"version\": \"1.1.1\""));
    ermes__advisory_revision_cleanup(&r1);
    ermes__advisory_revision_cleanup(&r3);
}

typedef struct seen {
    int n;
    char versions[8][64];
    char statuses[8][16];
} seen_t;

static int seen_cb(void *ctx, const ermes__advisory_revision_t *r)
{
    seen_t *s = ctx;

    assert_int_equal(r->number, s->n + 1);
    assert_null(r->document);
    snprintf(s->versions[s->n], sizeof(s->versions[0]), "%s", r->version);
    snprintf(s->statuses[s->n], sizeof(s->statuses[0]), "%s", r->status);
    s->n++;
    return 0;
}

static void test_revisions(void **state)
{
    fixture_t *f = *state;
    ermes__advisory_publish_opts_t interim = {NULL, "interim", NULL};
    ermes__advisory_publish_opts_t final = {"Final.", NULL, NULL};
    ermes__advisory_publish_opts_t major = {NULL, "final", "major"};
    ermes__advisory_revision_t rev;
    ermes__advisory_t a;
    ermes_diag_t d;
    seen_t seen;
    int64_t id = 0;
    char ref[32];

    ermes_diag_clear(&d);
    assert_int_equal(ermes__advisory_create(f->st, "R-%Y-%03n", &alice, doc, strlen(doc), &id, &d),
                     0);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    publish(f, ref, doc, &interim);      /* 1.0.0 interim */
    publish(f, ref, doc_note, &interim); /* a note added: minor, 1.1.0 interim */
    publish(f, ref, doc_note, &final);   /* nothing but the status: patch, 1.1.1 final */
    publish(f, ref, doc_note, &major);   /* the analyst's choice: 2.0.0 */
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(ermes__store_advisory_revision_each(f->st, id, seen_cb, &seen), 0);
    assert_int_equal(seen.n, 4);
    assert_string_equal(seen.versions[0], "1.0.0");
    assert_string_equal(seen.statuses[0], "interim");
    assert_string_equal(seen.versions[1], "1.1.0");
    assert_string_equal(seen.statuses[1], "interim");
    assert_string_equal(seen.versions[2], "1.1.1");
    assert_string_equal(seen.statuses[2], "final");
    assert_string_equal(seen.versions[3], "2.0.0");
    /* Each revision is the text published then; the last is the advisory's. */
    assert_int_equal(ermes__store_advisory_get(f->st, ref, &a), 0);
    assert_int_equal(ermes__store_advisory_revision_get(f->st, id, 4, &rev), 0);
    assert_string_equal(rev.document, a.published_document);
    assert_string_equal(rev.published_by, "bob");
    assert_int_equal(rev.tlp, ERMES_TLP_CLEAR);
    assert_int_equal(rev.published_at, a.published_at);
    /* A number is stored once. */
    assert_int_equal(ermes__store_advisory_revision_insert(f->st, &rev), ERMES_EEXISTS);
    ermes__advisory_revision_cleanup(&rev);
    ermes__advisory_cleanup(&a);
    assert_int_equal(ermes__store_advisory_revision_get(f->st, id, 3, &rev), 0);
    assert_non_null(strstr(rev.document, "\"version\": \"1.1.1\""));
    assert_string_equal(rev.summary, "Final.");
    ermes__advisory_revision_cleanup(&rev);
    assert_int_equal(ermes__store_advisory_revision_get(f->st, id, 5, &rev), ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_advisory_revision_get(f->st, id + 100, 1, &rev), ERMES_ENOTFOUND);
}

static void test_bad_choices(void **state)
{
    fixture_t *f = *state;
    ermes__advisory_publish_opts_t bad_status = {NULL, "draft", NULL};
    ermes__advisory_publish_opts_t bad_change = {NULL, NULL, "huge"};
    ermes__advisory_publish_opts_t later = {NULL, "interim", NULL};
    ermes_csaf_result_t r;
    ermes_diag_t d;
    int64_t id = 0;
    int scheduled;
    char ref[32];

    ermes_diag_clear(&d);
    assert_int_equal(ermes__advisory_create(f->st, "B-%Y-%03n", &alice, doc, strlen(doc), &id, &d),
                     0);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    assert_int_equal(ermes__advisory_transition(f->st, &alice, ref, "submit", &d), 0);
    assert_int_equal(ermes__advisory_transition(f->st, &bob, ref, "approve", &d), 0);
    assert_int_equal(
        ermes__advisory_publish_with(f->st, &bob, NULL, ref, 0, &bad_status, &r, &scheduled, &d),
        ERMES_EINVAL);
    assert_string_equal(d.field, "status");
    assert_null(r.failed);
    assert_int_equal(
        ermes__advisory_publish_with(f->st, &bob, NULL, ref, 0, &bad_change, &r, &scheduled, &d),
        ERMES_EINVAL);
    assert_string_equal(d.field, "change");
    assert_int_equal(ermes__advisory_publish_with(f->st, &bob, NULL, ref,
                                                  ermes__time_now_ms() + 60000, &later, &r,
                                                  &scheduled, &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "publish_at");
    assert_int_equal(scheduled, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff),
        cmocka_unit_test_setup_teardown(test_revisions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_choices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_second, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
