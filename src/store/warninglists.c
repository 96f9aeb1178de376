/* The store's warninglist switches (migration 24): which lists an administrator turned on or
 * off from the API or the UI. The lists themselves are files (src/indicators/warninglists.c). */
#include "store/store.h"

#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

int ermes__store_wl_switch_set(ermes__store_t *st, const char *id, int enabled,
                               int64_t owner_org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* A setting of the CERT's: TLP:CLEAR, owned by the CERT's organisation. */
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO warninglist_switches (id, enabled, tlp, owner_org_id,"
                                " created_at, updated_at) VALUES (?1, ?2, 'CLEAR', ?3, ?4, ?4)"
                                " ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled,"
                                " updated_at = excluded.updated_at",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, id);
    ermes__db_bind_int(s, 2, enabled != 0);
    if (owner_org_id)
        ermes__db_bind_int(s, 3, owner_org_id);
    else
        ermes__db_bind_null(s, 3);
    ermes__db_bind_int(s, 4, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_wl_switch_each(ermes__store_t *st,
                                int (*cb)(void *ctx, const char *id, int enabled), void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc =
             ermes__db_prepare(db, "SELECT id, enabled FROM warninglist_switches ORDER BY id", &s)))
        return rc;
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_text(s, 0), ermes__db_col_int(s, 1) != 0)))
            break;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
