/* A MISP feed (manifest.json + <uuid>.json, CIRCL OSINT feed layout) read by ermes. */
#ifndef ERMES_SHARING_MISP_FEED_H
#define ERMES_SHARING_MISP_FEED_H

#include "sharing/misp.h"

/* Imports the events of the feed at where (a directory, or an http(s) URL of the directory)
 * that are new or changed since the last run (by the manifest's timestamps, remembered per
 * feed and event in the store), each through ermes__misp_import. *report: {"feed",
 * "manifest_events", "imported", "unchanged", "added", "updated", "skipped", "invalid",
 * "suppressed", "failed": [{"uuid", "reason"}], "events": [import reports]}. An event that
 * cannot be read is listed in failed and tried again next time. Returns 0, or ERMES_EIO /
 * ERMES_EPARSE / ERMES_ETOOBIG (reason in d) when the manifest cannot be read, or a store
 * error. */
int ermes__misp_feed_import(ermes__store_t *st, const ermes__viewer_t *v, const char *where,
                            ermes_warninglist_t *const *wls, size_t nwl, json_t **report,
                            ermes_diag_t *d);

/* How a collector of feed misp-feed (src/intake/collect_misp.c) reads a feed over HTTP: its
 * header lines (credentials), its limits, its stop flag, and the warninglists loaded only
 * when an event is to be imported (an unchanged feed costs the manifest only). */
typedef struct ermes__misp_feed_opts {
    char *const *headers; /* "Name: value", NULL-terminated; NULL: none */
    long timeout;         /* seconds a file's transfer may take; 0: 120 */
    long connect_timeout; /* seconds; 0: 20 */
    size_t max_size;      /* bytes of one file; 0 (or more than 256 MiB): 256 MiB */
    const int *stop;      /* read atomically; nonzero aborts a transfer and the run */
    /* Called once, before the first event is imported: the warninglists in force into *wls,
     * *nwl (kept by the caller). Nonzero stops the run with that error (reason in d). */
    int (*load_wls)(void *ctx, ermes_warninglist_t *const **wls, size_t *nwl, ermes_diag_t *d);
    void *wls_ctx;
    long http_status; /* out: the manifest's HTTP status (0: none, or a directory) */
} ermes__misp_feed_opts_t;

/* ermes__misp_feed_import with opts (wls come from opts->load_wls). */
int ermes__misp_feed_import_opts(ermes__store_t *st, const ermes__viewer_t *v, const char *where,
                                 ermes__misp_feed_opts_t *opts, json_t **report, ermes_diag_t *d);

/* The files of a MISP feed ermes publishes (CIRCL OSINT layout, as MISP reads a feed): file is
 * "manifest.json" (event uuid -> info, date, timestamp, analysis, threat_level_id, Orgc, Tag),
 * "hashes.csv" (one "md5 of an attribute's value,event uuid" line an attribute) or
 * "<uuid>.json" ({"Event": ...}), made of the indicators v may see up to cap (the sharing
 * group's highest TLP) by the one TLP policy, with the group's grant to v (-1: none).
 * *body (caller frees with free()) of *len bytes, *type its media type. ERMES_ENOTFOUND for
 * any other file or an event not there. */
int ermes__misp_feed_publish(ermes__store_t *st, const ermes__viewer_t *v, ermes_tlp_t cap,
                             int grant, const char *file, char **body, size_t *len,
                             const char **type);

#endif
