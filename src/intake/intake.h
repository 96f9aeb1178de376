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

typedef struct ermes__intake ermes__intake_t;

typedef struct ermes__intake_options {
    const char *data_dir;    /* reports are kept in DATA_DIR/reports/ */
    const char *schema_path; /* Shadowserver intelmq.json, or NULL */
    int64_t dedup_window_ms; /* 0: no deduplication */
    long batch_rows;         /* rows per transaction; 0 means 50000 */
    ermes_tlp_t default_tlp; /* TLP of reports whose sender names none (event_tlp) */
    size_t max_report;       /* largest report accepted, bytes */
    long incoming_max_age;   /* seconds before the daemon removes a partial upload; 0: a day */
    /* What deduplication compares: dedup_field[f] for the harmonized fields; extras by name,
     * either all but those listed in dedup_extras (dedup_extras_only 0) or only those. */
    unsigned char dedup_field[ERMES_F_COUNT];
    const char *dedup_extras; /* the setting's list when it names an extra.*, borrowed */
    int dedup_extras_only;
    ermes__geoip_options_t geoip; /* MaxMind databases (src/intake/geoip.h); paths borrowed */
} ermes__intake_options_t;

/* The options from the settings (shadowserver_schema defaults to
 * DATA_DIR/shadowserver-schema.json when that file exists). Strings borrow from cfg. */
struct ermes__config;
int ermes__intake_options_from_config(const struct ermes__config *cfg, ermes__intake_options_t *o,
                                      char *schema_buf, size_t schema_cap, ermes_diag_t *d);

/* st, reg: borrowed. opts is copied. */
int ermes__intake_new(ermes__store_t *st, ermes__registry_t *reg,
                      const ermes__intake_options_t *opts, ermes__intake_t **out);
void ermes__intake_free(ermes__intake_t *in);

/* What the sender tells about a report. */
typedef struct ermes__report_meta {
    const char *feed;           /* a parser name (see ermes__parser_find) */
    const char *file_name;      /* original name, or NULL */
    const char *const *options; /* NULL-terminated "key=value", or NULL */
    int force;       /* 1: record it even when the same bytes were received for this feed already */
    const char *tlp; /* the report's TLP ("AMBER+STRICT"...), NULL: the event_tlp setting's */
} ermes__report_meta_t;

/* Receives a report from memory or from a stream (read to its end). Unknown feed or bad
 * options: ERMES_EINVAL with d. Over max_report: ERMES_ETOOBIG. On success *out is the
 * recorded report (state "received"). The same bytes for the same feed a second time (unless
 * meta->force): ERMES_EEXISTS, nothing recorded, and *out is the report received first
 * ("already received as report N"); the same holds for every receive function below. */
int ermes__intake_receive_mem(ermes__intake_t *in, const ermes__viewer_t *v,
                              const ermes__report_meta_t *meta, const char *data, size_t len,
                              ermes__report_t *out, ermes_diag_t *d);
int ermes__intake_receive_file(ermes__intake_t *in, const ermes__viewer_t *v,
                               const ermes__report_meta_t *meta, FILE *f, ermes__report_t *out,
                               ermes_diag_t *d);

/* Receives a report from a file already on disk (the spool directory): made durable like the
 * others, by a hard link into the reports store when on the same file system, else by a copy
 * that is fsync'd. The file at path is left in place: the caller removes it once this
 * returns 0. To record something with the report atomically, call inside
 * ermes__store_begin()/commit(). Over max_report: ERMES_ETOOBIG; unreadable: ERMES_EIO; not a
 * regular file: ERMES_EINVAL (d says why). */
int ermes__intake_receive_path(ermes__intake_t *in, const ermes__viewer_t *v,
                               const ermes__report_meta_t *meta, const char *path,
                               ermes__report_t *out, ermes_diag_t *d);
/* The largest report accepted, bytes. */
size_t ermes__intake_max_report(const ermes__intake_t *in);

/* Receiving in pieces, for uploads that arrive a chunk at a time (HTTP): begin, write...,
 * then finish (which records the report: the acknowledgement) or abort. */
typedef struct ermes__spool ermes__spool_t;
int ermes__intake_spool_begin(ermes__intake_t *in, ermes__spool_t **out);
int ermes__intake_spool_write(ermes__intake_t *in, ermes__spool_t *sp, const char *p, size_t n,
                              ermes_diag_t *d);
/* Frees sp whatever happens. */
int ermes__intake_spool_finish(ermes__intake_t *in, const ermes__viewer_t *v,
                               const ermes__report_meta_t *meta, ermes__spool_t *sp,
                               ermes__report_t *out, ermes_diag_t *d);
void ermes__intake_spool_abort(ermes__spool_t *sp);

/* Processes a report to its end, resuming where a crash left it; *out (may be NULL) gets the
 * final record. A report whose parser cannot open it ends "failed" with the reason (returns
 * 0: the failure is the report's, not the call's). */
int ermes__intake_process(ermes__intake_t *in, int64_t report_id, ermes__report_t *out);

/* The same, for a caller that wants the outcome (an upload with ?wait=true, `ermes ingest`,
 * `ermes collect`): when another worker holds the report (this daemon's, woken by its arrival,
 * or another process's on the same database), waits up to wait_ms for that worker to end it
 * and gives its final record; ERMES_EBUSY if it has not ended by then. */
int ermes__intake_process_wait(ermes__intake_t *in, int64_t report_id, ermes__report_t *out,
                               int64_t wait_ms);
/* How long those callers wait: a large report takes minutes. */
#define ERMES__INTAKE_WAIT_MS (15 * 60 * 1000)

/* Processes every pending report, oldest first. Returns the first store error, if any. */
int ermes__intake_process_pending(ermes__intake_t *in, size_t *processed);

/* Re-parses the quarantined row id from its report; when it now yields an event, the event
 * is stored (deduplicated and enriched like any other) and the row marked "retried".
 * *event_id gets the new event (0 when it was a duplicate). ERMES_EINVAL with d when the row
 * still fails. */
/* The bytes of an event's row, read from its report's file (at most max bytes; *truncated
 * says when there were more). *out is the caller's to free. ERMES_ENOTFOUND when the event
 * records no place or the report's file is gone. */
int ermes__intake_read_raw(ermes__intake_t *in, const ermes__event_row_t *e, size_t max, char **out,
                           size_t *len, int *truncated);

int ermes__intake_retry(ermes__intake_t *in, int64_t quarantine_id, int64_t *event_id,
                        ermes_diag_t *d);

/* Background processing for the daemon: a thread that processes pending reports, woken by
 * ermes__intake_kick() and every few seconds. */
int ermes__intake_start(ermes__intake_t *in);
void ermes__intake_kick(ermes__intake_t *in);
void ermes__intake_stop(ermes__intake_t *in);

#endif
