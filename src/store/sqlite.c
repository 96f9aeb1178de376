/* The SQLite backend of the database layer (db.h, db_int.h): a database file in the data
 * directory (or the path database_url names).
 *
 * One connection per thread, in WAL mode so readers never block the writer, with foreign keys
 * on and synchronous=FULL so an acknowledged write survives power loss and kill -9. This is
 * the only file in ermes that includes sqlite3.h. */
#include "store/db.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "store/db_int.h"
#include "store/event_doc.h"
#include "store/store.h"
#include "store/store_int.h"

typedef struct sqlite_db sqlite_db_t;

typedef struct sqlite_stmt {
    ermes__db_stmt_t base; /* first: db.c sees this */
    sqlite3_stmt *stmt;
} sqlite_stmt_t;

struct sqlite_db {
    ermes__db_t base; /* first: db.c sees this; its cache holds the statements */
    sqlite3 *handle;
};

#define DB(d) ((sqlite_db_t *)(d))
#define ST(s) ((sqlite_stmt_t *)(s))

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

static void sq_stmt_free(ermes__db_stmt_t *s)
{
    sqlite3_finalize(ST(s)->stmt);
    ermes__free(s);
}

static void sq_close(ermes__db_t *d)
{
    sqlite_db_t *db = DB(d);

    ermes__stmt_cache_clear(d, sq_stmt_free);
    ermes__db_cleanup_common(d);
    sqlite3_close_v2(db->handle);
    ermes__free(db);
}

static void configure_sqlite(void)
{
    /* Once per process, before SQLite starts: no memory statistics (ermes reads none), so no
     * global mutex around every allocation SQLite makes. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sq_open(ermes__store_t *st, ermes__db_t **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    sqlite_db_t *db = ermes__calloc(1, sizeof(*db));
    int rc;

    pthread_once(&once, configure_sqlite);
    if (!db)
        return ERMES_ENOMEM;
    ermes__db_init_common(&db->base, &ermes__db_sqlite, st);
    rc = sqlite3_open_v2(
        st->path, &db->handle,
        SQLITE_OPEN_READWRITE | (st->create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ermes__log(ERMES_LOG_ERROR, "cannot open database %s: %s", st->path,
                   db->handle ? sqlite3_errmsg(db->handle) : sqlite3_errstr(rc));
        sq_close(&db->base);
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
        ermes__log(ERMES_LOG_ERROR, "cannot set up database %s: %s", st->path,
                   sqlite3_errmsg(db->handle));
        sq_close(&db->base);
        return map_rc(rc) ? map_rc(rc) : ERMES_ESTORE;
    }
    *out = &db->base;
    return 0;
}

static int sq_prepare(ermes__db_t *d, const char *sql, ermes__db_stmt_t **out)
{
    sqlite_db_t *db = DB(d);
    ermes__db_stmt_t *found = ermes__stmt_cache_get(d, sql);
    sqlite3_stmt *stmt = NULL;
    sqlite_stmt_t *st;
    int rc;

    if (found) {
        *out = found;
        return 0;
    }
    st = ermes__calloc(1, sizeof(*st));
    if (!st)
        return ERMES_ENOMEM;
    rc = sqlite3_prepare_v3(db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK) {
        ermes__log(ERMES_LOG_ERROR, "cannot prepare SQL: %s", sqlite3_errmsg(db->handle));
        ermes__free(st);
        return map_rc(rc) ? map_rc(rc) : ERMES_ESTORE;
    }
    st->stmt = stmt;
    st->base.be = &ermes__db_sqlite;
    st->base.db = d;
    if ((rc = ermes__stmt_cache_put(d, sql, &st->base))) {
        sqlite3_finalize(stmt);
        ermes__free(st);
        return rc;
    }
    *out = &st->base;
    return 0;
}

static int sq_bind_int(ermes__db_stmt_t *s, int idx, int64_t v)
{
    return map_rc(sqlite3_bind_int64(ST(s)->stmt, idx, v));
}

static int sq_bind_textn(ermes__db_stmt_t *s, int idx, const char *text, size_t len)
{
    return map_rc(sqlite3_bind_text64(ST(s)->stmt, idx, text, len, SQLITE_TRANSIENT, SQLITE_UTF8));
}

static int sq_bind_blob(ermes__db_stmt_t *s, int idx, const void *p, size_t len)
{
    return map_rc(sqlite3_bind_blob64(ST(s)->stmt, idx, p, len, SQLITE_TRANSIENT));
}

static int sq_bind_null(ermes__db_stmt_t *s, int idx)
{
    return map_rc(sqlite3_bind_null(ST(s)->stmt, idx));
}

static int sq_step(ermes__db_stmt_t *s)
{
    sqlite3 *h = DB(s->db)->handle;
    int rc = sqlite3_step(ST(s)->stmt);

    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    rc = sqlite3_extended_errcode(h);
    if ((rc & 0xff) != SQLITE_CONSTRAINT)
        ermes__log(ERMES_LOG_ERROR, "database: %s", sqlite3_errmsg(h));
    return map_rc(rc) ? map_rc(rc) : ERMES_ESTORE;
}

static int64_t sq_col_int(ermes__db_stmt_t *s, int col)
{
    return sqlite3_column_int64(ST(s)->stmt, col);
}

static const char *sq_col_text(ermes__db_stmt_t *s, int col)
{
    return (const char *)sqlite3_column_text(ST(s)->stmt, col);
}

static const void *sq_col_blob(ermes__db_stmt_t *s, int col, size_t *len)
{
    const void *p = sqlite3_column_blob(ST(s)->stmt, col);

    *len = (size_t)sqlite3_column_bytes(ST(s)->stmt, col);
    return p;
}

static int sq_col_null(ermes__db_stmt_t *s, int col)
{
    return sqlite3_column_type(ST(s)->stmt, col) == SQLITE_NULL;
}

static int64_t sq_changes(ermes__db_t *db)
{
    return sqlite3_changes64(DB(db)->handle);
}

static void sq_done(ermes__db_stmt_t *s)
{
    sqlite3_reset(ST(s)->stmt);
    sqlite3_clear_bindings(ST(s)->stmt);
}

/* "ALTER TABLE T ADD COLUMN IF NOT EXISTS C ..." is PostgreSQL's; SQLite has no IF NOT EXISTS
 * there, and a migration must be able to run again (the tests roll the schema back). At sql
 * (after blanks): 1 when it is such a statement, with the table, the column and the statement
 * without "IF NOT EXISTS" in out, and *end past its ';'. Names are plain identifiers. */
static int add_column_if(const char *sql, char *table, char *column, char *out, size_t cap,
                         const char **end)
{
    static const char a[] = "ALTER TABLE ", b[] = " ADD COLUMN IF NOT EXISTS ";
    const char *semi = strchr(sql, ';'), *t = sql + sizeof(a) - 1, *c;
    size_t tn = 0, cn = 0, len = semi ? (size_t)(semi - sql) : strlen(sql);

    if (strncasecmp(sql, a, sizeof(a) - 1) != 0)
        return 0;
    while (t[tn] == '_' || isalnum((unsigned char)t[tn]))
        tn++;
    if (!tn || tn >= 64 || strncasecmp(t + tn, b, sizeof(b) - 1) != 0)
        return 0;
    c = t + tn + sizeof(b) - 1;
    while (c[cn] == '_' || isalnum((unsigned char)c[cn]))
        cn++;
    if (!cn || cn >= 64 || (size_t)(c - sql) + cn > len)
        return 0;
    memcpy(table, t, tn);
    table[tn] = 0;
    memcpy(column, c, cn);
    column[cn] = 0;
    if (snprintf(out, cap, "ALTER TABLE %s ADD COLUMN %.*s", table, (int)(len - (size_t)(c - sql)),
                 c) >= (int)cap)
        return 0;
    *end = semi ? semi + 1 : sql + len;
    return 1;
}

static int sq_exec_one(sqlite3 *h, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &err);

    if (rc != SQLITE_OK) {
        ermes__log(ERMES_LOG_ERROR, "database: %s", err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        rc = map_rc(sqlite3_extended_errcode(h));
        return rc ? rc : ERMES_ESTORE;
    }
    return 0;
}

static int sq_scrub(ermes__db_t *db, int after)
{
    sqlite3 *h = DB(db)->handle;

    if (!after)
        return sq_exec_one(h, "PRAGMA secure_delete = ON");
    /* The checkpoint copies the zeroed pages into the database file and empties the WAL,
     * where the old pages were. */
    int rc = sq_exec_one(h, "PRAGMA wal_checkpoint(TRUNCATE)");
    int rc2 = sq_exec_one(h, "PRAGMA secure_delete = OFF");
    return rc ? rc : rc2;
}

static int sq_exec(ermes__db_t *db, const char *sql)
{
    sqlite3 *h = DB(db)->handle;
    const char *p = sql, *found;
    int rc;

    /* The statements up to an ADD COLUMN IF NOT EXISTS (written in capitals, as the
     * migrations are) run as they are; that one runs only when the column is not there yet. */
    while ((found = strstr(p, " ADD COLUMN IF NOT EXISTS ")) != NULL) {
        const char *start = found, *end;
        char table[64], column[64], stmt[1024], *head;
        sqlite3_stmt *q;
        int have = 0;

        while (start > p && start[-1] != ';')
            start--;
        while (start < found && isspace((unsigned char)*start))
            start++;
        if (!add_column_if(start, table, column, stmt, sizeof(stmt), &end))
            break; /* not one of ours: SQLite says what is wrong with it */
        if (start > p) {
            if (!(head = sqlite3_mprintf("%.*s", (int)(start - p), p)))
                return ERMES_ENOMEM;
            rc = sq_exec_one(h, head);
            sqlite3_free(head);
            if (rc)
                return rc;
        }
        if (sqlite3_prepare_v2(h, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &q,
                               NULL) != SQLITE_OK)
            return ERMES_ESTORE;
        sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, column, -1, SQLITE_STATIC);
        have = sqlite3_step(q) == SQLITE_ROW;
        sqlite3_finalize(q);
        if (!have && (rc = sq_exec_one(h, stmt)))
            return rc;
        p = end;
    }
    return *p ? sq_exec_one(h, p) : 0;
}

static int sq_begin(ermes__db_t *db, int write)
{
    /* IMMEDIATE takes the write lock at once, so a transaction never fails half-way on lock
     * upgrade. */
    return sq_exec(db, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

static int sq_commit(ermes__db_t *db)
{
    return sq_exec(db, "COMMIT");
}

static void sq_rollback(ermes__db_t *db)
{
    if (!sqlite3_get_autocommit(DB(db)->handle))
        sqlite3_exec(DB(db)->handle, "ROLLBACK", NULL, NULL, NULL);
}

static const char *sq_errmsg(ermes__db_t *db)
{
    return sqlite3_errmsg(DB(db)->handle);
}

static int sq_durable(ermes__db_t *db, int each_commit)
{
    return sq_exec(db, each_commit ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

static int sq_foreign_keys(ermes__db_t *db, int on)
{
    return sq_exec(db, on ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
}

const ermes__db_backend_t ermes__db_sqlite = {
    .name = "sqlite",
    .kind = ERMES__DB_SQLITE,
    .open = sq_open,
    .close = sq_close,
    .prepare = sq_prepare,
    .bind_int = sq_bind_int,
    .bind_textn = sq_bind_textn,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .col_int = sq_col_int,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .col_null = sq_col_null,
    .changes = sq_changes,
    .done = sq_done,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .errmsg = sq_errmsg,
    .durable = sq_durable,
    .foreign_keys = sq_foreign_keys,
    .scrub = sq_scrub,
};
