/* Tests of coordination with constituents and of attachments (src/incidents/coordinate.c,
 * attachments.c, src/store/incident_attachments.c) on the store: one notification per
 * constituent with its own reference and contacts, linked to the incident and on its timeline;
 * reply to all of a writing; the refusals; attachments' checks, and who reads which. Run on
 * SQLite and, as unit_pg, on PostgreSQL. */
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
#include "incidents/attachments.h"
#include "incidents/incidents.h"
#include "model/org.h"
#include "notify/notify.h"
#include "store/store.h"
#include "test_db.h"

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
    int64_t home, acme, beta, gamma;
    ermes__viewer_t admin, acme_user, beta_user;
    ermes__notify_options_t o;
} fixture_t;

static int64_t add_org(ermes__store_t *st, const char *short_name, const char *email)
{
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    int64_t id;

    assert_non_null(org);
    org->short_name = ermes__org_strdup(org, short_name);
    org->name = ermes__org_strdup(org, short_name);
    if (email) {
        ermes__contact_t c;
        memset(&c, 0, sizeof(c));
        c.name = ermes__org_strdup(org, "Abuse desk");
        c.email = ermes__org_strdup(org, email);
        c.role = ermes__org_strdup(org, "abuse");
        c.language = ermes__org_strdup(org, "en");
        assert_int_equal(ermes__org_add_contact(org, &c), 0);
    }
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
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-coord-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st))
        return -1;
    f->home = add_org(f->st, "CERT", NULL);
    f->acme = add_org(f->st, "ACME", "Abuse@Acme.example");
    f->beta = add_org(f->st, "BETA", "abuse@beta.example");
    f->gamma = add_org(f->st, "GAMMA", NULL);
    f->admin.role = ERMES_ROLE_ADMIN;
    f->admin.org_id = f->home;
    f->admin.user_name = "tester";
    f->acme_user.role = ERMES_ROLE_CONSTITUENT;
    f->acme_user.org_id = f->acme;
    f->acme_user.user_name = "conny";
    f->acme_user.user_id = 7;
    f->beta_user.role = ERMES_ROLE_CONSTITUENT;
    f->beta_user.org_id = f->beta;
    f->beta_user.user_name = "betty";
    f->o.mail_from = "cert@cert.example";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    DIR *d;
    struct dirent *e;
    char path[512];

    ermes__store_close(f->st);
    if ((d = opendir(f->dir))) {
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
                remove(path);
            }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int64_t create(fixture_t *f, const char *json)
{
    json_error_t je;
    json_t *body = json_loads(json, 0, &je);
    ermes_diag_t d;
    int64_t id = 0;
    int rc;

    assert_non_null(body);
    ermes_diag_clear(&d);
    rc = ermes__incident_create(f->st, &f->admin, body, &id, &d);
    json_decref(body);
    if (rc)
        fail_msg("create %s: %s (%s)", json, d.reason, d.field);
    return id;
}

static int write_msg(fixture_t *f, int64_t id, const char *json, json_t **out, ermes_diag_t *d)
{
    json_error_t je;
    json_t *body = json_loads(json, 0, &je);
    int rc;

    assert_non_null(body);
    ermes_diag_clear(d);
    rc = ermes__incident_write(f->st, &f->admin, &f->o, id, body, out, d);
    json_decref(body);
    return rc;
}

struct tl_ctx {
    const char *kind, *state;
    int n;
};

static int tl_cb(void *ctx, const ermes__timeline_entry_t *e)
{
    struct tl_ctx *c = ctx;

    if (strcmp(e->kind, c->kind) == 0 && (!c->state || (e->detail && strstr(e->detail, c->state))))
        c->n++;
    return 0;
}

static int count_kind(fixture_t *f, int64_t id, const char *kind, const char *state)
{
    struct tl_ctx c = {kind, state, 0};

    assert_int_equal(ermes__store_incident_timeline_each(f->st, id, 0, 0, 0, tl_cb, &c, NULL), 0);
    return c.n;
}

struct notify_measure {
    int64_t created_at, ms;
    int found;
};

static int notify_cb(void *ctx, const ermes__incident_measure_row_t *r)
{
    struct notify_measure *w = ctx;

    if (r->created_at == w->created_at && r->m.has[2] && r->m.ms[2] == w->ms)
        w->found = 1;
    return 0;
}

static void write_to_all_and_reply_to_all(void **state)
{
    fixture_t *f = *state;
    int64_t id = create(f, "{\"title\":\"kit\",\"constituents\":[\"ACME\",\"BETA\",\"GAMMA\"],"
                           "\"tlp\":\"AMBER\"}");
    json_t *out = NULL, *corr = NULL, *m;
    ermes__notification_t n;
    ermes_diag_t d;
    int64_t nid = 0, inc_id = 0;
    char ref[32];
    size_t i;

    assert_int_equal(
        write_msg(f, id, "{\"all\":true,\"subject\":\"Kit\",\"body\":\"Take it down.\"}", &out, &d),
        0);
    /* ACME and BETA each get theirs; GAMMA has no contact: skipped, said so. */
    assert_int_equal(json_array_size(json_object_get(out, "messages")), 2);
    assert_int_equal(json_array_size(json_object_get(out, "skipped")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(out, "skipped"), 0), "org")),
                        "GAMMA");
    json_array_foreach(json_object_get(out, "messages"), i, m)
    {
        const char *org = json_string_value(json_object_get(m, "org"));
        json_t *r = json_object_get(m, "recipients");
        assert_int_equal(json_array_size(r), 1);
        assert_string_equal(json_string_value(json_array_get(r, 0)),
                            strcmp(org, "ACME") == 0 ? "abuse@acme.example" : "abuse@beta.example");
    }
    snprintf(ref, sizeof(ref), "%s",
             json_string_value(json_object_get(json_array_get(json_object_get(out, "messages"), 0),
                                               "reference")));
    assert_int_equal(ermes__store_notification_find(f->st, ref, &nid), 0);
    assert_int_equal(ermes__store_notification_get(f->st, nid, &n), 0);
    assert_true(ermes__incident_message_of(&n, &inc_id));
    assert_int_equal(inc_id, id);
    assert_string_equal(n.state, "pending");
    assert_non_null(strstr(n.subject, ref));
    assert_non_null(strstr(n.body, "Take it down."));
    /* What happens to it goes on the timeline. */
    assert_int_equal(ermes__incident_message_event(f->st, &n, "sent", NULL), 0);
    ermes__notification_cleanup(&n);
    assert_int_equal(count_kind(f, id, "message", "queued"), 2);
    assert_int_equal(count_kind(f, id, "message", "\"sent\""), 1);
    json_decref(out);
    out = NULL;
    /* Reply to all of that writing: both again, new references. */
    {
        char body[160];
        snprintf(body, sizeof(body), "{\"reply_to\":\"%s\",\"subject\":\"Re\",\"body\":\"x\"}",
                 ref);
        assert_int_equal(write_msg(f, id, body, &out, &d), 0);
    }
    assert_int_equal(json_array_size(json_object_get(out, "messages")), 2);
    json_decref(out);
    out = NULL;
    assert_int_equal(ermes__incident_correspondence(f->st, &f->admin, id, &corr), 0);
    assert_int_equal(json_array_size(json_object_get(corr, "data")), 4);
    json_decref(corr);
    /* A constituent does not see another's name in the incident either way; the incident
     * has notified_at from the first message. */
    {
        ermes__incident_t *inc = malloc(sizeof(*inc));
        assert_non_null(inc);
        assert_int_equal(ermes__store_incident_get(f->st, NULL, id, inc), 0);
        assert_true(inc->notified_at > 0);
        /* ... and the measure the metrics read (measure.c), written with it. */
        struct notify_measure want = {inc->created_at, inc->notified_at - inc->created_at, 0};
        assert_int_equal(
            ermes__store_incident_measures_each(f->st, NULL, 0, 0, 0, notify_cb, &want), 0);
        assert_int_equal(want.found, 1);
        free(inc);
    }
}

static void refusals(void **state)
{
    fixture_t *f = *state;
    int64_t id = create(f, "{\"title\":\"x\",\"constituents\":[\"GAMMA\"]}");
    int64_t red = create(f, "{\"title\":\"r\",\"constituents\":[\"ACME\"],\"tlp\":\"RED\"}");
    int64_t other = create(f, "{\"title\":\"o\",\"constituents\":[\"ACME\"]}");
    json_t *out = NULL;
    ermes_diag_t d;
    char body[200];

    assert_int_equal(write_msg(f, id, "{\"all\":true,\"subject\":\"s\",\"body\":\"b\"}", &out, &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "to");
    assert_int_equal(write_msg(f, red, "{\"all\":true,\"subject\":\"s\",\"body\":\"b\"}", &out, &d),
                     ERMES_ECONFLICT);
    assert_int_equal(
        write_msg(f, 99999, "{\"all\":true,\"subject\":\"s\",\"body\":\"b\"}", &out, &d),
        ERMES_ENOTFOUND);
    assert_int_equal(
        write_msg(f, id, "{\"to\":[\"NOPE\"],\"subject\":\"s\",\"body\":\"b\"}", &out, &d),
        ERMES_EINVAL);
    assert_string_equal(d.field, "to");
    /* reply_to a message of another incident: refused. */
    assert_int_equal(
        write_msg(f, other, "{\"to\":[\"ACME\"],\"subject\":\"s\",\"body\":\"b\"}", &out, &d), 0);
    json_decref(out);
    out = NULL;
    snprintf(body, sizeof(body),
             "{\"reply_to\":\"ERMES-1999-000001\",\"subject\":\"s\",\"body\":\"b\"}");
    assert_int_equal(write_msg(f, id, body, &out, &d), ERMES_EINVAL);
    assert_string_equal(d.field, "reply_to");
}

static void attachment_checks(void **state)
{
    char type[64];
    ermes_diag_t d;

    (void)state;
    assert_true(ermes__attachment_name_ok("report 2026.pdf"));
    assert_true(ermes__attachment_name_ok("été.txt"));
    assert_false(ermes__attachment_name_ok(""));
    assert_false(ermes__attachment_name_ok(".."));
    assert_false(ermes__attachment_name_ok("a/b"));
    assert_false(ermes__attachment_name_ok("a\\b"));
    assert_false(ermes__attachment_name_ok("a\"b"));
    assert_false(ermes__attachment_name_ok("a\nb"));
    assert_false(ermes__attachment_name_ok("a\xc2\x85z"));
    assert_false(ermes__attachment_name_ok("\xff"));
    ermes_diag_clear(&d);
    assert_int_equal(
        ermes__attachment_type_check("Text/Plain; charset=utf-8", "hi", 2, type, sizeof(type), &d),
        0);
    assert_string_equal(type, "text/plain");
    assert_int_equal(ermes__attachment_type_check("image/png", "\x89PNG\r\n\x1a\nrest", 12, type,
                                                  sizeof(type), &d),
                     0);
    assert_int_equal(ermes__attachment_type_check("image/png", "GIF89a", 6, type, sizeof(type), &d),
                     ERMES_EINVAL);
    assert_int_equal(ermes__attachment_type_check("text/html", "<b>", 3, type, sizeof(type), &d),
                     ERMES_EUNSUPPORTED);
    assert_int_equal(ermes__attachment_type_check("text/plain", "a\0b", 3, type, sizeof(type), &d),
                     ERMES_EINVAL);
    assert_int_equal(ermes__attachment_type_check(NULL, "a", 1, type, sizeof(type), &d),
                     ERMES_EUNSUPPORTED);
}

struct got {
    char name[256];
    size_t size;
    char first[8];
};

static int got_cb(void *ctx, const ermes__attachment_t *a)
{
    struct got *g = ctx;

    snprintf(g->name, sizeof(g->name), "%s", a->file_name);
    g->size = (size_t)a->size;
    memcpy(g->first, a->data, a->size < 8 ? (size_t)a->size : 8);
    return 0;
}

static void attachments_who_reads_which(void **state)
{
    fixture_t *f = *state;
    int64_t id = create(f, "{\"title\":\"att\",\"constituents\":[\"ACME\",\"BETA\"]}");
    int64_t solo = create(f, "{\"title\":\"solo\",\"constituents\":[\"BETA\"]}");
    json_t *out = NULL, *list = NULL;
    ermes_diag_t d;
    struct got g;
    int64_t acme_file, cert_file;
    static const char pdf[] = "%PDF-1.7\n...";

    ermes_diag_clear(&d);
    assert_int_equal(ermes__attachment_add(f->st, &f->acme_user, id, "log.txt", "text/plain",
                                           "line\n", 5, &out, &d),
                     0);
    acme_file = json_integer_value(json_object_get(out, "id"));
    assert_true(json_is_true(json_object_get(out, "from_constituent")));
    json_decref(out);
    assert_int_equal(ermes__attachment_add(f->st, &f->admin, id, "a.pdf", "application/pdf", pdf,
                                           sizeof(pdf) - 1, &out, &d),
                     0);
    cert_file = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    /* Refusals: not seen (ACME is not affected by solo), too big, bad name. */
    assert_int_equal(
        ermes__attachment_add(f->st, &f->acme_user, solo, "x.txt", "text/plain", "x", 1, &out, &d),
        ERMES_ENOTFOUND);
    assert_int_equal(ermes__attachment_add(f->st, &f->acme_user, id, "x.txt", "text/plain", "x",
                                           (size_t)ERMES_ATTACHMENT_MAX + 1, &out, &d),
                     ERMES_ETOOBIG);
    assert_int_equal(
        ermes__attachment_add(f->st, &f->acme_user, id, "../x", "text/plain", "x", 1, &out, &d),
        ERMES_EINVAL);
    assert_string_equal(d.field, "name");
    /* Staff: both; ACME: its own; BETA (affected too): none. */
    assert_int_equal(ermes__attachment_list(f->st, &f->admin, id, &list), 0);
    assert_int_equal(json_array_size(list), 2);
    json_decref(list);
    assert_int_equal(ermes__attachment_list(f->st, &f->acme_user, id, &list), 0);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    assert_int_equal(ermes__attachment_list(f->st, &f->beta_user, id, &list), 0);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ermes__attachment_read(f->st, &f->acme_user, acme_file, got_cb, &g), 0);
    assert_string_equal(g.name, "log.txt");
    assert_int_equal(g.size, 5);
    assert_memory_equal(g.first, "line\n", 5);
    assert_int_equal(ermes__attachment_read(f->st, &f->beta_user, acme_file, got_cb, &g),
                     ERMES_ENOTFOUND);
    assert_int_equal(ermes__attachment_read(f->st, &f->acme_user, cert_file, got_cb, &g),
                     ERMES_ENOTFOUND);
    assert_int_equal(ermes__attachment_read(f->st, &f->admin, cert_file, got_cb, &g), 0);
    assert_int_equal(g.size, sizeof(pdf) - 1);
    assert_int_equal(count_kind(f, id, "attachment", NULL), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(write_to_all_and_reply_to_all, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals, setup, teardown),
        cmocka_unit_test(attachment_checks),
        cmocka_unit_test_setup_teardown(attachments_who_reads_which, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
