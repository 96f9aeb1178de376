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

/* Transactions. begin(write=1) takes the write lock at once, so a transaction never fails
 * half-way on lock upgrade. Nested begin is an error. rollback is safe to call after a failed
 * commit or when no transaction is open. */
int ermes__db_begin(ermes__db_t *db, int write);
int ermes__db_commit(ermes__db_t *db);
void ermes__db_rollback(ermes__db_t *db);

/* Last error message of this connection, for logs (never shown to API users). */
const char *ermes__db_errmsg(ermes__db_t *db);

/* A buffer of the connection's for the query files' per-row work (emptied by whoever uses it;
 * valid until the connection's next use of it). */
struct ermes_strbuf *ermes__db_scratch(ermes__db_t *db);
/* The connection's address index entries not yet written (src/store/event_doc.c): written by
 * its commit before it commits, dropped by its rollback. */
struct ermes__event_ips **ermes__db_event_ips(ermes__db_t *db);

#endif
