/* The store's collection tables: collector state and the spool directory's claims. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

int ermes__store_collector_get(ermes__store_t *st, const char *name, ermes__collector_state_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT name, status, last_error, http_status, last_run, "
                                "next_run, last_success, etag, last_modified, last_report_id, "
                                "body_sha256, failures, runs, reports FROM collectors "
                                "WHERE name = ?1",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    rc = ermes__db_step(s);
    if (rc == 1) {
        memset(out, 0, sizeof(*out));
        copy_text(out->name, sizeof(out->name), ermes__db_col_text(s, 0));
        copy_text(out->status, sizeof(out->status), ermes__db_col_text(s, 1));
        copy_text(out->last_error, sizeof(out->last_error), ermes__db_col_text(s, 2));
        out->http_status = (long)ermes__db_col_int(s, 3);
        out->last_run = ermes__db_col_int(s, 4);
        out->next_run = ermes__db_col_int(s, 5);
        out->last_success = ermes__db_col_int(s, 6);
        copy_text(out->etag, sizeof(out->etag), ermes__db_col_text(s, 7));
        copy_text(out->last_modified, sizeof(out->last_modified), ermes__db_col_text(s, 8));
        out->last_report_id = ermes__db_col_int(s, 9);
        copy_text(out->body_sha256, sizeof(out->body_sha256), ermes__db_col_text(s, 10));
        out->failures = ermes__db_col_int(s, 11);
        out->runs = ermes__db_col_int(s, 12);
        out->reports = ermes__db_col_int(s, 13);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

static void bind_opt_text(ermes__db_stmt_t *s, int idx, const char *v)
{
    if (v && v[0])
        ermes__db_bind_text(s, idx, v);
    else
        ermes__db_bind_null(s, idx);
}

static void bind_opt_int(ermes__db_stmt_t *s, int idx, int64_t v)
{
    if (v)
        ermes__db_bind_int(s, idx, v);
    else
        ermes__db_bind_null(s, idx);
}

int ermes__store_collector_put(ermes__store_t *st, const ermes__collector_state_t *c)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO collectors (name, status, last_error, http_status, last_run, next_run,"
             " last_success, etag, last_modified, last_report_id, body_sha256, failures, runs,"
             " reports, lease_owner, lease_until, tlp, created_at, updated_at)"
             " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,NULL,NULL,'AMBER',?15,?15)"
             " ON CONFLICT (name) DO UPDATE SET status = ?2, last_error = ?3, http_status = ?4,"
             " last_run = ?5, next_run = ?6, last_success = ?7, etag = ?8, last_modified = ?9,"
             " last_report_id = ?10, body_sha256 = ?11, failures = ?12, runs = ?13, reports = ?14,"
             " lease_owner = NULL, lease_until = NULL, updated_at = ?15",
             &s)))
        return rc;
    ermes__db_bind_text(s, 1, c->name);
    ermes__db_bind_text(s, 2, c->status[0] ? c->status : "new");
    bind_opt_text(s, 3, c->last_error);
    bind_opt_int(s, 4, c->http_status);
    bind_opt_int(s, 5, c->last_run);
    ermes__db_bind_int(s, 6, c->next_run);
    bind_opt_int(s, 7, c->last_success);
    bind_opt_text(s, 8, c->etag);
    bind_opt_text(s, 9, c->last_modified);
    bind_opt_int(s, 10, c->last_report_id);
    bind_opt_text(s, 11, c->body_sha256);
    ermes__db_bind_int(s, 12, c->failures);
    ermes__db_bind_int(s, 13, c->runs);
    ermes__db_bind_int(s, 14, c->reports);
    ermes__db_bind_int(s, 15, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_collector_claim(ermes__store_t *st, const char *name, int64_t owner, int64_t until,
                                 int *claimed)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    ermes__lease_claim_t c = {
        .select_sql = "SELECT lease_owner, lease_until FROM collectors WHERE name = ?1",
        .update_sql = "UPDATE collectors SET lease_owner = ?2, lease_until = ?3"
                      " WHERE name = ?1 AND COALESCE(lease_owner, 0) = ?4"
                      " AND COALESCE(lease_until, 0) = ?5 RETURNING name",
        .name = name,
        .owner = owner,
        .until = until,
        .now = now,
        .self_holds = 1,
    };
    int rc;

    *claimed = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO collectors (name, tlp, created_at, updated_at)"
                                " VALUES (?1, 'AMBER', ?2, ?2) ON CONFLICT (name) DO NOTHING",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_int(s, 2, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    /* Another thread of this very process holding it (the daemon's collector and an API
     * request) does hold it. */
    return ermes__lease_claim(db, &c, claimed);
}

int ermes__store_collector_release(ermes__store_t *st, const char *name, int64_t owner)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE collectors SET lease_owner = NULL, lease_until = NULL"
                                " WHERE name = ?1 AND lease_owner = ?2",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_int(s, 2, owner);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_collector_item_get(ermes__store_t *st, const char *collector, const char *item,
                                    char *version, char *status, int64_t *attempts)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT version, status, attempts FROM collector_items"
                                " WHERE collector = ?1 AND item = ?2",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, collector);
    ermes__db_bind_text(s, 2, item);
    rc = ermes__db_step(s);
    if (rc == 1) {
        copy_text(version, 129, ermes__db_col_text(s, 0));
        copy_text(status, 16, ermes__db_col_text(s, 1));
        *attempts = ermes__db_col_int(s, 2);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_collector_item_put(ermes__store_t *st, const char *collector, const char *item,
                                    const char *version, const char *status, int64_t report_id,
                                    const char *error)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO collector_items (collector, item, version, status, report_id, error,"
             " attempts, tlp, created_at, updated_at)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?4 = 'error' THEN 1 ELSE 0 END,"
             " 'AMBER', ?7, ?7)"
             " ON CONFLICT (collector, item) DO UPDATE SET version = ?3, status = ?4,"
             " report_id = ?5, error = ?6, attempts = CASE WHEN ?4 <> 'error' THEN 0"
             " WHEN collector_items.version = ?3 THEN collector_items.attempts + 1 ELSE 1 END,"
             " updated_at = ?7",
             &s)))
        return rc;
    ermes__db_bind_text(s, 1, collector);
    ermes__db_bind_text(s, 2, item);
    ermes__db_bind_text(s, 3, version ? version : "");
    ermes__db_bind_text(s, 4, status);
    bind_opt_int(s, 5, report_id);
    bind_opt_text(s, 6, error);
    ermes__db_bind_int(s, 7, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_spool_claim_insert(ermes__store_t *st, const char *token, int64_t report_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO spool_claims (token, report_id, created_at)"
                                " VALUES (?1, ?2, ?3)",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, token);
    ermes__db_bind_int(s, 2, report_id);
    ermes__db_bind_int(s, 3, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_spool_claim_find(ermes__store_t *st, const char *token, int64_t *report_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT report_id FROM spool_claims WHERE token = ?1", &s)))
        return rc;
    ermes__db_bind_text(s, 1, token);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *report_id = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}
