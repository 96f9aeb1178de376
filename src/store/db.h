/* The database layer under the store: connections, statements, transactions, migrations.
 *
 * This header is all the store's query files (orgs.c, users.c, audit.c...) see of the
 * database. db.c sends each call to the backend the store was opened with: sqlite.c (SQLite,
 * the default) or pg.c (PostgreSQL through libpq, for a postgresql:// database_url), so the
 * query files and everything above the store are the same on both. Rules for the SQL in query
 * files, so it stays portable: '?' placeholders, INTEGER ids, times as INTEGER milliseconds since
 * the epoch, TEXT for strings, BLOB for binary, RETURNING for generated ids, ON CONFLICT for
 * upserts, WITH RECURSIVE for trees, an alias for every subquery in FROM, no CROSS JOIN without ON
 * (pg.c reads "CROSS JOIN ... ON", SQLite's join-order hint, as JOIN), COLLATE NOCASE or "binary"
 * only (both backends have them), no LIKE on a NOCASE column (PostgreSQL refuses it: COLLATE
 * "binary" first).
 *
 * Connections are per thread: ermes__db_conn() returns the calling thread's connection to the
 * store, opening it on first use. Statements are prepared once per connection and cached by the
 * address of their SQL text, which must therefore be a string literal. */
#ifndef ERMES_STORE_DB_H
#define ERMES_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"

typedef struct ermes__db ermes__db_t;
typedef struct ermes__db_stmt ermes__db_stmt_t;
struct ermes__store;

/* The calling thread's connection (NULL on failure; the reason is logged). */
ermes__db_t *ermes__db_conn(struct ermes__store *st);

/* A cached prepared statement, reset and unbound. sql must be a string literal. */
int ermes__db_prepare(ermes__db_t *db, const char *sql, ermes__db_stmt_t **out);

/* A statement text made at run time (a table's columns, say), for ermes__db_prepare: the
 * connection takes sql (owned from now on, freed when the connection closes), so its address
 * stays the cache's key for as long as the statement is. Returns sql, or NULL (sql freed) when
 * there is no memory. For the rare callers that cannot use a literal: each call keeps one more
 * string. */
const char *ermes__db_keep_sql(ermes__db_t *db, char *sql);

/* Binding: idx is 1-based. text may be NULL (binds NULL). Text is copied. */
int ermes__db_bind_int(ermes__db_stmt_t *s, int idx, int64_t v);
int ermes__db_bind_text(ermes__db_stmt_t *s, int idx, const char *text);
int ermes__db_bind_textn(ermes__db_stmt_t *s, int idx, const char *text, size_t len);
int ermes__db_bind_blob(ermes__db_stmt_t *s, int idx, const void *p, size_t len);
int ermes__db_bind_null(ermes__db_stmt_t *s, int idx);

/* 1: a row is ready; 0: done; <0: ERMES_EEXISTS on a unique violation, ERMES_ECONFLICT on a
 * foreign key violation, ERMES_EBUSY, ERMES_ESTORE. */
int ermes__db_step(ermes__db_stmt_t *s);

/* Columns of the current row (0-based). Text and blob pointers are valid until the next step
 * or reset. A NULL text column is NULL. */
int64_t ermes__db_col_int(ermes__db_stmt_t *s, int col);
const char *ermes__db_col_text(ermes__db_stmt_t *s, int col);
const void *ermes__db_col_blob(ermes__db_stmt_t *s, int col, size_t *len);
int ermes__db_col_null(ermes__db_stmt_t *s, int col);
/* Rows the connection's last INSERT, UPDATE or DELETE changed. */
int64_t ermes__db_changes(ermes__db_t *db);

/* Ends use of a statement (keeps it cached). Always call before the statement is prepared
 * again or the transaction ends. */
void ermes__db_done(ermes__db_stmt_t *s);

/* Runs SQL without results (one or more statements, no parameters). */
int ermes__db_exec(ermes__db_t *db, const char *sql);
/* Called outside a transaction before (after = 0) and after (after = 1) writes that replace
 * secrets: on SQLite the replaced cells are zeroed (secure_delete) and the WAL is checkpointed
 * and truncated, so the files keep no old copy. PostgreSQL keeps dead row versions until
 * VACUUM reclaims them; nothing is done there. Best effort: 0 or an error. */
int ermes__db_scrub(ermes__db_t *db, int after);

/* Transactions. begin(write=1) takes the write lock at once, so a transaction never fails
 * half-way on lock upgrade. Nested begin is an error. rollback is safe to call after a failed
 * commit or when no transaction is open. */
int ermes__db_begin(ermes__db_t *db, int write);
int ermes__db_commit(ermes__db_t *db);
void ermes__db_rollback(ermes__db_t *db);

/* Bulk loading: many rows into one table inside a write transaction, as fast as the backend
 * takes them. On PostgreSQL the rows are buffered on the connection and sent with COPY (text
 * format) in large pieces: before any other statement of the connection runs, at a savepoint,
 * at commit, or when the buffer is full; a rollback drops what was not sent. On SQLite each row
 * is the prepared INSERT, run at once. The same guarantees either way: the rows commit or roll
 * back with the transaction; an error (a unique or foreign key violation) may only show when the
 * buffer is sent, and then fails the transaction, which the caller rolls back.
 *
 * def and its strings must outlive the connection's use of them (string literals, or memory the
 * caller keeps until the store is closed): insert_sql is the statement cache's key. */
typedef struct ermes__db_bulk_def {
    const char *insert_sql; /* "INSERT INTO t (a, b) VALUES (?1, ?2)" (SQLite) */
    const char *copy_sql;   /* "COPY t (a, b) FROM STDIN" (PostgreSQL) */
    const char *kinds;      /* one letter a column: 'i' integer, 't' text, 'b' bytes */
} ermes__db_bulk_def_t;

/* A row to fill with the bind calls (columns 1 to strlen(def->kinds)), then ermes__db_bulk_add. */
int ermes__db_bulk_row(ermes__db_t *db, const ermes__db_bulk_def_t *def, ermes__db_stmt_t **row);
/* Adds the row filled since ermes__db_bulk_row (columns not bound are NULL). */
int ermes__db_bulk_add(ermes__db_stmt_t *row);
/* Sends the buffered rows now (nothing to do on SQLite). */
int ermes__db_bulk_flush(ermes__db_t *db);
/* 1 when bulk rows are buffered (PostgreSQL): a caller that needs a generated id of each row
 * then gives ids itself, from ermes__db_reserve_ids, rather than RETURNING them row by row. */
int ermes__db_bulk_buffered(ermes__db_t *db);
/* Reserves n ids of table's identity column "id" (PostgreSQL), past every id given so far,
 * for rows this write transaction inserts with explicit ids; *first is the first. Writers are
 * serialised (one write lock), so ids reserved this way grow in commit order as generated ones
 * do; ids reserved and not used go back at commit (none is lost), and are a gap after a
 * rollback, as a rolled-back insert leaves. table must be a
 * string literal. ERMES_EUNSUPPORTED on SQLite (RETURNING there costs nothing). */
int ermes__db_reserve_ids(ermes__db_t *db, const char *table, int64_t n, int64_t *first);
/* The next id for a row of table (a string literal) this write transaction inserts in bulk:
 * from ids reserved a block at a time (ermes__db_reserve_ids), the blocks growing to 8192, so
 * a batch costs a few round trips. ERMES_EUNSUPPORTED on SQLite. */
int ermes__db_next_id(ermes__db_t *db, const char *table, int64_t *id);

/* Last error message of this connection, for logs (never shown to API users). */
const char *ermes__db_errmsg(ermes__db_t *db);

/* A buffer of the connection's for the query files' per-row work (emptied by whoever uses it;
 * valid until the connection's next use of it). */
struct ermes_strbuf *ermes__db_scratch(ermes__db_t *db);
/* The connection's address index entries not yet written (src/store/event_doc.c): written by
 * its commit before it commits, dropped by its rollback. */
struct ermes__event_ips **ermes__db_event_ips(ermes__db_t *db);

#endif
