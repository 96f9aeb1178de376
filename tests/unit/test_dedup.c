/* Tests of the intake's deduplication set (src/intake/dedup.c) over a real store: the window
 * from the first sighting, two "processes" (two sets on two store handles) sharing the log, a
 * rollback forgetting, a backlog report older than the set's reach, growth past many keys,
 * and the log's pruning. */
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

#include "intake/dedup.h"
#include "store/db.h"
#include "test_db.h"
#include "store/store.h"

#define HOUR (3600 * 1000LL)
#define T0 (1767225600000LL) /* 2026-01-01T00:00:00Z */

typedef struct {
    char dir[64];
    ermes__store_t *st;
} fixture_t;

static void key_of(unsigned n, uint8_t key[16])
{
    /* the set expects hashes: spread n over the first bytes, as BLAKE2b would */
    uint64_t h = (n + 1) * 0x9E3779B97F4A7C15ULL;
    memcpy(key, &h, 8);
    memcpy(key + 8, &n, sizeof(n));
    memset(key + 8 + sizeof(n), 0x5a, 8 - sizeof(n));
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    ermes__store_options_t opts = {0, 1, 0, NULL};

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-dedup-XXXXXX");
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
    free(f);
    return 0;
}

static long count_rows(ermes__store_t *st, const char *table)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    long n = -1;

    assert_int_equal(ermes__db_prepare(db,
                                       strcmp(table, "dedup_log") == 0
                                           ? "SELECT count(*) FROM dedup_log"
                                           : "SELECT count(*) FROM dedup_batches",
                                       &s),
                     0);
    if (ermes__db_step(s) == 1)
        n = (long)ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return n;
}

/* One transaction: sync, check key n at time now with a window of 24 h, commit. */
static int seen(ermes__dedup_t *dd, ermes__store_t *st, unsigned n, int64_t now)
{
    uint8_t key[16];
    int dup = -1;

    key_of(n, key);
    assert_int_equal(ermes__store_begin(st), 0);
    assert_int_equal(ermes__dedup_sync(dd, st, now - 24 * HOUR), 0);
    assert_int_equal(ermes__dedup_check(dd, st, key, now - 24 * HOUR, now, &dup), 0);
    assert_int_equal(ermes__dedup_flush(dd, st), 0);
    assert_int_equal(ermes__store_commit(st), 0);
    return dup;
}

static void test_window_from_first_sighting(void **state)
{
    fixture_t *f = *state;
    ermes__dedup_t *dd;

    assert_int_equal(ermes__dedup_new(&dd), 0);
    assert_int_equal(seen(dd, f->st, 1, T0), 0);
    assert_int_equal(seen(dd, f->st, 1, T0 + HOUR), 1);
    assert_int_equal(seen(dd, f->st, 2, T0 + HOUR), 0);
    /* a repeat does not extend the window: 24 h after the first sighting it is new again */
    assert_int_equal(seen(dd, f->st, 1, T0 + 23 * HOUR), 1);
    assert_int_equal(seen(dd, f->st, 1, T0 + 24 * HOUR + 1), 0);
    assert_int_equal(seen(dd, f->st, 1, T0 + 25 * HOUR), 1);
    ermes__dedup_free(dd);
}

static void test_two_processes_share_the_log(void **state)
{
    fixture_t *f = *state;
    ermes__store_options_t opts = {0, 0, 0, NULL};
    ermes__store_t *other;
    ermes__dedup_t *a, *b;

    assert_int_equal(test_store_open(f->dir, &opts, &other), 0);
    assert_int_equal(ermes__dedup_new(&a), 0);
    assert_int_equal(ermes__dedup_new(&b), 0);
    assert_int_equal(seen(a, f->st, 7, T0), 0);
    assert_int_equal(seen(b, other, 7, T0 + 1), 1); /* b reads what a wrote */
    assert_int_equal(seen(b, other, 8, T0 + 2), 0);
    assert_int_equal(seen(a, f->st, 8, T0 + 3), 1); /* and a what b wrote since */
    assert_int_equal(ermes__dedup_size(a), 2);
    ermes__dedup_free(a);
    ermes__dedup_free(b);
    ermes__store_close(other);
}

static void test_rollback_forgets(void **state)
{
    fixture_t *f = *state;
    ermes__dedup_t *dd;
    uint8_t key[16];
    int dup;

    assert_int_equal(ermes__dedup_new(&dd), 0);
    key_of(3, key);
    assert_int_equal(ermes__store_begin(f->st), 0);
    assert_int_equal(ermes__dedup_sync(dd, f->st, T0 - 24 * HOUR), 0);
    assert_int_equal(ermes__dedup_check(dd, f->st, key, T0 - 24 * HOUR, T0, &dup), 0);
    assert_int_equal(dup, 0);
    ermes__store_rollback(f->st);
    ermes__dedup_forget(dd);
    /* the event was never stored: the same row is new, not a duplicate */
    assert_int_equal(seen(dd, f->st, 3, T0 + 1), 0);
    /* a check outside a synced transaction is refused, not guessed */
    ermes__dedup_forget(dd);
    assert_int_equal(ermes__dedup_check(dd, f->st, key, T0, T0, &dup), ERMES_EINVAL);
    ermes__dedup_free(dd);
}

static void test_backlog_and_growth(void **state)
{
    fixture_t *f = *state;
    ermes__dedup_t *dd;
    uint8_t key[16];
    int dup;

    assert_int_equal(ermes__dedup_new(&dd), 0);
    /* 20,000 keys in one transaction: the table grows several times */
    assert_int_equal(ermes__store_begin(f->st), 0);
    assert_int_equal(ermes__dedup_sync(dd, f->st, T0 - 24 * HOUR), 0);
    for (unsigned n = 0; n < 20000; n++) {
        key_of(1000 + n, key);
        assert_int_equal(ermes__dedup_check(dd, f->st, key, T0 - 24 * HOUR, T0, &dup), 0);
        assert_int_equal(dup, 0);
    }
    assert_int_equal(ermes__dedup_flush(dd, f->st), 0);
    assert_int_equal(ermes__store_commit(f->st), 0);
    assert_int_equal(ermes__dedup_size(dd), 20000);
    /* the transaction's keys are one row of the log */
    assert_int_equal(count_rows(f->st, "dedup_batches"), 1);
    for (unsigned n = 0; n < 20000; n += 997)
        assert_int_equal(seen(dd, f->st, 1000 + n, T0 + HOUR), 1);
    /* two days later the old keys are out of the window and out of the set's reach */
    assert_int_equal(seen(dd, f->st, 1000, T0 + 48 * HOUR), 0);
    /* a backlog report received at T0 + 1 h reaches back before the set: it reads the log
     * again and still finds the keys of its window */
    assert_int_equal(seen(dd, f->st, 1001, T0 + HOUR + 5), 1);
    ermes__dedup_free(dd);
}

/* The keyed hash: one key per database, shared by its processes, made once. */
static void test_hash_keyed_per_database(void **state)
{
    fixture_t *f = *state;
    ermes__store_options_t opts = {0, 0, 0, NULL}, create = {0, 1, 0, NULL};
    ermes__store_t *other, *elsewhere;
    ermes__dedup_t *a, *b, *c;
    uint8_t ka[16], kb[16], kc[16];
    char dir[128];

    assert_int_equal(ermes__dedup_new(&a), 0);
    assert_int_equal(ermes__dedup_new(&b), 0);
    assert_int_equal(ermes__dedup_new(&c), 0);
    assert_int_equal(ermes__dedup_hash(a, "row", 3, ka), ERMES_EINVAL); /* before a sync */
    assert_int_equal(test_store_open(f->dir, &opts, &other), 0);
    snprintf(dir, sizeof(dir), "%s/x", f->dir);
    assert_int_equal(test_store_open(dir, &create, &elsewhere), 0);
    assert_int_equal(ermes__store_begin(f->st), 0);
    assert_int_equal(ermes__dedup_sync(a, f->st, T0), 0);
    assert_int_equal(ermes__store_commit(f->st), 0);
    assert_int_equal(ermes__store_begin(other), 0);
    assert_int_equal(ermes__dedup_sync(b, other, T0), 0);
    assert_int_equal(ermes__store_commit(other), 0);
    assert_int_equal(ermes__store_begin(elsewhere), 0);
    assert_int_equal(ermes__dedup_sync(c, elsewhere, T0), 0);
    assert_int_equal(ermes__store_commit(elsewhere), 0);
    assert_int_equal(ermes__dedup_hash(a, "row", 3, ka), 0);
    assert_int_equal(ermes__dedup_hash(b, "row", 3, kb), 0);
    assert_int_equal(ermes__dedup_hash(c, "row", 3, kc), 0);
    assert_memory_equal(ka, kb, 16);     /* the same database: the same key */
    assert_memory_not_equal(ka, kc, 16); /* another one: its own secret */
    assert_int_equal(ermes__dedup_hash(a, "rov", 3, kb), 0);
    assert_memory_not_equal(ka, kb, 16);
    ermes__dedup_free(a);
    ermes__dedup_free(b);
    ermes__dedup_free(c);
    ermes__store_close(other);
    ermes__store_close(elsewhere);
    /* the teardown removes files, not directories: empty this one here */
    {
        char path[192];
        const char *files[] = {"ermes.db", "ermes.db-wal", "ermes.db-shm"};
        for (size_t k = 0; k < 3; k++) {
            snprintf(path, sizeof(path), "%s/%s", dir, files[k]);
            unlink(path);
        }
        rmdir(dir);
    }
}

/* A database from before migration 11 has a row per key in dedup_log: still read. */
static void test_old_log_rows_read(void **state)
{
    fixture_t *f = *state;
    ermes__db_t *db = ermes__db_conn(f->st);
    ermes__db_stmt_t *s;
    ermes__dedup_t *dd;
    uint8_t key[16];

    key_of(42, key);
    assert_int_equal(
        ermes__db_prepare(db, "INSERT INTO dedup_log (key, first_seen) VALUES (?1, ?2)", &s), 0);
    ermes__db_bind_blob(s, 1, key, 16);
    ermes__db_bind_int(s, 2, T0);
    assert_int_equal(ermes__db_step(s), 0);
    ermes__db_done(s);
    assert_int_equal(ermes__dedup_new(&dd), 0);
    assert_int_equal(seen(dd, f->st, 42, T0 + HOUR), 1);
    assert_int_equal(seen(dd, f->st, 43, T0 + HOUR), 0);
    /* pruning takes the old rows too */
    assert_int_equal(ermes__store_dedup_prune(f->st, T0 + 2 * HOUR), 0);
    assert_int_equal(count_rows(f->st, "dedup_log"), 0);
    ermes__dedup_free(dd);
}

static void test_prune(void **state)
{
    fixture_t *f = *state;
    ermes__dedup_t *dd;

    assert_int_equal(ermes__dedup_new(&dd), 0);
    assert_int_equal(seen(dd, f->st, 1, T0), 0);
    assert_int_equal(seen(dd, f->st, 2, T0 + 10 * HOUR), 0);
    assert_int_equal(ermes__store_dedup_prune(f->st, T0 + 5 * HOUR), 0);
    ermes__dedup_free(dd);
    /* a fresh set reads the log: 1 is gone with its row, 2 is still a duplicate */
    assert_int_equal(ermes__dedup_new(&dd), 0);
    assert_int_equal(seen(dd, f->st, 2, T0 + 11 * HOUR), 1);
    assert_int_equal(seen(dd, f->st, 1, T0 + 11 * HOUR), 0);
    /* pruning everything, or nothing, is fine */
    assert_int_equal(ermes__store_dedup_prune(f->st, T0 + 1000 * HOUR), 0);
    assert_int_equal(ermes__store_dedup_prune(f->st, T0 + 1000 * HOUR), 0);
    ermes__dedup_free(dd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_window_from_first_sighting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_processes_share_the_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_log_rows_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hash_keyed_per_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_forgets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_and_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
