/* Advisories' links to incidents and indicators (migration 48 in schema.c; advisories/links.h),
 * on both backends: the explicit links, and the look-ups the computed links are made from. */
#include <stdio.h>
#include <string.h>

#include "advisories/links.h"
#include "core/time.h"
#include "store/store_int.h"

/* A number in a statement's text (the statements are literals). */
#define LIMIT_S2(n) #n
#define LIMIT_S(n) LIMIT_S2(n)

int ermes__store_advisory_link_add(ermes__store_t *st, int64_t advisory_id, const char *kind,
                                   int64_t object_id, const char *actor, ermes_tlp_t tlp,
                                   int64_t owner_org_id, int *added)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    *added = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO advisory_links (advisory_id, kind, object_id, actor,"
                                " tlp, owner_org_id, created_at, updated_at) VALUES (?1, ?2, ?3,"
                                " ?4, ?5, ?6, ?7, ?7) ON CONFLICT DO NOTHING",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, advisory_id);
    ermes__db_bind_text(s, 2, kind);
    ermes__db_bind_int(s, 3, object_id);
    ermes__db_bind_text(s, 4, actor ? actor : "");
    ermes__db_bind_text(s, 5, ermes_tlp_name(tlp));
    if (owner_org_id)
        ermes__db_bind_int(s, 6, owner_org_id);
    else
        ermes__db_bind_null(s, 6);
    ermes__db_bind_int(s, 7, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    *added = ermes__db_changes(db) > 0;
    return 0;
}

int ermes__store_advisory_link_remove(ermes__store_t *st, int64_t advisory_id, const char *kind,
                                      int64_t object_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "DELETE FROM advisory_links WHERE advisory_id = ?1 AND kind = ?2"
                                " AND object_id = ?3",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, advisory_id);
    ermes__db_bind_text(s, 2, kind);
    ermes__db_bind_int(s, 3, object_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    return ermes__db_changes(db) > 0 ? 0 : ERMES_ENOTFOUND;
}

int ermes__store_advisory_link_each(ermes__store_t *st, int64_t advisory_id, const char *kind,
                                    int64_t object_id, ermes__store_advisory_link_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Literals: the connection caches statements by their text's address. */
    if ((rc = ermes__db_prepare(
             db,
             advisory_id ? "SELECT advisory_id, kind, object_id FROM advisory_links"
                           " WHERE advisory_id = ?1 ORDER BY created_at, advisory_id, kind,"
                           " object_id LIMIT " LIMIT_S(ERMES_ADVISORY_LINKS_MAX)
                         : "SELECT advisory_id, kind, object_id FROM advisory_links"
                           " WHERE kind = ?1 AND object_id = ?2 ORDER BY created_at, advisory_id,"
                           " kind, object_id LIMIT " LIMIT_S(ERMES_ADVISORY_LINKS_MAX),
             &s)))
        return rc;
    if (advisory_id) {
        ermes__db_bind_int(s, 1, advisory_id);
    } else {
        ermes__db_bind_text(s, 1, kind ? kind : "");
        ermes__db_bind_int(s, 2, object_id);
    }
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_int(s, 0), ermes__db_col_text(s, 1),
                     ermes__db_col_int(s, 2))))
            break;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

/* Runs sql (one parameter, text) and gives cb the id in the first column of each row. */
static int ids_of(ermes__store_t *st, const char *sql, const char *text, ermes__store_id_cb cb,
                  void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, sql, &s)))
        return rc;
    ermes__db_bind_text(s, 1, text);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_int(s, 0))))
            break;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_incidents_with_cve(ermes__store_t *st, const char *cve, ermes__store_id_cb cb,
                                    void *ctx)
{
    /* upper(): an observable keeps the case it was given in. */
    return ids_of(
        st,
        "SELECT DISTINCT incident_id FROM incident_observables WHERE type = 'cve'"
        " AND upper(value) = ?1 ORDER BY incident_id LIMIT " LIMIT_S(ERMES_ADVISORY_LINKS_MAX),
        cve, cb, ctx);
}

int ermes__store_indicators_with_value(ermes__store_t *st, const char *cve, ermes__store_id_cb cb,
                                       void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    char tag[ERMES_CVE_ID_MAX + 8];
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Its value, or one of its tags (a JSON array of strings: MISP and STIX sources tag an
     * indicator with the CVE it exploits). The id holds no LIKE wildcard. */
    snprintf(tag, sizeof(tag), "%%\"%s\"%%", cve);
    if ((rc = ermes__db_prepare(
             db,
             "SELECT id FROM indicators WHERE upper(value) = ?1"
             " OR upper(tags) LIKE ?2 ORDER BY id LIMIT " LIMIT_S(ERMES_ADVISORY_LINKS_MAX),
             &s)))
        return rc;
    ermes__db_bind_text(s, 1, cve);
    ermes__db_bind_text(s, 2, tag);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_int(s, 0))))
            break;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
