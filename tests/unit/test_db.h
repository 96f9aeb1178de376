/* The store's tests run on both backends. Without ERMES_TEST_DATABASE_URL they open SQLite in
 * their data directory; with it (a postgresql:// URL of a server the test run started,
 * scripts/pg-test-server), each data directory gets a schema of its own in that server's
 * database (search_path set through the URL), made when the store is created and found again
 * when the same directory is opened again, so every test starts as empty as a new SQLite
 * file. */
#ifndef ERMES_TEST_DB_H
#define ERMES_TEST_DB_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/db.h"
#include "store/schema.h"
#include "store/store.h"

/* 1 when the tests run on PostgreSQL. */
static inline int test_db_postgresql(void)
{
    const char *u = getenv("ERMES_TEST_DATABASE_URL");
    return u && strncmp(u, "postgresql://", 13) == 0;
}

/* The URL of the schema of dir ("t_" and a hash of its path) into out; with create, the
 * schema is made (dropped first if a directory of the same name had one). */
static inline int test_db_url(const char *dir, int create, char *out, size_t n)
{
    const char *base = getenv("ERMES_TEST_DATABASE_URL"), *slash, *rest;
    unsigned long long h = 1469598103934665603ull;
    char name[40], q[128];
    PGconn *c;
    PGresult *r;
    int ok;

    for (const char *p = dir; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(name, sizeof(name), "t_%016llx", h);
    /* base is postgresql://USER@HOST/DB?PARAMS: the schema goes into options. */
    slash = strchr(base + 13, '/');
    if (!slash)
        return -1;
    rest = strchr(slash, '?');
    snprintf(out, n, "%s%coptions=-csearch_path%%3D%s", base, rest ? '&' : '?', name);
    if (!create)
        return 0;
    c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "test_db: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    snprintf(q, sizeof(q), "DROP SCHEMA IF EXISTS %s CASCADE", name);
    PQclear(PQexec(c, q));
    snprintf(q, sizeof(q), "CREATE SCHEMA %s", name);
    r = PQexec(c, q);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "test_db: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* ermes__store_open for tests: the same call, on the backend the test run chose. */
static inline int test_store_open(const char *dir, const ermes__store_options_t *opts,
                                  ermes__store_t **out)
{
    ermes__store_options_t o = *opts;
    char url[1024];

    if (!test_db_postgresql())
        return ermes__store_open(dir, &o, out);
    if (test_db_url(dir, o.create, url, sizeof(url)))
        return -1;
    o.database_url = url;
    return ermes__store_open(dir, &o, out);
}

/* On PostgreSQL, migrations 1 to 14 are one (schema.c): there is no older schema to migrate
 * from. What holds instead: the store is at the current version and migration v has nothing
 * left to do there. Returns 1 on PostgreSQL (the caller's SQLite history test ends). */
static inline int test_pg_history_folded(ermes__store_t *st, int v)
{
    int version = 0;

    if (!test_db_postgresql())
        return 0;
    assert_int_equal(ermes__store_schema_version(st, &version), 0);
    assert_int_equal(version, ermes__schema_count());
    assert_non_null(ermes__schema_migration(1, ERMES__SCHEMA_POSTGRESQL));
    assert_null(ermes__schema_migration(v, ERMES__SCHEMA_POSTGRESQL));
    assert_non_null(ermes__schema_migration(v, ERMES__SCHEMA_SQLITE));
    return 1;
}

/* SQLite: what migration 16 did, undone, for the tests that take a database back to an older
 * schema and migrate it again (run first, on the current schema). */
#define TEST_UNDO_MIGRATION_16                                                                     \
    "ALTER TABLE reports RENAME COLUMN lease_owner TO lease_pid;"                                  \
    "ALTER TABLE notifications RENAME COLUMN lease_owner TO lease_pid;"                            \
    "ALTER TABLE collectors RENAME COLUMN lease_owner TO lease_pid;"                               \
    "ALTER TABLE retrohunts DROP COLUMN lease_owner;"                                              \
    "ALTER TABLE retrohunts DROP COLUMN lease_until;"                                              \
    "DROP TABLE instances;"                                                                        \
    "DROP TABLE leases;"                                                                           \
    "DELETE FROM schema_version WHERE version = 16;"

/* The id of a daemon instance that ran on this machine under a process that has ended
 * (src/store/lease.c): whatever it held is taken at once. */
static inline int64_t test_gone_instance(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    pid_t pid = fork();
    int64_t id;

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    id = 4000000000000LL + (int64_t)pid; /* reaped: kill(pid, 0) fails with ESRCH */
    assert_non_null(db);
    assert_int_equal(ermes__db_prepare(db,
                                       "INSERT INTO instances (id, host, pid, started_at, seen_at,"
                                       " tlp, created_at, updated_at) VALUES (?1, ?2, ?3, 0, 0,"
                                       " 'AMBER', 0, 0) ON CONFLICT (id) DO NOTHING",
                                       &s),
                     0);
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, ermes__lease_host());
    ermes__db_bind_int(s, 3, (int64_t)pid);
    assert_int_equal(ermes__db_step(s), 0);
    ermes__db_done(s);
    return id;
}

#endif
