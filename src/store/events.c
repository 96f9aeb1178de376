/* The store's events: insert (in the intake's batch), list with filters, get one. */
#include "store/store.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"
#include "store/db_int.h"
#include "store/event_doc.h"
#include "store/store_int.h"

/* A constituent sees only its own organisation's events ("the constituent role sees only its
 * own events"), and never a RED one it does not own. Staff (?1 = 1) see everything. Raw
 * reports and the quarantine hold other organisations' data and are for staff only. */
#define EVENT_OWN "e.org_id = ?2 AND (e.tlp <> 'RED' OR e.owner_org_id = ?2)"
#define EVENT_VISIBLE "(?1 = 1 OR (" EVENT_OWN "))"

static void bind_viewer(ermes__db_stmt_t *s, const ermes__viewer_t *v)
{
    ermes__db_bind_int(s, 1, v && !ermes__viewer_is_staff(v) ? 0 : 1);
    ermes__db_bind_int(s, 2, v ? v->org_id : 0);
}

static int event_insert(ermes__store_t *st, ermes__db_t *db, ermes__event_row_t *e);

int ermes__store_event_insert(ermes__store_t *st, ermes__event_row_t *e)
{
    ermes__db_t *db = ermes__db_conn(st);
    int rc, owned;

    if (!db)
        return ERMES_ESTORE;
    /* In the caller's transaction (the intake's batch), else in one of its own: the names the
     * document numbers and the address index entry commit with the row. */
    if ((rc = ermes__tx_start(db, &owned)))
        return rc;
    return ermes__tx_end(db, owned, event_insert(st, db, e));
}

/* The events of a batch as bulk rows (COPY on PostgreSQL): the id is given here, from ids
 * reserved under the write lock, so it grows in commit order as a generated one does. */
static const ermes__db_bulk_def_t event_bulk = {
    "INSERT INTO events (id, report_id, row, line, time_source, time_observation, feed, "
    "taxonomy, type, identifier, source_ip, source_asn, source_fqdn, org_id, owner_rule, data, "
    "tlp, owner_org_id, created_at, updated_at, raw_offset, raw_length) VALUES (?1,?2,?3,?4,?5,"
    "?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)",
    "COPY events (id, report_id, row, line, time_source, time_observation, feed, taxonomy, type, "
    "identifier, source_ip, source_asn, source_fqdn, org_id, owner_rule, data, tlp, owner_org_id, "
    "created_at, updated_at, raw_offset, raw_length) FROM STDIN",
    "iiiiiitttt"
    "bititb"
    "tiiiii",
};

static int event_insert_bulk(ermes__db_t *db, ermes__event_row_t *e)
{
    ermes__db_stmt_t *s;
    int64_t id;
    int rc;

    if ((rc = ermes__db_next_id(db, "events", &id)) ||
        (rc = ermes__db_bulk_row(db, &event_bulk, &s)))
        return rc;
    ermes__db_bind_int(s, 1, id);
    ermes__db_bind_int(s, 2, e->report_id);
    ermes__db_bind_int(s, 3, e->row);
    ermes__db_bind_int(s, 4, e->line);
    if (e->time_source)
        ermes__db_bind_int(s, 5, e->time_source);
    ermes__db_bind_int(s, 6, e->time_observation);
    ermes__db_bind_text(s, 7, e->feed);
    ermes__db_bind_text(s, 8, e->taxonomy);
    ermes__db_bind_text(s, 9, e->type);
    ermes__db_bind_text(s, 10, e->identifier);
    if (e->source_ip.family)
        ermes__db_bind_blob(s, 11, e->source_ip.bytes,
                            e->source_ip.family == ERMES_AF_INET ? 4 : 16);
    if (e->source_asn)
        ermes__db_bind_int(s, 12, e->source_asn);
    ermes__db_bind_text(s, 13, e->source_fqdn);
    if (e->org_id)
        ermes__db_bind_int(s, 14, e->org_id);
    ermes__db_bind_text(s, 15, e->owner_rule);
    /* packed (event_pack.h), or JSON as older versions wrote: bytes either way */
    ermes__db_bind_blob(s, 16, e->data, e->data_len);
    ermes__db_bind_text(s, 17, ermes_tlp_name(e->tlp));
    if (e->owner_org_id)
        ermes__db_bind_int(s, 18, e->owner_org_id);
    if (!e->created_at)
        e->created_at = ermes__time_now_ms(); /* the day event_daily counts it under */
    ermes__db_bind_int(s, 19, e->created_at);
    ermes__db_bind_int(s, 20, e->created_at);
    if (e->raw_offset >= 0 && e->raw_length > 0) {
        ermes__db_bind_int(s, 21, e->raw_offset);
        ermes__db_bind_int(s, 22, e->raw_length);
    }
    if ((rc = ermes__db_bulk_add(s)))
        return rc;
    e->id = id;
    if (e->source_ip.family)
        rc = ermes__event_ips_add(db, &e->source_ip, e->id);
    return rc;
}

static int event_insert(ermes__store_t *st, ermes__db_t *db, ermes__event_row_t *e)
{
    ermes__db_stmt_t *s;
    int64_t id = 0;
    int rc;

    if (e->event && (rc = ermes__event_doc_pack(st, db, e)))
        return rc;
    if (ermes__db_bulk_buffered(db))
        return event_insert_bulk(db, e);
    /* On PostgreSQL the id is reserved first: reserving events' ids makes the partition
     * that holds it when missing (src/store/pg.c, migration 62). On SQLite id stays NULL,
     * which gives the next rowid. */
    if (ermes__db_kind(db) == ERMES__DB_POSTGRESQL && (rc = ermes__db_next_id(db, "events", &id)))
        return rc;
    if ((rc = ermes__db_prepare(db,
                                "INSERT INTO events (report_id, row, line, time_source, "
                                "time_observation, feed, taxonomy, type, identifier, source_ip, "
                                "source_asn, source_fqdn, org_id, owner_rule, data, tlp, "
                                "owner_org_id, created_at, updated_at, raw_offset, raw_length, id) "
                                "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,"
                                "?17,?18,?18,?19,?20,?21) RETURNING id",
                                &s)))
        return rc;
    if (id)
        ermes__db_bind_int(s, 21, id);
    ermes__db_bind_int(s, 1, e->report_id);
    ermes__db_bind_int(s, 2, e->row);
    ermes__db_bind_int(s, 3, e->line);
    if (e->time_source)
        ermes__db_bind_int(s, 4, e->time_source);
    ermes__db_bind_int(s, 5, e->time_observation);
    ermes__db_bind_text(s, 6, e->feed);
    ermes__db_bind_text(s, 7, e->taxonomy);
    ermes__db_bind_text(s, 8, e->type);
    ermes__db_bind_text(s, 9, e->identifier);
    if (e->source_ip.family)
        ermes__db_bind_blob(s, 10, e->source_ip.bytes,
                            e->source_ip.family == ERMES_AF_INET ? 4 : 16);
    if (e->source_asn)
        ermes__db_bind_int(s, 11, e->source_asn);
    ermes__db_bind_text(s, 12, e->source_fqdn);
    if (e->org_id)
        ermes__db_bind_int(s, 13, e->org_id);
    ermes__db_bind_text(s, 14, e->owner_rule);
    if (e->event)
        ermes__db_bind_blob(s, 15, e->data, e->data_len); /* packed (event_pack.h) */
    else
        ermes__db_bind_textn(s, 15, e->data, e->data_len); /* JSON, as older versions */
    ermes__db_bind_text(s, 16, ermes_tlp_name(e->tlp));
    if (e->owner_org_id)
        ermes__db_bind_int(s, 17, e->owner_org_id);
    if (!e->created_at)
        e->created_at = ermes__time_now_ms(); /* the day event_daily counts it under */
    ermes__db_bind_int(s, 18, e->created_at);
    if (e->raw_offset >= 0 && e->raw_length > 0) {
        ermes__db_bind_int(s, 19, e->raw_offset);
        ermes__db_bind_int(s, 20, e->raw_length);
    }
    rc = ermes__db_step(s);
    if (rc == 1) {
        e->id = ermes__db_col_int(s, 0);
        rc = 0;
    }
    ermes__db_done(s);
    if (rc == 0 && e->source_ip.family)
        rc = ermes__event_ips_add(db, &e->source_ip, e->id);
    return rc < 0 ? rc : 0;
}

/* Runs sql (a literal) with ?1 = a and ?2 = b; 1 when it gave a row, 0 when not, or < 0. */
static int run_ids(ermes__db_t *db, const char *sql, int64_t a, int64_t b)
{
    ermes__db_stmt_t *s;
    int rc;

    if ((rc = ermes__db_prepare(db, sql, &s)))
        return rc;
    ermes__db_bind_int(s, 1, a);
    ermes__db_bind_int(s, 2, b);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    return rc;
}

/* One organisation gone: its events of the batch lose it, as ON DELETE SET NULL does. */
static int orphan(ermes__db_t *db, int64_t org, int64_t first_event_id, size_t *gone)
{
    int rc = run_ids(db, "SELECT 1 FROM organisations WHERE id = ?1 LIMIT ?2", org, 1);

    if (rc != 0)
        return rc < 0 ? rc : 0; /* it exists */
    if ((rc = run_ids(db, "UPDATE events SET org_id = NULL WHERE id >= ?1 AND org_id = ?2",
                      first_event_id, org)) < 0 ||
        (rc = run_ids(db,
                      "UPDATE events SET owner_org_id = NULL WHERE id >= ?1 AND owner_org_id = ?2",
                      first_event_id, org)) < 0)
        return rc;
    if (gone)
        (*gone)++;
    return 0;
}

int ermes__store_events_orphans(ermes__store_t *st, const int64_t *ids, size_t n,
                                int64_t first_event_id, size_t *gone)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    int64_t *all = NULL;
    size_t nall = 0, cap = 0;
    int rc = 0;

    if (gone)
        *gone = 0;
    if (!db)
        return ERMES_ESTORE;
    if (ids) {
        for (size_t k = 0; k < n && !rc; k++)
            rc = orphan(db, ids[k], first_event_id, gone);
        return rc;
    }
    /* Too many to have been counted: the batch's own rows say which. */
    if ((rc = ermes__db_prepare(db,
                                "SELECT DISTINCT org_id FROM events WHERE id >= ?1 AND org_id IS"
                                " NOT NULL UNION SELECT DISTINCT owner_org_id FROM events WHERE"
                                " id >= ?1 AND owner_org_id IS NOT NULL",
                                &s)))
        return rc;
    ermes__db_bind_int(s, 1, first_event_id);
    while ((rc = ermes__db_step(s)) == 1) {
        if (nall == cap) {
            size_t c = cap ? cap * 2 : 64;
            int64_t *v = ermes__reallocarray(all, c, sizeof(*v));
            if (!v) {
                rc = ERMES_ENOMEM;
                break;
            }
            all = v;
            cap = c;
        }
        all[nall++] = ermes__db_col_int(s, 0);
    }
    ermes__db_done(s);
    for (size_t k = 0; k < nall && rc == 0; k++)
        rc = orphan(db, all[k], first_event_id, gone);
    ermes__free(all);
    return rc < 0 ? rc : 0;
}

/* The first and last address of a network, as the blobs events.source_ip holds. */
static void net_range(const ermes_cidr_t *n, uint8_t lo[16], uint8_t hi[16], size_t *len)
{
    *len = n->addr.family == ERMES_AF_INET ? 4 : 16;
    for (size_t k = 0; k < *len; k++) {
        unsigned bits = (unsigned)n->prefix > k * 8 ? (unsigned)n->prefix - (unsigned)k * 8 : 0;
        uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
        lo[k] = n->addr.bytes[k] & mask;
        hi[k] = (uint8_t)(lo[k] | (uint8_t)~mask);
    }
}

/* The analysts' triage of each listed event (new until someone triages it), read in the list's
 * own statement as the column after ERMES__EVENT_COLUMNS: the list shows it beside every event,
 * and a query of its own per event was a round trip each, a hundred per page (on PostgreSQL
 * most of a page's cost; bench/README.md, the events list). */
#define EVENT_TRIAGE                                                                               \
    ", COALESCE((SELECT t.state FROM triage t WHERE t.kind = 'event' AND t.object_id = e.id),"     \
    " 'new')"

/* The callback of a list read with EVENT_TRIAGE: the event handed on with its triage. */
struct triaged {
    ermes__store_event_cb cb;
    void *ctx;
    ermes__db_stmt_t *s;
};

static int triaged_cb(void *arg, const ermes__event_row_t *e)
{
    struct triaged *t = arg;
    ermes__event_row_t with = *e;

    with.triage = ermes__db_col_text(t->s, ERMES__EVENT_NCOLUMNS);
    return t->cb(t->ctx, &with);
}

/* ermes__event_rows_each for a statement that selects EVENT_TRIAGE after the event's columns. */
static int rows_each_triaged(ermes__store_t *st, ermes__db_stmt_t *s, long limit, int *more,
                             long *n, ermes__store_event_cb cb, void *ctx)
{
    struct triaged t = {cb, ctx, s};

    return ermes__event_rows_each(st, s, limit, more, n, triaged_cb, &t);
}

/* The events list: ORG is the org filter's clause or "", VIS the visibility clause or "" (staff
 * see everything). The other filters stay "(?N IS NULL OR ...)": no index of theirs is used,
 * the page is read in id order, which stops at the page's end (an index range on time or
 * address would be sorted whole first: a month of events). */
#define EVENT_WHERE(ORG, VIS, NET, AFTER)                                                          \
    " FROM events e WHERE e.id " AFTER " ?3" EVENT_FILTERS(ORG, VIS, NET)
#define EVENT_FILTERS(ORG, VIS, NET)                                                               \
    " AND (?4 = 0 OR e.time_source >= ?4)"                                                         \
    " AND (?5 = 0 OR e.time_source < ?5)" ORG " AND (?7 IS NULL OR e.feed = ?7)"                   \
    " AND (?8 IS NULL OR e.taxonomy = ?8)"                                                         \
    " AND (?9 IS NULL OR e.type = ?9)" NET " AND (?12 IS NULL OR e.source_fqdn = ?12"              \
    "  OR substr(e.source_fqdn, length(e.source_fqdn) - length(?12)) = '.' || ?12)"                \
    " AND (?13 = 0 OR e.report_id = ?13)" VIS
#define EVENT_LIST_SQL(ORG, VIS, NET)                                                              \
    "SELECT " ERMES__EVENT_COLUMNS EVENT_TRIAGE EVENT_WHERE(ORG, VIS, NET,                         \
                                                            ">") " ORDER BY e.id LIMIT ?14"
/* Newest first: the same, walking the ids down from the cursor. */
#define EVENT_LIST_DESC_SQL(ORG, VIS, NET)                                                         \
    "SELECT " ERMES__EVENT_COLUMNS EVENT_TRIAGE EVENT_WHERE(ORG, VIS, NET,                         \
                                                            "<") " ORDER BY e.id DESC LIMIT ?14"
/* Sorted by a column (KEY of a table alias), the id breaking ties, both one way (DIR, with OP
 * the comparison that walks that way): keyset pages whose cursor is still the last event's
 * id, the column's value read back from that event, so a page follows on from the last
 * whatever was stored in between. NULLs sort as the oldest time or the empty text (COALESCE:
 * the backends place NULLs differently), and text in byte order (COLLATE "binary": PostgreSQL's
 * "binary" collation is libc's C, SQLite's BINARY), so both backends give one order. No index
 * serves these orders (one more index on events would slow the intake): the matching events
 * are read and the top of them kept, so narrow them with the filters on a large store. */
#define SORT_TIME(T) "COALESCE(" T ".time_source, 0)"
#define SORT_FEED(T) "COALESCE(" T ".feed, '') COLLATE \"binary\""
#define SORT_TAXONOMY(T) "COALESCE(" T ".taxonomy, '') COLLATE \"binary\""
#define SORT_TYPE(T) "COALESCE(" T ".type, '') COLLATE \"binary\""
#define EVENT_SORT_SQL(KEY, OP, DIR, ORG, VIS, NET)                                                \
    "SELECT " ERMES__EVENT_COLUMNS EVENT_TRIAGE " FROM events e WHERE (?3 = 0 OR (" KEY(           \
        "e") ", e.id) " OP                                                                         \
             " ((SELECT " KEY("k") " FROM events k WHERE k.id = ?3), ?3))" EVENT_FILTERS(          \
                 ORG, VIS, NET) " ORDER BY " KEY("e") " " DIR ", e.id " DIR " LIMIT ?14"
/* The sixteen texts of one column: [descending][own][org][net], as the list's. */
#define EVENT_SORT_SET(KEY, R)                                                                     \
    {                                                                                              \
        {{{EVENT_SORT_SQL(KEY, ">", "ASC", "", "", "" R),                                          \
           EVENT_SORT_SQL(KEY, ">", "ASC", "", "", EVENT_NET R)},                                  \
          {EVENT_SORT_SQL(KEY, ">", "ASC", ORG_IS, "", "" R),                                      \
           EVENT_SORT_SQL(KEY, ">", "ASC", ORG_IS, "", EVENT_NET R)}},                             \
         {{EVENT_SORT_SQL(KEY, ">", "ASC", "", " AND " EVENT_OWN, "" R),                           \
           EVENT_SORT_SQL(KEY, ">", "ASC", "", " AND " EVENT_OWN, EVENT_NET R)},                   \
          {EVENT_SORT_SQL(KEY, ">", "ASC", ORG_IS, " AND " EVENT_OWN, "" R),                       \
           EVENT_SORT_SQL(KEY, ">", "ASC", ORG_IS, " AND " EVENT_OWN, EVENT_NET R)}}},             \
        {                                                                                          \
            {{EVENT_SORT_SQL(KEY, "<", "DESC", "", "", "" R),                                      \
              EVENT_SORT_SQL(KEY, "<", "DESC", "", "", EVENT_NET R)},                              \
             {EVENT_SORT_SQL(KEY, "<", "DESC", ORG_IS, "", "" R),                                  \
              EVENT_SORT_SQL(KEY, "<", "DESC", ORG_IS, "", EVENT_NET R)}},                         \
            {                                                                                      \
                {EVENT_SORT_SQL(KEY, "<", "DESC", "", " AND " EVENT_OWN, "" R),                    \
                 EVENT_SORT_SQL(KEY, "<", "DESC", "", " AND " EVENT_OWN, EVENT_NET R)},            \
                {                                                                                  \
                    EVENT_SORT_SQL(KEY, "<", "DESC", ORG_IS, " AND " EVENT_OWN, "" R),             \
                        EVENT_SORT_SQL(KEY, "<", "DESC", ORG_IS, " AND " EVENT_OWN, EVENT_NET R)   \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
/* How many match, counted up to ?14 rows: the subquery stops there. */
#define EVENT_COUNT_SQL(ORG, VIS, NET)                                                             \
    "SELECT count(*) FROM (SELECT 1" EVENT_WHERE(ORG, VIS, NET, ">") " LIMIT ?14) AS m"

#define ORG_IS " AND e.org_id = ?6"
/* An address or network: the ids event_ips holds for it (a range of its primary key), in id
 * order, drive the list. */
#define EVENT_NET                                                                                  \
    " AND e.id IN (SELECT id FROM event_ips WHERE ip BETWEEN ?10 AND ?11"                          \
    " AND length(ip) = length(?10))"

/* Whether any stored event has f's feed, taxonomy and type (those given), of org_id when it is
 * not 0. Those columns have no index: for a value no event has, the list would read every
 * event to find none (1-2 s with 1,000,000 events; bench/browser-1m.sh). event_daily, written
 * in the transaction that stores the events, answers at once. It may say yes for events the
 * viewer may not see, never no for events that are there. */
static int events_may_match(ermes__db_t *db, const ermes__event_filter_t *f, int64_t org_id,
                            int *yes)
{
    ermes__db_stmt_t *s;
    int rc;

    *yes = 1;
    if (!f->feed && !f->taxonomy && !f->type)
        return 0;
    if ((rc = ermes__db_prepare(db,
                                "SELECT 1 FROM event_daily WHERE (?1 IS NULL OR feed = ?1)"
                                " AND (?2 IS NULL OR taxonomy = ?2) AND (?3 IS NULL OR type = ?3)"
                                " AND (?4 = 0 OR org_id = ?4) LIMIT 1",
                                &s)))
        return rc;
    ermes__db_bind_text(s, 1, f->feed);
    ermes__db_bind_text(s, 2, f->taxonomy);
    ermes__db_bind_text(s, 3, f->type);
    ermes__db_bind_int(s, 4, org_id);
    rc = ermes__db_step(s);
    ermes__db_done(s);
    if (rc < 0)
        return rc;
    *yes = rc == 1;
    return 0;
}

/* Binds the filter's parameters ?4 to ?13 of EVENT_WHERE. */
static void bind_event_filter(ermes__db_stmt_t *s, const ermes__event_filter_t *f)
{
    uint8_t lo[16], hi[16];
    size_t iplen = 0;

    ermes__db_bind_int(s, 4, f->since);
    ermes__db_bind_int(s, 5, f->until);
    ermes__db_bind_int(s, 6, f->org_id);
    ermes__db_bind_text(s, 7, f->feed);
    ermes__db_bind_text(s, 8, f->taxonomy);
    ermes__db_bind_text(s, 9, f->type);
    if (f->has_net) {
        net_range(&f->net, lo, hi, &iplen);
        ermes__db_bind_blob(s, 10, lo, iplen);
        ermes__db_bind_blob(s, 11, hi, iplen);
    }
    {
        /* Names are stored lower case without the trailing dot: compare the same way. */
        char dom[256];
        size_t dn = 0;
        if (f->domain) {
            for (; f->domain[dn] && dn < sizeof(dom) - 1; dn++)
                dom[dn] = (char)tolower((unsigned char)f->domain[dn]);
            while (dn && dom[dn - 1] == '.')
                dn--;
            dom[dn] = '\0';
        }
        ermes__db_bind_textn(s, 12, f->domain ? dom : NULL, dn);
    }
    ermes__db_bind_int(s, 13, f->report_id);
}

/* Reading by the time map (event_time_map.c): a filter on time reads only the ids of the
 * blocks whose times overlap it, each range of ids as its own statement, with the range as
 * "e.id >= ?15 AND e.id < ?16", from which PostgreSQL's planner leaves the other partitions
 * out. The texts are the list's with that range added to the network's place. */
#define EVENT_RANGE " AND e.id >= ?15 AND e.id < ?16"

/* The list's statements: [newest][own][org][net], R "" or EVENT_RANGE. */
#define EVENT_LIST_SET(R)                                                                          \
    {                                                                                              \
        {{{EVENT_LIST_SQL("", "", "" R), EVENT_LIST_SQL("", "", EVENT_NET R)},                     \
          {EVENT_LIST_SQL(ORG_IS, "", "" R), EVENT_LIST_SQL(ORG_IS, "", EVENT_NET R)}},            \
         {{EVENT_LIST_SQL("", " AND " EVENT_OWN, "" R),                                            \
           EVENT_LIST_SQL("", " AND " EVENT_OWN, EVENT_NET R)},                                    \
          {EVENT_LIST_SQL(ORG_IS, " AND " EVENT_OWN, "" R),                                        \
           EVENT_LIST_SQL(ORG_IS, " AND " EVENT_OWN, EVENT_NET R)}}},                              \
        {                                                                                          \
            {{EVENT_LIST_DESC_SQL("", "", "" R), EVENT_LIST_DESC_SQL("", "", EVENT_NET R)},        \
             {EVENT_LIST_DESC_SQL(ORG_IS, "", "" R),                                               \
              EVENT_LIST_DESC_SQL(ORG_IS, "", EVENT_NET R)}},                                      \
            {                                                                                      \
                {EVENT_LIST_DESC_SQL("", " AND " EVENT_OWN, "" R),                                 \
                 EVENT_LIST_DESC_SQL("", " AND " EVENT_OWN, EVENT_NET R)},                         \
                {                                                                                  \
                    EVENT_LIST_DESC_SQL(ORG_IS, " AND " EVENT_OWN, "" R),                          \
                        EVENT_LIST_DESC_SQL(ORG_IS, " AND " EVENT_OWN, EVENT_NET R)                \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
#define EVENT_COUNT_SET(R)                                                                         \
    {                                                                                              \
        {{EVENT_COUNT_SQL("", "", "" R), EVENT_COUNT_SQL("", "", EVENT_NET R)},                    \
         {EVENT_COUNT_SQL(ORG_IS, "", "" R), EVENT_COUNT_SQL(ORG_IS, "", EVENT_NET R)}},           \
        {                                                                                          \
            {EVENT_COUNT_SQL("", " AND " EVENT_OWN, "" R),                                         \
             EVENT_COUNT_SQL("", " AND " EVENT_OWN, EVENT_NET R)},                                 \
            {                                                                                      \
                EVENT_COUNT_SQL(ORG_IS, " AND " EVENT_OWN, "" R),                                  \
                    EVENT_COUNT_SQL(ORG_IS, " AND " EVENT_OWN, EVENT_NET R)                        \
            }                                                                                      \
        }                                                                                          \
    }

/* Whether f filters on time and the time map is to be used; then *r (to free) and *nr the
 * ranges of ids to read, in id order. */
static int time_ranges(ermes__db_t *db, const ermes__event_filter_t *f, ermes__id_range_t **r,
                       size_t *nr, int *mapped)
{
    *r = NULL;
    *nr = 0;
    *mapped = (f->since || f->until) && !f->no_time_map;
    return *mapped ? ermes__event_time_ranges(db, f->since, f->until, r, nr) : 0;
}

static int seen_one(void *ctx, const ermes__event_row_t *e)
{
    (void)e;
    *(int *)ctx = 1;
    return 0;
}

/* The list through ranges r[0..nr) of ids: each range in the list's order, a statement each,
 * until the page is full; then whether any later range holds one more match (*more), as the
 * one statement over every id would have said. */
static int each_ranged(ermes__store_t *st, ermes__db_t *db, const ermes__viewer_t *v,
                       const ermes__event_filter_t *f, const char *text, const ermes__id_range_t *r,
                       size_t nr, ermes__store_event_cb cb, void *ctx, int *more)
{
    int64_t cursor = f->newest && f->after_id <= 0 ? INT64_MAX : f->after_id;
    long got = 0;
    int rc = 0;

    for (size_t i = 0; i < nr && rc == 0; i++) {
        const ermes__id_range_t *g = f->newest ? &r[nr - 1 - i] : &r[i];
        long left = f->limit > 0 ? f->limit - got : 0, n = 0;
        ermes__db_stmt_t *s;
        int m = 0, seen = 0;

        if (f->newest ? g->lo >= cursor : g->hi - 1 <= cursor)
            continue; /* wholly on the other side of the cursor */
        if ((rc = ermes__db_prepare(db, text, &s)))
            break;
        bind_viewer(s, v);
        /* The cursor moved to the range's edge: SQLite walks the primary key from one lower
         * bound (and to one upper), the cursor's, and would check the range's on every row. */
        if (f->newest)
            ermes__db_bind_int(s, 3, cursor < g->hi ? cursor : g->hi);
        else
            ermes__db_bind_int(s, 3, cursor > g->lo - 1 ? cursor : g->lo - 1);
        bind_event_filter(s, f);
        ermes__db_bind_int(s, 15, g->lo);
        ermes__db_bind_int(s, 16, g->hi);
        if (f->limit > 0 && left == 0) {
            /* The page is full: one more match says that there is a next page. */
            ermes__db_bind_int(s, 14, 1);
            if ((rc = ermes__event_rows_each(st, s, 0, NULL, NULL, seen_one, &seen)) == 0 && seen) {
                if (more)
                    *more = 1;
                break;
            }
            continue;
        }
        ermes__db_bind_int(s, 14, ermes__page_limit(left));
        rc = rows_each_triaged(st, s, left, &m, &n, cb, ctx);
        got += n;
        if (rc == 0 && m) {
            if (more)
                *more = 1;
            break;
        }
    }
    return rc;
}

int ermes__store_event_each(ermes__store_t *st, const ermes__viewer_t *v,
                            const ermes__event_filter_t *f, ermes__store_event_cb cb, void *ctx,
                            int *more)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__id_range_t *r = NULL;
    size_t nr = 0;
    int own = v && !ermes__viewer_is_staff(v), yes, mapped = 0;
    int sorted = f->sort > ERMES_EVENT_SORT_ID && f->sort < ERMES_EVENT_SORT_COUNT;
    int rc;

    if (more)
        *more = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = events_may_match(db, f, f->org_id ? f->org_id : own ? v->org_id : 0, &yes)) || !yes)
        return rc;
    if ((rc = time_ranges(db, f, &r, &nr, &mapped)))
        return rc;
    if (mapped && nr == 0)
        return 0; /* no block holds an event of that time */
    {
        /* Eight statements (static text: the statement cache keys on the pointer), so that
         * the planner sees the organisation it may use events_org(org_id, id) for (the
         * viewer's own, a constituent's, or the org filter) and the network it may look up
         * in event_ips. With those written as "(?N = 0 OR
         * e.org_id = ?N)" in one statement it can only walk all events in id order, which
         * for an organisation with few or no events meant reading every row (0.4-1.3 s with
         * 1,000,000 events; bench/browser-1m.sh). [mapped]: the same reading a range of ids. */
        static const char *const sql[2][2][2][2][2] = {EVENT_LIST_SET(""),
                                                       EVENT_LIST_SET(EVENT_RANGE)};
        /* Sorted by a column: [mapped][column][descending][own][org][net]. A sorted list reads
         * every match to sort them: through the map, the ids from the first block that can
         * match to the end of the last. */
        static const char *const sorted_sql[2][ERMES_EVENT_SORT_COUNT - 1][2][2][2][2] = {
            {
                EVENT_SORT_SET(SORT_TIME, ""),
                EVENT_SORT_SET(SORT_FEED, ""),
                EVENT_SORT_SET(SORT_TAXONOMY, ""),
                EVENT_SORT_SET(SORT_TYPE, ""),
            },
            {
                EVENT_SORT_SET(SORT_TIME, EVENT_RANGE),
                EVENT_SORT_SET(SORT_FEED, EVENT_RANGE),
                EVENT_SORT_SET(SORT_TAXONOMY, EVENT_RANGE),
                EVENT_SORT_SET(SORT_TYPE, EVENT_RANGE),
            },
        };
        const char *text;
        if (sorted)
            text = sorted_sql[mapped][f->sort - 1][f->sort_desc != 0][own][f->org_id != 0]
                             [f->has_net != 0];
        else
            text = sql[mapped][f->newest != 0][own][f->org_id != 0][f->has_net != 0];
        if (mapped && !sorted) {
            rc = each_ranged(st, db, v, f, text, r, nr, cb, ctx, more);
            ermes__free(r);
            return rc;
        }
        if ((rc = ermes__db_prepare(db, text, &s))) {
            ermes__free(r);
            return rc;
        }
    }
    bind_viewer(s, v);
    /* Newest first from the top: no cursor is "below every id". A sorted list's first page
     * has none (0). */
    if (sorted)
        ermes__db_bind_int(s, 3, f->after_id > 0 ? f->after_id : 0);
    else
        ermes__db_bind_int(s, 3, f->newest && f->after_id <= 0 ? INT64_MAX : f->after_id);
    bind_event_filter(s, f);
    if (mapped) {
        ermes__db_bind_int(s, 15, r[0].lo);
        ermes__db_bind_int(s, 16, r[nr - 1].hi);
    }
    ermes__free(r);
    ermes__db_bind_int(s, 14, ermes__page_limit(f->limit));
    return rows_each_triaged(st, s, f->limit, more, NULL, cb, ctx);
}

int ermes__store_event_count(ermes__store_t *st, const ermes__viewer_t *v,
                             const ermes__event_filter_t *f, int64_t cap, int64_t *count)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    ermes__id_range_t *r = NULL, all = {INT64_MIN, INT64_MAX};
    size_t nr = 0;
    int own = v && !ermes__viewer_is_staff(v), yes, mapped = 0;
    int rc;

    *count = 0;
    if (!db)
        return ERMES_ESTORE;
    if ((rc = events_may_match(db, f, f->org_id ? f->org_id : own ? v->org_id : 0, &yes)) || !yes)
        return rc;
    if ((rc = time_ranges(db, f, &r, &nr, &mapped)))
        return rc;
    /* As the list: one text per organisation and network form, for the same plans; through
     * the map, a count per range of ids, up to cap in all. */
    static const char *const sql[2][2][2][2] = {EVENT_COUNT_SET(""), EVENT_COUNT_SET(EVENT_RANGE)};
    for (size_t i = 0; i < (mapped ? nr : 1) && rc == 0; i++) {
        const ermes__id_range_t *g = mapped ? &r[i] : &all;
        if (cap > 0 && *count >= cap)
            break;
        if ((rc = ermes__db_prepare(db, sql[mapped][own][f->org_id != 0][f->has_net != 0], &s)))
            break;
        bind_viewer(s, v);
        /* The range's start as the cursor, the bound SQLite walks from (as the list). */
        ermes__db_bind_int(s, 3, mapped && g->lo > 0 ? g->lo - 1 : 0);
        bind_event_filter(s, f);
        if (mapped) {
            ermes__db_bind_int(s, 15, g->lo);
            ermes__db_bind_int(s, 16, g->hi);
        }
        ermes__db_bind_int(s, 14, cap > 0 ? cap - *count : cap);
        if ((rc = ermes__db_step(s)) == 1) {
            *count += ermes__db_col_int(s, 0);
            rc = 0;
        }
        ermes__db_done(s);
    }
    ermes__free(r);
    return rc < 0 ? rc : 0;
}

int ermes__store_event_get(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                           ermes__store_event_cb cb, void *ctx)
{
    ermes__db_t *db = ermes__db_conn(st);
    ermes__db_stmt_t *s;
    long n = 0;
    int rc;

    if (!db)
        return ERMES_ESTORE;
    if ((rc = ermes__db_prepare(
             db, "SELECT " ERMES__EVENT_COLUMNS " FROM events e WHERE e.id = ?3 AND " EVENT_VISIBLE,
             &s)))
        return rc;
    bind_viewer(s, v);
    ermes__db_bind_int(s, 3, id);
    if ((rc = ermes__event_rows_each(st, s, 0, NULL, &n, cb, ctx)) == 0 && n == 0)
        rc = ERMES_ENOTFOUND;
    return rc;
}
