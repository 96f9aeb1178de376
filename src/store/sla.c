/* Every SLA policy and business-hour calendar (the tables of migration 20), for
 * GET /api/v1/sla-policies and /api/v1/calendars; reading and writing one is in incidents.c,
 * where the clocks read them. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

int ermes__store_sla_policy_each(ermes__store_t *st, ermes__store_sla_policy_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__sla_policy_row_t r;
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* The defaults first (org_id NULL), then each constituent's own, by name. */
    if ((rc = ermes__db_prepare(db,
                                "SELECT p.severity, coalesce(p.org_id, 0), o.short_name,"
                                " p.response_minutes, p.containment_minutes, p.resolution_minutes,"
                                " p.business_hours, p.updated_at FROM sla_policies p"
                                " LEFT JOIN organisations o ON o.id = p.org_id"
                                " ORDER BY p.org_id IS NOT NULL, o.short_name,"
                                " CASE p.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1"
                                " WHEN 'medium' THEN 2 ELSE 3 END",
                                &s)))
        return rc;
    while ((rc = ermes__db_step(s)) == 1) {
        memset(&r, 0, sizeof(r));
        snprintf(r.severity, sizeof(r.severity), "%s", ermes__db_col_text(s, 0));
        r.org_id = ermes__db_col_int(s, 1);
        snprintf(r.org, sizeof(r.org), "%s",
                 ermes__db_col_null(s, 2) ? "" : ermes__db_col_text(s, 2));
        r.policy.response_min = ermes__db_col_int(s, 3);
        r.policy.containment_min = ermes__db_col_int(s, 4);
        r.policy.resolution_min = ermes__db_col_int(s, 5);
        r.policy.business_hours = ermes__db_col_int(s, 6) != 0;
        r.updated_at = ermes__db_col_int(s, 7);
        if ((rc = cb(ctx, &r)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_calendar_each(ermes__store_t *st, ermes__store_calendar_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__calendar_entry_t *e = calloc(1, sizeof(*e));
    ermes__db_stmt_t *s;
    int rc;

    if (!db || !e) {
        free(e);
        return db ? ERMES_ENOMEM : ERMES_ESTORE;
    }
    if ((rc = ermes__db_prepare(db,
                                "SELECT c.org_id, o.short_name, c.days, c.start_minute,"
                                " c.end_minute, c.utc_offset_minutes, c.holidays, c.updated_at"
                                " FROM calendars c LEFT JOIN organisations o ON o.id = c.org_id"
                                " ORDER BY c.org_id <> 0, o.short_name",
                                &s))) {
        free(e);
        return rc;
    }
    while ((rc = ermes__db_step(s)) == 1) {
        const char *h = ermes__db_col_text(s, 6);
        memset(e, 0, sizeof(*e));
        e->org_id = ermes__db_col_int(s, 0);
        snprintf(e->org, sizeof(e->org), "%s",
                 ermes__db_col_null(s, 1) ? "" : ermes__db_col_text(s, 1));
        e->row.days = ermes__db_col_int(s, 2);
        e->row.start_minute = ermes__db_col_int(s, 3);
        e->row.end_minute = ermes__db_col_int(s, 4);
        e->row.utc_offset_minutes = ermes__db_col_int(s, 5);
        snprintf(e->row.holidays, sizeof(e->row.holidays), "%s", h ? h : "");
        e->updated_at = ermes__db_col_int(s, 7);
        if ((rc = cb(ctx, e)))
            break;
    }
    ermes__db_done(s);
    free(e);
    return rc < 0 ? rc : 0;
}
