/* Tests of notifications (src/notify/, src/store/notifications.c) on a real SQLite database in
 * a temporary directory: grouping rules, TLP exclusion, the window, never twice, reference
 * numbers, recipients and languages, templates, the MIME message, backoff, rate limits and
 * delivery states. Delivery to a real SMTP server is tested by
 * tests/integration/test_notify.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/config.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "model/org.h"
#include "notify/notify.h"
#include "store/db.h"
#include "store/schema.h"
#include "test_db.h"
#include "store/store.h"

#define HOUR_MS (3600 * 1000LL)

/* ---- fixture ------------------------------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
    int64_t home, a, b, c, e; /* the CERT; four constituents */
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
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-notify-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(test_store_open(f->dir, &opts, &f->st), 0);
    f->home = add_org(f, "{\"short_name\":\"CERT\",\"name\":\"The CERT\",\"type\":\"cert\"}");
    /* A: an abuse desk (English) and a security team (French): only the abuse desk is
     * written to. */
    f->a = add_org(f, "{\"short_name\":\"ORGA\",\"name\":\"Organisation A\",\"contacts\":["
                      "{\"email\":\"Abuse@a.example\",\"role\":\"abuse\",\"language\":\"en\"},"
                      "{\"email\":\"sec@a.example\",\"role\":\"security\",\"language\":\"fr\"},"
                      "{\"email\":\"boss@a.example\",\"role\":\"management\",\"language\":"
                      "\"en\"}]}");
    /* B: no abuse desk; a security team (French) and a CERT (German): two languages. */
    f->b = add_org(f, "{\"short_name\":\"ORGB\",\"name\":\"Organisation B\",\"contacts\":["
                      "{\"email\":\"sec@b.example\",\"role\":\"security\",\"language\":\"fr\"},"
                      "{\"email\":\"cert@b.example\",\"role\":\"cert\",\"language\":\"de\"},"
                      "{\"email\":\"noc@b.example\",\"role\":\"technical\",\"language\":\"fr\"}"
                      "]}");
    /* C: only a manager: nobody to notify. */
    f->c = add_org(f, "{\"short_name\":\"ORGC\",\"name\":\"Organisation C\",\"contacts\":["
                      "{\"email\":\"boss@c.example\",\"role\":\"management\",\"language\":"
                      "\"en\"}]}");
    /* E: a mailbox for notifications of any kind, an abuse desk and a technical contact. */
    f->e = add_org(f, "{\"short_name\":\"ORGE\",\"name\":\"Organisation E\",\"contacts\":["
                      "{\"email\":\"it@e.example\",\"role\":\"technical\",\"language\":\"de\"},"
                      "{\"email\":\"abuse@e.example\",\"role\":\"abuse\",\"language\":\"en\"},"
                      "{\"email\":\"cert-feed@e.example\",\"role\":\"notification\","
                      "\"language\":\"en\"}]}");
    memset(&r, 0, sizeof(r));
    snprintf(r.feed, sizeof(r.feed), "test");
    snprintf(r.path, sizeof(r.path), "reports/x");
    snprintf(r.sha256, sizeof(r.sha256), "00");
    snprintf(r.submitted_by, sizeof(r.submitted_by), "test");
    r.tlp = ERMES_TLP_AMBER_STRICT;
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

/* Stores an event of org (0: none) from feed with type and TLP, created at `at`. */
static int64_t add_event(fixture_t *f, int64_t org, const char *feed, const char *type,
                         ermes_tlp_t tlp, const char *ip, int64_t at)
{
    ermes__event_row_t e;
    char json[512];

    snprintf(json, sizeof(json),
             "{\"classification.type\":\"%s\",\"feed.name\":\"%s\",\"source.ip\":\"%s\","
             "\"time.source\":\"2026-03-01T10:00:00+00:00\",\"tlp\":\"%s\"}",
             type, feed, ip, ermes_tlp_name(tlp));
    memset(&e, 0, sizeof(e));
    e.report_id = f->report;
    e.row = ++row_counter;
    e.line = (long)row_counter + 1;
    e.time_source = 1772359200000LL; /* 2026-03-01T10:00:00Z */
    e.time_observation = at;
    e.feed = feed;
    e.type = type;
    e.org_id = org;
    e.data = json;
    e.data_len = strlen(json);
    e.tlp = tlp;
    e.owner_org_id = f->home;
    e.created_at = at;
    assert_int_equal(ermes__store_event_insert(f->st, &e), 0);
    return e.id;
}

typedef struct collected {
    ermes__notification_t n[16];
    size_t count;
} collected_t;

static int collect_cb(void *ctx, const ermes__notification_t *n)
{
    collected_t *c = ctx;

    assert_true(c->count < 16);
    c->n[c->count] = *n;
    c->n[c->count].recipients = strdup(n->recipients);
    c->n[c->count].subject = strdup(n->subject);
    c->n[c->count].body = strdup(n->body);
    c->count++;
    return 0;
}

static void collected_free(collected_t *c)
{
    for (size_t k = 0; k < c->count; k++) {
        free(c->n[k].recipients);
        free(c->n[k].subject);
        free(c->n[k].body);
    }
    c->count = 0;
}

/* Every notification, oldest first. */
static void list_all(fixture_t *f, collected_t *c)
{
    ermes__notification_filter_t flt;
    collected_t rev;

    memset(&flt, 0, sizeof(flt));
    memset(&rev, 0, sizeof(rev));
    memset(c, 0, sizeof(*c));
    assert_int_equal(ermes__store_notification_each(f->st, &flt, collect_cb, &rev, NULL), 0);
    for (size_t k = 0; k < rev.count; k++)
        c->n[k] = rev.n[rev.count - 1 - k];
    c->count = rev.count;
}

static const ermes__notification_t *find_n(const collected_t *c, int64_t org, const char *key,
                                           const char *lang)
{
    for (size_t k = 0; k < c->count; k++)
        if (c->n[k].org_id == org && strcmp(c->n[k].group_key, key) == 0 &&
            (!lang || strcmp(c->n[k].language, lang) == 0))
            return &c->n[k];
    return NULL;
}

static int ids_cb(void *ctx, const ermes__event_row_t *e)
{
    ermes__strbuf_t *b = ctx;

    return ermes__strbuf_addf(b, "%lld,", (long long)e->id);
}

/* The ids of the events a notification carries, as "1,2,". */
static void events_of(fixture_t *f, int64_t id, char *buf, size_t cap)
{
    ermes__strbuf_t b;

    ermes__strbuf_init(&b, 1 << 20);
    assert_int_equal(ermes__store_notification_events(f->st, id, ids_cb, &b), 0);
    snprintf(buf, cap, "%s", b.data ? b.data : "");
    ermes__strbuf_cleanup(&b);
}

/* ---- pure functions --------------------------------------------------------------------- */

static void test_reference_format(void **state)
{
    char buf[32];

    (void)state;
    /* 2026-03-01T10:00:00Z */
    ermes__notification_reference(42, 1772359200000LL, buf, sizeof(buf));
    assert_string_equal(buf, "ERMES-2026-000042");
    ermes__notification_reference(1234567, 1772359200000LL, buf, sizeof(buf));
    assert_string_equal(buf, "ERMES-2026-1234567");
    ermes__notification_reference(1, 0, buf, sizeof(buf));
    assert_string_equal(buf, "ERMES-1970-000001");
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(ermes__notify_backoff_ms(60000, 1), 60000);
    assert_int_equal(ermes__notify_backoff_ms(60000, 2), 120000);
    assert_int_equal(ermes__notify_backoff_ms(60000, 3), 240000);
    assert_int_equal(ermes__notify_backoff_ms(60000, 6), 1920000);
    assert_int_equal(ermes__notify_backoff_ms(60000, 7), 3600000); /* 3840 s, capped */
    assert_int_equal(ermes__notify_backoff_ms(60000, 1000000), 3600000);
    assert_int_equal(ermes__notify_backoff_ms(1000, 1), 1000);
    assert_int_equal(ermes__notify_backoff_ms(1000, 4), 8000);
    /* A base above the cap is the wait. */
    assert_int_equal(ermes__notify_backoff_ms(7200000, 5), 7200000);
}

static void test_rate_math(void **state)
{
    int64_t now = 10 * HOUR_MS;
    int64_t sent[] = {now - 1000, now - 2000, now - 3000, now - HOUR_MS - 5};

    (void)state;
    /* Under the limit: now. */
    assert_int_equal(ermes__notify_rate_next(sent, 2, 3, now), 0);
    assert_int_equal(ermes__notify_rate_next(sent, 0, 1, now), 0);
    /* At the limit: when the 3rd newest leaves the hour. */
    assert_int_equal(ermes__notify_rate_next(sent, 3, 3, now), now - 3000 + HOUR_MS + 1);
    /* Messages older than an hour do not count. */
    assert_int_equal(ermes__notify_rate_next(sent, 4, 4, now), 0);
    assert_int_equal(ermes__notify_rate_next(sent, 4, 1, now), now - 1000 + HOUR_MS + 1);
    /* No limit. */
    assert_int_equal(ermes__notify_rate_next(sent, 3, 0, now), 0);
}

static void test_encoders(void **state)
{
    ermes__strbuf_t b;
    char line[200];

    (void)state;
    ermes__strbuf_init(&b, 1 << 20);
    assert_int_equal(ermes__notify_base64("Man", 3, &b), 0);
    assert_string_equal(b.data, "TWFu\r\n");
    ermes__strbuf_reset(&b);
    assert_int_equal(ermes__notify_base64("Ma", 2, &b), 0);
    assert_string_equal(b.data, "TWE=\r\n");
    ermes__strbuf_reset(&b);
    /* 57 bytes per line of 76 characters. */
    memset(line, 'x', 120);
    assert_int_equal(ermes__notify_base64(line, 120, &b), 0);
    assert_int_equal(strchr(b.data, '\r') - b.data, 76);

    ermes__strbuf_reset(&b);
    assert_int_equal(ermes__notify_qp("caf\xc3\xa9 = ok \nnext", 16, &b), 0);
    assert_string_equal(b.data, "caf=C3=A9 =3D ok=20\r\nnext");
    ermes__strbuf_reset(&b);
    assert_int_equal(ermes__notify_qp(".dot\n", 5, &b), 0);
    assert_string_equal(b.data, "=2Edot\r\n");
    /* Long lines get soft breaks; no encoded line is longer than 76. */
    ermes__strbuf_reset(&b);
    memset(line, 'y', 200);
    assert_int_equal(ermes__notify_qp(line, 200, &b), 0);
    for (char *p = b.data, *e; (e = strstr(p, "\r\n")); p = e + 2)
        assert_true(e - p <= 76);
    assert_non_null(strstr(b.data, "=\r\n"));

    ermes__strbuf_reset(&b);
    assert_int_equal(ermes__notify_header_word("plain subject", &b), 0);
    assert_string_equal(b.data, "plain subject");
    ermes__strbuf_reset(&b);
    assert_int_equal(ermes__notify_header_word("12 \xc3\xa9v\xc3\xa9nements", &b), 0);
    assert_string_equal(b.data, "=?UTF-8?B?MTIgw6l2w6luZW1lbnRz?=");
    /* Control characters are never written raw (issue 10, item 6). */
    ermes__strbuf_reset(&b);
    assert_int_equal(ermes__notify_header_word("x\x1b]0;t\x07", &b), 0);
    assert_string_equal(b.data, "=?UTF-8?B?eBtdMDt0Bw==?=");
    ermes__strbuf_cleanup(&b);

    assert_int_equal(ermes__notify_address("UCERT <cert@u.example>", line, sizeof(line)), 0);
    assert_string_equal(line, "cert@u.example");
    assert_int_equal(ermes__notify_address(" a@b.example ", line, sizeof(line)), 0);
    assert_string_equal(line, "a@b.example");
    assert_int_equal(ermes__notify_address("nobody", line, sizeof(line)), ERMES_EINVAL);
    assert_int_equal(ermes__notify_address("a@b\r\nBcc: x@y", line, sizeof(line)), ERMES_EINVAL);
}

static void test_language_choice(void **state)
{
    fixture_t *f = *state;
    char lang[16], dir[128], path[192];
    FILE *fp;

    ermes__notify_language(NULL, "FR", lang, sizeof(lang));
    assert_string_equal(lang, "fr");
    ermes__notify_language(NULL, "de", lang, sizeof(lang));
    assert_string_equal(lang, "de");
    ermes__notify_language(NULL, "sv", lang, sizeof(lang));
    assert_string_equal(lang, "en");
    ermes__notify_language(NULL, NULL, lang, sizeof(lang));
    assert_string_equal(lang, "en");
    ermes__notify_language(NULL, "../etc", lang, sizeof(lang));
    assert_string_equal(lang, "en");
    /* A template directory adds languages. */
    snprintf(dir, sizeof(dir), "%s/templates", f->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof(path), "%s/nl.txt", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("[${reference}] ${count} gebeurtenissen voor ${org}\n\nBeste ${org_name},\n${n_events}"
          " ${unknown} $5\n",
          fp);
    fclose(fp);
    ermes__notify_language(dir, "NL", lang, sizeof(lang));
    assert_string_equal(lang, "nl");
    ermes__notify_language(dir, "fr", lang, sizeof(lang));
    assert_string_equal(lang, "fr");
    {
        const char *types[] = {"scanner", NULL};
        int64_t counts[] = {3};
        ermes__notify_vars_t v = {"ERMES-2026-000007",
                                  "ORGA",
                                  "Organisation A",
                                  "feed1",
                                  0,
                                  ERMES_TLP_AMBER,
                                  3,
                                  0,
                                  0,
                                  types,
                                  counts,
                                  "x@y.example",
                                  NULL,
                                  0,
                                  0,
                                  0,
                                  NULL};
        ermes__strbuf_t s, b;
        ermes__strbuf_init(&s, 4096);
        ermes__strbuf_init(&b, 4096);
        assert_int_equal(ermes__notify_render(dir, "nl", &v, &s, &b), 0);
        assert_string_equal(s.data, "[ERMES-2026-000007] 3 gebeurtenissen voor ORGA");
        /* Unknown names stay as written; the words are the built-in Dutch ones. */
        assert_string_equal(b.data, "Beste Organisation A,\n3 gebeurtenissen ${unknown} $5\n");
        ermes__strbuf_cleanup(&s);
        ermes__strbuf_cleanup(&b);
    }
}

/* Item 11 of issue 15: classes and types in words, never "other (4)"; the signature from the
 * settings. */
static void test_words_and_signature(void **state)
{
    const char *types[] = {"other", "c2-server", "vulnerable-system", NULL};
    int64_t counts[] = {4, 1, 2};
    ermes__notify_vars_t v = {"ERMES-2026-000008",
                              "ORGA",
                              "Organisation A",
                              "feed1",
                              0,
                              ERMES_TLP_AMBER,
                              7,
                              0,
                              0,
                              types,
                              counts,
                              "UCERT <cert@ucert.example>",
                              "UCERT, the CERT of the Union\\nRue de la Loi 1, Brussels",
                              0,
                              0,
                              0,
                              NULL};
    ermes__strbuf_t s, b;

    (void)state;
    ermes__strbuf_init(&s, 4096);
    ermes__strbuf_init(&b, 1 << 16);
    assert_int_equal(ermes__notify_render(NULL, "en", &v, &s, &b), 0);
    assert_non_null(strstr(b.data, "- Other: not classified further by the source (other, 4 "
                                   "events): "));
    assert_non_null(
        strstr(b.data, "- Malicious code: command-and-control server (c2-server, 1 event): "));
    assert_non_null(strstr(b.data, "- Vulnerable: vulnerable system (vulnerable-system, 2 "
                                   "events): "));
    assert_null(strstr(b.data, "other (4)"));
    assert_non_null(strstr(b.data, "Best regards,\nUCERT, the CERT of the Union\nRue de la Loi 1, "
                                   "Brussels\n"));
    ermes__strbuf_reset(&s);
    ermes__strbuf_reset(&b);
    assert_int_equal(ermes__notify_render(NULL, "de", &v, &s, &b), 0);
    assert_non_null(strstr(b.data, "- Verwundbar: vulnerable system"));
    ermes__strbuf_cleanup(&s);
    ermes__strbuf_cleanup(&b);
}

/* The contacts of org for kinds, as "email,email,". */
static void recipients_of(fixture_t *f, int64_t id, unsigned kinds, char *buf, size_t cap)
{
    ermes__org_t *org = NULL;
    size_t idx[8], n, len = 0;

    assert_int_equal(ermes__store_org_get(f->st, NULL, id, &org), 0);
    n = ermes__notify_recipients(org, kinds, idx, 8);
    buf[0] = '\0';
    for (size_t k = 0; k < n; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%s,", org->contacts[idx[k]].email);
    ermes__org_free(org);
}

static void test_recipients(void **state)
{
    fixture_t *f = *state;
    const unsigned abuse = ERMES_NOTIFY_KIND_ABUSE, vuln = ERMES_NOTIFY_KIND_VULNERABLE,
                   comp = ERMES_NOTIFY_KIND_COMPROMISE;
    char got[512];

    assert_int_equal(ermes__notify_kind_of_type("scanner"), abuse);
    assert_int_equal(ermes__notify_kind_of_type("infected-system"), abuse);
    assert_int_equal(ermes__notify_kind_of_type("phishing"), abuse);
    assert_int_equal(ermes__notify_kind_of_type("vulnerable-system"), vuln);
    assert_int_equal(ermes__notify_kind_of_type("ddos-amplifier"), vuln);
    assert_int_equal(ermes__notify_kind_of_type("potentially-unwanted-accessible"), vuln);
    assert_int_equal(ermes__notify_kind_of_type("system-compromise"), comp);
    assert_int_equal(ermes__notify_kind_of_type("compromised"), comp); /* IntelMQ's old name */
    assert_int_equal(ermes__notify_kind_of_type("data-leak"), comp);
    assert_int_equal(ermes__notify_kind_of_type("unknown"), abuse);
    assert_int_equal(ermes__notify_kind_of_type(NULL), abuse);

    /* A: abuse desk, security team, manager. Abuse to the desk; a vulnerable system or a
     * compromise to the security team (no technical contact); never the manager. */
    recipients_of(f, f->a, abuse, got, sizeof(got));
    assert_string_equal(got, "Abuse@a.example,");
    recipients_of(f, f->a, 0, got, sizeof(got));
    assert_string_equal(got, "Abuse@a.example,");
    recipients_of(f, f->a, vuln, got, sizeof(got));
    assert_string_equal(got, "sec@a.example,");
    recipients_of(f, f->a, comp, got, sizeof(got));
    assert_string_equal(got, "sec@a.example,");
    /* Both kinds in one e-mail: the contacts of each. */
    recipients_of(f, f->a, abuse | vuln, got, sizeof(got));
    assert_string_equal(got, "Abuse@a.example,sec@a.example,");
    /* B: security, cert, technical; no abuse desk. */
    recipients_of(f, f->b, abuse, got, sizeof(got));
    assert_string_equal(got, "sec@b.example,cert@b.example,");
    recipients_of(f, f->b, vuln, got, sizeof(got));
    assert_string_equal(got, "noc@b.example,");
    recipients_of(f, f->b, comp, got, sizeof(got));
    assert_string_equal(got, "sec@b.example,cert@b.example,");
    /* C: only a manager: nobody, whatever the kind. */
    recipients_of(f, f->c, abuse | vuln | comp, got, sizeof(got));
    assert_string_equal(got, "");
    /* E: the notification mailbox gets every kind, beside the contact for the kind; a
     * compromise goes to it alone (security and cert are in its first tier). */
    recipients_of(f, f->e, abuse, got, sizeof(got));
    assert_string_equal(got, "abuse@e.example,cert-feed@e.example,");
    recipients_of(f, f->e, vuln, got, sizeof(got));
    assert_string_equal(got, "it@e.example,cert-feed@e.example,");
    recipients_of(f, f->e, comp, got, sizeof(got));
    assert_string_equal(got, "cert-feed@e.example,");
}

/* ---- grouping ---------------------------------------------------------------------------- */

static void test_grouping_rules(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms(), old = now - 2 * HOUR_MS;
    int64_t a1, a2, a3, ared, b1, c1, none;
    ermes__notify_stats_t s;
    const ermes__notification_t *n;
    collected_t c;
    char ids[256], want[256];

    a1 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.1", old);
    a2 = add_event(f, f->a, "feed1", "vulnerable-system", ERMES_TLP_GREEN, "192.0.2.2", old);
    a3 = add_event(f, f->a, "feed2", "scanner", ERMES_TLP_CLEAR, "192.0.2.3", old);
    ared = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_RED, "192.0.2.4", old);
    b1 = add_event(f, f->b, "feed1", "scanner", ERMES_TLP_AMBER_STRICT, "198.51.100.1", old);
    c1 = add_event(f, f->c, "feed1", "scanner", ERMES_TLP_AMBER, "203.0.113.1", old);
    none = add_event(f, 0, "feed1", "scanner", ERMES_TLP_AMBER, "10.0.0.1", old);
    (void)c1;
    (void)none;

    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, now, 0, &s), 0);
    /* A/feed1 (a scanner for the abuse desk, in English, and a vulnerable system for the
     * security team, in French: both get both), A/feed2, B/feed1 in French and in German. */
    assert_int_equal(s.groups, 3);
    assert_int_equal(s.notifications, 5);
    assert_int_equal(s.events, 4);
    assert_int_equal(s.waiting, 1); /* C's event: nobody to write to */

    list_all(f, &c);
    assert_int_equal(c.count, 5);
    n = find_n(&c, f->a, "feed:feed1", "fr");
    assert_non_null(n);
    assert_string_equal(n->recipients, "[\"sec@a.example\"]");
    events_of(f, n->id, ids, sizeof(ids));
    snprintf(want, sizeof(want), "%lld,%lld,", (long long)a1, (long long)a2);
    assert_string_equal(ids, want);
    assert_non_null(strstr(n->subject, "2 événements de la source feed1 pour ORGA"));
    n = find_n(&c, f->a, "feed:feed1", "en");
    assert_non_null(n);
    assert_string_equal(n->recipients, "[\"abuse@a.example\"]");
    assert_string_equal(n->language, "en");
    assert_int_equal(n->events, 2);
    assert_int_equal(n->tlp, ERMES_TLP_AMBER); /* the most restrictive of AMBER and GREEN */
    assert_string_equal(n->state, "pending");
    events_of(f, n->id, ids, sizeof(ids));
    snprintf(want, sizeof(want), "%lld,%lld,", (long long)a1, (long long)a2);
    assert_string_equal(ids, want); /* not the RED one */
    {
        char subject[256];
        snprintf(subject, sizeof(subject), "[%s] [TLP:AMBER] 2 events from feed1 for ORGA",
                 n->reference);
        assert_string_equal(n->subject, subject);
        assert_non_null(strstr(n->body, "Dear Organisation A team"));
        assert_non_null(
            strstr(n->body, "- Information gathering: scanner (1 event): a system scans"));
        assert_non_null(strstr(n->body, "- Vulnerable: vulnerable system (vulnerable-system, 1 "
                                        "event): "));
        assert_non_null(strstr(n->body, "2026-03-01 10:00"));
        assert_non_null(strstr(n->body, n->reference));
        assert_non_null(strstr(n->body, "UCERT <cert@ucert.example>"));
    }
    assert_true(strncmp(n->reference, "ERMES-", 6) == 0);
    assert_int_equal(strlen(n->reference), strlen("ERMES-2026-000001"));

    /* A scanner alone: the abuse desk alone. */
    n = find_n(&c, f->a, "feed:feed2", NULL);
    assert_non_null(n);
    assert_string_equal(n->recipients, "[\"abuse@a.example\"]");
    events_of(f, n->id, ids, sizeof(ids));
    snprintf(want, sizeof(want), "%lld,", (long long)a3);
    assert_string_equal(ids, want);
    assert_non_null(strstr(n->subject, "[TLP:CLEAR] 1 event from feed2 for ORGA"));

    /* B: one e-mail per language, the same event in both. */
    n = find_n(&c, f->b, "feed:feed1", "fr");
    assert_non_null(n);
    assert_string_equal(n->recipients, "[\"sec@b.example\"]");
    assert_non_null(strstr(n->subject, "[TLP:AMBER+STRICT] 1 événement de la source feed1"));
    assert_non_null(strstr(n->body, "un système balaie"));
    events_of(f, n->id, ids, sizeof(ids));
    snprintf(want, sizeof(want), "%lld,", (long long)b1);
    assert_string_equal(ids, want);
    n = find_n(&c, f->b, "feed:feed1", "de");
    assert_non_null(n);
    assert_string_equal(n->recipients, "[\"cert@b.example\"]");
    assert_non_null(strstr(n->subject, "1 Ereignis aus feed1 für ORGB"));
    collected_free(&c);

    /* Never twice: a second round makes nothing. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, now, 1, &s), 0);
    assert_int_equal(s.notifications, 0);
    list_all(f, &c);
    assert_int_equal(c.count, 5);
    collected_free(&c);

    /* ... and the database refuses a second notification of an event to one language. */
    {
        ermes__notification_t dup;
        memset(&dup, 0, sizeof(dup));
        dup.org_id = f->a;
        snprintf(dup.group_key, sizeof(dup.group_key), "feed:feed1");
        snprintf(dup.language, sizeof(dup.language), "en");
        dup.recipients = "[\"abuse@a.example\"]";
        dup.subject = "x";
        dup.body = "x";
        assert_int_equal(ermes__store_notification_insert(f->st, &dup, &a1, 1), ERMES_ECONFLICT);
        /* ... nor can an event be marked twice. */
        assert_int_equal(ermes__store_notify_mark_events(f->st, &a1, 1), ERMES_ECONFLICT);
        list_all(f, &c);
        assert_int_equal(c.count, 5);
        collected_free(&c);
    }
    /* The RED event is still waiting, and always will be. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, now + 1000 * HOUR_MS, 1, &s), 0);
    assert_int_equal(s.notifications, 0);
    (void)ared;
}

static void test_window_and_group_by_type(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms();
    ermes__notify_stats_t s;
    collected_t c;

    f->o.by_type = 1;
    add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.1", now - 1000);
    add_event(f, f->a, "feed2", "scanner", ERMES_TLP_AMBER, "192.0.2.2", now - 500);
    add_event(f, f->a, "feed2", "phishing", ERMES_TLP_AMBER, "192.0.2.3", now);
    /* The oldest is one second old: the hour has not passed. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, now, 0, &s), 0);
    assert_int_equal(s.notifications, 0);
    /* An hour later, one e-mail per type, across feeds. */
    assert_int_equal(ermes__notify_group(f->st, &f->o, now + HOUR_MS, 0, &s), 0);
    assert_int_equal(s.notifications, 2);
    list_all(f, &c);
    assert_int_equal(c.count, 2);
    assert_non_null(find_n(&c, f->a, "type:scanner", "en"));
    assert_int_equal(find_n(&c, f->a, "type:scanner", "en")->events, 2);
    assert_non_null(strstr(find_n(&c, f->a, "type:scanner", "en")->subject,
                           "2 events of type scanner for ORGA"));
    assert_non_null(find_n(&c, f->a, "type:phishing", "en"));
    collected_free(&c);
}

/* ---- the message ------------------------------------------------------------------------- */

static char *decode_base64(const char *p, size_t *len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(strlen(p) + 1);
    uint32_t acc = 0;
    int bits = 0;

    *len = 0;
    for (; *p && *p != '-'; p++) {
        const char *k = strchr(alphabet, *p);
        if (!k || !*p)
            continue;
        acc = acc << 6 | (uint32_t)(k - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[(*len)++] = (char)(acc >> bits & 0xff);
        }
    }
    out[*len] = '\0';
    return out;
}

static void test_message_structure(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms();
    int64_t e1 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.1", now);
    int64_t e2 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.9", now);
    ermes__notify_stats_t s;
    ermes__strbuf_t msg;
    collected_t c;
    const ermes__notification_t *n;
    char want[256], *p, *csv, *att;
    size_t len;

    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, now, 1, &s), 0);
    list_all(f, &c);
    assert_int_equal(c.count, 1);
    n = &c.n[0];
    ermes__strbuf_init(&msg, 1 << 24);
    assert_int_equal(ermes__notify_preview(f->st, &f->o, n->id, &msg, NULL, 0), 0);
    p = msg.data;
    /* Every attempt sends the same message, byte for byte: a copy sent again after an
     * interrupted attempt is the same message (notify.h). */
    {
        ermes__strbuf_t again;
        ermes__strbuf_init(&again, 1 << 24);
        f->o.mail_from = "Someone Else <other@elsewhere.example>";
        assert_int_equal(ermes__notify_preview(f->st, &f->o, n->id, &again, NULL, 0), 0);
        f->o.mail_from = "UCERT <cert@ucert.example>";
        /* ... even the Message-ID, fixed when the notification was made. */
        snprintf(want, sizeof(want), "\r\nMessage-ID: %s\r\n", n->message_id);
        assert_non_null(strstr(again.data, want));
        ermes__strbuf_reset(&again);
        assert_int_equal(ermes__notify_preview(f->st, &f->o, n->id, &again, NULL, 0), 0);
        assert_int_equal(again.len, msg.len);
        assert_memory_equal(again.data, msg.data, msg.len);
        ermes__strbuf_cleanup(&again);
    }
    /* Headers. */
    assert_non_null(strstr(p, "\r\nFrom: UCERT <cert@ucert.example>\r\n"));
    assert_non_null(strstr(p, "\r\nTo: abuse@a.example\r\n"));
    snprintf(want, sizeof(want), "\r\nSubject: [%s] [TLP:AMBER] 2 events from feed1 for ORGA\r\n",
             n->reference);
    assert_non_null(strstr(p, want));
    snprintf(want, sizeof(want), "\r\nX-ERMES-Reference: %s\r\n", n->reference);
    assert_non_null(strstr(p, want));
    snprintf(want, sizeof(want), "<%s.%lld@ucert.example>", n->reference, (long long)n->created_at);
    assert_string_equal(n->message_id, want);
    snprintf(want, sizeof(want), "\r\nMessage-ID: <%s.%lld@ucert.example>\r\n", n->reference,
             (long long)n->created_at);
    assert_non_null(strstr(p, want));
    /* Date: when the notification was made. */
    {
        char date[64];
        time_t t = (time_t)(n->created_at / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S +0000\r\n", &tm);
        assert_true(strncmp(p, date, strlen(date)) == 0);
    }
    assert_non_null(strstr(p, "\r\nMIME-Version: 1.0\r\n"));
    snprintf(want, sizeof(want), "Content-Type: multipart/mixed; boundary=\"=_ermes_%s\"",
             n->reference);
    assert_non_null(strstr(p, want));
    assert_non_null(strstr(p, "Content-Type: text/plain; charset=utf-8\r\n"
                              "Content-Transfer-Encoding: quoted-printable\r\n"));
    snprintf(want, sizeof(want), "Content-Disposition: attachment; filename=\"%s.csv\"",
             n->reference);
    assert_non_null(strstr(p, want));
    snprintf(want, sizeof(want), "--=_ermes_%s--\r\n", n->reference);
    assert_non_null(strstr(p, want));
    /* Every line ends in CRLF and is at most 78 characters (998 is the hard limit). */
    for (char *l = p, *e; (e = strchr(l, '\n')); l = e + 1) {
        assert_true(e > l && e[-1] == '\r');
        assert_true(e - l - 1 <= 78);
    }
    /* The attachment: the CSV of exactly these events. */
    att = strstr(p, "Content-Disposition: attachment");
    att = strstr(att, "\r\n\r\n") + 4;
    csv = decode_base64(att, &len);
    assert_true(strncmp(csv, "id,time.source,", 15) == 0);
    snprintf(want, sizeof(want), "\n%lld,", (long long)e1);
    assert_non_null(strstr(csv, want));
    assert_non_null(strstr(csv, "192.0.2.1"));
    snprintf(want, sizeof(want), "\n%lld,", (long long)e2);
    assert_non_null(strstr(csv, want));
    assert_non_null(strstr(csv, "192.0.2.9"));
    free(csv);
    ermes__strbuf_cleanup(&msg);
    collected_free(&c);
}

/* A subject from a feed cannot add a header. */
static void test_header_injection(void **state)
{
    fixture_t *f = *state;
    ermes__notification_t n;
    ermes__strbuf_t msg;

    memset(&n, 0, sizeof(n));
    snprintf(n.reference, sizeof(n.reference), "ERMES-2026-000001");
    snprintf(n.state, sizeof(n.state), "pending");
    n.recipients = "[\"a@b.example\", \"bad\\r\\nBcc: x@y.example\"]";
    n.subject = "evil\r\nBcc: victim@example.com";
    n.body = "text";
    ermes__strbuf_init(&msg, 1 << 20);
    assert_int_equal(ermes__notify_build_message(&f->o, &n, NULL, 0, &msg, NULL, 0), 0);
    assert_null(strstr(msg.data, "\r\nBcc:"));
    assert_non_null(strstr(msg.data, "Subject: evil  Bcc: victim@example.com\r\n"));
    assert_non_null(strstr(msg.data, "To: a@b.example\r\n"));
    assert_non_null(strstr(msg.data, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
    ermes__strbuf_cleanup(&msg);
}

/* ---- delivery states ----------------------------------------------------------------------- */

static int64_t one_notification(fixture_t *f)
{
    int64_t now = ermes__time_now_ms();
    ermes__notify_stats_t s;
    collected_t c;
    int64_t id;

    add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.1", now);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, now, 1, &s), 0);
    list_all(f, &c);
    assert_int_equal(c.count, 1);
    id = c.n[0].id;
    collected_free(&c);
    return id;
}

static void test_send_retry_and_fail(void **state)
{
    fixture_t *f = *state;
    int64_t id = one_notification(f), before;
    ermes__notify_stats_t s;
    ermes__notification_t n;
    char err[256];

    /* Without an SMTP server nothing is sent and nothing changes. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_send(f->st, &f->o, id, 0, &s, err, sizeof(err)), ERMES_ECONFIG);
    assert_int_equal(ermes__notify_send_due(f->st, &f->o, ermes__time_now_ms(), &s), 0);
    assert_int_equal(s.sent + s.retrying + s.failed, 0);

    /* Port 1 on loopback refuses: an attempt fails and is retried later. */
    f->o.smtp_url = "smtp://127.0.0.1:1";
    before = ermes__time_now_ms();
    assert_int_equal(ermes__notify_send_due(f->st, &f->o, ermes__time_now_ms(), &s), 0);
    assert_int_equal(s.retrying, 1);
    assert_int_equal(ermes__store_notification_get(f->st, id, &n), 0);
    assert_string_equal(n.state, "retrying");
    assert_int_equal(n.attempts, 1);
    assert_true(n.last_error[0] != '\0');
    assert_true(n.next_attempt_at >= before + 60000);
    assert_true(n.next_attempt_at <= ermes__time_now_ms() + 60000);
    ermes__notification_cleanup(&n);
    /* Not due yet: the round leaves it alone. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_send_due(f->st, &f->o, ermes__time_now_ms(), &s), 0);
    assert_int_equal(s.retrying, 0);
    /* A manual send goes at once; after a second failure the wait doubles. */
    assert_int_equal(ermes__notify_send(f->st, &f->o, id, 1, &s, err, sizeof(err)), 0);
    assert_int_equal(s.retrying, 1);
    assert_int_equal(ermes__store_notification_get(f->st, id, &n), 0);
    assert_int_equal(n.attempts, 2);
    assert_true(n.next_attempt_at >= ermes__time_now_ms() + 119000);
    ermes__notification_cleanup(&n);
    /* The third attempt is the last (max_attempts 3): failed. */
    assert_int_equal(ermes__notify_send(f->st, &f->o, id, 1, &s, err, sizeof(err)), 0);
    assert_int_equal(s.failed, 1);
    assert_int_equal(ermes__store_notification_get(f->st, id, &n), 0);
    assert_string_equal(n.state, "failed");
    assert_int_equal(n.attempts, 3);
    ermes__notification_cleanup(&n);
    /* A failed one is not due, but a manual send may still take it. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_send_due(f->st, &f->o, ermes__time_now_ms() + 10 * HOUR_MS, &s),
                     0);
    assert_int_equal(s.failed + s.retrying, 0);
    assert_int_equal(ermes__notify_send(f->st, &f->o, id, 0, &s, err, sizeof(err)), ERMES_EBUSY);

    /* A sent one is never sent again. */
    assert_int_equal(
        ermes__store_notification_finish(f->st, id, "sent", 4, 0, NULL, ermes__time_now_ms()), 0);
    assert_int_equal(ermes__notify_send(f->st, &f->o, id, 1, &s, err, sizeof(err)),
                     ERMES_ECONFLICT);
}

static void test_claim_is_exclusive(void **state)
{
    fixture_t *f = *state;
    int64_t id = one_notification(f), now = ermes__time_now_ms(), me = ermes__instance_id();
    int64_t other = me + 1, /* another live instance */ gone = test_gone_instance(f->st),
            attempts = 0;
    ermes__notification_t n;
    int claimed = 0;

    assert_int_equal(ermes__store_notification_claim(f->st, id, me, now, now + 60000, 0, &claimed),
                     0);
    assert_int_equal(claimed, 1);
    /* Held: by another thread of this process, or by another live process. */
    assert_int_equal(ermes__store_notification_claim(f->st, id, me, now, now + 60000, 1, &claimed),
                     0);
    assert_int_equal(claimed, 0);
    assert_int_equal(
        ermes__store_notification_claim(f->st, id, other, now, now + 60000, 1, &claimed), 0);
    assert_int_equal(claimed, 0);
    /* After the lease ran out (the holder hung), another sender may take it. */
    assert_int_equal(
        ermes__store_notification_claim(f->st, id, other, now + 61000, now + 120000, 0, &claimed),
        0);
    assert_int_equal(claimed, 1);
    /* Only the holder may start an attempt. */
    assert_int_equal(ermes__store_notification_start(f->st, id, me, &attempts), ERMES_EBUSY);
    assert_int_equal(ermes__store_notification_release(f->st, id), 0);
    assert_int_equal(ermes__store_notification_claim(f->st, id, me, now, now + 60000, 0, &claimed),
                     0);
    assert_int_equal(claimed, 1);
    assert_int_equal(ermes__store_notification_release(f->st, id), 0);
    /* A holder that died holds nothing, long before its lease would run out. */
    assert_int_equal(
        ermes__store_notification_claim(f->st, id, gone, now, now + 3600000, 0, &claimed), 0);
    assert_int_equal(claimed, 1);
    assert_int_equal(ermes__store_notification_claim(f->st, id, me, now, now + 60000, 0, &claimed),
                     0);
    assert_int_equal(claimed, 1);
    /* An attempt is recorded before it is made. */
    assert_int_equal(ermes__store_notification_start(f->st, id, me, &attempts), 0);
    assert_int_equal(attempts, 1);
    assert_int_equal(ermes__store_notification_get(f->st, id, &n), 0);
    assert_string_equal(n.state, "sending");
    assert_int_equal(n.attempts, 1);
    ermes__notification_cleanup(&n);
    /* While it is being sent, nobody else takes it, and a release does not undo it. */
    assert_int_equal(ermes__store_notification_release(f->st, id), 0);
    assert_int_equal(
        ermes__store_notification_claim(f->st, id, other, now + 10 * HOUR_MS, now, 1, &claimed), 0);
    assert_int_equal(claimed, 0);
}

/* A process that dies during the SMTP exchange leaves state sending: once it is gone, the
 * notification is sent again (at least once), its attempt counted; while it lives, never. */
static void test_crash_recovery(void **state)
{
    fixture_t *f = *state;
    int64_t id = one_notification(f), now = ermes__time_now_ms(), me = ermes__instance_id();
    int64_t gone = test_gone_instance(f->st), attempts = 0;
    ermes__notify_stats_t s;
    ermes__notification_t n;
    size_t recovered = 0;
    int claimed = 0;

    /* This process is sending it: nothing to recover. */
    assert_int_equal(ermes__store_notification_claim(f->st, id, me, now, now + 60000, 0, &claimed),
                     0);
    assert_int_equal(ermes__store_notification_start(f->st, id, me, &attempts), 0);
    assert_int_equal(ermes__store_notification_recover(f->st, 0, now, 3, "x", &recovered), 0);
    assert_int_equal(recovered, 0);
    /* Its lease ran out (hung for longer than any exchange may last): recovered. */
    assert_int_equal(
        ermes__store_notification_recover(f->st, 0, now + 61000, 3, "interrupted", &recovered), 0);
    assert_int_equal(recovered, 1);
    assert_int_equal(ermes__store_notification_get(f->st, id, &n), 0);
    assert_string_equal(n.state, "retrying");
    assert_int_equal(n.attempts, 1);
    assert_string_equal(n.last_error, "interrupted");
    assert_int_equal(n.next_attempt_at, now + 61000);
    ermes__notification_cleanup(&n);

    /* A process that died in the middle of its second attempt. */
    assert_int_equal(
        ermes__store_notification_claim(f->st, id, gone, now + 61000, now + HOUR_MS, 0, &claimed),
        0);
    assert_int_equal(claimed, 1);
    assert_int_equal(ermes__store_notification_start(f->st, id, gone, &attempts), 0);
    assert_int_equal(attempts, 2);
    /* The next round (here with a server that refuses) recovers it and tries again. */
    f->o.smtp_url = "smtp://127.0.0.1:1";
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_send_due(f->st, &f->o, ermes__time_now_ms(), &s), 0);
    assert_int_equal(s.recovered, 1);
    assert_int_equal(ermes__store_notification_get(f->st, id, &n), 0);
    /* max_attempts 3: the interrupted attempts count; the third failed, and it was the last. */
    assert_int_equal(n.attempts, 3);
    assert_string_equal(n.state, "failed");
    ermes__notification_cleanup(&n);

    /* Dying again and again cannot make it go on for ever: at max_attempts it is failed. */
    assert_int_equal(
        ermes__store_notification_claim(f->st, id, gone, now, now + HOUR_MS, 1, &claimed), 0);
    assert_int_equal(claimed, 1);
    assert_int_equal(ermes__store_notification_start(f->st, id, gone, &attempts), 0);
    assert_int_equal(attempts, 4);
    assert_int_equal(
        ermes__store_notification_recover(f->st, id, now, 3, "interrupted", &recovered), 0);
    assert_int_equal(recovered, 1);
    assert_int_equal(ermes__store_notification_get(f->st, id, &n), 0);
    assert_string_equal(n.state, "failed");
    ermes__notification_cleanup(&n);
}

static void test_rate_limit_defers(void **state)
{
    fixture_t *f = *state;
    int64_t id = one_notification(f), now = ermes__time_now_ms();
    ermes__notify_stats_t s;
    ermes__notification_t n;
    char err[256];

    f->o.rate_per_hour = 2;
    f->o.smtp_url = "smtp://127.0.0.1:1";
    assert_int_equal(ermes__store_notify_send_log(f->st, "abuse@a.example", id, now - 5000), 0);
    assert_int_equal(ermes__store_notify_send_log(f->st, "abuse@a.example", id, now - 2 * HOUR_MS),
                     0);
    /* One in the last hour: under the limit of 2, the attempt is made (and fails). */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_send(f->st, &f->o, id, 1, &s, err, sizeof(err)), 0);
    assert_int_equal(s.retrying, 1);
    assert_int_equal(s.deferred, 0);
    /* Two in the last hour: it waits for the older one to leave the hour, without an
     * attempt being counted. */
    assert_int_equal(ermes__store_notify_send_log(f->st, "abuse@a.example", id, now - 1000), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_send(f->st, &f->o, id, 1, &s, err, sizeof(err)), 0);
    assert_int_equal(s.deferred, 1);
    assert_int_equal(ermes__store_notification_get(f->st, id, &n), 0);
    assert_string_equal(n.state, "retrying"); /* it had one attempt */
    assert_int_equal(n.attempts, 1);
    assert_int_equal(n.next_attempt_at, now - 5000 + HOUR_MS + 1);
    assert_non_null(strstr(n.last_error, "rate limit"));
    ermes__notification_cleanup(&n);
}

/* A server that never answers cannot hold a stopping daemon: the exchange is abandoned. */
static void test_smtp_cancel(void **state)
{
    fixture_t *f = *state;
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    const char *rcpt = "a@b.example";
    char url[64], err[256];
    int fd = socket(AF_INET, SOCK_STREAM, 0), cancel = 1;
    int64_t t0;

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0); /* never accepted: no greeting ever comes */
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    f->o.smtp_url = url;
    f->o.cancel = &cancel;
    t0 = ermes__time_monotonic_ns();
    assert_int_equal(ermes__notify_smtp_send(&f->o, &rcpt, 1, "x\r\n", 3, NULL, err, sizeof(err)),
                     ERMES_EIO);
    assert_true(ermes__time_monotonic_ns() - t0 < 10 * 1000000000LL);
    assert_non_null(strstr(err, "aborted"));
    close(fd);
}

/* The migration that replaced events_unnotified with notify_cursor (schema.c). */
#define CURSOR_MIGRATION 12

/* Migration 4 rebuilds the notification tables (new states): a database of migration 3 keeps
 * every row, and the foreign keys point to the new tables. */

static void test_migration_keeps_notifications(void **state)
{
    fixture_t *f = *state;

    if (test_pg_history_folded(f->st, 4))
        return;
    int64_t now = ermes__time_now_ms();
    int64_t e1 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.1", now);
    ermes__store_options_t opts = {0, 0, 0, NULL};
    ermes__notification_t n;
    ermes__db_t *db = ermes__db_conn(f->st);
    ermes__db_stmt_t *s;
    char ids[64], want[64];
    int version = 0;

    assert_non_null(db);
    assert_int_equal(ermes__store_schema_version(f->st, &version), 0);
    assert_int_equal(version, ermes__schema_count());
    /* Back to migration 3: its tables, with a retried, a sent and a failed notification. */
    assert_int_equal(ermes__db_exec(db, TEST_UNDO_MIGRATION_16), 0);
    assert_int_equal(ermes__db_exec(db, /* made by 23, referring to what is dropped next */
                                    "DROP TABLE notification_sightings;"
                                    "DROP TABLE notification_reviews;"
                                    "DROP TABLE notify_policies;"
                                    "DROP TABLE notification_events;"
                                    "DROP TABLE notification_sends;"
                                    "DROP TABLE notifications;"
                                    /* made by 3, dropped by 12 */
                                    "DROP INDEX IF EXISTS events_unnotified;"
                                    /* what the migrations after 4 made */
                                    "DROP TABLE notify_cursor;"
                                    "DROP TABLE collectors;"
                                    "DROP TABLE spool_claims;"
                                    "DROP TABLE sighting_counts;"
                                    /* made by 51, refers to sightings since 60 */
                                    "DROP TABLE IF EXISTS tlp_recipients;"
                                    "DROP TABLE sightings;"
                                    "DROP TABLE indicators;"
                                    "DELETE FROM counters WHERE name = 'indicators';"
                                    "DROP TABLE dedup_log;"
                                    "DROP TABLE event_names;"
                                    "DROP TABLE dedup_batches;"
                                    "ALTER TABLE events DROP COLUMN raw_offset;"
                                    "ALTER TABLE events DROP COLUMN raw_length;"
                                    "CREATE TABLE dedup (key BLOB PRIMARY KEY, first_seen"
                                    " INTEGER NOT NULL, last_seen INTEGER NOT NULL)"
                                    " WITHOUT ROWID;"
                                    "DELETE FROM schema_version WHERE version >= 4;"),
                     0);
    assert_int_equal(ermes__db_exec(db, ermes__schema_migration(3, ERMES__SCHEMA_SQLITE)), 0);
    assert_int_equal(ermes__db_prepare(db,
                                       "INSERT INTO notifications (id, org_id, group_key, language,"
                                       " reference, state, recipients, subject, body, events,"
                                       " attempts, next_attempt_at, window_start, window_end,"
                                       " created_at, updated_at) VALUES"
                                       " (7, ?1, 'feed:feed1', 'en', 'ERMES-2026-000007',"
                                       " 'pending', '[\"abuse@a.example\"]', 's', 'b', 1, 2, ?2,"
                                       " ?2, ?2, ?2, ?2), (8, ?1, 'feed:feed2', 'en',"
                                       " 'ERMES-2026-000008', 'sent', '[]', 's', 'b', 0, 1, ?2, ?2,"
                                       " ?2, ?2, ?2), (9, ?1, 'feed:feed3', 'en',"
                                       " 'ERMES-2026-000009', 'pending', '[]', 's', 'b', 0, 0, ?2,"
                                       " ?2, ?2, ?2, ?2)",
                                       &s),
                     0);
    ermes__db_bind_int(s, 1, f->a);
    ermes__db_bind_int(s, 2, now);
    assert_int_equal(ermes__db_step(s), 0);
    ermes__db_done(s);
    assert_int_equal(
        ermes__db_prepare(db, "INSERT INTO notification_events VALUES (7, ?1, 'en')", &s), 0);
    ermes__db_bind_int(s, 1, e1);
    assert_int_equal(ermes__db_step(s), 0);
    ermes__db_done(s);
    assert_int_equal(ermes__store_notify_send_log(f->st, "abuse@a.example", 8, now), 0);
    ermes__store_close(f->st);

    /* Opening it migrates. */
    assert_int_equal(test_store_open(f->dir, &opts, &f->st), 0);
    assert_int_equal(ermes__store_schema_version(f->st, &version), 0);
    assert_int_equal(version, ermes__schema_count());
    assert_int_equal(ermes__store_notification_get(f->st, 7, &n), 0);
    assert_string_equal(n.state, "retrying"); /* pending after 2 attempts */
    assert_int_equal(n.attempts, 2);
    assert_string_equal(n.reference, "ERMES-2026-000007");
    assert_string_equal(n.message_id, "");
    ermes__notification_cleanup(&n);
    assert_int_equal(ermes__store_notification_get(f->st, 8, &n), 0);
    assert_string_equal(n.state, "sent");
    ermes__notification_cleanup(&n);
    assert_int_equal(ermes__store_notification_get(f->st, 9, &n), 0);
    assert_string_equal(n.state, "pending");
    ermes__notification_cleanup(&n);
    events_of(f, 7, ids, sizeof(ids));
    snprintf(want, sizeof(want), "%lld,", (long long)e1);
    assert_string_equal(ids, want);
    {
        int64_t times[4];
        size_t got = 0;
        assert_int_equal(
            ermes__store_notify_sends(f->st, "abuse@a.example", now - 1000, times, 4, &got), 0);
        assert_int_equal(got, 1);
    }
    /* The new state is allowed, and the children follow their new parent. */
    db = ermes__db_conn(f->st);
    assert_int_equal(ermes__db_exec(db, "UPDATE notifications SET state = 'sending' WHERE id = 9;"
                                        "DELETE FROM notifications WHERE id = 7;"),
                     0);
    events_of(f, 7, ids, sizeof(ids));
    assert_string_equal(ids, "");
    assert_int_equal(ermes__db_prepare(db, "SELECT COUNT(*) FROM notification_events", &s), 0);
    assert_int_equal(ermes__db_step(s), 1);
    assert_int_equal(ermes__db_col_int(s, 0), 0);
    ermes__db_done(s);
    /* The UNIQUE (event_id, language) of "never twice" is still there. */
    assert_int_equal(ermes__db_exec(db, "INSERT INTO notification_events VALUES (8, 1, 'en');"), 0);
    assert_int_not_equal(ermes__db_exec(db, "INSERT INTO notification_events VALUES (9, 1, 'en');"),
                         0);
}

/* A limit above any fixed buffer still holds (it used to count at most 1024). */
static void test_high_rate_limit(void **state)
{
    fixture_t *f = *state;
    int64_t id = one_notification(f), now = ermes__time_now_ms();
    ermes__notify_stats_t s;
    char err[256];

    f->o.rate_per_hour = 2000;
    f->o.smtp_url = "smtp://127.0.0.1:1";
    assert_int_equal(ermes__store_begin(f->st), 0);
    for (int k = 0; k < 2000; k++)
        assert_int_equal(ermes__store_notify_send_log(f->st, "abuse@a.example", id, now - 1000 - k),
                         0);
    assert_int_equal(ermes__store_commit(f->st), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_send(f->st, &f->o, id, 1, &s, err, sizeof(err)), 0);
    assert_int_equal(s.deferred, 1);
    assert_int_equal(s.retrying, 0);
}

static void test_options_from_config(void **state)
{
    ermes__config_t cfg;
    ermes__notify_options_t o;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(ermes__config_init(&cfg), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__notify_options_from_config(&cfg, &o, &d), 0);
    assert_null(o.smtp_url);
    assert_int_equal(o.window_ms, 3600000);
    assert_int_equal(o.by_type, 0);
    assert_int_equal(o.retry_base_ms, 60000);
    assert_int_equal(o.max_attempts, 10);
    assert_int_equal(o.rate_per_hour, 30);
    assert_string_equal(o.mail_from, "ermes@localhost");
    assert_int_equal(ermes__config_set(&cfg, "notify_group_by", "type", &d), 0);
    assert_int_equal(ermes__config_set(&cfg, "smtp_url", "smtp://127.0.0.1:2525", &d), 0);
    /* Sending needs the CERT's own From: address, not the placeholder. */
    assert_int_equal(ermes__notify_options_from_config(&cfg, &o, &d), ERMES_ECONFIG);
    assert_string_equal(d.field, "mail_from");
    assert_int_equal(ermes__config_set(&cfg, "mail_from", "UCERT <cert@ucert.example>", &d), 0);
    assert_int_equal(ermes__notify_options_from_config(&cfg, &o, &d), 0);
    assert_int_equal(o.by_type, 1);
    assert_string_equal(o.smtp_url, "smtp://127.0.0.1:2525");
    assert_int_equal(ermes__config_set(&cfg, "notify_group_by", "colour", &d), 0);
    assert_int_equal(ermes__notify_options_from_config(&cfg, &o, &d), ERMES_ECONFIG);
    assert_string_equal(d.field, "notify_group_by");
    assert_int_equal(ermes__config_set(&cfg, "notify_group_by", "feed", &d), 0);
    assert_int_equal(o.smtp_tls_required, 0);
    assert_null(o.smtp_ca_file);
    assert_null(o.pgp_key);
    assert_int_equal(ermes__config_set(&cfg, "smtp_tls", "require", &d), 0);
    assert_int_equal(ermes__config_set(&cfg, "smtp_ca_file", "/etc/ca.pem", &d), 0);
    assert_int_equal(ermes__config_set(&cfg, "notify_pgp_key", "cert@ucert.example", &d), 0);
    assert_int_equal(ermes__config_set(&cfg, "notify_pgp_home", "/var/lib/ermes/gnupg", &d), 0);
    assert_int_equal(ermes__notify_options_from_config(&cfg, &o, &d), 0);
    assert_int_equal(o.smtp_tls_required, 1);
    assert_string_equal(o.smtp_ca_file, "/etc/ca.pem");
    assert_string_equal(o.pgp_key, "cert@ucert.example");
    assert_string_equal(o.pgp_home, "/var/lib/ermes/gnupg");
    assert_int_equal(ermes__config_set(&cfg, "smtp_tls", "maybe", &d), 0);
    assert_int_equal(ermes__notify_options_from_config(&cfg, &o, &d), ERMES_ECONFIG);
    assert_string_equal(d.field, "smtp_tls");
    assert_int_equal(ermes__config_set(&cfg, "smtp_tls", "try", &d), 0);
    assert_int_equal(ermes__config_set(&cfg, "smtp_url", "http://x", &d), 0);
    assert_int_equal(ermes__notify_options_from_config(&cfg, &o, &d), ERMES_ECONFIG);
    ermes__config_cleanup(&cfg);
}

/* ---- the cursor per constituent (migration 12) ---------------------------------------------- */

/* The cursor of org: every event of it up to this id is notified or TLP:RED; -1 for none. */
static int64_t cursor_of(fixture_t *f, int64_t org)
{
    ermes__db_t *db = ermes__db_conn(f->st);
    ermes__db_stmt_t *s;
    int64_t through = -1;

    assert_non_null(db);
    assert_int_equal(
        ermes__db_prepare(db, "SELECT through_id FROM notify_cursor WHERE org_id = ?1", &s), 0);
    ermes__db_bind_int(s, 1, org);
    if (ermes__db_step(s) == 1)
        through = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return through;
}

/* How many times event id was put in a notification (any language). */
static int64_t times_notified(fixture_t *f, int64_t id)
{
    ermes__db_t *db = ermes__db_conn(f->st);
    ermes__db_stmt_t *s;
    int64_t n = -1;

    assert_int_equal(ermes__db_prepare(db,
                                       "SELECT COUNT(*) FROM notification_events WHERE"
                                       " event_id = ?1",
                                       &s),
                     0);
    ermes__db_bind_int(s, 1, id);
    assert_int_equal(ermes__db_step(s), 1);
    n = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return n;
}

static ermes__notify_stats_t round_at(fixture_t *f, int64_t now)
{
    ermes__notify_stats_t s;

    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, now, 0, &s), 0);
    return s;
}

/* Events stored after a round are found by the next one, past the cursor; events already
 * notified are never taken again; TLP:RED events never go out and do not hold the cursor. */
static void test_cursor_later_events(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms(), old = now - 2 * HOUR_MS;
    int64_t a1, ared1, a2, ared2, a3, b1;
    ermes__notify_stats_t s;

    a1 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.1", old);
    ared1 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_RED, "192.0.2.2", old);
    s = round_at(f, now);
    assert_int_equal(s.notifications, 1);
    assert_int_equal(s.events, 1);
    /* Past both: a1 went out, the RED one never will. */
    assert_int_equal(cursor_of(f, f->a), ared1);

    /* Later: more events, RED ones among them and last. */
    a2 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_GREEN, "192.0.2.3", old);
    ared2 = add_event(f, f->a, "feed2", "scanner", ERMES_TLP_RED, "192.0.2.4", old);
    a3 = add_event(f, f->a, "feed2", "scanner", ERMES_TLP_AMBER, "192.0.2.5", old);
    b1 = add_event(f, f->b, "feed1", "scanner", ERMES_TLP_AMBER, "198.51.100.1", old);
    s = round_at(f, now);
    assert_int_equal(s.groups, 3); /* A/feed1, A/feed2, B/feed1 */
    assert_int_equal(s.events, 3);
    assert_int_equal(times_notified(f, a1), 1);
    assert_int_equal(times_notified(f, a2), 1);
    assert_int_equal(times_notified(f, a3), 1);
    assert_int_equal(times_notified(f, b1), 2); /* B: French and German */
    assert_int_equal(times_notified(f, ared1), 0);
    assert_int_equal(times_notified(f, ared2), 0);
    assert_int_equal(cursor_of(f, f->a), a3);
    assert_int_equal(cursor_of(f, f->b), b1);

    /* Only RED since: nothing to send, and the cursor still moves past it. */
    ared2 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_RED, "192.0.2.6", old);
    s = round_at(f, now);
    assert_int_equal(s.notifications, 0);
    assert_int_equal(s.waiting, 0);
    assert_int_equal(times_notified(f, ared2), 0);
    assert_int_equal(cursor_of(f, f->a), ared2);
    /* A round with nothing new makes nothing. */
    s = round_at(f, now + 1000 * HOUR_MS);
    assert_int_equal(s.notifications, 0);
}

/* Events inside the window are not grouped yet and hold the cursor below them, whatever is
 * notified after them: they go out once their window has passed, not skipped. */
static void test_cursor_window(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms();
    int64_t fresh, old1, old2;
    ermes__notify_stats_t s;

    old1 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.1", now - 2 * HOUR_MS);
    fresh = add_event(f, f->a, "feed2", "scanner", ERMES_TLP_AMBER, "192.0.2.2", now - 1000);
    old2 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.3", now);
    s = round_at(f, now);
    /* feed1 is due (its oldest is two hours old) and takes old2 with it; feed2 is not. */
    assert_int_equal(s.events, 2);
    assert_int_equal(times_notified(f, old1), 1);
    assert_int_equal(times_notified(f, old2), 1);
    assert_int_equal(times_notified(f, fresh), 0);
    assert_int_equal(cursor_of(f, f->a), fresh - 1);
    s = round_at(f, now + HOUR_MS / 2);
    assert_int_equal(s.events, 0);
    assert_int_equal(cursor_of(f, f->a), fresh - 1);
    /* An hour later it goes, alone, and the cursor passes everything. */
    s = round_at(f, now + HOUR_MS);
    assert_int_equal(s.events, 1);
    assert_int_equal(times_notified(f, fresh), 1);
    assert_int_equal(cursor_of(f, f->a), old2);
    s = round_at(f, now + 10 * HOUR_MS);
    assert_int_equal(s.events, 0);
}

/* A constituent without anyone to write to keeps its events (counted as waiting) however
 * many rounds pass; once it has a contact they go out, once. */
static void test_cursor_org_without_contacts(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms(), old = now - 2 * HOUR_MS;
    int64_t c1, c2, cred, c3;
    ermes__notify_stats_t s;
    ermes__org_t *upd;
    ermes_diag_t d;
    json_t *j;

    cred = add_event(f, f->c, "feed1", "scanner", ERMES_TLP_RED, "203.0.113.1", old);
    c1 = add_event(f, f->c, "feed1", "scanner", ERMES_TLP_AMBER, "203.0.113.2", old);
    c2 = add_event(f, f->c, "feed2", "scanner", ERMES_TLP_AMBER, "203.0.113.3", old);
    s = round_at(f, now);
    assert_int_equal(s.notifications, 0);
    assert_int_equal(s.waiting, 2);
    /* Past the RED one, not past the first still waiting. */
    assert_int_equal(cursor_of(f, f->c), cred);
    /* The events of others notified meanwhile change nothing for C. */
    add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.1", old);
    c3 = add_event(f, f->c, "feed1", "scanner", ERMES_TLP_AMBER, "203.0.113.4", old);
    s = round_at(f, now);
    assert_int_equal(s.events, 1);
    assert_int_equal(s.waiting, 3);
    assert_int_equal(cursor_of(f, f->c), cred);

    /* C gets an abuse desk. */
    j = json_loads("{\"contacts\":[{\"email\":\"abuse@c.example\",\"role\":\"abuse\","
                   "\"language\":\"en\"}]}",
                   0, NULL);
    assert_non_null(j);
    upd = ermes__org_new();
    assert_non_null(upd);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__org_from_json(upd, j, 1, &d), 0);
    assert_int_equal(ermes__store_org_update(f->st, f->c, upd, &d), 0);
    ermes__org_free(upd);
    json_decref(j);
    s = round_at(f, now);
    assert_int_equal(s.groups, 2); /* C/feed1 (c1, c3) and C/feed2 */
    assert_int_equal(s.events, 3);
    assert_int_equal(s.waiting, 0);
    assert_int_equal(times_notified(f, c1), 1);
    assert_int_equal(times_notified(f, c2), 1);
    assert_int_equal(times_notified(f, c3), 1);
    assert_int_equal(times_notified(f, cred), 0);
    assert_int_equal(cursor_of(f, f->c), c3);
    s = round_at(f, now + 1000 * HOUR_MS);
    assert_int_equal(s.notifications, 0);
    /* Deleting the organisation takes its cursor with it. */
    ermes_diag_clear(&d);
    assert_int_equal(ermes__store_org_delete(f->st, f->c, &d), 0);
    assert_int_equal(cursor_of(f, f->c), -1);
    s = round_at(f, now + 1000 * HOUR_MS);
    assert_int_equal(s.notifications, 0);
    assert_int_equal(s.waiting, 0);
}

/* Migration 12 on a database with notified, waiting and RED events: each org's cursor is just
 * below its oldest event still to notify, or its newest event; the partial index is gone. */
static void test_cursor_migration(void **state)
{
    fixture_t *f = *state;

    if (test_pg_history_folded(f->st, 12))
        return;
    int64_t now = ermes__time_now_ms(), old = now - 2 * HOUR_MS;
    ermes__store_options_t opts = {0, 0, 0, NULL};
    ermes__db_t *db = ermes__db_conn(f->st);
    ermes__db_stmt_t *s;
    int64_t a1, a2, ared, b1, bred, c1, cred;
    char sql[128];
    int version = 0;

    a1 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.1", old);
    b1 = add_event(f, f->b, "feed1", "scanner", ERMES_TLP_AMBER, "198.51.100.1", old);
    assert_int_equal(ermes__store_notify_mark_events(f->st, &a1, 1), 0);
    assert_int_equal(ermes__store_notify_mark_events(f->st, &b1, 1), 0);
    ared = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_RED, "192.0.2.2", old);
    a2 = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.3", old);
    add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.4", old);
    bred = add_event(f, f->b, "feed1", "scanner", ERMES_TLP_RED, "198.51.100.2", old);
    cred = add_event(f, f->c, "feed1", "scanner", ERMES_TLP_RED, "203.0.113.1", old);
    c1 = add_event(f, f->c, "feed1", "scanner", ERMES_TLP_AMBER, "203.0.113.2", old);
    (void)ared;

    /* Back to before the cursor migration: the partial index, no cursors. */
    assert_int_equal(ermes__db_exec(db, TEST_UNDO_MIGRATION_16), 0);
    assert_int_equal(ermes__db_exec(db, "DROP TABLE notify_cursor;"
                                        "CREATE INDEX events_unnotified ON events(org_id,"
                                        " created_at) WHERE notified = 0 AND tlp <> 'RED';"),
                     0);
    snprintf(sql, sizeof(sql), "DELETE FROM schema_version WHERE version >= %d;", CURSOR_MIGRATION);
    assert_int_equal(ermes__db_exec(db, sql), 0);
    ermes__store_close(f->st);
    assert_int_equal(test_store_open(f->dir, &opts, &f->st), 0);
    assert_int_equal(ermes__store_schema_version(f->st, &version), 0);
    assert_int_equal(version, ermes__schema_count());
    db = ermes__db_conn(f->st);

    assert_int_equal(cursor_of(f, f->a), a2 - 1); /* past a1 and the RED one */
    assert_int_equal(cursor_of(f, f->b), bred);   /* all notified or RED */
    assert_int_equal(cursor_of(f, f->c), cred);   /* c1 waits */
    assert_int_equal(c1, cred + 1);
    assert_int_equal(cursor_of(f, f->e), -1); /* no events: no cursor, everything counts */
    assert_int_equal(
        ermes__db_prepare(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'events_unnotified'",
                          &s),
        0);
    assert_int_equal(ermes__db_step(s), 1);
    assert_int_equal(ermes__db_col_int(s, 0), 0);
    ermes__db_done(s);

    /* Applied twice (a schema rolled back), it computes the same cursors. */
    assert_int_equal(
        ermes__db_exec(db, ermes__schema_migration(CURSOR_MIGRATION, ERMES__SCHEMA_SQLITE)), 0);
    assert_int_equal(cursor_of(f, f->a), a2 - 1);
    assert_int_equal(cursor_of(f, f->c), cred);

    /* And grouping carries on from there: A's two waiting events, nothing already sent. */
    {
        ermes__notify_stats_t st = round_at(f, now);
        assert_int_equal(st.events, 2);
        assert_int_equal(st.waiting, 1);
        assert_int_equal(times_notified(f, a1), 0); /* marked before: never sent again */
        assert_int_equal(times_notified(f, a2), 1);
    }
}

/* Grouping reads ranges of events_org, never the whole events table. */
static void test_cursor_query_plans(void **state)
{
    fixture_t *f = *state;
    char plan[32768];
    int made = 0;

    /* PostgreSQL: a partition of events to plan over (migration 62; a new database has none
     * until the daemon or the intake makes one), its part of events_org named events_org_1. */
    assert_int_equal(ermes__store_event_partitions_ahead(f->st, &made), 0);
    assert_int_equal(made > 0, test_db_postgresql());
    for (int which = 0; which < 4; which++) {
        assert_int_equal(ermes__store_notify_plan(f->st, which, plan, sizeof(plan)), 0);
        if (test_db_postgresql()) {
            /* events reached through events_org by organisation, never scanned whole (with
             * sequential scans priced as on a big table: the plan store.c asks for). */
            if (!strstr(plan, "events_org") || !strstr(plan, "org_id = ") ||
                strstr(plan, "Seq Scan on events"))
                fail_msg("statement %d:\n%s", which, plan);
        } else if (!strstr(plan, "SEARCH e USING INDEX events_org (org_id=? AND id>?") ||
                   strstr(plan, "SCAN e"))
            fail_msg("statement %d:\n%s", which, plan);
    }
    assert_int_equal(ermes__store_notify_plan(f->st, 4, plan, sizeof(plan)), ERMES_EINVAL);
}

/* Issue 10 item 14: the events a notification is built from are read by the same row reader as
 * GET /api/v1/events. The notifier's own copy read 19 of the 21 columns: raw_offset and
 * raw_length came back 0 (the report's first byte) instead of the event's place. */
static int event_place_cb(void *ctx, const ermes__event_row_t *e)
{
    ermes__event_row_t *out = ctx;

    out->id = e->id;
    out->raw_offset = e->raw_offset;
    out->raw_length = e->raw_length;
    out->org_id = e->org_id;
    return 0;
}

static int first_group_cb(void *ctx, const ermes__notify_group_t *g)
{
    ermes__notify_group_t *out = ctx;

    if (!out->org_id)
        *out = *g; /* the key is not needed after the call */
    return 0;
}

static void test_group_events_one_row_reader(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms(), old = now - 2 * HOUR_MS;
    ermes__notify_group_t g;
    ermes__event_row_t got, want;
    int64_t id = add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.9", old);

    assert_int_equal(ermes__db_exec(ermes__db_conn(f->st),
                                    "UPDATE events SET raw_offset = 1234, "
                                    "raw_length = 56 WHERE id = (SELECT max(id) "
                                    "FROM events)"),
                     0);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ermes__store_notify_groups(f->st, 0, now, first_group_cb, &g), 0);
    assert_int_equal(g.org_id, f->a);
    memset(&got, 0, sizeof(got));
    g.key = "feed1";
    assert_int_equal(ermes__store_notify_group_events(f->st, &g, 0, 0, event_place_cb, &got), 0);
    memset(&want, 0, sizeof(want));
    assert_int_equal(ermes__store_event_get(f->st, NULL, id, event_place_cb, &want), 0);
    assert_int_equal(got.id, id);
    assert_int_equal(want.raw_offset, 1234);
    assert_int_equal(got.raw_offset, want.raw_offset);
    assert_int_equal(got.raw_length, want.raw_length);
}

/* ---- review before sending ------------------------------------------------------------------ */

static void test_review_decide(void **state)
{
    ermes__notify_policy_t items[4];
    ermes__notify_policies_t l = {items, 0, 4};
    const char *feeds[] = {"shadowserver-scan_ssl", "other"};
    const char *types[] = {"vulnerable-system"};
    const char *scan[] = {"scanner"};
    char why[256];

    (void)state;
    memset(items, 0, sizeof(items));
    /* No policy: the default decides. */
    assert_int_equal(ermes__notify_review_decide(&l, 0, 5, feeds, 2, types, 1, why, sizeof(why)),
                     0);
    assert_string_equal(why, "");
    assert_int_equal(ermes__notify_review_decide(NULL, 1, 5, feeds, 2, types, 1, why, sizeof(why)),
                     1);
    assert_non_null(strstr(why, "notify_approval"));
    /* 1: review every vulnerable (an RSIT class matches its types). */
    items[0].id = 1;
    snprintf(items[0].classification, sizeof(items[0].classification), "vulnerable");
    snprintf(items[0].mode, sizeof(items[0].mode), "review");
    l.n = 1;
    assert_int_equal(ermes__notify_review_decide(&l, 0, 5, feeds, 2, types, 1, why, sizeof(why)),
                     1);
    assert_non_null(strstr(why, "policy 1"));
    assert_int_equal(ermes__notify_review_decide(&l, 0, 5, feeds, 2, scan, 1, why, sizeof(why)), 0);
    /* 2: but constituent 5's vulnerable go out by themselves: more specific, it wins. */
    items[1].id = 2;
    items[1].org_id = 5;
    snprintf(items[1].classification, sizeof(items[1].classification), "vulnerable-system");
    snprintf(items[1].mode, sizeof(items[1].mode), "auto");
    l.n = 2;
    assert_int_equal(ermes__notify_review_decide(&l, 0, 5, feeds, 2, types, 1, why, sizeof(why)),
                     0);
    assert_non_null(strstr(why, "policy 2"));
    assert_int_equal(ermes__notify_review_decide(&l, 0, 6, feeds, 2, types, 1, why, sizeof(why)),
                     1);
    /* 3: as specific as 2 (a feed and a constituent) and says review: review wins the tie. */
    items[2].id = 3;
    items[2].org_id = 5;
    snprintf(items[2].feed, sizeof(items[2].feed), "other");
    snprintf(items[2].mode, sizeof(items[2].mode), "review");
    l.n = 3;
    assert_int_equal(ermes__notify_review_decide(&l, 0, 5, feeds, 2, types, 1, why, sizeof(why)),
                     1);
    assert_non_null(strstr(why, "policy 3"));
    /* 4: the default is review, and a policy for one feed says auto. */
    items[3].id = 4;
    snprintf(items[3].feed, sizeof(items[3].feed), "quiet");
    snprintf(items[3].mode, sizeof(items[3].mode), "auto");
    l.n = 4;
    {
        const char *quiet[] = {"quiet"};
        assert_int_equal(ermes__notify_review_decide(&l, 1, 9, quiet, 1, scan, 1, why, sizeof(why)),
                         0);
        assert_int_equal(ermes__notify_review_decide(&l, 1, 9, feeds, 2, scan, 1, why, sizeof(why)),
                         1);
    }
}

static void test_review_bodies(void **state)
{
    ermes__notification_edit_t e;
    ermes__notify_policy_t p;
    ermes__review_action_t a;
    const char *org;
    int64_t ids[4];
    size_t n;
    int all;
    ermes_diag_t d;
    json_t *j;

    (void)state;
#define BODY(text) (j = json_loads(text, 0, NULL), assert_non_null(j), j)
    ermes_diag_clear(&d);
    assert_int_equal(ermes__notification_edit_read(BODY("{\"subject\":\"x\",\"recipients\":"
                                                        "[\"a@b.example\"]}"),
                                                   &e, &d),
                     0);
    assert_string_equal(e.subject, "x");
    assert_null(e.body);
    json_decref(j);
    assert_int_equal(
        ermes__notification_edit_read(BODY("{\"subject\":\"a\\r\\nBcc: x@y\"}"), &e, &d),
        ERMES_EINVAL);
    assert_string_equal(d.field, "subject");
    json_decref(j);
    assert_int_equal(
        ermes__notification_edit_read(BODY("{\"recipients\":[\"a@b.example>, c@d\"]}"), &e, &d),
        ERMES_EINVAL);
    assert_string_equal(d.field, "recipients");
    json_decref(j);
    assert_int_equal(ermes__notification_edit_read(BODY("{\"recipients\":[]}"), &e, &d),
                     ERMES_EINVAL);
    json_decref(j);
    assert_int_equal(ermes__notification_edit_read(BODY("{}"), &e, &d), ERMES_EINVAL);
    json_decref(j);
    assert_int_equal(ermes__notification_edit_read(BODY("{\"state\":\"sent\"}"), &e, &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "state");
    json_decref(j);
    assert_int_equal(ermes__notification_edit_read(BODY("{\"body\":\"line\\n\\tok\"}"), &e, &d), 0);
    json_decref(j);

    assert_int_equal(ermes__review_bulk_read(BODY("{\"action\":\"hold\",\"ids\":[3,1]}"), &a, ids,
                                             4, &n, &all, &org, &d),
                     0);
    assert_int_equal(a, ERMES_REVIEW_HOLD);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 3);
    json_decref(j);
    assert_int_equal(
        ermes__review_bulk_read(BODY("{\"action\":\"approve\",\"waiting\":true,\"org\":\"UMA\"}"),
                                &a, ids, 4, &n, &all, &org, &d),
        0);
    assert_true(all);
    assert_string_equal(org, "UMA");
    json_decref(j);
    assert_int_equal(ermes__review_bulk_read(BODY("{\"action\":\"send\",\"ids\":[1]}"), &a, ids, 4,
                                             &n, &all, &org, &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "action");
    json_decref(j);
    assert_int_equal(ermes__review_bulk_read(BODY("{\"action\":\"cancel\",\"ids\":[1,2,3,4,5]}"),
                                             &a, ids, 4, &n, &all, &org, &d),
                     ERMES_EINVAL);
    json_decref(j);
    assert_int_equal(ermes__review_bulk_read(BODY("{\"action\":\"cancel\",\"ids\":[0]}"), &a, ids,
                                             4, &n, &all, &org, &d),
                     ERMES_EINVAL);
    json_decref(j);

    assert_int_equal(ermes__notify_policy_read(BODY("{\"mode\":\"review\",\"classification\":"
                                                    "\"vulnerable\",\"org\":\"UMA\"}"),
                                               &p, &org, &d),
                     0);
    assert_string_equal(p.classification, "vulnerable");
    assert_string_equal(org, "UMA");
    json_decref(j);
    assert_int_equal(
        ermes__notify_policy_read(BODY("{\"mode\":\"review\",\"classification\":\"nonsense\"}"), &p,
                                  &org, &d),
        ERMES_EINVAL);
    assert_string_equal(d.field, "classification");
    json_decref(j);
    assert_int_equal(ermes__notify_policy_read(BODY("{\"feed\":\"x\"}"), &p, &org, &d),
                     ERMES_EINVAL);
    assert_string_equal(d.field, "mode");
    json_decref(j);
#undef BODY
}

static ermes__notification_t get_n(fixture_t *f, int64_t id)
{
    ermes__notification_t n;

    assert_int_equal(ermes__store_notification_get(f->st, id, &n), 0);
    return n;
}

static void test_review_flow(void **state)
{
    fixture_t *f = *state;
    ermes__viewer_t v = {0, "reviewer", ERMES_ROLE_ADMIN, 0, "test"};
    ermes__notify_policy_t p;
    ermes__notify_stats_t s;
    ermes__notification_t n;
    ermes__notification_edit_t e;
    int64_t now = ermes__time_now_ms(), ids[8], a_id, e_id;
    char why[160], err[256];
    collected_t c;
    size_t k, nw;
    json_t *j;
    ermes_diag_t d;

    /* Policy: everything of ORGA waits. */
    memset(&p, 0, sizeof(p));
    p.org_id = f->a;
    snprintf(p.mode, sizeof(p.mode), "review");
    assert_int_equal(ermes__store_notify_policy_put(f->st, &p, f->home), 0);
    assert_true(p.id > 0);
    add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.1", now);
    add_event(f, f->e, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.2", now);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, now, 1, &s), 0);
    assert_int_equal(s.notifications, 2);
    assert_int_equal(s.for_review, 1);
    list_all(f, &c);
    assert_int_equal(c.count, 2);
    a_id = c.n[0].org_id == f->a ? c.n[0].id : c.n[1].id;
    e_id = c.n[0].org_id == f->a ? c.n[1].id : c.n[0].id;
    collected_free(&c);
    n = get_n(f, a_id);
    assert_string_equal(n.approval, "waiting");
    assert_non_null(strstr(n.approval_reason, "policy"));
    ermes__notification_cleanup(&n);
    n = get_n(f, e_id);
    assert_string_equal(n.approval, "none");
    ermes__notification_cleanup(&n);

    /* Only ORGE's is due; a manual send of ORGA's is refused as not approved. */
    assert_int_equal(ermes__store_notification_due(f->st, ermes__time_now_ms() + 1, ids, 8, &k), 0);
    assert_int_equal(k, 1);
    assert_int_equal(ids[0], e_id);
    f->o.smtp_url = "smtp://127.0.0.1:1";
    assert_int_equal(ermes__notify_send(f->st, &f->o, a_id, 1, NULL, err, sizeof(err)),
                     ERMES_EDENIED);
    assert_non_null(strstr(err, "waiting"));
    assert_int_equal(ermes__store_notification_waiting(f->st, 0, ids, 8, &nw), 0);
    assert_int_equal(nw, 1);
    assert_int_equal(ermes__store_notification_waiting(f->st, f->e, ids, 8, &nw), 0);
    assert_int_equal(nw, 0);

    /* Edit: only while waiting or held; the none one cannot be edited. */
    j = json_loads("{\"subject\":\"Checked by a person\",\"recipients\":[\"Sec@A.example\","
                   "\"sec@a.example\"]}",
                   0, NULL);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__notification_edit_read(j, &e, &d), 0);
    assert_int_equal(ermes__notify_edit(f->st, &v, a_id, &e), 0);
    assert_int_equal(ermes__notify_edit(f->st, &v, e_id, &e), ERMES_ECONFLICT);
    assert_int_equal(ermes__notify_edit(f->st, &v, 999999, &e), ERMES_ENOTFOUND);
    n = get_n(f, a_id);
    assert_string_equal(n.subject, "Checked by a person");
    assert_string_equal(n.recipients, "[\"sec@a.example\"]");
    ermes__notification_cleanup(&n);

    /* Approve: due now; hold: not due; approve again; cancel: final. */
    assert_int_equal(ermes__notify_review(f->st, &v, a_id, ERMES_REVIEW_HOLD, why, sizeof(why)), 0);
    assert_int_equal(ermes__store_notification_due(f->st, ermes__time_now_ms() + 1, ids, 8, &k), 0);
    assert_int_equal(k, 1);
    assert_int_equal(ermes__notify_review(f->st, &v, a_id, ERMES_REVIEW_APPROVE, why, sizeof(why)),
                     0);
    n = get_n(f, a_id);
    assert_string_equal(n.approval, "approved");
    assert_string_equal(n.approval_reason, "approved by reviewer");
    ermes__notification_cleanup(&n);
    assert_int_equal(ermes__store_notification_due(f->st, ermes__time_now_ms() + 1, ids, 8, &k), 0);
    assert_int_equal(k, 2);
    /* Approved: the backlog rule leaves it alone (a person decided). */
    assert_int_equal(ermes__store_notification_hold_stale(f->st, INT64_MAX, now, "old", &nw), 0);
    assert_int_equal(nw, 1); /* ORGE's, which went out by itself */
    n = get_n(f, e_id);
    assert_string_equal(n.approval, "waiting");
    assert_string_equal(n.approval_reason, "old");
    ermes__notification_cleanup(&n);
    assert_int_equal(ermes__store_notification_hold_stale(f->st, INT64_MAX, now, "old", &nw), 0);
    assert_int_equal(nw, 0);
    assert_int_equal(ermes__notify_review(f->st, &v, e_id, ERMES_REVIEW_CANCEL, why, sizeof(why)),
                     0);
    assert_int_equal(ermes__notify_review(f->st, &v, e_id, ERMES_REVIEW_APPROVE, why, sizeof(why)),
                     ERMES_ECONFLICT);
    assert_non_null(strstr(why, "cancelled"));
    assert_int_equal(ermes__notify_edit(f->st, &v, e_id, &e), ERMES_ECONFLICT);
    /* The approved one is attempted (port 1 refuses: retrying); the cancelled one is not. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_send_due(f->st, &f->o, ermes__time_now_ms() + 1, &s), 0);
    assert_int_equal(s.retrying, 1);
    n = get_n(f, e_id);
    assert_string_equal(n.state, "pending");
    assert_int_equal(n.attempts, 0);
    ermes__notification_cleanup(&n);
    /* A sent one cannot be reviewed. */
    assert_int_equal(
        ermes__store_notification_finish(f->st, a_id, "sent", 2, 0, NULL, ermes__time_now_ms()), 0);
    assert_int_equal(ermes__notify_review(f->st, &v, a_id, ERMES_REVIEW_HOLD, why, sizeof(why)),
                     ERMES_ECONFLICT);
    assert_non_null(strstr(why, "sent"));
    /* Policies: replaced by (feed, classification, constituent); deleted. */
    snprintf(p.mode, sizeof(p.mode), "auto");
    assert_int_equal(ermes__store_notify_policy_put(f->st, &p, f->home), 0);
    {
        ermes__notify_policies_t l;
        assert_int_equal(ermes__notify_policies_load(f->st, &l), 0);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.items[0].mode, "auto");
        assert_string_equal(l.items[0].org, "ORGA");
        ermes__notify_policies_cleanup(&l);
    }
    assert_int_equal(ermes__store_notify_policy_delete(f->st, p.id), 0);
    assert_int_equal(ermes__store_notify_policy_delete(f->st, p.id), ERMES_ENOTFOUND);
    json_decref(j); /* e borrowed from it until here */
}

static void test_review_backlog(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms(), id;
    ermes__notify_stats_t s;
    ermes__notification_t n;
    collected_t c;

    /* Events stored two days ago, grouped only now (sending was never on): waiting. */
    f->o.review_age_ms = 24 * HOUR_MS;
    add_event(f, f->a, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.1", now - 48 * HOUR_MS);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, now, 0, &s), 0);
    assert_int_equal(s.notifications, 1);
    assert_int_equal(s.for_review, 1);
    list_all(f, &c);
    id = c.n[0].id;
    collected_free(&c);
    n = get_n(f, id);
    assert_string_equal(n.approval, "waiting");
    assert_non_null(strstr(n.approval_reason, "notify_review_age"));
    ermes__notification_cleanup(&n);
    /* A notification made an hour ago: the send round holds it once review_age is an hour. */
    add_event(f, f->e, "feed1", "scanner", ERMES_TLP_AMBER, "192.0.2.2", now);
    assert_int_equal(ermes__notify_group(f->st, &f->o, now, 1, &s), 0);
    f->o.smtp_url = "smtp://127.0.0.1:1";
    f->o.review_age_ms = HOUR_MS;
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_send_due(f->st, &f->o, now + 2 * HOUR_MS, &s), 0);
    assert_int_equal(s.held_stale, 1);
    assert_int_equal(s.retrying + s.sent + s.failed, 0);
    /* Off (0): nothing is held. */
    f->o.review_age_ms = 0;
    add_event(f, f->e, "feed2", "scanner", ERMES_TLP_AMBER, "192.0.2.3", now - 48 * HOUR_MS);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__notify_group(f->st, &f->o, now, 1, &s), 0);
    assert_int_equal(s.for_review, 0);
}

static void test_review_migration_runs_again(void **state)
{
    fixture_t *f = *state;
    ermes__db_t *db = ermes__db_conn(f->st);

    /* Migrations run again over their own tables when a test (or an operator) takes the
     * version back: 23 too. */
    assert_non_null(db);
    assert_int_equal(ermes__db_exec(db, ermes__schema_migration(23, test_db_postgresql()
                                                                        ? ERMES__SCHEMA_POSTGRESQL
                                                                        : ERMES__SCHEMA_SQLITE)),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_format),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_rate_math),
        cmocka_unit_test(test_encoders),
        cmocka_unit_test(test_options_from_config),
        cmocka_unit_test_setup_teardown(test_language_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recipients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grouping_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_and_group_by_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_retry_and_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_is_exclusive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_defers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smtp_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_keeps_notifications, setup, teardown),
        cmocka_unit_test_setup_teardown(test_high_rate_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_later_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_org_without_contacts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_query_plans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_events_one_row_reader, setup, teardown),
        cmocka_unit_test(test_review_decide),
        cmocka_unit_test(test_words_and_signature),
        cmocka_unit_test(test_review_bodies),
        cmocka_unit_test_setup_teardown(test_review_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_review_backlog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_review_migration_runs_again, setup, teardown),
    };

    ermes__log_setup(ERMES_LOG_ERROR, 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
