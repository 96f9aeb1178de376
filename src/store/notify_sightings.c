/* The store's side of sightings that notify (src/notify/sightings.c): the sightings of a
 * constituent's systems not yet notified, grouped per (constituent, indicator source), and
 * the sightings each notification carries (notification_sightings, migration 23). */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/db_int.h"
#include "store/store_int.h"

/* Sightings to notify: of a constituent with someone to write to (the roles of
 * src/store/notifications.c), in no notification yet. */
#define SIGHTINGS_TO_NOTIFY                                                                        \
    " FROM sightings s JOIN indicators i ON i.id = s.indicator_id WHERE s.org_id IS NOT NULL AND"  \
    " EXISTS (SELECT 1 FROM contacts c WHERE c.org_id = s.org_id AND c.role IN"                    \
    " ('notification','abuse','security','cert','technical')) AND NOT EXISTS (SELECT 1 FROM"       \
    " notification_sightings ns WHERE ns.sighting_id = s.id)"

int ermes__store_notify_sighting_groups(ermes__store_t *st, int64_t cutoff,
                                        ermes__store_notify_group_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__notify_group_t g;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT s.org_id, i.source, COUNT(*), MIN(s.created_at),"
                                " MAX(s.id)" SIGHTINGS_TO_NOTIFY " GROUP BY s.org_id, i.source"
                                " HAVING MIN(s.created_at) <= ?1 ORDER BY MIN(s.created_at),"
                                " s.org_id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, cutoff);
    while ((rc = ermes__db_step(s)) == 1) {
        memset(&g, 0, sizeof(g));
        g.org_id = ermes__db_col_int(s, 0);
        g.key = ermes__db_col_text(s, 1);
        g.events = ermes__db_col_int(s, 2);
        g.first_at = ermes__db_col_int(s, 3);
        g.max_id = ermes__db_col_int(s, 4);
        if (!g.key)
            g.key = "";
        if ((rc = cb(ctx, &g)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

#define SIGHTING_ROW_COLUMNS                                                                       \
    "s.id, s.indicator_id, i.type, i.value, s.value, s.field, s.log_source, s.line,"               \
    " s.byte_offset, s.event_time, s.sensor, s.internal_ip, s.org_id, i.tlp, s.created_at"

static int sighting_rows(ermes__db_stmt_t *s, ermes__store_sighting_cb cb, void *ctx)
{
    ermes__sighting_t row;
    int rc;

    while ((rc = ermes__db_step(s)) == 1) {
        const char *tlp;
        memset(&row, 0, sizeof(row));
        row.id = ermes__db_col_int(s, 0);
        row.indicator_id = ermes__db_col_int(s, 1);
        row.indicator_type = ermes__db_col_text(s, 2);
        row.indicator_value = ermes__db_col_text(s, 3);
        row.value = ermes__db_col_text(s, 4);
        row.field = ermes__db_col_text(s, 5);
        row.log_source = ermes__db_col_text(s, 6);
        row.line = ermes__db_col_int(s, 7);
        row.offset = ermes__db_col_int(s, 8);
        row.event_time = ermes__db_col_int(s, 9);
        row.sensor = ermes__db_col_text(s, 10);
        row.internal_ip = ermes__db_col_text(s, 11);
        row.org_id = ermes__db_col_int(s, 12);
        tlp = ermes__db_col_text(s, 13);
        /* An unreadable label is the most restrictive. */
        if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &row.tlp))
            row.tlp = ERMES_TLP_RED;
        row.created_at = ermes__db_col_int(s, 14);
        if ((rc = cb(ctx, &row)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : rc;
}

int ermes__store_notify_sighting_rows(ermes__store_t *st, const ermes__notify_group_t *g,
                                      long limit, ermes__store_sighting_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " SIGHTING_ROW_COLUMNS SIGHTINGS_TO_NOTIFY
                                " AND s.org_id = ?1 AND i.source = ?2 AND s.id <= ?3 ORDER BY"
                                " s.id LIMIT ?4",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, g->org_id);
    ermes__db_bind_text(s, 2, g->key);
    ermes__db_bind_int(s, 3, g->max_id);
    ermes__db_bind_int(s, 4, limit > 0 ? limit : -1);
    return sighting_rows(s, cb, ctx);
}

int ermes__store_notification_add_sightings(ermes__store_t *st, int64_t id, const int64_t *ids,
                                            size_t n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc = 0, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    for (size_t k = 0; k < n && !rc; k++) {
        if ((rc = ermes__db_prepare(db,
                                    "INSERT INTO notification_sightings (notification_id,"
                                    " sighting_id) VALUES (?1, ?2)",
                                    &s)))
            break;
        ermes__db_bind_int(s, 1, id);
        ermes__db_bind_int(s, 2, ids[k]);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        /* UNIQUE (sighting_id): another process notified it meanwhile; the group is undone. */
        if (rc == ERMES_EEXISTS)
            rc = ERMES_ECONFLICT;
        rc = rc < 0 ? rc : 0;
    }
    if (!rc &&
        !(rc = ermes__db_prepare(db, "UPDATE notifications SET events = ?2 WHERE id = ?1", &s))) {
        ermes__db_bind_int(s, 1, id);
        ermes__db_bind_int(s, 2, (int64_t)n);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        rc = rc < 0 ? rc : 0;
    }
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_notification_sightings(ermes__store_t *st, int64_t id, ermes__store_sighting_cb cb,
                                        void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " SIGHTING_ROW_COLUMNS
                                " FROM notification_sightings ns JOIN sightings s ON s.id ="
                                " ns.sighting_id JOIN indicators i ON i.id = s.indicator_id"
                                " WHERE ns.notification_id = ?1 ORDER BY s.id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    return sighting_rows(s, cb, ctx);
}
