/* The partitions of events on PostgreSQL (migration 62): events and event_ips are partitioned
 * by range of id, a partition ermes_events_ensure makes for each event_partitioning.width ids.
 * Reserving ids for events makes the partitions they need (src/store/pg.c), so an insert never
 * fails for want of one; the daemon also keeps one whole partition made ahead of the next id
 * (ermes__store_event_partitions_ahead, under the lease "partitions"), so that the intake
 * rarely has to make one inside its batch, where it would hold the lock on the parent until
 * the batch commits. A copy of a database into PostgreSQL (src/store/move.c) makes those its
 * ids need before it copies them. On SQLite there is nothing to do: events is one table. */
#include "store/store.h"

#include "store/db_int.h"
#include "store/store_int.h"

static int ensure(ermes__db_t *db, const char *sql, int64_t upto, int *made)
{
    ermes__db_stmt_t *s;
    int rc;

    *made = 0;
    if (ermes__db_kind(db) != ERMES__DB_POSTGRESQL)
        return 0;
    if ((rc = ermes__db_prepare(db, sql, &s)))
        return rc;
    if (upto >= 0)
        ermes__db_bind_int(s, 1, upto);
    if ((rc = ermes__db_step(s)) == 1) {
        *made = (int)ermes__db_col_int(s, 0);
        rc = 0;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_event_partitions_ahead(ermes__store_t *st, int *made)
{
    ermes__db_t *db = ermes__db_conn(st);

    if (!db)
        return ERMES_ESTORE;
    /* The next id and a whole partition's width past it. */
    return ensure(db,
                  "SELECT ermes_events_ensure(coalesce(pg_sequence_last_value("
                  "pg_get_serial_sequence('events', 'id')::regclass), 0) + 1"
                  " + (SELECT width FROM event_partitioning))",
                  -1, made);
}

int ermes__store_event_partitions_cover(ermes__store_t *st, int64_t upto, int *made)
{
    ermes__db_t *db = ermes__db_conn(st);

    if (!db)
        return ERMES_ESTORE;
    return ensure(db, "SELECT ermes_events_ensure(?1)", upto < 0 ? 0 : upto, made);
}
