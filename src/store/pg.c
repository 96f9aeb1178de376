/* The PostgreSQL backend of the database layer (db.h, db_int.h), through libpq: chosen by a
 * database_url that starts with postgresql://. This is the only file that includes
 * libpq-fe.h.
 *
 * The query files are written once, for both backends (db.h's rules), and this file closes
 * the gaps between them:
 * - '?' and '?N' placeholders become '$N' when a statement is first prepared, and
 *   "CROSS JOIN t ON", SQLite's way to fix the join order, becomes "JOIN t ON" (PostgreSQL's
 *   planner orders joins itself and has no ON for a CROSS JOIN);
 * - a statement is prepared once per connection (PQprepare) and its parameter types are read
 *   back (PQdescribePrepared), so a blob bound to a bytea parameter goes in binary and text
 *   goes as text; integers go as decimal text, which every numeric type reads;
 * - results come as text; a bytea column is decoded from its hex form when read;
 * - a result is read whole when its statement first steps, so a caller may run other
 *   statements (a nested query) before it has read every row;
 * - inside a transaction, SQLite lets a statement fail (a unique violation, say) and the
 *   transaction go on, which the query files rely on; PostgreSQL aborts the transaction. A
 *   statement that writes is therefore wrapped in a savepoint of its own inside a transaction,
 *   sent with it in one round trip (libpq's pipeline mode);
 * - a write transaction takes one advisory lock first, so that writers are serialised as they
 *   are on SQLite (BEGIN IMMEDIATE): the guarantees the store gives (ids that grow in commit
 *   order, the extra names numbered in event_names, notification cursors) hold with several
 *   daemons on one database;
 * - a connection that the server dropped is reset at the next statement outside a
 *   transaction, and its statements are prepared again. */
#include "store/db.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/number.h"
#include "store/db_int.h"
#include "store/store.h"
#include "store/store_int.h"

/* Type oids of the built-in types this file cares about (pg_type.h, stable since 7.x). */
#define BOOLOID 16
#define BYTEAOID 17
#define INT8OID 20
#define INT2OID 21
#define INT4OID 23
#define TEXTOID 25
#define BPCHAROID 1042
#define VARCHAROID 1043

/* The advisory lock every write transaction takes: "ermes" in ASCII, and the schema the
 * tables are in, so that two ermes installations in two schemas of one database do not wait
 * on each other. */
#define WRITE_LOCK "SELECT pg_advisory_xact_lock(1701998963, hashtext(current_schema()))"

/* Bulk rows go to the server in pieces of this much, into a COPY that stays open until
 * another statement runs (or the transaction ends): the server stores a piece while the next
 * is made. */
#define COPY_CHUNK ((size_t)256 << 10)

typedef struct pg_param {
    char *buf; /* owned; the value sent */
    size_t cap;
    int len;
    int format; /* 0 text, 1 binary */
    int null;
    int is_int; /* a bulk row's integer, kept as ival (binary COPY) */
    int64_t ival;
} pg_param_t;

typedef struct pg_col {
    unsigned char *buf; /* a bytea column of the current row, decoded */
    size_t cap, len;
    int row; /* which row buf holds (-1: none) */
} pg_col_t;

typedef struct pg_stmt {
    ermes__db_stmt_t base; /* first: db.c sees this */
    const char *sql;       /* the literal; the cache's key */
    char name[24];
    unsigned gen; /* the connection generation it was prepared in */
    int writes;   /* INSERT, UPDATE, DELETE: wrapped in a savepoint inside a transaction */
    int nparams;
    unsigned int *types; /* Oid of each parameter, from the server */
    unsigned int *hint;  /* the types declared when preparing (0: the server infers it) */
    int last_hinted;     /* the parameter whose declared type was set last (1-based) */
    pg_param_t *params;
    const char **values;
    int *lengths, *formats;
    PGresult *res;
    int row, nrows, ncols;
    pg_col_t *cols;
} pg_stmt_t;

/* A bulk definition's columns as the server has them, looked up once per connection: when
 * each is a type written here in binary (integers, text, bytea), its rows go in COPY's binary
 * format, which spares the server parsing decimals and decoding bytea's hex form (a fifth of
 * its CPU for the events' COPY, bench/README.md) and this process writing them; otherwise
 * in the text format. */
typedef struct pg_copy_types {
    struct pg_copy_types *next;
    const ermes__db_bulk_def_t *def;
    unsigned gen;     /* the connection generation it was read in */
    int binary;       /* 1: every column's type is one written in binary */
    char *binary_sql; /* def->copy_sql WITH (FORMAT binary) */
    int ncols;
    unsigned *oids;
} pg_copy_types_t;

/* The row a bulk load fills (ermes__db_bulk_row): the bind calls land in fields, and
 * ermes__db_bulk_add appends them to the connection's COPY buffer. */
typedef struct pg_copy_row {
    ermes__db_stmt_t base; /* first: db.c sees this */
    const ermes__db_bulk_def_t *def;
    const pg_copy_types_t *types; /* not NULL: the row goes in binary */
    int types_checked;
    unsigned types_gen;
    int ncols, capcols;
    pg_param_t *fields; /* format 1: bytes bound as a blob */
} pg_copy_row_t;

typedef struct pg_db {
    ermes__db_t base; /* first: db.c sees this */
    PGconn *conn;
    unsigned gen; /* moves at each reconnection: statements are prepared again */
    unsigned next_name;
    int64_t changes; /* rows the last statement changed */
    int defer_fk;    /* foreign keys checked at commit (ermes__store_foreign_keys(off)) */
    char errmsg[512];
    /* Bulk rows not sent yet, in COPY's text or binary format, all of copy_def's table, and
     * whether a COPY of them is open (rows sent, its end not yet) and a piece of it failed to
     * go. */
    const ermes__db_bulk_def_t *copy_def;
    const char *copy_sql; /* the COPY statement of the rows buffered (text or binary) */
    int copy_binary;
    ermes__strbuf_t copy;
    int copy_open, copy_failed;
    pg_copy_row_t row;
    pg_copy_types_t *types; /* the bulk definitions' columns, as read (pg_copy_types_t) */
} pg_db_t;

#define DB(d) ((pg_db_t *)(d))

static int copy_flush(pg_db_t *db);
static void copy_drop(pg_db_t *db);
#define ST(s) ((pg_stmt_t *)(s))

static const ermes__db_backend_t *self(void)
{
    return &ermes__db_postgresql;
}

/* Maps an SQLSTATE to ours. */
static int map_state(const char *state)
{
    if (!state)
        return ERMES_ESTORE;
    if (strcmp(state, "23505") == 0)
        return ERMES_EEXISTS;
    if (strcmp(state, "23503") == 0)
        return ERMES_ECONFLICT;
    if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
        return ERMES_EINVAL;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
        strcmp(state, "57014") == 0)
        return ERMES_EBUSY;
    if (strcmp(state, "54000") == 0)
        return ERMES_ETOOBIG;
    if (strcmp(state, "53200") == 0)
        return ERMES_ENOMEM;
    return ERMES_ESTORE;
}

/* Records why res failed and says what it means; res is not freed. */
static int result_error(pg_db_t *db, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);
    int rc = map_state(state);
    size_t n;

    snprintf(db->errmsg, sizeof(db->errmsg), "%s", msg && *msg ? msg : "no answer");
    n = strlen(db->errmsg);
    while (n && (db->errmsg[n - 1] == '\n' || db->errmsg[n - 1] == ' '))
        db->errmsg[--n] = '\0';
    if (PQstatus(db->conn) != CONNECTION_OK) {
        ermes__log(ERMES_LOG_ERROR, "database: the connection to PostgreSQL is lost: %s",
                   db->errmsg);
        return ERMES_ESTORE;
    }
    /* Constraint violations are answers the callers expect; the rest is worth a line. */
    if (rc != ERMES_EEXISTS && rc != ERMES_ECONFLICT)
        ermes__log(ERMES_LOG_ERROR, "database: %s", db->errmsg);
    return rc;
}

static void notice_cb(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs (IF NOT EXISTS...) are not errors: the log stays quiet */
}

static void stmt_clear_result(pg_stmt_t *st)
{
    if (st->res) {
        PQclear(st->res);
        st->res = NULL;
    }
    st->row = -1;
    st->nrows = 0;
    for (int c = 0; c < st->ncols; c++)
        st->cols[c].row = -1;
}

static void stmt_free(pg_stmt_t *st)
{
    if (!st)
        return;
    stmt_clear_result(st);
    for (int i = 0; i < st->nparams; i++)
        ermes__free(st->params[i].buf);
    for (int c = 0; c < st->ncols; c++)
        ermes__free(st->cols[c].buf);
    ermes__free(st->cols);
    ermes__free(st->params);
    ermes__free(st->types);
    ermes__free(st->hint);
    ermes__free(st->values);
    ermes__free(st->lengths);
    ermes__free(st->formats);
    ermes__free(st);
}

static void cached_stmt_free(ermes__db_stmt_t *s)
{
    stmt_free(ST(s));
}

static void pg_close(ermes__db_t *d)
{
    pg_db_t *db = DB(d);

    ermes__stmt_cache_clear(d, cached_stmt_free);
    ermes__db_cleanup_common(d);
    ermes__strbuf_cleanup(&db->copy);
    for (int c = 0; c < db->row.capcols; c++)
        ermes__free(db->row.fields[c].buf);
    ermes__free(db->row.fields);
    while (db->types) {
        pg_copy_types_t *t = db->types;
        db->types = t->next;
        ermes__free(t->binary_sql);
        ermes__free(t->oids);
        ermes__free(t);
    }
    if (db->conn)
        PQfinish(db->conn);
    ermes__free(db);
}

/* What every new or reset connection is told. */
static int setup_session(pg_db_t *db)
{
    char q[160];
    PGresult *res;
    int rc = 0;

    PQsetNoticeProcessor(db->conn, notice_cb, NULL);
    /* A lock held by another writer is waited for as long as SQLite waits on a busy
     * database; then the caller gets ERMES_EBUSY. */
    snprintf(q, sizeof(q),
             "SET lock_timeout = %ld; SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC';"
             " SET application_name = 'ermes'",
             db->base.store->busy_timeout_ms);
    res = PQexec(db->conn, q);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = result_error(db, res);
    PQclear(res);
    return rc;
}

/* Every copy in msg of the password url carries (postgresql://user:PASSWORD@...) is starred
 * out, in place. */
static void hide_password(char *msg, const char *url)
{
    const char *p = strstr(url, "://"), *at, *colon;
    size_t len, n = strlen(msg);

    if (!p)
        return;
    p += 3;
    at = strchr(p, '@');
    colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
    if (!colon || at - colon < 2)
        return;
    len = (size_t)(at - colon - 1);
    for (size_t k = 0; k + len <= n; k++)
        if (memcmp(msg + k, colon + 1, len) == 0)
            memset(msg + k, '*', len);
}

static int pg_open(ermes__store_t *st, ermes__db_t **out)
{
    pg_db_t *db = ermes__calloc(1, sizeof(*db));
    int rc;

    if (!db)
        return ERMES_ENOMEM;
    ermes__db_init_common(&db->base, self(), st);
    ermes__strbuf_init(&db->copy, (size_t)256 << 20);
    db->conn = PQconnectdb(st->path);
    if (!db->conn) {
        pg_close(&db->base);
        return ERMES_ENOMEM;
    }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        /* The message names the server and the reason, never the password: libpq quotes a
         * URL it cannot parse whole. */
        char m[1024];
        size_t n;
        snprintf(m, sizeof(m), "%s", PQerrorMessage(db->conn));
        hide_password(m, st->path);
        n = strlen(m);
        while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
            n--;
        ermes__log(ERMES_LOG_ERROR, "cannot connect to the PostgreSQL database: %.*s", (int)n, m);
        pg_close(&db->base);
        return ERMES_ESTORE;
    }
    if ((rc = setup_session(db))) {
        pg_close(&db->base);
        return rc;
    }
    *out = &db->base;
    return 0;
}

/* Outside a transaction, a connection the server dropped (it restarted, say) is made again:
 * statements are prepared anew in it. Inside one there is nothing to save: the caller gets
 * the error and rolls back. */
static int ensure_conn(pg_db_t *db)
{
    if (PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    if (db->base.in_tx)
        return ERMES_ESTORE;
    PQreset(db->conn);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        snprintf(db->errmsg, sizeof(db->errmsg), "%s", PQerrorMessage(db->conn));
        return ERMES_ESTORE;
    }
    db->gen++;
    ermes__log(ERMES_LOG_NOTICE, "database: reconnected to PostgreSQL");
    return setup_session(db);
}

/* SQLite's placeholders to PostgreSQL's: "?NNN" is $NNN and a bare "?" is one more than the
 * largest number so far, as SQLite numbers them. String literals and quoted names are copied
 * as they are. Returns the new text (caller frees) and the number of parameters. */
static char *translate(const char *sql, int *nparams)
{
    size_t n = strlen(sql), cap = n * 8 + 64, o = 0;
    char *out = ermes__malloc(cap);
    int max = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        char c = sql[i];
        if (c == '\'' || c == '"') {
            size_t j = i + 1;
            while (j < n && sql[j] != c)
                j++;
            j = j < n ? j + 1 : n;
            memcpy(out + o, sql + i, j - i);
            o += j - i;
            i = j;
        } else if ((c == 'C' || c == 'c') && strncasecmp(sql + i, "CROSS JOIN", 10) == 0 &&
                   (i == 0 || sql[i - 1] == ' ')) {
            i += 6; /* "JOIN" is copied next */
        } else if (c == '?') {
            long num = 0;
            size_t j = i + 1;
            int limit = o >= 6 && strncasecmp(out + o - 6, "LIMIT ", 6) == 0;
            while (j < n && sql[j] >= '0' && sql[j] <= '9' && num < 100000)
                num = num * 10 + (sql[j++] - '0');
            if (j == i + 1)
                num = max + 1;
            if (num > max)
                max = (int)num;
            /* A negative LIMIT is no limit on SQLite; PostgreSQL says that with NULL. */
            if (limit)
                o += (size_t)snprintf(out + o, cap - o, "CASE WHEN $%ld >= 0 THEN $%ld END", num,
                                      num);
            else
                o += (size_t)snprintf(out + o, cap - o, "$%ld", num);
            i = j;
        } else {
            out[o++] = c;
            i++;
        }
    }
    out[o] = '\0';
    *nparams = max;
    return out;
}

/* 1 when the statement writes (its failure must not end the caller's transaction). */
static int statement_writes(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '(')
        sql++;
    return strncasecmp(sql, "INSERT", 6) == 0 || strncasecmp(sql, "UPDATE", 6) == 0 ||
           strncasecmp(sql, "DELETE", 6) == 0 || strncasecmp(sql, "WITH", 4) == 0;
}

static int run_simple(pg_db_t *db, const char *sql);

/* Prepares st in the connection (again after a reconnection). */
static int server_prepare(pg_db_t *db, pg_stmt_t *st)
{
    PGresult *res;
    char *text;
    int n = 0, rc = 0, again = 0;

    text = translate(st->sql, &n);
    if (!text)
        return ERMES_ENOMEM;
    if (n > 0 && !st->hint) {
        st->hint = ermes__calloc((size_t)n, sizeof(*st->hint));
        if (!st->hint) {
            ermes__free(text);
            return ERMES_ENOMEM;
        }
    }
    /* PostgreSQL infers each parameter's type from where it first appears, and cannot in
     * "?7 IS NULL OR feed = ?7" or for a parameter a statement does not use, which SQLite
     * never asks. Such a parameter is declared text, and where text does not fit (an
     * operator that wants a number) bigint, then bytea: the query files stay as they are. */
    for (int tries = 0;; tries++) {
        const char *state, *msg, *dollar;
        int64_t which;
        /* Inside a transaction a failed PREPARE would abort it: a savepoint keeps it. */
        if (db->base.in_tx && (rc = run_simple(db, "SAVEPOINT ermes_prepare"))) {
            ermes__free(text);
            return rc;
        }
        res = PQprepare(db->conn, st->name, text, n, st->hint);
        if (db->base.in_tx)
            run_simple(db, PQresultStatus(res) == PGRES_COMMAND_OK
                               ? "RELEASE SAVEPOINT ermes_prepare"
                               : "ROLLBACK TO SAVEPOINT ermes_prepare;"
                                 " RELEASE SAVEPOINT ermes_prepare");
        if (PQresultStatus(res) == PGRES_COMMAND_OK || tries > 3 * n)
            break;
        state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        if (state && (strcmp(state, "42P18") == 0 || strcmp(state, "42P08") == 0) && msg &&
            (dollar = strchr(msg, '$')) &&
            ermes__parse_int64_n(dollar + 1, strspn(dollar + 1, "0123456789"), "parameter", 1, n,
                                 &which, NULL) == 0 &&
            st->hint[which - 1] == 0) {
            st->hint[which - 1] = TEXTOID;
            st->last_hinted = (int)which;
        } else if (state && (strcmp(state, "42883") == 0 || strcmp(state, "42804") == 0) &&
                   st->last_hinted) {
            unsigned int *t = &st->hint[st->last_hinted - 1];
            if (*t == TEXTOID)
                *t = INT8OID;
            else if (*t == INT8OID)
                *t = BYTEAOID;
            else
                break;
        } else {
            break;
        }
        PQclear(res);
    }
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = result_error(db, res);
        ermes__log(ERMES_LOG_ERROR, "cannot prepare SQL: %s", st->sql);
        PQclear(res);
        ermes__free(text);
        return rc;
    }
    PQclear(res);
    ermes__free(text);
    res = PQdescribePrepared(db->conn, st->name);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = result_error(db, res);
        PQclear(res);
        return rc;
    }
    if (st->nparams == 0 && PQnparams(res) > 0) {
        size_t np = (size_t)PQnparams(res);
        /* All or nothing: a half-made statement must be safe to free. */
        unsigned int *types = ermes__calloc(np, sizeof(*types));
        pg_param_t *params = ermes__calloc(np, sizeof(*params));
        const char **values = ermes__calloc(np, sizeof(*values));
        int *lengths = ermes__calloc(np, sizeof(*lengths));
        int *formats = ermes__calloc(np, sizeof(*formats));
        if (!types || !params || !values || !lengths || !formats) {
            ermes__free(types);
            ermes__free(params);
            ermes__free(values);
            ermes__free(lengths);
            ermes__free(formats);
            PQclear(res);
            return ERMES_ENOMEM;
        }
        for (size_t i = 0; i < np; i++)
            params[i].null = 1;
        st->types = types;
        st->params = params;
        st->values = values;
        st->lengths = lengths;
        st->formats = formats;
        st->nparams = (int)np;
    }
    for (int i = 0; i < st->nparams && i < PQnparams(res); i++)
        st->types[i] = PQparamtype(res, i);
    PQclear(res);
    /* "?7 = 0" makes $7 an integer (int4) after the literal, but ermes's integers are 64-bit
     * (times in milliseconds): such a parameter is declared bigint and the statement made
     * again. */
    for (int i = 0; i < st->nparams && i < n; i++)
        if ((st->types[i] == INT4OID || st->types[i] == INT2OID) && st->hint[i] == 0) {
            st->hint[i] = INT8OID;
            again = 1;
        }
    if (again) {
        char q[48];
        snprintf(q, sizeof(q), "DEALLOCATE %s", st->name);
        if ((rc = run_simple(db, q)))
            return rc;
        return server_prepare(db, st);
    }
    st->gen = db->gen;
    return 0;
}

static int pg_prepare(ermes__db_t *d, const char *sql, ermes__db_stmt_t **out)
{
    pg_db_t *db = DB(d);
    ermes__db_stmt_t *found;
    pg_stmt_t *st;
    int rc;

    if ((rc = ensure_conn(db)) || (rc = copy_flush(db)))
        return rc;
    if ((found = ermes__stmt_cache_get(d, sql))) {
        st = ST(found);
    } else {
        st = ermes__calloc(1, sizeof(*st));
        if (!st)
            return ERMES_ENOMEM;
        st->base.be = self();
        st->base.db = d;
        st->sql = sql;
        st->row = -1;
        st->writes = statement_writes(sql);
        snprintf(st->name, sizeof(st->name), "e%u", db->next_name++);
        st->gen = db->gen - 1; /* not prepared yet */
        if ((rc = server_prepare(db, st)) || (rc = ermes__stmt_cache_put(d, sql, &st->base))) {
            stmt_free(st);
            return rc;
        }
        *out = &st->base;
        return 0;
    }
    if (st->gen != db->gen && (rc = server_prepare(db, st)))
        return rc;
    *out = &st->base;
    return 0;
}

static pg_param_t *param(pg_stmt_t *st, int idx)
{
    if (idx < 1 || idx > st->nparams)
        return NULL;
    return &st->params[idx - 1];
}

static int param_set(pg_param_t *p, const void *v, size_t len, int format)
{
    if (len > (size_t)INT32_MAX - 1)
        return ERMES_ETOOBIG;
    if (p->cap < len + 1) {
        size_t cap = len + 1 < 64 ? 64 : len + 1;
        char *b = ermes__realloc(p->buf, cap);
        if (!b)
            return ERMES_ENOMEM;
        p->buf = b;
        p->cap = cap;
    }
    if (len)
        memcpy(p->buf, v, len);
    p->buf[len] = '\0';
    p->len = (int)len;
    p->format = format;
    p->null = 0;
    return 0;
}

static int pg_bind_int(ermes__db_stmt_t *s, int idx, int64_t v)
{
    pg_param_t *p = param(ST(s), idx);
    char num[24];
    int n;

    if (!p)
        return ERMES_EINVAL;
    /* A boolean parameter (a comparison's other side) reads 0 and 1 as false and true. */
    n = snprintf(num, sizeof(num), "%" PRId64, v);
    return param_set(p, num, (size_t)n, 0);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t want;
    unsigned cp;

    if (s[0] < 0x80)
        return s[0] ? 1 : 0; /* NUL: PostgreSQL's text cannot hold it */
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        want = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        want = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        want = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (n < want)
        return 0;
    for (size_t k = 1; k < want; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    if ((want == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (want == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return want;
}

/* PostgreSQL's text holds valid UTF-8 without NUL; SQLite's holds any bytes. Text that is not
 * (a quarantine reason quoting a feed's broken bytes) is stored with each such byte replaced
 * by U+FFFD, which is what the API's JSON shows of it on SQLite too; what must keep its bytes
 * exactly (raw lines, documents) is in bytea columns, which take them as they are. */
static int param_set_text(pg_param_t *p, const char *text, size_t len)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t k = 0, o = 0, bad = 0, n;
    char *tmp;
    int rc;

    while (k < len) {
        n = utf8_seq(u + k, len - k);
        if (!n)
            bad++, n = 1;
        k += n;
    }
    if (!bad)
        return param_set(p, text, len, 0);
    if (len > (SIZE_MAX - 1) / 4)
        return ERMES_ETOOBIG;
    tmp = ermes__malloc(len + bad * 2 + 1);
    if (!tmp)
        return ERMES_ENOMEM;
    for (k = 0; k < len;) {
        n = utf8_seq(u + k, len - k);
        if (n) {
            memcpy(tmp + o, text + k, n);
            o += n;
            k += n;
        } else {
            memcpy(tmp + o, "\xef\xbf\xbd", 3); /* U+FFFD */
            o += 3;
            k++;
        }
    }
    rc = param_set(p, tmp, o, 0);
    ermes__free(tmp);
    return rc;
}

static int pg_bind_textn(ermes__db_stmt_t *s, int idx, const char *text, size_t len)
{
    pg_param_t *p = param(ST(s), idx);

    if (!p)
        return ERMES_EINVAL;
    if (ST(s)->types[idx - 1] != BYTEAOID)
        return param_set_text(p, text, len);
    /* Text for a bytea parameter goes as its bytes (the binary form), never through bytea's
     * escape syntax, where a backslash would change it. */
    return param_set(p, text, len, ST(s)->types[idx - 1] == BYTEAOID);
}

static int pg_bind_blob(ermes__db_stmt_t *s, int idx, const void *v, size_t len)
{
    pg_param_t *p = param(ST(s), idx);

    if (!p)
        return ERMES_EINVAL;
    /* Binary: raw bytes for bytea, and for text the bytes as they are (what SQLite stores). */
    return param_set(p, v, len, 1);
}

static int pg_bind_null(ermes__db_stmt_t *s, int idx)
{
    pg_param_t *p = param(ST(s), idx);

    if (!p)
        return ERMES_EINVAL;
    p->null = 1;
    return 0;
}

static int run_simple(pg_db_t *db, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    int rc = 0;

    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = result_error(db, res);
    PQclear(res);
    return rc;
}

/* Runs st inside a savepoint of its own in one round trip: SAVEPOINT, the statement and
 * RELEASE go out together in libpq's pipeline mode, and only a failed statement costs a second
 * one (ROLLBACK TO, which the caller sends). The statement's result lands in st->res; returns
 * 0, or 1 when libpq cannot pipeline here (the caller then sends the three one by one). */
static int run_guarded_pipelined(pg_db_t *db, pg_stmt_t *st)
{
    PGresult *r;
    int which = 0;

    if (!PQenterPipelineMode(db->conn))
        return 1;
    if (!PQsendQueryParams(db->conn, "SAVEPOINT ermes_stmt", 0, NULL, NULL, NULL, NULL, 0) ||
        !PQsendQueryPrepared(db->conn, st->name, st->nparams, st->values, st->lengths, st->formats,
                             0) ||
        !PQsendQueryParams(db->conn, "RELEASE SAVEPOINT ermes_stmt", 0, NULL, NULL, NULL, NULL,
                           0) ||
        !PQpipelineSync(db->conn)) {
        /* Nothing was sent that needs an answer read: the connection is broken. */
        PQexitPipelineMode(db->conn);
        return 0;
    }
    /* Three results, each followed by NULL, then the sync point. The statement's is kept;
     * SAVEPOINT's and RELEASE's say nothing the statement's result does not. */
    for (;;) {
        r = PQgetResult(db->conn);
        if (!r) {
            /* A lost connection answers NULL for ever. */
            if (PQstatus(db->conn) != CONNECTION_OK || ++which > 3)
                break;
            continue;
        }
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if (which == 1 && !st->res)
            st->res = r;
        else if (which == 0 && PQresultStatus(r) != PGRES_COMMAND_OK && !st->res)
            st->res = r; /* SAVEPOINT itself failed: that is the error to report */
        else
            PQclear(r);
        if (PQstatus(db->conn) != CONNECTION_OK)
            break;
    }
    PQexitPipelineMode(db->conn);
    return 0;
}

static int execute(pg_stmt_t *st)
{
    pg_db_t *db = DB(st->base.db);
    int guarded = st->writes && db->base.in_tx, rc = 0;
    ExecStatusType status;

    /* A statement prepared before bulk rows were added and run after them: the rows go
     * first (nothing else may be sent while a COPY is open). */
    if ((rc = copy_flush(db)))
        return rc;
    for (int i = 0; i < st->nparams; i++) {
        pg_param_t *p = &st->params[i];
        st->values[i] = p->null ? NULL : p->buf;
        st->lengths[i] = p->null ? 0 : p->len;
        st->formats[i] = p->null ? 0 : p->format;
    }
    if (guarded && run_guarded_pipelined(db, st) == 0) {
        status = st->res ? PQresultStatus(st->res) : PGRES_FATAL_ERROR;
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
            rc = result_error(db, st->res);
            stmt_clear_result(st);
            if (PQstatus(db->conn) == CONNECTION_OK)
                run_simple(db, "ROLLBACK TO SAVEPOINT ermes_stmt; RELEASE SAVEPOINT ermes_stmt");
            return rc;
        }
    } else {
        if (guarded && (rc = run_simple(db, "SAVEPOINT ermes_stmt")))
            return rc;
        st->res = PQexecPrepared(db->conn, st->name, st->nparams, st->values, st->lengths,
                                 st->formats, 0);
        status = PQresultStatus(st->res);
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
            rc = result_error(db, st->res);
            stmt_clear_result(st);
            if (guarded && PQstatus(db->conn) == CONNECTION_OK)
                run_simple(db, "ROLLBACK TO SAVEPOINT ermes_stmt; RELEASE SAVEPOINT ermes_stmt");
            return rc;
        }
        if (guarded && (rc = run_simple(db, "RELEASE SAVEPOINT ermes_stmt"))) {
            stmt_clear_result(st);
            return rc;
        }
    }
    st->nrows = PQntuples(st->res);
    if (st->writes && *PQcmdTuples(st->res))
        ermes__parse_int64(PQcmdTuples(st->res), "changes", 0, INT64_MAX, &db->changes, NULL);
    if (PQnfields(st->res) > st->ncols) {
        pg_col_t *cols = ermes__realloc(st->cols, sizeof(*cols) * (size_t)PQnfields(st->res));
        if (!cols) {
            stmt_clear_result(st);
            return ERMES_ENOMEM;
        }
        for (int c = st->ncols; c < PQnfields(st->res); c++) {
            cols[c].buf = NULL;
            cols[c].cap = cols[c].len = 0;
            cols[c].row = -1;
        }
        st->cols = cols;
        st->ncols = PQnfields(st->res);
    }
    st->row = -1;
    return 0;
}

static int pg_step(ermes__db_stmt_t *s)
{
    pg_stmt_t *st = ST(s);
    int rc;

    if (!st->res) {
        if (PQstatus(DB(s->db)->conn) != CONNECTION_OK && (rc = ensure_conn(DB(s->db))))
            return rc;
        if (st->gen != DB(s->db)->gen && (rc = server_prepare(DB(s->db), st)))
            return rc;
        if ((rc = execute(st)))
            return rc;
    }
    if (st->row + 1 < st->nrows) {
        st->row++;
        return 1;
    }
    st->row = st->nrows;
    return 0;
}

static int has_value(pg_stmt_t *st, int col)
{
    return st->res && st->row >= 0 && st->row < st->nrows && col >= 0 && col < PQnfields(st->res) &&
           !PQgetisnull(st->res, st->row, col);
}

static int64_t pg_col_int(ermes__db_stmt_t *s, int col)
{
    pg_stmt_t *st = ST(s);
    const char *v;

    if (!has_value(st, col))
        return 0;
    v = PQgetvalue(st->res, st->row, col);
    if (PQftype(st->res, col) == BOOLOID)
        return v[0] == 't';
    /* An aggregate may answer numeric ("12" or "12.5"): the integer part, as SQLite does. */
    {
        int64_t i = 0;
        ermes__parse_int64_n(v, strcspn(v, "."), "column", INT64_MIN, INT64_MAX, &i, NULL);
        return i;
    }
}

/* The bytes of a bytea column of the current row, decoded from "\x..." once per row. */
static const unsigned char *bytea_value(pg_stmt_t *st, int col, size_t *len)
{
    pg_col_t *c = &st->cols[col];
    const char *v = PQgetvalue(st->res, st->row, col);
    size_t n = (size_t)PQgetlength(st->res, st->row, col), out;

    if (c->row == st->row) {
        *len = c->len;
        return c->buf;
    }
    if (n < 2 || v[0] != '\\' || v[1] != 'x') {
        /* Not the hex form (bytea_output = escape): libpq decodes it. */
        size_t m = 0;
        unsigned char *u = PQunescapeBytea((const unsigned char *)v, &m);
        if (!u)
            return NULL;
        if (c->cap < m + 1) {
            unsigned char *b = ermes__realloc(c->buf, m + 1);
            if (!b) {
                PQfreemem(u);
                return NULL;
            }
            c->buf = b;
            c->cap = m + 1;
        }
        memcpy(c->buf, u, m);
        PQfreemem(u);
        out = m;
    } else {
        out = (n - 2) / 2;
        if (c->cap < out + 1) {
            unsigned char *b = ermes__realloc(c->buf, out + 1);
            if (!b)
                return NULL;
            c->buf = b;
            c->cap = out + 1;
        }
        for (size_t i = 0; i < out; i++) {
            int hi = v[2 + 2 * i], lo = v[3 + 2 * i];
            hi = hi <= '9' ? hi - '0' : (hi | 0x20) - 'a' + 10;
            lo = lo <= '9' ? lo - '0' : (lo | 0x20) - 'a' + 10;
            c->buf[i] = (unsigned char)(hi << 4 | lo);
        }
    }
    /* NUL-terminated, so a document kept as bytea reads as text too. */
    c->buf[out] = '\0';
    c->len = out;
    c->row = st->row;
    *len = out;
    return c->buf;
}

static const char *pg_col_text(ermes__db_stmt_t *s, int col)
{
    pg_stmt_t *st = ST(s);
    size_t len;

    if (!has_value(st, col))
        return NULL;
    if (PQftype(st->res, col) == BYTEAOID)
        return (const char *)bytea_value(st, col, &len);
    return PQgetvalue(st->res, st->row, col);
}

static const void *pg_col_blob(ermes__db_stmt_t *s, int col, size_t *len)
{
    pg_stmt_t *st = ST(s);

    *len = 0;
    if (!has_value(st, col))
        return NULL;
    if (PQftype(st->res, col) == BYTEAOID)
        return bytea_value(st, col, len);
    *len = (size_t)PQgetlength(st->res, st->row, col);
    return PQgetvalue(st->res, st->row, col);
}

static int pg_col_null(ermes__db_stmt_t *s, int col)
{
    return !has_value(ST(s), col);
}

static int64_t pg_changes(ermes__db_t *d)
{
    return DB(d)->changes;
}

static void pg_done(ermes__db_stmt_t *s)
{
    pg_stmt_t *st = ST(s);

    stmt_clear_result(st);
    for (int i = 0; i < st->nparams; i++)
        st->params[i].null = 1;
}

static int pg_exec(ermes__db_t *d, const char *sql)
{
    pg_db_t *db = DB(d);
    int rc;

    if ((rc = ensure_conn(db)) || (rc = copy_flush(db)))
        return rc;
    return run_simple(db, sql);
}

static int pg_begin(ermes__db_t *d, int write)
{
    pg_db_t *db = DB(d);
    int rc;

    if ((rc = ensure_conn(db)))
        return rc;
    if (!write)
        return run_simple(db, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    if ((rc = run_simple(db, "BEGIN")))
        return rc;
    if ((rc = run_simple(db, WRITE_LOCK)) ||
        (db->defer_fk && (rc = run_simple(db, "SET CONSTRAINTS ALL DEFERRED"))))
        run_simple(db, "ROLLBACK");
    return rc;
}

static int pg_commit(ermes__db_t *d)
{
    int rc = copy_flush(DB(d));

    return rc ? rc : run_simple(DB(d), "COMMIT");
}

static void pg_rollback(ermes__db_t *d)
{
    pg_db_t *db = DB(d);

    copy_drop(db);
    if (PQstatus(db->conn) == CONNECTION_OK && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
        run_simple(db, "ROLLBACK");
}

static const char *pg_errmsg(ermes__db_t *d)
{
    return DB(d)->errmsg[0] ? DB(d)->errmsg : PQerrorMessage(DB(d)->conn);
}

static int pg_durable(ermes__db_t *d, int each_commit)
{
    /* As SQLite's synchronous=NORMAL: a commit returns before its WAL is on disk; the
     * report's last commit, durable again, makes the earlier ones durable with it. */
    return pg_exec(d, each_commit ? "SET synchronous_commit = on" : "SET synchronous_commit = off");
}

static int pg_foreign_keys(ermes__db_t *d, int on)
{
    /* Turning foreign keys off takes a superuser on PostgreSQL; what SQLite's batches get
     * from it, no lookup per row, PostgreSQL gets from checking them at commit (the schema
     * makes every foreign key DEFERRABLE), after the batch has checked its organisations. */
    DB(d)->defer_fk = !on;
    return 0;
}

/* ---- bulk rows through COPY (db.h's ermes__db_bulk_*) ------------------------------------ */

/* Sends the rows buffered so far into the COPY, starting it first when none is open: the
 * server stores them while this process goes on making the next ones. 0, or the error that
 * starting it gave (sending errors show when it ends). */
static int copy_send(pg_db_t *db)
{
    PGresult *res;
    int rc;

    if (!db->copy_open) {
        res = PQexec(db->conn, db->copy_sql);
        if (PQresultStatus(res) != PGRES_COPY_IN) {
            rc = result_error(db, res);
            PQclear(res);
            return rc ? rc : ERMES_ESTORE;
        }
        PQclear(res);
        db->copy_open = 1;
    }
    if (db->copy.len && PQputCopyData(db->conn, db->copy.data, (int)db->copy.len) != 1)
        db->copy_failed = 1;
    ermes__strbuf_reset(&db->copy);
    return 0;
}

/* Ends the open COPY (failing it on purpose with why, when why is not NULL) and reads its
 * result. */
static int copy_end(pg_db_t *db, const char *why)
{
    PGresult *res;
    int rc = 0;

    if (!db->copy_open)
        return 0;
    db->copy_open = 0;
    if (db->copy_failed && !why)
        why = "ermes: the rows could not be sent";
    /* The binary format's trailer: a row of -1 fields. */
    if (!why && db->copy_binary && PQputCopyData(db->conn, "\xff\xff", 2) != 1)
        why = "ermes: the rows could not be sent";
    if (PQputCopyEnd(db->conn, why) != 1)
        rc = ERMES_ESTORE;
    while ((res = PQgetResult(db->conn))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && !rc && !why)
            rc = result_error(db, res);
        else if (!rc && !why)
            db->changes = strtoll(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    if (db->copy_failed && !rc)
        rc = result_error(db, NULL);
    db->copy_failed = 0;
    return rc ? rc : (why ? ERMES_ESTORE : 0);
}

/* A rollback: the rows not sent are dropped and an open COPY is failed, so none of them
 * stays. */
static void copy_drop(pg_db_t *db)
{
    ermes__strbuf_reset(&db->copy);
    if (db->copy_open)
        copy_end(db, "ermes: rolled back");
    db->copy_def = NULL;
    db->copy_binary = 0;
}

/* Sends what is buffered and ends the COPY: before any other statement of the connection,
 * at commit, before ids are reserved. An error (a constraint the rows break) fails the
 * transaction, as a failed statement would. */
static int copy_flush(pg_db_t *db)
{
    int rc = 0;

    if (db->copy.len)
        rc = copy_send(db);
    if (db->copy_open) {
        int rc2 = copy_end(db, NULL);
        if (!rc)
            rc = rc2;
    }
    ermes__strbuf_reset(&db->copy);
    db->copy_def = NULL;
    return rc;
}

static int copy_row_bind(ermes__db_stmt_t *s, int idx, const void *v, size_t len, int format)
{
    pg_copy_row_t *r = (pg_copy_row_t *)s;

    if (idx < 1 || idx > r->ncols)
        return ERMES_EINVAL;
    r->fields[idx - 1].is_int = 0;
    return param_set(&r->fields[idx - 1], v, len, format);
}

static int copy_bind_int(ermes__db_stmt_t *s, int idx, int64_t v)
{
    /* Decimal by hand: snprintf was a tenth of the intake's CPU with a dozen integers a row. */
    char num[24], *p = num + sizeof(num);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    pg_copy_row_t *r = (pg_copy_row_t *)s;

    if (r->types) {
        /* Binary: written in the column's own width when the row is added. */
        if (idx < 1 || idx > r->ncols)
            return ERMES_EINVAL;
        r->fields[idx - 1].null = 0;
        r->fields[idx - 1].is_int = 1;
        r->fields[idx - 1].ival = v;
        return 0;
    }

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return copy_row_bind(s, idx, p, (size_t)(num + sizeof(num) - p), 0);
}

static int copy_bind_textn(ermes__db_stmt_t *s, int idx, const char *text, size_t len)
{
    return copy_row_bind(s, idx, text, len, 0);
}

static int copy_bind_blob(ermes__db_stmt_t *s, int idx, const void *v, size_t len)
{
    return copy_row_bind(s, idx, v, len, 1);
}

static int copy_bind_null(ermes__db_stmt_t *s, int idx)
{
    pg_copy_row_t *r = (pg_copy_row_t *)s;

    if (idx < 1 || idx > r->ncols)
        return ERMES_EINVAL;
    r->fields[idx - 1].null = 1;
    return 0;
}

static void copy_done(ermes__db_stmt_t *s)
{
    (void)s; /* the row stays the connection's */
}

/* Appends text as a field of COPY's text format: valid UTF-8 (each byte that is not becomes
 * U+FFFD, as param_set_text does), with backslash, tab, newline and carriage return escaped. */
static int copy_add_text(ermes__strbuf_t *b, const unsigned char *u, size_t len)
{
    size_t k = 0, n, start;
    int rc = 0;

    while (k < len && !rc) {
        start = k;
        for (;;) {
            /* Printable ASCII but the backslash, the common case, without a call. */
            while (k < len && u[k] >= 0x20 && u[k] < 0x7f && u[k] != '\\')
                k++;
            if (k >= len || u[k] == '\\' || u[k] == '\t' || u[k] == '\n' || u[k] == '\r' ||
                !(n = utf8_seq(u + k, len - k)))
                break;
            k += n;
        }
        if (k > start && (rc = ermes__strbuf_add(b, u + start, k - start)))
            break;
        if (k >= len)
            break;
        if (u[k] == '\\')
            rc = ermes__strbuf_add(b, "\\\\", 2);
        else if (u[k] == '\t')
            rc = ermes__strbuf_add(b, "\\t", 2);
        else if (u[k] == '\n')
            rc = ermes__strbuf_add(b, "\\n", 2);
        else if (u[k] == '\r')
            rc = ermes__strbuf_add(b, "\\r", 2);
        else
            rc = ermes__strbuf_add(b, "\xef\xbf\xbd", 3); /* not UTF-8, or NUL */
        k++;
    }
    return rc;
}

/* Appends bytes as a bytea field: its hex form, "\x" (the backslash doubled for COPY). */
static int copy_add_bytes(ermes__strbuf_t *b, const unsigned char *u, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *at;
    int rc;

    if (len > (SIZE_MAX - 3) / 2)
        return ERMES_ETOOBIG;
    if ((rc = ermes__strbuf_room(b, 3 + 2 * len, &at)))
        return rc;
    at[0] = '\\';
    at[1] = '\\';
    at[2] = 'x';
    for (size_t k = 0; k < len; k++) {
        at[3 + 2 * k] = hex[u[k] >> 4];
        at[4 + 2 * k] = hex[u[k] & 15];
    }
    ermes__strbuf_used(b, 3 + 2 * len);
    return 0;
}

/* Appends n big-endian bytes of v. */
static int copy_add_be(ermes__strbuf_t *b, uint64_t v, int n)
{
    char *at;
    int rc = ermes__strbuf_room(b, (size_t)n, &at);

    if (rc)
        return rc;
    for (int k = 0; k < n; k++)
        at[k] = (char)(v >> (8 * (n - 1 - k)));
    ermes__strbuf_used(b, (size_t)n);
    return 0;
}

/* Appends text as a binary field's bytes: valid UTF-8, each byte that is not (or NUL) as
 * U+FFFD, as the text format does. */
static int copy_add_utf8(ermes__strbuf_t *b, const unsigned char *u, size_t len)
{
    size_t k = 0, start, n;
    int rc = 0;

    while (k < len && !rc) {
        start = k;
        while (k < len && (n = utf8_seq(u + k, len - k)))
            k += n;
        if (k > start && (rc = ermes__strbuf_add(b, u + start, k - start)))
            break;
        if (k < len) {
            rc = ermes__strbuf_add(b, "\xef\xbf\xbd", 3);
            k++;
        }
    }
    return rc;
}

/* One field of a binary row: its length (a 32-bit word, patched once written) and its bytes
 * in the column's type's binary form. */
static int copy_add_binary_field(ermes__strbuf_t *b, const pg_param_t *f, unsigned oid)
{
    char num[24], *p;
    size_t at;
    uint64_t u;
    int64_t v = f->ival;
    int rc;

    if (f->null)
        return copy_add_be(b, 0xffffffffu, 4);
    if (oid == INT8OID || oid == INT4OID || oid == INT2OID) {
        int width = oid == INT8OID ? 8 : oid == INT4OID ? 4 : 2;
        if (!f->is_int &&
            ermes__parse_int64_n(f->buf, (size_t)f->len, "column", INT64_MIN, INT64_MAX, &v, NULL))
            return ERMES_EINVAL;
        if ((width == 4 && (v < INT32_MIN || v > INT32_MAX)) ||
            (width == 2 && (v < INT16_MIN || v > INT16_MAX)))
            return ERMES_ERANGE;
        if ((rc = copy_add_be(b, (uint64_t)width, 4)))
            return rc;
        return copy_add_be(b, (uint64_t)v, width);
    }
    at = b->len;
    if ((rc = copy_add_be(b, 0, 4)))
        return rc;
    if (f->is_int) {
        /* An integer into a text column: its decimal form. */
        p = num + sizeof(num);
        u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0)
            *--p = '-';
        rc = ermes__strbuf_add(b, p, (size_t)(num + sizeof(num) - p));
    } else if (oid == BYTEAOID) {
        rc = ermes__strbuf_add(b, f->buf, (size_t)f->len);
    } else {
        rc = copy_add_utf8(b, (const unsigned char *)f->buf, (size_t)f->len);
    }
    if (rc)
        return rc;
    if (b->len - at - 4 > (size_t)INT32_MAX)
        return ERMES_ETOOBIG;
    u = (uint64_t)(b->len - at - 4);
    for (int k = 0; k < 4; k++)
        b->data[at + (size_t)k] = (char)(u >> (8 * (3 - k)));
    return 0;
}

static int copy_bulk_add(ermes__db_stmt_t *s)
{
    pg_copy_row_t *r = (pg_copy_row_t *)s;
    pg_db_t *db = DB(s->db);
    size_t mark = db->copy.len;
    int rc = 0;

    if (r->types) {
        /* The binary format: a header before the first row of the COPY, then per row the
         * number of fields and each field's length and bytes. */
        if (!db->copy_open && db->copy.len == 0)
            rc = ermes__strbuf_add(&db->copy, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
        if (!rc)
            rc = copy_add_be(&db->copy, (uint64_t)r->ncols, 2);
        for (int c = 0; c < r->ncols && !rc; c++)
            rc = copy_add_binary_field(&db->copy, &r->fields[c], r->types->oids[c]);
        if (rc) {
            db->copy.len = mark;
            return rc;
        }
        db->copy_def = r->def;
        db->copy_sql = r->types->binary_sql;
        db->copy_binary = 1;
        if (db->copy.len >= COPY_CHUNK)
            rc = copy_send(db);
        return rc;
    }
    for (int c = 0; c < r->ncols && !rc; c++) {
        pg_param_t *f = &r->fields[c];
        if (c && (rc = ermes__strbuf_addc(&db->copy, '\t')))
            break;
        if (f->null)
            rc = ermes__strbuf_add(&db->copy, "\\N", 2);
        else if (r->def->kinds[c] == 'b')
            rc = copy_add_bytes(&db->copy, (const unsigned char *)f->buf, (size_t)f->len);
        else
            rc = copy_add_text(&db->copy, (const unsigned char *)f->buf, (size_t)f->len);
    }
    if (!rc)
        rc = ermes__strbuf_addc(&db->copy, '\n');
    if (rc) {
        /* The row half written is taken back: the buffer holds whole rows only. */
        db->copy.len = mark;
        return rc;
    }
    db->copy_def = r->def;
    db->copy_sql = r->def->copy_sql;
    db->copy_binary = 0;
    if (db->copy.len >= COPY_CHUNK)
        rc = copy_send(db);
    return rc;
}

static const ermes__db_backend_t copy_row_backend = {
    .name = "postgresql-copy",
    .kind = ERMES__DB_POSTGRESQL,
    .bind_int = copy_bind_int,
    .bind_textn = copy_bind_textn,
    .bind_blob = copy_bind_blob,
    .bind_null = copy_bind_null,
    .done = copy_done,
    .bulk_add = copy_bulk_add,
};

/* Reads, once per connection, the types of def's columns: "COPY t (a, b) FROM STDIN" asked
 * as "SELECT a, b FROM t LIMIT 0". *out is NULL when its rows go in the text format (a type
 * not written in binary here, or a statement of another form); an error only when the
 * server could not be asked at all. */
static int copy_types(pg_db_t *db, const ermes__db_bulk_def_t *def, int ncols,
                      const pg_copy_types_t **out)
{
    const char *sql = def->copy_sql, *open, *close;
    pg_copy_types_t *t;
    ermes__strbuf_t q;
    PGresult *res;
    int rc;

    *out = NULL;
    for (t = db->types; t && t->def != def; t = t->next)
        ;
    if (t && t->gen == db->gen) {
        *out = t->binary ? t : NULL;
        return 0;
    }
    if (!t) {
        if (!(t = ermes__calloc(1, sizeof(*t))))
            return ERMES_ENOMEM;
        t->def = def;
        t->next = db->types;
        db->types = t;
    }
    t->gen = db->gen;
    t->binary = 0;
    if (strncmp(sql, "COPY ", 5) != 0 || !(open = strstr(sql, " (")) ||
        !(close = strstr(open, ") FROM STDIN")) || close[12] != '\0')
        return 0;
    if (db->copy_open && (rc = copy_flush(db)))
        return rc;
    ermes__strbuf_init(&q, 1u << 20);
    if ((rc = ermes__strbuf_addf(&q, "SELECT %.*s FROM %.*s LIMIT 0", (int)(close - open - 2),
                                 open + 2, (int)(open - sql - 5), sql + 5))) {
        ermes__strbuf_cleanup(&q);
        return rc;
    }
    res = PQexec(db->conn, q.data);
    ermes__strbuf_cleanup(&q);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != ncols) {
        /* Not read (the transaction failed already, say): text, whose COPY then says why. */
        PQclear(res);
        t->gen = db->gen - 1;
        return 0;
    }
    if (t->ncols < ncols) {
        unsigned *o = ermes__reallocarray(t->oids, (size_t)ncols, sizeof(*o));
        if (!o) {
            PQclear(res);
            return ERMES_ENOMEM;
        }
        t->oids = o;
    }
    t->ncols = ncols;
    t->binary = 1;
    for (int c = 0; c < ncols; c++) {
        t->oids[c] = PQftype(res, c);
        if (t->oids[c] != INT8OID && t->oids[c] != INT4OID && t->oids[c] != INT2OID &&
            t->oids[c] != TEXTOID && t->oids[c] != VARCHAROID && t->oids[c] != BPCHAROID &&
            t->oids[c] != BYTEAOID)
            t->binary = 0;
    }
    PQclear(res);
    if (t->binary && !t->binary_sql) {
        ermes__strbuf_t b;
        ermes__strbuf_init(&b, 1u << 20);
        if ((rc = ermes__strbuf_addf(&b, "%s WITH (FORMAT binary)", sql))) {
            ermes__strbuf_cleanup(&b);
            t->binary = 0;
            return rc;
        }
        if (!(t->binary_sql = ermes__strbuf_take(&b, NULL))) {
            t->binary = 0;
            return ERMES_ENOMEM;
        }
    }
    *out = t->binary ? t : NULL;
    return 0;
}

static int pg_bulk_row(ermes__db_t *d, const ermes__db_bulk_def_t *def, ermes__db_stmt_t **out)
{
    pg_db_t *db = DB(d);
    pg_copy_row_t *r = &db->row;
    int n = (int)strlen(def->kinds), rc;

    /* One table at a time in the buffer: rows of another go after it is sent. */
    if (db->copy_def && db->copy_def != def && (rc = copy_flush(db)))
        return rc;
    if (n > r->capcols) {
        pg_param_t *f = ermes__reallocarray(r->fields, (size_t)n, sizeof(*f));
        if (!f)
            return ERMES_ENOMEM;
        memset(f + r->capcols, 0, (size_t)(n - r->capcols) * sizeof(*f));
        r->fields = f;
        r->capcols = n;
    }
    r->base.be = &copy_row_backend;
    r->base.db = d;
    if (r->def != def || !r->types_checked || r->types_gen != db->gen) {
        if ((rc = copy_types(db, def, n, &r->types)))
            return rc;
        r->types_checked = 1;
        r->types_gen = db->gen;
    }
    r->def = def;
    r->ncols = n;
    for (int c = 0; c < n; c++)
        r->fields[c].null = 1;
    *out = &r->base;
    return 0;
}

static int pg_bulk_flush(ermes__db_t *d)
{
    return copy_flush(DB(d));
}

static int pg_reserve_ids(ermes__db_t *d, const char *table, int64_t n, int64_t *first)
{
    pg_db_t *db = DB(d);
    const char *values[2];
    char num[24];
    PGresult *res;
    int64_t last;
    int rc;

    if ((rc = copy_flush(db)))
        return rc;
    snprintf(num, sizeof(num), "%" PRId64, n);
    values[0] = table;
    values[1] = num;
    /* nextval moves the sequence past the ids given so far, setval past the n reserved.
     * Events are partitioned by id (migration 62): the partitions that cover the ids reserved
     * are made in the same statement when missing, so that storing them never fails for
     * want of one (the daemon makes them ahead; this is the intake's own guarantee). */
    res = PQexecParams(db->conn,
                       strcmp(table, "events") == 0
                           ? "SELECT last FROM (SELECT setval(pg_get_serial_sequence($1, 'id'),"
                             " nextval(pg_get_serial_sequence($1, 'id')) + $2::bigint - 1) AS last)"
                             " r, LATERAL ermes_events_ensure(r.last)"
                           : "SELECT setval(pg_get_serial_sequence($1, 'id'),"
                             " nextval(pg_get_serial_sequence($1, 'id')) + $2::bigint - 1)",
                       2, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        rc = result_error(db, res);
        PQclear(res);
        return rc ? rc : ERMES_ESTORE;
    }
    last = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    *first = last - n + 1;
    return 0;
}

static int pg_unreserve_ids(ermes__db_t *d, const char *table, int64_t last)
{
    pg_db_t *db = DB(d);
    const char *values[2];
    char num[24];
    PGresult *res;
    int rc;

    if ((rc = copy_flush(db)))
        return rc;
    snprintf(num, sizeof(num), "%" PRId64, last);
    values[0] = table;
    values[1] = num;
    /* last 0 (no row used one): the next id is 1 again. */
    res = PQexecParams(db->conn,
                       "SELECT setval(pg_get_serial_sequence($1, 'id'),"
                       " greatest($2::bigint, 1), $2::bigint >= 1)",
                       2, NULL, values, NULL, NULL, 0);
    rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : result_error(db, res);
    PQclear(res);
    return rc;
}

const ermes__db_backend_t ermes__db_postgresql = {
    .name = "postgresql",
    .kind = ERMES__DB_POSTGRESQL,
    .open = pg_open,
    .close = pg_close,
    .prepare = pg_prepare,
    .bind_int = pg_bind_int,
    .bind_textn = pg_bind_textn,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_int = pg_col_int,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .col_null = pg_col_null,
    .changes = pg_changes,
    .done = pg_done,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .errmsg = pg_errmsg,
    .durable = pg_durable,
    .foreign_keys = pg_foreign_keys,
    .bulk_row = pg_bulk_row,
    .bulk_flush = pg_bulk_flush,
    .reserve_ids = pg_reserve_ids,
    .unreserve_ids = pg_unreserve_ids,
};

/* ---- LISTEN: the daemons told at once that the registry or the indicators changed ---- */

/* The channels the counters' triggers notify (schema.c, migration 16). */
static const char *const channels[] = {"ermes_registry", "ermes_indicators"};

struct ermes__pg_listener {
    char *url;
    PGconn *conn;
    int missed; /* the connection was lost: notifications may have been missed */
};

/* A connection of the listener's own (a pooled one cannot wait on its socket), listening. */
static int listener_connect(ermes__pg_listener_t *l)
{
    char sql[128];

    if (l->conn)
        PQfinish(l->conn);
    l->conn = PQconnectdb(l->url);
    if (!l->conn)
        return ERMES_ENOMEM;
    if (PQstatus(l->conn) != CONNECTION_OK)
        return ERMES_ESTORE;
    for (size_t k = 0; k < sizeof(channels) / sizeof(channels[0]); k++) {
        PGresult *res;
        int ok;
        snprintf(sql, sizeof(sql), "LISTEN %s", channels[k]);
        res = PQexec(l->conn, sql);
        ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
        if (!ok)
            return ERMES_ESTORE;
    }
    return 0;
}

int ermes__pg_listen(const char *url, ermes__pg_listener_t **out)
{
    ermes__pg_listener_t *l = ermes__calloc(1, sizeof(*l));
    int rc;

    if (!l)
        return ERMES_ENOMEM;
    if (!(l->url = ermes__strdup(url))) {
        ermes__free(l);
        return ERMES_ENOMEM;
    }
    if ((rc = listener_connect(l))) {
        ermes__pg_listen_close(l);
        return rc;
    }
    *out = l;
    return 0;
}

int ermes__pg_listen_wait(ermes__pg_listener_t *l, int timeout_ms, int *changed)
{
    PGnotify *n;
    struct pollfd pfd;
    int rc;

    *changed = 0;
    if (PQstatus(l->conn) != CONNECTION_OK) {
        /* Made again; whatever changed meanwhile was not heard: say so. */
        if (!l->missed)
            ermes__log(ERMES_LOG_WARNING, "database: the LISTEN connection to PostgreSQL is lost; "
                                          "changes are found by polling until it is back");
        l->missed = 1;
        if (listener_connect(l)) {
            poll(NULL, 0, timeout_ms);
            return ERMES_ESTORE;
        }
        ermes__log(ERMES_LOG_NOTICE, "database: listening to PostgreSQL again");
        l->missed = 0;
        *changed = 1;
        return 0;
    }
    pfd.fd = PQsocket(l->conn);
    pfd.events = POLLIN;
    pfd.revents = 0;
    rc = poll(&pfd, 1, timeout_ms);
    if (rc < 0 && errno != EINTR)
        return ERMES_EIO;
    if (rc > 0 && !PQconsumeInput(l->conn))
        return ERMES_ESTORE; /* the next call reconnects */
    while ((n = PQnotifies(l->conn))) {
        *changed = 1;
        PQfreemem(n);
    }
    return 0;
}

void ermes__pg_listen_close(ermes__pg_listener_t *l)
{
    if (!l)
        return;
    if (l->conn)
        PQfinish(l->conn);
    ermes__free(l->url);
    ermes__free(l);
}
