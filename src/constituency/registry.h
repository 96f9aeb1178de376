/* The constituency registry: organisations and what they own, and the ownership index built
 * from them. Every change goes through here, is audited, and rebuilds the index, which is
 * swapped in atomically: lookups in flight keep the index they started with. */
#ifndef ERMES_CONSTITUENCY_REGISTRY_H
#define ERMES_CONSTITUENCY_REGISTRY_H

#include <stddef.h>

#include "ermes/ownership.h"
#include "store/store.h"

typedef struct ermes__registry ermes__registry_t;

/* st: borrowed, must outlive the registry. Builds the first index. */
int ermes__registry_open(ermes__store_t *st, ermes__registry_t **out);
void ermes__registry_close(ermes__registry_t *r);

/* A check of a contact's OpenPGP key (armour): 0 when usable, else non-zero with the reason
 * in why. */
typedef int (*ermes__registry_key_check_cb)(void *ctx, const char *armour, char *why, size_t cap);
/* Makes every change (create, update, import) refuse a contact whose key cb refuses
 * (src/notify/pgp.c: parsable, not expired, can encrypt). ctx is borrowed. */
void ermes__registry_set_key_check(ermes__registry_t *r, ermes__registry_key_check_cb cb,
                                   void *ctx);
/* The check over org's contacts: ERMES_EINVAL with d naming contacts[N].pgp_key. */
int ermes__registry_check_keys(ermes__registry_t *r, const ermes__org_t *org, ermes_diag_t *d);

/* The store the registry works on (borrowed). */
ermes__store_t *ermes__registry_store(ermes__registry_t *r);

/* The current index, retained: release it with ermes_ownership_release(). */
ermes_ownership_t *ermes__registry_ownership(ermes__registry_t *r);

/* Rebuilds the index now (force) or only when another process changed the registry. */
int ermes__registry_refresh(ermes__registry_t *r, int force);

/* Changes, each in one transaction, audited on behalf of v; only staff may make them
 * (ERMES_EDENIED otherwise). org is validated by the caller (ermes__org_from_json). */
int ermes__registry_org_create(ermes__registry_t *r, const ermes__viewer_t *v, ermes__org_t *org,
                               ermes_diag_t *d);
int ermes__registry_org_update(ermes__registry_t *r, const ermes__viewer_t *v, int64_t id,
                               const ermes__org_t *upd, ermes_diag_t *d);
int ermes__registry_org_delete(ermes__registry_t *r, const ermes__viewer_t *v, int64_t id,
                               ermes_diag_t *d);

/* The answer to "who owns this?", as the viewer may see it. */
typedef struct ermes__lookup {
    int found;
    ermes_owner_t owner;
    int64_t org_id;
    char short_name[33];
    char name[201];
    char matched_domain[254]; /* for a domain rule: the registered domain that matched */
} ermes__lookup_t;

typedef enum { ERMES_LOOKUP_IP, ERMES_LOOKUP_DOMAIN, ERMES_LOOKUP_ASN } ermes__lookup_kind_t;

/* Parses query as the given kind and looks it up. ERMES_EINVAL (reason in d) for a query that
 * is not an IP, domain or ASN. An owner the viewer may not see is reported as not found. */
int ermes__registry_lookup(ermes__registry_t *r, const ermes__viewer_t *v,
                           ermes__lookup_kind_t kind, const char *query, uint32_t asn_hint,
                           ermes__lookup_t *out, ermes_diag_t *d);

/* A CIDR lookup: every organisation owning a network inside net, equal to it or covering it,
 * that the viewer may see (issue 15: not only the first address's owner). *out (caller frees
 * with ermes__free) gets *n entries, most specific network last within each organisation, at
 * most max. ERMES_EINVAL (reason in d) when query is not a CIDR. */
typedef struct ermes__lookup_net {
    ermes_cidr_t network;
    int relation; /* -1: the network covers the query, 0: equal, 1: inside the query */
    int64_t org_id;
    char short_name[33];
    char name[201];
} ermes__lookup_net_t;
int ermes__registry_lookup_cidr(ermes__registry_t *r, const ermes__viewer_t *v, const char *query,
                                size_t max, ermes__lookup_net_t **out, size_t *n, int *more,
                                ermes_diag_t *d);

/* ---- bulk import and export ------------------------------------------------------------- */

typedef enum { ERMES_FORMAT_JSON, ERMES_FORMAT_CSV } ermes__format_t;

typedef struct ermes__import_options {
    ermes__format_t format;
    int partial;        /* keep the good rows when some fail (default: all or nothing) */
    int update;         /* an existing short name is updated instead of being an error */
    const char *source; /* file name for messages */
} ermes__import_options_t;

typedef struct ermes__import_error {
    long line; /* 1-based line of the row in the input */
    char field[64];
    char reason[256];
} ermes__import_error_t;

#define ERMES_IMPORT_MAX_ERRORS 1000 /* errors kept in a report; more are only counted */

typedef struct ermes__import_report {
    long rows, imported, updated, failed;
    ermes__import_error_t *errors; /* caller frees with ermes__import_report_cleanup() */
    size_t nerrors;
} ermes__import_report_t;

void ermes__import_report_cleanup(ermes__import_report_t *rep);

/* Imports organisations from data[0..len). Returns 0 when the import was stored (in partial
 * mode even with failed rows: see rep->failed), ERMES_EINVAL when rows failed in atomic mode
 * (nothing stored), ERMES_EPARSE when the input as a whole is unreadable (rep->errors[0]
 * says where), other codes on store failures. */
int ermes__registry_import(ermes__registry_t *r, const ermes__viewer_t *v, const char *data,
                           size_t len, const ermes__import_options_t *opts,
                           ermes__import_report_t *rep);

/* Writes every organisation the viewer may see, as JSON ({"organisations": [...]}) or CSV, to
 * write(ctx, bytes, n) (which returns 0, or non-zero to stop). */
typedef int (*ermes__export_write_cb)(void *ctx, const char *p, size_t n);
int ermes__registry_export(ermes__registry_t *r, const ermes__viewer_t *v, ermes__format_t format,
                           ermes__export_write_cb write, void *ctx);

#endif
