/* The store's notification policies (migration 23 in schema.c): which notifications wait for
 * approval before they are sent, per feed, classification and constituent. The rule that
 * picks among them is src/notify/review.c's. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/db_int.h"
#include "store/store_int.h"

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

int ermes__store_notify_policy_each(ermes__store_t *st, ermes__store_notify_policy_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__notify_policy_t p;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT p.id, p.feed, p.classification, COALESCE(p.org_id, 0),"
                                " o.short_name, p.mode, p.note, p.created_at FROM notify_policies"
                                " p LEFT JOIN organisations o ON o.id = p.org_id ORDER BY p.id"
                                " LIMIT ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, ERMES_NOTIFY_POLICIES_MAX);
    while ((rc = ermes__db_step(s)) == 1) {
        memset(&p, 0, sizeof(p));
        p.id = ermes__db_col_int(s, 0);
        copy_text(p.feed, sizeof(p.feed), ermes__db_col_text(s, 1));
        copy_text(p.classification, sizeof(p.classification), ermes__db_col_text(s, 2));
        p.org_id = ermes__db_col_int(s, 3);
        copy_text(p.org, sizeof(p.org), ermes__db_col_text(s, 4));
        copy_text(p.mode, sizeof(p.mode), ermes__db_col_text(s, 5));
        copy_text(p.note, sizeof(p.note), ermes__db_col_text(s, 6));
        p.created_at = ermes__db_col_int(s, 7);
        if ((rc = cb(ctx, &p)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_notify_policy_put(ermes__store_t *st, ermes__notify_policy_t *p, int64_t home)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    long count = 0;
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    /* One policy per (feed, classification, constituent): the new one replaces it. A NULL
     * org_id is "any", which a UNIQUE constraint would not compare, hence the delete. */
    if ((rc = ermes__db_prepare(db,
                                "DELETE FROM notify_policies WHERE feed = ?1 AND classification ="
                                " ?2 AND COALESCE(org_id, 0) = ?3",
                                &s)))
        goto out;
    ermes__db_bind_text(s, 1, p->feed);
    ermes__db_bind_text(s, 2, p->classification);
    ermes__db_bind_int(s, 3, p->org_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    if ((rc = ermes__db_prepare(db, "SELECT COUNT(*) FROM notify_policies", &s)))
        goto out;
    if ((rc = ermes__db_step(s)) == 1)
        count = (long)ermes__db_col_int(s, 0);
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    if (count >= ERMES_NOTIFY_POLICIES_MAX) {
        rc = ERMES_ETOOBIG;
        goto out;
    }
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO notify_policies (feed, classification, org_id, mode,"
                                " note, tlp, owner_org_id, created_at, updated_at) VALUES (?1, ?2,"
                                " ?3, ?4, ?5, 'AMBER', ?6, ?7, ?7) RETURNING id",
                                &s)))
        goto out;
    ermes__db_bind_text(s, 1, p->feed);
    ermes__db_bind_text(s, 2, p->classification);
    if (p->org_id)
        ermes__db_bind_int(s, 3, p->org_id);
    ermes__db_bind_text(s, 4, p->mode);
    ermes__db_bind_text(s, 5, p->note);
    if (home)
        ermes__db_bind_int(s, 6, home);
    ermes__db_bind_int(s, 7, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        p->id = ermes__db_col_int(s, 0);
        p->created_at = now;
        rc = 0;
    }
    ermes__db_done(s);
out:
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_notify_policy_delete(ermes__store_t *st, int64_t id)
{
    return ermes__db_exec_id(st, "DELETE FROM notify_policies WHERE id = ?1 RETURNING id", id);
}
