/* What the store's own files share: the store struct and transaction helpers. */
#ifndef ERMES_STORE_STORE_INT_H
#define ERMES_STORE_STORE_INT_H

#include <pthread.h>

#include "store/db.h"

struct ermes__db_backend;

struct ermes__store {
    const struct ermes__db_backend *backend; /* sqlite.c or pg.c */
    char *path;                              /* the SQLite file, or the PostgreSQL URL */
    long busy_timeout_ms;
    long cache_mb;
    int create;
    pthread_key_t key; /* the calling thread's ermes__db_t */
    int key_made;
    pthread_mutex_t lock; /* guards conns */
    ermes__db_t *conns;
    struct ermes__event_names *names; /* the extra names packed events use (event_names.c) */
    int instance_seen;                /* this process's instance row is in the database (lease.c) */
    char *data_dir;                   /* where the key of secrets at rest is (peers.c) */
    int secret_loaded;                /* secret holds the key (under lock) */
    unsigned char secret[32];
    int64_t event_width; /* event_partition_width: the time map's blocks on SQLite (atomic) */
};

/* The events' time map (event_time_map.c, migration 70). A batch's events with a time.source,
 * kept until the batch's transaction is about to commit (through the tally, stats.c). */
typedef struct ermes__event_time {
    int64_t id, time;
} ermes__event_time_t;
typedef struct ermes__event_times {
    ermes__event_time_t *v;
    size_t n, cap;
} ermes__event_times_t;
int ermes__event_times_add(ermes__event_times_t *t, int64_t id, int64_t time);
/* One upsert per block of the batch's ids in db's open transaction; empties t. */
int ermes__event_times_flush(ermes__event_times_t *t, ermes__store_t *st, ermes__db_t *db);
void ermes__event_times_cleanup(ermes__event_times_t *t);
/* A half-open range of ids [lo, hi). */
typedef struct ermes__id_range {
    int64_t lo, hi;
} ermes__id_range_t;
/* The ranges of ids (sorted, disjoint; *out to free) of the blocks that can hold an event
 * whose time.source is in [since, until) (0: open). */
int ermes__event_time_ranges(ermes__db_t *db, int64_t since, int64_t until, ermes__id_range_t **out,
                             size_t *n);
/* The rows of blocks left without events removed (retention). */
int ermes__event_time_map_prune(ermes__db_t *db);

/* Secrets at rest (peers.c, src/core/secret_box.h): the data directory's key into key (made
 * with create when missing), and plain sealed under it into *sealed (free() it; NULL when plain
 * is NULL or empty). */
int ermes__store_secret_key(ermes__store_t *st, int create, unsigned char key[32]);
int ermes__store_secret_seal(ermes__store_t *st, const char *plain, char **sealed);
int ermes__store_secret_open(ermes__store_t *st, const char *sealed, char **out);

typedef struct ermes__event_names ermes__event_names_t;
int ermes__event_names_new(ermes__event_names_t **out);
void ermes__event_names_free(ermes__event_names_t *n);
/* The transaction of db committed (the names it inserted stay), rolled back (they go), or
 * rolled back to a savepoint (they go from memory, and stay pending until the end). */
enum { ERMES__NAMES_COMMIT, ERMES__NAMES_ROLLBACK, ERMES__NAMES_SAVEPOINT };
void ermes__event_names_end(ermes__event_names_t *n, const ermes__db_t *db, int how);

/* 1 while the connection is inside a transaction. */
int ermes__db_in_tx(ermes__db_t *db);

/* Opens a write transaction unless one is open; *owned says whether this call opened it, so
 * the matching ermes__tx_end() commits (rc == 0) or rolls back only what it opened. */
static inline int ermes__tx_start(ermes__db_t *db, int *owned)
{
    *owned = !ermes__db_in_tx(db);
    return *owned ? ermes__db_begin(db, 1) : 0;
}

/* One statement about one row by its id (bound to ?1) that says whether it found it, as
 * "DELETE FROM t WHERE id = ?1 RETURNING id": 0 when a row came back, ERMES_ENOTFOUND when
 * none did, or a negative error. */
static inline int ermes__db_exec_id(struct ermes__store *st, const char *sql, int64_t id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, sql, &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
}

/* The pagination loop of every listing: the query's LIMIT is bound to ermes__page_limit(limit)
 * (one row more than the page, to know whether more follow; no limit when limit <= 0), and
 * ermes__page_step(s, limit, &n, more) steps it: 1 with a row to read (counted in *n), 0 at
 * the end of the rows or of the page (then *more = 1, when more is not NULL, if a row past
 * the page showed), or a negative error. */
static inline int64_t ermes__page_limit(long limit)
{
    return limit > 0 ? (int64_t)limit + 1 : -1;
}

static inline int ermes__page_step(ermes__db_stmt_t *s, long limit, long *n, int *more)
{
    int rc = ermes__db_step(s);

    if (rc != 1)
        return rc;
    if (limit > 0 && *n == limit) {
        if (more)
            *more = 1;
        return 0;
    }
    (*n)++;
    return 1;
}

/* Whether a lease (holder: an instance id, until: ms; 0 for none) still holds at now: not when
 * it has no end or ran out, nor when its holder is known to be gone (holder_gone: its process
 * on this machine no longer exists, ermes__instance_gone). A lease of instance self holds when
 * self_holds (its other threads have it: collectors, notifications) and not when the caller
 * renews or gives back its own (reports). The one lease rule (lease.c). */
int ermes__lease_holds(int64_t holder, int64_t until, int64_t now, int64_t self, int self_holds,
                       int holder_gone);
/* 1 when instance id ran on this machine (the same host key) under a process that no longer
 * exists; 0 otherwise (another machine, alive, unknown). */
int ermes__instance_gone(ermes__db_t *db, int64_t id);
/* A claim of a row's lease for this instance: read it (select_sql, ?1 the key, giving
 * lease_owner and lease_until), leave it when it holds (ermes__lease_holds with now,
 * self_holds), else compare and swap (update_sql: ?1 the key, ?2 owner and ?3 until, both NULL
 * when until is 0 (a release), ?4 and ?5 the holder and end read, ?6.. the extra values;
 * RETURNING a row when it changed one). The key is name when not NULL, else id. */
typedef struct ermes__lease_claim {
    const char *select_sql, *update_sql;
    int64_t id;
    const char *name;
    int64_t owner, until, now;
    int self_holds;
    int nextra;
    int64_t extra[2];
} ermes__lease_claim_t;

/* *claimed = 1 when the lease was taken. Returns 0, ERMES_ENOTFOUND without the row, or a
 * store error. */
int ermes__lease_claim(ermes__db_t *db, const ermes__lease_claim_t *c, int *claimed);
/* This process's row in instances, written before its first claim of anything (a claim made
 * through ermes__lease_claim does it itself): without it, a job it holds cannot be told from
 * one of an unknown holder until the first heartbeat. */
void ermes__lease_register(ermes__db_t *db);

static inline int ermes__tx_end(ermes__db_t *db, int owned, int rc)
{
    if (!owned)
        return rc;
    if (rc == 0)
        rc = ermes__db_commit(db);
    if (rc)
        ermes__db_rollback(db);
    return rc;
}

#endif
