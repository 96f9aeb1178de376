/* Imports of vulnerability intelligence into the store, and the warnings they lead to
 * (vuln_import.c). */
#ifndef ERMES_ADVISORIES_VULN_IMPORT_H
#define ERMES_ADVISORIES_VULN_IMPORT_H

#include <stddef.h>

#include "advisories/vulns.h"
#include "notify/notify.h"
#include "store/store.h"

typedef struct ermes__vuln_import_stats {
    ermes__vuln_kind_t kind; /* what the document was read as */
    long records;            /* records read */
    long changed;            /* records that changed something stored */
    size_t to_match;         /* vulnerabilities whose matching data changed */
    size_t matches;          /* new warnings of an asset */
    long notifications;      /* notifications made */
    int64_t *ids;            /* with keep_ids: the vulnerabilities to match (caller frees with
                              * ermes__free) */
} ermes__vuln_import_stats_t;

/* Reads data (len bytes; gzip inflated) as kind and stores it in one transaction (nothing on
 * failure: ERMES_EPARSE / ERMES_ETOOBIG with d); then, with warn and o, matches what changed
 * and makes the warnings (ermes__notify_vulns). warn 2 (keep_ids): no matching, the ids to
 * match are left in stats->ids (to_match of them) for one match after several documents. */
#define ERMES_VULN_KEEP_IDS 2
int ermes__vuln_import(ermes__store_t *st, const ermes__notify_options_t *o, const char *data,
                       size_t len, ermes__vuln_kind_t kind, int warn,
                       ermes__vuln_import_stats_t *stats, ermes_diag_t *d);

/* Fetches url (http or https; redirects to https only; at most ERMES_VULN_DOC_MAX bytes) into
 * *out (caller frees with ermes__free), *len bytes. ERMES_EIO with d on a failure or a status
 * other than 200. */
int ermes__vuln_fetch(const char *url, char **out, size_t *len, ermes_diag_t *d);

#endif
