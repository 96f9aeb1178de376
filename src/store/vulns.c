/* Vulnerabilities (migration 32): one row per CVE, filled by whichever sources said something
 * of it. Each source writes its own columns only, and keeps the digest of the record it took
 * (sum_cve5, sum_nvd, sum_kev, sum_epss): importing the same record again writes nothing, so
 * an import of a whole catalogue keeps only what changed. changed_at moves when what matching
 * reads changes (affected products, the KEV entry). The data are public: TLP:CLEAR, owned by
 * the CERT. */
#include "store/vulns.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/db.h"
#include "store/store_int.h"

static void bind_opt_text(ermes__db_stmt_t *s, int idx, const char *v)
{
    if (v && *v)
        ermes__db_bind_text(s, idx, v);
    else
        ermes__db_bind_null(s, idx);
}

static void bind_opt_int(ermes__db_stmt_t *s, int idx, int64_t v, int64_t none)
{
    if (v != none)
        ermes__db_bind_int(s, idx, v);
    else
        ermes__db_bind_null(s, idx);
}

/* The row of cve_id (made when missing) and the digest stored for kind. */
static int row_for(ermes__db_t *db, const ermes__vuln_record_t *r, int64_t home, int64_t now,
                   int64_t *id, char sum[65])
{
    ermes__db_stmt_t *s;
    int rc;

    sum[0] = '\0';
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, sum_cve5, sum_nvd, sum_kev, sum_epss, sum_csaf"
                                " FROM vulnerabilities WHERE cve_id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, r->cve_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        const char *v = ermes__db_col_text(s, (int)r->kind);
        *id = ermes__db_col_int(s, 0);
        if (v && strlen(v) == 64)
            memcpy(sum, v, 65);
    }
    ermes__db_done(s);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO vulnerabilities (cve_id, tlp, owner_org_id,"
                                " created_at, updated_at) VALUES (?1, 'CLEAR', ?2, ?3, ?3)"
                                " RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, r->cve_id);
    bind_opt_int(s, 2, home, 0);
    ermes__db_bind_int(s, 3, now);
    rc = ermes__db_step(s);
    if (rc == 1)
        *id = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc == 1 ? 0 : rc < 0 ? rc : ERMES_ESTORE;
}

static int put_scores(ermes__db_t *db, int64_t id, const ermes__vuln_record_t *r, int64_t now)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(
             db,
             "UPDATE vulnerabilities SET"
             " description = COALESCE(?2, description),"
             " published = COALESCE(?3, published), modified = COALESCE(?4, modified),"
             " cvss_version = COALESCE(?5, cvss_version), cvss_vector = COALESCE(?6, cvss_vector),"
             " cvss_score = COALESCE(?7, cvss_score),"
             " cvss_severity = COALESCE(?8, cvss_severity), cwe = COALESCE(?9, cwe),"
             " updated_at = ?10 WHERE id = ?1",
             &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    if (r->description && *r->description)
        ermes__db_bind_textn(s, 2, r->description, strnlen(r->description, ERMES_VULN_DESC_MAX));
    else
        ermes__db_bind_null(s, 2);
    bind_opt_int(s, 3, r->published, 0);
    bind_opt_int(s, 4, r->modified, 0);
    bind_opt_text(s, 5, r->cvss_version);
    bind_opt_text(s, 6, r->cvss_vector);
    bind_opt_int(s, 7, r->cvss_score, -1);
    bind_opt_text(s, 8, r->cvss_severity);
    bind_opt_text(s, 9, r->cwe);
    ermes__db_bind_int(s, 10, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static int put_kev(ermes__db_t *db, int64_t id, const ermes__vuln_record_t *r, int64_t now)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db,
                                "UPDATE vulnerabilities SET kev = 1,"
                                " kev_added = ?2, kev_due = ?3,"
                                " kev_name = COALESCE(?4, kev_name),"
                                " kev_action = COALESCE(?5, kev_action),"
                                " kev_ransomware = COALESCE(?6, kev_ransomware),"
                                " kev_vendor = COALESCE(?7, kev_vendor),"
                                " kev_product = COALESCE(?8, kev_product),"
                                " description = CASE WHEN description = '' THEN"
                                " COALESCE(?9, '') ELSE description END,"
                                " cwe = COALESCE(cwe, ?10),"
                                " changed_at = CASE WHEN kev = 0 THEN ?11 ELSE changed_at END,"
                                " updated_at = ?11 WHERE id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    bind_opt_int(s, 2, r->kev_added, 0);
    bind_opt_int(s, 3, r->kev_due, 0);
    bind_opt_text(s, 4, r->kev_name);
    bind_opt_text(s, 5, r->kev_action);
    bind_opt_text(s, 6, r->kev_ransomware);
    bind_opt_text(s, 7, r->kev_vendor);
    bind_opt_text(s, 8, r->kev_product);
    if (r->description && *r->description)
        ermes__db_bind_textn(s, 9, r->description, strnlen(r->description, ERMES_VULN_DESC_MAX));
    else
        ermes__db_bind_null(s, 9);
    bind_opt_text(s, 10, r->cwe);
    ermes__db_bind_int(s, 11, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

/* The affected products of a CVE 5 or NVD record; *differs = 1 when they are not what was
 * stored. */
static int put_affected(ermes__db_t *db, int64_t id, const ermes__vuln_record_t *r, int64_t now,
                        int *differs)
{
    ermes__db_stmt_t *s;
    char *text = r->affected ? json_dumps(r->affected, JSON_COMPACT) : NULL;
    const char *old;
    int rc;

    *differs = 0;
    if (r->affected && !text)
        return ERMES_ENOMEM;
    if ((rc = ermes__db_prepare(db,
                                r->kind == ERMES_VULN_NVD
                                    ? "SELECT affected_nvd FROM vulnerabilities WHERE id = ?1"
                                : r->kind == ERMES_VULN_CSAF
                                    ? "SELECT affected_csaf FROM vulnerabilities WHERE id = ?1"
                                    : "SELECT affected_cve5 FROM vulnerabilities WHERE id = ?1",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    if ((rc = ermes__db_step(s)) == 1) {
        old = ermes__db_col_text(s, 0);
        *differs = (old == NULL) != (text == NULL) || (old && strcmp(old, text));
    }
    ermes__db_done(s);
    if (rc < 0 || !*differs) {
        rc = rc < 0 ? rc : 0;
        goto out;
    }
    if ((rc = ermes__db_prepare(
             db,
             r->kind == ERMES_VULN_NVD    ? "UPDATE vulnerabilities SET affected_nvd = ?2,"
                                            " changed_at = ?3 WHERE id = ?1"
             : r->kind == ERMES_VULN_CSAF ? "UPDATE vulnerabilities SET affected_csaf = ?2,"
                                            " changed_at = ?3 WHERE id = ?1"
                                          : "UPDATE vulnerabilities SET affected_cve5 = ?2,"
                                            " changed_at = ?3 WHERE id = ?1",
             &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, text);
    ermes__db_bind_int(s, 3, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    rc = rc < 0 ? rc : 0;
out:
    free(text);
    return rc;
}

static int was_kev(ermes__db_t *db, int64_t id, int *kev)
{
    ermes__db_stmt_t *s;
    int rc;

    *kev = 0;
    if ((rc = ermes__db_prepare(db, "SELECT kev FROM vulnerabilities WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    if ((rc = ermes__db_step(s)) == 1)
        *kev = ermes__db_col_int(s, 0) != 0;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static int put_sum(ermes__db_t *db, int64_t id, ermes__vuln_kind_t kind, const char *sum)
{
    static const char *const sql[] = {
        NULL,
        "UPDATE vulnerabilities SET sum_cve5 = ?2 WHERE id = ?1",
        "UPDATE vulnerabilities SET sum_nvd = ?2 WHERE id = ?1",
        "UPDATE vulnerabilities SET sum_kev = ?2 WHERE id = ?1",
        "UPDATE vulnerabilities SET sum_epss = ?2 WHERE id = ?1",
        "UPDATE vulnerabilities SET sum_csaf = ?2 WHERE id = ?1",
    };
    ermes__db_stmt_t *s;
    int rc;

    if (kind < ERMES_VULN_CVE5 || kind > ERMES_VULN_CSAF)
        return ERMES_EINVAL;
    if ((rc = ermes__db_prepare(db, sql[kind], &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, sum);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

/* What r (a CSAF record) says, as its provider's statement on vulnerability id, one per
 * document (publisher namespace and tracking id, migration 66): *older = 1
 * (nothing written) when the statement kept is of a later release of the same document (same
 * tracking id, a later current_release_date: files imported out of order); else it is written
 * (inserted or replaced) and *differs says whether what matching reads changed. Then the row's
 * csaf_sources lists every provider's, latest first. */
static int csaf_statement_put(ermes__db_t *db, int64_t id, const ermes__vuln_record_t *r,
                              int64_t now, int *older, int *differs)
{
    const json_t *nd = json_object_get(r->affected, "document");
    const json_t *tr = json_object_get(nd, "tracking");
    const char *ns =
        json_string_value(json_object_get(json_object_get(nd, "publisher"), "namespace"));
    const char *tid = json_string_value(json_object_get(tr, "id"));
    const char *ver = json_string_value(json_object_get(tr, "version"));
    char *text = r->affected ? json_dumps(r->affected, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_t *list = NULL;
    char *listed = NULL;
    ermes__db_stmt_t *s;
    int rc;

    *older = *differs = 0;
    if (!text)
        return ERMES_ENOMEM;
    if ((rc = ermes__db_prepare(db,
                                "SELECT tracking_id, released, affected FROM vuln_csaf_statements"
                                " WHERE vuln_id = ?1 AND namespace = ?2 AND tracking_id = ?3",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, ns ? ns : "");
    ermes__db_bind_text(s, 3, tid ? tid : "");
    if ((rc = ermes__db_step(s)) == 1) {
        const char *otid = ermes__db_col_text(s, 0), *old = ermes__db_col_text(s, 2);
        *older = otid && tid && !strcmp(otid, tid) && r->modified &&
                 ermes__db_col_int(s, 1) > r->modified;
        *differs = !old || strcmp(old, text);
    } else if (rc == 0) {
        *differs = 1;
    }
    ermes__db_done(s);
    if (rc < 0 || *older)
        goto out;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO vuln_csaf_statements (vuln_id, namespace, tracking_id, version,"
             " released, source, affected, tlp, owner_org_id, created_at, updated_at)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?9)"
             " ON CONFLICT (vuln_id, namespace, tracking_id) DO UPDATE SET"
             " version = excluded.version, released = excluded.released,"
             " source = excluded.source, affected = excluded.affected, tlp = excluded.tlp,"
             " updated_at = excluded.updated_at",
             &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, ns ? ns : "");
    ermes__db_bind_text(s, 3, tid ? tid : "");
    ermes__db_bind_text(s, 4, ver ? ver : "");
    ermes__db_bind_int(s, 5, r->modified);
    ermes__db_bind_text(s, 6, r->source);
    ermes__db_bind_text(s, 7, text);
    ermes__db_bind_text(s, 8, r->tlp[0] ? r->tlp : "CLEAR");
    ermes__db_bind_int(s, 9, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    /* The list shown with the vulnerability (GET /api/v1/vulnerabilities). */
    if (!(list = json_array())) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((rc = ermes__db_prepare(db,
                                "SELECT namespace, tracking_id, version, source, tlp"
                                " FROM vuln_csaf_statements WHERE vuln_id = ?1"
                                " ORDER BY CASE WHEN namespace = ?2 AND tracking_id = ?3 THEN 0"
                                " ELSE 1 END, updated_at DESC, namespace, tracking_id",
                                &s)))
        goto out;
    /* The one just read first (as csaf_source), then the others, latest first. */
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, ns ? ns : "");
    ermes__db_bind_text(s, 3, tid ? tid : "");
    while ((rc = ermes__db_step(s)) == 1) {
        json_t *o =
            json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?}", "namespace", ermes__db_col_text(s, 0),
                      "tracking_id", ermes__db_col_text(s, 1), "version", ermes__db_col_text(s, 2),
                      "source", ermes__db_col_text(s, 3), "tlp", ermes__db_col_text(s, 4));
        if (!o || json_array_append_new(list, o)) {
            rc = ERMES_ENOMEM;
            break;
        }
    }
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    if (!(listed = json_dumps(list, JSON_COMPACT))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((rc = ermes__db_prepare(db, "UPDATE vulnerabilities SET csaf_sources = ?2 WHERE id = ?1",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, listed);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    rc = rc < 0 ? rc : 0;
out:
    json_decref(list);
    free(listed);
    free(text);
    return rc < 0 ? rc : 0;
}

int ermes__store_vuln_csaf_each(ermes__store_t *st, int64_t id,
                                int (*cb)(void *ctx, const char *affected), void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT affected FROM vuln_csaf_statements WHERE vuln_id = ?1"
                                " ORDER BY namespace",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_text(s, 0))))
            break;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_vuln_put(ermes__store_t *st, const ermes__vuln_record_t *r, int64_t home,
                          int64_t now, int64_t *id, int *changed, int *match_changed)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    char sum[65];
    int rc, differs = 0, kev_before = 0, older = 0, same = 0;

    *changed = *match_changed = 0;
    *id = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = row_for(db, r, home, now, id, sum)))
        return rc;
    if (r->sum[0] && !strcmp(sum, r->sum))
        return 0;
    *changed = 1;
    switch (r->kind) {
    case ERMES_VULN_CVE5:
    case ERMES_VULN_NVD:
        if ((rc = was_kev(db, *id, &kev_before)) || (rc = put_scores(db, *id, r, now)) ||
            (rc = put_affected(db, *id, r, now, &differs)))
            return rc;
        *match_changed = differs;
        if (r->kev) {
            if ((rc = put_kev(db, *id, r, now)))
                return rc;
            *match_changed |= !kev_before;
        }
        break;
    case ERMES_VULN_KEV:
        if ((rc = was_kev(db, *id, &kev_before)) || (rc = put_kev(db, *id, r, now)))
            return rc;
        /* A new KEV entry warns again; a changed due date or action does not. */
        *match_changed = !kev_before;
        break;
    case ERMES_VULN_EPSS:
        if ((rc = ermes__db_prepare(db,
                                    "UPDATE vulnerabilities SET epss = ?2, epss_percentile = ?3,"
                                    " updated_at = ?4 WHERE id = ?1",
                                    &s)))
            return rc;
        ermes__db_bind_int(s, 1, *id);
        ermes__db_bind_int(s, 2, r->epss);
        ermes__db_bind_int(s, 3, r->epss_percentile);
        ermes__db_bind_int(s, 4, now);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc < 0)
            return rc;
        break;
    case ERMES_VULN_CSAF:
        /* Each provider's document (publisher namespace and tracking id) keeps its own
         * statement on the CVE (vuln_csaf_statements, migrations 57 and 66): a later release
         * of a document replaces only its own, an older one read after it changes nothing.
         * affected_csaf and csaf_source keep the latest document read, whoever published it; its
         * TLP raises the row's, never lowers it. */
        if ((rc = csaf_statement_put(db, *id, r, now, &older, &differs)))
            return rc;
        if (older) {
            *changed = 0;
            return 0;
        }
        if ((rc = put_scores(db, *id, r, now)) || (rc = put_affected(db, *id, r, now, &same)))
            return rc;
        *match_changed = differs;
        if ((rc = ermes__db_prepare(
                 db,
                 "UPDATE vulnerabilities SET csaf_source = ?2, tlp = CASE"
                 " WHEN CAST(?3 AS TEXT) = 'RED' OR tlp = 'RED' THEN 'RED'"
                 " WHEN CAST(?3 AS TEXT) = 'AMBER' OR tlp = 'AMBER' OR tlp = 'AMBER+STRICT' THEN"
                 " CASE WHEN tlp = 'AMBER+STRICT' THEN tlp ELSE 'AMBER' END"
                 " WHEN CAST(?3 AS TEXT) = 'GREEN' OR tlp = 'GREEN' THEN 'GREEN' ELSE tlp END"
                 " WHERE id = ?1",
                 &s)))
            return rc;
        ermes__db_bind_int(s, 1, *id);
        ermes__db_bind_text(s, 2, r->source);
        ermes__db_bind_text(s, 3, r->tlp[0] ? r->tlp : "CLEAR");
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc < 0)
            return rc;
        break;
    default:
        return ERMES_EINVAL;
    }
    return put_sum(db, *id, r->kind, r->sum);
}

#define VULN_COLUMNS                                                                               \
    "id, cve_id, description, published, modified, cvss_version, cvss_vector, cvss_severity,"      \
    " cvss_score, cwe, kev, kev_added, kev_due, kev_name, kev_action, kev_ransomware,"             \
    " kev_vendor, kev_product, epss, epss_percentile, affected_nvd, affected_cve5,"                \
    " created_at, updated_at, changed_at, affected_csaf, csaf_source, tlp, owner_org_id,"          \
    " csaf_sources"

static void read_row(ermes__db_stmt_t *s, ermes__vuln_row_t *v)
{
    memset(v, 0, sizeof(*v));
    v->id = ermes__db_col_int(s, 0);
    v->cve_id = ermes__db_col_text(s, 1);
    v->description = ermes__db_col_text(s, 2);
    v->published = ermes__db_col_int(s, 3);
    v->modified = ermes__db_col_int(s, 4);
    v->cvss_version = ermes__db_col_text(s, 5);
    v->cvss_vector = ermes__db_col_text(s, 6);
    v->cvss_severity = ermes__db_col_text(s, 7);
    v->cvss_score = ermes__db_col_null(s, 8) ? -1 : (int)ermes__db_col_int(s, 8);
    v->cwe = ermes__db_col_text(s, 9);
    v->kev = ermes__db_col_int(s, 10) != 0;
    v->kev_added = ermes__db_col_int(s, 11);
    v->kev_due = ermes__db_col_int(s, 12);
    v->kev_name = ermes__db_col_text(s, 13);
    v->kev_action = ermes__db_col_text(s, 14);
    v->kev_ransomware = ermes__db_col_text(s, 15);
    v->kev_vendor = ermes__db_col_text(s, 16);
    v->kev_product = ermes__db_col_text(s, 17);
    v->epss = ermes__db_col_null(s, 18) ? -1 : (long)ermes__db_col_int(s, 18);
    v->epss_percentile = ermes__db_col_null(s, 19) ? -1 : (long)ermes__db_col_int(s, 19);
    v->affected_nvd = ermes__db_col_text(s, 20);
    v->affected_cve5 = ermes__db_col_text(s, 21);
    v->created_at = ermes__db_col_int(s, 22);
    v->updated_at = ermes__db_col_int(s, 23);
    v->changed_at = ermes__db_col_int(s, 24);
    v->affected_csaf = ermes__db_col_text(s, 25);
    v->csaf_source = ermes__db_col_text(s, 26);
    if (!ermes__db_col_text(s, 27) ||
        ermes_tlp_parse(ermes__db_col_text(s, 27), strlen(ermes__db_col_text(s, 27)), &v->tlp))
        v->tlp = ERMES_TLP_RED;
    v->owner_org_id = ermes__db_col_int(s, 28);
    v->csaf_sources = ermes__db_col_text(s, 29);
}

int ermes__store_vuln_each(ermes__store_t *st, const ermes__vuln_filter_t *f, ermes__vuln_row_cb cb,
                           void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    long n = 0;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    /* Filters as conditions that hold when not given, so one statement serves every list. */
    if ((rc = ermes__db_prepare(
             db,
             "SELECT " VULN_COLUMNS " FROM vulnerabilities WHERE id > ?1"
             " AND (?2 IS NULL OR cve_id = ?2) AND (?3 = 0 OR kev = 1)"
             " AND (?4 = 0 OR cvss_score >= ?4) AND (?5 = 0 OR epss >= ?5)"
             " AND changed_at >= ?6"
             " AND (?7 IS NULL OR lower(description) LIKE '%' || lower(?7) || '%')"
             " ORDER BY id LIMIT ?8",
             &s)))
        return rc;
    ermes__db_bind_int(s, 1, f->after_id);
    bind_opt_text(s, 2, f->cve_id);
    ermes__db_bind_int(s, 3, f->kev_only);
    ermes__db_bind_int(s, 4, f->min_score);
    ermes__db_bind_int(s, 5, f->min_epss);
    ermes__db_bind_int(s, 6, f->changed_since);
    bind_opt_text(s, 7, f->text);
    ermes__db_bind_int(s, 8, ermes__page_limit(f->limit));
    while ((rc = ermes__page_step(s, f->limit, &n, more)) == 1) {
        ermes__vuln_row_t v;
        read_row(s, &v);
        if ((rc = cb(ctx, &v)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : rc;
}

int ermes__store_vuln_get(ermes__store_t *st, int64_t id, const char *cve_id, ermes__vuln_row_cb cb,
                          void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " VULN_COLUMNS " FROM vulnerabilities"
                                " WHERE id = ?1 OR (?1 = 0 AND cve_id = ?2)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    bind_opt_text(s, 2, cve_id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        ermes__vuln_row_t v;
        read_row(s, &v);
        rc = cb(ctx, &v);
    } else if (rc == 0)
        rc = ERMES_ENOTFOUND;
    ermes__db_done(s);
    return rc;
}

int ermes__store_vuln_ids(ermes__store_t *st, int64_t **ids, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT id FROM vulnerabilities ORDER BY id", &s)))
        return rc;
    while ((rc = ermes__db_step(s)) == 1) {
        if (cnt == cap) {
            size_t c = cap ? cap * 2 : 1024;
            int64_t *p = ermes__reallocarray(v, c, sizeof(*p));
            if (!p) {
                rc = ERMES_ENOMEM;
                break;
            }
            v = p;
            cap = c;
        }
        v[cnt++] = ermes__db_col_int(s, 0);
    }
    ermes__db_done(s);
    if (rc < 0) {
        ermes__free(v);
        return rc;
    }
    *ids = v;
    *n = cnt;
    return 0;
}
