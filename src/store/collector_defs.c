/* Collectors stored in the database (migration 45): made at run time by an administrator, read
 * by every daemon at each scheduling round (src/intake/collect.c), so a change is in force
 * within seconds everywhere without a restart. Their state stays in the collectors table,
 * shared with the config file's collectors by name. Their credentials (value, headers) are
 * sealed at rest under the data directory's key as the peers' are (peers.c,
 * src/core/secret_box.h): written sealed, opened when read; rows of an older ermes are sealed
 * when the store is opened. */
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/secret_box.h"
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

/* Column col, a credential, into *out opened when sealed. Without the key that sealed it (a
 * database copied without its data directory's secrets.key) it is unknown, hence none: the
 * collector then lacks its credential and says so when it runs. */
static int open_col(ermes__store_t *st, ermes__db_stmt_t *s, int col, const char *name, char **out)
{
    const char *t = ermes__db_col_null(s, col) ? NULL : ermes__db_col_text(s, col);
    int rc;

    *out = NULL;
    if (!t || !ermes__secret_is_sealed(t))
        return dup_col(s, col, out);
    if ((rc = ermes__store_secret_open(st, t, out)) == ERMES_ENOMEM)
        return rc;
    if (rc)
        ermes__log(ERMES_LOG_WARNING,
                   "collector %s: its %s cannot be opened with %s of the data directory", name,
                   col == 2 ? "value" : "headers", ERMES__SECRET_KEY_FILE);
    return 0;
}

static int read_row(ermes__store_t *st, ermes__db_stmt_t *s, ermes__collector_def_t *d)
{
    const char *t;
    int rc = 0;

    memset(d, 0, sizeof(*d));
    snprintf(d->name, sizeof(d->name), "%s", (t = ermes__db_col_text(s, 0)) ? t : "");
    rc = rc ? rc : dup_col(s, 1, &d->preset);
    rc = rc ? rc : open_col(st, s, 2, d->name, &d->value);
    rc = rc ? rc : dup_col(s, 3, &d->feed);
    rc = rc ? rc : dup_col(s, 4, &d->url);
    d->interval = (long)ermes__db_col_int(s, 5);
    rc = rc ? rc : dup_col(s, 6, &d->options);
    rc = rc ? rc : open_col(st, s, 7, d->name, &d->headers);
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
    char *value = NULL, *headers = NULL;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* The credentials go in sealed; the caller's d keeps them plain. */
    if ((rc = ermes__store_secret_seal(st, d->value, &value)) ||
        (rc = ermes__store_secret_seal(st, d->headers, &headers)))
        goto out;
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
        goto out;
    ermes__db_bind_text(s, 1, d->name);
    ermes__db_bind_text(s, 2, d->preset);
    ermes__db_bind_text(s, 3, value);
    ermes__db_bind_text(s, 4, d->feed);
    ermes__db_bind_text(s, 5, d->url);
    if (d->interval)
        ermes__db_bind_int(s, 6, d->interval);
    else
        ermes__db_bind_null(s, 6);
    ermes__db_bind_text(s, 7, d->options);
    ermes__db_bind_text(s, 8, headers);
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
out:
    free(value);
    free(headers);
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
        rc = read_row(st, s, out);
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
        if ((rc = read_row(st, s, &d)))
            break;
        rc = cb(ctx, &d);
        ermes__store_collector_def_clear(&d);
        if (rc)
            break;
    }
    ermes__db_done(s);
    return rc;
}

/* text into *out sealed when it is a credential not sealed yet, else as it is (borrowed). */
static int seal_text(ermes__store_t *st, const char *text, char **out, const char **bind)
{
    *out = NULL;
    *bind = text;
    if (!text || !text[0] || ermes__secret_is_sealed(text))
        return 0;
    int rc = ermes__store_secret_seal(st, text, out);
    *bind = *out;
    return rc;
}

int ermes__store_collector_defs_seal(ermes__store_t *st)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    char *name[64], *value[64], *headers[64];
    size_t n = 0, i;
    int rc, own = 0, more;

    if (!db)
        return ERMES_ESTORE;
    do {
        /* In batches: a row is read, then written, never while a statement reads the table. */
        n = 0;
        if ((rc = ermes__db_prepare(
                 db,
                 "SELECT name, value, headers FROM collector_defs WHERE (value IS NOT NULL AND"
                 " value <> '' AND value NOT LIKE 'sealed:%') OR (headers IS NOT NULL AND"
                 " headers <> '' AND headers NOT LIKE 'sealed:%') ORDER BY name LIMIT 64",
                 &s)))
            return rc;
        while (n < 64 && (rc = ermes__db_step(s)) == 1) {
            name[n] = value[n] = headers[n] = NULL;
            if (!(name[n] = strdup(ermes__db_col_text(s, 0))) ||
                (!ermes__db_col_null(s, 1) && !(value[n] = strdup(ermes__db_col_text(s, 1)))) ||
                (!ermes__db_col_null(s, 2) && !(headers[n] = strdup(ermes__db_col_text(s, 2))))) {
                n++;
                rc = ERMES_ENOMEM;
                break;
            }
            n++;
        }
        ermes__db_done(s);
        more = n == 64;
        if (rc >= 0 && n && !ermes__db_in_tx(db))
            rc = ermes__db_scrub(db, 0);
        if (rc >= 0)
            rc = n ? ermes__tx_start(db, &own) : 0;
        for (i = 0; rc >= 0 && i < n; i++) {
            char *sv = NULL, *sh = NULL;
            const char *bv, *bh;
            if ((rc = seal_text(st, value[i], &sv, &bv)) == 0 &&
                (rc = seal_text(st, headers[i], &sh, &bh)) == 0 &&
                (rc = ermes__db_prepare(db,
                                        "UPDATE collector_defs SET value = ?2, headers = ?3"
                                        " WHERE name = ?1",
                                        &s)) == 0) {
                ermes__db_bind_text(s, 1, name[i]);
                if (bv)
                    ermes__db_bind_text(s, 2, bv);
                else
                    ermes__db_bind_null(s, 2);
                if (bh)
                    ermes__db_bind_text(s, 3, bh);
                else
                    ermes__db_bind_null(s, 3);
                rc = ermes__db_step(s);
                ermes__db_done(s);
            }
            free(sv);
            free(sh);
        }
        if (n)
            rc = ermes__tx_end(db, own, rc < 0 ? rc : 0);
        if (rc >= 0 && n && own)
            rc = ermes__db_scrub(db, 1);
        for (i = 0; i < n; i++) {
            if (value[i])
                sodium_memzero(value[i], strlen(value[i]));
            if (headers[i])
                sodium_memzero(headers[i], strlen(headers[i]));
            free(name[i]);
            free(value[i]);
            free(headers[i]);
        }
    } while (rc >= 0 && more);
    return rc < 0 ? rc : 0;
}
