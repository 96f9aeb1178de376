/* The store's sightings: where and when an indicator was seen, one row per (indicator, value,
 * field, log, offset), and the same counted per indicator, constituent and day. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

/* A constituent sees the sightings in its own organisation's traffic (as events: "only its
 * own"), never one of a RED indicator it does not own. Staff (?1 = 1) see every sighting. */
/* A sighting is the business of the constituent it concerns (unless RED and not its own), and
 * of the organisations it names as recipients (PATCH /api/v1/sightings/{id}; tlp_recipients.c):
 * as the TLP policy's named and client masks say, a named organisation every label, the clients
 * of one (organisations whose parent is named) up to AMBER. */
/* clang-format off */
#define SIGHTING_VISIBLE                                                                           \
    "(?1 = 1 OR (s.org_id = ?2 AND (s.tlp <> 'RED' OR s.owner_org_id = ?2))"                       \
    " OR (?2 <> 0 AND EXISTS (SELECT 1 FROM tlp_recipients r_"                                     \
    " WHERE r_.sighting_id = s.id AND r_.org_id = ?2))"                                            \
    " OR (?2 <> 0 AND s.tlp IN ('CLEAR','GREEN','AMBER') AND EXISTS (SELECT 1 FROM"                \
    " tlp_recipients r_ JOIN organisations g_ ON g_.parent_id = r_.org_id"                         \
    " WHERE r_.sighting_id = s.id AND g_.id = ?2)))"
/* clang-format on */
#define COUNT_VISIBLE "(?1 = 1 OR (c.org_id = ?2 AND (i.tlp <> 'RED' OR i.owner_org_id = ?2)))"

static void bind_viewer(ermes__db_stmt_t *s, const ermes__viewer_t *v)
{
    ermes__db_bind_int(s, 1, v && !ermes__viewer_is_staff(v) ? 0 : 1);
    ermes__db_bind_int(s, 2, v ? v->org_id : 0);
}

static ermes_tlp_t tlp_of(const char *t)
{
    ermes_tlp_t tlp;

    return t && !ermes_tlp_parse(t, strlen(t), &tlp) ? tlp : ERMES_TLP_RED;
}

/* "YYYY-MM-DD" of ms (UTC) into day[11]. */
static void day_of(int64_t ms, char day[11])
{
    char buf[ERMES_TIME_STRLEN];

    ermes__time_format(ms, buf);
    memcpy(day, buf, 10);
    day[10] = '\0';
}

int ermes__store_sighting_record(ermes__store_t *st, ermes__sighting_t *sg, int *inserted)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t owner = 0, now = ermes__time_now_ms();
    char day[11];
    int rc, owned;

    *inserted = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if (sg->indicator_id)
        rc =
            ermes__db_prepare(db, "SELECT id, tlp, owner_org_id FROM indicators WHERE id = ?1", &s);
    else
        rc = ermes__db_prepare(db,
                               "SELECT id, tlp, owner_org_id FROM indicators"
                               " WHERE type = ?2 AND value = ?3 AND exact = ?4",
                               &s);
    if (rc)
        goto out;
    if (sg->indicator_id) {
        ermes__db_bind_int(s, 1, sg->indicator_id);
    } else {
        ermes__db_bind_text(s, 2, sg->indicator_type);
        ermes__db_bind_text(s, 3, sg->indicator_value);
        ermes__db_bind_int(s, 4, sg->indicator_exact ? 1 : 0);
    }
    rc = ermes__db_step(s);
    if (rc == 1) {
        sg->indicator_id = ermes__db_col_int(s, 0);
        sg->tlp = tlp_of(ermes__db_col_text(s, 1));
        owner = ermes__db_col_int(s, 2);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    if (rc)
        goto out;
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO sightings (indicator_id, value, field, log_source, line, byte_offset,"
             " event_time, sensor, internal_ip, org_id, tlp, owner_org_id, created_at, updated_at)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)"
             " ON CONFLICT (indicator_id, value, field, log_source, byte_offset) DO NOTHING"
             " RETURNING id",
             &s)))
        goto out;
    ermes__db_bind_int(s, 1, sg->indicator_id);
    ermes__db_bind_text(s, 2, sg->value ? sg->value : "");
    ermes__db_bind_text(s, 3, sg->field ? sg->field : "");
    ermes__db_bind_text(s, 4, sg->log_source ? sg->log_source : "");
    ermes__db_bind_int(s, 5, sg->line);
    ermes__db_bind_int(s, 6, sg->offset);
    ermes__db_bind_int(s, 7, sg->event_time);
    ermes__db_bind_text(s, 8, sg->sensor);
    ermes__db_bind_text(s, 9, sg->internal_ip);
    if (sg->org_id)
        ermes__db_bind_int(s, 10, sg->org_id);
    else
        ermes__db_bind_null(s, 10);
    ermes__db_bind_text(s, 11, ermes_tlp_name(sg->tlp));
    if (owner)
        ermes__db_bind_int(s, 12, owner);
    else
        ermes__db_bind_null(s, 12);
    ermes__db_bind_int(s, 13, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        sg->id = ermes__db_col_int(s, 0);
        sg->created_at = now;
        *inserted = 1;
    }
    ermes__db_done(s);
    if (rc < 0 || !*inserted) {
        rc = rc < 0 ? rc : 0;
        goto out;
    }
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO sighting_counts (indicator_id, org_id, day, count, first_seen,"
             " last_seen) VALUES (?1, ?2, ?3, 1, ?4, ?4)"
             " ON CONFLICT (indicator_id, org_id, day) DO UPDATE SET count = sighting_counts.count "
             "+ 1,"
             " first_seen = CASE WHEN excluded.first_seen < sighting_counts.first_seen"
             "  THEN excluded.first_seen ELSE sighting_counts.first_seen END,"
             " last_seen = CASE WHEN excluded.last_seen > sighting_counts.last_seen"
             "  THEN excluded.last_seen ELSE sighting_counts.last_seen END",
             &s)))
        goto out;
    day_of(sg->event_time, day);
    ermes__db_bind_int(s, 1, sg->indicator_id);
    ermes__db_bind_int(s, 2, sg->org_id);
    ermes__db_bind_text(s, 3, day);
    ermes__db_bind_int(s, 4, sg->event_time);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    rc = rc < 0 ? rc : 0;
out:
    if (rc)
        *inserted = 0;
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_sighting_each(ermes__store_t *st, const ermes__viewer_t *v,
                               const ermes__sighting_filter_t *f, ermes__store_sighting_cb cb,
                               void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__sighting_t sg;
    long n = 0;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "SELECT s.id, s.indicator_id, i.type, i.value, s.value, s.field, s.log_source,"
             " s.line, s.byte_offset, s.event_time, s.sensor, s.internal_ip, s.org_id, s.tlp,"
             " s.created_at FROM sightings s JOIN indicators i ON i.id = s.indicator_id"
             " WHERE s.id > ?3 AND (?4 = 0 OR s.indicator_id = ?4)"
             " AND (?5 IS NULL OR s.value = ?5 OR i.value = ?5)"
             " AND (?6 = 0 OR s.org_id = ?6)"
             " AND (?7 = 0 OR s.event_time >= ?7) AND (?8 = 0 OR s.event_time < ?8)"
             " AND (?9 IS NULL OR s.sensor = ?9)"
             " AND (?11 IS NULL OR s.value = ?11 OR s.internal_ip = ?11)"
             " AND " SIGHTING_VISIBLE " ORDER BY s.id LIMIT ?10",
             &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, f->after_id);
    ermes__db_bind_int(s, 4, f->indicator_id);
    ermes__db_bind_text(s, 5, f->value);
    ermes__db_bind_int(s, 6, f->org_id);
    ermes__db_bind_int(s, 7, f->since);
    ermes__db_bind_int(s, 8, f->until);
    ermes__db_bind_text(s, 9, f->sensor);
    ermes__db_bind_int(s, 10, ermes__page_limit(f->limit));
    ermes__db_bind_text(s, 11, f->address);
    while ((rc = ermes__page_step(s, f->limit, &n, more)) == 1) {
        memset(&sg, 0, sizeof(sg));
        sg.id = ermes__db_col_int(s, 0);
        sg.indicator_id = ermes__db_col_int(s, 1);
        sg.indicator_type = ermes__db_col_text(s, 2);
        sg.indicator_value = ermes__db_col_text(s, 3);
        sg.value = ermes__db_col_text(s, 4);
        sg.field = ermes__db_col_text(s, 5);
        sg.log_source = ermes__db_col_text(s, 6);
        sg.line = ermes__db_col_int(s, 7);
        sg.offset = ermes__db_col_int(s, 8);
        sg.event_time = ermes__db_col_int(s, 9);
        sg.sensor = ermes__db_col_text(s, 10);
        sg.internal_ip = ermes__db_col_text(s, 11);
        sg.org_id = ermes__db_col_int(s, 12);
        sg.tlp = tlp_of(ermes__db_col_text(s, 13));
        sg.created_at = ermes__db_col_int(s, 14);
        if ((rc = cb(ctx, &sg)))
            break;
    }
    ermes__db_done(s);
    return rc == 1 ? 0 : rc;
}

int ermes__store_sighting_count_each(ermes__store_t *st, const ermes__viewer_t *v,
                                     const ermes__sighting_filter_t *f,
                                     ermes__store_sighting_count_cb cb, void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__sighting_count_t c;
    char since[11], until[11];
    long n = 0;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    /* The cursor is the count's id (migration 54: SQLite's implicit rowid before, which a
     * VACUUM may renumber). */
    if ((rc = ermes__db_prepare(
             db,
             "SELECT c.id, c.indicator_id, i.type, i.value, c.org_id, c.day, c.count,"
             " c.first_seen, c.last_seen FROM sighting_counts c"
             " JOIN indicators i ON i.id = c.indicator_id"
             " WHERE c.id > ?3 AND (?4 = 0 OR c.indicator_id = ?4)"
             " AND (?5 IS NULL OR i.value = ?5) AND (?6 = 0 OR c.org_id = ?6)"
             " AND (?7 IS NULL OR c.day >= ?7) AND (?8 IS NULL OR c.day <= ?8)"
             " AND " COUNT_VISIBLE " ORDER BY c.id LIMIT ?9",
             &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, f->after_id);
    ermes__db_bind_int(s, 4, f->indicator_id);
    ermes__db_bind_text(s, 5, f->value);
    ermes__db_bind_int(s, 6, f->org_id);
    if (f->since) {
        day_of(f->since, since);
        ermes__db_bind_text(s, 7, since);
    } else {
        ermes__db_bind_null(s, 7);
    }
    if (f->until) {
        /* until is exclusive: the last day is the one holding the millisecond before it. */
        day_of(f->until - 1, until);
        ermes__db_bind_text(s, 8, until);
    } else {
        ermes__db_bind_null(s, 8);
    }
    ermes__db_bind_int(s, 9, ermes__page_limit(f->limit));
    while ((rc = ermes__page_step(s, f->limit, &n, more)) == 1) {
        memset(&c, 0, sizeof(c));
        c.id = ermes__db_col_int(s, 0);
        c.indicator_id = ermes__db_col_int(s, 1);
        c.indicator_type = ermes__db_col_text(s, 2);
        c.indicator_value = ermes__db_col_text(s, 3);
        c.org_id = ermes__db_col_int(s, 4);
        c.day = ermes__db_col_text(s, 5);
        c.count = ermes__db_col_int(s, 6);
        c.first_seen = ermes__db_col_int(s, 7);
        c.last_seen = ermes__db_col_int(s, 8);
        if ((rc = cb(ctx, &c)))
            break;
    }
    ermes__db_done(s);
    return rc == 1 ? 0 : rc;
}
