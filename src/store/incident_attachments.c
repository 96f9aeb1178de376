/* The store's incident attachments (migration 27 in schema.c; src/incidents/attachments.h):
 * the bytes in the row, on both backends. */
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "incidents/attachments.h"
#include "store/store_int.h"

#define COLUMNS                                                                                    \
    "id, incident_id, file_name, content_type, size, sha256, uploader_id, uploader,"               \
    " uploader_org_id, tlp, owner_org_id, created_at, updated_at"

static void put(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void read_row(ermes__db_stmt_t *s, ermes__attachment_t *a)
{
    memset(a, 0, sizeof(*a));
    a->id = ermes__db_col_int(s, 0);
    a->incident_id = ermes__db_col_int(s, 1);
    put(a->file_name, sizeof(a->file_name), ermes__db_col_text(s, 2));
    put(a->content_type, sizeof(a->content_type), ermes__db_col_text(s, 3));
    a->size = ermes__db_col_int(s, 4);
    put(a->sha256, sizeof(a->sha256), ermes__db_col_text(s, 5));
    a->uploader_id = ermes__db_col_null(s, 6) ? 0 : ermes__db_col_int(s, 6);
    put(a->uploader, sizeof(a->uploader), ermes__db_col_text(s, 7));
    a->uploader_org_id = ermes__db_col_null(s, 8) ? 0 : ermes__db_col_int(s, 8);
    {
        const char *t = ermes__db_col_text(s, 9);
        if (!t || ermes_tlp_parse(t, strlen(t), &a->tlp) != 0)
            a->tlp = ERMES_TLP_AMBER;
    }
    a->owner_org_id = ermes__db_col_null(s, 10) ? 0 : ermes__db_col_int(s, 10);
    a->created_at = ermes__db_col_int(s, 11);
    a->updated_at = ermes__db_col_int(s, 12);
}

static void bind_opt(ermes__db_stmt_t *s, int idx, int64_t v)
{
    if (v)
        ermes__db_bind_int(s, idx, v);
    else
        ermes__db_bind_null(s, idx);
}

int ermes__store_attachment_insert(ermes__store_t *st, ermes__attachment_t *a, const void *data,
                                   size_t n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO incident_attachments (incident_id, file_name,"
                                " content_type, size, sha256, data, uploader_id, uploader,"
                                " uploader_org_id, tlp, owner_org_id, created_at, updated_at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)"
                                " RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, a->incident_id);
    ermes__db_bind_text(s, 2, a->file_name);
    ermes__db_bind_text(s, 3, a->content_type);
    ermes__db_bind_int(s, 4, (int64_t)n);
    ermes__db_bind_text(s, 5, a->sha256);
    ermes__db_bind_blob(s, 6, data, n);
    bind_opt(s, 7, a->uploader_id);
    ermes__db_bind_text(s, 8, a->uploader);
    bind_opt(s, 9, a->uploader_org_id);
    ermes__db_bind_text(s, 10, ermes_tlp_name(a->tlp));
    bind_opt(s, 11, a->owner_org_id);
    ermes__db_bind_int(s, 12, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        a->id = ermes__db_col_int(s, 0);
        a->size = (int64_t)n;
        a->created_at = a->updated_at = now;
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ESTORE;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_attachment_count(ermes__store_t *st, int64_t incident_id, int64_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db, "SELECT COUNT(*) FROM incident_attachments WHERE incident_id = ?", &s)))
        return rc;
    ermes__db_bind_int(s, 1, incident_id);
    if ((rc = ermes__db_step(s)) == 1)
        *n = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_attachment_each(ermes__store_t *st, int64_t incident_id, int64_t org_id,
                                 ermes__store_attachment_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__attachment_t a;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc =
             ermes__db_prepare(db,
                               "SELECT " COLUMNS " FROM incident_attachments WHERE incident_id = ?1"
                               " AND (?2 = 0 OR uploader_org_id = ?2) ORDER BY id",
                               &s)))
        return rc;
    ermes__db_bind_int(s, 1, incident_id);
    ermes__db_bind_int(s, 2, org_id > 0 ? org_id : 0);
    while ((rc = ermes__db_step(s)) == 1) {
        read_row(s, &a);
        if ((rc = cb(ctx, &a)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : rc == 0 ? 0 : rc;
}

int ermes__store_attachment_get(ermes__store_t *st, int64_t id, ermes__store_attachment_cb cb,
                                void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__attachment_t a;
    size_t len = 0;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db, "SELECT " COLUMNS ", data FROM incident_attachments WHERE id = ?", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        read_row(s, &a);
        a.data = ermes__db_col_blob(s, 13, &len);
        if (!a.data)
            a.data = "";
        a.size = (int64_t)len;
        rc = cb(ctx, &a);
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}
