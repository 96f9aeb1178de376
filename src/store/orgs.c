/* The store's organisations: the constituency registry's tables. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/store_int.h"

/* TLP 2.0 visibility of a row about organisation SUBJECT, as SQL, for the viewer bound as
 * ?1 (1 for the CERT's staff, who see everything) and ?2 (the viewer's organisation):
 *   CLEAR, GREEN   anyone in the constituency;
 *   AMBER          the organisation concerned and its clients, and the owner. TLP 2.0: "TLP:AMBER:
 *                  recipients may share with members of their own organization and its
 *                  clients", so a record about X reaches X and X's descendants (its member units),
 *                  never X's parent or other ancestors. Seen from the viewer: the subject is the
 *                  viewer's organisation or one of its ancestors;
 *   AMBER+STRICT   the organisation concerned only, and the owner;
 *   RED            the owner only (the named recipients are the owner's people). */
#define ANCESTRY_OF_VIEWER                                                                         \
    "(WITH RECURSIVE up(id) AS (SELECT ?2 UNION SELECT o_.parent_id FROM organisations o_ "        \
    "JOIN up ON o_.id = up.id WHERE o_.parent_id IS NOT NULL) SELECT id FROM up)"
#define VISIBLE(T, SUBJECT)                                                                        \
    "(?1 = 1 OR " T ".tlp IN ('CLEAR','GREEN') OR " T ".owner_org_id = ?2"                         \
    " OR (" T ".tlp = 'AMBER' AND " SUBJECT " IN " ANCESTRY_OF_VIEWER ")"                          \
    " OR (" T ".tlp = 'AMBER+STRICT' AND " SUBJECT " = ?2))"

static int bind_viewer(ermes__db_stmt_t *s, const ermes__viewer_t *v)
{
    int rc = ermes__db_bind_int(s, 1, v && !ermes__viewer_is_staff(v) ? 0 : 1);

    return rc ? rc : ermes__db_bind_int(s, 2, v ? v->org_id : 0);
}

static int tlp_from_text(const char *s, ermes_tlp_t *out)
{
    if (!s || ermes_tlp_parse(s, strlen(s), out))
        *out = ERMES_TLP_RED; /* unreadable label: treat as the most restrictive */
    return 0;
}

/* Resolves a short name to an id without visibility (internal: parents, conflicts). */
static int id_of_short_name(ermes__db_t *db, const char *short_name, int64_t *id)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db, "SELECT id FROM organisations WHERE short_name = ?1", &s)))
        return rc;
    ermes__db_bind_text(s, 1, short_name);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *id = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_org_short_name(ermes__store_t *st, int64_t id, char *buf, size_t cap)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT short_name FROM organisations WHERE id = ?1", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    if (rc == 1) {
        snprintf(buf, cap, "%s", ermes__db_col_text(s, 0));
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_org_short_names(ermes__store_t *st, size_t limit, ermes__store_org_name_cb cb,
                                 void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT id, short_name FROM organisations ORDER BY id LIMIT ?1",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, (int64_t)limit);
    while ((rc = ermes__db_step(s)) == 1) {
        const char *name = ermes__db_col_text(s, 1);
        if ((rc = cb(ctx, ermes__db_col_int(s, 0), name ? name : "")))
            break;
    }
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

/* Explains a unique violation on one of an organisation's parts: who holds it already. */
static void explain_taken(ermes__db_t *db, const char *sql, const char *field, const char *what,
                          const char *value, ermes_diag_t *d)
{
    ermes__db_stmt_t *s;
    const char *holder = "another organisation";
    char name[64] = "";

    if (ermes__db_prepare(db, sql, &s) == 0) {
        ermes__db_bind_text(s, 1, value);
        if (ermes__db_step(s) == 1) {
            snprintf(name, sizeof(name), "%s", ermes__db_col_text(s, 0));
            holder = name;
        }
        ermes__db_done(s);
    }
    ermes_diag_set(d, field, "%s %s is already registered to %s", what, value, holder);
}

/* Marks contact id published to the community (contact_published, migration 29). */
static int contact_publish(ermes__db_t *db, int64_t id)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db, "INSERT INTO contact_published (contact_id) VALUES (?1)", &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc < 0 ? rc : 0;
}

static int insert_parts(ermes__db_t *db, int64_t org_id, const ermes__org_t *org, unsigned which,
                        int64_t now, ermes_diag_t *d)
{
    ermes__db_stmt_t *s;
    char field[48], text[ERMES_CIDR_STRLEN];
    int rc = 0;

    if (which & ERMES_ORG_HAS_CONTACTS)
        for (size_t k = 0; k < org->ncontacts && !rc; k++) {
            const ermes__contact_t *c = &org->contacts[k];
            if ((rc = ermes__db_prepare(db,
                                        "INSERT INTO contacts (org_id, name, email, role, "
                                        "language, pgp_key, tlp, owner_org_id, created_at, "
                                        "updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?9)"
                                        " RETURNING id",
                                        &s)))
                return rc;
            ermes__db_bind_int(s, 1, org_id);
            ermes__db_bind_text(s, 2, c->name);
            ermes__db_bind_text(s, 3, c->email);
            ermes__db_bind_text(s, 4, c->role ? c->role : "abuse");
            ermes__db_bind_text(s, 5, c->language ? c->language : "en");
            ermes__db_bind_text(s, 6, c->pgp_key);
            ermes__db_bind_text(s, 7, ermes_tlp_name(c->meta.tlp));
            ermes__db_bind_int(s, 8, org->meta.owner_org_id);
            ermes__db_bind_int(s, 9, now);
            rc = ermes__db_step(s);
            if (rc == 1) {
                int64_t cid = ermes__db_col_int(s, 0);
                ermes__db_done(s);
                rc = c->published ? contact_publish(db, cid) : 0;
                continue;
            }
            ermes__db_done(s);
        }
    if (which & ERMES_ORG_HAS_NETWORKS)
        for (size_t k = 0; k < org->nnetworks && !rc; k++) {
            const ermes_cidr_t *n = &org->networks[k];
            ermes_cidr_format(n, text);
            if ((rc = ermes__db_prepare(db,
                                        "INSERT INTO networks (org_id, cidr, family, prefix, "
                                        "first, tlp, owner_org_id, created_at, updated_at) "
                                        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?8)",
                                        &s)))
                return rc;
            ermes__db_bind_int(s, 1, org_id);
            ermes__db_bind_text(s, 2, text);
            ermes__db_bind_int(s, 3, n->addr.family);
            ermes__db_bind_int(s, 4, n->prefix);
            ermes__db_bind_blob(s, 5, n->addr.bytes, n->addr.family == ERMES_AF_INET ? 4 : 16);
            ermes__db_bind_text(s, 6, ermes_tlp_name(org->meta.tlp));
            ermes__db_bind_int(s, 7, org->meta.owner_org_id);
            ermes__db_bind_int(s, 8, now);
            rc = ermes__db_step(s);
            ermes__db_done(s);
            if (rc == ERMES_EEXISTS) {
                snprintf(field, sizeof(field), "networks[%zu]", k);
                explain_taken(db,
                              "SELECT o.short_name FROM networks n JOIN organisations o ON "
                              "o.id = n.org_id WHERE n.cidr = ?1",
                              field, "network", text, d);
            }
        }
    if (which & ERMES_ORG_HAS_ASNS)
        for (size_t k = 0; k < org->nasns && !rc; k++) {
            if ((rc = ermes__db_prepare(db,
                                        "INSERT INTO asns (org_id, asn, tlp, owner_org_id, "
                                        "created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?5)",
                                        &s)))
                return rc;
            ermes__db_bind_int(s, 1, org_id);
            ermes__db_bind_int(s, 2, org->asns[k]);
            ermes__db_bind_text(s, 3, ermes_tlp_name(org->meta.tlp));
            ermes__db_bind_int(s, 4, org->meta.owner_org_id);
            ermes__db_bind_int(s, 5, now);
            rc = ermes__db_step(s);
            ermes__db_done(s);
            if (rc == ERMES_EEXISTS) {
                snprintf(field, sizeof(field), "asns[%zu]", k);
                snprintf(text, sizeof(text), "%u", org->asns[k]);
                explain_taken(db,
                              "SELECT o.short_name FROM asns a JOIN organisations o ON "
                              "o.id = a.org_id WHERE a.asn = CAST(?1 AS INTEGER)",
                              field, "AS", text, d);
            }
        }
    if (which & ERMES_ORG_HAS_DOMAINS)
        for (size_t k = 0; k < org->ndomains && !rc; k++) {
            if ((rc = ermes__db_prepare(db,
                                        "INSERT INTO domains (org_id, domain, tlp, owner_org_id, "
                                        "created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?5)",
                                        &s)))
                return rc;
            ermes__db_bind_int(s, 1, org_id);
            ermes__db_bind_text(s, 2, org->domains[k]);
            ermes__db_bind_text(s, 3, ermes_tlp_name(org->meta.tlp));
            ermes__db_bind_int(s, 4, org->meta.owner_org_id);
            ermes__db_bind_int(s, 5, now);
            rc = ermes__db_step(s);
            ermes__db_done(s);
            if (rc == ERMES_EEXISTS) {
                snprintf(field, sizeof(field), "domains[%zu]", k);
                explain_taken(db,
                              "SELECT o.short_name FROM domains x JOIN organisations o ON "
                              "o.id = x.org_id WHERE x.domain = ?1",
                              field, "domain", org->domains[k], d);
            }
        }
    return rc;
}

int ermes__store_org_insert(ermes__store_t *st, ermes__org_t *org, ermes_diag_t *d)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t parent_id = 0, now = ermes__time_now_ms();
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if (org->parent) {
        rc = id_of_short_name(db, org->parent, &parent_id);
        if (rc == ERMES_ENOTFOUND)
            ermes_diag_set(d, "parent", "parent organisation \"%.32s\" is not registered",
                           org->parent);
        if (rc)
            goto out;
    }
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO organisations (short_name, name, country, sector, "
                                "type, parent_id, tlp, owner_org_id, created_at, updated_at) "
                                "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?9) RETURNING id",
                                &s)))
        goto out;
    ermes__db_bind_text(s, 1, org->short_name);
    ermes__db_bind_text(s, 2, org->name);
    ermes__db_bind_text(s, 3, org->country);
    ermes__db_bind_text(s, 4, org->sector);
    ermes__db_bind_text(s, 5, org->type);
    if (parent_id)
        ermes__db_bind_int(s, 6, parent_id);
    else
        ermes__db_bind_null(s, 6);
    ermes__db_bind_text(s, 7, ermes_tlp_name(org->meta.tlp));
    if (org->meta.owner_org_id)
        ermes__db_bind_int(s, 8, org->meta.owner_org_id);
    else
        ermes__db_bind_null(s, 8);
    ermes__db_bind_int(s, 9, now);
    rc = ermes__db_step(s);
    if (rc == 1) {
        org->meta.id = ermes__db_col_int(s, 0);
        rc = 0;
    }
    ermes__db_done(s);
    if (rc == ERMES_EEXISTS)
        ermes_diag_set(d, "short_name", "an organisation named \"%.32s\" already exists",
                       org->short_name);
    if (rc)
        goto out;
    /* The first organisation owns itself: it is the CERT running this ermes. */
    if (!org->meta.owner_org_id) {
        org->meta.owner_org_id = org->meta.id;
        if ((rc = ermes__db_prepare(db, "UPDATE organisations SET owner_org_id = ?1 WHERE id = ?1",
                                    &s)))
            goto out;
        ermes__db_bind_int(s, 1, org->meta.id);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc)
            goto out;
    }
    org->parent_id = parent_id;
    org->meta.created_at = org->meta.updated_at = now;
    rc = insert_parts(db, org->meta.id, org,
                      ERMES_ORG_HAS_CONTACTS | ERMES_ORG_HAS_NETWORKS | ERMES_ORG_HAS_ASNS |
                          ERMES_ORG_HAS_DOMAINS,
                      now, d);
out:
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_org_update(ermes__store_t *st, int64_t id, const ermes__org_t *upd,
                            ermes_diag_t *d)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t parent_id = 0, now = ermes__time_now_ms();
    unsigned has = upd->has;
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if ((has & ERMES_ORG_HAS_PARENT) && upd->parent) {
        rc = id_of_short_name(db, upd->parent, &parent_id);
        if (rc == ERMES_ENOTFOUND)
            ermes_diag_set(d, "parent", "parent organisation \"%.32s\" is not registered",
                           upd->parent);
        if (rc)
            goto out;
        /* A parent may not be the organisation itself or one of its descendants. */
        if ((rc = ermes__db_prepare(
                 db,
                 "WITH RECURSIVE up(id) AS (SELECT CAST(?1 AS BIGINT) UNION SELECT o.parent_id "
                 "FROM "
                 "organisations o JOIN up ON o.id = up.id WHERE o.parent_id IS NOT NULL) "
                 "SELECT 1 FROM up WHERE id = ?2",
                 &s)))
            goto out;
        ermes__db_bind_int(s, 1, parent_id);
        ermes__db_bind_int(s, 2, id);
        rc = ermes__db_step(s);
        ermes__db_done(s);
        if (rc == 1) {
            ermes_diag_set(d, "parent",
                           "\"%.32s\" is this organisation or one of its "
                           "descendants: the hierarchy would become a cycle",
                           upd->parent);
            rc = ERMES_ECONFLICT;
        }
        if (rc)
            goto out;
    }
    if ((rc = ermes__db_prepare(db,
                                "UPDATE organisations SET"
                                " short_name = CASE WHEN ?2 THEN ?3 ELSE short_name END,"
                                " name = CASE WHEN ?4 THEN ?5 ELSE name END,"
                                " country = CASE WHEN ?6 THEN ?7 ELSE country END,"
                                " sector = CASE WHEN ?8 THEN ?9 ELSE sector END,"
                                " type = CASE WHEN ?10 THEN ?11 ELSE type END,"
                                " parent_id = CASE WHEN ?12 THEN ?13 ELSE parent_id END,"
                                " tlp = CASE WHEN ?14 THEN ?15 ELSE tlp END,"
                                " updated_at = ?16 WHERE id = ?1",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, !!(has & ERMES_ORG_HAS_SHORT_NAME));
    ermes__db_bind_text(s, 3, upd->short_name);
    ermes__db_bind_int(s, 4, !!(has & ERMES_ORG_HAS_NAME));
    ermes__db_bind_text(s, 5, upd->name);
    ermes__db_bind_int(s, 6, !!(has & ERMES_ORG_HAS_COUNTRY));
    ermes__db_bind_text(s, 7, upd->country);
    ermes__db_bind_int(s, 8, !!(has & ERMES_ORG_HAS_SECTOR));
    ermes__db_bind_text(s, 9, upd->sector);
    ermes__db_bind_int(s, 10, !!(has & ERMES_ORG_HAS_TYPE));
    ermes__db_bind_text(s, 11, upd->type);
    ermes__db_bind_int(s, 12, !!(has & ERMES_ORG_HAS_PARENT));
    if (parent_id)
        ermes__db_bind_int(s, 13, parent_id);
    else
        ermes__db_bind_null(s, 13);
    ermes__db_bind_int(s, 14, !!(has & ERMES_ORG_HAS_TLP));
    ermes__db_bind_text(s, 15, ermes_tlp_name(upd->meta.tlp));
    ermes__db_bind_int(s, 16, now);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc == ERMES_EEXISTS)
        ermes_diag_set(d, "short_name", "an organisation named \"%.32s\" already exists",
                       upd->short_name);
    if (rc)
        goto out;
    if (ermes__db_changes(db) != 1) {
        rc = ERMES_ENOTFOUND;
        goto out;
    }
    /* Arrays that came replace the whole set. */
    {
        static const struct {
            unsigned flag;
            const char *sql;
        } clear[] = {
            {ERMES_ORG_HAS_CONTACTS, "DELETE FROM contacts WHERE org_id = ?1"},
            {ERMES_ORG_HAS_NETWORKS, "DELETE FROM networks WHERE org_id = ?1"},
            {ERMES_ORG_HAS_ASNS, "DELETE FROM asns WHERE org_id = ?1"},
            {ERMES_ORG_HAS_DOMAINS, "DELETE FROM domains WHERE org_id = ?1"},
        };
        for (size_t k = 0; k < sizeof(clear) / sizeof(clear[0]) && !rc; k++) {
            if (!(has & clear[k].flag))
                continue;
            if ((rc = ermes__db_prepare(db, clear[k].sql, &s)))
                goto out;
            ermes__db_bind_int(s, 1, id);
            rc = ermes__db_step(s);
            ermes__db_done(s);
        }
    }
    if (!rc) {
        ermes__org_t copy = *upd;
        /* New parts keep the organisation's owner. */
        if ((rc = ermes__db_prepare(db, "SELECT owner_org_id, tlp FROM organisations WHERE id = ?1",
                                    &s)))
            goto out;
        ermes__db_bind_int(s, 1, id);
        if ((rc = ermes__db_step(s)) == 1) {
            copy.meta.owner_org_id = ermes__db_col_int(s, 0);
            tlp_from_text(ermes__db_col_text(s, 1), &copy.meta.tlp);
            rc = 0;
        }
        ermes__db_done(s);
        if (!rc)
            rc = insert_parts(db, id, &copy, has, now, d);
    }
    /* The networks, ASNs and domains have no label of their own in the model: they carry the
     * organisation's, so a new one reaches those already stored. Contacts keep theirs: each
     * is labelled on its own. */
    if (!rc && (has & ERMES_ORG_HAS_TLP)) {
        static const char *const relabel[] = {
            "UPDATE networks SET tlp = ?2, updated_at = ?3 WHERE org_id = ?1 AND tlp <> ?2",
            "UPDATE asns SET tlp = ?2, updated_at = ?3 WHERE org_id = ?1 AND tlp <> ?2",
            "UPDATE domains SET tlp = ?2, updated_at = ?3 WHERE org_id = ?1 AND tlp <> ?2",
        };
        for (size_t k = 0; k < sizeof(relabel) / sizeof(relabel[0]) && !rc; k++) {
            if ((rc = ermes__db_prepare(db, relabel[k], &s)))
                goto out;
            ermes__db_bind_int(s, 1, id);
            ermes__db_bind_text(s, 2, ermes_tlp_name(upd->meta.tlp));
            ermes__db_bind_int(s, 3, now);
            rc = ermes__db_step(s);
            ermes__db_done(s);
        }
    }
out:
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_org_delete(ermes__store_t *st, int64_t id, ermes_diag_t *d)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    if ((rc = ermes__db_prepare(db,
                                "SELECT (SELECT COUNT(*) FROM organisations WHERE parent_id = ?1),"
                                " (SELECT COUNT(*) FROM users WHERE org_id = ?1),"
                                " (SELECT COUNT(*) FROM organisations WHERE owner_org_id = ?1 "
                                "AND id <> ?1)",
                                &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    if ((rc = ermes__db_step(s)) == 1) {
        rc = 0;
        if (ermes__db_col_int(s, 0)) {
            ermes_diag_set(d, NULL, "the organisation has %lld child organisations",
                           (long long)ermes__db_col_int(s, 0));
            rc = ERMES_ECONFLICT;
        } else if (ermes__db_col_int(s, 1)) {
            ermes_diag_set(d, NULL, "the organisation has %lld users",
                           (long long)ermes__db_col_int(s, 1));
            rc = ERMES_ECONFLICT;
        } else if (ermes__db_col_int(s, 2)) {
            ermes_diag_set(d, NULL, "the organisation owns other organisations' records");
            rc = ERMES_ECONFLICT;
        }
    }
    ermes__db_done(s);
    if (rc)
        goto out;
    if ((rc = ermes__db_prepare(db, "DELETE FROM organisations WHERE id = ?1 RETURNING id", &s)))
        goto out;
    ermes__db_bind_int(s, 1, id);
    rc = ermes__db_step(s);
    rc = rc == 1 ? 0 : rc == 0 ? ERMES_ENOTFOUND : rc;
    ermes__db_done(s);
out:
    return ermes__tx_end(db, owned, rc);
}

int ermes__store_org_resolve(ermes__store_t *st, const ermes__viewer_t *v, const char *ref,
                             int64_t *id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t num = 0;
    int rc, numeric = ref[0] != '\0';

    if (!db)
        return ERMES_ESTORE;
    for (const char *p = ref; *p; p++) {
        if (*p < '0' || *p > '9' || num > (INT64_MAX - 9) / 10) {
            numeric = 0;
            break;
        }
        num = num * 10 + (*p - '0');
    }
    if ((rc = ermes__db_prepare(db,
                                "SELECT o.id FROM organisations o WHERE "
                                "(o.id = ?3 OR o.short_name = ?4) AND " VISIBLE("o", "o.id"),
                                &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, numeric ? num : -1);
    ermes__db_bind_text(s, 4, numeric ? "" : ref);
    rc = ermes__db_step(s);
    if (rc == 1) {
        *id = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

#define ORG_COLUMNS                                                                                \
    "o.id, o.short_name, o.name, o.country, o.sector, o.type, o.parent_id, p.short_name, "         \
    "o.tlp, o.owner_org_id, w.short_name, o.created_at, o.updated_at"
#define ORG_FROM                                                                                   \
    " FROM organisations o LEFT JOIN organisations p ON p.id = o.parent_id"                        \
    " LEFT JOIN organisations w ON w.id = o.owner_org_id"

/* An organisation's contacts (?3) as viewer ?1/?2 may see them: another organisation's are
 * shown to a constituent only when published to the community (and their TLP lets it see
 * them): a directory the CERT chose to share, not every address it holds. */
#define CONTACT_SHOWN                                                                              \
    " AND (?1 = 1 OR x.org_id = ?2 OR x.owner_org_id = ?2 OR p.contact_id IS NOT NULL)"
#define CONTACTS_SQL                                                                               \
    "SELECT x.id, x.name, x.email, x.role, x.language, x.pgp_key, x.tlp, x.created_at,"            \
    " x.updated_at, p.contact_id FROM contacts x LEFT JOIN contact_published p"                    \
    " ON p.contact_id = x.id WHERE x.org_id = ?3 AND " VISIBLE("x", "x.org_id") CONTACT_SHOWN      \
        " ORDER BY x.id"

/* Fills org from an ORG_COLUMNS row, then loads the parts the viewer may see. */
static int load_org(ermes__db_t *db, ermes__db_stmt_t *row, const ermes__viewer_t *v,
                    ermes__org_t *org)
{
    ermes__db_stmt_t *s;
    int rc;

    org->meta.id = ermes__db_col_int(row, 0);
    if ((!(org->short_name = ermes__org_strdup(org, ermes__db_col_text(row, 1))) ||
         !(org->name = ermes__org_strdup(org, ermes__db_col_text(row, 2)))))
        return ERMES_ENOMEM;
    org->country = ermes__org_strdup(org, ermes__db_col_text(row, 3));
    org->sector = ermes__org_strdup(org, ermes__db_col_text(row, 4));
    org->type = ermes__org_strdup(org, ermes__db_col_text(row, 5));
    org->parent_id = ermes__db_col_int(row, 6);
    org->parent = ermes__org_strdup(org, ermes__db_col_text(row, 7));
    tlp_from_text(ermes__db_col_text(row, 8), &org->meta.tlp);
    org->meta.owner_org_id = ermes__db_col_int(row, 9);
    org->owner = ermes__org_strdup(org, ermes__db_col_text(row, 10));
    org->meta.created_at = ermes__db_col_int(row, 11);
    org->meta.updated_at = ermes__db_col_int(row, 12);

    if ((rc = ermes__db_prepare(db, CONTACTS_SQL, &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, org->meta.id);
    while ((rc = ermes__db_step(s)) == 1) {
        ermes__contact_t c;
        memset(&c, 0, sizeof(c));
        c.meta.id = ermes__db_col_int(s, 0);
        c.name = (char *)ermes__db_col_text(s, 1);
        c.email = (char *)ermes__db_col_text(s, 2);
        c.role = (char *)ermes__db_col_text(s, 3);
        c.language = (char *)ermes__db_col_text(s, 4);
        c.pgp_key = (char *)ermes__db_col_text(s, 5);
        tlp_from_text(ermes__db_col_text(s, 6), &c.meta.tlp);
        c.meta.created_at = ermes__db_col_int(s, 7);
        c.meta.updated_at = ermes__db_col_int(s, 8);
        c.published = ermes__db_col_int(s, 9) != 0;
        if ((rc = ermes__org_add_contact(org, &c)))
            break;
    }
    ermes__db_done(s);
    if (rc)
        return rc;

    if ((rc = ermes__db_prepare(
             db,
             "SELECT x.family, x.prefix, x.first FROM networks x WHERE "
             "x.org_id = ?3 AND " VISIBLE("x", "x.org_id") " ORDER BY x.family, x.first, x.prefix",
             &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, org->meta.id);
    while ((rc = ermes__db_step(s)) == 1) {
        ermes_cidr_t n;
        size_t len;
        const void *b = ermes__db_col_blob(s, 2, &len);
        /* A network's first address is never empty: no bytes is a failed read (PostgreSQL
         * decodes bytea into memory of its own, which can run out). */
        if (!b || !len) {
            rc = ERMES_ENOMEM;
            break;
        }
        memset(&n, 0, sizeof(n));
        n.addr.family = (uint8_t)ermes__db_col_int(s, 0);
        n.prefix = (uint8_t)ermes__db_col_int(s, 1);
        memcpy(n.addr.bytes, b, len > 16 ? 16 : len);
        if ((rc = ermes__org_add_network(org, &n)))
            break;
    }
    ermes__db_done(s);
    if (rc)
        return rc;

    if ((rc = ermes__db_prepare(db,
                                "SELECT x.asn FROM asns x WHERE x.org_id = ?3 AND " VISIBLE(
                                    "x", "x.org_id") " ORDER BY x.asn",
                                &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, org->meta.id);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = ermes__org_add_asn(org, (uint32_t)ermes__db_col_int(s, 0))))
            break;
    ermes__db_done(s);
    if (rc)
        return rc;

    if ((rc = ermes__db_prepare(db,
                                "SELECT x.domain FROM domains x WHERE x.org_id = ?3 AND " VISIBLE(
                                    "x", "x.org_id") " ORDER BY x.domain",
                                &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, org->meta.id);
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = ermes__org_add_domain(org, ermes__db_col_text(s, 0))))
            break;
    ermes__db_done(s);
    return rc;
}

int ermes__store_org_get(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                         ermes__org_t **out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__org_t *org;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if (!(org = ermes__org_new()))
        return ERMES_ENOMEM;
    if ((rc = ermes__db_prepare(
             db, "SELECT " ORG_COLUMNS ORG_FROM " WHERE o.id = ?3 AND " VISIBLE("o", "o.id"), &s)))
        goto out;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, id);
    rc = ermes__db_step(s);
    if (rc == 1)
        rc = load_org(db, s, v, org);
    else if (rc == 0)
        rc = ERMES_ENOTFOUND;
    ermes__db_done(s);
out:
    if (rc) {
        ermes__org_free(org);
        return rc;
    }
    *out = org;
    return 0;
}

int ermes__store_org_name(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                          char *short_name, size_t short_cap, char *name, size_t name_cap)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    /* Staff see every organisation: a statement without the visibility test, which PostgreSQL
     * plans once (generic plan) rather than at every lookup, as it does the one with it (its
     * "?1 = 1 OR" makes a custom plan look cheaper each time; bench/README.md, the lookup). */
    if (!v || ermes__viewer_is_staff(v)) {
        if ((rc = ermes__db_prepare(
                 db, "SELECT o.short_name, o.name FROM organisations o WHERE o.id = ?1", &s)))
            return rc;
        ermes__db_bind_int(s, 1, id);
    } else {
        if ((rc = ermes__db_prepare(db,
                                    "SELECT o.short_name, o.name FROM organisations o WHERE"
                                    " o.id = ?3 AND " VISIBLE("o", "o.id"),
                                    &s)))
            return rc;
        bind_viewer(s, v);
        ermes__db_bind_int(s, 3, id);
    }
    rc = ermes__db_step(s);
    if (rc == 1) {
        const char *a = ermes__db_col_text(s, 0), *b = ermes__db_col_text(s, 1);
        snprintf(short_name, short_cap, "%s", a ? a : "");
        snprintf(name, name_cap, "%s", b ? b : "");
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_org_each(ermes__store_t *st, const ermes__viewer_t *v,
                          const ermes__org_filter_t *f, ermes__store_org_cb cb, void *ctx,
                          int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    long n = 0, limit = f->limit > 0 ? f->limit : -1;
    int rc;
    char *like = NULL;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if (f->q) {
        /* The search text is matched literally: LIKE's wildcards in it are escaped. */
        size_t n2 = strlen(f->q), k = 0;
        like = ermes__malloc(2 * n2 + 3);
        if (!like)
            return ERMES_ENOMEM;
        like[k++] = '%';
        for (size_t j = 0; j < n2; j++) {
            if (f->q[j] == '%' || f->q[j] == '_' || f->q[j] == '\\')
                like[k++] = '\\';
            like[k++] = f->q[j];
        }
        like[k++] = '%';
        like[k] = '\0';
    }
    if ((rc = ermes__db_prepare(db,
                                "SELECT " ORG_COLUMNS ORG_FROM " WHERE o.id > ?3"
                                /* Case-insensitive on both backends: lower() on
                                 * each side, and a binary collation first, since
                                 * PostgreSQL has no LIKE for NOCASE columns. */
                                " AND (?4 IS NULL"
                                " OR lower(o.name COLLATE \"binary\") LIKE lower(?4) ESCAPE '\\'"
                                " OR lower(o.short_name COLLATE \"binary\") LIKE lower(?4)"
                                " ESCAPE '\\')"
                                " AND (?5 IS NULL OR o.country = ?5)"
                                " AND (?6 IS NULL OR o.sector = ?6)"
                                " AND (?7 IS NULL OR o.type = ?7)"
                                " AND (?8 IS NULL OR p.short_name = ?8)"
                                " AND " VISIBLE("o", "o.id") " ORDER BY o.id LIMIT ?9",
                                &s)))
        goto out;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, f->after_id);
    ermes__db_bind_text(s, 4, like);
    ermes__db_bind_text(s, 5, f->country);
    ermes__db_bind_text(s, 6, f->sector);
    ermes__db_bind_text(s, 7, f->type);
    ermes__db_bind_text(s, 8, f->parent);
    ermes__db_bind_int(s, 9, ermes__page_limit(limit));
    while ((rc = ermes__page_step(s, limit, &n, more)) == 1) {
        ermes__org_t *org;
        if (!(org = ermes__org_new())) {
            rc = ERMES_ENOMEM;
            break;
        }
        rc = load_org(db, s, v, org);
        if (!rc)
            rc = cb(ctx, org);
        ermes__org_free(org);
        if (rc)
            break;
    }
    ermes__db_done(s);
out:
    ermes__free(like);
    return rc;
}

int ermes__store_ownership_build(ermes__store_t *st, ermes_ownership_t **out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes_ownership_builder_t *b = NULL;
    ermes__db_stmt_t *s;
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes_ownership_builder_new(&b)))
        return rc;
    /* One read transaction: the three tables are read as of one moment. Inside a caller's
     * write transaction, that one serves and sees its uncommitted rows. */
    owned = !ermes__db_in_tx(db);
    if (owned && (rc = ermes__db_begin(db, 0)))
        goto out;
    if ((rc = ermes__db_prepare(db, "SELECT family, prefix, first, org_id FROM networks", &s)))
        goto out;
    while ((rc = ermes__db_step(s)) == 1) {
        ermes_cidr_t n;
        size_t len;
        const void *p = ermes__db_col_blob(s, 2, &len);
        /* As above: no bytes is a failed read. */
        if (!p || !len) {
            rc = ERMES_ENOMEM;
            break;
        }
        memset(&n, 0, sizeof(n));
        n.addr.family = (uint8_t)ermes__db_col_int(s, 0);
        n.prefix = (uint8_t)ermes__db_col_int(s, 1);
        memcpy(n.addr.bytes, p, len > 16 ? 16 : len);
        if ((rc = ermes_ownership_add_network(b, &n, ermes__db_col_int(s, 3))))
            break;
    }
    ermes__db_done(s);
    if (rc)
        goto out;
    if ((rc = ermes__db_prepare(db, "SELECT asn, org_id FROM asns", &s)))
        goto out;
    while ((rc = ermes__db_step(s)) == 1)
        if ((rc = ermes_ownership_add_asn(b, (uint32_t)ermes__db_col_int(s, 0),
                                          ermes__db_col_int(s, 1))))
            break;
    ermes__db_done(s);
    if (rc)
        goto out;
    if ((rc = ermes__db_prepare(db, "SELECT domain, org_id FROM domains", &s)))
        goto out;
    while ((rc = ermes__db_step(s)) == 1) {
        const char *dom = ermes__db_col_text(s, 0);
        if ((rc = ermes_ownership_add_domain(b, dom, strlen(dom), ermes__db_col_int(s, 1))))
            break;
    }
    ermes__db_done(s);
    if (rc)
        goto out;
    rc = ermes_ownership_build(b, out);
out:
    if (owned)
        ermes__db_rollback(db);
    ermes_ownership_builder_free(b);
    return rc;
}

int ermes__store_count(ermes__store_t *st, const char *what, int64_t *out)
{
    static const struct {
        const char *what, *sql;
    } counts[] = {
        {"organisations", "SELECT COUNT(*) FROM organisations"},
        {"contacts", "SELECT COUNT(*) FROM contacts"},
        {"networks", "SELECT COUNT(*) FROM networks"},
        {"asns", "SELECT COUNT(*) FROM asns"},
        {"domains", "SELECT COUNT(*) FROM domains"},
        {"users", "SELECT COUNT(*) FROM users"},
        {"tokens", "SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL"},
        {"audit", "SELECT COUNT(*) FROM audit"},
    };
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
        if (strcmp(counts[k].what, what) != 0)
            continue;
        if ((rc = ermes__db_prepare(db, counts[k].sql, &s)))
            return rc;
        rc = ermes__db_step(s);
        if (rc == 1) {
            *out = ermes__db_col_int(s, 0);
            rc = 0;
        }
        ermes__db_done(s);
        return rc;
    }
    return ERMES_ENOTFOUND;
}

int ermes__store_home_org(ermes__store_t *st, int64_t *id)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db,
                                "SELECT id FROM organisations WHERE owner_org_id = id "
                                "ORDER BY id LIMIT 1",
                                &s)))
        return rc;
    rc = ermes__db_step(s);
    if (rc == 1) {
        *id = ermes__db_col_int(s, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERMES_ENOTFOUND;
    }
    ermes__db_done(s);
    return rc;
}

int ermes__store_registry_version(ermes__store_t *st, int64_t *out)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(db, "SELECT value FROM counters WHERE name = 'registry'", &s)))
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
