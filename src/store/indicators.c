/* The store's indicators of compromise: what the daemon's matcher is built from. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

/* TLP of an indicator seen from a viewer bound as ?1 (1 for staff) and ?2 (its organisation).
 * An indicator is about no organisation, so TLP 2.0 reads: CLEAR and GREEN go to the whole
 * constituency; AMBER and AMBER+STRICT to the organisations concerned, which are those in
 * whose traffic it was sighted (they may act on it; the others learn nothing of it); RED to
 * the owner only. */
#define IND_VISIBLE(T)                                                                             \
    "(?1 = 1 OR " T ".owner_org_id = ?2 OR " T ".tlp IN ('CLEAR','GREEN')"                         \
    " OR (" T ".tlp IN ('AMBER','AMBER+STRICT') AND EXISTS (SELECT 1 FROM sighting_counts c_"      \
    " WHERE c_.indicator_id = " T ".id AND c_.org_id = ?2))" IND_NAMED(T) ")"
/* Named recipients (tlp_recipients.c), as src/access/tlp_policy.c's masks named and client
 * say for a viewer with an organisation: AMBER, AMBER+STRICT and RED to a named organisation,
 * AMBER to the organisations whose parent is named (its clients). The recipients are the
 * indicator's own (PATCH /api/v1/indicators) or those of the STIX indicator it was made from
 * (named on import: POST /api/v1/stix?recipients=...). */
/* clang-format off */
#define IND_NAMED(T)                                                                               \
    " OR (?2 <> 0 AND " T ".tlp IN ('AMBER','AMBER+STRICT','RED') AND EXISTS (SELECT 1"            \
    " FROM tlp_recipients r_ WHERE " IND_RECIPIENT(T) " AND r_.org_id = ?2))"                      \
    " OR (?2 <> 0 AND " T ".tlp = 'AMBER' AND EXISTS (SELECT 1 FROM tlp_recipients r_"             \
    " JOIN organisations g_ ON g_.parent_id = r_.org_id"                                           \
    " WHERE " IND_RECIPIENT(T) " AND g_.id = ?2))"
#define IND_RECIPIENT(T)                                                                           \
    "(r_.indicator_id = " T ".id OR r_.stix_id IN (SELECT s_.stix_id FROM indicator_stix s_"       \
    " WHERE s_.indicator_id = " T ".id))"
/* clang-format on */

#define IND_COLUMNS                                                                                \
    "i.id, i.type, i.value, i.exact, i.valid_from, i.valid_until, i.confidence, i.tlp, "           \
    "i.owner_org_id, i.source, i.tags, i.created_at, i.updated_at, x.name, x.description,"         \
    " x.stix_id, i.forced"
/* What a STIX indicator said of an indicator (src/sharing/), beside it. */
#define IND_FROM "indicators i LEFT JOIN indicator_stix x ON x.indicator_id = i.id"

static void bind_viewer(ermes__db_stmt_t *s, const ermes__viewer_t *v)
{
    ermes__db_bind_int(s, 1, v && !ermes__viewer_is_staff(v) ? 0 : 1);
    ermes__db_bind_int(s, 2, v ? v->org_id : 0);
}

static void row_of(ermes__db_stmt_t *s, ermes__indicator_row_t *r)
{
    const char *tlp = ermes__db_col_text(s, 7);

    memset(r, 0, sizeof(*r));
    r->id = ermes__db_col_int(s, 0);
    r->type = ermes__db_col_text(s, 1);
    r->value = ermes__db_col_text(s, 2);
    r->exact = (int)ermes__db_col_int(s, 3);
    r->valid_from = ermes__db_col_int(s, 4);
    r->valid_until = ermes__db_col_int(s, 5);
    r->confidence = (int)ermes__db_col_int(s, 6);
    if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &r->tlp))
        r->tlp = ERMES_TLP_RED;
    r->owner_org_id = ermes__db_col_int(s, 8);
    r->source = ermes__db_col_text(s, 9);
    r->tags = ermes__db_col_text(s, 10);
    r->created_at = ermes__db_col_int(s, 11);
    r->updated_at = ermes__db_col_int(s, 12);
    r->name = ermes__db_col_text(s, 13);
    r->description = ermes__db_col_text(s, 14);
    r->stix_id = ermes__db_col_text(s, 15);
    r->forced = ermes__db_col_int(s, 16) != 0;
}

int ermes__store_indicator_put(ermes__store_t *st, ermes__indicator_row_t *r, int *created)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms(), id = 0;
    int rc, owned, fresh;

    if (!db)
        return ERMES_ESTORE;
    if (!r->type || !r->value || !r->value[0])
        return ERMES_EINVAL;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id, created_at FROM indicators"
                                " WHERE type = ?1 AND value = ?2 AND exact = ?3",
                                &s)))
        goto out;
    ermes__db_bind_text(s, 1, r->type);
    ermes__db_bind_text(s, 2, r->value);
    ermes__db_bind_int(s, 3, r->exact ? 1 : 0);
    rc = ermes__db_step(s);
    if (rc == 1) {
        id = ermes__db_col_int(s, 0);
        r->created_at = ermes__db_col_int(s, 1);
    }
    ermes__db_done(s);
    if (rc < 0)
        goto out;
    fresh = id == 0;
    if (id) {
        rc = ermes__db_prepare(db,
                               "UPDATE indicators SET valid_from = ?2, valid_until = ?3,"
                               " confidence = ?4, tlp = ?5, source = ?6, tags = ?7,"
                               " updated_at = ?8 WHERE id = ?1",
                               &s);
    } else {
        rc = ermes__db_prepare(db,
                               "INSERT INTO indicators (valid_from, valid_until, confidence, tlp,"
                               " source, tags, updated_at, created_at, type, value, exact,"
                               " owner_org_id) VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10,"
                               " ?11, ?12) RETURNING id",
                               &s);
        r->created_at = now;
    }
    if (rc)
        goto out;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, r->valid_from);
    ermes__db_bind_int(s, 3, r->valid_until);
    ermes__db_bind_int(s, 4, r->confidence);
    ermes__db_bind_text(s, 5, ermes_tlp_name(r->tlp));
    ermes__db_bind_text(s, 6, r->source ? r->source : "");
    ermes__db_bind_text(s, 7, r->tags && r->tags[0] ? r->tags : "[]");
    ermes__db_bind_int(s, 8, now);
    if (!id) {
        ermes__db_bind_text(s, 9, r->type);
        ermes__db_bind_text(s, 10, r->value);
        ermes__db_bind_int(s, 11, r->exact ? 1 : 0);
        if (r->owner_org_id)
            ermes__db_bind_int(s, 12, r->owner_org_id);
        else
            ermes__db_bind_null(s, 12);
    }
    rc = ermes__db_step(s);
    if (rc == 1 && !id)
        id = ermes__db_col_int(s, 0);
    ermes__db_done(s);
    if (rc >= 0)
        rc = 0;
    /* Forced once, forced for good: a later import of the same value without force does not
     * make the warninglists suppress it. */
    if (!rc && r->forced &&
        !(rc = ermes__db_prepare(db, "UPDATE indicators SET forced = 1 WHERE id = ?1", &s))) {
        ermes__db_bind_int(s, 1, id);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc >= 0)
            rc = 0;
    }
    if (!rc) {
        if (created)
            *created = fresh;
        r->id = id;
        r->updated_at = now;
    }
out:
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_indicator_update(ermes__store_t *st, int64_t id, const ermes__indicator_row_t *upd,
                                  unsigned has)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "UPDATE indicators SET"
                                " valid_from = CASE WHEN ?2 THEN ?3 ELSE valid_from END,"
                                " valid_until = CASE WHEN ?4 THEN ?5 ELSE valid_until END,"
                                " confidence = CASE WHEN ?6 THEN ?7 ELSE confidence END,"
                                " tlp = CASE WHEN ?8 THEN ?9 ELSE tlp END,"
                                " source = CASE WHEN ?10 THEN ?11 ELSE source END,"
                                " tags = CASE WHEN ?12 THEN ?13 ELSE tags END,"
                                " updated_at = ?14 WHERE id = ?1 RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, (has & ERMES_IND_UPD_VALID_FROM) != 0);
    ermes__db_bind_int(s, 3, upd->valid_from);
    ermes__db_bind_int(s, 4, (has & ERMES_IND_UPD_VALID_UNTIL) != 0);
    ermes__db_bind_int(s, 5, upd->valid_until);
    ermes__db_bind_int(s, 6, (has & ERMES_IND_UPD_CONFIDENCE) != 0);
    ermes__db_bind_int(s, 7, upd->confidence);
    ermes__db_bind_int(s, 8, (has & ERMES_IND_UPD_TLP) != 0);
    ermes__db_bind_text(s, 9, ermes_tlp_name(upd->tlp));
    ermes__db_bind_int(s, 10, (has & ERMES_IND_UPD_SOURCE) != 0);
    ermes__db_bind_text(s, 11, upd->source ? upd->source : "");
    ermes__db_bind_int(s, 12, (has & ERMES_IND_UPD_TAGS) != 0);
    ermes__db_bind_text(s, 13, upd->tags && upd->tags[0] ? upd->tags : "[]");
    ermes__db_bind_int(s, 14, ermes__time_now_ms());
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
}

int ermes__store_indicator_delete(ermes__store_t *st, int64_t id)
{
    return ermes__db_exec_id(st, "DELETE FROM indicators WHERE id = ?1 RETURNING id", id);
}

int ermes__store_indicator_each(ermes__store_t *st, const ermes__viewer_t *v,
                                const ermes__indicator_filter_t *f, ermes__store_indicator_cb cb,
                                void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__indicator_row_t r;
    char tag[300];
    long n = 0;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db,
             "SELECT " IND_COLUMNS " FROM " IND_FROM " WHERE i.id > ?8"
             " AND (?3 IS NULL OR i.type = ?3) AND (?4 IS NULL OR i.value = ?4)"
             " AND (?5 IS NULL OR i.source = ?5) AND (?6 IS NULL OR instr(i.tags, ?6) > 0)"
             " AND (?7 = 0 OR ((i.valid_from = 0 OR i.valid_from <= ?7)"
             "  AND (i.valid_until = 0 OR i.valid_until > ?7)))"
             " AND " IND_VISIBLE("i") " ORDER BY i.id LIMIT ?9",
             &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_text(s, 3, f->type);
    ermes__db_bind_text(s, 4, f->value);
    ermes__db_bind_text(s, 5, f->source);
    if (f->tag) {
        /* Tags are kept as a JSON array: a tag is its quoted form inside it. */
        json_t *q = json_string(f->tag);
        char *t = q ? json_dumps(q, JSON_ENCODE_ANY) : NULL;
        snprintf(tag, sizeof(tag), "%s", t ? t : "\"\"");
        free(t);
        json_decref(q);
        ermes__db_bind_text(s, 6, tag);
    } else {
        ermes__db_bind_null(s, 6);
    }
    ermes__db_bind_int(s, 7, f->active_at);
    ermes__db_bind_int(s, 8, f->after_id);
    ermes__db_bind_int(s, 9, ermes__page_limit(f->limit));
    while ((rc = ermes__page_step(s, f->limit, &n, more)) == 1) {
        row_of(s, &r);
        if ((rc = cb(ctx, &r)))
            break;
    }
    ermes__db_done(s);
    return rc == 1 ? 0 : rc;
}

int ermes__store_indicator_get(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                               ermes__store_indicator_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__indicator_row_t r;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " IND_COLUMNS " FROM " IND_FROM " WHERE i.id = ?3"
                                " AND " IND_VISIBLE("i"),
                                &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        row_of(s, &r);
        rc = cb(ctx, &r);
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_indicator_version(ermes__store_t *st, int64_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT value FROM counters WHERE name = 'indicators'", &s)))
        return rc;
    rc = ermes__db_step(s);
    if (rc == 1) {
        *out = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_indicator_next_change(ermes__store_t *st, int64_t now, int64_t *at)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT min(t) FROM (SELECT min(valid_until) AS t FROM indicators"
                                " WHERE valid_until > ?1 UNION ALL SELECT min(valid_from)"
                                " FROM indicators WHERE valid_from > ?1) bounds",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *at = ermes__db_col_null(s, 0) ? 0 : ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        *at = 0;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_indicator_local_each(ermes__store_t *st, int64_t since,
                                      ermes__store_indicator_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__indicator_row_t r;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT " IND_COLUMNS " FROM " IND_FROM " WHERE x.stix_id IS NULL"
                                " AND i.updated_at > ?1 ORDER BY i.updated_at, i.id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, since);
    while ((rc = ermes__db_step(s)) == 1) {
        row_of(s, &r);
        if ((rc = cb(ctx, &r)))
            break;
    }
    ermes__db_done(s);
    return rc;
}
