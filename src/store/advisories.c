/* The store's CSAF advisories (migration 34 in schema.c; src/advisories/advisory.h), on both
 * backends. */
#include <stdio.h>
#include <string.h>

#include "advisories/advisory.h"
#include "advisories/links.h"
#include "core/alloc.h"
#include "core/time.h"
#include "store/store_int.h"

#define COLUMNS                                                                                    \
    "id, tracking_id, title, status, revision, author_id, author, reviewer, publish_at,"           \
    " initial_release_at, published_at, tlp, owner_org_id, created_at, updated_at, published_tlp," \
    " CASE WHEN published_signature IS NULL THEN 0 ELSE 1 END, publish_error"

static void put(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static int64_t opt_int(ermes__db_stmt_t *s, int col)
{
    return ermes__db_col_null(s, col) ? 0 : ermes__db_col_int(s, col);
}

static void read_row(ermes__db_stmt_t *s, ermes__advisory_t *a)
{
    const char *t;

    memset(a, 0, sizeof(*a));
    a->id = ermes__db_col_int(s, 0);
    put(a->tracking_id, sizeof(a->tracking_id), ermes__db_col_text(s, 1));
    put(a->title, sizeof(a->title), ermes__db_col_text(s, 2));
    put(a->status, sizeof(a->status), ermes__db_col_text(s, 3));
    a->revision = ermes__db_col_int(s, 4);
    a->author_id = opt_int(s, 5);
    put(a->author, sizeof(a->author), ermes__db_col_text(s, 6));
    put(a->reviewer, sizeof(a->reviewer), ermes__db_col_text(s, 7));
    a->publish_at = opt_int(s, 8);
    a->initial_release_at = opt_int(s, 9);
    a->published_at = opt_int(s, 10);
    t = ermes__db_col_text(s, 11);
    if (!t || ermes_tlp_parse(t, strlen(t), &a->tlp) != 0)
        a->tlp = ERMES_TLP_AMBER;
    a->owner_org_id = opt_int(s, 12);
    a->created_at = ermes__db_col_int(s, 13);
    a->updated_at = ermes__db_col_int(s, 14);
    /* What was published keeps its own label (migration 38); unknown: the most restrictive. */
    t = ermes__db_col_text(s, 15);
    if (!t || ermes_tlp_parse(t, strlen(t), &a->published_tlp) != 0)
        a->published_tlp = ERMES_TLP_RED;
    a->has_signature = ermes__db_col_int(s, 16) != 0;
    put(a->publish_error, sizeof(a->publish_error), ermes__db_col_text(s, 17));
}

static void bind_opt(ermes__db_stmt_t *s, int idx, int64_t v)
{
    if (v)
        ermes__db_bind_int(s, idx, v);
    else
        ermes__db_bind_null(s, idx);
}

static void bind_opt_text(ermes__db_stmt_t *s, int idx, const char *v)
{
    if (v && *v)
        ermes__db_bind_text(s, idx, v);
    else
        ermes__db_bind_null(s, idx);
}

int ermes__store_advisory_insert(ermes__store_t *st, ermes__advisory_t *a)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc, owned = 0;

    if (!db)
        return ERMES_ESTORE;
    /* The row and its CVE ids (advisory_cves.c) in one transaction. */
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO advisories (tracking_id, title, status, document,"
                                " revision, author_id, author, tlp, owner_org_id, created_at,"
                                " updated_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8, ?9, ?9)"
                                " RETURNING id",
                                &s)))
        return ermes__tx_end(db, owned, rc);
    ermes__db_bind_text(s, 1, a->tracking_id);
    ermes__db_bind_text(s, 2, a->title);
    ermes__db_bind_text(s, 3, a->status);
    ermes__db_bind_text(s, 4, a->document);
    bind_opt(s, 5, a->author_id);
    ermes__db_bind_text(s, 6, a->author);
    ermes__db_bind_text(s, 7, ermes_tlp_name(a->tlp));
    bind_opt(s, 8, a->owner_org_id);
    ermes__db_bind_int(s, 9, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        a->id = ermes__db_col_int(s, 0);
        a->created_at = a->updated_at = now;
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ESTORE;
    }
    ermes__db_done(s);
    if (!rc)
        rc = ermes__store_advisory_cves_set(st, a);
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_advisory_count_since(ermes__store_t *st, int64_t since_ms, int64_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT COUNT(*) FROM advisories WHERE created_at >= ?", &s)))
        return rc;
    ermes__db_bind_int(s, 1, since_ms);
    if ((rc = ermes__db_step(s)) == 1)
        *n = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static int dup_col(ermes__db_stmt_t *s, int col, char **out)
{
    const char *t = ermes__db_col_text(s, col);

    *out = NULL;
    if (!t || ermes__db_col_null(s, col))
        return 0;
    *out = ermes__strdup(t);
    return *out ? 0 : ERMES_ENOMEM;
}

int ermes__store_advisory_get(ermes__store_t *st, const char *ref, ermes__advisory_t *a)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t id = 0;
    int rc;
    size_t i, len = strlen(ref);

    memset(a, 0, sizeof(*a));
    if (!db)
        return ERMES_ESTORE;
    /* A reference of digits only is an id; anything else a tracking id. */
    for (i = 0; i < len && ref[i] >= '0' && ref[i] <= '9'; i++)
        ;
    if (len && i == len && len < 19) {
        for (i = 0; i < len; i++)
            id = id * 10 + (ref[i] - '0');
    }
    if ((rc = ermes__db_prepare(db,
                                "SELECT " COLUMNS
                                ", document, published_document, published_signature"
                                " FROM advisories"
                                " WHERE id = ?1 OR tracking_id = ?2",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, ref);
    rc = ermes__db_step(s);
    if (rc == 1) {
        read_row(s, a);
        rc = dup_col(s, 18, &a->document);
        if (!rc)
            rc = dup_col(s, 19, &a->published_document);
        if (!rc)
            rc = dup_col(s, 20, &a->published_signature);
        if (!rc && !a->document)
            rc = ERMES_ESTORE;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    if (rc)
        ermes__advisory_cleanup(a);
    return rc;
}

int ermes__store_advisory_each(ermes__store_t *st, const char *status, ermes__store_advisory_cb cb,
                               void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__advisory_t a;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " COLUMNS " FROM advisories WHERE (?1 = '' OR status = ?1)"
                                " ORDER BY id DESC",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, status ? status : "");
    while ((rc = ermes__db_step(s)) == 1) {
        read_row(s, &a);
        if ((rc = cb(ctx, &a)))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_update(ermes__store_t *st, ermes__advisory_t *a, int64_t updated_at)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc, owned = 0;

    if (!db)
        return ERMES_ESTORE;
    /* The row and its CVE ids (advisory_cves.c) in one transaction. */
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    /* Two writes in the same millisecond must still differ: updated_at is the row's version. */
    if (now <= updated_at)
        now = updated_at + 1;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE advisories SET title = ?1, status = ?2, document = ?3,"
                                " published_document = ?4, revision = ?5, reviewer = ?6,"
                                " publish_at = ?7, initial_release_at = ?8, published_at = ?9,"
                                " tlp = ?10, updated_at = ?11, published_signature = ?14,"
                                " published_tlp = ?15, publish_error = NULL"
                                " WHERE id = ?12 AND updated_at = ?13",
                                &s)))
        return ermes__tx_end(db, owned, rc);
    ermes__db_bind_text(s, 1, a->title);
    ermes__db_bind_text(s, 2, a->status);
    ermes__db_bind_text(s, 3, a->document);
    bind_opt_text(s, 4, a->published_document);
    ermes__db_bind_int(s, 5, a->revision);
    bind_opt_text(s, 6, a->reviewer);
    bind_opt(s, 7, a->publish_at);
    bind_opt(s, 8, a->initial_release_at);
    bind_opt(s, 9, a->published_at);
    ermes__db_bind_text(s, 10, ermes_tlp_name(a->tlp));
    ermes__db_bind_int(s, 11, now);
    ermes__db_bind_int(s, 12, a->id);
    ermes__db_bind_int(s, 13, updated_at);
    bind_opt_text(s, 14, a->published_signature);
    if (a->published_document)
        ermes__db_bind_text(s, 15, ermes_tlp_name(a->published_tlp));
    else
        ermes__db_bind_null(s, 15);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc >= 0)
        rc = ermes__db_changes(db) != 1 ? ERMES_ECONFLICT : 0;
    if (!rc)
        rc = ermes__store_advisory_cves_set(st, a);
    if ((rc = ermes__tx_end(db, owned, rc)))
        return rc;
    a->updated_at = now;
    return 0;
}

int ermes__store_advisory_due(ermes__store_t *st, int64_t now, int64_t *ids, size_t cap, size_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *n = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id FROM advisories WHERE status = 'approved'"
                                " AND publish_at IS NOT NULL AND publish_at <= ? ORDER BY id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, now);
    while (*n < cap && (rc = ermes__db_step(s)) == 1)
        ids[(*n)++] = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_advisory_publish_failed(ermes__store_t *st, int64_t id, const char *reason,
                                         int *changed)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    *changed = 0;
    if (!db)
        return ERMES_ESTORE;
    /* updated_at moves on (it is the row's version), past its value when in the same ms. */
    if ((rc = ermes__db_prepare(db,
                                "UPDATE advisories SET publish_error = ?2, updated_at = CASE WHEN"
                                " updated_at >= ?3 THEN updated_at + 1 ELSE ?3 END"
                                " WHERE id = ?1 AND status = 'approved'"
                                " AND (publish_error IS NULL OR publish_error <> ?2)",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, reason);
    ermes__db_bind_int(s, 3, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    *changed = ermes__db_changes(db) > 0;
    return 0;
}
