/* The store of vulnerability intelligence and constituents' assets (migration 32 in
 * src/store/schema.c): vulns.c and assets.c. */
#ifndef ERMES_STORE_VULNS_H
#define ERMES_STORE_VULNS_H

#include <stddef.h>
#include <stdint.h>

#include "advisories/vulns.h"
#include "store/store.h"

/* ---- vulnerabilities (vulns.c) ------------------------------------------------------------- */

/* Stores what record r says of its CVE (the columns of r's kind only; the others keep what
 * other sources said). Unchanged since the last import of this source (the same digest):
 * nothing written, *changed = 0. *match_changed = 1 when what matching reads changed (affected
 * products or the KEV entry), and then *id names the row, for matching. */
int ermes__store_vuln_put(ermes__store_t *st, const ermes__vuln_record_t *r, int64_t home,
                          int64_t now, int64_t *id, int *changed, int *match_changed);

/* A stored vulnerability; strings borrowed for a callback, NULL when unknown. */
typedef struct ermes__vuln_row {
    int64_t id;
    const char *cve_id, *description;
    int64_t published, modified;
    const char *cvss_version, *cvss_vector, *cvss_severity;
    int cvss_score; /* tenths; -1 none */
    const char *cwe;
    int kev;
    int64_t kev_added, kev_due;
    const char *kev_name, *kev_action, *kev_ransomware, *kev_vendor, *kev_product;
    long epss, epss_percentile; /* parts per 100,000; -1 none */
    const char *affected_nvd, *affected_cve5;
    int64_t created_at, updated_at, changed_at;
    const char *affected_csaf; /* the CSAF document cut to this CVE (migration 47) */
    const char *csaf_source;   /* its publisher, tracking id and version */
    ermes_tlp_t tlp;           /* CLEAR, unless a CSAF document of a higher TLP said it */
    int64_t owner_org_id;
    const char *csaf_sources; /* JSON array: each provider's document on it, latest first
                               * ({namespace, tracking_id, version, source, tlp}; migration 57) */
} ermes__vuln_row_t;

typedef struct ermes__vuln_filter {
    const char *cve_id; /* exact; NULL: any */
    int kev_only;
    int min_score;         /* tenths; 0: any */
    long min_epss;         /* parts per 100,000; 0: any */
    int64_t changed_since; /* ms; 0: any */
    const char *text;      /* in the description, case-insensitive; NULL: any */
    int64_t after_id;      /* cursor: ids ascending */
    long limit;            /* 0: all */
} ermes__vuln_filter_t;

typedef int (*ermes__vuln_row_cb)(void *ctx, const ermes__vuln_row_t *v);
int ermes__store_vuln_each(ermes__store_t *st, const ermes__vuln_filter_t *f, ermes__vuln_row_cb cb,
                           void *ctx, int *more);
/* By id, or by CVE id when id is 0. ERMES_ENOTFOUND. */
int ermes__store_vuln_get(ermes__store_t *st, int64_t id, const char *cve_id, ermes__vuln_row_cb cb,
                          void *ctx);
/* The CSAF documents of every provider on vulnerability id (each cut to its CVE, as
 * affected_csaf), one call each; no store call from cb. */
int ermes__store_vuln_csaf_each(ermes__store_t *st, int64_t id,
                                int (*cb)(void *ctx, const char *affected), void *ctx);
/* Every vulnerability's id (for a full match), ascending; caller frees *ids. */
int ermes__store_vuln_ids(ermes__store_t *st, int64_t **ids, size_t *n);

/* ---- CSAF import state (csaf_import.c, migration 47) ------------------------------------------
 */

/* The stamp kept for url of source into stamp (cap bytes; "" when none). */
int ermes__store_csaf_import_stamp(ermes__store_t *st, const char *source, const char *url,
                                   char *stamp, size_t cap);
/* Keeps stamp for url of source (replacing the one kept). */
int ermes__store_csaf_import_put(ermes__store_t *st, const char *source, const char *url,
                                 const char *stamp, int64_t home, int64_t now);

/* ---- assets (assets.c) ----------------------------------------------------------------------- */

#define ERMES_ASSET_FIELD_MAX 1024

typedef struct ermes__asset {
    int64_t id, org_id;
    char org[64]; /* short name when listed */
    const char *name, *cpe, *purl, *vendor, *product, *version;
    const char *source; /* manual, csv, cyclonedx, spdx */
    ermes_tlp_t tlp;
    int64_t created_at, updated_at;
} ermes__asset_t;

/* Reads and checks an asset from its parts (API body, CSV row, SBOM component): a cpe that
 * parses as CPE 2.3 (or 2.2 URI: stored in its formatted string form), a purl that parses, or
 * a product; each at most ERMES_ASSET_FIELD_MAX bytes, no control characters. ERMES_EINVAL
 * with d naming the field. */
int ermes__asset_check(const ermes__asset_t *a, ermes_diag_t *d);

/* Stores a (id and times filled). */
int ermes__store_asset_add(ermes__store_t *st, ermes__asset_t *a);
/* Updates the parts of asset id (which must be of org_id unless org_id is 0). */
int ermes__store_asset_update(ermes__store_t *st, int64_t id, int64_t org_id,
                              const ermes__asset_t *a);
/* Deletes asset id (of org_id unless 0). ERMES_ENOTFOUND. */
int ermes__store_asset_delete(ermes__store_t *st, int64_t id, int64_t org_id);

typedef int (*ermes__asset_cb)(void *ctx, const ermes__asset_t *a);
/* Assets of org_id (0: all), ids ascending after after_id, at most limit (0: all). */
int ermes__store_asset_each(ermes__store_t *st, int64_t org_id, int64_t after_id, long limit,
                            ermes__asset_cb cb, void *ctx, int *more);
/* One asset (of org_id unless 0). ERMES_ENOTFOUND. */
int ermes__store_asset_get(ermes__store_t *st, int64_t id, int64_t org_id, ermes__asset_cb cb,
                           void *ctx);

/* ---- per asset and vulnerability (assets.c) -------------------------------------------------- */

/* Remediation status: not_affected, affected, in_progress, fixed. */
int ermes__asset_status_valid(const char *s);

typedef struct ermes__asset_vuln {
    int64_t asset_id, vuln_id, notification_id;
    const char *cve_id, *status, *note;
    int warned_kev;
    int64_t updated_at;
} ermes__asset_vuln_t;

/* Whether asset_id was warned of vuln_id: *known = 0 when never, else *warned_kev says whether
 * of its KEV entry too. */
int ermes__store_asset_vuln_state(ermes__store_t *st, int64_t asset_id, int64_t vuln_id, int *known,
                                  int *warned_kev);
/* Records a warning of asset_id about vuln_id (notification_id), keeping a status the
 * constituent set. */
int ermes__store_asset_vuln_warned(ermes__store_t *st, int64_t asset_id, int64_t vuln_id,
                                   int warned_kev, int64_t notification_id, int64_t owner,
                                   int64_t now);
/* Sets the remediation status (and note, NULL: kept) of asset_id for the vulnerability with
 * cve_id; the row is made when the asset was never warned. ERMES_ENOTFOUND when the CVE is
 * unknown. */
int ermes__store_asset_vuln_set(ermes__store_t *st, int64_t asset_id, const char *cve_id,
                                const char *status, const char *note, int64_t owner);
typedef int (*ermes__asset_vuln_cb)(void *ctx, const ermes__asset_vuln_t *av);
/* The vulnerabilities recorded for asset_id. */
int ermes__store_asset_vuln_each(ermes__store_t *st, int64_t asset_id, ermes__asset_vuln_cb cb,
                                 void *ctx);
/* The rows of notification id (for its CSV): cb gets each with the asset in a. */
typedef int (*ermes__asset_vuln_row_cb)(void *ctx, const ermes__asset_t *a,
                                        const ermes__asset_vuln_t *av);
int ermes__store_notification_vulns(ermes__store_t *st, int64_t notification_id,
                                    ermes__asset_vuln_row_cb cb, void *ctx);

/* ---- the scheduled sync's record of its sources (vuln_sync.c, migration 42) ---------------- */

typedef struct ermes__vuln_sync_row {
    const char *source;  /* "kev=https://..." as in vuln_sources */
    int64_t last_run_at; /* ms */
    int ok;
    long records, changed;
    const char *error; /* "" when ok */
    /* What the run left unread (migration 75): a JSON array of {"feed", "reason"}, the
     * TLP:AMBER and RED feeds of a csaf=URL source skipped; "" or NULL when none. */
    const char *skipped;
} ermes__vuln_sync_row_t;

/* When source was last run (ms) into *at; 0 when never. */
int ermes__store_vuln_sync_last(ermes__store_t *st, const char *source, int64_t *at);
/* Records a run of r->source (inserted or replaced). */
int ermes__store_vuln_sync_put(ermes__store_t *st, const ermes__vuln_sync_row_t *r, int64_t home);
/* Calls cb for every source recorded, by source; a non-zero return of cb stops. */
int ermes__store_vuln_sync_each(ermes__store_t *st,
                                int (*cb)(void *ctx, const ermes__vuln_sync_row_t *r), void *ctx);

#endif
