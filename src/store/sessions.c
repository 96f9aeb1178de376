/* The store's browser sessions and failed logins (the lock-out's memory). */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

#define SESSION_COLUMNS                                                                            \
    "id, user_id, hash, csrf_token, created_at, last_seen, expires_at, ip, user_agent"

static void row_to_session(ermes__db_stmt_t *s, ermes__session_t *out)
{
    const void *h;
    const char *t;
    size_t len;

    memset(out, 0, sizeof(*out));
    out->id = ermes__db_col_int(s, 0);
    out->user_id = ermes__db_col_int(s, 1);
    h = ermes__db_col_blob(s, 2, &len);
    if (h && len == sizeof(out->hash))
        memcpy(out->hash, h, len);
    t = ermes__db_col_text(s, 3);
    snprintf(out->csrf, sizeof(out->csrf), "%s", t ? t : "");
    out->created_at = ermes__db_col_int(s, 4);
    out->last_seen = ermes__db_col_int(s, 5);
    out->expires_at = ermes__db_col_int(s, 6);
    t = ermes__db_col_text(s, 7);
    snprintf(out->ip, sizeof(out->ip), "%s", t ? t : "");
    t = ermes__db_col_text(s, 8);
    snprintf(out->user_agent, sizeof(out->user_agent), "%s", t ? t : "");
}

int ermes__store_session_insert(ermes__store_t *st, ermes__session_t *ses)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* A session is its user's alone: TLP:RED, owned by the user's organisation. */
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO sessions (hash, user_id, csrf_token, last_seen, "
                                "expires_at, ip, user_agent, tlp, owner_org_id, created_at, "
                                "updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'RED', org_id, "
                                "?4, ?4 FROM users WHERE id = ?2 RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_blob(s, 1, ses->hash, sizeof(ses->hash));
    ermes__db_bind_int(s, 2, ses->user_id);
    ermes__db_bind_text(s, 3, ses->csrf);
    ermes__db_bind_int(s, 4, ses->created_at);
    ermes__db_bind_int(s, 5, ses->expires_at);
    ermes__db_bind_text(s, 6, ses->ip);
    ermes__db_bind_text(s, 7, ses->user_agent);
    rc = ermes__db_step(s);
    if (rc == 1) {
        ses->id = ermes__db_col_int(s, 0);
        ses->last_seen = ses->created_at;
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND; /* the user is gone */
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_session_find(ermes__store_t *st, const uint8_t hash[32], ermes__session_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc =
             ermes__db_prepare(db, "SELECT " SESSION_COLUMNS " FROM sessions WHERE hash = ?1", &s)))
        return rc;
    ermes__db_bind_blob(s, 1, hash, 32);
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_to_session(s, out);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

/* Runs one statement with one or two integer parameters (a second the SQL lacks is not
 * bound); the rows it returns are counted into *changed. */
static int exec2(ermes__store_t *st, const char *sql, int64_t a, int64_t b, int64_t *changed)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t n = 0;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, sql, &s)))
        return rc;
    ermes__db_bind_int(s, 1, a);
    if (strstr(sql, "?2"))
        ermes__db_bind_int(s, 2, b);
    while ((rc = ermes__db_step(s)) == 1)
        n++;
    ermes__db_done(s);
    if (changed)
        *changed = n;
    return rc;
}

int ermes__store_session_touch(ermes__store_t *st, int64_t id, int64_t now)
{
    return exec2(st, "UPDATE sessions SET last_seen = ?2, updated_at = ?2 WHERE id = ?1", id, now,
                 NULL);
}

int ermes__store_session_delete(ermes__store_t *st, int64_t id)
{
    int64_t n;
    int rc = exec2(st, "DELETE FROM sessions WHERE id = ?1 RETURNING id", id, 0, &n);

    return rc ? rc : n ? 0 : ERMES_ENOTFOUND;
}

int ermes__store_session_delete_user(ermes__store_t *st, int64_t user_id, int64_t except_id,
                                     int64_t *n)
{
    return exec2(st, "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2 RETURNING id", user_id,
                 except_id, n);
}

int ermes__store_session_prune(ermes__store_t *st, int64_t now, int64_t idle_before,
                               int64_t failures_before)
{
    int rc = exec2(st, "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen < ?2", now,
                   idle_before, NULL);

    if (!rc)
        rc = exec2(st, "DELETE FROM login_failures WHERE at < ?1", failures_before, 0, NULL);
    return rc;
}

int ermes__store_login_failure_add(ermes__store_t *st, const char *name, int64_t at, const char *ip)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "INSERT INTO login_failures (name, at, ip) VALUES (?1,?2,?3)",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_int(s, 2, at);
    ermes__db_bind_text(s, 3, ip);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_login_failures(ermes__store_t *st, const char *name, int64_t since, int64_t *times,
                                size_t cap, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT at FROM login_failures WHERE name = ?1 AND at > ?2 "
                                "ORDER BY at DESC LIMIT ?3",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_int(s, 2, since);
    ermes__db_bind_int(s, 3, (int64_t)cap);
    while ((rc = ermes__db_step(s)) == 1 && *n < cap)
        times[(*n)++] = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_login_failures_from(ermes__store_t *st, const char *name, const char *ip,
                                     int64_t since, int64_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT count(*) FROM login_failures WHERE name = ?1 AND at > ?2 "
                                "AND ip = ?3",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_int(s, 2, since);
    ermes__db_bind_text(s, 3, ip);
    if ((rc = ermes__db_step(s)) == 1)
        *n = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_login_failures_clear(ermes__store_t *st, const char *name, const char *ip)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                ip ? "DELETE FROM login_failures WHERE name = ?1 AND ip = ?2"
                                   : "DELETE FROM login_failures WHERE name = ?1",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    if (ip)
        ermes__db_bind_text(s, 2, ip);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
