/* Event export in JSON, NDJSON or CSV, produced a chunk at a time so that any number of
 * events streams in constant memory (the HTTP response and the CLI pull chunks). */
#ifndef ERMES_INTAKE_EXPORT_H
#define ERMES_INTAKE_EXPORT_H

#include "core/strbuf.h"
#include "model/report.h"
#include "store/store.h"

typedef enum { ERMES_EXPORT_JSON, ERMES_EXPORT_NDJSON, ERMES_EXPORT_CSV } ermes__export_format_t;

int ermes__export_format_parse(const char *s, ermes__export_format_t *out);
const char *ermes__export_content_type(ermes__export_format_t f);

typedef struct ermes__event_export {
    ermes__export_format_t format;
    ermes__event_filter_t filter; /* strings borrowed; after_id advances */
    long remaining;               /* events still to write; -1: no limit */
    int started, done;
    long count;
    ermes__strbuf_t out; /* the next bytes to hand out */
} ermes__event_export_t;

/* filter is copied (its strings stay borrowed); limit 0: no limit. */
void ermes__event_export_init(ermes__event_export_t *x, ermes__export_format_t format,
                              const ermes__event_filter_t *filter, long limit);
void ermes__event_export_cleanup(ermes__event_export_t *x);
/* Appends up to `rows` more events (and the opening or closing bytes) to x->out; sets x->done
 * after the last. */
int ermes__event_export_chunk(ermes__event_export_t *x, ermes__store_t *st,
                              const ermes__viewer_t *v, long rows);

/* The columns of the CSV form, in order (NULL-terminated), and one event's CSV line from its
 * JSON (used for notification attachments too). */
extern const char *const ermes__event_csv_columns[];
int ermes__event_csv_header(ermes__strbuf_t *out);
int ermes__event_csv_line(const char *json, size_t len, int64_t id, ermes__strbuf_t *out);

/* Reads an event filter from named parameters (the same names on the CLI, --since, and in
 * the API, ?since=): since, until (RFC 3339), org (short name or id), feed, taxonomy, type,
 * ip (an address or a CIDR), domain, report. get(ctx, name) returns the value or NULL. The
 * organisation is resolved as the viewer may see it. ERMES_EINVAL with d naming the
 * parameter. */
typedef const char *(*ermes__param_fn)(void *ctx, const char *name);
int ermes__event_filter_parse(ermes__param_fn get, void *ctx, ermes__store_t *st,
                              const ermes__viewer_t *v, ermes__event_filter_t *f, ermes_diag_t *d);

#endif
