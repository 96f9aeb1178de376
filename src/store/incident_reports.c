/* Incident reports (incident_reports) and the observables extracted from them
 * (incident_report_observables), migration 19 in schema.c; and the look-ups an observable
 * gets: a stored indicator of that value (known bad) and its sightings (seen before). */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

int ermes__store_incident_report_insert(ermes__store_t *st, ermes__incident_report_t *r,
                                        const ermes__report_observable_t *obs, size_t nobs)
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
                           "INSERT INTO incident_reports (mail_id, reporter, received_at, subject,"
                           " body, tlp_marked, org_id, tlp, owner_org_id, created_at, updated_at)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           &s);
    if (!rc) {
        if (r->mail_id)
            ermes__db_bind_int(s, 1, r->mail_id);
        else
            ermes__db_bind_null(s, 1);
        ermes__db_bind_text(s, 2, r->reporter ? r->reporter : "");
        ermes__db_bind_int(s, 3, r->received_at ? r->received_at : now);
        ermes__db_bind_text(s, 4, r->subject ? r->subject : "");
        ermes__db_bind_text(s, 5, r->body ? r->body : "");
        ermes__db_bind_int(s, 6, r->tlp_marked ? 1 : 0);
        if (r->org_id)
            ermes__db_bind_int(s, 7, r->org_id);
        else
            ermes__db_bind_null(s, 7);
        ermes__db_bind_text(s, 8, ermes_tlp_name(r->tlp));
        if (r->owner_org_id)
            ermes__db_bind_int(s, 9, r->owner_org_id);
        else
            ermes__db_bind_null(s, 9);
        ermes__db_bind_int(s, 10, now);
        ermes__db_bind_int(s, 11, now);
        rc = ermes__db_step(s);
        if (rc == 1) {
            r->id = ermes__db_col_int(s, 0);
            r->created_at = r->updated_at = now;
            rc = 0;
        } else if (rc == 0) {
            rc = ERMES_ESTORE;
        }
        ermes__db_done(s);
    }
    for (size_t k = 0; !rc && k < nobs; k++) {
        const ermes__report_observable_t *o = &obs[k];
        if ((rc = ermes__db_prepare(db,
                                    "INSERT INTO incident_report_observables (report_id, type,"
                                    " value, found_in, org_id, indicator_id, events, sightings,"
                                    " tlp, owner_org_id, created_at, updated_at)"
                                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                    " ON CONFLICT (report_id, type, value) DO NOTHING",
                                    &s)))
            break;
        ermes__db_bind_int(s, 1, r->id);
        ermes__db_bind_text(s, 2, o->type);
        ermes__db_bind_text(s, 3, o->value);
        ermes__db_bind_text(s, 4, o->found_in ? o->found_in : "");
        if (o->org_id)
            ermes__db_bind_int(s, 5, o->org_id);
        else
            ermes__db_bind_null(s, 5);
        if (o->indicator_id)
            ermes__db_bind_int(s, 6, o->indicator_id);
        else
            ermes__db_bind_null(s, 6);
        ermes__db_bind_int(s, 7, o->events);
        ermes__db_bind_int(s, 8, o->sightings);
        ermes__db_bind_text(s, 9, ermes_tlp_name(r->tlp));
        if (r->owner_org_id)
            ermes__db_bind_int(s, 10, r->owner_org_id);
        else
            ermes__db_bind_null(s, 10);
        ermes__db_bind_int(s, 11, now);
        ermes__db_bind_int(s, 12, now);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc > 0)
            rc = 0;
    }
    if (own) {
        if (!rc)
            rc = ermes__db_commit(db);
        if (rc)
            ermes__db_rollback(db);
    }
    return rc;
}

#define REPORT_SELECT                                                                              \
    "SELECT r.id, r.mail_id, r.reporter, r.received_at, r.subject, r.body, r.tlp_marked,"          \
    " r.org_id, o.short_name, r.tlp, r.owner_org_id, r.created_at, r.updated_at,"                  \
    " (SELECT COUNT(*) FROM incident_report_observables x WHERE x.report_id = r.id),"              \
    " (SELECT COUNT(*) FROM incident_report_observables x WHERE x.report_id = r.id"                \
    "  AND x.indicator_id IS NOT NULL),"                                                           \
    " (SELECT MIN(l.incident_id) FROM incident_links l WHERE l.kind = 'report'"                    \
    "  AND l.object_id = r.id)"                                                                    \
    " FROM incident_reports r LEFT JOIN organisations o ON o.id = r.org_id"

static void read_report(ermes__db_stmt_t *s, ermes__incident_report_t *r)
{
    const char *tlp = ermes__db_col_text(s, 9);

    memset(r, 0, sizeof(*r));
    r->id = ermes__db_col_int(s, 0);
    r->mail_id = ermes__db_col_int(s, 1);
    r->reporter = ermes__db_col_text(s, 2);
    r->received_at = ermes__db_col_int(s, 3);
    r->subject = ermes__db_col_text(s, 4);
    r->body = ermes__db_col_text(s, 5);
    r->tlp_marked = (int)ermes__db_col_int(s, 6);
    r->org_id = ermes__db_col_int(s, 7);
    r->org = ermes__db_col_text(s, 8);
    if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &r->tlp))
        r->tlp = ERMES_TLP_AMBER;
    r->owner_org_id = ermes__db_col_int(s, 10);
    r->created_at = ermes__db_col_int(s, 11);
    r->updated_at = ermes__db_col_int(s, 12);
    r->observables = ermes__db_col_int(s, 13);
    r->known_bad = ermes__db_col_int(s, 14);
    r->incident_id = ermes__db_col_int(s, 15);
}

int ermes__store_incident_report_each(ermes__store_t *st, int64_t org_id, int64_t owner_org_id,
                                      int waiting, int64_t before_id, long limit,
                                      ermes__store_incident_report_cb cb, void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__incident_report_t r;
    long n = 0;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                REPORT_SELECT " WHERE (?1 = 0 OR r.org_id = ?1)"
                                              " AND (?2 = 0 OR r.id < ?2)"
                                              " AND (?4 = 0 OR NOT EXISTS (SELECT 1 FROM"
                                              " incident_links l WHERE l.kind = 'report'"
                                              " AND l.object_id = r.id))"
                                              " AND (?5 = 0 OR r.owner_org_id = ?5)"
                                              " ORDER BY r.id DESC LIMIT ?3",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, org_id);
    ermes__db_bind_int(s, 2, before_id);
    ermes__db_bind_int(s, 3, ermes__page_limit(limit));
    ermes__db_bind_int(s, 4, waiting ? 1 : 0);
    ermes__db_bind_int(s, 5, owner_org_id);
    while ((rc = ermes__page_step(s, limit, &n, more)) == 1) {
        read_report(s, &r);
        if ((rc = cb(ctx, &r)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_incident_report_get(ermes__store_t *st, int64_t id,
                                     ermes__store_incident_report_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__incident_report_t r;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, REPORT_SELECT " WHERE r.id = ?", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        read_report(s, &r);
        rc = cb(ctx, &r);
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_report_observable_each(ermes__store_t *st, int64_t report_id,
                                        ermes__store_report_observable_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__report_observable_t o;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT x.id, x.type, x.value, x.found_in, x.org_id,"
                                " o.short_name, x.indicator_id, x.events, x.sightings"
                                " FROM incident_report_observables x"
                                " LEFT JOIN organisations o ON o.id = x.org_id"
                                " WHERE x.report_id = ? ORDER BY x.id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, report_id);
    while ((rc = ermes__db_step(s)) == 1) {
        o.id = ermes__db_col_int(s, 0);
        o.type = ermes__db_col_text(s, 1);
        o.value = ermes__db_col_text(s, 2);
        o.found_in = ermes__db_col_text(s, 3);
        o.org_id = ermes__db_col_int(s, 4);
        o.org = ermes__db_col_text(s, 5);
        o.indicator_id = ermes__db_col_int(s, 6);
        o.events = ermes__db_col_int(s, 7);
        o.sightings = ermes__db_col_int(s, 8);
        if ((rc = cb(ctx, &o)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : rc;
}

int ermes__store_indicator_known(ermes__store_t *st, const char *type, const char *value,
                                 int subdomains, int64_t *indicator_id, int64_t *sightings)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    const char *v = value;
    int rc;

    *indicator_id = 0;
    *sightings = 0;
    if (!db)
        return ERMES_ESTORE;
    /* A domain indicator covers its subdomains unless it is exact: the name, then each parent
     * in turn. */
    while (v && *v) {
        if ((rc = ermes__db_prepare(db,
                                    "SELECT id FROM indicators WHERE type = ? AND value = ?"
                                    " AND (? = 1 OR exact = 0) ORDER BY id LIMIT 1",
                                    &s)))
            return rc;
        ermes__db_bind_text(s, 1, type);
        ermes__db_bind_text(s, 2, v);
        ermes__db_bind_int(s, 3, v == value);
        rc = ermes__db_step(s);
        if (rc == 1)
            *indicator_id = ermes__db_col_int(s, 0);
        ermes__db_done(s);
        if (rc < 0)
            return rc;
        if (*indicator_id || !subdomains)
            break;
        v = strchr(v, '.');
        if (v && strchr(v + 1, '.'))
            v++;
        else
            v = NULL;
    }
    if (!*indicator_id)
        return 0;
    if ((rc = ermes__db_prepare(db,
                                "SELECT COALESCE(SUM(count), 0) FROM sighting_counts"
                                " WHERE indicator_id = ?",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, *indicator_id);
    if ((rc = ermes__db_step(s)) == 1)
        *sightings = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
