/* The store's notification tables: notifications, the events each one carries, and the send
 * log behind the per-recipient rate limit (migration 3 in schema.c). */
#include "store/store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/db_int.h"
#include "store/event_doc.h"
#include "store/store_int.h"

/* The contact roles that receive notifications (src/notify/group.c picks among them by the
 * kind of issue); management never does. */
#define NOTIFIED_ROLES "('notification','abuse','security','cert','technical')"
/* The events a notification may carry: owned by a constituent that has someone to write to,
 * not notified yet, and never TLP:RED (RED is for the named recipients only: it is never
 * e-mailed). */
#define NOTIFIABLE                                                                                 \
    "e.notified = 0 AND e.tlp <> 'RED' AND e.org_id IS NOT NULL AND EXISTS (SELECT 1 FROM "        \
    "contacts c WHERE c.org_id = e.org_id AND c.role IN " NOTIFIED_ROLES ")"
/* The group of an event: ?1 = 1 groups by classification.type, else by feed.name. */
#define GROUP_VALUE "CASE WHEN ?1 = 1 THEN COALESCE(e.type, 'unknown') ELSE e.feed END"
/* The events still to notify of an org start past its cursor: every event of the org with an
 * id up to notify_cursor.through_id is notified or TLP:RED (migration 12 in schema.c; no row:
 * 0). They are a range of the index events_org (org_id, id): nothing on the insert path of an
 * event serves notification. The constituents that have someone to write to, with their
 * cursors: */
#define ORGS_WITH_CONTACTS                                                                         \
    "(SELECT c.org_id AS org_id, COALESCE(MAX(nc.through_id), 0) AS after FROM contacts c"         \
    " LEFT JOIN notify_cursor nc ON nc.org_id = c.org_id WHERE c.role IN " NOTIFIED_ROLES          \
    " GROUP BY c.org_id)"

/* The groups (?1 by type, ?2 cutoff): the events past the cursor of each org that has
 * contacts, a range of events_org each (CROSS JOIN keeps the orgs the outer loop). */
#define SQL_GROUPS                                                                                 \
    "SELECT e.org_id, " GROUP_VALUE                                                                \
    " AS g, COUNT(*), MIN(e.created_at), MAX(e.id) FROM " ORGS_WITH_CONTACTS                       \
    " o CROSS JOIN events e ON e.org_id = o.org_id AND e.id > o.after"                             \
    " WHERE e.notified = 0 AND e.tlp <> 'RED' GROUP BY e.org_id, g"                                \
    " HAVING MIN(e.created_at) <= ?2 ORDER BY MIN(e.created_at), e.org_id"

int ermes__store_notify_groups(ermes__store_t *st, int by_type, int64_t cutoff,
                               ermes__store_notify_group_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__notify_group_t g;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, SQL_GROUPS, &s)))
        return rc;
    ermes__db_bind_int(s, 1, by_type ? 1 : 0);
    ermes__db_bind_int(s, 2, cutoff);
    while ((rc = ermes__db_step(s)) == 1) {
        memset(&g, 0, sizeof(g));
        g.org_id = ermes__db_col_int(s, 0);
        g.key = ermes__db_col_text(s, 1);
        g.events = ermes__db_col_int(s, 2);
        g.first_at = ermes__db_col_int(s, 3);
        g.max_id = ermes__db_col_int(s, 4);
        if (!g.key)
            continue;
        if ((rc = cb(ctx, &g)))
            break;
    }
    ermes__db_done(s);
    return rc;
}

/* The events of one group (?1 by type, ?2 org, ?3 group, ?4 max id, ?5 limit). */
#define SQL_GROUP_EVENTS                                                                           \
    "SELECT " ERMES__EVENT_COLUMNS                                                                 \
    " FROM events e WHERE e.org_id = ?2 AND e.id > COALESCE((SELECT"                               \
    " nc.through_id FROM notify_cursor nc WHERE nc.org_id = ?2), 0) AND e.id <= ?4 "               \
    "AND " NOTIFIABLE " AND " GROUP_VALUE " = ?3 ORDER BY e.id LIMIT ?5"

int ermes__store_notify_group_events(ermes__store_t *st, const ermes__notify_group_t *g,
                                     int by_type, long limit, ermes__store_event_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, SQL_GROUP_EVENTS, &s)))
        return rc;
    ermes__db_bind_int(s, 1, by_type ? 1 : 0);
    ermes__db_bind_int(s, 2, g->org_id);
    ermes__db_bind_text(s, 3, g->key);
    ermes__db_bind_int(s, 4, g->max_id);
    ermes__db_bind_int(s, 5, limit > 0 ? limit : -1);
    return ermes__event_rows_each(st, s, 0, NULL, NULL, cb, ctx);
}

/* The events of the orgs without contacts past their cursors, still to notify. */
#define SQL_WAITING                                                                                \
    "SELECT COUNT(*) FROM (SELECT o.id AS org_id, COALESCE(nc.through_id, 0) AS after FROM"        \
    " organisations o LEFT JOIN notify_cursor nc ON nc.org_id = o.id WHERE NOT EXISTS (SELECT"     \
    " 1 FROM contacts c WHERE c.org_id = o.id AND c.role IN " NOTIFIED_ROLES ")) w CROSS JOIN"     \
    " events e ON e.org_id = w.org_id AND e.id > w.after WHERE e.notified = 0 AND"                 \
    " e.tlp <> 'RED'"

int ermes__store_notify_waiting(ermes__store_t *st, int64_t *events)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *events = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, SQL_WAITING, &s)))
        return rc;
    rc = ermes__db_step(s);
    if (rc == 1) {
        *events = ermes__db_col_int(s, 0);
        rc = 0;
    }
    ermes__db_done(s);
    return rc;
}

/* The cursor each org may move to, computed from its events past the cursor it has: just
 * below the oldest event still to notify, else the newest event (?1: one org, 0: all). */
#define CURSOR_TARGETS                                                                             \
    "SELECT org_id, after, COALESCE((SELECT e.id FROM events e WHERE e.org_id = t.org_id AND"      \
    " e.id > t.after AND e.notified = 0 AND e.tlp <> 'RED' ORDER BY e.id LIMIT 1) - 1,"            \
    " (SELECT MAX(e.id) FROM events e WHERE e.org_id = t.org_id), 0) AS target FROM"               \
    " (SELECT o.id AS org_id, COALESCE(nc.through_id, 0) AS after FROM organisations o"            \
    " LEFT JOIN notify_cursor nc ON nc.org_id = o.id WHERE ?1 = 0 OR o.id = ?1) t"

#define SQL_CURSORS_BEHIND "SELECT COUNT(*) FROM (" CURSOR_TARGETS ") targets WHERE target > after"

int ermes__store_notify_advance(ermes__store_t *st, int64_t org_id, long *moved)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    long behind = 0;
    int rc, owned;

    *moved = 0;
    if (!db)
        return ERMES_ESTORE;
    /* A look first, without a write transaction: most rounds have nothing to move. */
    if (!ermes__db_in_tx(db)) {
        if ((rc = ermes__db_prepare(db, SQL_CURSORS_BEHIND, &s)))
            return rc;
        ermes__db_bind_int(s, 1, org_id);
        rc = ermes__db_step(s);
        if (rc == 1) {
            behind = (long)ermes__db_col_int(s, 0);
            rc = 0;
        }
        ermes__db_done(s);
        if (rc || behind == 0)
            return rc;
    }
    /* Computed again inside the write transaction: no event can be notified, nor stored with
     * a smaller id, between reading the events and moving the cursor. A cursor only moves
     * forward. */
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO notify_cursor (org_id, through_id) SELECT org_id,"
                                " target FROM (" CURSOR_TARGETS ") targets WHERE target > after"
                                " ON CONFLICT (org_id) DO UPDATE SET through_id ="
                                " excluded.through_id WHERE excluded.through_id >"
                                " notify_cursor.through_id RETURNING org_id",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, org_id);
    while ((rc = ermes__db_step(s)) == 1)
        (*moved)++;
    ermes__db_done(s);
out:
    return ermes__tx_end(db, owned, rc);
}

/* Sets the approval of notification id (a row of notification_reviews; none is no row). */
static int review_put(ermes__db_t *db, int64_t id, const char *approval, const char *reason,
                      int64_t now)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO notification_reviews (notification_id, approval,"
                                " reason, tlp, owner_org_id, created_at, updated_at) SELECT id,"
                                " ?2, ?3, tlp, owner_org_id, ?4, ?4 FROM notifications WHERE id ="
                                " ?1 ON CONFLICT (notification_id) DO UPDATE SET approval ="
                                " excluded.approval, reason = excluded.reason, updated_at ="
                                " excluded.updated_at",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, approval);
    ermes__db_bind_text(s, 3, reason && *reason ? reason : NULL);
    ermes__db_bind_int(s, 4, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_notification_insert(ermes__store_t *st, ermes__notification_t *n,
                                     const int64_t *event_ids, size_t nevents)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    char ref[32];
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO notifications (org_id, group_key, language, state, "
                                "recipients, subject, body, events, attempts, next_attempt_at, "
                                "window_start, window_end, tlp, owner_org_id, created_at, "
                                "updated_at, message_id) VALUES (?1,?2,?3,'pending',?4,?5,?6,?7,0,"
                                "?8,?9,?10,?11,?12,?13,?13,?14) RETURNING id",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, n->org_id);
    ermes__db_bind_text(s, 2, n->group_key);
    ermes__db_bind_text(s, 3, n->language);
    ermes__db_bind_text(s, 4, n->recipients ? n->recipients : "[]");
    ermes__db_bind_text(s, 5, n->subject ? n->subject : "");
    ermes__db_bind_text(s, 6, n->body ? n->body : "");
    ermes__db_bind_int(s, 7, (int64_t)nevents);
    ermes__db_bind_int(s, 8, n->next_attempt_at ? n->next_attempt_at : now);
    ermes__db_bind_int(s, 9, n->window_start);
    ermes__db_bind_int(s, 10, n->window_end);
    ermes__db_bind_text(s, 11, ermes_tlp_name(n->tlp));
    if (n->owner_org_id)
        ermes__db_bind_int(s, 12, n->owner_org_id);
    ermes__db_bind_int(s, 13, now);
    if (n->message_id[0])
        ermes__db_bind_text(s, 14, n->message_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        n->id = ermes__db_col_int(s, 0);
        rc = 0;
    }
    ermes__db_done(s);
    if (rc)
        goto out;
    /* Made to wait for approval (src/notify/review.c): in the same commit, so that no
     * sender sees it without its approval. */
    if (n->approval[0] && strcmp(n->approval, ERMES_APPROVAL_NONE) != 0 &&
        (rc = review_put(db, n->id, n->approval, n->approval_reason, now)))
        goto out;
    /* The reference is made from the id, which only the insert gives. */
    ermes__notification_reference(n->id, now, ref, sizeof(ref));
    if ((rc = ermes__db_prepare(db, "UPDATE notifications SET reference = ?2 WHERE id = ?1", &s)))
        goto out;
    ermes__db_bind_int(s, 1, n->id);
    ermes__db_bind_text(s, 2, ref);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc)
        goto out;
    for (size_t k = 0; k < nevents && !rc; k++) {
        if ((rc = ermes__db_prepare(db,
                                    "INSERT INTO notification_events (notification_id, event_id,"
                                    " language) VALUES (?1, ?2, ?3)",
                                    &s)))
            break;
        ermes__db_bind_int(s, 1, n->id);
        ermes__db_bind_int(s, 2, event_ids[k]);
        ermes__db_bind_text(s, 3, n->language);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        /* UNIQUE (event_id, language): this event already went to these contacts. */
        if (rc == ERMES_EEXISTS)
            rc = ERMES_ECONFLICT;
    }
    if (!rc) {
        snprintf(n->reference, sizeof(n->reference), "%s", ref);
        snprintf(n->state, sizeof(n->state), "%s", ERMES_NOTIFICATION_PENDING);
        n->events = (int64_t)nevents;
        n->created_at = n->updated_at = now;
        if (!n->next_attempt_at)
            n->next_attempt_at = now;
    }
out:
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_notification_set_text(ermes__store_t *st, int64_t id, const char *subject,
                                       const char *body, const char *message_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE notifications SET subject = ?2, body = ?3, updated_at = "
                                "?4, message_id = COALESCE(?5, message_id) WHERE id = ?1"
                                " RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, subject ? subject : "");
    ermes__db_bind_text(s, 3, body ? body : "");
    ermes__db_bind_int(s, 4, ermes__time_now_ms());
    ermes__db_bind_text(s, 5, message_id);
    rc = ermes__db_step(s);
    rc = rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
    ermes__db_done(s);
    return rc;
}

int ermes__store_notify_mark_events(ermes__store_t *st, const int64_t *ids, size_t n)
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
                                    "UPDATE events SET notified = 1, updated_at = ?2 WHERE id = ?1"
                                    " AND notified = 0 RETURNING id",
                                    &s)))
            break;
        ermes__db_bind_int(s, 1, ids[k]);
        ermes__db_bind_int(s, 2, ermes__time_now_ms());
        rc = ermes__db_step(s);
        ermes__db_done(s);
        /* No row: someone notified it in between, and the whole group is undone. */
        rc = rc == 1 ? 0 : rc == 0 ? ERMES_ECONFLICT : rc;
    }
    return ermes__tx_end(db, owned, rc);
}

#define NOTIFICATION_COLUMNS                                                                       \
    "n.id, n.org_id, o.short_name, n.group_key, n.language, n.reference, n.state, n.recipients, "  \
    "n.subject, n.body, n.events, n.attempts, n.next_attempt_at, n.last_error, n.sent_at, "        \
    "n.window_start, n.window_end, n.tlp, n.owner_org_id, n.created_at, n.updated_at, "            \
    "n.message_id, COALESCE(r.approval, 'none'), r.reason"
/* The tables NOTIFICATION_COLUMNS reads. */
#define NOTIFICATION_FROM                                                                          \
    " FROM notifications n LEFT JOIN organisations o ON o.id = n.org_id LEFT JOIN"                 \
    " notification_reviews r ON r.notification_id = n.id"
/* A notification no sender may take: waiting for approval, held or cancelled (?N is the
 * outer notifications' id column). */
#define NOT_RELEASED(ID)                                                                           \
    "EXISTS (SELECT 1 FROM notification_reviews r WHERE r.notification_id = " ID                   \
    " AND r.approval <> 'approved')"

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Fills n from a row; the long strings are borrowed from the statement. */
static void row_to_notification(ermes__db_stmt_t *s, ermes__notification_t *n)
{
    const char *tlp;

    memset(n, 0, sizeof(*n));
    n->id = ermes__db_col_int(s, 0);
    n->org_id = ermes__db_col_int(s, 1);
    copy_text(n->org, sizeof(n->org), ermes__db_col_text(s, 2));
    copy_text(n->group_key, sizeof(n->group_key), ermes__db_col_text(s, 3));
    copy_text(n->language, sizeof(n->language), ermes__db_col_text(s, 4));
    copy_text(n->reference, sizeof(n->reference), ermes__db_col_text(s, 5));
    copy_text(n->state, sizeof(n->state), ermes__db_col_text(s, 6));
    n->recipients = (char *)ermes__db_col_text(s, 7);
    n->subject = (char *)ermes__db_col_text(s, 8);
    n->body = (char *)ermes__db_col_text(s, 9);
    n->events = ermes__db_col_int(s, 10);
    n->attempts = ermes__db_col_int(s, 11);
    n->next_attempt_at = ermes__db_col_int(s, 12);
    copy_text(n->last_error, sizeof(n->last_error), ermes__db_col_text(s, 13));
    n->sent_at = ermes__db_col_int(s, 14);
    n->window_start = ermes__db_col_int(s, 15);
    n->window_end = ermes__db_col_int(s, 16);
    tlp = ermes__db_col_text(s, 17);
    if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &n->tlp))
        n->tlp = ERMES_TLP_RED;
    n->owner_org_id = ermes__db_col_int(s, 18);
    n->created_at = ermes__db_col_int(s, 19);
    n->updated_at = ermes__db_col_int(s, 20);
    copy_text(n->message_id, sizeof(n->message_id), ermes__db_col_text(s, 21));
    copy_text(n->approval, sizeof(n->approval), ermes__db_col_text(s, 22));
    copy_text(n->approval_reason, sizeof(n->approval_reason), ermes__db_col_text(s, 23));
}

int ermes__store_notification_get(ermes__store_t *st, int64_t id, ermes__notification_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__notification_t n;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db, "SELECT " NOTIFICATION_COLUMNS NOTIFICATION_FROM " WHERE n.id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_to_notification(s, &n);
        n.recipients = ermes__strdup(n.recipients ? n.recipients : "[]");
        n.subject = ermes__strdup(n.subject ? n.subject : "");
        n.body = ermes__strdup(n.body ? n.body : "");
        n.owned = 1;
        if (!n.recipients || !n.subject || !n.body) {
            ermes__notification_cleanup(&n);
            rc = ERMES_ENOMEM;
        } else {
            *out = n;
            rc = 0;
        }
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_notification_find(ermes__store_t *st, const char *ref, int64_t *id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id FROM notifications WHERE reference = ?1 COLLATE NOCASE"
                                " OR CAST(id AS TEXT) = ?1",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, ref);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *id = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_notification_each(ermes__store_t *st, const ermes__notification_filter_t *f,
                                   ermes__store_notification_cb cb, void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__notification_t n;
    long count = 0;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " NOTIFICATION_COLUMNS NOTIFICATION_FROM
                                " WHERE (?1 = 0 OR n.id < ?1)"
                                " AND (?2 IS NULL OR n.state = ?2) AND (?3 = 0 OR n.org_id = ?3)"
                                " AND (?5 IS NULL OR COALESCE(r.approval, 'none') = ?5)"
                                " ORDER BY n.id DESC LIMIT ?4",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, f->before_id);
    ermes__db_bind_text(s, 2, f->state);
    ermes__db_bind_int(s, 3, f->org_id);
    ermes__db_bind_int(s, 4, ermes__page_limit(f->limit));
    ermes__db_bind_text(s, 5, f->approval);
    while ((rc = ermes__page_step(s, f->limit, &count, more)) == 1) {
        row_to_notification(s, &n);
        if ((rc = cb(ctx, &n)))
            break;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_notification_events(ermes__store_t *st, int64_t id, ermes__store_event_cb cb,
                                     void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " ERMES__EVENT_COLUMNS
                                " FROM notification_events ne JOIN events e"
                                " ON e.id = ne.event_id WHERE ne.notification_id = ?1"
                                " ORDER BY e.id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    return ermes__event_rows_each(st, s, 0, NULL, NULL, cb, ctx);
}

int ermes__store_event_notifications(ermes__store_t *st, int64_t event_id,
                                     ermes__store_notification_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__notification_t n;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* notification_events is unique on (event_id, language): its index finds them. At most
     * one per language, so the list is short; the cap guards against a surprise. */
    if ((rc = ermes__db_prepare(db,
                                "SELECT " NOTIFICATION_COLUMNS NOTIFICATION_FROM
                                " JOIN notification_events ne ON ne.notification_id = n.id"
                                " WHERE ne.event_id = ?1 ORDER BY n.id LIMIT 100",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, event_id);
    while ((rc = ermes__db_step(s)) == 1) {
        row_to_notification(s, &n);
        if ((rc = cb(ctx, &n)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_notification_due(ermes__store_t *st, int64_t now, int64_t *ids, size_t cap,
                                  size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    /* A notification whose lease is still running is left out here; one whose holder died
     * before its lease ran out is listed, and the claim finds out. */
    if ((rc = ermes__db_prepare(
             db,
             "SELECT id FROM notifications WHERE state IN ('pending',"
             "'retrying') AND NOT " NOT_RELEASED(
                 "notifications.id") " AND"
                                     " next_attempt_at <= ?1 AND (lease_until IS NULL"
                                     " OR lease_until < ?1 OR lease_owner <> ?3)"
                                     " ORDER BY next_attempt_at, id LIMIT ?2",
             &s)))
        return rc;
    ermes__db_bind_int(s, 1, now);
    ermes__db_bind_int(s, 2, (int64_t)cap);
    ermes__db_bind_int(s, 3, ermes__instance_id());
    while ((rc = ermes__db_step(s)) == 1 && *n < cap)
        ids[(*n)++] = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_notification_next_due(ermes__store_t *st, int64_t *at)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *at = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT MIN(next_attempt_at) FROM notifications WHERE state IN "
                                "('pending','retrying') AND NOT " NOT_RELEASED("notifications.id"),
                                &s)))
        return rc;
    rc = ermes__db_step(s);
    if (rc == 1) {
        *at = ermes__db_col_int(s, 0);
        rc = 0;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_notification_claim(ermes__store_t *st, int64_t id, int64_t owner, int64_t now,
                                    int64_t until, int force, int *claimed)
{
    ermes__db_t *db = ermes__db_conn(st);
    /* Only one sender (a daemon's worker, a CLI, an API call) holds a notification at a time;
     * this instance's other threads hold theirs. A sent one is never taken again: that is
     * "never twice". A manual send (force, ?7) may take a failed one, and one whose next
     * attempt (?6 now) is later. */
    ermes__lease_claim_t c = {
        .select_sql = "SELECT lease_owner, lease_until FROM notifications WHERE id = ?1",
        .update_sql = "UPDATE notifications SET lease_owner = ?2, lease_until = ?3"
                      " WHERE id = ?1 AND (state IN ('pending','retrying') OR"
                      " (?7 = 1 AND state = 'failed')) AND NOT " NOT_RELEASED(
                          "notifications.id") " AND (?7 = 1 OR next_attempt_at"
                                              " <= ?6) AND COALESCE(lease_owner, 0) = ?4 AND"
                                              " COALESCE(lease_until, 0) = ?5 RETURNING id",
        .id = id,
        .owner = owner,
        .until = until,
        .now = now,
        .self_holds = 1,
        .nextra = 2,
        .extra = {now, force ? 1 : 0},
    };

    *claimed = 0;
    if (!db)
        return ERMES_ESTORE;
    return ermes__lease_claim(db, &c, claimed);
}

int ermes__store_notification_start(ermes__store_t *st, int64_t id, int64_t owner,
                                    int64_t *attempts)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Autocommit: with synchronous=FULL the state is on disk before the first byte goes to
     * the SMTP server. */
    if ((rc = ermes__db_prepare(db,
                                "UPDATE notifications SET state = 'sending', attempts = attempts"
                                " + 1, updated_at = ?3 WHERE id = ?1 AND lease_owner = ?2 AND"
                                " state IN ('pending','retrying','failed') AND NOT " NOT_RELEASED(
                                    "notifications.id") " RETURNING attempts",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, owner);
    ermes__db_bind_int(s, 3, ermes__time_now_ms());
    rc = ermes__db_step(s);
    if (rc == 1) {
        *attempts = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_EBUSY;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_notification_finish(ermes__store_t *st, int64_t id, const char *state,
                                     int64_t attempts, int64_t next_attempt_at,
                                     const char *last_error, int64_t sent_at)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE notifications SET state = ?2, attempts = ?3, "
                                "next_attempt_at = ?4, last_error = ?5, sent_at = ?6, "
                                "lease_owner = NULL, lease_until = NULL, updated_at = ?7"
                                " WHERE id = ?1 RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, state);
    ermes__db_bind_int(s, 3, attempts);
    ermes__db_bind_int(s, 4, next_attempt_at);
    ermes__db_bind_text(s, 5, last_error && *last_error ? last_error : NULL);
    if (sent_at)
        ermes__db_bind_int(s, 6, sent_at);
    ermes__db_bind_int(s, 7, ermes__time_now_ms());
    rc = ermes__db_step(s);
    rc = rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
    ermes__db_done(s);
    return rc;
}

int ermes__store_notification_sent(ermes__store_t *st, int64_t id, const char *const *rcpts,
                                   size_t n, int64_t at)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    for (size_t k = 0; k < n && !rc; k++)
        rc = ermes__store_notify_send_log(st, rcpts[k], id, at);
    if (!rc && !(rc = ermes__db_prepare(db,
                                        "UPDATE notifications SET state = 'sent', sent_at = ?2,"
                                        " last_error = NULL, lease_owner = NULL, lease_until ="
                                        " NULL, updated_at = ?2 WHERE id = ?1 RETURNING id",
                                        &s))) {
        ermes__db_bind_int(s, 1, id);
        ermes__db_bind_int(s, 2, at);
        rc = ermes__db_step(s);
        rc = rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
        ermes__db_done(s);
    }
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_notification_release(ermes__store_t *st, int64_t id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE notifications SET lease_owner = NULL, lease_until = NULL"
                                " WHERE id = ?1 AND state <> 'sending'",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc;
}

#define RECOVER_BATCH 64

int ermes__store_notification_recover(ermes__store_t *st, int64_t id, int64_t now,
                                      int64_t max_attempts, const char *note, size_t *recovered)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    struct {
        int64_t id, owner, until, attempts;
    } rows[RECOVER_BATCH];
    size_t n = 0;
    int rc;

    *recovered = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, COALESCE(lease_owner, 0), COALESCE(lease_until, 0),"
                                " attempts FROM notifications WHERE state = 'sending' AND"
                                " (?1 = 0 OR id = ?1) ORDER BY id LIMIT ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, RECOVER_BATCH);
    while ((rc = ermes__db_step(s)) == 1 && n < RECOVER_BATCH) {
        rows[n].id = ermes__db_col_int(s, 0);
        rows[n].owner = ermes__db_col_int(s, 1);
        rows[n].until = ermes__db_col_int(s, 2);
        rows[n].attempts = ermes__db_col_int(s, 3);
        n++;
    }
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    rc = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        if (ermes__lease_holds(rows[k].owner, rows[k].until, now, ermes__instance_id(), 1,
                               rows[k].until >= now && ermes__instance_gone(db, rows[k].owner)))
            continue;
        /* Compare and swap on the lease seen: a sender that took it over meanwhile keeps it. */
        if ((rc = ermes__db_prepare(db,
                                    "UPDATE notifications SET state = ?2, next_attempt_at = ?3,"
                                    " last_error = ?4, lease_owner = NULL, lease_until = NULL,"
                                    " updated_at = ?3 WHERE id = ?1 AND state = 'sending' AND"
                                    " COALESCE(lease_owner, 0) = ?5 AND COALESCE(lease_until, 0)"
                                    " = ?6 RETURNING id",
                                    &s)))
            break;
        ermes__db_bind_int(s, 1, rows[k].id);
        ermes__db_bind_text(s, 2,
                            max_attempts > 0 && rows[k].attempts >= max_attempts
                                ? ERMES_NOTIFICATION_FAILED
                                : ERMES_NOTIFICATION_RETRYING);
        ermes__db_bind_int(s, 3, now);
        ermes__db_bind_text(s, 4, note);
        ermes__db_bind_int(s, 5, rows[k].owner);
        ermes__db_bind_int(s, 6, rows[k].until);
        rc = ermes__db_step(s);
        if (rc == 1)
            (*recovered)++;
        rc = rc < 0 ? rc : 0;
        ermes__db_done(s);
    }
    return rc;
}

int ermes__store_notify_sends(ermes__store_t *st, const char *recipient, int64_t since,
                              int64_t *times, size_t cap, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT sent_at FROM notification_sends WHERE recipient = ?1 AND "
                                "sent_at > ?2 ORDER BY sent_at DESC LIMIT ?3",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, recipient);
    ermes__db_bind_int(s, 2, since);
    ermes__db_bind_int(s, 3, (int64_t)cap);
    while ((rc = ermes__db_step(s)) == 1 && *n < cap)
        times[(*n)++] = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_notify_send_log(ermes__store_t *st, const char *recipient, int64_t notification_id,
                                 int64_t at)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO notification_sends (recipient, notification_id, "
                                "sent_at) VALUES (?1, ?2, ?3)",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, recipient);
    ermes__db_bind_int(s, 2, notification_id);
    ermes__db_bind_int(s, 3, at);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc;
}

int ermes__store_notify_plan(ermes__store_t *st, int which, char *buf, size_t cap)
{
    /* Literals: the statement cache knows a statement by the address of its text. */
    static const char *const sql[] = {
        "EXPLAIN QUERY PLAN " SQL_GROUPS, "EXPLAIN QUERY PLAN " SQL_GROUP_EVENTS,
        "EXPLAIN QUERY PLAN " SQL_WAITING, "EXPLAIN QUERY PLAN " SQL_CURSORS_BEHIND};
    static const char *const pg_sql[] = {"EXPLAIN " SQL_GROUPS, "EXPLAIN " SQL_GROUP_EVENTS,
                                         "EXPLAIN " SQL_WAITING, "EXPLAIN " SQL_CURSORS_BEHIND};
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    size_t len = 0;
    int rc, pg;

    if (!db)
        return ERMES_ESTORE;
    if (which < 0 || which >= (int)(sizeof(sql) / sizeof(sql[0])) || cap == 0)
        return ERMES_EINVAL;
    /* PostgreSQL's planner reads a test's small tables whole whatever the indexes: the plan
     * asked for is the one it makes when a scan of the whole table costs what it does on a
     * big one. */
    pg = ermes__db_kind(db) == ERMES__DB_POSTGRESQL;
    if (pg && (rc = ermes__db_exec(db, "SET enable_seqscan = off")))
        return rc;
    rc = ermes__db_prepare(db, pg ? pg_sql[which] : sql[which], &s);
    if (rc) {
        if (pg)
            ermes__db_exec(db, "RESET enable_seqscan");
        return rc;
    }
    /* Values, so that PostgreSQL plans the query rather than folding NULL comparisons. */
    for (int k = 1; pg && k <= 4; k++)
        ermes__db_bind_int(s, k, 1);
    buf[0] = '\0';
    while ((rc = ermes__db_step(s)) == 1) {
        const char *detail = ermes__db_col_text(s, pg ? 0 : 3);
        int n = snprintf(buf + len, cap - len, "%s\n", detail ? detail : "");
        if (n < 0 || (size_t)n >= cap - len) {
            rc = ERMES_ETOOBIG;
            break;
        }
        len += (size_t)n;
    }
    ermes__db_done(s);
    if (pg)
        ermes__db_exec(db, "RESET enable_seqscan");
    return rc;
}

/* ---- review before sending --------------------------------------------------------------- */

int ermes__store_notification_hold_stale(ermes__store_t *st, int64_t cutoff, int64_t now,
                                         const char *reason, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    /* Those that go out by themselves (no review row); not those being sent: their attempt
     * runs to its end. An approved one has a row: a person said it may go. */
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO notification_reviews (notification_id, approval,"
                                " reason, tlp, owner_org_id, created_at, updated_at) SELECT n.id,"
                                " 'waiting', ?3, n.tlp, n.owner_org_id, ?2, ?2 FROM notifications"
                                " n WHERE n.state IN ('pending','retrying') AND n.created_at < ?1"
                                " AND NOT EXISTS (SELECT 1 FROM notification_reviews r WHERE"
                                " r.notification_id = n.id) ON CONFLICT (notification_id) DO"
                                " NOTHING RETURNING notification_id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, cutoff);
    ermes__db_bind_int(s, 2, now);
    ermes__db_bind_text(s, 3, reason);
    while ((rc = ermes__db_step(s)) == 1)
        (*n)++;
    ermes__db_done(s);
    return rc;
}

int ermes__store_notification_review(ermes__store_t *st, int64_t id, const char *approval,
                                     const char *reason, int *changed)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc, owned, open = 0;

    *changed = 0;
    if (!db)
        return ERMES_ESTORE;
    /* One write transaction: the sender's start (ermes__store_notification_start) checks the
     * approval in its own, so a hold or a cancel either comes before an attempt starts and
     * stops it, or finds it sending and changes nothing. */
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    /* state sending is an attempt under way and sent is final; cancelled is final too. */
    if ((rc = ermes__db_prepare(db,
                                "SELECT 1 FROM notifications n LEFT JOIN notification_reviews r ON"
                                " r.notification_id = n.id WHERE n.id = ?1 AND n.state IN"
                                " ('pending','retrying','failed') AND COALESCE(r.approval,"
                                " 'none') <> 'cancelled'",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    open = rc == 1;
    rc = 0;
    if (!open)
        goto out;
    if ((rc = review_put(db, id, approval, reason, now)))
        goto out;
    /* Approved while waiting for its first attempt: due now, not at the time it was made. */
    if (strcmp(approval, ERMES_APPROVAL_APPROVED) == 0) {
        if ((rc = ermes__db_prepare(db,
                                    "UPDATE notifications SET next_attempt_at = ?2, updated_at ="
                                    " ?2 WHERE id = ?1 AND state = 'pending' AND attempts = 0 AND"
                                    " next_attempt_at > ?2",
                                    &s)))
            goto out;
        ermes__db_bind_int(s, 1, id);
        ermes__db_bind_int(s, 2, now);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc < 0)
            goto out;
        rc = 0;
    }
    *changed = 1;
out:
    rc = ermes__tx_end(db, owned, rc);
    if (rc)
        *changed = 0;
    return rc;
}

int ermes__store_notification_edit(ermes__store_t *st, int64_t id, const char *subject,
                                   const char *body, const char *recipients)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Only what no sender may take (waiting or held): the text a sender read is the text it
     * sends, and an edit never races an attempt. */
    if ((rc = ermes__db_prepare(db,
                                "UPDATE notifications SET subject = COALESCE(?2, subject), body ="
                                " COALESCE(?3, body), recipients = COALESCE(?4, recipients),"
                                " updated_at = ?5 WHERE id = ?1 AND state IN ('pending',"
                                "'retrying','failed') AND EXISTS (SELECT 1 FROM"
                                " notification_reviews r WHERE r.notification_id ="
                                " notifications.id AND r.approval IN ('waiting','held'))"
                                " RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, subject);
    ermes__db_bind_text(s, 3, body);
    ermes__db_bind_text(s, 4, recipients);
    ermes__db_bind_int(s, 5, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc == 1)
        return 0;
    if (rc < 0)
        return rc;
    {
        int64_t found;
        char ref[32];
        snprintf(ref, sizeof(ref), "%lld", (long long)id);
        return ermes__store_notification_find(st, ref, &found) ? ERMES_ENOTFOUND : ERMES_ECONFLICT;
    }
}

int ermes__store_notification_waiting(ermes__store_t *st, int64_t org_id, int64_t *ids, size_t cap,
                                      size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT n.id FROM notification_reviews r JOIN notifications n ON"
                                " n.id = r.notification_id WHERE r.approval = 'waiting' AND"
                                " n.state IN ('pending','retrying','failed') AND (?1 = 0 OR"
                                " n.org_id = ?1) ORDER BY n.id LIMIT ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, org_id);
    ermes__db_bind_int(s, 2, (int64_t)cap);
    while ((rc = ermes__db_step(s)) == 1 && *n < cap)
        ids[(*n)++] = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_notification_note(ermes__store_t *st, int64_t id, const char *note)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "UPDATE notifications SET last_error = ?2 WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, note && *note ? note : NULL);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
