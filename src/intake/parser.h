/* Feed parsers: each turns a report (the bytes of one feed file, as received) into events,
 * one row at a time. A parser is a table of three functions (parser_def) in its own file under
 * src/intake/parsers/, listed in parsers.c. The pipeline (src/intake/pipeline.c) drives it:
 * open, then next() until it returns 0, then close.
 *
 * Accounting: every data row of the input ends as exactly one of: an event (next returns 1),
 * a rejected row (next returns <0; the pipeline quarantines it with row->raw, row->line and
 * d->reason), or a duplicate (decided by the pipeline). Headers, comments and blank lines are
 * not rows. A parser never drops a row silently. */
#ifndef ERMES_INTAKE_PARSER_H
#define ERMES_INTAKE_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/error.h"
#include "ermes/event.h"

/* What the pipeline knows about the report being parsed. All borrowed. */
typedef struct ermes__report_info {
    const char *feed;           /* the feed's name as the user gave it ("shadowserver", ...) */
    const char *file_name;      /* the original file name, or NULL */
    int64_t received_ms;        /* when the report was received: time.observation */
    const char *const *options; /* NULL-terminated "key=value" parser options, or NULL */
    const char *schema_path;    /* Shadowserver mapping (intelmq.json), or NULL for the default */
} ermes__report_info_t;

/* Where an event came from in the report. raw points into the report's bytes. */
typedef struct ermes__row {
    long line; /* 1-based line on which the row starts */
    const char *raw;
    size_t raw_len;
    /* When raw is a copy (not inside the report's bytes): where it was in them. */
    int has_offset;
    int64_t offset;
} ermes__row_t;

typedef struct ermes__parser_def {
    const char *name;        /* "shadowserver", "spamhaus-drop", ... */
    const char *description; /* one line, for `ermes feeds` and the API */
    /* Prepares to parse data[0..len) (borrowed; valid until close). Returns 0, or an error
     * for a report that cannot be parsed at all (d says why: wrong format, unknown report
     * type...), which the pipeline records on the report. */
    int (*open)(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                ermes_diag_t *d);
    /* The next event into ev (already reset by the caller). Returns 1 with ev and row set;
     * 0 at the end; ERMES_EINVAL/ERMES_EPARSE/ERMES_ETOOBIG for a bad row (row and d set;
     * parsing continues with the next call); ERMES_ENOMEM or ERMES_EIO to stop. */
    int (*next)(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d);
    void (*close)(void *state);
} ermes__parser_def_t;

/* The parser called name, or NULL. */
const ermes__parser_def_t *ermes__parser_find(const char *name);
/* All parsers, NULL-terminated. */
extern const ermes__parser_def_t *const ermes__parsers[];

/* Helpers shared by parsers. */

/* Looks up "key" in info->options; returns the value or NULL. */
const char *ermes__parser_option(const ermes__report_info_t *info, const char *key);

/* The Shadowserver report types of the schema at schema_path (NULL: the built-in one): cb gets
 * each one's file name ("scan_adb") and feed name ("Accessible-ADB"). 0 or an error with d. */
int ermes__shadowserver_types(const char *schema_path,
                              void (*cb)(void *ctx, const char *file_name, const char *feed_name),
                              void *ctx, ermes_diag_t *d);
/* Parses a Shadowserver schema (intelmq.json form) and throws it away: 0, or the reason in d
 * (for `ermes feeds --check-schema` and the fuzz target). */
int ermes__shadowserver_schema_check(const char *data, size_t len, ermes_diag_t *d);

#endif
