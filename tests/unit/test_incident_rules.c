/* The incident rules (src/incidents/rules.c, src/store/incident_rules.c) on SQLite and, as
 * unit_pg.test_incident_rules, on PostgreSQL: the shipped rule, order by position (a rule put
 * at a position goes before the one there), changes and deletion, a report decided once, the
 * subject match (substring and glob, case-insensitive) and the body's validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "incidents/rules.h"
#include "store/store.h"
#include "test_db.h"

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
} fixture_t;

static int setup(void **state)
{
    ermes__store_options_t opts = {0, 1, 0, NULL};
    fixture_t *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-rules-XXXXXX");
    if (!mkdtemp(f->dir) || test_store_open(f->dir, &opts, &f->st))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char path[128];

    ermes__store_close(f->st);
    snprintf(path, sizeof(path), "%s/ermes.db", f->dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/ermes.db-wal", f->dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/ermes.db-shm", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

struct ids {
    int64_t id[16];
    size_t n;
};

static int collect(void *ctx, const ermes__incident_rule_t *r)
{
    struct ids *c = ctx;

    if (c->n < 16)
        c->id[c->n++] = r->id;
    return 0;
}

static void read_rule(const char *text, int rc_want, const char *field, ermes__incident_rule_t *r)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    ermes_diag_t d;

    assert_non_null(j);
    ermes_diag_clear(&d);
    assert_int_equal(ermes__incident_rule_read(j, 0, r, &d), rc_want);
    if (field)
        assert_string_equal(d.field, field);
    json_decref(j);
}

static void test_order_and_changes(void **state)
{
    fixture_t *f = *state;
    ermes__incident_rule_t a, b, got;
    struct ids c = {{0}, 0};

    /* The shipped rule. */
    assert_int_equal(ermes__store_incident_rule_each(f->st, collect, &c), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(ermes__store_incident_rule_get(f->st, c.id[0], &got), 0);
    assert_string_equal(got.condition, "shared_observable");
    assert_int_equal(got.days, 14);
    assert_string_equal(got.action, "link");

    read_rule("{\"name\":\"a\",\"condition\":\"subject_pattern\",\"pattern\":\"x\","
              "\"action\":\"queue\"}",
              0, NULL, &a);
    assert_int_equal(ermes__store_incident_rule_insert(f->st, &a), 0);
    assert_int_equal(a.position, 2); /* last */
    read_rule("{\"name\":\"b\",\"condition\":\"subject_pattern\",\"pattern\":\"y\","
              "\"action\":\"open\",\"open_class\":\"fraud\",\"position\":1}",
              0, NULL, &b);
    assert_int_equal(ermes__store_incident_rule_insert(f->st, &b), 0);
    c.n = 0;
    assert_int_equal(ermes__store_incident_rule_each(f->st, collect, &c), 0);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.id[0], b.id);
    assert_int_equal(c.id[2], a.id);
    /* Moved to the front. */
    a.position = 1;
    assert_int_equal(ermes__store_incident_rule_update(f->st, &a), 0);
    c.n = 0;
    assert_int_equal(ermes__store_incident_rule_each(f->st, collect, &c), 0);
    assert_int_equal(c.id[0], a.id);
    assert_int_equal(c.id[1], b.id);
    /* Deleted; gone twice is not found. */
    assert_int_equal(ermes__store_incident_rule_delete(f->st, b.id), 0);
    assert_int_equal(ermes__store_incident_rule_delete(f->st, b.id), ERMES_ENOTFOUND);
    b.id = 999999;
    assert_int_equal(ermes__store_incident_rule_update(f->st, &b), ERMES_ENOTFOUND);
}

static void test_decided_once(void **state)
{
    fixture_t *f = *state;
    ermes__incident_report_t r;
    char action[16], reason[256];
    int64_t rule_id, inc;
    int added;

    memset(&r, 0, sizeof(r));
    r.reporter = "a@b.example";
    r.subject = "nothing shared";
    r.body = "";
    r.tlp = ERMES_TLP_GREEN;
    assert_int_equal(ermes__store_incident_report_insert(f->st, &r, NULL, 0), 0);
    assert_int_equal(ermes__incident_rules_run(f->st, NULL, r.id, NULL, &inc), 0);
    assert_int_equal(inc, 0);
    assert_int_equal(ermes__store_report_decision_get(f->st, r.id, &rule_id, action, sizeof(action),
                                                      &inc, reason, sizeof(reason)),
                     0);
    assert_int_equal(rule_id, 0);
    assert_string_equal(action, "queue");
    assert_non_null(strstr(reason, "triage"));
    /* A second decision for the same report changes nothing. */
    assert_int_equal(ermes__store_report_decision_put(f->st, r.id, 5, "link", 0, "other",
                                                      ERMES_TLP_GREEN, &added),
                     0);
    assert_int_equal(added, 0);
    assert_int_equal(ermes__incident_rules_run(f->st, NULL, r.id, NULL, &inc), 0);
    assert_int_equal(ermes__store_report_decision_get(f->st, r.id, &rule_id, action, sizeof(action),
                                                      &inc, reason, sizeof(reason)),
                     0);
    assert_string_equal(action, "queue");
}

static void test_subject_match(void **state)
{
    (void)state;
    assert_true(ermes__incident_rule_subject_match("ransom", "New RANSOMware wave"));
    assert_false(ermes__incident_rule_subject_match("ransom", "phishing"));
    assert_true(ermes__incident_rule_subject_match("*RAN?OM*", "a ransomware"));
    assert_false(ermes__incident_rule_subject_match("ransom*", "a ransomware"));
    assert_true(ermes__incident_rule_subject_match("*", ""));
    assert_true(ermes__incident_rule_subject_match("a*b*c", "AxxBxxC"));
    assert_false(ermes__incident_rule_subject_match("a*b*c", "AxxBxx"));
}

static void test_validation(void **state)
{
    ermes__incident_rule_t r;

    (void)state;
    read_rule("[]", ERMES_EINVAL, "", &r);
    read_rule("{\"condition\":\"same_thread\",\"days\":1,\"action\":\"link\"}", ERMES_EINVAL,
              "name", &r);
    read_rule("{\"name\":\"x\",\"condition\":\"nope\",\"action\":\"link\"}", ERMES_EINVAL,
              "condition", &r);
    read_rule("{\"name\":\"x\",\"condition\":\"same_constituent_class\",\"hours\":2,"
              "\"action\":\"link\"}",
              ERMES_EINVAL, "rsit_class", &r);
    read_rule("{\"name\":\"x\",\"condition\":\"same_constituent_class\",\"hours\":2,"
              "\"rsit_class\":\"fraud\",\"action\":\"link\"}",
              0, NULL, &r);
    read_rule("{\"name\":\"x\",\"condition\":\"subject_pattern\",\"pattern\":\"p\","
              "\"action\":\"open\",\"open_class\":\"fraud\",\"open_type\":\"nope\"}",
              ERMES_EINVAL, "open_type", &r);
    read_rule("{\"name\":\"x\",\"condition\":\"shared_observable\",\"days\":99999,"
              "\"action\":\"link\"}",
              ERMES_EINVAL, "days", &r);
    read_rule("{\"name\":\"x\",\"condition\":\"shared_observable\",\"days\":3,"
              "\"action\":\"link\",\"extra\":1}",
              ERMES_EINVAL, "extra", &r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_and_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decided_once, setup, teardown),
        cmocka_unit_test(test_subject_match),
        cmocka_unit_test(test_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
