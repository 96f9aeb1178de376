/* Tests of the leases several daemon instances share (src/store/lease.c), on SQLite and on
 * PostgreSQL (unit_pg.test_lease): a lease of another live instance holds until it runs out,
 * one of an instance whose process on this machine is gone does not, the heartbeat renews
 * what this instance holds, named leases, retro-hunts of a gone instance queued again, and
 * PostgreSQL's notifications of registry and indicator changes. */
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

#include "core/time.h"
#include "store/db.h"
#include "test_db.h"
#include "store/store.h"

#define LEASE_MS 3000

typedef struct fixture {
    char dir[64];
    ermes__store_t *st;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};

    assert_non_null(f);
    ermes__lease_configure(LEASE_MS, NULL);
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-lease-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(test_store_open(f->dir, &opts, &f->st), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];

    ermes__store_close(f->st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Runs sql with ?1 = a, ?2 = b (an UPDATE that must change one row). */
static void set_lease(fixture_t *f, const char *sql, const char *name, int64_t owner, int64_t until)
{
    ermes__db_t *db = ermes__db_conn(f->st);
    ermes__db_stmt_t *s;

    assert_int_equal(ermes__db_prepare(db, sql, &s), 0);
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_int(s, 2, owner);
    ermes__db_bind_int(s, 3, until);
    assert_int_equal(ermes__db_step(s), 0);
    ermes__db_done(s);
}

static int64_t scalar_text(fixture_t *f, const char *sql, const char *key)
{
    ermes__db_t *db = ermes__db_conn(f->st);
    ermes__db_stmt_t *s;
    int64_t v = -1;

    assert_int_equal(ermes__db_prepare(db, sql, &s), 0);
    ermes__db_bind_text(s, 1, key);
    if (ermes__db_step(s) == 1)
        v = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return v;
}

/* A named job: one instance at a time; another's lease holds while it lives and lasts. */
static void test_named_lease(void **state)
{
    fixture_t *f = *state;
    const char *set = "UPDATE leases SET lease_owner = ?2, lease_until = ?3 WHERE name = ?1";
    int64_t now = ermes__time_now_ms(), me = ermes__instance_id(), other = me ^ 0x5555;
    int64_t gone = test_gone_instance(f->st);
    int held = 0;

    assert_int_equal(ermes__store_lease_take(f->st, "tail:x", &held), 0);
    assert_int_equal(held, 1);
    assert_int_equal(scalar_text(f, "SELECT lease_owner FROM leases WHERE name = ?1", "tail:x"),
                     me);
    /* Taken again: renewed, still ours. */
    assert_int_equal(ermes__store_lease_take(f->st, "tail:x", &held), 0);
    assert_int_equal(held, 1);
    /* Another instance on another machine (no process to test) holds it until it runs out. */
    set_lease(f, set, "tail:x", other, now + 60000);
    assert_int_equal(ermes__store_lease_take(f->st, "tail:x", &held), 0);
    assert_int_equal(held, 0);
    set_lease(f, set, "tail:x", other, now - 1);
    assert_int_equal(ermes__store_lease_take(f->st, "tail:x", &held), 0);
    assert_int_equal(held, 1);
    /* An instance of this machine whose process is gone holds nothing, however long. */
    set_lease(f, set, "tail:x", gone, now + 3600000);
    assert_int_equal(ermes__store_lease_take(f->st, "tail:x", &held), 0);
    assert_int_equal(held, 1);
    /* Dropped: nobody's (the row gone); another's is not dropped by us. */
    assert_int_equal(ermes__store_lease_drop(f->st, "tail:x"), 0);
    assert_int_equal(scalar_text(f, "SELECT COUNT(*) FROM leases WHERE name = ?1", "tail:x"), 0);
    assert_int_equal(ermes__store_lease_take(f->st, "tail:x", &held), 0);
    assert_int_equal(held, 1);
    set_lease(f, set, "tail:x", other, now + 60000);
    assert_int_equal(ermes__store_lease_drop(f->st, "tail:x"), 0);
    assert_int_equal(scalar_text(f, "SELECT lease_owner FROM leases WHERE name = ?1", "tail:x"),
                     other);
}

/* Collectors: the claim of another live instance excludes this one; this one's other threads
 * share its own. */
static void test_collector_claim(void **state)
{
    fixture_t *f = *state;
    int64_t now = ermes__time_now_ms(), me = ermes__instance_id(), other = me ^ 0x5555;
    int64_t gone = test_gone_instance(f->st);
    int claimed = 0;

    assert_int_equal(ermes__store_collector_claim(f->st, "feed", other, now + 60000, &claimed), 0);
    assert_int_equal(claimed, 1);
    assert_int_equal(ermes__store_collector_claim(f->st, "feed", me, now + 60000, &claimed), 0);
    assert_int_equal(claimed, 0);
    assert_int_equal(ermes__store_collector_release(f->st, "feed", other), 0);
    assert_int_equal(ermes__store_collector_claim(f->st, "feed", gone, now + 60000, &claimed), 0);
    assert_int_equal(claimed, 1);
    assert_int_equal(ermes__store_collector_claim(f->st, "feed", me, now + 60000, &claimed), 0);
    assert_int_equal(claimed, 1);
    assert_int_equal(ermes__store_collector_claim(f->st, "feed", me, now + 60000, &claimed), 0);
    assert_int_equal(claimed, 0); /* our other thread has it */
}

/* The heartbeat: the instance's row seen now, and every lease it holds renewed for a lease
 * time; another's untouched. */
static void test_heartbeat(void **state)
{
    fixture_t *f = *state;
    const char *until_sql = "SELECT lease_until FROM collectors WHERE name = ?1";
    int64_t now = ermes__time_now_ms(), me = ermes__instance_id(), other = me ^ 0x5555;
    int claimed = 0, alive = 0;
    char key[32];

    assert_int_equal(ermes__store_collector_claim(f->st, "mine", me, now + 10, &claimed), 0);
    assert_int_equal(claimed, 1);
    assert_int_equal(ermes__store_collector_claim(f->st, "theirs", other, now + 10, &claimed), 0);
    assert_int_equal(claimed, 1);
    assert_int_equal(ermes__store_lease_heartbeat(f->st), 0);
    assert_true(scalar_text(f, until_sql, "mine") >= now + LEASE_MS);
    assert_int_equal(scalar_text(f, until_sql, "theirs"), now + 10);
    /* Alive: this instance; one seen within a lease time; not one never seen, nor one whose
     * process here is gone. */
    assert_int_equal(ermes__store_instance_alive(f->st, me, &alive), 0);
    assert_int_equal(alive, 1);
    assert_int_equal(ermes__store_instance_alive(f->st, other, &alive), 0);
    assert_int_equal(alive, 0);
    assert_int_equal(ermes__store_instance_alive(f->st, test_gone_instance(f->st), &alive), 0);
    assert_int_equal(alive, 0);
    snprintf(key, sizeof(key), "%lld", (long long)me);
    assert_true(scalar_text(f, "SELECT seen_at FROM instances WHERE CAST(id AS TEXT) = ?1", key) >=
                now);
    /* A clean stop takes the row away. */
    assert_int_equal(ermes__store_instance_stop(f->st), 0);
    assert_int_equal(
        scalar_text(f, "SELECT COUNT(*) FROM instances WHERE CAST(id AS TEXT) = ?1", key), 0);
}

static int count_cb(void *ctx, const ermes__retrohunt_t *r)
{
    int *states = ctx;
    states[r->state]++;
    return 0;
}

/* A retro-hunt running under an instance that is gone is failed and queued again, once; one
 * of a live instance is left alone. */
static void test_retrohunt_recover(void **state)
{
    fixture_t *f = *state;
    const char *set = "UPDATE retrohunts SET lease_owner = ?2, lease_until = ?3"
                      " WHERE CAST(id AS TEXT) = ?1";
    ermes__retrohunt_t r;
    int64_t id = 0, claimed_id = 0, now = ermes__time_now_ms();
    int states[8] = {0};
    char key[32];
    size_t n = 0;

    memset(&r, 0, sizeof(r));
    r.min_indicator_id = 0;
    r.max_indicator_id = 10;
    r.archive = "/nonexistent";
    r.requested_by = "test";
    assert_int_equal(ermes__store_retrohunt_add(f->st, &r, &id), 0);
    assert_int_equal(ermes__store_retrohunt_claim(f->st, &claimed_id), 0);
    assert_int_equal(claimed_id, id);
    /* Ours, and we are alive. */
    assert_int_equal(ermes__store_retrohunt_recover(f->st, "interrupted", &n), 0);
    assert_int_equal(n, 0);
    /* Another live machine's, lease running. */
    snprintf(key, sizeof(key), "%lld", (long long)id);
    set_lease(f, set, key, ermes__instance_id() ^ 0x5555, now + 60000);
    assert_int_equal(ermes__store_retrohunt_recover(f->st, "interrupted", &n), 0);
    assert_int_equal(n, 0);
    /* Its progress write is refused here: the job is the other's. */
    r.id = id;
    r.state = ERMES_RETRO_RUNNING;
    assert_int_equal(ermes__store_retrohunt_update(f->st, &r), ERMES_ECONFLICT);
    /* Its process here is gone: queued again, once. */
    set_lease(f, set, key, test_gone_instance(f->st), now + 60000);
    assert_int_equal(ermes__store_retrohunt_recover(f->st, "interrupted", &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ermes__store_retrohunt_recover(f->st, "interrupted", &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ermes__store_retrohunt_get(f->st, id, count_cb, states), 0);
    assert_int_equal(states[ERMES_RETRO_FAILED], 1);
    assert_int_equal(ermes__store_retrohunt_claim(f->st, &claimed_id), 0);
    assert_true(claimed_id > id);
    assert_int_equal(ermes__store_retrohunt_claim(f->st, &claimed_id), ERMES_ENOTFOUND);
}

/* PostgreSQL tells the daemons at once that the registry or the indicators changed (the
 * triggers notify ermes_registry and ermes_indicators); SQLite has nothing to listen to. */
static void test_listen(void **state)
{
    fixture_t *f = *state;
    ermes__store_listener_t *l = NULL;
    int changed = 0;

    if (!test_db_postgresql()) {
        assert_int_equal(ermes__store_listen(f->st, &l), ERMES_EUNSUPPORTED);
        return;
    }
    assert_int_equal(ermes__store_listen(f->st, &l), 0);
    /* Statement triggers fire on an UPDATE of no row too. */
    assert_int_equal(ermes__db_exec(ermes__db_conn(f->st),
                                    "UPDATE networks SET updated_at = updated_at WHERE id < 0"),
                     0);
    for (int k = 0; k < 20 && !changed; k++)
        assert_int_equal(ermes__store_listen_wait(l, 250, &changed), 0);
    assert_int_equal(changed, 1);
    /* Drained; then the indicators' channel. */
    do
        assert_int_equal(ermes__store_listen_wait(l, 50, &changed), 0);
    while (changed);
    assert_int_equal(ermes__db_exec(ermes__db_conn(f->st),
                                    "UPDATE indicators SET updated_at = updated_at WHERE id < 0"),
                     0);
    for (int k = 0; k < 20 && !changed; k++)
        assert_int_equal(ermes__store_listen_wait(l, 250, &changed), 0);
    assert_int_equal(changed, 1);
    ermes__store_listen_close(l);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_named_lease),       T(test_collector_claim), T(test_heartbeat),
        T(test_retrohunt_recover), T(test_listen),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
