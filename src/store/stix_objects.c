/* The store's STIX 2.1 objects: every version of every object imported or made, whole. Lists page
 * on the keyset (date_added, id), which never skips or repeats a row however many share one
 * date_added, and apply the TLP policy's masks (src/access/tlp_policy.h) in the query, before the
 * page is cut. The sharing groups they are shared in are sharing_groups.c. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store_int.h"

#define STIX_COLUMNS                                                                               \
    "o.id, o.stix_id, o.type, o.spec_version, o.created, o.modified, o.version_key,"               \
    " o.date_added, o.source, o.sharing_group_id, o.revoked, o.object, o.tlp, o.owner_org_id,"     \
    " o.created_at, o.updated_at"

/* The TLP label as its policy bit (1 << ermes_tlp_t). */
#define TLP_BIT(T)                                                                                 \
    "(CASE " T ".tlp WHEN 'CLEAR' THEN 1 WHEN 'GREEN' THEN 2 WHEN 'AMBER' THEN 4"                  \
    " WHEN 'AMBER+STRICT' THEN 8 ELSE 16 END)"

/* The filter of ermes__store_stix_each and _delete. ?1 ?2: keyset, a row value
 * (as "a > ?1 OR (a = ?1 AND b > ?2)" it was not an index range: each page read every row before
 * it); ?3: added_after; ?4 ?5 ?6:
 * TLP masks and organisation; ?7..?15 ids; ?16..?24 types; ?25..?33 spec versions (none listed:
 * the newest spec version of each object, as TAXII 2.1 section 3.4.2 wants); ?34 ?35:
 * collection and select_all; ?36: versions (0 last, 1 first, 2 all, 3 listed, all of them
 * within the spec versions chosen); ?37..?44 listed versions; ?45: source. Without listed spec
 * versions, the row's own flags answer (newest_spec, latest, earliest); with them, the
 * versions are looked up among the rows of those spec versions. ?46 ?47: the masks of a named
 * recipient and of its clients (tlp_recipients); ?48: the page's limit where there is one. */
/* clang-format off */
#define SPEC_LISTED(T) T ".spec_version IN (?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33)"
/* ids: the test of match[id]. With ids given, it is a plain conjunction that the planner
 * answers from the (stix_id, version_key) index; "?7 = 0 OR ..." would scan every row, which
 * made an import (which looks up each object's newest version) quadratic. */
#define STIX_IDS_ANY " AND (?7 = 0 OR o.stix_id IN (?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15))"
#define STIX_IDS_LISTED " AND ?7 = 1 AND o.stix_id IN (?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
#define STIX_WHERE STIX_WHERE_OF(STIX_IDS_ANY)
#define STIX_WHERE_OF(ids) STIX_WHERE_KEYSET(" (o.date_added, o.id) > (?1, ?2)", ids)
/* The keyset split in two for the pages: SQLite seeks its index on the row value's first column
 * only, and walked every row of the same date_added before the page (an import's objects share
 * one: a page deep in a bundle of 50,000 stepped over up to 50,000 index entries). Rows of the
 * page's date_added after its id, then the rows of later date_added: each an index seek. */
#define STIX_KEYSET_SAME " o.date_added = ?1 AND o.id > ?2"
#define STIX_KEYSET_LATER " o.date_added > ?1"
#define STIX_WHERE_KEYSET(keyset, ids)                                                             \
    keyset " AND o.date_added > ?3"                                                                \
    " AND ((" TLP_BIT("o") " & ?4) <> 0"                                                           \
    "  OR (o.owner_org_id = ?5 AND (" TLP_BIT("o") " & ?6) <> 0)"                                  \
    "  OR ((" TLP_BIT("o") " & ?46) <> 0 AND EXISTS (SELECT 1 FROM tlp_recipients r_"              \
    "   WHERE r_.stix_id = o.stix_id AND r_.org_id = ?5))"                                         \
    "  OR ((" TLP_BIT("o") " & ?47) <> 0 AND EXISTS (SELECT 1 FROM tlp_recipients r_"              \
    "   JOIN organisations g_ ON g_.parent_id = r_.org_id"                                         \
    "   WHERE r_.stix_id = o.stix_id AND g_.id = ?5)))"                                            \
    ids                                                                                            \
    " AND (?16 = 0 OR o.type IN (?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24))"                         \
    " AND (?34 = 0 OR o.sharing_group_id = ?34 OR ?35 = 1)"                                        \
    " AND (?45 = '' OR o.source = ?45)"                                                            \
    " AND ((?25 = 0 AND ((?36 = 0 AND o.latest = 1) OR (?36 = 1 AND o.earliest = 1)"               \
    "   OR (?36 = 2 AND o.newest_spec = 1)"                                                        \
    "   OR (?36 = 3 AND o.newest_spec = 1"                                                         \
    "    AND o.version_key IN (?37, ?38, ?39, ?40, ?41, ?42, ?43, ?44))))"                         \
    "  OR (?25 = 1 AND " SPEC_LISTED("o") " AND ("                                                 \
    "   (?36 = 0 AND o.version_key = (SELECT max(m.version_key) FROM stix_objects m"               \
    "     WHERE m.stix_id = o.stix_id AND " SPEC_LISTED("m") "))"                                  \
    "   OR (?36 = 1 AND o.version_key = (SELECT min(m.version_key) FROM stix_objects m"            \
    "     WHERE m.stix_id = o.stix_id AND " SPEC_LISTED("m") "))"                                  \
    "   OR ?36 = 2"                                                                                \
    "   OR (?36 = 3 AND o.version_key IN (?37, ?38, ?39, ?40, ?41, ?42, ?43, ?44)))))"
/* clang-format on */

static void bind_list(ermes__db_stmt_t *s, int flag_idx, const char *const *v, size_t n)
{
    ermes__db_bind_int(s, flag_idx, n ? 1 : 0);
    for (size_t i = 0; i < ERMES__STIX_LIST_MAX; i++)
        ermes__db_bind_text(s, flag_idx + 1 + (int)i, i < n ? v[i] : NULL);
}

static void bind_filter(ermes__db_stmt_t *s, const ermes__stix_filter_t *f, int keyset)
{
    ermes__db_bind_int(s, 1, keyset ? f->after_added : -1);
    ermes__db_bind_int(s, 2, keyset ? f->after_id : 0);
    ermes__db_bind_int(s, 3, f->added_after >= 0 ? f->added_after : -1);
    ermes__db_bind_int(s, 4, f->tlp_anyone);
    ermes__db_bind_int(s, 5, f->org_id ? f->org_id : -1);
    ermes__db_bind_int(s, 6, f->tlp_owned);
    bind_list(s, 7, f->ids, f->nids);
    bind_list(s, 16, f->types, f->ntypes);
    bind_list(s, 25, f->spec_versions, f->nspec_versions);
    ermes__db_bind_int(s, 34, f->sharing_group_id);
    ermes__db_bind_int(s, 35, f->select_all ? 1 : 0);
    ermes__db_bind_int(s, 36, (int64_t)f->versions);
    for (size_t i = 0; i < ERMES__STIX_LIST_MAX; i++)
        ermes__db_bind_text(s, 37 + (int)i, i < f->nversion_keys ? f->version_keys[i] : NULL);
    ermes__db_bind_text(s, 45, f->source ? f->source : "");
    ermes__db_bind_int(s, 46, f->tlp_named);
    ermes__db_bind_int(s, 47, f->tlp_client);
}

static void row_of(ermes__db_stmt_t *s, ermes__stix_row_t *r)
{
    const char *tlp = ermes__db_col_text(s, 12);

    memset(r, 0, sizeof(*r));
    r->id = ermes__db_col_int(s, 0);
    r->stix_id = ermes__db_col_text(s, 1);
    r->type = ermes__db_col_text(s, 2);
    r->spec_version = ermes__db_col_text(s, 3);
    r->created = ermes__db_col_text(s, 4);
    r->modified = ermes__db_col_text(s, 5);
    r->version_key = ermes__db_col_text(s, 6);
    r->date_added = ermes__db_col_int(s, 7);
    r->source = ermes__db_col_text(s, 8);
    r->sharing_group_id = ermes__db_col_null(s, 9) ? 0 : ermes__db_col_int(s, 9);
    r->revoked = (int)ermes__db_col_int(s, 10);
    r->object = ermes__db_col_text(s, 11);
    if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &r->tlp))
        r->tlp = ERMES_TLP_RED;
    r->owner_org_id = ermes__db_col_null(s, 13) ? 0 : ermes__db_col_int(s, 13);
    r->created_at = ermes__db_col_int(s, 14);
    r->updated_at = ermes__db_col_int(s, 15);
}

/* Sets newest_spec, latest and earliest on every version of stix_id after one came or went. */
static int flags(ermes__db_t *db, const char *stix_id)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(
             db,
             "UPDATE stix_objects SET"
             " newest_spec = CASE WHEN spec_version = (SELECT max(m.spec_version)"
             "  FROM stix_objects m WHERE m.stix_id = ?1) THEN 1 ELSE 0 END,"
             " latest = CASE WHEN id = (SELECT m.id FROM stix_objects m WHERE m.stix_id = ?1"
             "  ORDER BY m.spec_version DESC, m.version_key DESC LIMIT 1) THEN 1 ELSE 0 END,"
             " earliest = CASE WHEN id = (SELECT m.id FROM stix_objects m WHERE m.stix_id = ?1"
             "  AND m.spec_version = (SELECT max(n.spec_version) FROM stix_objects n"
             "  WHERE n.stix_id = ?1) ORDER BY m.version_key LIMIT 1) THEN 1 ELSE 0 END"
             " WHERE stix_id = ?1",
             &s)))
        return rc;
    ermes__db_bind_text(s, 1, stix_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_stix_put(ermes__store_t *st, ermes__stix_row_t *r, int *created)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t now = ermes__time_now_ms();
    int rc, others;

    if (!db)
        return ERMES_ESTORE;
    if (!r->stix_id || !r->type || !r->object || !r->spec_version)
        return ERMES_EINVAL;
    r->sole = 0;
    /* A first version needs no flags(): the columns' defaults (newest_spec, latest, earliest all
     * 1) are its flags. Most objects have one version, and flags() rewrote each row (object and
     * all) a second time: an index probe here is far cheaper. */
    if ((rc = ermes__db_prepare(db, "SELECT 1 FROM stix_objects WHERE stix_id = ?1 LIMIT 1", &s)))
        return rc;
    ermes__db_bind_text(s, 1, r->stix_id);
    others = ermes__db_step(s);
    ermes__db_done(s);
    if (others < 0)
        return others;
    /* ON CONFLICT DO NOTHING: a version once stored is the version (STIX 2.1 section 3.6). */
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO stix_objects (stix_id, type, spec_version, created,"
                                " modified, version_key, date_added, source, sharing_group_id,"
                                " revoked, object, tlp, owner_org_id, created_at, updated_at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                                " ?14, ?14) ON CONFLICT (stix_id, version_key) DO NOTHING"
                                " RETURNING id",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, r->stix_id);
    ermes__db_bind_text(s, 2, r->type);
    ermes__db_bind_text(s, 3, r->spec_version);
    ermes__db_bind_text(s, 4, r->created ? r->created : "");
    ermes__db_bind_text(s, 5, r->modified ? r->modified : "");
    ermes__db_bind_text(s, 6, r->version_key ? r->version_key : "");
    ermes__db_bind_int(s, 7, r->date_added ? r->date_added : now);
    ermes__db_bind_text(s, 8, r->source && r->source[0] ? r->source : "local");
    if (r->sharing_group_id)
        ermes__db_bind_int(s, 9, r->sharing_group_id);
    else
        ermes__db_bind_null(s, 9);
    ermes__db_bind_int(s, 10, r->revoked ? 1 : 0);
    ermes__db_bind_text(s, 11, r->object);
    ermes__db_bind_text(s, 12, ermes_tlp_name(r->tlp));
    if (r->owner_org_id)
        ermes__db_bind_int(s, 13, r->owner_org_id);
    else
        ermes__db_bind_null(s, 13);
    ermes__db_bind_int(s, 14, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        r->id = ermes__db_col_int(s, 0);
        if (!r->date_added)
            r->date_added = now;
        r->created_at = r->updated_at = now;
    }
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if (created)
        *created = rc == 1;
    if (rc != 1)
        return 0;
    if (!others) {
        r->sole = 1;
        return 0;
    }
    return flags(db, r->stix_id);
}

int ermes__store_stix_each(ermes__store_t *st, const ermes__stix_filter_t *f,
                           ermes__store_stix_cb cb, void *ctx, int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__stix_row_t r;
    long n = 0;
    int rc;

    static const char *const sql[2][2] = {
        {"SELECT " STIX_COLUMNS " FROM stix_objects o WHERE" STIX_WHERE_KEYSET(
             STIX_KEYSET_SAME, STIX_IDS_ANY) " ORDER BY o.date_added, o.id LIMIT ?48",
         "SELECT " STIX_COLUMNS " FROM stix_objects o WHERE" STIX_WHERE_KEYSET(
             STIX_KEYSET_SAME, STIX_IDS_LISTED) " ORDER BY o.date_added, o.id LIMIT ?48"},
        {"SELECT " STIX_COLUMNS " FROM stix_objects o WHERE" STIX_WHERE_KEYSET(
             STIX_KEYSET_LATER, STIX_IDS_ANY) " ORDER BY o.date_added, o.id LIMIT ?48",
         "SELECT " STIX_COLUMNS " FROM stix_objects o WHERE" STIX_WHERE_KEYSET(
             STIX_KEYSET_LATER, STIX_IDS_LISTED) " ORDER BY o.date_added, o.id LIMIT ?48"},
    };
    int got_more = 0;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    /* (date_added, id) > (a, b): the rows of date_added a after b (phase 0; none before the
     * first page), then those of a later date_added (phase 1), the page's rows counted across
     * both. */
    for (int phase = f->after_added >= 0 ? 0 : 1; phase < 2; phase++) {
        if ((rc = ermes__db_prepare(db, sql[phase][f->nids ? 1 : 0], &s)))
            return rc;
        bind_filter(s, f, 1);
        ermes__db_bind_int(s, 48, ermes__page_limit(f->limit > 0 ? f->limit - n : f->limit));
        while ((rc = ermes__page_step(s, f->limit, &n, &got_more)) == 1) {
            row_of(s, &r);
            if ((rc = cb(ctx, &r)))
                break;
        }
        ermes__db_done(s);
        if (rc || got_more)
            break;
    }
    if (more)
        *more = got_more;
    return rc;
}

int ermes__store_stix_delete(ermes__store_t *st, const char *stix_id, const ermes__stix_filter_t *f,
                             int64_t *n)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__stix_filter_t g = *f;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    g.ids[0] = stix_id;
    g.nids = 1;
    g.ntypes = 0;
    if ((rc = ermes__db_prepare(db,
                                "DELETE FROM stix_objects WHERE id IN (SELECT o.id FROM"
                                " stix_objects o WHERE" STIX_WHERE_OF(STIX_IDS_LISTED) ")",
                                &s)))
        return rc;
    bind_filter(s, &g, 0);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    if (n)
        *n = ermes__db_changes(db);
    return flags(db, stix_id);
}

int ermes__store_indicator_describe(ermes__store_t *st, int64_t id, const char *name,
                                    const char *description, const char *stix_id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO indicator_stix (indicator_id, name, description,"
                                " stix_id) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (indicator_id) DO"
                                " UPDATE SET name = excluded.name, description ="
                                " excluded.description, stix_id = excluded.stix_id RETURNING"
                                " indicator_id",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_text(s, 2, name ? name : "");
    ermes__db_bind_text(s, 3, description ? description : "");
    ermes__db_bind_text(s, 4, stix_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
}

int ermes__store_counter_get(ermes__store_t *st, const char *name, int64_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT value FROM counters WHERE name = ?1", &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    rc = ermes__db_step(s);
    *out = rc == 1 ? ermes__db_col_int(s, 0) : 0;
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

int ermes__store_counter_sum(ermes__store_t *st, const char *const *names, size_t n, uint64_t *sum)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    uint64_t total = 0;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (n > 4)
        return ERMES_EINVAL;
    if ((rc = ermes__db_prepare(db, "SELECT value FROM counters WHERE name IN (?1, ?2, ?3, ?4)",
                                &s)))
        return rc;
    for (size_t i = 0; i < 4; i++)
        if (i < n && names[i])
            ermes__db_bind_text(s, (int)i + 1, names[i]);
        else
            ermes__db_bind_null(s, (int)i + 1);
    /* Unsigned: the sum of values may wrap; only its equality and order matter. */
    while ((rc = ermes__db_step(s)) == 1)
        total += (uint64_t)ermes__db_col_int(s, 0);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    *sum = total;
    return 0;
}

int ermes__store_counter_set(ermes__store_t *st, const char *name, int64_t value)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO counters (name, value) VALUES (?1, ?2)"
                                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, name);
    ermes__db_bind_int(s, 2, value);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}
