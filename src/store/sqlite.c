/* The SQLite backend of the database layer (db.h), and the store's open/close.
 *
 * One connection per thread, in WAL mode so readers never block the writer, with foreign keys
 * on and synchronous=FULL so an acknowledged write survives power loss and kill -9. This is
 * the only file in ermes that includes sqlite3.h. */
#include "store/db.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "store/schema.h"
#include "store/event_doc.h"
#include "store/store.h"
#include "store/store_int.h"

struct ermes_db_stmt {
    sqlite3_stmt *stmt;
    ermes_db_t *db;
};

/* A statement lives in its own allocation: callers hold its address while they prepare others
 * (a nested query), and growing the table must not move it. */
typedef struct cached_stmt {
    const char *sql; /* key: the literal's address */
    ermes_db_stmt_t *st;
} cached_stmt_t;

struct ermes_db {
    sqlite3 *handle;
    ermes_store_t *store;
    cached_stmt_t *cache;
    size_t ncache, capcache;
    int in_tx;
    ermes_strbuf_t scratch;             /* what a query file builds per row (a packed event) */
    struct ermes__event_ips *event_ips; /* address index entries to write at commit */
    ermes_db_t *next;                   /* the store's list of connections */
};

/* Maps SQLite's result code to ours. */
static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
        return 0;
    case SQLITE_ROW:
        return 1;
    case SQLITE_NOMEM:
        return ERMES_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return ERMES_EBUSY;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return ERMES_EEXISTS;
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
            return ERMES_ECONFLICT;
        return ERMES_EINVAL;
    case SQLITE_TOOBIG:
        return ERMES_ETOOBIG;
    default:
        return ERMES_ESTORE;
    }
}

static void close_conn(ermes_db_t *db)
{
    for (size_t k = 0; k < db->capcache; k++)
        if (db->cache[k].sql) {
            sqlite3_finalize(db->cache[k].st->stmt);
            ermes__free(db->cache[k].st);
        }
    ermes__free(db->cache);
    ermes__strbuf_cleanup(&db->scratch);
    ermes__event_ips_free(db->event_ips);
    sqlite3_close_v2(db->handle);
    ermes__free(db);
}

/* Thread exit: the thread's connection is closed and forgotten. */
static void conn_destructor(void *p)
{
    ermes_db_t *db = p, **pp;
    ermes_store_t *st = db->store;

    pthread_mutex_lock(&st->lock);
    for (pp = &st->conns; *pp; pp = &(*pp)->next)
        if (*pp == db) {
            *pp = db->next;
            break;
        }
    pthread_mutex_unlock(&st->lock);
    close_conn(db);
}

static int open_conn(ermes_store_t *st, ermes_db_t **out)
{
    ermes_db_t *db = ermes__calloc(1, sizeof(*db));
    int rc;

    if (!db)
        return ERMES_ENOMEM;
    db->store = st;
    ermes__strbuf_init(&db->scratch, 256u << 20);
    rc = sqlite3_open_v2(
        st->path, &db->handle,
        SQLITE_OPEN_READWRITE | (st->create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ermes_log(ERMES_LOG_ERROR, "cannot open database %s: %s", st->path,
                  db->handle ? sqlite3_errmsg(db->handle) : sqlite3_errstr(rc));
        close_conn(db);
        return rc == SQLITE_CANTOPEN ? ERMES_EIO : ERMES_ESTORE;
    }
    sqlite3_extended_result_codes(db->handle, 1);
    sqlite3_busy_timeout(db->handle, (int)st->busy_timeout_ms);
    /* 16 KiB pages (a new database only: an existing one keeps its own): an intake writes
     * events and their index entries in order, and bigger pages mean fewer page splits,
     * fewer B-tree levels and fewer WAL frames: 14 % less CPU per event stored than 4 KiB
     * (bench/ingest-vs-sqlite.sh). WAL: readers do not block the writer. synchronous=FULL:
     * a commit is on disk before it is acknowledged, which the "nothing lost" promise
     * needs. */
    rc = sqlite3_exec(db->handle,
                      "PRAGMA page_size=16384;"
                      "PRAGMA journal_mode=WAL;"
                      "PRAGMA synchronous=FULL;"
                      "PRAGMA foreign_keys=ON;"
                      "PRAGMA temp_store=MEMORY;",
                      NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        /* The default 2 MiB cache makes a batch of intake rows spill dirty index pages and
         * read them back; a larger one is only memory when pages are used. Checkpoints every
         * 32 MiB of WAL instead of 1000 pages: a page rewritten by several batches is copied
         * back to the database once. */
        char q[96];
        sqlite3_stmt *ps = NULL;
        long page = 4096;
        if (sqlite3_prepare_v2(db->handle, "PRAGMA page_size", -1, &ps, NULL) == SQLITE_OK &&
            sqlite3_step(ps) == SQLITE_ROW && sqlite3_column_int(ps, 0) >= 512)
            page = sqlite3_column_int(ps, 0);
        sqlite3_finalize(ps);
        snprintf(q, sizeof(q), "PRAGMA cache_size=%ld; PRAGMA wal_autocheckpoint=%ld;",
                 -st->cache_mb * 1024, (32L << 20) / page);
        rc = sqlite3_exec(db->handle, q, NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        ermes_log(ERMES_LOG_ERROR, "cannot set up database %s: %s", st->path,
                  sqlite3_errmsg(db->handle));
        close_conn(db);
        return map_rc(rc) ? map_rc(rc) : ERMES_ESTORE;
    }
    *out = db;
    return 0;
}

ermes_db_t *ermes__db_conn(ermes_store_t *st)
{
    ermes_db_t *db = pthread_getspecific(st->key);

    if (db)
        return db;
    if (open_conn(st, &db))
        return NULL;
    if (pthread_setspecific(st->key, db)) {
        close_conn(db);
        return NULL;
    }
    pthread_mutex_lock(&st->lock);
    db->next = st->conns;
    st->conns = db;
    pthread_mutex_unlock(&st->lock);
    return db;
}

static size_t slot_of(const char *sql, size_t cap)
{
    uintptr_t h = (uintptr_t)sql;

    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & (cap - 1);
}

int ermes__db_prepare(ermes_db_t *db, const char *sql, ermes_db_stmt_t **out)
{
    size_t k;
    int rc;

    if (db->capcache == 0 || db->ncache * 2 >= db->capcache) {
        size_t cap = db->capcache ? db->capcache * 2 : 64;
        cached_stmt_t *c = ermes__calloc(cap, sizeof(*c));
        if (!c)
            return ERMES_ENOMEM;
        for (size_t j = 0; j < db->capcache; j++) {
            if (!db->cache[j].sql)
                continue;
            k = slot_of(db->cache[j].sql, cap);
            while (c[k].sql)
                k = (k + 1) & (cap - 1);
            c[k] = db->cache[j];
        }
        ermes__free(db->cache);
        db->cache = c;
        db->capcache = cap;
    }
    k = slot_of(sql, db->capcache);
    while (db->cache[k].sql && db->cache[k].sql != sql)
        k = (k + 1) & (db->capcache - 1);
    if (!db->cache[k].sql) {
        sqlite3_stmt *stmt = NULL;
        ermes_db_stmt_t *st = ermes__calloc(1, sizeof(*st));
        if (!st)
            return ERMES_ENOMEM;
        rc = sqlite3_prepare_v3(db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
        if (rc != SQLITE_OK) {
            ermes_log(ERMES_LOG_ERROR, "cannot prepare SQL: %s", sqlite3_errmsg(db->handle));
            ermes__free(st);
            return map_rc(rc) ? map_rc(rc) : ERMES_ESTORE;
        }
        st->stmt = stmt;
        st->db = db;
        db->cache[k].sql = sql;
        db->cache[k].st = st;
        db->ncache++;
    }
    *out = db->cache[k].st;
    return 0;
}

int ermes__db_bind_int(ermes_db_stmt_t *s, int idx, int64_t v)
{
    return map_rc(sqlite3_bind_int64(s->stmt, idx, v));
}

int ermes__db_bind_text(ermes_db_stmt_t *s, int idx, const char *text)
{
    if (!text)
        return map_rc(sqlite3_bind_null(s->stmt, idx));
    return map_rc(sqlite3_bind_text(s->stmt, idx, text, -1, SQLITE_TRANSIENT));
}

int ermes__db_bind_textn(ermes_db_stmt_t *s, int idx, const char *text, size_t len)
{
    if (!text)
        return map_rc(sqlite3_bind_null(s->stmt, idx));
    return map_rc(sqlite3_bind_text64(s->stmt, idx, text, len, SQLITE_TRANSIENT, SQLITE_UTF8));
}

int ermes__db_bind_blob(ermes_db_stmt_t *s, int idx, const void *p, size_t len)
{
    return map_rc(sqlite3_bind_blob64(s->stmt, idx, p, len, SQLITE_TRANSIENT));
}

int ermes__db_bind_null(ermes_db_stmt_t *s, int idx)
{
    return map_rc(sqlite3_bind_null(s->stmt, idx));
}

int ermes__db_step(ermes_db_stmt_t *s)
{
    int rc = sqlite3_step(s->stmt);

    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    rc = sqlite3_extended_errcode(s->db->handle);
    if ((rc & 0xff) != SQLITE_CONSTRAINT)
        ermes_log(ERMES_LOG_ERROR, "database: %s", sqlite3_errmsg(s->db->handle));
    return map_rc(rc) ? map_rc(rc) : ERMES_ESTORE;
}

int64_t ermes__db_col_int(ermes_db_stmt_t *s, int col)
{
    return sqlite3_column_int64(s->stmt, col);
}

const char *ermes__db_col_text(ermes_db_stmt_t *s, int col)
{
    return (const char *)sqlite3_column_text(s->stmt, col);
}

const void *ermes__db_col_blob(ermes_db_stmt_t *s, int col, size_t *len)
{
    const void *p = sqlite3_column_blob(s->stmt, col);

    *len = (size_t)sqlite3_column_bytes(s->stmt, col);
    return p;
}

int ermes__db_col_null(ermes_db_stmt_t *s, int col)
{
    return sqlite3_column_type(s->stmt, col) == SQLITE_NULL;
}

int64_t ermes__db_last_rowid(ermes_db_t *db)
{
    return sqlite3_last_insert_rowid(db->handle);
}

void ermes__db_done(ermes_db_stmt_t *s)
{
    if (!s)
        return;
    sqlite3_reset(s->stmt);
    sqlite3_clear_bindings(s->stmt);
}

int ermes__db_exec(ermes_db_t *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db->handle, sql, NULL, NULL, &err);

    if (rc != SQLITE_OK) {
        ermes_log(ERMES_LOG_ERROR, "database: %s", err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        rc = map_rc(sqlite3_extended_errcode(db->handle));
        return rc ? rc : ERMES_ESTORE;
    }
    return 0;
}

int ermes__db_begin(ermes_db_t *db, int write)
{
    int rc;

    if (db->in_tx)
        return ERMES_EINVAL;
    rc = ermes__db_exec(db, write ? "BEGIN IMMEDIATE" : "BEGIN");
    if (rc == 0)
        db->in_tx = 1;
    return rc;
}

int ermes__db_commit(ermes_db_t *db)
{
    int rc = ermes__event_ips_flush(db);

    if (rc == 0)
        rc = ermes__db_exec(db, "COMMIT");

    if (rc == 0) {
        db->in_tx = 0;
        ermes__event_names_end(db->store->names, db, ERMES__NAMES_COMMIT);
    }
    return rc;
}

void ermes__db_rollback(ermes_db_t *db)
{
    /* Before the lock goes: once it does, another process may give the numbers this
     * transaction inserted to other names. */
    ermes__event_names_end(db->store->names, db, ERMES__NAMES_ROLLBACK);
    ermes__event_ips_clear(db);
    if (!sqlite3_get_autocommit(db->handle))
        sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
    db->in_tx = 0;
}

ermes_strbuf_t *ermes__db_scratch(ermes_db_t *db)
{
    return &db->scratch;
}

struct ermes__event_ips **ermes__db_event_ips(ermes_db_t *db)
{
    return &db->event_ips;
}

int ermes__db_in_tx(ermes_db_t *db)
{
    return db->in_tx;
}

const char *ermes__db_errmsg(ermes_db_t *db)
{
    return sqlite3_errmsg(db->handle);
}

/* Applies the migrations the database lacks, each in a transaction with its version row. */
static int migrate(ermes_db_t *db)
{
    ermes_db_stmt_t *s;
    int rc, have = 0;

    rc = ermes__db_exec(db, "CREATE TABLE IF NOT EXISTS schema_version ("
                            " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    if (rc)
        return rc;
    if ((rc = ermes__db_prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &s)))
        return rc;
    if (ermes__db_step(s) == 1)
        have = (int)ermes__db_col_int(s, 0);
    ermes__db_done(s);
    if (have > ermes__schema_count()) {
        ermes_log(ERMES_LOG_ERROR,
                  "the database has schema version %d, newer than this ermes knows (%d)", have,
                  ermes__schema_count());
        return ERMES_EUNSUPPORTED;
    }
    for (int v = have + 1; v <= ermes__schema_count(); v++) {
        if ((rc = ermes__db_begin(db, 1)))
            return rc;
        rc = ermes__db_exec(db, ermes__schema_migration(v));
        if (!rc)
            rc = ermes__db_prepare(db, "INSERT INTO schema_version VALUES (?, ?)", &s);
        if (!rc) {
            ermes__db_bind_int(s, 1, v);
            ermes__db_bind_int(s, 2, ermes__time_now_ms());
            rc = ermes__db_step(s);
            ermes__db_done(s);
        }
        if (!rc)
            rc = ermes__db_commit(db);
        if (rc) {
            ermes__db_rollback(db);
            return rc;
        }
        ermes_log(ERMES_LOG_INFO, "database migrated to schema version %d", v);
    }
    return 0;
}

/* Once per process, before SQLite starts: no memory statistics (ermes reads none), so no
 * global mutex around every allocation SQLite makes. */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int ermes_store_open(const char *data_dir, const ermes_store_options_t *opts, ermes_store_t **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    ermes_store_t *st;
    ermes_db_t *db;
    size_t n;
    int rc;

    pthread_once(&once, configure_sqlite);
    st = ermes__calloc(1, sizeof(*st));
    if (!st)
        return ERMES_ENOMEM;
    st->busy_timeout_ms = opts && opts->busy_timeout_ms ? opts->busy_timeout_ms : 10000;
    st->cache_mb = opts && opts->cache_mb > 0 ? opts->cache_mb : 32;
    st->create = opts ? opts->create : 0;
    pthread_mutex_init(&st->lock, NULL);
    if (ermes__event_names_new(&st->names)) {
        pthread_mutex_destroy(&st->lock);
        ermes__free(st);
        return ERMES_ENOMEM;
    }
    if (pthread_key_create(&st->key, conn_destructor)) {
        ermes__event_names_free(st->names);
        pthread_mutex_destroy(&st->lock);
        ermes__free(st);
        return ERMES_ENOMEM;
    }
    st->key_made = 1;
    if (st->create && mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
        ermes_log(ERMES_LOG_ERROR, "cannot create data directory %s: %s", data_dir,
                  strerror(errno));
        rc = ERMES_EIO;
        goto fail;
    }
    n = strlen(data_dir) + sizeof("/ermes.db");
    st->path = ermes__malloc(n);
    if (!st->path) {
        rc = ERMES_ENOMEM;
        goto fail;
    }
    snprintf(st->path, n, "%s/ermes.db", data_dir);
    db = ermes__db_conn(st);
    if (!db) {
        rc = ERMES_EIO;
        goto fail;
    }
    rc = migrate(db);
    if (rc)
        goto fail;
    *out = st;
    return 0;
fail:
    ermes_store_close(st);
    return rc;
}

void ermes_store_close(ermes_store_t *st)
{
    ermes_db_t *db, *next;

    if (!st)
        return;
    /* Connections of threads that are still alive are closed here; their thread-specific
     * slot is dropped with the key. The calling thread's slot is cleared first so its
     * destructor does not run on a freed connection. */
    if (st->key_made) {
        pthread_setspecific(st->key, NULL);
        pthread_key_delete(st->key);
    }
    for (db = st->conns; db; db = next) {
        next = db->next;
        close_conn(db);
    }
    pthread_mutex_destroy(&st->lock);
    ermes__event_names_free(st->names);
    ermes__free(st->path);
    ermes__free(st);
}

int ermes_store_schema_version(ermes_store_t *st, int *out)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &s)))
        return rc;
    rc = ermes__db_step(s);
    if (rc == 1) {
        *out = (int)ermes__db_col_int(s, 0);
        rc = 0;
    }
    ermes__db_done(s);
    return rc;
}

int ermes_store_begin(ermes_store_t *st)
{
    ermes_db_t *db = ermes__db_conn(st);

    return db ? ermes__db_begin(db, 1) : ERMES_ESTORE;
}

int ermes_store_commit(ermes_store_t *st)
{
    ermes_db_t *db = ermes__db_conn(st);

    return db ? ermes__db_commit(db) : ERMES_ESTORE;
}

void ermes_store_rollback(ermes_store_t *st)
{
    ermes_db_t *db = ermes__db_conn(st);

    if (db)
        ermes__db_rollback(db);
}

int ermes_store_durable(ermes_store_t *st, int each_commit)
{
    ermes_db_t *db = ermes__db_conn(st);

    if (!db)
        return ERMES_ESTORE;
    return ermes__db_exec(db,
                          each_commit ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

int ermes_store_foreign_keys(ermes_store_t *st, int on)
{
    ermes_db_t *db = ermes__db_conn(st);

    if (!db)
        return ERMES_ESTORE;
    if (db->in_tx)
        return ERMES_EINVAL; /* SQLite ignores it inside a transaction */
    return ermes__db_exec(db, on ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
}

int ermes_store_savepoint(ermes_store_t *st)
{
    ermes_db_t *db = ermes__db_conn(st);
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Entries pending before the savepoint are written now: a rollback to it drops only
     * those after it. */
    if ((rc = ermes__event_ips_flush(db)))
        return rc;
    return ermes__db_exec(db, "SAVEPOINT ermes_row");
}

int ermes_store_release(ermes_store_t *st)
{
    ermes_db_t *db = ermes__db_conn(st);

    return db ? ermes__db_exec(db, "RELEASE ermes_row") : ERMES_ESTORE;
}

void ermes_store_rollback_to(ermes_store_t *st)
{
    ermes_db_t *db = ermes__db_conn(st);

    if (db) {
        ermes__event_names_end(st->names, db, ERMES__NAMES_SAVEPOINT);
        ermes__event_ips_clear(db);
        ermes__db_exec(db, "ROLLBACK TO ermes_row; RELEASE ermes_row");
    }
}
