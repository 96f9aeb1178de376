/* MISP object references (migrations 59 and 65): the ObjectReference entries of the objects of an
 * imported MISP event (src/sharing/misp.c), per event, exported back in the object's
 * ObjectReference list. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

static int replace(ermes__db_t *db, const char *event_uuid, const ermes__misp_ref_t *refs, size_t n,
                   const char *tlp, int64_t owner_org_id)
{
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if ((rc =
             ermes__db_prepare(db, "DELETE FROM misp_object_references WHERE event_uuid = ?1", &s)))
        return rc;
    ermes__db_bind_text(s, 1, event_uuid);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    for (size_t k = 0; k < n; k++) {
        /* An object is one event's; the same reference read again from another event (a copy
         * of the object) moves to that event. */
        if ((rc = ermes__db_prepare(
                 db,
                 "INSERT INTO misp_object_references (uuid, event_uuid, object_uuid,"
                 " referenced_uuid, relationship_type, comment, tlp, owner_org_id, created_at,"
                 " updated_at, referenced_indicator_type, referenced_indicator_value,"
                 " referenced_indicator_exact) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9,"
                 " ?10, ?11, ?12)"
                 " ON CONFLICT (object_uuid, referenced_uuid, relationship_type) DO UPDATE SET"
                 " uuid = excluded.uuid, event_uuid = excluded.event_uuid,"
                 " comment = excluded.comment, tlp = excluded.tlp,"
                 " updated_at = excluded.updated_at,"
                 " referenced_indicator_type = excluded.referenced_indicator_type,"
                 " referenced_indicator_value = excluded.referenced_indicator_value,"
                 " referenced_indicator_exact = excluded.referenced_indicator_exact",
                 &s)))
            return rc;
        ermes__db_bind_text(s, 1, refs[k].uuid);
        ermes__db_bind_text(s, 2, event_uuid);
        ermes__db_bind_text(s, 3, refs[k].object_uuid);
        ermes__db_bind_text(s, 4, refs[k].referenced_uuid);
        ermes__db_bind_text(s, 5, refs[k].relationship_type);
        ermes__db_bind_text(s, 6, refs[k].comment);
        ermes__db_bind_text(s, 7, tlp);
        if (owner_org_id)
            ermes__db_bind_int(s, 8, owner_org_id);
        else
            ermes__db_bind_null(s, 8);
        ermes__db_bind_int(s, 9, now);
        if (refs[k].ind_value) {
            ermes__db_bind_text(s, 10, refs[k].ind_type);
            ermes__db_bind_text(s, 11, refs[k].ind_value);
            ermes__db_bind_int(s, 12, refs[k].ind_exact ? 1 : 0);
        } else {
            ermes__db_bind_null(s, 10);
            ermes__db_bind_null(s, 11);
            ermes__db_bind_null(s, 12);
        }
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int ermes__store_misp_refs_replace(ermes__store_t *st, const char *event_uuid,
                                   const ermes__misp_ref_t *refs, size_t n, const char *tlp,
                                   int64_t owner_org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    int rc, own;

    if (!db)
        return ERMES_ESTORE;
    own = !ermes__store_in_tx(st);
    if (own && (rc = ermes__store_begin(st)))
        return rc;
    if ((rc = replace(db, event_uuid, refs, n, tlp, owner_org_id))) {
        if (own)
            ermes__store_rollback(st);
        return rc;
    }
    return own ? ermes__store_commit(st) : 0;
}

int ermes__store_misp_refs_of(ermes__store_t *st, const char *object_uuid,
                              int (*cb)(void *ctx, const ermes__misp_ref_t *r), void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__misp_ref_t r;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT r.uuid, r.object_uuid, r.referenced_uuid,"
                                " r.relationship_type, r.comment, r.referenced_indicator_type,"
                                " r.referenced_indicator_value, r.referenced_indicator_exact,"
                                " i.id FROM misp_object_references r LEFT JOIN indicators i"
                                " ON i.type = r.referenced_indicator_type"
                                " AND i.value = r.referenced_indicator_value"
                                " AND i.exact = r.referenced_indicator_exact"
                                " WHERE r.object_uuid = ?1"
                                " ORDER BY r.referenced_uuid, r.relationship_type",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, object_uuid);
    while ((rc = ermes__db_step(s)) == 1) {
        const char *c;
        memset(&r, 0, sizeof(r));
        snprintf(r.uuid, sizeof(r.uuid), "%s", (c = ermes__db_col_text(s, 0)) ? c : "");
        snprintf(r.object_uuid, sizeof(r.object_uuid), "%s",
                 (c = ermes__db_col_text(s, 1)) ? c : "");
        snprintf(r.referenced_uuid, sizeof(r.referenced_uuid), "%s",
                 (c = ermes__db_col_text(s, 2)) ? c : "");
        snprintf(r.relationship_type, sizeof(r.relationship_type), "%s",
                 (c = ermes__db_col_text(s, 3)) ? c : "");
        snprintf(r.comment, sizeof(r.comment), "%s", (c = ermes__db_col_text(s, 4)) ? c : "");
        /* Borrowed for the call: the row's text lives until the next step. */
        if ((c = ermes__db_col_text(s, 6)) != NULL) {
            const char *t = ermes__db_col_text(s, 5);
            snprintf(r.ind_type, sizeof(r.ind_type), "%s", t ? t : "");
            r.ind_value = (char *)c;
            r.ind_exact = ermes__db_col_int(s, 7) != 0;
            r.ind_id = ermes__db_col_null(s, 8) ? 0 : ermes__db_col_int(s, 8);
        }
        if ((rc = cb(ctx, &r)))
            break;
    }
    ermes__db_done(s);
    return rc;
}
