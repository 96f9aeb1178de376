/* Tests of the incident store (src/store/incidents.c, triage.c) and of what src/incidents/
 * builds on it: insert, read back, visibility for a constituent, the queue's filters and keyset
 * pages, links, the append-only timeline, tasks, observables, merging, SLA policies and
 * calendars, triage and the allow-list. Run on SQLite and, as unit_pg, on PostgreSQL. */
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

#include "access/access.h"
#include "core/alloc.h"
#include "core/time.h"
#include "incidents/incidents.h"
#include "model/org.h"
#include "store/store.h"
#include "test_db.h"

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
    int64_t home, acme, beta;
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
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-incidents-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st))
        return -1;
    f->home = add_org(f->st, "CERT");
    f->acme = add_org(f->st, "ACME");
    f->beta = add_org(f->st, "BETA");
    f->admin.role = ERMES_ROLE_ADMIN;
    f->admin.org_id = f->home;
    f->admin.user_name = "tester";
    f->acme_user.role = ERMES_ROLE_CONSTITUENT;
    f->acme_user.org_id = f->acme;
    f->acme_user.user_name = "conny";
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

static int update(fixture_t *f, int64_t id, const char *json, ermes_diag_t *d)
{
    json_error_t je;
    json_t *body = json_loads(json, 0, &je);
    int rc;

    assert_non_null(body);
    ermes_diag_clear(d);
    rc = ermes__incident_update(f->st, &f->admin, id, body, d);
    json_decref(body);
    return rc;
}

struct ids {
    int64_t id[64];
    size_t n;
};

static int ids_cb(void *ctx, const ermes__incident_t *inc)
{
    struct ids *c = ctx;

    if (c->n < 64)
        c->id[c->n++] = inc->id;
    return 0;
}

static void insert_get_and_visibility(void **state)
{
    fixture_t *f = *state;
    ermes__incident_t *inc = malloc(sizeof(*inc));
    ermes__incident_filter_t flt;
    struct ids got = {{0}, 0};
    int64_t a, b, red;
    int more = 0;

    assert_non_null(inc);
    a = create(f, "{\"title\": \"acme's\", \"constituents\": [\"ACME\"], \"severity\": \"high\"}");
    b = create(f, "{\"title\": \"beta's\", \"constituents\": [\"BETA\"]}");
    red = create(f, "{\"title\": \"red\", \"constituents\": [\"ACME\"], \"tlp\": \"RED\"}");
    assert_int_equal(ermes__store_incident_get(f->st, &f->admin, a, inc), 0);
    assert_string_equal(inc->title, "acme's");
    assert_string_equal(inc->severity, "high");
    assert_string_equal(inc->status, "new");
    assert_string_equal(inc->org, "ACME");
    assert_true(inc->next_due_at > inc->created_at);
    /* A constituent: its own, not another's, not a RED one it does not own. */
    assert_int_equal(ermes__store_incident_get(f->st, &f->acme_user, a, inc), 0);
    assert_int_equal(ermes__store_incident_get(f->st, &f->acme_user, b, inc), ERMES_ENOTFOUND);
    assert_int_equal(ermes__store_incident_get(f->st, &f->acme_user, red, inc), ERMES_ENOTFOUND);
    memset(&flt, 0, sizeof(flt));
    assert_int_equal(ermes__store_incident_each(f->st, &f->acme_user, &flt, ids_cb, &got, NULL), 0);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.id[0], a);
    /* Keyset pages, newest first. */
    got.n = 0;
    flt.limit = 2;
    assert_int_equal(ermes__store_incident_each(f->st, &f->admin, &flt, ids_cb, &got, &more), 0);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.id[0], red);
    assert_int_equal(more, 1);
    flt.before_id = got.id[1];
    got.n = 0;
    assert_int_equal(ermes__store_incident_each(f->st, &f->admin, &flt, ids_cb, &got, &more), 0);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.id[0], a);
    assert_int_equal(more, 0);
    /* By constituent and severity. */
    memset(&flt, 0, sizeof(flt));
    flt.org_id = f->beta;
    got.n = 0;
    assert_int_equal(ermes__store_incident_each(f->st, &f->admin, &flt, ids_cb, &got, NULL), 0);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.id[0], b);
    free(inc);
}

static int count_cb(void *ctx, const ermes__timeline_entry_t *e)
{
    (void)e;
    (*(int *)ctx)++;
    return 0;
}

static void lifecycle_timeline_and_merge(void **state)
{
    fixture_t *f = *state;
    ermes__incident_t *inc = malloc(sizeof(*inc));
    ermes_diag_t d;
    int64_t a, b;
    int n = 0, pub = 0, added = 0;
    ermes__timeline_entry_t e;

    assert_non_null(inc);
    a = create(f, "{\"title\": \"a\", \"template\": \"ddos\"}");
    b = create(f, "{\"title\": \"b\"}");
    assert_int_equal(update(f, a, "{\"status\": \"closed\"}", &d), ERMES_ECONFLICT);
    assert_string_equal(d.field, "status"); /* a mandatory task is open */
    assert_int_equal(update(f, a, "{\"status\": \"resolved\"}", &d), ERMES_ECONFLICT);
    assert_int_equal(update(f, a, "{\"status\": \"in_progress\"}", &d), 0);
    assert_int_equal(update(f, a, "{\"status\": \"waiting_on_constituent\"}", &d), 0);
    assert_int_equal(ermes__store_incident_get(f->st, NULL, a, inc), 0);
    assert_non_null(strchr(inc->pauses, '-'));
    assert_int_equal(inc->pauses[strlen(inc->pauses) - 1], '-'); /* a pause running */
    {
        ermes__incident_deadline_t dl[ERMES_INCIDENT_CLOCKS];
        assert_int_equal(ermes__incident_deadlines(f->st, inc, dl), 0);
        assert_string_equal(dl[1].name, "containment");
        assert_int_equal(dl[1].due, 0); /* the SLA clocks stand while waiting */
        assert_true(dl[0].done > 0);    /* the status change was the first response */
    }
    assert_int_equal(ermes__incident_comment(f->st, &f->admin, a, "note", 0, &d), 0);
    assert_int_equal(ermes__store_incident_timeline_each(f->st, a, 0, 0, 0, count_cb, &n, NULL), 0);
    assert_int_equal(ermes__store_incident_timeline_each(f->st, a, 1, 0, 0, count_cb, &pub, NULL),
                     0);
    assert_true(n > pub); /* the internal note and the others are not public */
    /* The timeline refuses changes on both backends. */
    memset(&e, 0, sizeof(e));
    e.incident_id = 999999;
    e.kind = "comment";
    assert_int_equal(ermes__store_incident_timeline_add(f->st, &e), ERMES_ENOTFOUND);
    /* Links and merge. */
    assert_int_equal(ermes__store_incident_link_add(f->st, a, "indicator", 7, &added), 0);
    assert_int_equal(added, 1);
    assert_int_equal(ermes__store_incident_link_add(f->st, a, "indicator", 7, &added), 0);
    assert_int_equal(added, 0);
    assert_int_equal(ermes__incident_merge(f->st, &f->admin, a, b, &d), 0);
    assert_int_equal(ermes__store_incident_get(f->st, NULL, a, inc), 0);
    assert_string_equal(inc->status, "closed");
    assert_int_equal(inc->merged_into, b);
    assert_int_equal(ermes__store_incident_link_add(f->st, b, "indicator", 7, &added), 0);
    assert_int_equal(added, 0); /* moved there by the merge */
    assert_int_equal(ermes__incident_merge(f->st, &f->admin, b, a, &d), ERMES_ECONFLICT);
    free(inc);
}

static void policies_calendars_triage_allowlist(void **state)
{
    fixture_t *f = *state;
    ermes__sla_policy_t p = {30, 60, 120, 1}, got;
    ermes__calendar_row_t *cal = calloc(1, sizeof(*cal));
    int yes = 0, added = 0;
    int64_t missing = 0, one = 1;
    char state_name[32];

    assert_non_null(cal);
    assert_int_equal(ermes__store_sla_policy_get(f->st, "critical", f->acme, &got), 0);
    assert_int_equal(got.response_min, 60); /* the default of migration 20 */
    assert_int_equal(ermes__store_sla_policy_put(f->st, "critical", f->acme, &p), 0);
    assert_int_equal(ermes__store_sla_policy_get(f->st, "critical", f->acme, &got), 0);
    assert_int_equal(got.response_min, 30);
    assert_int_equal(got.business_hours, 1);
    p.response_min = 45;
    assert_int_equal(ermes__store_sla_policy_put(f->st, "critical", f->acme, &p), 0);
    assert_int_equal(ermes__store_sla_policy_get(f->st, "critical", f->acme, &got), 0);
    assert_int_equal(got.response_min, 45);
    assert_int_equal(ermes__store_sla_policy_get(f->st, "critical", f->beta, &got), 0);
    assert_int_equal(got.response_min, 60);
    assert_int_equal(ermes__store_calendar_get(f->st, f->acme, cal), 0);
    assert_int_equal(cal->start_minute, 540); /* the default calendar */
    cal->days = 0x3f;
    snprintf(cal->holidays, sizeof(cal->holidays), "2026-12-25");
    assert_int_equal(ermes__store_calendar_put(f->st, f->acme, cal), 0);
    memset(cal, 0, sizeof(*cal));
    assert_int_equal(ermes__store_calendar_get(f->st, f->acme, cal), 0);
    assert_int_equal(cal->days, 0x3f);
    assert_string_equal(cal->holidays, "2026-12-25");
    assert_int_equal(ermes__store_calendar_get(f->st, f->beta, cal), 0);
    assert_int_equal(cal->days, 31);
    /* Triage of an event that is not there names it. */
    assert_int_equal(
        ermes__store_triage_set(f->st, "event", &one, 1, "benign", NULL, "t", &missing),
        ERMES_ENOTFOUND);
    assert_int_equal(missing, 1);
    assert_int_equal(ermes__store_triage_get(f->st, "event", 1, state_name, sizeof(state_name)),
                     ERMES_ENOTFOUND);
    assert_string_equal(state_name, "new");
    assert_int_equal(ermes__store_allowlist_has(f->st, "203.0.113.9", &yes), 0);
    assert_int_equal(yes, 0);
    assert_int_equal(ermes__store_allowlist_add(f->st, "203.0.113.9", "fp", 0, &added), 0);
    assert_int_equal(added, 1);
    assert_int_equal(ermes__store_allowlist_add(f->st, "203.0.113.9", "fp", 0, &added), 0);
    assert_int_equal(added, 0);
    assert_int_equal(ermes__store_allowlist_has(f->st, "203.0.113.9", &yes), 0);
    assert_int_equal(yes, 1);
    free(cal);
}

static void metrics_from_milestones(void **state)
{
    fixture_t *f = *state;
    ermes_diag_t d;
    json_t *m = NULL;
    char *csv = NULL;
    int64_t a;

    a = create(f, "{\"title\": \"m\", \"constituents\": [\"ACME\"], \"rsit_class\": \"fraud\"}");
    assert_int_equal(update(f, a, "{\"status\": \"in_progress\"}", &d), 0);
    assert_int_equal(update(f, a, "{\"status\": \"resolved\"}", &d), 0);
    assert_int_equal(ermes__incident_metrics(f->st, &f->admin, 0, 0, "all", "both",
                                             ermes__time_now_ms(), &m, NULL, &d),
                     0);
    json_t *g = json_array_get(json_object_get(m, "groups"), 0);
    assert_string_equal(json_string_value(json_object_get(g, "constituent")), "ACME");
    assert_string_equal(json_string_value(json_object_get(g, "rsit_class")), "fraud");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(g, "time_to_resolve"), "count")), 1);
    json_decref(m);
    assert_int_equal(ermes__incident_metrics(f->st, &f->admin, 0, 0, "month", "none",
                                             ermes__time_now_ms(), NULL, &csv, &d),
                     0);
    assert_non_null(strstr(csv, "period,constituent,rsit_class,incidents"));
    ermes__free(csv);
    assert_int_equal(
        ermes__incident_metrics(f->st, &f->admin, 0, 0, "week", "none", 0, &m, NULL, &d),
        ERMES_EINVAL);
    assert_string_equal(d.field, "period");
}

/* ---- the daemon's deadline warnings by e-mail (warn_mail.c, incident_warnings.c) --------- */

struct mails {
    char key[8][80];
    char to[8][256];
    size_t n;
};

static int mails_cb(void *ctx, const ermes__warning_mail_t *m)
{
    struct mails *c = ctx;

    if (c->n < 8) {
        snprintf(c->key[c->n], sizeof(c->key[0]), "%s", m->deadline);
        snprintf(c->to[c->n], sizeof(c->to[0]), "%s", m->recipient);
        c->n++;
    }
    return 0;
}

/* The recipient of the warning keyed key on incident id ("" when none was queued). */
static const char *mail_to(fixture_t *f, int64_t id, const char *key, struct mails *c)
{
    memset(c, 0, sizeof(*c));
    assert_int_equal(ermes__store_warning_mail_each(f->st, id, mails_cb, c), 0);
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->key[i], key) == 0)
            return c->to[i];
    return "";
}

static void deadline_warnings_mailed_once(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms(), ana, bob, nobody, hour = 3600 * 1000;
    char aware[ERMES_TIME_STRLEN], json[512];
    ermes__user_t u;
    ermes_diag_t d;
    struct mails c;
    size_t n;

    memset(&u, 0, sizeof(u));
    snprintf(u.name, sizeof(u.name), "ana@cert.example");
    u.role = ERMES_ROLE_ANALYST;
    u.org_id = f->home;
    ermes_diag_clear(&d);
    assert_int_equal(ermes__store_user_insert(f->st, &u, &d), 0);
    snprintf(u.name, sizeof(u.name), "bob");
    u.id = 0;
    assert_int_equal(ermes__store_user_insert(f->st, &u, &d), 0);
    /* The NIS2 early warning is due 24 h after the entity became aware: in an hour. */
    ermes__time_format(now - 23 * hour, aware);
    snprintf(json, sizeof(json),
             "{\"title\": \"to ana\", \"nis2\": true, \"assignee\": \"ana@cert.example\","
             " \"aware_at\": \"%s\"}",
             aware);
    ana = create(f, json);
    snprintf(json, sizeof(json),
             "{\"title\": \"to bob\", \"nis2\": true, \"assignee\": \"bob\","
             " \"aware_at\": \"%s\"}",
             aware);
    bob = create(f, json);
    snprintf(json, sizeof(json), "{\"title\": \"nobody's\", \"nis2\": true, \"aware_at\": \"%s\"}",
             aware);
    nobody = create(f, json);

    /* Without e-mail (no smtp_url): the timeline only. */
    assert_int_equal(ermes__incidents_warn(f->st, now, 30 * 60 * 1000, 0, "team@cert.example", &n),
                     0);
    assert_string_equal(mail_to(f, ana, "nis2_early_warning:soon", &c), "");
    /* A lead of 4 h: due in an hour is due soon; the assignee's name is an address, bob's is
     * not (the team's address), an incident without assignee goes to the team too. */
    assert_int_equal(
        ermes__incidents_warn(f->st, now, 4 * hour, 1, "CERT team <team@cert.example>", &n), 0);
    assert_true(n >= 3);
    assert_string_equal(mail_to(f, ana, "nis2_early_warning:soon", &c), "ana@cert.example");
    assert_string_equal(mail_to(f, bob, "nis2_early_warning:soon", &c), "team@cert.example");
    assert_string_equal(mail_to(f, nobody, "nis2_early_warning:soon", &c), "team@cert.example");
    /* Once per deadline: the next rounds add nothing for it. */
    assert_int_equal(ermes__incidents_warn(f->st, now + 1000, 4 * hour, 1, "team@cert.example", &n),
                     0);
    assert_int_equal(mail_to(f, ana, "", &c)[0], '\0');
    {
        size_t soon = 0;
        for (size_t i = 0; i < c.n; i++)
            soon += strcmp(c.key[i], "nis2_early_warning:soon") == 0;
        assert_int_equal(soon, 1);
    }
    /* Two hours on (a controlled clock), the deadline has passed: one more, "late". */
    assert_int_equal(ermes__incidents_warn(f->st, now + 2 * hour, 4 * hour, 1, NULL, &n), 0);
    assert_string_equal(mail_to(f, ana, "nis2_early_warning:late", &c), "ana@cert.example");
    assert_string_equal(mail_to(f, bob, "nis2_early_warning:late", &c), ""); /* no team */
    /* What is due to be sent, and a sent one is no longer due. */
    {
        ermes__warning_mail_t due[16];
        size_t nd = 0;
        assert_int_equal(ermes__store_warning_mails_due(f->st, now + 3 * hour, due, 16, &nd), 0);
        assert_true(nd >= 4);
        snprintf(due[0].state, sizeof(due[0].state), "sent");
        due[0].attempts = 1;
        due[0].sent_at = now;
        assert_int_equal(ermes__store_warning_mail_record(f->st, &due[0]), 0);
        n = nd;
        assert_int_equal(ermes__store_warning_mails_due(f->st, now + 3 * hour, due, 16, &nd), 0);
        assert_int_equal(nd, n - 1);
    }
}

/* More late incidents than one round takes (256): once their warnings are given they step
 * aside, and an incident that becomes late after them is warned in the next round, not never. */
static void many_late_incidents(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms(), hour = 3600 * 1000, last = 0;
    char aware[ERMES_TIME_STRLEN], json[256];
    ermes__incident_t inc;
    size_t n, total = 0;

    /* 300 incidents whose NIS2 early warning (24 h after awareness) passed an hour ago. */
    ermes__time_format(now - 25 * hour, aware);
    snprintf(json, sizeof(json), "{\"title\": \"late\", \"nis2\": true, \"aware_at\": \"%s\"}",
             aware);
    assert_int_equal(ermes__store_begin(f->st), 0);
    for (int k = 0; k < 300; k++)
        create(f, json);
    assert_int_equal(ermes__store_commit(f->st), 0);
    /* Rounds until nothing is left to say: each gives its warnings once, then nothing. */
    for (int round = 0; round < 6; round++) {
        assert_int_equal(ermes__incidents_warn(f->st, now, 4 * hour, 0, NULL, &n), 0);
        total += n;
    }
    assert_true(total >= 300);
    assert_int_equal(ermes__incidents_warn(f->st, now, 4 * hour, 0, NULL, &n), 0);
    assert_int_equal(n, 0);
    /* A new one whose deadline comes later: warned in the next round, soon then late. */
    ermes__time_format(now - 23 * hour - hour / 2, aware);
    snprintf(json, sizeof(json), "{\"title\": \"later\", \"nis2\": true, \"aware_at\": \"%s\"}",
             aware);
    last = create(f, json);
    assert_int_equal(ermes__incidents_warn(f->st, now, 4 * hour, 0, NULL, &n), 0);
    assert_true(n >= 1);
    assert_int_equal(ermes__store_incident_get(f->st, NULL, last, &inc), 0);
    assert_non_null(strstr(inc.warned, "nis2_early_warning:soon"));
    assert_null(strstr(inc.warned, "nis2_early_warning:late"));
    assert_int_equal(ermes__incidents_warn(f->st, now + hour, 4 * hour, 0, NULL, &n), 0);
    assert_true(n >= 1);
    assert_int_equal(ermes__store_incident_get(f->st, NULL, last, &inc), 0);
    assert_non_null(strstr(inc.warned, "nis2_early_warning:late"));
}

/* The queue's filters against a brute force over random incidents: each filter (and the ones
 * the store walks by an index of their own: parent, assignee, status, unassigned, open) gives
 * the incidents that match, newest first, through keyset pages of 7, for staff and for a
 * constituent. */
#define QN 300
struct qrow {
    int64_t id, assignee, parent, org, due, created;
    const char *status, *severity;
};

static int matches(const struct qrow *r, const ermes__incident_filter_t *q, int64_t viewer_org)
{
    int open = strcmp(r->status, "resolved") && strcmp(r->status, "closed");

    return (!q->status || !strcmp(r->status, q->status)) &&
           (!q->severity || !strcmp(r->severity, q->severity)) && (!q->open || open) &&
           (!q->assignee_id || r->assignee == q->assignee_id) && (!q->unassigned || !r->assignee) &&
           (!q->parent_id || r->parent == q->parent_id) && (!q->org_id || r->org == q->org_id) &&
           (!q->due_from || (r->due && r->due >= q->due_from)) &&
           (!q->due_to || (r->due && r->due <= q->due_to)) &&
           (!q->created_from || r->created >= q->created_from) &&
           (!q->created_to || r->created < q->created_to) && (!viewer_org || r->org == viewer_org);
}

static int all_ids_cb(void *ctx, const ermes__incident_t *inc)
{
    int64_t *v = ctx;

    v[++v[0]] = inc->id;
    return 0;
}

static void queue_filters_match_a_brute_force(void **state)
{
    static const char *const statuses[] = {
        "new",       "triage",   "in_progress", "waiting_on_constituent",
        "contained", "resolved", "closed"};
    static const char *const sev[] = {"low", "medium", "high", "critical"};
    fixture_t *f = *state;
    struct qrow *rows = calloc(QN, sizeof(*rows));
    ermes__incident_t *inc = calloc(1, sizeof(*inc));
    int64_t *got = calloc(QN + 2, sizeof(int64_t)), users[2], base = 1780000000000;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    ermes_diag_t d;

    assert_non_null(rows);
    assert_non_null(inc);
    assert_non_null(got);
    for (int i = 0; i < 2; i++) {
        ermes__user_t u;
        memset(&u, 0, sizeof(u));
        snprintf(u.name, sizeof(u.name), "analyst%d", i);
        u.role = ERMES_ROLE_ANALYST;
        u.org_id = f->home;
        ermes_diag_clear(&d);
        assert_int_equal(ermes__store_user_insert(f->st, &u, &d), 0);
        users[i] = u.id;
    }
    assert_int_equal(ermes__store_begin(f->st), 0);
    for (int k = 0; k < QN; k++) {
        struct qrow *r = &rows[k];
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        uint64_t v = x * 0x2545f4914f6cdd1dull;
        memset(inc, 0, sizeof(*inc));
        r->status = statuses[v % 7];
        r->severity = sev[(v >> 4) % 4];
        r->assignee = (v >> 8) % 3 ? users[(v >> 10) % 2] : 0;
        /* A rare parent and a rare status: fewer than a page match. */
        r->parent = k && (v >> 12) % 40 == 0 ? rows[0].id : 0;
        r->org = (v >> 20) % 3 == 0 ? 0 : (v >> 20) % 3 == 1 ? f->acme : f->beta;
        r->due = (v >> 24) % 2 ? base + (int64_t)((v >> 28) % 100) * 3600000 : 0;
        r->created = base - (QN - k) * 60000;
        snprintf(inc->title, sizeof(inc->title), "q%d", k);
        snprintf(inc->status, sizeof(inc->status), "%s", r->status);
        snprintf(inc->severity, sizeof(inc->severity), "%s", r->severity);
        snprintf(inc->pap, sizeof(inc->pap), "AMBER");
        inc->tlp = ERMES_TLP_AMBER;
        inc->owner_org_id = f->home;
        inc->assignee_id = r->assignee;
        inc->parent_id = r->parent;
        inc->org_id = r->org;
        inc->next_due_at = r->due;
        inc->created_at = r->created;
        assert_int_equal(ermes__store_incident_insert(f->st, inc), 0);
        if (r->org)
            assert_int_equal(ermes__store_incident_org_add(f->st, inc->id, r->org, NULL), 0);
        r->id = inc->id;
    }
    assert_int_equal(ermes__store_commit(f->st), 0);
    ermes__incident_filter_t qs[] = {
        {0},
        {.parent_id = rows[0].id},
        {.parent_id = rows[0].id, .open = 1},
        {.assignee_id = users[1]},
        {.assignee_id = users[0], .open = 1, .severity = "high"},
        {.assignee_id = users[1] + 100},
        {.status = "waiting_on_constituent"},
        {.status = "new", .severity = "critical", .unassigned = 1},
        {.unassigned = 1},
        {.unassigned = 1, .open = 1},
        {.open = 1},
        {.open = 1, .due_to = base + 50 * 3600000},
        {.open = 1, .due_from = base + 10 * 3600000, .due_to = base + 12 * 3600000},
        {.status = "closed", .org_id = f->beta},
        {.severity = "low", .created_from = base - 200 * 60000, .created_to = base - 50 * 60000},
    };
    for (size_t qi = 0; qi < sizeof(qs) / sizeof(qs[0]); qi++) {
        for (int who = 0; who < 2; who++) {
            const ermes__viewer_t *v = who ? &f->acme_user : &f->admin;
            ermes__incident_filter_t q = qs[qi];
            size_t want = 0, n = 0;
            int more = 1;
            got[0] = 0;
            /* Keyset pages of 7, newest first, until no more follow. */
            while (more) {
                int64_t before = got[0];
                q.limit = 7;
                more = 0;
                assert_int_equal(ermes__store_incident_each(f->st, v, &q, all_ids_cb, got, &more),
                                 0);
                assert_true(got[0] - before <= 7);
                if (got[0] > 0)
                    q.before_id = got[got[0]];
                assert_true(got[0] <= QN);
            }
            for (int k = QN - 1; k >= 0; k--) {
                if (!matches(&rows[k], &qs[qi], who ? f->acme : 0))
                    continue;
                if (n >= (size_t)got[0] || got[1 + n] != rows[k].id)
                    fail_msg("filter %zu, viewer %d: item %zu is %lld, the brute force says %lld",
                             qi, who, n, n < (size_t)got[0] ? (long long)got[1 + n] : -1LL,
                             (long long)rows[k].id);
                n++;
                want++;
            }
            if ((size_t)got[0] != want)
                fail_msg("filter %zu, viewer %d: %lld listed, %zu match", qi, who,
                         (long long)got[0], want);
            if (qi == 1 || qi == 6)
                assert_true(want > 0 && want < 50); /* the rare ones are there, and rare */
        }
    }
    free(got);
    free(inc);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(insert_get_and_visibility, setup, teardown),
        cmocka_unit_test_setup_teardown(lifecycle_timeline_and_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(policies_calendars_triage_allowlist, setup, teardown),
        cmocka_unit_test_setup_teardown(metrics_from_milestones, setup, teardown),
        cmocka_unit_test_setup_teardown(deadline_warnings_mailed_once, setup, teardown),
        cmocka_unit_test_setup_teardown(many_late_incidents, setup, teardown),
        cmocka_unit_test_setup_teardown(queue_filters_match_a_brute_force, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
