/* Collectors stored in the database (migration 45): made at run time by an administrator, read
 * by every daemon at each scheduling round (src/intake/collect.c), so a change is in force
 * within seconds everywhere without a restart. Their state stays in the collectors table,
 * shared with the config file's collectors by name. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/store_int.h"

#define COLUMNS                                                                                    \
    "name, preset, value, feed, url, interval, options, headers, content, enabled, tlp,"           \
    " created_by, owner_org_id, created_at, updated_at"

void ermes__store_collector_def_clear(ermes__collector_def_t *d)
{
    if (!d)
        return;
    if (d->value) /* a credential: not left in freed memory */
        memset(d->value, 0, strlen(d->value));
    if (d->headers)
        memset(d->headers, 0, strlen(d->headers));
    ermes__free(d->preset);
    ermes__free(d->value);
    ermes__free(d->feed);
    ermes__free(d->url);
    ermes__free(d->options);
    ermes__free(d->headers);
    ermes__free(d->content);
    memset(d, 0, sizeof(*d));
}

static int dup_col(ermes__db_stmt_t *s, int col, char **out)
{
    const char *t = ermes__db_col_null(s, col) ? NULL : ermes__db_col_text(s, col);

    *out = NULL;
    if (!t)
        return 0;
    return (*out = ermes__strdup(t)) ? 0 : ERMES_ENOMEM;
}

static int read_row(ermes__db_stmt_t *s, ermes__collector_def_t *d)
{
    const char *t;
    int rc = 0;

    memset(d, 0, sizeof(*d));
    snprintf(d->name, sizeof(d->name), "%s", (t = ermes__db_col_text(s, 0)) ? t : "");
    rc = rc ? rc : dup_col(s, 1, &d->preset);
    rc = rc ? rc : dup_col(s, 2, &d->value);
    rc = rc ? rc : dup_col(s, 3, &d->feed);
    rc = rc ? rc : dup_col(s, 4, &d->url);
    d->interval = (long)ermes__db_col_int(s, 5);
    rc = rc ? rc : dup_col(s, 6, &d->options);
    rc = rc ? rc : dup_col(s, 7, &d->headers);
    rc = rc ? rc : dup_col(s, 8, &d->content);
    d->enabled = ermes__db_col_int(s, 9) != 0;
    snprintf(d->tlp, sizeof(d->tlp), "%s", (t = ermes__db_col_text(s, 10)) ? t : "AMBER");
    snprintf(d->created_by, sizeof(d->created_by), "%s", (t = ermes__db_col_text(s, 11)) ? t : "");
    d->owner_org_id = ermes__db_col_int(s, 12);
    d->created_at = ermes__db_col_int(s, 13);
    d->updated_at = ermes__db_col_int(s, 14);
    if (rc)
        ermes__store_collector_def_clear(d);
    return rc;
}

int ermes__store_collector_def_put(ermes__store_t *st, ermes__collector_def_t *d, int update)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    rc = ermes__db_prepare(
        db,
        update ? "UPDATE collector_defs SET preset = ?2, value = ?3, feed = ?4, url = ?5,"
                 " interval = ?6, options = ?7, headers = ?8, content = ?9, enabled = ?10,"
                 " tlp = ?11, updated_at = ?15 WHERE name = ?1 RETURNING created_at"
               : "INSERT INTO collector_defs (" COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                 " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) ON CONFLICT (name) DO NOTHING"
                 " RETURNING created_at",
        &s);
    if (rc)
        return rc;
    ermes__db_bind_text(s, 1, d->name);
    ermes__db_bind_text(s, 2, d->preset);
    ermes__db_bind_text(s, 3, d->value);
    ermes__db_bind_text(s, 4, d->feed);
    ermes__db_bind_text(s, 5, d->url);
    if (d->interval)
        ermes__db_bind_int(s, 6, d->interval);
    else
        ermes__db_bind_null(s, 6);
    ermes__db_bind_text(s, 7, d->options);
    ermes__db_bind_text(s, 8, d->headers);
    ermes__db_bind_text(s, 9, d->content);
    ermes__db_bind_int(s, 10, d->enabled ? 1 : 0);
    ermes__db_bind_text(s, 11, d->tlp[0] ? d->tlp : "AMBER");
    if (!update) {
        ermes__db_bind_text(s, 12, d->created_by);
        if (d->owner_org_id)
            ermes__db_bind_int(s, 13, d->owner_org_id);
        else
            ermes__db_bind_null(s, 13);
        ermes__db_bind_int(s, 14, now);
    }
    ermes__db_bind_int(s, 15, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        d->created_at = ermes__db_col_int(s, 0);
        d->updated_at = now;
        rc = 0;
    } else if (rc == 0) {
        rc = update ? ERMES_ENOTFOUND : ERMES_EEXISTS;
    }
    ermes__db_done(s);
    /* A changed collector is due at the next round, so its new definition is tried at once
     * (an interval made shorter is not waited out at the old one). */
    if (rc == 0 && update &&
        (rc = ermes__db_prepare(db, "UPDATE collectors SET next_run = 0 WHERE name = ?1", &s)) ==
            0) {
        ermes__db_bind_text(s, 1, d->name);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        rc = rc < 0 ? rc : 0;
    }
    return rc;
}

int ermes__store_collector_def_get(ermes__store_t *st, const char *name,
                                   ermes__collector_def_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT " COLUMNS " FROM collector_defs WHERE name = ?1", &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    rc = ermes__db_step(s);
    if (rc == 1)
        rc = read_row(s, out);
    else if (rc == 0)
        rc = ERMES_ENOTFOUND;
    ermes__db_done(s);
    return rc;
}

int ermes__store_collector_def_delete(ermes__store_t *st, const char *name)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_begin(db, 1)))
        return rc;
    if ((rc = ermes__db_prepare(db, "DELETE FROM collector_defs WHERE name = ?1 RETURNING name",
                                &s)))
        goto fail;
    ermes__db_bind_text(s, 1, name);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc == 0)
        rc = ERMES_ENOTFOUND;
    if (rc < 0)
        goto fail;
    /* Its state and items go too: a collector made again under the name starts afresh. */
    static const char *const more[] = {"DELETE FROM collectors WHERE name = ?1",
                                       "DELETE FROM collector_items WHERE collector = ?1"};
    for (size_t k = 0; k < 2; k++) {
        if ((rc = ermes__db_prepare(db, more[k], &s)))
            goto fail;
        ermes__db_bind_text(s, 1, name);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc < 0)
            goto fail;
    }
    return ermes__db_commit(db);
fail:
    ermes__db_rollback(db);
    return rc;
}

int ermes__store_collector_def_each(ermes__store_t *st,
                                    int (*cb)(void *ctx, const ermes__collector_def_t *d),
                                    void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__collector_def_t d;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db, "SELECT " COLUMNS " FROM collector_defs ORDER BY name LIMIT 256", &s)))
        return rc;
    while ((rc = ermes__db_step(s)) == 1) {
        if ((rc = read_row(s, &d)))
            break;
        rc = cb(ctx, &d);
        ermes__store_collector_def_clear(&d);
        if (rc)
            break;
    }
    ermes__db_done(s);
    return rc;
}
