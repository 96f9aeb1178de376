/* What `ermes csaf import` and the `csaf=URL` sources of the scheduled sync imported of a
 * provider (migration 47): per source and document URL the stamp its listing gave it (the
 * ROLIE entry's updated, the changes.csv date), so a document listed again unchanged is not
 * fetched. On SQLite and PostgreSQL alike. */
#include <stdio.h>
#include <string.h>

#include "store/db.h"
#include "store/vulns.h"

int ermes__store_csaf_import_stamp(ermes__store_t *st, const char *source, const char *url,
                                   char *stamp, size_t cap)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    stamp[0] = '\0';
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT stamp FROM csaf_import_documents"
                                " WHERE source = ?1 AND url = ?2",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, source);
    ermes__db_bind_text(s, 2, url);
    rc = ermes__db_step(s);
    if (rc == 1 && ermes__db_col_text(s, 0))
        snprintf(stamp, cap, "%s", ermes__db_col_text(s, 0));
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_csaf_import_put(ermes__store_t *st, const char *source, const char *url,
                                 const char *stamp, int64_t home, int64_t now)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO csaf_import_documents (source, url, stamp, imported_at, tlp,"
             " owner_org_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'AMBER', ?5, ?4, ?4)"
             " ON CONFLICT (source, url) DO UPDATE SET stamp = ?3, imported_at = ?4,"
             " updated_at = ?4",
             &s)))
        return rc;
    ermes__db_bind_text(s, 1, source);
    ermes__db_bind_text(s, 2, url);
    ermes__db_bind_text(s, 3, stamp);
    ermes__db_bind_int(s, 4, now);
    if (home > 0)
        ermes__db_bind_int(s, 5, home);
    else
        ermes__db_bind_null(s, 5);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
