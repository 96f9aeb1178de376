/* The backend-neutral layer of the database (db.h): per-thread connections, transactions with
 * the store's bookkeeping (extra names, the address index), migrations, and the store's
 * open/close. Each call goes to the backend the store was opened with: sqlite.c for a
 * database in the data directory, pg.c for a `postgresql://` database_url. */
#include "store/db.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/secret_box.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "store/db_int.h"
#include "store/event_doc.h"
#include "store/schema.h"
#include "store/store.h"
#include "store/store_int.h"

void ermes__db_init_common(ermes__db_t *db, const ermes__db_backend_t *be, ermes__store_t *st)
{
    db->be = be;
    db->store = st;
    ermes__strbuf_init(&db->scratch, 256u << 20);
}

void ermes__db_cleanup_common(ermes__db_t *db)
{
    ermes__strbuf_cleanup(&db->scratch);
    ermes__event_ips_free(db->event_ips);
    db->event_ips = NULL;
    for (size_t k = 0; k < db->nkept; k++)
        ermes__free(db->kept[k]);
    ermes__free(db->kept);
    db->kept = NULL;
    db->nkept = db->capkept = 0;
}

const char *ermes__db_keep_sql(ermes__db_t *db, char *sql)
{
    if (!sql)
        return NULL;
    if (db->nkept == db->capkept) {
        size_t cap = db->capkept ? db->capkept * 2 : 16;
        char **v = ermes__reallocarray(db->kept, cap, sizeof(*v));
        if (!v) {
            ermes__free(sql);
            return NULL;
        }
        db->kept = v;
        db->capkept = cap;
    }
    db->kept[db->nkept++] = sql;
    return sql;
}

static size_t slot_of(const char *sql, size_t cap)
{
    uintptr_t h = (uintptr_t)sql;

    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & (cap - 1);
}

ermes__db_stmt_t *ermes__stmt_cache_get(ermes__db_t *db, const char *sql)
{
    size_t k;

    if (!db->capstmts)
        return NULL;
    k = slot_of(sql, db->capstmts);
    while (db->stmts[k].sql && db->stmts[k].sql != sql)
        k = (k + 1) & (db->capstmts - 1);
    return db->stmts[k].sql ? db->stmts[k].st : NULL;
}

int ermes__stmt_cache_put(ermes__db_t *db, const char *sql, ermes__db_stmt_t *st)
{
    size_t k;

    /* At most half full: probes stay short. */
    if (db->capstmts == 0 || (db->nstmts + 1) * 2 >= db->capstmts) {
        size_t cap = db->capstmts ? db->capstmts * 2 : 64;
        ermes__stmt_slot_t *c = ermes__calloc(cap, sizeof(*c));
        if (!c)
            return ERMES_ENOMEM;
        for (size_t j = 0; j < db->capstmts; j++) {
            if (!db->stmts[j].sql)
                continue;
            k = slot_of(db->stmts[j].sql, cap);
            while (c[k].sql)
                k = (k + 1) & (cap - 1);
            c[k] = db->stmts[j];
        }
        ermes__free(db->stmts);
        db->stmts = c;
        db->capstmts = cap;
    }
    k = slot_of(sql, db->capstmts);
    while (db->stmts[k].sql)
        k = (k + 1) & (db->capstmts - 1);
    db->stmts[k].sql = sql;
    db->stmts[k].st = st;
    db->nstmts++;
    return 0;
}

void ermes__stmt_cache_clear(ermes__db_t *db, void (*free_cb)(ermes__db_stmt_t *st))
{
    for (size_t k = 0; k < db->capstmts; k++)
        if (db->stmts[k].sql)
            free_cb(db->stmts[k].st);
    ermes__free(db->stmts);
    db->stmts = NULL;
    db->nstmts = db->capstmts = 0;
}

int ermes__db_kind(ermes__db_t *db)
{
    return db->be->kind;
}

/* Thread exit: the thread's connection is closed and forgotten. */
static void conn_destructor(void *p)
{
    ermes__db_t *db = p, **pp;
    ermes__store_t *st = db->store;

    pthread_mutex_lock(&st->lock);
    for (pp = &st->conns; *pp; pp = &(*pp)->next)
        if (*pp == db) {
            *pp = db->next;
            break;
        }
    pthread_mutex_unlock(&st->lock);
    db->be->close(db);
}

ermes__db_t *ermes__db_conn(ermes__store_t *st)
{
    ermes__db_t *db = pthread_getspecific(st->key);

    if (db)
        return db;
    if (st->backend->open(st, &db))
        return NULL;
    if (pthread_setspecific(st->key, db)) {
        db->be->close(db);
        return NULL;
    }
    pthread_mutex_lock(&st->lock);
    db->next = st->conns;
    st->conns = db;
    pthread_mutex_unlock(&st->lock);
    return db;
}

int ermes__db_prepare(ermes__db_t *db, const char *sql, ermes__db_stmt_t **out)
{
    return db->be->prepare(db, sql, out);
}

int ermes__db_bind_int(ermes__db_stmt_t *s, int idx, int64_t v)
{
    return s->be->bind_int(s, idx, v);
}

int ermes__db_bind_text(ermes__db_stmt_t *s, int idx, const char *text)
{
    if (!text)
        return s->be->bind_null(s, idx);
    return s->be->bind_textn(s, idx, text, strlen(text));
}

int ermes__db_bind_textn(ermes__db_stmt_t *s, int idx, const char *text, size_t len)
{
    if (!text)
        return s->be->bind_null(s, idx);
    return s->be->bind_textn(s, idx, text, len);
}

int ermes__db_bind_blob(ermes__db_stmt_t *s, int idx, const void *p, size_t len)
{
    return s->be->bind_blob(s, idx, p, len);
}

int ermes__db_bind_null(ermes__db_stmt_t *s, int idx)
{
    return s->be->bind_null(s, idx);
}

int ermes__db_step(ermes__db_stmt_t *s)
{
    return s->be->step(s);
}

int64_t ermes__db_col_int(ermes__db_stmt_t *s, int col)
{
    return s->be->col_int(s, col);
}

const char *ermes__db_col_text(ermes__db_stmt_t *s, int col)
{
    return s->be->col_text(s, col);
}

const void *ermes__db_col_blob(ermes__db_stmt_t *s, int col, size_t *len)
{
    return s->be->col_blob(s, col, len);
}

int ermes__db_col_null(ermes__db_stmt_t *s, int col)
{
    return s->be->col_null(s, col);
}

int64_t ermes__db_changes(ermes__db_t *db)
{
    return db->be->changes(db);
}

void ermes__db_done(ermes__db_stmt_t *s)
{
    if (s)
        s->be->done(s);
}

int ermes__db_exec(ermes__db_t *db, const char *sql)
{
    return db->be->exec(db, sql);
}

int ermes__db_scrub(ermes__db_t *db, int after)
{
    return db->be->scrub ? db->be->scrub(db, after) : 0;
}

/* The transaction's reserved ids are forgotten when it ends (those not used given back at
 * commit; a rollback leaves a gap, as a generated id rolled back does). */
static void ids_forget(ermes__db_t *db)
{
    /* What this transaction used sizes the next one's first block (ermes__db_next_id); one
     * that used none (a report claimed, a lease renewed between a daemon's batches) leaves
     * it as it was. */
    if (db->ids_used)
        db->ids_hint = db->ids_used;
    db->ids_table = NULL;
    db->ids_next = db->ids_end = db->ids_block = db->ids_used = 0;
}

int ermes__db_begin(ermes__db_t *db, int write)
{
    int rc;

    if (db->in_tx)
        return ERMES_EINVAL;
    rc = db->be->begin(db, write);
    if (rc == 0)
        db->in_tx = 1;
    return rc;
}

int ermes__db_commit(ermes__db_t *db)
{
    int rc = ermes__event_ips_flush(db);

    /* Ids reserved and not used go back (the write lock is still held, so nobody drew one
     * after them): a transaction's ids leave no gap behind it. */
    if (rc == 0 && db->ids_table && db->ids_next < db->ids_end && db->be->unreserve_ids)
        rc = db->be->unreserve_ids(db, db->ids_table, db->ids_next - 1);

    if (rc == 0)
        rc = db->be->commit(db);
    if (rc == 0) {
        db->in_tx = 0;
        ids_forget(db);
        ermes__event_names_end(db->store->names, db, ERMES__NAMES_COMMIT);
    }
    return rc;
}

void ermes__db_rollback(ermes__db_t *db)
{
    /* Before the lock goes: once it does, another process may give the numbers this
     * transaction inserted to other names. */
    ermes__event_names_end(db->store->names, db, ERMES__NAMES_ROLLBACK);
    ermes__event_ips_clear(db);
    db->be->rollback(db);
    db->in_tx = 0;
    ids_forget(db);
}

int ermes__db_bulk_row(ermes__db_t *db, const ermes__db_bulk_def_t *def, ermes__db_stmt_t **row)
{
    if (!db->in_tx)
        return ERMES_EINVAL;
    if (db->be->bulk_row)
        return db->be->bulk_row(db, def, row);
    return ermes__db_prepare(db, def->insert_sql, row);
}

int ermes__db_bulk_add(ermes__db_stmt_t *row)
{
    int rc;

    if (row->be->bulk_add)
        return row->be->bulk_add(row);
    /* SQLite: the prepared INSERT itself. */
    rc = ermes__db_step(row);
    ermes__db_done(row);
    return rc == 1 ? 0 : rc;
}

int ermes__db_bulk_flush(ermes__db_t *db)
{
    return db->be->bulk_flush ? db->be->bulk_flush(db) : 0;
}

int ermes__db_bulk_buffered(ermes__db_t *db)
{
    return db->be->bulk_row != NULL;
}

int ermes__db_reserve_ids(ermes__db_t *db, const char *table, int64_t n, int64_t *first)
{
    if (!db->in_tx || n < 1)
        return ERMES_EINVAL;
    if (!db->be->reserve_ids)
        return ERMES_EUNSUPPORTED;
    return db->be->reserve_ids(db, table, n, first);
}

/* The largest block of ids reserved at once: an intake batch's rows (batch_rows, 50,000 by
 * default) in one. */
#define IDS_BLOCK_MAX ((int64_t)65536)

int ermes__db_next_id(ermes__db_t *db, const char *table, int64_t *id)
{
    int64_t first;
    int rc;

    if (db->ids_table != table || db->ids_next >= db->ids_end) {
        if (db->ids_table != table)
            db->ids_block = 0;
        /* The ids a transaction does not use go back at commit, but a rollback leaves its
         * block as a gap: small first, doubling. An intake batch is one of a series of
         * similar ones, so the first block is as large as the last transaction used: on
         * PostgreSQL each reservation is a round trip that ends the open COPY (the server
         * finishes storing what was sent while this process waits, and a new COPY starts),
         * which with blocks growing from 64 to 8192 in every batch was about ten times a
         * batch; now it is once (bench/README.md, ingest-pg). */
        if (db->ids_block)
            db->ids_block *= 2;
        else
            for (db->ids_block = 64; db->ids_block < db->ids_hint;)
                db->ids_block *= 2;
        if (db->ids_block > IDS_BLOCK_MAX)
            db->ids_block = IDS_BLOCK_MAX;
        if ((rc = ermes__db_reserve_ids(db, table, db->ids_block, &first)))
            return rc;
        db->ids_table = table;
        db->ids_next = first;
        db->ids_end = first + db->ids_block;
    }
    *id = db->ids_next++;
    db->ids_used++;
    return 0;
}

ermes__strbuf_t *ermes__db_scratch(ermes__db_t *db)
{
    return &db->scratch;
}

struct ermes__event_ips **ermes__db_event_ips(ermes__db_t *db)
{
    return &db->event_ips;
}

int ermes__db_in_tx(ermes__db_t *db)
{
    return db->in_tx;
}

const char *ermes__db_errmsg(ermes__db_t *db)
{
    return db->be->errmsg(db);
}

/* Applies the migrations the database lacks, each in a transaction with its version row. A
 * migration that has nothing to do on this backend (folded into an earlier one) still
 * records its version. */
static int migrate(ermes__db_t *db)
{
    ermes__db_stmt_t *s;
    int rc, have = 0, kind = ermes__db_kind(db);

    if ((rc = ermes__db_begin(db, 1)))
        return rc;
    rc = ermes__db_exec(db, "CREATE TABLE IF NOT EXISTS schema_version ("
                            " version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
    if (!rc)
        rc = ermes__db_prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &s);
    if (!rc) {
        if (ermes__db_step(s) == 1)
            have = (int)ermes__db_col_int(s, 0);
        ermes__db_done(s);
    }
    if (rc || (rc = ermes__db_commit(db))) {
        ermes__db_rollback(db);
        return rc;
    }
    if (have > ermes__schema_count()) {
        ermes__log(ERMES_LOG_ERROR,
                   "the database has schema version %d, newer than this ermes knows (%d)", have,
                   ermes__schema_count());
        return ERMES_EUNSUPPORTED;
    }
    for (int v = have + 1; v <= ermes__schema_count(); v++) {
        const char *sql = ermes__schema_migration(v, kind);
        if ((rc = ermes__db_begin(db, 1)))
            return rc;
        /* Another process may have applied it while this one waited for the lock. */
        rc = ermes__db_prepare(db, "SELECT 1 FROM schema_version WHERE version = ?", &s);
        if (!rc) {
            ermes__db_bind_int(s, 1, v);
            rc = ermes__db_step(s);
            ermes__db_done(s);
            if (rc == 1) {
                ermes__db_rollback(db);
                continue;
            }
        }
        if (!rc && sql && *sql)
            rc = ermes__db_exec(db, sql);
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
        ermes__log(ERMES_LOG_INFO, "database migrated to schema version %d", v);
    }
    return 0;
}

/* 1 when url names a PostgreSQL server rather than a SQLite file. */
static int is_postgresql(const char *url)
{
    return url && (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0);
}

int ermes__store_open(const char *data_dir, const ermes__store_options_t *opts,
                      ermes__store_t **out)
{
    const char *url = opts ? opts->database_url : NULL;
    ermes__store_t *st;
    ermes__db_t *db;
    size_t n;
    int rc;

    st = ermes__calloc(1, sizeof(*st));
    if (!st)
        return ERMES_ENOMEM;
    st->busy_timeout_ms = opts && opts->busy_timeout_ms ? opts->busy_timeout_ms : 10000;
    st->cache_mb = opts && opts->cache_mb > 0 ? opts->cache_mb : 32;
    st->create = opts ? opts->create : 0;
    st->event_width = ERMES__EVENT_WIDTH_DEFAULT; /* ermes__store_event_width sets it */
    st->backend = is_postgresql(url) ? &ermes__db_postgresql : &ermes__db_sqlite;
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
    /* The data directory holds the spool, reports and positions whichever backend holds the
     * rows. */
    if (st->create && mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
        ermes__log(ERMES_LOG_ERROR, "cannot create data directory %s: %s", data_dir,
                   strerror(errno));
        rc = ERMES_EIO;
        goto fail;
    }
    if (data_dir && !(st->data_dir = ermes__strdup(data_dir))) {
        rc = ERMES_ENOMEM;
        goto fail;
    }
    if (is_postgresql(url)) {
        st->path = ermes__strdup(url);
    } else if (url && *url) {
        /* A path: the SQLite file itself. */
        st->path = ermes__strdup(url);
    } else {
        n = strlen(data_dir) + sizeof("/ermes.db");
        st->path = ermes__malloc(n);
        if (st->path)
            snprintf(st->path, n, "%s/ermes.db", data_dir);
    }
    if (!st->path) {
        rc = ERMES_ENOMEM;
        goto fail;
    }
    db = ermes__db_conn(st);
    if (!db) {
        rc = is_postgresql(url) ? ERMES_ESTORE : ERMES_EIO;
        goto fail;
    }
    rc = migrate(db);
    if (rc)
        goto fail;
    /* Peers' credentials stored in plain text by an older ermes are sealed now (peers.c). A
     * failure leaves them as they were, and says so. */
    if (ermes__store_peers_seal(st))
        ermes__log(ERMES_LOG_ERROR, "peers' credentials are not sealed: cannot write %s/%s",
                   data_dir, ERMES__SECRET_KEY_FILE);
    /* And the stored collectors' (collector_defs.c). */
    if (ermes__store_collector_defs_seal(st))
        ermes__log(ERMES_LOG_ERROR, "collectors' credentials are not sealed: cannot write %s/%s",
                   data_dir, ERMES__SECRET_KEY_FILE);
    *out = st;
    return 0;
fail:
    ermes__store_close(st);
    return rc;
}

void ermes__store_close(ermes__store_t *st)
{
    ermes__db_t *db, *next;

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
        db->be->close(db);
    }
    pthread_mutex_destroy(&st->lock);
    ermes__event_names_free(st->names);
    ermes__free(st->path);
    ermes__free(st->data_dir);
    sodium_memzero(st->secret, sizeof(st->secret));
    ermes__free(st);
}

const char *ermes__store_backend(const ermes__store_t *st)
{
    return st->backend->name;
}

int ermes__store_schema_version(ermes__store_t *st, int *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
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

int ermes__store_begin(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);

    return db ? ermes__db_begin(db, 1) : ERMES_ESTORE;
}

int ermes__store_in_tx(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);

    return db ? ermes__db_in_tx(db) : 0;
}

int ermes__store_commit(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);

    return db ? ermes__db_commit(db) : ERMES_ESTORE;
}

void ermes__store_rollback(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);

    if (db)
        ermes__db_rollback(db);
}

int ermes__store_durable(ermes__store_t *st, int each_commit)
{
    ermes__db_t *db = ermes__db_conn(st);

    return db ? db->be->durable(db, each_commit) : ERMES_ESTORE;
}

int ermes__store_foreign_keys(ermes__store_t *st, int on)
{
    ermes__db_t *db = ermes__db_conn(st);

    if (!db)
        return ERMES_ESTORE;
    if (db->in_tx)
        return ERMES_EINVAL; /* SQLite ignores it inside a transaction */
    return db->be->foreign_keys(db, on);
}

int ermes__store_savepoint(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Entries pending before the savepoint are written now: a rollback to it drops only
     * those after it. */
    if ((rc = ermes__event_ips_flush(db)))
        return rc;
    return ermes__db_exec(db, "SAVEPOINT ermes__row");
}

int ermes__store_release(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);

    return db ? ermes__db_exec(db, "RELEASE ermes__row") : ERMES_ESTORE;
}

void ermes__store_rollback_to(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);

    if (db) {
        ermes__event_names_end(st->names, db, ERMES__NAMES_SAVEPOINT);
        ermes__event_ips_clear(db);
        ermes__db_exec(db, "ROLLBACK TO ermes__row; RELEASE ermes__row");
    }
}

struct ermes__store_listener {
    ermes__pg_listener_t *pg;
};

int ermes__store_listen(ermes__store_t *st, ermes__store_listener_t **out)
{
    ermes__store_listener_t *l;
    int rc;

    if (st->backend->kind != ERMES__DB_POSTGRESQL)
        return ERMES_EUNSUPPORTED;
    if (!(l = ermes__calloc(1, sizeof(*l))))
        return ERMES_ENOMEM;
    if ((rc = ermes__pg_listen(st->path, &l->pg))) {
        ermes__free(l);
        return rc;
    }
    *out = l;
    return 0;
}

int ermes__store_listen_wait(ermes__store_listener_t *l, int timeout_ms, int *changed)
{
    return ermes__pg_listen_wait(l->pg, timeout_ms, changed);
}

void ermes__store_listen_close(ermes__store_listener_t *l)
{
    if (!l)
        return;
    ermes__pg_listen_close(l->pg);
    ermes__free(l);
}
