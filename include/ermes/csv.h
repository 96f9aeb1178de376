/* A streaming CSV reader (RFC 4180, with the leniencies real feeds need).
 *
 * The reader pulls bytes through a caller-supplied read callback, so a file, a pipe or a request
 * body are read the same way in constant memory. Each call to ermes_csv_next() yields one record
 * (a row of fields). A record never exceeds max_record bytes: a longer one is reported as an
 * error for that record, skipped to its end, and reading continues with the next record, so
 * one bad line never loses the good lines around it.
 *
 * Rules: fields separated by the delimiter (default ','); a field that starts with '"' is quoted,
 * '""' inside it is one quote, and it may span lines; records end with LF or CRLF; a UTF-8 BOM at
 * the very start is skipped; a blank line is skipped. A quote inside an unquoted field is kept
 * as a literal character. Text after a closing quote and before the next delimiter is an error
 * ("text after closing quote"); end of input inside a quoted field is an error
 * ("unterminated quoted field"). NUL bytes are an error ("NUL byte in record").
 *
 * The lenient mode (options.lenient) reads what Python's csv module (the excel dialect, as
 * IntelMQ's parsers use it) reads, with the same field values, for producers such as
 * Shadowserver that write a backslash before a quote inside a quoted field: text after a closing
 * quote continues the field as unquoted text (quotes in it are literal); a CR outside quotes
 * ends the field and the record, and only more CRs may follow it before the LF, else the record
 * is an error ("new-line character in unquoted field"); end of input inside a quoted field ends
 * the field and the record. NUL bytes stay an error in both modes. */
#ifndef ERMES_CSV_H
#define ERMES_CSV_H

#include <stddef.h>
#include <sys/types.h>

#include "ermes/error.h"

/* Reads up to cap bytes into buf; returns the count, 0 at end of input, -1 on error. */
typedef ssize_t (*ermes_csv_read_cb)(void *ctx, char *buf, size_t cap);

typedef struct ermes_csv ermes_csv_t;

typedef struct ermes_csv_options {
    char delimiter;    /* 0 means ',' */
    size_t max_record; /* bytes of one record, 0 means 1 MiB */
    size_t max_fields; /* fields in one record, 0 means 4096 */
    int lenient;       /* 1: read as Python's csv module does (see above) */
} ermes_csv_options_t;

/* One record. Pointers borrow from the reader and are valid until the next call.
 * Fields are NUL-terminated (quotes removed, "" unescaped) and may contain embedded newlines. */
typedef struct ermes_csv_record {
    size_t nfields;
    char **fields;
    size_t *lengths;
    long line;       /* 1-based line on which the record starts */
    long end_line;   /* line on which it ends (differs for multi-line quoted fields) */
    const char *raw; /* the record's raw bytes as read, for quarantine / error reports */
    size_t raw_len;
    int64_t offset;   /* input offset of the record's first byte */
    int unterminated; /* lenient mode: the input ended inside this record's last quoted field */
} ermes_csv_record_t;

/* read_cb/ctx: borrowed; opts may be NULL. Caller frees with ermes_csv_free(). */
int ermes_csv_new(ermes_csv_read_cb read_cb, void *ctx, const ermes_csv_options_t *opts,
                  ermes_csv_t **out);
/* A reader over a memory buffer (borrowed, must outlive the reader). */
int ermes_csv_new_mem(const char *data, size_t len, const ermes_csv_options_t *opts,
                      ermes_csv_t **out);
void ermes_csv_free(ermes_csv_t *csv);

/* Next record. Returns:
 *   1  a record is in *rec;
 *   0  end of input;
 *   ERMES_EPARSE / ERMES_ETOOBIG  this record is bad: d has line, column and reason, and
 *      rec->raw/raw_len/line hold what was read of it (raw capped at max_record). The caller may
 *      call ermes_csv_next() again to continue with the following record;
 *   ERMES_EIO  the read callback failed (final); ERMES_ENOMEM (final). */
int ermes_csv_next(ermes_csv_t *csv, ermes_csv_record_t *rec, ermes_diag_t *d);

#endif
