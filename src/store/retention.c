/* Retention: events older than the retention period go, with what only they kept alive.
 *
 * A CERT keeps feed events for as long as its rules say (personal data: addresses of people's
 * machines), and no longer. retention_days names the period; the daemon (src/daemon/daemon.c,
 * under the lease "retention") and `ermes retention` call ermes__store_retention_run with the
 * cut-off. What goes:
 *   - events stored (created_at) before the cut-off, with their address index rows
 *     (event_ips), their correlation postings, their triage state and, by the foreign key's
 *     cascade, their links to notifications. An event linked to an incident stays: it is the
 *     incident's evidence, kept as long as the incident is;
 *   - then the reports received before the cut-off that no event refers to any more: their
 *     quarantined rows (raw lines, as personal as the events) are deleted, the report is marked
 *     expired (expired_at; its row and accounting stay, so the feed's history does) and its raw
 *     file under DATA_DIR/reports/ is removed unless a report not yet expired holds the same
 *     file (the same bytes received again with force).
 * The daily counts (event_daily) stay: the dashboard's history is counts, not personal data.
 *
 * Events are visited in id order, which is the order they were stored in, a batch per
 * transaction; the walk stops at the first event stored after the cut-off, so a run costs what
 * it deletes, not the size of the table. (Two daemons storing at once may commit ids a little
 * out of time order: such an event is taken by a later run.) On PostgreSQL the partitions of
 * events stored wholly before the cut-off are dropped first (drop_partitions below). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "store/store.h"
#include "store/db_int.h"
#include "store/store_int.h"

#define BATCH 2000

typedef struct old_event {
    int64_t id;
    uint8_t ip[16];
    size_t iplen;
    char *fqdn;
} old_event_t;

/* Reads up to BATCH events past *after in id order; stops at the first one stored at or after
 * cutoff (*done = 1). Those linked to an incident are skipped (and counted in *kept). */
static int read_batch(ermes__db_t *db, int64_t after, int64_t cutoff, old_event_t *ev, size_t *n,
                      int64_t *last, int *done, int64_t *kept)
{
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    *done = 1;
    if ((rc = ermes__db_prepare(db,
                                "SELECT e.id, e.created_at, e.source_ip, e.source_fqdn,"
                                " EXISTS (SELECT 1 FROM incident_links l WHERE l.kind = 'event'"
                                " AND l.object_id = e.id)"
                                " FROM events e WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, after);
    ermes__db_bind_int(s, 2, BATCH);
    while ((rc = ermes__db_step(s)) == 1) {
        size_t blen = 0;
        const void *b;
        const char *fqdn;
        old_event_t *e;

        if (ermes__db_col_int(s, 1) >= cutoff) {
            *done = 1;
            break;
        }
        *last = ermes__db_col_int(s, 0);
        *done = 0;
        if (ermes__db_col_int(s, 4)) {
            (*kept)++;
            continue;
        }
        e = &ev[(*n)++];
        e->id = *last;
        b = ermes__db_col_blob(s, 2, &blen);
        e->iplen = b && (blen == 4 || blen == 16) ? blen : 0;
        if (e->iplen)
            memcpy(e->ip, b, blen);
        fqdn = ermes__db_col_text(s, 3);
        e->fqdn = fqdn && *fqdn ? ermes__strdup(fqdn) : NULL;
        if (fqdn && *fqdn && !e->fqdn) {
            rc = ERMES_ENOMEM;
            break;
        }
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static int delete_event(ermes__store_t *st, ermes__db_t *db, const old_event_t *e)
{
    ermes__db_stmt_t *s;
    int rc;

    if (e->iplen) {
        if ((rc = ermes__db_prepare(db, "DELETE FROM event_ips WHERE ip = ?1 AND id = ?2", &s)))
            return rc;
        ermes__db_bind_blob(s, 1, e->ip, e->iplen);
        ermes__db_bind_int(s, 2, e->id);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc < 0)
            return rc;
    }
    if ((rc =
             ermes__store_corr_forget_event(st, e->id, e->iplen ? e->ip : NULL, e->iplen, e->fqdn)))
        return rc;
    if ((rc = ermes__db_prepare(db, "DELETE FROM triage WHERE kind = 'event' AND object_id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, e->id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if ((rc = ermes__db_prepare(db, "DELETE FROM events WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, e->id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static int expire_events(ermes__store_t *st, ermes__db_t *db, int64_t cutoff, int dry_run,
                         int64_t max_events, ermes__retention_stats_t *out)
{
    old_event_t *ev = ermes__calloc(BATCH, sizeof(*ev));
    int64_t after = 0;
    int rc = 0, done = 0;

    if (!ev)
        return ERMES_ENOMEM;
    while (!done && rc == 0) {
        if (max_events > 0 && out->events >= max_events) {
            out->more = 1;
            break;
        }
        size_t n = 0;
        int64_t last = after;
        int owned = 0;

        if (!dry_run && (rc = ermes__tx_start(db, &owned)))
            break;
        rc = read_batch(db, after, cutoff, ev, &n, &last, &done, &out->events_kept);
        for (size_t k = 0; rc == 0 && k < n; k++)
            rc = dry_run ? 0 : delete_event(st, db, &ev[k]);
        if (!dry_run)
            rc = ermes__tx_end(db, owned, rc);
        if (rc == 0)
            out->events += (int64_t)n;
        for (size_t k = 0; k < n; k++) {
            ermes__free(ev[k].fqdn);
            ev[k].fqdn = NULL;
        }
        after = last;
    }
    ermes__free(ev);
    return rc;
}

/* PostgreSQL: events and event_ips are partitioned by id (migration 62). A partition whose
 * events were all stored before the cut-off goes whole (ermes_events_drop: DETACH and DROP of
 * the events' and the addresses' partitions, its triage rows, correlation postings and
 * notification links deleted by range), oldest first, a transaction each, instead of deleting
 * its rows one by one: no dead rows for VACUUM. Its events linked to an incident stay, in a
 * partition of the same range made again with them alone. Only partitions whose every id was
 * given already are candidates (the current one still fills, and a range dropped could not be
 * made again), checked again by ermes_events_drop in its write transaction, where no other
 * writer holds ids reserved and not given back; that transaction holds the write lock while it
 * reads the partition (a scan of it), so the intake waits that long. The first partition holding an
 * event stored at or after the cut-off ends the walk. What is left before the cut-off (a partition
 * partly expired, the events kept) goes by the batched delete after it. The kept events are counted
 * by that walk, not here. */
static int drop_partitions(ermes__db_t *db, int64_t cutoff, ermes__retention_stats_t *out)
{
    char name[64];
    int64_t after = -1;
    int rc = 0;

    if (ermes__db_kind(db) != ERMES__DB_POSTGRESQL)
        return 0;
    for (;;) {
        ermes__db_stmt_t *s;
        int64_t lo = 0, gone = -1;
        int owned = 0, dropped = 0;

        if ((rc = ermes__db_prepare(
                 db,
                 "SELECT name, lo FROM event_partitions WHERE lo > ?1 AND hi <= coalesce("
                 "pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass), 0) + 1"
                 " ORDER BY lo LIMIT 1",
                 &s)))
            return rc;
        ermes__db_bind_int(s, 1, after);
        rc = ermes__db_step(s);
        if (rc == 1) {
            const char *n = ermes__db_col_text(s, 0);
            snprintf(name, sizeof(name), "%s", n ? n : "");
            lo = ermes__db_col_int(s, 1);
        }
        ermes__db_done(s);
        if (rc <= 0)
            return rc;
        if ((rc = ermes__tx_start(db, &owned)))
            return rc;
        if ((rc = ermes__db_prepare(db, "SELECT gone, dropped FROM ermes_events_drop(?1, ?2, ?3)",
                                    &s)) == 0) {
            ermes__db_bind_text(s, 1, name);
            ermes__db_bind_int(s, 2, cutoff);
            ermes__db_bind_int(s, 3, ERMES__CORR_EVENT);
            if ((rc = ermes__db_step(s)) == 1) {
                gone = ermes__db_col_int(s, 0);
                dropped = ermes__db_col_int(s, 1);
                rc = 0;
            } else if (rc == 0) {
                rc = ERMES_ESTORE;
            }
            ermes__db_done(s);
        }
        if ((rc = ermes__tx_end(db, owned, rc)))
            return rc;
        if (gone < 0)
            return 0; /* an event of it was stored at or after the cut-off */
        out->events += gone;
        out->partitions += dropped; /* not when only kept events were left in it */
        after = lo;
    }
}

typedef struct old_report {
    int64_t id;
    char path[128];
} old_report_t;

/* The file of a report that expires goes unless a report not expired (another than id) holds
 * it. *gone = 1 when it was removed (or was not there). */
static int remove_file(ermes__db_t *db, const char *data_dir, const old_report_t *r, int *gone)
{
    ermes__db_stmt_t *s;
    char full[4400];
    int rc;

    *gone = 0;
    if ((rc = ermes__db_prepare(db,
                                "SELECT 1 FROM reports WHERE path = ?1 AND id <> ?2"
                                " AND expired_at IS NULL LIMIT 1",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, r->path);
    ermes__db_bind_int(s, 2, r->id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc != 0)
        return rc < 0 ? rc : 0; /* shared: stays */
    /* Only the spool's own names: reports/<sha256>. */
    if (strncmp(r->path, "reports/", 8) != 0 || strchr(r->path + 8, '/') || !r->path[8])
        return 0;
    snprintf(full, sizeof(full), "%s/%s", data_dir, r->path);
    if (unlink(full) == 0 || errno == ENOENT) {
        *gone = 1;
        return 0;
    }
    ermes__log(ERMES_LOG_WARNING, "retention: cannot remove %s: %s", full, strerror(errno));
    return 0;
}

/* Marks report r expired: its quarantined rows go, expired_at is set. */
static int expire_report(ermes__db_t *db, int64_t id, int64_t now, ermes__retention_stats_t *out)
{
    ermes__db_stmt_t *s;
    int rc, owned = 0;

    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if ((rc = ermes__db_prepare(db, "DELETE FROM quarantine WHERE report_id = ?1", &s)) == 0) {
        ermes__db_bind_int(s, 1, id);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc >= 0) {
            rc = 0;
            out->quarantined += ermes__db_changes(db);
        }
    }
    if (rc == 0 && (rc = ermes__db_prepare(db,
                                           "UPDATE reports SET expired_at = ?2, updated_at = ?2"
                                           " WHERE id = ?1",
                                           &s)) == 0) {
        ermes__db_bind_int(s, 1, id);
        ermes__db_bind_int(s, 2, now);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc > 0)
            rc = 0;
    }
    return ermes__tx_end(db, owned, rc);
}

static int expire_reports(ermes__db_t *db, const char *data_dir, int64_t cutoff, int64_t now,
                          int dry_run, ermes__retention_stats_t *out)
{
    old_report_t r[64];
    int64_t after = 0;
    int rc = 0;

    for (;;) {
        ermes__db_stmt_t *s;
        size_t n = 0;

        /* A run expires the reports left without events; a dry run, where nothing was
         * deleted, those whose every event would go (stored before the cut-off, linked to
         * no incident). */
        if (dry_run)
            rc = ermes__db_prepare(
                db,
                "SELECT r.id, r.path FROM reports r WHERE r.received_at < ?1"
                " AND r.expired_at IS NULL AND r.state IN ('done', 'failed') AND r.id > ?2"
                " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.report_id = r.id"
                " AND (e.created_at >= ?1 OR EXISTS (SELECT 1 FROM incident_links l"
                " WHERE l.kind = 'event' AND l.object_id = e.id)))"
                " ORDER BY r.id LIMIT 64",
                &s);
        else
            rc = ermes__db_prepare(
                db,
                "SELECT r.id, r.path FROM reports r WHERE r.received_at < ?1"
                " AND r.expired_at IS NULL AND r.state IN ('done', 'failed') AND r.id > ?2"
                " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.report_id = r.id)"
                " ORDER BY r.id LIMIT 64",
                &s);
        if (rc)
            return rc;
        ermes__db_bind_int(s, 1, cutoff);
        ermes__db_bind_int(s, 2, after);
        while (n < 64 && (rc = ermes__db_step(s)) == 1) {
            const char *path = ermes__db_col_text(s, 1);

            r[n].id = ermes__db_col_int(s, 0);
            snprintf(r[n].path, sizeof(r[n].path), "%s", path ? path : "");
            n++;
        }
        ermes__db_done(s);
        if (rc < 0)
            return rc;
        if (n == 0)
            return 0;
        after = r[n - 1].id;
        for (size_t k = 0; k < n; k++) {
            int gone = 0;

            if (dry_run) {
                out->reports++;
                continue;
            }
            /* The file first: a crash after it leaves the report to the next run, which
             * finds the file gone and marks the report then. */
            if ((rc = remove_file(db, data_dir, &r[k], &gone)))
                return rc;
            out->files += gone;
            if ((rc = expire_report(db, r[k].id, now, out)))
                return rc;
            out->reports++;
        }
    }
}

int ermes__store_retention_run(ermes__store_t *st, const char *data_dir, int64_t cutoff_ms,
                               int64_t now_ms, int dry_run, int64_t max_events,
                               ermes__retention_stats_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    int rc;

    memset(out, 0, sizeof(*out));
    if (!db)
        return ERMES_ESTORE;
    if (ermes__db_in_tx(db))
        return ERMES_EINVAL; /* a batch per transaction: the caller's would hold them all */
    if (!dry_run && (rc = drop_partitions(db, cutoff_ms, out)))
        return rc;
    /* max_events bounds the rows deleted one by one: a partition dropped costs one statement. */
    if ((rc = expire_events(st, db, cutoff_ms, dry_run,
                            max_events > 0 ? max_events + out->events : 0, out)))
        return rc;
    /* The time map's blocks left without events (a partition dropped, rows deleted) go:
     * event_time_map.c. */
    if (!dry_run && (out->events || out->partitions) && (rc = ermes__event_time_map_prune(db)))
        return rc;
    /* The reports once their events are gone: with events still to delete, next time. */
    return out->more ? 0 : expire_reports(db, data_dir, cutoff_ms, now_ms, dry_run, out);
}
