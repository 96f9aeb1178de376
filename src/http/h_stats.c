/* GET /api/v1/stats: the dashboard's figures. Events come from event_daily (a row per day,
 * constituent, feed and classification, kept by the intake), never from a scan of events, so
 * the answer costs the same with a million events as with ten. An event's day is the day it
 * happened (time.source; else time.observation, counted in events_by_observation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"
#include "http/http.h"

#define DAY_MS INT64_C(86400000)
#define STATS_MAX_DAYS 90

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

int ermes__feed_stale(const int64_t *times, size_t n, int64_t now, long factor, int64_t *usual)
{
    int64_t gaps[ERMES_STALE_SAMPLES];
    size_t ngaps = 0;
    int64_t limit;

    *usual = 0;
    /* Two intervals at least: one alone says little of a feed's rhythm. */
    if (n < 3)
        return 0;
    for (size_t k = 0; k + 1 < n && ngaps < ERMES_STALE_SAMPLES; k++)
        gaps[ngaps++] = times[k] - times[k + 1];
    qsort(gaps, ngaps, sizeof(gaps[0]), cmp_i64);
    *usual = ngaps % 2 ? gaps[ngaps / 2] : (gaps[ngaps / 2 - 1] + gaps[ngaps / 2]) / 2;
    limit = *usual * factor;
    if (limit < DAY_MS)
        limit = DAY_MS;
    return now - times[0] > limit;
}

static void day_string(int64_t ms, char day[11])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&secs, &tm);
    if (strftime(day, 11, "%Y-%m-%d", &tm) != 10)
        day[0] = '\0';
}

struct stats_ctx {
    json_t *list;
    int kind;
    /* the days of the range, for events_per_day and sightings_per_day: counts land by index */
    int64_t first_day_ms;
    long ndays;
    int64_t *per_day;
    /* notifications */
    int64_t pending, failed, sent, open;
    int64_t by_observation; /* events of the range counted by time.observation */
    /* report times per feed */
    char feed[128];
    int64_t times[ERMES_STALE_SAMPLES + 1];
    size_t ntimes;
    int64_t now;
    long factor;
    /* events: the day of the previous row and its index, counts per classification and org */
    char last_day[11];
    long last_k;
    json_t *by_class, *by_org; /* "taxonomy\x1ftype" / "org id" -> integer */
};

/* Adds n to map[key]. */
static int bump(json_t *map, const char *key, int64_t n)
{
    json_t *v = json_object_get(map, key);

    if (v)
        return json_integer_set(v, json_integer_value(v) + n) ? ERMES_ENOMEM : 0;
    return json_object_set_new(map, key, json_integer(n)) ? ERMES_ENOMEM : 0;
}

/* The day's index in the range, -1 outside; rows come mostly in day order, so the previous
 * row's day is remembered rather than parsed again. */
static long day_index(struct stats_ctx *c, const char *day)
{
    int64_t ms;

    if (strcmp(day, c->last_day) == 0)
        return c->last_k;
    snprintf(c->last_day, sizeof(c->last_day), "%s", day);
    c->last_k = -1;
    if (ermes__time_parse(day, strlen(day), &ms, NULL) == 0) {
        long k = (long)((ms - c->first_day_ms) / DAY_MS);
        if (k >= 0 && k < c->ndays)
            c->last_k = k;
    }
    return c->last_k;
}

static int flush_feed(struct stats_ctx *c)
{
    int64_t usual;
    char when[ERMES_TIME_STRLEN];

    if (c->feed[0] && ermes__feed_stale(c->times, c->ntimes, c->now, c->factor, &usual)) {
        ermes__time_format(c->times[0], when);
        if (json_array_append_new(c->list,
                                  json_pack("{s:s,s:s,s:I}", "feed", c->feed, "last_report_at",
                                            when, "usual_interval_s", (json_int_t)(usual / 1000))))
            return ERMES_ENOMEM;
    }
    c->ntimes = 0;
    c->feed[0] = '\0';
    return 0;
}

static int stat_cb(void *arg, const char *a, const char *b, int64_t id, int64_t count)
{
    struct stats_ctx *c = arg;
    json_t *item = NULL;

    switch (c->kind) {
    case ERMES_STAT_EVENTS: {
        long k = day_index(c, a);
        char org[24];
        int rc;
        if (k >= 0)
            c->per_day[k] += count;
        snprintf(org, sizeof(org), "%lld", (long long)id);
        if ((rc = bump(c->by_class, b, count)) || (id && (rc = bump(c->by_org, org, count))))
            return rc;
        return 0;
    }
    case ERMES_STAT_SIGHTINGS_PER_DAY: {
        long k = day_index(c, a);
        if (k >= 0)
            c->per_day[k] += count;
        return 0;
    }
    case ERMES_STAT_NOTIFICATIONS:
        if (strcmp(a, "sent") == 0)
            c->sent += count;
        else if (strcmp(a, "failed") == 0)
            c->failed += count;
        else
            c->pending += count; /* pending, sending, retrying: not delivered yet */
        return 0;
    case ERMES_STAT_QUARANTINE_OPEN:
        c->open = count;
        return 0;
    case ERMES_STAT_REPORT_TIMES:
        if (strcmp(c->feed, a) != 0) {
            int rc = flush_feed(c);
            if (rc)
                return rc;
            snprintf(c->feed, sizeof(c->feed), "%s", a);
        }
        if (c->ntimes < ERMES_STALE_SAMPLES + 1)
            c->times[c->ntimes++] = id;
        return 0;
    case ERMES_STAT_EVENTS_BY_OBSERVATION:
        c->by_observation = count;
        return 0;
    default:
        return 0;
    }
    return json_array_append_new(c->list, item) ? ERMES_ENOMEM : 0;
}

/* Runs one figure into c; list (stolen) receives the items of list figures. */
static int run(ermes__req_t *req, struct stats_ctx *c, ermes__stat_t which, const char *from,
               const char *to, json_t *list)
{
    int rc;

    c->kind = (int)which;
    c->list = list;
    c->last_day[0] = '\0';
    if (c->per_day)
        memset(c->per_day, 0, (size_t)c->ndays * sizeof(c->per_day[0]));
    rc = ermes__store_stats(req->srv->store, &req->viewer, which, from, to, stat_cb, c);
    if (!rc && which == ERMES_STAT_REPORT_TIMES)
        rc = flush_feed(c);
    return rc;
}

struct ranked {
    const char *key;
    int64_t count;
};

static int by_count(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* The map's entries, largest count first, at most max, into list as classifications
 * (orgs = 0) or constituents (orgs = 1). */
static int ranked_json(ermes__req_t *req, json_t *map, size_t max, int orgs, json_t *list)
{
    size_t n = json_object_size(map), k = 0;
    struct ranked *r = n ? ermes__calloc(n, sizeof(*r)) : NULL;
    const char *key;
    json_t *v;
    int rc = 0;

    if (n && !r)
        return ERMES_ENOMEM;
    json_object_foreach(map, key, v)
    {
        r[k].key = key;
        r[k++].count = json_integer_value(v);
    }
    if (n)
        qsort(r, n, sizeof(*r), by_count);
    for (k = 0; k < n && k < max && !rc; k++) {
        json_t *item;
        if (orgs) {
            char name[64] = "";
            /* The key is an organisation id this file wrote from the database. */
            int64_t id = 0;
            ermes__parse_int64(r[k].key, "org_id", 0, INT64_MAX, &id, NULL);
            ermes__store_org_short_name(req->srv->store, id, name, sizeof(name));
            item = json_pack("{s:I,s:s,s:I}", "org_id", (json_int_t)id, "org", name, "count",
                             (json_int_t)r[k].count);
        } else {
            const char *sep = strchr(r[k].key, '\x1f');
            size_t tl = sep ? (size_t)(sep - r[k].key) : strlen(r[k].key);
            const char *type = sep ? sep + 1 : "";
            item = json_pack(
                "{s:o,s:o,s:I}", "taxonomy", tl ? json_stringn(r[k].key, tl) : json_null(), "type",
                *type ? json_string(type) : json_null(), "count", (json_int_t)r[k].count);
        }
        rc = json_array_append_new(list, item) ? ERMES_ENOMEM : 0;
    }
    ermes__free(r);
    return rc;
}

static json_t *per_day_json(const struct stats_ctx *c)
{
    json_t *out = json_array();
    char day[11];

    for (long k = 0; out && k < c->ndays; k++) {
        day_string(c->first_day_ms + k * DAY_MS, day);
        if (json_array_append_new(
                out, json_pack("{s:s,s:I}", "day", day, "count", (json_int_t)c->per_day[k]))) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

enum MHD_Result ermes__h_stats(ermes__req_t *req)
{
    const char *q = ermes__query(req, "days");
    struct stats_ctx c;
    int64_t per_day[STATS_MAX_DAYS];
    char from_day[11], to_day[11], from_s[ERMES_TIME_STRLEN], to_s[ERMES_TIME_STRLEN];
    json_t *out = NULL, *events_day = NULL, *sightings_day = NULL, *classes, *orgs, *stale;
    int staff = ermes__viewer_is_staff(&req->viewer);
    long days = 14;
    int64_t inc_open = 0, inc_late = 0, inc_soon = 0;
    int rc;

    if (q) {
        int64_t want;
        ermes_diag_t d;
        ermes_diag_clear(&d);
        if (ermes__parse_int64(q, "days", 1, STATS_MAX_DAYS, &want, &d))
            return ermes__reply_error(req, 400, "bad_request", "days", "%s", d.reason);
        days = (long)want;
    }
    memset(&c, 0, sizeof(c));
    c.now = ermes__time_now_ms();
    c.factor = req->srv->cfg->stale_feed_factor;
    c.ndays = days;
    c.per_day = per_day;
    c.first_day_ms = (c.now / DAY_MS - (days - 1)) * DAY_MS;
    day_string(c.first_day_ms, from_day);
    day_string(c.now, to_day);
    classes = json_array();
    orgs = json_array();
    stale = json_array();
    c.by_class = json_object();
    c.by_org = json_object();
    if (!classes || !orgs || !stale || !c.by_class || !c.by_org) {
        rc = ERMES_ENOMEM;
        goto fail;
    }
    /* One pass over the summary's rows makes the three event figures. */
    if ((rc = run(req, &c, ERMES_STAT_EVENTS, from_day, to_day, NULL)) ||
        !(events_day = per_day_json(&c)) || (rc = ranked_json(req, c.by_class, 100, 0, classes)) ||
        (rc = ranked_json(req, c.by_org, 20, 1, orgs)))
        goto fail;
    if ((rc = run(req, &c, ERMES_STAT_EVENTS_BY_OBSERVATION, from_day, to_day, NULL)))
        goto fail;
    if ((rc = run(req, &c, ERMES_STAT_SIGHTINGS_PER_DAY, from_day, to_day, NULL)) ||
        !(sightings_day = per_day_json(&c)))
        goto fail;
    /* The CERT's own operations are not a constituent's business: zeros and no feeds. */
    if (staff && ((rc = run(req, &c, ERMES_STAT_NOTIFICATIONS, from_day, to_day, NULL)) ||
                  (rc = run(req, &c, ERMES_STAT_QUARANTINE_OPEN, from_day, to_day, NULL)) ||
                  (rc = run(req, &c, ERMES_STAT_REPORT_TIMES, from_day, to_day, stale))))
        goto fail;
    /* The incidents the viewer may see: open, late (a deadline passed) and due soon. */
    if ((rc = ermes__store_incident_counts(req->srv->store, &req->viewer, c.now,
                                           c.now + 2 * 3600 * 1000, &inc_open, &inc_late,
                                           &inc_soon)))
        goto fail;
    ermes__time_format(c.first_day_ms, from_s);
    ermes__time_format(c.now, to_s);
    out =
        json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:{s:I,s:I,s:I},s:{s:I},s:o,s:{s:I,s:I,s:I}}", "from",
                  from_s, "to", to_s, "events_per_day", events_day, "events_per_classification",
                  classes, "events_per_constituent", orgs, "sightings_per_day", sightings_day,
                  "notifications", "pending", (json_int_t)c.pending, "failed", (json_int_t)c.failed,
                  "sent", (json_int_t)c.sent, "quarantine", "open", (json_int_t)c.open,
                  "stale_feeds", stale, "incidents", "open", (json_int_t)inc_open, "late",
                  (json_int_t)inc_late, "due_soon", (json_int_t)inc_soon);
    json_decref(c.by_class);
    json_decref(c.by_org);
    /* The events are counted by the day they happened (time.source); those without one by
     * their time.observation, and the answer says how many (the dashboard says so too). */
    if (out && (json_object_set_new(out, "events_time", json_string("time.source")) ||
                json_object_set_new(out, "events_by_observation",
                                    json_integer((json_int_t)c.by_observation)))) {
        json_decref(out);
        out = NULL;
    }
    return ermes__reply_json(req, 200, out);
fail:
    json_decref(c.by_class);
    json_decref(c.by_org);
    json_decref(events_day);
    json_decref(sightings_day);
    json_decref(classes);
    json_decref(orgs);
    json_decref(stale);
    return ermes__reply_failure(req, rc ? rc : ERMES_ENOMEM, NULL);
}
