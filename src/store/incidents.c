/* The store's incidents: the incident rows, their affected constituents, links, append-only
 * timeline, tasks and observables, and the SLA policies and business-hour calendars their
 * clocks use (migration 20 in schema.c). */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

/* Staff (?1 = 1) see every incident; a constituent (?2 its organisation) those it is
 * affected by, but not a TLP:RED one it does not own. */
#define INCIDENT_VISIBLE                                                                           \
    "(?1 = 1 OR ((i.tlp <> 'RED' OR i.owner_org_id = ?2) AND EXISTS (SELECT 1 FROM"                \
    " incident_orgs vo WHERE vo.incident_id = i.id AND vo.org_id = ?2)))"

/* Staff see every constituent's figures, a constituent those of its own incidents (the
 * metrics: org_id, the incident's constituent, is in the index they read). */
#define OWN_ORG_ONLY "(?1 = 1 OR i.org_id = ?2)"

#define INCIDENT_SELECT                                                                            \
    "SELECT i.id, i.title, i.description, i.rsit_class, i.rsit_type, i.severity, i.impact,"        \
    " i.pap, i.status, i.assignee_id, u.name, i.team, i.org_id, o.short_name, i.parent_id,"        \
    " i.merged_into, i.template, i.fields, i.nis2, i.aware_at, i.early_warning_at,"                \
    " i.notification_at, i.final_report_at, i.feedback_at, i.acknowledged_at, i.triaged_at,"       \
    " i.notified_at, i.contained_at, i.resolved_at, i.closed_at, i.next_due_at, i.pauses,"         \
    " i.warned, i.tlp, i.owner_org_id, i.created_at, i.updated_at"
#define INCIDENT_JOINS                                                                             \
    "LEFT JOIN users u ON u.id = i.assignee_id LEFT JOIN organisations o ON o.id = i.org_id"
#define INCIDENT_COLUMNS INCIDENT_SELECT " FROM incidents i " INCIDENT_JOINS

/* The queue's filters but the constituent and the cursor (the list's two statements). */
#define LIST_FILTERS                                                                               \
    "(?4 IS NULL OR i.status = ?4) AND (?5 IS NULL OR i.severity = ?5)"                            \
    " AND (?6 = 0 OR i.status NOT IN ('resolved', 'closed'))"                                      \
    " AND (?7 = 0 OR i.assignee_id = ?7) AND (?8 = 0 OR i.assignee_id IS NULL)"                    \
    " AND (?10 = 0 OR i.parent_id = ?10) AND (?11 = 0 OR i.next_due_at >= ?11)"                    \
    " AND (?12 = 0 OR i.next_due_at <= ?12) AND (?13 = 0 OR i.created_at >= ?13)"                  \
    " AND (?14 = 0 OR i.created_at < ?14) AND (?16 = 0 OR i.merged_into IS NULL)"                  \
    " AND " INCIDENT_VISIBLE

/* The queue without a constituent or a window of due times, walked by the index of the term
 * `by` (store_incident_each). */
#define LIST_BY(by)                                                                                \
    INCIDENT_COLUMNS " WHERE " by " AND (?3 = 0 OR i.id < ?3)"                                     \
                     " AND (?9 = 0 OR EXISTS (SELECT 1 FROM incident_orgs fo"                      \
                     " WHERE fo.incident_id = i.id AND fo.org_id = ?9)) AND " LIST_FILTERS         \
                     " ORDER BY i.id DESC LIMIT ?15"

static void bind_viewer(ermes__db_stmt_t *s, const ermes__viewer_t *v)
{
    ermes__db_bind_int(s, 1, v && !ermes__viewer_is_staff(v) ? 0 : 1);
    ermes__db_bind_int(s, 2, v ? v->org_id : 0);
}

static void put(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Binds 0 as NULL: ids and times that are not set. */
static void bind_opt(ermes__db_stmt_t *s, int idx, int64_t v)
{
    if (v)
        ermes__db_bind_int(s, idx, v);
    else
        ermes__db_bind_null(s, idx);
}

static void bind_opt_text(ermes__db_stmt_t *s, int idx, const char *t)
{
    ermes__db_bind_text(s, idx, t && *t ? t : NULL);
}

static void read_row(ermes__db_stmt_t *s, ermes__incident_t *inc)
{
    ermes_tlp_t tlp;
    const char *t;
    int c = 0;

    /* Every member is written below: no memset of the whole (large) struct per row. */
    inc->id = ermes__db_col_int(s, c++);
    put(inc->title, sizeof(inc->title), ermes__db_col_text(s, c++));
    put(inc->description, sizeof(inc->description), ermes__db_col_text(s, c++));
    put(inc->rsit_class, sizeof(inc->rsit_class), ermes__db_col_text(s, c++));
    put(inc->rsit_type, sizeof(inc->rsit_type), ermes__db_col_text(s, c++));
    put(inc->severity, sizeof(inc->severity), ermes__db_col_text(s, c++));
    put(inc->impact, sizeof(inc->impact), ermes__db_col_text(s, c++));
    put(inc->pap, sizeof(inc->pap), ermes__db_col_text(s, c++));
    put(inc->status, sizeof(inc->status), ermes__db_col_text(s, c++));
    inc->assignee_id = ermes__db_col_int(s, c++);
    put(inc->assignee, sizeof(inc->assignee), ermes__db_col_text(s, c++));
    put(inc->team, sizeof(inc->team), ermes__db_col_text(s, c++));
    inc->org_id = ermes__db_col_int(s, c++);
    put(inc->org, sizeof(inc->org), ermes__db_col_text(s, c++));
    inc->parent_id = ermes__db_col_int(s, c++);
    inc->merged_into = ermes__db_col_int(s, c++);
    put(inc->template_name, sizeof(inc->template_name), ermes__db_col_text(s, c++));
    put(inc->fields, sizeof(inc->fields), ermes__db_col_text(s, c++));
    inc->nis2 = ermes__db_col_int(s, c++) != 0;
    inc->aware_at = ermes__db_col_int(s, c++);
    inc->early_warning_at = ermes__db_col_int(s, c++);
    inc->notification_at = ermes__db_col_int(s, c++);
    inc->final_report_at = ermes__db_col_int(s, c++);
    inc->feedback_at = ermes__db_col_int(s, c++);
    inc->acknowledged_at = ermes__db_col_int(s, c++);
    inc->triaged_at = ermes__db_col_int(s, c++);
    inc->notified_at = ermes__db_col_int(s, c++);
    inc->contained_at = ermes__db_col_int(s, c++);
    inc->resolved_at = ermes__db_col_int(s, c++);
    inc->closed_at = ermes__db_col_int(s, c++);
    inc->next_due_at = ermes__db_col_int(s, c++);
    put(inc->pauses, sizeof(inc->pauses), ermes__db_col_text(s, c++));
    put(inc->warned, sizeof(inc->warned), ermes__db_col_text(s, c++));
    t = ermes__db_col_text(s, c++);
    inc->tlp = t && !ermes_tlp_parse(t, strlen(t), &tlp) ? tlp : ERMES_TLP_RED;
    inc->owner_org_id = ermes__db_col_int(s, c++);
    inc->created_at = ermes__db_col_int(s, c++);
    inc->updated_at = ermes__db_col_int(s, c++);
}

/* ?1..?32 of insert and update, in the order of their column lists; ?33 the time. */
static void bind_incident(ermes__db_stmt_t *s, const ermes__incident_t *inc, int64_t now)
{
    ermes__db_bind_text(s, 1, inc->title);
    ermes__db_bind_text(s, 2, inc->description);
    bind_opt_text(s, 3, inc->rsit_class);
    bind_opt_text(s, 4, inc->rsit_type);
    ermes__db_bind_text(s, 5, inc->severity[0] ? inc->severity : "medium");
    bind_opt_text(s, 6, inc->impact);
    ermes__db_bind_text(s, 7, inc->pap[0] ? inc->pap : "AMBER");
    ermes__db_bind_text(s, 8, inc->status[0] ? inc->status : "new");
    bind_opt(s, 9, inc->assignee_id);
    bind_opt_text(s, 10, inc->team);
    bind_opt(s, 11, inc->org_id);
    bind_opt(s, 12, inc->parent_id);
    bind_opt(s, 13, inc->merged_into);
    bind_opt_text(s, 14, inc->template_name);
    bind_opt_text(s, 15, inc->fields);
    ermes__db_bind_int(s, 16, inc->nis2 ? 1 : 0);
    bind_opt(s, 17, inc->aware_at);
    bind_opt(s, 18, inc->early_warning_at);
    bind_opt(s, 19, inc->notification_at);
    bind_opt(s, 20, inc->final_report_at);
    bind_opt(s, 21, inc->feedback_at);
    bind_opt(s, 22, inc->acknowledged_at);
    bind_opt(s, 23, inc->triaged_at);
    bind_opt(s, 24, inc->notified_at);
    bind_opt(s, 25, inc->contained_at);
    bind_opt(s, 26, inc->resolved_at);
    bind_opt(s, 27, inc->closed_at);
    bind_opt(s, 28, inc->next_due_at);
    ermes__db_bind_text(s, 29, inc->pauses);
    ermes__db_bind_text(s, 30, inc->warned);
    ermes__db_bind_text(s, 31, ermes_tlp_name(inc->tlp));
    bind_opt(s, 32, inc->owner_org_id);
    ermes__db_bind_int(s, 33, now);
}

int ermes__store_incident_insert(ermes__store_t *st, ermes__incident_t *inc)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = inc->created_at ? inc->created_at : ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO incidents (title, description, rsit_class, rsit_type, severity, impact,"
             " pap, status, assignee_id, team, org_id, parent_id, merged_into, template, fields,"
             " nis2, aware_at, early_warning_at, notification_at, final_report_at, feedback_at,"
             " acknowledged_at, triaged_at, notified_at, contained_at, resolved_at, closed_at,"
             " next_due_at, pauses, warned, tlp, owner_org_id, created_at, updated_at) VALUES"
             " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
             " ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?33)"
             " RETURNING id",
             &s)))
        return rc;
    bind_incident(s, inc, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        inc->id = ermes__db_col_int(s, 0);
        inc->created_at = inc->updated_at = now;
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ESTORE;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_incident_update(ermes__store_t *st, ermes__incident_t *inc)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "UPDATE incidents SET title = ?1, description = ?2, rsit_class = ?3, rsit_type = ?4,"
             " severity = ?5, impact = ?6, pap = ?7, status = ?8, assignee_id = ?9, team = ?10,"
             " org_id = ?11, parent_id = ?12, merged_into = ?13, template = ?14, fields = ?15,"
             " nis2 = ?16, aware_at = ?17, early_warning_at = ?18, notification_at = ?19,"
             " final_report_at = ?20, feedback_at = ?21, acknowledged_at = ?22, triaged_at = ?23,"
             " notified_at = ?24, contained_at = ?25, resolved_at = ?26, closed_at = ?27,"
             " next_due_at = ?28, pauses = ?29, warned = ?30, tlp = ?31, owner_org_id = ?32,"
             " updated_at = ?33, warn_check_at = NULL WHERE id = ?34",
             &s)))
        return rc;
    bind_incident(s, inc, now);
    ermes__db_bind_int(s, 34, inc->id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if (ermes__db_changes(db) == 0)
        return ERMES_ENOTFOUND;
    inc->updated_at = now;
    return 0;
}

int ermes__store_incident_get(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                              ermes__incident_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, INCIDENT_COLUMNS " WHERE i.id = ?3 AND " INCIDENT_VISIBLE, &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, id);
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

int ermes__store_incident_each(ermes__store_t *st, const ermes__viewer_t *v,
                               const ermes__incident_filter_t *f, ermes__store_incident_cb cb,
                               void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__incident_t *inc;
    long n = 0;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if (!(inc = malloc(sizeof(*inc))))
        return ERMES_ENOMEM;
    /* With a constituent, the walk starts from its rows of incident_orgs (newest first by
     * their index), not from every incident: one constituent among many is a rare filter. */
    if (f->org_id)
        rc = ermes__db_prepare(
            db,
            INCIDENT_SELECT
            " FROM incident_orgs fo JOIN incidents i ON i.id = fo.incident_id " INCIDENT_JOINS
            " WHERE fo.org_id = ?9"
            " AND (?3 = 0 OR fo.incident_id < ?3) AND " LIST_FILTERS
            " ORDER BY fo.incident_id DESC LIMIT ?15",
            &s);
    /* A window of due times (the queue's due soon: a few hours) is found by the index on
     * next_due_at and sorted, not looked for in a walk of every incident newest first, which
     * takes seconds when the window is empty (bench_incidents at 1,000,000 incidents). "+i.id"
     * keeps the planner from walking the ids for their order. Only the ids are sorted, and the
     * page's incidents read with their names afterwards: a window can hold thousands of
     * incidents (bench_incidents: 9,000 due at the same instant, every one's row read, joined
     * and sorted took 46 ms for a page of 50). */
    else if (f->due_from && f->due_to)
        rc = ermes__db_prepare(db,
                               INCIDENT_SELECT
                               " FROM (SELECT i.id FROM incidents i"
                               " WHERE i.next_due_at >= ?11 AND i.next_due_at <= ?12"
                               " AND (?3 = 0 OR i.id < ?3) AND (?9 = 0 OR EXISTS (SELECT 1 FROM"
                               " incident_orgs fo WHERE fo.incident_id = i.id AND fo.org_id = ?9))"
                               " AND " LIST_FILTERS " ORDER BY +i.id DESC LIMIT ?15) w"
                               " JOIN incidents i ON i.id = w.id " INCIDENT_JOINS
                               " ORDER BY i.id DESC",
                               &s);
    /* Otherwise the walk newest first goes by an index of one filter set, named as a term of
     * its own: "(?4 IS NULL OR i.status = ?4)" alone lets no planner use an index (SQLite
     * prepares it once for every value), so a filter that few incidents match (a campaign's
     * children, the queue of an analyst with little assigned, a rare status) read every
     * incident for a page (bench_incidents: "children", "mine (none assigned)"). Each index
     * holds the ids in order (SQLite's rowid after the column; incidents_open is the ids of
     * the open ones), so the page needs no sort. The other filters stay conditions. */
    else if (f->parent_id)
        rc = ermes__db_prepare(db, LIST_BY("i.parent_id = ?10"), &s);
    else if (f->assignee_id)
        rc = ermes__db_prepare(db, LIST_BY("i.assignee_id = ?7"), &s);
    else if (f->status)
        rc = ermes__db_prepare(db, LIST_BY("i.status = ?4"), &s);
    else if (f->unassigned)
        rc = ermes__db_prepare(db, LIST_BY("i.assignee_id IS NULL"), &s);
    else if (f->open)
        rc = ermes__db_prepare(db, LIST_BY("i.status NOT IN ('resolved', 'closed')"), &s);
    else
        rc = ermes__db_prepare(db, LIST_BY("1 = 1"), &s);
    if (rc) {
        free(inc);
        return rc;
    }
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, f->before_id);
    ermes__db_bind_text(s, 4, f->status);
    ermes__db_bind_text(s, 5, f->severity);
    ermes__db_bind_int(s, 6, f->open ? 1 : 0);
    ermes__db_bind_int(s, 7, f->assignee_id);
    ermes__db_bind_int(s, 8, f->unassigned ? 1 : 0);
    ermes__db_bind_int(s, 9, f->org_id);
    ermes__db_bind_int(s, 10, f->parent_id);
    ermes__db_bind_int(s, 11, f->due_from);
    ermes__db_bind_int(s, 12, f->due_to);
    ermes__db_bind_int(s, 13, f->created_from);
    ermes__db_bind_int(s, 14, f->created_to);
    ermes__db_bind_int(s, 15, ermes__page_limit(f->limit));
    ermes__db_bind_int(s, 16, f->not_merged ? 1 : 0);
    while ((rc = ermes__page_step(s, f->limit, &n, more)) == 1) {
        read_row(s, inc);
        if ((rc = cb(ctx, inc)))
            break;
    }
    ermes__db_done(s);
    free(inc);
    return rc == 1 ? 0 : rc;
}

int ermes__store_incident_measures_set(ermes__store_t *st, int64_t id,
                                       const ermes__incident_measures_t *m, int pending_only)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE incidents SET ack_ms = ?1, triage_ms = ?2, notify_ms = ?3,"
                                " contain_ms = ?4, resolve_ms = ?5, sla_response = ?6,"
                                " sla_containment = ?7, sla_resolution = ?8, measured = 1,"
                                " ack_bms = ?11, triage_bms = ?12, notify_bms = ?13,"
                                " contain_bms = ?14, resolve_bms = ?15"
                                " WHERE id = ?9 AND (?10 = 0 OR measured = 0)",
                                &s)))
        return rc;
    for (int i = 0; i < ERMES_INCIDENT_METRICS; i++) {
        if (m->has[i]) {
            ermes__db_bind_int(s, i + 1, m->ms[i]);
            ermes__db_bind_int(s, i + 11, m->bms[i]);
        } else {
            ermes__db_bind_null(s, i + 1);
            ermes__db_bind_null(s, i + 11);
        }
    }
    for (int i = 0; i < ERMES_INCIDENT_SLA_TARGETS; i++) {
        if (m->sla_applies[i])
            ermes__db_bind_int(s, ERMES_INCIDENT_METRICS + i + 1, m->sla[i]);
        else
            ermes__db_bind_null(s, ERMES_INCIDENT_METRICS + i + 1);
    }
    ermes__db_bind_int(s, 9, id);
    ermes__db_bind_int(s, 10, pending_only ? 1 : 0);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_incident_unmeasured(ermes__store_t *st, int64_t *ids, size_t cap, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    /* The partial index incidents_unmeasured holds exactly these rows. */
    if ((rc = ermes__db_prepare(
             db, "SELECT id FROM incidents WHERE measured = 0 ORDER BY id LIMIT ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, (int64_t)cap);
    while (*n < cap && (rc = ermes__db_step(s)) == 1)
        ids[(*n)++] = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_incident_measures_each(ermes__store_t *st, const ermes__viewer_t *v, int64_t from,
                                        int64_t to, int business, ermes__store_measure_cb cb,
                                        void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__incident_measure_row_t r;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Every column here is in the index incidents_metrics (led by created_at), so the scan
     * reads the index alone: no join (the constituents' names are the caller's, once per
     * group), no row of the table. */
    /* In business hours the same from incidents_metrics_business (migration 63). A
     * constituent's people see the figures of their own organisation's incidents only: not
     * those of another constituent whose incident merely affects theirs too (its name and
     * reaction times are that constituent's). */
    if ((rc = ermes__db_prepare(
             db,
             business ? "SELECT i.created_at, i.org_id, i.rsit_class, i.ack_bms, i.triage_bms,"
                        " i.notify_bms, i.contain_bms, i.resolve_bms, i.sla_response,"
                        " i.sla_containment, i.sla_resolution"
                        " FROM incidents i WHERE i.created_at >= ?3 AND i.created_at < ?4"
                        " AND i.merged_into IS NULL AND " INCIDENT_VISIBLE " AND " OWN_ORG_ONLY
                        " ORDER BY i.created_at"
                      : "SELECT i.created_at, i.org_id, i.rsit_class, i.ack_ms, i.triage_ms,"
                        " i.notify_ms, i.contain_ms, i.resolve_ms, i.sla_response,"
                        " i.sla_containment, i.sla_resolution"
                        " FROM incidents i WHERE i.created_at >= ?3 AND i.created_at < ?4"
                        " AND i.merged_into IS NULL AND " INCIDENT_VISIBLE " AND " OWN_ORG_ONLY
                        " ORDER BY i.created_at",
             &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, from);
    ermes__db_bind_int(s, 4, to ? to : INT64_MAX);
    while ((rc = ermes__db_step(s)) == 1) {
        const char *cls = ermes__db_col_text(s, 2);
        r.created_at = ermes__db_col_int(s, 0);
        r.org_id = ermes__db_col_int(s, 1);
        r.rsit_class = cls ? cls : "";
        for (int i = 0; i < ERMES_INCIDENT_METRICS; i++) {
            r.m.has[i] = !ermes__db_col_null(s, 3 + i);
            r.m.ms[i] = r.m.has[i] ? ermes__db_col_int(s, 3 + i) : 0;
        }
        for (int i = 0; i < ERMES_INCIDENT_SLA_TARGETS; i++) {
            int c = 3 + ERMES_INCIDENT_METRICS + i;
            r.m.sla_applies[i] = !ermes__db_col_null(s, c);
            r.m.sla[i] = r.m.sla_applies[i] ? ermes__db_col_int(s, c) : 0;
        }
        if ((rc = cb(ctx, &r)))
            break;
    }
    ermes__db_done(s);
    return rc == 1 || rc == 0 ? 0 : rc;
}

int ermes__store_incident_due(ermes__store_t *st, int64_t now, int64_t before, int64_t *ids,
                              size_t cap, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id FROM incidents WHERE next_due_at IS NOT NULL"
                                " AND next_due_at <= ?1 AND status NOT IN ('resolved', 'closed')"
                                " AND (warn_check_at IS NULL OR warn_check_at <= ?3)"
                                " ORDER BY next_due_at, id LIMIT ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, before);
    ermes__db_bind_int(s, 2, (int64_t)cap);
    ermes__db_bind_int(s, 3, now);
    while ((rc = ermes__db_step(s)) == 1 && *n < cap)
        ids[(*n)++] = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_incident_warn_check(ermes__store_t *st, int64_t id, int64_t at)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "UPDATE incidents SET warn_check_at = ?1 WHERE id = ?2", &s)))
        return rc;
    ermes__db_bind_int(s, 1, at);
    ermes__db_bind_int(s, 2, id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_incident_counts(ermes__store_t *st, const ermes__viewer_t *v, int64_t now,
                                 int64_t soon, int64_t *open, int64_t *late, int64_t *due_soon)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *open = *late = *due_soon = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "SELECT count(*), coalesce(sum(CASE WHEN i.next_due_at < ?3 THEN 1 ELSE 0 END), 0),"
             " coalesce(sum(CASE WHEN i.next_due_at >= ?3 AND i.next_due_at <= ?4 THEN 1 ELSE 0"
             " END), 0) FROM incidents i WHERE i.status NOT IN ('resolved', 'closed')"
             " AND " INCIDENT_VISIBLE,
             &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, now);
    ermes__db_bind_int(s, 4, soon);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *open = ermes__db_col_int(s, 0);
        *late = ermes__db_col_int(s, 1);
        *due_soon = ermes__db_col_int(s, 2);
        rc = 0;
    }
    ermes__db_done(s);
    return rc;
}

/* ---- affected constituents --------------------------------------------------------------- */

int ermes__store_incident_org_add(ermes__store_t *st, int64_t incident_id, int64_t org_id,
                                  int *added)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (added)
        *added = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO incident_orgs (incident_id, org_id) VALUES (?1, ?2)"
                                " ON CONFLICT (incident_id, org_id) DO NOTHING RETURNING org_id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, incident_id);
    ermes__db_bind_int(s, 2, org_id);
    rc = ermes__db_step(s);
    if (rc == 1 && added)
        *added = 1;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_incident_org_each(ermes__store_t *st, int64_t incident_id,
                                   ermes__store_incident_org_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT o.id, o.short_name, o.name FROM incident_orgs io"
                                " JOIN organisations o ON o.id = io.org_id"
                                " WHERE io.incident_id = ?1 ORDER BY o.short_name",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, incident_id);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_int(s, 0), ermes__db_col_text(s, 1),
                     ermes__db_col_text(s, 2))))
            break;
    ermes__db_done(s);
    return rc == 1 ? 0 : rc;
}

/* ERMES__INCIDENT_BATCH placeholders: one statement text (the statement caches key on the
 * literal) whatever the page's size, the slots past n bound to the first id again. */
#define P5 "?,?,?,?,?"
#define P50 P5 "," P5 "," P5 "," P5 "," P5 "," P5 "," P5 "," P5 "," P5 "," P5
_Static_assert(ERMES__INCIDENT_BATCH == 50, "P50 holds ERMES__INCIDENT_BATCH placeholders");

static void bind_batch(ermes__db_stmt_t *s, const int64_t *ids, size_t n)
{
    for (size_t i = 0; i < ERMES__INCIDENT_BATCH; i++)
        ermes__db_bind_int(s, (int)i + 1, ids[i < n ? i : 0]);
}

int ermes__store_incident_orgs_of(ermes__store_t *st, const int64_t *ids, size_t n,
                                  ermes__store_incident_orgs_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (n == 0)
        return 0;
    if (n > ERMES__INCIDENT_BATCH)
        return ERMES_EINVAL;
    if ((rc = ermes__db_prepare(db,
                                "SELECT io.incident_id, o.id, o.short_name, o.name FROM"
                                " incident_orgs io JOIN organisations o ON o.id = io.org_id"
                                " WHERE io.incident_id IN (" P50 ")"
                                " ORDER BY io.incident_id, o.short_name",
                                &s)))
        return rc;
    bind_batch(s, ids, n);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_int(s, 0), ermes__db_col_int(s, 1),
                     ermes__db_col_text(s, 2), ermes__db_col_text(s, 3))))
            break;
    ermes__db_done(s);
    return rc == 1 ? 0 : rc;
}

/* ---- links --------------------------------------------------------------------------------- */

int ermes__store_incident_link_add(ermes__store_t *st, int64_t incident_id, const char *kind,
                                   int64_t object_id, int *added)
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
             "INSERT INTO incident_links (incident_id, kind, object_id, tlp, owner_org_id,"
             " created_at, updated_at) SELECT ?1, ?2, ?3, tlp, owner_org_id, ?4, ?4 FROM incidents"
             " WHERE id = ?1 ON CONFLICT (incident_id, kind, object_id) DO NOTHING RETURNING id",
             &s)))
        return rc;
    ermes__db_bind_int(s, 1, incident_id);
    ermes__db_bind_text(s, 2, kind);
    ermes__db_bind_int(s, 3, object_id);
    ermes__db_bind_int(s, 4, now);
    rc = ermes__db_step(s);
    if (rc == 1 && added)
        *added = 1;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_incident_link_target(ermes__store_t *st, const char *kind, int64_t object_id,
                                      int64_t *org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *org_id = 0;
    if (!db)
        return ERMES_ESTORE;
    if (strcmp(kind, "event") == 0)
        rc = ermes__db_prepare(db, "SELECT org_id FROM events WHERE id = ?1", &s);
    else if (strcmp(kind, "sighting") == 0)
        rc = ermes__db_prepare(db, "SELECT org_id FROM sightings WHERE id = ?1", &s);
    else if (strcmp(kind, "indicator") == 0)
        rc = ermes__db_prepare(db, "SELECT NULL FROM indicators WHERE id = ?1", &s);
    else if (strcmp(kind, "notification") == 0)
        rc = ermes__db_prepare(db, "SELECT org_id FROM notifications WHERE id = ?1", &s);
    else if (strcmp(kind, "incident") == 0)
        rc = ermes__db_prepare(db, "SELECT org_id FROM incidents WHERE id = ?1", &s);
    else if (strcmp(kind, "report") == 0) /* an incident report of the mail intake */
        rc = ermes__db_prepare(db, "SELECT org_id FROM incident_reports WHERE id = ?1", &s);
    else
        return ERMES_EINVAL;
    if (rc)
        return rc;
    ermes__db_bind_int(s, 1, object_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *org_id = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

static int links_query(ermes__store_t *st, const char *sql_kind, int64_t a, const char *kind,
                       ermes__store_incident_link_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (sql_kind)
        rc = ermes__db_prepare(db,
                               "SELECT id, kind, object_id, created_at, incident_id FROM"
                               " incident_links WHERE kind = ?2 AND object_id = ?1 ORDER BY id",
                               &s);
    else
        rc = ermes__db_prepare(db,
                               "SELECT id, kind, object_id, created_at, incident_id FROM"
                               " incident_links WHERE incident_id = ?1 ORDER BY id",
                               &s);
    if (rc)
        return rc;
    ermes__db_bind_int(s, 1, a);
    if (sql_kind)
        ermes__db_bind_text(s, 2, kind);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, sql_kind ? ermes__db_col_int(s, 4) : ermes__db_col_int(s, 0),
                     ermes__db_col_text(s, 1), ermes__db_col_int(s, 2), ermes__db_col_int(s, 3))))
            break;
    ermes__db_done(s);
    return rc == 1 ? 0 : rc;
}

int ermes__store_incident_link_each(ermes__store_t *st, int64_t incident_id,
                                    ermes__store_incident_link_cb cb, void *ctx)
{
    return links_query(st, NULL, incident_id, NULL, cb, ctx);
}

int ermes__store_incident_links_of(ermes__store_t *st, const char *kind, int64_t object_id,
                                   ermes__store_incident_link_cb cb, void *ctx)
{
    return links_query(st, "kind", object_id, kind, cb, ctx);
}

/* Runs sql with its first n of the parameters a, b, c. */
static int exec_n(ermes__db_t *db, const char *sql, int n, int64_t a, int64_t b, int64_t c)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db, sql, &s)))
        return rc;
    ermes__db_bind_int(s, 1, a);
    if (n > 1)
        ermes__db_bind_int(s, 2, b);
    if (n > 2)
        ermes__db_bind_int(s, 3, c);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_incident_move(ermes__store_t *st, int64_t from, int64_t to)
{
    ermes__db_t *db = ermes__db_conn(st);
    int64_t now = ermes__time_now_ms();
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    /* The WHERE before ON CONFLICT keeps SQLite from reading it as a join's ON. */
    if ((rc = exec_n(db,
                     "INSERT INTO incident_links (incident_id, kind, object_id, tlp, owner_org_id,"
                     " created_at, updated_at) SELECT ?2, kind, object_id, tlp, owner_org_id,"
                     " created_at, ?3 FROM incident_links WHERE incident_id = ?1"
                     " ON CONFLICT (incident_id, kind, object_id) DO NOTHING",
                     3, from, to, now)) ||
        (rc = exec_n(db, "DELETE FROM incident_links WHERE incident_id = ?1", 1, from, 0, 0)) ||
        (rc = exec_n(db,
                     "INSERT INTO incident_observables (incident_id, type, value, ioc, sighted,"
                     " tlp, owner_org_id, created_at, updated_at) SELECT ?2, type, value, ioc,"
                     " sighted, tlp, owner_org_id, created_at, ?3 FROM incident_observables"
                     " WHERE incident_id = ?1 ON CONFLICT (incident_id, type, value) DO NOTHING",
                     3, from, to, now)) ||
        (rc = exec_n(db, "DELETE FROM incident_observables WHERE incident_id = ?1", 1, from, 0,
                     0)) ||
        (rc = exec_n(db,
                     "INSERT INTO incident_orgs (incident_id, org_id) SELECT ?2, org_id FROM"
                     " incident_orgs WHERE incident_id = ?1"
                     " ON CONFLICT (incident_id, org_id) DO NOTHING",
                     2, from, to, 0)))
        goto out;
    /* The merged incident keeps its constituents: they may still read what it was. */
out:
    return ermes__tx_end(db, owned, rc);
}

/* ---- timeline ------------------------------------------------------------------------------ */

int ermes__store_incident_timeline_add(ermes__store_t *st, ermes__timeline_entry_t *e)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (!e->at)
        e->at = now;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO incident_timeline (incident_id, at, user_id, actor, kind, public,"
             " detail, tlp, owner_org_id, created_at, updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6,"
             " ?7, tlp, owner_org_id, ?8, ?8 FROM incidents WHERE id = ?1 RETURNING id",
             &s)))
        return rc;
    ermes__db_bind_int(s, 1, e->incident_id);
    ermes__db_bind_int(s, 2, e->at);
    bind_opt(s, 3, e->user_id);
    ermes__db_bind_text(s, 4, e->actor ? e->actor : "local administrator");
    ermes__db_bind_text(s, 5, e->kind);
    ermes__db_bind_int(s, 6, e->public_ ? 1 : 0);
    ermes__db_bind_text(s, 7, e->detail);
    ermes__db_bind_int(s, 8, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        e->id = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_incident_timeline_each(ermes__store_t *st, int64_t incident_id, int public_only,
                                        int64_t after_id, long limit, ermes__store_timeline_cb cb,
                                        void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__timeline_entry_t e;
    long n = 0;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, incident_id, at, user_id, actor, kind, public, detail"
                                " FROM incident_timeline WHERE incident_id = ?1 AND id > ?2"
                                " AND (?3 = 0 OR public = 1) ORDER BY id LIMIT ?4",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, incident_id);
    ermes__db_bind_int(s, 2, after_id);
    ermes__db_bind_int(s, 3, public_only ? 1 : 0);
    ermes__db_bind_int(s, 4, ermes__page_limit(limit));
    while ((rc = ermes__page_step(s, limit, &n, more)) == 1) {
        memset(&e, 0, sizeof(e));
        e.id = ermes__db_col_int(s, 0);
        e.incident_id = ermes__db_col_int(s, 1);
        e.at = ermes__db_col_int(s, 2);
        e.user_id = ermes__db_col_int(s, 3);
        e.actor = ermes__db_col_text(s, 4);
        e.kind = ermes__db_col_text(s, 5);
        e.public_ = (int)ermes__db_col_int(s, 6);
        e.detail = ermes__db_col_text(s, 7);
        if ((rc = cb(ctx, &e)))
            break;
    }
    ermes__db_done(s);
    return rc == 1 ? 0 : rc;
}

/* ---- tasks --------------------------------------------------------------------------------- */

int ermes__store_incident_task_add(ermes__store_t *st, ermes__incident_task_t *t)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO incident_tasks (incident_id, title, owner_id, due_at, mandatory,"
             " done_at, tlp, owner_org_id, created_at, updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6,"
             " tlp, owner_org_id, ?7, ?7 FROM incidents WHERE id = ?1 RETURNING id",
             &s)))
        return rc;
    ermes__db_bind_int(s, 1, t->incident_id);
    ermes__db_bind_text(s, 2, t->title);
    bind_opt(s, 3, t->owner_id);
    bind_opt(s, 4, t->due_at);
    ermes__db_bind_int(s, 5, t->mandatory ? 1 : 0);
    bind_opt(s, 6, t->done_at);
    ermes__db_bind_int(s, 7, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        t->id = ermes__db_col_int(s, 0);
        t->created_at = t->updated_at = now;
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_incident_task_update(ermes__store_t *st, const ermes__incident_task_t *t)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE incident_tasks SET title = ?2, owner_id = ?3, due_at = ?4,"
                                " mandatory = ?5, done_at = ?6, updated_at = ?7 WHERE id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, t->id);
    ermes__db_bind_text(s, 2, t->title);
    bind_opt(s, 3, t->owner_id);
    bind_opt(s, 4, t->due_at);
    ermes__db_bind_int(s, 5, t->mandatory ? 1 : 0);
    bind_opt(s, 6, t->done_at);
    ermes__db_bind_int(s, 7, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    return ermes__db_changes(db) ? 0 : ERMES_ENOTFOUND;
}

static int tasks_query(ermes__store_t *st, int by_task, int64_t id, ermes__store_task_cb cb,
                       void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__incident_task_t t;
    int rc, found = 0;

    if (!db)
        return ERMES_ESTORE;
    if (by_task)
        rc = ermes__db_prepare(db,
                               "SELECT t.id, t.incident_id, t.title, t.owner_id, u.name, t.due_at,"
                               " t.done_at, t.mandatory, t.created_at, t.updated_at FROM"
                               " incident_tasks t LEFT JOIN users u ON u.id = t.owner_id"
                               " WHERE t.id = ?1",
                               &s);
    else
        rc = ermes__db_prepare(db,
                               "SELECT t.id, t.incident_id, t.title, t.owner_id, u.name, t.due_at,"
                               " t.done_at, t.mandatory, t.created_at, t.updated_at FROM"
                               " incident_tasks t LEFT JOIN users u ON u.id = t.owner_id"
                               " WHERE t.incident_id = ?1 ORDER BY t.id",
                               &s);
    if (rc)
        return rc;
    ermes__db_bind_int(s, 1, id);
    while ((rc = ermes__db_step(s)) == 1) {
        memset(&t, 0, sizeof(t));
        t.id = ermes__db_col_int(s, 0);
        t.incident_id = ermes__db_col_int(s, 1);
        t.title = ermes__db_col_text(s, 2);
        t.owner_id = ermes__db_col_int(s, 3);
        t.owner = ermes__db_col_text(s, 4);
        t.due_at = ermes__db_col_int(s, 5);
        t.done_at = ermes__db_col_int(s, 6);
        t.mandatory = ermes__db_col_int(s, 7) != 0;
        t.created_at = ermes__db_col_int(s, 8);
        t.updated_at = ermes__db_col_int(s, 9);
        found = 1;
        if ((rc = cb(ctx, &t)))
            break;
    }
    ermes__db_done(s);
    if (rc == 0 && by_task && !found)
        return ERMES_ENOTFOUND;
    return rc == 1 ? 0 : rc;
}

int ermes__store_incident_task_get(ermes__store_t *st, int64_t id, ermes__store_task_cb cb,
                                   void *ctx)
{
    return tasks_query(st, 1, id, cb, ctx);
}

int ermes__store_incident_task_each(ermes__store_t *st, int64_t incident_id,
                                    ermes__store_task_cb cb, void *ctx)
{
    return tasks_query(st, 0, incident_id, cb, ctx);
}

/* ---- observables --------------------------------------------------------------------------- */

int ermes__store_incident_observable_put(ermes__store_t *st, ermes__incident_observable_t *o)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO incident_observables (incident_id, type, value, ioc, sighted, tlp,"
             " owner_org_id, created_at, updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, owner_org_id,"
             " ?7, ?7 FROM incidents WHERE id = ?1 ON CONFLICT (incident_id, type, value) DO"
             " UPDATE SET ioc = excluded.ioc, sighted = excluded.sighted, tlp = excluded.tlp,"
             " updated_at = excluded.updated_at RETURNING id, created_at",
             &s)))
        return rc;
    ermes__db_bind_int(s, 1, o->incident_id);
    ermes__db_bind_text(s, 2, o->type);
    ermes__db_bind_text(s, 3, o->value);
    ermes__db_bind_int(s, 4, o->ioc ? 1 : 0);
    ermes__db_bind_int(s, 5, o->sighted ? 1 : 0);
    ermes__db_bind_text(s, 6, ermes_tlp_name(o->tlp));
    ermes__db_bind_int(s, 7, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        o->id = ermes__db_col_int(s, 0);
        o->created_at = ermes__db_col_int(s, 1);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_incident_observable_each(ermes__store_t *st, int64_t incident_id,
                                          ermes__store_observable_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__incident_observable_t o;
    ermes_tlp_t tlp;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, incident_id, type, value, ioc, sighted, tlp, created_at"
                                " FROM incident_observables WHERE incident_id = ?1 ORDER BY id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, incident_id);
    while ((rc = ermes__db_step(s)) == 1) {
        const char *t = ermes__db_col_text(s, 6);
        memset(&o, 0, sizeof(o));
        o.id = ermes__db_col_int(s, 0);
        o.incident_id = ermes__db_col_int(s, 1);
        o.type = ermes__db_col_text(s, 2);
        o.value = ermes__db_col_text(s, 3);
        o.ioc = ermes__db_col_int(s, 4) != 0;
        o.sighted = ermes__db_col_int(s, 5) != 0;
        o.tlp = t && !ermes_tlp_parse(t, strlen(t), &tlp) ? tlp : ERMES_TLP_RED;
        o.created_at = ermes__db_col_int(s, 7);
        if ((rc = cb(ctx, &o)))
            break;
    }
    ermes__db_done(s);
    return rc == 1 ? 0 : rc;
}

/* ---- SLA policies and calendars -------------------------------------------------------------- */

int ermes__store_sla_policy_get(ermes__store_t *st, const char *severity, int64_t org_id,
                                ermes__sla_policy_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "SELECT response_minutes, containment_minutes, resolution_minutes, business_hours"
             " FROM sla_policies WHERE severity = ?1 AND (org_id = ?2 OR org_id IS NULL)"
             " ORDER BY coalesce(org_id, 0) DESC LIMIT 1",
             &s)))
        return rc;
    ermes__db_bind_text(s, 1, severity);
    ermes__db_bind_int(s, 2, org_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        out->response_min = ermes__db_col_int(s, 0);
        out->containment_min = ermes__db_col_int(s, 1);
        out->resolution_min = ermes__db_col_int(s, 2);
        out->business_hours = ermes__db_col_int(s, 3) != 0;
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

/* Marks the incidents whose kept SLA states a policy (severity not NULL) or calendar of org_id
 * (0: the default, so every constituent's) may change, for ermes__incident_measure_pending. */
static int unmeasure(ermes__db_t *db, const char *severity, int64_t org_id)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db,
                                "UPDATE incidents SET measured = 0 WHERE measured = 1"
                                " AND (?1 IS NULL OR severity = ?1) AND (?2 = 0 OR org_id = ?2)",
                                &s)))
        return rc;
    if (severity)
        ermes__db_bind_text(s, 1, severity);
    else
        ermes__db_bind_null(s, 1);
    ermes__db_bind_int(s, 2, org_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_sla_policy_put(ermes__store_t *st, const char *severity, int64_t org_id,
                                const ermes__sla_policy_t *p)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE sla_policies SET response_minutes = ?3,"
                                " containment_minutes = ?4, resolution_minutes = ?5,"
                                " business_hours = ?6, updated_at = ?7 WHERE severity = ?1"
                                " AND coalesce(org_id, 0) = ?2",
                                &s)))
        goto out;
    ermes__db_bind_text(s, 1, severity);
    ermes__db_bind_int(s, 2, org_id);
    ermes__db_bind_int(s, 3, p->response_min);
    ermes__db_bind_int(s, 4, p->containment_min);
    ermes__db_bind_int(s, 5, p->resolution_min);
    ermes__db_bind_int(s, 6, p->business_hours ? 1 : 0);
    ermes__db_bind_int(s, 7, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0 || ermes__db_changes(db) > 0) {
        rc = rc < 0 ? rc : 0;
        goto out;
    }
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO sla_policies (severity, org_id, response_minutes,"
                                " containment_minutes, resolution_minutes, business_hours,"
                                " owner_org_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4,"
                                " ?5, ?6, NULL, ?7, ?7)",
                                &s)))
        goto out;
    ermes__db_bind_text(s, 1, severity);
    bind_opt(s, 2, org_id);
    ermes__db_bind_int(s, 3, p->response_min);
    ermes__db_bind_int(s, 4, p->containment_min);
    ermes__db_bind_int(s, 5, p->resolution_min);
    ermes__db_bind_int(s, 6, p->business_hours ? 1 : 0);
    ermes__db_bind_int(s, 7, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    rc = rc < 0 ? rc : 0;
out:
    /* The SLA states kept for the metrics were judged by the policy that applied: those it may
     * change are measured again (a default's change: every incident of the severity). */
    if (!rc)
        rc = unmeasure(db, severity, org_id);
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_calendar_get(ermes__store_t *st, int64_t org_id, ermes__calendar_row_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT days, start_minute, end_minute, utc_offset_minutes,"
                                " holidays FROM calendars WHERE org_id = ?1 OR org_id = 0"
                                " ORDER BY org_id DESC LIMIT 1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, org_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        out->days = ermes__db_col_int(s, 0);
        out->start_minute = ermes__db_col_int(s, 1);
        out->end_minute = ermes__db_col_int(s, 2);
        out->utc_offset_minutes = ermes__db_col_int(s, 3);
        put(out->holidays, sizeof(out->holidays), ermes__db_col_text(s, 4));
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_sla_policies_of(ermes__store_t *st, const int64_t *org_ids, size_t n,
                                 int (*cb)(void *ctx, const char *severity, int64_t org_id,
                                           const ermes__sla_policy_t *p),
                                 void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__sla_policy_t p;
    ermes__db_stmt_t *s;
    int64_t none = 0;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (n > ERMES__INCIDENT_BATCH)
        return ERMES_EINVAL;
    if ((rc = ermes__db_prepare(db,
                                "SELECT severity, coalesce(org_id, 0), response_minutes,"
                                " containment_minutes, resolution_minutes, business_hours FROM"
                                " sla_policies WHERE org_id IS NULL OR org_id IN (" P50 ")",
                                &s)))
        return rc;
    bind_batch(s, n ? org_ids : &none, n ? n : 1);
    while ((rc = ermes__db_step(s)) == 1) {
        p.response_min = ermes__db_col_int(s, 2);
        p.containment_min = ermes__db_col_int(s, 3);
        p.resolution_min = ermes__db_col_int(s, 4);
        p.business_hours = ermes__db_col_int(s, 5) != 0;
        if ((rc = cb(ctx, ermes__db_col_text(s, 0), ermes__db_col_int(s, 1), &p)))
            break;
    }
    ermes__db_done(s);
    return rc == 1 ? 0 : rc;
}

int ermes__store_calendars_of(ermes__store_t *st, const int64_t *org_ids, size_t n,
                              int (*cb)(void *ctx, int64_t org_id, const ermes__calendar_row_t *c),
                              void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__calendar_row_t *row;
    ermes__db_stmt_t *s;
    int64_t none = 0;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (n > ERMES__INCIDENT_BATCH)
        return ERMES_EINVAL;
    if (!(row = malloc(sizeof(*row))))
        return ERMES_ENOMEM;
    if ((rc = ermes__db_prepare(db,
                                "SELECT org_id, days, start_minute, end_minute,"
                                " utc_offset_minutes, holidays FROM calendars WHERE org_id = 0"
                                " OR org_id IN (" P50 ")",
                                &s))) {
        free(row);
        return rc;
    }
    bind_batch(s, n ? org_ids : &none, n ? n : 1);
    while ((rc = ermes__db_step(s)) == 1) {
        row->days = ermes__db_col_int(s, 1);
        row->start_minute = ermes__db_col_int(s, 2);
        row->end_minute = ermes__db_col_int(s, 3);
        row->utc_offset_minutes = ermes__db_col_int(s, 4);
        put(row->holidays, sizeof(row->holidays), ermes__db_col_text(s, 5));
        if ((rc = cb(ctx, ermes__db_col_int(s, 0), row)))
            break;
    }
    ermes__db_done(s);
    free(row);
    return rc == 1 ? 0 : rc;
}

int ermes__store_calendar_put(ermes__store_t *st, int64_t org_id, const ermes__calendar_row_t *c)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO calendars (org_id, days, start_minute, end_minute, utc_offset_minutes,"
             " holidays, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
             " ON CONFLICT (org_id) DO UPDATE SET days = excluded.days,"
             " start_minute = excluded.start_minute, end_minute = excluded.end_minute,"
             " utc_offset_minutes = excluded.utc_offset_minutes, holidays = excluded.holidays,"
             " updated_at = excluded.updated_at",
             &s)))
        return ermes__tx_end(db, owned, rc);
    ermes__db_bind_int(s, 1, org_id);
    ermes__db_bind_int(s, 2, c->days);
    ermes__db_bind_int(s, 3, c->start_minute);
    ermes__db_bind_int(s, 4, c->end_minute);
    ermes__db_bind_int(s, 5, c->utc_offset_minutes);
    ermes__db_bind_text(s, 6, c->holidays);
    ermes__db_bind_int(s, 7, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    rc = rc < 0 ? rc : 0;
    /* Business-hour due times change with the calendar. */
    if (!rc)
        rc = unmeasure(db, NULL, org_id);
    return ermes__tx_end(db, owned, rc);
}
