/* MISP objects (migration 72): the objects of the MISP events imported (src/sharing/misp.c) and
 * their attributes, those that became indicators (members) and those that did not, which MISP
 * and STIX export rebuild the objects from. An indicator is in an object while it is still its
 * event's (its source misp:EVENT): an import that takes it into another event, or any other
 * import of the same value, takes it out of the objects of the first, as a new version of an
 * indicator replaces the old. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

/* A member that is still its object's: its indicator's source is the object's event. */
#define MEMBER_OF_EVENT(A, O)                                                                      \
    "EXISTS (SELECT 1 FROM indicators i_ WHERE i_.id = " A ".indicator_id"                         \
    " AND i_.source = 'misp:' || " O ".event_uuid)"

static int step_done(ermes__db_stmt_t *s)
{
    int rc = ermes__db_step(s);

    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static int replace(ermes__db_t *db, const char *event_uuid, const ermes__misp_object_t *objs,
                   size_t n, const ermes__misp_object_attr_t *attrs, size_t nattrs)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db,
                                "DELETE FROM misp_object_attributes WHERE object_uuid IN"
                                " (SELECT uuid FROM misp_objects WHERE event_uuid = ?1)",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, event_uuid);
    if ((rc = step_done(s)))
        return rc;
    if ((rc = ermes__db_prepare(db, "DELETE FROM misp_objects WHERE event_uuid = ?1", &s)))
        return rc;
    ermes__db_bind_text(s, 1, event_uuid);
    if ((rc = step_done(s)))
        return rc;
    for (size_t k = 0; k < n; k++) {
        const ermes__misp_object_t *o = &objs[k];
        /* An object is one event's: read again from another event (a copy of it), it moves
         * there with its attributes as that event has them. */
        if ((rc = ermes__db_prepare(
                 db,
                 "INSERT INTO misp_objects (uuid, event_uuid, name, meta_category, template_uuid,"
                 " template_version, description, comment, misp_timestamp, distribution)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (uuid) DO UPDATE"
                 " SET event_uuid = excluded.event_uuid, name = excluded.name,"
                 " meta_category = excluded.meta_category,"
                 " template_uuid = excluded.template_uuid,"
                 " template_version = excluded.template_version,"
                 " description = excluded.description, comment = excluded.comment,"
                 " misp_timestamp = excluded.misp_timestamp,"
                 " distribution = excluded.distribution",
                 &s)))
            return rc;
        ermes__db_bind_text(s, 1, o->uuid);
        ermes__db_bind_text(s, 2, event_uuid);
        ermes__db_bind_text(s, 3, o->name ? o->name : "");
        ermes__db_bind_text(s, 4, o->meta_category ? o->meta_category : "");
        ermes__db_bind_text(s, 5, o->template_uuid ? o->template_uuid : "");
        ermes__db_bind_int(s, 6, o->template_version);
        ermes__db_bind_text(s, 7, o->description ? o->description : "");
        ermes__db_bind_text(s, 8, o->comment ? o->comment : "");
        if (o->misp_timestamp >= 0)
            ermes__db_bind_int(s, 9, o->misp_timestamp);
        else
            ermes__db_bind_null(s, 9);
        if (o->distribution >= 0)
            ermes__db_bind_int(s, 10, o->distribution);
        else
            ermes__db_bind_null(s, 10);
        if ((rc = step_done(s)))
            return rc;
        if ((rc = ermes__db_prepare(db, "DELETE FROM misp_object_attributes WHERE object_uuid = ?1",
                                    &s)))
            return rc;
        ermes__db_bind_text(s, 1, o->uuid);
        if ((rc = step_done(s)))
            return rc;
    }
    for (size_t k = 0; k < nattrs; k++) {
        const ermes__misp_object_attr_t *a = &attrs[k];
        if ((rc = ermes__db_prepare(db,
                                    "INSERT INTO misp_object_attributes (object_uuid, position,"
                                    " indicator_id, object_relation, type, attribute_uuid, value)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                    &s)))
            return rc;
        ermes__db_bind_text(s, 1, a->object_uuid);
        ermes__db_bind_int(s, 2, a->position);
        if (a->indicator_id > 0)
            ermes__db_bind_int(s, 3, a->indicator_id);
        else
            ermes__db_bind_null(s, 3);
        ermes__db_bind_text(s, 4, a->relation ? a->relation : "");
        ermes__db_bind_text(s, 5, a->type ? a->type : "");
        ermes__db_bind_text(s, 6, a->attribute_uuid ? a->attribute_uuid : "");
        ermes__db_bind_text(s, 7, a->indicator_id > 0 ? NULL : a->value ? a->value : "");
        if ((rc = step_done(s)))
            return rc;
    }
    return 0;
}

int ermes__store_misp_objects_replace(ermes__store_t *st, const char *event_uuid,
                                      const ermes__misp_object_t *objs, size_t n,
                                      const ermes__misp_object_attr_t *attrs, size_t nattrs)
{
    ermes__db_t *db = ermes__db_conn(st);
    int rc, own;

    if (!db)
        return ERMES_ESTORE;
    own = !ermes__store_in_tx(st);
    if (own && (rc = ermes__store_begin(st)))
        return rc;
    if ((rc = replace(db, event_uuid, objs, n, attrs, nattrs))) {
        if (own)
            ermes__store_rollback(st);
        return rc;
    }
    return own ? ermes__store_commit(st) : 0;
}

#define OBJECT_COLUMNS                                                                             \
    "o.uuid, o.event_uuid, o.name, o.meta_category, o.template_uuid, o.template_version,"          \
    " o.description, o.comment, o.misp_timestamp, o.distribution"

static void object_of(ermes__db_stmt_t *s, ermes__misp_object_t *o)
{
    const char *c;

    memset(o, 0, sizeof(*o));
    o->uuid = (c = ermes__db_col_text(s, 0)) ? c : "";
    o->event_uuid = (c = ermes__db_col_text(s, 1)) ? c : "";
    o->name = (c = ermes__db_col_text(s, 2)) ? c : "";
    o->meta_category = (c = ermes__db_col_text(s, 3)) ? c : "";
    o->template_uuid = (c = ermes__db_col_text(s, 4)) ? c : "";
    o->template_version = ermes__db_col_int(s, 5);
    o->description = (c = ermes__db_col_text(s, 6)) ? c : "";
    o->comment = (c = ermes__db_col_text(s, 7)) ? c : "";
    o->misp_timestamp = ermes__db_col_null(s, 8) ? -1 : ermes__db_col_int(s, 8);
    o->distribution = ermes__db_col_null(s, 9) ? -1 : (int)ermes__db_col_int(s, 9);
}

static int objects(ermes__db_stmt_t *s, ermes__store_misp_object_cb cb, void *ctx)
{
    ermes__misp_object_t o;
    int rc;

    while ((rc = ermes__db_step(s)) == 1) {
        object_of(s, &o);
        if ((rc = cb(ctx, &o)))
            break;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_misp_object_each(ermes__store_t *st, const char *event_uuid,
                                  ermes__store_misp_object_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " OBJECT_COLUMNS " FROM misp_objects o"
                                " WHERE o.event_uuid = ?1 ORDER BY o.uuid",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, event_uuid);
    return objects(s, cb, ctx);
}

int ermes__store_misp_objects_changed(ermes__store_t *st, int64_t since,
                                      ermes__store_misp_object_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "SELECT " OBJECT_COLUMNS " FROM misp_objects o WHERE EXISTS (SELECT 1"
             " FROM misp_object_attributes a JOIN indicators i ON i.id = a.indicator_id"
             " WHERE a.object_uuid = o.uuid AND i.source = 'misp:' || o.event_uuid"
             " AND i.updated_at > ?1) ORDER BY o.uuid",
             &s)))
        return rc;
    ermes__db_bind_int(s, 1, since);
    return objects(s, cb, ctx);
}

int ermes__store_misp_object_attr_each(ermes__store_t *st, const char *event_uuid,
                                       ermes__store_misp_object_attr_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__misp_object_attr_t a;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT a.object_uuid, a.position, a.indicator_id,"
                                " a.object_relation, a.type, a.attribute_uuid, a.value"
                                " FROM misp_objects o JOIN misp_object_attributes a"
                                " ON a.object_uuid = o.uuid WHERE o.event_uuid = ?1"
                                " AND (a.indicator_id IS NULL OR " MEMBER_OF_EVENT(
                                    "a", "o") ")"
                                              " ORDER BY a.position, a.id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, event_uuid);
    while ((rc = ermes__db_step(s)) == 1) {
        const char *c;
        memset(&a, 0, sizeof(a));
        a.object_uuid = (c = ermes__db_col_text(s, 0)) ? c : "";
        a.position = ermes__db_col_int(s, 1);
        a.indicator_id = ermes__db_col_null(s, 2) ? 0 : ermes__db_col_int(s, 2);
        a.relation = (c = ermes__db_col_text(s, 3)) ? c : "";
        a.type = (c = ermes__db_col_text(s, 4)) ? c : "";
        a.attribute_uuid = (c = ermes__db_col_text(s, 5)) ? c : "";
        a.value = a.indicator_id ? NULL : (c = ermes__db_col_text(s, 6)) ? c : "";
        if ((rc = cb(ctx, &a)))
            break;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_misp_object_members(ermes__store_t *st, const char *object_uuid,
                                     int (*cb)(void *ctx, int64_t indicator_id), void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT DISTINCT a.indicator_id FROM misp_objects o"
                                " JOIN misp_object_attributes a ON a.object_uuid = o.uuid"
                                " WHERE o.uuid = ?1 AND a.indicator_id IS NOT NULL"
                                " AND " MEMBER_OF_EVENT("a", "o") " ORDER BY a.indicator_id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, object_uuid);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_int(s, 0))))
            break;
    ermes__db_done(s);
    return rc;
}
