/* Tests of per-constituent notification preferences (src/notify/prefs.c, attach.c,
 * src/store/notify_prefs.c) on a real database (SQLite, and PostgreSQL as unit_pg): the
 * filter, the digest schedule with a clock the test sets (ermes__notify_group's now), one
 * digest per period exactly once, and the attachment formats. Delivery over real SMTP is
 * tests/integration/test_notify_prefs.py. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "model/org.h"
#include "notify/notify.h"
#include "store/notify_prefs.h"
#include "test_db.h"
#include "store/store.h"

#define HOUR_MS (3600 * 1000LL)
#define DAY_MS (24 * HOUR_MS)
/* 2026-03-02 (a Monday) 00:00 UTC. */
#define MONDAY 1772409600000LL

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
    int64_t home, a, b;
    int64_t report;
    ermes__notify_options_t o;
} fixture_t;

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    struct stat sb;

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(path);
        else
            remove(path);
    }
    closedir(d);
    rmdir(dir);
}

static int64_t add_org(fixture_t *f, const char *json)
{
    json_t *j = json_loads(json, 0, NULL);
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    int64_t id;

    assert_non_null(j);
    assert_non_null(org);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__org_from_json(org, j, 0, &d), 0);
    assert_int_equal(ermes__store_org_insert(f->st, org, &d), 0);
    id = org->meta.id;
    ermes__org_free(org);
    json_decref(j);
    return id;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__report_t r;

    if (!f || ermes__access_init() != 0)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-prefs-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(test_store_open(f->dir, &opts, &f->st), 0);
    f->home = add_org(f, "{\"short_name\":\"CERT\",\"name\":\"The CERT\",\"type\":\"cert\"}");
    f->a = add_org(f, "{\"short_name\":\"ORGA\",\"name\":\"Organisation A\",\"contacts\":["
                      "{\"email\":\"abuse@a.example\",\"role\":\"abuse\",\"language\":\"en\"}]}");
    f->b = add_org(f, "{\"short_name\":\"ORGB\",\"name\":\"Organisation B\",\"contacts\":["
                      "{\"email\":\"abuse@b.example\",\"role\":\"abuse\",\"language\":\"pl\"}]}");
    memset(&r, 0, sizeof(r));
    snprintf(r.feed, sizeof(r.feed), "test");
    snprintf(r.path, sizeof(r.path), "reports/x");
    snprintf(r.sha256, sizeof(r.sha256), "00");
    snprintf(r.submitted_by, sizeof(r.submitted_by), "test");
    r.tlp = ERMES_TLP_AMBER;
    r.owner_org_id = f->home;
    assert_int_equal(ermes__store_report_insert(f->st, &r), 0);
    f->report = r.id;
    memset(&f->o, 0, sizeof(f->o));
    f->o.window_ms = HOUR_MS;
    f->o.retry_base_ms = 60000;
    f->o.max_attempts = 3;
    f->o.rate_per_hour = 30;
    f->o.mail_from = "UCERT <cert@ucert.example>";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    ermes__store_close(f->st);
    remove_tree(f->dir);
    free(f);
    return 0;
}

static int64_t row_counter;

static int64_t add_event(fixture_t *f, int64_t org, const char *feed, const char *type,
                         const char *ip, int64_t at)
{
    ermes__event_row_t e;
    char json[512];

    snprintf(json, sizeof(json),
             "{\"classification.type\":\"%s\",\"feed.name\":\"%s\",\"source.ip\":\"%s\","
             "\"source.port\":8080,\"time.source\":\"2026-03-01T10:00:00+00:00\",\"tlp\":"
             "\"AMBER\"}",
             type, feed, ip);
    memset(&e, 0, sizeof(e));
    e.report_id = f->report;
    e.row = ++row_counter;
    e.line = (long)row_counter + 1;
    e.time_source = 1772359200000LL;
    e.time_observation = at;
    e.feed = feed;
    e.type = type;
    e.org_id = org;
    e.data = json;
    e.data_len = strlen(json);
    e.tlp = ERMES_TLP_AMBER;
    e.owner_org_id = f->home;
    e.created_at = at;
    assert_int_equal(ermes__store_event_insert(f->st, &e), 0);
    return e.id;
}

typedef struct listed {
    int64_t id[32], org[32], events[32];
    char key[32][256];
    size_t n;
} listed_t;

static int list_cb(void *ctx, const ermes__notification_t *n)
{
    listed_t *l = ctx;

    assert_true(l->n < 32);
    l->id[l->n] = n->id;
    l->org[l->n] = n->org_id;
    l->events[l->n] = n->events;
    snprintf(l->key[l->n], sizeof(l->key[0]), "%s", n->group_key);
    l->n++;
    return 0;
}

static void list(fixture_t *f, int64_t org, listed_t *l)
{
    ermes__notification_filter_t flt;

    memset(&flt, 0, sizeof(flt));
    memset(l, 0, sizeof(*l));
    flt.org_id = org;
    assert_int_equal(ermes__store_notification_each(f->st, &flt, list_cb, l, NULL), 0);
}

static void put(fixture_t *f, int64_t org, const char *json, int64_t now)
{
    ermes__notify_prefs_t *p = calloc(1, sizeof(*p));
    json_t *j = json_loads(json, 0, NULL);
    ermes_diag_t d;

    assert_non_null(p);
    assert_non_null(j);
    assert_int_equal(ermes__store_notify_prefs_get(f->st, org, p), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__notify_prefs_read(j, p, &d), 0);
    assert_int_equal(ermes__store_notify_prefs_put(f->st, p, f->home, now), 0);
    json_decref(j);
    free(p);
}

/* ---- pure rules ---------------------------------------------------------------------------- */

static void test_filter(void **state)
{
    ermes__notify_prefs_t *p = calloc(1, sizeof(*p));

    (void)state;
    assert_non_null(p);
    /* Empty lists: everything. */
    assert_int_equal(ermes__notify_prefs_wants(p, "any", "scanner"), 1);
    assert_int_equal(ermes__notify_prefs_wants(NULL, "any", "scanner"), 1);
    snprintf(p->feeds[0], sizeof(p->feeds[0]), "shadowserver-scan");
    p->nfeeds = 1;
    assert_int_equal(ermes__notify_prefs_wants(p, "shadowserver-scan", "scanner"), 1);
    assert_int_equal(ermes__notify_prefs_wants(p, "other", "scanner"), 0);
    assert_int_equal(ermes__notify_prefs_wants(p, NULL, "scanner"), 0);
    /* A class stands for its types; a type for itself. */
    snprintf(p->classifications[0], sizeof(p->classifications[0]), "vulnerable");
    snprintf(p->classifications[1], sizeof(p->classifications[1]), "scanner");
    p->nclassifications = 2;
    assert_int_equal(ermes__notify_prefs_wants(p, "shadowserver-scan", "vulnerable-system"), 1);
    assert_int_equal(ermes__notify_prefs_wants(p, "shadowserver-scan", "scanner"), 1);
    assert_int_equal(ermes__notify_prefs_wants(p, "shadowserver-scan", "brute-force"), 0);
    assert_int_equal(ermes__notify_prefs_wants(p, "shadowserver-scan", NULL), 0);
    free(p);
}

static void test_schedule(void **state)
{
    ermes__notify_prefs_t *p = calloc(1, sizeof(*p));
    int64_t due;

    (void)state;
    assert_non_null(p);
    /* Immediate: never a digest. */
    assert_int_equal(ermes__notify_digest_due(p, MONDAY, &due), 0);
    assert_int_equal(ermes__notify_digest_next(p, MONDAY), 0);
    /* Daily at 08:00, last made Sunday 08:00. */
    p->frequency = ERMES_NOTIFY_DAILY;
    p->digest_hour = 8;
    p->digest_through = MONDAY - 16 * HOUR_MS;
    assert_int_equal(ermes__notify_digest_last_due(p, MONDAY + 7 * HOUR_MS), MONDAY - 16 * HOUR_MS);
    assert_int_equal(ermes__notify_digest_due(p, MONDAY + 8 * HOUR_MS - 1, &due), 0);
    assert_int_equal(ermes__notify_digest_due(p, MONDAY + 8 * HOUR_MS, &due), 1);
    assert_int_equal(due, MONDAY + 8 * HOUR_MS);
    assert_int_equal(ermes__notify_digest_next(p, MONDAY + 9 * HOUR_MS), MONDAY + 32 * HOUR_MS);
    /* Three missed days: one digest, due at the latest. */
    assert_int_equal(ermes__notify_digest_due(p, MONDAY + 3 * DAY_MS + 9 * HOUR_MS, &due), 1);
    assert_int_equal(due, MONDAY + 3 * DAY_MS + 8 * HOUR_MS);
    /* Weekly, Wednesday (3) at 17:00. */
    p->frequency = ERMES_NOTIFY_WEEKLY;
    p->digest_weekday = 3;
    p->digest_hour = 17;
    p->digest_through = MONDAY;
    assert_int_equal(ermes__notify_digest_last_due(p, MONDAY), MONDAY - 5 * DAY_MS + 17 * HOUR_MS);
    assert_int_equal(ermes__notify_digest_due(p, MONDAY + 2 * DAY_MS + 17 * HOUR_MS - 1, &due), 0);
    assert_int_equal(ermes__notify_digest_due(p, MONDAY + 2 * DAY_MS + 17 * HOUR_MS, &due), 1);
    assert_int_equal(due, MONDAY + 2 * DAY_MS + 17 * HOUR_MS);
    assert_int_equal(ermes__notify_digest_next(p, MONDAY + 2 * DAY_MS + 18 * HOUR_MS),
                     MONDAY + 9 * DAY_MS + 17 * HOUR_MS);
    /* Sunday (0) at 00:00 seen on a Sunday at 00:00: due then. */
    p->digest_weekday = 0;
    p->digest_hour = 0;
    assert_int_equal(ermes__notify_digest_last_due(p, MONDAY - DAY_MS), MONDAY - DAY_MS);
    /* In the organisation's time: UTC+02:00, daily at 08:00 is 06:00 UTC; UTC-05:00 weekly on
     * Sunday at 22:00 is Monday 03:00 UTC. */
    p->frequency = ERMES_NOTIFY_DAILY;
    p->digest_hour = 8;
    p->utc_offset_minutes = 120;
    assert_int_equal(ermes__notify_digest_last_due(p, MONDAY + 7 * HOUR_MS), MONDAY + 6 * HOUR_MS);
    assert_int_equal(ermes__notify_digest_last_due(p, MONDAY + 5 * HOUR_MS), MONDAY - 18 * HOUR_MS);
    p->frequency = ERMES_NOTIFY_WEEKLY;
    p->digest_hour = 22;
    p->digest_weekday = 0;
    p->utc_offset_minutes = -300;
    assert_int_equal(ermes__notify_digest_last_due(p, MONDAY + 4 * HOUR_MS), MONDAY + 3 * HOUR_MS);
    assert_int_equal(ermes__notify_digest_last_due(p, MONDAY + 2 * HOUR_MS),
                     MONDAY + 3 * HOUR_MS - 7 * DAY_MS);
    free(p);
}

static void test_read_bodies(void **state)
{
    static const struct {
        const char *body, *field;
    } bad[] = {{"[]", ""},
               {"{\"frequency\":\"hourly\"}", "frequency"},
               {"{\"frequency\":1}", "frequency"},
               {"{\"attachment\":\"pdf\"}", "attachment"},
               {"{\"feeds\":\"x\"}", "feeds"},
               {"{\"feeds\":[\"\"]}", "feeds"},
               {"{\"feeds\":[1]}", "feeds"},
               {"{\"feeds\":[\"a\\u0001b\"]}", "feeds"},
               {"{\"classifications\":[\"nonsense\"]}", "classifications"},
               {"{\"digest_hour\":-1}", "digest_hour"},
               {"{\"digest_hour\":\"8\"}", "digest_hour"},
               {"{\"digest_weekday\":7}", "digest_weekday"},
               {"{\"surprise\":true}", ""}};
    ermes__notify_prefs_t *p = calloc(1, sizeof(*p));
    ermes_diag_t d;
    json_t *j;
    char *text;

    (void)state;
    assert_non_null(p);
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        j = json_loads(bad[k].body, 0, NULL);
        assert_non_null(j);
        ermes_diag_clear(&d);
        assert_int_equal(ermes__notify_prefs_read(j, p, &d), ERMES_EINVAL);
        assert_string_equal(d.field, bad[k].field);
        json_decref(j);
    }
    /* 65 feeds: too many. */
    j = json_array();
    for (int k = 0; k < 65; k++)
        json_array_append_new(j, json_sprintf("feed%d", k));
    {
        json_t *b = json_pack("{s:o}", "feeds", j);
        ermes_diag_clear(&d);
        assert_int_equal(ermes__notify_prefs_read(b, p, &d), ERMES_EINVAL);
        assert_string_equal(d.field, "feeds");
        json_decref(b);
    }
    memset(p, 0, sizeof(*p));
    j = json_loads("{\"feeds\":[\"f1\",\"f1\",\"f2\"],\"classifications\":[\"vulnerable\","
                   "\"scanner\"],\"frequency\":\"weekly\",\"digest_hour\":6,\"digest_weekday\":5,"
                   "\"attachment\":\"xarf\",\"next_digest_at\":\"ignored\"}",
                   0, NULL);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__notify_prefs_read(j, p, &d), 0);
    json_decref(j);
    assert_int_equal(p->nfeeds, 2); /* the same feed twice is once */
    assert_int_equal(p->nclassifications, 2);
    assert_int_equal(p->frequency, ERMES_NOTIFY_WEEKLY);
    assert_int_equal(p->attachment, ERMES_NOTIFY_ATTACH_XARF);
    p->digest_through = MONDAY; /* as stored at that time */
    j = ermes__notify_prefs_to_json(p, MONDAY);
    text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    /* Friday 2026-03-06 06:00 is the next one. */
    assert_non_null(strstr(text, "\"next_digest_at\":\"2026-03-06T06:00:00.000Z\""));
    assert_non_null(strstr(text, "\"feeds\":[\"f1\",\"f2\"]"));
    free(text);
    json_decref(j);
    free(p);
}

/* ---- with the store ---------------------------------------------------------------------- */

static void test_store_roundtrip(void **state)
{
    fixture_t *f = *state;
    ermes__notify_prefs_t *p = calloc(1, sizeof(*p));

    assert_non_null(p);
    assert_int_equal(ermes__store_notify_prefs_get(f->st, f->a, p), 0);
    assert_int_equal(p->stored, 0);
    assert_int_equal(p->frequency, ERMES_NOTIFY_IMMEDIATE);
    put(f, f->a,
        "{\"feeds\":[\"f1\"],\"frequency\":\"daily\",\"digest_hour\":8,"
        "\"attachment\":\"json\"}",
        MONDAY);
    assert_int_equal(ermes__store_notify_prefs_get(f->st, f->a, p), 0);
    assert_int_equal(p->stored, 1);
    assert_int_equal(p->nfeeds, 1);
    assert_string_equal(p->feeds[0], "f1");
    assert_int_equal(p->digest_through, MONDAY);
    assert_int_equal(p->attachment, ERMES_NOTIFY_ATTACH_JSON);
    /* The same schedule: the clock stays; a new one: it starts again. */
    put(f, f->a, "{\"attachment\":\"csv\"}", MONDAY + HOUR_MS);
    assert_int_equal(ermes__store_notify_prefs_get(f->st, f->a, p), 0);
    assert_int_equal(p->digest_through, MONDAY);
    put(f, f->a, "{\"digest_hour\":9}", MONDAY + 2 * HOUR_MS);
    assert_int_equal(ermes__store_notify_prefs_get(f->st, f->a, p), 0);
    assert_int_equal(p->digest_through, MONDAY + 2 * HOUR_MS);
    /* The hour is in the organisation's time: its calendar's offset. */
    {
        ermes__calendar_row_t cal;
        memset(&cal, 0, sizeof(cal));
        cal.days = 31;
        cal.start_minute = 540;
        cal.end_minute = 1020;
        cal.utc_offset_minutes = 120;
        assert_int_equal(ermes__store_calendar_put(f->st, f->a, &cal), 0);
        assert_int_equal(ermes__store_notify_prefs_get(f->st, f->a, p), 0);
        assert_int_equal(p->utc_offset_minutes, 120);
        assert_int_equal(ermes__store_notify_prefs_get(f->st, f->b, p), 0);
        assert_int_equal(p->utc_offset_minutes, 0);
        assert_int_equal(ermes__store_notify_prefs_get(f->st, f->a, p), 0);
    }
    /* The clock moves forward only: a second make of the same digest is refused. */
    assert_int_equal(ermes__store_notify_prefs_digested(f->st, f->a, MONDAY + 9 * HOUR_MS), 0);
    assert_int_equal(ermes__store_notify_prefs_digested(f->st, f->a, MONDAY + 9 * HOUR_MS),
                     ERMES_ECONFLICT);
    free(p);
}

/* A filters by feed and class, as they come; B gets a daily digest at 08:00 UTC: nothing before,
 * one notification at the due time with all of its events, nothing again in that period. */
static void test_filter_and_digest(void **state)
{
    fixture_t *f = *state;
    int64_t t0 = MONDAY + HOUR_MS; /* Monday 01:00 */
    ermes__notify_stats_t s;
    listed_t l;

    put(f, f->a, "{\"feeds\":[\"f1\"],\"classifications\":[\"scanner\"]}", t0);
    /* B's time is UTC+02:00 (its calendar): its 10:00 is 08:00 UTC. */
    {
        ermes__calendar_row_t cal;
        memset(&cal, 0, sizeof(cal));
        cal.days = 31;
        cal.start_minute = 540;
        cal.end_minute = 1020;
        cal.utc_offset_minutes = 120;
        assert_int_equal(ermes__store_calendar_put(f->st, f->b, &cal), 0);
    }
    put(f, f->b, "{\"frequency\":\"daily\",\"digest_hour\":10}", t0);
    add_event(f, f->a, "f1", "scanner", "192.0.2.1", t0);
    add_event(f, f->a, "f1", "brute-force", "192.0.2.2", t0);
    add_event(f, f->a, "f2", "scanner", "192.0.2.3", t0);
    add_event(f, f->b, "f1", "scanner", "198.51.100.1", t0);
    add_event(f, f->b, "f2", "brute-force", "198.51.100.2", t0);

    /* 07:59: A's one wanted event; nothing for B. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, MONDAY + 8 * HOUR_MS - 1, 0, &s), 0);
    list(f, f->a, &l);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.events[0], 1);
    assert_string_equal(l.key[0], "feed:f1");
    list(f, f->b, &l);
    assert_int_equal(l.n, 0);
    /* A's unwanted events are done with (not e-mailed later either). */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, MONDAY + 8 * HOUR_MS - 1, 1, &s), 0);
    list(f, f->a, &l);
    assert_int_equal(l.n, 1);

    /* 08:00: B's digest, one notification with both events, in Polish with its period. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, MONDAY + 8 * HOUR_MS, 0, &s), 0);
    list(f, f->b, &l);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.events[0], 2);
    assert_string_equal(l.key[0], "digest:daily");
    {
        ermes__notification_t n;
        assert_int_equal(ermes__store_notification_get(f->st, l.id[0], &n), 0);
        assert_non_null(strstr(n.body, "Oto Państwa dzienne podsumowanie"));
        assert_non_null(strstr(n.body, "od 2026-03-02 01:00 do 2026-03-02 08:00 (UTC)"));
        ermes__notification_cleanup(&n);
    }
    /* Again in the same period, and a new event: nothing until the next day's 08:00. */
    add_event(f, f->b, "f1", "scanner", "198.51.100.3", MONDAY + 9 * HOUR_MS);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, MONDAY + 20 * HOUR_MS, 1, &s), 0);
    list(f, f->b, &l);
    assert_int_equal(l.n, 1);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, MONDAY + 32 * HOUR_MS, 0, &s), 0);
    list(f, f->b, &l);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.events[0], 1); /* newest first */
}

/* The attachment in each format: JSON an array of the stored events, X-ARF one document a
 * line with the fields the schema requires. */
static void test_attachments(void **state)
{
    fixture_t *f = *state;
    ermes__notify_stats_t s;
    ermes__notification_t n;
    ermes__strbuf_t out, msg;
    json_t *j, *rep;
    listed_t l;
    char err[256];

    add_event(f, f->a, "f1", "scanner", "192.0.2.1", MONDAY);
    add_event(f, f->a, "f1", "vulnerable-system", "192.0.2.2", MONDAY);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, MONDAY, 1, &s), 0);
    list(f, f->a, &l);
    assert_int_equal(l.n, 1);
    assert_int_equal(ermes__store_notification_get(f->st, l.id[0], &n), 0);
    ermes__strbuf_init(&out, 1 << 20);
    ermes__strbuf_init(&msg, 1 << 22);

    put(f, f->a, "{\"attachment\":\"json\"}", MONDAY);
    assert_int_equal(ermes__notify_attachment(f->st, &f->o, &n, &out), 0);
    assert_int_equal(n.attachment, ERMES_NOTIFY_ATTACH_JSON);
    j = json_loadb(out.data, out.len, 0, NULL);
    assert_true(json_is_array(j));
    assert_int_equal(json_array_size(j), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "source.ip")),
                        "192.0.2.1");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(j, 1), "classification.type")),
        "vulnerable-system");
    json_decref(j);
    assert_int_equal(
        ermes__notify_build_message(&f->o, &n, out.data, out.len, &msg, err, sizeof(err)), 0);
    assert_non_null(strstr(msg.data, "Content-Type: application/json; charset=utf-8; name=\""));

    put(f, f->a, "{\"attachment\":\"xarf\"}", MONDAY);
    ermes__strbuf_reset(&out);
    assert_int_equal(ermes__notify_attachment(f->st, &f->o, &n, &out), 0);
    assert_int_equal(n.attachment, ERMES_NOTIFY_ATTACH_XARF);
    {
        char *line = out.data, *nl;
        int count = 0;
        while ((nl = strchr(line, '\n'))) {
            j = json_loadb(line, (size_t)(nl - line), 0, NULL);
            assert_non_null(j);
            assert_string_equal(json_string_value(json_object_get(j, "Version")), "4");
            assert_true(json_is_boolean(json_object_get(j, "Disclosure")));
            assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(j, "ReporterInfo"), "ReporterOrgEmail")),
                                "cert@ucert.example");
            assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(j, "ReporterInfo"), "ReporterOrg")),
                                "UCERT");
            rep = json_object_get(j, "Report");
            assert_non_null(json_string_value(json_object_get(rep, "Date")));
            assert_int_equal(json_integer_value(json_object_get(rep, "SourcePort")), 8080);
            if (count == 0) {
                assert_string_equal(json_string_value(json_object_get(rep, "ReportClass")),
                                    "Activity");
                assert_string_equal(json_string_value(json_object_get(rep, "ReportType")),
                                    "PortScan");
                assert_string_equal(json_string_value(json_object_get(rep, "SourceIp")),
                                    "192.0.2.1");
            } else {
                assert_string_equal(json_string_value(json_object_get(rep, "ReportClass")),
                                    "Vulnerability");
            }
            json_decref(j);
            count++;
            line = nl + 1;
        }
        assert_int_equal(count, 2);
    }
    ermes__strbuf_reset(&msg);
    assert_int_equal(
        ermes__notify_build_message(&f->o, &n, out.data, out.len, &msg, err, sizeof(err)), 0);
    assert_non_null(strstr(msg.data, "-1.xarf.json\""));
    assert_non_null(strstr(msg.data, "-2.xarf.json\""));
    assert_null(strstr(msg.data, "-3.xarf.json\""));

    /* CSV: the columns of the export, the default. */
    put(f, f->a, "{\"attachment\":\"csv\"}", MONDAY);
    ermes__strbuf_reset(&out);
    assert_int_equal(ermes__notify_attachment(f->st, &f->o, &n, &out), 0);
    assert_int_equal(n.attachment, ERMES_NOTIFY_ATTACH_CSV);
    assert_int_equal(strncmp(out.data, "id,time.source,", 15), 0);
    ermes__strbuf_cleanup(&out);
    ermes__strbuf_cleanup(&msg);
    ermes__notification_cleanup(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_read_bodies),
        cmocka_unit_test_setup_teardown(test_store_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_and_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attachments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
