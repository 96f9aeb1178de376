/* Tests of the login guard (src/access/login_guard.c) over a real store (SQLite, or PostgreSQL
 * as unit_pg.test_login_guard): the per-address
 * failure limit and its window, the audit's first-of-a-kind rows and the counts written when an
 * interval ends, the pool's bound (reserve refuses past login_workers + login_queue), a job
 * checked on a pool thread, and a stop answering what waits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access/access.h"
#include "access/login_guard.h"
#include "core/config.h"
#include "store/db.h"
#include "store/store.h"
#include "test_db.h"

#define MIN (60 * 1000LL)
#define T0 (1767225600000LL) /* 2026-01-01T00:00:00Z */

typedef struct {
    char dir[64];
    ermes__store_t *st;
    ermes__config_t cfg;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};

    if (!f || ermes__access_init() || ermes__config_init(&f->cfg))
        return -1;
    f->cfg.login_workers = 1;
    f->cfg.login_queue = 1;
    f->cfg.login_address_failures = 3;
    f->cfg.login_audit_interval = 60;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-guard-XXXXXX");
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
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(f->dir);
    ermes__config_cleanup(&f->cfg);
    free(f);
    return 0;
}

/* Audit rows of action from ip; the detail of the last one into detail (may be NULL). */
static long audit_rows(ermes__store_t *st, const char *action, const char *ip, char *detail,
                       size_t cap)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    long n = 0;

    assert_int_equal(ermes__db_prepare(db,
                                       "SELECT detail FROM audit WHERE action = ?1 AND "
                                       "remote = ?2 ORDER BY id",
                                       &s),
                     0);
    ermes__db_bind_text(s, 1, action);
    ermes__db_bind_text(s, 2, ip);
    while (ermes__db_step(s) == 1) {
        const char *t = ermes__db_col_text(s, 0);
        if (detail)
            snprintf(detail, cap, "%s", t ? t : "");
        n++;
    }
    ermes__db_done(s);
    return n;
}

static void test_address_limit_and_window(void **state)
{
    fixture_t *f = *state;
    ermes__login_guard_t *g;
    int64_t retry = -1;

    assert_int_equal(ermes__login_guard_new(f->st, &f->cfg, &g), 0);
    for (int k = 0; k < 3; k++) {
        assert_false(ermes__login_guard_blocked(g, "192.0.2.1", T0 + k, &retry));
        ermes__login_guard_record(g, "192.0.2.1", ERMES_LOGIN_FAILED, T0 + k);
    }
    /* Refusals are not failures: they do not move the window. */
    ermes__login_guard_record(g, "192.0.2.1", ERMES_LOGIN_BUSY, T0 + 3);
    assert_true(ermes__login_guard_blocked(g, "192.0.2.1", T0 + 5, &retry));
    assert_int_equal(retry, 15 * 60); /* 15 minutes after the first failure, rounded up */
    assert_true(ermes__login_guard_blocked(g, "192.0.2.1", T0 + 15 * MIN - 1, &retry));
    assert_false(ermes__login_guard_blocked(g, "192.0.2.1", T0 + 15 * MIN, &retry));
    /* Another address is not concerned. */
    assert_false(ermes__login_guard_blocked(g, "192.0.2.2", T0 + 5, &retry));
    assert_false(ermes__login_guard_blocked(g, "2001:db8::1", T0 + 5, &retry));
    /* A failure after the window starts a new one. */
    ermes__login_guard_record(g, "192.0.2.1", ERMES_LOGIN_FAILED, T0 + 16 * MIN);
    assert_false(ermes__login_guard_blocked(g, "192.0.2.1", T0 + 16 * MIN, &retry));
    ermes__login_guard_free(g);
}

static void test_flood_audited_as_counts(void **state)
{
    fixture_t *f = *state;
    ermes__login_guard_t *g;
    char detail[256];
    int full = 0;

    assert_int_equal(ermes__login_guard_new(f->st, &f->cfg, &g), 0);
    /* The first of each kind is audited in full, the rest counted. */
    for (int k = 0; k < 10; k++)
        full += ermes__login_guard_record(g, "198.51.100.7", ERMES_LOGIN_FAILED, T0 + k);
    for (int k = 0; k < 4; k++)
        full += ermes__login_guard_record(g, "198.51.100.7", ERMES_LOGIN_LIMITED, T0 + 10 + k);
    assert_int_equal(full, 2);
    /* Nothing is written before the interval ends... */
    ermes__login_guard_flush(g, T0 + 59 * 1000, 0);
    assert_int_equal(audit_rows(f->st, "login_failures", "198.51.100.7", NULL, 0), 0);
    /* ...then one row of counts. */
    ermes__login_guard_flush(g, T0 + 61 * 1000, 0);
    assert_int_equal(audit_rows(f->st, "login_failures", "198.51.100.7", detail, sizeof(detail)),
                     1);
    assert_non_null(strstr(detail, "\"failed\":9"));
    assert_non_null(strstr(detail, "\"rate_limited\":3"));
    assert_non_null(strstr(detail, "\"locked\":0"));
    assert_non_null(strstr(detail, "\"busy\":0"));
    assert_non_null(strstr(detail, "\"from\":\"2026-01-01T00:00:00.000Z\""));
    /* A new interval: its first failure is audited in full again. */
    assert_true(ermes__login_guard_record(g, "198.51.100.7", ERMES_LOGIN_FAILED, T0 + 62 * 1000));
    assert_false(ermes__login_guard_record(g, "198.51.100.7", ERMES_LOGIN_FAILED, T0 + 63 * 1000));
    /* Freeing writes what is pending. */
    ermes__login_guard_free(g);
    assert_int_equal(audit_rows(f->st, "login_failures", "198.51.100.7", detail, sizeof(detail)),
                     2);
    assert_non_null(strstr(detail, "\"failed\":1"));
}

typedef struct {
    pthread_mutex_t lock;
    int done;
} waiter_t;

static void done_cb(ermes__login_job_t *job)
{
    waiter_t *w = job->cls;

    pthread_mutex_lock(&w->lock);
    w->done++;
    pthread_mutex_unlock(&w->lock);
}

static int done_count(waiter_t *w)
{
    int n;

    pthread_mutex_lock(&w->lock);
    n = w->done;
    pthread_mutex_unlock(&w->lock);
    return n;
}

static void test_pool_bound_and_check(void **state)
{
    fixture_t *f = *state;
    ermes__login_guard_t *g;
    ermes__login_job_t job;
    waiter_t w = {PTHREAD_MUTEX_INITIALIZER, 0};

    assert_int_equal(ermes__login_guard_new(f->st, &f->cfg, &g), 0);
    /* One worker and a queue of one: two places, the third is refused. */
    assert_int_equal(ermes__login_guard_reserve(g), 0);
    assert_int_equal(ermes__login_guard_reserve(g), 0);
    assert_int_equal(ermes__login_guard_reserve(g), ERMES_EBUSY);
    memset(&job, 0, sizeof(job));
    snprintf(job.name, sizeof(job.name), "nobody");
    snprintf(job.password, sizeof(job.password), "not the password");
    snprintf(job.ip, sizeof(job.ip), "192.0.2.9");
    job.done_cb = done_cb;
    job.cls = &w;
    ermes__login_guard_submit(g, &job);
    for (int k = 0; k < 3000 && done_count(&w) == 0; k++)
        usleep(10000);
    assert_int_equal(done_count(&w), 1);
    /* An unknown name: a failure, checked, recorded, the password wiped. */
    assert_int_equal(job.rc, ERMES_EAUTH);
    assert_string_equal(job.password, "");
    /* The second place is still promised; stopping answers its job at once. */
    ermes__login_guard_stop(g);
    assert_int_equal(ermes__login_guard_reserve(g), ERMES_EBUSY);
    memset(&job, 0, sizeof(job));
    job.done_cb = done_cb;
    job.cls = &w;
    ermes__login_guard_submit(g, &job);
    assert_int_equal(done_count(&w), 2);
    assert_int_equal(job.rc, ERMES_EBUSY);
    ermes__login_guard_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_address_limit_and_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flood_audited_as_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_bound_and_check, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
