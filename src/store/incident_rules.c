/* Incident rules (incident_rules) and what they decided for each incident report
 * (incident_report_decisions), migration 35 in schema.c; src/incidents/rules.c runs them. */
#include "store/store.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

#define RULE_SELECT                                                                                \
    "SELECT id, position, name, enabled, condition, days, hours, pattern, rsit_class, action,"     \
    " open_class, open_type, severity, tlp, owner_org_id, created_at, updated_at"                  \
    " FROM incident_rules"

static void copy_col(ermes__db_stmt_t *s, int col, char *dst, size_t cap)
{
    const char *t = ermes__db_col_text(s, col);

    snprintf(dst, cap, "%s", t ? t : "");
}

static void read_rule(ermes__db_stmt_t *s, ermes__incident_rule_t *r)
{
    const char *tlp = ermes__db_col_text(s, 13);

    memset(r, 0, sizeof(*r));
    r->id = ermes__db_col_int(s, 0);
    r->position = ermes__db_col_int(s, 1);
    copy_col(s, 2, r->name, sizeof(r->name));
    r->enabled = ermes__db_col_int(s, 3) != 0;
    copy_col(s, 4, r->condition, sizeof(r->condition));
    r->days = ermes__db_col_int(s, 5);
    r->hours = ermes__db_col_int(s, 6);
    copy_col(s, 7, r->pattern, sizeof(r->pattern));
    copy_col(s, 8, r->rsit_class, sizeof(r->rsit_class));
    copy_col(s, 9, r->action, sizeof(r->action));
    copy_col(s, 10, r->open_class, sizeof(r->open_class));
    copy_col(s, 11, r->open_type, sizeof(r->open_type));
    copy_col(s, 12, r->severity, sizeof(r->severity));
    if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &r->tlp))
        r->tlp = ERMES_TLP_AMBER;
    r->owner_org_id = ermes__db_col_int(s, 14);
    r->created_at = ermes__db_col_int(s, 15);
    r->updated_at = ermes__db_col_int(s, 16);
}

int ermes__store_incident_rule_each(ermes__store_t *st, ermes__store_incident_rule_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__incident_rule_t r;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, RULE_SELECT " ORDER BY position, id", &s)))
        return rc;
    while ((rc = ermes__db_step(s)) == 1) {
        read_rule(s, &r);
        if ((rc = cb(ctx, &r)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : rc;
}

int ermes__store_incident_rule_get(ermes__store_t *st, int64_t id, ermes__incident_rule_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, RULE_SELECT " WHERE id = ?", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        read_rule(s, out);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

/* Makes room at position for rule id (0: a new one): the rules at it and after move down one,
 * so a rule put at a position is there, before the one that had it. */
static int make_room(ermes__db_t *db, int64_t position, int64_t id)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db,
                                "UPDATE incident_rules SET position = position + 1"
                                " WHERE position >= ? AND id <> ?",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, position);
    ermes__db_bind_int(s, 2, id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static void bind_rule(ermes__db_stmt_t *s, const ermes__incident_rule_t *r)
{
    ermes__db_bind_int(s, 1, r->position);
    ermes__db_bind_text(s, 2, r->name);
    ermes__db_bind_int(s, 3, r->enabled ? 1 : 0);
    ermes__db_bind_text(s, 4, r->condition);
    ermes__db_bind_int(s, 5, r->days);
    ermes__db_bind_int(s, 6, r->hours);
    ermes__db_bind_text(s, 7, r->pattern);
    ermes__db_bind_text(s, 8, r->rsit_class);
    ermes__db_bind_text(s, 9, r->action);
    ermes__db_bind_text(s, 10, r->open_class);
    ermes__db_bind_text(s, 11, r->open_type);
    ermes__db_bind_text(s, 12, r->severity[0] ? r->severity : "medium");
    ermes__db_bind_text(s, 13, ermes_tlp_name(r->tlp));
    if (r->owner_org_id)
        ermes__db_bind_int(s, 14, r->owner_org_id);
    else
        ermes__db_bind_null(s, 14);
}

static int end_tx(ermes__db_t *db, int own, int rc)
{
    if (own) {
        if (!rc)
            rc = ermes__db_commit(db);
        if (rc)
            ermes__db_rollback(db);
    }
    return rc;
}

int ermes__store_incident_rule_insert(ermes__store_t *st, ermes__incident_rule_t *r)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc, own = 0;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &own)))
        return rc;
    if (r->position && (rc = make_room(db, r->position, 0)))
        goto out;
    if (!r->position) {
        if ((rc = ermes__db_prepare(db, "SELECT COALESCE(MAX(position), 0) FROM incident_rules",
                                    &s)))
            return rc;
        if ((rc = ermes__db_step(s)) == 1)
            r->position = ermes__db_col_int(s, 0) + 1;
        ermes__db_done(s);
        if (rc < 0)
            goto out;
    }
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO incident_rules (position, name, enabled, condition,"
                                " days, hours, pattern, rsit_class, action, open_class, open_type,"
                                " severity, tlp, owner_org_id, created_at, updated_at) VALUES"
                                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                                &s)))
        goto out;
    bind_rule(s, r);
    ermes__db_bind_int(s, 15, now);
    ermes__db_bind_int(s, 16, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        r->id = ermes__db_col_int(s, 0);
        r->created_at = r->updated_at = now;
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ESTORE;
    }
    ermes__db_done(s);
out:
    return end_tx(db, own, rc);
}

int ermes__store_incident_rule_update(ermes__store_t *st, ermes__incident_rule_t *r)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc, own = 0, moved;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &own)))
        return rc;
    /* Only a move makes room: a rule edited in place keeps its place among equals. */
    if ((rc = ermes__db_prepare(db, "SELECT position FROM incident_rules WHERE id = ?", &s)))
        goto out;
    ermes__db_bind_int(s, 1, r->id);
    rc = ermes__db_step(s);
    moved = rc == 1 && ermes__db_col_int(s, 0) != r->position;
    ermes__db_done(s);
    if (rc < 0 || (moved && (rc = make_room(db, r->position, r->id))))
        goto out;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE incident_rules SET position = ?, name = ?, enabled = ?,"
                                " condition = ?, days = ?, hours = ?, pattern = ?, rsit_class = ?,"
                                " action = ?, open_class = ?, open_type = ?, severity = ?, tlp = ?,"
                                " owner_org_id = ?, updated_at = ? WHERE id = ?",
                                &s)))
        goto out;
    bind_rule(s, r);
    ermes__db_bind_int(s, 15, now);
    ermes__db_bind_int(s, 16, r->id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc > 0)
        rc = 0;
    if (!rc && ermes__db_changes(db) == 0)
        rc = ERMES_ENOTFOUND;
    if (!rc)
        r->updated_at = now;
out:
    return end_tx(db, own, rc);
}

int ermes__store_incident_rule_delete(ermes__store_t *st, int64_t id)
{
    return ermes__db_exec_id(st, "DELETE FROM incident_rules WHERE id = ?1 RETURNING id", id);
}

int ermes__store_report_decision_put(ermes__store_t *st, int64_t report_id, int64_t rule_id,
                                     const char *action, int64_t incident_id, const char *reason,
                                     ermes_tlp_t tlp, int *added)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (added)
        *added = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO incident_report_decisions (report_id, rule_id,"
                                " action, incident_id, reason, tlp, created_at, updated_at)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                                " ON CONFLICT (report_id) DO NOTHING",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, report_id);
    if (rule_id)
        ermes__db_bind_int(s, 2, rule_id);
    else
        ermes__db_bind_null(s, 2);
    ermes__db_bind_text(s, 3, action);
    if (incident_id)
        ermes__db_bind_int(s, 4, incident_id);
    else
        ermes__db_bind_null(s, 4);
    ermes__db_bind_text(s, 5, reason);
    ermes__db_bind_text(s, 6, ermes_tlp_name(tlp));
    ermes__db_bind_int(s, 7, now);
    ermes__db_bind_int(s, 8, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if (added)
        *added = ermes__db_changes(db) > 0;
    return 0;
}

int ermes__store_report_decision_get(ermes__store_t *st, int64_t report_id, int64_t *rule_id,
                                     char *action, size_t action_cap, int64_t *incident_id,
                                     char *reason, size_t cap)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT rule_id, action, incident_id, reason"
                                " FROM incident_report_decisions WHERE report_id = ?",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, report_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *rule_id = ermes__db_col_int(s, 0);
        copy_col(s, 1, action, action_cap);
        *incident_id = ermes__db_col_int(s, 2);
        copy_col(s, 3, reason, cap);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

#define OPEN_INCIDENT                                                                              \
    " i.status NOT IN ('resolved','closed') AND i.merged_into IS NULL AND i.updated_at >= ?"

/* The subject without its reply and forward prefixes, lower case, into out. */
static void base_subject(const char *subj, char *out, size_t cap)
{
    size_t n = 0;

    for (;;) {
        while (*subj == ' ' || *subj == '\t')
            subj++;
        if (strncasecmp(subj, "re:", 3) == 0)
            subj += 3;
        else if (strncasecmp(subj, "fwd:", 4) == 0)
            subj += 4;
        else if (strncasecmp(subj, "fw:", 3) == 0)
            subj += 3;
        else
            break;
    }
    for (; *subj && n + 1 < cap; subj++)
        out[n++] = (char)tolower((unsigned char)*subj);
    out[n] = 0;
}

int ermes__store_rule_find_incident(ermes__store_t *st, const char *condition, int64_t report_id,
                                    int64_t since, const char *rsit_class, int64_t *incident_id,
                                    char *what, size_t cap)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    char base[512] = "";
    int rc, pass;

    *incident_id = 0;
    if (cap)
        what[0] = 0;
    if (!db)
        return ERMES_ESTORE;
    if (strcmp(condition, "shared_observable") == 0) {
        /* First through another report linked to the incident, then its own observables. */
        for (pass = 0; pass < 2 && !*incident_id; pass++) {
            rc = ermes__db_prepare(
                db,
                pass == 0
                    ? "SELECT i.id, a.type, a.value FROM incident_report_observables a"
                      " JOIN incident_report_observables b ON b.type = a.type"
                      " AND b.value = a.value AND b.report_id <> a.report_id"
                      " JOIN incident_links l ON l.kind = 'report' AND l.object_id = b.report_id"
                      " JOIN incidents i ON i.id = l.incident_id"
                      " WHERE a.report_id = ? AND" OPEN_INCIDENT
                      " ORDER BY i.updated_at DESC, i.id DESC LIMIT 1"
                    : "SELECT i.id, a.type, a.value FROM incident_report_observables a"
                      " JOIN incident_observables o ON o.type = a.type AND o.value = a.value"
                      " JOIN incidents i ON i.id = o.incident_id"
                      " WHERE a.report_id = ? AND" OPEN_INCIDENT
                      " ORDER BY i.updated_at DESC, i.id DESC LIMIT 1",
                &s);
            if (rc)
                return rc;
            ermes__db_bind_int(s, 1, report_id);
            ermes__db_bind_int(s, 2, since);
            if ((rc = ermes__db_step(s)) == 1) {
                *incident_id = ermes__db_col_int(s, 0);
                snprintf(what, cap, "%s %s", ermes__db_col_text(s, 1), ermes__db_col_text(s, 2));
            }
            ermes__db_done(s);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    if (strcmp(condition, "same_thread") == 0) {
        if ((rc = ermes__db_prepare(db, "SELECT subject FROM incident_reports WHERE id = ?", &s)))
            return rc;
        ermes__db_bind_int(s, 1, report_id);
        if ((rc = ermes__db_step(s)) == 1)
            base_subject(ermes__db_col_text(s, 0) ? ermes__db_col_text(s, 0) : "", base,
                         sizeof(base));
        ermes__db_done(s);
        if (rc < 0)
            return rc;
        if (!base[0])
            return 0;
        if ((rc = ermes__db_prepare(
                 db,
                 "SELECT i.id, r.id FROM incident_reports r"
                 " JOIN incident_links l ON l.kind = 'report' AND l.object_id = r.id"
                 " JOIN incidents i ON i.id = l.incident_id"
                 " WHERE r.id <> ? AND LOWER(r.subject) IN (?, 're: ' || ?, 'fwd: ' || ?,"
                 " 'fw: ' || ?) AND" OPEN_INCIDENT " ORDER BY i.updated_at DESC, i.id DESC LIMIT 1",
                 &s)))
            return rc;
        ermes__db_bind_int(s, 1, report_id);
        for (int k = 2; k <= 5; k++)
            ermes__db_bind_text(s, k, base);
        ermes__db_bind_int(s, 6, since);
        if ((rc = ermes__db_step(s)) == 1) {
            *incident_id = ermes__db_col_int(s, 0);
            snprintf(what, cap, "incident report %lld", (long long)ermes__db_col_int(s, 1));
        }
        ermes__db_done(s);
        return rc < 0 ? rc : 0;
    }
    if (strcmp(condition, "same_constituent_class") == 0) {
        if ((rc = ermes__db_prepare(db,
                                    "SELECT i.id, o.short_name FROM incident_reports r"
                                    " JOIN incidents i ON i.org_id = r.org_id"
                                    " JOIN organisations o ON o.id = r.org_id"
                                    " WHERE r.id = ? AND LOWER(i.rsit_class) = LOWER(?) AND"
                                    " i.status NOT IN ('resolved','closed') AND"
                                    " i.merged_into IS NULL AND i.created_at >= ?"
                                    " ORDER BY i.created_at DESC, i.id DESC LIMIT 1",
                                    &s)))
            return rc;
        ermes__db_bind_int(s, 1, report_id);
        ermes__db_bind_text(s, 2, rsit_class ? rsit_class : "");
        ermes__db_bind_int(s, 3, since);
        if ((rc = ermes__db_step(s)) == 1) {
            *incident_id = ermes__db_col_int(s, 0);
            snprintf(what, cap, "constituent %s, class %s", ermes__db_col_text(s, 1),
                     rsit_class ? rsit_class : "");
        }
        ermes__db_done(s);
        return rc < 0 ? rc : 0;
    }
    return ERMES_EINVAL;
}

int ermes__store_rule_find_thread(ermes__store_t *st, const char *message_id, int64_t report_id,
                                  int64_t since, int64_t *incident_id, char *what, size_t cap)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *incident_id = 0;
    if (cap)
        what[0] = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT i.id, r.id FROM mail_messages m"
                                " JOIN incident_reports r ON r.mail_id = m.id"
                                " JOIN incident_links l ON l.kind = 'report' AND l.object_id = r.id"
                                " JOIN incidents i ON i.id = l.incident_id"
                                " WHERE m.message_id = ? AND r.id <> ? AND" OPEN_INCIDENT
                                " ORDER BY i.updated_at DESC, i.id DESC LIMIT 1",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, message_id);
    ermes__db_bind_int(s, 2, report_id);
    ermes__db_bind_int(s, 3, since);
    if ((rc = ermes__db_step(s)) == 1) {
        *incident_id = ermes__db_col_int(s, 0);
        snprintf(what, cap, "in reply to incident report %lld", (long long)ermes__db_col_int(s, 1));
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
