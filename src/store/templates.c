/* The store's templates (migration 71): one text per kind, name and language, edited in the
 * API, the CLI or the UI; a stored one wins over the built-in one (the catalogue of kinds and
 * names, their defaults and their checks is src/templates/templates.c's). */
#include "store/store.h"

#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/store_int.h"

int ermes__store_template_get(ermes__store_t *st, const char *kind, const char *name,
                              const char *lang, char **text, int64_t *updated_at)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *text = NULL;
    if (updated_at)
        *updated_at = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT text, updated_at FROM templates"
                                " WHERE kind = ?1 AND name = ?2 AND lang = ?3",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, kind);
    ermes__db_bind_text(s, 2, name);
    ermes__db_bind_text(s, 3, lang);
    rc = ermes__db_step(s);
    if (rc == 1) {
        const char *t = ermes__db_col_text(s, 0);
        if (!(*text = ermes__strdup(t ? t : "")))
            rc = ERMES_ENOMEM;
        else
            rc = 0;
        if (updated_at)
            *updated_at = ermes__db_col_int(s, 1);
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_template_put(ermes__store_t *st, const char *kind, const char *name,
                              const char *lang, const char *text, int64_t owner_org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* The CERT's own text: TLP:CLEAR, owned by the CERT's organisation. */
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO templates (kind, name, lang, text, tlp, owner_org_id,"
                                " created_at, updated_at)"
                                " VALUES (?1, ?2, ?3, ?4, 'CLEAR', ?5, ?6, ?6)"
                                " ON CONFLICT (kind, name, lang) DO UPDATE SET"
                                " text = excluded.text, updated_at = excluded.updated_at",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, kind);
    ermes__db_bind_text(s, 2, name);
    ermes__db_bind_text(s, 3, lang);
    ermes__db_bind_text(s, 4, text);
    if (owner_org_id)
        ermes__db_bind_int(s, 5, owner_org_id);
    else
        ermes__db_bind_null(s, 5);
    ermes__db_bind_int(s, 6, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_template_delete(ermes__store_t *st, const char *kind, const char *name,
                                 const char *lang)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "DELETE FROM templates WHERE kind = ?1 AND name = ?2 AND lang = ?3"
                                " RETURNING lang",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, kind);
    ermes__db_bind_text(s, 2, name);
    ermes__db_bind_text(s, 3, lang);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc == 0)
        return ERMES_ENOTFOUND;
    return rc < 0 ? rc : 0;
}

int ermes__store_template_each(ermes__store_t *st, const char *kind,
                               int (*cb)(void *ctx, const char *kind, const char *name,
                                         const char *lang, int64_t updated_at),
                               void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT kind, name, lang, updated_at FROM templates"
                                " WHERE ?1 = '' OR kind = ?1 ORDER BY kind, name, lang LIMIT 10000",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, kind ? kind : "");
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_text(s, 0), ermes__db_col_text(s, 1),
                     ermes__db_col_text(s, 2), ermes__db_col_int(s, 3))))
            break;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_template_texts(void *store, const char *kind, const char *lang,
                                int (*cb)(void *ctx, const char *name, const char *text), void *ctx)
{
    ermes__db_t *db = ermes__db_conn(store);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT name, text FROM templates WHERE kind = ?1 AND lang = ?2"
                                " LIMIT 100",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, kind);
    ermes__db_bind_text(s, 2, lang);
    while ((rc = ermes__db_step(s)) == 1) {
        const char *t = ermes__db_col_text(s, 1);
        if ((rc = cb(ctx, ermes__db_col_text(s, 0), t ? t : "")))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
