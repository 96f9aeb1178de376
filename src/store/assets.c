/* Constituents' assets (migration 32): products an organisation runs, named by a CPE 2.3
 * name, a package URL, or vendor, product and version; and per asset and vulnerability the
 * remediation status and what the constituent was warned of (asset_vulns). An asset is its
 * organisation's: TLP:AMBER, owned by that organisation. */
#include "store/vulns.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "ermes/cpe.h"
#include "store/db.h"
#include "store/store_int.h"

static int text_ok(const char *s, const char *field, ermes_diag_t *d)
{
    if (!s)
        return 1;
    if (strlen(s) > ERMES_ASSET_FIELD_MAX) {
        ermes_diag_set(d, field, "at most %d bytes", ERMES_ASSET_FIELD_MAX);
        return 0;
    }
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            ermes_diag_set(d, field, "no control characters");
            return 0;
        }
    return 1;
}

int ermes__asset_check(const ermes__asset_t *a, ermes_diag_t *d)
{
    if (!text_ok(a->name, "name", d) || !text_ok(a->cpe, "cpe", d) ||
        !text_ok(a->purl, "purl", d) || !text_ok(a->vendor, "vendor", d) ||
        !text_ok(a->product, "product", d) || !text_ok(a->version, "version", d))
        return ERMES_EINVAL;
    if (a->cpe && *a->cpe) {
        ermes_cpe_t c;
        ermes_diag_t cd;
        ermes_diag_clear(&cd);
        if (ermes_cpe_parse(a->cpe, strlen(a->cpe), &c, &cd)) {
            ermes_diag_set(d, "cpe", "not a CPE 2.3 name: %s", cd.reason);
            return ERMES_EINVAL;
        }
    }
    if (a->purl && *a->purl) {
        ermes_purl_t p;
        ermes_diag_t pd;
        ermes_diag_clear(&pd);
        if (ermes_purl_parse(a->purl, strlen(a->purl), &p, &pd)) {
            ermes_diag_set(d, "purl", "not a package URL: %s", pd.reason);
            return ERMES_EINVAL;
        }
    }
    if (!(a->cpe && *a->cpe) && !(a->purl && *a->purl) && !(a->product && *a->product)) {
        ermes_diag_set(d, "product", "an asset needs a cpe, a purl or a product");
        return ERMES_EINVAL;
    }
    if (a->version && strlen(a->version) > ERMES_VERSION_MAX) {
        ermes_diag_set(d, "version", "at most %d bytes", ERMES_VERSION_MAX);
        return ERMES_EINVAL;
    }
    return 0;
}

static void bind_opt(ermes__db_stmt_t *s, int idx, const char *v)
{
    if (v && *v)
        ermes__db_bind_text(s, idx, v);
    else
        ermes__db_bind_null(s, idx);
}

/* A CPE is stored in its formatted string form, whatever binding it came in. */
static const char *canonical_cpe(const char *cpe, char *buf, size_t cap)
{
    ermes_cpe_t c;
    ermes_diag_t d;

    if (!cpe || !*cpe || ermes_cpe_parse(cpe, strlen(cpe), &c, &d) ||
        !ermes_cpe_format(&c, buf, cap))
        return cpe;
    return buf;
}

int ermes__store_asset_add(ermes__store_t *st, ermes__asset_t *a)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    char cpe[ERMES_CPE_MAX * 2];
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO assets (org_id, name, cpe, purl, vendor, product,"
                                " version, source, tlp, owner_org_id, created_at, updated_at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'AMBER', ?1, ?9, ?9)"
                                " RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, a->org_id);
    ermes__db_bind_text(s, 2, a->name ? a->name : "");
    bind_opt(s, 3, canonical_cpe(a->cpe, cpe, sizeof(cpe)));
    bind_opt(s, 4, a->purl);
    bind_opt(s, 5, a->vendor);
    bind_opt(s, 6, a->product);
    bind_opt(s, 7, a->version);
    ermes__db_bind_text(s, 8, a->source ? a->source : "manual");
    ermes__db_bind_int(s, 9, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        a->id = ermes__db_col_int(s, 0);
        a->created_at = a->updated_at = now;
        a->tlp = ERMES_TLP_AMBER;
    }
    ermes__db_done(s);
    return rc == 1 ? 0 : rc < 0 ? rc : ERMES_ESTORE;
}

int ermes__store_asset_update(ermes__store_t *st, int64_t id, int64_t org_id,
                              const ermes__asset_t *a)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    char cpe[ERMES_CPE_MAX * 2];
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE assets SET name = ?3, cpe = ?4, purl = ?5, vendor = ?6,"
                                " product = ?7, version = ?8, updated_at = ?9"
                                " WHERE id = ?1 AND (?2 = 0 OR org_id = ?2)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, org_id);
    ermes__db_bind_text(s, 3, a->name ? a->name : "");
    bind_opt(s, 4, canonical_cpe(a->cpe, cpe, sizeof(cpe)));
    bind_opt(s, 5, a->purl);
    bind_opt(s, 6, a->vendor);
    bind_opt(s, 7, a->product);
    bind_opt(s, 8, a->version);
    ermes__db_bind_int(s, 9, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    return ermes__db_changes(db) ? 0 : ERMES_ENOTFOUND;
}

int ermes__store_asset_delete(ermes__store_t *st, int64_t id, int64_t org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "DELETE FROM assets WHERE id = ?1 AND (?2 = 0 OR org_id = ?2)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, org_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    return ermes__db_changes(db) ? 0 : ERMES_ENOTFOUND;
}

#define ASSET_COLUMNS                                                                              \
    "a.id, a.org_id, o.short_name, a.name, a.cpe, a.purl, a.vendor, a.product, a.version,"         \
    " a.source, a.tlp, a.created_at, a.updated_at"

static void read_asset(ermes__db_stmt_t *s, ermes__asset_t *a)
{
    const char *org = ermes__db_col_text(s, 2), *tlp = ermes__db_col_text(s, 10);

    memset(a, 0, sizeof(*a));
    a->id = ermes__db_col_int(s, 0);
    a->org_id = ermes__db_col_int(s, 1);
    snprintf(a->org, sizeof(a->org), "%s", org ? org : "");
    a->name = ermes__db_col_text(s, 3);
    a->cpe = ermes__db_col_text(s, 4);
    a->purl = ermes__db_col_text(s, 5);
    a->vendor = ermes__db_col_text(s, 6);
    a->product = ermes__db_col_text(s, 7);
    a->version = ermes__db_col_text(s, 8);
    a->source = ermes__db_col_text(s, 9);
    if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &a->tlp))
        a->tlp = ERMES_TLP_AMBER;
    a->created_at = ermes__db_col_int(s, 11);
    a->updated_at = ermes__db_col_int(s, 12);
}

int ermes__store_asset_each(ermes__store_t *st, int64_t org_id, int64_t after_id, long limit,
                            ermes__asset_cb cb, void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    long n = 0;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " ASSET_COLUMNS " FROM assets a"
                                " JOIN organisations o ON o.id = a.org_id"
                                " WHERE a.id > ?1 AND (?2 = 0 OR a.org_id = ?2)"
                                " ORDER BY a.id LIMIT ?3",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, after_id);
    ermes__db_bind_int(s, 2, org_id);
    ermes__db_bind_int(s, 3, ermes__page_limit(limit));
    while ((rc = ermes__page_step(s, limit, &n, more)) == 1) {
        ermes__asset_t a;
        read_asset(s, &a);
        if ((rc = cb(ctx, &a)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : rc;
}

int ermes__store_asset_get(ermes__store_t *st, int64_t id, int64_t org_id, ermes__asset_cb cb,
                           void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " ASSET_COLUMNS " FROM assets a"
                                " JOIN organisations o ON o.id = a.org_id"
                                " WHERE a.id = ?1 AND (?2 = 0 OR a.org_id = ?2)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, org_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        ermes__asset_t a;
        read_asset(s, &a);
        rc = cb(ctx, &a);
    } else if (rc == 0)
        rc = ERMES_ENOTFOUND;
    ermes__db_done(s);
    return rc;
}

int ermes__asset_status_valid(const char *s)
{
    return s && (!strcmp(s, "not_affected") || !strcmp(s, "affected") ||
                 !strcmp(s, "in_progress") || !strcmp(s, "fixed"));
}

int ermes__store_asset_vuln_state(ermes__store_t *st, int64_t asset_id, int64_t vuln_id, int *known,
                                  int *warned_kev)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *known = *warned_kev = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT warned_kev, notification_id FROM asset_vulns"
                                " WHERE asset_id = ?1 AND vuln_id = ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, asset_id);
    ermes__db_bind_int(s, 2, vuln_id);
    if ((rc = ermes__db_step(s)) == 1) {
        /* A row the constituent made by setting a status, never warned: not known yet. */
        *known = !ermes__db_col_null(s, 1) || ermes__db_col_int(s, 0) != 0;
        *warned_kev = ermes__db_col_int(s, 0) != 0;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_asset_vuln_warned(ermes__store_t *st, int64_t asset_id, int64_t vuln_id,
                                   int warned_kev, int64_t notification_id, int64_t owner,
                                   int64_t now)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO asset_vulns (asset_id, vuln_id, warned_kev,"
                                " notification_id, tlp, owner_org_id, created_at, updated_at)"
                                " VALUES (?1, ?2, ?3, ?4, 'AMBER', ?5, ?6, ?6)"
                                " ON CONFLICT (asset_id, vuln_id) DO UPDATE SET"
                                " warned_kev = excluded.warned_kev,"
                                " notification_id = excluded.notification_id,"
                                " updated_at = excluded.updated_at",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, asset_id);
    ermes__db_bind_int(s, 2, vuln_id);
    ermes__db_bind_int(s, 3, warned_kev);
    if (notification_id)
        ermes__db_bind_int(s, 4, notification_id);
    else
        ermes__db_bind_null(s, 4);
    if (owner)
        ermes__db_bind_int(s, 5, owner);
    else
        ermes__db_bind_null(s, 5);
    ermes__db_bind_int(s, 6, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_asset_vuln_set(ermes__store_t *st, int64_t asset_id, const char *cve_id,
                                const char *status, const char *note, int64_t owner)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO asset_vulns (asset_id, vuln_id, status, note, tlp,"
                                " owner_org_id, created_at, updated_at)"
                                " SELECT ?1, v.id, ?3, COALESCE(?4, ''), 'AMBER', ?5, ?6, ?6"
                                " FROM vulnerabilities v WHERE v.cve_id = ?2"
                                " ON CONFLICT (asset_id, vuln_id) DO UPDATE SET"
                                " status = excluded.status,"
                                " note = CASE WHEN ?4 IS NULL THEN asset_vulns.note"
                                " ELSE excluded.note END,"
                                " updated_at = excluded.updated_at",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, asset_id);
    ermes__db_bind_text(s, 2, cve_id);
    ermes__db_bind_text(s, 3, status);
    bind_opt(s, 4, note);
    if (owner)
        ermes__db_bind_int(s, 5, owner);
    else
        ermes__db_bind_null(s, 5);
    ermes__db_bind_int(s, 6, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    return ermes__db_changes(db) ? 0 : ERMES_ENOTFOUND;
}

int ermes__store_asset_vuln_each(ermes__store_t *st, int64_t asset_id, ermes__asset_vuln_cb cb,
                                 void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT av.asset_id, av.vuln_id, av.notification_id, v.cve_id,"
                                " av.status, av.note, av.warned_kev, av.updated_at"
                                " FROM asset_vulns av JOIN vulnerabilities v ON v.id = av.vuln_id"
                                " WHERE av.asset_id = ?1 ORDER BY v.cve_id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, asset_id);
    while ((rc = ermes__db_step(s)) == 1) {
        ermes__asset_vuln_t av;
        av.asset_id = ermes__db_col_int(s, 0);
        av.vuln_id = ermes__db_col_int(s, 1);
        av.notification_id = ermes__db_col_int(s, 2);
        av.cve_id = ermes__db_col_text(s, 3);
        av.status = ermes__db_col_text(s, 4);
        av.note = ermes__db_col_text(s, 5);
        av.warned_kev = ermes__db_col_int(s, 6) != 0;
        av.updated_at = ermes__db_col_int(s, 7);
        if ((rc = cb(ctx, &av)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : rc;
}

int ermes__store_notification_vulns(ermes__store_t *st, int64_t notification_id,
                                    ermes__asset_vuln_row_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " ASSET_COLUMNS ", av.vuln_id, v.cve_id, av.status,"
                                " av.warned_kev FROM asset_vulns av"
                                " JOIN assets a ON a.id = av.asset_id"
                                " JOIN organisations o ON o.id = a.org_id"
                                " JOIN vulnerabilities v ON v.id = av.vuln_id"
                                " WHERE av.notification_id = ?1 ORDER BY v.cve_id, a.id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, notification_id);
    while ((rc = ermes__db_step(s)) == 1) {
        ermes__asset_t a;
        ermes__asset_vuln_t av;
        read_asset(s, &a);
        memset(&av, 0, sizeof(av));
        av.asset_id = a.id;
        av.vuln_id = ermes__db_col_int(s, 13);
        av.cve_id = ermes__db_col_text(s, 14);
        av.status = ermes__db_col_text(s, 15);
        av.warned_kev = ermes__db_col_int(s, 16) != 0;
        av.notification_id = notification_id;
        if ((rc = cb(ctx, &a, &av)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : rc;
}
