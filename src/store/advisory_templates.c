/* The store's advisory templates (migration 56): one text per format (html, text, atom) and
 * language, edited in the API. A stored template wins over the built-in one (the choice is
 * src/advisories/render.c's, through ermes__store_advisory_template_find). */
#include "store/store.h"

#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/store_int.h"

int ermes__store_advisory_template_get(ermes__store_t *st, const char *format, const char *lang,
                                       char **text, int64_t *updated_at)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *text = NULL;
    if (updated_at)
        *updated_at = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db, "SELECT text, updated_at FROM advisory_templates WHERE format = ?1 AND lang = ?2",
             &s)))
        return rc;
    ermes__db_bind_text(s, 1, format);
    ermes__db_bind_text(s, 2, lang);
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

int ermes__store_advisory_template_put(ermes__store_t *st, const char *format, const char *lang,
                                       const char *text, int64_t owner_org_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* The CERT's own text: TLP:CLEAR, owned by the CERT's organisation. */
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO advisory_templates (format, lang, text, tlp,"
                                " owner_org_id, created_at, updated_at)"
                                " VALUES (?1, ?2, ?3, 'CLEAR', ?4, ?5, ?5)"
                                " ON CONFLICT (format, lang) DO UPDATE SET text = excluded.text,"
                                " updated_at = excluded.updated_at",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, format);
    ermes__db_bind_text(s, 2, lang);
    ermes__db_bind_text(s, 3, text);
    if (owner_org_id)
        ermes__db_bind_int(s, 4, owner_org_id);
    else
        ermes__db_bind_null(s, 4);
    ermes__db_bind_int(s, 5, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_template_delete(ermes__store_t *st, const char *format, const char *lang)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db, "DELETE FROM advisory_templates WHERE format = ?1 AND lang = ?2 RETURNING lang",
             &s)))
        return rc;
    ermes__db_bind_text(s, 1, format);
    ermes__db_bind_text(s, 2, lang);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc == 0)
        return ERMES_ENOTFOUND;
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_template_each(ermes__store_t *st,
                                        int (*cb)(void *ctx, const char *format, const char *lang,
                                                  int64_t updated_at),
                                        void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT format, lang, updated_at FROM advisory_templates"
                                " ORDER BY format, lang"
                                " LIMIT 1000",
                                &s)))
        return rc;
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = cb(ctx, ermes__db_col_text(s, 0), ermes__db_col_text(s, 1),
                     ermes__db_col_int(s, 2))))
            break;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_template_find(void *store, const char *format, const char *lang,
                                        char **text)
{
    return ermes__store_advisory_template_get(store, format, lang, text, NULL);
}
