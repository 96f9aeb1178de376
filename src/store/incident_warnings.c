/* The daemon's deadline warnings by e-mail (migration 26): one row per incident and deadline
 * warned of, added in the transaction that puts the warning on the incident's timeline (the
 * unique key makes a second one a no-op), then sent by the holder of the lease
 * "incident-warnings" (src/incidents/warn_mail.c), which records each attempt here. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

int ermes__store_warning_mail_add(ermes__store_t *st, int64_t incident_id, const char *deadline,
                                  const char *recipient, ermes_tlp_t tlp, int64_t owner_org_id,
                                  int *added)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *added = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO incident_warning_mails (incident_id, deadline,"
                                " recipient, state, attempts, next_at, tlp, owner_org_id,"
                                " created_at, updated_at) VALUES (?1, ?2, ?3, 'pending', 0, ?4,"
                                " ?5, ?6, ?4, ?4) ON CONFLICT (incident_id, deadline) DO NOTHING",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, incident_id);
    ermes__db_bind_text(s, 2, deadline);
    ermes__db_bind_text(s, 3, recipient);
    ermes__db_bind_int(s, 4, ermes__time_now_ms());
    ermes__db_bind_text(s, 5, ermes_tlp_name(tlp));
    if (owner_org_id)
        ermes__db_bind_int(s, 6, owner_org_id);
    else
        ermes__db_bind_null(s, 6);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    *added = ermes__db_changes(db) > 0;
    return 0;
}

static void put(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void read_row(ermes__db_stmt_t *s, ermes__warning_mail_t *m)
{
    memset(m, 0, sizeof(*m));
    m->id = ermes__db_col_int(s, 0);
    m->incident_id = ermes__db_col_int(s, 1);
    put(m->deadline, sizeof(m->deadline), ermes__db_col_text(s, 2));
    put(m->recipient, sizeof(m->recipient), ermes__db_col_text(s, 3));
    put(m->state, sizeof(m->state), ermes__db_col_text(s, 4));
    m->attempts = ermes__db_col_int(s, 5);
    m->next_at = ermes__db_col_int(s, 6);
    m->sent_at = ermes__db_col_null(s, 7) ? 0 : ermes__db_col_int(s, 7);
    put(m->error, sizeof(m->error), ermes__db_col_text(s, 8));
}

#define WARNING_MAIL_COLUMNS                                                                       \
    "id, incident_id, deadline, recipient, state, attempts, next_at, sent_at, error"

int ermes__store_warning_mails_due(ermes__store_t *st, int64_t now, ermes__warning_mail_t *out,
                                   size_t cap, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " WARNING_MAIL_COLUMNS " FROM incident_warning_mails"
                                " WHERE state = 'pending' AND next_at <= ?1 ORDER BY next_at, id"
                                " LIMIT ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, now);
    ermes__db_bind_int(s, 2, (int64_t)cap);
    while ((rc = ermes__db_step(s)) == 1 && *n < cap)
        read_row(s, &out[(*n)++]);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_warning_mail_each(ermes__store_t *st, int64_t incident_id,
                                   int (*cb)(void *ctx, const ermes__warning_mail_t *m), void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__warning_mail_t m;
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " WARNING_MAIL_COLUMNS " FROM incident_warning_mails"
                                " WHERE incident_id = ?1 ORDER BY id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, incident_id);
    while ((rc = ermes__db_step(s)) == 1) {
        read_row(s, &m);
        if ((rc = cb(ctx, &m)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_warning_mail_record(ermes__store_t *st, const ermes__warning_mail_t *m)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE incident_warning_mails SET state = ?2, attempts = ?3,"
                                " next_at = ?4, sent_at = ?5, error = ?6, updated_at = ?7"
                                " WHERE id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, m->id);
    ermes__db_bind_text(s, 2, m->state);
    ermes__db_bind_int(s, 3, m->attempts);
    ermes__db_bind_int(s, 4, m->next_at);
    if (m->sent_at)
        ermes__db_bind_int(s, 5, m->sent_at);
    else
        ermes__db_bind_null(s, 5);
    if (m->error[0])
        ermes__db_bind_text(s, 6, m->error);
    else
        ermes__db_bind_null(s, 6);
    ermes__db_bind_int(s, 7, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
