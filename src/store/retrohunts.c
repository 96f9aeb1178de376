/* The store's retro-hunt jobs: queued by the API, the CLI or the daemon itself when indicators
 * are added, claimed one at a time by the daemon's hunter, their progress written as they run. */
#include "store/store.h"

#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

#define RH_COLUMNS                                                                                 \
    "id, state, indicator_ids, min_indicator_id, max_indicator_id, archive, indicators,"           \
    " files_total, files_done, files_failed, bytes_total, bytes_done, bytes_scanned, records,"     \
    " matches, sightings, current_file, error, cancel_requested, retry_of, requested_by,"          \
    " created_at, started_at, finished_at, updated_at"

static void row_of(ermes__db_stmt_t *s, ermes__retrohunt_t *r)
{
    int state = ermes__retrohunt_state_parse(ermes__db_col_text(s, 1));

    memset(r, 0, sizeof(*r));
    r->id = ermes__db_col_int(s, 0);
    r->state = state < 0 ? ERMES_RETRO_FAILED : (ermes_retro_state_t)state;
    r->indicator_ids = ermes__db_col_text(s, 2);
    r->min_indicator_id = ermes__db_col_int(s, 3);
    r->max_indicator_id = ermes__db_col_int(s, 4);
    r->archive = ermes__db_col_text(s, 5);
    r->indicators = ermes__db_col_int(s, 6);
    r->files_total = (uint64_t)ermes__db_col_int(s, 7);
    r->files_done = (uint64_t)ermes__db_col_int(s, 8);
    r->files_failed = (uint64_t)ermes__db_col_int(s, 9);
    r->bytes_total = (uint64_t)ermes__db_col_int(s, 10);
    r->bytes_done = (uint64_t)ermes__db_col_int(s, 11);
    r->bytes_scanned = (uint64_t)ermes__db_col_int(s, 12);
    r->records = (uint64_t)ermes__db_col_int(s, 13);
    r->matches = (uint64_t)ermes__db_col_int(s, 14);
    r->sightings = (uint64_t)ermes__db_col_int(s, 15);
    r->current_file = ermes__db_col_text(s, 16);
    r->error = ermes__db_col_text(s, 17);
    r->cancel_requested = (int)ermes__db_col_int(s, 18);
    r->retry_of = ermes__db_col_int(s, 19);
    r->requested_by = ermes__db_col_text(s, 20);
    r->created_at = ermes__db_col_int(s, 21);
    r->started_at = ermes__db_col_int(s, 22);
    r->finished_at = ermes__db_col_int(s, 23);
    r->updated_at = ermes__db_col_int(s, 24);
}

static int insert(ermes__db_t *db, const ermes__retrohunt_t *r, int64_t *id)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO retrohunts (state, indicator_ids, min_indicator_id,"
                                " max_indicator_id, archive, requested_by, retry_of, tlp,"
                                " owner_org_id, created_at, updated_at)"
                                " VALUES ('queued', ?1, ?2, ?3, ?4, ?5, ?6, 'AMBER',"
                                " (SELECT MIN(id) FROM organisations), ?7, ?7) RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, r->indicator_ids);
    ermes__db_bind_int(s, 2, r->min_indicator_id);
    ermes__db_bind_int(s, 3, r->max_indicator_id);
    ermes__db_bind_text(s, 4, r->archive);
    ermes__db_bind_text(s, 5, r->requested_by ? r->requested_by : "");
    if (r->retry_of)
        ermes__db_bind_int(s, 6, r->retry_of);
    else
        ermes__db_bind_null(s, 6);
    ermes__db_bind_int(s, 7, ermes__time_now_ms());
    rc = ermes__db_step(s);
    if (rc == 1)
        *id = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_retrohunt_add(ermes__store_t *st, const ermes__retrohunt_t *r, int64_t *id)
{
    ermes__db_t *db = ermes__db_conn(st);

    if (!db)
        return ERMES_ESTORE;
    return insert(db, r, id);
}

/* One integer from a query without parameters (0 for NULL). */
static int scalar(ermes__db_t *db, ermes__db_stmt_t *s, int64_t *out)
{
    int rc = ermes__db_step(s);

    (void)db;
    *out = rc == 1 ? ermes__db_col_int(s, 0) : 0;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_retrohunt_hunted(ermes__store_t *st, int64_t *hunted, int64_t *newest)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT MAX(max_indicator_id) FROM retrohunts"
                                " WHERE indicator_ids IS NULL",
                                &s)) ||
        (rc = scalar(db, s, hunted)))
        return rc;
    if ((rc = ermes__db_prepare(db, "SELECT MAX(id) FROM indicators", &s)) ||
        (rc = scalar(db, s, newest)))
        return rc;
    return 0;
}

int ermes__store_retrohunt_add_new(ermes__store_t *st, const char *archive,
                                   const char *requested_by, int64_t *id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__retrohunt_t r;
    int owned, rc;

    if (!db)
        return ERMES_ESTORE;
    *id = 0;
    memset(&r, 0, sizeof(r));
    /* Read and insert in one write transaction: two callers never queue the same range. */
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    rc = ermes__store_retrohunt_hunted(st, &r.min_indicator_id, &r.max_indicator_id);
    if (rc == 0 && r.max_indicator_id > r.min_indicator_id) {
        r.archive = archive;
        r.requested_by = requested_by;
        rc = insert(db, &r, id);
    }
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_retrohunt_get(ermes__store_t *st, int64_t id, ermes__store_retrohunt_cb cb,
                               void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__retrohunt_t r;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT " RH_COLUMNS " FROM retrohunts WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_of(s, &r);
        rc = cb ? cb(ctx, &r) : 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_retrohunt_each(ermes__store_t *st, int64_t before_id, long limit,
                                ermes__store_retrohunt_cb cb, void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__retrohunt_t r;
    long n = 0;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " RH_COLUMNS " FROM retrohunts"
                                " WHERE (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, before_id);
    ermes__db_bind_int(s, 2, ermes__page_limit(limit));
    while ((rc = ermes__page_step(s, limit, &n, more)) == 1) {
        row_of(s, &r);
        if ((rc = cb(ctx, &r)))
            break;
    }
    ermes__db_done(s);
    return rc == 1 ? 0 : rc;
}

int ermes__store_retrohunt_claim(ermes__store_t *st, int64_t *id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* A job can be done before this daemon's first heartbeat: its holder must be known to
     * the others (and to whoever watches) from the start. */
    ermes__lease_register(db);
    if ((rc = ermes__db_prepare(db,
                                "UPDATE retrohunts SET state = 'running', started_at = ?1,"
                                " updated_at = ?1, lease_owner = ?2, lease_until = ?3"
                                " WHERE id = (SELECT id FROM retrohunts WHERE state = 'queued'"
                                " ORDER BY id LIMIT 1) AND state = 'queued' RETURNING id",
                                &s)))
        return rc;
    /* Two daemons may pick the same job: the state is checked again on the row itself (on
     * PostgreSQL after the other's update commits), so one of them gets it. */
    ermes__db_bind_int(s, 1, ermes__time_now_ms());
    ermes__db_bind_int(s, 2, ermes__instance_id());
    ermes__db_bind_int(s, 3, ermes__time_now_ms() + ermes__lease_ms());
    rc = ermes__db_step(s);
    if (rc == 1) {
        *id = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_retrohunt_update(ermes__store_t *st, const ermes__retrohunt_t *r)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int finished = r->state != ERMES_RETRO_RUNNING && r->state != ERMES_RETRO_QUEUED;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "UPDATE retrohunts SET state = ?2, indicators = ?3, files_total = ?4,"
             " files_done = ?5, files_failed = ?6, bytes_total = ?7, bytes_done = ?8,"
             " bytes_scanned = ?9, records = ?10, matches = ?11, sightings = ?12,"
             " current_file = ?13, error = ?14, finished_at = ?15, updated_at = ?16,"
             " lease_until = ?18"
             " WHERE id = ?1 AND state = 'running' AND COALESCE(lease_owner, ?17) = ?17 RETURNING "
             "id",
             &s)))
        return rc;
    ermes__db_bind_int(s, 1, r->id);
    ermes__db_bind_text(s, 2, ermes_retro_state_name(r->state));
    ermes__db_bind_int(s, 3, r->indicators);
    ermes__db_bind_int(s, 4, (int64_t)r->files_total);
    ermes__db_bind_int(s, 5, (int64_t)r->files_done);
    ermes__db_bind_int(s, 6, (int64_t)r->files_failed);
    ermes__db_bind_int(s, 7, (int64_t)r->bytes_total);
    ermes__db_bind_int(s, 8, (int64_t)r->bytes_done);
    ermes__db_bind_int(s, 9, (int64_t)r->bytes_scanned);
    ermes__db_bind_int(s, 10, (int64_t)r->records);
    ermes__db_bind_int(s, 11, (int64_t)r->matches);
    ermes__db_bind_int(s, 12, (int64_t)r->sightings);
    ermes__db_bind_text(s, 13, r->current_file && r->current_file[0] ? r->current_file : NULL);
    ermes__db_bind_text(s, 14, r->error && r->error[0] ? r->error : NULL);
    if (finished)
        ermes__db_bind_int(s, 15, now);
    else
        ermes__db_bind_null(s, 15);
    ermes__db_bind_int(s, 16, now);
    ermes__db_bind_int(s, 17, ermes__instance_id());
    /* A running job's lease renewed; a finished one's given back. */
    if (r->state == ERMES_RETRO_RUNNING)
        ermes__db_bind_int(s, 18, now + ermes__lease_ms());
    else
        ermes__db_bind_null(s, 18);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    /* No row: another instance took the job over (this one's lease ran out, and the job was
     * failed and queued again), or it ended already. */
    return rc < 0 ? rc : rc == 0 ? ERMES_ECONFLICT : 0;
}

int ermes__store_retrohunt_cancel(ermes__store_t *st, int64_t id, ermes_retro_state_t *state)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int owned, rc, cur;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if ((rc = ermes__db_prepare(db, "SELECT state FROM retrohunts WHERE id = ?1", &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    cur = rc == 1 ? ermes__retrohunt_state_parse(ermes__db_col_text(s, 0)) : -1;
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    if (rc == 0) {
        rc = ERMES_ENOTFOUND;
        goto out;
    }
    *state = (ermes_retro_state_t)cur;
    if (cur != ERMES_RETRO_QUEUED && cur != ERMES_RETRO_RUNNING) {
        rc = ERMES_ECONFLICT;
        goto out;
    }
    /* A queued job is cancelled here; a running one is asked to stop, and its hunter writes
     * the final state when it has. */
    if ((rc = ermes__db_prepare(db,
                                "UPDATE retrohunts SET cancel_requested = 1, updated_at = ?2,"
                                " state = CASE state WHEN 'queued' THEN 'cancelled' ELSE state END,"
                                " finished_at = CASE state WHEN 'queued' THEN ?2 ELSE NULL END"
                                " WHERE id = ?1",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    rc = rc < 0 ? rc : 0;
out:
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_retrohunt_cancel_requested(ermes__store_t *st, int64_t id, int *yes)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t v = 0;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT cancel_requested FROM retrohunts WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = scalar(db, s, &v);
    *yes = v != 0;
    return rc;
}

int ermes__store_retrohunt_requeue(ermes__store_t *st, int64_t id, const char *why, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int owned, rc;

    if (!db)
        return ERMES_ESTORE;
    *n = 0;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    /* The copies first, while the interrupted jobs are still the running ones. */
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO retrohunts (state, indicator_ids, min_indicator_id, max_indicator_id,"
             " archive, requested_by, retry_of, tlp, owner_org_id, created_at, updated_at)"
             " SELECT 'queued', indicator_ids, min_indicator_id, max_indicator_id, archive,"
             " requested_by, id, tlp, owner_org_id, ?2, ?2 FROM retrohunts"
             " WHERE state = 'running' AND cancel_requested = 0 AND (?1 = 0 OR id = ?1)"
             " ORDER BY id",
             &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    /* A job that was being cancelled when the daemon stopped ends cancelled, not re-run. */
    if ((rc = ermes__db_prepare(db,
                                "UPDATE retrohunts SET state = CASE cancel_requested WHEN 0 THEN"
                                " 'failed' ELSE 'cancelled' END, error = CASE cancel_requested"
                                " WHEN 0 THEN ?2 ELSE error END, finished_at = ?3, updated_at = ?3,"
                                " current_file = NULL, lease_owner = NULL, lease_until = NULL"
                                " WHERE state = 'running' AND (?1 = 0 OR id = ?1) RETURNING id",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, why);
    ermes__db_bind_int(s, 3, now);
    while ((rc = ermes__db_step(s)) == 1)
        (*n)++;
    ermes__db_done(s);
    rc = rc < 0 ? rc : 0;
out:
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_retrohunt_recover(ermes__store_t *st, const char *why, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    struct {
        int64_t id, owner, until;
    } rows[64];
    size_t nrows = 0, one;
    int64_t now = ermes__time_now_ms();
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, COALESCE(lease_owner, 0), COALESCE(lease_until, 0)"
                                " FROM retrohunts WHERE state = 'running' ORDER BY id LIMIT 64",
                                &s)))
        return rc;
    while ((rc = ermes__db_step(s)) == 1 && nrows < 64) {
        rows[nrows].id = ermes__db_col_int(s, 0);
        rows[nrows].owner = ermes__db_col_int(s, 1);
        rows[nrows].until = ermes__db_col_int(s, 2);
        nrows++;
    }
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    for (size_t k = 0; k < nrows; k++) {
        /* This instance's own running job is the hunter's; a job of a live instance is its. */
        if (ermes__lease_holds(rows[k].owner, rows[k].until, now, ermes__instance_id(), 1,
                               rows[k].until >= now && ermes__instance_gone(db, rows[k].owner)))
            continue;
        /* Requeued only while still running: of two instances recovering it, one does. */
        if ((rc = ermes__store_retrohunt_requeue(st, rows[k].id, why, &one)))
            return rc;
        *n += one;
    }
    return 0;
}
