/* Collectors: feeds fetched over HTTP(S) on a schedule ([collector "NAME"] sections of the
 * config file). A run is one conditional GET (If-None-Match, If-Modified-Since from the last
 * response): 304 is nothing new; 200 streams the body into the reports store under a size
 * cap, and unless it has the same SHA-256 as the last body ingested it becomes a report of
 * the collector's feed, recorded together with the collector's new state in one transaction.
 * A failure is recorded (status error, the reason) and the collector is retried after its
 * interval, doubled with each consecutive failure (at most 16 times, at most a day). */
#ifndef ERMES_INTAKE_COLLECT_H
#define ERMES_INTAKE_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "intake/intake.h"

typedef struct ermes__collect ermes__collect_t;

/* cfg, st, in: borrowed, outlive the collector set. Checks each collector's feed names a
 * parser (ERMES_ECONFIG with d). */
int ermes__collect_new(const ermes__config_t *cfg, ermes__store_t *st, ermes__intake_t *in,
                       ermes__collect_t **out, ermes_diag_t *d);
void ermes__collect_free(ermes__collect_t *c);

/* The checks a collector's definition gets beyond its keys' (collector_conf.c): its feed
 * names a parser, its URL's dates and its list mode's templates are well made. ERMES_ECONFIG
 * with the field and the reason in d. The config file's sections and the stored collectors
 * both go through ermes__collector_conf_set, ermes__collector_conf_check and this. */
int ermes__collector_check(const ermes__collector_conf_t *def, ermes_diag_t *d);

/* Collectors stored in the database (collect_db.c). Adds the collector row describes to cfg
 * (zeroed, or holding others; ermes__collector_conf_cleanup it): the preset's section (its
 * value filled in) with the row's url, feed, interval, options, headers, content, tlp and
 * enabled over it, each through ermes__collector_conf_set, then checked. ERMES_EINVAL (or
 * ERMES_ECONFIG, ERMES_ERANGE) with d's field named as the API's ("preset", "value", "url",
 * "options", "headers", ...). */
int ermes__collector_def_build(const struct ermes__collector_def *row, ermes__config_t *cfg,
                               ermes_diag_t *d);
/* The stored collector name, built into tmp (zeroed here; its collectors[0]; clean it up with
 * ermes__collector_conf_cleanup when 0 is returned). ERMES_ENOTFOUND. */
int ermes__collect_load(ermes__store_t *st, const char *name, ermes__config_t *tmp,
                        ermes_diag_t *d);

/* Runs collector name (the config file's, else a stored one) now, whatever its schedule.
 * *out (may be NULL) gets its state after the run. ERMES_ENOTFOUND for an unknown collector,
 * ERMES_EBUSY when it is running elsewhere. The run's own failure (network, HTTP status, size)
 * is not the call's: it returns 0 with out->status "error". */
int ermes__collect_run(ermes__collect_t *c, const char *name, ermes__collector_state_t *out);

/* The feed name of a collector that reads a MISP feed (collect_misp.c) rather than making
 * reports: its url is the feed's directory. */
#define ERMES_COLLECT_MISP_FEED "misp-feed"
/* One run of a misp-feed collector def under its lease (the caller holds it): the manifest,
 * then each new or changed event imported; the outcome into s (runs, last_run, http_status,
 * status ok / unchanged / error with last_error, reports += the events imported). 0. */
int ermes__collect_misp_run(const ermes__config_t *cfg, ermes__store_t *st, int64_t home_org,
                            const int *stop, const ermes__collector_conf_t *def,
                            ermes__collector_state_t *s, int64_t now);

/* The daemon's thread: runs each enabled collector when due. stop aborts a transfer under
 * way (within a second) and joins. */
int ermes__collect_start(ermes__collect_t *c);
void ermes__collect_stop(ermes__collect_t *c);
/* Starts a scheduling round now (a stored collector was added or changed through this
 * daemon); the other daemons see it at their next round, at most 5 s later. */
void ermes__collect_wake(ermes__collect_t *c);

/* The state of every collector: the config file's in its order, then those stored in the
 * database by name, but for one named as a config file's (a collector that never ran has
 * status "new"). cb gets the definition, the state and, for a stored one, its row (NULL for
 * the config file's), all borrowed. A stored row that no longer makes a valid collector comes
 * disabled with what the row says. */
struct ermes__collector_def;
typedef int (*ermes__collect_cb)(void *ctx, const ermes__collector_conf_t *def,
                                 const ermes__collector_state_t *state,
                                 const struct ermes__collector_def *row);
int ermes__collect_each(const ermes__config_t *cfg, ermes__store_t *st, ermes__collect_cb cb,
                        void *ctx);

/* A collector as the API and `ermes collectors --json` show it: its definition (the URL
 * without user information or query, which may hold credentials; never the headers) and its
 * state. A new reference; NULL when out of memory. */
struct json_t;
struct json_t *ermes__collector_to_json(const ermes__collector_conf_t *def,
                                        const ermes__collector_state_t *s, long min_interval);

/* ermes__collector_to_json with where it comes from ("source": "config" or "database"), its
 * tlp, preset and whether it has credentials (never them); row: the stored row, NULL for a
 * config file's collector. */
struct json_t *ermes__collector_json(const ermes__collector_conf_t *def,
                                     const ermes__collector_state_t *s,
                                     const struct ermes__collector_def *row, long min_interval);

/* The interval a collector runs at: its own, at least min_interval (seconds). */
long ermes__collect_interval(const ermes__collector_conf_t *def, long min_interval);
/* Milliseconds until the next run after `failures` consecutive failures (0: a success). */
int64_t ermes__collect_delay_ms(long interval_s, int64_t failures);

/* tmpl with "{today:FORMAT}" and "{yesterday:FORMAT}" replaced by the UTC date of now_ms
 * (url_date.c); FORMAT: %Y %m %d %j %y %% and URL characters, at most 64 bytes. ERMES_EINVAL
 * for another '{' or conversion, ERMES_ERANGE when out (cap bytes) is too small. */
int ermes__collect_url_expand(const char *tmpl, int64_t now_ms, char *out, size_t cap);

/* List mode (collect_list.c). tmpl with "{id}" and "{file}" replaced by id and file
 * (percent-encoded when escape is set: a URL) and "{today:F}" / "{yesterday:F}" by the date;
 * other characters as they are. ERMES_EINVAL for {id} / {file} without a value or a bad date
 * format, ERMES_ERANGE when out (cap bytes) is too small. */
int ermes__collect_template(const char *tmpl, int64_t now_ms, const char *id, const char *file,
                            int escape, char *out, size_t cap);
/* The JSON object of the "key=value" fields (values through ermes__collect_template), compact,
 * in the order given, into *out (free with free()). */
int ermes__collect_post_body(char *const *fields, size_t n, int64_t now_ms, const char *id,
                             const char *file, char **out);
/* Azure Blob Storage: for blob NULL the List Blobs URL of container (its URL with the SAS
 * token as query) from marker (NULL: the first page); else the Get Blob URL of blob. */
int ermes__collect_azure_url(const char *container, const char *marker, const char *blob, char *out,
                             size_t cap);

/* A streaming gzip decoder (gunzip.c) for collectors with content = gzip. */
typedef struct ermes__gunzip ermes__gunzip_t;
typedef int (*ermes__gunzip_out_cb)(void *ctx, const void *p, size_t n);
int ermes__gunzip_new(ermes__gunzip_t **out);
void ermes__gunzip_free(ermes__gunzip_t *g);
/* Decodes n bytes, handing what comes out to cb (whose nonzero return is returned).
 * ERMES_EINVAL when it is not gzip or corrupt. */
int ermes__gunzip_feed(ermes__gunzip_t *g, const void *in, size_t n, ermes__gunzip_out_cb cb,
                       void *ctx);
/* 0 when the input ended at the end of a gzip member; ERMES_EINVAL when truncated. */
int ermes__gunzip_end(ermes__gunzip_t *g);

#endif
