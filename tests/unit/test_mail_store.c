/* The mail store (src/store/mail.c, incident_reports.c) and mail in over it (src/mail/
 * receive.c), on SQLite and, as unit_pg.test_mail_store, on PostgreSQL: a message stored once
 * per content, what processing writes back, messages left received by a crash, the
 * correspondence of a notification and its recipients' states (forward only), incident reports
 * with their observables and the look-ups (owner, known bad with subdomains, sightings). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "constituency/registry.h"
#include "mail/mail.h"
#include "store/store.h"
#include "test_db.h"

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
    int64_t home, org;
    ermes__registry_t *reg;
    ermes__mail_t *mail;
} fixture_t;

static int64_t add_org(ermes__store_t *st, const char *short_name, const char *net,
                       const char *domain)
{
    ermes__org_t *o = ermes__org_new();
    ermes_diag_t d;
    int64_t id;

    o->short_name = ermes__org_strdup(o, short_name);
    o->name = ermes__org_strdup(o, short_name);
    if (net) {
        ermes_cidr_t c;
        assert_int_equal(ermes_cidr_parse(net, strlen(net), 0, &c, NULL), 0);
        assert_int_equal(ermes__org_add_network(o, &c), 0);
    }
    if (domain)
        assert_int_equal(ermes__org_add_domain(o, domain), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__store_org_insert(st, o, &d), 0);
    id = o->meta.id;
    ermes__org_free(o);
    return id;
}

static int setup(void **state)
{
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__mail_options_t mo;
    fixture_t *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-mail-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st))
        return -1;
    f->home = add_org(f->st, "CERT", NULL, NULL);
    f->org = add_org(f->st, "ORGA", "192.0.2.0/24", "orga.example");
    if (ermes__registry_open(f->st, &f->reg))
        return -1;
    memset(&mo, 0, sizeof(mo));
    mo.data_dir = f->dir;
    if (ermes__mail_new(f->st, f->reg, NULL, &mo, &f->mail))
        return -1;
    *state = f;
    return 0;
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (remove(path) != 0)
            rm_tree(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    ermes__mail_free(f->mail);
    ermes__registry_close(f->reg);
    ermes__store_close(f->st);
    rm_tree(f->dir);
    free(f);
    return 0;
}

static void test_message_rows(void **state)
{
    fixture_t *f = *state;
    ermes__mail_row_t m, again, got;
    int64_t ids[8];
    size_t n;
    int created;

    memset(&m, 0, sizeof(m));
    snprintf(m.sha256, sizeof(m.sha256), "%064d", 1);
    m.size = 42;
    snprintf(m.source, sizeof(m.source), "pipe");
    m.tlp = ERMES_TLP_AMBER_STRICT;
    m.owner_org_id = f->home;
    assert_int_equal(ermes__store_mail_insert(f->st, &m, &created), 0);
    assert_int_equal(created, 1);
    assert_true(m.id > 0);
    assert_string_equal(m.state, ERMES_MAIL_RECEIVED);
    /* The same bytes: the same row. */
    again = m;
    again.id = 0;
    assert_int_equal(ermes__store_mail_insert(f->st, &again, &created), 0);
    assert_int_equal(created, 0);
    assert_int_equal(again.id, m.id);
    assert_int_equal(ermes__store_mail_pending(f->st, 0, ids, 8, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], m.id);
    /* A sweep pages on past the last id it got: the same message is not read again. */
    assert_int_equal(ermes__store_mail_pending(f->st, m.id, ids, 8, &n), 0);
    assert_int_equal(n, 0);
    /* What processing found. */
    snprintf(m.state, sizeof(m.state), ERMES_MAIL_FAILED);
    snprintf(m.kind, sizeof(m.kind), "unparsed");
    snprintf(m.reason, sizeof(m.reason), "MIME nesting deeper than 32");
    snprintf(m.subject, sizeof(m.subject), "Caf\xc3\xa9");
    assert_int_equal(ermes__store_mail_update(f->st, &m), 0);
    assert_int_equal(ermes__store_mail_get(f->st, m.id, &got), 0);
    assert_string_equal(got.state, ERMES_MAIL_FAILED);
    assert_string_equal(got.kind, "unparsed");
    assert_string_equal(got.reason, "MIME nesting deeper than 32");
    assert_string_equal(got.subject, "Caf\xc3\xa9");
    assert_int_equal(got.tlp, ERMES_TLP_AMBER_STRICT);
    assert_int_equal(ermes__store_mail_pending(f->st, 0, ids, 8, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ermes__store_mail_get(f->st, m.id + 100, &got), ERMES_ENOTFOUND);
    m.id += 100;
    assert_int_equal(ermes__store_mail_update(f->st, &m), ERMES_ENOTFOUND);
}

static int64_t make_notification(fixture_t *f)
{
    ermes__notification_t n;

    memset(&n, 0, sizeof(n));
    n.org_id = f->org;
    snprintf(n.group_key, sizeof(n.group_key), "feed:test");
    snprintf(n.language, sizeof(n.language), "en");
    n.recipients = "[\"abuse@orga.example\",\"cert@orga.example\"]";
    n.subject = "s";
    n.body = "b";
    n.tlp = ERMES_TLP_AMBER;
    n.owner_org_id = f->home;
    assert_int_equal(ermes__store_notification_insert(f->st, &n, NULL, 0), 0);
    return n.id;
}

struct states {
    char who[4][64];
    char state[4][16];
    int n;
};

static int state_cb(void *ctx, const char *recipient, const char *state, int64_t at)
{
    struct states *s = ctx;

    assert_true(at > 0);
    snprintf(s->who[s->n], sizeof(s->who[0]), "%s", recipient);
    snprintf(s->state[s->n], sizeof(s->state[0]), "%s", state);
    s->n++;
    return 0;
}

static int corr_count_cb(void *ctx, const ermes__correspondence_t *c)
{
    assert_non_null(c->body);
    (*(int *)ctx)++;
    return 0;
}

static void test_correspondence_states(void **state)
{
    fixture_t *f = *state;
    int64_t nid = make_notification(f);
    ermes__mail_row_t m[7];
    struct states s;
    int count = 0;

    for (int k = 0; k < 7; k++) {
        memset(&m[k], 0, sizeof(m[k]));
        snprintf(m[k].sha256, sizeof(m[k].sha256), "%064d", 10 + k);
        snprintf(m[k].source, sizeof(m[k].source), "pipe");
        assert_int_equal(ermes__store_mail_insert(f->st, &m[k], NULL), 0);
    }
    /* A reply, then an automatic answer of the same sender: still replied. */
    assert_int_equal(ermes__store_correspondence_add(f->st, nid, m[0].id, "cert@orga.example", NULL,
                                                     "Re", "thanks", "replied", ERMES_TLP_AMBER,
                                                     f->home),
                     0);
    assert_int_equal(ermes__store_correspondence_add(f->st, nid, m[1].id, "cert@orga.example", NULL,
                                                     "Auto", "away", "acknowledged",
                                                     ERMES_TLP_AMBER, f->home),
                     0);
    /* An acknowledgement of another recipient, threaded twice: once. */
    for (int k = 0; k < 2; k++)
        assert_int_equal(ermes__store_correspondence_add(f->st, nid, m[2].id, "abuse@orga.example",
                                                         NULL, "Receipt", "", "acknowledged",
                                                         ERMES_TLP_AMBER, f->home),
                         0);
    /* A delivery status notification (from the mail system) about a recipient: delivered,
     * then a later failure report of the same recipient wins; one about a recipient that
     * acknowledged changes nothing; a delay moves nothing. */
    assert_int_equal(ermes__store_correspondence_add(
                         f->st, nid, m[3].id, "mailer-daemon@mx.example", "soc@orga.example",
                         "Delivered", "", "delivered", ERMES_TLP_AMBER, f->home),
                     0);
    assert_int_equal(ermes__store_correspondence_add(
                         f->st, nid, m[4].id, "mailer-daemon@mx.example", "soc@orga.example",
                         "Failure", "", "failed", ERMES_TLP_AMBER, f->home),
                     0);
    assert_int_equal(ermes__store_correspondence_add(
                         f->st, nid, m[5].id, "mailer-daemon@mx.example", "abuse@orga.example",
                         "Delivered", "", "delivered", ERMES_TLP_AMBER, f->home),
                     0);
    assert_int_equal(ermes__store_correspondence_add(
                         f->st, nid, m[6].id, "mailer-daemon@mx.example", "late@orga.example",
                         "Delayed", "", "delayed", ERMES_TLP_AMBER, f->home),
                     0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_notification_recipient_each(f->st, nid, state_cb, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.who[0], "abuse@orga.example");
    assert_string_equal(s.state[0], "acknowledged");
    assert_string_equal(s.who[1], "cert@orga.example");
    assert_string_equal(s.state[1], "replied");
    assert_string_equal(s.who[2], "soc@orga.example");
    assert_string_equal(s.state[2], "failed");
    assert_int_equal(ermes__store_correspondence_each(f->st, nid, corr_count_cb, &count), 0);
    assert_int_equal(count, 7);
}

struct obs_seen {
    int n;
    int64_t org_of_ip, known_domain, known_ip, sightings;
    char types[16][16];
};

static int obs_cb(void *ctx, const ermes__report_observable_t *o)
{
    struct obs_seen *s = ctx;

    if (!strcmp(o->type, "ipv4")) {
        s->org_of_ip = o->org_id;
        s->known_ip = o->indicator_id;
    }
    if (!strcmp(o->type, "domain") && !strcmp(o->value, "cdn.evil.example.org"))
        s->known_domain = o->indicator_id;
    snprintf(s->types[s->n++ % 16], sizeof(s->types[0]), "%s", o->type);
    return 0;
}

static int report_cb(void *ctx, const ermes__incident_report_t *r)
{
    *(ermes__incident_report_t *)ctx = *r;
    ((ermes__incident_report_t *)ctx)->subject = NULL; /* borrowed: not kept */
    ((ermes__incident_report_t *)ctx)->body = NULL;
    ((ermes__incident_report_t *)ctx)->reporter = NULL;
    ((ermes__incident_report_t *)ctx)->org = NULL;
    return 0;
}

static void test_receive_report_and_lookups(void **state)
{
    fixture_t *f = *state;
    static const char msg[] =
        "From: Reporter <r@reporter.example>\r\n"
        "Subject: [TLP:AMBER+STRICT] C2 at 192.0.2.77\r\n"
        "Message-ID: <m1@reporter.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Beacons to cdn.evil.example[.]org from host.orga.example; CVE-2021-44228.\r\n";
    ermes__indicator_row_t ind, net;
    ermes__mail_row_t row, again;
    ermes__incident_report_t r;
    struct obs_seen s;
    ermes_diag_t d;
    int more = 0;

    /* A known bad parent domain (not exact-only): its subdomain is known bad too. */
    memset(&ind, 0, sizeof(ind));
    ind.type = "domain";
    ind.value = "evil.example.org";
    ind.confidence = -1;
    ind.tlp = ERMES_TLP_AMBER;
    ind.source = "";
    ind.tags = "[]";
    assert_int_equal(ermes__store_indicator_put(f->st, &ind, NULL), 0);
    /* A network indicator: the address in it is known bad too. */
    memset(&net, 0, sizeof(net));
    net.type = "cidr";
    net.value = "192.0.2.64/26";
    net.confidence = -1;
    net.tlp = ERMES_TLP_AMBER;
    net.source = "";
    net.tags = "[]";
    assert_int_equal(ermes__store_indicator_put(f->st, &net, NULL), 0);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__mail_receive_mem(f->mail, "pipe", msg, sizeof(msg) - 1, 0, &row, &d),
                     0);
    assert_string_equal(row.state, ERMES_MAIL_PROCESSED);
    assert_string_equal(row.kind, "report");
    assert_string_equal(row.message_id, "m1@reporter.example");
    assert_int_equal(row.tlp, ERMES_TLP_AMBER_STRICT);
    assert_true(row.incident_report_id > 0);
    /* Received again (the MTA retried): the same message, processed again into nothing new
     * but the row. */
    assert_int_equal(ermes__mail_receive_mem(f->mail, "pipe", msg, sizeof(msg) - 1, 1, &again, &d),
                     0);
    assert_int_equal(again.id, row.id);
    memset(&r, 0, sizeof(r));
    assert_int_equal(ermes__store_incident_report_get(f->st, row.incident_report_id, report_cb, &r),
                     0);
    assert_int_equal(r.tlp, ERMES_TLP_AMBER_STRICT);
    assert_int_equal(r.tlp_marked, 1);
    assert_int_equal(r.org_id, f->org);
    assert_int_equal(r.observables, 4);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_report_observable_each(f->st, r.id, obs_cb, &s), 0);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.org_of_ip, f->org);
    assert_int_equal(s.known_domain, ind.id);
    assert_int_equal(s.known_ip, net.id);
    assert_int_equal(
        ermes__store_incident_report_each(f->st, f->org, 0, 0, 0, 10, report_cb, &r, &more), 0);
    assert_int_equal(more, 0);
    /* The list counts the known-bad observables (the domain and the network's address) and
     * says the report waits for triage: no incident holds it, so waiting lists it too. */
    assert_int_equal(r.known_bad, 2);
    assert_int_equal(r.incident_id, 0);
    memset(&r, 0, sizeof(r));
    assert_int_equal(ermes__store_incident_report_each(f->st, 0, 0, 1, 0, 10, report_cb, &r, &more),
                     0);
    assert_int_equal(r.id, row.incident_report_id);
    assert_int_equal(ermes__store_incident_report_get(f->st, r.id + 99, report_cb, &r),
                     ERMES_ENOTFOUND);
}

static void test_crash_left_received(void **state)
{
    fixture_t *f = *state;
    static const char msg[] = "From: a@b.example\r\nSubject: later\r\n\r\n198.51.100.1\r\n";
    ermes__mail_row_t row, got;
    size_t n = 0;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    /* Stored, not processed: what a crash between the two leaves. */
    assert_int_equal(ermes__mail_receive_mem(f->mail, "pipe", msg, sizeof(msg) - 1, 1, &row, &d),
                     0);
    assert_string_equal(row.state, ERMES_MAIL_RECEIVED);
    assert_int_equal(ermes__mail_process_pending(f->mail, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ermes__store_mail_get(f->st, row.id, &got), 0);
    assert_string_equal(got.state, ERMES_MAIL_PROCESSED);
    assert_string_equal(got.kind, "report");
}

static void test_reply_by_reference(void **state)
{
    fixture_t *f = *state;
    int64_t nid = make_notification(f);
    ermes__notification_t n;
    ermes__mail_row_t row;
    char msg[512];
    struct states s;
    ermes_diag_t d;

    memset(&n, 0, sizeof(n));
    assert_int_equal(ermes__store_notification_get(f->st, nid, &n), 0);
    snprintf(msg, sizeof(msg),
             "From: CERT of A <cert@orga.example>\r\nSubject: Re: [%s] 1 event\r\n"
             "Content-Type: text/plain\r\n\r\nFixed.\r\n",
             n.reference);
    ermes__notification_cleanup(&n);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__mail_receive_mem(f->mail, "pipe", msg, strlen(msg), 0, &row, &d), 0);
    assert_string_equal(row.kind, "reply");
    assert_int_equal(row.notification_id, nid);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ermes__store_notification_recipient_each(f->st, nid, state_cb, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.state[0], "replied");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_message_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_correspondence_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive_report_and_lookups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_left_received, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_by_reference, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
