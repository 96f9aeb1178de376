/* What published advisories warned (migration 40): see store/advisory_warnings.h. The rows are
 * the CERT's (TLP:AMBER: they say what one organisation runs), owned by the home organisation. */
#include "store/advisory_warnings.h"

#include <stdio.h>
#include <string.h>

#include "store/db.h"
#include "store/store_int.h"

static void bind_owner(ermes__db_stmt_t *s, int i, int64_t owner)
{
    if (owner)
        ermes__db_bind_int(s, i, owner);
    else
        ermes__db_bind_null(s, i);
}

int ermes__store_advisory_unwarned(ermes__store_t *st, int64_t *ids, size_t cap, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT a.id FROM advisories a"
                                " LEFT JOIN advisory_warned w ON w.advisory_id = a.id"
                                " WHERE a.published_document IS NOT NULL"
                                " AND (a.revision > COALESCE(w.revision, 0)"
                                " OR COALESCE(w.assets_seen, 0) <"
                                " (SELECT COALESCE(MAX(updated_at), 0) FROM assets))"
                                " ORDER BY a.id LIMIT ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, (int64_t)cap);
    while ((rc = ermes__db_step(s)) == 1 && *n < cap)
        ids[(*n)++] = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_set_warned(ermes__store_t *st, int64_t advisory_id, int64_t revision,
                                     int64_t owner, int64_t now)
{
    return ermes__store_advisory_set_warned_seen(st, advisory_id, revision, -1, owner, now);
}

int ermes__store_advisory_set_warned_seen(ermes__store_t *st, int64_t advisory_id, int64_t revision,
                                          int64_t assets_seen, int64_t owner, int64_t now)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO advisory_warned (advisory_id, revision, assets_seen,"
                                " tlp, owner_org_id, created_at, updated_at)"
                                " VALUES (?1, ?2, CASE WHEN ?5 < 0 THEN (SELECT"
                                " COALESCE(MAX(updated_at), 0) FROM assets) ELSE ?5 END,"
                                " 'AMBER', ?3, ?4, ?4)"
                                " ON CONFLICT (advisory_id) DO UPDATE SET"
                                " revision = excluded.revision,"
                                " assets_seen = excluded.assets_seen,"
                                " updated_at = excluded.updated_at",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, advisory_id);
    ermes__db_bind_int(s, 2, revision);
    bind_owner(s, 3, owner);
    ermes__db_bind_int(s, 4, now);
    ermes__db_bind_int(s, 5, assets_seen);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_assets_changed_at(ermes__store_t *st, int64_t *at)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *at = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT COALESCE(MAX(updated_at), 0) FROM assets", &s)))
        return rc;
    if ((rc = ermes__db_step(s)) == 1)
        *at = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_asset_match_mark(ermes__store_t *st, const char *name, int64_t *seen)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *seen = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT seen FROM asset_match_marks WHERE name = ?1", &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    if ((rc = ermes__db_step(s)) == 1)
        *seen = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_asset_match_mark_set(ermes__store_t *st, const char *name, int64_t seen,
                                      int64_t now)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO asset_match_marks (name, seen, tlp, created_at,"
                                " updated_at) VALUES (?1, ?2, 'AMBER', ?3, ?3)"
                                " ON CONFLICT (name) DO UPDATE SET seen = excluded.seen,"
                                " updated_at = excluded.updated_at",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_int(s, 2, seen);
    ermes__db_bind_int(s, 3, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_warning_each(ermes__store_t *st, int64_t advisory_id,
                                       ermes__advisory_warning_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT asset_id, digest FROM advisory_asset_warnings"
                                " WHERE advisory_id = ?1 ORDER BY asset_id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, advisory_id);
    while ((rc = ermes__db_step(s)) == 1) {
        const char *digest = ermes__db_col_text(s, 1);
        if ((rc = cb(ctx, ermes__db_col_int(s, 0), digest ? digest : "")))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_warning_put(ermes__store_t *st, int64_t advisory_id, int64_t asset_id,
                                      int64_t org_id, int64_t revision, const char *digest,
                                      int64_t notification_id, int64_t owner, int64_t now)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO advisory_asset_warnings (advisory_id, asset_id,"
                                " revision, digest, notification_id, org_id, tlp, owner_org_id,"
                                " created_at, updated_at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'AMBER', ?7, ?8, ?8)"
                                " ON CONFLICT (advisory_id, asset_id) DO UPDATE SET"
                                " revision = excluded.revision, digest = excluded.digest,"
                                " notification_id = excluded.notification_id,"
                                " updated_at = excluded.updated_at",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, advisory_id);
    ermes__db_bind_int(s, 2, asset_id);
    ermes__db_bind_int(s, 3, revision);
    ermes__db_bind_text(s, 4, digest);
    if (notification_id)
        ermes__db_bind_int(s, 5, notification_id);
    else
        ermes__db_bind_null(s, 5);
    ermes__db_bind_int(s, 6, org_id);
    bind_owner(s, 7, owner);
    ermes__db_bind_int(s, 8, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_warning_drop(ermes__store_t *st, int64_t advisory_id, int64_t asset_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "DELETE FROM advisory_asset_warnings"
                                " WHERE advisory_id = ?1 AND asset_id = ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, advisory_id);
    ermes__db_bind_int(s, 2, asset_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_vuln_ensure(ermes__store_t *st, const char *name, int64_t owner, int64_t now,
                             int64_t *id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *id = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO vulnerabilities (cve_id, tlp, owner_org_id,"
                                " created_at, updated_at) VALUES (?1, 'CLEAR', ?2, ?3, ?3)"
                                " ON CONFLICT (cve_id) DO NOTHING",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    bind_owner(s, 2, owner);
    ermes__db_bind_int(s, 3, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if ((rc = ermes__db_prepare(db, "SELECT id FROM vulnerabilities WHERE cve_id = ?1", &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    if ((rc = ermes__db_step(s)) == 1)
        *id = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    return *id ? 0 : ERMES_ENOTFOUND;
}

int ermes__store_asset_vuln_status(ermes__store_t *st, int64_t asset_id, int64_t vuln_id,
                                   char *status, size_t cap, int *warned_kev)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    status[0] = '\0';
    *warned_kev = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT status, warned_kev FROM asset_vulns"
                                " WHERE asset_id = ?1 AND vuln_id = ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, asset_id);
    ermes__db_bind_int(s, 2, vuln_id);
    if ((rc = ermes__db_step(s)) == 1) {
        const char *t = ermes__db_col_text(s, 0);
        snprintf(status, cap, "%s", t ? t : "");
        *warned_kev = ermes__db_col_int(s, 1) != 0;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_warning_list(ermes__store_t *st, int64_t advisory_id,
                                       int64_t *warned_revision, ermes__advisory_warning_row_cb cb,
                                       void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *warned_revision = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT revision FROM advisory_warned WHERE advisory_id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, advisory_id);
    if ((rc = ermes__db_step(s)) == 1)
        *warned_revision = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if ((rc = ermes__db_prepare(db,
                                "SELECT w.asset_id, w.org_id, w.revision, w.updated_at,"
                                " o.short_name, n.reference FROM advisory_asset_warnings w"
                                " LEFT JOIN organisations o ON o.id = w.org_id"
                                " LEFT JOIN notifications n ON n.id = w.notification_id"
                                " WHERE w.advisory_id = ?1 ORDER BY o.short_name, w.asset_id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, advisory_id);
    while ((rc = ermes__db_step(s)) == 1) {
        ermes__advisory_warning_row_t w;
        w.asset_id = ermes__db_col_int(s, 0);
        w.org_id = ermes__db_col_int(s, 1);
        w.revision = ermes__db_col_int(s, 2);
        w.updated_at = ermes__db_col_int(s, 3);
        w.org = ermes__db_col_text(s, 4);
        w.notification = ermes__db_col_text(s, 5);
        if ((rc = cb(ctx, &w)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
