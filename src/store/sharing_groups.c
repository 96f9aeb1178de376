/* The store's sharing groups (the TAXII collections) and the status resources of the objects
 * posted into them. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

int ermes__store_sharing_group_put(ermes__store_t *st, ermes__sharing_group_t *g)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (!g->name || !g->collection_id || !g->title)
        return ERMES_EINVAL;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO sharing_groups (name, collection_id, title,"
                                " description, max_tlp, readers, writers, selection, tlp,"
                                " owner_org_id, created_at, updated_at, member_tlp) VALUES (?1,"
                                " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12) RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, g->name);
    ermes__db_bind_text(s, 2, g->collection_id);
    ermes__db_bind_text(s, 3, g->title);
    ermes__db_bind_text(s, 4, g->description ? g->description : "");
    ermes__db_bind_text(s, 5, ermes_tlp_name(g->max_tlp));
    ermes__db_bind_text(s, 6, g->readers ? g->readers : "[]");
    ermes__db_bind_text(s, 7, g->writers ? g->writers : "[]");
    ermes__db_bind_text(s, 8, g->selection ? g->selection : "{}");
    ermes__db_bind_text(s, 9, ermes_tlp_name(g->tlp));
    if (g->owner_org_id)
        ermes__db_bind_int(s, 10, g->owner_org_id);
    else
        ermes__db_bind_null(s, 10);
    ermes__db_bind_int(s, 11, now);
    ermes__db_bind_text(s, 12, g->member_tlp ? g->member_tlp : "{}");
    rc = ermes__db_step(s);
    if (rc == 1) {
        g->id = ermes__db_col_int(s, 0);
        g->created_at = g->updated_at = now;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_sharing_group_delete(ermes__store_t *st, int64_t id)
{
    return ermes__db_exec_id(st, "DELETE FROM sharing_groups WHERE id = ?1 RETURNING id", id);
}

int ermes__store_sharing_group_each(ermes__store_t *st, const char *key,
                                    ermes__store_sharing_group_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__sharing_group_t g;
    int rc, found = 0;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, name, collection_id, title, description, max_tlp,"
                                " readers, writers, selection, tlp, owner_org_id, created_at,"
                                " updated_at, member_tlp FROM sharing_groups WHERE ?1 = ''"
                                " OR name = ?1 OR collection_id = ?1 OR CAST(id AS TEXT) = ?1"
                                " ORDER BY id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, key ? key : "");
    while ((rc = ermes__db_step(s)) == 1) {
        const char *t;
        memset(&g, 0, sizeof(g));
        g.id = ermes__db_col_int(s, 0);
        g.name = ermes__db_col_text(s, 1);
        g.collection_id = ermes__db_col_text(s, 2);
        g.title = ermes__db_col_text(s, 3);
        g.description = ermes__db_col_text(s, 4);
        t = ermes__db_col_text(s, 5);
        if (!t || ermes_tlp_parse(t, strlen(t), &g.max_tlp))
            g.max_tlp = ERMES_TLP_CLEAR;
        g.readers = ermes__db_col_text(s, 6);
        g.writers = ermes__db_col_text(s, 7);
        g.selection = ermes__db_col_text(s, 8);
        t = ermes__db_col_text(s, 9);
        if (!t || ermes_tlp_parse(t, strlen(t), &g.tlp))
            g.tlp = ERMES_TLP_RED;
        g.owner_org_id = ermes__db_col_null(s, 10) ? 0 : ermes__db_col_int(s, 10);
        g.created_at = ermes__db_col_int(s, 11);
        g.updated_at = ermes__db_col_int(s, 12);
        g.member_tlp = ermes__db_col_text(s, 13);
        found = 1;
        if ((rc = cb(ctx, &g)))
            break;
    }
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if (rc == 0 && key && key[0] && !found)
        return ERMES_ENOTFOUND;
    return rc;
}

int ermes__store_taxii_status_put(ermes__store_t *st, const char *status_id, int64_t group_id,
                                  const char *body, int64_t owner_org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc =
             ermes__db_prepare(db,
                               "INSERT INTO taxii_statuses (status_id, sharing_group_id, body, tlp,"
                               " owner_org_id, created_at, updated_at) VALUES (?1, ?2, ?3, 'AMBER',"
                               " ?4, ?5, ?5)",
                               &s)))
        return rc;
    ermes__db_bind_text(s, 1, status_id);
    ermes__db_bind_int(s, 2, group_id);
    ermes__db_bind_text(s, 3, body);
    if (owner_org_id)
        ermes__db_bind_int(s, 4, owner_org_id);
    else
        ermes__db_bind_null(s, 4);
    ermes__db_bind_int(s, 5, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_taxii_status_get(ermes__store_t *st, const char *status_id, char *body, size_t cap,
                                  int64_t *group_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT body, sharing_group_id FROM taxii_statuses"
                                " WHERE status_id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, status_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        const char *b = ermes__db_col_text(s, 0);
        rc = snprintf(body, cap, "%s", b ? b : "") < (int)cap ? 0 : ERMES_ETOOBIG;
        *group_id = ermes__db_col_int(s, 1);
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}
