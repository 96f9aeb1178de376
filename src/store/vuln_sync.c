/* The scheduled sync's record of the sources of vulnerability intelligence (migration 42): one
 * row per source, replaced at each run (with what it skipped, migration 75), on SQLite and
 * PostgreSQL alike. */
#include <string.h>

#include "store/db.h"
#include "store/vulns.h"

int ermes__store_vuln_sync_last(ermes__store_t *st, const char *source, int64_t *at)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT last_run_at FROM vuln_sync_sources WHERE source = ?",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, source);
    rc = ermes__db_step(s);
    if (rc >= 0) {
        *at = rc == 1 ? ermes__db_col_int(s, 0) : 0;
        rc = 0;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_vuln_sync_put(ermes__store_t *st, const ermes__vuln_sync_row_t *r, int64_t home)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO vuln_sync_sources (source, last_run_at, ok, records, changed, error, "
             "skipped, tlp, owner_org_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
             "?6, ?8, 'AMBER', ?7, ?2, ?2) ON CONFLICT (source) DO UPDATE SET last_run_at = ?2, "
             "ok = ?3, records = ?4, changed = ?5, error = ?6, skipped = ?8, updated_at = ?2",
             &s)))
        return rc;
    ermes__db_bind_text(s, 1, r->source);
    ermes__db_bind_int(s, 2, r->last_run_at);
    ermes__db_bind_int(s, 3, r->ok);
    ermes__db_bind_int(s, 4, r->records);
    ermes__db_bind_int(s, 5, r->changed);
    ermes__db_bind_text(s, 6, r->error ? r->error : "");
    if (home > 0)
        ermes__db_bind_int(s, 7, home);
    else
        ermes__db_bind_null(s, 7);
    ermes__db_bind_text(s, 8, r->skipped ? r->skipped : "");
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_vuln_sync_each(ermes__store_t *st,
                                int (*cb)(void *ctx, const ermes__vuln_sync_row_t *r), void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "SELECT source, last_run_at, ok, records, changed, error, skipped FROM "
             "vuln_sync_sources ORDER BY source",
             &s)))
        return rc;
    while ((rc = ermes__db_step(s)) == 1) {
        ermes__vuln_sync_row_t r;
        r.source = ermes__db_col_text(s, 0);
        r.last_run_at = ermes__db_col_int(s, 1);
        r.ok = (int)ermes__db_col_int(s, 2);
        r.records = (long)ermes__db_col_int(s, 3);
        r.changed = (long)ermes__db_col_int(s, 4);
        r.error = ermes__db_col_text(s, 5);
        r.skipped = ermes__db_col_text(s, 6);
        if ((rc = cb(ctx, &r)))
            break;
    }
    ermes__db_done(s);
    return rc; /* 0 at the end, an error, or what cb returned */
}
