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

#endif
