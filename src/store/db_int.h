/* What the database backends share: the part of a connection and of a statement that db.c
 * (the backend-neutral layer: per-thread connections, transactions, migrations) reads, and the
 * table of calls each backend implements.
 *
 * A backend's connection and statement structs begin with ermes__db / ermes__db_stmt, so db.c
 * works on either through these headers and calls the backend through `be`. Only sqlite.c
 * includes sqlite3.h and only pg.c includes libpq-fe.h. */
#ifndef ERMES_STORE_DB_INT_H
#define ERMES_STORE_DB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "store/db.h"

typedef struct ermes__db_backend ermes__db_backend_t;

/* A connection's prepared statements, found by the address of their SQL literal (open
 * addressing; a statement lives in its own allocation, so callers may hold it while the table
 * grows). */
typedef struct ermes__stmt_slot {
    const char *sql;
    struct ermes__db_stmt *st;
} ermes__stmt_slot_t;

struct ermes__db {
    const ermes__db_backend_t *be;
    struct ermes__store *store;
    int in_tx;
    ermes__stmt_slot_t *stmts;
    size_t nstmts, capstmts;
    ermes__strbuf_t scratch;              /* what a query file builds per row (a packed event) */
    struct ermes__event_ips *event_ips;   /* address index entries to write at commit */
    const char *ids_table;                /* ids reserved for it in this transaction: */
    int64_t ids_next, ids_end, ids_block; /* [ids_next, ids_end), the next block's size */
    int64_t ids_used;                     /* ids handed out in this transaction */
    int64_t ids_hint;                     /* how many the last transaction used */
    char **kept;                          /* statements' texts made at run time (db.h) */
    size_t nkept, capkept;
    ermes__db_t *next; /* the store's list of connections */
};

struct ermes__db_stmt {
    const ermes__db_backend_t *be;
    ermes__db_t *db;
};

/* The backend kinds; ERMES__SCHEMA_* in schema.h picks a migration's text by the same number. */
enum { ERMES__DB_SQLITE = 0, ERMES__DB_POSTGRESQL = 1 };

struct ermes__db_backend {
    const char *name;
    int kind;
    /* Opens a connection for the calling thread (db->be, db->store set by the backend). */
    int (*open)(struct ermes__store *st, ermes__db_t **out);
    void (*close)(ermes__db_t *db);
    int (*prepare)(ermes__db_t *db, const char *sql, ermes__db_stmt_t **out);
    int (*bind_int)(ermes__db_stmt_t *s, int idx, int64_t v);
    int (*bind_textn)(ermes__db_stmt_t *s, int idx, const char *text, size_t len);
    int (*bind_blob)(ermes__db_stmt_t *s, int idx, const void *p, size_t len);
    int (*bind_null)(ermes__db_stmt_t *s, int idx);
    int (*step)(ermes__db_stmt_t *s);
    int64_t (*col_int)(ermes__db_stmt_t *s, int col);
    const char *(*col_text)(ermes__db_stmt_t *s, int col);
    const void *(*col_blob)(ermes__db_stmt_t *s, int col, size_t *len);
    int (*col_null)(ermes__db_stmt_t *s, int col);
    int64_t (*changes)(ermes__db_t *db);
    void (*done)(ermes__db_stmt_t *s);
    int (*exec)(ermes__db_t *db, const char *sql);
    /* Starts a transaction; write = 1 takes the store's single write lock at once. */
    int (*begin)(ermes__db_t *db, int write);
    int (*commit)(ermes__db_t *db);
    /* Rolls back whatever is open (nothing open: nothing happens). */
    void (*rollback)(ermes__db_t *db);
    const char *(*errmsg)(ermes__db_t *db);
    /* Whether commits wait for the disk (1) or not (0). */
    int (*durable)(ermes__db_t *db, int each_commit);
    /* Foreign key checks on or off (outside a transaction); a backend that cannot turn them
     * off keeps them on and says 0. */
    int (*foreign_keys)(ermes__db_t *db, int on);
    /* Bulk loading (db.h); NULL: db.c runs def->insert_sql for each row. */
    int (*bulk_row)(ermes__db_t *db, const ermes__db_bulk_def_t *def, ermes__db_stmt_t **row);
    int (*bulk_add)(ermes__db_stmt_t *row);
    int (*bulk_flush)(ermes__db_t *db);
    /* NULL: the backend gives ids through RETURNING only. */
    int (*reserve_ids)(ermes__db_t *db, const char *table, int64_t n, int64_t *first);
    /* Gives back the reserved ids past last (the last one used), before the commit. */
    int (*unreserve_ids)(ermes__db_t *db, const char *table, int64_t last);
    /* Around a change that must leave no copy of the old values in the files (ermes__db_scrub,
     * db.h); NULL: the backend cannot. */
    int (*scrub)(ermes__db_t *db, int after);
};

/* pg.c's listener (store.h: ermes__store_listen). */
typedef struct ermes__pg_listener ermes__pg_listener_t;
int ermes__pg_listen(const char *url, ermes__pg_listener_t **out);
int ermes__pg_listen_wait(ermes__pg_listener_t *l, int timeout_ms, int *changed);
void ermes__pg_listen_close(ermes__pg_listener_t *l);

extern const ermes__db_backend_t ermes__db_sqlite;
extern const ermes__db_backend_t ermes__db_postgresql;

/* Backend kind of a store (ERMES__DB_SQLITE or ERMES__DB_POSTGRESQL). */
int ermes__db_kind(ermes__db_t *db);

/* The common part of a new connection: called by a backend's open before anything else. */
void ermes__db_init_common(ermes__db_t *db, const ermes__db_backend_t *be, struct ermes__store *st);
/* Frees what ermes__db_init_common made. */
void ermes__db_cleanup_common(ermes__db_t *db);

/* The statement of sql in db's cache, or NULL when it has none yet. */
ermes__db_stmt_t *ermes__stmt_cache_get(ermes__db_t *db, const char *sql);
/* Keeps st (owned by the cache from now on) under sql, which it has no statement for yet. */
int ermes__stmt_cache_put(ermes__db_t *db, const char *sql, ermes__db_stmt_t *st);
/* Gives each cached statement to free_cb and empties the cache. */
void ermes__stmt_cache_clear(ermes__db_t *db, void (*free_cb)(ermes__db_stmt_t *st));

#endif
