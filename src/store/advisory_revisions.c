/* The published revisions of advisories (migration 39 in schema.c; advisories/revisions.h), on
 * both backends. */
#include <stdio.h>
#include <string.h>

#include "advisories/revisions.h"
#include "core/alloc.h"
#include "core/time.h"
#include "store/store_int.h"

#define COLUMNS                                                                                    \
    "advisory_id, number, version, status, summary, published_at, published_by, tlp,"              \
    " owner_org_id, created_at, updated_at"

void ermes__advisory_revision_cleanup(ermes__advisory_revision_t *r)
{
    ermes__free(r->document);
    r->document = NULL;
}

static void put(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void read_row(ermes__db_stmt_t *s, ermes__advisory_revision_t *r)
{
    const char *t;

    memset(r, 0, sizeof(*r));
    r->advisory_id = ermes__db_col_int(s, 0);
    r->number = ermes__db_col_int(s, 1);
    put(r->version, sizeof(r->version), ermes__db_col_text(s, 2));
    put(r->status, sizeof(r->status), ermes__db_col_text(s, 3));
    put(r->summary, sizeof(r->summary), ermes__db_col_text(s, 4));
    r->published_at = ermes__db_col_int(s, 5);
    put(r->published_by, sizeof(r->published_by), ermes__db_col_text(s, 6));
    t = ermes__db_col_text(s, 7);
    if (!t || ermes_tlp_parse(t, strlen(t), &r->tlp) != 0)
        r->tlp = ERMES_TLP_AMBER;
    r->owner_org_id = ermes__db_col_null(s, 8) ? 0 : ermes__db_col_int(s, 8);
    r->created_at = ermes__db_col_int(s, 9);
    r->updated_at = ermes__db_col_int(s, 10);
}

int ermes__store_advisory_revision_insert(ermes__store_t *st, const ermes__advisory_revision_t *r)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO advisory_revisions (advisory_id, number, version,"
                                " status, summary, document, published_at, published_by, tlp,"
                                " owner_org_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4,"
                                " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, r->advisory_id);
    ermes__db_bind_int(s, 2, r->number);
    ermes__db_bind_text(s, 3, r->version);
    ermes__db_bind_text(s, 4, r->status);
    ermes__db_bind_text(s, 5, r->summary);
    ermes__db_bind_text(s, 6, r->document ? r->document : "");
    ermes__db_bind_int(s, 7, r->published_at);
    ermes__db_bind_text(s, 8, r->published_by);
    ermes__db_bind_text(s, 9, ermes_tlp_name(r->tlp));
    if (r->owner_org_id)
        ermes__db_bind_int(s, 10, r->owner_org_id);
    else
        ermes__db_bind_null(s, 10);
    ermes__db_bind_int(s, 11, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_revision_each(ermes__store_t *st, int64_t advisory_id,
                                        ermes__store_advisory_revision_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__advisory_revision_t r;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " COLUMNS " FROM advisory_revisions WHERE advisory_id = ?"
                                " ORDER BY number",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, advisory_id);
    while ((rc = ermes__db_step(s)) == 1) {
        read_row(s, &r);
        if ((rc = cb(ctx, &r)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_revision_get(ermes__store_t *st, int64_t advisory_id, int64_t number,
                                       ermes__advisory_revision_t *r)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    memset(r, 0, sizeof(*r));
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " COLUMNS ", document FROM advisory_revisions"
                                " WHERE advisory_id = ?1 AND number = ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, advisory_id);
    ermes__db_bind_int(s, 2, number);
    rc = ermes__db_step(s);
    if (rc == 1) {
        const char *t;

        read_row(s, r);
        t = ermes__db_col_text(s, 11);
        r->document = ermes__strdup(t ? t : "");
        rc = r->document ? 0 : ERMES_ENOMEM;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}
