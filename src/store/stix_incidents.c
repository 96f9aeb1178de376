/* What the STIX publication of incidents reads (src/sharing/stix_incidents.c): the incidents
 * changed since a moment, by their own updated_at or an observable added to them (the indexes
 * of migration 31 keep this a range read, as TAXII reads publish on every page). */
#include "store/store.h"

#include "store/store_int.h"

int ermes__store_incident_changed(ermes__store_t *st, int64_t since, int64_t *ids, size_t cap,
                                  size_t *n, int64_t *newest)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    *newest = since;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, updated_at FROM incidents WHERE updated_at > ?1"
                                " UNION ALL SELECT incident_id, created_at FROM"
                                " incident_observables WHERE created_at > ?1"
                                " ORDER BY 2 LIMIT ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, since);
    ermes__db_bind_int(s, 2, (int64_t)cap);
    while ((rc = ermes__db_step(s)) == 1) {
        int64_t id = ermes__db_col_int(s, 0), at = ermes__db_col_int(s, 1);
        size_t i;

        if (at > *newest)
            *newest = at;
        for (i = 0; i < *n && ids[i] != id; i++)
            ;
        if (i == *n)
            ids[(*n)++] = id;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
