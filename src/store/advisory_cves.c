/* The CVE ids of each advisory (migration 57 in schema.c; advisories/links.h), on both
 * backends: the index that finds the advisories naming a CVE without reading their documents.
 * Kept by every write of an advisory's working or published document (advisories.c), in the
 * same transaction as the write. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "advisories/links.h"
#include "core/time.h"
#include "store/store_int.h"

/* A number in a statement's text (the statements are literals). */
#define LIMIT_S2(n) #n
#define LIMIT_S(n) LIMIT_S2(n)

/* Adds text's CVE ids (a CSAF document; none when NULL or not JSON) to out[*n..cap). */
static void cves_add(const char *text, char (*out)[ERMES_CVE_ID_MAX], size_t *n, size_t cap)
{
    char(*mine)[ERMES_CVE_ID_MAX];
    json_t *doc;
    size_t m, i, k;

    if (!text || !(doc = json_loads(text, 0, NULL)))
        return;
    mine = out + *n;
    m = ermes__advisory_cves(doc, mine, cap - *n);
    json_decref(doc);
    /* Those the other document named already are there once. */
    for (i = 0; i < m; i++) {
        for (k = 0; k < *n && strcmp(out[k], mine[i]); k++)
            ;
        if (k == *n)
            memmove(out[(*n)++], mine[i], ERMES_CVE_ID_MAX);
    }
}

int ermes__store_advisory_cves_set(ermes__store_t *st, const ermes__advisory_t *a)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    char(*cves)[ERMES_CVE_ID_MAX] = NULL;
    int64_t now = ermes__time_now_ms();
    size_t n = 0, i;
    int rc, owned = 0;

    if (!db)
        return ERMES_ESTORE;
    if (!(cves = malloc(2 * ERMES_ADVISORY_CVES_MAX * sizeof(*cves))))
        return ERMES_ENOMEM;
    cves_add(a->document, cves, &n, 2 * ERMES_ADVISORY_CVES_MAX);
    cves_add(a->published_document, cves, &n, 2 * ERMES_ADVISORY_CVES_MAX);
    if ((rc = ermes__tx_start(db, &owned)))
        goto out;
    if ((rc = ermes__db_prepare(db, "DELETE FROM advisory_cves WHERE advisory_id = ?1", &s)))
        goto end;
    ermes__db_bind_int(s, 1, a->id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    for (i = 0; i < n && rc >= 0; i++) {
        if ((rc = ermes__db_prepare(db,
                                    "INSERT INTO advisory_cves (advisory_id, cve, tlp,"
                                    " owner_org_id, created_at, updated_at)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT DO NOTHING",
                                    &s)))
            break;
        ermes__db_bind_int(s, 1, a->id);
        ermes__db_bind_text(s, 2, cves[i]);
        ermes__db_bind_text(s, 3, ermes_tlp_name(a->tlp));
        if (a->owner_org_id)
            ermes__db_bind_int(s, 4, a->owner_org_id);
        else
            ermes__db_bind_null(s, 4);
        ermes__db_bind_int(s, 5, now);
        rc = ermes__db_step(s);
        ermes__db_done(s);
    }
    rc = rc < 0 ? rc : 0;
end:
    rc = ermes__tx_end(db, owned, rc);
out:
    free(cves);
    return rc;
}

int ermes__store_advisories_with_cve(ermes__store_t *st, const char *cve, ermes__store_id_cb cb,
                                     void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT advisory_id FROM advisory_cves WHERE cve = ?1"
                                " ORDER BY advisory_id DESC"
                                " LIMIT " LIMIT_S(ERMES_ADVISORY_LINKS_MAX),
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, cve);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_int(s, 0))))
            break;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
