/* Unit tests for how the store keeps events (src/store/event_doc.c, event_names.c, the
 * insert and the list in reports.c): an event packed on insert reads back as exactly the JSON
 * it had, columns included; extra names are numbered once and shared by two handles (two
 * processes); a name inserted by a transaction that rolls back is forgotten, so the number
 * can go to another name; the address index is written at commit in address order, dropped
 * with a rollback, and answers the list's address and network filters; rows of older
 * versions (JSON text) still read. */
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

#include <jansson.h>

#include "core/strbuf.h"
#include "test_db.h"
#include "ermes/event.h"
#include "model/org.h"
#include "store/db.h"
#include "store/store.h"

typedef struct {
    char dir[64];
    ermes__store_t *st;
    int64_t report;
    ermes_event_t *ev;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};
    ermes__report_t r;

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-evstore-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st) || ermes_event_new(&f->ev))
        return -1;
    memset(&r, 0, sizeof(r));
    snprintf(r.feed, sizeof(r.feed), "test");
    snprintf(r.path, sizeof(r.path), "reports/x");
    snprintf(r.sha256, sizeof(r.sha256), "00");
    snprintf(r.submitted_by, sizeof(r.submitted_by), "test");
    r.tlp = ERMES_TLP_AMBER_STRICT;
    if (ermes__store_report_insert(f->st, &r))
        return -1;
    f->report = r.id;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char path[512];
    DIR *d;
    struct dirent *e;

    ermes_event_free(f->ev);
    ermes__store_close(f->st);
    if ((d = opendir(f->dir))) {
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int64_t row_counter;

/* Stores f->ev (in the caller's transaction, if one is open); returns its id. */
static int64_t store(fixture_t *f, ermes__store_t *st)
{
    ermes__event_row_t e;

    memset(&e, 0, sizeof(e));
    e.report_id = f->report;
    e.row = ++row_counter;
    e.line = (long)row_counter + 1;
    e.time_observation = 1767225600000LL;
    ermes_event_ip(f->ev, ERMES_F_SOURCE_IP, &e.source_ip);
    e.tlp = ERMES_TLP_AMBER;
    e.event = f->ev;
    assert_int_equal(ermes__store_event_insert(st, &e), 0);
    return e.id;
}

static void set(ermes_event_t *ev, ermes_field_t fl, const char *v)
{
    assert_int_equal(ermes_event_set(ev, fl, v, strlen(v), NULL), 0);
}

static void an_event(ermes_event_t *ev, const char *ip, const char *extra)
{
    ermes_event_reset(ev);
    set(ev, ERMES_F_FEED_NAME, "Accessible-ADB");
    set(ev, ERMES_F_CLASSIFICATION_TAXONOMY, "vulnerable");
    set(ev, ERMES_F_CLASSIFICATION_TYPE, "vulnerable-system");
    set(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "accessible-adb");
    set(ev, ERMES_F_SOURCE_FQDN, "Host.Example.");
    set(ev, ERMES_F_SOURCE_IP, ip);
    set(ev, ERMES_F_TIME_SOURCE, "2026-01-05T00:00:00+00:00");
    set(ev, ERMES_F_TLP, "AMBER");
    assert_int_equal(
        ermes_event_set_extra(ev, extra, strlen(extra), "v", 1, ERMES_EXTRA_STRING, NULL), 0);
}

typedef struct got {
    int n;
    int64_t ids[64];
    char json[4][2048];
} got_t;

static int collect(void *ctx, const ermes__event_row_t *e)
{
    got_t *g = ctx;

    if (g->n < 64)
        g->ids[g->n] = e->id;
    if (g->n < 4) {
        assert_true(e->data_len < sizeof(g->json[0]));
        memcpy(g->json[g->n], e->data, e->data_len + 1);
    }
    g->n++;
    return 0;
}

static void list(ermes__store_t *st, const char *net, got_t *g)
{
    ermes__event_filter_t flt;

    memset(&flt, 0, sizeof(flt));
    memset(g, 0, sizeof(*g));
    if (net) {
        flt.has_net = 1;
        assert_int_equal(ermes_cidr_parse(net, strlen(net), 0, &flt.net, NULL), 0);
    }
    assert_int_equal(ermes__store_event_each(st, NULL, &flt, collect, g, NULL), 0);
}

static void json_of(const ermes_event_t *ev, char *out, size_t cap)
{
    ermes__strbuf_t b;

    ermes__strbuf_init(&b, 1 << 20);
    assert_int_equal(ermes_event_to_json(ev, &b), 0);
    assert_true(b.len < cap);
    memcpy(out, b.data, b.len + 1);
    ermes__strbuf_cleanup(&b);
}

static void test_packed_reads_back(void **state)
{
    fixture_t *f = *state;
    char want[2048];
    got_t g;

    an_event(f->ev, "192.0.2.7", "tag");
    json_of(f->ev, want, sizeof(want));
    store(f, f->st);
    list(f->st, NULL, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.json[0], want);
    /* the columns the document leaves out came back from the row */
    assert_non_null(strstr(g.json[0], "\"feed.name\":\"Accessible-ADB\""));
    assert_non_null(strstr(g.json[0], "\"source.fqdn\":\"host.example\""));
}

typedef struct triaged {
    int n;
    int64_t ids[8];
    char triage[8][32];
} triaged_t;

static int collect_triage(void *ctx, const ermes__event_row_t *e)
{
    triaged_t *t = ctx;

    assert_true(t->n < 8);
    assert_non_null(e->triage);
    t->ids[t->n] = e->id;
    snprintf(t->triage[t->n], sizeof(t->triage[0]), "%s", e->triage);
    t->n++;
    return 0;
}

/* The list hands each event with its triage, read in the list's own statement: "new" until
 * someone triages it, in every form of the list (id order either way, a network, a report,
 * sorted by a column; a time range through the time map is test_events_list_triage's, over
 * HTTP, on both backends). */
static void test_list_carries_triage(void **state)
{
    fixture_t *f = *state;
    const char *ips[] = {"192.0.2.1", "192.0.2.2", "198.51.100.3", "192.0.2.4"};
    int64_t ids[4], confirmed[2];
    ermes__event_filter_t flt;
    triaged_t t;

    for (int k = 0; k < 4; k++) {
        an_event(f->ev, ips[k], "tag");
        ids[k] = store(f, f->st);
    }
    confirmed[0] = ids[1];
    confirmed[1] = ids[3];
    assert_int_equal(
        ermes__store_triage_set(f->st, "event", confirmed, 2, "confirmed", NULL, "test", NULL), 0);
    assert_int_equal(
        ermes__store_triage_set(f->st, "event", &ids[2], 1, "benign", "a scanner", "test", NULL),
        0);
    for (int form = 0; form < 5; form++) {
        memset(&flt, 0, sizeof(flt));
        memset(&t, 0, sizeof(t));
        flt.newest = form == 1;
        if (form == 2) {
            flt.has_net = 1;
            assert_int_equal(ermes_cidr_parse("192.0.2.0/24", 12, 0, &flt.net, NULL), 0);
        }
        if (form == 3)
            flt.report_id = f->report;
        if (form == 4)
            flt.sort = ERMES_EVENT_SORT_TIME;
        assert_int_equal(ermes__store_event_each(f->st, NULL, &flt, collect_triage, &t, NULL), 0);
        assert_int_equal(t.n, form == 2 ? 3 : 4);
        for (int k = 0; k < t.n; k++) {
            const char *want = "new";
            if (t.ids[k] == ids[1] || t.ids[k] == ids[3])
                want = "confirmed";
            else if (t.ids[k] == ids[2])
                want = "benign";
            assert_string_equal(t.triage[k], want);
        }
        if (form == 1)
            assert_true(t.ids[0] == ids[3] && t.ids[3] == ids[0]);
    }
}

static void test_names_shared_and_rolled_back(void **state)
{
    fixture_t *f = *state;
    ermes__store_options_t opts = {0, 0, 0, NULL};
    ermes__store_t *other;
    uint32_t id_a, id_b, id_c;
    const char *name;
    size_t len;
    got_t g;

    assert_int_equal(test_store_open(f->dir, &opts, &other), 0);
    /* A transaction makes a name, then rolls back: the number is not kept. */
    assert_int_equal(ermes__store_begin(f->st), 0);
    assert_int_equal(ermes__store_event_name_id(f->st, "doomed", 6, &id_a), 0);
    ermes__store_rollback(f->st);
    /* Another process takes the number for another name and commits. */
    assert_int_equal(ermes__store_begin(other), 0);
    assert_int_equal(ermes__store_event_name_id(other, "kept", 4, &id_b), 0);
    assert_int_equal(ermes__store_commit(other), 0);
    /* SQLite reused it, as it may; a PostgreSQL sequence never gives a number twice. */
    if (test_db_postgresql())
        assert_true(id_b > id_a);
    else
        assert_int_equal(id_a, id_b);
    /* The first handle reads that number as the other's name, not its own undone one. */
    assert_int_equal(ermes__store_event_name_of(f->st, id_b, &name, &len), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(name, "kept", 4);
    /* and the undone number names nothing */
    if (test_db_postgresql())
        assert_int_not_equal(ermes__store_event_name_of(f->st, id_a, &name, &len), 0);
    /* and numbers "doomed" anew when it needs it */
    assert_int_equal(ermes__store_begin(f->st), 0);
    assert_int_equal(ermes__store_event_name_id(f->st, "doomed", 6, &id_c), 0);
    assert_int_equal(ermes__store_commit(f->st), 0);
    assert_true(id_c != id_b);
    /* Outside a transaction a new name cannot be made (its number must commit with the
     * events that use it); a known one is found. */
    assert_int_equal(ermes__store_event_name_id(f->st, "unseen", 6, &id_a), ERMES_EINVAL);
    assert_int_equal(ermes__store_event_name_id(other, "doomed", 6, &id_a), 0);
    assert_int_equal(id_a, id_c);
    /* Events of both handles read back with their names from either. */
    an_event(f->ev, "192.0.2.8", "from_first");
    store(f, f->st);
    an_event(f->ev, "192.0.2.9", "from_other");
    store(f, other);
    list(other, NULL, &g);
    assert_int_equal(g.n, 2);
    assert_non_null(strstr(g.json[0], "\"extra.from_first\":\"v\""));
    assert_non_null(strstr(g.json[1], "\"extra.from_other\":\"v\""));
    list(f->st, NULL, &g);
    assert_non_null(strstr(g.json[1], "\"extra.from_other\":\"v\""));
    ermes__store_close(other);
}

static void test_address_index(void **state)
{
    fixture_t *f = *state;
    static const char *const ips[] = {"198.51.100.20", "192.0.2.1",   "2001:db8::5",
                                      "198.51.100.3",  "192.0.2.200", "203.0.113.9"};
    int64_t ids[6];
    got_t g;

    assert_int_equal(ermes__store_begin(f->st), 0);
    for (size_t k = 0; k < 6; k++) {
        an_event(f->ev, ips[k], "tag");
        ids[k] = store(f, f->st);
    }
    assert_int_equal(ermes__store_commit(f->st), 0);
    /* An event of a transaction that rolls back leaves no index entry behind. */
    assert_int_equal(ermes__store_begin(f->st), 0);
    an_event(f->ev, "192.0.2.50", "tag");
    store(f, f->st);
    ermes__store_rollback(f->st);

    list(f->st, "192.0.2.0/24", &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.ids[0], ids[1]); /* in id order, not address order */
    assert_int_equal(g.ids[1], ids[4]);
    list(f->st, "198.51.100.3", &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.ids[0], ids[3]);
    list(f->st, "2001:db8::/32", &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.ids[0], ids[2]);
    list(f->st, "0.0.0.0/0", &g); /* every IPv4 event, no IPv6 one */
    assert_int_equal(g.n, 5);
    list(f->st, "10.0.0.0/8", &g);
    assert_int_equal(g.n, 0);
    list(f->st, NULL, &g);
    assert_int_equal(g.n, 6);
}

static void test_json_rows_of_older_versions(void **state)
{
    fixture_t *f = *state;
    ermes__event_row_t e;
    const char *json = "{\"feed.name\":\"old\",\"source.ip\":\"192.0.2.1\"}";
    got_t g;

    memset(&e, 0, sizeof(e));
    e.report_id = f->report;
    e.row = ++row_counter;
    e.line = 2;
    e.time_observation = 1767225600000LL;
    e.feed = "old";
    e.data = json;
    e.data_len = strlen(json);
    e.tlp = ERMES_TLP_GREEN;
    assert_int_equal(ermes__store_event_insert(f->st, &e), 0);
    list(f->st, NULL, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.json[0], json);
}

static int64_t add_org(fixture_t *f, const char *short_name)
{
    char text[128];
    json_t *j;
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    int64_t id;

    snprintf(text, sizeof(text), "{\"short_name\":\"%s\",\"name\":\"%s\"}", short_name, short_name);
    j = json_loads(text, 0, NULL);
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

static int64_t org_of(fixture_t *f, int64_t event_id, int owner)
{
    ermes__db_stmt_t *s;
    int64_t v = -1;

    assert_int_equal(ermes__db_prepare(ermes__db_conn(f->st),
                                       owner ? "SELECT owner_org_id FROM events WHERE id = ?1"
                                             : "SELECT org_id FROM events WHERE id = ?1",
                                       &s),
                     0);
    ermes__db_bind_int(s, 1, event_id);
    if (ermes__db_step(s) == 1)
        v = ermes__db_col_null(s, 0) ? 0 : ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return v;
}

/* The intake's batches run without foreign keys and check their organisations once: one
 * deleted meanwhile leaves its events as ON DELETE SET NULL would. */
static void test_orphans_of_a_batch(void **state)
{
    fixture_t *f = *state;
    int64_t kept = add_org(f, "KEPT"), gone_org = add_org(f, "GONE"), ids[4], orgs[2];
    ermes__event_row_t e;
    size_t gone;

    assert_int_equal(ermes__store_foreign_keys(f->st, 0), 0);
    assert_int_equal(ermes__store_begin(f->st), 0);
    assert_int_equal(ermes__store_foreign_keys(f->st, 1), ERMES_EINVAL); /* not in a tx */
    for (int k = 0; k < 4; k++) {
        an_event(f->ev, "192.0.2.1", "tag");
        memset(&e, 0, sizeof(e));
        e.report_id = f->report;
        e.row = ++row_counter;
        e.line = 2;
        e.time_observation = 1767225600000LL;
        e.tlp = ERMES_TLP_AMBER;
        e.event = f->ev;
        e.org_id = k % 2 ? gone_org : kept;
        e.owner_org_id = k == 3 ? gone_org : kept;
        assert_int_equal(ermes__store_event_insert(f->st, &e), 0);
        ids[k] = e.id;
        if (k == 0) {
            /* deleted by someone else after the intake looked it up: without foreign keys
             * nothing stops the rows that name it */
            ermes__db_stmt_t *s;
            assert_int_equal(ermes__db_prepare(ermes__db_conn(f->st),
                                               "DELETE FROM organisations WHERE id = ?1", &s),
                             0);
            ermes__db_bind_int(s, 1, gone_org);
            assert_int_equal(ermes__db_step(s), 0);
            ermes__db_done(s);
        }
    }
    orgs[0] = kept;
    orgs[1] = gone_org;
    assert_int_equal(ermes__store_events_orphans(f->st, orgs, 2, ids[0], &gone), 0);
    assert_int_equal(gone, 1);
    assert_int_equal(org_of(f, ids[0], 0), kept);
    assert_int_equal(org_of(f, ids[1], 0), 0);
    assert_int_equal(org_of(f, ids[3], 1), 0);
    assert_int_equal(org_of(f, ids[2], 1), kept);
    /* the same found from the rows themselves (too many organisations to list) */
    assert_int_equal(ermes__store_events_orphans(f->st, NULL, 0, ids[0], &gone), 0);
    assert_int_equal(gone, 0);
    assert_int_equal(ermes__store_commit(f->st), 0);
    assert_int_equal(ermes__store_foreign_keys(f->st, 1), 0);
}

/* Bulk rows (db.h): COPY on PostgreSQL, the prepared INSERT on SQLite. Text with COPY's
 * special characters and bytes of every value come back as they went; a statement of the same
 * transaction sees the rows buffered before it; a rollback drops them; a duplicate key fails
 * the transaction, at the add (SQLite) or at the latest at commit (PostgreSQL). */
static const ermes__db_bulk_def_t bulk_t = {
    "INSERT INTO bulk_t (id, t, b) VALUES (?1, ?2, ?3)",
    "COPY bulk_t (id, t, b) FROM STDIN",
    "itb",
};

static int64_t count_bulk(ermes__db_t *db)
{
    ermes__db_stmt_t *s;
    int64_t n;

    assert_int_equal(ermes__db_prepare(db, "SELECT count(*) FROM bulk_t", &s), 0);
    assert_int_equal(ermes__db_step(s), 1);
    n = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return n;
}

static void bulk_add(ermes__db_t *db, int64_t id, int rc_want)
{
    static const char text[] = "tab\there nl\nthere cr\rback\\slash \\N \xc3\xa9";
    unsigned char bytes[260];
    ermes__db_stmt_t *s;

    for (int k = 0; k < 260; k++)
        bytes[k] = (unsigned char)((k + id) & 0xff);
    assert_int_equal(ermes__db_bulk_row(db, &bulk_t, &s), 0);
    ermes__db_bind_int(s, 1, id);
    if (id % 7)
        ermes__db_bind_text(s, 2, text);
    ermes__db_bind_blob(s, 3, bytes, (size_t)(id % 260));
    assert_int_equal(ermes__db_bulk_add(s), rc_want);
}

static void test_bulk_rows(void **state)
{
    fixture_t *f = *state;
    ermes__db_t *db = ermes__db_conn(f->st);
    ermes__db_stmt_t *s;
    int64_t a, b;
    int rc;

    assert_non_null(db);
    assert_int_equal(ermes__db_exec(db, test_db_postgresql()
                                            ? "CREATE TABLE bulk_t (id BIGINT PRIMARY KEY,"
                                              " t TEXT, b BYTEA)"
                                            : "CREATE TABLE bulk_t (id INTEGER PRIMARY KEY,"
                                              " t TEXT, b BLOB)"),
                     0);
    assert_int_equal(ermes__db_begin(db, 1), 0);
    for (int64_t id = 1; id <= 20000; id++)
        bulk_add(db, id, 0);
    /* A statement of the transaction sees them (PostgreSQL sends them first). */
    assert_int_equal(count_bulk(db), 20000);
    bulk_add(db, 20001, 0);
    assert_int_equal(ermes__db_commit(db), 0);
    assert_int_equal(count_bulk(db), 20001);
    /* Every value back as it went. */
    for (int64_t id = 1; id <= 20001; id += 997) {
        unsigned char want[260];
        const void *p;
        size_t len;
        assert_int_equal(ermes__db_prepare(db, "SELECT t, b FROM bulk_t WHERE id = ?1", &s), 0);
        ermes__db_bind_int(s, 1, id);
        assert_int_equal(ermes__db_step(s), 1);
        if (id % 7)
            assert_string_equal(ermes__db_col_text(s, 0),
                                "tab\there nl\nthere cr\rback\\slash \\N \xc3\xa9");
        else
            assert_true(ermes__db_col_null(s, 0));
        for (int k = 0; k < 260; k++)
            want[k] = (unsigned char)((k + id) & 0xff);
        p = ermes__db_col_blob(s, 1, &len);
        assert_int_equal(len, (size_t)(id % 260));
        if (len)
            assert_memory_equal(p, want, len);
        ermes__db_done(s);
    }
    /* A statement prepared before rows are added and run after them sees them too. */
    assert_int_equal(ermes__db_begin(db, 1), 0);
    assert_int_equal(ermes__db_prepare(db, "SELECT count(*) FROM bulk_t", &s), 0);
    bulk_add(db, 20002, 0);
    assert_int_equal(ermes__db_step(s), 1);
    assert_int_equal(ermes__db_col_int(s, 0), 20002);
    ermes__db_done(s);
    ermes__db_rollback(db);
    assert_int_equal(count_bulk(db), 20001);
    /* A rollback drops what was not sent and what was. */
    assert_int_equal(ermes__db_begin(db, 1), 0);
    for (int64_t id = 30000; id < 30010; id++)
        bulk_add(db, id, 0);
    ermes__db_rollback(db);
    assert_int_equal(count_bulk(db), 20001);
    /* A duplicate key fails the transaction. */
    assert_int_equal(ermes__db_begin(db, 1), 0);
    bulk_add(db, 40000, 0);
    if (test_db_postgresql()) {
        bulk_add(db, 5, 0); /* buffered: the error shows when it is sent */
        rc = ermes__db_commit(db);
    } else {
        bulk_add(db, 5, ERMES_EEXISTS);
        rc = ERMES_EEXISTS;
    }
    assert_int_equal(rc, ERMES_EEXISTS);
    ermes__db_rollback(db);
    assert_int_equal(count_bulk(db), 20001);
    /* Ids reserved under the write lock follow one another (PostgreSQL); SQLite has
     * RETURNING. Outside a write transaction there is nothing to reserve. */
    assert_int_equal(ermes__db_next_id(db, "events", &a), ERMES_EINVAL);
    assert_int_equal(ermes__db_begin(db, 1), 0);
    rc = ermes__db_next_id(db, "events", &a);
    if (test_db_postgresql()) {
        assert_int_equal(rc, 0);
        assert_int_equal(ermes__db_next_id(db, "events", &b), 0);
        assert_int_equal(b, a + 1);
        assert_int_equal(ermes__db_bulk_buffered(db), 1);
    } else {
        assert_int_equal(rc, ERMES_EUNSUPPORTED);
        assert_int_equal(ermes__db_bulk_buffered(db), 0);
    }
    ermes__db_rollback(db);
}

/* Bulk rows of columns of several types: on PostgreSQL those of integers (of each width),
 * text and bytea go in COPY's binary format, a table with a column of another type in the
 * text format; either way the values come back as they went, text that is not UTF-8 (or
 * holds a NUL) with U+FFFD in its place as a bound parameter has, and an integer too wide for
 * its column fails the row. */
static const ermes__db_bulk_def_t bulk_w = {
    "INSERT INTO bulk_w (id, i4, i2, v, t) VALUES (?1, ?2, ?3, ?4, ?5)",
    "COPY bulk_w (id, i4, i2, v, t) FROM STDIN",
    "iiitt",
};
static const ermes__db_bulk_def_t bulk_o = {
    "INSERT INTO bulk_o (id, flag, n) VALUES (?1, ?2, ?3)",
    "COPY bulk_o (id, flag, n) FROM STDIN",
    "iti",
};

static void test_bulk_types(void **state)
{
    fixture_t *f = *state;
    ermes__db_t *db = ermes__db_conn(f->st);
    ermes__db_stmt_t *s;
    int pg = test_db_postgresql();

    assert_non_null(db);
    assert_int_equal(ermes__db_exec(db, pg ? "CREATE TABLE bulk_w (id BIGINT PRIMARY KEY,"
                                             " i4 INTEGER, i2 SMALLINT, v VARCHAR(40), t TEXT);"
                                             "CREATE TABLE bulk_o (id BIGINT PRIMARY KEY,"
                                             " flag BOOLEAN, n BIGINT)"
                                           : "CREATE TABLE bulk_w (id INTEGER PRIMARY KEY,"
                                             " i4 INTEGER, i2 INTEGER, v TEXT, t TEXT);"
                                             "CREATE TABLE bulk_o (id INTEGER PRIMARY KEY,"
                                             " flag TEXT, n INTEGER)"),
                     0);
    assert_int_equal(ermes__db_begin(db, 1), 0);
    for (int64_t id = 1; id <= 3; id++) {
        assert_int_equal(ermes__db_bulk_row(db, &bulk_w, &s), 0);
        ermes__db_bind_int(s, 1, id);
        ermes__db_bind_int(s, 2, id == 1 ? INT32_MIN : id == 2 ? INT32_MAX : -5);
        ermes__db_bind_int(s, 3, id == 1 ? INT16_MIN : id == 2 ? INT16_MAX : 0);
        ermes__db_bind_int(s, 4, -1234567890123LL * id); /* an integer into a text column */
        if (id == 3)
            ermes__db_bind_textn(s, 5, "bad \xff\xfe nul \0 end", 16);
        else
            ermes__db_bind_text(s, 5, "tab\t\\N \xe2\x82\xac");
        assert_int_equal(ermes__db_bulk_add(s), 0);
    }
    for (int64_t id = 1; id <= 2; id++) {
        assert_int_equal(ermes__db_bulk_row(db, &bulk_o, &s), 0);
        ermes__db_bind_int(s, 1, id);
        ermes__db_bind_text(s, 2, id == 1 ? "true" : "false");
        ermes__db_bind_int(s, 3, INT64_MIN + id);
        assert_int_equal(ermes__db_bulk_add(s), 0);
    }
    assert_int_equal(ermes__db_commit(db), 0);
    for (int64_t id = 1; id <= 3; id++) {
        char num[32];
        assert_int_equal(ermes__db_prepare(db, "SELECT i4, i2, v, t FROM bulk_w WHERE id = ?1", &s),
                         0);
        ermes__db_bind_int(s, 1, id);
        assert_int_equal(ermes__db_step(s), 1);
        assert_int_equal(ermes__db_col_int(s, 0), id == 1 ? INT32_MIN : id == 2 ? INT32_MAX : -5);
        assert_int_equal(ermes__db_col_int(s, 1), id == 1 ? INT16_MIN : id == 2 ? INT16_MAX : 0);
        snprintf(num, sizeof(num), "%lld", -1234567890123LL * (long long)id);
        assert_string_equal(ermes__db_col_text(s, 2), num);
        if (id < 3)
            assert_string_equal(ermes__db_col_text(s, 3), "tab\t\\N \xe2\x82\xac");
        else if (pg)
            assert_string_equal(ermes__db_col_text(s, 3),
                                "bad \xef\xbf\xbd\xef\xbf\xbd nul \xef\xbf\xbd end");
        ermes__db_done(s);
    }
    assert_int_equal(ermes__db_prepare(db,
                                       pg ? "SELECT count(*) FROM bulk_o WHERE flag AND n < 0"
                                          : "SELECT count(*) FROM bulk_o WHERE flag = 'true'",
                                       &s),
                     0);
    assert_int_equal(ermes__db_step(s), 1);
    assert_int_equal(ermes__db_col_int(s, 0), 1);
    ermes__db_done(s);
    if (pg) {
        /* Too wide for a SMALLINT: the row is refused, the transaction rolled back. */
        assert_int_equal(ermes__db_begin(db, 1), 0);
        assert_int_equal(ermes__db_bulk_row(db, &bulk_w, &s), 0);
        ermes__db_bind_int(s, 1, 10);
        ermes__db_bind_int(s, 3, 40000);
        assert_int_equal(ermes__db_bulk_add(s), ERMES_ERANGE);
        ermes__db_rollback(db);
    }
}

/* The intake's batches: events stored in a transaction get ids in commit order, a batch
 * rolled back leaves none of its events or address index entries behind, and the next
 * batch's ids are past every earlier one. */
static void test_batches_in_bulk(void **state)
{
    fixture_t *f = *state;
    int64_t first = 0, last = 0, id;
    char ip[32];
    got_t g;

    assert_int_equal(ermes__store_begin(f->st), 0);
    for (int k = 0; k < 3000; k++) {
        snprintf(ip, sizeof(ip), "10.%d.%d.1", k / 256, k % 256);
        an_event(f->ev, ip, "batch");
        id = store(f, f->st);
        if (!first)
            first = id;
        assert_true(id > last);
        last = id;
    }
    assert_int_equal(ermes__store_commit(f->st), 0);
    assert_int_equal(last - first, 2999);
    /* A batch that rolls back. */
    assert_int_equal(ermes__store_begin(f->st), 0);
    an_event(f->ev, "203.0.113.1", "batch");
    store(f, f->st);
    ermes__store_rollback(f->st);
    list(f->st, "203.0.113.0/24", &g);
    assert_int_equal(g.n, 0);
    /* The next batch's ids follow the committed ones. */
    assert_int_equal(ermes__store_begin(f->st), 0);
    an_event(f->ev, "203.0.113.2", "batch");
    id = store(f, f->st);
    assert_int_equal(ermes__store_commit(f->st), 0);
    assert_true(id > last);
    list(f->st, "10.0.0.0/8", &g);
    assert_int_equal(g.n, 3000);
    assert_int_equal(g.ids[0], first);
    for (int k = 1; k < 64; k++)
        assert_true(g.ids[k] > g.ids[k - 1]);
    list(f->st, "203.0.113.0/24", &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.ids[0], id);
}

/* PostgreSQL reserves events' ids in blocks, each a round trip that ends the open COPY: a
 * transaction's first block is as large as what the last one used, so a series of intake
 * batches reserves once a batch, and the ids not used still go back at commit (no gap). */
static int64_t seq_last(ermes__db_t *db)
{
    ermes__db_stmt_t *s;
    int64_t v;

    assert_int_equal(ermes__db_prepare(db,
                                       "SELECT pg_sequence_last_value("
                                       "pg_get_serial_sequence('events', 'id'))",
                                       &s),
                     0);
    assert_int_equal(ermes__db_step(s), 1);
    v = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return v;
}

static void test_id_blocks(void **state)
{
    fixture_t *f = *state;
    ermes__db_t *db = ermes__db_conn(f->st);
    int64_t id = 0, first, last = 0;

    assert_non_null(db);
    assert_int_equal(ermes__db_begin(db, 1), 0);
    if (!test_db_postgresql()) {
        /* SQLite numbers rows itself (RETURNING). */
        assert_int_equal(ermes__db_next_id(db, "events", &id), ERMES_EUNSUPPORTED);
        ermes__db_rollback(db);
        return;
    }
    /* The first transaction: blocks from 64, doubling (64 + 128 + ... + 2048 = 4032). */
    for (int k = 0; k < 3000; k++) {
        assert_int_equal(ermes__db_next_id(db, "events", &id), 0);
        assert_true(k == 0 || id == last + 1);
        last = id;
    }
    assert_int_equal(seq_last(db), last - 2999 + 4031);
    assert_int_equal(ermes__db_commit(db), 0);
    /* A transaction that takes no id (a report claimed between batches) changes nothing. */
    assert_int_equal(ermes__db_begin(db, 1), 0);
    assert_int_equal(ermes__db_commit(db), 0);
    /* The next one: one block of 4096 for what the last used, following it without a gap. */
    assert_int_equal(ermes__db_begin(db, 1), 0);
    assert_int_equal(ermes__db_next_id(db, "events", &first), 0);
    assert_int_equal(first, last + 1);
    assert_int_equal(seq_last(db), first + 4095);
    for (int k = 1; k < 4096; k++)
        assert_int_equal(ermes__db_next_id(db, "events", &id), 0);
    assert_int_equal(id, first + 4095);
    assert_int_equal(seq_last(db), first + 4095); /* no second reservation */
    assert_int_equal(ermes__db_next_id(db, "events", &id), 0);
    assert_int_equal(seq_last(db), first + 4096 + 8191); /* then doubling */
    assert_int_equal(ermes__db_commit(db), 0);
    /* A transaction of one id: the one after it starts small again. */
    assert_int_equal(ermes__db_begin(db, 1), 0);
    assert_int_equal(ermes__db_next_id(db, "events", &last), 0);
    assert_int_equal(last, id + 1);
    assert_int_equal(ermes__db_commit(db), 0);
    assert_int_equal(ermes__db_begin(db, 1), 0);
    assert_int_equal(ermes__db_next_id(db, "events", &id), 0);
    assert_int_equal(id, last + 1);
    assert_int_equal(seq_last(db), id + 63);
    ermes__db_rollback(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_packed_reads_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_carries_triage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_shared_and_rolled_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_address_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_rows_of_older_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orphans_of_a_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches_in_bulk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_id_blocks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
