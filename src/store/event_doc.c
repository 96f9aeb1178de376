/* An event's document in its row: packed when written (src/model/event_pack.h), IntelMQ's JSON
 * when read. Rows written before migration 11 hold the JSON text itself and are read as
 * they are.
 *
 * The row keeps some fields in columns of their own (feed, classification, source.fqdn: what
 * queries filter on); the packed document leaves them out, and reading puts them back. The
 * insert takes those columns from the event itself, so the two cannot disagree. */
#include "store/event_doc.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "model/event_pack.h"
#include "model/harmonize.h"
#include "store/store_int.h"

static const ermes_field_t in_columns[] = {ERMES_F_FEED_NAME, ERMES_F_CLASSIFICATION_TAXONOMY,
                                           ERMES_F_CLASSIFICATION_TYPE,
                                           ERMES_F_CLASSIFICATION_IDENTIFIER, ERMES_F_SOURCE_FQDN};

static int name_id(void *ctx, const char *name, size_t len, uint32_t *id)
{
    return ermes__store_event_name_id(ctx, name, len, id);
}

static int name_of(void *ctx, uint32_t id, const char **name, size_t *len)
{
    return ermes__store_event_name_of(ctx, id, name, len);
}

int ermes__event_doc_pack(ermes__store_t *st, ermes__db_t *db, ermes__event_row_t *e)
{
    uint64_t omit[ERMES_EVENT_MASK_WORDS] = {0};
    ermes__strbuf_t *buf = ermes__db_scratch(db);
    int rc;

    e->feed = ermes_event_get(e->event, ERMES_F_FEED_NAME, NULL);
    e->taxonomy = ermes_event_get(e->event, ERMES_F_CLASSIFICATION_TAXONOMY, NULL);
    e->type = ermes_event_get(e->event, ERMES_F_CLASSIFICATION_TYPE, NULL);
    e->identifier = ermes_event_get(e->event, ERMES_F_CLASSIFICATION_IDENTIFIER, NULL);
    e->source_fqdn = ermes_event_get(e->event, ERMES_F_SOURCE_FQDN, NULL);
    for (size_t k = 0; k < sizeof(in_columns) / sizeof(in_columns[0]); k++)
        omit[in_columns[k] / 64] |= (uint64_t)1 << (in_columns[k] % 64);
    ermes__strbuf_reset(buf);
    if ((rc = ermes__event_pack(e->event, omit, name_id, st, buf)))
        return rc;
    e->data = buf->data;
    e->data_len = buf->len;
    return 0;
}

void ermes__event_doc_init(ermes__event_doc_t *d)
{
    d->ev = NULL;
    ermes__strbuf_init(&d->json, 256u << 20);
}

void ermes__event_doc_cleanup(ermes__event_doc_t *d)
{
    ermes_event_free(d->ev);
    d->ev = NULL;
    ermes__strbuf_cleanup(&d->json);
}

int ermes__event_doc_read(ermes__store_t *st, ermes__db_stmt_t *s, int col, ermes__event_row_t *e,
                          ermes__event_doc_t *d)
{
    const char *columns[sizeof(in_columns) / sizeof(in_columns[0])];
    const void *doc;
    size_t len;
    ermes_diag_t diag;
    int rc;

    e->data = "";
    e->data_len = 0;
    doc = ermes__db_col_blob(s, col, &len);
    if (!doc || len == 0)
        return 0;
    if (((const char *)doc)[0] != ERMES_EVENT_PACK_V1) {
        /* JSON text, as written before migration 11 */
        e->data = ermes__db_col_text(s, col);
        e->data_len = e->data ? strlen(e->data) : 0;
        if (!e->data)
            e->data = "";
        return 0;
    }
    if (!d->ev && (rc = ermes_event_new(&d->ev)))
        return rc;
    ermes_event_reset(d->ev);
    ermes_diag_clear(&diag);
    if ((rc = ermes__event_unpack(d->ev, doc, len, name_of, st, &diag))) {
        ermes__log(ERMES_LOG_ERROR, "event %lld: %s", (long long)e->id,
                   diag.reason[0] ? diag.reason : ermes_strerror(rc));
        return rc == ERMES_ENOMEM ? rc : ERMES_ESTORE;
    }
    columns[0] = e->feed;
    columns[1] = e->taxonomy;
    columns[2] = e->type;
    columns[3] = e->identifier;
    columns[4] = e->source_fqdn;
    for (size_t k = 0; k < sizeof(in_columns) / sizeof(in_columns[0]); k++) {
        if (columns[k] && !ermes_event_get(d->ev, in_columns[k], NULL) &&
            (rc = ermes__event_put(d->ev, in_columns[k], columns[k], strlen(columns[k]))))
            return rc;
    }
    ermes__strbuf_reset(&d->json);
    if ((rc = ermes_event_to_json(d->ev, &d->json)))
        return rc;
    e->data = d->json.data;
    e->data_len = d->json.len;
    return 0;
}

/* ---- the address index ------------------------------------------------------------------ */

typedef struct ip_entry {
    uint8_t bytes[16];
    uint8_t len;
    int64_t id;
} ip_entry_t;

struct ermes__event_ips {
    ip_entry_t *v;
    size_t n, cap;
};

/* SQLite's order of (ip BLOB, id): bytes, then the shorter first, then id. */
static int ip_entry_cmp(const void *a, const void *b)
{
    const ip_entry_t *x = a, *y = b;
    int c = memcmp(x->bytes, y->bytes, x->len < y->len ? x->len : y->len);

    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int ermes__event_ips_add(ermes__db_t *db, const ermes_ip_t *ip, int64_t id)
{
    ermes__event_ips_t **slot = ermes__db_event_ips(db), *p = *slot;
    ip_entry_t *e;

    if (!p) {
        if (!(p = ermes__calloc(1, sizeof(*p))))
            return ERMES_ENOMEM;
        *slot = p;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4096;
        ip_entry_t *v = ermes__reallocarray(p->v, cap, sizeof(*v));
        if (!v)
            return ERMES_ENOMEM;
        p->v = v;
        p->cap = cap;
    }
    e = &p->v[p->n++];
    e->len = ip->family == ERMES_AF_INET ? 4 : 16;
    memcpy(e->bytes, ip->bytes, e->len);
    e->id = id;
    return 0;
}

static const ermes__db_bulk_def_t ips_bulk = {
    "INSERT INTO event_ips (ip, id) VALUES (?1, ?2)",
    "COPY event_ips (ip, id) FROM STDIN",
    "bi",
};

int ermes__event_ips_flush(ermes__db_t *db)
{
    ermes__event_ips_t *p = *ermes__db_event_ips(db);
    ermes__db_stmt_t *s;
    int rc = 0;

    if (!p || !p->n)
        return 0;
    qsort(p->v, p->n, sizeof(p->v[0]), ip_entry_cmp);
    /* Bulk rows: one COPY on PostgreSQL, the prepared INSERT on SQLite. */
    for (size_t k = 0; k < p->n && !rc; k++) {
        if ((rc = ermes__db_bulk_row(db, &ips_bulk, &s)))
            return rc;
        ermes__db_bind_blob(s, 1, p->v[k].bytes, p->v[k].len);
        ermes__db_bind_int(s, 2, p->v[k].id);
        rc = ermes__db_bulk_add(s);
    }
    if (rc == 0)
        p->n = 0;
    return rc < 0 ? rc : 0;
}

void ermes__event_ips_clear(ermes__db_t *db)
{
    ermes__event_ips_t *p = *ermes__db_event_ips(db);

    if (p)
        p->n = 0;
}

void ermes__event_ips_free(ermes__event_ips_t *p)
{
    if (!p)
        return;
    ermes__free(p->v);
    ermes__free(p);
}

int ermes__event_row_read(ermes__store_t *st, ermes__db_stmt_t *s, ermes__event_row_t *e,
                          ermes__event_doc_t *doc)
{
    size_t len;
    const void *ip;
    const char *tlp;

    memset(e, 0, sizeof(*e));
    e->id = ermes__db_col_int(s, 0);
    e->report_id = ermes__db_col_int(s, 1);
    e->row = ermes__db_col_int(s, 2);
    e->line = (long)ermes__db_col_int(s, 3);
    e->time_source = ermes__db_col_int(s, 4);
    e->time_observation = ermes__db_col_int(s, 5);
    e->feed = ermes__db_col_text(s, 6);
    e->taxonomy = ermes__db_col_text(s, 7);
    e->type = ermes__db_col_text(s, 8);
    e->identifier = ermes__db_col_text(s, 9);
    ip = ermes__db_col_blob(s, 10, &len);
    if (ip && (len == 4 || len == 16)) {
        e->source_ip.family = len == 4 ? ERMES_AF_INET : ERMES_AF_INET6;
        memcpy(e->source_ip.bytes, ip, len);
    }
    e->source_asn = (uint32_t)ermes__db_col_int(s, 11);
    e->source_fqdn = ermes__db_col_text(s, 12);
    e->org_id = ermes__db_col_int(s, 13);
    e->owner_rule = ermes__db_col_text(s, 14);
    tlp = ermes__db_col_text(s, 16);
    if (!tlp || ermes_tlp_parse(tlp, strlen(tlp), &e->tlp))
        e->tlp = ERMES_TLP_RED;
    e->owner_org_id = ermes__db_col_int(s, 17);
    e->created_at = ermes__db_col_int(s, 18);
    e->raw_offset = ermes__db_col_null(s, 19) ? -1 : ermes__db_col_int(s, 19);
    e->raw_length = ermes__db_col_null(s, 20) ? 0 : ermes__db_col_int(s, 20);
    return ermes__event_doc_read(st, s, 15, e, doc);
}

int ermes__event_rows_each(ermes__store_t *st, ermes__db_stmt_t *s, long limit, int *more, long *n,
                           ermes__store_event_cb cb, void *ctx)
{
    ermes__event_doc_t doc;
    ermes__event_row_t e;
    long count = 0;
    int rc;

    ermes__event_doc_init(&doc);
    while ((rc = ermes__page_step(s, limit, &count, more)) == 1)
        if ((rc = ermes__event_row_read(st, s, &e, &doc)) || (rc = cb(ctx, &e)))
            break;
    ermes__db_done(s);
    ermes__event_doc_cleanup(&doc);
    if (n)
        *n = count;
    return rc;
}
