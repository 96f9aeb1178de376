/* The store's per-constituent notification preferences (migration 36 in schema.c). The lists
 * are JSON arrays of strings in a TEXT column: they are read whole, never searched. */
#include "store/notify_prefs.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/db_int.h"
#include "store/store_int.h"

static const char *const frequencies[] = {"immediate", "daily", "weekly"};
static const char *const attachments[] = {"csv", "json", "xarf"};

static void defaults(ermes__notify_prefs_t *p, int64_t org_id)
{
    memset(p, 0, sizeof(*p));
    p->org_id = org_id;
    p->digest_hour = 8;
    p->digest_weekday = 1;
}

/* A stored list into items; entries past the cap or too long are dropped (the API refuses
 * them before they are stored). */
static size_t list_read(const char *text, char (*items)[ERMES_NOTIFY_PREFS_ITEM_MAX])
{
    json_t *a = text ? json_loads(text, 0, NULL) : NULL;
    size_t n = 0;

    for (size_t k = 0; json_is_array(a) && k < json_array_size(a); k++) {
        const char *s = json_string_value(json_array_get(a, k));
        if (s && n < ERMES_NOTIFY_PREFS_MAX_ITEMS && strlen(s) < ERMES_NOTIFY_PREFS_ITEM_MAX)
            snprintf(items[n++], ERMES_NOTIFY_PREFS_ITEM_MAX, "%s", s);
    }
    json_decref(a);
    return n;
}

static char *list_text(char (*items)[ERMES_NOTIFY_PREFS_ITEM_MAX], size_t n)
{
    json_t *a = json_array();
    char *s;

    for (size_t k = 0; a && k < n; k++)
        json_array_append_new(a, json_string(items[k]));
    s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

static int index_of(const char *const *names, size_t n, const char *s)
{
    for (size_t k = 0; s && k < n; k++)
        if (strcmp(names[k], s) == 0)
            return (int)k;
    return 0;
}

#define PREFS_COLUMNS                                                                              \
    "org_id, feeds, classifications, frequency, digest_hour, digest_weekday, attachment,"          \
    " digest_through, created_at, updated_at"

static void row_read(ermes__db_stmt_t *s, ermes__notify_prefs_t *p)
{
    defaults(p, ermes__db_col_int(s, 0));
    p->nfeeds = list_read(ermes__db_col_text(s, 1), p->feeds);
    p->nclassifications = list_read(ermes__db_col_text(s, 2), p->classifications);
    p->frequency = (ermes__notify_frequency_t)index_of(frequencies, 3, ermes__db_col_text(s, 3));
    p->digest_hour = (int)ermes__db_col_int(s, 4);
    p->digest_weekday = (int)ermes__db_col_int(s, 5);
    p->attachment = (ermes__notify_attachment_t)index_of(attachments, 3, ermes__db_col_text(s, 6));
    p->digest_through = ermes__db_col_int(s, 7);
    p->created_at = ermes__db_col_int(s, 8);
    p->updated_at = ermes__db_col_int(s, 9);
    p->stored = 1;
}

int ermes__store_notify_prefs_get(ermes__store_t *st, int64_t org_id, ermes__notify_prefs_t *p)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    defaults(p, org_id);
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT " PREFS_COLUMNS " FROM notify_prefs WHERE org_id = ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, org_id);
    if ((rc = ermes__db_step(s)) == 1)
        row_read(s, p);
    ermes__db_done(s);
    return rc < 0 ? rc : ermes__store_notify_prefs_offset(st, p);
}

int ermes__store_notify_prefs_offset(ermes__store_t *st, ermes__notify_prefs_t *p)
{
    ermes__calendar_row_t *c = ermes__calloc(1, sizeof(*c));
    int rc;

    if (!c)
        return ERMES_ENOMEM;
    rc = ermes__store_calendar_get(st, p->org_id, c);
    /* A calendar's offset is within a day (sla_input.c checks it); anything else is UTC. */
    p->utc_offset_minutes = rc == 0 && c->utc_offset_minutes > -1440 && c->utc_offset_minutes < 1440
                                ? (int)c->utc_offset_minutes
                                : 0;
    ermes__free(c);
    return rc == ERMES_ENOTFOUND ? 0 : rc;
}

int ermes__store_notify_prefs_each(ermes__store_t *st, ermes__store_notify_prefs_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__notify_prefs_t *p = ermes__calloc(1, sizeof(*p));
    int rc;

    if (!p)
        return ERMES_ENOMEM;
    if (!db) {
        ermes__free(p);
        return ERMES_ESTORE;
    }
    if ((rc = ermes__db_prepare(db, "SELECT " PREFS_COLUMNS " FROM notify_prefs ORDER BY org_id",
                                &s))) {
        ermes__free(p);
        return rc;
    }
    while ((rc = ermes__db_step(s)) == 1) {
        row_read(s, p);
        if ((rc = cb(ctx, p)))
            break;
    }
    ermes__db_done(s);
    ermes__free(p);
    return rc < 0 ? rc : 0;
}

int ermes__store_notify_prefs_put(ermes__store_t *st, ermes__notify_prefs_t *p, int64_t home,
                                  int64_t now)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    char *feeds = list_text(p->feeds, p->nfeeds);
    char *classes = list_text(p->classifications, p->nclassifications);
    int rc;

    if (!feeds || !classes) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (!db) {
        rc = ERMES_ESTORE;
        goto out;
    }
    /* digest_through restarts at now when the schedule changed: the first digest after the
     * change covers what came after it (a digest is never due for the time before). */
    if ((rc = ermes__db_prepare(
             db,
             "INSERT INTO notify_prefs (org_id, feeds, classifications, frequency, digest_hour,"
             " digest_weekday, attachment, digest_through, tlp, owner_org_id, created_at,"
             " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'AMBER', ?9, ?8, ?8)"
             " ON CONFLICT (org_id) DO UPDATE SET feeds = excluded.feeds, classifications ="
             " excluded.classifications, attachment = excluded.attachment, digest_through = CASE"
             " WHEN notify_prefs.frequency = excluded.frequency AND notify_prefs.digest_hour ="
             " excluded.digest_hour AND notify_prefs.digest_weekday = excluded.digest_weekday"
             " THEN notify_prefs.digest_through ELSE excluded.digest_through END, frequency ="
             " excluded.frequency, digest_hour = excluded.digest_hour, digest_weekday ="
             " excluded.digest_weekday, updated_at = excluded.updated_at RETURNING digest_through,"
             " created_at",
             &s)))
        goto out;
    ermes__db_bind_int(s, 1, p->org_id);
    ermes__db_bind_text(s, 2, feeds);
    ermes__db_bind_text(s, 3, classes);
    ermes__db_bind_text(s, 4, frequencies[p->frequency]);
    ermes__db_bind_int(s, 5, p->digest_hour);
    ermes__db_bind_int(s, 6, p->digest_weekday);
    ermes__db_bind_text(s, 7, attachments[p->attachment]);
    ermes__db_bind_int(s, 8, now);
    if (home)
        ermes__db_bind_int(s, 9, home);
    else
        ermes__db_bind_null(s, 9);
    if ((rc = ermes__db_step(s)) == 1) {
        p->digest_through = ermes__db_col_int(s, 0);
        p->created_at = ermes__db_col_int(s, 1);
        p->updated_at = now;
        p->stored = 1;
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ESTORE;
    }
    ermes__db_done(s);
out:
    ermes__free(feeds);
    ermes__free(classes);
    return rc;
}

int ermes__store_notify_prefs_digested(ermes__store_t *st, int64_t org_id, int64_t through)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE notify_prefs SET digest_through = ?2, updated_at = ?3"
                                " WHERE org_id = ?1 AND digest_through < ?2 RETURNING org_id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, org_id);
    ermes__db_bind_int(s, 2, through);
    ermes__db_bind_int(s, 3, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc == 1 ? 0 : rc == 0 ? ERMES_ECONFLICT : rc;
}
