/* CSAF documents of other providers as vulnerability intelligence (issue 13 item 5, `ermes
 * csaf import`, `csaf=URL` in vuln_sources): csaf_import.c. */
#ifndef ERMES_ADVISORIES_CSAF_IMPORT_H
#define ERMES_ADVISORIES_CSAF_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "advisories/csaf_check.h"
#include "notify/notify.h"
#include "store/store.h"

typedef struct ermes__csaf_import_options {
    const char *cacert; /* PEM file of the CAs to trust, or NULL: the system's */
    long timeout_s;     /* per request */
    long max_documents; /* documents fetched at most per run */
    int warn;           /* match what changed and warn the constituents concerned */
    /* Each document refused: where (its URL or file) and why. May be NULL. */
    void (*refused)(void *ctx, const char *where, const char *reason);
    void *ctx;
    /* Each feed or listing of a protected (TLP:AMBER, RED) distribution not read: its URL and
     * why (no credentials set for its origin, or the provider refused them). May be NULL. */
    void (*skipped)(void *ctx, const char *where, const char *reason);
} ermes__csaf_import_options_t;

typedef struct ermes__csaf_import_stats {
    long documents;         /* documents read */
    long imported;          /* documents imported (each in its own transaction) */
    long refused;           /* documents refused (see the refused callback) */
    long skipped;           /* listed with the stamp of the last import: not fetched again */
    long protected_skipped; /* feeds and listings of protected distributions not read */
    int credentials;        /* credentials were set for the provider's origin */
    long records;           /* vulnerabilities with a CVE read from the imported documents */
    long changed;           /* of which changed something stored */
    size_t matches;         /* new warnings of an asset */
    long notifications;     /* notifications made */
} ermes__csaf_import_stats_t;

/* Imports the CSAF documents of source: a provider (its domain, its URL, or the URL of its
 * provider-metadata.json; or one of its ROLIE feeds or directories under /.well-known/csaf/,
 * whose documents are then the only ones imported: every document of its ROLIE feeds and
 * directory, through
 * ermes__csaf_check, which checks each document's size, JSON, schema and mandatory tests,
 * hashes and OpenPGP signature against the metadata's keys), or a local file or directory
 * (*.json below it: size, JSON, schema and mandatory tests). A document failing a check is
 * refused (o->refused) and the others are imported, each in one transaction. For a provider,
 * the stamp of each document imported is kept per source (migration 47) and a document
 * listed again with the same stamp is not fetched. The credentials stored for the provider's
 * origin (src/store/csaf_credentials.h) go with every request to that origin, and only there;
 * its TLP:AMBER and RED feeds are read only with them (o->skipped otherwise). Returns 0 when the
 * source could be read (whatever was refused), ERMES_EINVAL / ERMES_EIO / ERMES_ENOTFOUND with d
 * otherwise. */
int ermes__csaf_import(ermes__store_t *st, const ermes__notify_options_t *no, const char *source,
                       const ermes__csaf_import_options_t *o, ermes__csaf_import_stats_t *stats,
                       ermes_diag_t *d);

#endif
