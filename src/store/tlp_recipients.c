/* The store's named recipients of TLP-marked objects (migration 51): the organisations an
 * AMBER, AMBER+STRICT or RED object is given to beyond what its label gives everyone. What they
 * may then see is the policy's (src/access/tlp_policy.h); the lists of indicators and of STIX
 * objects ask these rows in their WHERE clauses, and single objects through
 * ermes__store_tlp_relation. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

static int recipients_put(ermes__store_t *st, const char *stix_id, int64_t indicator_id,
                          int64_t sighting_id, const int64_t *orgs, size_t n, ermes_tlp_t tlp,
                          int64_t owner_org_id);

int ermes__store_tlp_recipients_set(ermes__store_t *st, const char *stix_id, int64_t indicator_id,
                                    const int64_t *orgs, size_t n, ermes_tlp_t tlp,
                                    int64_t owner_org_id)
{
    return recipients_put(st, stix_id, indicator_id, 0, orgs, n, tlp, owner_org_id);
}

int ermes__store_sighting_recipients_set(ermes__store_t *st, int64_t sighting_id,
                                         const char *stix_id, const int64_t *orgs, size_t n,
                                         ermes_tlp_t tlp, int64_t owner_org_id)
{
    if (sighting_id <= 0)
        return ERMES_EINVAL;
    return recipients_put(st, stix_id, 0, sighting_id, orgs, n, tlp, owner_org_id);
}

static int recipients_put(ermes__store_t *st, const char *stix_id, int64_t indicator_id,
                          int64_t sighting_id, const int64_t *orgs, size_t n, ermes_tlp_t tlp,
                          int64_t owner_org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s = NULL;
    int64_t now = ermes__time_now_ms();
    int own, rc;

    if (!db)
        return ERMES_ESTORE;
    if (!stix_id || !stix_id[0] || n > ERMES__TLP_RECIPIENTS_MAX)
        return ERMES_EINVAL;
    if ((rc = ermes__tx_start(db, &own)))
        return rc;
    if ((rc = ermes__db_prepare(db, "DELETE FROM tlp_recipients WHERE stix_id = ?1", &s)))
        goto out;
    ermes__db_bind_text(s, 1, stix_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    rc = 0;
    for (size_t i = 0; i < n; i++) {
        if ((rc = ermes__db_prepare(db,
                                    "INSERT INTO tlp_recipients (stix_id, indicator_id, org_id,"
                                    " tlp, owner_org_id, created_at, updated_at, sighting_id)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)"
                                    " ON CONFLICT (stix_id, org_id) DO NOTHING",
                                    &s)))
            goto out;
        ermes__db_bind_text(s, 1, stix_id);
        if (indicator_id)
            ermes__db_bind_int(s, 2, indicator_id);
        else
            ermes__db_bind_null(s, 2);
        ermes__db_bind_int(s, 3, orgs[i]);
        ermes__db_bind_text(s, 4, ermes_tlp_name(tlp));
        if (owner_org_id)
            ermes__db_bind_int(s, 5, owner_org_id);
        else
            ermes__db_bind_null(s, 5);
        ermes__db_bind_int(s, 6, now);
        if (sighting_id)
            ermes__db_bind_int(s, 7, sighting_id);
        else
            ermes__db_bind_null(s, 7);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc < 0)
            goto out;
        rc = 0;
    }
out:
    return ermes__tx_end(db, own, rc);
}

int ermes__store_tlp_recipients_each(ermes__store_t *st, const char *stix_id,
                                     ermes__store_tlp_recipient_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT r.org_id, o.short_name FROM tlp_recipients r"
                                " JOIN organisations o ON o.id = r.org_id"
                                " WHERE r.stix_id = ?1 ORDER BY o.short_name",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, stix_id);
    while ((rc = ermes__db_step(s)) == 1) {
        if ((rc = cb(ctx, ermes__db_col_int(s, 0), ermes__db_col_text(s, 1))))
            break;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_tlp_recipient_orgs(ermes__store_t *st, const char *stix_id,
                                    ermes__store_tlp_recipient_org_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT r.org_id, o.short_name, o.name FROM tlp_recipients r"
                                " JOIN organisations o ON o.id = r.org_id"
                                " WHERE r.stix_id = ?1 ORDER BY o.short_name",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, stix_id);
    while ((rc = ermes__db_step(s)) == 1) {
        if ((rc = cb(ctx, ermes__db_col_int(s, 0), ermes__db_col_text(s, 1),
                     ermes__db_col_text(s, 2))))
            break;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_tlp_relation(ermes__store_t *st, const char *stix_id, int64_t indicator_id,
                              int64_t org_id, int *rel)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *rel = 0;
    if (!db)
        return ERMES_ESTORE;
    if (!org_id)
        return 0;
    /* 1: the organisation itself is named; 2: its parent is (it is a client of a recipient). */
    if ((rc = ermes__db_prepare(db,
                                "SELECT min(CASE WHEN r.org_id = ?3 THEN 1 ELSE 2 END)"
                                " FROM tlp_recipients r"
                                " WHERE (r.stix_id = ?1 OR r.indicator_id = ?2 OR r.stix_id IN"
                                " (SELECT x.stix_id FROM indicator_stix x WHERE x.indicator_id ="
                                " ?2))"
                                " AND (r.org_id = ?3 OR r.org_id = (SELECT g.parent_id FROM"
                                " organisations g WHERE g.id = ?3))",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, stix_id ? stix_id : "");
    ermes__db_bind_int(s, 2, indicator_id ? indicator_id : -1);
    ermes__db_bind_int(s, 3, org_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *rel = ermes__db_col_null(s, 0) ? 0 : (int)ermes__db_col_int(s, 0);
        rc = 0;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
