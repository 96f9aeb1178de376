/* Settings changed while ermes runs (migration 37): one row per live setting an administrator
 * set (PUT /api/v1/settings/NAME, `ermes settings set`). The values lie over the config file and
 * the defaults; every daemon reads the rows again every few seconds
 * (src/core/config_live.c). */
#include "store/store.h"

#include <string.h>

#include "core/alloc.h"
#include "core/config_live.h"
#include "core/time.h"
#include "store/store_int.h"

/* The table holds a few dozen rows at most (one per live setting). */
#define MAX_ROWS 256

int ermes__store_setting_put(ermes__store_t *st, const char *name, const char *value,
                             const char *who, int64_t owner_org_id, char **old)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (old)
        *old = NULL;
    if (!db)
        return ERMES_ESTORE;
    if (old) {
        if ((rc = ermes__db_prepare(db, "SELECT value FROM settings WHERE name = ?1", &s)))
            return rc;
        ermes__db_bind_text(s, 1, name);
        if ((rc = ermes__db_step(s)) == 1) {
            const char *v = ermes__db_col_text(s, 0);
            rc = (*old = ermes__strdup(v ? v : "")) ? 0 : ERMES_ENOMEM;
        }
        ermes__db_done(s);
        if (rc < 0)
            return rc;
    }
    /* The CERT's own setting: TLP:RED (a secret may be among them), owned by the CERT. */
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO settings (name, value, updated_by, tlp, owner_org_id,"
                                " created_at, updated_at) VALUES (?1, ?2, ?3, 'RED', ?4, ?5, ?5)"
                                " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                                " updated_by = excluded.updated_by,"
                                " updated_at = excluded.updated_at",
                                &s)))
        goto fail;
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_text(s, 2, value);
    ermes__db_bind_text(s, 3, who ? who : "");
    if (owner_org_id)
        ermes__db_bind_int(s, 4, owner_org_id);
    else
        ermes__db_bind_null(s, 4);
    ermes__db_bind_int(s, 5, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc >= 0)
        return 0;
fail:
    if (old) {
        ermes__free(*old);
        *old = NULL;
    }
    return rc;
}

int ermes__store_setting_delete(ermes__store_t *st, const char *name)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "DELETE FROM settings WHERE name = ?1 RETURNING name", &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc == 0)
        return ERMES_ENOTFOUND;
    return rc < 0 ? rc : 0;
}

int ermes__store_setting_each(ermes__store_t *st, ermes__store_setting_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT name, value, updated_by, updated_at FROM settings"
                                " ORDER BY name LIMIT 256",
                                &s)))
        return rc;
    while ((rc = ermes__db_step(s)) == 1) {
        const char *n = ermes__db_col_text(s, 0), *v = ermes__db_col_text(s, 1),
                   *by = ermes__db_col_text(s, 2);
        if ((rc = cb(ctx, n ? n : "", v ? v : "", by ? by : "", ermes__db_col_int(s, 3))))
            break;
    }
    ermes__db_done(s);
    return rc;
}

typedef struct rows {
    char *names[MAX_ROWS], *values[MAX_ROWS];
    size_t n;
} rows_t;

static int row_cb(void *ctx, const char *name, const char *value, const char *by, int64_t at)
{
    rows_t *r = ctx;

    (void)by;
    (void)at;
    if (r->n >= MAX_ROWS)
        return 0;
    if (!(r->names[r->n] = ermes__strdup(name)))
        return ERMES_ENOMEM;
    if (!(r->values[r->n] = ermes__strdup(value))) {
        ermes__free(r->names[r->n]);
        return ERMES_ENOMEM;
    }
    r->n++;
    return 0;
}

int ermes__store_settings_apply(ermes__store_t *st, ermes__config_t *cfg, int *changed)
{
    rows_t *r = ermes__calloc(1, sizeof(*r));
    int rc;

    if (changed)
        *changed = 0;
    if (!r)
        return ERMES_ENOMEM;
    rc = ermes__store_setting_each(st, row_cb, r);
    if (rc == 0 && cfg)
        ermes__config_overlay(cfg, (const char *const *)r->names, (const char *const *)r->values,
                              r->n);
    if (rc == 0)
        rc = ermes__live_update((const char *const *)r->names, (const char *const *)r->values, r->n,
                                changed);
    for (size_t k = 0; k < r->n; k++) {
        ermes__free(r->names[k]);
        ermes__free(r->values[k]);
    }
    ermes__free(r);
    return rc;
}
