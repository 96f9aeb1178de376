/* The store's API tokens: hashes only, with expiry, revocation and last use. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

#define TOKEN_COLUMNS                                                                              \
    "id, user_id, hash, prefix, description, created_at, expires_at, revoked_at, last_used_at"

static void row_to_token(ermes__db_stmt_t *s, ermes__token_t *t)
{
    size_t len;
    const void *h;

    memset(t, 0, sizeof(*t));
    t->id = ermes__db_col_int(s, 0);
    t->user_id = ermes__db_col_int(s, 1);
    h = ermes__db_col_blob(s, 2, &len);
    if (h)
        memcpy(t->hash, h, len < sizeof(t->hash) ? len : sizeof(t->hash));
    snprintf(t->prefix, sizeof(t->prefix), "%s", ermes__db_col_text(s, 3));
    snprintf(t->description, sizeof(t->description), "%s", ermes__db_col_text(s, 4));
    t->created_at = ermes__db_col_int(s, 5);
    t->expires_at = ermes__db_col_int(s, 6);
    t->revoked_at = ermes__db_col_int(s, 7);
    t->last_used_at = ermes__db_col_int(s, 8);
}

int ermes__store_token_insert(ermes__store_t *st, ermes__token_t *t)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO tokens (user_id, hash, prefix, description, "
                                "expires_at, tlp, owner_org_id, created_at, updated_at) "
                                "SELECT ?1, ?2, ?3, ?4, ?5, 'RED', u.org_id, ?6, ?6 "
                                "FROM users u WHERE u.id = ?1 RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, t->user_id);
    ermes__db_bind_blob(s, 2, t->hash, sizeof(t->hash));
    ermes__db_bind_text(s, 3, t->prefix);
    ermes__db_bind_text(s, 4, t->description);
    ermes__db_bind_int(s, 5, t->expires_at);
    ermes__db_bind_int(s, 6, t->created_at);
    rc = ermes__db_step(s);
    if (rc == 1) {
        t->id = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_token_find(ermes__store_t *st, const uint8_t hash[32], ermes__token_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT " TOKEN_COLUMNS " FROM tokens WHERE hash = ?1", &s)))
        return rc;
    ermes__db_bind_blob(s, 1, hash, 32);
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_to_token(s, out);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_token_get(ermes__store_t *st, int64_t id, ermes__token_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT " TOKEN_COLUMNS " FROM tokens WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_to_token(s, out);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_token_revoke(ermes__store_t *st, int64_t id, int64_t when)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?2), "
                                "updated_at = ?2 WHERE id = ?1 RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, when);
    rc = ermes__db_step(s);
    rc = rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
    ermes__db_done(s);
    return rc;
}

int ermes__store_token_each(ermes__store_t *st, int64_t user_id, int64_t after_id, long limit,
                            ermes__store_token_cb cb, void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__token_t t;
    long n = 0;
    int rc;

    *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " TOKEN_COLUMNS " FROM tokens WHERE id > ?1 AND "
                                "(?2 = 0 OR user_id = ?2) ORDER BY id LIMIT ?3",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, after_id);
    ermes__db_bind_int(s, 2, user_id);
    ermes__db_bind_int(s, 3, ermes__page_limit(limit));
    while ((rc = ermes__page_step(s, limit, &n, more)) == 1) {
        row_to_token(s, &t);
        if ((rc = cb(ctx, &t)))
            break;
    }
    ermes__db_done(s);
    return rc;
}
