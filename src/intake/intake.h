/* Intake: a report (a feed file) is received, made durable, then parsed, validated,
 * deduplicated, enriched with its owner and stored as events, row by row, with nothing
 * dropped: every row ends as an event, a counted duplicate or a quarantined row.
 *
 * Receiving and processing are separate steps. ermes_intake_receive() returns only once the
 * bytes and the report's record are on disk: that is the acknowledgement. Processing commits
 * in batches, and each batch records how far it got, so after a crash processing resumes at
 * the first row not yet committed: every row of an acknowledged report is stored or
 * quarantined exactly once. */
#ifndef ERMES_INTAKE_INTAKE_H
#define ERMES_INTAKE_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "constituency/registry.h"
#include "ermes/event.h"
#include "intake/geoip.h"
#include "model/report.h"
#include "store/store.h"

typedef struct ermes_intake ermes_intake_t;

typedef struct ermes_intake_options {
    const char *data_dir;    /* reports are kept in DATA_DIR/reports/ */
    const char *schema_path; /* Shadowserver intelmq.json, or NULL */
    int64_t dedup_window_ms; /* 0: no deduplication */
    long batch_rows;         /* rows per transaction; 0 means 50000 */
    ermes_tlp_t default_tlp; /* TLP of events whose feed sets none */
    size_t max_report;       /* largest report accepted, bytes */
    long incoming_max_age;   /* seconds before the daemon removes a partial upload; 0: a day */
    /* What deduplication compares: dedup_field[f] for the harmonized fields; extras by name,
     * either all but those listed in dedup_extras (dedup_extras_only 0) or only those. */
    unsigned char dedup_field[ERMES_F_COUNT];
    const char *dedup_extras; /* the setting's list when it names an extra.*, borrowed */
    int dedup_extras_only;
    ermes_geoip_options_t geoip; /* MaxMind databases (src/intake/geoip.h); paths borrowed */
} ermes_intake_options_t;

/* The options from the settings (shadowserver_schema defaults to
 * DATA_DIR/shadowserver-schema.json when that file exists). Strings borrow from cfg. */
struct ermes_config;
int ermes_intake_options_from_config(const struct ermes_config *cfg, ermes_intake_options_t *o,
                                     char *schema_buf, size_t schema_cap, ermes_diag_t *d);

/* st, reg: borrowed. opts is copied. */
int ermes_intake_new(ermes_store_t *st, ermes_registry_t *reg, const ermes_intake_options_t *opts,
                     ermes_intake_t **out);
void ermes_intake_free(ermes_intake_t *in);

/* What the sender tells about a report. */
typedef struct ermes_report_meta {
    const char *feed;           /* a parser name (see ermes_parser_find) */
    const char *file_name;      /* original name, or NULL */
    const char *const *options; /* NULL-terminated "key=value", or NULL */
} ermes_report_meta_t;

/* Receives a report from memory or from a stream (read to its end). Unknown feed or bad
 * options: ERMES_EINVAL with d. Over max_report: ERMES_ETOOBIG. On success *out is the
 * recorded report (state "received"). */
int ermes_intake_receive_mem(ermes_intake_t *in, const ermes_viewer_t *v,
                             const ermes_report_meta_t *meta, const char *data, size_t len,
                             ermes_report_t *out, ermes_diag_t *d);
int ermes_intake_receive_file(ermes_intake_t *in, const ermes_viewer_t *v,
                              const ermes_report_meta_t *meta, FILE *f, ermes_report_t *out,
                              ermes_diag_t *d);

/* Receives a report from a file already on disk (the spool directory): made durable like the
 * others, by a hard link into the reports store when on the same file system, else by a copy
 * that is fsync'd. The file at path is left in place: the caller removes it once this
 * returns 0. To record something with the report atomically, call inside
 * ermes_store_begin()/commit(). Over max_report: ERMES_ETOOBIG; unreadable: ERMES_EIO; not a
 * regular file: ERMES_EINVAL (d says why). */
int ermes_intake_receive_path(ermes_intake_t *in, const ermes_viewer_t *v,
                              const ermes_report_meta_t *meta, const char *path,
                              ermes_report_t *out, ermes_diag_t *d);
/* The largest report accepted, bytes. */
size_t ermes_intake_max_report(const ermes_intake_t *in);

/* Receiving in pieces, for uploads that arrive a chunk at a time (HTTP): begin, write...,
 * then finish (which records the report: the acknowledgement) or abort. */
typedef struct ermes_spool ermes_spool_t;
int ermes_intake_spool_begin(ermes_intake_t *in, ermes_spool_t **out);
int ermes_intake_spool_write(ermes_intake_t *in, ermes_spool_t *sp, const char *p, size_t n,
                             ermes_diag_t *d);
/* Frees sp whatever happens. */
int ermes_intake_spool_finish(ermes_intake_t *in, const ermes_viewer_t *v,
                              const ermes_report_meta_t *meta, ermes_spool_t *sp,
                              ermes_report_t *out, ermes_diag_t *d);
void ermes_intake_spool_abort(ermes_spool_t *sp);

/* Processes a report to its end, resuming where a crash left it; *out (may be NULL) gets the
 * final record. A report whose parser cannot open it ends "failed" with the reason (returns
 * 0: the failure is the report's, not the call's). */
int ermes_intake_process(ermes_intake_t *in, int64_t report_id, ermes_report_t *out);

/* Processes every pending report, oldest first. Returns the first store error, if any. */
int ermes_intake_process_pending(ermes_intake_t *in, size_t *processed);

/* Re-parses the quarantined row id from its report; when it now yields an event, the event
 * is stored (deduplicated and enriched like any other) and the row marked "retried".
 * *event_id gets the new event (0 when it was a duplicate). ERMES_EINVAL with d when the row
 * still fails. */
/* The bytes of an event's row, read from its report's file (at most max bytes; *truncated
 * says when there were more). *out is the caller's to free. ERMES_ENOTFOUND when the event
 * records no place or the report's file is gone. */
int ermes_intake_read_raw(ermes_intake_t *in, const ermes_event_row_t *e, size_t max, char **out,
                          size_t *len, int *truncated);

int ermes_intake_retry(ermes_intake_t *in, int64_t quarantine_id, int64_t *event_id,
                       ermes_diag_t *d);

/* Background processing for the daemon: a thread that processes pending reports, woken by
 * ermes_intake_kick() and every few seconds. */
int ermes_intake_start(ermes_intake_t *in);
void ermes_intake_kick(ermes_intake_t *in);
void ermes_intake_stop(ermes_intake_t *in);

#endif
