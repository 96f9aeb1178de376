/* The store's reports: the feed files received, their state and their accounting. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/event_doc.h"
#include "store/store_int.h"

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

#define REPORT_COLUMNS                                                                             \
    "id, feed, file_name, path, size, sha256, options, state, error, next_row, rows_in, events, "  \
    "duplicates, quarantined, received_at, processed_at, submitted_by, tlp, owner_org_id, "        \
    "(SELECT count(*) FROM quarantine q JOIN quarantine_work w ON w.quarantine_id = q.id "         \
    "WHERE q.report_id = reports.id AND w.resolution IS NOT NULL), expired_at"

static void row_to_report(ermes__db_stmt_t *s, ermes__report_t *r)
{
    const char *tlp;

    memset(r, 0, sizeof(*r));
    r->id = ermes__db_col_int(s, 0);
    copy_text(r->feed, sizeof(r->feed), ermes__db_col_text(s, 1));
    copy_text(r->file_name, sizeof(r->file_name), ermes__db_col_text(s, 2));
    copy_text(r->path, sizeof(r->path), ermes__db_col_text(s, 3));
    r->size = ermes__db_col_int(s, 4);
    copy_text(r->sha256, sizeof(r->sha256), ermes__db_col_text(s, 5));
    copy_text(r->options, sizeof(r->options), ermes__db_col_text(s, 6));
    copy_text(r->state, sizeof(r->state), ermes__db_col_text(s, 7));
    copy_text(r->error, sizeof(r->error), ermes__db_col_text(s, 8));
    r->next_row = ermes__db_col_int(s, 9);
    r->rows_in = ermes__db_col_int(s, 10);
    r->events = ermes__db_col_int(s, 11);
    r->duplicates = ermes__db_col_int(s, 12);
    r->quarantined = ermes__db_col_int(s, 13);
    r->received_at = ermes__db_col_int(s, 14);
    r->processed_at = ermes__db_col_int(s, 15);
    copy_text(r->submitted_by, sizeof(r->submitted_by), ermes__db_col_text(s, 16));
    tlp = ermes__db_col_text(s, 17);
    if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &r->tlp))
        r->tlp = ERMES_TLP_RED;
    r->owner_org_id = ermes__db_col_int(s, 18);
    r->dismissed = ermes__db_col_int(s, 19);
    r->expired_at = ermes__db_col_int(s, 20);
}

int ermes__store_report_insert(ermes__store_t *st, ermes__report_t *r)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO reports (feed, file_name, path, size, sha256, "
                                "options, state, received_at, submitted_by, tlp, owner_org_id, "
                                "created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,'received',?7,"
                                "?8,?9,?10,?7,?7) RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, r->feed);
    ermes__db_bind_text(s, 2, r->file_name[0] ? r->file_name : NULL);
    ermes__db_bind_text(s, 3, r->path);
    ermes__db_bind_int(s, 4, r->size);
    ermes__db_bind_text(s, 5, r->sha256);
    ermes__db_bind_text(s, 6, r->options[0] ? r->options : NULL);
    ermes__db_bind_int(s, 7, r->received_at ? r->received_at : now);
    ermes__db_bind_text(s, 8, r->submitted_by);
    ermes__db_bind_text(s, 9, ermes_tlp_name(r->tlp));
    if (r->owner_org_id)
        ermes__db_bind_int(s, 10, r->owner_org_id);
    else
        ermes__db_bind_null(s, 10);
    rc = ermes__db_step(s);
    if (rc == 1) {
        r->id = ermes__db_col_int(s, 0);
        snprintf(r->state, sizeof(r->state), "received");
        if (!r->received_at)
            r->received_at = now;
        rc = 0;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_report_get(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                            ermes__report_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (v && !ermes__viewer_is_staff(v))
        return ERMES_ENOTFOUND;
    if ((rc = ermes__db_prepare(db, "SELECT " REPORT_COLUMNS " FROM reports WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_to_report(s, out);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_report_find_sha256(ermes__store_t *st, const char *sha256, const char *feed,
                                    const char *options, ermes__report_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* The first such report: the one the later copies are copies of. A failed one does not
     * count, so the same bytes can be sent again once the reason is fixed; nor does one that
     * retention expired (its events are gone: the same bytes again are new). */
    if ((rc = ermes__db_prepare(db,
                                "SELECT " REPORT_COLUMNS " FROM reports WHERE sha256 = ?1 AND "
                                "feed = ?2 AND COALESCE(options, '') = ?3 AND state <> 'failed' "
                                "AND expired_at IS NULL "
                                "ORDER BY id LIMIT 1",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, sha256);
    ermes__db_bind_text(s, 2, feed);
    ermes__db_bind_text(s, 3, options ? options : "");
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_to_report(s, out);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_report_each(ermes__store_t *st, const ermes__viewer_t *v, const char *state,
                             const char *feed, int64_t before_id, long limit,
                             ermes__store_report_cb cb, void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__report_t r;
    long n = 0;
    int rc;

    *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if (v && !ermes__viewer_is_staff(v))
        return 0;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " REPORT_COLUMNS " FROM reports WHERE (?1 = 0 OR id < ?1)"
                                " AND (?2 IS NULL OR state = ?2) AND (?3 IS NULL OR feed = ?3)"
                                " ORDER BY id DESC LIMIT ?4",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, before_id);
    ermes__db_bind_text(s, 2, state);
    ermes__db_bind_text(s, 3, feed);
    ermes__db_bind_int(s, 4, ermes__page_limit(limit));
    while ((rc = ermes__page_step(s, limit, &n, more)) == 1) {
        row_to_report(s, &r);
        if ((rc = cb(ctx, &r)))
            break;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_report_pending(ermes__store_t *st, int64_t *ids, size_t cap, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id FROM reports WHERE state IN ('received','processing')"
                                " ORDER BY id LIMIT ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, (int64_t)cap);
    while ((rc = ermes__db_step(s)) == 1 && *n < cap)
        ids[(*n)++] = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_report_claim(ermes__store_t *st, int64_t id, int64_t owner, int64_t until,
                              int *claimed)
{
    ermes__db_t *db = ermes__db_conn(st);
    /* This instance renews or gives back its own lease (self_holds 0). */
    ermes__lease_claim_t c = {
        .select_sql = "SELECT lease_owner, lease_until FROM reports WHERE id = ?1",
        .update_sql = "UPDATE reports SET lease_owner = ?2, lease_until = ?3 WHERE id = ?1"
                      " AND COALESCE(lease_owner, 0) = ?4 AND COALESCE(lease_until, 0) = ?5"
                      " RETURNING id",
        .id = id,
        .owner = owner,
        .until = until,
        .now = ermes__time_now_ms(),
    };

    *claimed = 0;
    if (!db)
        return ERMES_ESTORE;
    return ermes__lease_claim(db, &c, claimed);
}

int ermes__store_report_update(ermes__store_t *st, const ermes__report_t *r)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE reports SET state = ?2, error = ?3, next_row = ?4, "
                                "rows_in = ?5, events = ?6, duplicates = ?7, quarantined = ?8, "
                                "processed_at = ?9, updated_at = ?10 WHERE id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, r->id);
    ermes__db_bind_text(s, 2, r->state);
    ermes__db_bind_text(s, 3, r->error[0] ? r->error : NULL);
    ermes__db_bind_int(s, 4, r->next_row);
    ermes__db_bind_int(s, 5, r->rows_in);
    ermes__db_bind_int(s, 6, r->events);
    ermes__db_bind_int(s, 7, r->duplicates);
    ermes__db_bind_int(s, 8, r->quarantined);
    if (r->processed_at)
        ermes__db_bind_int(s, 9, r->processed_at);
    else
        ermes__db_bind_null(s, 9);
    ermes__db_bind_int(s, 10, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc;
}

int ermes__store_report_count_retry(ermes__store_t *st, int64_t report_id, int duplicate)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE reports SET quarantined = quarantined - 1, "
                                "events = events + ?2, duplicates = duplicates + ?3 "
                                "WHERE id = ?1 AND quarantined > 0",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, report_id);
    ermes__db_bind_int(s, 2, duplicate ? 0 : 1);
    ermes__db_bind_int(s, 3, duplicate ? 1 : 0);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
