/* The store's second factor: users' TOTP secrets and their recovery codes (migration 15). */
#include "store/store.h"

#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

int ermes__store_totp_put(ermes__store_t *st, int64_t user_id, const uint8_t *secret, size_t len)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* A pending secret is replaced (the user started again); an enabled one is not: the
     * conflict's WHERE leaves it, and no row comes back. A secret is its user's alone:
     * TLP:RED, owned by the user's organisation. */
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO user_totp (user_id, secret, last_step, "
                                "tlp, owner_org_id, created_at, updated_at) "
                                "SELECT id, ?2, 0, 'RED', org_id, ?3, ?3 FROM users "
                                "WHERE id = ?1 ON CONFLICT (user_id) DO UPDATE SET "
                                "secret = excluded.secret, last_step = 0, updated_at = ?3 "
                                "WHERE user_totp.enabled_at IS NULL RETURNING user_id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, user_id);
    ermes__db_bind_blob(s, 2, secret, len);
    ermes__db_bind_int(s, 3, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc == 1)
        return 0;
    if (rc < 0)
        return rc;
    /* No row: the user does not exist, or has TOTP enabled already. */
    {
        ermes__user_t u;
        int g = ermes__store_user_get(st, user_id, NULL, &u);
        return g ? g : ERMES_ECONFLICT;
    }
}

int ermes__store_totp_get(ermes__store_t *st, int64_t user_id, ermes__store_totp_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    const void *p;
    size_t len = 0;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT secret, enabled_at, last_step FROM user_totp "
                                "WHERE user_id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, user_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        p = ermes__db_col_blob(s, 0, &len);
        if (!p || len == 0 || len > sizeof(out->secret)) {
            rc = ERMES_ESTORE;
        } else {
            memset(out, 0, sizeof(*out));
            memcpy(out->secret, p, len);
            out->secret_len = len;
            out->enabled_at = ermes__db_col_int(s, 1);
            out->last_step = ermes__db_col_int(s, 2);
            rc = 0;
        }
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_totp_use_step(ermes__store_t *st, int64_t user_id, int64_t step)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Compare and set in one statement: of two logins with the same code at the same moment,
     * one moves the step and the other finds it moved. */
    if ((rc = ermes__db_prepare(db,
                                "UPDATE user_totp SET last_step = ?2, updated_at = ?3 "
                                "WHERE user_id = ?1 AND last_step < ?2 RETURNING user_id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, user_id);
    ermes__db_bind_int(s, 2, step);
    ermes__db_bind_int(s, 3, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc == 1 ? 0 : rc == 0 ? ERMES_ECONFLICT : rc;
}

int ermes__store_totp_enable(ermes__store_t *st, int64_t user_id, int64_t step,
                             const uint8_t (*hashes)[32], size_t n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc, own = 0;

    if (!db)
        return ERMES_ESTORE;
    if (!ermes__db_in_tx(db)) {
        if ((rc = ermes__db_begin(db, 1)))
            return rc;
        own = 1;
    }
    if ((rc = ermes__db_prepare(db,
                                "UPDATE user_totp SET enabled_at = ?3, last_step = ?2, "
                                "updated_at = ?3 WHERE user_id = ?1 AND enabled_at IS NULL "
                                "AND last_step < ?2 RETURNING user_id",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, user_id);
    ermes__db_bind_int(s, 2, step);
    ermes__db_bind_int(s, 3, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc <= 0) {
        rc = rc == 0 ? ERMES_ECONFLICT : rc;
        goto out;
    }
    if ((rc = ermes__db_prepare(db, "DELETE FROM recovery_codes WHERE user_id = ?1", &s)))
        goto out;
    ermes__db_bind_int(s, 1, user_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    for (size_t k = 0; k < n; k++) {
        if ((rc = ermes__db_prepare(db,
                                    "INSERT INTO recovery_codes (user_id, hash, tlp, "
                                    "owner_org_id, created_at, updated_at) "
                                    "SELECT id, ?2, 'RED', org_id, ?3, ?3 FROM users WHERE id = ?1",
                                    &s)))
            goto out;
        ermes__db_bind_int(s, 1, user_id);
        ermes__db_bind_blob(s, 2, hashes[k], 32);
        ermes__db_bind_int(s, 3, now);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc < 0)
            goto out;
    }
    rc = own ? ermes__db_commit(db) : 0;
    own = own && rc;
out:
    if (own)
        ermes__db_rollback(db);
    return rc;
}

int ermes__store_totp_delete(ermes__store_t *st, int64_t user_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc, own = 0, found;

    if (!db)
        return ERMES_ESTORE;
    if (!ermes__db_in_tx(db)) {
        if ((rc = ermes__db_begin(db, 1)))
            return rc;
        own = 1;
    }
    if ((rc = ermes__db_prepare(db, "DELETE FROM user_totp WHERE user_id = ?1 RETURNING user_id",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, user_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    found = rc == 1;
    if ((rc = ermes__db_prepare(db, "DELETE FROM recovery_codes WHERE user_id = ?1", &s)))
        goto out;
    ermes__db_bind_int(s, 1, user_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    rc = own ? ermes__db_commit(db) : 0;
    own = own && rc;
    if (!rc && !found)
        rc = ERMES_ENOTFOUND;
out:
    if (own)
        ermes__db_rollback(db);
    return rc;
}

int ermes__store_recovery_code_use(ermes__store_t *st, int64_t user_id, const uint8_t hash[32],
                                   int64_t *left)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Marked used in the statement that finds it: a code works once, even when two logins
     * send it at the same moment. */
    if ((rc = ermes__db_prepare(db,
                                "UPDATE recovery_codes SET used_at = ?3, updated_at = ?3 "
                                "WHERE user_id = ?1 AND hash = ?2 AND used_at IS NULL "
                                "RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, user_id);
    ermes__db_bind_blob(s, 2, hash, 32);
    ermes__db_bind_int(s, 3, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ERMES_EAUTH;
    return left ? ermes__store_recovery_codes_left(st, user_id, left) : 0;
}

int ermes__store_recovery_codes_left(ermes__store_t *st, int64_t user_id, int64_t *left)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT count(*) FROM recovery_codes WHERE user_id = ?1 "
                                "AND used_at IS NULL",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, user_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *left = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ESTORE;
    }
    ermes__db_done(s);
    return rc;
}
