/* The multipart/form-data form of POST /api/v1/reports, as ermes reads it: libmicrohttpd's
 * post processor splits the body into parts and calls back with pieces of each; this module
 * decides what the pieces make: which field they fill, whether a second "file" part sneaks
 * in, whether a value is too long, and then whether the form's fields are a report ermes can
 * take. Kept apart from the connection (h_reports.c) so the sequence checks can be tested and
 * fuzzed on their own. */
#ifndef ERMES_HTTP_REPORT_FORM_H
#define ERMES_HTTP_REPORT_FORM_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"

#define ERMES_FORM_MAX_FIELD 512
#define ERMES_FORM_MAX_OPTIONS 32

typedef struct ermes__report_form {
    char feed[64], file_name[256];
    char options[ERMES_FORM_MAX_OPTIONS][ERMES_FORM_MAX_FIELD + 1];
    int noptions;
    int too_many_options; /* more "option" fields than ERMES_FORM_MAX_OPTIONS */
    int have_file;
    /* Where the form is in its "file" part: in_file while the callbacks are for it, file_end
     * the offset its data reached. A second part would be appended to the first. */
    int in_file;
    uint64_t file_end;
} ermes__report_form_t;

/* Where the bytes of the "file" part go (the intake's spool in the server). begin is called
 * for every piece of the file part before anything else is done with it (it starts the spool
 * once), write with each non-empty piece; each returns 0 or an ERMES_E* with d set. */
typedef struct ermes__form_sink {
    int (*begin)(void *arg, ermes_diag_t *d);
    int (*write)(void *arg, const char *data, size_t size, ermes_diag_t *d);
    void *arg;
} ermes__form_sink_t;

/* Appends size bytes at off to a small field of cap bytes (feed, file_name, an option), which
 * may come in pieces. Returns -1 when the value does not fit: it is refused, never cut. */
int ermes__form_add_piece(char *dst, size_t cap, uint64_t off, const char *data, size_t size);

/* One callback of the post processor: size bytes of field key at offset off (filename: the
 * part's file name, or NULL). Returns 0, or an ERMES_E* with d set: ERMES_EINVAL for a form
 * ermes refuses (an unknown field, a second file part, a value too long), else what the sink
 * returned. */
int ermes__report_form_field(ermes__report_form_t *f, const ermes__form_sink_t *sink,
                             const char *key, const char *filename, const char *data, uint64_t off,
                             size_t size, ermes_diag_t *d);

/* What the sender said about the report, checked before it is recorded: a known feed, every
 * value UTF-8 (it is shown back in JSON), every option (the NULL-terminated list) key=value.
 * Returns 0, or the HTTP status to answer (400 or 422) with d set. */
unsigned ermes__report_form_check(const ermes__report_form_t *f, const char *const *options,
                                  int too_many, ermes_diag_t *d);

/* The parts of the form, counted from the raw body beside libmicrohttpd's post processor,
 * which reports an empty "file" part followed by a second one as a single part (0.9.75): the
 * delimiters ("--" boundary at a line's start) and each part's header block are read as the
 * body streams through, and parts named "file" counted. */
typedef struct ermes__form_scan {
    char delim[80]; /* CR LF "--" boundary (RFC 2046: a boundary is 1 to 70 characters) */
    size_t dlen, matched;
    int state;       /* 0 body, 1 a part's head, 2 after the closing delimiter */
    char head[1024]; /* the part's head so far; one longer is not read */
    size_t hlen;
    int file_parts;
} ermes__form_scan_t;

/* Reads the boundary of a multipart/form-data Content-Type. Returns 0, or ERMES_EINVAL when
 * it has none or one of more than 70 characters. */
int ermes__form_scan_init(ermes__form_scan_t *s, const char *content_type);
/* The next n bytes of the body. */
void ermes__form_scan_feed(ermes__form_scan_t *s, const char *data, size_t n);

#endif
