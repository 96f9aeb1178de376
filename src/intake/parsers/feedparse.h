/* Building blocks shared by the feed parsers in this folder: a line cursor over the report's
 * bytes, field splitting, the feed's constant fields (feed.name, feed.url, time.observation),
 * IntelMQ's rule that "", "-" and "N/A" mean "no value", and a time parser for the date formats
 * feeds actually use. Everything here works on views into the report: nothing allocates per
 * row. */
#ifndef ERMES_INTAKE_PARSERS_FEEDPARSE_H
#define ERMES_INTAKE_PARSERS_FEEDPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/csv.h"
#include "intake/parser.h"

/* A view of bytes that belong to someone else. */
typedef struct ermes__fp_str {
    const char *p;
    size_t len;
} ermes__fp_str_t;

/* ---- lines ------------------------------------------------------------------------------ */

/* A cursor over data[0..len): yields lines without their "\n" or "\r\n". */
typedef struct ermes__fp_lines {
    const char *p;
    const char *end;
    long line; /* number of the line last returned, 1-based */
} ermes__fp_lines_t;

void ermes__fp_lines_init(ermes__fp_lines_t *c, const char *data, size_t len);
/* The next line into *s (may be empty). Returns 1, or 0 at the end. A UTF-8 BOM at the very
 * start is skipped. */
int ermes__fp_lines_next(ermes__fp_lines_t *c, ermes__fp_str_t *s);

/* ---- strings ---------------------------------------------------------------------------- */

ermes__fp_str_t ermes__fp_trim(ermes__fp_str_t s);
int ermes__fp_is_blank(ermes__fp_str_t s);
int ermes__fp_eq(ermes__fp_str_t s, const char *lit);
int ermes__fp_starts(ermes__fp_str_t s, const char *lit);
/* Position of lit in s, or -1. */
long ermes__fp_find(ermes__fp_str_t s, const char *lit);
/* Splits s at every delim into at most max views (the last one takes the rest). Returns the
 * number of fields found, which may exceed max (then only max are stored). */
size_t ermes__fp_split(ermes__fp_str_t s, char delim, ermes__fp_str_t *out, size_t max);
/* Parses a decimal integer (optional sign), the whole of s. 0 or ERMES_EINVAL. */
int ermes__fp_int(ermes__fp_str_t s, int64_t *out);
/* IntelMQ's Message.add ignores these values: "", "-" and "N/A". */
int ermes__fp_is_none(ermes__fp_str_t s);

/* ---- report-wide constants ---------------------------------------------------------------- */

/* What every event of a report carries: time.observation from the report's receive time and
 * the feed's name/url/provider/accuracy. Defaults come from the parser, options override
 * them: feed_name=, feed_url=, feed_provider=, accuracy= (feed.accuracy, 0..100). */
typedef struct ermes__fp_feed {
    char observation[48];
    size_t observation_len;
    const char *name; /* the parser's literal or name_buf; NULL: not set */
    const char *url;
    const char *provider;
    double accuracy; /* < 0: not set */
    /* Copies of the options' values: the report's options need not outlive open(). */
    char name_buf[128];
    char url_buf[1024];
    char provider_buf[128];
} ermes__fp_feed_t;

/* Fills f from info with the parser's defaults (name/url may be NULL). ERMES_EINVAL with d for
 * an option that does not parse (accuracy). */
int ermes__fp_feed_init(ermes__fp_feed_t *f, const ermes__report_info_t *info, const char *name,
                        const char *url, ermes_diag_t *d);
/* Sets time.observation and the feed fields on ev. */
int ermes__fp_feed_apply(const ermes__fp_feed_t *f, ermes_event_t *ev, ermes_diag_t *d);

/* ---- setting fields ----------------------------------------------------------------------- */

/* ermes_event_set with IntelMQ's empty values ignored; s is trimmed first. */
int ermes__fp_set(ermes_event_t *ev, ermes_field_t f, ermes__fp_str_t s, ermes_diag_t *d);
int ermes__fp_setc(ermes_event_t *ev, ermes_field_t f, const char *s, ermes_diag_t *d);
/* The same, but a value that does not validate is skipped (IntelMQ's raise_failure=False). */
void ermes__fp_try(ermes_event_t *ev, ermes_field_t f, ermes__fp_str_t s);
/* extra.<key> of the given JSON type; empty values ignored. */
int ermes__fp_extra(ermes_event_t *ev, const char *key, ermes__fp_str_t s, ermes_extra_type_t t,
                    ermes_diag_t *d);
int ermes__fp_extra_int(ermes_event_t *ev, const char *key, int64_t v, ermes_diag_t *d);
/* A number as the shortest text that reads back the same ("48.2", "16", "25.5"). */
size_t ermes__fp_format_double(double v, char *buf, size_t cap);

/* Whether s is an IPv4 or IPv6 address. */
int ermes__fp_is_ip(ermes__fp_str_t s);

/* ---- time ----------------------------------------------------------------------------------- */

/* Parses the date formats feeds use into seconds and microseconds since the epoch, UTC:
 * ISO 8601 / RFC 3339 with ' ' or 'T', optional seconds and fraction, and 'Z', "+hh:mm",
 * "+hhmm", " UTC" or " GMT"; a bare date "YYYY-MM-DD"; epoch seconds with an optional
 * fraction; Apache's "01/Aug/2018:09:49:41 +0200"; ctime's "Tue Dec 15 15:33:38 2015 [UTC]";
 * RFC 7231's "Mon, 14 Sep 2015 04:39:22 GMT". Anything else goes to ermes_time_convert(AUTO).
 * Returns 0 or ERMES_EINVAL with the reason in d (field name from field, may be NULL). */
int ermes__fp_parse_time(ermes__fp_str_t s, int64_t *sec, int32_t *usec, const char *field,
                         ermes_diag_t *d);
/* Formats as IntelMQ does: "YYYY-MM-DDTHH:MM:SS+00:00", with ".ffffff" when usec is not 0.
 * buf holds at least 40 bytes. Returns the length. */
size_t ermes__fp_format_time(int64_t sec, int32_t usec, char *buf);
/* Parses s with ermes__fp_parse_time and sets field f (a DateTime field). Empty: nothing. */
int ermes__fp_set_time(ermes_event_t *ev, ermes_field_t f, ermes__fp_str_t s, ermes_diag_t *d);

/* ---- JSON ------------------------------------------------------------------------------------ */

/* Walks the elements of a top-level JSON array without parsing them, so each element can be
 * parsed (and rejected) on its own and keeps its line number. */
typedef struct ermes__fp_jsonarr {
    const char *p, *end;
    long line;
    int done;
} ermes__fp_jsonarr_t;

/* data must start (after white space and a BOM) with '['. Returns 0 or ERMES_EPARSE. */
int ermes__fp_jsonarr_init(ermes__fp_jsonarr_t *it, const char *data, size_t len);
/* The next element's text and the line it starts on. Returns 1, 0 at the end, or
 * ERMES_EPARSE when the array is cut off or malformed between elements (then *elem holds the
 * rest and the walk ends). */
int ermes__fp_jsonarr_next(ermes__fp_jsonarr_t *it, ermes__fp_str_t *elem, long *line);
/* Whether data (after white space and a BOM) starts with c. */
int ermes__fp_starts_with_char(const char *data, size_t len, char c);

/* A JSON value as field text: strings as they are (*out borrows from v), numbers and booleans
 * as their JSON text, objects and arrays compact JSON (in buf). Returns 1 with *out and *type
 * set, 0 for null, ERMES_ETOOBIG when buf (cap bytes) cannot hold the text. */
struct json_t;
int ermes__fp_json_text(const struct json_t *v, char *buf, size_t cap, ermes__fp_str_t *out,
                        ermes_extra_type_t *type);

/* Decodes standard or URL-safe base64 (padding optional, white space skipped) into out (cap
 * bytes). Returns the length, or -1 when s is not base64 or out is too small. */
long ermes__fp_base64_decode(ermes__fp_str_t s, char *out, size_t cap);

/* ---- CSV with a header -------------------------------------------------------------------------
 */

/* Column names of a CSV header (borrowed from the reader: copy them before the next record). */
typedef struct ermes__fp_header {
    size_t count;
    char **names; /* owned: each name, NUL-terminated */
} ermes__fp_header_t;

/* Copies rec's fields as the header. 0 or ERMES_ENOMEM. */
int ermes__fp_header_init(ermes__fp_header_t *h, const ermes_csv_record_t *rec);
void ermes__fp_header_cleanup(ermes__fp_header_t *h);
/* Index of column name, or -1. */
long ermes__fp_header_find(const ermes__fp_header_t *h, const char *name);
/* The value of column index col in rec ("" when col < 0 or the row is short). */
ermes__fp_str_t ermes__fp_column(const ermes_csv_record_t *rec, long col);

/* ---- rows ------------------------------------------------------------------------------------ */

/* Fills row and the line of d for a row that starts at line with bytes s. */
void ermes__fp_row(ermes__row_t *row, ermes_diag_t *d, long line, ermes__fp_str_t s);
/* Rejects the row: sets d's reason (printf-style) and returns ERMES_EINVAL. */
int ermes__fp_reject(ermes_diag_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
