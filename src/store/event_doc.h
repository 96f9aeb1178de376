/* An event's document in its row (event_doc.c). Internal to src/store/. */
#ifndef ERMES_STORE_EVENT_DOC_H
#define ERMES_STORE_EVENT_DOC_H

#include "core/strbuf.h"
#include "ermes/event.h"
#include "store/db.h"
#include "store/store.h"

/* Packs e->event into the connection's scratch buffer: e->data and e->data_len point there,
 * and e's feed, taxonomy, type, identifier and source_fqdn are set from the event (the
 * columns the packed document leaves out). Call it inside the write transaction. */
int ermes__event_doc_pack(ermes__store_t *st, ermes__db_t *db, ermes__event_row_t *e);

/* What reading events needs besides their rows: one per listing. */
typedef struct ermes__event_doc {
    ermes_event_t *ev;    /* made on first use */
    ermes__strbuf_t json; /* the JSON of the last event read */
} ermes__event_doc_t;

void ermes__event_doc_init(ermes__event_doc_t *d);
void ermes__event_doc_cleanup(ermes__event_doc_t *d);
/* Sets e->data and e->data_len to the IntelMQ JSON of the document in column col of s, with
 * e's column fields (read before) put back; valid until the next read with d or the next
 * step of s. ERMES_ESTORE (logged) for a damaged document. */
int ermes__event_doc_read(ermes__store_t *st, ermes__db_stmt_t *s, int col, ermes__event_row_t *e,
                          ermes__event_doc_t *d);

/* The columns of an event row, in the order ermes__event_row_read reads them: every query that
 * hands events to a caller selects these from "events e". */
#define ERMES__EVENT_COLUMNS                                                                       \
    "e.id, e.report_id, e.row, e.line, e.time_source, e.time_observation, e.feed, e.taxonomy, "    \
    "e.type, e.identifier, e.source_ip, e.source_asn, e.source_fqdn, e.org_id, e.owner_rule, "     \
    "e.data, e.tlp, e.owner_org_id, e.created_at, e.raw_offset, e.raw_length"
/* How many columns ERMES__EVENT_COLUMNS names: a query's own columns come after them. */
#define ERMES__EVENT_NCOLUMNS 21

/* Fills e from a row of ERMES__EVENT_COLUMNS at s (its strings valid until the next step of s
 * or read with doc), the document unpacked to IntelMQ's JSON with doc. raw_offset is -1 when the
 * row keeps no place in its report. Returns 0 or ERMES_ESTORE for a damaged document. */
int ermes__event_row_read(ermes__store_t *st, ermes__db_stmt_t *s, ermes__event_row_t *e,
                          ermes__event_doc_t *doc);

/* Steps s (bound, selecting ERMES__EVENT_COLUMNS) and calls cb for each event, a page of limit
 * at most (<= 0: all; *more as ermes__page_step); *n (may be NULL) gets how many rows were
 * read. Finishes s. Returns 0, cb's non-zero or a store error. The one reading loop of every
 * query that hands events out. */
int ermes__event_rows_each(ermes__store_t *st, ermes__db_stmt_t *s, long limit, int *more, long *n,
                           ermes__store_event_cb cb, void *ctx);

/* The address index (table event_ips, migration 13) is written at commit, not per event: the
 * entries of a transaction sorted by address go into the B-tree in its own order, a third
 * cheaper than one random insert per event. ermes__store_event_insert adds to the calling
 * connection's pending entries; the connection's commit writes them first, a rollback drops
 * them. */
typedef struct ermes__event_ips ermes__event_ips_t;
int ermes__event_ips_add(ermes__db_t *db, const ermes_ip_t *ip, int64_t id);
int ermes__event_ips_flush(ermes__db_t *db);
void ermes__event_ips_clear(ermes__db_t *db);
void ermes__event_ips_free(ermes__event_ips_t *p);

#endif
