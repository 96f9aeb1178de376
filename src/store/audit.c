/* The store's audit log: append-only (triggers refuse UPDATE and DELETE), read with filters. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

int ermes__store_audit(ermes__store_t *st, const ermes__audit_t *a)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO audit (at, user_id, actor, action, object_type, "
                                "object_id, detail, remote) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, a->at ? a->at : ermes__time_now_ms());
    if (a->user_id)
        ermes__db_bind_int(s, 2, a->user_id);
    else
        ermes__db_bind_null(s, 2);
    ermes__db_bind_text(s, 3, a->actor ? a->actor : "?");
    ermes__db_bind_text(s, 4, a->action);
    ermes__db_bind_text(s, 5, a->object_type);
    ermes__db_bind_text(s, 6, a->object_id);
    ermes__db_bind_text(s, 7, a->detail);
    ermes__db_bind_text(s, 8, a->remote);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc;
}

int ermes__store_audit_each(ermes__store_t *st, const ermes__audit_filter_t *f,
                            ermes__store_audit_cb cb, void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    long n = 0, limit = f->limit;
    int rc;

    *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, at, user_id, actor, action, object_type, object_id, "
                                "detail, remote FROM audit WHERE (?1 = 0 OR id < ?1)"
                                " AND (?2 IS NULL OR actor = ?2)"
                                " AND (?3 IS NULL OR object_type = ?3)"
                                " AND (?4 IS NULL OR action = ?4)"
                                " AND (?5 = 0 OR at >= ?5) AND (?6 = 0 OR at < ?6)"
                                " ORDER BY id DESC LIMIT ?7",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, f->before_id);
    ermes__db_bind_text(s, 2, f->actor);
    ermes__db_bind_text(s, 3, f->object_type);
    ermes__db_bind_text(s, 4, f->action);
    ermes__db_bind_int(s, 5, f->since);
    ermes__db_bind_int(s, 6, f->until);
    ermes__db_bind_int(s, 7, ermes__page_limit(limit));
    while ((rc = ermes__page_step(s, limit, &n, more)) == 1) {
        ermes__audit_t a;
        a.id = ermes__db_col_int(s, 0);
        a.at = ermes__db_col_int(s, 1);
        a.user_id = ermes__db_col_int(s, 2);
        a.actor = ermes__db_col_text(s, 3);
        a.action = ermes__db_col_text(s, 4);
        a.object_type = ermes__db_col_text(s, 5);
        a.object_id = ermes__db_col_text(s, 6);
        a.detail = ermes__db_col_text(s, 7);
        a.remote = ermes__db_col_text(s, 8);
        if ((rc = cb(ctx, &a)))
            break;
    }
    ermes__db_done(s);
    return rc;
}
