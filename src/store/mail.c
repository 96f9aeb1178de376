/* Received messages (mail_messages) and the correspondence threaded onto notifications
 * (notification_correspondence, notification_recipients): migration 19 in schema.c. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

#define MAIL_COLUMNS                                                                               \
    "id, sha256, size, source, received_at, state, kind, reason, message_id, from_addr, "          \
    "subject, signature, encryption, notification_id, report_id, incident_report_id, tlp, "        \
    "owner_org_id, created_at, updated_at"

static void read_row(ermes__db_stmt_t *s, ermes__mail_row_t *m)
{
    const char *tlp;

    memset(m, 0, sizeof(*m));
    m->id = ermes__db_col_int(s, 0);
    copy(m->sha256, sizeof(m->sha256), ermes__db_col_text(s, 1));
    m->size = ermes__db_col_int(s, 2);
    copy(m->source, sizeof(m->source), ermes__db_col_text(s, 3));
    m->received_at = ermes__db_col_int(s, 4);
    copy(m->state, sizeof(m->state), ermes__db_col_text(s, 5));
    copy(m->kind, sizeof(m->kind), ermes__db_col_text(s, 6));
    copy(m->reason, sizeof(m->reason), ermes__db_col_text(s, 7));
    copy(m->message_id, sizeof(m->message_id), ermes__db_col_text(s, 8));
    copy(m->from_addr, sizeof(m->from_addr), ermes__db_col_text(s, 9));
    copy(m->subject, sizeof(m->subject), ermes__db_col_text(s, 10));
    copy(m->signature, sizeof(m->signature), ermes__db_col_text(s, 11));
    copy(m->encryption, sizeof(m->encryption), ermes__db_col_text(s, 12));
    m->notification_id = ermes__db_col_int(s, 13);
    m->report_id = ermes__db_col_int(s, 14);
    m->incident_report_id = ermes__db_col_int(s, 15);
    tlp = ermes__db_col_text(s, 16);
    if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &m->tlp))
        m->tlp = ERMES_TLP_AMBER;
    m->owner_org_id = ermes__db_col_int(s, 17);
    m->created_at = ermes__db_col_int(s, 18);
    m->updated_at = ermes__db_col_int(s, 19);
}

static int get_by(ermes__store_t *st, int by_sha, int64_t id, const char *sha,
                  ermes__mail_row_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (by_sha)
        rc = ermes__db_prepare(db, "SELECT " MAIL_COLUMNS " FROM mail_messages WHERE sha256 = ?",
                               &s);
    else
        rc = ermes__db_prepare(db, "SELECT " MAIL_COLUMNS " FROM mail_messages WHERE id = ?", &s);
    if (rc)
        return rc;
    if (by_sha)
        ermes__db_bind_text(s, 1, sha);
    else
        ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        read_row(s, out);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_mail_get(ermes__store_t *st, int64_t id, ermes__mail_row_t *out)
{
    return get_by(st, 0, id, NULL, out);
}

int ermes__store_mail_insert(ermes__store_t *st, ermes__mail_row_t *m, int *created)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (created)
        *created = 0;
    if (!db)
        return ERMES_ESTORE;
    /* The same bytes again (an IMAP message fetched twice, a retried pipe) are the same
     * message: the row there is the answer. */
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO mail_messages (sha256, size, source, received_at,"
                                " state, tlp, owner_org_id, created_at, updated_at)"
                                " VALUES (?, ?, ?, ?, 'received', ?, ?, ?, ?)"
                                " ON CONFLICT (sha256) DO NOTHING RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, m->sha256);
    ermes__db_bind_int(s, 2, m->size);
    ermes__db_bind_text(s, 3, m->source);
    ermes__db_bind_int(s, 4, m->received_at ? m->received_at : now);
    ermes__db_bind_text(s, 5, ermes_tlp_name(m->tlp));
    if (m->owner_org_id)
        ermes__db_bind_int(s, 6, m->owner_org_id);
    else
        ermes__db_bind_null(s, 6);
    ermes__db_bind_int(s, 7, now);
    ermes__db_bind_int(s, 8, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        if (created)
            *created = 1;
        rc = 0;
    }
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    return get_by(st, 1, 0, m->sha256, m);
}

int ermes__store_mail_update(ermes__store_t *st, const ermes__mail_row_t *m)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE mail_messages SET state = ?, kind = ?, reason = ?,"
                                " message_id = ?, from_addr = ?, subject = ?, signature = ?,"
                                " encryption = ?, notification_id = ?, report_id = ?,"
                                " incident_report_id = ?, tlp = ?, updated_at = ? WHERE id = ?",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, m->state);
    ermes__db_bind_text(s, 2, m->kind[0] ? m->kind : NULL);
    ermes__db_bind_text(s, 3, m->reason[0] ? m->reason : NULL);
    ermes__db_bind_text(s, 4, m->message_id[0] ? m->message_id : NULL);
    ermes__db_bind_text(s, 5, m->from_addr[0] ? m->from_addr : NULL);
    ermes__db_bind_text(s, 6, m->subject[0] ? m->subject : NULL);
    ermes__db_bind_text(s, 7, m->signature[0] ? m->signature : NULL);
    ermes__db_bind_text(s, 8, m->encryption[0] ? m->encryption : NULL);
    if (m->notification_id)
        ermes__db_bind_int(s, 9, m->notification_id);
    else
        ermes__db_bind_null(s, 9);
    if (m->report_id)
        ermes__db_bind_int(s, 10, m->report_id);
    else
        ermes__db_bind_null(s, 10);
    if (m->incident_report_id)
        ermes__db_bind_int(s, 11, m->incident_report_id);
    else
        ermes__db_bind_null(s, 11);
    ermes__db_bind_text(s, 12, ermes_tlp_name(m->tlp));
    ermes__db_bind_int(s, 13, ermes__time_now_ms());
    ermes__db_bind_int(s, 14, m->id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    return ermes__db_changes(db) ? 0 : ERMES_ENOTFOUND;
}

int ermes__store_mail_each(ermes__store_t *st, const char *state, int64_t before_id, long limit,
                           ermes__store_mail_cb cb, void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__mail_row_t m;
    long n = 0;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " MAIL_COLUMNS " FROM mail_messages"
                                " WHERE (?1 IS NULL OR state = ?1) AND (?2 = 0 OR id < ?2)"
                                " ORDER BY id DESC LIMIT ?3",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, state);
    ermes__db_bind_int(s, 2, before_id);
    ermes__db_bind_int(s, 3, ermes__page_limit(limit));
    while ((rc = ermes__page_step(s, limit, &n, more)) == 1) {
        read_row(s, &m);
        if ((rc = cb(ctx, &m)))
            break;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_mail_pending(ermes__store_t *st, int64_t after, int64_t *ids, size_t cap,
                              size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    /* A report typed in (source report:USER, or report:cli) is processed by the request that
     * stored it, with the TLP and organisation it was given; the others' sweeps leave it to that
     * request for ten minutes, then take it (mail/receive.c keeps it, failed, with why). */
    if ((rc = ermes__db_prepare(db,
                                "SELECT id FROM mail_messages WHERE state = 'received' AND id > ?3"
                                " AND (source NOT LIKE 'report:%' OR received_at < ?2)"
                                " ORDER BY id LIMIT ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, (int64_t)cap);
    ermes__db_bind_int(s, 2, ermes__time_now_ms() - (int64_t)600 * 1000);
    ermes__db_bind_int(s, 3, after);
    while ((rc = ermes__db_step(s)) == 1 && *n < cap)
        ids[(*n)++] = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_correspondence_add(ermes__store_t *st, int64_t notification_id, int64_t mail_id,
                                    const char *from, const char *recipient, const char *subject,
                                    const char *body, const char *state, ermes_tlp_t tlp,
                                    int64_t owner_org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc, own = 0;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &own)))
        return rc;
    rc = ermes__db_prepare(db,
                           "INSERT INTO notification_correspondence (notification_id, mail_id,"
                           " from_addr, subject, body, state, tlp, owner_org_id, created_at,"
                           " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                           " ON CONFLICT (notification_id, mail_id) DO NOTHING",
                           &s);
    if (!rc) {
        ermes__db_bind_int(s, 1, notification_id);
        ermes__db_bind_int(s, 2, mail_id);
        ermes__db_bind_text(s, 3, from ? from : "");
        ermes__db_bind_text(s, 4, subject ? subject : "");
        ermes__db_bind_text(s, 5, body ? body : "");
        ermes__db_bind_text(s, 6, state);
        ermes__db_bind_text(s, 7, ermes_tlp_name(tlp));
        if (owner_org_id)
            ermes__db_bind_int(s, 8, owner_org_id);
        else
            ermes__db_bind_null(s, 8);
        ermes__db_bind_int(s, 9, now);
        ermes__db_bind_int(s, 10, now);
        rc = ermes__db_step(s);
        ermes__db_done(s);
    }
    /* The recipient's state only moves forward: a reply after an acknowledgement makes it
     * replied; an automatic acknowledgement after a reply, or a delivery report after
     * either, changes nothing. */
    if (strcmp(state, "delivered") && strcmp(state, "failed") && strcmp(state, "acknowledged") &&
        strcmp(state, "replied"))
        goto out;
    if (rc >= 0)
        rc = ermes__db_prepare(
            db,
            "INSERT INTO notification_recipients (notification_id, recipient,"
            " state, answered_at, tlp, owner_org_id, created_at, updated_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4, ?4)"
            " ON CONFLICT (notification_id, recipient) DO UPDATE SET"
            " state = CASE WHEN notification_recipients.state = 'replied' THEN 'replied'"
            " WHEN notification_recipients.state = 'acknowledged'"
            " AND excluded.state IN ('delivered','failed') THEN 'acknowledged'"
            " ELSE excluded.state END,"
            " answered_at = CASE WHEN notification_recipients.state IN ('acknowledged','replied')"
            " AND excluded.state IN ('delivered','failed')"
            " THEN notification_recipients.answered_at ELSE excluded.answered_at END,"
            " updated_at = excluded.updated_at",
            &s);
    if (rc >= 0) {
        ermes__db_bind_int(s, 1, notification_id);
        ermes__db_bind_text(s, 2, recipient ? recipient : from ? from : "");
        ermes__db_bind_text(s, 3, state);
        ermes__db_bind_int(s, 4, now);
        ermes__db_bind_text(s, 5, ermes_tlp_name(tlp));
        if (owner_org_id)
            ermes__db_bind_int(s, 6, owner_org_id);
        else
            ermes__db_bind_null(s, 6);
        rc = ermes__db_step(s);
        ermes__db_done(s);
    }
out:
    if (rc > 0)
        rc = 0;
    if (own) {
        if (!rc)
            rc = ermes__db_commit(db);
        if (rc)
            ermes__db_rollback(db);
    }
    return rc;
}

int ermes__store_correspondence_each(ermes__store_t *st, int64_t notification_id,
                                     ermes__store_correspondence_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__correspondence_t c;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, notification_id, mail_id, from_addr, subject, body,"
                                " state, created_at FROM notification_correspondence"
                                " WHERE notification_id = ? ORDER BY id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, notification_id);
    while ((rc = ermes__db_step(s)) == 1) {
        c.id = ermes__db_col_int(s, 0);
        c.notification_id = ermes__db_col_int(s, 1);
        c.mail_id = ermes__db_col_int(s, 2);
        c.from_addr = ermes__db_col_text(s, 3);
        c.subject = ermes__db_col_text(s, 4);
        c.body = ermes__db_col_text(s, 5);
        c.state = ermes__db_col_text(s, 6);
        c.created_at = ermes__db_col_int(s, 7);
        if ((rc = cb(ctx, &c)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : rc;
}

int ermes__store_notification_recipient_each(ermes__store_t *st, int64_t notification_id,
                                             ermes__store_recipient_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT recipient, state, answered_at FROM notification_recipients"
                                " WHERE notification_id = ? ORDER BY recipient",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, notification_id);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_text(s, 0), ermes__db_col_text(s, 1),
                     ermes__db_col_int(s, 2))))
            break;
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : rc;
}
