/* What ermes took from each MISP feed (migration 25): per feed and event, the manifest's
 * timestamp of the version imported (src/sharing/misp_feed.c). */
#include "store/store.h"

#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

int ermes__store_misp_feed_seen(ermes__store_t *st, const char *feed, const char *event_uuid,
                                int64_t *timestamp)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *timestamp = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT event_timestamp FROM misp_feed_events"
                                " WHERE feed = ?1 AND event_uuid = ?2",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, feed);
    ermes__db_bind_text(s, 2, event_uuid);
    rc = ermes__db_step(s);
    if (rc == 1)
        *timestamp = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : ERMES_ENOTFOUND;
}

int ermes__store_misp_feed_mark(ermes__store_t *st, const char *feed, const char *event_uuid,
                                int64_t timestamp, int64_t owner_org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* The CERT's own bookkeeping: AMBER+STRICT, owned by the importing organisation. */
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO misp_feed_events (feed, event_uuid, event_timestamp,"
                                " tlp, owner_org_id, created_at, updated_at)"
                                " VALUES (?1, ?2, ?3, 'AMBER+STRICT', ?4, ?5, ?5)"
                                " ON CONFLICT (feed, event_uuid) DO UPDATE SET"
                                " event_timestamp = excluded.event_timestamp,"
                                " updated_at = excluded.updated_at",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, feed);
    ermes__db_bind_text(s, 2, event_uuid);
    ermes__db_bind_int(s, 3, timestamp);
    if (owner_org_id)
        ermes__db_bind_int(s, 4, owner_org_id);
    else
        ermes__db_bind_null(s, 4);
    ermes__db_bind_int(s, 5, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
