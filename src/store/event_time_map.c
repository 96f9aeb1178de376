/* The events' time map (migration 70): for each block of ids, the least and the greatest
 * time.source of its events, the time the list's since/until filter on. On PostgreSQL a block is
 * a partition of events (event_partitions), so the id ranges a time filter reads let the planner
 * leave the other partitions out; on SQLite a block is min(event_partition_width, 100,000) ids
 * from a multiple of it. The intake keeps it in the transaction that stores the events: the
 * batch's (id, time) pairs are kept in memory (ermes__event_times_add, through the tally) and
 * written as one upsert per block just before the batch commits, so a reader never sees an
 * event its block's row does not cover. An event without time.source never matches a time
 * filter and is not in the map. Retention removes the rows of blocks left without events;
 * `ermes migrate` fills the target's map again from the events it copied. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/db_int.h"
#include "store/store_int.h"

/* On SQLite a block holds at most this many ids: it costs only its row in the map, and smaller
 * blocks let a filter on time skip more. */
#define SQLITE_BLOCK_MAX INT64_C(100000)

int ermes__event_times_add(ermes__event_times_t *t, int64_t id, int64_t time)
{
    if (!time || id <= 0)
        return 0; /* no time.source: no time filter matches it */
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        ermes__event_time_t *v = ermes__reallocarray(t->v, cap, sizeof(*v));
        if (!v)
            return ERMES_ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n].id = id;
    t->v[t->n].time = time;
    t->n++;
    return 0;
}

void ermes__event_times_cleanup(ermes__event_times_t *t)
{
    ermes__free(t->v);
    memset(t, 0, sizeof(*t));
}

static int by_id(const void *a, const void *b)
{
    const ermes__event_time_t *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

static int upsert(ermes__db_t *db, int64_t lo, int64_t hi, int64_t mn, int64_t mx)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO event_time_map (lo, hi, min_time, max_time) VALUES"
                                " (?1, ?2, ?3, ?4) ON CONFLICT (lo, hi) DO UPDATE SET"
                                " min_time = CASE WHEN excluded.min_time < event_time_map.min_time"
                                " THEN excluded.min_time ELSE event_time_map.min_time END,"
                                " max_time = CASE WHEN excluded.max_time > event_time_map.max_time"
                                " THEN excluded.max_time ELSE event_time_map.max_time END",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, lo);
    ermes__db_bind_int(s, 2, hi);
    ermes__db_bind_int(s, 3, mn);
    ermes__db_bind_int(s, 4, mx);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

/* The rows v[*k..) whose ids are below hi: their least and greatest time into the block
 * [lo, hi); *k moves past them. */
static int block(ermes__db_t *db, const ermes__event_times_t *t, size_t *k, int64_t lo, int64_t hi)
{
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    size_t n = 0;

    for (; *k < t->n && t->v[*k].id < hi; (*k)++, n++) {
        if (t->v[*k].time < mn)
            mn = t->v[*k].time;
        if (t->v[*k].time > mx)
            mx = t->v[*k].time;
    }
    return n ? upsert(db, lo, hi, mn, mx) : 0;
}

int ermes__event_times_flush(ermes__event_times_t *t, ermes__store_t *st, ermes__db_t *db)
{
    size_t k = 0;
    int rc = 0;

    if (!t->n)
        return 0;
    qsort(t->v, t->n, sizeof(t->v[0]), by_id);
    if (ermes__db_kind(db) == ERMES__DB_POSTGRESQL) {
        /* The partitions the batch's ids fall in, in order (a few at most). */
        ermes__db_stmt_t *s;
        int64_t *b = NULL;
        size_t nb = 0, cap = 0;

        if ((rc = ermes__db_prepare(db,
                                    "SELECT lo, hi FROM event_partitions WHERE hi > ?1 AND lo <= ?2"
                                    " ORDER BY lo",
                                    &s)))
            goto out;
        ermes__db_bind_int(s, 1, t->v[0].id);
        ermes__db_bind_int(s, 2, t->v[t->n - 1].id);
        while ((rc = ermes__db_step(s)) == 1) {
            if (nb + 2 > cap) {
                size_t c = cap ? cap * 2 : 16;
                int64_t *v = ermes__reallocarray(b, c, sizeof(*v));
                if (!v) {
                    rc = ERMES_ENOMEM;
                    break;
                }
                b = v;
                cap = c;
            }
            b[nb++] = ermes__db_col_int(s, 0);
            b[nb++] = ermes__db_col_int(s, 1);
        }
        ermes__db_done(s);
        for (size_t j = 0; rc == 0 && j < nb; j += 2) {
            while (k < t->n && t->v[k].id < b[j])
                k++; /* below every partition: cannot be (an insert there fails) */
            rc = block(db, t, &k, b[j], b[j + 1]);
        }
        ermes__free(b);
        /* An id no partition holds would be an event the map misses: refuse the batch. */
        if (rc == 0 && k < t->n)
            rc = ERMES_ESTORE;
    } else {
        int64_t w = ermes__store_event_block(st);
        while (rc == 0 && k < t->n) {
            int64_t lo = t->v[k].id / w * w;
            rc = block(db, t, &k, lo, lo + w);
        }
    }
out:
    t->n = 0; /* written or not: on failure the transaction rolls back */
    return rc < 0 ? rc : 0;
}

int64_t ermes__store_event_block(ermes__store_t *st)
{
    int64_t w = st ? __atomic_load_n(&st->event_width, __ATOMIC_RELAXED) : 0;

    if (w <= 0)
        w = ERMES__EVENT_WIDTH_DEFAULT;
    return w < SQLITE_BLOCK_MAX ? w : SQLITE_BLOCK_MAX;
}

int ermes__store_event_width(ermes__store_t *st, int64_t width, int write)
{
    ermes__db_t *db;
    ermes__db_stmt_t *s;
    int rc;

    if (width < 1)
        return ERMES_EINVAL;
    __atomic_store_n(&st->event_width, width, __ATOMIC_RELAXED);
    if (!write)
        return 0;
    if (!(db = ermes__db_conn(st)))
        return ERMES_ESTORE;
    if (ermes__db_kind(db) != ERMES__DB_POSTGRESQL)
        return 0;
    /* The partitions made from now on (ermes_events_ensure reads it); those made stay. */
    if ((rc = ermes__db_prepare(db, "UPDATE event_partitioning SET width = ?1 WHERE width <> ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, width);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__event_time_ranges(ermes__db_t *db, int64_t since, int64_t until, ermes__id_range_t **out,
                             size_t *n)
{
    ermes__db_stmt_t *s;
    ermes__id_range_t *v = NULL;
    size_t nv = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    /* Blocks that overlap: sorted by lo, each merged into the last range when it touches it. */
    if ((rc = ermes__db_prepare(db,
                                "SELECT lo, hi FROM event_time_map WHERE (?1 = 0 OR max_time >= ?1)"
                                " AND (?2 = 0 OR min_time < ?2) ORDER BY lo, hi",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, since);
    ermes__db_bind_int(s, 2, until);
    while ((rc = ermes__db_step(s)) == 1) {
        int64_t lo = ermes__db_col_int(s, 0), hi = ermes__db_col_int(s, 1);
        if (nv && lo <= v[nv - 1].hi) {
            if (hi > v[nv - 1].hi)
                v[nv - 1].hi = hi;
            continue;
        }
        if (nv == cap) {
            size_t c = cap ? cap * 2 : 16;
            ermes__id_range_t *g = ermes__reallocarray(v, c, sizeof(*g));
            if (!g) {
                rc = ERMES_ENOMEM;
                break;
            }
            v = g;
            cap = c;
        }
        v[nv].lo = lo;
        v[nv].hi = hi;
        nv++;
    }
    ermes__db_done(s);
    if (rc < 0) {
        ermes__free(v);
        return rc;
    }
    *out = v;
    *n = nv;
    return 0;
}

int ermes__event_time_map_prune(ermes__db_t *db)
{
    /* A block whose events are all gone (retention: a partition dropped, rows deleted). The
     * rows of blocks still holding events stay as they are: their range of time may be wider
     * than what is left, which costs a read, never a miss. In a write transaction (the
     * intake's lock on PostgreSQL): a batch storing events into a block whose older events
     * are all gone cannot commit between the check and the delete. */
    int owned, rc;

    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    rc = ermes__db_exec(db, "DELETE FROM event_time_map WHERE NOT EXISTS (SELECT 1 FROM events e"
                            " WHERE e.id >= event_time_map.lo AND e.id < event_time_map.hi)");
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_event_time_map_fill(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_exec(db, "DELETE FROM event_time_map")))
        return rc;
    if (ermes__db_kind(db) == ERMES__DB_POSTGRESQL)
        /* As migration 70: a partition's least and greatest time. */
        return ermes__db_exec(
            db, "INSERT INTO event_time_map (lo, hi, min_time, max_time)"
                " SELECT p.lo, p.hi, t.mn, t.mx FROM event_partitions p CROSS JOIN LATERAL (SELECT"
                " min(e.time_source) AS mn, max(e.time_source) AS mx FROM events e WHERE e.id >="
                " p.lo AND e.id < p.hi) t WHERE t.mn IS NOT NULL");
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO event_time_map (lo, hi, min_time, max_time)"
                                " SELECT (id / ?1) * ?1, (id / ?1) * ?1 + ?1, min(time_source),"
                                " max(time_source) FROM events WHERE time_source IS NOT NULL"
                                " GROUP BY id / ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, ermes__store_event_block(st));
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
