/* The store's deduplication log: the keys of the events stored, append-only, and the secret. */
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/event_doc.h"
#include "store/store_int.h"

/* The deduplication log (see src/intake/dedup.c): append-only, read forward by id. */
int ermes__store_dedup_since(ermes__store_t *st, int64_t *after_log, int64_t *after_batch,
                             ermes__store_dedup_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* What versions before migration 11 wrote: a row per key. */
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, key, first_seen FROM dedup_log WHERE id > ?1 "
                                "ORDER BY id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, *after_log);
    while ((rc = ermes__db_step(s)) == 1) {
        size_t len;
        const void *key = ermes__db_col_blob(s, 1, &len);
        *after_log = ermes__db_col_int(s, 0);
        if (!key || len != 16)
            continue; /* not a key this version wrote */
        if ((rc = cb(ctx, key, 1, ermes__db_col_int(s, 2))))
            break;
    }
    ermes__db_done(s);
    if (rc)
        return rc < 0 ? rc : rc == 1 ? 0 : rc;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, keys, first_seen FROM dedup_batches WHERE id > ?1"
                                " ORDER BY id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, *after_batch);
    while ((rc = ermes__db_step(s)) == 1) {
        size_t len;
        const uint8_t *keys = ermes__db_col_blob(s, 1, &len);
        *after_batch = ermes__db_col_int(s, 0);
        if (!keys || len % 16)
            continue;
        if ((rc = cb(ctx, keys, len / 16, ermes__db_col_int(s, 2))))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : rc;
}

int ermes__store_dedup_append(ermes__store_t *st, const uint8_t *keys, size_t nkeys,
                              int64_t first_seen, int64_t *batch_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (nkeys == 0 || nkeys > SIZE_MAX / 16)
        return ERMES_EINVAL;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO dedup_batches (first_seen, keys) VALUES (?1, ?2)"
                                " RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, first_seen);
    ermes__db_bind_blob(s, 2, keys, nkeys * 16);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *batch_id = ermes__db_col_int(s, 0);
        rc = 0;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_dedup_secret(ermes__store_t *st, uint8_t secret[16])
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc, found = 0;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT secret FROM dedup_secret WHERE id = 1", &s)))
        return rc;
    if ((rc = ermes__db_step(s)) == 1) {
        size_t len;
        const void *p = ermes__db_col_blob(s, 0, &len);
        if (p && len == 16) {
            memcpy(secret, p, 16);
            found = 1;
        }
    }
    ermes__db_done(s);
    if (rc < 0 || found)
        return rc < 0 ? rc : 0;
    if (!ermes__db_in_tx(db))
        return ERMES_EINVAL; /* made in the write transaction that first uses it */
    randombytes_buf(secret, 16);
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO dedup_secret (id, secret) VALUES (1, ?1)"
                                " ON CONFLICT (id) DO UPDATE SET secret = excluded.secret",
                                &s)))
        return rc;
    ermes__db_bind_blob(s, 1, secret, 16);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_dedup_prune(ermes__store_t *st, int64_t before)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* first_seen grows with id (but for reports processed out of order): the rows before the
     * first one still inside the window go, with one range delete on the primary key. */
    if ((rc = ermes__db_prepare(db,
                                "DELETE FROM dedup_log WHERE id < (SELECT coalesce(min(id), "
                                "(SELECT coalesce(max(id), 0) + 1 FROM dedup_log)) FROM "
                                "(SELECT id FROM dedup_log WHERE first_seen >= ?1 ORDER BY "
                                "id LIMIT 1) inside)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, before);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    /* A batch per transaction: few rows, and each is dropped by its own time. */
    if ((rc = ermes__db_prepare(db, "DELETE FROM dedup_batches WHERE first_seen < ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, before);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
