/* The store's intake tables: reports, events, the deduplication index and the quarantine. */
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/event_doc.h"
#include "store/store_int.h"

/* A constituent sees only its own organisation's events ("the constituent role sees only its
 * own events"), and never a RED one it does not own. Staff (?1 = 1) see everything. Raw
 * reports and the quarantine hold other organisations' data and are for staff only. */
#define EVENT_OWN "e.org_id = ?2 AND (e.tlp <> 'RED' OR e.owner_org_id = ?2)"
#define EVENT_VISIBLE "(?1 = 1 OR (" EVENT_OWN "))"

static void bind_viewer(ermes_db_stmt_t *s, const ermes_viewer_t *v)
{
    ermes__db_bind_int(s, 1, v && !ermes__viewer_is_staff(v) ? 0 : 1);
    ermes__db_bind_int(s, 2, v ? v->org_id : 0);
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

#define REPORT_COLUMNS                                                                             \
    "id, feed, file_name, path, size, sha256, options, state, error, next_row, rows_in, events, "  \
    "duplicates, quarantined, received_at, processed_at, submitted_by, tlp, owner_org_id"

static void row_to_report(ermes_db_stmt_t *s, ermes_report_t *r)
{
    const char *tlp;

    memset(r, 0, sizeof(*r));
    r->id = ermes__db_col_int(s, 0);
    copy_text(r->feed, sizeof(r->feed), ermes__db_col_text(s, 1));
    copy_text(r->file_name, sizeof(r->file_name), ermes__db_col_text(s, 2));
    copy_text(r->path, sizeof(r->path), ermes__db_col_text(s, 3));
    r->size = ermes__db_col_int(s, 4);
    copy_text(r->sha256, sizeof(r->sha256), ermes__db_col_text(s, 5));
    copy_text(r->options, sizeof(r->options), ermes__db_col_text(s, 6));
    copy_text(r->state, sizeof(r->state), ermes__db_col_text(s, 7));
    copy_text(r->error, sizeof(r->error), ermes__db_col_text(s, 8));
    r->next_row = ermes__db_col_int(s, 9);
    r->rows_in = ermes__db_col_int(s, 10);
    r->events = ermes__db_col_int(s, 11);
    r->duplicates = ermes__db_col_int(s, 12);
    r->quarantined = ermes__db_col_int(s, 13);
    r->received_at = ermes__db_col_int(s, 14);
    r->processed_at = ermes__db_col_int(s, 15);
    copy_text(r->submitted_by, sizeof(r->submitted_by), ermes__db_col_text(s, 16));
    tlp = ermes__db_col_text(s, 17);
    if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &r->tlp))
        r->tlp = ERMES_TLP_RED;
    r->owner_org_id = ermes__db_col_int(s, 18);
}

int ermes_store_report_insert(ermes_store_t *st, ermes_report_t *r)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO reports (feed, file_name, path, size, sha256, "
                                "options, state, received_at, submitted_by, tlp, owner_org_id, "
                                "created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,'received',?7,"
                                "?8,?9,?10,?7,?7) RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, r->feed);
    ermes__db_bind_text(s, 2, r->file_name[0] ? r->file_name : NULL);
    ermes__db_bind_text(s, 3, r->path);
    ermes__db_bind_int(s, 4, r->size);
    ermes__db_bind_text(s, 5, r->sha256);
    ermes__db_bind_text(s, 6, r->options[0] ? r->options : NULL);
    ermes__db_bind_int(s, 7, r->received_at ? r->received_at : now);
    ermes__db_bind_text(s, 8, r->submitted_by);
    ermes__db_bind_text(s, 9, ermes_tlp_name(r->tlp));
    if (r->owner_org_id)
        ermes__db_bind_int(s, 10, r->owner_org_id);
    else
        ermes__db_bind_null(s, 10);
    rc = ermes__db_step(s);
    if (rc == 1) {
        r->id = ermes__db_col_int(s, 0);
        snprintf(r->state, sizeof(r->state), "received");
        if (!r->received_at)
            r->received_at = now;
        rc = 0;
    }
    ermes__db_done(s);
    return rc;
}

int ermes_store_report_get(ermes_store_t *st, const ermes_viewer_t *v, int64_t id,
                           ermes_report_t *out)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (v && !ermes__viewer_is_staff(v))
        return ERMES_ENOTFOUND;
    if ((rc = ermes__db_prepare(db, "SELECT " REPORT_COLUMNS " FROM reports WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_to_report(s, out);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes_store_report_each(ermes_store_t *st, const ermes_viewer_t *v, const char *state,
                            const char *feed, int64_t before_id, long limit,
                            ermes_store_report_cb cb, void *ctx, int *more)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    ermes_report_t r;
    long n = 0;
    int rc;

    *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if (v && !ermes__viewer_is_staff(v))
        return 0;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " REPORT_COLUMNS " FROM reports WHERE (?1 = 0 OR id < ?1)"
                                " AND (?2 IS NULL OR state = ?2) AND (?3 IS NULL OR feed = ?3)"
                                " ORDER BY id DESC LIMIT ?4",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, before_id);
    ermes__db_bind_text(s, 2, state);
    ermes__db_bind_text(s, 3, feed);
    ermes__db_bind_int(s, 4, limit > 0 ? limit + 1 : -1);
    while ((rc = ermes__db_step(s)) == 1) {
        if (limit > 0 && n == limit) {
            *more = 1;
            rc = 0;
            break;
        }
        row_to_report(s, &r);
        if ((rc = cb(ctx, &r)))
            break;
        n++;
    }
    ermes__db_done(s);
    return rc;
}

int ermes_store_report_pending(ermes_store_t *st, int64_t *ids, size_t cap, size_t *n)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id FROM reports WHERE state IN ('received','processing')"
                                " ORDER BY id LIMIT ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, (int64_t)cap);
    while ((rc = ermes__db_step(s)) == 1 && *n < cap)
        ids[(*n)++] = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes_store_report_claim(ermes_store_t *st, int64_t id, int64_t pid, int64_t until,
                             int *claimed)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int64_t holder = 0, lease = 0, now = ermes__time_now_ms();
    int rc, free_ = 0;

    *claimed = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc =
             ermes__db_prepare(db, "SELECT lease_pid, lease_until FROM reports WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        holder = ermes__db_col_int(s, 0);
        lease = ermes__db_col_int(s, 1);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    if (rc)
        return rc;
    /* kill(pid, 0) asks whether the process exists: a holder that crashed left its lease. */
    free_ = holder == 0 || holder == pid || lease < now ||
            (kill((pid_t)holder, 0) != 0 && errno == ESRCH);
    if (!free_)
        return 0;
    /* Compare and swap: the lease changes only if nobody took it in between. */
    if ((rc = ermes__db_prepare(db,
                                "UPDATE reports SET lease_pid = ?2, lease_until = ?3 WHERE id = ?1"
                                " AND COALESCE(lease_pid, 0) = ?4 AND COALESCE(lease_until, 0) = ?5"
                                " RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    if (until) {
        ermes__db_bind_int(s, 2, pid);
        ermes__db_bind_int(s, 3, until);
    }
    ermes__db_bind_int(s, 4, holder);
    ermes__db_bind_int(s, 5, lease);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *claimed = 1;
        rc = 0;
    }
    ermes__db_done(s);
    return rc;
}

int ermes_store_report_update(ermes_store_t *st, const ermes_report_t *r)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE reports SET state = ?2, error = ?3, next_row = ?4, "
                                "rows_in = ?5, events = ?6, duplicates = ?7, quarantined = ?8, "
                                "processed_at = ?9, updated_at = ?10 WHERE id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, r->id);
    ermes__db_bind_text(s, 2, r->state);
    ermes__db_bind_text(s, 3, r->error[0] ? r->error : NULL);
    ermes__db_bind_int(s, 4, r->next_row);
    ermes__db_bind_int(s, 5, r->rows_in);
    ermes__db_bind_int(s, 6, r->events);
    ermes__db_bind_int(s, 7, r->duplicates);
    ermes__db_bind_int(s, 8, r->quarantined);
    if (r->processed_at)
        ermes__db_bind_int(s, 9, r->processed_at);
    else
        ermes__db_bind_null(s, 9);
    ermes__db_bind_int(s, 10, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc;
}

static int event_insert(ermes_store_t *st, ermes_db_t *db, ermes_event_row_t *e);

int ermes_store_event_insert(ermes_store_t *st, ermes_event_row_t *e)
{
    ermes_db_t *db = ermes__db_conn(st);
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    /* In the caller's transaction (the intake's batch), else in one of its own: the names the
     * document numbers and the address index entry commit with the row. */
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    return ermes__tx_end(db, owned, event_insert(st, db, e));
}

static int event_insert(ermes_store_t *st, ermes_db_t *db, ermes_event_row_t *e)
{
    ermes_db_stmt_t *s;
    int rc;

    if (e->event && (rc = ermes__event_doc_pack(st, db, e)))
        return rc;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO events (report_id, row, line, time_source, "
                                "time_observation, feed, taxonomy, type, identifier, source_ip, "
                                "source_asn, source_fqdn, org_id, owner_rule, data, tlp, "
                                "owner_org_id, created_at, updated_at, raw_offset, raw_length) "
                                "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,"
                                "?17,?18,?18,?19,?20)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, e->report_id);
    ermes__db_bind_int(s, 2, e->row);
    ermes__db_bind_int(s, 3, e->line);
    if (e->time_source)
        ermes__db_bind_int(s, 4, e->time_source);
    ermes__db_bind_int(s, 5, e->time_observation);
    ermes__db_bind_text(s, 6, e->feed);
    ermes__db_bind_text(s, 7, e->taxonomy);
    ermes__db_bind_text(s, 8, e->type);
    ermes__db_bind_text(s, 9, e->identifier);
    if (e->source_ip.family)
        ermes__db_bind_blob(s, 10, e->source_ip.bytes,
                            e->source_ip.family == ERMES_AF_INET ? 4 : 16);
    if (e->source_asn)
        ermes__db_bind_int(s, 11, e->source_asn);
    ermes__db_bind_text(s, 12, e->source_fqdn);
    if (e->org_id)
        ermes__db_bind_int(s, 13, e->org_id);
    ermes__db_bind_text(s, 14, e->owner_rule);
    if (e->event)
        ermes__db_bind_blob(s, 15, e->data, e->data_len); /* packed (event_pack.h) */
    else
        ermes__db_bind_textn(s, 15, e->data, e->data_len); /* JSON, as older versions */
    ermes__db_bind_text(s, 16, ermes_tlp_name(e->tlp));
    if (e->owner_org_id)
        ermes__db_bind_int(s, 17, e->owner_org_id);
    if (!e->created_at)
        e->created_at = ermes__time_now_ms(); /* the day event_daily counts it under */
    ermes__db_bind_int(s, 18, e->created_at);
    if (e->raw_offset >= 0 && e->raw_length > 0) {
        ermes__db_bind_int(s, 19, e->raw_offset);
        ermes__db_bind_int(s, 20, e->raw_length);
    }
    rc = ermes__db_step(s);
    if (rc == 0)
        e->id = ermes__db_last_rowid(db);
    ermes__db_done(s);
    if (rc == 0 && e->source_ip.family)
        rc = ermes__event_ips_add(db, &e->source_ip, e->id);
    return rc < 0 ? rc : 0;
}

/* Runs sql (a literal) with ?1 = a and ?2 = b; 1 when it gave a row, 0 when not, or < 0. */
static int run_ids(ermes_db_t *db, const char *sql, int64_t a, int64_t b)
{
    ermes_db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db, sql, &s)))
        return rc;
    ermes__db_bind_int(s, 1, a);
    ermes__db_bind_int(s, 2, b);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc;
}

/* One organisation gone: its events of the batch lose it, as ON DELETE SET NULL does. */
static int orphan(ermes_db_t *db, int64_t org, int64_t first_event_id, size_t *gone)
{
    int rc = run_ids(db, "SELECT 1 FROM organisations WHERE id = ?1 LIMIT ?2", org, 1);

    if (rc != 0)
        return rc < 0 ? rc : 0; /* it exists */
    if ((rc = run_ids(db, "UPDATE events SET org_id = NULL WHERE id >= ?1 AND org_id = ?2",
                      first_event_id, org)) < 0 ||
        (rc = run_ids(db,
                      "UPDATE events SET owner_org_id = NULL WHERE id >= ?1 AND owner_org_id = ?2",
                      first_event_id, org)) < 0)
        return rc;
    if (gone)
        (*gone)++;
    return 0;
}

int ermes_store_events_orphans(ermes_store_t *st, const int64_t *ids, size_t n,
                               int64_t first_event_id, size_t *gone)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int64_t *all = NULL;
    size_t nall = 0, cap = 0;
    int rc = 0;

    if (gone)
        *gone = 0;
    if (!db)
        return ERMES_ESTORE;
    if (ids) {
        for (size_t k = 0; k < n && !rc; k++)
            rc = orphan(db, ids[k], first_event_id, gone);
        return rc;
    }
    /* Too many to have been counted: the batch's own rows say which. */
    if ((rc = ermes__db_prepare(db,
                                "SELECT DISTINCT org_id FROM events WHERE id >= ?1 AND org_id IS"
                                " NOT NULL UNION SELECT DISTINCT owner_org_id FROM events WHERE"
                                " id >= ?1 AND owner_org_id IS NOT NULL",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, first_event_id);
    while ((rc = ermes__db_step(s)) == 1) {
        if (nall == cap) {
            size_t c = cap ? cap * 2 : 64;
            int64_t *v = ermes__reallocarray(all, c, sizeof(*v));
            if (!v) {
                rc = ERMES_ENOMEM;
                break;
            }
            all = v;
            cap = c;
        }
        all[nall++] = ermes__db_col_int(s, 0);
    }
    ermes__db_done(s);
    for (size_t k = 0; k < nall && rc == 0; k++)
        rc = orphan(db, all[k], first_event_id, gone);
    ermes__free(all);
    return rc < 0 ? rc : 0;
}

/* The deduplication log (see src/intake/dedup.c): append-only, read forward by id. */
int ermes_store_dedup_since(ermes_store_t *st, int64_t *after_log, int64_t *after_batch,
                            ermes_store_dedup_cb cb, void *ctx)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* What versions before migration 11 wrote: a row per key. */
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, key, first_seen FROM dedup_log WHERE id > ?1 "
                                "ORDER BY id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, *after_log);
    while ((rc = ermes__db_step(s)) == 1) {
        size_t len;
        const void *key = ermes__db_col_blob(s, 1, &len);
        *after_log = ermes__db_col_int(s, 0);
        if (!key || len != 16)
            continue; /* not a key this version wrote */
        if ((rc = cb(ctx, key, 1, ermes__db_col_int(s, 2))))
            break;
    }
    ermes__db_done(s);
    if (rc)
        return rc < 0 ? rc : rc == 1 ? 0 : rc;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, keys, first_seen FROM dedup_batches WHERE id > ?1"
                                " ORDER BY id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, *after_batch);
    while ((rc = ermes__db_step(s)) == 1) {
        size_t len;
        const uint8_t *keys = ermes__db_col_blob(s, 1, &len);
        *after_batch = ermes__db_col_int(s, 0);
        if (!keys || len % 16)
            continue;
        if ((rc = cb(ctx, keys, len / 16, ermes__db_col_int(s, 2))))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : rc;
}

int ermes_store_dedup_append(ermes_store_t *st, const uint8_t *keys, size_t nkeys,
                             int64_t first_seen, int64_t *batch_id)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (nkeys == 0 || nkeys > SIZE_MAX / 16)
        return ERMES_EINVAL;
    if ((rc = ermes__db_prepare(db, "INSERT INTO dedup_batches (first_seen, keys) VALUES (?1, ?2)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, first_seen);
    ermes__db_bind_blob(s, 2, keys, nkeys * 16);
    rc = ermes__db_step(s);
    if (rc == 0)
        *batch_id = ermes__db_last_rowid(db);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes_store_dedup_secret(ermes_store_t *st, uint8_t secret[16])
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int rc, found = 0;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT secret FROM dedup_secret WHERE id = 1", &s)))
        return rc;
    if ((rc = ermes__db_step(s)) == 1) {
        size_t len;
        const void *p = ermes__db_col_blob(s, 0, &len);
        if (p && len == 16) {
            memcpy(secret, p, 16);
            found = 1;
        }
    }
    ermes__db_done(s);
    if (rc < 0 || found)
        return rc < 0 ? rc : 0;
    if (!ermes__db_in_tx(db))
        return ERMES_EINVAL; /* made in the write transaction that first uses it */
    randombytes_buf(secret, 16);
    if ((rc = ermes__db_prepare(
             db, "INSERT INTO dedup_secret (id, secret) VALUES (1, ?1)"
                 " ON CONFLICT (id) DO UPDATE SET secret = excluded.secret", &s)))
        return rc;
    ermes__db_bind_blob(s, 1, secret, 16);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes_store_dedup_prune(ermes_store_t *st, int64_t before)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* first_seen grows with id (but for reports processed out of order): the rows before the
     * first one still inside the window go, with one range delete on the primary key. */
    if ((rc = ermes__db_prepare(db,
                                "DELETE FROM dedup_log WHERE id < (SELECT coalesce(min(id), "
                                "(SELECT coalesce(max(id), 0) + 1 FROM dedup_log)) FROM "
                                "(SELECT id FROM dedup_log WHERE first_seen >= ?1 ORDER BY "
                                "id LIMIT 1) inside)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, before);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    /* A batch per transaction: few rows, and each is dropped by its own time. */
    if ((rc = ermes__db_prepare(db, "DELETE FROM dedup_batches WHERE first_seen < ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, before);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes_store_quarantine_insert(ermes_store_t *st, int64_t report_id, int64_t row, long line,
                                  const char *raw, size_t raw_len, const char *field,
                                  const char *reason, int64_t owner_org_id)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO quarantine (report_id, row, line, raw, field, reason, "
                                "tlp, owner_org_id, created_at, updated_at) VALUES (?1,?2,?3,?4,"
                                "?5,?6,'AMBER+STRICT',?7,?8,?8)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, report_id);
    ermes__db_bind_int(s, 2, row);
    ermes__db_bind_int(s, 3, line);
    ermes__db_bind_blob(s, 4, raw ? raw : "", raw ? raw_len : 0);
    ermes__db_bind_text(s, 5, field && *field ? field : NULL);
    ermes__db_bind_text(s, 6, reason);
    if (owner_org_id)
        ermes__db_bind_int(s, 7, owner_org_id);
    ermes__db_bind_int(s, 8, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc;
}

#define EVENT_COLUMNS                                                                              \
    "e.id, e.report_id, e.row, e.line, e.time_source, e.time_observation, e.feed, e.taxonomy, "    \
    "e.type, e.identifier, e.source_ip, e.source_asn, e.source_fqdn, e.org_id, e.owner_rule, "     \
    "e.data, e.tlp, e.owner_org_id, e.created_at, e.raw_offset, e.raw_length"

static int row_to_event(ermes_store_t *st, ermes_db_stmt_t *s, ermes_event_row_t *e,
                        ermes__event_doc_t *doc)
{
    size_t len;
    const void *ip;
    const char *tlp;

    memset(e, 0, sizeof(*e));
    e->id = ermes__db_col_int(s, 0);
    e->report_id = ermes__db_col_int(s, 1);
    e->row = ermes__db_col_int(s, 2);
    e->line = (long)ermes__db_col_int(s, 3);
    e->time_source = ermes__db_col_int(s, 4);
    e->time_observation = ermes__db_col_int(s, 5);
    e->feed = ermes__db_col_text(s, 6);
    e->taxonomy = ermes__db_col_text(s, 7);
    e->type = ermes__db_col_text(s, 8);
    e->identifier = ermes__db_col_text(s, 9);
    ip = ermes__db_col_blob(s, 10, &len);
    if (ip && (len == 4 || len == 16)) {
        e->source_ip.family = len == 4 ? ERMES_AF_INET : ERMES_AF_INET6;
        memcpy(e->source_ip.bytes, ip, len);
    }
    e->source_asn = (uint32_t)ermes__db_col_int(s, 11);
    e->source_fqdn = ermes__db_col_text(s, 12);
    e->org_id = ermes__db_col_int(s, 13);
    e->owner_rule = ermes__db_col_text(s, 14);
    tlp = ermes__db_col_text(s, 16);
    if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &e->tlp))
        e->tlp = ERMES_TLP_RED;
    e->owner_org_id = ermes__db_col_int(s, 17);
    e->created_at = ermes__db_col_int(s, 18);
    e->raw_offset = ermes__db_col_null(s, 19) ? -1 : ermes__db_col_int(s, 19);
    e->raw_length = ermes__db_col_null(s, 20) ? 0 : ermes__db_col_int(s, 20);
    return ermes__event_doc_read(st, s, 15, e, doc);
}

/* The first and last address of a network, as the blobs events.source_ip holds. */
static void net_range(const ermes_cidr_t *n, uint8_t lo[16], uint8_t hi[16], size_t *len)
{
    *len = n->addr.family == ERMES_AF_INET ? 4 : 16;
    for (size_t k = 0; k < *len; k++) {
        unsigned bits = (unsigned)n->prefix > k * 8 ? (unsigned)n->prefix - (unsigned)k * 8 : 0;
        uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
        lo[k] = n->addr.bytes[k] & mask;
        hi[k] = (uint8_t)(lo[k] | (uint8_t)~mask);
    }
}

/* The events list: ORG is the org filter's clause or "", VIS the visibility clause or "" (staff
 * see everything). The other filters stay "(?N IS NULL OR ...)": no index of theirs is used,
 * the page is read in id order, which stops at the page's end (an index range on time or
 * address would be sorted whole first: a month of events). */
#define EVENT_LIST_SQL(ORG, VIS, NET)                                                              \
    "SELECT " EVENT_COLUMNS " FROM events e WHERE e.id > ?3"                                       \
    " AND (?4 = 0 OR e.time_source >= ?4)"                                                         \
    " AND (?5 = 0 OR e.time_source < ?5)" ORG " AND (?7 IS NULL OR e.feed = ?7)"                   \
    " AND (?8 IS NULL OR e.taxonomy = ?8)"                                                         \
    " AND (?9 IS NULL OR e.type = ?9)" NET " AND (?12 IS NULL OR e.source_fqdn = ?12"              \
    "  OR substr(e.source_fqdn, length(e.source_fqdn) - length(?12)) = '.' || ?12)"               \
    " AND (?13 = 0 OR e.report_id = ?13)" VIS " ORDER BY e.id LIMIT ?14"

#define ORG_IS " AND e.org_id = ?6"
/* An address or network: the ids event_ips holds for it (a range of its primary key), in id
 * order, drive the list. */
#define EVENT_NET                                                                                  \
    " AND e.id IN (SELECT id FROM event_ips WHERE ip BETWEEN ?10 AND ?11"                          \
    " AND length(ip) = length(?10))"

/* Whether any stored event has f's feed, taxonomy and type (those given), of org_id when it is
 * not 0. Those columns have no index: for a value no event has, the list would read every
 * event to find none (1-2 s with 1,000,000 events; bench/browser-1m.sh). event_daily, written
 * in the transaction that stores the events, answers at once. It may say yes for events the
 * viewer may not see, never no for events that are there. */
static int events_may_match(ermes_db_t *db, const ermes_event_filter_t *f, int64_t org_id, int *yes)
{
    ermes_db_stmt_t *s;
    int rc;

    *yes = 1;
    if (!f->feed && !f->taxonomy && !f->type)
        return 0;
    if ((rc = ermes__db_prepare(db,
                                "SELECT 1 FROM event_daily WHERE (?1 IS NULL OR feed = ?1)"
                                " AND (?2 IS NULL OR taxonomy = ?2) AND (?3 IS NULL OR type = ?3)"
                                " AND (?4 = 0 OR org_id = ?4) LIMIT 1",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, f->feed);
    ermes__db_bind_text(s, 2, f->taxonomy);
    ermes__db_bind_text(s, 3, f->type);
    ermes__db_bind_int(s, 4, org_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    *yes = rc == 1;
    return 0;
}

int ermes_store_event_each(ermes_store_t *st, const ermes_viewer_t *v,
                           const ermes_event_filter_t *f, ermes_store_event_cb cb, void *ctx,
                           int *more)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    ermes_event_row_t e;
    ermes__event_doc_t doc;
    uint8_t lo[16], hi[16];
    size_t iplen = 0;
    long n = 0;
    int own = v && !ermes__viewer_is_staff(v), yes;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = events_may_match(db, f, f->org_id ? f->org_id : own ? v->org_id : 0, &yes)) || !yes)
        return rc;
    {
        /* Eight statements (static text: the statement cache keys on the pointer), so that
         * the planner sees the organisation it may use events_org(org_id, id) for (the
         * viewer's own, a constituent's, or the org filter) and the network it may look up
         * in event_ips. With those written as "(?N = 0 OR
         * e.org_id = ?N)" in one statement it can only walk all events in id order, which
         * for an organisation with few or no events meant reading every row (0.4-1.3 s with
         * 1,000,000 events; bench/browser-1m.sh). */
        static const char *const sql[2][2][2] = {
            {{EVENT_LIST_SQL("", "", ""), EVENT_LIST_SQL("", "", EVENT_NET)},
             {EVENT_LIST_SQL(ORG_IS, "", ""), EVENT_LIST_SQL(ORG_IS, "", EVENT_NET)}},
            {{EVENT_LIST_SQL("", " AND " EVENT_OWN, ""),
              EVENT_LIST_SQL("", " AND " EVENT_OWN, EVENT_NET)},
             {EVENT_LIST_SQL(ORG_IS, " AND " EVENT_OWN, ""),
              EVENT_LIST_SQL(ORG_IS, " AND " EVENT_OWN, EVENT_NET)}},
        };
        if ((rc = ermes__db_prepare(db, sql[own][f->org_id != 0][f->has_net != 0], &s)))
            return rc;
    }
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, f->after_id);
    ermes__db_bind_int(s, 4, f->since);
    ermes__db_bind_int(s, 5, f->until);
    ermes__db_bind_int(s, 6, f->org_id);
    ermes__db_bind_text(s, 7, f->feed);
    ermes__db_bind_text(s, 8, f->taxonomy);
    ermes__db_bind_text(s, 9, f->type);
    if (f->has_net) {
        net_range(&f->net, lo, hi, &iplen);
        ermes__db_bind_blob(s, 10, lo, iplen);
        ermes__db_bind_blob(s, 11, hi, iplen);
    }
    {
        /* Names are stored lower case without the trailing dot: compare the same way. */
        char dom[256];
        size_t dn = 0;
        if (f->domain) {
            for (; f->domain[dn] && dn < sizeof(dom) - 1; dn++)
                dom[dn] = (char)tolower((unsigned char)f->domain[dn]);
            while (dn && dom[dn - 1] == '.')
                dn--;
            dom[dn] = '\0';
        }
        ermes__db_bind_textn(s, 12, f->domain ? dom : NULL, dn);
    }
    ermes__db_bind_int(s, 13, f->report_id);
    ermes__db_bind_int(s, 14, f->limit > 0 ? f->limit + 1 : -1);
    ermes__event_doc_init(&doc);
    while ((rc = ermes__db_step(s)) == 1) {
        if (f->limit > 0 && n == f->limit) {
            if (more)
                *more = 1;
            rc = 0;
            break;
        }
        if ((rc = row_to_event(st, s, &e, &doc)) || (rc = cb(ctx, &e)))
            break;
        n++;
    }
    ermes__db_done(s);
    ermes__event_doc_cleanup(&doc);
    return rc;
}

int ermes_store_event_get(ermes_store_t *st, const ermes_viewer_t *v, int64_t id,
                          ermes_store_event_cb cb, void *ctx)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    ermes_event_row_t e;
    ermes__event_doc_t doc;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db, "SELECT " EVENT_COLUMNS " FROM events e WHERE e.id = ?3 AND " EVENT_VISIBLE, &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, id);
    ermes__event_doc_init(&doc);
    rc = ermes__db_step(s);
    if (rc == 1) {
        if ((rc = row_to_event(st, s, &e, &doc)) == 0)
            rc = cb(ctx, &e);
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    ermes__event_doc_cleanup(&doc);
    return rc;
}

int ermes_store_report_count_retry(ermes_store_t *st, int64_t report_id, int duplicate)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE reports SET quarantined = quarantined - 1, "
                                "events = events + ?2, duplicates = duplicates + ?3 "
                                "WHERE id = ?1 AND quarantined > 0",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, report_id);
    ermes__db_bind_int(s, 2, duplicate ? 0 : 1);
    ermes__db_bind_int(s, 3, duplicate ? 1 : 0);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

#define QUARANTINE_COLUMNS                                                                         \
    "q.id, q.report_id, q.row, q.line, q.raw, q.field, q.reason, q.state, r.feed, q.created_at, "  \
    "q.retried_event_id"

static void row_to_quarantine(ermes_db_stmt_t *s, ermes_quarantine_row_t *q)
{
    memset(q, 0, sizeof(*q));
    q->id = ermes__db_col_int(s, 0);
    q->report_id = ermes__db_col_int(s, 1);
    q->row = ermes__db_col_int(s, 2);
    q->line = (long)ermes__db_col_int(s, 3);
    q->raw = ermes__db_col_blob(s, 4, &q->raw_len);
    q->field = ermes__db_col_text(s, 5);
    q->reason = ermes__db_col_text(s, 6);
    q->state = ermes__db_col_text(s, 7);
    q->feed = ermes__db_col_text(s, 8);
    q->created_at = ermes__db_col_int(s, 9);
    q->retried_event_id = ermes__db_col_int(s, 10);
}

int ermes_store_quarantine_each(ermes_store_t *st, int64_t report_id, const char *state,
                                int64_t after_id, long limit, ermes_store_quarantine_cb cb,
                                void *ctx, int *more)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    ermes_quarantine_row_t q;
    long n = 0;
    int rc;

    *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " QUARANTINE_COLUMNS " FROM quarantine q JOIN reports r "
                                "ON r.id = q.report_id WHERE q.id > ?1 AND (?2 = 0 OR "
                                "q.report_id = ?2) AND (?3 IS NULL OR q.state = ?3) ORDER BY q.id "
                                "LIMIT ?4",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, after_id);
    ermes__db_bind_int(s, 2, report_id);
    ermes__db_bind_text(s, 3, state);
    ermes__db_bind_int(s, 4, limit > 0 ? limit + 1 : -1);
    while ((rc = ermes__db_step(s)) == 1) {
        if (limit > 0 && n == limit) {
            *more = 1;
            rc = 0;
            break;
        }
        row_to_quarantine(s, &q);
        if ((rc = cb(ctx, &q)))
            break;
        n++;
    }
    ermes__db_done(s);
    return rc;
}

int ermes_store_quarantine_get(ermes_store_t *st, int64_t id, ermes_store_quarantine_cb cb,
                               void *ctx)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    ermes_quarantine_row_t q;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " QUARANTINE_COLUMNS " FROM quarantine q JOIN reports r "
                                "ON r.id = q.report_id WHERE q.id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_to_quarantine(s, &q);
        rc = cb(ctx, &q);
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes_store_quarantine_set_state(ermes_store_t *st, int64_t id, const char *state,
                                     int64_t event_id)
{
    ermes_db_t *db = ermes__db_conn(st);
    ermes_db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE quarantine SET state = ?2, retried_event_id = ?3, "
                                "updated_at = ?4 WHERE id = ?1"
                                /* a row is retried once: the second of two racing retries
                                 * finds nothing to update and rolls its event back */
                                " AND (?2 <> 'retried' OR state = 'open') RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, state);
    if (event_id)
        ermes__db_bind_int(s, 3, event_id);
    ermes__db_bind_int(s, 4, ermes__time_now_ms());
    rc = ermes__db_step(s);
    rc = rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
    ermes__db_done(s);
    return rc;
}
