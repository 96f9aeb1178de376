/* The dashboard's figures: event_daily, kept by the intake (the tally below), and small
 * aggregate queries over tables that stay small (notifications, quarantine, reports). */
#include "store/store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "store/store_int.h"

#define TALLY_SLOTS 1024 /* power of two; more distinct keys in a batch grow the table */

typedef struct tally_entry {
    char day[11];
    int64_t org_id;
    char *feed, *taxonomy, *type; /* owned */
    int hidden;
    int64_t count;          /* 0: empty slot */
    int64_t by_observation; /* of count, those without a time.source */
} tally_entry_t;

struct ermes__event_tally {
    tally_entry_t *slots;
    size_t cap, used;
    ermes__event_times_t times; /* the events' ids and times, for the time map */
};

int ermes__event_tally_new(ermes__event_tally_t **out)
{
    ermes__event_tally_t *t = ermes__calloc(1, sizeof(*t));

    if (!t || !(t->slots = ermes__calloc(TALLY_SLOTS, sizeof(*t->slots)))) {
        ermes__free(t);
        return ERMES_ENOMEM;
    }
    t->cap = TALLY_SLOTS;
    *out = t;
    return 0;
}

static void clear(ermes__event_tally_t *t)
{
    for (size_t k = 0; k < t->cap; k++) {
        tally_entry_t *e = &t->slots[k];
        if (!e->count)
            continue;
        ermes__free(e->feed);
        ermes__free(e->taxonomy);
        ermes__free(e->type);
        memset(e, 0, sizeof(*e));
    }
    t->used = 0;
}

void ermes__event_tally_free(ermes__event_tally_t *t)
{
    if (!t)
        return;
    clear(t);
    ermes__event_times_cleanup(&t->times);
    ermes__free(t->slots);
    ermes__free(t);
}

static uint64_t mix(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (h ^ 0xff) * 1099511628211u;
}

static uint64_t key_hash(const char *day, int64_t org, const char *feed, const char *tax,
                         const char *type, int hidden)
{
    uint64_t h = 14695981039346656037u;

    h = mix(h, day);
    h = (h ^ (uint64_t)org) * 1099511628211u;
    h = mix(mix(mix(h, feed), tax), type);
    return (h ^ (uint64_t)hidden) * 1099511628211u;
}

static int same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static tally_entry_t *slot_for(ermes__event_tally_t *t, const char *day, int64_t org,
                               const char *feed, const char *tax, const char *type, int hidden)
{
    size_t k = key_hash(day, org, feed, tax, type, hidden) & (t->cap - 1);

    for (;; k = (k + 1) & (t->cap - 1)) {
        tally_entry_t *e = &t->slots[k];
        if (!e->count || (e->org_id == org && e->hidden == hidden && strcmp(e->day, day) == 0 &&
                          same(e->feed, feed) && same(e->taxonomy, tax) && same(e->type, type)))
            return e;
    }
}

static int grow(ermes__event_tally_t *t)
{
    tally_entry_t *old = t->slots;
    size_t oldcap = t->cap;

    t->slots = ermes__calloc(oldcap * 2, sizeof(*t->slots));
    if (!t->slots) {
        t->slots = old;
        return ERMES_ENOMEM;
    }
    t->cap = oldcap * 2;
    for (size_t k = 0; k < oldcap; k++)
        if (old[k].count)
            *slot_for(t, old[k].day, old[k].org_id, old[k].feed, old[k].taxonomy, old[k].type,
                      old[k].hidden) = old[k];
    ermes__free(old);
    return 0;
}

/* "YYYY-MM-DD" of a time in ms, UTC: what strftime('%Y-%m-%d', ms / 1000, 'unixepoch') says. */
static void day_of(int64_t ms, char day[11])
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    struct tm tm;

    gmtime_r(&secs, &tm);
    if (strftime(day, 11, "%Y-%m-%d", &tm) != 10)
        day[0] = '\0';
}

/* Years 1 to 9999, as EVENT_DAY_MS in schema.c. */
#define MIN_DAY_MS INT64_C(-62135596800000)
#define MAX_DAY_MS INT64_C(253402300799999)

static int64_t event_day_ms(const ermes__event_row_t *ev)
{
    int64_t t = ev->time_source ? ev->time_source : ev->time_observation;

    return t && t >= MIN_DAY_MS && t <= MAX_DAY_MS ? t : ev->created_at;
}

int ermes__event_tally_add(ermes__event_tally_t *t, const ermes__event_row_t *ev)
{
    char day[11];
    int hidden = ev->tlp == ERMES_TLP_RED && ev->owner_org_id != ev->org_id;
    tally_entry_t *e;
    int rc;

    /* The day the event happened: time.source, else time.observation (counted apart, for
     * the dashboard to say so), else the day it was stored (migration 37 does the same). */
    if ((rc = ermes__event_times_add(&t->times, ev->id, ev->time_source)))
        return rc;
    day_of(event_day_ms(ev), day);
    if ((t->used + 1) * 2 > t->cap && (rc = grow(t)))
        return rc;
    e = slot_for(t, day, ev->org_id, ev->feed, ev->taxonomy, ev->type, hidden);
    if (e->count) {
        e->count++;
        e->by_observation += !ev->time_source;
        return 0;
    }
    memcpy(e->day, day, sizeof(e->day));
    e->org_id = ev->org_id;
    e->hidden = hidden;
    e->feed = ermes__strdup(ev->feed ? ev->feed : "");
    e->taxonomy = ermes__strdup(ev->taxonomy ? ev->taxonomy : "");
    e->type = ermes__strdup(ev->type ? ev->type : "");
    if (!e->feed || !e->taxonomy || !e->type) {
        ermes__free(e->feed);
        ermes__free(e->taxonomy);
        ermes__free(e->type);
        memset(e, 0, sizeof(*e));
        return ERMES_ENOMEM;
    }
    e->count = 1;
    e->by_observation = !ev->time_source;
    t->used++;
    return 0;
}

int ermes__event_tally_flush(ermes__event_tally_t *t, ermes__store_t *st)
{
    ermes__db_t *db;
    ermes__db_stmt_t *s;
    int rc = 0;

    if (!t || (!t->used && !t->times.n))
        return 0;
    if (!(db = ermes__db_conn(st)))
        return ERMES_ESTORE;
    /* The time map in the same transaction: a reader sees the events and their blocks' times
     * together. */
    if ((rc = ermes__event_times_flush(&t->times, st, db))) {
        clear(t);
        return rc;
    }
    for (size_t k = 0; k < t->cap && !rc; k++) {
        tally_entry_t *e = &t->slots[k];
        if (!e->count)
            continue;
        if ((rc = ermes__db_prepare(db,
                                    "INSERT INTO event_daily (day, org_id, feed, taxonomy, type, "
                                    "hidden, count, by_observation) VALUES (?1,?2,?3,?4,?5,?6,?7,"
                                    "?8) ON CONFLICT (day, org_id, feed, taxonomy, type, hidden) "
                                    "DO UPDATE SET count = event_daily.count + excluded.count, "
                                    "by_observation = event_daily.by_observation + "
                                    "excluded.by_observation",
                                    &s)))
            break;
        ermes__db_bind_text(s, 1, e->day);
        ermes__db_bind_int(s, 2, e->org_id);
        ermes__db_bind_text(s, 3, e->feed);
        ermes__db_bind_text(s, 4, e->taxonomy);
        ermes__db_bind_text(s, 5, e->type);
        ermes__db_bind_int(s, 6, e->hidden);
        ermes__db_bind_int(s, 7, e->count);
        ermes__db_bind_int(s, 8, e->by_observation);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        rc = rc < 0 ? rc : 0;
    }
    /* Written or not, the counts go: on failure the transaction that held them rolls back. */
    clear(t);
    return rc;
}

/* A constituent sees its own organisation's counts, none of a TLP:RED event it does not own. */
#define EVENT_SCOPE "(?1 = 1 OR (d.org_id = ?2 AND d.hidden = 0))"

static const char *const stat_sql[] = {
    [ERMES_STAT_EVENTS] = "SELECT d.day, d.taxonomy || '\x1f' || d.type, d.org_id, d.count "
                          "FROM event_daily d WHERE d.day BETWEEN ?3 AND ?4 AND " EVENT_SCOPE,
    [ERMES_STAT_EVENTS_BY_OBSERVATION] =
        "SELECT NULL, NULL, 0, coalesce(sum(d.by_observation), 0) FROM event_daily d "
        "WHERE d.day BETWEEN ?3 AND ?4 AND " EVENT_SCOPE,
    [ERMES_STAT_SIGHTINGS_PER_DAY] =
        "SELECT c.day, NULL, 0, sum(c.count) FROM sighting_counts c "
        "JOIN indicators i ON i.id = c.indicator_id WHERE c.day BETWEEN ?3 AND ?4 AND "
        "(?1 = 1 OR (c.org_id = ?2 AND (i.tlp <> 'RED' OR i.owner_org_id = ?2))) "
        "GROUP BY c.day ORDER BY c.day",
    [ERMES_STAT_NOTIFICATIONS] = "SELECT state, NULL, 0, count(*) FROM notifications "
                                 "WHERE ?1 = 1 GROUP BY state",
    [ERMES_STAT_QUARANTINE_OPEN] = "SELECT NULL, NULL, 0, count(*) FROM quarantine "
                                   "WHERE state = 'open' AND ?1 = 1",
    [ERMES_STAT_REPORT_TIMES] =
        "SELECT feed, NULL, received_at, 0 FROM (SELECT feed, received_at, row_number() OVER "
        "(PARTITION BY feed ORDER BY received_at DESC) AS rn FROM reports) recent "
        "WHERE rn <= 11 AND ?1 = 1 "
        "ORDER BY feed, received_at DESC",
};

int ermes__store_stats(ermes__store_t *st, const ermes__viewer_t *v, ermes__stat_t which,
                       const char *from_day, const char *to_day, ermes__store_stat_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if ((unsigned)which >= sizeof(stat_sql) / sizeof(stat_sql[0]))
        return ERMES_EINVAL;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, stat_sql[which], &s)))
        return rc;
    /* Parameters a query does not use are refused by the binding, harmlessly. */
    ermes__db_bind_int(s, 1, v && !ermes__viewer_is_staff(v) ? 0 : 1);
    ermes__db_bind_int(s, 2, v ? v->org_id : 0);
    ermes__db_bind_text(s, 3, from_day);
    ermes__db_bind_text(s, 4, to_day);
    while ((rc = ermes__db_step(s)) == 1) {
        const char *a = ermes__db_col_text(s, 0), *b = ermes__db_col_text(s, 1);
        if ((rc =
                 cb(ctx, a ? a : "", b ? b : "", ermes__db_col_int(s, 2), ermes__db_col_int(s, 3))))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
