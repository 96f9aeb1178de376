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
int ermes__event_doc_pack(ermes_store_t *st, ermes_db_t *db, ermes_event_row_t *e);

/* What reading events needs besides their rows: one per listing. */
typedef struct ermes__event_doc {
    ermes_event_t *ev;   /* made on first use */
    ermes_strbuf_t json; /* the JSON of the last event read */
} ermes__event_doc_t;

void ermes__event_doc_init(ermes__event_doc_t *d);
void ermes__event_doc_cleanup(ermes__event_doc_t *d);
/* Sets e->data and e->data_len to the IntelMQ JSON of the document in column col of s, with
 * e's column fields (read before) put back; valid until the next read with d or the next
 * step of s. ERMES_ESTORE (logged) for a damaged document. */
int ermes__event_doc_read(ermes_store_t *st, ermes_db_stmt_t *s, int col, ermes_event_row_t *e,
                          ermes__event_doc_t *d);

#endif
