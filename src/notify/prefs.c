/* Per-constituent notification preferences: what a constituent wants e-mailed, how often and
 * in which attachment format (stored by src/store/notify_prefs.c, migration 36).
 *
 * Filter: an event whose feed is not in the constituent's feeds, or whose classification (its
 * classification.type, or the RSIT class of that type) is not in its classifications, is not
 * e-mailed to it; an empty list is every feed or class. Such an event is marked notified
 * without a notification (group.c), so it is never e-mailed later either, and stays stored
 * and visible like any other.
 *
 * Digests: a daily digest is due at digest_hour:00 each day, a weekly one at that hour on
 * digest_weekday (0 = Sunday), in the organisation's time: UTC shifted by the offset of its
 * business-hours calendar (the calendars table; organisations have no other time zone, and
 * the offset is fixed: no daylight saving time). Until then the constituent's events wait; when the
 * latest due time is past the digest_through its preferences record, every event waiting becomes
 * ONE notification (more only past ERMES_NOTIFY_MAX_EVENTS), grouped inside by feed or type like
 * any other, and digest_through moves to that due time in the same commit (exactly once:
 * a process killed before the commit leaves the digest to be made again in full, one killed
 * after leaves nothing to make again). Due times missed while no daemon ran make one digest,
 * not one per missed period. Only the daemon holding the lease "notify-digest" makes digests
 * (src/store/lease.c). */
#include "notify/notify.h"

#include "ermes/event.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"

#define DAY_MS (86400 * 1000LL)
#define HOUR_MS (3600 * 1000LL)

static int in_list(const char (*items)[ERMES_NOTIFY_PREFS_ITEM_MAX], size_t n, const char *s)
{
    for (size_t k = 0; s && k < n; k++)
        if (strcmp(items[k], s) == 0)
            return 1;
    return 0;
}

int ermes__notify_prefs_wants(const ermes__notify_prefs_t *p, const char *feed, const char *type)
{
    if (!p)
        return 1;
    if (p->nfeeds &&
        !in_list((const char(*)[ERMES_NOTIFY_PREFS_ITEM_MAX])p->feeds, p->nfeeds, feed))
        return 0;
    if (p->nclassifications) {
        const char(*c)[ERMES_NOTIFY_PREFS_ITEM_MAX] =
            (const char(*)[ERMES_NOTIFY_PREFS_ITEM_MAX])p->classifications;
        const char *cls = type ? ermes_taxonomy_of_type(type) : NULL;
        if (!in_list(c, p->nclassifications, type) && !in_list(c, p->nclassifications, cls))
            return 0;
    }
    return 1;
}

/* Floor division: the day of a time before 1970 too. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t ermes__notify_digest_last_due(const ermes__notify_prefs_t *p, int64_t now)
{
    int64_t off = p ? (int64_t)p->utc_offset_minutes * 60000 : 0;
    int64_t day, at;

    if (!p || p->frequency == ERMES_NOTIFY_IMMEDIATE)
        return 0;
    /* In the organisation's time, then back to UTC. */
    now += off;
    day = floor_div(now, DAY_MS);
    if (p->frequency == ERMES_NOTIFY_WEEKLY) {
        /* 1970-01-01 was a Thursday (4). */
        int64_t wd = ((day + 4) % 7 + 7) % 7;
        day -= (wd - p->digest_weekday + 7) % 7;
        at = day * DAY_MS + p->digest_hour * HOUR_MS;
        return (at > now ? at - 7 * DAY_MS : at) - off;
    }
    at = day * DAY_MS + p->digest_hour * HOUR_MS;
    return (at > now ? at - DAY_MS : at) - off;
}

int ermes__notify_digest_due(const ermes__notify_prefs_t *p, int64_t now, int64_t *due)
{
    int64_t last = ermes__notify_digest_last_due(p, now);

    *due = last;
    return p && p->frequency != ERMES_NOTIFY_IMMEDIATE && last > p->digest_through;
}

int64_t ermes__notify_digest_next(const ermes__notify_prefs_t *p, int64_t now)
{
    if (!p || p->frequency == ERMES_NOTIFY_IMMEDIATE)
        return 0;
    return ermes__notify_digest_last_due(p, now) +
           (p->frequency == ERMES_NOTIFY_WEEKLY ? 7 * DAY_MS : DAY_MS);
}

const char *ermes__notify_frequency_name(ermes__notify_frequency_t f)
{
    return f == ERMES_NOTIFY_DAILY ? "daily" : f == ERMES_NOTIFY_WEEKLY ? "weekly" : "immediate";
}

const char *ermes__notify_attachment_name(ermes__notify_attachment_t a)
{
    return a == ERMES_NOTIFY_ATTACH_JSON ? "json" : a == ERMES_NOTIFY_ATTACH_XARF ? "xarf" : "csv";
}

/* A list field: an array of at most ERMES_NOTIFY_PREFS_MAX_ITEMS strings, each 1 to 127
 * bytes of printable text. */
static int read_list(const json_t *body, const char *field, int classes,
                     char (*items)[ERMES_NOTIFY_PREFS_ITEM_MAX], size_t *n, ermes_diag_t *d)
{
    const json_t *a = json_object_get(body, field);

    if (!a)
        return 0;
    if (!json_is_array(a)) {
        ermes_diag_set(d, field, "an array of strings");
        return ERMES_EINVAL;
    }
    if (json_array_size(a) > ERMES_NOTIFY_PREFS_MAX_ITEMS) {
        ermes_diag_set(d, field, "at most %d entries", ERMES_NOTIFY_PREFS_MAX_ITEMS);
        return ERMES_EINVAL;
    }
    *n = 0;
    for (size_t k = 0; k < json_array_size(a); k++) {
        const char *s = json_string_value(json_array_get(a, k));
        size_t len = s ? strlen(s) : 0;
        if (!s || len == 0 || len >= ERMES_NOTIFY_PREFS_ITEM_MAX) {
            ermes_diag_set(d, field, "entry %zu: a string of 1 to %d bytes", k,
                           ERMES_NOTIFY_PREFS_ITEM_MAX - 1);
            return ERMES_EINVAL;
        }
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
                ermes_diag_set(d, field, "entry %zu: a control character", k);
                return ERMES_EINVAL;
            }
        /* A classification that is neither an RSIT class nor a type would match nothing:
         * a typo would silently stop every notification. */
        if (classes && !ermes_taxonomy_valid(s) && !ermes_taxonomy_of_type(s)) {
            ermes_diag_set(d, field, "\"%.60s\" is neither an RSIT class nor a type", s);
            return ERMES_EINVAL;
        }
        if (in_list((const char(*)[ERMES_NOTIFY_PREFS_ITEM_MAX])items, *n, s))
            continue;
        snprintf(items[(*n)++], ERMES_NOTIFY_PREFS_ITEM_MAX, "%s", s);
    }
    return 0;
}

static int read_int(const json_t *body, const char *field, int lo, int hi, int *out,
                    ermes_diag_t *d)
{
    const json_t *v = json_object_get(body, field);

    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        ermes_diag_set(d, field, "an integer from %d to %d", lo, hi);
        return ERMES_EINVAL;
    }
    *out = (int)json_integer_value(v);
    return 0;
}

int ermes__notify_prefs_read(const json_t *body, ermes__notify_prefs_t *p, ermes_diag_t *d)
{
    static const char *const known[] = {"feeds",
                                        "classifications",
                                        "frequency",
                                        "digest_hour",
                                        "digest_weekday",
                                        "attachment",
                                        "org",
                                        "org_id",
                                        "digest_through",
                                        "next_digest_at",
                                        "updated_at",
                                        "created_at",
                                        "utc_offset_minutes"};
    const char *key;
    const json_t *v;
    int rc;

    if (!json_is_object(body)) {
        ermes_diag_set(d, "", "a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, v)
    {
        size_t k;
        for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
            if (strcmp(key, known[k]) == 0)
                break;
        if (k == sizeof(known) / sizeof(known[0])) {
            ermes_diag_set(d, "", "unknown field \"%.60s\"", key);
            return ERMES_EINVAL;
        }
    }
    if ((rc = read_list(body, "feeds", 0, p->feeds, &p->nfeeds, d)) ||
        (rc = read_list(body, "classifications", 1, p->classifications, &p->nclassifications, d)) ||
        (rc = read_int(body, "digest_hour", 0, 23, &p->digest_hour, d)) ||
        (rc = read_int(body, "digest_weekday", 0, 6, &p->digest_weekday, d)))
        return rc;
    if ((v = json_object_get(body, "frequency"))) {
        const char *s = json_string_value(v);
        if (s && strcmp(s, "immediate") == 0)
            p->frequency = ERMES_NOTIFY_IMMEDIATE;
        else if (s && strcmp(s, "daily") == 0)
            p->frequency = ERMES_NOTIFY_DAILY;
        else if (s && strcmp(s, "weekly") == 0)
            p->frequency = ERMES_NOTIFY_WEEKLY;
        else {
            ermes_diag_set(d, "frequency", "immediate, daily or weekly");
            return ERMES_EINVAL;
        }
    }
    if ((v = json_object_get(body, "attachment"))) {
        const char *s = json_string_value(v);
        if (s && strcmp(s, "csv") == 0)
            p->attachment = ERMES_NOTIFY_ATTACH_CSV;
        else if (s && strcmp(s, "json") == 0)
            p->attachment = ERMES_NOTIFY_ATTACH_JSON;
        else if (s && strcmp(s, "xarf") == 0)
            p->attachment = ERMES_NOTIFY_ATTACH_XARF;
        else {
            ermes_diag_set(d, "attachment", "csv, json or xarf");
            return ERMES_EINVAL;
        }
    }
    return 0;
}

json_t *ermes__notify_prefs_to_json(const ermes__notify_prefs_t *p, int64_t now)
{
    json_t *j = json_object(), *feeds = json_array(), *classes = json_array();
    char t[ERMES_TIME_STRLEN];

    if (!j || !feeds || !classes) {
        json_decref(j);
        json_decref(feeds);
        json_decref(classes);
        return NULL;
    }
    for (size_t k = 0; k < p->nfeeds; k++)
        json_array_append_new(feeds, json_string(p->feeds[k]));
    for (size_t k = 0; k < p->nclassifications; k++)
        json_array_append_new(classes, json_string(p->classifications[k]));
    json_object_set_new(j, "org_id", json_integer(p->org_id));
    json_object_set_new(j, "feeds", feeds);
    json_object_set_new(j, "classifications", classes);
    json_object_set_new(j, "frequency", json_string(ermes__notify_frequency_name(p->frequency)));
    json_object_set_new(j, "digest_hour", json_integer(p->digest_hour));
    json_object_set_new(j, "digest_weekday", json_integer(p->digest_weekday));
    json_object_set_new(j, "utc_offset_minutes", json_integer(p->utc_offset_minutes));
    json_object_set_new(j, "attachment", json_string(ermes__notify_attachment_name(p->attachment)));
    if (p->frequency != ERMES_NOTIFY_IMMEDIATE) {
        int64_t due, next;
        /* The next digest: the one due now when it was not made yet, else the next one. */
        next = ermes__notify_digest_due(p, now, &due) ? due : ermes__notify_digest_next(p, now);
        ermes__time_format(next, t);
        json_object_set_new(j, "next_digest_at", json_string(t));
    } else {
        json_object_set_new(j, "next_digest_at", json_null());
    }
    if (p->digest_through) {
        ermes__time_format(p->digest_through, t);
        json_object_set_new(j, "digest_through", json_string(t));
    } else {
        json_object_set_new(j, "digest_through", json_null());
    }
    if (p->stored) {
        ermes__time_format(p->updated_at, t);
        json_object_set_new(j, "updated_at", json_string(t));
    } else {
        json_object_set_new(j, "updated_at", json_null());
    }
    return j;
}

char *ermes__notify_prefs_audit_detail(const ermes__notify_prefs_t *before,
                                       const ermes__notify_prefs_t *after, int64_t now)
{
    static const char *const fields[] = {"feeds",       "classifications", "frequency",
                                         "digest_hour", "digest_weekday",  "attachment"};
    json_t *a = ermes__notify_prefs_to_json(after, now),
           *b = ermes__notify_prefs_to_json(before, now);
    json_t *changed = json_object();
    char *out = NULL;

    if (!a || !b || !changed)
        goto out;
    for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
        json_t *old = json_object_get(b, fields[k]), *new = json_object_get(a, fields[k]);
        if (json_equal(old, new))
            continue;
        json_object_set_new(changed, fields[k], json_pack("[OO]", old, new));
    }
    json_object_set(a, "changed", changed);
    out = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
out:
    json_decref(a);
    json_decref(b);
    json_decref(changed);
    return out;
}
