/* The store's triage: the triage state of events and sightings, and the local allow-list of
 * values marked false positive that detection no longer records (migration 20 in schema.c). */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

int ermes__store_triage_set(ermes__store_t *st, const char *kind, const int64_t *ids, size_t n,
                            const char *state, const char *note, const char *actor,
                            int64_t *missing)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc = 0, owned, event = strcmp(kind, "event") == 0;

    if (missing)
        *missing = 0;
    if (!db)
        return ERMES_ESTORE;
    if (!event && strcmp(kind, "sighting") != 0)
        return ERMES_EINVAL;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        /* The object's own TLP and owner go with its triage row. */
        if (event)
            rc = ermes__db_prepare(
                db,
                "INSERT INTO triage (kind, object_id, state, note, actor, tlp, owner_org_id,"
                " created_at, updated_at) SELECT 'event', id, ?2, ?3, ?4, tlp, owner_org_id, ?5,"
                " ?5 FROM events WHERE id = ?1 ON CONFLICT (kind, object_id) DO UPDATE SET"
                " state = excluded.state, note = excluded.note, actor = excluded.actor,"
                " updated_at = excluded.updated_at RETURNING object_id",
                &s);
        else
            rc = ermes__db_prepare(
                db,
                "INSERT INTO triage (kind, object_id, state, note, actor, tlp, owner_org_id,"
                " created_at, updated_at) SELECT 'sighting', id, ?2, ?3, ?4, tlp, owner_org_id,"
                " ?5, ?5 FROM sightings WHERE id = ?1 ON CONFLICT (kind, object_id) DO UPDATE SET"
                " state = excluded.state, note = excluded.note, actor = excluded.actor,"
                " updated_at = excluded.updated_at RETURNING object_id",
                &s);
        if (rc)
            goto out;
        ermes__db_bind_int(s, 1, ids[i]);
        ermes__db_bind_text(s, 2, state);
        ermes__db_bind_text(s, 3, note && *note ? note : NULL);
        ermes__db_bind_text(s, 4, actor ? actor : "local administrator");
        ermes__db_bind_int(s, 5, now);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc == 0) {
            if (missing)
                *missing = ids[i];
            rc = ERMES_ENOTFOUND;
        }
        if (rc < 0)
            goto out;
        rc = 0;
    }
out:
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_triage_get(ermes__store_t *st, const char *kind, int64_t id, char *state,
                            size_t cap)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT state FROM triage WHERE kind = ?1 AND object_id = ?2",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, kind);
    ermes__db_bind_int(s, 2, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        snprintf(state, cap, "%s", ermes__db_col_text(s, 0));
        rc = 0;
    } else if (rc == 0) {
        snprintf(state, cap, "new");
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_sighting_value(ermes__store_t *st, int64_t id, char *value, size_t cap,
                                int64_t *org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT value, org_id FROM sightings WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        snprintf(value, cap, "%s", ermes__db_col_text(s, 0));
        if (org_id)
            *org_id = ermes__db_col_int(s, 1);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_allowlist_add(ermes__store_t *st, const char *value, const char *reason,
                               int64_t owner_org_id, int *added)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (added)
        *added = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO allowlist (value, reason, owner_org_id, created_at, updated_at)"
             " VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (value) DO NOTHING RETURNING id",
             &s)))
        return rc;
    ermes__db_bind_text(s, 1, value);
    ermes__db_bind_text(s, 2, reason);
    if (owner_org_id)
        ermes__db_bind_int(s, 3, owner_org_id);
    else
        ermes__db_bind_null(s, 3);
    ermes__db_bind_int(s, 4, now);
    rc = ermes__db_step(s);
    if (rc == 1 && added)
        *added = 1;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_allowlist_has(ermes__store_t *st, const char *value, int *yes)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *yes = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT 1 FROM allowlist WHERE value = ?1", &s)))
        return rc;
    ermes__db_bind_text(s, 1, value);
    rc = ermes__db_step(s);
    if (rc == 1)
        *yes = 1;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
