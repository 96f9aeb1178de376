/* The store's users: staff, constituents and sensors, with their role and organisation. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

static void row_to_user(ermes__db_stmt_t *s, ermes__user_t *u)
{
    const char *t;

    memset(u, 0, sizeof(*u));
    u->id = ermes__db_col_int(s, 0);
    snprintf(u->name, sizeof(u->name), "%s", ermes__db_col_text(s, 1));
    t = ermes__db_col_text(s, 2);
    if (!t || ermes__role_parse(t, &u->role))
        u->role = ERMES_ROLE_CONSTITUENT;
    u->org_id = ermes__db_col_int(s, 3);
    t = ermes__db_col_text(s, 4);
    snprintf(u->password_hash, sizeof(u->password_hash), "%s", t ? t : "");
    u->disabled = (int)ermes__db_col_int(s, 5);
    u->created_at = ermes__db_col_int(s, 6);
    u->updated_at = ermes__db_col_int(s, 7);
    u->totp_enabled = (int)ermes__db_col_int(s, 8);
}

/* totp_enabled comes from user_totp (migration 15); writes never touch it. */
#define USER_COLUMNS                                                                               \
    "id, name, role, org_id, password_hash, disabled, created_at, updated_at, "                    \
    "(SELECT count(*) FROM user_totp t WHERE t.user_id = users.id AND t.enabled_at IS NOT NULL)"

int ermes__store_user_insert(ermes__store_t *st, ermes__user_t *u, ermes_diag_t *d)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO users (name, role, org_id, password_hash, disabled, "
                                "tlp, owner_org_id, created_at, updated_at) "
                                "VALUES (?1,?2,?3,?4,?5,'AMBER+STRICT',?3,?6,?6) RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, u->name);
    ermes__db_bind_text(s, 2, ermes__role_name(u->role));
    ermes__db_bind_int(s, 3, u->org_id);
    ermes__db_bind_text(s, 4, u->password_hash);
    ermes__db_bind_int(s, 5, u->disabled);
    ermes__db_bind_int(s, 6, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        u->id = ermes__db_col_int(s, 0);
        u->created_at = u->updated_at = now;
        rc = 0;
    }
    ermes__db_done(s);
    if (rc == ERMES_EEXISTS)
        ermes_diag_set(d, "name", "a user named \"%.64s\" already exists", u->name);
    else if (rc == ERMES_ECONFLICT)
        ermes_diag_set(d, "org", "the organisation does not exist");
    return rc;
}

int ermes__store_user_get(ermes__store_t *st, int64_t id, const char *name, ermes__user_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT " USER_COLUMNS " FROM users WHERE id = ?1 OR name = ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, name ? -1 : id);
    ermes__db_bind_text(s, 2, name ? name : "");
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_to_user(s, out);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_user_update(ermes__store_t *st, const ermes__user_t *u)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE users SET role = ?2, org_id = ?3, password_hash = ?4, "
                                "disabled = ?5, updated_at = ?6 WHERE id = ?1 RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, u->id);
    ermes__db_bind_text(s, 2, ermes__role_name(u->role));
    ermes__db_bind_int(s, 3, u->org_id);
    ermes__db_bind_text(s, 4, u->password_hash);
    ermes__db_bind_int(s, 5, u->disabled);
    ermes__db_bind_int(s, 6, ermes__time_now_ms());
    rc = ermes__db_step(s);
    rc = rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
    ermes__db_done(s);
    return rc;
}

int ermes__store_user_each(ermes__store_t *st, int64_t org_id, int64_t after_id, long limit,
                           ermes__store_user_cb cb, void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__user_t u;
    long n = 0;
    int rc;

    *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " USER_COLUMNS " FROM users WHERE id > ?1 AND "
                                "(?2 = 0 OR org_id = ?2) ORDER BY id LIMIT ?3",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, after_id);
    ermes__db_bind_int(s, 2, org_id);
    ermes__db_bind_int(s, 3, ermes__page_limit(limit));
    while ((rc = ermes__page_step(s, limit, &n, more)) == 1) {
        row_to_user(s, &u);
        if ((rc = cb(ctx, &u)))
            break;
    }
    ermes__db_done(s);
    return rc;
}
