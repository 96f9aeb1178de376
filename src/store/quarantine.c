/* The store's quarantine: rows a parser refused, with their raw line and reason. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/event_doc.h"
#include "store/store_int.h"

int ermes__store_quarantine_insert(ermes__store_t *st, int64_t report_id, int64_t row, long line,
                                   const char *raw, size_t raw_len, const char *field,
                                   const char *reason, int64_t owner_org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO quarantine (report_id, row, line, raw, field, reason, "
                                "tlp, owner_org_id, created_at, updated_at) VALUES (?1,?2,?3,?4,"
                                "?5,?6,'AMBER+STRICT',?7,?8,?8)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, report_id);
    ermes__db_bind_int(s, 2, row);
    ermes__db_bind_int(s, 3, line);
    ermes__db_bind_blob(s, 4, raw ? raw : "", raw ? raw_len : 0);
    ermes__db_bind_text(s, 5, field && *field ? field : NULL);
    ermes__db_bind_text(s, 6, reason);
    if (owner_org_id)
        ermes__db_bind_int(s, 7, owner_org_id);
    ermes__db_bind_int(s, 8, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc;
}

#define QUARANTINE_COLUMNS                                                                         \
    "q.id, q.report_id, q.row, q.line, q.raw, q.field, q.reason, q.state, r.feed, q.created_at, "  \
    "q.retried_event_id, w.edited_raw, w.resolution, w.resolved_by"
/* What analysts did to the rows (quarantine_work), beside them. */
#define QUARANTINE_FROM                                                                            \
    " FROM quarantine q JOIN reports r ON r.id = q.report_id LEFT JOIN quarantine_work w ON "      \
    "w.quarantine_id = q.id "

static void row_to_quarantine(ermes__db_stmt_t *s, ermes__quarantine_row_t *q)
{
    memset(q, 0, sizeof(*q));
    q->id = ermes__db_col_int(s, 0);
    q->report_id = ermes__db_col_int(s, 1);
    q->row = ermes__db_col_int(s, 2);
    q->line = (long)ermes__db_col_int(s, 3);
    q->raw = ermes__db_col_blob(s, 4, &q->raw_len);
    q->field = ermes__db_col_text(s, 5);
    q->reason = ermes__db_col_text(s, 6);
    q->state = ermes__db_col_text(s, 7);
    q->feed = ermes__db_col_text(s, 8);
    q->created_at = ermes__db_col_int(s, 9);
    q->retried_event_id = ermes__db_col_int(s, 10);
    q->edited_raw = ermes__db_col_blob(s, 11, &q->edited_raw_len);
    q->resolution = ermes__db_col_text(s, 12);
    q->resolved_by = ermes__db_col_text(s, 13);
}

int ermes__store_quarantine_edit(ermes__store_t *st, int64_t id, const char *raw, size_t len)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Only an open row takes a correction: the SELECT finds none for another. */
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO quarantine_work (quarantine_id, edited_raw, created_at, updated_at) "
             "SELECT id, ?2, ?3, ?3 FROM quarantine WHERE id = ?1 AND state = 'open' "
             "ON CONFLICT (quarantine_id) DO UPDATE SET edited_raw = excluded.edited_raw, "
             "updated_at = excluded.updated_at RETURNING quarantine_id",
             &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_blob(s, 2, raw, len);
    ermes__db_bind_int(s, 3, ermes__time_now_ms());
    rc = ermes__db_step(s);
    rc = rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
    ermes__db_done(s);
    return rc;
}

int ermes__store_quarantine_dismiss(ermes__store_t *st, int64_t id, const char *reason,
                                    const char *actor)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t report_id = 0, now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__store_begin(st)))
        return rc;
    /* The row and its report's accounting move together: quarantined to dismissed. */
    rc = ermes__db_prepare(db,
                           "UPDATE quarantine SET state = 'resolved', updated_at = ?2 "
                           "WHERE id = ?1 AND state = 'open' RETURNING report_id",
                           &s);
    if (!rc) {
        ermes__db_bind_int(s, 1, id);
        ermes__db_bind_int(s, 2, now);
        rc = ermes__db_step(s);
        if (rc == 1)
            report_id = ermes__db_col_int(s, 0);
        rc = rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
        ermes__db_done(s);
    }
    if (!rc && !(rc = ermes__db_prepare(
                     db,
                     "INSERT INTO quarantine_work (quarantine_id, resolution, resolved_by, "
                     "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT "
                     "(quarantine_id) DO UPDATE SET resolution = excluded.resolution, "
                     "resolved_by = excluded.resolved_by, updated_at = excluded.updated_at",
                     &s))) {
        ermes__db_bind_int(s, 1, id);
        ermes__db_bind_text(s, 2, reason);
        ermes__db_bind_text(s, 3, actor);
        ermes__db_bind_int(s, 4, now);
        rc = ermes__db_step(s);
        rc = rc < 0 ? rc : 0;
        ermes__db_done(s);
    }
    if (!rc && !(rc = ermes__db_prepare(db,
                                        "UPDATE reports SET quarantined = quarantined - 1 "
                                        "WHERE id = ?1 AND quarantined > 0",
                                        &s))) {
        ermes__db_bind_int(s, 1, report_id);
        rc = ermes__db_step(s);
        rc = rc < 0 ? rc : 0;
        ermes__db_done(s);
    }
    if (!rc)
        return ermes__store_commit(st);
    ermes__store_rollback(st);
    return rc;
}

int ermes__store_quarantine_each(ermes__store_t *st, int64_t report_id, const char *state,
                                 int64_t after_id, long limit, ermes__store_quarantine_cb cb,
                                 void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__quarantine_row_t q;
    long n = 0;
    int rc;

    *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " QUARANTINE_COLUMNS QUARANTINE_FROM
                                "WHERE q.id > ?1 AND (?2 = 0 OR "
                                "q.report_id = ?2) AND (?3 IS NULL OR q.state = ?3) ORDER BY q.id "
                                "LIMIT ?4",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, after_id);
    ermes__db_bind_int(s, 2, report_id);
    ermes__db_bind_text(s, 3, state);
    ermes__db_bind_int(s, 4, ermes__page_limit(limit));
    while ((rc = ermes__page_step(s, limit, &n, more)) == 1) {
        row_to_quarantine(s, &q);
        if ((rc = cb(ctx, &q)))
            break;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_quarantine_get(ermes__store_t *st, int64_t id, ermes__store_quarantine_cb cb,
                                void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__quarantine_row_t q;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT " QUARANTINE_COLUMNS QUARANTINE_FROM "WHERE q.id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_to_quarantine(s, &q);
        rc = cb(ctx, &q);
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_quarantine_set_state(ermes__store_t *st, int64_t id, const char *state,
                                      int64_t event_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE quarantine SET state = ?2, retried_event_id = ?3, "
                                "updated_at = ?4 WHERE id = ?1"
                                /* a row is retried once: the second of two racing retries
                                 * finds nothing to update and rolls its event back */
                                " AND (?2 <> 'retried' OR state = 'open') RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, state);
    if (event_id)
        ermes__db_bind_int(s, 3, event_id);
    ermes__db_bind_int(s, 4, ermes__time_now_ms());
    rc = ermes__db_step(s);
    rc = rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
    ermes__db_done(s);
    return rc;
}
